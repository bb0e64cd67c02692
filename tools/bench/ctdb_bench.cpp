// ctdb_bench: a benchmark client that drives client processes on every node through the CTDB
// client protocol and prints a single throughput figure per run (workloads: see kWorkloads).
//
// Usage: ctdb_bench [--time=SECONDS] [--tokens=N] [--clients=N] WORKLOAD SOCKET0 SOCKET1 ...
//        ctdb_bench [--time=SECONDS] [--procs=N] wakeup_floor
//
// The parent forks --clients children per daemon socket (one for the ring workloads). The
// children connect, tell the parent their pnn, get every socket's pnn back, set up the workload
// (register srvids, attach databases) and report ready. Only when every child is ready does the
// parent say "go": a message sent to a node whose client has not registered its srvid yet is
// silently dropped by the daemon (4.17 does this), which would stall a ring before it started.
// Each child then works until its deadline and writes its count back. The figure is the sum of
// the counts over the duration.
//
// Output (stdout, one line):  WORKLOAD rate=R unit=U ops=N seconds=S
// Exit status: 0 done, 1 the run failed (details on stderr), 2 usage, 3 unknown workload.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/client.h"
#include "client/database.h"
#include "client/transaction.h"
#include "ctdb/protocol.h"
#include "pipe_io.h"
#include "protocol/packet.h"
#include "protocol/wire.h"

namespace ctdb::bench {
namespace {

using client::Client;
using client::Deadline;
using proto::Bytes;
using Clock = std::chrono::steady_clock;

// Children that have not reported this long after their run should have ended are killed: a
// benchmark must stop by itself even if a daemon never answers.
constexpr int kGraceSeconds = 30;

struct Options {
  int seconds = 10;
  int tokens = 1;   // messages / tokens circulating at once in the ring workloads
  int clients = 1;  // client processes per daemon socket
  int procs = 9;    // processes in wakeup_floor's ring
  std::string workload;
  std::vector<std::string> sockets;
};

class RingConn;

// What a child knows while it runs a workload.
struct NodeCtx {
  const Options* opt = nullptr;
  size_t index = 0;            // position in the ring (order of sockets on the command line)
  int client_index = 0;        // which of the --clients children of this socket
  std::vector<uint32_t> pnns;  // pnn of every ring member, by index
  uint64_t srvid = 0;          // the srvid every ring member registers on its own daemon
  Client* client = nullptr;
  std::shared_ptr<RingConn> ring;  // the ring workloads' own connection
  std::unique_ptr<client::Database> db;
  uint64_t migrations = 0;  // operations that had to fetch their record from another node
  // Workloads that increment one shared counter under a cluster-wide lock note the lowest value
  // they read and the highest they stored: if every increment was serialised, the parent finds
  // highest - lowest == total operations; a lost update makes it smaller.
  uint64_t lowest_read = UINT64_MAX;
  uint64_t highest_stored = 0;

  void saw_increment(uint64_t read, uint64_t stored) {
    if (read < lowest_read) lowest_read = read;
    if (stored > highest_stored) highest_stored = stored;
  }

  size_t n() const { return pnns.size(); }
  uint32_t next_pnn() const { return pnns[(index + 1) % n()]; }
};

// The outcome a child sends back to the parent through its pipe.
struct ChildResult {
  int32_t status = 0;  // 0 ok, else an errno-style code
  uint64_t ops = 0;
  uint64_t elapsed_us = 0;
  uint64_t lowest_read = UINT64_MAX;
  uint64_t highest_stored = 0;
  int64_t file_growth = 0;  // bytes the node's tdb file grew during the run (-1: no database)
  uint64_t migrations = 0;
};

Bytes u64_bytes(uint64_t v) {
  Bytes b;
  proto::Writer w(&b);
  w.u64(v);
  return b;
}

Bytes key_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

bool bytes_u64(const Bytes& b, uint64_t* v) {
  if (b.empty()) {
    *v = 0;
    return true;
  }
  proto::Reader r(b);
  return r.u64(v) && r.remaining() == 0;
}

// ---------------------------------------------------------------------------------------------
// Workloads. Each has a setup step (before "go", may register srvids and attach databases)
// and a run step that works until `end` and returns 0 with *ops set, or an error.

using SetupFn = int (*)(NodeCtx& ctx);
using RunFn = int (*)(NodeCtx& ctx, Clock::time_point end, uint64_t* ops);

// The ring workloads talk on a connection of their own that they read and write directly: one
// read takes every packet that has arrived and the answers to all of them leave in one write.
// The client library (a poll() before every read, a copy and an allocation per packet, one
// request at a time) would make this client, which shares the CPUs with the daemons, a large
// part of what is measured, and could not keep several migrations in flight. Both clusters are
// driven by this same code.
class RingConn {
 public:
  RingConn() = default;
  ~RingConn() {
    if (fd_ >= 0) close(fd_);
  }
  RingConn(const RingConn&) = delete;
  RingConn& operator=(const RingConn&) = delete;

