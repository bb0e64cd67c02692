// Hot keys as `ctdb dbstatistics` shows them: migrations of a key counted
// within a one-second window, the ten highest counts kept, lowest first.
#include <gtest/gtest.h>

#include <string>

#include "daemon/db/hot_keys.h"

namespace ctdb::daemon {
namespace {

proto::Bytes key(const std::string& s) { return proto::Bytes(s.begin(), s.end()); }

proto::DbStatistics table(const HotKeys& h) {
  proto::DbStatistics s;
  h.fill(&s);
  return s;
}

TEST(HotKeys, CountsMigrationsWithinOneSecondThenStartsAgain) {
  HotKeys h;
  h.migrated(key("a"), 100.0, "db");
  h.migrated(key("a"), 100.3, "db");
  h.migrated(key("a"), 100.9, "db");
  proto::DbStatistics s = table(h);
  EXPECT_EQ(s.num_hot_keys, MAX_HOT_KEYS);
  EXPECT_EQ(s.hot_keys[0].key, key("a"));
  EXPECT_EQ(s.hot_keys[0].count, 3u);
  EXPECT_EQ(s.hot_keys[1].count, 0u);
  EXPECT_TRUE(s.hot_keys[1].key.empty());
  // A new window counts from 1 again; the table keeps the highest count seen.
  h.migrated(key("a"), 101.5, "db");
  EXPECT_EQ(table(h).hot_keys[0].count, 3u);
}

TEST(HotKeys, KeepsTheTenHighestCountsLowestFirst) {
  HotKeys h;
  // Key i migrates i+1 times within one window.
  for (int i = 0; i < 12; i++) {
    for (int n = 0; n <= i; n++) h.migrated(key("k" + std::to_string(i)), 50.0, "db");
  }
  proto::DbStatistics s = table(h);
  for (size_t i = 0; i < MAX_HOT_KEYS; i++) {
    EXPECT_EQ(s.hot_keys[i].key, key("k" + std::to_string(i + 2))) << i;
    EXPECT_EQ(s.hot_keys[i].count, i + 3) << i;
  }
  // A count not above the smallest in a full table does not get in.
  h.migrated(key("new"), 60.0, "db");
  EXPECT_EQ(table(h).hot_keys[0].key, key("k2"));
}

}  // namespace
}  // namespace ctdb::daemon
