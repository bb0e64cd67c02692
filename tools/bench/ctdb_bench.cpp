// ctdb_bench: a benchmark client that drives one process per node through the CTDB client
// protocol and prints a single throughput figure per run (workloads: see kWorkloads).
//
// Usage: ctdb_bench [--time=SECONDS] [--tokens=N] [--list] WORKLOAD SOCKET0 SOCKET1 ...
//
// The parent forks one child per daemon socket. The children connect, tell the parent their
// pnn, get everybody's pnn back, set up the workload (register srvids, attach databases) and
// report ready. Only when every child is ready does the parent say "go": a message sent to a
// node whose client has not registered its srvid yet is silently dropped by the daemon (4.17
// does this), which would stall a ring before it started. Each child then works until its
// deadline and writes its count back. The figure is the sum of the counts over the duration.
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

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/database.h"
#include "client/transaction.h"
#include "ctdb/protocol.h"
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
  int tokens = 1;  // messages / tokens circulating at once in the ring workloads
  std::string workload;
  std::vector<std::string> sockets;
};

class RingConn;

// What a child knows while it runs a workload.
struct NodeCtx {
  const Options* opt = nullptr;
  size_t index = 0;            // position in the ring (order of sockets on the command line)
  std::vector<uint32_t> pnns;  // pnn of every ring member, by index
  uint64_t srvid = 0;          // the srvid every ring member registers on its own daemon
  Client* client = nullptr;
  std::shared_ptr<RingConn> ring;  // message_ring's own connection
  std::unique_ptr<client::Database> db;
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
};

Bytes u64_bytes(uint64_t v) {
  Bytes b;
  proto::Writer w(&b);
  w.u64(v);
  return b;
}

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

int setup_ring(NodeCtx& ctx) {
  int err = ctx.client->register_srvid(ctx.srvid);
  if (err != 0) fprintf(stderr, "node %zu: register_srvid failed: %d\n", ctx.index, err);
  return err;
}

Deadline until(Clock::time_point end) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
  if (left.count() < 0) left = std::chrono::milliseconds(0);
  return Deadline::after(left);
}

// message_ring talks on a connection of its own that it reads and writes directly: one read
// takes every message that has arrived and the answers to all of them leave in one write. The
// client library (a poll() before every read, a copy and an allocation per packet) would make
// this client, which shares the CPUs with the daemons, a large part of what is measured. Both
// clusters are driven by this same code.
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
    h.reqid = 1;
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
};

int setup_message_ring(NodeCtx& ctx) {
  ctx.ring = std::make_shared<RingConn>();
  int err = ctx.ring->open(ctx.opt->sockets[ctx.index]);
  if (err == 0) {
    err = ctx.ring->register_srvid(ctx.client->pnn(), ctx.srvid,
                                   Clock::now() + std::chrono::seconds(kGraceSeconds));
  }
  if (err != 0) fprintf(stderr, "node %zu: message_ring setup failed: %d\n", ctx.index, err);
  return err;
}

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
const char kFetchRingKey[] = "fetch_ring_counter";

int setup_fetch_ring(NodeCtx& ctx) {
  int err =
      client::Database::attach(*ctx.client, Deadline::after_seconds(30), kFetchRingDb, 0, &ctx.db);
  if (err != 0) {
    fprintf(stderr, "node %zu: attach %s failed: %d\n", ctx.index, kFetchRingDb, err);
    return err;
  }
  return setup_ring(ctx);
}

