// ctdb_fill: builds, deletes from and counts the big databases of tools/bench/bigdb.sh, speaking
// the CTDB client protocol through our client library to our daemon or to the stock one.
//
// Usage (every mode prints key=value results on stdout, diagnostics on stderr):
//   ctdb_fill volatile [--value-size=N] DB FROM TO SOCKET...
//       Writes keys FROM..TO-1 of the volatile key space into DB, one child per node. A key is
//       written on the node that is its lmaster, as a new record this node is dmaster of.
//   ctdb_fill persistent [--value-size=N] [--batch=N] DB FROM TO SOCKET
//       Writes keys FROM..TO-1 of the persistent key space with client transactions.
//   ctdb_fill count [--persistent] [--value-size=N] [--delete=N] DB TO SOCKET...
//       Counts, on every node, the records of the key space 0..TO-1 in the node's local tdb.
//   ctdb_fill vacuum [--delete=N] [--timeout=S] DB TO SOCKET...
//       Deletes N records as smbd deletes them, then watches every node's tdb (without locks)
//       until the deleted records are gone and every freelist is below RepackLimit, or nothing
//       changes for two VacuumIntervals; reports when vacuuming last changed anything and what
//       it left.
//   ctdb_fill store-floor [--value-size=N] [--nodes=N] [--before=N] TO DIR
//       No daemon: what libtdb alone needs on one node for the store side of a recovery of TO
//       volatile records (see run_store_floor). Prints seconds per step.
//   ctdb_fill generation SOCKET
//   ctdb_fill wait-recovered --generation=G [--timeout=S] SOCKET...
//       Polls until every node is in recovery mode NORMAL with one generation other than G.
//
// Why the volatile fill writes into the tdb itself: a million fetch-locks through the daemon
// take minutes. CTDB's rule is that only a record's dmaster writes it, and a record nobody holds
// yet belongs to its lmaster; 4.17's client writes a record it is dmaster of straight into the
// local tdb under the chain lock. So each node's child takes only the keys whose lmaster is its
// own node, creates the first of them through the daemon (fetch-lock, store) to learn the header
// that daemon gives a new record, and writes the others with that header under the chain lock,
// refusing any key that already exists.
//
// Exit status: 0 done, 1 failed (details on stderr), 2 usage.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "client/client.h"
#include "client/controls.h"
#include "client/database.h"
#include "client/transaction.h"
#include "common/ltdb.h"
#include "common/tunables.h"
#include "ctdb/protocol.h"
#include "pipe_io.h"

namespace ctdb::bench {
namespace {

using client::Client;
using client::Deadline;
using proto::Bytes;
using proto::LtdbHeader;
using Clock = std::chrono::steady_clock;

constexpr int kControlSeconds = 60;  // any single control or attach
constexpr int kChildSeconds = 900;   // a child that runs longer than this is killed

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

TDB_DATA as_tdb(const Bytes& b) { return TDB_DATA{const_cast<uint8_t*>(b.data()), b.size()}; }

struct Options {
  std::string mode;
  std::string db;
  size_t from = 0;
  size_t to = 0;
  size_t value_size = 100;
  size_t batch = 10000;
  size_t deletes = 0;  // records the vacuum mode deletes (and count classifies as deleted)
  size_t nodes = 3;    // store-floor: the file holds `before` records before the recovery,
  size_t before = 0;   // by default TO / nodes
  int timeout = 120;
  bool persistent = false;
  uint32_t generation = 0;
  bool have_generation = false;
  std::vector<std::string> sockets;
};

// ---------------------------------------------------------------------------------------------
// The key space: key i is PREFIX + an 8-digit candidate number. Candidates whose ctdb_hash an
// earlier key already has are skipped: 4.17 keeps one delete-queue entry per 32-bit hash and
// drops the second key of a pair until a full vacuum run (every VacuumFastPathCount runs), so
// with a million keys (~100 colliding pairs) the vacuum figure would measure that rule instead
// of the vacuuming. How many candidates were skipped is reported.
class KeySpace {
 public:
  KeySpace(std::string prefix, size_t count) : prefix_(std::move(prefix)) {
    std::unordered_set<uint32_t> hashes;
    hashes.reserve(count * 2);
    candidates_.reserve(count);
    for (uint32_t c = 0; candidates_.size() < count; c++) {
      if (hashes.insert(ctdb_hash(name(c))).second) candidates_.push_back(c);
    }
    index_.assign(candidates_.empty() ? 0 : candidates_.back() + 1, -1);
    for (size_t i = 0; i < candidates_.size(); i++)
      index_[candidates_[i]] = static_cast<int64_t>(i);
  }

  size_t size() const { return candidates_.size(); }
  size_t skipped() const { return index_.size() - candidates_.size(); }
  Bytes key(size_t i) const { return name(candidates_[i]); }

  // The index of `key` in the space, or -1 when it is not one of its keys.
  int64_t index_of(const uint8_t* key, size_t len) const {
    if (len != prefix_.size() + kDigits || memcmp(key, prefix_.data(), prefix_.size()) != 0) {
      return -1;
    }
    uint64_t c = 0;
    for (size_t i = prefix_.size(); i < len; i++) {
      if (key[i] < '0' || key[i] > '9') return -1;
      c = c * 10 + (key[i] - '0');
    }
    return c < index_.size() ? index_[c] : -1;
  }

 private:
  static constexpr size_t kDigits = 8;
  Bytes name(uint32_t candidate) const {
    char digits[16];
    snprintf(digits, sizeof(digits), "%08" PRIu32, candidate);
    Bytes k(prefix_.begin(), prefix_.end());
    k.insert(k.end(), digits, digits + kDigits);
    return k;
  }

