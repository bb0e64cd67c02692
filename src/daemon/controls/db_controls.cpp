// Database controls: the dbmap, attach/detach, paths and names, open flags,
// sequence numbers, persistent commits (TRANS3_COMMIT), health, statistics
// and traverse.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/cluster/vnnmap.h"
#include "daemon/cluster_host.h"
#include "daemon/controls/dispatch.h"
#include "daemon/db/db_registry.h"
#include "daemon/db/seqnum_sync.h"
#include "daemon/db/traverse.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on.
struct DbCtx {
  ClusterHost& cluster;
  DbRegistry& dbs;
  TraverseManager& traverses;
  SeqnumSync& seqnums;
  ReplySink& replies;
  // A persistent commit some node could not apply: recovery makes the nodes
  // agree again, and the client hears the outcome when it ends.
  std::function<void(const Responder& to)> commit_needs_recovery;
};

// Most database controls carry just the db_id.
Database* db_from_payload(DbCtx& d, const ControlRequest& req) {
  uint32_t db_id;
  if (!payload_u32(req.c.data, &db_id)) return nullptr;
  return d.dbs.find(db_id);
}

ControlReply get_dbmap(DbCtx& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  proto::DbIdMap map;
  // Most recently attached first, as 4.17 lists them.
  const auto& all = d.dbs.all();
  for (auto it = all.rbegin(); it != all.rend(); ++it)
    map.dbs.push_back({(*it)->db_id, (*it)->flags});
  ControlReply r;
  r.data = proto::to_bytes(map);
  return r;
}

ControlReply attach(DbCtx& d, const ControlRequest& req, uint8_t flags) {
  proto::Reader rd(req.c.data);
  std::string name;
  if (!proto::decode_cstring(rd, &name) || name.empty()) return control_error();
  if (d.cluster.tunables()[kAllowClientDBAttach] == 0 && req.client != nullptr) {
    CTDB_LOGF(kLogError, "DB Attach to database %s denied by tunable AllowClientDBAccess == 0",
              name.c_str());
    return control_error();
  }
  if (d.cluster.nodes()[d.cluster.pnn()].flags & NODE_FLAGS_INACTIVE) {
    CTDB_LOGF(kLogError, "DB Attach to database %s refused since node is inactive", name.c_str());
    return control_error();
  }
  std::string error;
  bool known = false;
  for (const auto& existing : d.dbs.all()) known |= existing->name == name;
  const auto& tun = d.cluster.tunables();
  Database* db = d.dbs.attach(name, flags, tun[kDatabaseHashSize], tun[kDatabaseMaxDead], &error);
  if (db == nullptr) {
    CTDB_LOGF(kLogError, "DB Attach to database %s failed: %s", name.c_str(), error.c_str());
    return control_error();
  }
  if (req.client != nullptr) db->attached_clients.insert(req.client->id());
  // A database a client opens here exists on every node (as in 4.17).
  if (!known && req.client != nullptr) {
    for (uint32_t pnn : d.cluster.broadcast_targets(BROADCAST_CONNECTED)) {
      if (pnn != d.cluster.pnn()) {
        d.cluster.send_control(pnn, req.c.opcode, 0, req.c.data, 0, nullptr, CTRL_FLAG_NOREPLY);
      }
    }
  }
  ControlReply r;
  r.data = u32_bytes(db->db_id);
  return r;
}

ControlReply db_attach(DbCtx& d, const ControlRequest& req) { return attach(d, req, 0); }

ControlReply db_attach_persistent(DbCtx& d, const ControlRequest& req) {
  return attach(d, req, DB_FLAGS_PERSISTENT);
}

ControlReply db_attach_replicated(DbCtx& d, const ControlRequest& req) {
  return attach(d, req, DB_FLAGS_REPLICATED);
}

// What 4.17 refuses a detach for, on any node: "" when it may go ahead.
std::string detach_refusal(DbCtx& d, const Database& db) {
  if (d.cluster.tunables()[kAllowClientDBAttach] == 1) {
    return "DB detach from database " + db.name +
           " denied. Clients are allowed access to databases (AllowClientDBAccess == 1)";
  }
  if (!db.volatile_db()) return "Detaching non-volatile database " + db.name + " denied";
  if (d.cluster.recmode() == RECOVERY_ACTIVE) return "DB detach denied while in recovery";
  if (!db.attached_clients.empty()) {
    return "DB detach from database " + db.name +
           " denied: " + std::to_string(db.attached_clients.size()) +
           " client(s) still have it attached";
  }
  return "";
}

