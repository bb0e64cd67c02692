// What the daemon's engine rooms (recovery, traverse, vacuum) need from the
// daemon: this node's view of the cluster and the means to talk to it. The
// daemon implements it; unit tests fake it. Nothing here can change the
// cluster's state except by sending controls and messages.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/tunables.h"
#include "daemon/event_loop.h"
#include "protocol/types.h"

namespace ctdb::daemon {

// Sends one encoded packet to node `pnn`; false when it cannot be queued.
using NodeSender = std::function<bool(uint32_t pnn, const uint8_t* pkt, size_t len)>;

struct NodeInfo {
  uint32_t pnn = 0;
  proto::SockAddr addr;
  uint32_t flags = 0;  // NODE_FLAGS_*
};

class ClusterHost {
 public:
  virtual ~ClusterHost() = default;
  virtual uint32_t pnn() const = 0;
  virtual EventLoop& loop() = 0;
  // Every node of the nodes file, indexed by pnn, with the flags this node knows.
  virtual const std::vector<NodeInfo>& nodes() const = 0;
  virtual const proto::VnnMap& vnnmap() const = 0;
  virtual uint32_t recmode() const = 0;
  virtual const Tunables& tunables() const = 0;
  virtual proto::Statistics& stats() = 0;
  // Nodes a broadcast destination stands for (this node included when it qualifies).
  virtual std::vector<uint32_t> broadcast_targets(uint32_t dest) const = 0;

  // The reply of a control this daemon sent: the answering node, its status
  // (-1 when the node is or becomes disconnected, or on timeout), its data.
  using ControlCallback = std::function<void(uint32_t pnn, int32_t status, const proto::Bytes& data,
                                             const std::string& err)>;
  // Sends a control to `dest` (this node included); `cb` (may be null) runs
  // exactly once.
  virtual void send_control(uint32_t dest, uint32_t opcode, uint64_t srvid,
                            const proto::Bytes& data, double timeout, ControlCallback cb,
                            uint32_t flags = 0) = 0;
  // Sends a message to a node (this node included, then delivered locally).
  virtual void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) = 0;
  // Delivers a message to every local client registered on `srvid`.
  virtual void deliver_message(uint64_t srvid, const proto::Bytes& data) = 0;
  // A handler inside the daemon for messages to `srvid`, besides any local clients.
  using MessageHandler = std::function<void(const proto::Bytes& data)>;
  virtual void set_message_handler(uint64_t srvid, MessageHandler handler) = 0;
  virtual void clear_message_handler(uint64_t srvid) = 0;
  // Bytes written to local client `client_id` that it has not read yet (0 if it is gone).
  virtual size_t client_backlog(uint32_t /*client_id*/) const { return 0; }
  // Disconnects local client `client_id` (logged by the caller).
  virtual void close_client(uint32_t /*client_id*/) {}
  // Runs `fn` once from the reactor after `seconds`.
  virtual void run_after(double seconds, std::function<void()> fn) = 0;
};

}  // namespace ctdb::daemon
