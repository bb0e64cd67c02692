// Recovery merge (daemon/cluster/recovery_merge): the newest copy of every
// record wins, the 4.17 tie rule, deleted records, what is pushed back, and
// the choice of the persistent database copy by sequence number.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/cluster/recovery_merge.h"
#include "protocol/wire.h"

namespace ctdb::daemon::cluster {
namespace {

constexpr uint32_t kDb = 0x7a19d84d;
constexpr uint32_t kRecmaster = 1;

proto::Bytes b(const std::string& s) { return proto::Bytes(s.begin(), s.end()); }

proto::LtdbHeader hdr(uint64_t rsn, uint32_t dmaster, uint32_t flags = 0) {
  proto::LtdbHeader h;
  h.rsn = rsn;
  h.dmaster = dmaster;
  h.flags = flags;
  return h;
}

// One record as a node sends it in DB_PULL: header in front of the data.
struct Rec {
  std::string key;
  proto::LtdbHeader header;
  std::string value;
};

proto::RecBuffer pulled(const std::vector<Rec>& recs, uint32_t db_id = kDb) {
  proto::RecBuffer buf;
  buf.db_id = db_id;
  for (const auto& r : recs) buf.add(0, &r.header, b(r.key), b(r.value));
  return buf;
}

// What a push carries, per key: header and value.
struct Pushed {
  proto::LtdbHeader header;
  std::string value;
  uint32_t reqid;
};

std::map<std::string, Pushed> decode_push(const std::vector<proto::RecBuffer>& bufs) {
  std::map<std::string, Pushed> out;
  for (const auto& buf : bufs) {
    EXPECT_EQ(buf.db_id, kDb);
    auto recs = buf.records();
    EXPECT_TRUE(recs.has_value());
    if (!recs) continue;
    for (const auto& rec : *recs) {
      Pushed p;
      proto::Bytes value;
      EXPECT_TRUE(rec.split_header(&p.header, &value));
      p.value.assign(value.begin(), value.end());
      p.reqid = rec.reqid;
      std::string key(rec.key.begin(), rec.key.end());
      EXPECT_EQ(out.count(key), 0u) << "pushed twice: " << key;
      out[key] = p;
    }
  }
  return out;
}

std::string value_of(const RecoveryDb& db, const std::string& key) {
  const auto e = db.find(b(key));
  if (!e) return "<missing>";
  return std::string(e->data.begin() + proto::kLtdbHeaderSize, e->data.end());
}

TEST(ClusterRecoveryMerge, HighestRsnWinsWhateverTheOrder) {
  // The same three copies pulled in every order give the same result.
  const std::vector<std::vector<Rec>> nodes = {
      {{"a", hdr(5, 0), "a5"}, {"b", hdr(9, 0), "b9"}},
      {{"a", hdr(7, 2), "a7"}, {"b", hdr(3, 2), "b3"}, {"c", hdr(1, 2), "c1"}},
      {{"a", hdr(6, 3), "a6"}, {"c", hdr(4, 3), "c4"}},
  };
  const std::vector<std::vector<int>> orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                                {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (const auto& order : orders) {
    RecoveryDb db(kDb, kRecmaster);
    for (int n : order) ASSERT_EQ(db.add(pulled(nodes[n])), RecoveryDb::AddResult::kOk);
    EXPECT_EQ(db.size(), 3u);
    EXPECT_EQ(value_of(db, "a"), "a7");
    EXPECT_EQ(value_of(db, "b"), "b9");
    EXPECT_EQ(value_of(db, "c"), "c4");
    EXPECT_EQ(db.find(b("a"))->header.rsn, 7u);
    EXPECT_EQ(db.find(b("a"))->header.dmaster, 2u);
  }
}

TEST(ClusterRecoveryMerge, OlderCopyNeverOverwritesNewer) {
  RecoveryDb db(kDb, kRecmaster);
  ASSERT_EQ(db.add(pulled({{"k", hdr(10, 0), "new"}})), RecoveryDb::AddResult::kOk);
  // Lower RSN, even from the recovery master itself or with its dmaster.
  ASSERT_EQ(db.add(pulled({{"k", hdr(9, kRecmaster), "old"}})), RecoveryDb::AddResult::kOk);
  ASSERT_EQ(db.add(pulled({{"k", hdr(0, 2), "older"}})), RecoveryDb::AddResult::kOk);
  EXPECT_EQ(value_of(db, "k"), "new");
  EXPECT_EQ(db.find(b("k"))->header.rsn, 10u);
}

TEST(ClusterRecoveryMerge, EqualRsnTieRule) {
  // 4.17: on equal RSN the later copy replaces the stored one only when the
  // stored copy names the recovery master as dmaster.
  struct Case {
    const char* what;
    uint32_t first_dmaster;
    uint32_t second_dmaster;
    const char* expected;
  } cases[] = {
      {"stored is another node's: first stays", 0, 2, "first"},
      {"stored is another node's, incoming names recmaster: first stays", 0, kRecmaster, "first"},
      {"stored names the recmaster: replaced", kRecmaster, 2, "second"},
      {"both name the recmaster: the later one", kRecmaster, kRecmaster, "second"},
  };
  for (const auto& c : cases) {
    RecoveryDb db(kDb, kRecmaster);
    ASSERT_EQ(db.add(pulled({{"k", hdr(4, c.first_dmaster), "first"}})),
              RecoveryDb::AddResult::kOk);
    ASSERT_EQ(db.add(pulled({{"k", hdr(4, c.second_dmaster), "second"}})),
              RecoveryDb::AddResult::kOk);
    EXPECT_EQ(value_of(db, "k"), c.expected) << c.what;
  }
}

TEST(ClusterRecoveryMerge, DuplicateKeysInOneBufferFollowTheSameRules) {
  RecoveryDb db(kDb, kRecmaster);
  ASSERT_EQ(
      db.add(pulled({{"k", hdr(3, 0), "x3"}, {"k", hdr(8, 0), "x8"}, {"k", hdr(5, 0), "x5"}})),
      RecoveryDb::AddResult::kOk);
  EXPECT_EQ(value_of(db, "k"), "x8");
  EXPECT_EQ(db.size(), 1u);
}

TEST(ClusterRecoveryMerge, DeletedRecords) {
  RecoveryDb db(kDb, kRecmaster);
  // "gone": a newer empty copy (deleted) hides the older value and is not pushed.
  // "kept": an older empty copy does not hide the newer value.
  // "empty": only an empty copy exists.
  ASSERT_EQ(db.add(pulled(
                {{"gone", hdr(2, 0), "v2"}, {"kept", hdr(6, 0), "v6"}, {"empty", hdr(1, 0), ""}})),
            RecoveryDb::AddResult::kOk);
  ASSERT_EQ(db.add(pulled({{"gone", hdr(3, 2), ""}, {"kept", hdr(5, 2), ""}})),
            RecoveryDb::AddResult::kOk);
  EXPECT_EQ(db.size(), 3u);
  EXPECT_EQ(db.find(b("gone"))->header.rsn, 3u);
  EXPECT_EQ(db.find(b("gone"))->data.size(), proto::kLtdbHeaderSize);
  // An older non-empty copy arriving later still loses to the deletion.
  ASSERT_EQ(db.add(pulled({{"gone", hdr(2, 3), "v2-again"}})), RecoveryDb::AddResult::kOk);
  EXPECT_EQ(value_of(db, "gone"), "");

  auto push = decode_push(db.push_buffers(false, 1 << 20));
  EXPECT_EQ(push.size(), 1u);
  ASSERT_EQ(push.count("kept"), 1u);
  EXPECT_EQ(push["kept"].value, "v6");
  EXPECT_EQ(push["kept"].header.rsn, 6u);
}

TEST(ClusterRecoveryMerge, VolatilePushRewritesDmasterAndFlags) {
  RecoveryDb db(kDb, kRecmaster);
  ASSERT_EQ(db.add(pulled({
                {"plain", hdr(4, 0), "p"},
                {"vacuum", hdr(5, 2, REC_FLAG_VACUUM_MIGRATED), "v"},
                {"ro", hdr(6, 3, REC_RO_HAVE_DELEGATIONS | REC_FLAG_AUTOMATIC), "r"},
                {"mwd", hdr(7, 1, REC_FLAG_MIGRATED_WITH_DATA), "m"},
            })),
            RecoveryDb::AddResult::kOk);
  auto push = decode_push(db.push_buffers(false, 1 << 20));
  ASSERT_EQ(push.size(), 4u);
  for (auto& [key, p] : push) {
    EXPECT_EQ(p.header.dmaster, kRecmaster) << key;
    EXPECT_NE(p.header.flags & REC_FLAG_MIGRATED_WITH_DATA, 0u) << key;
    EXPECT_EQ(p.reqid, 0u);
  }
  EXPECT_EQ(push["plain"].header.flags, REC_FLAG_MIGRATED_WITH_DATA);
  EXPECT_EQ(push["plain"].header.rsn, 4u);
  EXPECT_EQ(push["plain"].value, "p");
  // Other flags pass through: the receiving node clears VACUUM_MIGRATED,
  // AUTOMATIC and the read-only flags when it stores.
  EXPECT_EQ(push["vacuum"].header.flags, REC_FLAG_VACUUM_MIGRATED | REC_FLAG_MIGRATED_WITH_DATA);
  EXPECT_EQ(push["ro"].header.flags,
            REC_RO_HAVE_DELEGATIONS | REC_FLAG_AUTOMATIC | REC_FLAG_MIGRATED_WITH_DATA);
  EXPECT_EQ(push["mwd"].header.flags, REC_FLAG_MIGRATED_WITH_DATA);
  EXPECT_EQ(push["mwd"].header.rsn, 7u);
}

TEST(ClusterRecoveryMerge, PersistentPushIsUnchanged) {
  RecoveryDb db(kDb, kRecmaster);
  proto::LtdbHeader h = hdr(12, 3, REC_FLAG_AUTOMATIC);
  h.reserved1 = 0xabcd;
  ASSERT_EQ(db.add(pulled({{"k", h, "value"}, {"del", hdr(2, 3), ""}})),
            RecoveryDb::AddResult::kOk);
  auto bufs = db.push_buffers(true, 1 << 20);
  ASSERT_EQ(bufs.size(), 1u);
  // Byte for byte what was pulled.
  proto::RecBuffer expected;
  expected.db_id = kDb;
  expected.add(0, &h, b("k"), b("value"));
  EXPECT_EQ(bufs[0].count, 1u);
  EXPECT_EQ(bufs[0].buf, expected.buf);
}

TEST(ClusterRecoveryMerge, PushSplitsBuffers) {
  RecoveryDb db(kDb, kRecmaster);
  std::vector<Rec> recs;
  for (int i = 0; i < 10; i++) {
    recs.push_back({"key" + std::to_string(i), hdr(i + 1, 0), std::string(100, 'x')});
  }
  ASSERT_EQ(db.add(pulled(recs)), RecoveryDb::AddResult::kOk);
  // Each record marshals to 16 + 4 + 24 + 100 = 144 bytes; a buffer closes
  // once 8 + its records exceed 300, i.e. after 3 records.
  auto bufs = db.push_buffers(false, 300);
  ASSERT_EQ(bufs.size(), 4u);
  EXPECT_EQ(bufs[0].count, 3u);
  EXPECT_EQ(bufs[1].count, 3u);
  EXPECT_EQ(bufs[2].count, 3u);
  EXPECT_EQ(bufs[3].count, 1u);
  EXPECT_EQ(decode_push(bufs).size(), 10u);
  // When every record closes a buffer, a last (empty) buffer still follows, as in 4.17.
  auto exact = db.push_buffers(false, 140);
  ASSERT_EQ(exact.size(), 11u);
  EXPECT_EQ(exact.back().count, 0u);
  // Nothing to push: one empty buffer.
  RecoveryDb empty(kDb, kRecmaster);
  auto none = empty.push_buffers(false, 300);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].count, 0u);
  EXPECT_EQ(none[0].db_id, kDb);
}

TEST(ClusterRecoveryMerge, BadInputMergesNothing) {
  RecoveryDb db(kDb, kRecmaster);
  ASSERT_EQ(db.add(pulled({{"k", hdr(1, 0), "v1"}})), RecoveryDb::AddResult::kOk);

  EXPECT_EQ(db.add(pulled({{"k", hdr(9, 0), "v9"}}, kDb + 1)), RecoveryDb::AddResult::kWrongDb);

  // A record whose data is shorter than a header, after a good one.
  proto::RecBuffer short_data = pulled({{"k", hdr(9, 0), "v9"}});
  short_data.add(0, nullptr, b("x"), b("short"));
  EXPECT_EQ(db.add(short_data), RecoveryDb::AddResult::kMalformed);

  // A buffer whose count promises more records than it holds.
  proto::RecBuffer truncated = pulled({{"k", hdr(9, 0), "v9"}});
  truncated.count = 2;
  EXPECT_EQ(db.add(truncated), RecoveryDb::AddResult::kMalformed);

  EXPECT_EQ(value_of(db, "k"), "v1");
  EXPECT_EQ(db.size(), 1u);
}

TEST(ClusterRecoveryMerge, PickHighestSeqnumNode) {
  struct Case {
    const char* what;
    std::vector<NodeSeqnum> nodes;
    std::optional<uint32_t> expected;
  } cases[] = {
      {"highest wins", {{0, 5}, {1, 9}, {2, 7}}, 1},
      {"tie: first in order", {{0, 5}, {1, 9}, {2, 9}}, 1},
      {"tie in other order", {{2, 9}, {1, 9}, {0, 5}}, 2},
      {"all zero: first node", {{3, 0}, {1, 0}}, 3},
      {"one node", {{4, 0}}, 4},
      {"64-bit values", {{0, 0xffffffffULL}, {1, 0x100000000ULL}}, 1},
      {"no nodes", {}, std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(pick_highest_seqnum_node(c.nodes), c.expected) << c.what;
}

TEST(ClusterRecoveryMerge, SeqnumKeyAndValue) {
  proto::Bytes key = db_seqnum_key();
  EXPECT_EQ(key.size(), 23u);
  EXPECT_EQ(key.back(), 0);
  EXPECT_EQ(std::string(key.begin(), key.end() - 1), "__db_sequence_number__");

  EXPECT_EQ(seqnum_from_value({1, 0, 0, 0, 0, 0, 0, 0}), 1u);
  EXPECT_EQ(seqnum_from_value({0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}),
            0x0102030405060708ULL);
  EXPECT_EQ(seqnum_from_value({}), 0u);
  EXPECT_EQ(seqnum_from_value({1, 2, 3, 4}), 0u);
  EXPECT_EQ(seqnum_from_value(proto::Bytes(9, 1)), 0u);
}

TEST(ClusterRecoveryMerge, NewcomersBringOnlyTheRecordsTheyAreDmasterOf) {
  // Node 3 was cut off during the last recovery. Its copy of "gone" is what it kept when it
  // handed the record to node 0, which has since deleted it (vacuumed: no copy left); its copy
  // of "moved" names node 0 too, whose own copy is newer. Its copy of "own" names itself: it
  // counts as any copy would.
  RecoveryDb db(kDb, kRecmaster);
  db.drop_leftovers_from({3});
  ASSERT_EQ(db.add(pulled({{"moved", hdr(20, 0), "new"}, {"own", hdr(4, 0), "old-own"}}), 0),
            RecoveryDb::AddResult::kOk);
  ASSERT_EQ(db.add(pulled({{"gone", hdr(7, 0), "stale"},
                           {"moved", hdr(30, 0), "stale-but-higher"},
                           {"own", hdr(9, 3), "own9"}}),
                   3),
            RecoveryDb::AddResult::kOk);
  EXPECT_FALSE(db.find(b("gone")).has_value());
  EXPECT_EQ(value_of(db, "moved"), "new");
  EXPECT_EQ(value_of(db, "own"), "own9");
  // Another node's leftovers (and copies of unknown origin) still merge by RSN, as 4.17: a
  // record handed on just as the recovery froze it lives only in such a copy.
  ASSERT_EQ(db.add(pulled({{"gone", hdr(6, 0), "in-flight"}}), 2), RecoveryDb::AddResult::kOk);
  ASSERT_EQ(db.add(pulled({{"other", hdr(1, 4), "x"}})), RecoveryDb::AddResult::kOk);
  EXPECT_EQ(value_of(db, "gone"), "in-flight");
  EXPECT_EQ(value_of(db, "other"), "x");
}

TEST(ClusterRecoveryMerge, ManyKeysAcrossBuffersAndIndexGrowth) {
  // Enough keys that the index grows several times while records are merged; every key keeps
  // the copy with the highest RSN whichever buffer brought it, and each is pushed once.
  constexpr int kKeys = 20000;
  RecoveryDb db(kDb, kRecmaster);
  for (int node = 0; node < 3; node++) {
    std::vector<Rec> recs;
    for (int i = 0; i < kKeys; i++) {
      // Node (i % 3) holds the newest copy of key i.
      uint64_t rsn = node == i % 3 ? 100 : static_cast<uint64_t>(node + 1);
      recs.push_back({"key-" + std::to_string(i), hdr(rsn, static_cast<uint32_t>(node) + 2),
                      "n" + std::to_string(node) + "-" + std::to_string(i)});
      if (recs.size() == 1000) {
        ASSERT_EQ(db.add(pulled(recs), static_cast<uint32_t>(node) + 2),
                  RecoveryDb::AddResult::kOk);
        recs.clear();
      }
    }
  }
  EXPECT_EQ(db.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; i += 997) {
    EXPECT_EQ(value_of(db, "key-" + std::to_string(i)),
              "n" + std::to_string(i % 3) + "-" + std::to_string(i));
  }
  EXPECT_FALSE(db.find(b("key-" + std::to_string(kKeys))).has_value());
  auto push = decode_push(db.push_buffers(false, 64 * 1024));
  ASSERT_EQ(push.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(push["key-4"].value, "n1-4");
  EXPECT_EQ(push["key-4"].header.rsn, 100u);
  EXPECT_EQ(push["key-4"].header.dmaster, kRecmaster);
}

}  // namespace
}  // namespace ctdb::daemon::cluster
