// Tunables table and store: seed defaults, 4.17 parity (names, order, wire
// slots), unknown/obsolete/out-of-range handling and the ctdb.tunables file.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "common/tunables.h"
#include "test_common_helpers.h"

namespace ctdb {
namespace {

// `ctdb listvars` of a stock 4.17.12 ctdbd (Debian 12), names and values in order.
const std::vector<std::pair<std::string, uint32_t>> kStockListvars = {
    {"SeqnumInterval", 1000},
    {"ControlTimeout", 60},
    {"TraverseTimeout", 20},
    {"KeepaliveInterval", 5},
    {"KeepaliveLimit", 5},
    {"RecoverTimeout", 30},
    {"RecoverInterval", 1},
    {"ElectionTimeout", 3},
    {"TakeoverTimeout", 9},
    {"MonitorInterval", 15},
    {"TickleUpdateInterval", 20},
    {"EventScriptTimeout", 30},
    {"MonitorTimeoutCount", 20},
    {"RecoveryGracePeriod", 120},
    {"RecoveryBanPeriod", 300},
    {"DatabaseHashSize", 100001},
    {"DatabaseMaxDead", 5},
    {"RerecoveryTimeout", 10},
    {"EnableBans", 1},
    {"NoIPFailback", 0},
    {"VerboseMemoryNames", 0},
    {"RecdPingTimeout", 60},
    {"RecdFailCount", 10},
    {"LogLatencyMs", 0},
    {"RecLockLatencyMs", 1000},
    {"RecoveryDropAllIPs", 120},
    {"VacuumInterval", 10},
    {"VacuumMaxRunTime", 120},
    {"RepackLimit", 10000},
    {"VacuumFastPathCount", 60},
    {"MaxQueueDropMsg", 1000000},
    {"AllowUnhealthyDBRead", 0},
    {"StatHistoryInterval", 1},
    {"DeferredAttachTO", 120},
    {"AllowClientDBAttach", 1},
    {"FetchCollapse", 1},
    {"HopcountMakeSticky", 50},
    {"StickyDuration", 600},
    {"StickyPindown", 200},
    {"NoIPTakeover", 0},
    {"DBRecordCountWarn", 100000},
    {"DBRecordSizeWarn", 10000000},
    {"DBSizeWarn", 100000000},
    {"PullDBPreallocation", 10485760},
    {"LockProcessesPerDB", 200},
    {"RecBufferSizeLimit", 1000000},
    {"QueueBufferSize", 1024},
    {"IPAllocAlgorithm", 2},
    {"AllowMixedVersions", 0},
};

// Where the seed man page (the spec) sets a different default than 4.17.
const std::vector<std::pair<std::string, uint32_t>> kSeedOverrides = {
    {"KeepaliveInterval", 1},
    {"EventScriptTimeout", 20},
    {"DatabaseHashSize", 100000},
};

TEST(Tunables, SeedDefaults) {
  Tunables t;
  EXPECT_EQ(t.get("KeepaliveInterval"), 1u);
  EXPECT_EQ(t.get("KeepaliveLimit"), 5u);
  EXPECT_EQ(t.get("MonitorInterval"), 15u);
  EXPECT_EQ(t.get("TickleUpdateInterval"), 20u);
  EXPECT_EQ(t.get("EventScriptTimeout"), 20u);
  EXPECT_EQ(t.get("RecoveryBanPeriod"), 300u);
  EXPECT_EQ(t.get("DatabaseHashSize"), 100000u);
  EXPECT_EQ(t.get("RerecoveryTimeout"), 10u);
  EXPECT_EQ(t.get("EnableBans"), 1u);
  EXPECT_EQ(t.get("DeterministicIPs"), 1u);
  EXPECT_EQ(t.get("DisableWhenUnhealthy"), 0u);
  EXPECT_EQ(t.get("NoIPFailback"), 0u);
}

TEST(Tunables, StockNamesOrderAndDefaults) {
  Tunables t;
  std::vector<std::string> ours = t.list();
  // Our list is the stock list with the seed's two live tunables added.
  std::vector<std::string> without_seed;
  for (const std::string& n : ours) {
    if (n != "DeterministicIPs" && n != "DisableWhenUnhealthy") without_seed.push_back(n);
  }
  ASSERT_EQ(without_seed.size(), kStockListvars.size());
  for (size_t i = 0; i < kStockListvars.size(); i++) {
    const auto& [name, stock] = kStockListvars[i];
    EXPECT_EQ(without_seed[i], name);
    uint32_t expected = stock;
    for (const auto& [seed_name, seed_value] : kSeedOverrides) {
      if (seed_name == name) expected = seed_value;
    }
    EXPECT_EQ(t.get(name), expected) << name;
  }
  // The seed tunables sit after EnableBans, in seed order.
  auto pos = [&](const std::string& n) {
    for (size_t i = 0; i < ours.size(); i++) {
      if (ours[i] == n) return i;
    }
    return ours.size();
  };
  EXPECT_EQ(pos("DeterministicIPs"), pos("EnableBans") + 1);
  EXPECT_EQ(pos("DisableWhenUnhealthy"), pos("EnableBans") + 2);
}

TEST(Tunables, ListString) {
  Tunables t;
  std::string s = t.list_string();
  EXPECT_EQ(s.rfind("SeqnumInterval:ControlTimeout:TraverseTimeout:", 0), 0u);
  EXPECT_NE(s.back(), ':');
  EXPECT_EQ(s.find("MaxRedirectCount"), std::string::npos);  // obsolete
  EXPECT_NE(s.find(":AllowMixedVersions"), std::string::npos);
}

TEST(Tunables, GetIsCaseInsensitiveAndUnknownIsEmpty) {
  Tunables t;
  EXPECT_EQ(t.get("keepaliveinterval"), 1u);
  EXPECT_EQ(t.get("KEEPALIVELIMIT"), 5u);
  EXPECT_FALSE(t.get("NoSuchTunable").has_value());
  EXPECT_FALSE(t.get("").has_value());
  EXPECT_FALSE(t.get("KeepaliveIntervalX").has_value());
  EXPECT_FALSE(t.get("Keepalive").has_value());
}

TEST(Tunables, SetUnknown) {
  Tunables t;
  std::string err;
  EXPECT_EQ(t.set("Foo", 1, &err), TunableSetResult::kUnknown);
  EXPECT_EQ(err, "No such tunable Foo");
}

TEST(Tunables, SetObsoleteStoresAndWarnsLike417) {
  Tunables t;
  std::string err;
  EXPECT_EQ(t.set("MaxRedirectCount", 9, &err), TunableSetResult::kObsolete);
  EXPECT_EQ(err, "Setting obsolete tunable variable 'MaxRedirectCount'");
  EXPECT_EQ(t.get("MaxRedirectCount"), 9u);  // readable, as GET_TUNABLE allows
  for (const std::string& n : t.list()) EXPECT_NE(n, "MaxRedirectCount");
  EXPECT_EQ(t.to_wire()[0], 9u);
}

TEST(Tunables, SetInRangeAndOutOfRange) {
  Tunables t;
  std::string err;
  EXPECT_EQ(t.set("keepaliveinterval", 7, &err), TunableSetResult::kOk);
  EXPECT_EQ(t.get("KeepaliveInterval"), 7u);

  EXPECT_EQ(t.set("KeepaliveInterval", 0, &err), TunableSetResult::kOutOfRange);
  EXPECT_EQ(err, "Value 0 for tunable KeepaliveInterval is out of range 1..4294967295");
  EXPECT_EQ(t.get("KeepaliveInterval"), 7u);  // unchanged

  EXPECT_EQ(t.set("EnableBans", 2, &err), TunableSetResult::kOutOfRange);
  EXPECT_EQ(err, "Value 2 for tunable EnableBans is out of range 0..1");
  EXPECT_EQ(t.set("IPAllocAlgorithm", 3, &err), TunableSetResult::kOutOfRange);
  EXPECT_EQ(t.set("IPAllocAlgorithm", 0, &err), TunableSetResult::kOk);
  EXPECT_EQ(t.set("DatabaseHashSize", (1u << 24) + 1, &err), TunableSetResult::kOutOfRange);
  EXPECT_EQ(t.set("RerecoveryTimeout", 0, &err), TunableSetResult::kOk);
  EXPECT_EQ(t.set("DisableWhenUnhealthy", 1, &err), TunableSetResult::kOk);
  EXPECT_EQ(t.get("DisableWhenUnhealthy"), 1u);
}

TEST(Tunables, ParseAndSet) {
  Tunables t;
  std::string err;
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "0x10", &err), TunableSetResult::kOk);
  EXPECT_EQ(t.get("MonitorInterval"), 16u);
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "12", &err), TunableSetResult::kOk);
  EXPECT_EQ(t.get("MonitorInterval"), 12u);
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "12x", &err), TunableSetResult::kBadValue);
  EXPECT_EQ(err, "Invalid value \"12x\" for tunable \"MonitorInterval\"");
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "-1", &err), TunableSetResult::kBadValue);
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "4294967296", &err), TunableSetResult::kBadValue);
  EXPECT_EQ(t.parse_and_set("MonitorInterval", "", &err), TunableSetResult::kBadValue);
  EXPECT_EQ(t.parse_and_set("Nope", "1", &err), TunableSetResult::kUnknown);
  EXPECT_EQ(t.get("MonitorInterval"), 12u);
}

