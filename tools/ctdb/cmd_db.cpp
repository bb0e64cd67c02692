// ctdb commands on databases: getdbmap, getdbstatus, attach, detach, catdb,
// readkey, writekey, deletekey, getdbseqnum, and the persistent-database
// commands pfetch, pstore, pdelete, ptrans.
#include <errno.h>
#include <stdio.h>

#include <memory>

#include "client/controls.h"
#include "client/format.h"
#include "client/log.h"
#include "client/transaction.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

bool is_volatile(uint8_t flags) {
  return (flags & (DB_FLAGS_PERSISTENT | DB_FLAGS_REPLICATED)) == 0;
}

int attach(Context* ctx, const std::string& name, uint8_t flags,
           std::unique_ptr<client::Database>* db) {
  int ret = client::Database::attach(ctx->c(), ctx->timeout(), name, flags, db);
  if (ret != 0) fprintf(stderr, "Failed to attach to DB %s\n", name.c_str());
  return ret;
}

// Shared start of readkey/writekey/deletekey: the database must be volatile.
int open_volatile(Context* ctx, const std::string& arg, std::unique_ptr<client::Database>* db) {
  std::string name;
  uint8_t flags = 0;
  if (!db_exists(ctx, arg, nullptr, &name, &flags)) return 1;
  if (!is_volatile(flags)) {
    fprintf(stderr, "DB %s is not a volatile database\n", name.c_str());
    return 1;
  }
  return attach(ctx, name, flags, db);
}

// Shared start of the p* commands: the database must support transactions.
int open_persistent(Context* ctx, const std::string& arg, std::string* name, uint8_t* flags) {
  if (!db_exists(ctx, arg, nullptr, name, flags)) return 1;
  if (is_volatile(*flags)) {
    fprintf(stderr, "Transactions not supported on DB %s\n", name->c_str());
    return 1;
  }
  return 0;
}

int start_transaction(Context* ctx, client::Database& db, bool readonly,
                      std::unique_ptr<client::Transaction>* t) {
  int ret = client::Transaction::start(ctx->c(), ctx->timeout(), db, readonly, t);
  if (ret != 0) fprintf(stderr, "Failed to start transaction on db %s\n", db.name().c_str());
  return ret;
}

int commit(client::Transaction& t, const std::string& db_name) {
  int ret = t.commit();
  if (ret != 0) {
    fprintf(stderr, "Failed to commit transaction on db %s\n", db_name.c_str());
    t.cancel();
  }
  return ret;
}

// "flags": raw, "flag_names": [...] and one boolean a flag, for a database's DB_FLAGS_*.
void json_db_flags(JsonWriter& w, uint8_t flags) {
  static const std::pair<uint8_t, const char*> kNames[] = {
      {DB_FLAGS_PERSISTENT, "PERSISTENT"},
      {DB_FLAGS_READONLY, "READONLY"},
      {DB_FLAGS_STICKY, "STICKY"},
      {DB_FLAGS_REPLICATED, "REPLICATED"},
  };
  w.field("flags", flags).key("flag_names").begin_array();
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) w.value(name);
  }
  w.end_array();
  w.field("persistent", (flags & DB_FLAGS_PERSISTENT) != 0);
  w.field("replicated", (flags & DB_FLAGS_REPLICATED) != 0);
  w.field("sticky", (flags & DB_FLAGS_STICKY) != 0);
  w.field("readonly", (flags & DB_FLAGS_READONLY) != 0);
}

// "health": "OK" or the reason the database is unhealthy, and "healthy".
void json_db_health(JsonWriter& w, const std::string& health) {
  w.field("health", health.empty() ? "OK" : health).field("healthy", health.empty());
}

// One database as getdbmap shows it.
struct DbView {
  uint32_t db_id = 0;
  uint8_t flags = 0;
  std::string name, path, health;  // health: empty when healthy
};

}  // namespace

