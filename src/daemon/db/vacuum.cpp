// Vacuuming runs and the vacuuming controls' work on this node (see vacuum.h): the scheduler,
// the run's phases in the reactor, and the forked children that scan and repack a tdb.
#include "daemon/db/vacuum.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <tdb.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "common/ltdb.h"
#include "daemon/child_process.h"
#include "daemon/cluster_host.h"
#include "daemon/db/call_engine.h"
#include "daemon/db/db_registry.h"

// libtdb exports its lock primitive (4.17's ctdbd declares it the same way): with it a delete
// takes the freelist lock without waiting, so the reactor never queues behind smbd there.
extern "C" {
int tdb_lock_nonblock(struct tdb_context* tdb, int list, int ltype);
int tdb_unlock(struct tdb_context* tdb, int list, int ltype);
}

namespace ctdb::daemon {
namespace {

using proto::Bytes;
using proto::LtdbHeader;

// How often the scheduler looks for databases whose interval is over; also how soon a run
// notices a recovery or its time limit. 4.17 retries a colliding run after 0.5 s too.
constexpr double kTickInterval = 0.5;
// Records one reactor turn handles in a phase, so that clients and nodes are served between
// two batches of a big queue.
constexpr size_t kBatch = 256;
// What the reactor reads from a child per wakeup.
constexpr size_t kReadChunk = 64 * 1024;
// A key longer than this in the child's stream means the stream is broken.
constexpr size_t kMaxKey = 16 * 1024 * 1024;
// Replies to VACUUM_FETCH and TRY_DELETE_RECORDS.
constexpr double kVacuumControlTimeout = 30;

timeval now() {
  timeval t;
  gettimeofday(&t, nullptr);
  return t;
}

double seconds_between(const timeval& a, const timeval& b) {
  return (b.tv_sec - a.tv_sec) + (b.tv_usec - a.tv_usec) / 1e6;
}

// Reads a record's copy; the caller holds its chain lock.
vacuum::LocalCopy read_copy(Ltdb& ltdb, const Bytes& key) {
  vacuum::LocalCopy c;
  Bytes value;
  if (ltdb.fetch(key, &c.header, &value) == LtdbStatus::kOk) {
    c.exists = true;
    c.empty = value.empty();
  }
  return c;
}

// Deletes a record whose chain lock the caller holds, taking the freelist lock without
// waiting. False when that lock is busy or the delete failed (the record stays).
bool delete_locked(Ltdb& ltdb, const Bytes& key) {
  if (tdb_lock_nonblock(ltdb.raw(), -1, F_WRLCK) != 0) return false;
  LtdbStatus st = ltdb.remove(key);
  tdb_unlock(ltdb.raw(), -1, F_WRLCK);
  return st == LtdbStatus::kOk || st == LtdbStatus::kNotFound;
}

// ---- the child ------------------------------------------------------------------------------

struct ChildJob {
  tdb_context* tdb;
  int tdb_fd;
  int out_fd;
  uint32_t pnn;
  pid_t parent;
  bool traverse;          // full scan; otherwise freelist check and repack
  uint32_t repack_limit;  // RepackLimit (0: never repack)
};

struct Collected {
  uint32_t pnn;
  Bytes out;
};

// Empty records (a header and nothing else) this node is dmaster of, as 4.17's
// vacuum_traverse picks them; the run checks each again under its chain lock.
int collect_candidate(tdb_context*, TDB_DATA key, TDB_DATA data, void* arg) {
  auto* c = static_cast<Collected*>(arg);
  if (data.dsize != proto::kLtdbHeaderSize) return 0;
  proto::Reader r(data.dptr, data.dsize);
  LtdbHeader h;
  if (!proto::decode(r, &h) || h.dmaster != c->pnn) return 0;
  vacuum::append_candidate(&c->out, key.dptr, key.dsize, data.dptr);
  return 0;
}

void write_all(int fd, const Bytes& b) {
  size_t off = 0;
  while (off < b.size()) {
    ssize_t n = write(fd, b.data() + off, b.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // the parent is gone or gave up on us
    }
  }
}

// The vacuum child. It uses the tdb handle it inherited, as 4.17's does (fcntl locks belong
// to the process, so its locks are its own), may wait for locks, and writes its result only
// after libtdb has released every lock, so the parent never waits on it either.
[[noreturn]] void run_child(const ChildJob& job) {
  reset_child_signals();
  restore_child_scheduling();
  prctl(PR_SET_NAME, "ctdb_vacuum");  // 4.17's name for it
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != job.parent) _exit(1);
  // The daemon's sockets and other children's pipes must not live on here.
  int lo = std::min(job.tdb_fd, job.out_fd), hi = std::max(job.tdb_fd, job.out_fd);
  if (lo > 3) close_range(3, static_cast<unsigned>(lo) - 1, 0);
  if (hi > lo + 1) close_range(static_cast<unsigned>(lo) + 1, static_cast<unsigned>(hi) - 1, 0);
  close_range(static_cast<unsigned>(hi) + 1, ~0U, 0);

