// The composition root of ctdbd (see daemon.h).
#include "daemon/daemon.h"

#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common/logging.h"
#include "common/nodes_file.h"
#include "common/socket_addr.h"
#include "daemon/db/traverse.h"
#include "daemon/db/vacuum.h"
#include "daemon/takeover/public_ips.h"
#include "daemon/takeover/system_net.h"
#include "daemon/transport/liveness.h"
#include "protocol/names.h"

namespace ctdb::daemon {
namespace {

// Largest packet a client may send: generous for TRANS3_COMMIT batches while
// bounding what one misbehaving client can make us buffer.
constexpr size_t kMaxClientPacket = 64 * 1024 * 1024;

// Keepalives carry the Samba version (major << 16 | minor) so that 4.17 nodes
// accept us as one of their own.

timeval now() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return tv;
}

// mkdir -p with a clear message on failure.
bool make_dirs(const std::string& path, std::string* error) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      *error = "cannot create directory " + partial + ": " + strerror(errno);
      return false;
    }
  }
  if (access(path.c_str(), W_OK | X_OK) != 0) {
    *error = "directory " + path + " is not writable: " + strerror(errno);
    return false;
  }
  return true;
}

// What the public addresses need from the rest of the daemon.
class TakeoverHost : public takeover::PublicIpsHost {
 public:
  TakeoverHost(ClusterHost& cluster, const cluster::NodeState& state, monitor::Monitor& monitor,
               std::function<void(uint32_t seconds)> ban)
      : cluster_(cluster), state_(state), monitor_(monitor), ban_(std::move(ban)) {}
  uint32_t pnn() const override { return state_.pnn(); }
  Runstate runstate() const override { return state_.runstate(); }
  uint32_t own_flags() const override { return state_.own_flags(); }
  uint32_t recmode() const override { return state_.recmode(); }
  void run_ip_event(uint32_t event, std::vector<std::string> args,
                    std::function<void(int)> done) override {
    std::string error;
    bool started = monitor_.run_event(
        event, std::move(args),
        [done](monitor::EventResult r) {
          done(r == monitor::EventResult::kOk         ? 0
               : r == monitor::EventResult::kTimedOut ? -ETIMEDOUT
                                                      : -1);
        },
        &error);
    if (!started) {
      CTDB_LOGF(kLogError, "Cannot run event %s: %s", proto::event_name(event), error.c_str());
      done(-1);
    }
  }
  void message_local_clients(uint64_t srvid, const proto::Bytes& data) override {
    cluster_.deliver_message(srvid, data);
  }
  void send_control_noreply(uint32_t dest, uint32_t opcode, const proto::Bytes& data) override {
    for (uint32_t pnn : targets(dest)) {
      cluster_.send_control(pnn, opcode, 0, data, 0, nullptr, CTRL_FLAG_NOREPLY);
    }
  }
  void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) override {
    for (uint32_t pnn : targets(dest)) cluster_.send_message(pnn, srvid, data);
  }
  void ban_self() override { ban_(cluster_.tunables()[kRecoveryBanPeriod]); }
  uint32_t tickle_update_interval() const override {
    return cluster_.tunables()[kTickleUpdateInterval];
  }

 private:
  std::vector<uint32_t> targets(uint32_t dest) const {
    if (dest == BROADCAST_ALL || dest == BROADCAST_CONNECTED || dest == BROADCAST_ACTIVE) {
      return state_.broadcast_targets(dest);
    }
    return {dest};
  }
  ClusterHost& cluster_;
  const cluster::NodeState& state_;
  monitor::Monitor& monitor_;
  std::function<void(uint32_t)> ban_;
};

}  // namespace

Daemon::Daemon(DaemonOptions opts) : opts_(std::move(opts)) {
  const timeval& t = state_.start_time();
  stats_.statistics_start_time = {t.tv_sec, t.tv_usec};
}

// Parts that call back into the daemon go first, while everything they use
// still exists.
Daemon::~Daemon() {
  monitor_.reset();
  recoverd_.reset();
  if (router_) router_->clear();
  oneshots_.clear();
  liveness_.reset();
  transport_.reset();
  calls_.reset();
}

