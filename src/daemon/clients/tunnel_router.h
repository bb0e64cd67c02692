// Tunnels (TUNNEL_REGISTER / TUNNEL_DEREGISTER and REQ_TUNNEL packets): a
// local client owns a tunnel id on its node and exchanges opaque packets with
// the clients that own the same id on other nodes (or on this one). Unlike
// srvids, one tunnel id has at most one owner per node, and a client may send
// on an id only while it owns it.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "daemon/cluster_host.h"
#include "protocol/types.h"

namespace ctdb::daemon {

namespace cluster {
class NodeState;
}
class ClientConnection;
class ClientServer;

class TunnelRouter {
 public:
  TunnelRouter(const cluster::NodeState& state, ClientServer& clients, proto::Statistics& stats,
               NodeSender send_node);

  // False (and logged) if another client of this node owns the id already.
  bool add(uint64_t tunnel_id, uint32_t client_id);
  // False if the client does not own the id.
  bool remove(uint64_t tunnel_id, uint32_t client_id);
  void remove_client(uint32_t client_id);
  size_t count() const { return owner_.size(); }

  // A REQ_TUNNEL from a local client: sent to the node(s) its header names.
  // A malformed one closes the client; one on an id it does not own is dropped.
  void client_tunnel(ClientConnection& client, const uint8_t* pkt, size_t len);
  // A REQ_TUNNEL from another node: handed to the local owner of its id.
  void node_tunnel(const uint8_t* pkt, size_t len);

 private:
  void deliver(uint32_t srcnode, uint32_t reqid, uint64_t tunnel_id, uint32_t flags,
               const proto::Bytes& data);

  const cluster::NodeState& state_;
  ClientServer& clients_;
  proto::Statistics& stats_;
  NodeSender send_node_;
  std::map<uint64_t, uint32_t> owner_;                // tunnel id -> client id
  std::map<uint32_t, std::set<uint64_t>> by_client_;  // client id -> tunnel ids
};

}  // namespace ctdb::daemon
