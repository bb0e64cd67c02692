// Cluster-wide traverse (see traverse.h): the client side state on the node a client asked,
// and the forked children that walk this node's tdb for any node that asked.
#include "daemon/db/traverse.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <tdb.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <utility>

#include "common/logging.h"
#include "daemon/child_process.h"
#include "daemon/cluster_host.h"
#include "daemon/db/db_registry.h"

namespace ctdb::daemon {

namespace {

// A record bigger than any packet a node could carry means a broken stream.
constexpr size_t kMaxRecord = 64 * 1024 * 1024;
// What the reactor reads from one child per wakeup: small enough that clients and other
// nodes are served between two chunks of a big traverse.
constexpr size_t kReadChunk = 64 * 1024;
// The child hands its buffer to the pipe once it holds this much.
constexpr size_t kChildFlushAt = 64 * 1024;
constexpr double kReapInterval = 0.05;
// A traverse's records go to its client while the client has less than this unread. The rest
// wait in the traverse until it reads on (4.17 queues them all for the client at once, so a
// client reading slowly, `ctdb catdb | less`, holds the whole database in the daemon either
// way; waiting here keeps it clear of the limit on unread replies that a client which never
// reads is cut off at).
constexpr size_t kRelayBelow = 1024 * 1024;
// More than this waiting for one client (it stopped reading in the middle of traverses of big
// databases): that client is disconnected rather than the daemon growing further.
constexpr size_t kMaxHeldPerClient = 256 * 1024 * 1024;

// ---- the child ------------------------------------------------------------------------------

// Output of the child. While libtdb holds locks (the traverse), writes never block: what the
// pipe cannot take stays here. Otherwise a parent that itself waits for a tdb lock (a
// persistent commit starting a transaction) and this child waiting for the parent to drain
// the pipe would wait for each other.
struct ChildOutput {
  int fd = -1;
  proto::Bytes buf;
  size_t head = 0;
  bool broken = false;  // the parent is gone