bool Daemon::load_nodes(std::string* error) {
  auto entries = read_nodes_file(opts_.nlist, kDefaultCtdbPort, error);
  if (!entries) return false;
  std::optional<proto::SockAddr> listen;
  if (!opts_.listen.empty()) {
    listen = proto::SockAddr::parse(opts_.listen);
    if (!listen) {
      *error = "--listen: invalid address '" + opts_.listen + "'";
      return false;
    }
  }
  // This node is the --listen address, or else the first address of the
  // nodes file that this host can bind to (as 4.17 decides).
  auto is_me = [&listen](const proto::SockAddr& addr) {
    return listen ? listen->same_ip(addr) : can_bind_locally(addr);
  };
  if (!state_.load(*entries, is_me)) {
    *error = !opts_.listen.empty()
                 ? "--listen address " + opts_.listen + " is not in the nodes file " + opts_.nlist
                 : "no address in the nodes file " + opts_.nlist +
                       " is configured on this host (use --listen)";
    return false;
  }
  uint32_t flags = state_.own_flags();
  if (opts_.start_as_disabled) flags |= NODE_FLAGS_PERMANENTLY_DISABLED;
  if (opts_.start_as_stopped) flags |= NODE_FLAGS_STOPPED;
  state_.set_own_flags(flags);
  return true;
}

bool Daemon::prepare_directories(std::string* error) {
  for (const std::string* dir : {&opts_.dbdir, &opts_.dbdir_persistent, &opts_.dbdir_state}) {
    if (!make_dirs(*dir, error)) return false;
  }
  std::string sockdir = opts_.socket.substr(0, opts_.socket.rfind('/'));
  if (!sockdir.empty() && !make_dirs(sockdir, error)) return false;
  return true;
}

bool Daemon::init(std::string* error) {
  int level;
  if (!parse_debug_level(opts_.debug, &level)) {
    *error = "--debug: invalid debug level '" + opts_.debug + "'";
    return false;
  }
  logging::set_level(level);
  load_tunables();
  if (!load_nodes(error) || !prepare_directories(error)) return false;
  create_routers();
  monitor_ = std::make_unique<monitor::Monitor>(loop_, *this, monitor_settings());
  // A broken public addresses file stops the daemon with file:line.
  if (!load_public_ips(error)) return false;
  uint32_t caps = CAP_DEFAULT;
  if (opts_.no_lmaster) caps &= ~CAP_LMASTER;
  if (opts_.no_recmaster) caps &= ~CAP_RECMASTER;
  if (opts_.lvs) caps |= CAP_LVS;
  state_.set_capabilities(caps);
  if (opts_.reclock.empty()) {
    CTDB_LOGF(kLogWarning,
              "No recovery lock (--reclock) configured: nothing protects the databases against "
              "split brain if the network partitions");
  }
  create_database_areas();
  if (!clients_->listen(opts_.socket, error)) return false;
  listen_eventd();
  if (!opts_.metrics_listen.empty()) {
    metrics_ = std::make_unique<metrics::MetricsServer>(loop_, *this);
    if (!metrics_->listen(opts_.metrics_listen, error)) return false;
  }

  for (int sig : {SIGTERM, SIGINT}) {
    signals_.push_back(std::make_unique<SignalWatcher>(loop_, sig, [this, sig] {
      CTDB_LOGF(kLogNotice, "Received signal %d, shutting down", sig);
      request_shutdown(0);
    }));
  }
  signal(SIGPIPE, SIG_IGN);
  recoverd_ = std::make_unique<cluster::Recoverd>(*this);
  register_controls();  // the areas that answer controls exist now
  return true;
}

// 4.17's event daemon socket, beside the client socket (its run directory): the stock tool's
// `scriptstatus` and `event status|run` reach the monitor through it. Without it those
// commands fail, but the node works, so a failure here is only logged.
void Daemon::listen_eventd() {
  size_t slash = opts_.socket.rfind('/');
  std::string dir = slash == std::string::npos ? "." : opts_.socket.substr(0, slash);
  std::string error;
  eventd_ = std::make_unique<monitor::EventdServer>(loop_, *monitor_);
  if (!eventd_->listen(dir + "/eventd.socket", &error)) {
    CTDB_LOGF(kLogWarning, "No event daemon socket: %s", error.c_str());
    eventd_.reset();
  }
}

// ctdb.tunables in CTDB_BASE (else /etc/ctdb), as 4.17 reads it at start-up:
// a bad line is logged and the daemon starts with the other values.
void Daemon::load_tunables() {
  const char* base = getenv("CTDB_BASE");
  std::string path =
      std::string(base != nullptr && *base != 0 ? base : "/etc/ctdb") + "/ctdb.tunables";
  std::vector<std::string> errors;
  load_tunables_file(path, &tunables_, &errors);
  for (const std::string& e : errors) CTDB_LOGF(kLogError, "%s", e.c_str());
}