// From a client (`ctdb detach`): the database is detached on every connected
// node, this one included, and the client hears success only if every node
// did. 4.17 broadcasts without waiting and always answers 0; waiting lets the
// tool report a node that refused.
ControlReply detach_everywhere(DbCtx& d, const ControlRequest& req, Database& db) {
  std::string why = detach_refusal(d, db);
  if (!why.empty()) {
    CTDB_LOGF(kLogError, "%s", why.c_str());
    return control_error(why);
  }
  std::vector<uint32_t> targets = d.cluster.broadcast_targets(BROADCAST_CONNECTED);
  auto remaining = std::make_shared<size_t>(targets.size());
  auto failed = std::make_shared<std::vector<uint32_t>>();
  Responder to = req.responder;
  std::string name = db.name;
  for (uint32_t pnn : targets) {
    d.cluster.send_control(
        pnn, CONTROL_DB_DETACH, 0, req.c.data, d.cluster.tunables()[kControlTimeout],
        [&d, remaining, failed, to, name](uint32_t from, int32_t status, const proto::Bytes&,
                                          const std::string&) {
          if (status != 0) failed->push_back(from);
          if (--*remaining != 0) return;
          if (failed->empty()) {
            d.replies.respond(to, ControlReply{});
            return;
          }
          std::string nodes;
          for (uint32_t pnn : *failed) nodes += (nodes.empty() ? "" : ",") + std::to_string(pnn);
          CTDB_LOGF(kLogError, "DB detach of %s failed on node(s) %s", name.c_str(), nodes.c_str());
          d.replies.respond(to, control_error("detach refused on node(s) " + nodes));
        });
  }
  ControlReply r;
  r.async = true;
  return r;
}

ControlReply db_detach(DbCtx& d, const ControlRequest& req) {
  uint32_t db_id;
  if (!payload_u32(req.c.data, &db_id)) return control_error();
  Database* db = d.dbs.find(db_id);
  if (req.client != nullptr) {
    if (db == nullptr) {
      CTDB_LOGF(kLogError, "Invalid dbid 0x%08x in DB detach", db_id);
      return control_error();
    }
    return detach_everywhere(d, req, *db);
  }
  // From a node (or this node's own broadcast): detach here. A node that
  // does not have the database has nothing to do.
  if (db == nullptr) return {};
  std::string why = detach_refusal(d, *db);
  if (!why.empty()) {
    CTDB_LOGF(kLogError, "%s", why.c_str());
    return control_error(why);
  }
  d.traverses.db_detached(db->db_id);  // as 4.17, the walks of this node end
  d.dbs.detach(db->db_id);             // and its vacuuming state goes with it
  return {};
}

ControlReply getdbpath(DbCtx& d, const ControlRequest& req) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr) return control_error();
  ControlReply r;
  proto::Writer w(&r.data);
  proto::encode_cstring(w, db->ltdb->path());
  return r;
}

ControlReply get_dbname(DbCtx& d, const ControlRequest& req) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr) return control_error();
  ControlReply r;
  proto::Writer w(&r.data);
  proto::encode_cstring(w, db->name);
  return r;
}

ControlReply db_open_flags(DbCtx& d, const ControlRequest& req) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr) return control_error();
  ControlReply r;
  r.data = u32_bytes(static_cast<uint32_t>(db->open_flags()));
  return r;
}

// The db_id travels as a u64 here (4.17 layout).
ControlReply get_db_seqnum(DbCtx& d, const ControlRequest& req) {
  uint64_t id;
  if (!payload_u64(req.c.data, &id)) return control_error();
  uint64_t seqnum;
  std::string error;
  proto::Bytes key(DB_SEQNUM_KEY, DB_SEQNUM_KEY + strlen(DB_SEQNUM_KEY) + 1);
  uint32_t lmaster = lmaster_of(d.cluster.vnnmap(), key).value_or(d.cluster.pnn());
  if (!d.dbs.seqnum(static_cast<uint32_t>(id), lmaster, &seqnum, &error)) {
    CTDB_LOGF(kLogError, "GET_DB_SEQNUM: %s", error.c_str());
    return control_error();
  }
  ControlReply r;
  r.data = u64_bytes(seqnum);
  return r;
}