  void try_write() {
    while (!broken && head < buf.size()) {
      ssize_t n = write(fd, buf.data() + head, buf.size() - head);
      if (n > 0) {
        head += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else {
        broken = true;
      }
    }
    if (head == buf.size()) {
      buf.clear();
      head = 0;
    } else if (head > kChildFlushAt && head * 2 > buf.size()) {
      buf.erase(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(head));
      head = 0;
    }
  }
};

struct ChildJob {
  tdb_context* tdb;
  int tdb_fd;
  int out_fd;
  bool volatile_db;
  bool with_empty;
  uint32_t pnn;
  uint32_t reqid;
  pid_t parent;
  ChildOutput* out;
};

int child_record(tdb_context*, TDB_DATA key, TDB_DATA data, void* arg) {
  auto* job = static_cast<ChildJob*>(arg);
  if (!traverse::wants_record(job->volatile_db, job->with_empty, job->pnn, data.dptr, data.dsize)) {
    return 0;
  }
  traverse::append_rec_data(&job->out->buf, job->reqid, key.dptr, key.dsize, data.dptr, data.dsize);
  if (job->out->buf.size() - job->out->head >= kChildFlushAt) job->out->try_write();
  return job->out->broken ? -1 : 0;
}

// Closes every descriptor above stderr except `keep_a` and `keep_b`: the daemon's sockets and
// other children's pipes must not live on in this child.
void close_other_fds(int keep_a, int keep_b) {
  int lo = std::min(keep_a, keep_b), hi = std::max(keep_a, keep_b);
  unsigned first = 3;
  for (int keep : {lo, hi}) {
    if (keep >= static_cast<int>(first)) {
      if (static_cast<unsigned>(keep) > first)
        close_range(first, static_cast<unsigned>(keep) - 1, 0);
      first = static_cast<unsigned>(keep) + 1;
    }
  }
  close_range(first, ~0U, 0);
}

// The traverse child. Never returns. It uses the tdb handle it inherited, as 4.17's child
// does: fcntl locks belong to the process, so its read locks are its own.
[[noreturn]] void run_child(ChildJob job) {
  reset_child_signals();
  restore_child_scheduling();
  // The name 4.17 gives its traverse children, so that ps shows what this is.
  prctl(PR_SET_NAME, "ctdb_traverse");
  // Nobody is left to read what we find once the daemon is gone.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != job.parent) _exit(1);
  close_other_fds(job.tdb_fd, job.out_fd);

  ChildOutput out;
  out.fd = job.out_fd;
  job.out = &out;
  fcntl(job.out_fd, F_SETFL, fcntl(job.out_fd, F_GETFL) | O_NONBLOCK);
  int res = tdb_traverse_read(job.tdb, child_record, &job);
  // As in 4.17 the end marker follows even a failed walk; the exit status tells the parent.
  traverse::append_rec_data(&out.buf, job.reqid, nullptr, 0, nullptr, 0);
  fcntl(job.out_fd, F_SETFL, fcntl(job.out_fd, F_GETFL) & ~O_NONBLOCK);
  out.try_write();
  // _exit: nothing of the daemon (tdb close, destructors) may run here.
  _exit(res < 0 || out.broken ? 1 : 0);
}

}  // namespace

// ---- state ----------------------------------------------------------------------------------

// A traverse a local client started; records of every node pass through here.
struct TraverseManager::ClusterTraverse {
  uint32_t reqid = 0;  // ours, in TRAVERSE_ALL and every TRAVERSE_DATA
  uint32_t db_id = 0;
  std::string db_name;
  bool volatile_db = true;
  uint32_t client_id = 0;
  uint32_t client_reqid = 0;
  uint64_t srvid = 0;
  uint32_t null_count = 0;
  uint32_t num_records = 0;
  std::unique_ptr<Timer> timeout;
  // Every node's part is in (or it timed out): only delivery to the client is left.
  bool collected = false;
  std::deque<proto::Bytes> held;  // messages for the client, in order, not yet sent
  size_t held_bytes = 0;
};

// This node's walk of its tdb for the traverse `reqid` of node `srcnode`.
struct TraverseManager::LocalTraverse {
  uint64_t id = 0;
  uint32_t db_id = 0;
  std::string db_name;
  uint32_t reqid = 0;
  uint32_t srcnode = 0;
  uint32_t client_reqid = 0;
  uint64_t srvid = 0;
  pid_t child = -1;
  int fd = -1;
  uint32_t records = 0;
  std::unique_ptr<FdWatcher> watcher;
  traverse::RecDataStream stream{kMaxRecord};
};

TraverseManager::TraverseManager(ClusterHost& d, DbRegistry& dbs) : d_(d), dbs_(dbs) {
  reap_timer_ = std::make_unique<Timer>(d_.loop(), [this] { reap_pending(); });
}

TraverseManager::~TraverseManager() {
  for (auto& [id, t] : local_) {
    t->watcher.reset();
    if (t->fd >= 0) close(t->fd);
    if (t->child > 0) {
      kill(t->child, SIGKILL);
      waitpid(t->child, nullptr, WNOHANG);
    }
  }
  for (pid_t pid : zombies_) waitpid(pid, nullptr, WNOHANG);
}

uint32_t TraverseManager::new_reqid() {
  while (true) {
    uint32_t id = next_reqid_++;
    if (next_reqid_ == 0) next_reqid_ = 1;
    if (id != 0 && cluster_.count(id) == 0) return id;
  }
}

// ---- the node a client asked ----------------------------------------------------------------

bool TraverseManager::start(uint32_t client_id, uint32_t db_id, uint32_t client_reqid,
                            uint64_t srvid, bool with_empty) {
  Database* db = dbs_.find(db_id);
  if (db == nullptr) return false;
  auto t = std::make_unique<ClusterTraverse>();
  t->reqid = new_reqid();
  t->db_id = db_id;
  t->db_name = db->name;
  t->volatile_db = db->volatile_db();
  t->client_id = client_id;
  t->client_reqid = client_reqid;
  t->srvid = srvid;
  uint32_t reqid = t->reqid;

  proto::Bytes payload;
  uint32_t opcode;
  if (with_empty) {
    proto::TraverseAllExt all;
    all.db_id = db_id;
    all.reqid = reqid;
    all.pnn = d_.pnn();
    all.client_reqid = client_reqid;
    all.srvid = srvid;
    all.withemptyrecords = true;
    payload = proto::to_bytes(all);
    opcode = CONTROL_TRAVERSE_ALL_EXT;
  } else {
    proto::TraverseAll all;
    all.db_id = db_id;
    all.reqid = reqid;
    all.pnn = d_.pnn();
    all.client_reqid = client_reqid;
    all.srvid = srvid;
    payload = proto::to_bytes(all);
    opcode = CONTROL_TRAVERSE_ALL;
  }
  t->timeout = std::make_unique<Timer>(d_.loop(), [this, reqid] { on_timeout(reqid); });
  t->timeout->start(d_.tunables()[kTraverseTimeout]);
  cluster_[reqid] = std::move(t);
  CTDB_LOGF(kLogNotice, "Starting traverse on DB %s (id %u)", db->name.c_str(), reqid);

  std::vector<uint32_t> flags;
  for (const NodeInfo& n : d_.nodes()) flags.push_back(n.flags);
  // Sent last: our own part may answer (and even end the traverse) from within.
  for (uint32_t pnn : traverse::targets(db->volatile_db(), d_.pnn(), flags, d_.vnnmap().map)) {
    d_.send_control(pnn, opcode, 0, payload, 0, nullptr, CTRL_FLAG_NOREPLY);
  }
  return true;
}

bool TraverseManager::data(const proto::Bytes& payload) {
  proto::RecData rec;
  if (!proto::from_bytes(payload, &rec)) {
    CTDB_LOGF(kLogError, "Bad record size in traverse data");
    return false;
  }
  auto it = cluster_.find(rec.reqid);
  // Over already (client gone, timed out, every node's part in).
  if (it == cluster_.end() || it->second->collected) return false;
  ClusterTraverse& t = *it->second;
  if (traverse::is_end_marker(rec)) {
    t.null_count++;
    // A volatile traverse ends when as many nodes as are active now have ended their part; a
    // persistent one is read on one node only.
    if (t.volatile_db) {
      std::vector<uint32_t> flags;
      for (const NodeInfo& n : d_.nodes()) flags.push_back(n.flags);
      if (t.null_count != traverse::num_active_nodes(flags)) return true;
    }
    finish(t.reqid, false);
    return true;
  }
  rec.reqid = t.client_reqid;
  t.num_records++;
  relay(t.reqid, proto::to_bytes(rec));
  return true;
}

void TraverseManager::relay(uint32_t reqid, proto::Bytes msg) {
  ClusterTraverse& t = *cluster_.at(reqid);
  if (t.held.empty() && d_.client_backlog(t.client_id) < kRelayBelow) {
    d_.deliver_message(t.srvid, msg);
    return;
  }
  t.held_bytes += msg.size();
  t.held.push_back(std::move(msg));
  size_t held = 0;
  for (const auto& [id, other] : cluster_)
    held += other->client_id == t.client_id ? other->held_bytes : 0;
  if (held > kMaxHeldPerClient) {
    CTDB_LOGF(kLogError, "Traverse on DB %s: client %u has not read %zu bytes of records, closing",
              t.db_name.c_str(), t.client_id, held);
    d_.close_client(t.client_id);  // its traverses end with it (client_gone)
  }
}

void TraverseManager::client_drained(uint32_t client_id) {
  std::vector<uint32_t> waiting;
  for (const auto& [reqid, t] : cluster_) {
    if (t->client_id == client_id && !t->held.empty()) waiting.push_back(reqid);
  }
  for (uint32_t reqid : waiting) {
    auto it = cluster_.find(reqid);
    if (it == cluster_.end()) continue;
    ClusterTraverse& t = *it->second;
    while (!t.held.empty() && d_.client_backlog(client_id) < kRelayBelow) {
      proto::Bytes msg = std::move(t.held.front());
      t.held.pop_front();
      t.held_bytes -= msg.size();
      d_.deliver_message(t.srvid, msg);
    }
    if (t.held.empty() && t.collected) cluster_.erase(it);
    if (d_.client_backlog(client_id) >= kRelayBelow) return;
  }
}

void TraverseManager::finish(uint32_t reqid, bool kill) {
  auto it = cluster_.find(reqid);
  if (it == cluster_.end() || it->second->collected) return;
  ClusterTraverse& t = *it->second;
  t.collected = true;
  t.timeout->stop();
  CTDB_LOGF(kLogNotice, "Ending traverse on DB %s (id %u), records %u", t.db_name.c_str(), t.reqid,
            t.num_records);
  if (kill) kill_everywhere(t);
  proto::RecData end;
  end.reqid = t.client_reqid;
  relay(reqid, proto::to_bytes(end));
  // Gone already if the client was closed; kept while records still wait for it.
  it = cluster_.find(reqid);
  if (it != cluster_.end() && it->second->held.empty()) cluster_.erase(it);
}

// 4.17 logs the same line for a timeout as for a client that went away.
void TraverseManager::kill_everywhere(const ClusterTraverse& t) {
  CTDB_LOGF(kLogError, "Traverse cancelled by client disconnect for database:0x%08x", t.db_id);
  proto::TraverseStart stop;
  stop.db_id = t.db_id;
  stop.reqid = t.client_reqid;
  stop.srvid = t.srvid;
  proto::Bytes payload = proto::to_bytes(stop);
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_CONNECTED)) {
    d_.send_control(pnn, CONTROL_TRAVERSE_KILL, 0, payload, 0, nullptr, CTRL_FLAG_NOREPLY);
  }
}