// The client socket (not listening yet) and the routers controls and
// messages take, which every other area sends through.
void Daemon::create_routers() {
  clients_ = std::make_unique<ClientServer>(loop_, *this, kMaxClientPacket);
  NodeSender to_node = [this](uint32_t pnn, const uint8_t* pkt, size_t len) {
    return send_to_node(pnn, pkt, len);
  };
  router_ = std::make_unique<ControlRouter>(loop_, state_, controls_, *clients_, stats_, to_node);
  messages_ = std::make_unique<MessageRouter>(state_, srvids_, *clients_, stats_, to_node);
  tunnels_ = std::make_unique<TunnelRouter>(state_, *clients_, stats_, to_node);
}

bool Daemon::load_public_ips(std::string* error) {
  net_ = takeover::make_system_net();
  takeover_host_ = std::make_unique<TakeoverHost>(*this, state_, *monitor_,
                                                  [this](uint32_t seconds) { ban(seconds); });
  takeover::PublicIps::Settings ips;
  // [failover] disabled: this node hosts no public address, as 4.17 leaves them all alone.
  ips.file = opts_.failover_disabled ? std::string() : opts_.public_addresses;
  if (opts_.failover_disabled) CTDB_LOGF(kLogNotice, "Failover is disabled: no public addresses");
  ips.default_iface = opts_.public_interface;
  ips.check_host = getenv("CTDB_TEST_MODE") == nullptr;
  if (!opts_.single_public_ip.empty()) {
    ips.single_ip_iface = opts_.public_interface;
    CTDB_LOGF(kLogNotice, "Single public address (LVS) %s on interface %s",
              opts_.single_public_ip.c_str(), opts_.public_interface.c_str());
  }
  public_ips_ = std::make_unique<takeover::PublicIps>(loop_, *takeover_host_, *net_, ips);
  return public_ips_->load(error);
}

// The databases and what works on them: calls, traverses, vacuuming and
// sequence numbers.
void Daemon::create_database_areas() {
  dbs_ = std::make_unique<DbRegistry>(opts_.dbdir, opts_.dbdir_persistent, opts_.dbdir_state,
                                      state_.pnn(), opts_.tdb_mutexes);
  calls_ = std::make_unique<CallEngine>(*this, *dbs_, loop_);
  traverses_ = std::make_unique<TraverseManager>(*this, *dbs_);
  vacuum_ = std::make_unique<VacuumManager>(*this, *dbs_, *calls_);
  SeqnumSync::Host seqnum_host;
  seqnum_host.interval_ms = [this] { return tunables_[kSeqnumInterval]; };
  seqnum_host.broadcast_update = [this](uint32_t db_id) {
    for (uint32_t pnn : broadcast_targets(BROADCAST_ACTIVE)) {
      if (pnn == state_.pnn()) continue;
      send_control(pnn, CONTROL_UPDATE_SEQNUM, 0, u32_bytes(db_id), 0, nullptr, CTRL_FLAG_NOREPLY);
    }
  };
  seqnums_ = std::make_unique<SeqnumSync>(loop_, *dbs_, std::move(seqnum_host));
}

// Each area's controls, on what that area works on.
void Daemon::register_controls() {
  register_node_controls(
      controls_, {state_, *clients_, stats_, controls_, opts_.nlist, opts_.reclock,
                  [this] { return leader(); }, [this] { reset_statistics(); },
                  [this] { request_shutdown(0); }, [this] { return memory_report("ctdbd"); }});
  // `ctdb rddumpmemory`: 4.17's recovery daemon answers with its own report
  // to the address in the message; ours is part of this process.
  set_message_handler(SRVID_MEM_DUMP, [this](const proto::Bytes& data) {
    proto::SrvidMessage to;
    if (!proto::from_bytes(data, &to)) return;
    proto::Bytes report;
    proto::Writer w(&report);
    proto::encode_cstring(w, memory_report("ctdb-recoverd"));
    send_message(to.pnn, to.srvid, report);
  });
  register_admin_controls(controls_,
                          {state_, tunables_, [this](uint32_t flags) { set_own_flags(flags); },
                           [this](uint32_t seconds) { ban(seconds); },
                           [this](uint32_t caps) { set_capabilities(caps); },
                           [this](std::string* error) { return reload_nodes(error); },
                           [this](std::function<void()> then) {
                             return recoverd_ && recoverd_->hand_over(std::move(then));
                           },
                           *router_});
  register_tunable_controls(controls_, tunables_);
  register_srvid_controls(
      controls_, srvids_, *tunnels_, *clients_, [this] { return leader(); },
      [this](uint32_t client, uint64_t srvid, const proto::Bytes& data) {
        messages_->deliver_to(client, srvid, data);
      });
  register_db_controls(controls_, *this, *dbs_, *traverses_, *seqnums_, *router_,
                       [this](const Responder& to) { commit_needs_recovery(to); });
  register_vacuum_controls(controls_, *vacuum_, *router_);
  register_recovery_controls(
      controls_, *this, *dbs_, *router_,
      [this](uint32_t mode, bool from_client) { client_set_recmode(mode, from_client); },
      [this](proto::VnnMap map) { state_.set_vnnmap(std::move(map)); });
  register_monitor_controls(controls_, *monitor_, *router_);
  register_takeover_controls(controls_, *public_ips_, *router_);
}