  std::string prefix_;
  std::vector<uint32_t> candidates_;
  std::vector<int64_t> index_;  // candidate number -> key index, -1 for skipped candidates
};

const char kVolatilePrefix[] = "bigdb-v-";
const char kPersistentPrefix[] = "bigdb-p-";

// The value of key i: "value-I:" then filler up to `size` bytes, so that a count can tell a
// record that holds what was written from a damaged one.
Bytes make_value(size_t i, size_t size) {
  std::string s = "value-" + std::to_string(i) + ":";
  Bytes v(s.begin(), s.end());
  for (size_t j = v.size(); j < size; j++) v.push_back(static_cast<uint8_t>('a' + j % 26));
  return v;
}

bool value_ok(size_t i, const uint8_t* p, size_t n, size_t size) {
  std::string s = "value-" + std::to_string(i) + ":";
  return n == std::max(size, s.size()) && memcmp(p, s.data(), s.size()) == 0;
}

// Which keys the vacuum mode deletes: `deletes` keys spread evenly over 0..total-1 (with
// total = 2 * deletes, every odd key), so that they fall on every node and every hash chain.
class DeleteSet {
 public:
  DeleteSet(size_t total, size_t deletes)
      : stride_(deletes == 0 ? 0 : std::max<size_t>(1, total / deletes)), deletes_(deletes) {}
  bool contains(size_t i) const {
    return stride_ != 0 && i % stride_ == stride_ - 1 && i / stride_ < deletes_;
  }
  size_t size() const { return deletes_; }
  // The i-th deleted key's index.
  size_t at(size_t n) const { return n * stride_ + stride_ - 1; }

