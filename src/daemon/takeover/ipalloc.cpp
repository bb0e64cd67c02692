// IP allocation entry points (see ipalloc.h): host decisions, merging the nodes' views into
// one ordered address list, and the steps shared by the algorithms.
#include "daemon/takeover/ipalloc.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>

#include "common/logging.h"
#include "daemon/takeover/ipalloc_internal.h"

namespace ctdb::daemon::takeover {

IpallocAlgorithm ipalloc_algorithm_from_tunables(uint32_t deterministic_ips,
                                                 uint32_t ip_alloc_algorithm) {
  if (deterministic_ips != 0) return IpallocAlgorithm::kDeterministic;
  switch (ip_alloc_algorithm) {
    case 0:
      return IpallocAlgorithm::kDeterministic;
    case 1:
      return IpallocAlgorithm::kNonDeterministic;
    default:
      return IpallocAlgorithm::kLcp2;
  }
}

bool node_can_host_ips(uint32_t flags, uint32_t runstate) {
  return runstate == RUNSTATE_RUNNING && (flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DISABLED)) == 0;
}

bool node_reports_known_ips(uint32_t flags) { return (flags & NODE_FLAGS_DISCONNECTED) == 0; }

bool node_reports_available_ips(uint32_t flags) { return (flags & NODE_FLAGS_INACTIVE) == 0; }

bool ipalloc_can_host_ips(const IpallocNodeViews& views) {
  bool any_known = false;
  for (size_t n = 0; n < views.known.size(); n++) {
    for (const auto& ip : views.known[n].ips) {
      any_known = true;
      if (ip.pnn == n) return true;
    }
  }
  if (!any_known) return false;
  // Addresses exist but nobody holds one: worth a run only if somebody could take one.
  for (const auto& list : views.available) {
    if (!list.ips.empty()) return true;
  }
  return false;
}

namespace internal {

IpKey ip_key(const proto::SockAddr& addr) {
  IpKey key{};
  auto word = [&addr](size_t i) {
    uint32_t w;
    std::memcpy(&w, addr.addr.data() + 4 * i, 4);
    return ntohl(w);
  };
  if (addr.is_ipv4()) {
    key[3] = word(0);
  } else if (addr.is_ipv6()) {
    for (size_t i = 0; i < 4; i++) key[i] = word(i);
  }
  return key;
}

void IpallocRun::log(int level, const char* fmt, ...) const {
  if (!logging(level)) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  logger->sink(level, std::string(buf, std::min(static_cast<size_t>(n), sizeof(buf) - 1)));
}

uint32_t IpallocRun::coverage(uint32_t pnn) const {
  uint32_t count = 0;
  for (const auto& ip : ips) {
    if (ip.pnn == pnn) count++;
  }
  return count;
}

bool IpallocRun::find_takeover_node(WorkIp* ip) {
  uint32_t best = UNKNOWN_PNN;
  uint32_t best_count = 0;
  for (uint32_t n = 0; n < num_nodes; n++) {
    if (!can_takeover(n, *ip)) continue;
    uint32_t count = coverage(n);
    if (best == UNKNOWN_PNN || count < best_count) {
      best = n;
      best_count = count;
    }
  }
  if (best == UNKNOWN_PNN) {
    log(kLogWarning, "Could not find node to take over public address '%s'",
        ip->addr.to_string().c_str());
    return false;
  }
  ip->pnn = best;
  return true;
}

void IpallocRun::unassign_unsuitable() {
  for (auto& ip : ips) {
    if (ip.pnn == UNKNOWN_PNN || can_host(ip.pnn, ip)) continue;
    log(kLogDebug, "Unassign IP: %s from %d", ip.addr.to_string().c_str(),
        static_cast<int32_t>(ip.pnn));
    ip.pnn = UNKNOWN_PNN;
  }
}

void IpallocRun::allocate_unassigned_basic() {
  for (auto& ip : ips) {
    if (ip.pnn != UNKNOWN_PNN) continue;
    if (!find_takeover_node(&ip)) {
      log(kLogWarning, "Failed to find node to cover ip %s", ip.addr.to_string().c_str());
    }
  }
}

namespace {

// One entry per distinct key, in 4.17's order (highest key first). When several nodes
// list an address, the last node in pnn order supplies the address itself, and the last
// node that claims to host it decides where it is now.
std::vector<WorkIp> merge_views(uint32_t num_nodes, const IpallocNodeViews& views) {
  std::vector<WorkIp> merged;
  std::map<IpKey, size_t> by_key;
  size_t nodes_known = std::min<size_t>(num_nodes, views.known.size());
  for (uint32_t n = 0; n < nodes_known; n++) {
    for (const auto& ip : views.known[n].ips) {
      if (!ip.addr.is_ipv4() && !ip.addr.is_ipv6()) continue;  // nothing could host it
      uint32_t claim = ip.pnn == n ? n : UNKNOWN_PNN;
      IpKey key = ip_key(ip.addr);
      auto [it, added] = by_key.emplace(key, merged.size());
      if (added) {
        WorkIp w;
        w.addr = ip.addr;
        w.key = key;
        w.pnn = claim;
        merged.push_back(std::move(w));
        continue;
      }
      WorkIp& w = merged[it->second];
      w.addr = ip.addr;
      if (claim != UNKNOWN_PNN) w.pnn = claim;
    }
  }
  std::sort(merged.begin(), merged.end(),
            [](const WorkIp& a, const WorkIp& b) { return a.key > b.key; });

  size_t nodes_available = std::min<size_t>(num_nodes, views.available.size());
  for (auto& w : merged) {
    w.available_on.assign(num_nodes, false);
    for (uint32_t n = 0; n < nodes_available; n++) {
      const auto& list = views.available[n].ips;
      w.available_on[n] = std::any_of(list.begin(), list.end(), [&w](const proto::PublicIp& ip) {
        return ip.addr.same_ip(w.addr);
      });
    }
  }
  return merged;
}

}  // namespace
}  // namespace internal