// One step of fetch_ring: lock the shared record here (migrating it), check that it holds the
// value the previous holder announced, store value+1. Returns 0 and the new value.
int fetch_ring_step(NodeCtx& ctx, bool check, uint64_t expect, uint64_t* stored) {
  Bytes key(kFetchRingKey, kFetchRingKey + sizeof(kFetchRingKey) - 1);
  std::unique_ptr<client::RecordLock> lock;
  int err = client::RecordLock::fetch(*ctx.client, *ctx.db, key, false, &lock);
  if (err != 0) {
    fprintf(stderr, "node %zu: fetch_lock failed: %d\n", ctx.index, err);
    return err;
  }
  uint64_t v = 0;
  if (!bytes_u64(lock->value(), &v)) {
    fprintf(stderr, "node %zu: record holds %zu bytes, not a counter\n", ctx.index,
            lock->value().size());
    return EPROTO;
  }
  if (check && v != expect) {
    fprintf(stderr, "node %zu: record holds %" PRIu64 ", previous holder stored %" PRIu64 "\n",
            ctx.index, v, expect);
    return EPROTO;
  }
  err = lock->store(u64_bytes(v + 1));
  if (err != 0) return err;
  ctx.saw_increment(v, v + 1);
  *stored = v + 1;
  return 0;
}

// fetch_ring: a token circulates as in message_ring; the holder of the token fetch-locks one
// shared record of a volatile database (so it migrates to this node on every hop), increments
// it, unlocks, and passes the token carrying the value it stored. Counts increments.
int run_fetch_ring(NodeCtx& ctx, Clock::time_point end, uint64_t* ops) {
  Client& c = *ctx.client;
  uint64_t count = 0;
  if (ctx.index == 0) {
    // With several tokens the record value no longer follows one token, so only one is checked.
    for (int t = 0; t < ctx.opt->tokens; t++) {
      uint64_t stored = 0;
      int err = fetch_ring_step(ctx, false, 0, &stored);
      if (err != 0) return err;
      count++;
      err = c.send_message(ctx.next_pnn(), ctx.srvid, u64_bytes(stored));
      if (err != 0) return err;
    }
  }
  while (Clock::now() < end) {
    client::Message m;
    int err = c.wait_message(until(end), &m);
    if (err == ETIMEDOUT) break;
    if (err != 0) return err;
    uint64_t expect = 0;
    if (m.srvid != ctx.srvid || !bytes_u64(m.data, &expect)) return EPROTO;
    uint64_t stored = 0;
    err = fetch_ring_step(ctx, ctx.opt->tokens == 1, expect, &stored);
    if (err != 0) return err;
    count++;
    err = c.send_message(ctx.next_pnn(), ctx.srvid, u64_bytes(stored));
    if (err != 0) return err;
  }
  *ops = count;
  return 0;
}

const char kTransactionDb[] = "bench_transaction_loop.tdb";

int setup_transaction_loop(NodeCtx& ctx) {
  int err = client::Database::attach(*ctx.client, Deadline::after_seconds(30), kTransactionDb,
                                     DB_FLAGS_PERSISTENT, &ctx.db);
  if (err != 0) fprintf(stderr, "node %zu: attach %s failed: %d\n", ctx.index, kTransactionDb, err);
  return err;
}

Bytes key_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

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
  const std::string prefix =
      "churn-" + std::to_string(ctx.srvid) + "-" + std::to_string(ctx.index) + "-";
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

struct Workload {
  const char* name;
  const char* unit;
  const char* what;
  SetupFn setup;
  RunFn run;
  bool serialised_counter;  // check lowest_read / highest_stored against the total (see NodeCtx)
};

const Workload kWorkloads[] = {
    {"message_ring", "messages/s", "REQ_MESSAGE forwarded round the nodes", setup_message_ring,
     run_message_ring, false},
    {"fetch_ring", "locks/s", "fetch-lock + increment of one record migrating round the nodes",
     setup_fetch_ring, run_fetch_ring, true},
    {"transaction_loop", "commits/s", "persistent transactions from every node at once",
     setup_transaction_loop, run_transaction_loop, true},
    {"delete_churn", "keys/s", "fresh records created and deleted on every node, vacuumed",
     setup_delete_churn, run_delete_churn, false},
};