// As 4.17: the client gets the end marker, and the nodes still walking are told to stop.
void TraverseManager::on_timeout(uint32_t reqid) {
  auto it = cluster_.find(reqid);
  if (it == cluster_.end()) return;
  CTDB_LOGF(kLogError, "Traverse all timeout on database:%s", it->second->db_name.c_str());
  d_.stats().timeouts.traverse++;
  finish(reqid, true);
}

void TraverseManager::client_gone(uint32_t client_id) {
  std::vector<uint32_t> gone;
  for (auto& [reqid, t] : cluster_) {
    if (t->client_id == client_id) gone.push_back(reqid);
  }
  for (uint32_t reqid : gone) {
    auto it = cluster_.find(reqid);
    if (it == cluster_.end()) continue;
    std::unique_ptr<ClusterTraverse> t = std::move(it->second);
    cluster_.erase(it);
    if (!t->collected) kill_everywhere(*t);
  }
}

// ---- every node's part ----------------------------------------------------------------------

bool TraverseManager::start_local(uint32_t db_id, uint32_t reqid, uint32_t srcnode,
                                  uint32_t client_reqid, uint64_t srvid, bool with_empty) {
  Database* db = dbs_.find(db_id);
  if (db == nullptr || !db->ltdb) return false;
  ChildJob job{};
  job.tdb = db->ltdb->raw();
  job.tdb_fd = db->ltdb->fd();
  job.volatile_db = db->volatile_db();
  job.with_empty = with_empty;
  job.pnn = d_.pnn();
  job.reqid = reqid;
  job.parent = getpid();
  int fd = -1;
  pid_t pid = fork_job_child(job, run_child, &fd);
  if (pid < 0) {
    CTDB_LOGF(kLogError, "traverse of %s: cannot start a child: %s", db->name.c_str(),
              strerror(errno));
    return false;
  }

  auto t = std::make_unique<LocalTraverse>();
  t->id = next_local_id_++;
  t->db_id = db_id;
  t->db_name = db->name;
  t->reqid = reqid;
  t->srcnode = srcnode;
  t->client_reqid = client_reqid;
  t->srvid = srvid;
  t->child = pid;
  t->fd = fd;
  uint64_t id = t->id;
  t->watcher = std::make_unique<FdWatcher>(d_.loop(), t->fd, [this, id] { on_child_readable(id); });
  local_[id] = std::move(t);
  return true;
}

