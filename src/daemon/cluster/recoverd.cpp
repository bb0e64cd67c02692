// The recovery master logic (see recoverd.h).
#include "daemon/cluster/recoverd.h"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/logging.h"
#include "daemon/cluster/election.h"
#include "daemon/cluster/recovery_merge.h"
#include "daemon/cluster/vnnmap.h"
#include "daemon/controls/dispatch.h"
#include "daemon/takeover/public_ips.h"

namespace ctdb::daemon::cluster {
namespace {

constexpr double kLeaderBroadcastInterval = 1.0;
constexpr double kFastElectionTimeout = 0.5;
// A contended recovery lock is asked for again this often while no leader is known, for at
// most a leader timeout.
constexpr double kLockRetryInterval = 0.05;
// Leader timeouts between two reports of a lock that is held with no leader heard.
constexpr int kUnheardLockReport = 12;

// Sends one control to many nodes; `each` sees every reply (returning false
// marks the round failed) and `done` runs once after the last one.
// `culprit` is the first node whose reply failed (UNKNOWN_PNN when none).
using DoneFn = std::function<void(bool ok, const std::string& err, uint32_t culprit)>;

struct FanOut {
  size_t remaining = 0;
  bool ok = true;
  std::string error;
  uint32_t culprit = UNKNOWN_PNN;
  DoneFn done;
};

using EachFn = std::function<bool(uint32_t pnn, int32_t status, const proto::Bytes& data)>;

void fan_out(ClusterHost& d, const std::vector<uint32_t>& nodes, uint32_t opcode,
             const proto::Bytes& data, double timeout, EachFn each, DoneFn done) {
  if (nodes.empty()) {
    done(true, "", UNKNOWN_PNN);
    return;
  }
  auto state = std::make_shared<FanOut>();
  state->remaining = nodes.size();
  state->done = std::move(done);
  for (uint32_t pnn : nodes) {
    d.send_control(pnn, opcode, 0, data, timeout,
                   [state, each, opcode](uint32_t from, int32_t status, const proto::Bytes& reply,
                                         const std::string& err) {
                     bool good = each ? each(from, status, reply) : status == 0;
                     if (!good && state->ok) {
                       state->ok = false;
                       state->culprit = from;
                       state->error = "control " + std::to_string(opcode) + " failed on node " +
                                      std::to_string(from) + (err.empty() ? "" : ": " + err);
                     }
                     if (--state->remaining == 0) {
                       state->done(state->ok, state->error, state->culprit);
                     }
                   });
  }
}

}  // namespace

// One recovery, run as a chain of asynchronous steps over the active nodes.
struct Recoverd::Run : std::enable_shared_from_this<Recoverd::Run> {
  struct DbInfo {
    uint32_t db_id = 0;
    uint8_t flags = 0;
    std::string name;
  };

  Run(Recoverd& r, std::vector<uint32_t> active) : rec(r), d(r.d_), nodes(std::move(active)) {}

  Recoverd& rec;
  RecoverdHost& d;
  std::vector<uint32_t> nodes;
  std::map<uint32_t, uint32_t> caps;
  uint32_t generation = 0;
  proto::VnnMap vnnmap;
  std::vector<DbInfo> dbs;
  size_t db_index = 0;  // while names are collected
  bool finished = false;

  double timeout() const { return std::max<uint32_t>(d.tunables()[kRecoverTimeout], 1); }

  // Continues with `next` only while this run is still the current one.
  DoneFn then(void (Run::*next)()) {
    std::weak_ptr<Run> weak = shared_from_this();
    return [weak, next](bool ok, const std::string& err, uint32_t culprit) {
      auto self = weak.lock();
      if (!self || self->finished) return;
      if (!ok) {
        self->fail(err, culprit);
        return;
      }
      ((*self).*next)();
    };
  }

  void fail(const std::string& why, uint32_t culprit = UNKNOWN_PNN);

  void start() {
    CTDB_LOGF(kLogNotice, "Recovery started on %zu active node(s)", nodes.size());
    fan_out(d, nodes, CONTROL_SET_RECMODE, u32_bytes(RECOVERY_ACTIVE), timeout(), nullptr,
            then(&Run::start_recovery_event));
  }

  // The startrecovery event on every node; a node whose event fails fails the recovery.
  void start_recovery_event() {
    fan_out(d, nodes, CONTROL_START_RECOVERY, {}, timeout(), nullptr, then(&Run::get_caps));
  }

  void get_caps() {
    std::weak_ptr<Run> weak = shared_from_this();
    fan_out(
        d, nodes, CONTROL_GET_CAPABILITIES, {}, timeout(),
        [weak](uint32_t pnn, int32_t status, const proto::Bytes& data) {
          auto self = weak.lock();
          uint32_t c;
          if (!self || status != 0 || !payload_u32(data, &c)) return false;
          self->caps[pnn] = c;
          return true;
        },
        then(&Run::get_dbmaps));
  }

  void get_dbmaps() {
    std::weak_ptr<Run> weak = shared_from_this();
    fan_out(
        d, nodes, CONTROL_GET_DBMAP, {}, timeout(),
        [weak](uint32_t, int32_t status, const proto::Bytes& data) {
          auto self = weak.lock();
          proto::DbIdMap map;
          if (!self || status != 0 || !proto::from_bytes(data, &map)) return false;
          for (const proto::DbId& id : map.dbs) {
            bool known = false;
            for (DbInfo& db : self->dbs) known |= db.db_id == id.db_id;
            if (!known) self->dbs.push_back({id.db_id, id.flags, ""});
          }
          return true;
        },
        then(&Run::get_names));
  }

  // Names come from any node that has the database; every node then
  // attaches every database (attach of a known name is a no-op).
  void get_names() {
    if (db_index >= dbs.size()) {
      db_index = 0;
      build_vnnmap_step();
      return;
    }
    DbInfo& db = dbs[db_index];
    std::weak_ptr<Run> weak = shared_from_this();
    auto state = std::make_shared<std::string>();
    fan_out(
        d, nodes, CONTROL_GET_DBNAME, u32_bytes(db.db_id), timeout(),
        [state](uint32_t, int32_t status, const proto::Bytes& data) {
          if (status == 0 && state->empty()) {
            proto::Reader r(data);
            proto::decode_cstring(r, state.get());
          }
          return true;  // nodes without the database answer -1
        },
        [weak, state](bool, const std::string&, uint32_t) {
          auto self = weak.lock();
          if (!self || self->finished) return;
          if (state->empty()) {
            self->fail("no node knows the name of database " +
                       std::to_string(self->dbs[self->db_index].db_id));
            return;
          }
          self->dbs[self->db_index].name = *state;
          self->attach_everywhere();
        });
  }

  void attach_everywhere() {
    DbInfo& db = dbs[db_index];
    uint32_t opcode = (db.flags & DB_FLAGS_PERSISTENT)   ? CONTROL_DB_ATTACH_PERSISTENT
                      : (db.flags & DB_FLAGS_REPLICATED) ? CONTROL_DB_ATTACH_REPLICATED
                                                         : CONTROL_DB_ATTACH;
    proto::Bytes name;
    proto::Writer w(&name);
    proto::encode_cstring(w, db.name);
    db_index++;
    fan_out(d, nodes, opcode, name, timeout(), nullptr, then(&Run::get_names));
  }