// What every script run by this node sees, and where its scripts are.
monitor::MonitorSettings Daemon::monitor_settings() const {
  monitor::MonitorSettings s;
  s.event_script_dir = opts_.event_script_dir;
  s.notification_script = opts_.notification_script;
  const char* base = getenv("CTDB_BASE");
  std::string ctdb_base = base != nullptr && *base != 0 ? base : "";
  const std::string legacy = "/events/legacy";  // 4.17's $CTDB_BASE/events/legacy
  const std::string& dir = opts_.event_script_dir;
  if (ctdb_base.empty() && dir.size() > legacy.size() &&
      dir.compare(dir.size() - legacy.size(), legacy.size(), legacy) == 0) {
    ctdb_base = dir.substr(0, dir.size() - legacy.size());
  } else if (ctdb_base.empty()) {
    size_t slash = opts_.event_script_dir.find_last_of('/');
    ctdb_base = slash == std::string::npos ? "."
                : slash == 0               ? "/"
                                           : opts_.event_script_dir.substr(0, slash);
  }
  s.env = {"CTDB_BASE=" + ctdb_base, "CTDB_SOCKET=" + opts_.socket,
           "CTDB_EVENT_SCRIPT_DIR=" + opts_.event_script_dir};
  // 4.17's hook for hung scripts: CTDB_DEBUG_HUNG_SCRIPT names it (empty
  // for none), else ctdb.conf's [event] debug script, else
  // debug-hung-script.sh in CTDB_BASE when it is executable.
  const char* debug = getenv("CTDB_DEBUG_HUNG_SCRIPT");
  if (debug != nullptr) {
    s.debug_script = debug;
  } else if (!opts_.event_debug_script.empty()) {
    s.debug_script = opts_.event_debug_script;
  } else if (access((ctdb_base + "/debug-hung-script.sh").c_str(), X_OK) == 0) {
    s.debug_script = ctdb_base + "/debug-hung-script.sh";
  }
  s.fast_start = getenv("CTDB_TEST_MODE") != nullptr;
  parse_debug_level(opts_.script_log_level, &s.script_log_level);  // checked with the options
  return s;
}

void Daemon::start(std::function<void(const std::string& error)> started) {
  bool missing = false;
  std::vector<monitor::ScriptFile> scripts;
  std::string error;
  if (!monitor::list_scripts(opts_.event_script_dir, &scripts, &missing, &error)) {
    CTDB_LOGF(kLogError, "%s", error.c_str());
  } else if (missing) {
    CTDB_LOGF(kLogWarning, "Event script directory %s does not exist: no event scripts run",
              opts_.event_script_dir.c_str());
  }
  monitor_->run_init([this, started](bool ok) {
    if (shutting_down_) {
      started("shut down while starting");
      return;
    }
    if (!ok) {
      started("the init event failed (see the log)");
      die(1);
      return;
    }
    std::string err;
    if (!start_transport(&err)) {
      started(err);
      die(1);
      return;
    }
    started("");
    monitor_->run_setup([this](bool setup_ok) {
      if (shutting_down_) return;
      if (!setup_ok) {
        CTDB_LOGF(kLogError, "Failed to run setup event: exiting");
        die(1);
        return;
      }
      recoverd_->start();
      public_ips_->start();
      monitor_->wait_for_first_recovery();
    });
  });
}

void Daemon::startup_complete() {
  for (uint32_t pnn : broadcast_targets(BROADCAST_CONNECTED)) {
    if (pnn != state_.pnn())
      send_control(pnn, CONTROL_STARTUP, 0, {}, 0, nullptr, CTRL_FLAG_NOREPLY);
  }
}

int Daemon::run() {
  loop_.run();
  // Replies queued in the last iteration (the SHUTDOWN reply) still go out.
  clients_->flush_all();
  CTDB_LOGF(kLogNotice, "ctdbd exiting");
  return exit_code_;
}

// Startup failed: exit at once, without the shutdown event (as 4.17's ctdb_die), since the
// services it would stop were never started.
void Daemon::die(int exit_code) {
  shutting_down_ = true;
  exit_code_ = exit_code;
  recoverd_.reset();
  if (eventd_) eventd_->shutdown();
  clients_->shutdown();
  loop_.stop();
}

