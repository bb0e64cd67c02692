// Recovery master election ordering (see election.h). Pure: no I/O, no clock;
// the caller passes the time.
#include "daemon/cluster/election.h"

#include "ctdb/protocol.h"

namespace ctdb::daemon::cluster {

bool can_be_leader(uint32_t node_flags, uint32_t capabilities) {
  return (node_flags & NODE_FLAGS_INACTIVE) == 0 && (capabilities & CAP_RECMASTER) != 0;
}

int compare_timeval(const proto::Timeval& a, const proto::Timeval& b) {
  if (a.sec != b.sec) return a.sec < b.sec ? -1 : 1;
  if (a.usec != b.usec) return a.usec < b.usec ? -1 : 1;
  return 0;
}

proto::ElectionMessage make_election_message(const ElectionSelf& self,
                                             const proto::NodeMap& nodemap,
                                             const proto::Timeval& now) {
  proto::ElectionMessage em;
  em.pnn = self.pnn;
  em.priority_time = self.priority_time;
  em.node_flags = self.node_flags;
  for (const auto& node : nodemap.nodes) {
    if ((node.flags & NODE_FLAGS_DISCONNECTED) == 0) em.num_connected++;
  }
  if (!can_be_leader(self.node_flags, self.capabilities)) {
    em.num_connected = 0;
    em.priority_time = now;
  }
  return em;
}

bool election_win(const ElectionSelf& self, const proto::ElectionMessage& mine,
                  const proto::ElectionMessage& theirs) {
  if (!can_be_leader(self.node_flags, self.capabilities)) return false;
  if ((theirs.node_flags & NODE_FLAGS_INACTIVE) != 0) return true;
  int cmp = compare_timeval(theirs.priority_time, mine.priority_time);
  if (cmp != 0) return cmp > 0;  // their start is later: we have run longer
  return mine.pnn > theirs.pnn;
}

}  // namespace ctdb::daemon::cluster