  void build_vnnmap_step() {
    std::vector<VnnMapCandidate> candidates;
    for (uint32_t pnn : nodes) candidates.push_back({pnn, d.nodes()[pnn].flags, caps[pnn]});
    generation = new_generation(default_random_source());
    vnnmap = build_vnnmap(candidates, d.pnn(), generation);
    recover_databases();
  }

  // Every database is recovered at once, as 4.17's recovery helper does: while one waits for
  // its pull or its commit on the nodes, another merges or pushes.
  std::vector<std::shared_ptr<DbRecovery>> db_runs;
  size_t dbs_left = 0;

  void recover_databases();

  void set_vnnmap() {
    fan_out(d, nodes, CONTROL_SETVNNMAP, proto::to_bytes(vnnmap), timeout(), nullptr,
            then(&Run::recmode_normal));
  }

  void recmode_normal() {
    fan_out(d, nodes, CONTROL_SET_RECMODE, u32_bytes(RECOVERY_NORMAL), timeout(), nullptr,
            then(&Run::end));
  }

  // The recovered event on every node; as in 4.17, its failure fails the recovery.
  void end() {
    fan_out(d, nodes, CONTROL_END_RECOVERY, {}, timeout(), nullptr, then(&Run::complete));
  }

  void complete() {
    finished = true;
    rec.last_recovered_nodes_ = nodes;
    CTDB_LOGF(kLogNotice, "Recovery complete, generation %u", generation);
    rec.recovery_done(true, "", UNKNOWN_PNN);
  }
};

// The recovery of one database on every active node: freeze, recovery transaction, pull,
// merge, push, commit, thaw. `done` runs once, unless the recovery it belongs to ended first.
struct Recoverd::DbRecovery : std::enable_shared_from_this<Recoverd::DbRecovery> {
  DbRecovery(Run& r, Run::DbInfo info)
      : run(r), d(r.d), nodes(r.nodes), generation(r.generation), db(std::move(info)) {}

  Run& run;  // outlives this: Run holds it and clears it before it goes
  RecoverdHost& d;
  const std::vector<uint32_t> nodes;
  const uint32_t generation;
  const Run::DbInfo db;
  DoneFn done;
  std::unique_ptr<RecoveryDb> merged;
  std::vector<uint64_t> pull_srvids;
  uint64_t push_srvid = 0;
  std::vector<uint32_t> sources;
  std::vector<proto::RecBuffer> push_bufs;
  size_t push_next = 0;  // the next of push_bufs to send
  uint32_t pushed = 0;
  // When each step began (monotonic seconds), for the line that says where the time went.
  enum Step { kFreeze, kPull, kWipe, kPush, kCommit, kThaw, kDone, kSteps };
  double step_start[kSteps] = {};

  void begin(Step s) { step_start[s] = monotonic_now(); }
  double took(Step from, Step to) const { return step_start[to] - step_start[from]; }

  double timeout() const { return run.timeout(); }

  // Continues with `next` only while this database's recovery and the recovery it belongs to
  // are still going.
  DoneFn then(void (DbRecovery::*next)()) {
    std::weak_ptr<DbRecovery> weak = shared_from_this();
    return [weak, next](bool ok, const std::string& err, uint32_t culprit) {
      auto self = weak.lock();
      if (!self || self->run.finished) return;
      if (!ok) {
        self->finish(false, err, culprit);
        return;
      }
      ((*self).*next)();
    };
  }

  void finish(bool ok, const std::string& err, uint32_t culprit) {
    clear_pull_handlers();
    if (ok) {
      begin(kDone);
      CTDB_LOGF(kLogNotice,
                "Recovered database %s: %u records in %.3f s (freeze %.3f, pull %.3f, wipe %.3f, "
                "push %.3f, commit %.3f, thaw %.3f)",
                db.name.c_str(), pushed, took(kFreeze, kDone), took(kFreeze, kPull),
                took(kPull, kWipe), took(kWipe, kPush), took(kPush, kCommit), took(kCommit, kThaw),
                took(kThaw, kDone));
    }
    DoneFn fn = std::move(done);
    done = nullptr;
    if (fn) fn(ok, err, culprit);
  }

  void start(DoneFn fn) {
    done = std::move(fn);
    CTDB_LOGF(kLogInfo, "Recovering database %s", db.name.c_str());
    begin(kFreeze);
    fan_out(d, nodes, CONTROL_DB_FREEZE, u32_bytes(db.db_id), timeout(), nullptr,
            then(&DbRecovery::transaction_start));
  }

  bool persistent() const { return db.flags & (DB_FLAGS_PERSISTENT | DB_FLAGS_REPLICATED); }

  proto::Bytes transdb() const {
    proto::TransDb t;
    t.db_id = db.db_id;
    t.tid = generation;
    return proto::to_bytes(t);
  }

  void transaction_start() {
    fan_out(d, nodes, CONTROL_DB_TRANSACTION_START, transdb(), timeout(), nullptr,
            then(&DbRecovery::choose_sources));
  }

  // Volatile databases merge every node's copy by RSN; persistent ones take
  // the copy of the node with the highest sequence number.
  void choose_sources() {
    sources = nodes;
    if (!persistent()) {
      pull();
      return;
    }
    auto seqnums = std::make_shared<std::vector<NodeSeqnum>>();
    std::weak_ptr<DbRecovery> weak = shared_from_this();
    proto::Bytes id;
    proto::Writer(&id).u64(db.db_id);
    fan_out(
        d, nodes, CONTROL_GET_DB_SEQNUM, id, timeout(),
        [seqnums](uint32_t pnn, int32_t status, const proto::Bytes& data) {
          uint64_t s = 0;
          proto::Reader r(data);
          if (status != 0 || data.size() != 8 || !r.u64(&s)) return false;
          seqnums->push_back({pnn, s});
          return true;
        },
        [weak, seqnums](bool ok, const std::string& err, uint32_t culprit) {
          auto self = weak.lock();
          if (!self || self->run.finished) return;
          if (!ok) {
            self->finish(false, err, culprit);
            return;
          }
          if (auto best = pick_highest_seqnum_node(*seqnums)) self->sources = {*best};
          self->pull();
        });
  }

