// The deterministic and non-deterministic IP allocation algorithms of 4.17 (IPAllocAlgorithm
// 0 and 1): homes by position in the address list, and least-loaded placement plus evening out.
#include "common/logging.h"
#include "daemon/takeover/ipalloc_internal.h"

namespace ctdb::daemon::takeover::internal {

void ipalloc_deterministic(IpallocRun* run) {
  run->log(kLogNotice, "Deterministic IPs enabled. Resetting all ip allocations");
  // Every address starts on its home node, chosen by position alone, so the same set of
  // healthy nodes always yields the same layout; moving back home is implied.
  for (size_t i = 0; i < run->ips.size(); i++) {
    run->ips[i].pnn = static_cast<uint32_t>(i % run->num_nodes);
  }
  if (run->options->no_ip_failback) {
    // The text, missing quote included, is what 4.17 logs.
    run->log(kLogWarning,
             "WARNING: 'NoIPFailback' set but ignored - incompatible with 'Deterministic IPs");
  }
  run->unassign_unsuitable();
  run->allocate_unassigned_basic();
}

namespace {

// Moves addresses off the busiest node while, for some assigned address, the nodes that
// could take it differ by more than one in how many they hold. Each move rescans from the
// start; the number of moves is capped because a move need not make progress (the address
// may land where it was).
void basic_failback(IpallocRun* run) {
  const size_t max_moves = run->ips.size() + 5;
  size_t moves = 0;
  bool rescan = true;
  while (rescan) {
    rescan = false;
    for (const auto& ip : run->ips) {
      if (ip.pnn == UNKNOWN_PNN) continue;
      uint32_t max_node = UNKNOWN_PNN, min_node = UNKNOWN_PNN;
      uint32_t max_count = 0, min_count = 0;
      for (uint32_t n = 0; n < run->num_nodes; n++) {
        if (!run->can_takeover(n, ip)) continue;
        uint32_t count = run->coverage(n);
        // First node wins ties, for both extremes.
        if (max_node == UNKNOWN_PNN || count > max_count) {
          max_node = n;
          max_count = count;
        }
        if (min_node == UNKNOWN_PNN || count < min_count) {
          min_node = n;
          min_count = count;
        }
      }
      if (max_node == UNKNOWN_PNN) {
        run->log(kLogWarning, "Could not find maxnode. May not be able to serve ip '%s'",
                 ip.addr.to_string().c_str());
        continue;
      }
      if (max_count <= min_count + 1 || moves >= max_moves) continue;
      // The busiest node's first address (in list order) goes to the least loaded node.
      for (auto& victim : run->ips) {
        if (victim.pnn != max_node) continue;
        run->find_takeover_node(&victim);
        moves++;
        rescan = true;
        break;
      }
      if (rescan) break;
    }
  }
}

}  // namespace

void ipalloc_nondeterministic(IpallocRun* run) {
  run->unassign_unsuitable();
  run->allocate_unassigned_basic();
  if (run->options->no_ip_failback) return;
  basic_failback(run);
}

}  // namespace ctdb::daemon::takeover::internal
