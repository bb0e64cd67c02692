#include "daemon/cluster/node_state.h"

#include <algorithm>

#include "common/logging.h"

namespace ctdb::daemon::cluster {
namespace {

timeval now() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return tv;
}

}  // namespace

NodeState::NodeState() : start_time_(now()) { vnnmap_.generation = INVALID_GENERATION; }

bool NodeState::load(const std::vector<NodeEntry>& entries,
                     const std::function<bool(const proto::SockAddr&)>& is_me) {
  nodes_.clear();
  pnn_ = UNKNOWN_PNN;
  for (const NodeEntry& entry : entries) {
    NodeInfo n;
    n.pnn = entry.pnn;
    n.addr = entry.addr;
    n.flags = entry.deleted ? NODE_FLAGS_DELETED : NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY;
    nodes_.push_back(n);
    if (!entry.deleted && pnn_ == UNKNOWN_PNN && is_me(entry.addr)) pnn_ = entry.pnn;
  }
  if (pnn_ == UNKNOWN_PNN) return false;
  nodes_[pnn_].flags &= ~NODE_FLAGS_DISCONNECTED;
  return true;
}

bool NodeState::apply_nodes_file(const std::vector<NodeEntry>& entries,
                                 std::vector<uint32_t>* dropped, std::string* error) {
  // `ctdb reloadnodes` checks all this before it asks; a raw control that
  // gets it wrong changes nothing.
  if (entries.size() < nodes_.size()) {
    *error = "nodes cannot be removed from the nodes file, only marked deleted with '#'";
    return false;
  }
  for (const NodeEntry& e : entries) {
    if (e.pnn == pnn_ && e.deleted) {
      *error = "this node (" + std::to_string(pnn_) + ") cannot be deleted";
      return false;
    }
    if (!known(e.pnn) || e.deleted || (nodes_[e.pnn].flags & NODE_FLAGS_DELETED)) continue;
    if (!e.addr.same_ip(nodes_[e.pnn].addr)) {
      *error = "the address of node " + std::to_string(e.pnn) + " changed";
      return false;
    }
  }
  for (const NodeEntry& e : entries) {
    if (!known(e.pnn)) {
      NodeInfo n;
      n.pnn = e.pnn;
      n.addr = e.addr;
      n.flags = NODE_FLAGS_DISCONNECTED | (e.deleted ? NODE_FLAGS_DELETED : 0);
      nodes_.push_back(n);
      continue;
    }
    NodeInfo& n = nodes_[e.pnn];
    if (e.deleted && !(n.flags & NODE_FLAGS_DELETED)) {
      CTDB_LOGF(kLogNotice, "Node %u is deleted", e.pnn);
      if (!(n.flags & NODE_FLAGS_DISCONNECTED)) dropped->push_back(e.pnn);
      // As in 4.17, a deleted node's address is 0.0.0.0 (what the nodes file line gives).
      n.addr = e.addr;
      n.flags = NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED;
    } else if (!e.deleted && (n.flags & NODE_FLAGS_DELETED)) {
      CTDB_LOGF(kLogNotice, "Node %u is undeleted", e.pnn);
      n.addr = e.addr;
      n.flags = NODE_FLAGS_DISCONNECTED;
    }
  }
  return true;
}

std::vector<uint32_t> NodeState::destinations(uint32_t destnode) const {
  if (destnode == CURRENT_NODE) return {pnn()};
  if (destnode == BROADCAST_ALL || destnode == BROADCAST_ACTIVE ||
      destnode == BROADCAST_CONNECTED) {
    return broadcast_targets(destnode);
  }
  return {destnode};
}

std::vector<uint32_t> NodeState::broadcast_targets(uint32_t dest) const {
  std::vector<uint32_t> out;
  for (const NodeInfo& n : nodes_) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    bool up = !(n.flags & NODE_FLAGS_DISCONNECTED);
    if (dest == BROADCAST_CONNECTED && !up) continue;
    if (dest == BROADCAST_ACTIVE) {
      bool in_vnnmap =
          std::find(vnnmap_.map.begin(), vnnmap_.map.end(), n.pnn) != vnnmap_.map.end();
      if (!in_vnnmap || !up) continue;
    }
    out.push_back(n.pnn);
  }
  return out;
}

proto::NodeMap NodeState::nodemap() const {
  proto::NodeMap map;
  for (const NodeInfo& n : nodes_) {
    proto::NodeAndFlags nf;
    nf.pnn = n.pnn;
    nf.flags = n.flags;
    nf.addr = n.addr;
    map.nodes.push_back(nf);
  }
  return map;
}

uint32_t NodeState::set_own_flags(uint32_t flags) {
  uint32_t old = nodes_[pnn_].flags;
  nodes_[pnn_].flags = flags;
  return old;
}

bool NodeState::learn_flags(uint32_t pnn, uint32_t flags, uint32_t* old) {
  if (!known(pnn) || pnn == pnn_) return false;
  NodeInfo& n = nodes_[pnn];
  *old = n.flags;
  uint32_t next = (flags & ~NODE_FLAGS_DISCONNECTED) | (n.flags & NODE_FLAGS_DISCONNECTED);
  if (next == n.flags) return false;
  n.flags = next;
  return true;
}

void NodeState::mark_connected(uint32_t pnn) {
  if (known(pnn)) nodes_[pnn].flags &= ~NODE_FLAGS_DISCONNECTED;
}

bool NodeState::mark_disconnected(uint32_t pnn) {
  if (!known(pnn)) return false;
  bool was_up = !(nodes_[pnn].flags & NODE_FLAGS_DISCONNECTED);
  nodes_[pnn].flags |= NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY;
  return was_up;
}

bool NodeState::set_recmode(uint32_t mode) {
  if (mode == recmode_) return false;
  (mode == RECOVERY_ACTIVE ? last_recovery_started_ : last_recovery_finished_) = now();
  if (mode == RECOVERY_NORMAL && last_recovery_started_.tv_sec != 0) {
    const timeval& s = last_recovery_started_;
    const timeval& f = last_recovery_finished_;
    double secs = double(f.tv_sec - s.tv_sec) + (f.tv_usec - s.tv_usec) / 1e6;
    recoveries_seen_++;
    if (secs > 0) recovery_seconds_total_ += secs;
  }
  recmode_ = mode;
  return true;
}

}  // namespace ctdb::daemon::cluster