const Workload* find_workload(const std::string& name) {
  for (const Workload& w : kWorkloads) {
    if (name == w.name) return &w;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Parent / child plumbing: one pipe each way per child, fixed-size records.

bool write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t r = write(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

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
int child_main(const Options& opt, const Workload& w, size_t index, uint64_t srvid, int up,
               int down) {
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
  return write_all(up, &res, sizeof(res)) ? 0 : 1;
}

void kill_children(std::vector<Child>& kids) {
  for (Child& k : kids) {
    if (k.pid > 0) kill(k.pid, SIGKILL);
  }
}

void reap_children(std::vector<Child>& kids) {
  for (Child& k : kids) {
    if (k.pid > 0) waitpid(k.pid, nullptr, 0);
    k.pid = -1;
    if (k.up >= 0) close(k.up);
    if (k.down >= 0) close(k.down);
    k.up = k.down = -1;
  }
}

int run(const Options& opt, const Workload& w) {
  // One srvid per run inside the test range, so leftovers of an earlier run cannot interfere.
  const uint64_t srvid = SRVID_TEST_RANGE | (static_cast<uint64_t>(getpid()) << 8);
  std::vector<Child> kids(opt.sockets.size());
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
      close(up[0]);
      close(down[1]);
      _exit(child_main(opt, w, i, srvid, up[1], down[0]));
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

  const Clock::time_point setup_end = Clock::now() + std::chrono::seconds(kGraceSeconds);
  std::vector<uint32_t> pnns(kids.size());
  for (size_t i = 0; i < kids.size(); i++) {
    if (!read_all(kids[i].up, &pnns[i], sizeof(uint32_t), setup_end) || pnns[i] == UNKNOWN_PNN) {
      return fail("a client could not connect");
    }
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
  uint64_t total = 0, max_us = 0, lowest = UINT64_MAX, highest = 0;
  int64_t max_growth = -1;
  std::string per_node;
  for (size_t i = 0; i < kids.size(); i++) {
    ChildResult res;
    if (!read_all(kids[i].up, &res, sizeof(res), results_end)) {
      return fail("a client did not report (timed out or died)");
    }
    if (res.status != 0) return fail("a client failed during the run");
    total += res.ops;
    if (res.elapsed_us > max_us) max_us = res.elapsed_us;
    if (res.lowest_read < lowest) lowest = res.lowest_read;
    if (res.highest_stored > highest) highest = res.highest_stored;
    per_node += " pnn" + std::to_string(pnns[i]) + "=" + std::to_string(res.ops);
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

void usage(FILE* f) {
  fprintf(f,
          "Usage: ctdb_bench [--time=SECONDS] [--tokens=N] WORKLOAD SOCKET...\n"
          "       ctdb_bench --list\n"
          "One client process per daemon socket (one per node, in ring order).\n"
          "  --time=SECONDS  length of the measured run (default 10)\n"
          "  --tokens=N      messages circulating at once in ring workloads (default 1)\n"
          "Workloads:\n");
  for (const Workload& w : kWorkloads) fprintf(f, "  %-17s %s (%s)\n", w.name, w.what, w.unit);
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
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--list") {
      for (const Workload& w : kWorkloads) printf("%s\n", w.name);
      return 0;
    } else if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a.rfind("--time=", 0) == 0) {
      if (!parse_int(a.c_str() + 7, 1, 3600, &opt.seconds)) {
        fprintf(stderr, "bad --time: %s\n", a.c_str() + 7);
        return 2;
      }
    } else if (a.rfind("--tokens=", 0) == 0) {
      if (!parse_int(a.c_str() + 9, 1, 1000, &opt.tokens)) {
        fprintf(stderr, "bad --tokens: %s\n", a.c_str() + 9);
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
  signal(SIGPIPE, SIG_IGN);
  return run(opt, *w);
}

}  // namespace ctdb::bench

int main(int argc, char** argv) { return ctdb::bench::bench_main(argc, argv); }
