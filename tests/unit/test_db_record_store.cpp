// The daemon's record rules on real tdb files (src/daemon/db/record_store):
// initial headers, which stores keep or delete a record, and RSN bumps, as
// 4.17's ctdb_ltdb_store_server and ctdb_call_local apply them.
#include <gtest/gtest.h>

#include <string>

#include "ctdb/protocol.h"
#include "daemon/db/db_registry.h"
#include "daemon/db/record_store.h"
#include "test_common_helpers.h"

namespace ctdb::daemon {
namespace {

Bytes b(const std::string& s) { return Bytes(s.begin(), s.end()); }

class RecordStoreTest : public ::testing::Test {
 protected:
  // This node is pnn 1; the test's key has lmaster 0 unless a test says so.
  RecordStoreTest() : reg_(dir_.path(), dir_.path(), dir_.path(), 1) {
    std::string err;
    vol_ = reg_.attach("vol.tdb", 0, 1000, 5, &err);
    per_ = reg_.attach("per.tdb", DB_FLAGS_PERSISTENT, 1000, 5, &err);
    EXPECT_NE(vol_, nullptr) << err;
    EXPECT_NE(per_, nullptr) << err;
  }
  bool on_disk(Database* db, const Bytes& key, LtdbHeader* h = nullptr, Bytes* v = nullptr) {
    LtdbHeader hh;
    Bytes vv;
    return db->ltdb->fetch(key, h ? h : &hh, v ? v : &vv) == LtdbStatus::kOk;
  }

