// This node's view of the cluster: every node of the nodes file with the
// flags this node knows, which of them is this node, the recovery mode and
// its times, the vnnmap, the runstate, the capabilities and the ban. It owns
// these facts and their rules; what a change sets off (telling the other
// nodes, freezing databases, timers) is left to the daemon that wires the
// areas together.
#pragma once

#include <sys/time.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/nodes_file.h"
#include "daemon/cluster_host.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::daemon::cluster {

class NodeState {
 public:
  NodeState();

  // Takes the nodes of the nodes file. This node is the first one that is not
  // deleted and that `is_me` accepts; false when there is none. Every other
  // node starts DISCONNECTED and UNHEALTHY, this one UNHEALTHY (as 4.17: a
  // node is unhealthy until its own monitor event has passed).
  bool load(const std::vector<NodeEntry>& entries,
            const std::function<bool(const proto::SockAddr&)>& is_me);

  // Checks a re-read nodes file and applies it: new nodes join disconnected,
  // removed ones become DELETED, deleted ones may come back. Nodes cannot be
  // dropped from the file, this node cannot be deleted and an active node's
  // address cannot change; then nothing changes and *error says why.
  // *dropped gets the nodes deleted while they were connected.
  bool apply_nodes_file(const std::vector<NodeEntry>& entries, std::vector<uint32_t>* dropped,
                        std::string* error);

  uint32_t pnn() const { return pnn_; }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  bool known(uint32_t pnn) const { return pnn < nodes_.size(); }
  // Known and its link is up (always true of this node).
  bool connected(uint32_t pnn) const {
    return known(pnn) && !(nodes_[pnn].flags & NODE_FLAGS_DISCONNECTED);
  }
  // Nodes a broadcast destination stands for (this node included when it
  // qualifies): all but deleted ones, the connected ones, or the connected
  // ones in the vnnmap.
  std::vector<uint32_t> broadcast_targets(uint32_t dest) const;
  // The nodes a packet's destnode names: CURRENT_NODE is this node, a
  // broadcast its targets, any other value itself (known or not).
  std::vector<uint32_t> destinations(uint32_t destnode) const;
  proto::NodeMap nodemap() const;

  uint32_t own_flags() const { return nodes_[pnn_].flags; }
  // Sets this node's flags; returns the old ones.
  uint32_t set_own_flags(uint32_t flags);
  // Another node's flags as it reports them. Each node is the authority on
  // its own flags, this node on whether its link to it is up. False (and
  // nothing changes) when they are the same, or for this node or an unknown one.
  bool learn_flags(uint32_t pnn, uint32_t flags, uint32_t* old);
  void mark_connected(uint32_t pnn);
  // A node whose link went down is also UNHEALTHY until it says otherwise
  // (4.17), so it gets no public address before its own startup and monitor
  // events passed. Returns whether it was connected before.
  bool mark_disconnected(uint32_t pnn);

  uint32_t recmode() const { return recmode_; }
  // False when the mode is already `mode`; entering ACTIVE and leaving it
  // stamp the recovery times.
  bool set_recmode(uint32_t mode);
  const timeval& start_time() const { return start_time_; }
  const timeval& last_recovery_started() const { return last_recovery_started_; }
  const timeval& last_recovery_finished() const { return last_recovery_finished_; }
  // Recoveries this node went through (ACTIVE then NORMAL) and their time in ACTIVE.
  uint64_t recoveries_seen() const { return recoveries_seen_; }
  double recovery_seconds_total() const { return recovery_seconds_total_; }

  const proto::VnnMap& vnnmap() const { return vnnmap_; }
  uint32_t generation() const { return vnnmap_.generation; }
  // The header of a packet this node sends to `dest`: our pnn and generation.
  proto::Header header_to(uint32_t dest, uint32_t reqid = 0) const {
    proto::Header h;
    h.generation = generation();
    h.srcnode = pnn();
    h.destnode = dest;
    h.reqid = reqid;
    return h;
  }
  void set_vnnmap(proto::VnnMap map) { vnnmap_ = std::move(map); }

  Runstate runstate() const { return runstate_; }
  void set_runstate(Runstate r) { runstate_ = r; }
  uint32_t capabilities() const { return capabilities_; }
  void set_capabilities(uint32_t caps) { capabilities_ = caps; }
  // Seconds of the current ban (0: not banned), for GET_BAN_STATE.
  uint32_t ban_seconds() const { return ban_seconds_; }
  void set_ban_seconds(uint32_t s) { ban_seconds_ = s; }

 private:
  std::vector<NodeInfo> nodes_;
  uint32_t pnn_ = UNKNOWN_PNN;
  // Databases stay closed to clients until the first recovery has run.
  uint32_t recmode_ = RECOVERY_ACTIVE;
  timeval start_time_{};
  timeval last_recovery_started_{};
  timeval last_recovery_finished_{};
  uint64_t recoveries_seen_ = 0;
  double recovery_seconds_total_ = 0;
  proto::VnnMap vnnmap_;
  Runstate runstate_ = RUNSTATE_UNKNOWN;
  uint32_t capabilities_ = CAP_DEFAULT;
  uint32_t ban_seconds_ = 0;
};

}  // namespace ctdb::daemon::cluster