void TraverseManager::on_child_readable(uint64_t id) {
  auto it = local_.find(id);
  if (it == local_.end()) return;
  LocalTraverse& t = *it->second;
  uint8_t buf[kReadChunk];
  ssize_t n = read(t.fd, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    // The child ended without its end marker: killed, or it crashed. As in 4.17 the node
    // that asked hears nothing more from us and its traverse runs into its timeout.
    CTDB_LOGF(kLogError, "Local traverse failed db:%s reqid:%u", t.db_name.c_str(), t.reqid);
    end_local(id, true);
    return;
  }
  t.stream.append(buf, static_cast<size_t>(n));
  proto::Bytes rec;
  while (true) {
    it = local_.find(id);  // forwarding may have ended this walk (TRAVERSE_KILL to ourselves)
    if (it == local_.end()) return;
    LocalTraverse& cur = *it->second;
    traverse::RecDataStream::Next next = cur.stream.next(&rec);
    if (next == traverse::RecDataStream::Next::kNeedMore) return;
    if (next == traverse::RecDataStream::Next::kBad) {
      CTDB_LOGF(kLogError, "Local traverse failed db:%s reqid:%u: malformed record from child",
                cur.db_name.c_str(), cur.reqid);
      end_local(id, true);
      return;
    }
    bool end = rec.size() == traverse::kRecDataFixed;  // no key, no data
    if (end) {
      CTDB_LOGF(kLogInfo, "Local traverse end db:%s reqid:%u records:%u", cur.db_name.c_str(),
                cur.reqid, cur.records);
      uint32_t srcnode = cur.srcnode;
      end_local(id, false);
      forward(srcnode, rec);
      return;
    }
    cur.records++;
    forward(cur.srcnode, rec);
  }
}

