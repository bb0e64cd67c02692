// The databases this node has attached: their tdb files, flags and ids, and
// the local operations on them (calls on records this node masters, persistent
// commits). One Database per attached name.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/ltdb.h"
#include "daemon/db/hot_keys.h"
#include "daemon/db/vacuum.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::daemon {

struct Database {
  uint32_t db_id = 0;
  std::string name;
  uint8_t flags = 0;  // DB_FLAGS_*
  int tdb_flags = 0;  // the flags this node opened the file with
  std::unique_ptr<Ltdb> ltdb;
  bool seqnum_enabled = false;  // ENABLE_SEQNUM seen (see seqnum_sync.h)
  // What GET_DB_STATISTICS reports: the call engine counts hops and
  // read-only delegations and revokes in `stats`, migrations in `hot_keys`;
  // vacuuming times its runs in vacuum.latency.
  proto::DbStatistics stats;
  HotKeys hot_keys;
  // Local clients (ids) that attached it and are still connected: it must
  // not be detached under them.
  std::set<uint32_t> attached_clients;

  // Recovery state (DB_FREEZE ... DB_THAW). The freeze is changed only
  // through these three, by the recovery controls.
  enum class Freeze { kNone, kPending, kFrozen };
  // Locks every chain without waiting: kFrozen, or kPending while a client
  // (smbd) holds a chain lock, to be tried again.
  Freeze try_freeze();
  // Locks every chain if no client holds one, else leaves the database as it
  // is (nothing pending): a node that becomes inactive.
  void freeze_if_free();
  // Gives every chain back (and cancels a freeze still pending).
  void thaw();
  // Every chain is locked by us.
  bool frozen() const { return freeze_ == Freeze::kFrozen; }
  // Frozen or on the way there: records must not move or change.
  bool freezing() const { return freeze_ != Freeze::kNone; }
  bool in_transaction = false;  // DB_TRANSACTION_START seen
  uint32_t transaction_id = 0;
  uint64_t push_srvid = 0;  // DB_PUSH_START stream, 0 when none
  uint32_t push_count = 0;
  // Vacuuming: the delete and fetch queues (fed by record stores, SCHEDULE_FOR_DELETION and
  // VACUUM_FETCH) and the run schedule; see vacuum.h.
  vacuum::DbState vacuum;

  // What DB_OPEN_FLAGS tells clients such as smbd to open the file with: a
  // client without TDB_SEQNUM would change records without moving the counter.
  int open_flags() const { return tdb_flags | (seqnum_enabled ? TDB_SEQNUM : 0); }
  bool persistent() const { return flags & DB_FLAGS_PERSISTENT; }
  bool replicated() const { return flags & DB_FLAGS_REPLICATED; }
  bool volatile_db() const { return !(flags & (DB_FLAGS_PERSISTENT | DB_FLAGS_REPLICATED)); }

 private:
  Freeze freeze_ = Freeze::kNone;
};

class DbRegistry {
 public:
  // use_mutexes: volatile databases are opened with TDB_MUTEX_LOCKING where the system has
  // robust mutexes ([database] tdb mutexes).
  DbRegistry(std::string volatile_dir, std::string persistent_dir, std::string state_dir,
             uint32_t pnn, bool use_mutexes = true);

  // Attaches `name` with DB_FLAGS_PERSISTENT / _REPLICATED / neither, or
  // returns the database already attached under that name. Fails if the name
  // is attached with other flags, the id collides, or the file cannot be
  // opened; *error says which. max_dead is DatabaseMaxDead: how many deleted records a hash
  // chain keeps for reuse before libtdb frees them (4.17 sets it on every database it attaches).
  Database* attach(const std::string& name, uint8_t flags, uint32_t hash_size, uint32_t max_dead,
                   std::string* error);
  Database* find(uint32_t db_id);
  bool detach(uint32_t db_id);
  // A local client went away: it no longer holds any database attached.
  void client_gone(uint32_t client_id);
  const std::vector<std::unique_ptr<Database>>& all() const { return dbs_; }

  enum class CallResult { kOk, kBusy, kError };
  // Runs a REQ_CALL here with `lmaster` as the record's lmaster: calls on
  // persistent and replicated databases, whose records never migrate. Fills
  // the reply or *error. Never waits for a chain lock: kBusy means another
  // process (smbd) holds the record's chain and the call must be retried.
  CallResult local_call(const proto::ReqCall& call, uint32_t lmaster, proto::ReplyCall* reply,
                        std::string* error);

  // Applies an UPDATE_RECORD buffer: to a persistent database inside one tdb
  // transaction, all records or none (TRANS3_COMMIT); to a volatile one,
  // replacing only records this node has (revoking read-only copies).
  bool apply_persistent(const proto::RecBuffer& recs, std::string* error);

  // The persistent sequence number (__db_sequence_number__), 0 if unset.
  // Like 4.17, reading a missing record of a persistent database leaves an
  // empty record (flags AUTOMATIC, dmaster = its lmaster) behind.
  bool seqnum(uint32_t db_id, uint32_t lmaster, uint64_t* seqnum, std::string* error);

 private:
  bool apply_volatile_update(Database& db, const std::vector<proto::RecData>& records,
                             std::string* error);

  std::string volatile_dir_;
  std::string persistent_dir_;
  std::string state_dir_;
  uint32_t pnn_;
  bool use_mutexes_;
  std::vector<std::unique_ptr<Database>> dbs_;
};

}  // namespace ctdb::daemon
