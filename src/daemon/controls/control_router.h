// Where controls travel: from a local client or another node to this node's
// control table, from a client on to the node it names (the reply finds its
// way back by reqid), to every node of a broadcast, and the daemon's own
// controls (recovery, elections, takeover runs) to any node, this one
// included, each with a callback that runs exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon/cluster_host.h"
#include "daemon/controls/dispatch.h"
#include "daemon/event_loop.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::daemon {

namespace cluster {
class NodeState;
}
class ClientConnection;
class ClientServer;

class ControlRouter : public ReplySink {
 public:
  using ControlCallback = ClusterHost::ControlCallback;

  ControlRouter(EventLoop& loop, const cluster::NodeState& state, ControlTable& table,
                ClientServer& clients, proto::Statistics& stats, NodeSender send_node);
  ~ControlRouter() override;
  ControlRouter(const ControlRouter&) = delete;
  ControlRouter& operator=(const ControlRouter&) = delete;

  // A REQ_CONTROL from a local client; a malformed one closes that client.
  void client_control(ClientConnection& client, const uint8_t* pkt, size_t len);
  // A REQ_CONTROL or REPLY_CONTROL from another node.
  void node_control(uint32_t srcnode, const uint8_t* pkt, size_t len);
  void node_reply(const uint8_t* pkt, size_t len);

  // Sends a control to `dest` (this node included) and calls `cb` (may be
  // null) exactly once: with the reply, or with status -1 when the node is
  // or becomes disconnected, or after `timeout` seconds.
  void send_control(uint32_t dest, uint32_t opcode, uint64_t srvid, const proto::Bytes& data,
                    double timeout, ControlCallback cb, uint32_t flags);
  // ReplySink: the reply to where the request came from, then after_reply.
  void respond(const Responder& to, const ControlReply& reply) override;
  // Controls waiting on a node that is gone fail now with `why`.
  void node_lost(uint32_t pnn, const char* why);
  // Forgets every control still waiting (shutdown), without calling back.
  void clear();
  // Controls sent and still waiting for their reply.
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    uint32_t dest;
    ControlCallback cb;
    std::unique_ptr<Timer> timeout;
  };
  ControlReply run_here(const proto::Header& h, const proto::ReqControl& c,
                        ClientConnection* client, uint32_t srcnode, const Responder& to);
  void forward(ClientConnection& client, const proto::Header& h, const proto::ReqControl& c,
               uint32_t dest);
  void broadcast(ClientConnection& client, const proto::Header& h, const proto::ReqControl& c,
                 uint32_t dest);
  bool send_to_node(uint32_t pnn, uint32_t reqid, const proto::ReqControl& c);
  // `from` is the node that answered (default: this one).
  void reply_to_client(ClientConnection& client, const proto::Header& req_hdr,
                       const ControlReply& reply, uint32_t from = UNKNOWN_PNN);
  void finish(uint32_t reqid, uint32_t pnn, int32_t status, const proto::Bytes& data,
              const std::string& err);
  uint32_t alloc_reqid();

  EventLoop& loop_;
  const cluster::NodeState& state_;
  ControlTable& table_;
  ClientServer& clients_;
  proto::Statistics& stats_;
  NodeSender send_node_;
  // Controls sent by this node (for a local client, or its own) waiting for
  // their reply, by the reqid we gave them.
  std::map<uint32_t, Pending> pending_;
  uint32_t next_reqid_ = 1;
};

}  // namespace ctdb::daemon