void Daemon::request_shutdown(int exit_code) {
  if (shutting_down_) {
    CTDB_LOGF(kLogNotice, "Already shutting down");
    return;
  }
  shutting_down_ = true;
  exit_code_ = exit_code;
  CTDB_LOGF(kLogNotice, "Shutdown sequence commencing.");
  // No recoveries or elections while the shutdown event runs; the client
  // socket stays open for the scripts' own ctdb calls.
  recoverd_.reset();
  monitor_->shutdown([this] {
    CTDB_LOGF(kLogNotice, "Shutdown sequence complete, exiting.");
    if (eventd_) eventd_->shutdown();
    clients_->shutdown();
    loop_.stop();
  });
}

void Daemon::on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) {
  stats_.client_packets_recv++;
  proto::Header h;
  proto::decode_header(pkt, len, &h);
  switch (h.operation) {
    case REQ_CONTROL:
      stats_.client.req_control++;
      router_->client_control(client, pkt, len);
      break;
    case REQ_MESSAGE:
      stats_.client.req_message++;
      messages_->client_message(client, pkt, len);
      break;
    case REQ_CALL:
      stats_.client.req_call++;
      handle_call(client, pkt, len);
      break;
    case REQ_TUNNEL:
      stats_.client.req_tunnel++;
      tunnels_->client_tunnel(client, pkt, len);
      break;
    default:
      CTDB_LOGF(kLogError, "client pid %d sent unsupported operation %u; closing it",
                static_cast<int>(client.pid()), h.operation);
      clients_->close(client);
  }
}

void Daemon::on_client_gone(ClientConnection& client) {
  srvids_.remove_client(client.id());
  tunnels_->remove_client(client.id());
  if (dbs_) dbs_->client_gone(client.id());
  if (traverses_) traverses_->client_gone(client.id());
  if (public_ips_) public_ips_->client_gone(client.id());
}

void Daemon::on_client_drained(ClientConnection& client) {
  if (traverses_) traverses_->client_drained(client.id());
}

size_t Daemon::client_backlog(uint32_t client_id) const {
  ClientConnection* c = clients_ ? clients_->find(client_id) : nullptr;
  return c != nullptr ? c->queued() : 0;
}

void Daemon::close_client(uint32_t client_id) {
  ClientConnection* c = clients_ ? clients_->find(client_id) : nullptr;
  if (c != nullptr) clients_->close(*c);
}

std::vector<uint32_t> Daemon::broadcast_targets(uint32_t dest) const {
  return state_.broadcast_targets(dest);
}

bool Daemon::send_to_node(uint32_t pnn, const uint8_t* pkt, size_t len) {
  if (!transport_ || !transport_->send(pnn, pkt, len)) return false;
  stats_.node_packets_sent++;
  return true;
}

void Daemon::send_control(uint32_t dest, uint32_t opcode, uint64_t srvid, const proto::Bytes& data,
                          double timeout, ControlCallback cb, uint32_t flags) {
  router_->send_control(dest, opcode, srvid, data, timeout, std::move(cb), flags);
}

void Daemon::send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) {
  messages_->send(dest, srvid, data);
}

void Daemon::deliver_message(uint64_t srvid, const proto::Bytes& data) {
  messages_->deliver(srvid, data);
}

void Daemon::run_after(double seconds, std::function<void()> fn) {
  uint64_t id = next_oneshot_++;
  auto t = std::make_unique<Timer>(loop_, [this, id, fn = std::move(fn)] {
    auto keep = std::move(oneshots_[id]);  // destroyed after fn returns
    oneshots_.erase(id);
    fn();
  });
  t->start(seconds);
  oneshots_[id] = std::move(t);
}

void Daemon::set_message_handler(uint64_t srvid, MessageHandler handler) {
  messages_->set_handler(srvid, std::move(handler));
}

void Daemon::clear_message_handler(uint64_t srvid) { messages_->clear_handler(srvid); }

bool Daemon::start_transport(std::string* error) {
  std::vector<NodeTransport::Peer> peers;
  proto::SockAddr self;
  auto entries = read_nodes_file(opts_.nlist, kDefaultCtdbPort, error);
  if (!entries) return false;
  for (const auto& e : *entries) {
    if (e.deleted) continue;
    if (e.pnn == state_.pnn()) {
      self = e.addr;
    } else {
      peers.push_back({e.pnn, e.addr});
    }
  }
  transport_ =
      std::make_unique<NodeTransport>(loop_, *this, self, std::move(peers), kMaxClientPacket);
  if (!transport_->start(error)) return false;
  Liveness::Host host;
  host.connected_peers = [this] {
    std::vector<uint32_t> peers = broadcast_targets(BROADCAST_CONNECTED);
    peers.erase(std::remove(peers.begin(), peers.end(), state_.pnn()), peers.end());
    return peers;
  };
  host.send_keepalive = [this](uint32_t pnn) { send_keepalive(pnn); };
  host.cut = [this](uint32_t pnn) { transport_->reset(pnn); };
  host.interval = [this] { return static_cast<double>(tunables_[kKeepaliveInterval]); };
  host.limit = [this] { return tunables_[kKeepaliveLimit]; };
  liveness_ = std::make_unique<Liveness>(loop_, std::move(host));
  liveness_->start(opts_.torture);
  return true;
}

