#include "daemon/clients/message_router.h"

#include <cstring>
#include <vector>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/clients/srvid_registry.h"
#include "daemon/cluster/node_state.h"

namespace ctdb::daemon {
namespace {

// The largest message that is passed on from a copy on the stack instead of
// being decoded and re-encoded.
constexpr size_t kRawMessageMax = 1024;

bool raw_message(const uint8_t* pkt, size_t len, proto::MessageView* out) {
  return proto::peek_message(pkt, len, out) && out->canonical && len <= kRawMessageMax;
}

}  // namespace

MessageRouter::MessageRouter(const cluster::NodeState& state, SrvidRegistry& srvids,
                             ClientServer& clients, proto::Statistics& stats, NodeSender send_node)
    : state_(state),
      srvids_(srvids),
      clients_(clients),
      stats_(stats),
      send_node_(std::move(send_node)) {}

void MessageRouter::set_handler(uint64_t srvid, MessageHandler handler) {
  handlers_[srvid] = std::move(handler);
}

// The common case, one message from a client to one other node: the client's
// bytes go on with only the routing fields of the header rewritten.
bool MessageRouter::forward_raw(const uint8_t* pkt, size_t len) {
  proto::MessageView raw;
  if (!raw_message(pkt, len, &raw)) return false;
  uint32_t dest = raw.destnode == CURRENT_NODE ? state_.pnn() : raw.destnode;
  if (dest == state_.pnn() || !state_.known(dest)) return false;
  if (!state_.connected(dest)) {
    CTDB_LOGF(kLogInfo, "dropping message for unreachable node %u", dest);
    return true;
  }
  uint8_t buf[kRawMessageMax];
  memcpy(buf, pkt, len);
  proto::set_routing(buf, state_.generation(), dest, state_.pnn());
  send_node_(dest, buf, len);
  return true;
}

void MessageRouter::client_message(ClientConnection& client, const uint8_t* pkt, size_t len) {
  if (forward_raw(pkt, len)) return;
  proto::Header h;
  proto::ReqMessage m;
  if (!proto::decode(pkt, len, &h, &m)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed message; closing it",
              static_cast<int>(client.pid()));
    clients_.close(client);
    return;
  }
  for (uint32_t pnn : state_.destinations(h.destnode)) {
    if (pnn == state_.pnn()) {
      deliver(m.srvid, m.data);
      continue;
    }
    if (!state_.connected(pnn)) {
      CTDB_LOGF(kLogInfo, "dropping message for unreachable node %u", pnn);
      continue;
    }
    proto::Header fh = state_.header_to(pnn, h.reqid);
    send_packet(pnn, proto::encode(fh, m));
  }
}

// A message from another node for local listeners only (no handler of the
// daemon's): each gets the packet as packet() would build it, made from the
// received bytes.
bool MessageRouter::deliver_raw(const uint8_t* pkt, size_t len) {
  proto::MessageView raw;
  if (!raw_message(pkt, len, &raw) || handlers_.count(raw.srvid) != 0) return false;
  struct Out {
    MessageRouter* self;
    const uint8_t* pkt;
    size_t len;
    bool built;
    uint8_t buf[kRawMessageMax];
  } out{this, pkt, len, false, {}};
  // One reference captured: fits std::function's inline storage.
  srvids_.for_each_listener(raw.srvid, [&out](uint32_t id) {
    ClientConnection* c = out.self->clients_.find(id);
    if (c == nullptr) return;
    if (!out.built) {
      memcpy(out.buf, out.pkt, out.len);
      uint32_t pnn = out.self->state_.pnn();
      proto::set_routing(out.buf, out.self->state_.generation(), pnn, pnn);
      proto::set_reqid(out.buf, 0);
      out.built = true;
    }
    c->send(out.buf, out.len);
    out.self->stats_.client_packets_sent++;
  });
  return true;
}

void MessageRouter::node_message(const uint8_t* pkt, size_t len) {
  if (deliver_raw(pkt, len)) return;
  proto::Header h;
  proto::ReqMessage m;
  if (proto::decode(pkt, len, &h, &m)) deliver(m.srvid, m.data);
}

void MessageRouter::send(uint32_t dest, uint64_t srvid, const proto::Bytes& data) {
  if (dest == state_.pnn()) {
    deliver(srvid, data);
    return;
  }
  if (!state_.connected(dest)) return;
  proto::ReqMessage m;
  m.srvid = srvid;
  m.data = data;
  send_packet(dest, proto::encode(state_.header_to(dest), m));
}

void MessageRouter::send_packet(uint32_t pnn, const proto::Bytes& pkt) {
  send_node_(pnn, pkt.data(), pkt.size());
}

proto::Bytes MessageRouter::packet(uint64_t srvid, const proto::Bytes& data) const {
  proto::ReqMessage m;
  m.srvid = srvid;
  m.data = data;
  return proto::encode(state_.header_to(state_.pnn()), m);
}

void MessageRouter::deliver(uint64_t srvid, const proto::Bytes& data) {
  if (auto it = handlers_.find(srvid); it != handlers_.end()) {
    MessageHandler handler = it->second;  // may unregister itself
    handler(data);
  }
  proto::Bytes pkt;  // built once, only if someone listens
  srvids_.for_each_listener(srvid, [&](uint32_t id) {
    if (ClientConnection* c = clients_.find(id)) {
      if (pkt.empty()) pkt = packet(srvid, data);
      c->send(pkt);
      stats_.client_packets_sent++;
    }
  });
}

void MessageRouter::deliver_to(uint32_t client_id, uint64_t srvid, const proto::Bytes& data) {
  if (ClientConnection* c = clients_.find(client_id)) {
    c->send(packet(srvid, data));
    stats_.client_packets_sent++;
  }
}

}  // namespace ctdb::daemon