  Bytes out;
  if (job.traverse) {
    Collected c{job.pnn, {}};
    int n = tdb_traverse_read(job.tdb, collect_candidate, &c);
    out = std::move(c.out);
    vacuum::append_end(&out, n < 0 ? -1 : 0);
  } else {
    int32_t status = 0;
    int freelist = tdb_freelist_size(job.tdb);
    bool repack = freelist >= 0 && job.repack_limit != 0 &&
                  static_cast<uint32_t>(freelist) >= job.repack_limit;
    if (freelist < 0 || (repack && tdb_repack(job.tdb) != 0)) status = -1;
    proto::Writer w(&out);
    w.i32(status);
    w.i32(freelist);
    w.boolean(repack);
  }
  write_all(job.out_fd, out);
  // _exit: nothing of the daemon (tdb close, destructors) may run here.
  _exit(0);
}

}  // namespace

struct VacuumManager::Run {
  uint64_t serial = 0;
  uint32_t db_id = 0;
  std::string db_name;
  bool full = false;
  bool scheduled = false;  // by the scheduler (not DB_VACUUM)
  uint32_t generation = 0;
  timeval started{};
  DoneFn done;
  Phase phase = Phase::kTraverse;
  bool sent = false;    // the phase's controls or child are under way
  int outstanding = 0;  // migrations or control replies still awaited

  std::map<Bytes, LtdbHeader> queue;  // the delete queue this run works on
  std::vector<Bytes> fetch;           // the fetch queue this run works on
  size_t fetch_pos = 0;
  // VACUUM_FETCH lists by lmaster, and their entries to queue again if it is not delivered.
  std::map<uint32_t, proto::RecBuffer> fetch_lists;
  std::map<uint32_t, std::vector<std::pair<Bytes, LtdbHeader>>> fetch_entries;
  struct Listed {
    LtdbHeader header;
    bool refused = false;  // some node kept its copy
  };
  std::map<Bytes, Listed> delete_list;

  pid_t child = -1;
  int fd = -1;
  std::unique_ptr<FdWatcher> watcher;
  vacuum::CandidateStream candidates{kMaxKey};
  bool child_done = false;  // the end entry or the repack result arrived
  Bytes repack_out;

  struct {
    uint32_t scanned = 0, queued = 0, deleted = 0, skipped = 0, busy = 0, fetch_listed = 0,
             delete_listed = 0, migrations = 0, refused = 0, purged = 0;
  } count;
};

VacuumManager::VacuumManager(ClusterHost& d, DbRegistry& dbs, CallEngine& calls)
    : d_(d), dbs_(dbs), calls_(calls) {
  step_timer_ = std::make_unique<Timer>(d_.loop(), [this] { step(); });
  tick_timer_ = std::make_unique<Timer>(d_.loop(), [this] { tick(); });
  tick_timer_->start(kTickInterval, /*repeat=*/true);
}

VacuumManager::~VacuumManager() {
  if (run_ && run_->child > 0) {
    run_->watcher.reset();
    close(run_->fd);
    kill(run_->child, SIGKILL);
    waitpid(run_->child, nullptr, WNOHANG);
  }
  for (pid_t pid : zombies_) waitpid(pid, nullptr, WNOHANG);
}

// ---- controls -------------------------------------------------------------------------------

bool VacuumManager::schedule_for_deletion(const proto::KeyData& kd) {
  Database* db = dbs_.find(kd.db_id);
  if (db == nullptr) return false;
  if (db->volatile_db()) db->vacuum.delete_queue.schedule(kd.key, kd.header);
  return true;
}

bool VacuumManager::vacuum_fetch(const proto::RecBuffer& recs) {
  Database* db = dbs_.find(recs.db_id);
  if (db == nullptr) return false;
  if (!db->volatile_db()) return true;
  return recs.for_each([db](const proto::RecData& rec) {
    db->vacuum.fetch_queue.insert(rec.key);
    return true;
  });
}