TEST(Tunables, TableIsConsistent) {
  std::set<int> slots;
  std::set<std::string> names;
  for (const TunableDef& d : tunable_table()) {
    EXPECT_TRUE(names.insert(d.name).second) << d.name;
    EXPECT_LE(d.min, d.max) << d.name;
    if (!d.obsolete) {
      EXPECT_GE(d.default_value, d.min) << d.name;
      EXPECT_LE(d.default_value, d.max) << d.name;
    }
    EXPECT_NE(std::string(d.doc), "") << d.name;
    if (d.wire_index != kNotOnWire) {
      EXPECT_TRUE(slots.insert(d.wire_index).second) << d.name;
      EXPECT_GE(d.wire_index, 0);
      EXPECT_LT(d.wire_index, static_cast<int>(kTunableWireCount));
    }
  }
  // Every field of ctdb_tunable_list is owned by exactly one tunable.
  EXPECT_EQ(slots.size(), kTunableWireCount);
  EXPECT_EQ(find_tunable("DisableWhenUnhealthy")->wire_index, kNotOnWire);
}

// Code reads tunables by constant: each constant is its row, and reads what `setvar` stored.
TEST(Tunables, ConstantsNameTheirRows) {
  ASSERT_EQ(tunable_table().size(), static_cast<size_t>(kTunableCount));
  EXPECT_STREQ(tunable_table()[kMaxRedirectCount].name, "MaxRedirectCount");
  EXPECT_STREQ(tunable_table()[kRecoverInterval].name, "RecoverInterval");
  EXPECT_STREQ(tunable_table()[kDisableWhenUnhealthy].name, "DisableWhenUnhealthy");
  EXPECT_STREQ(tunable_table()[kAllowMixedVersions].name, "AllowMixedVersions");
  Tunables t;
  EXPECT_EQ(t[kMonitorInterval], 15u);
  EXPECT_EQ(t[kPullDBPreallocation], 10u * 1024 * 1024);
  ASSERT_EQ(t.set("monitorinterval", 7), TunableSetResult::kOk);
  EXPECT_EQ(t[kMonitorInterval], 7u);
}

