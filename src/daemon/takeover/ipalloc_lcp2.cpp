// The LCP2 IP allocation algorithm of 4.17 (IPAllocAlgorithm 2): a node's cost is the sum of
// squared common-prefix lengths between its addresses; placement and rebalancing minimise it.
#include <algorithm>
#include <numeric>

#include "common/logging.h"
#include "daemon/takeover/ipalloc_internal.h"

namespace ctdb::daemon::takeover::internal {
namespace {

// All sums are uint32_t and wrap like 4.17's; values printed with %d are cast to int32_t
// so that the log shows what 4.17 shows (including its negative "[-N]" deltas).
int32_t as_int(uint32_t v) { return static_cast<int32_t>(v); }

// 4.17's measure of how alike two addresses are: per 32-bit word, 32 if the words are equal,
// else the number of leading bits they share, added up over all four words (it does not
// stop at the first differing word).
uint32_t ip_distance(const IpKey& a, const IpKey& b) {
  uint32_t distance = 0;
  for (size_t i = 0; i < a.size(); i++) {
    uint32_t x = a[i] ^ b[i];
    distance += x == 0 ? 32 : static_cast<uint32_t>(__builtin_clz(x));
  }
  return distance;
}

struct Lcp2 {
  IpallocRun* run;
  std::vector<uint32_t> imbalance;        // by pnn
  std::vector<bool> rebalance_candidate;  // by pnn: may receive addresses when rebalancing

  // The cost of address `self` on `pnn`: squared distances to the other addresses there.
  uint32_t distance_sum(size_t self, uint32_t pnn, size_t from = 0) const {
    const auto& ips = run->ips;
    uint32_t sum = 0;
    for (size_t i = from; i < ips.size(); i++) {
      if (ips[i].pnn != pnn || i == self) continue;
      uint32_t d = ip_distance(ips[self].key, ips[i].key);
      sum += d * d;
    }
    return sum;
  }

  // Every pair of addresses on the node counted once.
  uint32_t node_imbalance(uint32_t pnn) const {
    uint32_t total = 0;
    for (size_t i = 0; i < run->ips.size(); i++) {
      if (run->ips[i].pnn == pnn) total += distance_sum(i, pnn, i + 1);
    }
    return total;
  }

  void init() {
    const uint32_t nodes = run->num_nodes;
    imbalance.resize(nodes);
    for (uint32_t n = 0; n < nodes; n++) imbalance[n] = node_imbalance(n);
    // Nothing is remembered between runs, so "holds an address" is the only sign that a
    // node was healthy before; only the others are offered addresses when rebalancing, to
    // avoid moving addresses for small gains.
    rebalance_candidate.assign(nodes, true);
    for (const auto& ip : run->ips) {
      if (ip.pnn != UNKNOWN_PNN) rebalance_candidate[ip.pnn] = false;
    }
    for (uint32_t pnn : run->options->force_rebalance_nodes) {
      if (pnn >= nodes) {
        run->log(kLogError, "unknown node %u", pnn);
        continue;
      }
      run->log(kLogNotice, "Forcing rebalancing of IPs to node %u", pnn);
      rebalance_candidate[pnn] = true;
    }
  }

  // Places unassigned addresses one at a time, each time the (address, node) pair that adds
  // the least cost; the first such pair in list and pnn order wins ties.
  void allocate_unassigned() {
    auto has_unassigned = [this] {
      return std::any_of(run->ips.begin(), run->ips.end(),
                         [](const WorkIp& ip) { return ip.pnn == UNKNOWN_PNN; });
    };
    // The first round always runs (and logs), even with nothing to place, as in 4.17.
    bool progress;
    do {
      progress = false;
      run->log(kLogDebug, " ----------------------------------------");
      run->log(kLogDebug, " CONSIDERING MOVES (UNASSIGNED)");
      size_t best_ip = 0;
      uint32_t best_node = UNKNOWN_PNN, best_sum = 0, best_imbalance = 0;
      for (size_t i = 0; i < run->ips.size(); i++) {
        const WorkIp& ip = run->ips[i];
        if (ip.pnn != UNKNOWN_PNN) continue;
        for (uint32_t dst = 0; dst < run->num_nodes; dst++) {
          if (!run->can_takeover(dst, ip)) continue;
          uint32_t sum = distance_sum(i, dst);
          run->log(kLogDebug, " %s -> %d [+%d]", ip.addr.to_string().c_str(), as_int(dst),
                   as_int(sum));
          if (best_node == UNKNOWN_PNN || sum < best_sum) {
            best_ip = i;
            best_node = dst;
            best_sum = sum;
            best_imbalance = imbalance[dst] + sum;
            progress = true;
          }
        }
      }
      run->log(kLogDebug, " ----------------------------------------");
      if (best_node != UNKNOWN_PNN) {
        run->ips[best_ip].pnn = best_node;
        imbalance[best_node] = best_imbalance;
        run->log(kLogInfo, " %s -> %d [+%d]", run->ips[best_ip].addr.to_string().c_str(),
                 as_int(best_node), as_int(best_sum));
      }
    } while (progress && has_unassigned());
    for (const auto& ip : run->ips) {
      if (ip.pnn == UNKNOWN_PNN) {
        run->log(kLogWarning, "Failed to find node to cover ip %s", ip.addr.to_string().c_str());
      }
    }
  }