bool VacuumManager::try_delete_records(const proto::RecBuffer& recs, proto::RecBuffer* kept) {
  Database* db = dbs_.find(recs.db_id);
  if (db == nullptr) return false;
  kept->db_id = db->db_id;
  kept->count = 0;
  kept->buf.clear();
  // A frozen database belongs to the recovery; 4.17's lock helper holds its locks then, so
  // its chain locks fail there too and every record is kept.
  bool blocked =
      d_.recmode() != RECOVERY_NORMAL || db->freezing() || !db->volatile_db() || !db->ltdb;
  bool bad = false;
  uint32_t deleted = 0;
  bool ok = recs.for_each([&](const proto::RecData& rec) {
    LtdbHeader sent;
    Bytes rest;
    if (!rec.split_header(&sent, &rest)) {
      bad = true;
      return false;
    }
    vacuum::TryDelete v = vacuum::TryDelete::kRefuse;
    if (!blocked) {
      LtdbChainLock lock(db->ltdb.get(), rec.key, LtdbChainLock::Mode::kNonBlocking);
      if (lock.locked()) {
        Bytes raw;
        LtdbStatus st = db->ltdb->fetch_raw(rec.key, &raw);
        bool exists = st == LtdbStatus::kOk;
        bool corrupt = exists && raw.size() < proto::kLtdbHeaderSize;
        LtdbHeader local;
        if (exists && !corrupt) {
          proto::Reader r(raw);
          proto::decode(r, &local);
        }
        if (st == LtdbStatus::kOk || st == LtdbStatus::kNotFound) {
          v = vacuum::try_delete_verdict(
              lmaster_of(d_.vnnmap(), rec.key).value_or(d_.pnn()) == d_.pnn(), rec.data.size(),
              exists, corrupt, local, sent, d_.pnn());
        }
        if (v == vacuum::TryDelete::kDelete) {
          if (delete_locked(*db->ltdb, rec.key)) {
            deleted++;
          } else {
            v = vacuum::TryDelete::kRefuse;
          }
        }
      }
    }
    if (v == vacuum::TryDelete::kRefuse) kept->add(rec);
    return true;
  });
  if (bad || !ok) {
    CTDB_LOGF(kLogError, "TRY_DELETE_RECORDS for %s: a record without a header", db->name.c_str());
    return false;
  }
  CTDB_LOGF(kLogDebug, "TRY_DELETE_RECORDS for %s: %u records, %u deleted, %u kept",
            db->name.c_str(), recs.count, deleted, kept->count);
  return true;
}

// ---- scheduling -----------------------------------------------------------------------------

void VacuumManager::tick() {
  reap_zombies();
  if (run_) {
    const char* why = nullptr;
    if (!may_continue(&why)) {
      abort_run(why);
    } else if (seconds_between(run_->started, now()) > d_.tunables()[kVacuumMaxRunTime]) {
      CTDB_LOGF(kLogError, "Vacuuming child process timed out for db %s", run_->db_name.c_str());
      abort_run("timed out");
    }
    return;
  }
  schedule_due();
}

void VacuumManager::schedule_due() {
  timeval t = now();
  uint32_t interval = d_.tunables()[kVacuumInterval];
  for (const auto& db : dbs_.all()) {
    if (!db->volatile_db()) continue;
    vacuum::DbState& st = db->vacuum;
    // First sight (the database was just attached): its first run is one interval away,
    // as 4.17's ctdb_vacuum_init schedules it.
    if (st.interval_start.tv_sec == 0) {
      st.interval_start = t;
      continue;
    }
    // The interval is read each time, so a changed VacuumInterval applies at once.
    if (seconds_between(st.interval_start, t) < interval) continue;
    uint32_t saved = st.fast_path_count;
    bool full = vacuum::full_run_due(&st.fast_path_count, d_.tunables()[kVacuumFastPathCount]);
    int err = start_run(db->db_id, full, nullptr);
    if (err == 0) return;  // one run at a time
    st.fast_path_count = saved;
    // Recovery or freeze: try again one interval later (4.17 does the same).
    st.interval_start = t;
    CTDB_LOGF(kLogInfo, "Not vacuuming %s (%s)", db->name.c_str(),
              err == EAGAIN ? "in recovery or frozen" : strerror(err));
  }
}