TEST(Tunables, WireOrderFollowsStruct) {
  Tunables t;
  std::vector<uint32_t> w = t.to_wire();
  ASSERT_EQ(w.size(), 62u);
  // Spot checks against struct ctdb_tunable_list field positions.
  EXPECT_EQ(w[0], 3u);          // max_redirect_count
  EXPECT_EQ(w[1], 1000u);       // seqnum_interval
  EXPECT_EQ(w[4], 1u);          // keepalive_interval (seed default)
  EXPECT_EQ(w[12], 20u);        // script_timeout
  EXPECT_EQ(w[17], 100000u);    // database_hash_size
  EXPECT_EQ(w[21], 1u);         // deterministic_public_ips
  EXPECT_EQ(w[22], 60u);        // reclock_ping_period
  EXPECT_EQ(w[39], 120u);       // deferred_attach_timeout
  EXPECT_EQ(w[40], 60u);        // vacuum_fast_path_count
  EXPECT_EQ(w[41], 1u);         // lcp2_public_ip_assignment
  EXPECT_EQ(w[53], 10485760u);  // pulldb_preallocation_size
  EXPECT_EQ(w[60], 2u);         // ip_alloc_algorithm
  EXPECT_EQ(w[61], 0u);         // allow_mixed_versions
  ASSERT_EQ(t.set("StickyPindown", 321), TunableSetResult::kOk);
  EXPECT_EQ(t.to_wire()[48], 321u);
}