  // Each source sends its records to a srvid of its own, so that the merge knows whose copy
  // each one is (see RecoveryDb::drop_leftovers_from).
  void pull() {
    begin(kPull);
    merged = std::make_unique<RecoveryDb>(db.db_id, d.pnn());
    if (!persistent()) merged->drop_leftovers_from(run.rec.newcomers(nodes));
    std::weak_ptr<DbRecovery> weak = shared_from_this();
    auto bad = std::make_shared<bool>(false);
    auto state = std::make_shared<FanOut>();
    state->remaining = sources.size();
    state->done = [weak, bad](bool ok, const std::string& err, uint32_t culprit) {
      auto self = weak.lock();
      if (!self || self->run.finished) return;
      self->clear_pull_handlers();
      if (!ok || *bad) {
        self->finish(false, ok ? "malformed records pulled" : err, culprit);
        return;
      }
      self->wipe();
    };
    if (sources.empty()) state->done(true, "", UNKNOWN_PNN);
    for (uint32_t source : sources) {
      uint64_t srvid = SRVID_RECOVERY | (uint64_t(0x8000 | (source & 0x7fff)) << 32) | db.db_id;
      pull_srvids.push_back(srvid);
      d.set_message_handler(srvid, [weak, bad, source](const proto::Bytes& data) {
        auto self = weak.lock();
        proto::RecBuffer buf;
        if (!self || !self->merged || !proto::from_bytes(data, &buf) ||
            self->merged->add(std::move(buf), source) != RecoveryDb::AddResult::kOk) {
          *bad = true;
        }
      });
      proto::PullDbExt p;
      p.db_id = db.db_id;
      p.lmaster = LMASTER_ANY;
      p.srvid = srvid;
      fan_out(d, {source}, CONTROL_DB_PULL, proto::to_bytes(p), timeout(), nullptr,
              [state](bool ok, const std::string& err, uint32_t culprit) {
                if (!ok && state->ok) {
                  state->ok = false;
                  state->error = err;
                  state->culprit = culprit;
                }
                if (--state->remaining == 0) state->done(state->ok, state->error, state->culprit);
              });
    }
  }

  void clear_pull_handlers() {
    for (uint64_t srvid : pull_srvids) d.clear_message_handler(srvid);
    pull_srvids.clear();
  }

  // Every node empties its copy inside the recovery transaction before the push, as 4.17's
  // recovery helper does: a 4.17 node's DB_PUSH_START adds to what is there, so without this a
  // record deleted since (or merged away) would stay on the 4.17 nodes of a mixed cluster.
  void wipe() {
    begin(kWipe);
    fan_out(d, nodes, CONTROL_WIPE_DATABASE, transdb(), timeout(), nullptr,
            then(&DbRecovery::push_start));
  }

  void push_start() {
    begin(kPush);
    size_t limit = std::max<uint32_t>(d.tunables()[kRecBufferSizeLimit], 4096);
    push_bufs = merged->push_buffers(persistent(), limit);
    merged.reset();  // the pulled copies are not needed any more
    pushed = 0;
    for (const auto& b : push_bufs) pushed += b.count;
    push_srvid = SRVID_RECOVERY | (uint64_t(generation & 0xffff) << 32) | db.db_id;
    proto::PullDbExt p;
    p.db_id = db.db_id;
    p.lmaster = LMASTER_ANY;
    p.srvid = push_srvid;
    fan_out(d, nodes, CONTROL_DB_PUSH_START, proto::to_bytes(p), timeout(), nullptr,
            then(&DbRecovery::push_send));
  }

  // The records travel as messages on the same links as the controls, so
  // they reach each node before its PUSH_CONFIRM. One buffer per turn of the event loop: the
  // leader applies its own copy of each buffer as it sends it (a message to itself is delivered
  // at once), and a million records in one go kept it from answering controls and keepalives
  // for seconds.
  void push_send() {
    push_next = 0;
    push_one();
  }

  void push_one() {
    while (push_next < push_bufs.size() && push_bufs[push_next].count == 0) push_next++;
    if (push_next == push_bufs.size()) {
      push_confirm();
      return;
    }
    proto::Bytes msg = proto::to_bytes(push_bufs[push_next]);
    push_bufs[push_next] = proto::RecBuffer();  // sent: its memory goes now
    push_next++;
    for (uint32_t pnn : nodes) d.send_message(pnn, push_srvid, msg);
    d.run_after(0, [weak = std::weak_ptr<DbRecovery>(shared_from_this())] {
      auto self = weak.lock();
      if (self && !self->run.finished) self->push_one();
    });
  }

  void push_confirm() {
    push_bufs.clear();
    uint32_t expect = pushed;
    fan_out(
        d, nodes, CONTROL_DB_PUSH_CONFIRM, u32_bytes(db.db_id), timeout(),
        [expect](uint32_t, int32_t status, const proto::Bytes& data) {
          uint32_t n;
          return status == 0 && payload_u32(data, &n) && n == expect;
        },
        then(&DbRecovery::commit));
  }

  void commit() {
    begin(kCommit);
    fan_out(d, nodes, CONTROL_DB_TRANSACTION_COMMIT, transdb(), timeout(), nullptr,
            then(&DbRecovery::thaw));
  }

  void thaw() {
    begin(kThaw);
    fan_out(d, nodes, CONTROL_DB_THAW, u32_bytes(db.db_id), timeout(), nullptr,
            [weak = std::weak_ptr<DbRecovery>(shared_from_this())](bool ok, const std::string& err,
                                                                   uint32_t culprit) {
              auto self = weak.lock();
              if (self && !self->run.finished) self->finish(ok, err, culprit);
            });
  }
};

void Recoverd::Run::fail(const std::string& why, uint32_t culprit) {
  if (finished) return;
  finished = true;
  for (auto& one : db_runs) one->clear_pull_handlers();
  db_runs.clear();
  // Leave no database frozen behind; the next recovery starts afresh.
  for (const DbInfo& db : dbs) {
    fan_out(d, nodes, CONTROL_DB_THAW, u32_bytes(db.db_id), timeout(), nullptr,
            [](bool, const std::string&, uint32_t) {});
  }
  rec.recovery_done(false, why, culprit);
}

void Recoverd::Run::recover_databases() {
  if (dbs.empty()) {
    set_vnnmap();
    return;
  }
  dbs_left = dbs.size();
  std::weak_ptr<Run> weak = shared_from_this();
  for (const DbInfo& db : dbs) {
    auto one = std::make_shared<DbRecovery>(*this, db);
    db_runs.push_back(one);
    one->start([weak](bool ok, const std::string& err, uint32_t culprit) {
      auto self = weak.lock();
      if (!self || self->finished) return;
      if (!ok) {
        self->fail(err, culprit);
        return;
      }
      if (--self->dbs_left == 0) {
        self->db_runs.clear();
        self->set_vnnmap();
      }
    });
  }
}

Recoverd::Recoverd(RecoverdHost& d)
    : d_(d),
      leader_(UNKNOWN_PNN),
      candidate_(UNKNOWN_PNN),
      main_timer_(d.loop(), [this] { main_loop(); }),
      broadcast_timer_(d.loop(), [this] { broadcast_leader(); }),
      leader_timeout_(d.loop(),
                      [this] {
                        CTDB_LOGF(kLogNotice, "Leader broadcast timeout");
                        force_election("leader broadcast timeout");
                      }),
      election_timer_(d.loop(), [this] { election_timeout(); }),
      election_send_timer_(d.loop(), [this] { send_election_request(); }),
      recovery_disable_timer_(d.loop(),
                              [this] {
                                CTDB_LOGF(kLogNotice, "Reenabling recoveries after timeout");
                                told_disabled_ = false;
                                if (need_recovery_ && is_leader()) main_timer_.start(0);
                              }),
      takeover_disable_timer_(
          d.loop(), [] { CTDB_LOGF(kLogNotice, "Reenabling takeover runs after timeout"); }),
      lock_retry_timer_(
          d.loop(),
          [this] {
            if (leader_ == UNKNOWN_PNN && !election_in_progress_ && !d_.reclock_path().empty()) {
              election_in_progress_ = true;
              lock_election();
            }
          }),
      handover_timer_(d.loop(), [this] {
        CTDB_LOGF(kLogWarning, "No other node took over leadership; going on");
        finish_handover();
      }) {
  reset_priority_time();
}

// Election priority goes to the node that has been up and active longest:
// a node starts, or comes back from stopped or banned, as the youngest (4.17).
void Recoverd::reset_priority_time() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  priority_time_ = {ts.tv_sec, ts.tv_nsec / 1000};
}

