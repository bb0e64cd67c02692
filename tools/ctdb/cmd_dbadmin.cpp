// ctdb commands that manage whole databases: cattdb, wipedb, backupdb, restoredb, dumpdbbackup,
// dbstatistics, setdbreadonly, setdbsticky, and the raw tdb tools tfetch / tstore. Owns the 4.17
// backup file format (see BackupHeader).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <memory>

#include "client/controls.h"
#include "client/format.h"
#include "common/unique_fd.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

// ---- the backup file ---- 4.17 writes its C struct db_header as is (x86_64): unsigned long
// version, time_t timestamp, unsigned long flags, nbuf, nrec (8 bytes each, little endian), then
// char name[64]. Then nbuf record buffers, each u32 db_id, u32 count, u64 length, and `length`
// bytes of marshalled records whose data starts with the ltdb header.
constexpr uint64_t kBackupVersion = 3;
constexpr size_t kBackupNameSize = 64;
constexpr size_t kBackupHeaderSize = 5 * 8 + kBackupNameSize;
// restoredb sends the records to this srvid (4.17's SRVID_CTDB_PUSHDB).
constexpr uint64_t kSrvidPushDb = SRVID_TOOL_RANGE | 0x0002000000000000ULL;
// A buffer is flushed to the file once it holds this many bytes.
constexpr size_t kMaxRecBufferSize = 100 * 1000;

struct BackupHeader {
  uint64_t version = 0;
  int64_t timestamp = 0;
  uint64_t flags = 0;
  uint64_t nbuf = 0;
  uint64_t nrec = 0;
  std::string name;

  Bytes encode() const {
    Bytes out;
    proto::Writer w(&out);
    w.u64(version);
    w.u64(static_cast<uint64_t>(timestamp));
    w.u64(flags);
    w.u64(nbuf);
    w.u64(nrec);
    std::string n = name.substr(0, kBackupNameSize - 1);
    out.insert(out.end(), n.begin(), n.end());
    out.resize(kBackupHeaderSize, 0);
    return out;
  }

  // Like 4.17, a short file leaves the rest of the header zero.
  void decode(const Bytes& in) {
    Bytes b = in;
    b.resize(kBackupHeaderSize, 0);
    proto::Reader r(b);
    uint64_t ts = 0;
    r.u64(&version);
    r.u64(&ts);
    r.u64(&flags);
    r.u64(&nbuf);
    r.u64(&nrec);
    timestamp = static_cast<int64_t>(ts);
    const char* p = reinterpret_cast<const char*>(b.data() + 5 * 8);
    name.assign(p, strnlen(p, kBackupNameSize - 1));
  }
};

Bytes u32_bytes(uint32_t v) {
  Bytes b;
  proto::Writer w(&b);
  w.u32(v);
  return b;
}

int write_all(int fd, const Bytes& data) {
  ssize_t n = write(fd, data.data(), data.size());
  if (n == -1) return errno;
  return static_cast<size_t>(n) == data.size() ? 0 : EIO;
}

int write_rec_buffer(int fd, const proto::RecBuffer& rb) {
  Bytes out;
  proto::Writer w(&out);
  w.u32(rb.db_id);
  w.u32(rb.count);
  w.u64(rb.buf.size());
  out.insert(out.end(), rb.buf.begin(), rb.buf.end());
  return write_all(fd, out);
}

int read_exact(int fd, size_t len, Bytes* out) {
  out->resize(len);
  ssize_t n = read(fd, out->data(), len);
  if (n == -1) return errno != 0 ? errno : EIO;
  return static_cast<size_t>(n) == len ? 0 : EIO;
}

int read_rec_buffer(int fd, proto::RecBuffer* rb) {
  Bytes head;
  int ret = read_exact(fd, 16, &head);
  if (ret != 0) return ret;
  proto::Reader r(head);
  uint64_t len = 0;
  r.u32(&rb->db_id);
  r.u32(&rb->count);
  r.u64(&len);
  // The length comes from the file: refuse absurd sizes instead of allocating them.
  if (len > (1ULL << 32)) return EIO;
  return read_exact(fd, static_cast<size_t>(len), &rb->buf);
}