ControlReply enable_seqnum(DbCtx& d, const ControlRequest& req) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr) return control_error();
  d.seqnums.enable(*db);
  return {};
}

// Another node's periodic check saw the database change (4.17 ignores its own broadcast).
ControlReply update_seqnum(DbCtx& d, const ControlRequest& req) {
  uint32_t db_id;
  if (!payload_u32(req.c.data, &db_id)) return control_error();
  if (req.srcnode == d.cluster.pnn()) return {};
  if (!d.seqnums.peer_changed(db_id)) {
    CTDB_LOGF(kLogError, "Unknown db_id 0x%08x in UPDATE_SEQNUM", db_id);
    return control_error();
  }
  return {};
}

// A client's persistent commit goes to every active node of the vnnmap as
// UPDATE_RECORD (this node included); the client hears success only when
// every node has applied it, as in 4.17.
ControlReply trans3_commit(DbCtx& d, const ControlRequest& req) {
  if (d.cluster.nodes()[d.cluster.pnn()].flags & NODE_FLAGS_INACTIVE) {
    return control_error("this node is stopped or banned");
  }
  if (d.cluster.recmode() != RECOVERY_NORMAL) return control_error("recovery in progress");
  proto::RecBuffer recs;
  if (!proto::from_bytes(req.c.data, &recs)) return control_error();
  Database* db = d.dbs.find(recs.db_id);
  if (db == nullptr || db->volatile_db()) return control_error("not a persistent database");
  // Every node of the vnnmap this node cannot reach makes the commit fail before anything is
  // applied: such a node may still serve clients (only this link is down, or it does not know
  // yet that it has been left out) and would read, and commit on top of, a database without
  // this commit. 4.17 skips it. Stopped and banned nodes are skipped, as in 4.17: they take no
  // commits and the recovery that lets them back in brings them the newest database.
  std::vector<uint32_t> targets;
  for (uint32_t pnn : d.cluster.vnnmap().map) {
    uint32_t flags = pnn < d.cluster.nodes().size() ? d.cluster.nodes()[pnn].flags : 0;
    if (flags & NODE_FLAGS_DISCONNECTED) {
      return control_error("node " + std::to_string(pnn) + " is disconnected");
    }
    if (!(flags & NODE_FLAGS_INACTIVE)) targets.push_back(pnn);
  }
  if (targets.empty()) targets.push_back(d.cluster.pnn());
  // This node applies the commit last, once every other node has. A node that has dropped out
  // of the cluster without knowing it yet (SIGSTOPped, cut off) then cannot apply a commit on
  // its own copy that the others refused or never saw: a later recovery could prefer that
  // copy to theirs (same sequence number) and lose their acknowledged commits. 4.17 sends to
  // every node at once, itself included.
  const uint32_t self = d.cluster.pnn();
  bool here = std::find(targets.begin(), targets.end(), self) != targets.end();
  targets.erase(std::remove(targets.begin(), targets.end(), self), targets.end());
  struct State {
    size_t remaining;
    bool ok = true;
  };
  auto state = std::make_shared<State>(State{targets.size()});
  Responder to = req.responder;
  uint32_t db_id = recs.db_id;
  // As 4.17: a node that could not apply the commit (its disk full, say) makes this node ask
  // for a recovery, which brings every node the newest copy of the database; the client is
  // answered when it ends ("ended by recovery") and then reads the database's sequence number
  // to learn whether its commit is in.
  auto answer = [&d, to](bool ok) {
    if (ok) {
      d.replies.respond(to, ControlReply{});
    } else {
      d.commit_needs_recovery(to);
    }
  };
  auto failed = [db_id](uint32_t from, const std::string& err) {
    CTDB_LOGF(kLogError, "TRANS3_COMMIT to db 0x%08x failed on node %u: %s", db_id, from,
              err.c_str());
  };
  auto apply_here = [&d, self, data = req.c.data, answer, failed]() {
    d.cluster.send_control(self, CONTROL_UPDATE_RECORD, 0, data,
                           d.cluster.tunables()[kControlTimeout],
                           [answer, failed](uint32_t from, int32_t status, const proto::Bytes&,
                                            const std::string& err) {
                             if (status != 0) failed(from, err);
                             answer(status == 0);
                           });
  };
  if (targets.empty()) apply_here();  // this node alone
  for (uint32_t pnn : targets) {
    d.cluster.send_control(
        pnn, CONTROL_UPDATE_RECORD, 0, req.c.data, d.cluster.tunables()[kControlTimeout],
        [state, here, answer, failed, apply_here](uint32_t from, int32_t status,
                                                  const proto::Bytes&, const std::string& err) {
          if (status != 0) {
            failed(from, err);
            state->ok = false;
          }
          if (--state->remaining != 0) return;
          if (state->ok && here) {
            apply_here();
          } else {
            answer(state->ok);
          }
        });
  }
  ControlReply r;
  r.async = true;
  return r;
}