Recoverd::~Recoverd() {
  d_.clear_message_handler(SRVID_LEADER);
  d_.clear_message_handler(SRVID_ELECTION);
  d_.clear_message_handler(SRVID_TAKEOVER_RUN);
  d_.clear_message_handler(SRVID_REBALANCE_NODE);
  d_.clear_message_handler(SRVID_DISABLE_TAKEOVER_RUNS);
  d_.clear_message_handler(SRVID_DISABLE_IP_CHECK);
  d_.clear_message_handler(SRVID_DISABLE_RECOVERIES);
}

// `ctdb ipreallocate` (and disable, enable, moveip...) and nodes whose addresses are not as
// planned ask for a takeover run; the leader answers each (an int32, its pnn, or -1 when the
// run failed) once a run that started after the request has finished. Every node keeps the
// requests, as 4.17 does; only the leader runs them, the others drop them.
void Recoverd::on_takeover_run_request(const proto::Bytes& data) {
  proto::SrvidMessage reply_to;
  if (!proto::from_bytes(data, &reply_to)) {
    CTDB_LOGF(kLogError, "Wrong size of takeover run request: %zu", data.size());
    return;
  }
  pending_takeover_replies_.push_back(reply_to);
  // No need to wait for the next main loop when nothing else is going on.
  if (is_leader() && !running_ && !checking_ && !takeover_ && !need_recovery_ &&
      !election_in_progress_) {
    main_timer_.start(0);
  }
}

void Recoverd::on_rebalance_node(const proto::Bytes& data) {
  uint32_t pnn;
  if (!is_leader()) return;
  if (data.size() != 4 || !payload_u32(data, &pnn)) {
    CTDB_LOGF(kLogError, "Incorrect size of node rebalance message: %zu", data.size());
    return;
  }
  CTDB_LOGF(kLogNotice, "Setting up rebalance of IPs to node %u", pnn);
  force_rebalance_nodes_.push_back(pnn);
}

// The leader runs a takeover elsewhere: this node asks for none meanwhile. Answered with our
// pnn when the sender wants an answer.
void Recoverd::on_disable_takeover_runs(const proto::Bytes& data) {
  proto::DisableMessage m;
  if (data.size() != 24 || !proto::from_bytes(data, &m)) {
    CTDB_LOGF(kLogError, "Wrong size for disable takeover runs message: %zu", data.size());
    return;
  }
  int32_t ret = static_cast<int32_t>(d_.pnn());
  if (m.timeout == 0) {
    if (takeover_disable_timer_.pending()) CTDB_LOGF(kLogNotice, "Reenabling takeover runs");
    takeover_disable_timer_.stop();
  } else if (takeover_) {
    CTDB_LOGF(kLogError, "Unable to disable takeover runs - in progress");
    ret = -EAGAIN;
  } else {
    CTDB_LOGF(kLogNotice, "Disabling takeover runs for %u seconds", m.timeout);
    takeover_disable_timer_.start(m.timeout);
  }
  if (m.srvid != 0) {
    proto::Bytes result;
    proto::Writer(&result).i32(ret);
    d_.send_message(m.pnn, m.srvid, result);
  }
}

// The older form of the same request: a bare u32 timeout, no answer.
void Recoverd::on_disable_ip_check(const proto::Bytes& data) {
  uint32_t timeout;
  if (data.size() != 4 || !payload_u32(data, &timeout)) return;
  if (timeout == 0) {
    takeover_disable_timer_.stop();
  } else {
    takeover_disable_timer_.start(timeout);
  }
}

void Recoverd::verify_local_ips() {
  if (!is_leader()) {
    pending_takeover_replies_.clear();
    force_rebalance_nodes_.clear();
  }
  if (takeover_runs_disabled()) return;
  if (!d_.public_ips().needs_takeover_run()) return;
  CTDB_LOGF(kLogNotice, "Trigger takeoverrun");
  proto::SrvidMessage request;
  request.pnn = d_.pnn();
  request.srvid = 0;
  proto::Bytes data = proto::to_bytes(request);
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_CONNECTED)) {
    d_.send_message(pnn, SRVID_TAKEOVER_RUN, data);
  }
}

void Recoverd::takeover_checks() {
  if (takeover_runs_disabled() || takeover_) return;
  if (!pending_takeover_replies_.empty() || need_takeover_run_) do_takeover_run();
}

void Recoverd::send_disable_takeover_runs(uint32_t seconds) {
  proto::DisableMessage m;
  m.pnn = UNKNOWN_PNN;
  m.srvid = 0;  // no answer wanted
  m.timeout = seconds;
  proto::Bytes data = proto::to_bytes(m);
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_CONNECTED)) {
    if (pnn != d_.pnn()) d_.send_message(pnn, SRVID_DISABLE_TAKEOVER_RUNS, data);
  }
}

void Recoverd::do_takeover_run() {
  // Requests that come in from now on may follow flag changes this run does not see: they
  // wait for the next one.
  std::vector<proto::SrvidMessage> waiting = std::move(pending_takeover_replies_);
  pending_takeover_replies_.clear();
  if (takeover_) {
    CTDB_LOGF(kLogError, "Takeover run already in progress");
    takeover_done(false, UNKNOWN_PNN, std::move(waiting));
    return;
  }
  if (takeover_runs_disabled()) {
    takeover_done(false, UNKNOWN_PNN, std::move(waiting));
    return;
  }
  CTDB_LOGF(kLogNotice, "Takeover run starting");
  // The other nodes must not ask for runs while addresses are in flight.
  send_disable_takeover_runs(60);
  takeover::TakeoverRun::Settings settings;
  const Tunables& t = d_.tunables();
  settings.timeout = std::max<uint32_t>(t[kTakeoverTimeout], 1);
  settings.alloc.algorithm =
      takeover::ipalloc_algorithm_from_tunables(t[kDeterministicIPs], t[kIPAllocAlgorithm]);
  settings.alloc.no_ip_takeover = t[kNoIPTakeover] != 0;
  settings.alloc.no_ip_failback = t[kNoIPFailback] != 0;
  settings.alloc.force_rebalance_nodes = force_rebalance_nodes_;
  proto::NodeMap map;
  for (const NodeInfo& n : d_.nodes()) map.nodes.push_back({n.pnn, n.flags, n.addr});
  size_t rebalance_count = force_rebalance_nodes_.size();
  RecoverdHost& d = d_;
  auto send = [&d](uint32_t pnn, uint32_t opcode, uint32_t flags, const proto::Bytes& data,
                   double timeout, std::function<void(int32_t, const proto::Bytes&)> reply) {
    d.send_control(
        pnn, opcode, 0, data, timeout,
        [reply](uint32_t, int32_t status, const proto::Bytes& out, const std::string&) {
          reply(status, out);
        },
        flags);
  };
  auto shared_waiting = std::make_shared<std::vector<proto::SrvidMessage>>(std::move(waiting));
  takeover_ = takeover::TakeoverRun::start(
      std::move(map), settings, send,
      guarded([this, shared_waiting, rebalance_count](bool ok, uint32_t culprit) {
        send_disable_takeover_runs(0);
        // Addresses added for rebalancing during the run stay for the next one.
        if (ok) {
          if (force_rebalance_nodes_.size() == rebalance_count) {
            force_rebalance_nodes_.clear();
          } else {
            CTDB_LOGF(kLogWarning,
                      "Rebalance target nodes changed during takeover run - not clearing");
          }
        }
        takeover_done(ok, culprit, std::move(*shared_waiting));
      }));
}

