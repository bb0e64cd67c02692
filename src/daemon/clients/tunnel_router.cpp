#include "daemon/clients/tunnel_router.h"

#include <cinttypes>
#include <vector>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/cluster/node_state.h"
#include "protocol/packet.h"

namespace ctdb::daemon {

TunnelRouter::TunnelRouter(const cluster::NodeState& state, ClientServer& clients,
                           proto::Statistics& stats, NodeSender send_node)
    : state_(state), clients_(clients), stats_(stats), send_node_(std::move(send_node)) {}

bool TunnelRouter::add(uint64_t tunnel_id, uint32_t client_id) {
  if (owner_.count(tunnel_id) != 0) {
    CTDB_LOGF(kLogError, "Tunnel id 0x%" PRIx64 " already registered", tunnel_id);
    return false;
  }
  owner_[tunnel_id] = client_id;
  by_client_[client_id].insert(tunnel_id);
  CTDB_LOGF(kLogInfo, "Registered tunnel for id 0x%" PRIx64, tunnel_id);
  return true;
}

bool TunnelRouter::remove(uint64_t tunnel_id, uint32_t client_id) {
  auto it = owner_.find(tunnel_id);
  if (it == owner_.end() || it->second != client_id) {
    CTDB_LOGF(kLogError, "Failed to deregister tunnel id 0x%" PRIx64, tunnel_id);
    return false;
  }
  owner_.erase(it);
  by_client_[client_id].erase(tunnel_id);
  if (by_client_[client_id].empty()) by_client_.erase(client_id);
  return true;
}

void TunnelRouter::remove_client(uint32_t client_id) {
  auto it = by_client_.find(client_id);
  if (it == by_client_.end()) return;
  for (uint64_t id : it->second) owner_.erase(id);
  by_client_.erase(it);
}

void TunnelRouter::client_tunnel(ClientConnection& client, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqTunnel t;
  if (!proto::decode(pkt, len, &h, &t)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed tunnel packet; closing it",
              static_cast<int>(client.pid()));
    clients_.close(client);
    return;
  }
  auto owner = owner_.find(t.tunnel_id);
  if (owner == owner_.end() || owner->second != client.id()) {
    CTDB_LOGF(kLogError, "tunnel id 0x%" PRIx64 " not registered, dropping pkt", t.tunnel_id);
    return;
  }
  std::vector<uint32_t> targets = state_.destinations(h.destnode);
  if (targets.size() == 1 && !state_.known(targets[0])) {
    CTDB_LOGF(kLogError, "Invalid destination 0x%x", targets[0]);
    return;
  }
  // The client's reqid goes along, so that the far client can answer with
  // TUNNEL_FLAG_REPLY and the same reqid.
  for (uint32_t pnn : targets) {
    if (pnn == state_.pnn()) {
      deliver(pnn, h.reqid, t.tunnel_id, t.flags, t.data);
    } else if (state_.connected(pnn)) {
      proto::Bytes out = proto::encode(state_.header_to(pnn, h.reqid), t);
      send_node_(pnn, out.data(), out.size());
    } else {
      CTDB_LOGF(kLogInfo, "dropping tunnel packet for unreachable node %u", pnn);
    }
  }
}

void TunnelRouter::node_tunnel(const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqTunnel t;
  if (!proto::decode(pkt, len, &h, &t)) {
    CTDB_LOGF(kLogError, "malformed tunnel packet from a node; dropped");
    return;
  }
  deliver(h.srcnode, h.reqid, t.tunnel_id, t.flags, t.data);
}

void TunnelRouter::deliver(uint32_t srcnode, uint32_t reqid, uint64_t tunnel_id, uint32_t flags,
                           const proto::Bytes& data) {
  auto owner = owner_.find(tunnel_id);
  ClientConnection* c = owner == owner_.end() ? nullptr : clients_.find(owner->second);
  if (c == nullptr) {
    CTDB_LOGF(kLogError, "Tunnel id 0x%" PRIx64 " not registered", tunnel_id);
    return;
  }
  proto::Header h = state_.header_to(state_.pnn(), reqid);
  h.srcnode = srcnode;  // the client answers the node the packet came from
  proto::ReqTunnel t;
  t.tunnel_id = tunnel_id;
  t.flags = flags;
  t.data = data;
  c->send(proto::encode(h, t));
  stats_.client_packets_sent++;
}

}  // namespace ctdb::daemon
