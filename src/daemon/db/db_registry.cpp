// Attached databases and local record operations (see db_registry.h).
#include "daemon/db/db_registry.h"

#include <errno.h>
#include <pthread.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "common/logging.h"
#include "daemon/db/record_store.h"

namespace ctdb::daemon {
namespace {

// Whether `dir` has room for the robust mutexes of a new tdb with `hash_size` chains. libtdb
// lays them out in a sparse region of the file that it maps and writes at once: on a file
// system that cannot give it the pages (a full or small disk) the daemon would die of SIGBUS
// inside tdb_open. Such a database uses fcntl locks instead.
bool room_for_mutexes(const std::string& dir, uint32_t hash_size, uint64_t* need) {
  *need = (uint64_t{hash_size} + 2) * sizeof(pthread_mutex_t) + 64 * 1024;
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return true;  // tdb_open reports what is wrong
  return uint64_t{st.f_bavail} * st.f_frsize >= *need;
}

}  // namespace

Database::Freeze Database::try_freeze() {
  if (freeze_ != Freeze::kFrozen) {
    freeze_ = ltdb->freeze_nonblock() == LtdbStatus::kOk ? Freeze::kFrozen : Freeze::kPending;
  }
  return freeze_;
}

void Database::freeze_if_free() {
  if (freeze_ == Freeze::kNone && ltdb->freeze_nonblock() == LtdbStatus::kOk) {
    freeze_ = Freeze::kFrozen;
  }
}

void Database::thaw() {
  if (freeze_ == Freeze::kFrozen) ltdb->thaw();
  freeze_ = Freeze::kNone;
}

DbRegistry::DbRegistry(std::string volatile_dir, std::string persistent_dir, std::string state_dir,
                       uint32_t pnn, bool use_mutexes)
    : volatile_dir_(std::move(volatile_dir)),
      persistent_dir_(std::move(persistent_dir)),
      state_dir_(std::move(state_dir)),
      pnn_(pnn),
      use_mutexes_(use_mutexes) {}

Database* DbRegistry::attach(const std::string& name, uint8_t flags, uint32_t hash_size,
                             uint32_t max_dead, std::string* error) {
  if (name.empty() || name.find('/') != std::string::npos) {
    *error = "invalid database name '" + name + "'";
    return nullptr;
  }
  uint32_t id = db_id_for_name(name);
  for (auto& db : dbs_) {
    if (db->name == name) {
      if ((db->flags & flags) != flags) {
        *error = "database " + name + " is attached with other flags";
        return nullptr;
      }
      return db.get();
    }
    if (db->db_id == id) {
      *error = "database id collision between " + name + " and " + db->name;
      return nullptr;
    }
  }
  auto db = std::make_unique<Database>();
  db->db_id = id;
  db->name = name;
  db->flags = flags;
  // The daemon itself only ever tries chain locks without waiting (see CallEngine), so mutexes
  // change nothing for it; its clients lock and unlock without a system call.
  db->tdb_flags = ltdb_tdb_flags(flags, use_mutexes_);
  const std::string& dir = (flags & DB_FLAGS_PERSISTENT) ? persistent_dir_ : volatile_dir_;
  uint64_t need = 0;
  if ((db->tdb_flags & TDB_MUTEX_LOCKING) && !room_for_mutexes(dir, hash_size, &need)) {
    CTDB_LOGF(kLogWarning,
              "Less than %llu bytes free in %s: database %s uses fcntl locks, not mutexes",
              static_cast<unsigned long long>(need), dir.c_str(), name.c_str());
    db->tdb_flags &= ~TDB_MUTEX_LOCKING;
  }
  Ltdb::OpenOptions opts;
  opts.hash_size = static_cast<int>(hash_size);
  opts.tdb_flags = db->tdb_flags;
  opts.max_dead = static_cast<int>(std::min<uint32_t>(max_dead, INT32_MAX));
  db->ltdb = Ltdb::open(dir + "/" + ltdb_file_name(name, pnn_), opts, error);
  if (!db->ltdb) return nullptr;
  CTDB_LOGF(kLogNotice, "Attached to database '%s' with flags 0x%x", db->ltdb->path().c_str(),
            db->tdb_flags);
  dbs_.push_back(std::move(db));
  return dbs_.back().get();
}

Database* DbRegistry::find(uint32_t db_id) {
  for (auto& db : dbs_) {
    if (db->db_id == db_id) return db.get();
  }
  return nullptr;
}

bool DbRegistry::detach(uint32_t db_id) {
  for (auto it = dbs_.begin(); it != dbs_.end(); ++it) {
    if ((*it)->db_id == db_id) {
      CTDB_LOGF(kLogNotice, "Detached from database '%s'", (*it)->name.c_str());
      dbs_.erase(it);
      return true;
    }
  }
  return false;
}

void DbRegistry::client_gone(uint32_t client_id) {
  for (auto& db : dbs_) db->attached_clients.erase(client_id);
}

DbRegistry::CallResult DbRegistry::local_call(const proto::ReqCall& call, uint32_t lmaster,
                                              proto::ReplyCall* reply, std::string* error) {
  Database* db = find(call.db_id);
  if (db == nullptr) {
    *error = "unknown database in call";
    return CallResult::kError;
  }
  LtdbChainLock lock(db->ltdb.get(), call.key, LtdbChainLock::Mode::kNonBlocking);
  if (!lock.locked()) return CallResult::kBusy;
  RecordPlace at{pnn_, lmaster};
  LtdbHeader header;
  Bytes data;
  if (!fetch_record(*db, call.key, at, &header, &data, error) ||
      !call_local(*db, call.callid, call.key, &header, data, at, reply, error)) {
    return CallResult::kError;
  }
  return CallResult::kOk;
}

bool DbRegistry::apply_persistent(const proto::RecBuffer& recs, std::string* error) {
  Database* db = find(recs.db_id);
  if (db == nullptr) {
    *error = "unknown database";
    return false;
  }
  auto records = recs.records();
  if (!records) {
    *error = "malformed record buffer";
    return false;
  }
  if (db->volatile_db()) return apply_volatile_update(*db, *records, error);
  LtdbTransaction tx(db->ltdb.get());
  if (!tx.started()) {
    *error = "cannot start transaction: " + db->ltdb->error_string();
    return false;
  }
  for (const proto::RecData& rec : *records) {
    LtdbHeader header;
    Bytes value;
    if (!rec.split_header(&header, &value)) {
      *error = "record without header";
      return false;
    }
    LtdbHeader old;
    Bytes old_value;
    if (db->ltdb->fetch(rec.key, &old, &old_value) == LtdbStatus::kOk && old.rsn >= header.rsn) {
      // The same commit sent again (its client retrying after a recovery) is already here.
      // Anything else with an RSN no higher than the stored one was read from an older copy:
      // never let it replace the newer one, even when the value happens to be the same (two
      // increments of a counter from the same stale value write the same bytes).
      if (old.rsn == header.rsn && old.dmaster == header.dmaster && old_value == value) continue;
      *error = "record has a newer RSN in the database";
      return false;
    }
    errno = 0;
    if (!db->ltdb->store(rec.key, header, value)) {
      int err = errno;
      *error = "cannot store record: " + db->ltdb->error_string() +
               (err != 0 ? std::string(" (") + strerror(err) + ")" : std::string());
      return false;
    }
  }
  errno = 0;
  if (!tx.commit()) {
    // libtdb says "IO error"; errno says which (ENOSPC on a full disk).
    int err = errno;
    *error = "transaction commit failed: " + db->ltdb->error_string() +
             (err != 0 ? std::string(" (") + strerror(err) + ")" : std::string());
    return false;
  }
  return true;
}

// UPDATE_RECORD on a volatile database (the revoke of read-only copies):
// only records this node has are replaced, and never by an older copy.
bool DbRegistry::apply_volatile_update(Database& db, const std::vector<proto::RecData>& records,
                                       std::string* error) {
  for (const proto::RecData& rec : records) {
    LtdbHeader header;
    Bytes value;
    if (!rec.split_header(&header, &value)) {
      *error = "record without header";
      return false;
    }
    LtdbChainLock lock(db.ltdb.get(), rec.key, LtdbChainLock::Mode::kNonBlocking);
    if (!lock.locked()) {
      *error = "record is locked";
      return false;
    }
    LtdbHeader old;
    Bytes old_value;
    if (db.ltdb->fetch(rec.key, &old, &old_value) != LtdbStatus::kOk) continue;
    if (old.rsn >= header.rsn && old_value != value) {
      *error = "record has a newer RSN in the database";
      return false;
    }
    RecordPlace at{pnn_, UNKNOWN_PNN};
    if (!store_record(db, rec.key, &header, value, at, error)) return false;
  }
  return true;
}

bool DbRegistry::seqnum(uint32_t db_id, uint32_t lmaster, uint64_t* seqnum, std::string* error) {
  Database* db = find(db_id);
  if (db == nullptr) {
    *error = "unknown database";
    return false;
  }
  Bytes key(DB_SEQNUM_KEY, DB_SEQNUM_KEY + strlen(DB_SEQNUM_KEY) + 1);
  LtdbHeader header;
  Bytes data;
  *seqnum = 0;
  LtdbStatus st = db->ltdb->fetch(key, &header, &data);
  if (st == LtdbStatus::kOk && data.size() == 8) {
    proto::Reader r(data);
    r.u64(seqnum);
  }
  if (st == LtdbStatus::kNotFound && db->persistent()) {
    header = LtdbHeader{};
    header.dmaster = lmaster;
    header.flags = REC_FLAG_AUTOMATIC;
    if (!db->ltdb->store(key, header, {})) {
      *error = "cannot store record: " + db->ltdb->error_string();
      return false;
    }
  }
  return st == LtdbStatus::kOk || st == LtdbStatus::kNotFound;
}

}  // namespace ctdb::daemon