void Recoverd::takeover_done(bool ok, uint32_t culprit, std::vector<proto::SrvidMessage> waiting) {
  // Keep the finished run alive until its last callback has returned.
  std::shared_ptr<takeover::TakeoverRun> finished = std::move(takeover_);
  d_.run_after(0, [finished] {});
  need_takeover_run_ = !ok;
  if (!ok && culprit != UNKNOWN_PNN && d_.tunables()[kEnableBans] != 0) {
    CTDB_LOGF(kLogWarning, "Assigning banning credits to node %u", culprit);
    // As 4.17's banning message: as many credits as there are nodes at once.
    for (size_t i = 0; i < d_.nodes().size(); i++) add_ban_credit(culprit);
  }
  CTDB_LOGF(kLogNotice, "Takeover run %s", ok ? "completed successfully" : "unsuccessful");
  proto::Bytes result;
  proto::Writer(&result).i32(ok ? static_cast<int32_t>(d_.pnn()) : -1);
  for (const proto::SrvidMessage& to : waiting) {
    if (to.srvid != 0) d_.send_message(to.pnn, to.srvid, result);
  }
  // Requests that came in meanwhile, or a failed run, are seen to by the next main loop.
  if (is_leader() && (!pending_takeover_replies_.empty() || need_takeover_run_ || need_recovery_)) {
    main_timer_.start(need_takeover_run_ ? 1.0 : 0);
  }
}

void Recoverd::start() {
  d_.set_message_handler(SRVID_LEADER, [this](const proto::Bytes& b) { on_leader_message(b); });
  d_.set_message_handler(SRVID_ELECTION, [this](const proto::Bytes& b) { on_election_message(b); });
  d_.set_message_handler(SRVID_TAKEOVER_RUN,
                         [this](const proto::Bytes& b) { on_takeover_run_request(b); });
  d_.set_message_handler(SRVID_REBALANCE_NODE,
                         [this](const proto::Bytes& b) { on_rebalance_node(b); });
  d_.set_message_handler(SRVID_DISABLE_TAKEOVER_RUNS,
                         [this](const proto::Bytes& b) { on_disable_takeover_runs(b); });
  d_.set_message_handler(SRVID_DISABLE_IP_CHECK,
                         [this](const proto::Bytes& b) { on_disable_ip_check(b); });
  d_.set_message_handler(SRVID_DISABLE_RECOVERIES,
                         [this](const proto::Bytes& b) { on_disable_recoveries(b); });
  broadcast_timer_.start(kLeaderBroadcastInterval, true);
  main_timer_.start(0.1);
}

bool Recoverd::is_leader() const { return leader_ == d_.pnn(); }

std::set<uint32_t> Recoverd::newcomers(const std::vector<uint32_t>& nodes) const {
  std::set<uint32_t> out;
  if (last_recovered_nodes_.empty()) return out;  // no recovery of ours to compare with
  for (uint32_t pnn : nodes) {
    if (std::find(last_recovered_nodes_.begin(), last_recovered_nodes_.end(), pnn) ==
        last_recovered_nodes_.end()) {
      out.insert(pnn);
    }
  }
  return out;
}

bool Recoverd::can_be_leader() const {
  return after_handover_.empty() &&
         cluster::can_be_leader(d_.nodes()[d_.pnn()].flags, d_.capabilities());
}

bool Recoverd::hand_over(std::function<void()> then) {
  if (!is_leader() && after_handover_.empty()) return false;
  after_handover_.push_back(std::move(then));
  if (after_handover_.size() > 1) return true;  // already handing over
  bool others = false;
  for (const NodeInfo& n : d_.nodes()) {
    others |= n.pnn != d_.pnn() &&
              !(n.flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED));
  }
  // The elections to come must not bring leadership back here.
  reset_priority_time();
  give_up_leadership("handing leadership over");
  if (!others) {
    finish_handover();
    return true;
  }
  handover_timer_.start(d_.leader_timeout());
  force_election("the leader hands leadership over");
  return true;
}

void Recoverd::finish_handover() {
  handover_timer_.stop();
  std::vector<std::function<void()>> pending;
  pending.swap(after_handover_);
  for (auto& fn : pending) fn();
}

// While it hands leadership over, this node stands in elections as one
// without the leader capability: it cannot win them.
ElectionSelf Recoverd::election_self() const {
  uint32_t caps = d_.capabilities();
  if (!after_handover_.empty()) caps &= ~CAP_RECMASTER;
  return ElectionSelf{d_.pnn(), priority_time_, d_.nodes()[d_.pnn()].flags, caps};
}

proto::ElectionMessage Recoverd::election_data() const {
  ElectionSelf self = election_self();
  proto::NodeMap map;
  for (const NodeInfo& n : d_.nodes()) map.nodes.push_back({n.pnn, n.flags, n.addr});
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return make_election_message(self, map, {ts.tv_sec, ts.tv_nsec / 1000});
}

void Recoverd::request_recovery(const char* why) {
  if (!need_recovery_) CTDB_LOGF(kLogNotice, "Recovery needed: %s", why);
  need_recovery_ = true;
  // The main loop's timer always runs (every RecoverInterval): move its next tick to now.
  if (is_leader()) main_timer_.start(0);
}

void Recoverd::node_changed(uint32_t pnn) {
  uint32_t flags = d_.nodes()[pnn].flags;
  if (pnn == d_.pnn() && (flags & NODE_FLAGS_INACTIVE)) {
    // A stopped or banned node does nothing as leader (as 4.17's main loop), and it steps
    // down now rather than at its next leader broadcast: the other nodes elect at once.
    reset_priority_time();
    if (is_leader()) give_up_leadership("this node is stopped or banned");
    return;
  }
  if ((pnn == leader_ || (election_in_progress_ && pnn == candidate_)) &&
      (flags & NODE_FLAGS_DISCONNECTED)) {
    force_election("the leader is disconnected");
    return;
  }
  // 4.17 waits for the leader broadcast timeout; nodes told that the leader was stopped or
  // banned elect a new one at once, as if it had gone.
  if (pnn == leader_ && pnn != d_.pnn() && (flags & NODE_FLAGS_INACTIVE) && can_be_leader()) {
    force_election("the leader is stopped or banned");
    return;
  }
  if (!is_leader()) return;
  request_recovery("a node connected or disconnected");
  // Its public addresses move at once, without waiting for the recovery (which may be held
  // off for RerecoveryTimeout): 4.17 waits for it; clients should not. A hold on takeover
  // runs (moveip and reloadips ask for one of 20 s) gives way too: it keeps checks from
  // undoing an admin's move, not a dead node's addresses down.
  if (flags & NODE_FLAGS_DISCONNECTED) {
    if (takeover_disable_timer_.pending()) {
      CTDB_LOGF(kLogNotice, "Reenabling takeover runs: node %u is gone", pnn);
      takeover_disable_timer_.stop();
    }
  }
  need_takeover_run_ = true;
}

