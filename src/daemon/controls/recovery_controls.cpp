// Controls the recovery master sends to every node during a recovery, in 4.17
// layouts: recovery mode, vnnmap, node flags, and per database freeze,
// transaction, pull, push and thaw.
#include <memory>

#include "common/logging.h"
#include "daemon/cluster/recoverd.h"
#include "daemon/controls/dispatch.h"
#include "daemon/db/db_registry.h"
#include "daemon/db/record_store.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on: the node side of a recovery.
struct RecoveryCtx {
  cluster::RecoverdHost& cluster;
  DbRegistry& dbs;
  ReplySink& replies;
  std::function<void(uint32_t mode, bool from_client)> apply_recmode;
  std::function<void(proto::VnnMap map)> apply_vnnmap;
};

// Bytes per DB_PULL message; 4.17 bounds these by RecBufferSizeLimit.
size_t pull_chunk_limit(RecoveryCtx& d) {
  uint32_t limit = d.cluster.tunables()[kRecBufferSizeLimit];
  return limit == 0 ? 1000000 : limit;
}

ControlReply set_recmode(RecoveryCtx& d, const ControlRequest& req) {
  uint32_t mode;
  if (!payload_u32(req.c.data, &mode) || (mode != RECOVERY_NORMAL && mode != RECOVERY_ACTIVE)) {
    return control_error("invalid recovery mode");
  }
  if (mode == RECOVERY_NORMAL) {
    for (const auto& db : d.dbs.all()) {
      if (db->freezing()) {
        return control_error("cannot leave recovery mode while databases are frozen");
      }
    }
  }
  d.apply_recmode(mode, req.client != nullptr);
  return {};
}

ControlReply setvnnmap(RecoveryCtx& d, const ControlRequest& req) {
  proto::VnnMap map;
  if (!proto::from_bytes(req.c.data, &map)) return control_error();
  if (d.cluster.recmode() != RECOVERY_ACTIVE) return control_error("not in recovery mode");
  for (uint32_t pnn : map.map) {
    if (pnn >= d.cluster.nodes().size()) return control_error("vnnmap names an unknown node");
  }
  CTDB_LOGF(kLogNotice, "New vnnmap generation %u with %zu lmasters", map.generation,
            map.map.size());
  d.apply_vnnmap(std::move(map));
  return {};
}

// Another node tells us a node's flags changed; whether a link is up is
// only ever decided locally.
ControlReply modify_flags(RecoveryCtx& d, const ControlRequest& req) {
  proto::NodeFlagChange fc;
  if (!proto::from_bytes(req.c.data, &fc)) return control_error();
  if (fc.pnn >= d.cluster.nodes().size()) return control_error("unknown node");
  d.cluster.learn_node_flags(fc.pnn, fc.new_flags);
  return {};
}

Database* db_arg(RecoveryCtx& d, const ControlRequest& req) {
  uint32_t db_id;
  if (!payload_u32(req.c.data, &db_id)) return nullptr;
  return d.dbs.find(db_id);
}

// Takes every chain lock of the database without ever waiting: if a client
// (smbd) holds one, try again shortly, and answer when frozen.
void freeze_step(RecoveryCtx& d, uint32_t db_id, Responder to) {
  Database* db = d.dbs.find(db_id);
  if (db == nullptr) {
    d.replies.respond(to, control_error("database vanished"));
    return;
  }
  if (!db->freezing()) return;  // thawed meanwhile
  if (db->try_freeze() == Database::Freeze::kFrozen) {
    d.replies.respond(to, {});
    return;
  }
  d.cluster.run_after(0.005, [&d, db_id, to] { freeze_step(d, db_id, to); });
}

ControlReply db_freeze(RecoveryCtx& d, const ControlRequest& req) {
  Database* db = db_arg(d, req);
  if (db == nullptr) return control_error("unknown database");
  // Any recovery mode: the tool's wipedb and restoredb freeze outside recoveries.
  if (db->frozen()) return {};
  if (db->freezing()) return control_error("freeze already in progress");
  if (db->try_freeze() == Database::Freeze::kFrozen) return {};
  freeze_step(d, db->db_id, req.responder);
  ControlReply r;
  r.async = true;
  return r;
}