std::vector<proto::PublicIp> ipalloc(uint32_t num_nodes, const IpallocNodeViews& views,
                                     const IpallocOptions& options, const IpallocLogger& logger) {
  internal::IpallocRun run;
  run.num_nodes = num_nodes;
  run.ips = internal::merge_views(num_nodes, views);
  run.options = &options;
  run.logger = &logger;

  // Without nodes nothing can be placed (and the deterministic modulo would be undefined).
  if (num_nodes > 0 && !run.ips.empty()) {
    switch (options.algorithm) {
      case IpallocAlgorithm::kDeterministic:
        internal::ipalloc_deterministic(&run);
        break;
      case IpallocAlgorithm::kNonDeterministic:
        internal::ipalloc_nondeterministic(&run);
        break;
      case IpallocAlgorithm::kLcp2:
        internal::ipalloc_lcp2(&run);
        break;
    }
  }

  std::vector<proto::PublicIp> result;
  result.reserve(run.ips.size());
  for (const auto& w : run.ips) {
    proto::PublicIp ip;
    ip.pnn = w.pnn;
    ip.addr = w.addr;
    result.push_back(ip);
  }
  return result;
}

IpallocNodeViews ipalloc_views_from_layout(const std::vector<IpallocNode>& nodes,
                                           const std::vector<IpallocAddress>& addresses) {
  IpallocNodeViews views;
  views.known.resize(nodes.size());
  views.available.resize(nodes.size());
  for (const auto& a : addresses) {
    proto::PublicIp ip;
    ip.pnn = a.pnn;
    ip.addr = a.addr;
    for (uint32_t n : a.listed_on) {
      if (n >= nodes.size()) continue;
      views.known[n].ips.push_back(ip);
      if (node_can_host_ips(nodes[n].flags, nodes[n].runstate)) {
        views.available[n].ips.push_back(ip);
      }
    }
  }
  return views;
}

std::vector<proto::PublicIp> ipalloc_plan(const std::vector<IpallocNode>& nodes,
                                          const std::vector<IpallocAddress>& addresses,
                                          const IpallocOptions& options,
                                          const IpallocLogger& logger) {
  return ipalloc(static_cast<uint32_t>(nodes.size()), ipalloc_views_from_layout(nodes, addresses),
                 options, logger);
}

}  // namespace ctdb::daemon::takeover