void Recoverd::broadcast_leader() {
  if (!can_be_leader()) {
    if (is_leader()) give_up_leadership("this node can no longer be leader");
    return;
  }
  if (!is_leader() || election_in_progress_) return;
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_CONNECTED)) {
    d_.send_message(pnn, SRVID_LEADER, u32_bytes(leader_));
  }
}

int Recoverd::lock_retries() const {
  return static_cast<int>(d_.leader_timeout() / kLockRetryInterval);
}

void Recoverd::restart_leader_timeout() { leader_timeout_.start(d_.leader_timeout()); }

void Recoverd::on_leader_message(const proto::Bytes& data) {
  uint32_t pnn;
  if (!payload_u32(data, &pnn)) return;
  if (pnn == d_.pnn()) return;  // our own broadcast, delivered locally
  leader_timeout_.stop();
  if (pnn == UNKNOWN_PNN) {
    // Someone started an election.
    bool was_running = election_in_progress_;
    election_in_progress_ = true;
    if (was_running) return;
    if (!d_.reclock_path().empty()) {
      lock_election();
    } else if (can_be_leader()) {
      // Without a lock, stand at once: the node that started it may not stand itself (a
      // leader handing over).
      candidate_ = UNKNOWN_PNN;
      election_timer_.start(d_.tunables()[kElectionTimeout]);
      send_election_request();
    }
    return;
  }
  lock_retries_ = 0;
  unheard_lock_holder_ = 0;
  lock_retry_timer_.stop();
  if (pnn != leader_) {
    CTDB_LOGF(kLogNotice, "Received leader broadcast, leader=%u", pnn);
    if (is_leader()) give_up_leadership("another node is leader");
    leader_ = pnn;
  }
  election_in_progress_ = false;
  restart_leader_timeout();
  if (!after_handover_.empty()) finish_handover();
}

void Recoverd::force_election(const char* why) {
  CTDB_LOGF(kLogNotice, "Start election: %s", why);
  election_in_progress_ = true;
  leader_ = UNKNOWN_PNN;
  candidate_ = UNKNOWN_PNN;
  // As 4.17: every active node this one reaches (itself included) enters recovery mode until a
  // leader has recovered them. On the side of a partition that cannot take the recovery lock,
  // that is what keeps it from committing persistent transactions (and migrating records) that
  // the side holding the lock would never see.
  for (const NodeInfo& n : d_.nodes()) {
    if (n.flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DELETED)) continue;
    d_.send_control(n.pnn, CONTROL_SET_RECMODE, 0, u32_bytes(RECOVERY_ACTIVE), 0, nullptr,
                    CTRL_FLAG_NOREPLY);
  }
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_CONNECTED)) {
    if (pnn != d_.pnn()) d_.send_message(pnn, SRVID_LEADER, u32_bytes(UNKNOWN_PNN));
  }
  if (!d_.reclock_path().empty()) {
    lock_election();
    return;
  }
  election_timer_.start(d_.stats().num_recoveries == 0 ? kFastElectionTimeout
                                                       : d_.tunables()[kElectionTimeout]);
  send_election_request();
}

void Recoverd::send_election_request() {
  if (!can_be_leader()) return;
  candidate_ = d_.pnn();  // assume we win until told otherwise
  proto::ElectionMessage em = election_data();
  for (uint32_t pnn : d_.broadcast_targets(BROADCAST_ALL)) {
    if (pnn != d_.pnn()) d_.send_message(pnn, SRVID_ELECTION, proto::to_bytes(em));
  }
}

void Recoverd::on_election_message(const proto::Bytes& data) {
  proto::ElectionMessage em;
  if (!proto::from_bytes(data, &em) || em.pnn == d_.pnn()) return;
  election_in_progress_ = true;
  election_timer_.start(d_.tunables()[kElectionTimeout]);
  ElectionSelf self = election_self();
  if (election_win(self, election_data(), em)) {
    if (!election_send_timer_.pending()) election_send_timer_.start(0.5);
    return;
  }
  election_send_timer_.stop();
  if (reclock_ && reclock_->held()) reclock_->release();
  candidate_ = em.pnn;
  if (is_leader()) leader_ = UNKNOWN_PNN;  // losing this election: no longer leading
}

void Recoverd::election_timeout() {
  election_in_progress_ = false;
  if (candidate_ == d_.pnn()) {
    become_leader();
  } else if (candidate_ != UNKNOWN_PNN) {
    leader_ = candidate_;
    restart_leader_timeout();
  }
}

// With a recovery lock the election is simply: whoever holds the lock leads.
void Recoverd::lock_election() {
  if (!can_be_leader()) {
    if (reclock_) reclock_->release();
    election_in_progress_ = false;
    restart_leader_timeout();
    return;
  }
  if (reclock_ && reclock_->held()) {
    election_in_progress_ = false;
    // Another node's election while this one leads (it started before our broadcast reached
    // it): tell it again who leads. Not a new leadership, so no recovery of its own; a node
    // that election left in recovery mode is found by the next cluster check.
    if (is_leader()) {
      broadcast_leader();
      return;
    }
    become_leader();
    return;
  }
  if (reclock_ && reclock_->pending()) return;
  reclock_ = std::make_unique<RecoveryLock>(d_.loop());
  RecoveryLock::Options opts;
  opts.timeout = 10;
  opts.recheck_interval = d_.reclock_recheck_interval();
  bool started = reclock_->take(d_.reclock_path(), opts, [this](RecoveryLock::Status st) {
    switch (st) {
      case RecoveryLock::Status::kHeld:
        CTDB_LOGF(kLogNotice, "Took recovery lock %s", d_.reclock_path().c_str());
        election_in_progress_ = false;
        become_leader();
        break;
      case RecoveryLock::Status::kContended:
        // Another node leads; its broadcast will tell us who. Or the leader that just died
        // still holds the lock for a moment (its lock child has not yet seen it go): asking
        // again shortly, until a leader speaks, keeps that from costing a leader timeout.
        election_in_progress_ = false;
        if (leader_ == d_.pnn()) leader_ = UNKNOWN_PNN;
        restart_leader_timeout();
        if (leader_ == UNKNOWN_PNN && lock_retries_++ < lock_retries()) {
          lock_retry_timer_.start(kLockRetryInterval);
        }
        // Held for a whole leader timeout and more, yet no node says it leads: whoever holds
        // it is not a leader of this cluster. Said once, then about once a minute.
        if (leader_ == UNKNOWN_PNN && lock_retries_ > lock_retries() &&
            unheard_lock_holder_++ % kUnheardLockReport == 0) {
          CTDB_LOGF(kLogError,
                    "Recovery lock %s is held, but no node leads: is a process outside this "
                    "cluster holding it?",
                    d_.reclock_path().c_str());
        }
        break;
      case RecoveryLock::Status::kError:
        CTDB_LOGF(kLogError, "Unable to take recovery lock %s: %s", d_.reclock_path().c_str(),
                  reclock_ ? reclock_->error().c_str() : "");
        election_in_progress_ = false;
        restart_leader_timeout();
        break;
      case RecoveryLock::Status::kLost:
        // The lock file was removed or replaced (or its holder died): step down, and have
        // every node try the lock now rather than after a leader timeout (4.17 elects too).
        give_up_leadership("recovery lock lost");
        if (can_be_leader()) force_election("the recovery lock was lost");
        break;
    }
  });
  if (!started) {
    election_in_progress_ = false;
    restart_leader_timeout();
  }
}