int control_getdbmap(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("getdbmap");
  proto::DbIdMap dbmap;
  int ret = client::ctrl_get_dbmap(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &dbmap);
  if (ret != 0) return ret;
  std::vector<DbView> dbs;
  for (const auto& db : dbmap.dbs) {
    DbView v;
    v.db_id = db.db_id;
    v.flags = db.flags;
    ret = client::ctrl_get_dbname(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db.db_id, &v.name);
    if (ret != 0) return ret;
    ret = client::ctrl_getdbpath(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db.db_id, &v.path);
    if (ret != 0) return ret;
    ret = client::ctrl_db_get_health(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db.db_id, &v.health);
    if (ret != 0) return ret;
    dbs.push_back(std::move(v));
  }

  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).key("databases").begin_array();
    for (const auto& db : dbs) {
      w.begin_object().field("db_id", db.db_id).field("name", db.name).field("path", db.path);
      json_db_flags(w, db.flags);
      json_db_health(w, db.health);
      w.end_object();
    }
    print_json(ctx, w.end_array().end_object());
    return 0;
  }
  const char* s = options.sep;
  if (options.machinereadable == 1) {
    printf("%sID%sName%sPath%sPersistent%sSticky%sUnhealthy%sReadonly%sReplicated%s\n", s, s, s, s,
           s, s, s, s, s);
  } else {
    printf("Number of databases:%zu\n", dbs.size());
  }
  for (const auto& db : dbs) {
    bool persistent = db.flags & DB_FLAGS_PERSISTENT;
    bool readonly = db.flags & DB_FLAGS_READONLY;
    bool sticky = db.flags & DB_FLAGS_STICKY;
    bool replicated = db.flags & DB_FLAGS_REPLICATED;
    bool unhealthy = !db.health.empty();
    if (options.machinereadable == 1) {
      printf("%s0x%08X%s%s%s%s%s%d%s%d%s%d%s%d%s%d%s\n", s, db.db_id, s, db.name.c_str(), s,
             db.path.c_str(), s, persistent, s, sticky, s, unhealthy, s, readonly, s, replicated,
             s);
    } else {
      printf("dbid:0x%08x name:%s path:%s%s%s%s%s%s\n", db.db_id, db.name.c_str(), db.path.c_str(),
             persistent ? " PERSISTENT" : "", sticky ? " STICKY" : "", readonly ? " READONLY" : "",
             replicated ? " REPLICATED" : "", unhealthy ? " UNHEALTHY" : "");
    }
  }
  return 0;
}

int control_getdbstatus(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("getdbstatus");
  uint32_t db_id = 0;
  std::string name, path, health;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], &db_id, &name, &flags)) return 1;
  int ret = client::ctrl_getdbpath(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db_id, &path);
  if (ret != 0) return ret;
  ret = client::ctrl_db_get_health(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db_id, &health);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("db_id", db_id).field("name", name);
    w.field("path", path);
    json_db_flags(w, flags);
    json_db_health(w, health);
    print_json(ctx, w.end_object());
    return 0;
  }
  auto yes_no = [&](uint8_t bit) { return (flags & bit) ? "yes" : "no"; };
  printf("dbid: 0x%08x\nname: %s\npath: %s\n", db_id, name.c_str(), path.c_str());
  printf("PERSISTENT: %s\nREPLICATED: %s\nSTICKY: %s\nREADONLY: %s\n", yes_no(DB_FLAGS_PERSISTENT),
         yes_no(DB_FLAGS_REPLICATED), yes_no(DB_FLAGS_STICKY), yes_no(DB_FLAGS_READONLY));
  printf("HEALTH: %s\n", health.empty() ? "OK" : health.c_str());
  return 0;
}

int control_catdb(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("catdb");
  std::string name;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], nullptr, &name, &flags)) return 1;
  std::unique_ptr<client::Database> db;
  int ret = attach(ctx, name, flags, &db);
  if (ret != 0) return ret;
  uint32_t count = 0;
  RecordPrinter printer;
  ret = client::traverse(ctx->c(), *db, ctx->cmd_pnn, ctx->timeout(),
                         [&](const Bytes& key, const proto::LtdbHeader& h, const Bytes& value) {
                           count++;
                           printer.print(key, h, value);
                           return 0;
                         });
  printer.flush();
  printf("Dumped %u records\n", count);
  return ret;
}

int control_attach(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) usage("attach");
  uint8_t flags = 0;
  if (args.size() == 2) {
    if (args[1] == "persistent") {
      flags = DB_FLAGS_PERSISTENT;
    } else if (args[1] == "readonly") {
      flags = DB_FLAGS_READONLY;
    } else if (args[1] == "sticky") {
      flags = DB_FLAGS_STICKY;
    } else if (args[1] == "replicated") {
      flags = DB_FLAGS_REPLICATED;
    } else {
      usage("attach");
    }
  }
  std::unique_ptr<client::Database> db;
  return client::Database::attach(ctx->c(), ctx->timeout(), args[0], flags, &db);
}