std::string backup_time(int64_t timestamp) {
  time_t t = static_cast<time_t>(timestamp);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[128];
  strftime(buf, sizeof(buf) - 1, "%Y/%m/%d %H:%M:%S", &tm);
  return buf;
}

// Reads and checks the header; prints 4.17's messages on failure.
int read_backup_header(int fd, const std::string& path, BackupHeader* hdr) {
  Bytes raw(kBackupHeaderSize);
  ssize_t n = read(fd, raw.data(), raw.size());
  if (n == -1) {
    int ret = errno;
    fprintf(stderr, "Failed to read db header from file %s\n", path.c_str());
    return ret;
  }
  raw.resize(static_cast<size_t>(n));
  hdr->decode(raw);
  if (hdr->version != kBackupVersion) {
    fprintf(stderr, "Wrong version of backup file, expected %u, got %lu\n",
            static_cast<unsigned>(kBackupVersion), static_cast<unsigned long>(hdr->version));
    return EINVAL;
  }
  return 0;
}

// Calls fn(key, data) for every record of the local tdb, read-only; stops at the first non-zero
// return, which becomes the result (EIO if tdb fails).
using LocalRecordFn = std::function<int(const Bytes& key, const Bytes& data)>;

int traverse_local(tdb_context* tdb, const LocalRecordFn& fn) {
  struct State {
    const LocalRecordFn* fn;
    int error;
  } state{&fn, 0};
  auto cb = [](tdb_context*, TDB_DATA key, TDB_DATA data, void* p) -> int {
    auto* st = static_cast<State*>(p);
    Bytes k(key.dptr, key.dptr + key.dsize);
    Bytes d(data.dptr, data.dptr + data.dsize);
    st->error = (*st->fn)(k, d);
    return st->error != 0 ? 1 : 0;
  };
  if (tdb_traverse_read(tdb, cb, &state) == -1) return EIO;
  return state.error;
}

bool split_ltdb(const Bytes& data, proto::LtdbHeader* header, Bytes* value) {
  proto::Reader r(data);
  if (!proto::decode(r, header)) return false;
  value->assign(data.begin() + proto::kLtdbHeaderSize, data.end());
  return true;
}

int attach_db(Context* ctx, const std::string& name, uint8_t flags,
              std::unique_ptr<client::Database>* db) {
  int ret = client::Database::attach(ctx->c(), ctx->timeout(), name, flags, db);
  if (ret != 0) fprintf(stderr, "Failed to attach to DB %s\n", name.c_str());
  return ret;
}

// Wipes (and for restore, refills) a database on every active node inside a per-database freeze and
// transaction, as 4.17 does. `fill` runs between the wipe and the commit; on any failure the local
// node is put into recovery.
int rewrite_database(Context* ctx, uint32_t db_id,
                     const std::function<int(const std::vector<uint32_t>&)>& fill) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) {
    fprintf(stderr, "Failed to get nodemap\n");
    return ENOMEM;
  }
  uint32_t generation = 0;
  int ret = get_generation(ctx, &generation);
  if (ret != 0) {
    fprintf(stderr, "Failed to get current generation\n");
    return ret;
  }
  std::vector<uint32_t> pnns = list_of_nodes(*nodemap, NODE_FLAGS_INACTIVE);
  if (pnns.empty()) return ENOMEM;

  proto::TransDb trans;
  trans.db_id = db_id;
  trans.tid = generation;
  Bytes id = u32_bytes(db_id);
  Bytes transdb = proto::to_bytes(trans);
  auto steps = [&]() -> int {
    int r = control_multi(ctx, pnns, CONTROL_DB_FREEZE, id);
    if (r == 0) r = control_multi(ctx, pnns, CONTROL_DB_TRANSACTION_START, transdb);
    if (r == 0) r = control_multi(ctx, pnns, CONTROL_WIPE_DATABASE, transdb);
    if (r == 0 && fill) r = fill(pnns);
    if (r == 0) r = control_multi(ctx, pnns, CONTROL_DB_SET_HEALTHY, id);
    if (r == 0) r = control_multi(ctx, pnns, CONTROL_DB_TRANSACTION_COMMIT, transdb);
    if (r == 0) r = control_multi(ctx, pnns, CONTROL_DB_THAW, id);
    return r;
  };
  ret = steps();
  if (ret != 0) {
    // A recovery puts the frozen database right again.
    client::ctrl_set_recmode(ctx->c(), ctx->pnn, ctx->timeout(), RECOVERY_ACTIVE);
  }
  return ret;
}

