// Where srvid messages travel: from a local client to the node(s) it names,
// from another node to this node's listeners, and to the handlers the daemon
// keeps for itself (recovery streams, elections, leader broadcasts). Small
// messages between one client and one node are passed on as the bytes that
// came in, with only the routing fields of the header rewritten.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "daemon/cluster_host.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::daemon {

namespace cluster {
class NodeState;
}
class ClientConnection;
class ClientServer;
class SrvidRegistry;

class MessageRouter {
 public:
  using MessageHandler = ClusterHost::MessageHandler;

  MessageRouter(const cluster::NodeState& state, SrvidRegistry& srvids, ClientServer& clients,
                proto::Statistics& stats, NodeSender send_node);

  // A REQ_MESSAGE from a local client; a malformed one closes that client.
  void client_message(ClientConnection& client, const uint8_t* pkt, size_t len);
  // A REQ_MESSAGE from another node, for this node.
  void node_message(const uint8_t* pkt, size_t len);
  // Sends a message to a node (this node included, then delivered here).
  void send(uint32_t dest, uint64_t srvid, const proto::Bytes& data);
  // Delivers a message to the daemon's handler for `srvid` and every local
  // client listening on it.
  void deliver(uint64_t srvid, const proto::Bytes& data);
  // Sends a message to one local client.
  void deliver_to(uint32_t client_id, uint64_t srvid, const proto::Bytes& data);
  void set_handler(uint64_t srvid, MessageHandler handler);
  void clear_handler(uint64_t srvid) { handlers_.erase(srvid); }

 private:
  proto::Bytes packet(uint64_t srvid, const proto::Bytes& data) const;
  bool forward_raw(const uint8_t* pkt, size_t len);
  bool deliver_raw(const uint8_t* pkt, size_t len);
  void send_packet(uint32_t pnn, const proto::Bytes& pkt);

  const cluster::NodeState& state_;
  SrvidRegistry& srvids_;
  ClientServer& clients_;
  proto::Statistics& stats_;
  NodeSender send_node_;
  std::map<uint64_t, MessageHandler> handlers_;
};

}  // namespace ctdb::daemon