  // Connects (blocking socket; reads give up after 100 ms so the caller sees its deadline).
  int open(const std::string& path) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sun.sun_path)) return ENAMETOOLONG;
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return errno;
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)) != 0) return errno;
    timeval tv{0, 100000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    buf_.resize(256 * 1024);
    return 0;
  }

  uint32_t new_reqid() { return next_reqid_++; }

  int write_all(const uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return 0;
  }

  // One read of whatever has arrived: 0, EAGAIN (nothing within 100 ms), ECONNRESET.
  int fill() {
    if (head_ == tail_) {
      head_ = tail_ = 0;
    } else if (head_ > 0) {
      memmove(buf_.data(), buf_.data() + head_, tail_ - head_);
      tail_ -= head_;
      head_ = 0;
    }
    if (tail_ == buf_.size()) buf_.resize(buf_.size() * 2);
    ssize_t n = read(fd_, buf_.data() + tail_, buf_.size() - tail_);
    if (n < 0) return errno == EINTR || errno == EWOULDBLOCK ? EAGAIN : ECONNRESET;
    if (n == 0) return ECONNRESET;
    tail_ += static_cast<size_t>(n);
    return 0;
  }

  // The next complete packet in the buffer (valid until the next fill), or nullptr; *err is
  // EPROTO on a length field no daemon would send.
  const uint8_t* next(size_t* len, int* err) {
    *err = 0;
    if (tail_ - head_ < 4) return nullptr;
    const uint8_t* p = buf_.data() + head_;
    uint32_t l = p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
    if (l < kHeaderSize || l > (64u << 20)) {
      *err = EPROTO;
      return nullptr;
    }
    if (tail_ - head_ < l) return nullptr;
    head_ += l;
    *len = l;
    return p;
  }

  // REGISTER_SRVID on this connection; the daemon's status or an errno value.
  int register_srvid(uint32_t pnn, uint64_t srvid, Clock::time_point end) {
    proto::Header h;
    h.destnode = pnn;
    h.srcnode = pnn;
    h.reqid = new_reqid();
    proto::ReqControl c;
    c.opcode = CONTROL_REGISTER_SRVID;
    c.srvid = srvid;
    Bytes pkt = proto::encode(h, c);
    int err = write_all(pkt.data(), pkt.size());
    while (err == 0) {
      size_t len = 0;
      while (const uint8_t* p = next(&len, &err)) {
        proto::Header rh;
        proto::ReplyControl rc;
        if (proto::decode(p, len, &rh, &rc) && rh.reqid == h.reqid) return rc.status;
      }
      if (err != 0) return err;
      if (Clock::now() >= end) return ETIMEDOUT;
      err = fill();
      if (err == EAGAIN) err = 0;
    }
    return err;
  }

 private:
  int fd_ = -1;
  std::vector<uint8_t> buf_;
  size_t head_ = 0, tail_ = 0;
  uint32_t next_reqid_ = 1;
};

// Opens the ring connection and registers the run's srvid on it.
int setup_ring_conn(NodeCtx& ctx) {
  ctx.ring = std::make_shared<RingConn>();
  int err = ctx.ring->open(ctx.opt->sockets[ctx.index]);
  if (err == 0) {
    err = ctx.ring->register_srvid(ctx.client->pnn(), ctx.srvid,
                                   Clock::now() + std::chrono::seconds(kGraceSeconds));
  }
  if (err != 0) fprintf(stderr, "node %zu: ring connection setup failed: %d\n", ctx.index, err);
  return err;
}

int setup_message_ring(NodeCtx& ctx) { return setup_ring_conn(ctx); }

void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t get_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

// message_ring: each received message is forwarded to the next node's client through this
// node's daemon (destnode = next pnn); the payload counts hops so a lost or duplicated
// message would show as a gap. Counts messages received.
int run_message_ring(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  RingConn& rc = *ctx.ring;
  // Every message this client sends is this packet with its hop count filled in.
  proto::Header h;
  h.destnode = ctx.next_pnn();
  h.srcnode = ctx.client->pnn();
  proto::ReqMessage m;
  m.srvid = ctx.srvid;
  m.data = u64_bytes(0);
  const Bytes tmpl = proto::encode(h, m);
  constexpr size_t kHopsOffset = kHeaderSize + 12;  // after srvid and datalen
  std::vector<uint8_t> out;
  auto add = [&](uint64_t hops) {
    size_t at = out.size();
    out.insert(out.end(), tmpl.begin(), tmpl.end());
    put_le64(out.data() + at + kHopsOffset, hops);
  };
  if (ctx.index == 0) {
    for (int t = 0; t < ctx.opt->tokens; t++) add(1);
    int err = rc.write_all(out.data(), out.size());
    if (err != 0) return err;
  }
  uint64_t count = 0;
  while (Clock::now() < end) {
    int err = rc.fill();
    if (err == EAGAIN) continue;
    if (err != 0) return err;
    out.clear();
    size_t len = 0;
    while (const uint8_t* p = rc.next(&len, &err)) {
      proto::Header mh;
      proto::Reader r(p, len);
      uint64_t srvid = 0;
      uint32_t datalen = 0;
      const uint8_t* data = nullptr;
      if (!proto::decode_header(p, len, &mh) || mh.operation != REQ_MESSAGE ||
          !r.skip(kHeaderSize) || !r.u64(&srvid) || !r.u32(&datalen) || !r.view(datalen, &data) ||
          srvid != ctx.srvid || datalen != 8) {
        fprintf(stderr,
                "node %zu: unexpected packet (operation %u, srvid 0x%" PRIx64 ", %u data bytes)\n",
                ctx.index, mh.operation, srvid, datalen);
        return EPROTO;
      }
      count++;
      add(get_le64(data) + 1);
    }
    if (err != 0) return err;
    if (!out.empty()) {
      err = rc.write_all(out.data(), out.size());
      if (err != 0) return err;
    }
  }
  *ops = count;
  return 0;
}

const char kFetchRingDb[] = "bench_fetch_ring.tdb";

int setup_fetch_ring(NodeCtx& ctx) {
  int err =
      client::Database::attach(*ctx.client, Deadline::after_seconds(30), kFetchRingDb, 0, &ctx.db);
  if (err != 0) {
    fprintf(stderr, "node %zu: attach %s failed: %d\n", ctx.index, kFetchRingDb, err);
    return err;
  }
  return setup_ring_conn(ctx);
}