int set_db_flag(Context* ctx, const std::vector<std::string>& args, const char* command,
                const char* what, uint32_t opcode) {
  if (args.size() != 1) usage(command);
  uint32_t db_id = 0;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], &db_id, nullptr, &flags)) return 1;
  if (flags & (DB_FLAGS_PERSISTENT | DB_FLAGS_REPLICATED)) {
    fprintf(stderr, "%s can be set only on volatile DB\n", what);
    return 1;
  }
  return client::ctrl_u32(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, db_id);
}

// A tdb opened the way 4.17's tfetch/tstore open one (no CTDB involved).
struct TdbCloser {
  void operator()(tdb_context* t) const { tdb_close(t); }
};
using TdbPtr = std::unique_ptr<tdb_context, TdbCloser>;

}  // namespace

int control_cattdb(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("cattdb");
  std::string name;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], nullptr, &name, &flags)) return 1;
  std::unique_ptr<client::Database> db;
  int ret = attach_db(ctx, name, flags, &db);
  if (ret != 0) return ret;
  unsigned count = 0;
  RecordPrinter printer;
  ret = traverse_local(db->tdb(), [&](const Bytes& key, const Bytes& data) {
    proto::LtdbHeader header;
    Bytes value;
    if (!split_ltdb(data, &header, &value)) return EMSGSIZE;
    count++;
    printer.print(key, header, value);
    return 0;
  });
  printer.flush();
  printf("Dumped %u record(s)\n", count);
  return ret;
}

int control_wipedb(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("wipedb");
  uint32_t db_id = 0;
  std::string name;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], &db_id, &name, &flags)) return 1;
  std::unique_ptr<client::Database> db;
  int ret = attach_db(ctx, name, flags, &db);
  if (ret != 0) return ret;
  ret = rewrite_database(ctx, db_id, nullptr);
  if (ret != 0) return ret;
  printf("Database %s wiped\n", name.c_str());
  return 0;
}

int control_backupdb(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("backupdb");
  uint32_t db_id = 0;
  std::string name;
  uint8_t flags = 0;
  if (!db_exists(ctx, args[0], &db_id, &name, &flags)) return 1;
  std::unique_ptr<client::Database> db;
  int ret = attach_db(ctx, name, flags, &db);
  if (ret != 0) return ret;

  // No O_TRUNC, as in 4.17: a longer old file keeps its tail.
  UniqueFd fd(open(args[1].c_str(), O_RDWR | O_CREAT, 0600));
  if (fd.get() == -1) {
    ret = errno;
    fprintf(stderr, "Failed to open file %s for writing\n", args[1].c_str());
    return ret;
  }
  // A zero header first; the real one goes in once the counts are known.
  BackupHeader hdr;
  ret = write_all(fd.get(), hdr.encode());
  if (ret != 0) {
    fprintf(stderr, "Failed to write header to file %s\n", args[1].c_str());
    return ret;
  }

  std::unique_ptr<proto::RecBuffer> recbuf;
  auto flush = [&]() -> int {
    int r = write_rec_buffer(fd.get(), *recbuf);
    if (r != 0) return r;
    hdr.nbuf++;
    hdr.nrec += recbuf->count;
    recbuf.reset();
    return 0;
  };
  ret = traverse_local(db->tdb(), [&](const Bytes& key, const Bytes& data) {
    if (!recbuf) {
      recbuf = std::make_unique<proto::RecBuffer>();
      recbuf->db_id = db_id;
    }
    recbuf->add(0, nullptr, key, data);
    if (8 + recbuf->buf.size() < kMaxRecBufferSize) return 0;
    int r = flush();
    if (r != 0) fprintf(stderr, "Failed to write records to backup file\n");
    return r;
  });
  if (ret != 0) {
    fprintf(stderr, "Failed to collect records from DB %s\n", name.c_str());
    return ret;
  }
  if (recbuf) {
    ret = flush();
    if (ret != 0) {
      fprintf(stderr, "Failed to write records to backup file\n");
      return ret;
    }
  }
  hdr.version = kBackupVersion;
  hdr.timestamp = time(nullptr);
  hdr.flags = flags;
  hdr.name = name;
  lseek(fd.get(), 0, SEEK_SET);
  ret = write_all(fd.get(), hdr.encode());
  if (ret != 0) {
    fprintf(stderr, "Failed to write header to file %s\n", args[1].c_str());
    return ret;
  }
  printf("Database backed up to %s\n", args[1].c_str());
  return 0;
}