void Daemon::send_keepalive(uint32_t pnn) {
  proto::Header h = state_.header_to(pnn);
  proto::ReqKeepalive k;
  k.version = keepalive_version();
  k.uptime = uptime_seconds();
  if (transport_->send(pnn, proto::encode(h, k))) stats_.keepalive_packets_sent++;
}

uint32_t Daemon::uptime_seconds() const {
  return static_cast<uint32_t>(now().tv_sec - state_.start_time().tv_sec);
}

// A peer of another Samba version makes the younger of the two leave the
// cluster (unless AllowMixedVersions), as 4.17 does: its shutdown event runs
// and it exits with status 0.
void Daemon::check_keepalive(uint32_t pnn, const uint8_t* pkt, size_t len) {
  if (tunables_[kAllowMixedVersions] == 1 || shutting_down_) return;
  proto::Header h;
  proto::ReqKeepalive k;
  // Only a bare header is an older CTDB's keepalive; anything else that does
  // not decode is ignored.
  bool has_version = len != kHeaderSize;
  if (has_version && !proto::decode(pkt, len, &h, &k)) return;
  std::string why = keepalive_version_conflict(has_version, k.version, k.uptime,
                                               keepalive_version(), uptime_seconds(), pnn);
  if (why.empty()) return;
  CTDB_LOGF(kLogError, "%s", why.c_str());
  CTDB_LOGF(kLogError, "CTDB Cluster with mixed versions, cannot continue");
  request_shutdown(0);
}

void Daemon::on_node_connected(uint32_t pnn) {
  if (!state_.known(pnn)) return;
  CTDB_LOGF(kLogNotice, "Node %u is now connected", pnn);
  state_.mark_connected(pnn);
  if (liveness_) liveness_->connected(pnn);
  if (recoverd_) recoverd_->node_changed(pnn);
  // A link back to a node of the vnnmap that the leader never lost (only this link was down):
  // calls and migrations routed over it meanwhile were dropped, and only a recovery sends them
  // again, so clients waiting on them would wait until some other recovery (4.17 does). The
  // leader starts one itself for a link of its own.
  const proto::VnnMap& map = state_.vnnmap();
  bool member = std::find(map.map.begin(), map.map.end(), pnn) != map.map.end();
  if (member && recoverd_ && !recoverd_->is_leader() && state_.runstate() == RUNSTATE_RUNNING &&
      state_.recmode() == RECOVERY_NORMAL) {
    std::string why = "Link to node " + std::to_string(pnn) + " is back";
    calls_need_recovery(why.c_str());
  }
}

void Daemon::on_node_dead(uint32_t pnn) {
  if (!state_.known(pnn)) return;
  if (state_.mark_disconnected(pnn)) CTDB_LOGF(kLogNotice, "Node %u is now disconnected", pnn);
  router_->node_lost(pnn, "node is disconnected");
  if (recoverd_) recoverd_->node_changed(pnn);
}

void Daemon::on_node_packet(uint32_t pnn, const uint8_t* pkt, size_t len) {
  stats_.node_packets_recv++;
  if (liveness_) liveness_->heard_from(pnn);
  proto::Header h;
  proto::decode_header(pkt, len, &h);
  switch (h.operation) {
    case REQ_KEEPALIVE:
      stats_.keepalive_packets_recv++;
      check_keepalive(pnn, pkt, len);
      break;
    case REQ_CONTROL:
      stats_.node.req_control++;
      router_->node_control(pnn, pkt, len);
      break;
    case REPLY_CONTROL:
      stats_.node.reply_control++;
      router_->node_reply(pkt, len);
      break;
    case REQ_CALL:
    case REPLY_CALL:
    case REPLY_ERROR:
    case REQ_DMASTER:
    case REPLY_DMASTER:
      count_call_packet(h.operation);
      // A banned node takes no part in record traffic.
      if (!(state_.own_flags() & NODE_FLAGS_BANNED)) calls_->node_packet(pnn, pkt, len);
      break;
    case REQ_MESSAGE:
      stats_.node.req_message++;
      messages_->node_message(pkt, len);
      break;
    case REQ_TUNNEL:
      stats_.node.req_tunnel++;
      tunnels_->node_tunnel(pkt, len);
      break;
    default:
      CTDB_LOGF(kLogInfo, "ignoring %s from node %u", proto::operation_name(h.operation), pnn);
  }
}