void Recoverd::become_leader() {
  // What the last recovery covered is known only to the leader that ran it.
  if (leader_ != d_.pnn()) last_recovered_nodes_.clear();
  leader_ = d_.pnn();
  candidate_ = UNKNOWN_PNN;
  leader_timeout_.stop();
  CTDB_LOGF(kLogNotice, "This node (%u) is now the leader", d_.pnn());
  need_recovery_ = true;
  broadcast_leader();
  main_timer_.start(0);
}

void Recoverd::give_up_leadership(const char* why) {
  CTDB_LOGF(kLogWarning, "Giving up leadership: %s", why);
  last_recovered_nodes_.clear();
  if (reclock_) reclock_->release();
  if (leader_ == d_.pnn()) leader_ = UNKNOWN_PNN;
  if (running_) running_->fail("leadership lost");
  restart_leader_timeout();
}

void Recoverd::main_loop() {
  main_timer_.start(std::max<uint32_t>(d_.tunables()[kRecoverInterval], 1));
  if (election_in_progress_ || running_ || checking_ || takeover_) return;
  if (leader_ == UNKNOWN_PNN) {
    if (!leader_timeout_.pending()) force_election("no leader");
    return;
  }
  // A stopped or banned node neither checks its addresses nor leads (as 4.17).
  if (d_.own_flags() & NODE_FLAGS_INACTIVE) {
    reset_priority_time();
    if (is_leader()) give_up_leadership("this node is stopped or banned");
    return;
  }
  if (d_.recmode() == RECOVERY_NORMAL) verify_local_ips();
  if (!is_leader()) return;
  if (!d_.reclock_path().empty() && !(reclock_ && reclock_->held())) {
    give_up_leadership("recovery lock not held");
    return;
  }
  // A needed recovery goes first; it does not wait for every node to answer a flag check.
  if (need_recovery_) {
    check_cluster();
    return;
  }
  check_flags();
}

// As 4.17's update_flags: every connected node is the authority on its own flags. The leader
// reads each node's nodemap and, wherever a node's view of another differs from that node's
// own, sets it right; then the cluster check goes on.
void Recoverd::check_flags() {
  std::vector<uint32_t> connected;
  for (const NodeInfo& n : d_.nodes()) {
    if (!(n.flags & (NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED))) connected.push_back(n.pnn);
  }
  checking_ = true;
  auto maps = std::make_shared<std::map<uint32_t, proto::NodeMap>>();
  fan_out(
      d_, connected, CONTROL_GET_NODEMAP, {}, 5.0,
      [maps](uint32_t pnn, int32_t status, const proto::Bytes& data) {
        proto::NodeMap m;
        if (status != 0 || !proto::from_bytes(data, &m)) return false;
        (*maps)[pnn] = std::move(m);
        return true;
      },
      guarded([this, maps](bool ok, const std::string& err, uint32_t) {
        checking_ = false;
        if (!is_leader()) return;
        // A node that did not answer (stopped by a signal, say) is left out; the rest agree.
        if (!ok) CTDB_LOGF(kLogInfo, "flag check incomplete: %s", err.c_str());
        sync_flags(*maps);
        check_cluster();
      }));
}

void Recoverd::sync_flags(const std::map<uint32_t, proto::NodeMap>& maps) {
  auto view = [](const proto::NodeMap& m, uint32_t pnn, uint32_t* flags) {
    for (const auto& n : m.nodes) {
      if (n.pnn == pnn) {
        *flags = n.flags & ~NODE_FLAGS_DISCONNECTED;
        return true;
      }
    }
    return false;
  };
  for (const auto& [owner, own_map] : maps) {
    uint32_t truth;
    if (!view(own_map, owner, &truth)) continue;
    for (const auto& [viewer, map] : maps) {
      uint32_t seen;
      if (viewer == owner || !view(map, owner, &seen) || seen == truth) continue;
      if (viewer == d_.pnn()) {
        d_.learn_node_flags(owner, truth);
        continue;
      }
      proto::NodeFlagChange fc{owner, truth, seen};
      d_.send_control(viewer, CONTROL_MODIFY_FLAGS, 0, proto::to_bytes(fc), 0, nullptr,
                      CTRL_FLAG_NOREPLY);
    }
  }
}

// The leader's periodic check: every active node must have our vnnmap and
// generation and be out of recovery; otherwise recover.
void Recoverd::check_cluster() {
  std::vector<uint32_t> active;
  for (const NodeInfo& n : d_.nodes()) {
    if (!(n.flags & NODE_FLAGS_INACTIVE)) active.push_back(n.pnn);
  }
  if (need_recovery_) {
    start_recovery();
    return;
  }
  // Recoveries are off (just after one, or during reloadnodes): checks could only ask for one.
  if (recoveries_disabled()) {
    takeover_checks();
    return;
  }
  checking_ = true;
  // Who should be lmaster now: active nodes with the capability.
  auto caps = std::make_shared<std::map<uint32_t, uint32_t>>();
  fan_out(
      d_, active, CONTROL_GET_CAPABILITIES, {}, 5.0,
      [caps](uint32_t pnn, int32_t status, const proto::Bytes& data) {
        uint32_t c;
        if (status != 0 || !payload_u32(data, &c)) return false;
        (*caps)[pnn] = c;
        return true;
      },
      guarded([this, caps, active](bool ok, const std::string& err, uint32_t) {
        checking_ = false;
        if (!is_leader()) return;
        if (!ok) {
          CTDB_LOGF(kLogInfo, "cluster check incomplete: %s", err.c_str());
          return;
        }
        std::vector<VnnMapCandidate> candidates;
        for (uint32_t pnn : active)
          candidates.push_back({pnn, d_.nodes()[pnn].flags, (*caps)[pnn]});
        std::vector<uint32_t> want = build_vnnmap(candidates, d_.pnn(), 0).map;
        std::vector<uint32_t> have = d_.vnnmap().map;
        std::sort(want.begin(), want.end());
        std::sort(have.begin(), have.end());
        if (want != have) {
          request_recovery("the lmaster set changed");
          start_recovery();
          return;
        }
        check_vnnmaps(active);
      }));
}