int control_restoredb(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) usage("restoredb");
  UniqueFd fd(open(args[0].c_str(), O_RDONLY, 0600));
  if (fd.get() == -1) {
    int ret = errno;
    fprintf(stderr, "Failed to open file %s for reading\n", args[0].c_str());
    return ret;
  }
  BackupHeader hdr;
  int ret = read_backup_header(fd.get(), args[0], &hdr);
  if (ret != 0) return ret;
  std::string name = args.size() == 2 ? args[1] : hdr.name;
  printf("Restoring database %s from backup @ %s\n", name.c_str(),
         backup_time(hdr.timestamp).c_str());

  std::unique_ptr<client::Database> db;
  ret = attach_db(ctx, name, static_cast<uint8_t>(hdr.flags & 0xff), &db);
  if (ret != 0) return ret;

  uint32_t db_id = db->db_id();
  ret = rewrite_database(ctx, db_id, [&](const std::vector<uint32_t>& pnns) -> int {
    proto::PullDbExt push;
    push.db_id = db_id;
    push.lmaster = 0;
    push.srvid = kSrvidPushDb;
    int r = control_multi(ctx, pnns, CONTROL_DB_PUSH_START, proto::to_bytes(push));
    if (r != 0) return r;
    for (uint64_t i = 0; i < hdr.nbuf; i++) {
      proto::RecBuffer rb;
      r = read_rec_buffer(fd.get(), &rb);
      if (r != 0) return r;
      Bytes payload = proto::to_bytes(rb);
      for (uint32_t pnn : pnns) {
        r = ctx->c().send_message(pnn, push.srvid, payload);
        if (r != 0) return r;
      }
    }
    std::vector<client::ControlReply> replies;
    r = control_multi(ctx, pnns, CONTROL_DB_PUSH_CONFIRM, u32_bytes(db_id), &replies);
    if (r != 0) return r;
    for (size_t i = 0; i < pnns.size(); i++) {
      proto::Reader rd(replies[i].data);
      uint32_t num_records = 0;
      if (!rd.u32(&num_records) || rd.remaining() != 0) {
        fprintf(stderr, "Invalid response from node %u\n", pnns[i]);
        return EPROTO;
      }
      if (num_records != hdr.nrec) {
        fprintf(stderr, "Node %u received %u of %lu records\n", pnns[i], num_records,
                static_cast<unsigned long>(hdr.nrec));
        return EPROTO;
      }
    }
    return 0;
  });
  if (ret != 0) return ret;
  printf("Database %s restored\n", name.c_str());
  return 0;
}

