// Client-side databases: attach, record locks, local reads, traverse (see database.h).
#include "client/database.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "client/controls.h"
#include "client/log.h"

namespace ctdb::client {
namespace {

TDB_DATA as_tdb(const Bytes& b) { return TDB_DATA{const_cast<uint8_t*>(b.data()), b.size()}; }

const char* attach_control_name(uint8_t flags) {
  if (flags & DB_FLAGS_PERSISTENT) return "DB_ATTACH_PERSISTENT";
  if (flags & DB_FLAGS_REPLICATED) return "DB_ATTACH_REPLICATED";
  return "DB_ATTACH";
}

// READONLY and STICKY are per-node database properties: set them on every
// connected node, as 4.17's attach does.
int set_db_flags(Client& c, const Deadline& d, uint32_t db_id, uint8_t flags) {
  if (!(flags & (DB_FLAGS_READONLY | DB_FLAGS_STICKY))) return 0;
  proto::NodeMap nodemap;
  int err = ctrl_get_nodemap(c, c.pnn(), d, &nodemap);
  if (err != 0) return err;
  Bytes in;
  proto::Writer w(&in);
  w.u32(db_id);
  for (uint32_t opcode : {CONTROL_SET_DB_READONLY, CONTROL_SET_DB_STICKY}) {
    uint8_t bit = opcode == CONTROL_SET_DB_READONLY ? DB_FLAGS_READONLY : DB_FLAGS_STICKY;
    if (!(flags & bit)) continue;
    for (const auto& n : nodemap.nodes) {
      if (n.flags & NODE_FLAGS_DISCONNECTED) continue;
      ControlReply reply;
      err = c.control(n.pnn, opcode, in, d, &reply);
      if (err == 0 && reply.status != 0) err = reply.status;
      if (err != 0) return err;
    }
  }
  return 0;
}

}  // namespace

Database::~Database() {
  if (tdb_ != nullptr) tdb_close(tdb_);
}

int Database::attach(Client& c, const Deadline& d, const std::string& name, uint8_t flags,
                     std::unique_ptr<Database>* out) {
  std::unique_ptr<Database> db(new Database());
  db->name_ = name;
  db->flags_ = flags;
  uint32_t opcode = CONTROL_DB_ATTACH;
  if (flags & DB_FLAGS_PERSISTENT) {
    opcode = CONTROL_DB_ATTACH_PERSISTENT;
  } else if (flags & DB_FLAGS_REPLICATED) {
    opcode = CONTROL_DB_ATTACH_REPLICATED;
  }
  Bytes in;
  proto::Writer w(&in);
  proto::encode_cstring(w, name);
  ControlReply reply;
  int err = c.control(c.pnn(), opcode, in, d, &reply);
  if (err == 0 && reply.status != 0) err = reply.status;
  if (err != 0) {
    log(LogLevel::kError, "attach: %s %s failed, ret=%d\n", name.c_str(),
        attach_control_name(flags), err);
    return err;
  }
  proto::Reader r(reply.data);
  if (!r.u32(&db->db_id_) || r.remaining() != 0) {
    log(LogLevel::kError, "attach: %s failed to get db_id, ret=%d\n", name.c_str(), EMSGSIZE);
    return EMSGSIZE;
  }
  err = ctrl_getdbpath(c, c.pnn(), d, db->db_id_, &db->path_);
  if (err != 0) {
    log(LogLevel::kError, "attach: %s GETDBPATH failed, ret=%d\n", name.c_str(), err);
    return err;
  }
  std::string reason;
  err = ctrl_db_get_health(c, c.pnn(), d, db->db_id_, &reason);
  if (err != 0) {
    log(LogLevel::kError, "attach: %s DB_GET_HEALTH failed, ret=%d\n", name.c_str(), err);
    return err;
  }
  if (!reason.empty()) {
    log(LogLevel::kError, "attach: %s database unhealthy (%s)\n", name.c_str(), reason.c_str());
    return EIO;
  }
  err = set_db_flags(c, d, db->db_id_, flags);
  if (err != 0) {
    log(LogLevel::kError, "attach: %s set db flags 0x%08x failed\n", name.c_str(), flags);
    return err;
  }
  int32_t tdb_flags = 0;
  err = ctrl_db_open_flags(c, c.pnn(), d, db->db_id_, &tdb_flags);
  if (err != 0) {
    log(LogLevel::kError, "attach: %s DB_OPEN_FLAGS failed, ret=%d\n", name.c_str(), err);
    return err;
  }
  db->tdb_ = tdb_open(db->path_.c_str(), 0, tdb_flags, O_RDWR, 0);
  if (db->tdb_ == nullptr) {
    log(LogLevel::kError, "attach: %s tdb_wrap_open failed\n", name.c_str());
    return ENOMEM;
  }
  *out = std::move(db);
  return 0;
}

int Database::ltdb_fetch(const Bytes& key, proto::LtdbHeader* header, Bytes* value) const {
  TDB_DATA rec = tdb_fetch(tdb_, as_tdb(key));
  if (rec.dsize < proto::kLtdbHeaderSize) {
    free(rec.dptr);
    if (tdb_error(tdb_) != TDB_ERR_NOEXIST) return EIO;
    *header = proto::LtdbHeader{};
    header->dmaster = UNKNOWN_PNN;
    value->clear();
    return 0;
  }
  Bytes raw(rec.dptr, rec.dptr + rec.dsize);
  free(rec.dptr);
  proto::Reader r(raw);
  if (!proto::decode(r, header)) return EPROTO;
  value->assign(raw.begin() + proto::kLtdbHeaderSize, raw.end());
  return 0;
}

RecordLock::~RecordLock() {
  if (locked_) tdb_chainunlock(db_.tdb(), as_tdb(key_));
}

int RecordLock::try_lock(bool readonly) {
  tdb_context* tdb = db_.tdb();
  if (tdb_chainlock(tdb, as_tdb(key_)) != 0) {
    log(LogLevel::kError, "fetch_lock: %s tdb_chainlock failed, %s\n", db_.name().c_str(),
        tdb_errorstr(tdb));
    return EIO;
  }
  TDB_DATA rec = tdb_fetch(tdb, as_tdb(key_));
  int result = EAGAIN;
  if (rec.dptr == nullptr) {
    if (tdb_error(tdb) != TDB_ERR_NOEXIST) result = EIO;
  } else {
    Bytes raw(rec.dptr, rec.dptr + rec.dsize);
    free(rec.dptr);
    proto::Reader r(raw);
    proto::LtdbHeader h;
    if (!proto::decode(r, &h)) {
      result = EPROTO;
    } else {
      uint32_t me = client_.pnn();
      bool migrate;
      if (!readonly) {
        // Writers need to be dmaster with no read-only delegations out.
        migrate = h.dmaster != me || (h.flags & REC_RO_HAVE_DELEGATIONS);
      } else {
        migrate = h.dmaster != me && !(h.flags & (REC_RO_HAVE_READONLY | REC_RO_HAVE_DELEGATIONS));
      }
      if (!migrate) {
        header_ = h;
        value_.assign(raw.begin() + proto::kLtdbHeaderSize, raw.end());
        readonly_copy_ = (h.flags & (REC_RO_HAVE_READONLY | REC_RO_HAVE_DELEGATIONS)) != 0;
        locked_ = true;
        return 0;
      }
    }
  }
  if (tdb_chainunlock(tdb, as_tdb(key_)) != 0) {
    log(LogLevel::kError, "fetch_lock: %s tdb_chainunlock failed, %s\n", db_.name().c_str(),
        tdb_errorstr(tdb));
    return EIO;
  }
  return result;
}

int RecordLock::fetch(Client& c, Database& db, const Bytes& key, bool readonly,
                      std::unique_ptr<RecordLock>* out) {
  if (!db.is_volatile()) {
    log(LogLevel::kError, "fetch_lock: %s database not volatile\n", db.name().c_str());
    return EINVAL;
  }
  std::unique_ptr<RecordLock> lock(new RecordLock(c, db, key));
  for (;;) {
    int err = lock->try_lock(readonly);
    if (err == 0) break;
    if (err != EAGAIN) return err;
    // Ask the daemon to make this node dmaster; then look again under the lock.
    proto::ReqCall call;
    call.flags = CALL_IMMEDIATE_MIGRATION | (readonly ? CALL_WANT_READONLY : 0);
    call.db_id = db.db_id();
    call.callid = NULL_FUNC;
    call.key = key;
    proto::ReplyCall reply;
    err = c.call(call, Deadline::never(), &reply);
    if (err != 0 && err != EIO) {
      log(LogLevel::kError, "fetch_lock: %s CALL failed, ret=%d\n", db.name().c_str(), err);
      return err;
    }
    if (err == EIO || reply.status != 0) return EIO;
  }
  *out = std::move(lock);
  return 0;
}

int RecordLock::store(const Bytes& value) {
  if (readonly_copy_) return EINVAL;
  if (value == value_) return 0;
  Bytes rec = proto::to_bytes(header_);
  rec.insert(rec.end(), value.begin(), value.end());
  if (tdb_store(db_.tdb(), as_tdb(key_), as_tdb(rec), TDB_REPLACE) != 0) {
    log(LogLevel::kError, "store_record: %s tdb_storev failed, %s\n", db_.name().c_str(),
        tdb_errorstr(db_.tdb()));
    return EIO;
  }
  value_ = value;
  return 0;
}

int RecordLock::remove() {
  if (readonly_copy_) {
    log(LogLevel::kError, "fetch_lock delete: %s readonly record\n", db_.name().c_str());
    return EINVAL;
  }
  Bytes rec = proto::to_bytes(header_);
  if (tdb_store(db_.tdb(), as_tdb(key_), as_tdb(rec), TDB_REPLACE) != 0) {
    log(LogLevel::kError, "fetch_lock delete: %s tdb_store failed, %s\n", db_.name().c_str(),
        tdb_errorstr(db_.tdb()));
    return EIO;
  }
  value_.clear();
  proto::KeyData kd;
  kd.db_id = db_.db_id();
  kd.header = header_;
  kd.key = key_;
  ControlReply reply;
  int err = client_.control(client_.pnn(), CONTROL_SCHEDULE_FOR_DELETION, proto::to_bytes(kd),
                            Deadline::never(), &reply);
  if (err == 0 && reply.status != 0) err = reply.status;
  if (err != 0) {
    log(LogLevel::kError, "delete_record: %s SCHEDULE_FOR_DELETION failed, ret=%d\n",
        db_.name().c_str(), err);
  }
  return err;
}

int traverse(Client& c, Database& db, uint32_t destnode, const Deadline& d, const RecordFn& fn) {
  uint64_t srvid = SRVID_CLIENT_RANGE | static_cast<uint64_t>(getpid());
  int err = c.register_srvid(srvid);
  if (err != 0) return err;

  proto::TraverseStartExt start;
  start.db_id = db.db_id();
  start.srvid = srvid;
  ControlReply reply;
  int result = c.control(destnode, CONTROL_TRAVERSE_START_EXT, proto::to_bytes(start), d, &reply);
  if (result != 0) {
    log(LogLevel::kError, "traverse: control failed, ret=%d\n", result);
  } else if (reply.status != 0) {
    result = reply.status;
    log(LogLevel::kError, "traverse: control reply failed, ret=%d\n", result);
  }
  while (result == 0) {
    Message msg;
    result = c.wait_message(Deadline::never(), &msg);
    if (result != 0) break;
    if (msg.srvid != srvid) continue;
    proto::RecData rec;
    if (!proto::from_bytes(msg.data, &rec)) continue;
    if (rec.key.empty() && rec.data.empty()) break;  // end of traverse
    proto::LtdbHeader header;
    Bytes value;
    if (!rec.split_header(&header, &value)) continue;
    // Records that are only a header are deleted records: not shown.
    if (value.empty()) continue;
    result = fn(rec.key, header, value);
  }
  int derr = c.deregister_srvid(srvid);
  return result != 0 ? result : derr;
}

}  // namespace ctdb::client
