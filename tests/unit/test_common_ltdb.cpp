// Ltdb on real tdb files: db_id values from a stock 4.17 daemon, header
// layout on disk (checked with tdbdump), transactions, traverse, chain locks.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/logging.h"
#include "common/ltdb.h"
#include "test_common_helpers.h"

namespace ctdb {
namespace {

Bytes b(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(Ltdb, DbIdMatchesStockDaemon) {
  // `ctdb attach NAME; ctdb getdbmap` against a stock 4.17.12 ctdbd.
  EXPECT_EQ(db_id_for_name("smbXsrv_open_global.tdb"), 0x66f71b8cu);
  EXPECT_EQ(db_id_for_name("secrets.tdb"), 0x7132c184u);
  EXPECT_EQ(db_id_for_name("locking.tdb"), 0x7a19d84du);
  EXPECT_EQ(db_id_for_name("brlock.tdb"), 0x4e66c2b2u);
  EXPECT_EQ(db_id_for_name("secretsp.tdb"), 0x6cc3ef13u);
  // The NUL is part of the hashed name.
  EXPECT_NE(db_id_for_name("secrets.tdb"), ctdb_hash(b("secrets.tdb")));
}

TEST(Ltdb, FileNameAndFlags) {
  EXPECT_EQ(ltdb_file_name("locking.tdb", 0), "locking.tdb.0");
  EXPECT_EQ(ltdb_file_name("secrets.tdb", 12), "secrets.tdb.12");
  // A stock node logs "Attached to database ... with flags 0x1c41" for
  // volatile and 0x400 for persistent databases.
  int with_mutex = tdb_runtime_check_for_robust_mutexes() ? 0x1000 : 0;
  EXPECT_EQ(ltdb_tdb_flags(0, true), 0xc41 | with_mutex);
  EXPECT_EQ(ltdb_tdb_flags(0, false), 0xc41);
  EXPECT_EQ(ltdb_tdb_flags(DB_FLAGS_PERSISTENT, true), 0x400);
  EXPECT_EQ(ltdb_tdb_flags(DB_FLAGS_REPLICATED, true), 0xc41);
}

std::unique_ptr<Ltdb> open_db(const std::string& path, int flags, int hash_size = 1000) {
  Ltdb::OpenOptions o;
  o.hash_size = hash_size;
  o.tdb_flags = flags;
  std::string err;
  auto db = Ltdb::open(path, o, &err);
  EXPECT_TRUE(db) << err;
  return db;
}

TEST(Ltdb, OpenFailureNamesPathAndTdbLogsToOurLogger) {
  std::vector<std::string> logged;
  logging::to_callback([&](int, std::string_view m) { logged.emplace_back(m); });
  std::string err;
  Ltdb::OpenOptions o;
  EXPECT_FALSE(Ltdb::open("/nonexistent-dir/x.tdb.0", o, &err));
  logging::to_stderr();
  EXPECT_EQ(err, "/nonexistent-dir/x.tdb.0: No such file or directory");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].rfind("tdb(/nonexistent-dir/x.tdb.0): ", 0), 0u) << logged[0];
}

TEST(Ltdb, RoundTripAndOnDiskLayout) {
  unit::TempDir dir;
  std::string path = dir.file(ltdb_file_name("locking.tdb", 0));
  {
    auto db = open_db(path, ltdb_tdb_flags(0, true), 100000);
    ASSERT_TRUE(db);
    EXPECT_EQ(db->hash_size(), 100000);
    EXPECT_EQ(db->tdb_flags(), ltdb_tdb_flags(0, true));

    LtdbHeader h;
    h.rsn = 0x0102030405060708ULL;
    h.dmaster = 3;
    h.reserved1 = 0;
    h.flags = REC_FLAG_MIGRATED_WITH_DATA;
    ASSERT_TRUE(db->store(b("key1"), h, b("value1")));

    LtdbHeader got;
    Bytes data;
    ASSERT_EQ(db->fetch(b("key1"), &got, &data), LtdbStatus::kOk);
    EXPECT_EQ(got.rsn, h.rsn);
    EXPECT_EQ(got.dmaster, 3u);
    EXPECT_EQ(got.flags, REC_FLAG_MIGRATED_WITH_DATA);
    EXPECT_EQ(data, b("value1"));

    Bytes raw;
    ASSERT_EQ(db->fetch_raw(b("key1"), &raw), LtdbStatus::kOk);
    Bytes want = {8, 7, 6, 5, 4, 3, 2, 1, 3, 0,   0,   0,   0,   0,   0,
                  0, 0, 0, 1, 0, 0, 0, 0, 0, 'v', 'a', 'l', 'u', 'e', '1'};
    EXPECT_EQ(raw, want);

    // Empty data: a record that is only a header (a deleted-but-kept record).
    ASSERT_TRUE(db->store(b("empty"), LtdbHeader{}, Bytes{}));
    ASSERT_EQ(db->fetch(b("empty"), &got, &data), LtdbStatus::kOk);
    EXPECT_TRUE(data.empty());

    EXPECT_EQ(db->fetch(b("nope"), &got, &data), LtdbStatus::kNotFound);
    EXPECT_TRUE(db->exists(b("key1")));
    EXPECT_EQ(db->remove(b("key1")), LtdbStatus::kOk);
    EXPECT_FALSE(db->exists(b("key1")));
    EXPECT_EQ(db->remove(b("key1")), LtdbStatus::kNotFound);

    // A value shorter than a header is reported, not misread.
    ASSERT_TRUE(db->store_raw(b("short"), b("abc")));
    EXPECT_EQ(db->fetch(b("short"), &got, &data), LtdbStatus::kCorrupt);
  }
  // Reopening a volatile (CLEAR_IF_FIRST) database as the only opener wipes it.
  auto db = open_db(path, ltdb_tdb_flags(0, true));
  LtdbHeader got;
  Bytes data;
  EXPECT_EQ(db->fetch(b("empty"), &got, &data), LtdbStatus::kNotFound);
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(Ltdb, TdbdumpReadsOurFileLikeStock) {
  unit::TempDir dir;
  std::string path = dir.file("secretsp.tdb.0");
  auto db = open_db(path, ltdb_tdb_flags(DB_FLAGS_PERSISTENT, true));
  LtdbHeader h;
  h.rsn = 1;
  ASSERT_TRUE(db->store(b("k1"), h, b("v1")));
  // Same bytes as a stock node's `ctdb pstore secretsp.tdb k1 v1` left behind.
  EXPECT_EQ(run("tdbdump " + path + " 2>&1"),
            "{\n"
            "key(2) = \"k1\"\n"
            "data(26) = \"\\01\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00"
            "\\00\\00\\00\\00\\00\\00\\00\\00v1\"\n"
            "}\n");
}

TEST(Ltdb, TransactionsCommitCancelAndGuard) {
  unit::TempDir dir;
  auto db = open_db(dir.file("p.tdb.0"), ltdb_tdb_flags(DB_FLAGS_PERSISTENT, false));
  LtdbHeader h;
  LtdbHeader got;
  Bytes data;

  ASSERT_TRUE(db->transaction_start());
  EXPECT_TRUE(db->transaction_active());
  ASSERT_TRUE(db->store(b("a"), h, b("1")));
  ASSERT_TRUE(db->transaction_commit());
  EXPECT_FALSE(db->transaction_active());
  EXPECT_EQ(db->fetch(b("a"), &got, &data), LtdbStatus::kOk);

  ASSERT_TRUE(db->transaction_start());
  ASSERT_TRUE(db->store(b("b"), h, b("2")));
  ASSERT_TRUE(db->transaction_cancel());
  EXPECT_EQ(db->fetch(b("b"), &got, &data), LtdbStatus::kNotFound);

  {
    LtdbTransaction t(db.get());
    ASSERT_TRUE(t.started());
    ASSERT_TRUE(db->store(b("c"), h, b("3")));
    // No commit: the guard cancels.
  }
  EXPECT_FALSE(db->transaction_active());
  EXPECT_EQ(db->fetch(b("c"), &got, &data), LtdbStatus::kNotFound);
  {
    LtdbTransaction t(db.get());
    ASSERT_TRUE(db->store(b("d"), h, b("4")));
    EXPECT_TRUE(t.commit());
  }
  EXPECT_EQ(db->fetch(b("d"), &got, &data), LtdbStatus::kOk);
  // TDB_DISALLOW_NESTING: a second start inside a transaction fails.
  ASSERT_TRUE(db->transaction_start());
  EXPECT_FALSE(db->transaction_start());
  EXPECT_TRUE(db->transaction_cancel());
}

TEST(Ltdb, TraverseSkipsHeaderlessValues) {
  unit::TempDir dir;
  auto db = open_db(dir.file("t.tdb.0"), ltdb_tdb_flags(0, false));
  for (int i = 0; i < 20; i++) {
    LtdbHeader h;
    h.rsn = static_cast<uint64_t>(i);
    ASSERT_TRUE(db->store(b("k" + std::to_string(i)), h, b("v" + std::to_string(i))));
  }
  ASSERT_TRUE(db->store_raw(b("junk"), b("xy")));
  uint64_t rsn_sum = 0;
  int n = db->traverse(
      [&](const Bytes& key, const LtdbHeader& h, const Bytes& data) {
        EXPECT_EQ(std::string(key.begin() + 1, key.end()),
                  std::string(data.begin() + 1, data.end()));
        EXPECT_EQ(std::to_string(h.rsn), std::string(key.begin() + 1, key.end()));
        rsn_sum += h.rsn;
        return true;
      },
      true, nullptr);
  EXPECT_EQ(n, 20);
  EXPECT_EQ(rsn_sum, 190u);
  size_t skipped = 0;
  int seen = 0;
  n = db->traverse([&](const Bytes&, const LtdbHeader&, const Bytes&) { return ++seen < 5; }, false,
                   &skipped);
  EXPECT_EQ(n, 5);  // stopped early
  // Deleting inside a read-write traverse is allowed.
  n = db->traverse([&](const Bytes& key, const LtdbHeader&,
                       const Bytes&) { return db->remove(key) == LtdbStatus::kOk; },
                   false, &skipped);
  EXPECT_EQ(n, 20);
  EXPECT_EQ(skipped, 1u);
  EXPECT_EQ(db->traverse([](const Bytes&, const LtdbHeader&, const Bytes&) { return true; }), 0);
}

TEST(Ltdb, WipeAll) {
  unit::TempDir dir;
  auto db = open_db(dir.file("w.tdb.0"), ltdb_tdb_flags(0, false));
  ASSERT_TRUE(db->store(b("a"), LtdbHeader{}, b("1")));
  ASSERT_TRUE(db->wipe_all());
  EXPECT_FALSE(db->exists(b("a")));
}

// Reads one byte from fd, waiting at most 10 s.
char read_byte(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return '?';
  char c = '?';
  if (read(fd, &c, 1) != 1) return '?';
  return c;
}

void write_byte(int fd, char c) { ASSERT_EQ(write(fd, &c, 1), 1); }

// A child process opens the same file and takes the chain lock of "rec";
// the parent then checks non-blocking locking and the mark/unmark path the
// daemon uses with its lock helpers.
void chainlock_across_processes(int flags) {
  unit::TempDir dir;
  std::string path = dir.file("lock.tdb.0");
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  auto db = open_db(path, flags);  // the parent's open is the first one
  ASSERT_TRUE(db);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A forked child must not use the parent's tdb handle; reopen.
    if (tdb_reopen(db->raw()) != 0) _exit(2);
    char ok = db->chainlock(b("rec")) ? 'L' : 'E';
    if (write(to_parent[1], &ok, 1) != 1) _exit(3);
    read_byte(to_child[0]);  // wait until the parent is done
    db->chainunlock(b("rec"));
    _exit(0);
  }
  ASSERT_EQ(read_byte(to_parent[0]), 'L');
  // The child holds the lock: a non-blocking attempt must not succeed.
  EXPECT_EQ(db->chainlock_nonblock(b("rec")), LtdbStatus::kBusy);
  {
    // Marking records the child's lock here, so a store under it works
    // without waiting for a lock the child holds.
    LtdbChainLock mark(db.get(), b("rec"), LtdbChainLock::Mode::kMark);
    ASSERT_TRUE(mark.locked());
    EXPECT_TRUE(db->store(b("rec"), LtdbHeader{}, b("written under mark")));
  }
  write_byte(to_child[1], 'x');
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  {
    LtdbChainLock lock(db.get(), b("rec"), LtdbChainLock::Mode::kNonBlocking);
    EXPECT_TRUE(lock.locked());  // free again
  }
  LtdbHeader h;
  Bytes data;
  EXPECT_EQ(db->fetch(b("rec"), &h, &data), LtdbStatus::kOk);
  EXPECT_EQ(data, b("written under mark"));
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
}

TEST(Ltdb, ChainLockAcrossProcessesFcntl) { chainlock_across_processes(ltdb_tdb_flags(0, false)); }

TEST(Ltdb, ChainLockAcrossProcessesMutex) {
  // What volatile databases use on a stock node (when robust mutexes exist).
  chainlock_across_processes(ltdb_tdb_flags(0, true));
}

}  // namespace
}  // namespace ctdb