// One node's part of a persistent commit: all records in one tdb transaction.
ControlReply update_record(DbCtx& d, const ControlRequest& req) {
  if (d.cluster.recmode() != RECOVERY_NORMAL) return control_error("recovery in progress");
  // A node that was left out of the last recovery still has the old generation: what it sends
  // was read from a database the cluster has moved past (4.17 applies it).
  if (req.client == nullptr && req.srcnode != d.cluster.pnn() &&
      req.hdr.generation != d.cluster.vnnmap().generation) {
    return control_error("generation mismatch: " + std::to_string(req.hdr.generation) +
                         " is not this node's " + std::to_string(d.cluster.vnnmap().generation));
  }
  proto::RecBuffer recs;
  if (!proto::from_bytes(req.c.data, &recs)) return control_error();
  std::string error;
  if (!d.dbs.apply_persistent(recs, &error)) {
    CTDB_LOGF(kLogError, "UPDATE_RECORD to db 0x%08x failed: %s", recs.db_id, error.c_str());
    return control_error(error);
  }
  return {};
}

ControlReply db_get_health(DbCtx& d, const ControlRequest& req) {
  if (db_from_payload(d, req) == nullptr) return control_error();
  return {};  // no data: healthy
}

ControlReply get_db_statistics(DbCtx& d, const ControlRequest& req) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr) return control_error();
  proto::DbStatistics s = db->stats;
  s.vacuum.latency = db->vacuum.latency;
  db->hot_keys.fill(&s);
  ControlReply r;
  r.data = proto::to_bytes(s);
  return r;
}

ControlReply set_db_flag(DbCtx& d, const ControlRequest& req, uint8_t flag) {
  Database* db = db_from_payload(d, req);
  if (db == nullptr || !db->volatile_db()) return control_error();
  db->flags |= flag;
  return {};
}

ControlReply set_db_readonly(DbCtx& d, const ControlRequest& req) {
  return set_db_flag(d, req, DB_FLAGS_READONLY);
}

ControlReply set_db_sticky(DbCtx& d, const ControlRequest& req) {
  return set_db_flag(d, req, DB_FLAGS_STICKY);
}

// A client's traverse: every node concerned walks its copy in a child and sends its records
// here (TRAVERSE_ALL / TRAVERSE_DATA); they reach the client's srvid as rec_data messages,
// then an empty record. The reply (0) comes first, the records later, as in 4.17.
ControlReply traverse(DbCtx& d, const ControlRequest& req, uint32_t db_id, uint32_t reqid,
                      uint64_t srvid, bool with_empty) {
  if (req.client == nullptr) {
    CTDB_LOGF(kLogError, "Traverse start: no client found");
    return control_error();
  }
  if (!d.traverses.start(req.client->id(), db_id, reqid, srvid, with_empty)) {
    return control_error();
  }
  return {};
}

ControlReply traverse_start(DbCtx& d, const ControlRequest& req) {
  proto::TraverseStart t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  return traverse(d, req, t.db_id, t.reqid, t.srvid, false);
}

ControlReply traverse_start_ext(DbCtx& d, const ControlRequest& req) {
  proto::TraverseStartExt t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  return traverse(d, req, t.db_id, t.reqid, t.srvid, t.withemptyrecords);
}