ControlReply db_thaw(RecoveryCtx& d, const ControlRequest& req) {
  Database* db = db_arg(d, req);
  if (db == nullptr) return control_error("unknown database");
  if (db->in_transaction) {
    db->ltdb->transaction_cancel();
    db->in_transaction = false;
  }
  db->thaw();
  db->push_srvid = 0;
  return {};
}

ControlReply db_transaction_start(RecoveryCtx& d, const ControlRequest& req) {
  proto::TransDb t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  Database* db = d.dbs.find(t.db_id);
  if (db == nullptr || !db->frozen()) return control_error("database not frozen");
  if (db->in_transaction) {
    db->ltdb->transaction_cancel();
    db->in_transaction = false;
  }
  if (!db->ltdb->transaction_start()) return control_error(db->ltdb->error_string());
  db->in_transaction = true;
  db->transaction_id = t.tid;
  return {};
}

ControlReply db_transaction_commit(RecoveryCtx& d, const ControlRequest& req) {
  proto::TransDb t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  Database* db = d.dbs.find(t.db_id);
  if (db == nullptr || !db->in_transaction || db->transaction_id != t.tid) {
    return control_error("no such recovery transaction");
  }
  db->in_transaction = false;
  if (!db->ltdb->transaction_commit()) return control_error(db->ltdb->error_string());
  return {};
}

ControlReply db_transaction_cancel(RecoveryCtx& d, const ControlRequest& req) {
  Database* db = db_arg(d, req);
  if (db == nullptr) return control_error("unknown database");
  if (db->in_transaction) db->ltdb->transaction_cancel();
  db->in_transaction = false;
  return {};
}

// Streams every record of the database, header included, to the puller's
// srvid as RecBuffer messages; the reply is how many records were sent.
ControlReply db_pull(RecoveryCtx& d, const ControlRequest& req) {
  proto::PullDbExt p;
  if (!proto::from_bytes(req.c.data, &p)) return control_error();
  Database* db = d.dbs.find(p.db_id);
  if (db == nullptr || !db->frozen()) return control_error("database not frozen");
  size_t limit = pull_chunk_limit(d);
  uint32_t count = 0;
  proto::RecBuffer buf;
  buf.db_id = db->db_id;
  auto flush = [&] {
    if (buf.count == 0) return;
    d.cluster.send_message(req.srcnode, p.srvid, proto::to_bytes(buf));
    buf.count = 0;
    buf.buf.clear();
  };
  db->ltdb->traverse(
      [&](const Bytes& key, const LtdbHeader& h, const Bytes& value) {
        buf.add(0, &h, key, value);
        count++;
        if (buf.buf.size() >= limit) flush();
        return true;
      },
      /*read_only=*/true);
  flush();
  ControlReply r;
  r.data = u32_bytes(count);
  return r;
}

// WIPE_DATABASE: empties a frozen database inside its recovery transaction
// (the tool's wipedb and restoredb, and a 4.17 recovery master, send it).
ControlReply wipe_database(RecoveryCtx& d, const ControlRequest& req) {
  proto::TransDb t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  Database* db = d.dbs.find(t.db_id);
  if (db == nullptr) return control_error("unknown database");
  if (!db->frozen()) return control_error("database is not frozen");
  if (!db->in_transaction) return control_error("transaction not started");
  if (db->transaction_id != t.tid) return control_error("incorrect transaction id");
  if (!db->ltdb->wipe_all()) return control_error(db->ltdb->error_string());
  return {};
}

// DB_SET_HEALTHY: this daemon has no unhealthy databases to clear.
ControlReply db_set_healthy(RecoveryCtx& d, const ControlRequest& req) {
  if (db_arg(d, req) == nullptr) return control_error("unknown database");
  return {};
}