int control_dumpdbbackup(Context*, const std::vector<std::string>& args) {
  // 4.17 names a command that does not exist here, so the full help is shown.
  if (args.size() != 1) usage("dumpbackup");
  UniqueFd fd(open(args[0].c_str(), O_RDONLY, 0600));
  if (fd.get() == -1) {
    int ret = errno;
    fprintf(stderr, "Failed to open file %s for reading\n", args[0].c_str());
    return ret;
  }
  BackupHeader hdr;
  int ret = read_backup_header(fd.get(), args[0], &hdr);
  if (ret != 0) return ret;
  printf("Dumping database %s from backup @ %s\n", hdr.name.c_str(),
         backup_time(hdr.timestamp).c_str());
  unsigned count = 0;
  RecordPrinter printer;
  for (uint64_t i = 0; i < hdr.nbuf; i++) {
    proto::RecBuffer rb;
    ret = read_rec_buffer(fd.get(), &rb);
    if (ret != 0) {
      printer.flush();
      fprintf(stderr, "Failed to read records\n");
      return ret;
    }
    ret = 0;
    bool consistent = rb.for_each([&](const proto::RecData& rec) {
      proto::LtdbHeader header;
      Bytes value;
      if (!split_ltdb(rec.data, &header, &value)) {
        ret = EMSGSIZE;
        return false;
      }
      count++;
      printer.print(rec.key, header, value);
      return true;
    });
    if (!consistent && ret == 0) ret = EMSGSIZE;
    if (ret != 0) {
      printer.flush();
      fprintf(stderr, "Failed to dump records\n");
      return ret;
    }
  }
  printer.flush();
  printf("Dumped %u record(s)\n", count);
  return 0;
}

int control_dbstatistics(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("dbstatistics");
  uint32_t db_id = 0;
  std::string name;
  if (!db_exists(ctx, args[0], &db_id, &name, nullptr)) return 1;
  proto::DbStatistics s;
  int ret = client::ctrl_get_db_statistics(ctx->c(), ctx->cmd_pnn, ctx->timeout(), db_id, &s);
  if (ret != 0) {
    fprintf(stderr, "Failed to get statistics for DB %s\n", name.c_str());
    return ret;
  }
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("db_id", db_id).field("name", name);
    w.field("db_ro_delegations", s.db_ro_delegations).field("db_ro_revokes", s.db_ro_revokes);
    json_locks(w, s.locks);
    w.key("vacuum").begin_object();
    json_latency(w.key("latency"), s.vacuum.latency);
    w.end_object().key("hop_count_buckets").begin_array();
    for (uint32_t v : s.hop_count_bucket) w.value(v);
    w.end_array().field("num_hot_keys", s.num_hot_keys).key("hot_keys").begin_array();
    for (uint32_t i = 0; i < s.num_hot_keys && i < s.hot_keys.size(); i++) {
      std::string hex;
      for (uint8_t b : s.hot_keys[i].key) {
        static const char kDigits[] = "0123456789abcdef";
        hex += kDigits[b >> 4];
        hex += kDigits[b & 0xF];
      }
      w.begin_object().field("count", s.hot_keys[i].count).field("key_hex", hex).end_object();
    }
    print_json(ctx, w.end_array().end_object());
    return 0;
  }
  printf("DB Statistics %s\n", name.c_str());
  printf(" %-22s    %10u\n", "db_ro_delegations", s.db_ro_delegations);
  printf(" %-22s    %10u\n", "db_ro_revokes", s.db_ro_revokes);
  printf(" locks\n");
  printf("     %-22s%10u\n", "num_calls", s.locks.num_calls);
  printf("     %-22s%10u\n", "num_current", s.locks.num_current);
  printf("     %-22s%10u\n", "num_pending", s.locks.num_pending);
  printf("     %-22s%10u\n", "num_failed", s.locks.num_failed);
  printf(" hop_count_buckets:");
  for (uint32_t v : s.hop_count_bucket) printf(" %d", static_cast<int>(v));
  printf("\n lock_buckets:");
  for (uint32_t v : s.locks.buckets) printf(" %d", static_cast<int>(v));
  printf("\n");
  auto avg = [](const proto::LatencyCounter& l) { return l.num ? l.total / l.num : 0.0; };
  printf(" %-30s     %.6f/%.6f/%.6f sec out of %d\n", "locks_latency      MIN/AVG/MAX",
         s.locks.latency.min, avg(s.locks.latency), s.locks.latency.max, s.locks.latency.num);
  printf(" %-30s     %.6f/%.6f/%.6f sec out of %d\n", "vacuum_latency     MIN/AVG/MAX",
         s.vacuum.latency.min, avg(s.vacuum.latency), s.vacuum.latency.max, s.vacuum.latency.num);
  printf(" Num Hot Keys:     %d\n", static_cast<int>(s.num_hot_keys));
  for (uint32_t i = 0; i < s.num_hot_keys && i < s.hot_keys.size(); i++) {
    printf("     Count:%d Key:", static_cast<int>(s.hot_keys[i].count));
    for (uint8_t b : s.hot_keys[i].key) printf("%02x", b);
    printf("\n");
  }
  return 0;
}