// A node (this one included) asks for this node's part of its traverse.
ControlReply traverse_all(DbCtx& d, const ControlRequest& req) {
  proto::TraverseAll t;
  if (!proto::from_bytes(req.c.data, &t)) {
    CTDB_LOGF(kLogError, "Invalid size in traverse_all");
    return control_error();
  }
  if (!d.traverses.start_local(t.db_id, t.reqid, t.pnn, t.client_reqid, t.srvid, false)) {
    return control_error();
  }
  return {};
}

ControlReply traverse_all_ext(DbCtx& d, const ControlRequest& req) {
  proto::TraverseAllExt t;
  if (!proto::from_bytes(req.c.data, &t)) {
    CTDB_LOGF(kLogError, "Invalid size in traverse_all_ext");
    return control_error();
  }
  if (!d.traverses.start_local(t.db_id, t.reqid, t.pnn, t.client_reqid, t.srvid,
                               t.withemptyrecords)) {
    return control_error();
  }
  return {};
}

ControlReply traverse_data(DbCtx& d, const ControlRequest& req) {
  return d.traverses.data(req.c.data) ? ControlReply{} : control_error();
}

// Sent to every connected node when a client's traverse ends early (client gone, timeout).
ControlReply traverse_kill(DbCtx& d, const ControlRequest& req) {
  proto::TraverseStart t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  return d.traverses.kill_local(t.db_id, t.reqid, t.srvid) ? ControlReply{} : control_error();
}

}  // namespace

void register_db_controls(ControlTable& t, ClusterHost& cluster, DbRegistry& dbs,
                          TraverseManager& traverses, SeqnumSync& seqnums, ReplySink& replies,
                          std::function<void(const Responder&)> commit_needs_recovery) {
  auto d = std::make_shared<DbCtx>(
      DbCtx{cluster, dbs, traverses, seqnums, replies, std::move(commit_needs_recovery)});
  t.add(CONTROL_GET_DBMAP, bind_handler(d, get_dbmap));
  t.add(CONTROL_DB_ATTACH, bind_handler(d, db_attach));
  t.add(CONTROL_DB_ATTACH_PERSISTENT, bind_handler(d, db_attach_persistent));
  t.add(CONTROL_DB_ATTACH_REPLICATED, bind_handler(d, db_attach_replicated));
  t.add(CONTROL_DB_DETACH, bind_handler(d, db_detach));
  t.add(CONTROL_GETDBPATH, bind_handler(d, getdbpath));
  t.add(CONTROL_GET_DBNAME, bind_handler(d, get_dbname));
  t.add(CONTROL_DB_OPEN_FLAGS, bind_handler(d, db_open_flags));
  t.add(CONTROL_GET_DB_SEQNUM, bind_handler(d, get_db_seqnum));
  t.add(CONTROL_ENABLE_SEQNUM, bind_handler(d, enable_seqnum));
  t.add(CONTROL_UPDATE_SEQNUM, bind_handler(d, update_seqnum));
  t.add(CONTROL_TRANS3_COMMIT, bind_handler(d, trans3_commit));
  t.add(CONTROL_UPDATE_RECORD, bind_handler(d, update_record));
  t.add(CONTROL_DB_GET_HEALTH, bind_handler(d, db_get_health));
  t.add(CONTROL_GET_DB_STATISTICS, bind_handler(d, get_db_statistics));
  t.add(CONTROL_SET_DB_READONLY, bind_handler(d, set_db_readonly));
  t.add(CONTROL_SET_DB_STICKY, bind_handler(d, set_db_sticky));
  t.add(CONTROL_TRAVERSE_START, bind_handler(d, traverse_start));
  t.add(CONTROL_TRAVERSE_START_EXT, bind_handler(d, traverse_start_ext));
  t.add(CONTROL_TRAVERSE_ALL, bind_handler(d, traverse_all), ControlAccess::kNodeOnly);
  t.add(CONTROL_TRAVERSE_ALL_EXT, bind_handler(d, traverse_all_ext), ControlAccess::kNodeOnly);
  t.add(CONTROL_TRAVERSE_DATA, bind_handler(d, traverse_data), ControlAccess::kNodeOnly);
  t.add(CONTROL_TRAVERSE_KILL, bind_handler(d, traverse_kill));
}

}  // namespace ctdb::daemon