int VacuumManager::start_run(uint32_t db_id, bool full, DoneFn done) {
  if (run_) return EBUSY;
  Database* db = dbs_.find(db_id);
  if (db == nullptr || !db->volatile_db() || !db->ltdb) return ENOENT;
  if (d_.recmode() != RECOVERY_NORMAL || db->freezing() ||
      d_.vnnmap().generation == INVALID_GENERATION) {
    return EAGAIN;
  }
  run_ = std::make_unique<Run>();
  Run& r = *run_;
  r.serial = next_serial_++;
  r.db_id = db_id;
  r.db_name = db->name;
  r.full = full;
  r.scheduled = !done;
  r.done = std::move(done);
  r.generation = d_.vnnmap().generation;
  r.started = now();
  // Work from what is queued now; whatever is scheduled during the run waits for the next.
  r.queue = db->vacuum.delete_queue.take();
  r.fetch.assign(db->vacuum.fetch_queue.begin(), db->vacuum.fetch_queue.end());
  db->vacuum.fetch_queue.clear();
  CTDB_LOGF(kLogInfo, "%s vacuum run for db %s db_id[0x%08x]: %zu queued, %zu to fetch",
            full ? "Full" : "Fast", db->name.c_str(), db_id, r.queue.size(), r.fetch.size());
  if (full && start_child(/*traverse=*/true)) {
    r.phase = Phase::kTraverse;
    r.sent = true;
    return 0;
  }
  enter(Phase::kFetch);
  return 0;
}

// ---- the run --------------------------------------------------------------------------------

void VacuumManager::kick() {
  if (!step_timer_->pending()) step_timer_->start(0);
}

void VacuumManager::enter(Phase p) {
  run_->phase = p;
  run_->sent = false;
  kick();
}

bool VacuumManager::may_continue(const char** why) const {
  if (d_.recmode() != RECOVERY_NORMAL) {
    *why = "recovery";
    return false;
  }
  if (d_.vnnmap().generation != run_->generation) {
    *why = "new generation";
    return false;
  }
  Database* db = dbs_.find(run_->db_id);
  if (db == nullptr || !db->ltdb) {
    *why = "database detached";
    return false;
  }
  if (db->freezing()) {
    *why = "database frozen";
    return false;
  }
  return true;
}

void VacuumManager::step() {
  if (!run_) return;
  const char* why = nullptr;
  if (!may_continue(&why)) {
    abort_run(why);
    return;
  }
  Run& r = *run_;
  switch (r.phase) {
    case Phase::kTraverse:
      break;  // the child's pipe drives it
    case Phase::kFetch:
      step_fetch();
      break;
    case Phase::kWaitMigrations:
      if (r.outstanding == 0) enter(Phase::kDeleteQueue);
      break;
    case Phase::kDeleteQueue:
      step_delete_queue();
      break;
    case Phase::kVacuumFetch:
      if (!r.sent) send_vacuum_fetch();
      if (r.outstanding == 0) enter(Phase::kTryDelete);
      break;
    case Phase::kTryDelete:
      if (!r.sent) send_try_delete();
      if (r.outstanding == 0) enter(Phase::kPurge);
      break;
    case Phase::kPurge:
      step_purge();
      break;
    case Phase::kRepack:
      if (!r.sent) {
        r.sent = true;
        if (!start_child(/*traverse=*/false)) finish_run(0);
      }
      break;
  }
}

// Records other nodes sent with VACUUM_FETCH come here; the store rules put each in the delete
// queue on arrival (4.17 ctdb_process_fetch_queue), and like 4.17 the run waits for them.
void VacuumManager::step_fetch() {
  Run& r = *run_;
  Database* db = dbs_.find(r.db_id);
  for (size_t n = 0; n < kBatch && r.fetch_pos < r.fetch.size(); n++) {
    const Bytes& key = r.fetch[r.fetch_pos++];
    vacuum::LocalCopy c;
    {
      LtdbChainLock lock(db->ltdb.get(), key, LtdbChainLock::Mode::kNonBlocking);
      if (!lock.locked()) {
        db->vacuum.fetch_queue.insert(key);  // a client has it: next run
        r.count.busy++;
        continue;
      }
      c = read_copy(*db->ltdb, key);
    }
    if (!c.exists || c.header.dmaster == d_.pnn()) continue;  // gone, or already here
    r.outstanding++;
    r.count.migrations++;
    uint64_t serial = r.serial;
    std::string name = r.db_name;
    // The chain lock is dropped: the call engine takes it itself (and may answer at once).
    calls_.daemon_migrate(r.db_id, key, CALL_IMMEDIATE_MIGRATION | CALL_FLAG_VACUUM_MIGRATION,
                          [this, serial, name](int32_t status) {
                            if (status != 0) {
                              CTDB_LOGF(kLogError, "Failed to migrate record for vacuuming in %s",
                                        name.c_str());
                            }
                            if (!run_ || run_->serial != serial) return;
                            run_->outstanding--;
                            if (run_->outstanding == 0) kick();
                          });
    if (!run_ || run_->serial != serial) return;
  }
  if (r.fetch_pos < r.fetch.size()) {
    kick();
    return;
  }
  enter(Phase::kWaitMigrations);
}