// fetch_ring: tokens circulate as in message_ring; token t always goes with its own record
// "fetch_ring_counter_<t>" of a volatile database and carries the value its holder stored there.
// The next holder fetch-locks the record (migrating it to this node), checks that it holds that
// value, increments it, unlocks and passes the token on. Counts increments.
//
// With T tokens, T migrations are in flight: a client that waited for each fetch-lock in turn
// would allow only one per node, so this one is pipelined. A token whose record is already here
// is handled at once; for any other it sends the REQ_CALL with CALL_IMMEDIATE_MIGRATION that
// RecordLock::fetch sends, and goes on with other tokens. When the REPLY_CALL comes the record
// is here, and the library's RecordLock locks it locally (it would migrate it once more, waiting,
// if it had moved on meanwhile, which only a bug lets happen: each record has one token).
class FetchRingNode {
 public:
  explicit FetchRingNode(NodeCtx& ctx) : ctx_(ctx), conn_(*ctx.ring) {}

  int run(Clock::time_point end, uint64_t* ops) {
    if (ctx_.index == 0) {
      // The records keep their values from earlier runs: the first step of each is not checked.
      for (int t = 0; t < ctx_.opt->tokens; t++) {
        int err = take(Token{static_cast<uint32_t>(t), 0, false});
        if (err != 0) return err;
      }
    }
    int err = flush();
    while (err == 0 && Clock::now() < end) {
      err = conn_.fill();
      if (err == EAGAIN) {
        err = 0;
        continue;
      }
      size_t len = 0;
      while (err == 0) {
        const uint8_t* p = conn_.next(&len, &err);
        if (p == nullptr) break;
        err = handle(p, len);
      }
      if (err == 0) err = flush();
    }
    *ops = count_;
    return err;
  }

 private:
  struct Token {
    uint32_t index;
    uint64_t value;  // what the previous holder stored in the token's record
    bool check;
  };

  static Bytes key_of(uint32_t index) {
    return key_bytes("fetch_ring_counter_" + std::to_string(index));
  }

  int flush() {
    if (out_.empty()) return 0;
    int err = conn_.write_all(out_.data(), out_.size());
    out_.clear();
    return err;
  }

  void queue(const Bytes& pkt) { out_.insert(out_.end(), pkt.begin(), pkt.end()); }

  // The token arrived: lock its record here, or ask the daemon to migrate it here.
  int take(const Token& t) {
    const Bytes key = key_of(t.index);
    proto::LtdbHeader header;
    Bytes value;
    int err = ctx_.db->ltdb_fetch(key, &header, &value);
    if (err != 0) return err;
    if (header.dmaster == ctx_.client->pnn()) return increment(t);
    proto::Header h;
    h.destnode = CURRENT_NODE;
    h.srcnode = ctx_.client->pnn();
    h.reqid = conn_.new_reqid();
    proto::ReqCall call;
    call.flags = CALL_IMMEDIATE_MIGRATION;
    call.db_id = ctx_.db->db_id();
    call.callid = NULL_FUNC;
    call.key = key;
    queue(proto::encode(h, call));
    migrating_.emplace(h.reqid, t);
    ctx_.migrations++;
    return 0;
  }

  // The record is here: check it, store value + 1, unlock, pass the token on.
  int increment(const Token& t) {
    const Bytes key = key_of(t.index);
    std::unique_ptr<client::RecordLock> lock;
    int err = client::RecordLock::fetch(*ctx_.client, *ctx_.db, key, false, &lock);
    if (err != 0) {
      fprintf(stderr, "node %zu: fetch_lock of fetch_ring_counter_%u failed: %d\n", ctx_.index,
              t.index, err);
      return err;
    }
    uint64_t v = 0;
    if (!bytes_u64(lock->value(), &v)) {
      fprintf(stderr, "node %zu: fetch_ring_counter_%u holds %zu bytes, not a counter\n",
              ctx_.index, t.index, lock->value().size());
      return EPROTO;
    }
    if (t.check && v != t.value) {
      fprintf(stderr,
              "node %zu: fetch_ring_counter_%u holds %" PRIu64
              ", but its previous holder stored %" PRIu64 " (lost update)\n",
              ctx_.index, t.index, v, t.value);
      return EPROTO;
    }
    err = lock->store(u64_bytes(v + 1));
    if (err != 0) return err;
    lock.reset();
    count_++;
    proto::Header h;
    h.destnode = ctx_.next_pnn();
    h.srcnode = ctx_.client->pnn();
    proto::ReqMessage m;
    m.srvid = ctx_.srvid;
    proto::Writer w(&m.data);
    w.u64(t.index);
    w.u64(v + 1);
    queue(proto::encode(h, m));
    return 0;
  }

  int handle(const uint8_t* p, size_t len) {
    proto::Header h;
    if (!proto::decode_header(p, len, &h)) return EPROTO;
    if (h.operation == REQ_MESSAGE) {
      proto::ReqMessage m;
      Token t{0, 0, true};
      uint64_t index = 0;
      if (proto::decode(p, len, &h, &m) && m.srvid == ctx_.srvid) {
        proto::Reader body(m.data);
        if (body.u64(&index) && body.u64(&t.value) && body.remaining() == 0 &&
            index < static_cast<uint64_t>(ctx_.opt->tokens)) {
          t.index = static_cast<uint32_t>(index);
          return take(t);
        }
      }
      fprintf(stderr, "node %zu: unexpected message (srvid 0x%" PRIx64 ", %zu bytes)\n", ctx_.index,
              m.srvid, m.data.size());
      return EPROTO;
    }
    if (h.operation == REPLY_CALL || h.operation == REPLY_ERROR) {
      auto it = migrating_.find(h.reqid);
      if (it == migrating_.end()) {
        fprintf(stderr, "node %zu: %s for reqid %u, which was never sent\n", ctx_.index,
                proto::operation_name(h.operation), h.reqid);
        return EPROTO;
      }
      Token t = it->second;
      migrating_.erase(it);
      proto::ReplyCall reply;
      if (h.operation == REPLY_CALL && proto::decode(p, len, &h, &reply) && reply.status == 0) {
        return increment(t);
      }
      proto::ReplyError e;
      if (h.operation == REPLY_ERROR) proto::decode(p, len, &h, &e);
      fprintf(stderr, "node %zu: migration of fetch_ring_counter_%u failed: %s (status %d)\n",
              ctx_.index, t.index, proto::operation_name(h.operation),
              h.operation == REPLY_ERROR ? e.status : reply.status);
      return EIO;
    }
    fprintf(stderr, "node %zu: unexpected %s packet\n", ctx_.index,
            proto::operation_name(h.operation));
    return EPROTO;
  }

