// Client-side databases: attach (and open the local tdb the daemon names),
// record locks on volatile databases (fetch-lock with migration through
// REQ_CALL), local reads, and cluster-wide traverse through TRAVERSE_START_EXT.
#pragma once

#include <sys/types.h>  // tdb.h uses mode_t without including it
#include <tdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "client/client.h"
#include "protocol/types.h"

namespace ctdb::client {

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Attaches `name` with DB_FLAGS_* `flags` on the local daemon, then asks for
  // its path, health and open flags and opens the tdb as 4.17's client does.
  // Returns 0 or an errno value / daemon status (logged as 4.17 logs them).
  static int attach(Client& c, const Deadline& d, const std::string& name, uint8_t flags,
                    std::unique_ptr<Database>* out);

  uint32_t db_id() const { return db_id_; }
  const std::string& name() const { return name_; }
  uint8_t flags() const { return flags_; }
  const std::string& path() const { return path_; }
  bool is_volatile() const { return (flags_ & (DB_FLAGS_PERSISTENT | DB_FLAGS_REPLICATED)) == 0; }
  tdb_context* tdb() const { return tdb_; }

  // Reads a record from the local tdb. A missing record is not an error: it
  // yields dmaster UNKNOWN_PNN, rsn 0 and empty data.
  int ltdb_fetch(const Bytes& key, proto::LtdbHeader* header, Bytes* value) const;

 private:
  Database() = default;

  uint32_t db_id_ = 0;
  std::string name_;
  uint8_t flags_ = 0;
  std::string path_;
  tdb_context* tdb_ = nullptr;
};

// A record of a volatile database held under its tdb chain lock, with this
// node as dmaster (or holding a read-only copy). The lock is released when
// the object goes away.
class RecordLock {
 public:
  ~RecordLock();
  RecordLock(const RecordLock&) = delete;
  RecordLock& operator=(const RecordLock&) = delete;

  // Locks `key`, migrating the record here with REQ_CALL until this node is
  // its dmaster (for readonly, until a read-only copy is here).
  static int fetch(Client& c, Database& db, const Bytes& key, bool readonly,
                   std::unique_ptr<RecordLock>* out);

  const proto::LtdbHeader& header() const { return header_; }
  const Bytes& value() const { return value_; }

  // Replaces the value, keeping the header. No-op when unchanged.
  int store(const Bytes& value);
  // Empties the record and asks the daemon to delete it (SCHEDULE_FOR_DELETION).
  int remove();

 private:
  RecordLock(Client& c, Database& db, Bytes key) : client_(c), db_(db), key_(std::move(key)) {}
  // 0 when locked and usable, EAGAIN when a migration is needed, else an error.
  int try_lock(bool readonly);

  Client& client_;
  Database& db_;
  Bytes key_;
  proto::LtdbHeader header_;
  Bytes value_;
  bool readonly_copy_ = false;
  bool locked_ = false;
};

// Called for each record of a traverse with its header and value; a non-zero
// return stops the traverse and becomes its result.
using RecordFn =
    std::function<int(const Bytes& key, const proto::LtdbHeader& header, const Bytes& value)>;

// Cluster-wide traverse of `db` driven by `destnode`: registers a srvid,
// sends TRAVERSE_START_EXT and feeds every record message to fn until the
// empty end marker arrives.
int traverse(Client& c, Database& db, uint32_t destnode, const Deadline& d, const RecordFn& fn);

}  // namespace ctdb::client