int control_detach(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty()) usage("detach");
  int recmode = 0;
  int ret = client::ctrl_get_recmode(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &recmode);
  if (ret != 0) return ret;
  if (recmode == static_cast<int>(RECOVERY_ACTIVE)) {
    fprintf(stderr, "Database cannot be detached when recovery is active\n");
    return 1;
  }
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  // Detaching is only safe when no node lets clients attach again.
  for (const auto& n : nodemap->nodes) {
    if (n.flags & (NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED)) continue;
    if (n.flags & NODE_FLAGS_INACTIVE) {
      fprintf(stderr, "Database cannot be detached on inactive (stopped or banned) node %u\n",
              n.pnn);
      return 1;
    }
    uint32_t value = 0;
    ret = client::ctrl_get_tunable(ctx->c(), n.pnn, ctx->timeout(), "AllowClientDBAttach", &value);
    if (ret != 0) {
      fprintf(stderr, "Unable to get tunable AllowClientDBAttach from node %u\n", n.pnn);
      return ret;
    }
    if (value == 1) {
      fprintf(stderr,
              "Database access is still active on node %u. Set AllowclientDBAttach=0 on all "
              "nodes.\n",
              n.pnn);
      return 1;
    }
  }
  int result = 0;
  for (const auto& arg : args) {
    uint32_t db_id = 0;
    std::string name;
    uint8_t flags = 0;
    if (!db_exists(ctx, arg, &db_id, &name, &flags)) continue;
    if (!is_volatile(flags)) {
      fprintf(stderr, "Only volatile databases can be detached\n");
      return 1;
    }
    ret = client::ctrl_db_detach(ctx->c(), ctx->c().pnn(), ctx->timeout(), db_id);
    if (ret != 0) {
      client::log(client::LogLevel::kError, "detach: %s DB_DETACH failed, ret=%d\n", name.c_str(),
                  ret);
      fprintf(stderr, "Database %s detach failed\n", name.c_str());
      result = ret;
    }
  }
  return result;
}

int control_readkey(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() < 2 || args.size() > 3) usage("readkey");
  bool readonly = false;
  if (args.size() == 3) {
    if (args[2] != "readonly") usage("readkey");
    readonly = true;
  }
  std::unique_ptr<client::Database> db;
  int ret = open_volatile(ctx, args[0], &db);
  if (ret != 0) return ret;
  Bytes key;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  std::unique_ptr<client::RecordLock> rec;
  ret = client::RecordLock::fetch(ctx->c(), *db, key, readonly, &rec);
  if (ret != 0) {
    fprintf(stderr, "Failed to read record for key %s\n", args[1].c_str());
    return ret;
  }
  const Bytes& v = rec->value();
  printf("Data: size:%zu ptr:[%.*s]\n", v.size(), static_cast<int>(v.size()),
         reinterpret_cast<const char*>(v.data()));
  return 0;
}

int control_writekey(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 3) usage("writekey");
  std::unique_ptr<client::Database> db;
  int ret = open_volatile(ctx, args[0], &db);
  if (ret != 0) return ret;
  Bytes key, value;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  ret = parse_data_arg(args[2], "value", &value);
  if (ret != 0) return ret;
  std::unique_ptr<client::RecordLock> rec;
  ret = client::RecordLock::fetch(ctx->c(), *db, key, false, &rec);
  if (ret != 0) {
    // 4.17 names the database here, not the key.
    fprintf(stderr, "Failed to lock record for key %s\n", args[0].c_str());
    return ret;
  }
  ret = rec->store(value);
  if (ret != 0) fprintf(stderr, "Failed to store record for key %s\n", args[1].c_str());
  return ret;
}

int control_deletekey(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("deletekey");
  std::unique_ptr<client::Database> db;
  int ret = open_volatile(ctx, args[0], &db);
  if (ret != 0) return ret;
  Bytes key;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  std::unique_ptr<client::RecordLock> rec;
  ret = client::RecordLock::fetch(ctx->c(), *db, key, false, &rec);
  if (ret != 0) {
    fprintf(stderr, "Failed to fetch record for key %s\n", args[1].c_str());
    return ret;
  }
  ret = rec->remove();
  if (ret != 0) fprintf(stderr, "Failed to delete record for key %s\n", args[1].c_str());
  return ret;
}