  NodeCtx& ctx_;
  RingConn& conn_;
  std::unordered_map<uint32_t, Token> migrating_;  // REQ_CALL reqid -> token waiting for it
  std::vector<uint8_t> out_;                       // packets that leave after this read
  uint64_t count_ = 0;
};

int run_fetch_ring(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  return FetchRingNode(ctx).run(end, ops);
}

const char kTransactionDb[] = "bench_transaction_loop.tdb";

int setup_transaction_loop(NodeCtx& ctx) {
  int err = client::Database::attach(*ctx.client, Deadline::after_seconds(30), kTransactionDb,
                                     DB_FLAGS_PERSISTENT, &ctx.db);
  if (err != 0) fprintf(stderr, "node %zu: attach %s failed: %d\n", ctx.index, kTransactionDb, err);
  return err;
}

// transaction_loop: every node loops on persistent transactions, each incrementing a shared
// counter and its own per-node counter. The cluster-wide lock serialises them, so the shared
// counter can never go back below what this node stored, and the node counter
// (written only by this node) must still hold what this node stored last. Counts commits.
int run_transaction_loop(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  Client& c = *ctx.client;
  const Bytes shared_key = key_bytes("transaction_loop_shared");
  const Bytes own_key = key_bytes("transaction_loop_node_" + std::to_string(c.pnn()));
  uint64_t count = 0;
  bool first = true;
  uint64_t last_shared = 0, last_own = 0;
  while (Clock::now() < end) {
    std::unique_ptr<client::Transaction> t;
    int err =
        client::Transaction::start(c, Deadline::after_seconds(kGraceSeconds), *ctx.db, false, &t);
    if (err != 0) {
      fprintf(stderr, "node %zu: transaction start failed: %d\n", ctx.index, err);
      return err;
    }
    Bytes v;
    uint64_t shared = 0, own = 0;
    if (t->fetch(shared_key, &v) != 0 || !bytes_u64(v, &shared) || t->fetch(own_key, &v) != 0 ||
        !bytes_u64(v, &own)) {
      fprintf(stderr, "node %zu: cannot read the counters\n", ctx.index);
      return EPROTO;
    }
    if (!first && (shared < last_shared || own != last_own)) {
      fprintf(stderr,
              "node %zu: lost update: shared %" PRIu64 " after %" PRIu64 ", own %" PRIu64
              " after %" PRIu64 "\n",
              ctx.index, shared, last_shared, own, last_own);
      return EPROTO;
    }
    if (t->store(shared_key, u64_bytes(shared + 1)) != 0 ||
        t->store(own_key, u64_bytes(own + 1)) != 0) {
      return EIO;
    }
    err = t->commit();
    if (err != 0) {
      fprintf(stderr, "node %zu: commit failed: %d\n", ctx.index, err);
      return err;
    }
    first = false;
    ctx.saw_increment(shared, shared + 1);
    last_shared = shared + 1;
    last_own = own + 1;
    count++;
  }
  *ops = count;
  return 0;
}

const char kChurnDb[] = "bench_delete_churn.tdb";

int setup_delete_churn(NodeCtx& ctx) {
  int err =
      client::Database::attach(*ctx.client, Deadline::after_seconds(30), kChurnDb, 0, &ctx.db);
  if (err != 0) fprintf(stderr, "node %zu: attach %s failed: %d\n", ctx.index, kChurnDb, err);
  return err;
}

// delete_churn: every node creates records under fresh keys and deletes each at once, as smbd
// deletes (fetch-lock, store, then an empty record and SCHEDULE_FOR_DELETION), so that only
// vacuuming clears what is left. Counts keys; the growth of each node's tdb file tells whether
// vacuuming keeps up.
int run_delete_churn(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  // Long keys: each record left behind takes visible room in the file.
  const std::string pad(200, 'p');
  const std::string prefix = "churn-" + std::to_string(ctx.srvid) + "-" +
                             std::to_string(ctx.index) + "-" + std::to_string(ctx.client_index) +
                             "-";
  uint64_t count = 0;
  while (Clock::now() < end) {
    std::string k = prefix + std::to_string(count) + "-" + pad;
    Bytes key(k.begin(), k.end());
    std::unique_ptr<client::RecordLock> lock;
    int err = client::RecordLock::fetch(*ctx.client, *ctx.db, key, false, &lock);
    if (err == 0) err = lock->store(u64_bytes(count));
    if (err == 0) err = lock->remove();
    if (err != 0) {
      fprintf(stderr, "node %zu: churn of key %" PRIu64 " failed: %d\n", ctx.index, count, err);
      return err;
    }
    count++;
  }
  *ops = count;
  return 0;
}

const char kManyClientsDb[] = "bench_many_clients.tdb";
constexpr int kOwnRecords = 16;  // records each client owns
constexpr int kVisitEvery = 20;  // every 20th operation is on another node's record instead
constexpr int kVisitTries = 8;   // records looked at for one that is not here