  unit::TempDir dir_;
  DbRegistry reg_;
  Database* vol_ = nullptr;
  Database* per_ = nullptr;
  std::string err_;
};

TEST_F(RecordStoreTest, MissingRecordGetsInitialHeaderStoredOnlyOnItsLmaster) {
  LtdbHeader h;
  Bytes v = b("junk");
  // Not the lmaster: the initial header names the lmaster, nothing is stored.
  ASSERT_TRUE(fetch_record(*vol_, b("k"), {1, 0}, &h, &v, &err_)) << err_;
  EXPECT_EQ(h.dmaster, 0u);
  EXPECT_EQ(h.rsn, 0u);
  EXPECT_EQ(h.flags, REC_FLAG_AUTOMATIC);
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(on_disk(vol_, b("k")));
  // The lmaster creates the record as its dmaster: stored with RSN 1, and the
  // AUTOMATIC flag never reaches the file.
  ASSERT_TRUE(fetch_record(*vol_, b("k"), {1, 1}, &h, &v, &err_)) << err_;
  LtdbHeader disk;
  ASSERT_TRUE(on_disk(vol_, b("k"), &disk));
  EXPECT_EQ(disk.dmaster, 1u);
  EXPECT_EQ(disk.rsn, 1u);
  EXPECT_EQ(disk.flags, 0u);
  EXPECT_EQ(h.rsn, 1u);
}

TEST_F(RecordStoreTest, PersistentMissingRecordIsStoredWithoutRsnBump) {
  LtdbHeader h;
  Bytes v;
  ASSERT_TRUE(fetch_record(*per_, b("p"), {1, 0}, &h, &v, &err_)) << err_;
  LtdbHeader disk;
  ASSERT_TRUE(on_disk(per_, b("p"), &disk));
  EXPECT_EQ(disk.dmaster, 0u);
  EXPECT_EQ(disk.rsn, 0u);
}

TEST_F(RecordStoreTest, DmasterBumpsRsnOnEveryStoreOthersDoNot) {
  LtdbHeader h;
  h.dmaster = 1;
  h.rsn = 10;
  ASSERT_TRUE(store_record(*vol_, b("k"), &h, b("v"), {1, 0}, &err_));
  EXPECT_EQ(h.rsn, 11u);
  h.dmaster = 2;  // migrated away with data: kept, as a pointer to the new dmaster
  ASSERT_TRUE(store_record(*vol_, b("k"), &h, b("v"), {1, 0}, &err_));
  LtdbHeader disk;
  ASSERT_TRUE(on_disk(vol_, b("k"), &disk));
  EXPECT_EQ(disk.rsn, 11u);
  EXPECT_EQ(disk.dmaster, 2u);
}

TEST_F(RecordStoreTest, EmptyRecordMigratingAwayIsDeletedUnlessLmasterOrMigratedWithData) {
  LtdbHeader h;
  h.dmaster = 1;
  h.rsn = 4;
  ASSERT_TRUE(store_record(*vol_, b("e"), &h, {}, {1, 0}, &err_));
  ASSERT_TRUE(on_disk(vol_, b("e")));
  // Handing the empty record to node 2 from a node that is not its lmaster.
  h.dmaster = 2;
  ASSERT_TRUE(store_record(*vol_, b("e"), &h, {}, {1, 0}, &err_));
  EXPECT_FALSE(on_disk(vol_, b("e")));
  // Once it carried data, the empty record stays (MIGRATED_WITH_DATA).
  h.flags = REC_FLAG_MIGRATED_WITH_DATA;
  ASSERT_TRUE(store_record(*vol_, b("e"), &h, {}, {1, 0}, &err_));
  EXPECT_TRUE(on_disk(vol_, b("e")));
  // The lmaster keeps empty records it does not master.
  LtdbHeader l;
  l.dmaster = 2;
  ASSERT_TRUE(store_record(*vol_, b("l"), &l, {}, {1, 1}, &err_));
  EXPECT_TRUE(on_disk(vol_, b("l")));
}

TEST_F(RecordStoreTest, VacuumMigratedEmptyRecordOnItsLmasterIsDeleted) {
  LtdbHeader h;
  h.dmaster = 1;
  h.rsn = 7;
  ASSERT_TRUE(store_record(*vol_, b("v"), &h, {}, {1, 1}, &err_));
  ASSERT_TRUE(on_disk(vol_, b("v")));
  h.flags = REC_FLAG_VACUUM_MIGRATED;
  ASSERT_TRUE(store_record(*vol_, b("v"), &h, {}, {1, 1}, &err_));
  EXPECT_FALSE(on_disk(vol_, b("v")));
}

TEST_F(RecordStoreTest, CallsReturnDataOrHeaderAsSeenBeforeTheWriteBack) {
  LtdbHeader h;
  h.dmaster = 1;
  h.rsn = 2;
  ASSERT_TRUE(store_record(*vol_, b("c"), &h, b("abc"), {1, 0}, &err_));  // rsn 3
  proto::ReplyCall r;
  LtdbHeader now;
  Bytes v;
  ASSERT_TRUE(fetch_record(*vol_, b("c"), {1, 0}, &now, &v, &err_));
  ASSERT_TRUE(call_local(*vol_, FETCH_FUNC, b("c"), &now, v, {1, 0}, &r, &err_));
  EXPECT_EQ(r.data, b("abc"));
  ASSERT_TRUE(fetch_record(*vol_, b("c"), {1, 0}, &now, &v, &err_));
  EXPECT_EQ(now.rsn, 4u);
  ASSERT_TRUE(call_local(*vol_, FETCH_WITH_HEADER_FUNC, b("c"), &now, v, {1, 0}, &r, &err_));
  ASSERT_EQ(r.data.size(), kLtdbHeaderSize + 3);
  proto::Reader rd(r.data);
  LtdbHeader got;
  ASSERT_TRUE(proto::decode(rd, &got));
  EXPECT_EQ(got.rsn, 4u);  // before this call's own write-back
  EXPECT_EQ(got.dmaster, 1u);
  ASSERT_TRUE(call_local(*vol_, NULL_FUNC, b("c"), &now, v, {1, 0}, &r, &err_));
  EXPECT_TRUE(r.data.empty());
  LtdbHeader disk;
  ASSERT_TRUE(on_disk(vol_, b("c"), &disk));
  EXPECT_EQ(disk.rsn, 6u);
  EXPECT_FALSE(call_local(*vol_, 0x1234, b("c"), &now, v, {1, 0}, &r, &err_));
  EXPECT_NE(err_.find("unknown call id"), std::string::npos);
}

// A persistent commit (UPDATE_RECORD): a newer RSN is stored, the same commit sent again is
// accepted as already there, and a commit read from an older copy is refused even when its
// bytes match (two increments of one counter from the same stale value).
TEST_F(RecordStoreTest, PersistentCommitsNeverReplaceANewerCopy) {
  auto commit = [this](uint64_t rsn, uint32_t dmaster, const std::string& value) {
    LtdbHeader h;
    h.rsn = rsn;
    h.dmaster = dmaster;
    proto::RecBuffer recs;
    recs.db_id = per_->db_id;
    recs.add(0, &h, b("counter"), b(value));
    return reg_.apply_persistent(recs, &err_);
  };
  LtdbHeader disk;
  Bytes v;
  ASSERT_TRUE(commit(5, 0, "5")) << err_;
  ASSERT_TRUE(commit(5, 0, "5")) << err_;  // its client sending it again
  EXPECT_FALSE(commit(5, 2, "5"));         // another node's commit from the same old copy
  EXPECT_NE(err_.find("newer RSN"), std::string::npos) << err_;
  EXPECT_FALSE(commit(4, 0, "5"));  // an older RSN, whatever the bytes
  EXPECT_FALSE(commit(5, 0, "6"));
  ASSERT_TRUE(on_disk(per_, b("counter"), &disk, &v));
  EXPECT_EQ(disk.rsn, 5u);
  EXPECT_EQ(disk.dmaster, 0u);
  EXPECT_EQ(v, b("5"));
  ASSERT_TRUE(commit(6, 2, "6")) << err_;
  ASSERT_TRUE(on_disk(per_, b("counter"), &disk, &v));
  EXPECT_EQ(disk.rsn, 6u);
  EXPECT_EQ(disk.dmaster, 2u);
  EXPECT_EQ(v, b("6"));
}

}  // namespace
}  // namespace ctdb::daemon
