// Vacuuming of volatile databases as 4.17 runs it: the per-database delete and fetch queues
// that record stores and clients fill, and the VacuumManager that turns them into deletions.
//
// A run on one database (one run at a time on a node, every VacuumInterval seconds per
// database, a full scan of the tdb every VacuumFastPathCount runs) goes:
//   1. full runs only: a forked child walks the tdb (read-only) and reports the empty records
//      this node is dmaster of, which join the run's delete queue;
//   2. fetch queue: records other nodes sent with VACUUM_FETCH migrate here (this node is
//      their lmaster) with CALL_FLAG_VACUUM_MIGRATION; the store rules then queue them here;
//   3. delete queue: each still empty record this node is still dmaster of (same RSN) is
//      deleted at once (lmaster, never migrated with data), put on the delete list (lmaster,
//      migrated with data: other nodes may hold copies), or sent to its lmaster in VACUUM_FETCH;
//   4. delete list: TRY_DELETE_RECORDS to every other connected node; the lmaster drops its
//      copy only of records that every one of them dropped (or never had) — so no node keeps a
//      copy newer or older than the deleted one that a recovery could bring back;
//   5. a forked child repacks the tdb when its freelist has RepackLimit entries or more.
// Everything in the reactor takes chain locks without waiting and does a bounded batch per
// turn; a record whose chain a client holds is skipped and queued again for the next run.
#pragma once

#include <sys/time.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::daemon {

class CallEngine;
class ClusterHost;
class DbRegistry;