  // Moves the one address off `src` that most lowers the combined cost of `src` and the
  // receiving node, provided the receiver ends up below src's current cost and the address
  // costs the receiver less than it costs src. Returns false when no move qualifies.
  bool move_from(uint32_t src) {
    size_t best_ip = 0;
    uint32_t best_dst = UNKNOWN_PNN, best_src_imbalance = 0, best_dst_imbalance = 0;
    run->log(kLogDebug, " ----------------------------------------");
    run->log(kLogDebug, " CONSIDERING MOVES FROM %d [%d]", as_int(src), as_int(imbalance[src]));
    for (size_t i = 0; i < run->ips.size(); i++) {
      const WorkIp& ip = run->ips[i];
      if (ip.pnn != src) continue;
      uint32_t src_sum = distance_sum(i, src);
      uint32_t src_imbalance = imbalance[src] - src_sum;
      for (uint32_t dst = 0; dst < run->num_nodes; dst++) {
        if (!rebalance_candidate[dst] || !run->can_takeover(dst, ip)) continue;
        uint32_t dst_sum = distance_sum(i, dst);
        uint32_t dst_imbalance = imbalance[dst] + dst_sum;
        run->log(kLogDebug, " %d [%d] -> %s -> %d [+%d]", as_int(src), as_int(0u - src_sum),
                 ip.addr.to_string().c_str(), as_int(dst), as_int(dst_sum));
        if (dst_imbalance < imbalance[src] && dst_sum < src_sum &&
            (best_dst == UNKNOWN_PNN ||
             src_imbalance + dst_imbalance < best_src_imbalance + best_dst_imbalance)) {
          best_ip = i;
          best_dst = dst;
          best_src_imbalance = src_imbalance;
          best_dst_imbalance = dst_imbalance;
        }
      }
    }
    run->log(kLogDebug, " ----------------------------------------");
    if (best_dst == UNKNOWN_PNN) return false;
    run->log(kLogInfo, "%d [%d] -> %s -> %d [+%d]", as_int(src),
             as_int(best_src_imbalance - imbalance[src]),
             run->ips[best_ip].addr.to_string().c_str(), as_int(best_dst),
             as_int(best_dst_imbalance - imbalance[best_dst]));
    imbalance[src] = best_src_imbalance;
    imbalance[best_dst] = best_dst_imbalance;
    run->ips[best_ip].pnn = best_dst;
    return true;
  }

  // Repeatedly tries the nodes from the most to the least costly (pnn order among equal
  // costs, as 4.17's stable sort gives) and makes the first move found, until none helps.
  void failback() {
    const uint32_t nodes = run->num_nodes;
    std::vector<uint32_t> order(nodes);
    bool moved = true;
    while (moved) {
      moved = false;
      run->log(kLogDebug, "+++++++++++++++++++++++++++++++++++++++++");
      run->log(kLogDebug, "Selecting most imbalanced node from:");
      for (uint32_t n = 0; n < nodes; n++) {
        run->log(kLogDebug, " %d [%d]", as_int(n), as_int(imbalance[n]));
      }
      std::iota(order.begin(), order.end(), 0u);
      std::stable_sort(order.begin(), order.end(),
                       [this](uint32_t a, uint32_t b) { return imbalance[a] > imbalance[b]; });
      for (uint32_t src : order) {
        // From here on every node holds at most one address: nothing to even out.
        if (imbalance[src] == 0) break;
        if (move_from(src)) {
          moved = true;
          break;
        }
      }
    }
  }
};

}  // namespace

void ipalloc_lcp2(IpallocRun* run) {
  run->unassign_unsuitable();
  Lcp2 lcp2{run, {}, {}};
  lcp2.init();
  lcp2.allocate_unassigned();
  if (run->options->no_ip_failback) return;
  // Rebalancing only ever moves addresses onto candidates, so without one it is a no-op.
  if (std::none_of(lcp2.rebalance_candidate.begin(), lcp2.rebalance_candidate.end(),
                   [](bool c) { return c; })) {
    return;
  }
  lcp2.failback();
}

}  // namespace ctdb::daemon::takeover::internal
