// Record-level reads and writes of the daemon with 4.17's keep/delete and RSN
// rules; see record_store.h.
#include "daemon/db/record_store.h"

#include "ctdb/protocol.h"

namespace ctdb::daemon {

bool fetch_record(Database& db, const Bytes& key, const RecordPlace& at, LtdbHeader* header,
                  Bytes* data, std::string* error) {
  LtdbStatus st = db.ltdb->fetch(key, header, data);
  if (st == LtdbStatus::kOk) return true;
  if (st != LtdbStatus::kNotFound && st != LtdbStatus::kCorrupt) {
    *error = "cannot fetch record: " + db.ltdb->error_string();
    return false;
  }
  *header = LtdbHeader{};
  header->dmaster = at.lmaster;
  header->flags = REC_FLAG_AUTOMATIC;
  data->clear();
  if (db.persistent() || header->dmaster == at.pnn) {
    return store_record(db, key, header, *data, at, error);
  }
  return true;
}

bool store_record(Database& db, const Bytes& key, LtdbHeader* header, const Bytes& data,
                  const RecordPlace& at, std::string* error) {
  if (!db.volatile_db()) {
    // Persistent and replicated records are written as they are (4.17 uses
    // its server store rules for volatile databases only).
    if (!db.ltdb->store(key, *header, data)) {
      *error = "cannot store record: " + db.ltdb->error_string();
      return false;
    }
    return true;
  }
  bool keep;
  // An empty record this node keeps as dmaster goes into the vacuuming delete queue, as 4.17
  // schedules it from ctdb_ltdb_store_server; a kept record that is not such a candidate
  // leaves the queue.
  bool schedule = false;
  if (!data.empty() || (header->flags & REC_RO_FLAGS)) {
    keep = true;
  } else if (header->flags & REC_FLAG_AUTOMATIC) {
    // The initial header of a record nobody has written yet.
    keep = true;
    schedule = true;
  } else if (header->flags & REC_FLAG_MIGRATED_WITH_DATA) {
    keep = true;
  } else if (at.pnn == at.lmaster) {
    // The lmaster keeps even empty records (a client on it expects the
    // record to exist after a migration), except one a vacuum migration
    // brought back here to be purged.
    keep = !(header->flags & REC_FLAG_VACUUM_MIGRATED) || header->dmaster != at.pnn;
  } else {
    keep = header->dmaster == at.pnn;
  }
  if (keep && db.volatile_db() && header->dmaster == at.pnn && !(header->flags & REC_RO_FLAGS)) {
    header->rsn++;
    if (data.empty()) schedule = true;
  }
  header->flags &= ~(REC_FLAG_VACUUM_MIGRATED | REC_FLAG_AUTOMATIC);
  if (keep) {
    if (!db.ltdb->store(key, *header, data)) {
      *error = "cannot store record: " + db.ltdb->error_string();
      return false;
    }
    // Only volatile databases are vacuumed.
    if (db.volatile_db()) {
      if (schedule) {
        db.vacuum.delete_queue.schedule(key, *header);
      } else {
        db.vacuum.delete_queue.remove(key);
      }
    }
    return true;
  }
  LtdbStatus st = db.ltdb->remove(key);
  if (st != LtdbStatus::kOk && st != LtdbStatus::kNotFound) {
    *error = "cannot delete record: " + db.ltdb->error_string();
    return false;
  }
  return true;
}

bool call_local(Database& db, uint32_t callid, const Bytes& key, LtdbHeader* header,
                const Bytes& data, const RecordPlace& at, proto::ReplyCall* reply,
                std::string* error) {
  reply->status = 0;
  reply->data.clear();
  switch (callid) {
    case NULL_FUNC:
      break;
    case FETCH_FUNC:
      reply->data = data;
      break;
    case FETCH_WITH_HEADER_FUNC: {
      // The header as the call saw it, before the write-back below.
      proto::Writer w(&reply->data);
      proto::encode(w, *header);
      w.bytes(data);
      break;
    }
    default:
      *error = "unknown call id " + std::to_string(callid);
      return false;
  }
  return store_record(db, key, header, data, at, error);
}

}  // namespace ctdb::daemon