// The pure parts, inline so that the unit tests use them without the daemon.
namespace vacuum {

using proto::Bytes;
using proto::LtdbHeader;

// Records scheduled for deletion, each with its header as it was when scheduled (the run
// checks that the RSN has not moved since). Exact keys, so two keys with one hash both stay.
class DeleteQueue {
 public:
  // Adds the record or updates its header (4.17 ctdb_local_schedule_for_deletion).
  void schedule(const Bytes& key, const LtdbHeader& header) { entries_[key] = header; }
  // The record was filled again or moved: it is no longer a deletion candidate
  // (4.17 ctdb_local_remove_from_delete_queue).
  void remove(const Bytes& key) { entries_.erase(key); }
  // Puts back a record a run could not finish (its chain was locked, a node refused), unless
  // it was scheduled again in the meantime: the newer header wins.
  void requeue(const Bytes& key, const LtdbHeader& header) { entries_.emplace(key, header); }
  // Everything queued, leaving the queue empty (a run starts with what is queued then).
  std::map<Bytes, LtdbHeader> take() {
    std::map<Bytes, LtdbHeader> out;
    out.swap(entries_);
    return out;
  }
  const LtdbHeader* find(const Bytes& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::map<Bytes, LtdbHeader> entries_;
};

// Vacuuming state of one volatile database.
struct DbState {
  DeleteQueue delete_queue;
  // Keys other nodes asked this node (their lmaster) to migrate here (VACUUM_FETCH).
  std::set<Bytes> fetch_queue;
  // Runs since the last full one (4.17 fast_path_count).
  uint32_t fast_path_count = 0;
  // When the interval until the next scheduled run started (attach, or the end of the last
  // attempt); zero until the vacuum scheduler first sees the database.
  timeval interval_start{};
  proto::LatencyCounter latency;  // duration of runs, for database statistics
};

// Whether this run scans the whole database, as 4.17's ctdb_vacuum_event decides: after
// `fast_path_max` fast runs (never when it is 0). Resets the count when the time has come.
inline bool full_run_due(uint32_t* fast_path_count, uint32_t fast_path_max) {
  if (*fast_path_count < fast_path_max) return false;
  *fast_path_count = 0;
  return fast_path_max > 0;
}

// What the current copy of a queued record is, read under its chain lock.
struct LocalCopy {
  bool exists = false;  // present with a whole header
  bool empty = false;   // nothing after the header
  LtdbHeader header;
};

enum class QueuedAction {
  kSkip,         // revived, migrated away, or gone: not ours to delete
  kDeleteLocal,  // lmaster and dmaster, never migrated with data: nobody else has a copy
  kDeleteList,   // lmaster and dmaster, migrated with data: other nodes must drop theirs first
  kFetchList,    // dmaster but not lmaster: the lmaster must take it back (VACUUM_FETCH)
};

// The fast path's decision for one delete-queue entry (4.17 delete_queue_traverse). A copy
// with read-only delegations is never deleted here (4.17 checks that only later).
inline QueuedAction classify_queued(const LocalCopy& now, const LtdbHeader& queued, uint32_t pnn,
                                    uint32_t lmaster) {
  if (!now.exists || !now.empty) return QueuedAction::kSkip;
  if (now.header.dmaster != pnn) return QueuedAction::kSkip;
  if (now.header.rsn != queued.rsn) return QueuedAction::kSkip;  // away and back again
  if (now.header.flags & REC_RO_FLAGS) return QueuedAction::kSkip;
  if (lmaster != pnn) return QueuedAction::kFetchList;
  if ((queued.flags | now.header.flags) & REC_FLAG_MIGRATED_WITH_DATA) {
    return QueuedAction::kDeleteList;
  }
  return QueuedAction::kDeleteLocal;
}

// Whether the lmaster may finally drop a record of its delete list that every other node
// dropped (4.17 delete_record_traverse): still empty, no read-only flags, still dmaster with
// the same RSN, still lmaster.
inline bool may_purge(const LocalCopy& now, const LtdbHeader& listed, uint32_t pnn,
                      uint32_t lmaster) {
  return now.exists && now.empty && !(now.header.flags & REC_RO_FLAGS) &&
         now.header.dmaster == pnn && now.header.rsn == listed.rsn && lmaster == pnn;
}

enum class TryDelete {
  kDelete,   // drop the local copy
  kNothing,  // no copy here: counts as deleted
  kRefuse,   // keep it; the lmaster must keep its copy too
};

// TRY_DELETE_RECORDS on a node that is not the record's lmaster (4.17 delete_tdb_record):
// `sent` is the lmaster's header, `value_len` the length of what the lmaster sent after the
// key (a header and nothing else is expected). A local value too short for a header is
// garbage and goes. A copy newer than the lmaster's, one this node is dmaster of, or one with
// read-only delegations on either side stays.
inline TryDelete try_delete_verdict(bool we_are_lmaster, size_t value_len, bool exists,
                                    bool corrupt, const LtdbHeader& local, const LtdbHeader& sent,
                                    uint32_t pnn) {
  if (we_are_lmaster || value_len != proto::kLtdbHeaderSize) return TryDelete::kRefuse;
  if (!exists) return TryDelete::kNothing;
  if (corrupt) return TryDelete::kDelete;
  if (local.rsn > sent.rsn) return TryDelete::kRefuse;
  if ((sent.flags & REC_RO_FLAGS) || (local.flags & REC_RO_FLAGS)) return TryDelete::kRefuse;
  if (local.dmaster == pnn) return TryDelete::kRefuse;
  return TryDelete::kDelete;
}

// The full-scan child's pipe: one entry per empty record this node is dmaster of
// (u32 key length, the 24-byte ltdb header as stored, the key), then an end entry
// (u32 0xffffffff, i32 status: 0 when the walk went through).
constexpr uint32_t kEndOfCandidates = 0xffffffffu;

inline void append_candidate(Bytes* out, const uint8_t* key, size_t klen, const uint8_t* header) {
  proto::Writer w(out);
  w.u32(static_cast<uint32_t>(klen));
  w.bytes(header, proto::kLtdbHeaderSize);
  w.bytes(key, klen);
}

inline void append_end(Bytes* out, int32_t status) {
  proto::Writer w(out);
  w.u32(kEndOfCandidates);
  w.i32(status);
}

// Cuts the child's byte stream into entries.
class CandidateStream {
 public:
  explicit CandidateStream(size_t max_key) : max_key_(max_key) {}

  void append(const uint8_t* data, size_t len) { buf_.insert(buf_.end(), data, data + len); }

