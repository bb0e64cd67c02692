// Public IP allocation as CTDB 4.17 computes it: which nodes may host, how the nodes' views
// are merged, and the deterministic, non-deterministic and LCP2 algorithms (pure functions).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "protocol/types.h"

namespace ctdb::daemon::takeover {

// Addresses are proto::SockAddr, the type GET_PUBLIC_IPS carries (proto::PublicIp), so the
// replies of the nodes feed the allocation without conversion. Ports are ignored throughout.
// A node is its pnn, which is also its index in every per-node vector below (as in the
// nodemap). UNKNOWN_PNN (printed -1) means "no node".

enum class IpallocAlgorithm {
  kDeterministic,     // IPAllocAlgorithm 0: the i-th address goes home to node i % nodes
  kNonDeterministic,  // IPAllocAlgorithm 1: fewest addresses first, then even out counts
  kLcp2,              // IPAllocAlgorithm 2: minimise shared address prefixes per node
};

// The algorithm the tunables select. DeterministicIPs != 0 (the seed's default) forces the
// deterministic one; otherwise IPAllocAlgorithm decides and, as in 4.17, any value other
// than 0 or 1 means LCP2. (4.17 itself treats DeterministicIPs as obsolete.)
IpallocAlgorithm ipalloc_algorithm_from_tunables(uint32_t deterministic_ips,
                                                 uint32_t ip_alloc_algorithm);

// True when a node offers its public addresses as available to host: it is RUNNING and
// neither INACTIVE (disconnected, banned, stopped, deleted) nor DISABLED (unhealthy or
// administratively disabled). 4.17 has no fallback when every node is disabled: then no
// node hosts anything (NoIPHostOnAllDisabled is obsolete there and has no effect).
// Per-address reasons (interface link down, deletion pending) are the caller's to add.
bool node_can_host_ips(uint32_t flags, uint32_t runstate);

// The nodes the recovery master asks during a takeover run, as 4.17 does: every connected
// node for the addresses it knows (GET_PUBLIC_IPS), and every active node that knows at
// least one address for those it could host now (GET_PUBLIC_IPS, AVAILABLE_ONLY). A node
// not asked contributes an empty list.
bool node_reports_known_ips(uint32_t flags);
bool node_reports_available_ips(uint32_t flags);

// What each node said, indexed by pnn. known[n] lists every address node n is configured
// with, each with the pnn node n believes hosts it; available[n] lists those node n could
// host now. Only a node's claim about itself is trusted: an address is currently on node n
// only if known[n] says so.
struct IpallocNodeViews {
  std::vector<proto::PublicIpList> known;
  std::vector<proto::PublicIpList> available;
};

struct IpallocOptions {
  IpallocAlgorithm algorithm = IpallocAlgorithm::kLcp2;
  bool no_ip_takeover = false;  // NoIPTakeover: no address moves to another node
  bool no_ip_failback = false;  // NoIPFailback: no rebalancing (ignored by deterministic)
  // Nodes that LCP2 may move addresses onto although they already host some (4.17 sets
  // these for nodes that had addresses added by "ctdb reloadips"). Unknown pnns are
  // logged and skipped.
  std::vector<uint32_t> force_rebalance_nodes;
};

// Where the algorithms' messages go: the same texts at the same levels (ctdb::LogLevel
// numbers) as 4.17, so that a what-if run can be compared line by line. Nothing is
// formatted for levels above `level` or without a sink.
struct IpallocLogger {
  int level = 0;
  std::function<void(int level, const std::string& message)> sink;
  bool enabled(int lvl) const { return sink && lvl <= level; }
};

// 4.17's guard before a takeover run: false only when no node knows any address, or when
// addresses are known but none is hosted and no node can host one. The daemon then skips
// the release/takeover steps.
bool ipalloc_can_host_ips(const IpallocNodeViews& views);

// Runs the allocation over `num_nodes` nodes. views.known and views.available may be
// shorter than num_nodes (missing nodes said nothing); longer ones are an error of the
// caller and their extra entries are ignored. Returns every known address once, with the
// node that should host it or UNKNOWN_PNN, in 4.17's order: by address, highest first,
// comparing IPv4 a.b.c.d as if it were ::a.b.c.d (so IPv6 addresses usually come first).
std::vector<proto::PublicIp> ipalloc(uint32_t num_nodes, const IpallocNodeViews& views,
                                     const IpallocOptions& options,
                                     const IpallocLogger& logger = {});

// A simpler description of a cluster for planning: node flags and run states by pnn, and for
// each address its current holder and the nodes whose public_addresses list it.
struct IpallocNode {
  uint32_t flags = 0;  // NODE_FLAGS_*
  uint32_t runstate = RUNSTATE_RUNNING;
};
struct IpallocAddress {
  proto::SockAddr addr;
  uint32_t pnn = UNKNOWN_PNN;       // current holder; trusted only if that node lists the address
  std::vector<uint32_t> listed_on;  // pnns; out-of-range ones are ignored
};

// The views 4.17's takeover test program builds from such a layout: every listing node
// knows the address with its current holder, and offers it as available when
// node_can_host_ips() says so. (Unlike the daemon, it asks every node, whatever its flags.)
IpallocNodeViews ipalloc_views_from_layout(const std::vector<IpallocNode>& nodes,
                                           const std::vector<IpallocAddress>& addresses);

// ipalloc() over ipalloc_views_from_layout(nodes, addresses).
std::vector<proto::PublicIp> ipalloc_plan(const std::vector<IpallocNode>& nodes,
                                          const std::vector<IpallocAddress>& addresses,
                                          const IpallocOptions& options,
                                          const IpallocLogger& logger = {});

}  // namespace ctdb::daemon::takeover