// DB_PUSH_START: the records that follow as messages on the srvid are stored
// with the daemon's record rules (the dmaster's copy gets RSN + 1), as 4.17
// stores them, on top of what the database holds (a recovery master sends
// WIPE_DATABASE first). Like 4.17, a buffer in which a record cannot be stored
// fails the push: its records and all later ones are not counted.
ControlReply db_push_start(RecoveryCtx& d, const ControlRequest& req) {
  proto::PullDbExt p;
  if (!proto::from_bytes(req.c.data, &p)) return control_error();
  Database* db = d.dbs.find(p.db_id);
  if (db == nullptr || !db->in_transaction) return control_error("no recovery transaction");
  db->push_srvid = p.srvid;
  db->push_count = 0;
  auto failed = std::make_shared<bool>(false);
  uint32_t db_id = db->db_id;
  d.cluster.set_message_handler(p.srvid, [&d, db_id, failed](const Bytes& data) {
    Database* target = d.dbs.find(db_id);
    proto::RecBuffer recs;
    const char* why = target == nullptr                 ? "database gone"
                      : !target->in_transaction         ? "no transaction"
                      : !proto::from_bytes(data, &recs) ? "malformed record buffer"
                                                        : nullptr;
    // The buffer's own db_id is not checked: the tool's restoredb sends the
    // buffers of the backup file, whose db_id may be another one (4.17 does
    // not look at it either).
    if (why != nullptr) {
      CTDB_LOGF(kLogError, "dropping recovery push for db 0x%08x: %s", db_id, why);
      *failed = true;
      return;
    }
    if (*failed) return;
    const proto::VnnMap& map = d.cluster.vnnmap();
    uint32_t stored = 0;
    recs.for_each([&](const proto::RecData& rec) {
      LtdbHeader h;
      Bytes value;
      if (!rec.split_header(&h, &value)) {
        *failed = true;
        return false;
      }
      // A recovery revokes every read-only copy implicitly (as 4.17 does).
      h.flags &= ~REC_RO_FLAGS;
      RecordPlace at{d.cluster.pnn(), lmaster_of(map, rec.key).value_or(d.cluster.pnn())};
      bool deletes = value.empty() &&
                     !(h.flags & (REC_FLAG_AUTOMATIC | REC_FLAG_MIGRATED_WITH_DATA)) &&
                     at.pnn != at.lmaster && h.dmaster != at.pnn;
      std::string err;
      if ((deletes && !target->ltdb->exists(rec.key)) ||
          !store_record(*target, rec.key, &h, value, at, &err)) {
        CTDB_LOGF(kLogError, "Unable to store record in push to db 0x%08x", db_id);
        *failed = true;
        return false;
      }
      stored++;
      return true;
    });
    if (!*failed) target->push_count += stored;
  });
  return {};
}

ControlReply db_push_confirm(RecoveryCtx& d, const ControlRequest& req) {
  Database* db = db_arg(d, req);
  if (db == nullptr || db->push_srvid == 0) return control_error("no push in progress");
  d.cluster.clear_message_handler(db->push_srvid);
  db->push_srvid = 0;
  ControlReply r;
  r.data = u32_bytes(db->push_count);
  return r;
}

}  // namespace

void register_recovery_controls(ControlTable& t, cluster::RecoverdHost& cluster, DbRegistry& dbs,
                                ReplySink& replies,
                                std::function<void(uint32_t, bool)> apply_recmode,
                                std::function<void(proto::VnnMap)> apply_vnnmap) {
  auto d = std::make_shared<RecoveryCtx>(
      RecoveryCtx{cluster, dbs, replies, std::move(apply_recmode), std::move(apply_vnnmap)});
  t.add(CONTROL_SET_RECMODE, bind_handler(d, set_recmode));
  t.add(CONTROL_SETVNNMAP, bind_handler(d, setvnnmap));
  t.add(CONTROL_MODIFY_FLAGS, bind_handler(d, modify_flags));
  t.add(CONTROL_DB_FREEZE, bind_handler(d, db_freeze));
  t.add(CONTROL_DB_THAW, bind_handler(d, db_thaw));
  t.add(CONTROL_DB_TRANSACTION_START, bind_handler(d, db_transaction_start));
  t.add(CONTROL_DB_TRANSACTION_COMMIT, bind_handler(d, db_transaction_commit));
  t.add(CONTROL_DB_TRANSACTION_CANCEL, bind_handler(d, db_transaction_cancel));
  t.add(CONTROL_DB_PULL, bind_handler(d, db_pull));
  t.add(CONTROL_DB_PUSH_START, bind_handler(d, db_push_start));
  t.add(CONTROL_DB_PUSH_CONFIRM, bind_handler(d, db_push_confirm));
  t.add(CONTROL_WIPE_DATABASE, bind_handler(d, wipe_database));
  t.add(CONTROL_DB_SET_HEALTHY, bind_handler(d, db_set_healthy));
}

}  // namespace ctdb::daemon
