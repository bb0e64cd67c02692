// vnnmap construction (daemon/cluster/vnnmap): which nodes become lmasters,
// generation numbers with injected randomness, and key -> lmaster.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/ltdb.h"
#include "ctdb/protocol.h"
#include "daemon/cluster/vnnmap.h"

namespace ctdb::daemon::cluster {
namespace {

using Map = std::vector<uint32_t>;

TEST(ClusterVnnMap, Build) {
  constexpr uint32_t kDef = CAP_DEFAULT;
  struct Case {
    const char* what;
    std::vector<VnnMapCandidate> nodes;
    uint32_t recmaster;
    Map expected;
  } cases[] = {
      {"all active", {{0, 0, kDef}, {1, 0, kDef}, {2, 0, kDef}}, 0, {0, 1, 2}},
      {"nodemap order is kept", {{0, 0, kDef}, {3, 0, kDef}, {5, 0, kDef}}, 3, {0, 3, 5}},
      {"banned, stopped, disconnected and deleted nodes are left out",
       {{0, NODE_FLAGS_BANNED, kDef},
        {1, 0, kDef},
        {2, NODE_FLAGS_STOPPED, kDef},
        {3, NODE_FLAGS_DISCONNECTED, kDef},
        {4, NODE_FLAGS_DELETED, kDef},
        {5, 0, kDef}},
       1,
       {1, 5}},
      {"disabled and unhealthy nodes stay in",
       {{0, NODE_FLAGS_PERMANENTLY_DISABLED, kDef}, {1, NODE_FLAGS_UNHEALTHY, kDef}},
       0,
       {0, 1}},
      {"nodes without LMASTER are left out",
       {{0, 0, CAP_RECMASTER}, {1, 0, kDef}, {2, 0, CAP_RECMASTER | CAP_FEATURES}},
       0,
       {1}},
      {"no lmaster at all: the recovery master alone",
       {{0, 0, CAP_RECMASTER}, {1, 0, CAP_RECMASTER}, {2, NODE_FLAGS_BANNED, kDef}},
       1,
       {1}},
      {"no nodes: the recovery master alone", {}, 7, {7}},
  };
  for (const auto& c : cases) {
    auto vm = build_vnnmap(c.nodes, c.recmaster, 0x1234);
    EXPECT_EQ(vm.map, c.expected) << c.what;
    EXPECT_EQ(vm.generation, 0x1234u) << c.what;
  }
}

RandomSource sequence(std::vector<uint32_t> values) {
  auto i = std::make_shared<size_t>(0);
  return [values, i] { return values.at((*i)++); };
}

TEST(ClusterVnnMap, GenerationSkipsInvalid) {
  EXPECT_EQ(new_generation(sequence({INVALID_GENERATION, INVALID_GENERATION, 42})), 42u);
  EXPECT_EQ(new_generation(sequence({7})), 7u);
  // 0x80000001 loses its top bit (4.17 uses random(), 31 bits) and would
  // become INVALID_GENERATION: drawn again.
  EXPECT_EQ(new_generation(sequence({0x80000001u, 0xffffffffu})), 0x7fffffffu);
  EXPECT_EQ(new_generation(sequence({0})), 0u);
}

TEST(ClusterVnnMap, DefaultRandomSourceVaries) {
  auto rnd = default_random_source();
  std::set<uint32_t> seen;
  for (int i = 0; i < 100; i++) {
    uint32_t g = new_generation(rnd);
    EXPECT_NE(g, INVALID_GENERATION);
    EXPECT_LT(g, 0x80000000u);
    seen.insert(g);
  }
  EXPECT_GT(seen.size(), 90u);
}

proto::Bytes name_key(const std::string& s) {
  proto::Bytes b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

TEST(ClusterVnnMap, LmasterOfKey) {
  // ctdb_hash("locking.tdb\0") = 0x7a19d84d and ctdb_hash("secrets.tdb\0") =
  // 0x7132c184: the db ids a stock 4.17 daemon gives these names.
  proto::Bytes locking = name_key("locking.tdb");
  proto::Bytes secrets = name_key("secrets.tdb");
  proto::VnnMap vm;
  vm.map = {10, 11, 12};
  EXPECT_EQ(lmaster_of(vm, locking), 12u);  // 0x7a19d84d % 3 == 2
  EXPECT_EQ(lmaster_of(vm, secrets), 12u);  // 0x7132c184 % 3 == 2
  vm.map = {10, 11, 12, 13, 14};
  EXPECT_EQ(lmaster_of(vm, locking), 10u);  // % 5 == 0
  EXPECT_EQ(lmaster_of(vm, secrets), 13u);  // % 5 == 3
  vm.map = {4, 9};
  EXPECT_EQ(lmaster_of(vm, locking), 9u);
  EXPECT_EQ(lmaster_of(vm, secrets), 4u);
  vm.map = {6};
  EXPECT_EQ(lmaster_of(vm, locking), 6u);
  vm.map.clear();
  EXPECT_EQ(lmaster_of(vm, locking), std::nullopt);
}

}  // namespace
}  // namespace ctdb::daemon::cluster