void VacuumManager::step_delete_queue() {
  Run& r = *run_;
  Database* db = dbs_.find(r.db_id);
  uint32_t pnn = d_.pnn();
  for (size_t n = 0; n < kBatch && !r.queue.empty(); n++) {
    auto it = r.queue.begin();
    Bytes key = it->first;
    LtdbHeader queued = it->second;
    r.queue.erase(it);
    r.count.queued++;
    // 4.17's rule for a chain someone holds: the record is skipped and, as the run took it
    // off the queue, left to the next full run, which finds it by scanning the database.
    LtdbChainLock lock(db->ltdb.get(), key, LtdbChainLock::Mode::kNonBlocking);
    if (!lock.locked()) {
      r.count.busy++;
      continue;
    }
    vacuum::LocalCopy c = read_copy(*db->ltdb, key);
    uint32_t lmaster = lmaster_of(d_.vnnmap(), key).value_or(d_.pnn());
    switch (vacuum::classify_queued(c, queued, pnn, lmaster)) {
      case vacuum::QueuedAction::kSkip:
        r.count.skipped++;
        break;
      case vacuum::QueuedAction::kFetchList: {
        proto::RecBuffer& list = r.fetch_lists[lmaster];
        list.db_id = r.db_id;
        list.add(pnn, nullptr, key, {});  // 4.17 sends the sender's pnn as reqid, no data
        r.fetch_entries[lmaster].emplace_back(key, queued);
        r.count.fetch_listed++;
        break;
      }
      case vacuum::QueuedAction::kDeleteList:
        r.delete_list[key].header = c.header;
        r.count.delete_listed++;
        break;
      case vacuum::QueuedAction::kDeleteLocal:
        if (delete_locked(*db->ltdb, key)) {
          r.count.deleted++;
        } else {
          r.count.busy++;  // left to a full run, like a held chain
        }
        break;
    }
  }
  if (!r.queue.empty()) {
    kick();
    return;
  }
  enter(Phase::kVacuumFetch);
}

void VacuumManager::send_vacuum_fetch() {
  Run& r = *run_;
  r.sent = true;
  uint64_t serial = r.serial;
  for (const auto& [lmaster, list] : r.fetch_lists) {
    if (lmaster == d_.pnn() || list.count == 0) continue;
    CTDB_LOGF(kLogInfo, "Found %u records for lmaster %u in '%s'", list.count, lmaster,
              r.db_name.c_str());
    r.outstanding++;
    d_.send_control(
        lmaster, CONTROL_VACUUM_FETCH, 0, proto::to_bytes(list), kVacuumControlTimeout,
        [this, serial](uint32_t pnn, int32_t status, const Bytes&, const std::string& err) {
          if (!run_ || run_->serial != serial) return;
          if (status == 0) {
            run_->fetch_entries.erase(pnn);  // delivered: nothing to queue again
          } else {
            CTDB_LOGF(kLogError, "Failed to send vacuum fetch control to node %u: %s", pnn,
                      err.c_str());
          }
          run_->outstanding--;
          if (run_->outstanding == 0) kick();
        });
    if (!run_ || run_->serial != serial) return;
  }
}