void Daemon::count_call_packet(uint32_t operation) {
  switch (operation) {
    case REQ_CALL:
      stats_.node.req_call++;
      break;
    case REPLY_CALL:
      stats_.node.reply_call++;
      break;
    case REPLY_ERROR:
      stats_.node.reply_error++;
      break;
    case REQ_DMASTER:
      stats_.node.req_dmaster++;
      break;
    default:
      stats_.node.reply_dmaster++;
      break;
  }
}

void Daemon::handle_call(ClientConnection& client, const uint8_t* pkt, size_t len) {
  if (!calls_->client_call(client.id(), pkt, len)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed call; closing it",
              static_cast<int>(client.pid()));
    clients_->close(client);
  }
}

void Daemon::send_call_packet(uint32_t pnn, const proto::Bytes& pkt) {
  if (state_.connected(pnn)) send_to_node(pnn, pkt.data(), pkt.size());
}

void Daemon::send_client_packet(uint32_t client_id, const proto::Bytes& pkt) {
  if (ClientConnection* c = clients_->find(client_id)) {
    c->send(pkt);
    stats_.client_packets_sent++;
  }
}

void Daemon::send_update_record(uint32_t pnn, const proto::Bytes& recbuf,
                                std::function<void(bool ok)> done) {
  send_control(pnn, CONTROL_UPDATE_RECORD, 0, recbuf, tunables_[kControlTimeout],
               [done = std::move(done)](uint32_t, int32_t status, const proto::Bytes&,
                                        const std::string&) { done(status == 0); });
}

void Daemon::calls_need_recovery(const char* why) {
  CTDB_LOGF(kLogError, "%s: forcing a recovery", why);
  set_recmode(RECOVERY_ACTIVE);
}

void Daemon::client_set_recmode(uint32_t mode, bool from_client) {
  set_recmode(mode);
  // `ctdb recover` on the leader: its main loop would find the mode at its next check (up to
  // RecoverInterval later, as in 4.17); it asks now instead. Only a local client's request:
  // nodes set the mode during recoveries and elections, which the leader drives itself.
  if (from_client && mode == RECOVERY_ACTIVE && recoverd_ && recoverd_->is_leader() &&
      !recoverd_->recovery_running()) {
    recoverd_->request_recovery("recovery mode set to ACTIVE");
  }
}

void Daemon::set_recmode(uint32_t mode) {
  if (!state_.set_recmode(mode)) return;
  if (mode == RECOVERY_ACTIVE) {
    drop_ips_timer_ = std::make_unique<Timer>(loop_, [this] {
      CTDB_LOGF(kLogError, "Been in recovery mode for too long. Dropping all IPs");
      public_ips_->release_all(nullptr);
    });
    drop_ips_timer_->start(tunables_[kRecoveryDropAllIPs]);
  } else {
    drop_ips_timer_.reset();
  }
  // Calls parked while the databases were frozen, and those in flight under
  // the old generation, go (again) now.
  if (mode == RECOVERY_NORMAL && calls_) calls_->recovered();
  if (mode == RECOVERY_NORMAL) {
    answer_commits_awaiting_recovery(2, "trans3 commit ended by recovery");
    // A recovery of big databases leaves hundreds of MB free in the heap (pulled and pushed
    // buffers); glibc keeps them unless asked to give them back.
    malloc_trim(0);
  }
  CTDB_LOGF(kLogNotice, "Recovery mode set to %s", mode == RECOVERY_ACTIVE ? "ACTIVE" : "NORMAL");
}

void Daemon::set_own_flags(uint32_t flags) {
  if (flags == state_.own_flags()) return;
  uint32_t old = state_.set_own_flags(flags);
  CTDB_LOGF(kLogNotice, "This node's flags changed from 0x%x to 0x%x", old, flags);
  proto::NodeFlagChange fc{state_.pnn(), flags, old};
  for (uint32_t pnn : broadcast_targets(BROADCAST_CONNECTED)) {
    if (pnn != state_.pnn()) {
      send_control(pnn, CONTROL_MODIFY_FLAGS, 0, proto::to_bytes(fc), 0, nullptr,
                   CTRL_FLAG_NOREPLY);
    }
  }
  if ((flags & NODE_FLAGS_INACTIVE) && !(old & NODE_FLAGS_INACTIVE)) become_inactive();
  if (recoverd_ && ((flags ^ old) & NODE_FLAGS_INACTIVE)) {
    recoverd_->node_changed(state_.pnn());
  }
  // A health change moves public addresses: ask the leader for a takeover run (4.17's monitor
  // does this; an admin's disable or stop asks through the tool instead).
  if ((flags ^ old) & NODE_FLAGS_UNHEALTHY) {
    CTDB_LOGF(kLogNotice, "Node became %s. Ask recovery master to reallocate IPs",
              (flags & NODE_FLAGS_UNHEALTHY) ? "UNHEALTHY" : "HEALTHY");
    proto::SrvidMessage request;
    request.pnn = state_.pnn();
    request.srvid = 0;
    for (uint32_t pnn : broadcast_targets(BROADCAST_CONNECTED)) {
      send_message(pnn, SRVID_TAKEOVER_RUN, proto::to_bytes(request));
    }
  }
}

