// Public IP allocation (daemon/takeover/ipalloc): host decisions, merging the nodes' views and
// the three algorithms. Expected layouts were checked against 4.17's own allocation code.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/logging.h"
#include "ctdb/protocol.h"
#include "daemon/takeover/ipalloc.h"

namespace ctdb::daemon::takeover {
namespace {

constexpr uint32_t kU = NODE_FLAGS_UNHEALTHY;
constexpr uint32_t kD = NODE_FLAGS_DISCONNECTED;
constexpr uint32_t kPD = NODE_FLAGS_PERMANENTLY_DISABLED;
constexpr uint32_t kB = NODE_FLAGS_BANNED;
constexpr uint32_t kDel = NODE_FLAGS_DELETED;
constexpr uint32_t kS = NODE_FLAGS_STOPPED;

constexpr auto kDet = IpallocAlgorithm::kDeterministic;
constexpr auto kNonDet = IpallocAlgorithm::kNonDeterministic;
constexpr auto kLcp2 = IpallocAlgorithm::kLcp2;

// One address of a layout: its current holder (-1: none) and the nodes listing it (empty:
// every node).
struct Addr {
  std::string ip;
  int pnn;
  std::vector<uint32_t> on;
};
using Layout = std::vector<Addr>;

proto::SockAddr sa(const std::string& text) {
  auto a = proto::SockAddr::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(proto::SockAddr{});
}

std::vector<IpallocNode> make_nodes(const std::vector<uint32_t>& flags,
                                    const std::vector<uint32_t>& runstates = {}) {
  std::vector<IpallocNode> nodes;
  for (size_t i = 0; i < flags.size(); i++) {
    IpallocNode n;
    n.flags = flags[i];
    if (!runstates.empty()) n.runstate = runstates.at(i);
    nodes.push_back(n);
  }
  return nodes;
}

std::vector<IpallocAddress> make_addresses(size_t num_nodes, const Layout& layout) {
  std::vector<IpallocAddress> out;
  for (const auto& a : layout) {
    IpallocAddress x;
    x.addr = sa(a.ip);
    x.pnn = a.pnn < 0 ? UNKNOWN_PNN : static_cast<uint32_t>(a.pnn);
    x.listed_on = a.on;
    if (x.listed_on.empty()) {
      for (uint32_t n = 0; n < num_nodes; n++) x.listed_on.push_back(n);
    }
    out.push_back(x);
  }
  return out;
}

std::vector<int> pnns(const std::vector<proto::PublicIp>& result) {
  std::vector<int> out;
  for (const auto& ip : result) out.push_back(static_cast<int32_t>(ip.pnn));
  return out;
}

std::vector<std::string> addrs(const std::vector<proto::PublicIp>& result) {
  std::vector<std::string> out;
  for (const auto& ip : result) out.push_back(ip.addr.to_string());
  return out;
}

IpallocOptions opts(IpallocAlgorithm algorithm) {
  IpallocOptions o;
  o.algorithm = algorithm;
  return o;
}

std::vector<int> plan(IpallocAlgorithm algorithm, const std::vector<uint32_t>& flags,
                      const Layout& layout, IpallocOptions o = {},
                      const std::vector<uint32_t>& runstates = {}) {
  o.algorithm = algorithm;
  return pnns(ipalloc_plan(make_nodes(flags, runstates), make_addresses(flags.size(), layout), o));
}

// Six addresses on three nodes, two each.
const Layout kBalanced = {{"10.0.1.1", 0, {}}, {"10.0.1.2", 1, {}}, {"10.0.1.3", 2, {}},
                          {"10.0.1.4", 0, {}}, {"10.0.1.5", 1, {}}, {"10.0.1.6", 2, {}}};
// The same addresses, all on node 1 (nodes 0 and 2 just came back).
const Layout kAllOnOne = {{"10.0.1.1", 1, {}}, {"10.0.1.2", 1, {}}, {"10.0.1.3", 1, {}},
                          {"10.0.1.4", 1, {}}, {"10.0.1.5", 1, {}}, {"10.0.1.6", 1, {}}};
// The same addresses, nowhere yet.
const Layout kUnassigned = {{"10.0.1.1", -1, {}}, {"10.0.1.2", -1, {}}, {"10.0.1.3", -1, {}},
                            {"10.0.1.4", -1, {}}, {"10.0.1.5", -1, {}}, {"10.0.1.6", -1, {}}};
// Each node lists only some addresses; 10.0.2.6 is on node 2, which does not list it.
const Layout kSubsets = {{"10.0.2.1", 0, {0, 1}}, {"10.0.2.2", 0, {0, 1}}, {"10.0.2.3", 2, {1, 2}},
                         {"10.0.2.4", -1, {2}},   {"10.0.2.5", 1, {0, 2}}, {"10.0.2.6", 2, {0, 1}}};
const Layout kIpv6 = {{"fd00:1::1", -1, {}}, {"fd00:1::2", -1, {}}, {"fd00:1::3", -1, {}},
                      {"fd00:1::4", -1, {}}, {"fd00:2::1", -1, {}}, {"fd00:2::2", -1, {}},
                      {"fd00:2::3", -1, {}}, {"fd00:2::4", -1, {}}};
const Layout kMixed = {{"10.0.3.1", 0, {}},        {"2001:db8::1", 0, {}},
                       {"10.0.3.2", 0, {}},        {"2001:db8::2", 0, {}},
                       {"10.0.3.3", -1, {}},       {"2001:db8:1::3", -1, {}},
                       {"::ffff:10.0.3.4", -1, {}}};

TEST(TakeoverIpalloc, AlgorithmFromTunables) {
  struct Case {
    uint32_t deterministic_ips, ip_alloc_algorithm;
    IpallocAlgorithm expected;
  } cases[] = {
      {1, 0, kDet},    {1, 1, kDet},  {1, 2, kDet},  {7, 2, kDet},           {0, 0, kDet},
      {0, 1, kNonDet}, {0, 2, kLcp2}, {0, 3, kLcp2}, {0, 0xffffffff, kLcp2},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ipalloc_algorithm_from_tunables(c.deterministic_ips, c.ip_alloc_algorithm),
              c.expected)
        << c.deterministic_ips << "," << c.ip_alloc_algorithm;
  }
}

TEST(TakeoverIpalloc, WhichNodesMayHost) {
  struct Case {
    uint32_t flags, runstate;
    bool host, known, available;
  } cases[] = {
      {0, RUNSTATE_RUNNING, true, true, true},     {kU, RUNSTATE_RUNNING, false, true, true},
      {kPD, RUNSTATE_RUNNING, false, true, true},  {kS, RUNSTATE_RUNNING, false, true, false},
      {kB, RUNSTATE_RUNNING, false, true, false},  {kDel, RUNSTATE_RUNNING, false, true, false},
      {kD, RUNSTATE_RUNNING, false, false, false}, {kU | kS, RUNSTATE_RUNNING, false, true, false},
      {0, RUNSTATE_STARTUP, false, true, true},    {0, RUNSTATE_FIRST_RECOVERY, false, true, true},
      {0, RUNSTATE_SHUTDOWN, false, true, true},   {0, RUNSTATE_UNKNOWN, false, true, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(node_can_host_ips(c.flags, c.runstate), c.host) << c.flags << "/" << c.runstate;
    EXPECT_EQ(node_reports_known_ips(c.flags), c.known) << c.flags;
    EXPECT_EQ(node_reports_available_ips(c.flags), c.available) << c.flags;
  }
}

TEST(TakeoverIpalloc, OrderIsHighestAddressFirst) {
  // IPv4 a.b.c.d orders as ::a.b.c.d: above ::1, below any IPv6 address with a non-zero
  // prefix. The input order does not matter; an IPv4-mapped address is IPv4.
  Layout layout = {{"10.0.3.1", 0, {}},      {"::1", 0, {}},      {"2001:db8::1", 0, {}},
                   {"192.168.1.1", 0, {}},   {"fd00::5", 0, {}},  {"::ffff:10.0.3.4", 0, {}},
                   {"2001:db8:1::3", 0, {}}, {"10.0.3.10", 0, {}}};
  auto result = ipalloc_plan(make_nodes({0}), make_addresses(1, layout), opts(kLcp2));
  EXPECT_EQ(addrs(result),
            (std::vector<std::string>{"fd00::5", "2001:db8:1::3", "2001:db8::1", "192.168.1.1",
                                      "10.0.3.10", "10.0.3.4", "10.0.3.1", "::1"}));
  EXPECT_EQ(pnns(result), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(TakeoverIpallocPlan, Table) {
  struct Case {
    const char* what;
    IpallocAlgorithm algorithm;
    std::vector<uint32_t> flags;
    const Layout* layout;
    std::vector<int> expected;  // in 4.17's order (highest address first)
  } cases[] = {
      {"balanced: nothing moves", kLcp2, {0, 0, 0}, &kBalanced, {2, 1, 0, 2, 1, 0}},
      {"balanced: nothing moves", kNonDet, {0, 0, 0}, &kBalanced, {2, 1, 0, 2, 1, 0}},
      // Homes go by position in the ordered list: the highest address is node 0's.
      {"balanced: everything goes home", kDet, {0, 0, 0}, &kBalanced, {0, 1, 2, 0, 1, 2}},
      {"one unhealthy node", kLcp2, {0, kU, 0}, &kBalanced, {2, 2, 0, 2, 0, 0}},
      {"one unhealthy node", kNonDet, {0, kU, 0}, &kBalanced, {2, 0, 0, 2, 2, 0}},
      {"one unhealthy node", kDet, {0, kU, 0}, &kBalanced, {0, 0, 2, 0, 2, 2}},
      // No fallback in 4.17: when every node is unhealthy, none hosts anything.
      {"all unhealthy", kLcp2, {kU, kU, kU}, &kBalanced, {-1, -1, -1, -1, -1, -1}},
      {"all unhealthy", kNonDet, {kU, kU, kU}, &kBalanced, {-1, -1, -1, -1, -1, -1}},
      {"all unhealthy", kDet, {kU, kU, kU}, &kBalanced, {-1, -1, -1, -1, -1, -1}},
      {"all disabled or inactive", kLcp2, {kPD, kS, kB}, &kBalanced, {-1, -1, -1, -1, -1, -1}},
      {"stopped node", kLcp2, {0, 0, kS}, &kBalanced, {0, 1, 0, 1, 1, 0}},
      {"permanently disabled node", kNonDet, {kPD, 0, 0}, &kBalanced, {2, 1, 1, 2, 1, 2}},
      {"banned node", kDet, {0, kB, 0}, &kBalanced, {0, 0, 2, 0, 2, 2}},
      {"disconnected node", kLcp2, {0, kD, 0}, &kBalanced, {2, 2, 0, 2, 0, 0}},
      {"deleted node", kNonDet, {0, 0, kDel}, &kBalanced, {0, 1, 0, 1, 1, 0}},
      {"from one node to all", kLcp2, {0, 0, 0}, &kAllOnOne, {2, 0, 1, 2, 0, 1}},
      {"from one node to all", kNonDet, {0, 0, 0}, &kAllOnOne, {0, 2, 0, 2, 1, 1}},
      {"from one node to all", kDet, {0, 0, 0}, &kAllOnOne, {0, 1, 2, 0, 1, 2}},
      {"only to nodes listing the address", kLcp2, {0, 0, 0}, &kSubsets, {1, 2, 2, 1, 0, 0}},
      {"only to nodes listing the address", kNonDet, {0, 0, 0}, &kSubsets, {1, 0, 2, 2, 0, 0}},
      {"only to nodes listing the address", kDet, {0, 0, 0}, &kSubsets, {0, 0, 2, 1, 1, 0}},
      {"only to nodes listing the address, node 1 stopped",
       kLcp2,
       {0, kS, 0},
       &kSubsets,
       {0, 2, 2, 2, 0, 0}},
      {"IPv6", kLcp2, {0, 0, 0}, &kIpv6, {0, 1, 2, 0, 1, 0, 1, 2}},
      {"IPv6", kNonDet, {0, 0, 0}, &kIpv6, {0, 1, 2, 0, 1, 2, 0, 1}},
      {"IPv6", kDet, {0, 0, 0}, &kIpv6, {0, 1, 2, 0, 1, 2, 0, 1}},
      {"IPv6, one unhealthy node", kLcp2, {0, 0, kU}, &kIpv6, {0, 1, 1, 0, 1, 0, 0, 1}},
      {"mixed IPv4 and IPv6", kLcp2, {0, 0, 0}, &kMixed, {1, 2, 0, 2, 1, 0, 1}},
      {"mixed IPv4 and IPv6", kNonDet, {0, 0, 0}, &kMixed, {1, 2, 0, 2, 1, 0, 0}},
      {"mixed IPv4 and IPv6", kDet, {0, 0, 0}, &kMixed, {0, 1, 2, 0, 1, 2, 0}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(plan(c.algorithm, c.flags, *c.layout), c.expected)
        << c.what << " (algorithm " << static_cast<int>(c.algorithm) << ")";
  }
}

TEST(TakeoverIpallocPlan, SubsetsRespectListings) {
  // Whatever the algorithm and node states, an address ends up on a node that lists it.
  for (auto algorithm : {kDet, kNonDet, kLcp2}) {
    for (uint32_t stopped = 0; stopped < 3; stopped++) {
      std::vector<uint32_t> flags = {0, 0, 0};
      flags[stopped] = kS;
      auto result = ipalloc_plan(make_nodes(flags), make_addresses(3, kSubsets), opts(algorithm));
      std::map<std::string, std::vector<uint32_t>> listed;
      for (const auto& a : kSubsets) listed[sa(a.ip).to_string()] = a.on;
      for (const auto& ip : result) {
        if (ip.pnn == UNKNOWN_PNN) continue;
        const auto& on = listed[ip.addr.to_string()];
        EXPECT_NE(std::find(on.begin(), on.end(), ip.pnn), on.end()) << ip.addr.to_string();
        EXPECT_NE(ip.pnn, stopped);
      }
    }
  }
}

TEST(TakeoverIpallocPlan, RunStates) {
  // Only RUNNING nodes take addresses; the others keep nothing.
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kUnassigned, {}, {4, 5, 5}),
            (std::vector<int>{1, 2, 1, 1, 2, 2}));
  EXPECT_EQ(plan(kNonDet, {0, 0, 0}, kUnassigned, {}, {5, 4, 5}),
            (std::vector<int>{0, 2, 0, 2, 0, 2}));
  EXPECT_EQ(plan(kDet, {0, 0, 0}, kUnassigned, {}, {5, 5, 4}),
            (std::vector<int>{0, 1, 0, 0, 1, 1}));
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kBalanced, {}, {RUNSTATE_STARTUP, RUNSTATE_SHUTDOWN, 3}),
            (std::vector<int>{-1, -1, -1, -1, -1, -1}));
}

TEST(TakeoverIpallocPlan, NoIPFailback) {
  IpallocOptions o;
  o.no_ip_failback = true;
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kAllOnOne, o), (std::vector<int>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(plan(kNonDet, {0, 0, 0}, kAllOnOne, o), (std::vector<int>{1, 1, 1, 1, 1, 1}));
  // Deterministic always sends addresses home.
  EXPECT_EQ(plan(kDet, {0, 0, 0}, kAllOnOne, o), (std::vector<int>{0, 1, 2, 0, 1, 2}));
  // Failover and placing unassigned addresses still happen.
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kUnassigned, o), (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(plan(kLcp2, {0, kU, 0}, kBalanced, o), (std::vector<int>{2, 2, 0, 2, 0, 0}));
}

TEST(TakeoverIpallocPlan, NoIPTakeover) {
  IpallocOptions o;
  o.no_ip_takeover = true;
  // A failed node's addresses are released and nobody takes them.
  EXPECT_EQ(plan(kLcp2, {0, kU, 0}, kBalanced, o), (std::vector<int>{2, -1, 0, 2, -1, 0}));
  EXPECT_EQ(plan(kNonDet, {0, kU, 0}, kBalanced, o), (std::vector<int>{2, -1, 0, 2, -1, 0}));
  EXPECT_EQ(plan(kDet, {0, kU, 0}, kBalanced, o), (std::vector<int>{0, -1, 2, 0, -1, 2}));
  // Unassigned addresses stay so, and nothing is rebalanced.
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kUnassigned, o), (std::vector<int>{-1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(plan(kNonDet, {0, 0, 0}, kAllOnOne, o), (std::vector<int>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(plan(kLcp2, {0, 0, 0}, kAllOnOne, o), (std::vector<int>{1, 1, 1, 1, 1, 1}));
}

TEST(TakeoverIpallocPlan, ForceRebalance) {
  // Node 1 already holds an address, so LCP2 does not normally move anything onto it.
  const Layout lopsided = {{"10.0.4.1", 0, {}}, {"10.0.4.2", 0, {}}, {"10.0.4.3", 0, {}},
                           {"10.0.4.4", 0, {}}, {"10.0.4.5", 0, {}}, {"10.0.4.6", 1, {}}};
  IpallocOptions o;
  EXPECT_EQ(plan(kLcp2, {0, 0}, lopsided, o), (std::vector<int>{1, 0, 0, 0, 0, 0}));
  o.force_rebalance_nodes = {1};
  EXPECT_EQ(plan(kLcp2, {0, 0}, lopsided, o), (std::vector<int>{1, 1, 0, 1, 0, 0}));
  o.force_rebalance_nodes = {7};  // not a node: ignored
  EXPECT_EQ(plan(kLcp2, {0, 0}, lopsided, o), (std::vector<int>{1, 0, 0, 0, 0, 0}));
  // The other algorithms do not use it.
  o.force_rebalance_nodes = {1};
  EXPECT_EQ(plan(kNonDet, {0, 0}, lopsided, o), plan(kNonDet, {0, 0}, lopsided, {}));
}

std::string digits(const std::vector<int>& v) {
  std::string s;
  for (int p : v) s += p < 0 ? '-' : static_cast<char>('0' + p);
  return s;
}

TEST(TakeoverIpallocPlan, HundredAddressesEightNodes) {
  // 10.1.0.1..50 and 10.1.1.1..50 spread over nodes 0-3; nodes 4-7 join (or all but 5).
  Layout layout;
  for (int i = 0; i < 100; i++) {
    layout.push_back(
        {"10.1." + std::to_string(i / 50) + "." + std::to_string(i % 50 + 1), i % 4, {}});
  }
  const std::vector<uint32_t> healthy(8, 0);
  const std::vector<uint32_t> five_down = {0, 0, 0, 0, 0, kU, 0, 0};
  struct Case {
    IpallocAlgorithm algorithm;
    const std::vector<uint32_t>* flags;
    const char* expected;  // one digit per address, highest address first
  } cases[] = {
      {kLcp2, &healthy,
       "3244576032167540321475603214756032147560321675103210554672103764521035647210356472103564"
       "721037643210"},
      {kNonDet, &healthy,
       "7654765476547654765476547654765476547654765476543210321032103210321032103210321032103210"
       "321032103210"},
      {kDet, &healthy,
       "0123456701234567012345670123456701234567012345670123456701234567012345670123456701234567"
       "012345670123"},
      {kLcp2, &five_down,
       "7240467632173460321746103210674032176410324764103276424762103716421036743210324762103647"
       "321076403210"},
      {kNonDet, &five_down,
       "4764647676474764647676474764647676474764327632103210321032103210321032103210321032103210"
       "321032103210"},
      {kDet, &five_down,
       "0123446701234667012347670123406701234167012342670123436701234467012346670123476701234067"
       "012341670123"},
  };
  for (const auto& c : cases) {
    auto result = plan(c.algorithm, *c.flags, layout);
    EXPECT_EQ(digits(result), c.expected) << static_cast<int>(c.algorithm);
    // Every address is placed, nothing on the unhealthy node, and loads differ by at most 1.
    std::map<int, int> load;
    for (int p : result) load[p]++;
    EXPECT_EQ(load.count(-1), 0u);
    int lo = 100, hi = 0;
    for (const auto& [p, n] : load) {
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    EXPECT_LE(hi - lo, 1);
    EXPECT_EQ(load.count(5), c.flags == &healthy ? 1u : 0u);
  }
}

TEST(TakeoverIpallocPlan, EmptyInputs) {
  EXPECT_TRUE(ipalloc_plan(make_nodes({0, 0}), {}, opts(kLcp2)).empty());
  // Without nodes nobody reports an address: there is nothing to allocate.
  auto none = ipalloc(0, IpallocNodeViews{}, opts(kDet));
  EXPECT_TRUE(none.empty());
}

// ---- merging the nodes' own views (what GET_PUBLIC_IPS returns) -------------------------

proto::PublicIpList list(std::initializer_list<std::pair<const char*, int>> ips) {
  proto::PublicIpList l;
  for (const auto& [ip, pnn] : ips) {
    proto::PublicIp x;
    x.addr = sa(ip);
    x.pnn = pnn < 0 ? UNKNOWN_PNN : static_cast<uint32_t>(pnn);
    l.ips.push_back(x);
  }
  return l;
}

TEST(TakeoverIpallocMerge, OnlyANodesClaimAboutItselfCounts) {
  IpallocNodeViews v;
  // Node 0 says .1 is its own and .2 is node 1's; node 1 agrees about .2 and also knows .4;
  // node 2 claims .1 too (the last claim in pnn order wins) and does not know .2 or .4.
  v.known = {list({{"10.0.5.1", 0}, {"10.0.5.2", 1}, {"10.0.5.3", -1}}),
             list({{"10.0.5.1", 0}, {"10.0.5.2", 1}, {"10.0.5.4", 1}}),
             list({{"10.0.5.1", 2}, {"10.0.5.3", -1}})};
  v.available = v.known;
  IpallocOptions o = opts(kLcp2);
  o.no_ip_takeover = true;  // show the merged holders: nothing moves
  auto result = ipalloc(3, v, o);
  EXPECT_EQ(addrs(result),
            (std::vector<std::string>{"10.0.5.4", "10.0.5.3", "10.0.5.2", "10.0.5.1"}));
  EXPECT_EQ(pnns(result), (std::vector<int>{1, -1, 1, 2}));
  // Allowed to move, the unassigned .3 goes to node 0 (listed on 0 and 2; 2 holds one).
  EXPECT_EQ(pnns(ipalloc(3, v, opts(kLcp2))), (std::vector<int>{1, 0, 1, 2}));
  EXPECT_EQ(pnns(ipalloc(3, v, opts(kNonDet))), (std::vector<int>{1, 0, 1, 2}));
}

TEST(TakeoverIpallocMerge, ClaimsAboutOtherNodesAreIgnored) {
  IpallocNodeViews v;
  v.known = {list({{"10.0.7.1", 1}}), list({{"10.0.7.1", 0}})};
  v.available = v.known;
  IpallocOptions o = opts(kLcp2);
  o.no_ip_takeover = true;
  EXPECT_EQ(pnns(ipalloc(2, v, o)), (std::vector<int>{-1}));
}

TEST(TakeoverIpallocMerge, AvailabilityComesFromEachNodesOwnList) {
  IpallocNodeViews v;
  v.known = {list({{"10.0.8.1", -1}, {"10.0.8.2", -1}}), list({{"10.0.8.1", -1}})};
  // Node 0 cannot host .1 right now (say its interface is down); node 1 can.
  v.available = {list({{"10.0.8.2", -1}}), list({{"10.0.8.1", -1}})};
  EXPECT_EQ(pnns(ipalloc(2, v, opts(kLcp2))), (std::vector<int>{0, 1}));
  // An address only some node offers but nobody knows is not allocated at all.
  v.available[1] = list({{"10.0.8.1", -1}, {"10.0.8.9", -1}});
  EXPECT_EQ(addrs(ipalloc(2, v, opts(kLcp2))), (std::vector<std::string>{"10.0.8.2", "10.0.8.1"}));
  // Views shorter than the node count: the missing nodes said nothing.
  v.available.resize(1);
  EXPECT_EQ(pnns(ipalloc(2, v, opts(kLcp2))), (std::vector<int>{0, -1}));
}

TEST(TakeoverIpallocMerge, Ipv4AndCompatibleIpv6ShareAnEntry) {
  // 4.17 keys its merge on the 128-bit form, where 10.0.9.1 and ::10.0.9.1 coincide: one
  // entry, with the address as the last node listed it; only nodes listing that very
  // address can host it.
  IpallocNodeViews v;
  v.known = {list({{"10.0.9.1", -1}}), list({{"::10.0.9.1", -1}})};
  v.available = v.known;
  auto result = ipalloc(2, v, opts(kLcp2));
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].addr.to_string(), "::10.0.9.1");
  EXPECT_EQ(result[0].pnn, 1u);
}

TEST(TakeoverIpallocMerge, ViewsFromLayout) {
  auto nodes = make_nodes({0, kU, 0}, {5, 5, 4});
  std::vector<IpallocAddress> a(2);
  a[0].addr = sa("10.0.10.1");
  a[0].pnn = 1;
  a[0].listed_on = {0, 1, 2, 9};  // 9 is not a node: ignored
  a[1].addr = sa("10.0.10.2");
  a[1].listed_on = {2};
  auto v = ipalloc_views_from_layout(nodes, a);
  ASSERT_EQ(v.known.size(), 3u);
  ASSERT_EQ(v.available.size(), 3u);
  EXPECT_EQ(v.known[0].ips.size(), 1u);
  EXPECT_EQ(v.known[1].ips.size(), 1u);
  EXPECT_EQ(v.known[2].ips.size(), 2u);
  EXPECT_EQ(v.known[0].ips[0].pnn, 1u);  // every node reports the same current holder
  EXPECT_EQ(v.available[0].ips.size(), 1u);
  EXPECT_TRUE(v.available[1].ips.empty());  // unhealthy
  EXPECT_TRUE(v.available[2].ips.empty());  // not RUNNING
}

TEST(TakeoverIpalloc, CanHostIps) {
  struct Case {
    const char* what;
    IpallocNodeViews views;
    bool expected;
  } cases[] = {
      {"no views", {}, false},
      {"no node knows an address", {{list({}), list({})}, {list({}), list({})}}, false},
      {"an address is hosted", {{list({{"10.0.0.1", 1}}), list({{"10.0.0.1", 1}})}, {}}, true},
      {"only claimed by another node",
       {{list({{"10.0.0.1", 1}}), list({})}, {list({}), list({})}},
       false},
      {"none hosted, but one could be",
       {{list({{"10.0.0.1", -1}}), list({})}, {list({}), list({{"10.0.0.2", -1}})}},
       true},
      {"none hosted, none could be",
       {{list({{"10.0.0.1", -1}}), list({{"10.0.0.1", -1}})}, {list({}), list({})}},
       false},
  };
  for (const auto& c : cases) EXPECT_EQ(ipalloc_can_host_ips(c.views), c.expected) << c.what;
}

// ---- the log, line for line as 4.17 writes it ----------------------------------------------

struct Captured {
  std::vector<std::string> lines;
  std::vector<int> levels;
  IpallocLogger logger(int level) {
    IpallocLogger l;
    l.level = level;
    l.sink = [this](int lvl, const std::string& m) {
      levels.push_back(lvl);
      lines.push_back(m);
    };
    return l;
  }
};

TEST(TakeoverIpallocLog, Deterministic) {
  Captured c;
  IpallocOptions o = opts(kDet);
  o.no_ip_failback = true;
  auto result =
      ipalloc_plan(make_nodes({0, kU, 0}), make_addresses(3, kBalanced), o, c.logger(kLogDebug));
  EXPECT_EQ(pnns(result), (std::vector<int>{0, 0, 2, 0, 2, 2}));
  EXPECT_EQ(c.lines, (std::vector<std::string>{
                         "Deterministic IPs enabled. Resetting all ip allocations",
                         "WARNING: 'NoIPFailback' set but ignored - incompatible with "
                         "'Deterministic IPs",
                         "Unassign IP: 10.0.1.5 from 1", "Unassign IP: 10.0.1.2 from 1"}));
  EXPECT_EQ(c.levels, (std::vector<int>{kLogNotice, kLogWarning, kLogDebug, kLogDebug}));
}

TEST(TakeoverIpallocLog, Lcp2Moves) {
  Captured c;
  ipalloc_plan(make_nodes({0, 0, 0}), make_addresses(3, kAllOnOne), opts(kLcp2),
               c.logger(kLogInfo));
  EXPECT_EQ(c.lines,
            (std::vector<std::string>{
                "1 [-78880] -> 10.0.1.5 -> 0 [+0]", "1 [-63255] -> 10.0.1.3 -> 2 [+0]",
                "1 [-47126] -> 10.0.1.6 -> 2 [+15625]", "1 [-31501] -> 10.0.1.2 -> 0 [+15625]"}));

  // An IPv6 address shares 64 leading bits of the 128 with an IPv4 one (fd, then 0s).
  Captured m;
  ipalloc_plan(make_nodes({0, 0}),
               make_addresses(2, {{"fd00::1", 0, {}}, {"10.0.6.2", 0, {}}, {"10.0.6.3", 0, {}}}),
               opts(kLcp2), m.logger(kLogInfo));
  EXPECT_EQ(m.lines, (std::vector<std::string>{"0 [-20753] -> 10.0.6.3 -> 1 [+0]"}));
}

TEST(TakeoverIpallocLog, Lcp2Debug) {
  Captured c;
  auto result = ipalloc_plan(
      make_nodes({0, 0}),
      make_addresses(2, {{"10.0.6.1", 0, {}}, {"10.0.6.2", 0, {}}, {"10.0.6.3", -1, {}}}),
      opts(kLcp2), c.logger(kLogDebug));
  EXPECT_EQ(pnns(result), (std::vector<int>{1, 0, 0}));
  const std::string dashes = " ----------------------------------------";
  EXPECT_EQ(c.lines,
            (std::vector<std::string>{
                dashes, " CONSIDERING MOVES (UNASSIGNED)", " 10.0.6.3 -> 0 [+32005]",
                " 10.0.6.3 -> 1 [+0]", dashes, " 10.0.6.3 -> 1 [+0]",
                "+++++++++++++++++++++++++++++++++++++++++",
                "Selecting most imbalanced node from:", " 0 [15876]", " 1 [0]", dashes,
                " CONSIDERING MOVES FROM 0 [15876]", " 0 [-15876] -> 10.0.6.2 -> 1 [+16129]",
                " 0 [-15876] -> 10.0.6.1 -> 1 [+15876]", dashes}));
}

TEST(TakeoverIpallocLog, NothingCanHost) {
  Captured lcp2, det;
  ipalloc_plan(make_nodes({kU, kU}), make_addresses(2, {{"10.0.1.2", -1, {}}, {"10.0.1.1", 0, {}}}),
               opts(kLcp2), lcp2.logger(kLogWarning));
  EXPECT_EQ(lcp2.lines, (std::vector<std::string>{"Failed to find node to cover ip 10.0.1.2",
                                                  "Failed to find node to cover ip 10.0.1.1"}));
  ipalloc_plan(make_nodes({kU}), make_addresses(1, {{"10.0.1.1", -1, {}}}), opts(kDet),
               det.logger(kLogWarning));
  EXPECT_EQ(det.lines,
            (std::vector<std::string>{"Could not find node to take over public address '10.0.1.1'",
                                      "Failed to find node to cover ip 10.0.1.1"}));
}

TEST(TakeoverIpallocLog, ForceRebalance) {
  Captured c;
  IpallocOptions o = opts(kLcp2);
  o.force_rebalance_nodes = {1, 4};
  ipalloc_plan(make_nodes({0, 0}), make_addresses(2, kBalanced), o, c.logger(kLogNotice));
  EXPECT_EQ(c.lines,
            (std::vector<std::string>{"Forcing rebalancing of IPs to node 1", "unknown node 4"}));
  EXPECT_EQ(c.levels, (std::vector<int>{kLogNotice, kLogError}));
}

TEST(TakeoverIpallocLog, LevelFilters) {
  // Nothing above the logger's level reaches the sink, and no sink is fine.
  Captured c;
  auto a = ipalloc_plan(make_nodes({0, 0, 0}), make_addresses(3, kAllOnOne), opts(kLcp2),
                        c.logger(kLogNotice));
  EXPECT_TRUE(c.lines.empty());
  auto b = ipalloc_plan(make_nodes({0, 0, 0}), make_addresses(3, kAllOnOne), opts(kLcp2));
  EXPECT_EQ(pnns(a), pnns(b));
  IpallocLogger no_sink;
  no_sink.level = kLogDebug;
  EXPECT_EQ(
      pnns(ipalloc_plan(make_nodes({0, 0, 0}), make_addresses(3, kAllOnOne), opts(kDet), no_sink)),
      (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

}  // namespace
}  // namespace ctdb::daemon::takeover