// The lmaster's delete list goes to every other connected node (4.17 sends it to the active
// ones; a connected but inactive node is frozen and keeps every record, so its copies keep
// ours alive too). The lmaster drops only what every one of them dropped.
void VacuumManager::send_try_delete() {
  Run& r = *run_;
  r.sent = true;
  if (r.delete_list.empty()) return;
  proto::RecBuffer recs;
  recs.db_id = r.db_id;
  for (const auto& [key, listed] : r.delete_list) recs.add(r.db_id, &listed.header, key, {});
  Bytes payload = proto::to_bytes(recs);
  uint64_t serial = r.serial;
  std::vector<uint32_t> targets;
  for (const NodeInfo& n : d_.nodes()) {
    if (n.pnn == d_.pnn() || (n.flags & (NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED))) continue;
    targets.push_back(n.pnn);
  }
  for (uint32_t pnn : targets) {
    r.outstanding++;
    d_.send_control(
        pnn, CONTROL_TRY_DELETE_RECORDS, 0, payload, kVacuumControlTimeout,
        [this, serial](uint32_t from, int32_t status, const Bytes& data, const std::string& err) {
          if (!run_ || run_->serial != serial) return;
          Run& cur = *run_;
          proto::RecBuffer kept;
          proto::Reader rd(data);
          if (status != 0 || !proto::decode(rd, &kept)) {
            CTDB_LOGF(kLogError, "Failed to delete records on node %u: %s", from, err.c_str());
            for (auto& [key, listed] : cur.delete_list) listed.refused = true;
          } else {
            kept.for_each([&cur](const proto::RecData& rec) {
              auto it = cur.delete_list.find(rec.key);
              if (it != cur.delete_list.end()) it->second.refused = true;
              return true;
            });
          }
          cur.outstanding--;
          if (cur.outstanding == 0) kick();
        });
    if (!run_ || run_->serial != serial) return;
  }
}

void VacuumManager::step_purge() {
  Run& r = *run_;
  Database* db = dbs_.find(r.db_id);
  uint32_t pnn = d_.pnn();
  for (size_t n = 0; n < kBatch && !r.delete_list.empty(); n++) {
    auto it = r.delete_list.begin();
    Bytes key = it->first;
    Run::Listed listed = it->second;
    r.delete_list.erase(it);
    if (listed.refused) {
      // Some node kept a copy (its chain was locked, it is frozen, or it holds a newer one):
      // ours stays too, until a full run finds the record again (4.17).
      r.count.refused++;
      continue;
    }
    LtdbChainLock lock(db->ltdb.get(), key, LtdbChainLock::Mode::kNonBlocking);
    if (!lock.locked()) {
      r.count.busy++;  // held here: left to a full run (4.17)
      continue;
    }
    vacuum::LocalCopy c = read_copy(*db->ltdb, key);
    if (!vacuum::may_purge(c, listed.header, pnn,
                           lmaster_of(d_.vnnmap(), key).value_or(d_.pnn()))) {
      r.count.skipped++;
      continue;
    }
    if (delete_locked(*db->ltdb, key)) {
      r.count.purged++;
    } else {
      r.count.busy++;
    }
  }
  if (!r.delete_list.empty()) {
    kick();
    return;
  }
  enter(Phase::kRepack);
}

// ---- children -------------------------------------------------------------------------------

bool VacuumManager::start_child(bool traverse) {
  Run& r = *run_;
  Database* db = dbs_.find(r.db_id);
  ChildJob job{db->ltdb->raw(),
               db->ltdb->fd(),
               -1,
               d_.pnn(),
               getpid(),
               traverse,
               d_.tunables()[kRepackLimit]};
  int fd = -1;
  pid_t pid = fork_job_child(job, run_child, &fd);
  if (pid < 0) {
    CTDB_LOGF(kLogError, "vacuum of %s: cannot start a child: %s", r.db_name.c_str(),
              strerror(errno));
    return false;
  }
  r.child = pid;
  r.fd = fd;
  r.child_done = false;
  r.repack_out.clear();
  r.watcher = std::make_unique<FdWatcher>(d_.loop(), r.fd, [this] { on_child_readable(); });
  return true;
}

void VacuumManager::end_child(bool kill_it) {
  Run& r = *run_;
  if (r.child <= 0) return;
  r.watcher.reset();
  close(r.fd);
  r.fd = -1;
  if (kill_it) kill(r.child, SIGKILL);
  if (waitpid(r.child, nullptr, WNOHANG) != r.child) zombies_.push_back(r.child);
  r.child = -1;
}