// Every active node must have our vnnmap and generation.
void Recoverd::check_vnnmaps(const std::vector<uint32_t>& active) {
  checking_ = true;
  auto mismatch = std::make_shared<std::string>();
  proto::VnnMap ours = d_.vnnmap();
  if (ours.generation == INVALID_GENERATION) *mismatch = "no generation yet";
  fan_out(
      d_, active, CONTROL_GETVNNMAP, {}, 5.0,
      [mismatch, ours](uint32_t pnn, int32_t status, const proto::Bytes& data) {
        proto::VnnMap theirs;
        if (status != 0 || !proto::from_bytes(data, &theirs)) return false;
        if (mismatch->empty() && (theirs.generation != ours.generation || theirs.map != ours.map)) {
          *mismatch = "node " + std::to_string(pnn) + " has a different vnnmap";
        }
        return true;
      },
      guarded([this, mismatch](bool ok, const std::string& err, uint32_t) {
        checking_ = false;
        if (!is_leader()) return;
        if (!ok) {
          CTDB_LOGF(kLogInfo, "cluster check incomplete: %s", err.c_str());
          return;
        }
        if (!mismatch->empty()) {
          request_recovery(mismatch->c_str());
          start_recovery();
          return;
        }
        check_recmodes();
      }));
}

// A node left in recovery mode (`ctdb recover` sets it) needs a recovery.
void Recoverd::check_recmodes() {
  std::vector<uint32_t> active;
  for (const NodeInfo& n : d_.nodes()) {
    if (!(n.flags & NODE_FLAGS_INACTIVE)) active.push_back(n.pnn);
  }
  checking_ = true;
  auto in_recovery = std::make_shared<bool>(false);
  fan_out(
      d_, active, CONTROL_GET_RECMODE, {}, 5.0,
      [in_recovery](uint32_t, int32_t status, const proto::Bytes&) {
        if (status < 0) return false;
        if (status == RECOVERY_ACTIVE) *in_recovery = true;
        return true;
      },
      guarded([this, in_recovery](bool ok, const std::string&, uint32_t) {
        checking_ = false;
        if (!is_leader() || !ok) return;
        if (*in_recovery) request_recovery("a node is in recovery mode");
        if (need_recovery_) {
          start_recovery();
          return;
        }
        takeover_checks();
      }));
}

void Recoverd::start_recovery() {
  if (running_ || !is_leader()) return;
  // As 4.17's do_recovery: the need stays recorded and the recovery runs once recoveries are
  // enabled again (the disable timer kicks the main loop).
  if (recoveries_disabled()) {
    if (!told_disabled_) CTDB_LOGF(kLogNotice, "Unable to begin - recoveries are disabled");
    told_disabled_ = true;
    need_recovery_ = true;
    takeover_checks();
    return;
  }
  // 4.17 retries a failed recovery from its main loop, whose iterations start at least
  // RecoverInterval apart; attempts here are spaced the same way.
  double interval = std::max<uint32_t>(d_.tunables()[kRecoverInterval], 1);
  double wait = last_recovery_start_ + interval - monotonic_now();
  if (wait > 0) {
    need_recovery_ = true;
    main_timer_.start(wait);
    return;
  }
  std::vector<uint32_t> active;
  for (const NodeInfo& n : d_.nodes()) {
    if (!(n.flags & NODE_FLAGS_INACTIVE)) active.push_back(n.pnn);
  }
  need_recovery_ = false;
  last_recovery_start_ = monotonic_now();
  running_ = std::make_shared<Run>(*this, active);
  running_->start();
}

void Recoverd::recovery_done(bool ok, const std::string& why, uint32_t culprit) {
  // Keep the run alive until its last callback has returned.
  std::shared_ptr<Run> done = std::move(running_);
  d_.run_after(0, [done] {});
  if (ok) {
    if (!ban_credits_.empty()) CTDB_LOGF(kLogNotice, "Resetting ban count to 0 for all nodes");
    ban_credits_.clear();
    d_.stats().num_recoveries++;
    // The node set may have changed: the public addresses follow (4.17 runs it right here).
    do_takeover_run();
    uint32_t rerecovery = d_.tunables()[kRerecoveryTimeout];
    CTDB_LOGF(kLogNotice,
              "Just finished a recovery. New recoveries will now be suppressed for the "
              "rerecovery timeout (%u seconds)",
              rerecovery);
    disable_recoveries(rerecovery, "");
    return;
  }
  // No pause after a failure: the next main loop iteration tries again.
  CTDB_LOGF(kLogError, "Recovery failed: %s", why.c_str());
  need_recovery_ = true;
  if (culprit != UNKNOWN_PNN) add_ban_credit(culprit);
}

int Recoverd::disable_recoveries(uint32_t seconds, const char* why) {
  if (seconds == 0) {
    if (recovery_disable_timer_.pending()) CTDB_LOGF(kLogNotice, "Reenabling recoveries%s", why);
    recovery_disable_timer_.stop();
    told_disabled_ = false;
    if (need_recovery_ && is_leader()) main_timer_.start(0);
    return 0;
  }
  if (running_) {
    CTDB_LOGF(kLogError, "Unable to disable recoveries - in progress");
    return -EAGAIN;
  }
  CTDB_LOGF(kLogNotice, "Disabling recoveries for %u seconds", seconds);
  told_disabled_ = false;
  recovery_disable_timer_.start(seconds);
  return 0;
}

// SRVID_DISABLE_RECOVERIES (`ctdb reloadnodes`): every node's recovery logic answers the sender
// with its pnn, or a negative errno when it cannot.
void Recoverd::on_disable_recoveries(const proto::Bytes& data) {
  proto::DisableMessage m;
  if (data.size() != 24 || !proto::from_bytes(data, &m)) {
    CTDB_LOGF(kLogError, "Wrong size for disable recoveries message: %zu", data.size());
    return;
  }
  int32_t ret = disable_recoveries(m.timeout, "");
  if (ret == 0) ret = static_cast<int32_t>(d_.pnn());
  if (m.srvid == 0) return;  // no reply wanted
  proto::Bytes reply;
  proto::Writer(&reply).i32(ret);
  d_.send_message(m.pnn, m.srvid, reply);
}

}  // namespace ctdb::daemon::cluster

namespace ctdb::daemon::cluster {

// A node that keeps making recoveries fail is banned for RecoveryBanPeriod,
// as 4.17 does after twice as many failures as there are nodes.
void Recoverd::add_ban_credit(uint32_t pnn) {
  if (pnn >= d_.nodes().size()) return;
  // A banned or stopped leader blames nobody.
  if (d_.nodes()[d_.pnn()].flags & NODE_FLAGS_INACTIVE) return;
  BanCredits& c = ban_credits_[pnn];
  double now = monotonic_now();
  // Old transgressions are forgiven after RecoveryGracePeriod.
  if (c.count > 0 && now - c.last > d_.tunables()[kRecoveryGracePeriod]) c.count = 0;
  c.count++;
  c.last = now;
  size_t limit = 2 * d_.nodes().size();
  if (c.count < limit || d_.tunables()[kEnableBans] == 0) return;
  uint32_t credits = c.count;
  ban_credits_.erase(pnn);
  proto::BanState ban;
  ban.pnn = pnn;
  ban.time = d_.tunables()[kRecoveryBanPeriod];
  CTDB_LOGF(kLogNotice, "Node %u reached %u banning credits", pnn, credits);
  CTDB_LOGF(kLogNotice, "Banning node %u for %u seconds", pnn, ban.time);
  d_.send_control(pnn, CONTROL_SET_BAN_STATE, 0, proto::to_bytes(ban), 5.0, nullptr);
}

}  // namespace ctdb::daemon::cluster