TEST(Tunables, FromWireRoundTrip) {
  Tunables a;
  ASSERT_EQ(a.set("VacuumInterval", 33), TunableSetResult::kOk);
  ASSERT_EQ(a.set("DisableWhenUnhealthy", 1), TunableSetResult::kOk);
  std::vector<uint32_t> w = a.to_wire();
  Tunables b;
  ASSERT_TRUE(b.from_wire(w));
  EXPECT_EQ(b.to_wire(), w);
  EXPECT_EQ(b.get("VacuumInterval"), 33u);
  EXPECT_EQ(b.get("DisableWhenUnhealthy"), 0u);  // not carried on the wire
  w.pop_back();
  EXPECT_FALSE(b.from_wire(w));
  EXPECT_EQ(b.get("VacuumInterval"), 33u);
}

TEST(Tunables, LoadFileGood) {
  unit::TempDir dir;
  std::string path = dir.write(
      "ctdb.tunables", "# tuning\n\nMonitorInterval=20\n  KeepaliveInterval = 3 \nEnableBans=0\n");
  Tunables t;
  ASSERT_EQ(t.set("RecoverInterval", 9), TunableSetResult::kOk);
  std::vector<std::string> errors;
  EXPECT_TRUE(load_tunables_file(path, &t, &errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(t.get("MonitorInterval"), 20u);
  EXPECT_EQ(t.get("KeepaliveInterval"), 3u);
  EXPECT_EQ(t.get("EnableBans"), 0u);
  EXPECT_EQ(t.get("RecoverInterval"), 1u);  // reset to the default first
}

TEST(Tunables, LoadFileMissingIsDefaults) {
  Tunables t;
  std::vector<std::string> errors;
  EXPECT_TRUE(load_tunables_file("/nonexistent/ctdb.tunables", &t, &errors));
  EXPECT_TRUE(errors.empty());
}

TEST(Tunables, LoadFileReportsEveryBadLine) {
  unit::TempDir dir;
  std::string p = dir.write("ctdb.tunables",
                            "MonitorInterval=20\n"
                            "Bogus=1\n"
                            "KeepaliveInterval=0\n"
                            "MaxRedirectCount=1\n"
                            "[section]\n"
                            "EnableBans=\n"
                            "EnableBans=yes\n"
                            "NoEquals\n");
  Tunables t;
  std::vector<std::string> errors;
  EXPECT_FALSE(load_tunables_file(p, &t, &errors));
  std::vector<std::string> want = {
      p + ":2: No such tunable Bogus",
      p + ":3: Value 0 for tunable KeepaliveInterval is out of range 1..4294967295",
      p + ":4: obsolete tunable \"MaxRedirectCount\"",
      p + ":5: sections are not supported",
      p + ":6: invalid line \"EnableBans=\"",
      p + ":7: Invalid value \"yes\" for tunable \"EnableBans\"",
      p + ":8: invalid line \"NoEquals\"",
  };
  EXPECT_EQ(errors, want);
  EXPECT_EQ(t.get("MonitorInterval"), 20u);  // good lines still apply
}

}  // namespace
}  // namespace ctdb