void VacuumManager::on_child_readable() {
  if (!run_) return;
  Run& r = *run_;
  uint8_t buf[kReadChunk];
  ssize_t n = read(r.fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  bool eof = n <= 0;
  bool bad = false;
  if (n > 0) {
    if (r.phase == Phase::kTraverse) {
      r.candidates.append(buf, static_cast<size_t>(n));
      Bytes key;
      LtdbHeader header;
      int32_t status = 0;
      for (;;) {
        vacuum::CandidateStream::Next next = r.candidates.next(&key, &header, &status);
        if (next == vacuum::CandidateStream::Next::kRecord) {
          r.queue[key] = header;  // the header as it is now replaces an older one
          r.count.scanned++;
          continue;
        }
        if (next == vacuum::CandidateStream::Next::kEnd) {
          r.child_done = status == 0;
        } else if (next == vacuum::CandidateStream::Next::kBad) {
          eof = bad = true;
        }
        break;
      }
    } else {
      r.repack_out.insert(r.repack_out.end(), buf, buf + n);
    }
  }
  if (!eof) return;
  end_child(bad);
  if (r.phase == Phase::kTraverse) {
    if (!r.child_done) {
      CTDB_LOGF(kLogError, "Traverse error in vacuuming '%s'", r.db_name.c_str());
    }
    CTDB_LOGF(kLogInfo, "full vacuuming db traverse of %s: %u empty records of ours",
              r.db_name.c_str(), r.count.scanned);
    enter(Phase::kFetch);
    return;
  }
  proto::Reader rd(r.repack_out);
  int32_t status = -1, freelist = -1;
  bool repacked = false;
  if (!rd.i32(&status) || !rd.i32(&freelist) || !rd.boolean(&repacked)) status = -1;
  if (repacked) {
    CTDB_LOGF(kLogNotice, "Repacking %s with %d freelist entries", r.db_name.c_str(), freelist);
  }
  if (status != 0) {
    CTDB_LOGF(kLogError, "A vacuum child process failed with an error for database %s",
              r.db_name.c_str());
  }
  finish_run(status == 0 ? 0 : -1);
}

void VacuumManager::reap_zombies() {
  zombies_.erase(std::remove_if(zombies_.begin(), zombies_.end(),
                                [](pid_t pid) { return waitpid(pid, nullptr, WNOHANG) != 0; }),
                 zombies_.end());
}

// ---- ending a run ---------------------------------------------------------------------------

void VacuumManager::requeue_leftovers() {
  Run& r = *run_;
  Database* db = dbs_.find(r.db_id);
  if (db == nullptr) return;
  vacuum::DbState& st = db->vacuum;
  for (const auto& [key, header] : r.queue) st.delete_queue.requeue(key, header);
  for (size_t i = r.fetch_pos; i < r.fetch.size(); i++) st.fetch_queue.insert(r.fetch[i]);
  for (const auto& [pnn, entries] : r.fetch_entries) {
    for (const auto& [key, header] : entries) st.delete_queue.requeue(key, header);
  }
  for (const auto& [key, listed] : r.delete_list) st.delete_queue.requeue(key, listed.header);
}

void VacuumManager::abort_run(const char* why) {
  CTDB_LOGF(kLogNotice, "Aborting vacuuming for %s (%s)", run_->db_name.c_str(), why);
  end_child(true);
  // What the run did not get to waits for the next one (4.17 drops it until a full scan).
  requeue_leftovers();
  finish_run(-1);
}

void VacuumManager::finish_run(int32_t status) {
  Run& r = *run_;
  if (r.child > 0) end_child(true);
  double took = seconds_between(r.started, now());
  if (status == 0) {
    // Fetch lists that went out were delivered; those still here were not.
    requeue_leftovers();
  }
  if (Database* db = dbs_.find(r.db_id)) {
    db->vacuum.latency.add(took);
    if (status == 0) db->vacuum.fast_path_count++;
    if (r.scheduled) db->vacuum.interval_start = now();
  }
  CTDB_LOGF(kLogInfo,
            "Vacuuming took %.3f seconds for database %s: scanned %u, queue %u (deleted %u, "
            "skipped %u, busy %u, to lmaster %u, delete list %u), migrated %u, purged %u, "
            "kept by other nodes %u",
            took, r.db_name.c_str(), r.count.scanned, r.count.queued, r.count.deleted,
            r.count.skipped, r.count.busy, r.count.fetch_listed, r.count.delete_listed,
            r.count.migrations, r.count.purged, r.count.refused);
  DoneFn done = std::move(r.done);
  run_.reset();
  if (done) done(status);
}

}  // namespace ctdb::daemon