int setup_many_clients(NodeCtx& ctx) {
  int err = client::Database::attach(*ctx.client, Deadline::after_seconds(kGraceSeconds),
                                     kManyClientsDb, 0, &ctx.db);
  if (err != 0) {
    fprintf(stderr, "node %zu client %d: attach %s failed: %d\n", ctx.index, ctx.client_index,
            kManyClientsDb, err);
  }
  return err;
}

// A record a many_clients client writes, and what it saw there last. A record owned by a client
// of node n holds one counter per writer: slot 0 is its owner's, slot 1 + c that of client c of
// node n-1 (its visitors); each writer increments only its own. So each writer knows what the
// record must hold: its own counter exactly as it stored it last, the others no lower than it
// saw them. And when another counter moved, that writer has had the record on its node since.
struct ManyClientsRecord {
  Bytes key;
  size_t slot = 0;
  std::vector<uint64_t> seen;  // every counter after this client's last store; empty: not yet
};

// Fetch-lock, check, increment this client's counter, unlock. *moved: another writer has
// stored since this client's last store.
int many_clients_update(NodeCtx& ctx, ManyClientsRecord& r, bool* moved) {
  std::unique_ptr<client::RecordLock> lock;
  int err = client::RecordLock::fetch(*ctx.client, *ctx.db, r.key, false, &lock);
  if (err != 0) {
    fprintf(stderr, "node %zu client %d: fetch_lock failed: %d\n", ctx.index, ctx.client_index,
            err);
    return err;
  }
  const size_t slots = 1 + static_cast<size_t>(ctx.opt->clients);
  std::vector<uint64_t> v(slots, 0);
  const Bytes& value = lock->value();
  proto::Reader rd(value);
  bool ok = value.empty() || value.size() == slots * 8;
  for (size_t i = 0; ok && !value.empty() && i < slots; i++) ok = rd.u64(&v[i]);
  const std::string name(r.key.begin(), r.key.end());
  if (!ok) {
    fprintf(stderr, "node %zu client %d: %s holds %zu bytes, not %zu counters\n", ctx.index,
            ctx.client_index, name.c_str(), value.size(), slots);
    return EPROTO;
  }
  *moved = false;
  for (size_t i = 0; i < r.seen.size(); i++) {
    if (i == r.slot ? v[i] == r.seen[i] : v[i] >= r.seen[i]) {
      *moved = *moved || v[i] != r.seen[i];
      continue;
    }
    fprintf(stderr,
            "node %zu client %d: lost update on %s: writer %zu's counter is %" PRIu64
            ", but this client %s %" PRIu64 " there\n",
            ctx.index, ctx.client_index, name.c_str(), i, v[i],
            i == r.slot ? "(that writer) stored" : "saw", r.seen[i]);
    return EPROTO;
  }
  v[r.slot]++;
  Bytes out;
  proto::Writer w(&out);
  for (uint64_t c : v) w.u64(c);
  err = lock->store(out);
  if (err != 0) return err;
  r.seen = std::move(v);
  return 0;
}

// many_clients: --clients processes per node, each doing fetch-lock/store/unlock on 16 records
// of its own, which stay on its node. Every 20th operation is instead on a record of a client of
// the next node that is there (one of a few picked at random whose local copy names another
// dmaster): the visit migrates it here, and its owner's next operation on it migrates it back.
// So about 10 % of all operations move a record between nodes (stderr counts them), each finding
// the record as a client of another node wrote it. Picking among all clients of the next node
// keeps a stalled owner from handing its visitors records that stay here (the visitors would
// then run at local speed). Values are checked as ManyClientsRecord says: a lost update fails
// the run. Counts operations.
int run_many_clients(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  const size_t n = ctx.n(), clients = static_cast<size_t>(ctx.opt->clients);
  // The record size depends on --clients: the key names it, so that runs with other counts on
  // the same cluster do not meet each other's records.
  const std::string prefix = "many_clients_c" + std::to_string(clients) + "_";
  auto key = [&prefix](size_t node, size_t client, int j) {
    return key_bytes(prefix + std::to_string(node) + "_" + std::to_string(client) + "_" +
                     std::to_string(j));
  };
  std::vector<ManyClientsRecord> own, visited;
  const size_t me_client = static_cast<size_t>(ctx.client_index);
  for (int j = 0; j < kOwnRecords; j++) own.push_back({key(ctx.index, me_client, j), 0, {}});
  if (n > 1) {
    for (size_t c = 0; c < clients; c++) {
      for (int j = 0; j < kOwnRecords; j++) {
        visited.push_back({key((ctx.index + 1) % n, c, j), 1 + me_client, {}});
      }
    }
  }
  const uint32_t me = ctx.client->pnn();
  uint64_t rng = static_cast<uint64_t>(getpid()) * 0x9E3779B97F4A7C15ULL | 1;
  auto next_random = [&rng] {  // xorshift64
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };
  uint64_t count = 0;
  size_t next_own = 0;
  while (Clock::now() < end) {
    bool visit = !visited.empty() && count % kVisitEvery == kVisitEvery - 1;
    ManyClientsRecord* r = &own[next_own++ % own.size()];
    bool elsewhere = false;
    for (int t = 0; visit && t < kVisitTries && !elsewhere; t++) {
      r = &visited[next_random() % visited.size()];
      proto::LtdbHeader h;
      Bytes v;
      elsewhere = ctx.db->ltdb_fetch(r->key, &h, &v) == 0 && h.dmaster != me;
    }
    bool moved = false;
    int err = many_clients_update(ctx, *r, &moved);
    if (err != 0) return err;
    if (visit ? elsewhere : moved) ctx.migrations++;
    count++;
  }
  *ops = count;
  return 0;
}