  enum class Next { kRecord, kEnd, kNeedMore, kBad };
  // The next whole entry: a record (*key, *header) or the end (*status).
  Next next(Bytes* key, LtdbHeader* header, int32_t* status) {
    proto::Reader r(buf_.data() + head_, buf_.size() - head_);
    uint32_t klen;
    if (!r.u32(&klen)) return Next::kNeedMore;
    if (klen == kEndOfCandidates) {
      if (!r.i32(status)) return Next::kNeedMore;
      head_ += 8;
      return Next::kEnd;
    }
    if (klen > max_key_) return Next::kBad;
    if (r.remaining() < proto::kLtdbHeaderSize + klen) return Next::kNeedMore;
    if (!proto::decode(r, header) || !r.bytes(klen, key)) return Next::kBad;
    head_ += 4 + proto::kLtdbHeaderSize + klen;
    if (head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    }
    return Next::kRecord;
  }

  size_t pending() const { return buf_.size() - head_; }

 private:
  size_t max_key_;
  Bytes buf_;
  size_t head_ = 0;
};

}  // namespace vacuum

// Runs vacuuming on this node and answers the vacuuming controls. Owned by the Daemon; every
// database it works on is looked up by id at each step, so a detach mid-run is harmless.
class VacuumManager {
 public:
  VacuumManager(ClusterHost& d, DbRegistry& dbs, CallEngine& calls);
  // Kills a child that still runs.
  ~VacuumManager();
  VacuumManager(const VacuumManager&) = delete;
  VacuumManager& operator=(const VacuumManager&) = delete;

  // SCHEDULE_FOR_DELETION: a client emptied a record and asks for its deletion. False if
  // the database is unknown. Only volatile databases are vacuumed; others accept and ignore.
  bool schedule_for_deletion(const proto::KeyData& kd);
  // VACUUM_FETCH from a node that is dmaster of empty records this node is lmaster of: they
  // are migrated here by the next run. False if the database is unknown.
  bool vacuum_fetch(const proto::RecBuffer& recs);
  // TRY_DELETE_RECORDS from a record's lmaster: drops the local copies it may, and puts every
  // record it must keep into *kept. False (the control fails) if the database is unknown or a
  // record carries no header.
  bool try_delete_records(const proto::RecBuffer& recs, proto::RecBuffer* kept);

  // Starts a run on a volatile database now (DB_VACUUM, or the scheduler); done(status) is
  // called once it ends: 0 when it went through, -1 when it was aborted. Returns 0 if
  // started, EBUSY while another run is going, EAGAIN during a recovery or freeze, ENOENT
  // for an unknown or non-volatile database.
  using DoneFn = std::function<void(int32_t status)>;
  int start_run(uint32_t db_id, bool full, DoneFn done);

  bool running() const { return run_ != nullptr; }

 private:
  struct Run;
  enum class Phase {
    kTraverse,
    kFetch,
    kWaitMigrations,
    kDeleteQueue,
    kVacuumFetch,
    kTryDelete,
    kPurge,
    kRepack
  };

  void tick();
  void schedule_due();
  // Runs the current phase of the run a bounded amount from a zero timer.
  void kick();
  void step();
  void enter(Phase p);
  bool may_continue(const char** why) const;
  void abort_run(const char* why);
  void finish_run(int32_t status);
  void requeue_leftovers();

  // Phases.
  bool start_child(bool traverse);
  void on_child_readable();
  void end_child(bool kill_it);
  void step_fetch();
  void step_delete_queue();
  void send_vacuum_fetch();
  void send_try_delete();
  void step_purge();

  void reap_zombies();

  ClusterHost& d_;
  DbRegistry& dbs_;
  CallEngine& calls_;
  std::unique_ptr<Timer> tick_timer_;
  std::unique_ptr<Timer> step_timer_;
  std::unique_ptr<Run> run_;
  uint64_t next_serial_ = 1;
  std::vector<pid_t> zombies_;  // children killed or finished, not reaped yet
};

}  // namespace ctdb::daemon