void TraverseManager::forward(uint32_t srcnode, const proto::Bytes& rec) {
  if (srcnode == d_.pnn()) {
    data(rec);
    return;
  }
  d_.send_control(srcnode, CONTROL_TRAVERSE_DATA, 0, rec, 0, nullptr, CTRL_FLAG_NOREPLY);
}

void TraverseManager::end_local(uint64_t id, bool kill_child) {
  auto it = local_.find(id);
  if (it == local_.end()) return;
  std::unique_ptr<LocalTraverse> t = std::move(it->second);
  local_.erase(it);
  t->watcher.reset();
  close(t->fd);
  if (kill_child) kill(t->child, SIGKILL);
  reap(t->child);
}

bool TraverseManager::kill_local(uint32_t db_id, uint32_t client_reqid, uint64_t srvid) {
  if (dbs_.find(db_id) == nullptr) return false;
  for (auto& [id, t] : local_) {
    if (t->db_id == db_id && t->client_reqid == client_reqid && t->srvid == srvid) {
      CTDB_LOGF(kLogInfo, "Killing local traverse db:%s reqid:%u", t->db_name.c_str(), t->reqid);
      end_local(id, true);
      break;  // one walk per request, as 4.17
    }
  }
  return true;
}

void TraverseManager::db_detached(uint32_t db_id) {
  std::vector<uint64_t> ids;
  for (auto& [id, t] : local_) {
    if (t->db_id == db_id) ids.push_back(id);
  }
  for (uint64_t id : ids) end_local(id, true);
}

// ---- children -------------------------------------------------------------------------------

void TraverseManager::reap(pid_t pid) {
  int status;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == pid) {
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      CTDB_LOGF(kLogError, "traverse child %d: the walk of the database failed",
                static_cast<int>(pid));
    }
    return;
  }
  if (r < 0) return;  // not ours any more
  zombies_.push_back(pid);
  if (!reap_timer_->pending()) reap_timer_->start(kReapInterval);
}

void TraverseManager::reap_pending() {
  std::vector<pid_t> pids = std::move(zombies_);
  zombies_.clear();
  for (pid_t pid : pids) reap(pid);
}

}  // namespace ctdb::daemon