struct Workload {
  const char* name;
  const char* unit;
  const char* what;
  SetupFn setup;
  RunFn run;
  bool serialised_counter;  // check lowest_read / highest_stored against the total (see NodeCtx)
  bool many_per_node;       // may run with --clients > 1
};

// fetch_ring checks every value on the way (each token carries its record's value), so it needs
// no serialised_counter check, which could not follow several records anyway.
const Workload kWorkloads[] = {
    {"message_ring", "messages/s", "REQ_MESSAGE forwarded round the nodes", setup_message_ring,
     run_message_ring, false, false},
    {"fetch_ring", "locks/s", "fetch-lock + increment of a record per token migrating round",
     setup_fetch_ring, run_fetch_ring, false, false},
    {"transaction_loop", "commits/s", "persistent transactions from every node at once",
     setup_transaction_loop, run_transaction_loop, true, false},
    {"delete_churn", "keys/s", "fresh records created and deleted on every node, vacuumed",
     setup_delete_churn, run_delete_churn, false, true},
    {"many_clients", "ops/s", "--clients per node fetch-lock records, 10 % of them migrating",
     setup_many_clients, run_many_clients, false, true},
};

// The floor needs no daemon; it is listed with the others.
const char kWakeupFloor[] = "wakeup_floor";

const Workload* find_workload(const std::string& name) {
  for (const Workload& w : kWorkloads) {
    if (name == w.name) return &w;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Parent / child plumbing: one pipe each way per child, fixed-size records.

// Reads exactly n bytes before `end`; false on EOF, error or timeout.
bool read_all(int fd, void* p, size_t n, Clock::time_point end) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    pollfd pf{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0) return false;
    int pr = poll(&pf, 1, static_cast<int>(left));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) return false;
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

struct Child {
  pid_t pid = -1;
  int up = -1;    // child -> parent
  int down = -1;  // parent -> child
};

// The whole life of a child; returns its exit status.
int child_main(const Options& opt, const Workload& w, size_t index, int client_index,
               uint64_t srvid, int up, int down) {
  // Hard stop in case a daemon never answers a call the client waits on without a deadline.
  alarm(static_cast<unsigned>(opt.seconds + 2 * kGraceSeconds));
  const Clock::time_point setup_end = Clock::now() + std::chrono::seconds(kGraceSeconds);
  std::unique_ptr<Client> c;
  int32_t status = Client::connect(opt.sockets[index], &c);
  uint32_t pnn = status == 0 ? c->pnn() : UNKNOWN_PNN;
  if (status != 0)
    fprintf(stderr, "node %zu: connect %s: %d\n", index, opt.sockets[index].c_str(), status);
  if (!write_all(up, &pnn, sizeof(pnn)) || status != 0) return 1;

  NodeCtx ctx;
  ctx.opt = &opt;
  ctx.index = index;
  ctx.client_index = client_index;
  ctx.srvid = srvid;
  ctx.client = c.get();
  ctx.pnns.resize(opt.sockets.size());
  if (!read_all(down, ctx.pnns.data(), ctx.pnns.size() * sizeof(uint32_t), setup_end)) return 1;

  status = w.setup(ctx);
  if (!write_all(up, &status, sizeof(status)) || status != 0) return 1;

  char go = 0;
  if (!read_all(down, &go, 1, setup_end) || go != 'g') return 1;
  const Clock::time_point start = Clock::now();
  ChildResult res;
  const int64_t size_before = ctx.db ? file_size(ctx.db->path()) : -1;
  res.status = w.run(ctx, start + std::chrono::seconds(opt.seconds), &res.ops);
  res.elapsed_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
  res.lowest_read = ctx.lowest_read;
  res.highest_stored = ctx.highest_stored;
  res.file_growth = size_before < 0 ? -1 : file_size(ctx.db->path()) - size_before;
  res.migrations = ctx.migrations;
  return write_all(up, &res, sizeof(res)) ? 0 : 1;
}

void kill_children(std::vector<Child>& kids) {
  for (Child& k : kids) {
    if (k.pid > 0) kill(k.pid, SIGKILL);
  }
}

void close_pipes(Child& k) {
  if (k.up >= 0) close(k.up);
  if (k.down >= 0) close(k.down);
  k.up = k.down = -1;
}

void reap_children(std::vector<Child>& kids) {
  for (Child& k : kids) {
    if (k.pid > 0) waitpid(k.pid, nullptr, 0);
    k.pid = -1;
    close_pipes(k);
  }
}

// Children are socket-major: child i serves socket i / clients as its client i % clients.
int run(const Options& opt, const Workload& w) {
  // One srvid per run inside the test range, so leftovers of an earlier run cannot interfere.
  const uint64_t srvid = SRVID_TEST_RANGE | (static_cast<uint64_t>(getpid()) << 8);
  const size_t per_socket = static_cast<size_t>(opt.clients);
  std::vector<Child> kids(opt.sockets.size() * per_socket);
  fflush(stdout);
  fflush(stderr);
  for (size_t i = 0; i < kids.size(); i++) {
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) != 0 || pipe2(down, O_CLOEXEC) != 0) {
      perror("pipe");
      kill_children(kids);
      reap_children(kids);
      return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
      // The other children's pipes are not this child's business; holding them would also keep
      // those children from seeing the parent go.
      for (size_t j = 0; j < i; j++) close_pipes(kids[j]);
      close(up[0]);
      close(down[1]);
      _exit(child_main(opt, w, i / per_socket, static_cast<int>(i % per_socket), srvid, up[1],
                       down[0]));
    }
    close(up[1]);
    close(down[0]);
    kids[i].pid = pid;
    kids[i].up = up[0];
    kids[i].down = down[1];
    if (pid < 0) {
      perror("fork");
      kill_children(kids);
      reap_children(kids);
      return 1;
    }
  }

  auto fail = [&](const char* what) {
    fprintf(stderr, "%s: %s\n", w.name, what);
    kill_children(kids);
    reap_children(kids);
    return 1;
  };

  // Ready/go: every child reports its pnn, gets every socket's pnn back, sets up and reports
  // ready; then all are told to go. Each step reads the children in turn, so the slowest one
  // sets the pace but none can be missed (the pipes hold what the others wrote meanwhile).
  const Clock::time_point setup_end = Clock::now() + std::chrono::seconds(kGraceSeconds);
  std::vector<uint32_t> pnns(opt.sockets.size(), UNKNOWN_PNN);
  for (size_t i = 0; i < kids.size(); i++) {
    uint32_t pnn = UNKNOWN_PNN;
    if (!read_all(kids[i].up, &pnn, sizeof(pnn), setup_end) || pnn == UNKNOWN_PNN) {
      return fail("a client could not connect");
    }
    uint32_t& want = pnns[i / per_socket];
    if (want != UNKNOWN_PNN && want != pnn) return fail("one socket answered with two pnns");
    want = pnn;
  }
  for (size_t i = 0; i < pnns.size(); i++) {
    for (size_t j = 0; j < i; j++) {
      if (pnns[i] == pnns[j]) return fail("two sockets belong to the same node");
    }
  }
  for (Child& k : kids) {
    if (!write_all(k.down, pnns.data(), pnns.size() * sizeof(uint32_t))) {
      return fail("a client died");
    }
  }
  for (Child& k : kids) {
    int32_t st = -1;
    if (!read_all(k.up, &st, sizeof(st), setup_end) || st != 0) {
      return fail("setup failed on a node");
    }
  }
  for (Child& k : kids) {
    if (!write_all(k.down, "g", 1)) return fail("a client died");
  }
  const Clock::time_point results_end =
      Clock::now() + std::chrono::seconds(opt.seconds + kGraceSeconds);
  uint64_t total = 0, max_us = 0, lowest = UINT64_MAX, highest = 0, migrations = 0;
  uint64_t least = UINT64_MAX, most = 0;  // operations of the slowest and fastest client
  int64_t max_growth = -1;
  std::vector<uint64_t> per_socket_ops(pnns.size(), 0);
  for (size_t i = 0; i < kids.size(); i++) {
    ChildResult res;
    if (!read_all(kids[i].up, &res, sizeof(res), results_end)) {
      return fail("a client did not report (timed out or died)");
    }
    if (res.status != 0) return fail("a client failed during the run");
    total += res.ops;
    per_socket_ops[i / per_socket] += res.ops;
    least = std::min(least, res.ops);
    most = std::max(most, res.ops);
    migrations += res.migrations;
    if (res.elapsed_us > max_us) max_us = res.elapsed_us;
    if (res.lowest_read < lowest) lowest = res.lowest_read;
    if (res.highest_stored > highest) highest = res.highest_stored;
    if (res.file_growth > max_growth) max_growth = res.file_growth;
  }
  reap_children(kids);
  if (total == 0) {
    fprintf(stderr, "%s: no operation completed in %d s\n", w.name, opt.seconds);
    return 1;
  }
  if (w.serialised_counter && highest - lowest != total) {
    fprintf(stderr,
            "%s: lost updates: the shared counter went from %" PRIu64 " to %" PRIu64 " but %" PRIu64
            " increments completed (the cluster-wide lock did not serialise)\n",
            w.name, lowest, highest, total);
    return 1;
  }
  std::string per_node;
  for (size_t i = 0; i < pnns.size(); i++) {
    per_node += " pnn" + std::to_string(pnns[i]) + "=" + std::to_string(per_socket_ops[i]);
  }
  if (per_socket > 1) {
    per_node += " (per client " + std::to_string(least) + ".." + std::to_string(most) + ")";
  }
  if (migrations > 0) {
    char buf[80];
    snprintf(buf, sizeof(buf), " migrations=%" PRIu64 " (%.1f %% of ops)", migrations,
             100.0 * static_cast<double>(migrations) / static_cast<double>(total));
    per_node += buf;
  }
  // The nominal duration: every child stops at its own deadline, measured from the same "go".
  const double secs = opt.seconds;
  // On a small machine the clients' own CPU is part of every figure: show it.
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  double cpu =
      ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  fprintf(stderr, "# %s:%s (longest child %.3f s) clients_cpu=%.2fs (%.1f us/op)\n", w.name,
          per_node.c_str(), max_us / 1e6, cpu, cpu * 1e6 / static_cast<double>(total));
  printf("%s rate=%.1f unit=%s ops=%" PRIu64 " seconds=%d", w.name, total / secs, w.unit, total,
         opt.seconds);
  // The most any node's tdb file grew during the run (workloads with a database).
  if (max_growth >= 0) printf(" growth_kib=%.1f", max_growth / 1024.0);
  printf("\n");
  return 0;
}

