// Recovery master election ordering as CTDB 4.17 decides it: who may be
// leader, the election message a node sends, and who wins against a rival.
#pragma once

#include <cstdint>

#include "protocol/types.h"

namespace ctdb::daemon::cluster {

// What this node knows about itself when it takes part in an election.
struct ElectionSelf {
  uint32_t pnn = 0;
  proto::Timeval priority_time;  // when this node's recovery daemon started
  uint32_t node_flags = 0;       // our own NODE_FLAGS_* as in our nodemap
  uint32_t capabilities = 0;     // our CAP_*
};

// A node may become leader only when it is active (not disconnected, banned,
// stopped or deleted) and has the RECMASTER capability. Disabled (unhealthy
// or administratively disabled) nodes may still lead, as in 4.17.
bool can_be_leader(uint32_t node_flags, uint32_t capabilities);

// -1, 0, 1 as a is earlier than, equal to, later than b.
int compare_timeval(const proto::Timeval& a, const proto::Timeval& b);

// The election message this node broadcasts. num_connected counts the nodes of
// `nodemap` not flagged DISCONNECTED. A node that cannot lead advertises the
// worst possible data (no connected nodes, priority time `now`), as 4.17 does,
// so that peers are not tempted to defer to it.
proto::ElectionMessage make_election_message(const ElectionSelf& self,
                                             const proto::NodeMap& nodemap,
                                             const proto::Timeval& now);

// True when this node (`self`, advertising `mine` as built by
// make_election_message) should win against a received message `theirs`, i.e.
// call a new election instead of accepting `theirs.pnn` as leader:
//  1. we never win when we cannot lead;
//  2. we win when the other node is INACTIVE;
//  3. the earlier priority_time (longest running) wins;
//  4. on equal times the HIGHER pnn wins (4.17 compares our pnn minus theirs).
// num_connected is carried on the wire but 4.17 no longer compares it.
bool election_win(const ElectionSelf& self, const proto::ElectionMessage& mine,
                  const proto::ElectionMessage& theirs);

}  // namespace ctdb::daemon::cluster
