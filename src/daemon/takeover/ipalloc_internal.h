// The working state of one IP allocation run and the steps the algorithms share; private to
// daemon/takeover/ipalloc*.cpp (the public interface is ipalloc.h).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "daemon/takeover/ipalloc.h"

namespace ctdb::daemon::takeover::internal {

// An address as four host-order 32-bit words, IPv4 in the last word and zeros before it.
// 4.17 orders the merged address list by this key and measures LCP2 distances on it, so an
// IPv4 address behaves like the IPv6 address ::a.b.c.d in both.
using IpKey = std::array<uint32_t, 4>;
IpKey ip_key(const proto::SockAddr& addr);

struct WorkIp {
  proto::SockAddr addr;
  IpKey key{};
  uint32_t pnn = UNKNOWN_PNN;
  std::vector<bool> available_on;  // by pnn, num_nodes entries
};

// One run: the merged addresses in 4.17's order plus the options and the log. The
// algorithms change `ips[i].pnn` in place; the order never changes.
struct IpallocRun {
  uint32_t num_nodes = 0;
  std::vector<WorkIp> ips;
  const IpallocOptions* options = nullptr;
  const IpallocLogger* logger = nullptr;

  bool logging(int level) const { return logger->enabled(level); }
  void log(int level, const char* fmt, ...) const __attribute__((format(printf, 3, 4)));

  // The node lists the address as available.
  bool can_host(uint32_t pnn, const WorkIp& ip) const {
    return pnn < num_nodes && ip.available_on[pnn];
  }
  // ... and the address may be moved there (NoIPTakeover forbids every move, including
  // taking up an address nobody holds).
  bool can_takeover(uint32_t pnn, const WorkIp& ip) const {
    return !options->no_ip_takeover && can_host(pnn, ip);
  }
  // How many addresses are on the node right now.
  uint32_t coverage(uint32_t pnn) const;

  // Gives `ip` to the node that may take it and holds the fewest addresses (lowest pnn on
  // equal counts). Returns false, leaving the address as it was, when no node may take it.
  bool find_takeover_node(WorkIp* ip);
  // Drops every address from a node that cannot host it.
  void unassign_unsuitable();
  // find_takeover_node() for every address nobody holds, in list order.
  void allocate_unassigned_basic();
};

void ipalloc_deterministic(IpallocRun* run);
void ipalloc_nondeterministic(IpallocRun* run);
void ipalloc_lcp2(IpallocRun* run);

}  // namespace ctdb::daemon::takeover::internal