// ---------------------------------------------------------------------------------------------
// wakeup_floor: what one process wake-up costs on this machine, with no daemon at all. --procs
// processes form a ring of Unix-domain socketpairs and pass one 100-byte token round it: each
// hop is a blocking read that returns (the process wakes up) and a write that wakes the next,
// which is what every hop of a ring workload costs at least (a daemon also decodes, routes and
// perhaps touches a tdb). The default of 9 is the length of message_ring's wake-up cycle on 3
// nodes (client, daemon, next daemon, its client, ...: 3 hops per node), and as many processes
// as the 3 daemons and 3 clients of the cluster under test plus the 3 idle daemons of the other
// one; 6 measures the same here within the noise (see run_bench.sh).

constexpr size_t kFloorTokenSize = 100;

// A ring member other than the first: forward until the stop token (or EOF) comes by.
int floor_member(int in, int out) {
  uint8_t token[kFloorTokenSize];
  while (bench::read_all(in, token, sizeof(token))) {
    if (!write_all(out, token, sizeof(token)) || token[0] == 's') break;
  }
  return 0;
}

int run_wakeup_floor(const Options& opt) {
  const int procs = opt.procs;
  // Member i reads links[i][0] and writes links[(i + 1) % procs][1].
  std::vector<std::array<int, 2>> links(static_cast<size_t>(procs));
  for (auto& l : links) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, l.data()) != 0) {
      perror("socketpair");
      return 1;
    }
  }
  auto keep_only = [&](int in, int out) {
    for (auto& l : links) {
      for (int fd : l) {
        if (fd != in && fd != out) close(fd);
      }
    }
  };
  fflush(stdout);
  fflush(stderr);
  std::vector<pid_t> kids;
  for (int i = 1; i < procs; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      int in = links[i][0], out = links[(i + 1) % procs][1];
      keep_only(in, out);
      _exit(floor_member(in, out));
    }
    if (pid < 0) {
      perror("fork");
      break;  // closing our ends below takes the ring down
    }
    kids.push_back(pid);
  }
  const int in = links[0][0], out = links[1 % procs][1];
  keep_only(in, out);
  uint8_t token[kFloorTokenSize] = {'r'};
  uint64_t laps = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + std::chrono::seconds(opt.seconds);
  Clock::time_point now = start;
  bool ok = static_cast<int>(kids.size()) == procs - 1 && write_all(out, token, sizeof(token));
  while (ok && now < end) {
    ok = bench::read_all(in, token, sizeof(token));
    now = Clock::now();
    if (!ok) break;
    laps++;
    token[0] = now < end ? 'r' : 's';
    ok = write_all(out, token, sizeof(token));
  }
  if (ok) ok = bench::read_all(in, token, sizeof(token));  // the stop token, back round the ring
  close(in);
  close(out);
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  if (!ok || laps == 0) {
    fprintf(stderr, "wakeup_floor: the ring broke\n");
    return 1;
  }
  const uint64_t hops = laps * static_cast<uint64_t>(procs);
  const double us = std::chrono::duration<double, std::micro>(now - start).count();
  printf("wakeup_floor rate=%.1f unit=hops/s ops=%" PRIu64 " seconds=%d us_per_hop=%.2f procs=%d\n",
         hops * 1e6 / us, hops, opt.seconds, us / static_cast<double>(hops), procs);
  return 0;
}

