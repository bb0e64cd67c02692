// Database sequence numbers as smbd relies on them (src/daemon/db/seqnum_sync): a client that
// opens the file with the flags DB_OPEN_FLAGS reports moves the counter with every store, the
// periodic check announces a moved counter once, and a change announced by another node moves
// this node's counter without being announced back. Real tdb files, a real reactor.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <tdb.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "daemon/db/db_registry.h"
#include "daemon/db/seqnum_sync.h"
#include "daemon/event_loop.h"
#include "test_common_helpers.h"

namespace ctdb::daemon {
namespace {

// A second handle on the database file, opened the way smbd's dbwrap_ctdb opens it. libtdb
// refuses a second open of one file in one process, so each operation runs in a child process,
// as smbd is one; the child first drops the handle it inherited (libtdb's list of open files
// survives fork), which leaves the parent's handle and locks as they are.
class ClientHandle {
 public:
  ClientHandle(const Database& db, int flags)
      : path_(db.ltdb->path()), flags_(flags), inherited_(db.ltdb->raw()) {}
  bool ok() {
    return run([](tdb_context*) { return 0; }) == 0;
  }
  bool store(const std::string& key, const std::string& value) {
    return run([&](tdb_context* tdb) {
             TDB_DATA k{reinterpret_cast<unsigned char*>(const_cast<char*>(key.data())),
                        key.size()};
             TDB_DATA v{reinterpret_cast<unsigned char*>(const_cast<char*>(value.data())),
                        value.size()};
             return tdb_store(tdb, k, v, TDB_REPLACE);
           }) == 0;
  }
  int seqnum() {
    return run([](tdb_context* tdb) { return tdb_get_seqnum(tdb); });
  }

 private:
  // What `op` returns in a child that opened the file; -1000 if it could not.
  int run(const std::function<int(tdb_context*)>& op) {
    int fds[2];
    if (pipe(fds) != 0) return -1000;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      tdb_close(inherited_);
      tdb_context* tdb = tdb_open(path_.c_str(), 0, flags_, O_RDWR, 0);
      int result = tdb == nullptr ? -1000 : op(tdb);
      if (tdb != nullptr) tdb_close(tdb);
      ssize_t n = write(fds[1], &result, sizeof(result));
      _exit(n == sizeof(result) ? 0 : 1);
    }
    close(fds[1]);
    int result = -1000;
    if (pid < 0 || read(fds[0], &result, sizeof(result)) != sizeof(result)) result = -1000;
    close(fds[0]);
    if (pid > 0) waitpid(pid, nullptr, 0);
    return result;
  }

  std::string path_;
  int flags_;
  tdb_context* inherited_;
};

class SeqnumSyncTest : public ::testing::Test {
 protected:
  SeqnumSyncTest() : reg_(dir_.path(), dir_.path(), dir_.path(), 0) {
    std::string err;
    db_ = reg_.attach("brlock.tdb", 0, 1000, 5, &err);
    EXPECT_NE(db_, nullptr) << err;
    SeqnumSync::Host host;
    host.interval_ms = [this] { return interval_ms_; };
    host.broadcast_update = [this](uint32_t db_id) {
      announced_.push_back(db_id);
      if (stop_after_announce_) loop_.stop();
    };
    sync_ = std::make_unique<SeqnumSync>(loop_, reg_, std::move(host));
  }