int control_getdbseqnum(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("getdbseqnum");
  uint32_t db_id = 0;
  std::string name;
  if (!db_exists(ctx, args[0], &db_id, &name, nullptr)) return 1;
  uint64_t seqnum = 0;
  int ret = client::ctrl_get_db_seqnum(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db_id, &seqnum);
  if (ret != 0) {
    fprintf(stderr, "Failed to get sequence number for DB %s\n", name.c_str());
    return ret;
  }
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("db_id", db_id).field("name", name);
    print_json(ctx, w.field("seqnum", seqnum).end_object());
    return 0;
  }
  printf("0x%llx\n", static_cast<unsigned long long>(seqnum));
  return 0;
}

int control_pfetch(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("pfetch");
  std::string name;
  uint8_t flags = 0;
  int ret = open_persistent(ctx, args[0], &name, &flags);
  if (ret != 0) return ret;
  std::unique_ptr<client::Database> db;
  ret = attach(ctx, name, flags, &db);
  if (ret != 0) return ret;
  Bytes key;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  std::unique_ptr<client::Transaction> t;
  ret = start_transaction(ctx, *db, true, &t);
  if (ret != 0) return ret;
  Bytes value;
  ret = t->fetch(key, &value);
  if (ret != 0) {
    fprintf(stderr, "Failed to read record for key %s\n", args[1].c_str());
    t->cancel();
    return ret;
  }
  printf("%.*s\n", static_cast<int>(value.size()), reinterpret_cast<const char*>(value.data()));
  t->cancel();
  return 0;
}

int control_pstore(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 3) usage("pstore");
  std::string name;
  uint8_t flags = 0;
  int ret = open_persistent(ctx, args[0], &name, &flags);
  if (ret != 0) return ret;
  std::unique_ptr<client::Database> db;
  ret = attach(ctx, name, flags, &db);
  if (ret != 0) return ret;
  Bytes key, value;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  ret = parse_data_arg(args[2], "value", &value);
  if (ret != 0) return ret;
  std::unique_ptr<client::Transaction> t;
  ret = start_transaction(ctx, *db, false, &t);
  if (ret != 0) return ret;
  ret = t->store(key, value);
  if (ret != 0) {
    fprintf(stderr, "Failed to store record for key %s\n", args[1].c_str());
    t->cancel();
    return ret;
  }
  return commit(*t, name);
}

int control_pdelete(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("pdelete");
  std::string name;
  uint8_t flags = 0;
  int ret = open_persistent(ctx, args[0], &name, &flags);
  if (ret != 0) return ret;
  std::unique_ptr<client::Database> db;
  ret = attach(ctx, name, flags, &db);
  if (ret != 0) return ret;
  Bytes key;
  ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  std::unique_ptr<client::Transaction> t;
  ret = start_transaction(ctx, *db, false, &t);
  if (ret != 0) return ret;
  ret = t->remove(key);
  if (ret != 0) {
    fprintf(stderr, "Failed to delete record for key %s\n", args[1].c_str());
    t->cancel();
    return ret;
  }
  return commit(*t, name);
}

int control_ptrans(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) usage("ptrans");
  std::string name;
  uint8_t flags = 0;
  int ret = open_persistent(ctx, args[0], &name, &flags);
  if (ret != 0) return ret;
  FILE* file = stdin;
  if (args.size() == 2) {
    file = fopen(args[1].c_str(), "r");
    if (file == nullptr) {
      fprintf(stderr, "Failed to open file %s\n", args[1].c_str());
      return 1;
    }
  }
  std::unique_ptr<FILE, int (*)(FILE*)> closer(file != stdin ? file : nullptr, fclose);

  std::unique_ptr<client::Database> db;
  ret = attach(ctx, name, flags, &db);
  if (ret != 0) return ret;
  std::unique_ptr<client::Transaction> t;
  ret = start_transaction(ctx, *db, false, &t);
  if (ret != 0) return ret;
  // Lines are read in pieces of at most 1023 bytes, as 4.17 does.
  char line[1024];
  while (fgets(line, sizeof(line), file) != nullptr) {
    Bytes key, value;
    std::string error;
    bool ok = client::ptrans_parse_line(line, &key, &value, &error);
    fputs(error.c_str(), stderr);
    if (!ok) continue;
    ret = t->store(key, value);
    if (ret != 0) {
      fprintf(stderr, "Failed to store record\n");
      t->cancel();
      return ret;
    }
  }
  return commit(*t, name);
}

}  // namespace ctdb::tool