void usage(FILE* f) {
  fprintf(f,
          "Usage: ctdb_bench [--time=SECONDS] [--tokens=N] [--clients=N] WORKLOAD SOCKET...\n"
          "       ctdb_bench [--time=SECONDS] [--procs=N] wakeup_floor\n"
          "       ctdb_bench --list\n"
          "Client processes per daemon socket (one per node, in ring order).\n"
          "  --time=SECONDS  length of the measured run (default 10)\n"
          "  --tokens=N      messages circulating at once in ring workloads (default 1)\n"
          "  --clients=N     client processes per socket, many_clients and delete_churn (1)\n"
          "  --procs=N       processes in wakeup_floor's ring (default 9)\n"
          "Workloads:\n");
  for (const Workload& w : kWorkloads) fprintf(f, "  %-17s %s (%s)\n", w.name, w.what, w.unit);
  fprintf(f, "  %-17s %s\n", kWakeupFloor,
          "one token round a ring of processes, no daemon (hops/s, us_per_hop)");
}

bool parse_int(const char* s, int lo, int hi, int* out) {
  char* e = nullptr;
  errno = 0;
  long v = strtol(s, &e, 10);
  if (errno != 0 || e == s || *e != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int bench_main(int argc, char** argv) {
  Options opt;
  std::vector<std::string> args;
  // Integer options: name, range, where.
  struct IntOption {
    const char* prefix;
    int lo, hi;
    int* value;
  };
  const IntOption int_options[] = {
      {"--time=", 1, 3600, &opt.seconds},
      {"--tokens=", 1, 1000, &opt.tokens},
      {"--clients=", 1, 256, &opt.clients},
      {"--procs=", 2, 64, &opt.procs},
  };
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    const IntOption* o = nullptr;
    for (const IntOption& io : int_options) {
      if (a.rfind(io.prefix, 0) == 0) o = &io;
    }
    if (a == "--list") {
      for (const Workload& w : kWorkloads) printf("%s\n", w.name);
      printf("%s\n", kWakeupFloor);
      return 0;
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (o != nullptr) {
      const char* v = a.c_str() + strlen(o->prefix);
      if (!parse_int(v, o->lo, o->hi, o->value)) {
        fprintf(stderr, "bad %.*s: %s\n", static_cast<int>(strlen(o->prefix) - 1), o->prefix, v);
        return 2;
      }
    } else if (a.rfind("--", 0) == 0) {
      fprintf(stderr, "unknown option %s\n", a.c_str());
      usage(stderr);
      return 2;
    } else {
      args.push_back(a);
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (!args.empty() && args[0] == kWakeupFloor) return run_wakeup_floor(opt);
  if (args.size() < 2) {
    usage(stderr);
    return 2;
  }
  opt.workload = args[0];
  opt.sockets.assign(args.begin() + 1, args.end());
  const Workload* w = find_workload(opt.workload);
  if (w == nullptr) {
    fprintf(stderr, "unknown workload %s\n", opt.workload.c_str());
    return 3;
  }
  if (opt.clients > 1 && !w->many_per_node) {
    fprintf(stderr, "%s runs one client per node (--clients=1)\n", w->name);
    return 2;
  }
  return run(opt, *w);
}

}  // namespace ctdb::bench

int main(int argc, char** argv) { return ctdb::bench::bench_main(argc, argv); }