int control_setdbreadonly(Context* ctx, const std::vector<std::string>& args) {
  return set_db_flag(ctx, args, "setdbreadonly", "READONLY", CONTROL_SET_DB_READONLY);
}

int control_setdbsticky(Context* ctx, const std::vector<std::string>& args) {
  return set_db_flag(ctx, args, "setdbsticky", "STICKY", CONTROL_SET_DB_STICKY);
}

int control_tfetch(Context*, const std::vector<std::string>& args) {
  if (args.size() < 2 || args.size() > 3) usage("tfetch");
  TdbPtr tdb(tdb_open(args[0].c_str(), 0, 0, O_RDWR, 0));
  if (!tdb) {
    fprintf(stderr, "Failed to open TDB file %s\n", args[0].c_str());
    return 1;
  }
  Bytes key;
  int ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  TDB_DATA k{key.data(), key.size()};
  TDB_DATA d = tdb_fetch(tdb.get(), k);
  if (d.dptr == nullptr) {
    fprintf(stderr, "No record for key %s\n", args[1].c_str());
    return 1;
  }
  Bytes data(d.dptr, d.dptr + d.dsize);
  free(d.dptr);
  if (data.size() < proto::kLtdbHeaderSize) {
    fprintf(stderr, "Invalid record for key %s\n", args[1].c_str());
    return 1;
  }
  tdb.reset();
  // The file gets the whole record, header included; a failure to write it is reported but the
  // record is still shown, as 4.17 does.
  if (args.size() == 3) {
    UniqueFd fd(open(args[2].c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600));
    if (fd.get() == -1) {
      fprintf(stderr, "Failed to open output file %s\n", args[2].c_str());
    } else if (write_all(fd.get(), data) != 0) {
      fprintf(stderr, "Failed to write record to file\n");
    }
  }
  proto::LtdbHeader header;
  Bytes value;
  if (!split_ltdb(data, &header, &value)) {
    fprintf(stderr, "Failed to parse header from data\n");
    return 1;
  }
  fputs(client::dump_ltdb_header(header.dmaster, header.rsn, header.flags).c_str(), stdout);
  fputs(client::dump_data("data", value).c_str(), stdout);
  return 0;
}

int control_tstore(Context*, const std::vector<std::string>& args) {
  // 4.17 takes at most 5 arguments, so the <flags> its help names can never be given; the header's
  // flags are always 0.
  if (args.size() < 3 || args.size() > 5) usage("tstore");
  TdbPtr tdb(tdb_open(args[0].c_str(), 0, 0, O_RDWR, 0));
  if (!tdb) {
    fprintf(stderr, "Failed to open TDB file %s\n", args[0].c_str());
    return 1;
  }
  Bytes key, value;
  int ret = parse_data_arg(args[1], "key", &key);
  if (ret != 0) return ret;
  std::string error;
  ret = client::string_to_data(args[2], &value, &error);
  if (ret != 0) {
    fputs(error.c_str(), stderr);
    fprintf(stderr, "Failed to parse value %s\n", args[2].c_str());
    return ret;
  }
  proto::LtdbHeader header;
  if (args.size() > 3) {
    unsigned long rsn = 0;  // 64 bits here, as smb_strtoull's result
    ret = client::parse_ulong(args[3], &rsn);
    if (ret != 0) return ret;
    header.rsn = rsn;
  }
  if (args.size() > 4) header.dmaster = static_cast<uint32_t>(atol(args[4].c_str()));
  Bytes record = proto::to_bytes(header);
  record.insert(record.end(), value.begin(), value.end());
  TDB_DATA k{key.data(), key.size()};
  TDB_DATA d{record.data(), record.size()};
  ret = tdb_store(tdb.get(), k, d, TDB_REPLACE);
  if (ret != 0) {
    fprintf(stderr, "Failed to write record %s to file %s\n", args[1].c_str(), args[0].c_str());
  }
  return ret;
}

}  // namespace ctdb::tool