  unit::TempDir dir_;
  DbRegistry reg_;
  Database* db_ = nullptr;
  EventLoop loop_;
  uint32_t interval_ms_ = 10;
  bool stop_after_announce_ = true;
  std::vector<uint32_t> announced_;
  std::unique_ptr<SeqnumSync> sync_;
};

TEST_F(SeqnumSyncTest, OpenFlagsCarrySeqnumOnlyOnceEnabled) {
  EXPECT_EQ(db_->open_flags() & TDB_SEQNUM, 0);
  sync_->enable(*db_);
  EXPECT_EQ(db_->open_flags() & TDB_SEQNUM, TDB_SEQNUM);
  // Everything else is what the daemon opened the file with.
  EXPECT_EQ(db_->open_flags() & ~TDB_SEQNUM, db_->tdb_flags);
}

// The defect smbtorture's smb2.lock.rw-shared showed: smbd took its open flags from
// DB_OPEN_FLAGS, which lacked TDB_SEQNUM, so its lock changes never moved the counter and its
// cached lock list was never re-read.
TEST_F(SeqnumSyncTest, ClientStoresMoveTheCounterWithTheReportedFlags) {
  sync_->enable(*db_);
  ClientHandle smbd(*db_, db_->open_flags());
  ASSERT_TRUE(smbd.ok());
  int before = smbd.seqnum();
  ASSERT_TRUE(smbd.store("file-id", "a lock"));
  EXPECT_EQ(smbd.seqnum(), before + 1);
  ASSERT_TRUE(smbd.store("file-id", "no lock"));
  EXPECT_EQ(smbd.seqnum(), before + 2);
  // The daemon's own handle reads the same counter from the file header.
  EXPECT_EQ(db_->ltdb->seqnum(), before + 2);
  // Without TDB_SEQNUM (what the daemon reported before) nothing moves.
  ClientHandle blind(*db_, db_->tdb_flags);
  ASSERT_TRUE(blind.ok());
  ASSERT_TRUE(blind.store("file-id", "unseen"));
  EXPECT_EQ(smbd.seqnum(), before + 2);
}

TEST_F(SeqnumSyncTest, AMovedCounterIsAnnouncedOncePerCheck) {
  sync_->enable(*db_);
  ClientHandle smbd(*db_, db_->open_flags());
  ASSERT_TRUE(smbd.ok());
  sync_->check();
  EXPECT_TRUE(announced_.empty()) << "nothing changed since ENABLE_SEQNUM";
  ASSERT_TRUE(smbd.store("k", "1"));
  ASSERT_TRUE(smbd.store("k", "2"));
  sync_->check();
  EXPECT_EQ(announced_, std::vector<uint32_t>{db_->db_id});
  sync_->check();
  EXPECT_EQ(announced_.size(), 1u) << "announced again without a change";
}

TEST_F(SeqnumSyncTest, TheTimerAnnouncesAChange) {
  sync_->enable(*db_);
  ClientHandle smbd(*db_, db_->open_flags());
  ASSERT_TRUE(smbd.ok());
  ASSERT_TRUE(smbd.store("k", "v"));
  Timer deadline(loop_, [this] { loop_.stop(); });
  deadline.start(10.0);
  loop_.run();
  EXPECT_EQ(announced_, std::vector<uint32_t>{db_->db_id});
}

TEST_F(SeqnumSyncTest, APeerChangeMovesTheCounterAndIsNotEchoed) {
  sync_->enable(*db_);
  ClientHandle smbd(*db_, db_->open_flags());
  ASSERT_TRUE(smbd.ok());
  int before = smbd.seqnum();
  ASSERT_TRUE(sync_->peer_changed(db_->db_id));
  EXPECT_EQ(smbd.seqnum(), before + 1) << "smbd's cache must see another node's change";
  sync_->check();
  EXPECT_TRUE(announced_.empty()) << "a change learnt from a peer went back out";
  EXPECT_FALSE(sync_->peer_changed(0x12345678)) << "unknown database";
}

TEST_F(SeqnumSyncTest, APeerChangeDoesNotMoveACounterNeverEnabled) {
  // As libtdb (and so 4.17) does: UPDATE_SEQNUM for a database without ENABLE_SEQNUM here.
  int before = db_->ltdb->seqnum();
  EXPECT_TRUE(sync_->peer_changed(db_->db_id));
  EXPECT_EQ(db_->ltdb->seqnum(), before);
}

TEST_F(SeqnumSyncTest, ADetachedDatabaseIsForgotten) {
  sync_->enable(*db_);
  {
    ClientHandle smbd(*db_, db_->open_flags());
    ASSERT_TRUE(smbd.store("k", "v"));
  }
  uint32_t id = db_->db_id;
  ASSERT_TRUE(reg_.detach(id));
  sync_->check();
  EXPECT_TRUE(announced_.empty());
  EXPECT_FALSE(sync_->peer_changed(id));
}

}  // namespace
}  // namespace ctdb::daemon