 private:
  size_t stride_;
  size_t deletes_;
};

// ---------------------------------------------------------------------------------------------
// One child process per node. Each reports a fixed-size record through a pipe.

struct NodeResult {
  int32_t status = 0;  // 0 ok, else an errno-style code
  uint32_t pnn = UNKNOWN_PNN;
  uint64_t written = 0;  // volatile: records created; vacuum: records deleted
  uint64_t skipped = 0;  // keys another node handles
  double seconds = 0;
};

using NodeFn = std::function<int(size_t index, NodeResult* out)>;

// Runs fn in one child per socket at once; fills results (by socket index). Returns 0 when every
// child reported status 0.
int for_each_node(const Options& opt, const NodeFn& fn, std::vector<NodeResult>* results) {
  struct Child {
    pid_t pid = -1;
    int fd = -1;
  };
  std::vector<Child> kids(opt.sockets.size());
  fflush(stdout);
  fflush(stderr);
  int rc = 0;
  for (size_t i = 0; i < kids.size(); i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      perror("pipe");
      rc = 1;
      break;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      alarm(kChildSeconds);
      NodeResult res;
      res.status = fn(i, &res);
      _exit(write_all(p[1], &res, sizeof(res)) ? 0 : 1);
    }
    close(p[1]);
    kids[i] = {pid, p[0]};
    if (pid < 0) {
      perror("fork");
      rc = 1;
      break;
    }
  }
  results->assign(kids.size(), NodeResult{});
  for (size_t i = 0; i < kids.size(); i++) {
    if (kids[i].fd >= 0) {
      if (!read_all(kids[i].fd, &(*results)[i], sizeof(NodeResult))) {
        fprintf(stderr, "node %zu: the child died without reporting\n", i);
        (*results)[i].status = EPIPE;
      }
      close(kids[i].fd);
    }
    if (kids[i].pid > 0) waitpid(kids[i].pid, nullptr, 0);
    if ((*results)[i].status != 0) rc = 1;
  }
  return rc;
}

int connect_and_attach(const Options& opt, size_t index, uint8_t flags, std::unique_ptr<Client>* c,
                       std::unique_ptr<client::Database>* db) {
  int err = Client::connect(opt.sockets[index], c);
  if (err != 0) {
    fprintf(stderr, "node %zu: connect %s: %s\n", index, opt.sockets[index].c_str(), strerror(err));
    return err;
  }
  err = client::Database::attach(**c, Deadline::after_seconds(kControlSeconds), opt.db, flags, db);
  if (err != 0) fprintf(stderr, "node %zu: attach %s failed: %d\n", index, opt.db.c_str(), err);
  return err;
}

// ---------------------------------------------------------------------------------------------
// volatile

int fill_volatile_node(const Options& opt, const KeySpace& ks, size_t index, NodeResult* out) {
  const Clock::time_point t0 = Clock::now();
  std::unique_ptr<Client> c;
  std::unique_ptr<client::Database> db;
  int err = connect_and_attach(opt, index, 0, &c, &db);
  if (err != 0) return err;
  const uint32_t pnn = c->pnn();
  out->pnn = pnn;
  proto::VnnMap vnnmap;
  err = client::ctrl_getvnnmap(*c, pnn, Deadline::after_seconds(kControlSeconds), &vnnmap);
  if (err != 0) return err;
  tdb_context* tdb = db->tdb();
  LtdbHeader header;
  Bytes header_bytes;
  for (size_t i = opt.from; i < opt.to; i++) {
    const Bytes key = ks.key(i);
    if (lmaster_of(vnnmap, key) != pnn) {
      out->skipped++;
      continue;
    }
    const Bytes value = make_value(i, opt.value_size);
    if (header_bytes.empty()) {
      // The first key goes through the daemon, as any client's first write would.
      std::unique_ptr<client::RecordLock> lock;
      err = client::RecordLock::fetch(*c, *db, key, false, &lock);
      if (err == 0 && !lock->value().empty()) err = EEXIST;
      if (err == 0) err = lock->store(value);
      if (err != 0) {
        fprintf(stderr, "pnn %u: fetch-lock and store of the first key failed: %d\n", pnn, err);
        return err;
      }
      header = lock->header();
      if (header.dmaster != pnn) {
        fprintf(stderr, "pnn %u: the daemon made pnn %u dmaster of a new key\n", pnn,
                header.dmaster);
        return EPROTO;
      }
      fprintf(stderr,
              "# pnn %u: header of a new record as the daemon creates it: rsn=%" PRIu64
              " dmaster=%u flags=0x%x\n",
              pnn, header.rsn, header.dmaster, header.flags);
      header_bytes = proto::to_bytes(header);
      out->written++;
      continue;
    }
    TDB_DATA parts[2] = {as_tdb(header_bytes), as_tdb(value)};
    if (tdb_chainlock(tdb, as_tdb(key)) != 0) {
      fprintf(stderr, "pnn %u: tdb_chainlock: %s\n", pnn, tdb_errorstr(tdb));
      return EIO;
    }
    // TDB_INSERT: a key that exists already is an error, never overwritten.
    int rc = tdb_storev(tdb, as_tdb(key), parts, 2, TDB_INSERT);
    if (rc != 0) fprintf(stderr, "pnn %u: tdb_storev key %zu: %s\n", pnn, i, tdb_errorstr(tdb));
    tdb_chainunlock(tdb, as_tdb(key));
    if (rc != 0) return EIO;
    out->written++;
  }
  // A recovery in between could have moved lmasters: say so rather than leave records astray.
  proto::VnnMap after;
  err = client::ctrl_getvnnmap(*c, pnn, Deadline::after_seconds(kControlSeconds), &after);
  if (err != 0) return err;
  if (after.generation != vnnmap.generation || after.map != vnnmap.map) {
    fprintf(stderr, "pnn %u: the vnnmap changed during the fill (generation %u -> %u)\n", pnn,
            vnnmap.generation, after.generation);
    return ESTALE;
  }
  out->seconds = seconds_since(t0);
  return 0;
}

int run_volatile(const Options& opt) {
  const Clock::time_point t0 = Clock::now();
  KeySpace ks(kVolatilePrefix, opt.to);
  std::vector<NodeResult> res;
  int rc = for_each_node(
      opt, [&](size_t i, NodeResult* out) { return fill_volatile_node(opt, ks, i, out); }, &res);
  uint64_t total = 0;
  for (const NodeResult& r : res) {
    fprintf(stderr, "# volatile fill pnn %u: %" PRIu64 " records in %.2f s\n", r.pnn, r.written,
            r.seconds);
    total += r.written;
  }
  if (rc == 0 && total != opt.to - opt.from) {
    fprintf(stderr, "volatile fill: %" PRIu64 " records written, %zu expected\n", total,
            opt.to - opt.from);
    rc = 1;
  }
  const double secs = seconds_since(t0);
  if (rc == 0) {
    printf("volatile written=%" PRIu64 " seconds=%.3f rate=%.0f hash_skipped=%zu\n", total, secs,
           total / secs, ks.skipped());
  }
  return rc;
}

// ---------------------------------------------------------------------------------------------
// persistent

int run_persistent(const Options& opt) {
  const Clock::time_point t0 = Clock::now();
  KeySpace ks(kPersistentPrefix, opt.to);
  std::unique_ptr<Client> c;
  std::unique_ptr<client::Database> db;
  int err = connect_and_attach(opt, 0, DB_FLAGS_PERSISTENT, &c, &db);
  if (err != 0) return 1;
  size_t commits = 0;
  double longest = 0;
  for (size_t start = opt.from; start < opt.to; start += opt.batch) {
    const Clock::time_point tc = Clock::now();
    std::unique_ptr<client::Transaction> t;
    err = client::Transaction::start(*c, Deadline::after_seconds(kControlSeconds), *db, false, &t);
    if (err != 0) {
      fprintf(stderr, "persistent fill: transaction start failed: %d\n", err);
      return 1;
    }
    const size_t end = std::min(opt.to, start + opt.batch);
    for (size_t i = start; i < end && err == 0; i++) {
      err = t->store(ks.key(i), make_value(i, opt.value_size));
    }
    if (err == 0) err = t->commit();
    if (err != 0) {
      fprintf(stderr, "persistent fill: records %zu..%zu: transaction failed: %d\n", start, end,
              err);
      return 1;
    }
    commits++;
    longest = std::max(longest, seconds_since(tc));
  }
  const double secs = seconds_since(t0);
  printf("persistent written=%zu commits=%zu seconds=%.3f rate=%.0f longest_commit=%.3f\n",
         opt.to - opt.from, commits, secs, (opt.to - opt.from) / secs, longest);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Reading a node's tdb without locks. Counting takes no chain lock, because a chain a reader
// holds when the daemon's vacuuming tries it non-blocking makes 4.17 skip that record until a
// full vacuum run: a sampler with locks would change what it measures. The file is opened
// read-only with TDB_NOLOCK and without TDB_CLEAR_IF_FIRST (which, without locks, would wipe
// it). A tdb never shrinks, so the mapping stays valid; a read during a commit may be torn,
// which the vacuum watch guards against (see Watch).

struct LocalTdb {
  ~LocalTdb() {
    if (tdb != nullptr) tdb_close(tdb);
  }
  uint32_t pnn = UNKNOWN_PNN;
  std::string path;
  tdb_context* tdb = nullptr;
};

// Asks node `index` where its copy of opt.db is and how the daemon opens it.
int local_db_path(const Options& opt, size_t index, uint32_t* pnn, std::string* path,
                  int32_t* tdb_flags) {
  std::unique_ptr<Client> c;
  int err = Client::connect(opt.sockets[index], &c);
  if (err != 0) {
    fprintf(stderr, "node %zu: connect %s: %s\n", index, opt.sockets[index].c_str(), strerror(err));
    return err;
  }
  *pnn = c->pnn();
  const uint32_t db_id = db_id_for_name(opt.db);
  const Deadline d = Deadline::after_seconds(kControlSeconds);
  err = client::ctrl_getdbpath(*c, c->pnn(), d, db_id, path);
  if (err == 0) err = client::ctrl_db_open_flags(*c, c->pnn(), d, db_id, tdb_flags);
  if (err != 0) fprintf(stderr, "pnn %u: database %s not found: %d\n", *pnn, opt.db.c_str(), err);
  return err;
}

int open_local_tdb(const Options& opt, size_t index, std::unique_ptr<LocalTdb>* out) {
  auto local = std::make_unique<LocalTdb>();
  int32_t tdb_flags = 0;
  int err = local_db_path(opt, index, &local->pnn, &local->path, &tdb_flags);
  if (err != 0) return err;
  tdb_flags &= ~(TDB_CLEAR_IF_FIRST | TDB_MUTEX_LOCKING);
  local->tdb = tdb_open(local->path.c_str(), 0, tdb_flags | TDB_NOLOCK, O_RDONLY, 0);
  if (local->tdb == nullptr) {
    fprintf(stderr, "pnn %u: tdb_open %s: %s\n", local->pnn, local->path.c_str(), strerror(errno));
    return EIO;
  }
  *out = std::move(local);
  return 0;
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

struct Counts {
  uint64_t records = 0;          // every record in the file
  uint64_t foreign = 0;          // not a key of this key space
  uint64_t live = 0;             // our keys with a value
  uint64_t empty = 0;            // our keys stored as a header only (deleted, not vacuumed)
  uint64_t own_live = 0;         // live, and this node is the dmaster
  uint64_t bad = 0;              // our keys whose value is not what was written
  uint64_t deleted_present = 0;  // keys of the delete set still in the file, in any form
  uint64_t kept_live = 0;        // live keys outside the delete set
  uint64_t own_kept = 0;         // kept_live, and this node is the dmaster
};

struct CountState {
  const KeySpace* ks;
  const DeleteSet* del;
  const Options* opt;
  uint32_t pnn;
  Counts counts;
};

int count_record(tdb_context*, TDB_DATA key, TDB_DATA data, void* p) {
  CountState& s = *static_cast<CountState*>(p);
  s.counts.records++;
  const int64_t i = s.ks->index_of(key.dptr, key.dsize);
  if (i < 0 || data.dsize < kLtdbHeaderSize) {
    s.counts.foreign++;
    return 0;
  }
  const bool deleted = s.del->contains(static_cast<size_t>(i));
  if (deleted) s.counts.deleted_present++;
  if (data.dsize == kLtdbHeaderSize) {
    s.counts.empty++;
    return 0;
  }
  s.counts.live++;
  if (!deleted) s.counts.kept_live++;
  proto::Reader r(data.dptr, kLtdbHeaderSize);
  LtdbHeader h;
  if (proto::decode(r, &h) && h.dmaster == s.pnn) {
    s.counts.own_live++;
    if (!deleted) s.counts.own_kept++;
  }
  if (!value_ok(static_cast<size_t>(i), data.dptr + kLtdbHeaderSize, data.dsize - kLtdbHeaderSize,
                s.opt->value_size)) {
    s.counts.bad++;
  }
  return 0;
}

int run_count(const Options& opt) {
  alarm(kChildSeconds);
  KeySpace ks(opt.persistent ? kPersistentPrefix : kVolatilePrefix, opt.to);
  DeleteSet del(opt.to, opt.deletes);
  int rc = 0;
  for (size_t n = 0; n < opt.sockets.size(); n++) {
    std::unique_ptr<LocalTdb> local;
    if (open_local_tdb(opt, n, &local) != 0) {
      rc = 1;
      continue;
    }
    CountState s{&ks, &del, &opt, local->pnn, {}};
    const Clock::time_point t0 = Clock::now();
    if (tdb_traverse_read(local->tdb, count_record, &s) < 0) {
      fprintf(stderr, "pnn %u: traverse of %s failed: %s\n", local->pnn, local->path.c_str(),
              tdb_errorstr(local->tdb));
      rc = 1;
      continue;
    }
    const Counts& k = s.counts;
    printf("pnn=%u records=%" PRIu64 " live=%" PRIu64 " empty=%" PRIu64 " own_live=%" PRIu64
           " bad=%" PRIu64 " deleted_present=%" PRIu64 " kept_live=%" PRIu64 " own_kept=%" PRIu64
           " foreign=%" PRIu64 " freelist=%d bytes=%" PRId64 " seconds=%.3f\n",
           local->pnn, k.records, k.live, k.empty, k.own_live, k.bad, k.deleted_present,
           k.kept_live, k.own_kept, k.foreign, tdb_freelist_size(local->tdb),
           file_size(local->path), seconds_since(t0));
  }
  return rc;
}

// ---------------------------------------------------------------------------------------------
// vacuum: delete as smbd does, then watch.

// smbd's delete (dbwrap_ctdb.c db_ctdb_delete): with the record locked and this node its
// dmaster, store the header with no data, then SCHEDULE_FOR_DELETION to the local daemon with
// CTRL_FLAG_NOREPLY, then unlock. Keys this node is not dmaster of are another child's.
int delete_node(const Options& opt, const KeySpace& ks, const DeleteSet& del, size_t index,
                NodeResult* out) {
  const Clock::time_point t0 = Clock::now();
  std::unique_ptr<Client> c;
  std::unique_ptr<client::Database> db;
  int err = connect_and_attach(opt, index, 0, &c, &db);
  if (err != 0) return err;
  const uint32_t pnn = c->pnn();
  out->pnn = pnn;
  tdb_context* tdb = db->tdb();
  for (size_t n = 0; n < del.size(); n++) {
    const Bytes key = ks.key(del.at(n));
    if (tdb_chainlock(tdb, as_tdb(key)) != 0) {
      fprintf(stderr, "pnn %u: tdb_chainlock: %s\n", pnn, tdb_errorstr(tdb));
      return EIO;
    }
    TDB_DATA rec = tdb_fetch(tdb, as_tdb(key));
    LtdbHeader h;
    bool mine = false;
    if (rec.dptr != nullptr && rec.dsize > kLtdbHeaderSize) {
      proto::Reader r(rec.dptr, kLtdbHeaderSize);
      mine = proto::decode(r, &h) && h.dmaster == pnn &&
             !(h.flags & (REC_RO_HAVE_DELEGATIONS | REC_RO_HAVE_READONLY));
    }
    free(rec.dptr);
    if (mine) {
      const Bytes hb = proto::to_bytes(h);
      if (tdb_store(tdb, as_tdb(key), as_tdb(hb), TDB_REPLACE) != 0) {
        fprintf(stderr, "pnn %u: tdb_store: %s\n", pnn, tdb_errorstr(tdb));
        tdb_chainunlock(tdb, as_tdb(key));
        return EIO;
      }
      proto::KeyData kd;
      kd.db_id = db->db_id();
      kd.header = h;
      kd.key = key;
      client::ControlReply reply;
      err = c->control(pnn, CONTROL_SCHEDULE_FOR_DELETION, proto::to_bytes(kd),
                       Deadline::after_seconds(kControlSeconds), &reply, CTRL_FLAG_NOREPLY);
      if (err != 0) {
        fprintf(stderr, "pnn %u: SCHEDULE_FOR_DELETION: %s\n", pnn, strerror(err));
        tdb_chainunlock(tdb, as_tdb(key));
        return err;
      }
      out->written++;
    } else {
      out->skipped++;
    }
    tdb_chainunlock(tdb, as_tdb(key));
  }
  // The daemon handles a client's packets in order: once it answers this, it has taken every
  // SCHEDULE_FOR_DELETION sent before.
  int clients = 0;
  err = client::ctrl_ping(*c, pnn, Deadline::after_seconds(kControlSeconds), &clients);
  out->seconds = seconds_since(t0);
  return err;
}

// Samples every node's tdb (no locks) after the deletes: which deleted keys are still in the
// file, the freelist length and the file size. A fixed sample of 2000 deleted keys gives the
// share still present at little cost; the full list of deleted keys not yet seen gone is walked
// completely only once that share is down to 1 %, and otherwise only until a few hundred still
// present ones are found, so a sample stays cheap while vacuuming has not started. A few hundred
// kept keys per node are looked up in every sample: if any is missing, a commit in progress tore
// the read and the node's sample is discarded.
class Watch {
 public:
  struct Node {
    std::unique_ptr<LocalTdb> local;
    std::vector<uint32_t> present;  // deleted keys (indices) not yet seen gone
    bool exact = false;             // `present` was checked key by key in the last sample
    double probe_percent = 100;     // share of the probes still present
    uint64_t probe_signature = 0;   // changes whenever a probe's header or size changes
    std::vector<Bytes> sentinels;   // kept keys that must always be found
    std::vector<Bytes> probes;      // a fixed sample of deleted keys
    int64_t bytes_before = 0;
    int64_t bytes = 0;
    int freelist = 0;
  };

  Watch(const KeySpace& ks, const DeleteSet& del) : ks_(ks), del_(del) {}

  // Starts watching a node: every deleted key counts as present until a sample finds it gone.
  void add(std::unique_ptr<LocalTdb> local, int64_t bytes_before) {
    Node n;
    n.local = std::move(local);
    for (size_t d = 0; d < del_.size(); d++) n.present.push_back(static_cast<uint32_t>(del_.at(d)));
    const size_t probe_step = std::max<size_t>(1, del_.size() / kProbes);
    for (size_t d = 0; d < del_.size(); d += probe_step) n.probes.push_back(ks_.key(del_.at(d)));
    const size_t step = std::max<size_t>(1, ks_.size() / kSentinels);
    for (size_t i = 0; i < ks_.size() && n.sentinels.size() < kSentinels; i += step) {
      Bytes k = ks_.key(i);
      if (!del_.contains(i) && tdb_exists(n.local->tdb, as_tdb(k))) {
        n.sentinels.push_back(std::move(k));
      }
    }
    n.bytes_before = bytes_before;
    n.bytes = file_size(n.local->path);
    n.freelist = tdb_freelist_size(n.local->tdb);
    nodes_.push_back(std::move(n));
  }

  // Samples node n; false when the read was torn (the node is left as it was). `full` forces
  // a key-by-key check of every deleted key not yet seen gone.
  bool sample(Node& n, bool full) {
    tdb_context* tdb = n.local->tdb;
    size_t in = 0;
    uint64_t signature = 0;
    for (const Bytes& k : n.probes) {
      uint64_t h = 0;
      if (tdb_parse_record(tdb, as_tdb(k), header_hash, &h) == 0) in++;
      signature = signature * 1000003 + h;
    }
    const double percent = n.probes.empty() ? 0 : 100.0 * in / n.probes.size();
    full = full || percent <= 1.0;
    std::vector<uint32_t> still;
    size_t seen = 0;
    for (uint32_t i : n.present) {
      if (!full && seen >= kEnoughPresent) {
        still.push_back(i);
      } else if (tdb_exists(tdb, as_tdb(ks_.key(i)))) {
        still.push_back(i);
        seen++;
      }
    }
    for (const Bytes& k : n.sentinels) {
      if (!tdb_exists(tdb, as_tdb(k))) return false;
    }
    n.present.swap(still);
    n.exact = full;
    n.probe_percent = percent;
    n.probe_signature = signature;
    n.freelist = tdb_freelist_size(tdb);
    n.bytes = file_size(n.local->path);
    return true;
  }

  std::vector<Node>& nodes() { return nodes_; }

  // Looks at every deleted key again from scratch (a key seen gone may come back: 4.17's
  // vacuum migration recreates a record on its lmaster); false when the read was torn.
  bool recount(Node& n) {
    std::vector<uint32_t> all;
    for (size_t d = 0; d < del_.size(); d++) all.push_back(static_cast<uint32_t>(del_.at(d)));
    std::vector<uint32_t> saved;
    saved.swap(n.present);
    n.present.swap(all);
    if (sample(n, true)) return true;
    n.present.swap(saved);
    return false;
  }

 private:
  // A record's ltdb header (RSN, dmaster, flags) and size folded into *(uint64_t*)p: a
  // migration or a deletion changes it, so vacuuming that is under way is seen before records
  // go away.
  static int header_hash(TDB_DATA, TDB_DATA data, void* p) {
    uint64_t h = data.dsize + 1;
    for (size_t i = 0; i < std::min<size_t>(data.dsize, kLtdbHeaderSize); i++) {
      h = h * 131 + data.dptr[i];
    }
    *static_cast<uint64_t*>(p) = h;
    return 0;
  }

  static constexpr size_t kSentinels = 500;
  static constexpr size_t kProbes = 2000;
  static constexpr size_t kEnoughPresent = 200;
  const KeySpace& ks_;
  const DeleteSet& del_;
  std::vector<Node> nodes_;
};

int run_vacuum(const Options& opt) {
  // The watch reads files other processes change without locks: a walk that a torn read sent
  // round in circles must not hang the benchmark.
  alarm(static_cast<unsigned>(opt.timeout + kChildSeconds));
  KeySpace ks(kVolatilePrefix, opt.to);
  DeleteSet del(opt.to, opt.deletes);
  if (opt.deletes == 0 || opt.deletes > opt.to) {
    fprintf(stderr, "vacuum: --delete must be 1..TO\n");
    return 2;
  }
  uint32_t repack_limit = 0, vacuum_interval = 10;
  {
    std::unique_ptr<Client> c;
    int err = Client::connect(opt.sockets[0], &c);
    if (err == 0) {
      err = client::ctrl_get_tunable(*c, c->pnn(), Deadline::after_seconds(kControlSeconds),
                                     "RepackLimit", &repack_limit);
    }
    if (err == 0) {
      err = client::ctrl_get_tunable(*c, c->pnn(), Deadline::after_seconds(kControlSeconds),
                                     "VacuumInterval", &vacuum_interval);
    }
    if (err != 0) {
      fprintf(stderr, "vacuum: cannot read RepackLimit and VacuumInterval: %d\n", err);
      return 1;
    }
  }
  std::vector<int64_t> sizes_before;
  for (size_t n = 0; n < opt.sockets.size(); n++) {
    uint32_t pnn = 0;
    std::string path;
    int32_t flags = 0;
    if (local_db_path(opt, n, &pnn, &path, &flags) != 0) return 1;
    sizes_before.push_back(file_size(path));
  }
  const Clock::time_point t0 = Clock::now();
  std::vector<NodeResult> res;
  int rc = for_each_node(
      opt, [&](size_t i, NodeResult* out) { return delete_node(opt, ks, del, i, out); }, &res);
  uint64_t deleted = 0;
  for (const NodeResult& r : res) {
    fprintf(stderr, "# delete pnn %u: %" PRIu64 " records deleted in %.2f s\n", r.pnn, r.written,
            r.seconds);
    deleted += r.written;
  }
  if (rc != 0) return 1;
  if (deleted != del.size()) {
    fprintf(stderr,
            "vacuum: %" PRIu64 " records deleted, %zu expected (a key without a dmaster?)\n",
            deleted, del.size());
    return 1;
  }
  const Clock::time_point end_of_deletes = Clock::now();
  const double delete_secs = std::chrono::duration<double>(end_of_deletes - t0).count();
  // Opened only now: libtdb refuses a second open of a file in one process, and the children
  // that deleted had to attach the same files.
  Watch watch(ks, del);
  for (size_t n = 0; n < opt.sockets.size(); n++) {
    std::unique_ptr<LocalTdb> local;
    if (open_local_tdb(opt, n, &local) != 0) return 1;
    watch.add(std::move(local), sizes_before[n]);
  }
  fprintf(stderr,
          "# watching: deleted keys still in the file (of a sample) / samples in which a sampled "
          "record changed / freelist entries / bytes (RepackLimit %u)\n",
          repack_limit);

  // Vacuuming is done when every deleted record is gone from every node and every freelist is
  // below RepackLimit, or, as 4.17's fast runs may leave records for a full run much later,
  // when nothing has changed for two vacuum intervals and 5 s: no deleted record gone, no probe
  // record's header changed, no freelist changed. A record whose lmaster is another node goes
  // in two steps (VACUUM_FETCH to the lmaster, deleted by the lmaster's run after next), and
  // both daemons showed nothing in between for up to two intervals. The figure is the time of
  // the last change; what is left is reported.
  const double quiet = 2.0 * vacuum_interval + 5.0;
  const size_t allowed = del.size() / 1000;
  double last_change = -1, gone_999 = -1, gone_all = -1, done = -1, last_size_change = 0;
  double last_note = -10;
  int torn = 0;
  bool zero_once = false;
  std::vector<int64_t> last_bytes;
  std::vector<int> last_freelist;
  std::vector<size_t> last_present;
  std::vector<uint64_t> last_signature;
  std::vector<int> header_changes(watch.nodes().size(), 0);
  for (const Watch::Node& n : watch.nodes()) {
    last_bytes.push_back(n.bytes);
    last_freelist.push_back(n.freelist);
    last_present.push_back(n.present.size());
    last_signature.push_back(n.probe_signature);
  }
  for (;;) {
    const double t = seconds_since(end_of_deletes);
    if (t > opt.timeout) break;
    bool whole = true, exact = true, small_freelists = true, changed = false;
    size_t present = 0, most = 0;
    std::string line;
    for (size_t k = 0; k < watch.nodes().size(); k++) {
      Watch::Node& n = watch.nodes()[k];
      if (!watch.sample(n, false)) {
        torn++;
        whole = false;
        break;
      }
      exact = exact && n.exact;
      present += n.present.size();
      most = std::max(most, n.present.size());
      if (repack_limit != 0 && n.freelist >= static_cast<int>(repack_limit)) {
        small_freelists = false;
      }
      if (n.present.size() != last_present[k] || n.probe_signature != last_signature[k] ||
          n.freelist != last_freelist[k]) {
        changed = true;
      }
      if (n.probe_signature != last_signature[k]) header_changes[k]++;
      last_present[k] = n.present.size();
      last_signature[k] = n.probe_signature;
      last_freelist[k] = n.freelist;
      if (n.bytes != last_bytes[k]) {
        last_bytes[k] = n.bytes;
        last_size_change = t;
      }
      char pct[32];
      snprintf(pct, sizeof(pct), "%.1f%%", n.probe_percent);
      line += " pnn" + std::to_string(n.local->pnn) + "=" + pct + "/" +
              std::to_string(header_changes[k]) + "/" + std::to_string(n.freelist) + "/" +
              std::to_string(n.bytes);
    }
    if (whole) {
      if (changed) last_change = t;
      if (t - last_note >= 2) {
        fprintf(stderr, "#   t=%.1f s:%s\n", t, line.c_str());
        last_note = t;
      }
      if (exact && most <= allowed && gone_999 < 0) {
        gone_999 = t;
        fprintf(stderr, "#   t=%.2f s: at most 0.1 %% of the deleted records left on any node\n",
                t);
      }
      // Gone only when two samples in a row agree (one may have been torn unnoticed) and a
      // look at every deleted key confirms it.
      if (exact && present == 0 && gone_all < 0) {
        if (zero_once) {
          size_t again = 0;
          for (Watch::Node& n : watch.nodes()) {
            again += watch.recount(n) ? n.present.size() : 1;
          }
          if (again == 0) {
            gone_all = t;
            fprintf(stderr, "#   t=%.2f s: every deleted record is gone from every node\n", t);
          }
        }
        zero_once = true;
      } else {
        zero_once = false;
      }
      if (gone_all >= 0 && small_freelists) {
        done = last_change;
        fprintf(stderr, "#   t=%.2f s: every freelist below RepackLimit:%s\n", t, line.c_str());
        break;
      }
      if (last_change >= 0 && t - last_change >= quiet) {
        done = last_change;
        fprintf(stderr, "#   t=%.2f s: nothing changed for %.0f s:%s\n", t, quiet, line.c_str());
        break;
      }
    }
    usleep(200 * 1000);
  }
  // What is left, key by key.
  std::string sizes, left_by_node;
  size_t left = 0;
  for (Watch::Node& n : watch.nodes()) {
    for (int tries = 0; tries < 5 && !watch.recount(n); tries++) usleep(100 * 1000);
    left += n.present.size();
    left_by_node += ",pnn" + std::to_string(n.local->pnn) + "=" + std::to_string(n.present.size());
    sizes += ",pnn" + std::to_string(n.local->pnn) + "=" + std::to_string(n.bytes_before) + "->" +
             std::to_string(n.bytes);
  }
  printf(
      "vacuum deleted=%zu delete_seconds=%.3f seconds=%.3f gone_999=%.3f gone_all=%.3f "
      "left=%zu left_by_node=%s last_size_change=%.3f torn_samples=%d hash_skipped=%zu "
      "sizes=%s\n",
      del.size(), delete_secs, done, gone_999, gone_all, left, left_by_node.c_str() + 1,
      last_size_change, torn, ks.skipped(), sizes.c_str() + 1);
  return done >= 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// store-floor: the least CPU a node can spend storing a recovery's records with libtdb, which
// every 4.17-compatible daemon must use (smbd opens the same files). A node of a volatile
// database receives every merged record and, inside one transaction, wipes its file, stores each
// record (tdb_storev, header + value, as the daemons store them) and commits. Here that runs
// alone in a scratch file made as the daemon makes one (DatabaseHashSize's default, the daemon's
// tdb flags), first filled with the records the node holds before the recovery (--before: what
// an earlier recovery left plus its share of the new ones; TO / nodes when none ran). The size
// of that old content matters: the transaction saves every page it overwrites in the file's
// recovery area before the commit. No messages, no merge, no daemon: a recovery cannot take less
// than this on each node.
int run_store_floor(const Options& opt) {
  const Tunables defaults;
  std::string path = opt.sockets[0] + "/store_floor.tdb";
  unlink(path.c_str());
  Ltdb::OpenOptions oo;
  oo.hash_size = static_cast<int>(defaults[kDatabaseHashSize]);
  oo.tdb_flags = ltdb_tdb_flags(0, true);
  oo.max_dead = static_cast<int>(defaults[kDatabaseMaxDead]);
  std::string err;
  std::unique_ptr<Ltdb> db = Ltdb::open(path, oo, &err);
  if (!db) {
    fprintf(stderr, "store-floor: %s\n", err.c_str());
    return 1;
  }
  KeySpace ks(kVolatilePrefix, opt.to);
  LtdbHeader h;
  h.dmaster = 0;
  h.rsn = 1;
  auto t0 = Clock::now();
  bool ok = true;
  size_t before = opt.before != 0 ? std::min(opt.before, opt.to) : opt.to / opt.nodes;
  // Keys spread over the whole space, as a node's own keys are.
  for (size_t k = 0; ok && k < before; k++) {
    size_t i = k * opt.to / before;
    ok = db->store(ks.key(i), h, make_value(i, opt.value_size));
  }
  double fill = seconds_since(t0);
  // The keys and values are made before the clock starts: a daemon gets them in its buffers.
  std::vector<Bytes> keys, values;
  keys.reserve(opt.to);
  values.reserve(opt.to);
  for (size_t i = 0; i < opt.to; i++) {
    keys.push_back(ks.key(i));
    values.push_back(make_value(i, opt.value_size));
  }
  h.rsn = 2;
  auto t1 = Clock::now();
  ok = ok && db->transaction_start() && db->wipe_all();
  auto t2 = Clock::now();
  for (size_t i = 0; ok && i < opt.to; i++) ok = db->store(keys[i], h, values[i]);
  auto t3 = Clock::now();
  ok = ok && db->transaction_commit();
  auto t4 = Clock::now();
  db.reset();
  unlink(path.c_str());
  if (!ok) {
    fprintf(stderr, "store-floor: libtdb failed in %s\n", path.c_str());
    return 1;
  }
  auto secs = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  printf(
      "store_floor records=%zu before=%zu nodes=%zu fill_s=%.3f wipe_s=%.3f store_s=%.3f "
      "commit_s=%.3f "
      "per_node_s=%.3f\n",
      opt.to, before, opt.nodes, fill, secs(t1, t2), secs(t2, t3), secs(t3, t4), secs(t1, t4));
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Recovery helpers.

int run_generation(const Options& opt) {
  std::unique_ptr<Client> c;
  int err = Client::connect(opt.sockets[0], &c);
  proto::VnnMap m;
  if (err == 0) err = client::ctrl_getvnnmap(*c, c->pnn(), Deadline::after_seconds(10), &m);
  if (err != 0) return 1;
  printf("%u\n", m.generation);
  return 0;
}

// Polls every node (GET_RECMODE, GETVNNMAP, every 20 ms) until all are NORMAL with the same
// generation, other than --generation. A node that does not answer within a second counts as
// not recovered yet. Also reports each node's slowest answer: a daemon busy with a recovery in
// its event loop answers late.
int run_wait_recovered(const Options& opt) {
  const Clock::time_point t0 = Clock::now();
  std::vector<std::unique_ptr<Client>> clients(opt.sockets.size());
  for (size_t i = 0; i < clients.size(); i++) {
    int err = Client::connect(opt.sockets[i], &clients[i]);
    if (err != 0) {
      fprintf(stderr, "wait-recovered: connect %s: %s\n", opt.sockets[i].c_str(), strerror(err));
      return 1;
    }
  }
  std::vector<double> slowest(clients.size(), 0);
  std::vector<int> timeouts(clients.size(), 0);
  auto report = [&](const char* what) {
    std::string s;
    for (size_t i = 0; i < clients.size(); i++) {
      char b[64];
      snprintf(b, sizeof(b), ",pnn%u=%.0f/%d", clients[i]->pnn(), slowest[i] * 1000, timeouts[i]);
      s += b;
    }
    printf("%s seconds=%.3f slowest_answer_ms/timeouts=%s\n", what, seconds_since(t0),
           s.c_str() + 1);
  };
  while (seconds_since(t0) < opt.timeout) {
    bool done = true;
    uint32_t gen = 0;
    for (size_t i = 0; i < clients.size(); i++) {
      Client& c = *clients[i];
      const Deadline d = Deadline::after_seconds(1);
      const Clock::time_point tc = Clock::now();
      int mode = -1;
      proto::VnnMap m;
      int err = client::ctrl_get_recmode(c, c.pnn(), d, &mode);
      if (err == 0) err = client::ctrl_getvnnmap(c, c.pnn(), d, &m);
      slowest[i] = std::max(slowest[i], seconds_since(tc));
      if (err == ETIMEDOUT) timeouts[i]++;
      if (err != 0 || mode != RECOVERY_NORMAL || m.generation == opt.generation ||
          (i > 0 && m.generation != gen)) {
        done = false;
      }
      gen = m.generation;
    }
    if (done) {
      report(("recovered generation=" + std::to_string(gen)).c_str());
      return 0;
    }
    usleep(20 * 1000);
  }
  report("not_recovered");
  fprintf(stderr, "wait-recovered: not recovered within %d s\n", opt.timeout);
  return 1;
}

// ---------------------------------------------------------------------------------------------

void usage(FILE* f) {
  fprintf(f,
          "Usage: ctdb_fill volatile [--value-size=N] DB FROM TO SOCKET...\n"
          "       ctdb_fill persistent [--value-size=N] [--batch=N] DB FROM TO SOCKET\n"
          "       ctdb_fill count [--persistent] [--value-size=N] [--delete=N] DB TO SOCKET...\n"
          "       ctdb_fill vacuum [--delete=N] [--timeout=S] [--value-size=N] DB TO SOCKET...\n"
          "       ctdb_fill store-floor [--value-size=N] [--nodes=N] [--before=N] TO DIR\n"
          "       ctdb_fill generation SOCKET\n"
          "       ctdb_fill wait-recovered --generation=G [--timeout=S] SOCKET...\n");
}

bool parse_size(const std::string& s, size_t* out) {
  char* e = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s.c_str(), &e, 10);
  if (errno != 0 || e == s.c_str() || *e != '\0' || v > (1ull << 31)) return false;
  *out = static_cast<size_t>(v);
  return true;
}

// Parses "--name=value" into *out; true when `a` is that option (sets *bad on a bad value).
bool option(const std::string& a, const char* name, size_t* out, bool* bad) {
  std::string prefix = std::string("--") + name + "=";
  if (a.rfind(prefix, 0) != 0) return false;
  if (!parse_size(a.substr(prefix.size()), out)) *bad = true;
  return true;
}

}  // namespace

int fill_main(int argc, char** argv) {
  Options opt;
  std::vector<std::string> args;
  bool bad = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    size_t v = 0;
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "--persistent") {
      opt.persistent = true;
    } else if (option(a, "value-size", &opt.value_size, &bad)) {
      continue;
    } else if (option(a, "batch", &opt.batch, &bad)) {
      continue;
    } else if (option(a, "nodes", &opt.nodes, &bad)) {
      continue;
    } else if (option(a, "before", &opt.before, &bad)) {
      continue;
    } else if (option(a, "delete", &opt.deletes, &bad)) {
      continue;
    } else if (option(a, "timeout", &v, &bad)) {
      opt.timeout = static_cast<int>(v);
    } else if (option(a, "generation", &v, &bad)) {
      opt.generation = static_cast<uint32_t>(v);
      opt.have_generation = true;
    } else if (a.rfind("--", 0) == 0) {
      fprintf(stderr, "unknown option %s\n", a.c_str());
      bad = true;
    } else {
      args.push_back(a);
    }
  }
  if (bad || args.empty() || opt.batch == 0) {
    usage(stderr);
    return 2;
  }
  opt.mode = args[0];
  size_t need = 0;  // positional arguments before the sockets
  if (opt.mode == "volatile" || opt.mode == "persistent") {
    need = 4;
  } else if (opt.mode == "count" || opt.mode == "vacuum") {
    need = 3;
  } else if (opt.mode == "generation" || opt.mode == "wait-recovered") {
    need = 1;
  } else if (opt.mode == "store-floor") {
    need = 2;  // TO, then DIR where the sockets go
  } else {
    usage(stderr);
    return 2;
  }
  if (args.size() <= need || (opt.mode == "wait-recovered" && !opt.have_generation)) {
    usage(stderr);
    return 2;
  }
  if (need >= 3) opt.db = args[1];
  if (need == 4 && (!parse_size(args[2], &opt.from) || !parse_size(args[3], &opt.to))) bad = true;
  if (need == 3 && !parse_size(args[2], &opt.to)) bad = true;
  if (opt.mode == "store-floor" && (!parse_size(args[1], &opt.to) || opt.nodes == 0)) bad = true;
  if (bad || opt.from > opt.to) {
    usage(stderr);
    return 2;
  }
  opt.sockets.assign(args.begin() + need, args.end());
  signal(SIGPIPE, SIG_IGN);
  if (opt.mode == "volatile") return run_volatile(opt);
  if (opt.mode == "persistent") return run_persistent(opt);
  if (opt.mode == "count") return run_count(opt);
  if (opt.mode == "vacuum") return run_vacuum(opt);
  if (opt.mode == "generation") return run_generation(opt);
  if (opt.mode == "store-floor") return run_store_floor(opt);
  return run_wait_recovered(opt);
}

}  // namespace ctdb::bench

int main(int argc, char** argv) { return ctdb::bench::fill_main(argc, argv); }