// A stopped or banned node takes no part in the cluster: its databases are
// frozen until a recovery takes it back (as 4.17 does).
void Daemon::commit_needs_recovery(const Responder& to) {
  calls_need_recovery("A node failed to apply a persistent commit");
  commits_awaiting_recovery_.push_back(to);
}

// 4.17 answers status 2 once the recovery has ended; the client then checks
// the database's sequence number. A node that stops or is banned first fails
// them (4.17 leaves them to the client's timeout).
void Daemon::answer_commits_awaiting_recovery(int32_t status, const char* why) {
  std::vector<Responder> waiting;
  waiting.swap(commits_awaiting_recovery_);
  for (const Responder& to : waiting) {
    ControlReply r;
    r.status = status;
    r.errmsg = why;
    router_->respond(to, r);
  }
}

void Daemon::become_inactive() {
  answer_commits_awaiting_recovery(-1, "this node is stopped or banned");
  set_recmode(RECOVERY_ACTIVE);
  for (const auto& db : dbs_->all()) db->freeze_if_free();
  // A stopped or banned node serves no public address (4.17 drops them all here).
  CTDB_LOGF(kLogNotice, "Dropping all public IP addresses");
  public_ips_->release_all(nullptr);
}

void Daemon::ban(uint32_t seconds) {
  state_.set_ban_seconds(seconds);
  if (seconds == 0) {
    unban_timer_.reset();
    set_own_flags(state_.own_flags() & ~NODE_FLAGS_BANNED);
    return;
  }
  CTDB_LOGF(kLogNotice, "Banning this node for %u seconds", seconds);
  unban_timer_ = std::make_unique<Timer>(loop_, [this] {
    CTDB_LOGF(kLogNotice, "Ban period over, lifting the ban");
    ban(0);
  });
  unban_timer_->start(seconds);
  set_own_flags(state_.own_flags() | NODE_FLAGS_BANNED);
}

bool Daemon::reload_nodes(std::string* error) {
  auto entries = read_nodes_file(opts_.nlist, kDefaultCtdbPort, error);
  if (!entries) return false;
  std::vector<uint32_t> dropped;  // deleted while connected
  if (!state_.apply_nodes_file(*entries, &dropped, error)) return false;
  std::vector<NodeTransport::Peer> peers;
  for (const auto& e : *entries) {
    if (!e.deleted && e.pnn != state_.pnn()) peers.push_back({e.pnn, e.addr});
  }
  transport_->set_peers(std::move(peers));
  // The transport closed the links to deleted nodes without telling us; what waited on them
  // fails now, and the leader sees the node gone.
  for (uint32_t pnn : dropped) {
    router_->node_lost(pnn, "node is deleted");
    if (recoverd_) recoverd_->node_changed(pnn);
  }
  CTDB_LOGF(kLogNotice, "Reloaded nodes file: %zu nodes", state_.nodes().size());
  return true;
}

void Daemon::learn_node_flags(uint32_t pnn, uint32_t flags) {
  uint32_t old;
  if (!state_.learn_flags(pnn, flags, &old)) return;  // a broadcast told us already
  uint32_t next = state_.nodes()[pnn].flags;
  CTDB_LOGF(kLogNotice, "Node %u flags changed from 0x%x to 0x%x", pnn, old, next);
  if (((next ^ old) & NODE_FLAGS_INACTIVE) && recoverd_) recoverd_->node_changed(pnn);
}

void Daemon::set_capabilities(uint32_t caps) {
  state_.set_capabilities(caps);
  if (recoverd_) recoverd_->node_changed(state_.pnn());
}

void Daemon::reset_statistics() {
  stats_ = proto::Statistics{};
  controls_.reset_statistics();
  timeval t = now();
  stats_.statistics_start_time = {t.tv_sec, t.tv_usec};
}

}  // namespace ctdb::daemon
