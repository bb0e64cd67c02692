// The composition root of ctdbd (see daemon.h).
#include "daemon/daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <random>

#include "common/logging.h"
#include "common/nodes_file.h"
#include "common/public_addresses_file.h"
#include "common/socket_addr.h"

namespace ctdb::daemon {
namespace {

// Largest packet a client may send: generous for TRANS3_COMMIT batches while
// bounding what one misbehaving client can make us buffer.
constexpr size_t kMaxClientPacket = 64 * 1024 * 1024;

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

}  // namespace

Daemon::Daemon(DaemonOptions opts) : opts_(std::move(opts)) {
  register_node_controls(controls_);
  register_tunable_controls(controls_);
  register_srvid_controls(controls_);
  register_db_controls(controls_);
  start_time_ = now();
  stats_.statistics_start_time = {start_time_.tv_sec, start_time_.tv_usec};
}

Daemon::~Daemon() = default;

bool Daemon::load_nodes(std::string* error) {
  auto entries = read_nodes_file(opts_.nlist, kDefaultCtdbPort, error);
  if (!entries) return false;
  std::optional<SockAddr> listen;
  if (!opts_.listen.empty()) {
    listen = SockAddr::parse(opts_.listen);
    if (!listen) {
      *error = "--listen: invalid address '" + opts_.listen + "'";
      return false;
    }
  }
  nodes_.clear();
  for (const auto& entry : *entries) {
    NodeInfo n;
    n.pnn = entry.pnn;
    n.addr = *proto::SockAddr::from_sockaddr(entry.addr.sa(), entry.addr.sa_len());
    n.flags = entry.deleted ? NODE_FLAGS_DELETED : NODE_FLAGS_DISCONNECTED;
    nodes_.push_back(n);
    if (entry.deleted || pnn_ != UNKNOWN_PNN) continue;
    // This node is the --listen address, or else the first address of the
    // nodes file that this host can bind to (as 4.17 decides).
    if (listen ? listen->same_ip(entry.addr) : entry.addr.can_bind_locally()) pnn_ = entry.pnn;
  }
  if (pnn_ == UNKNOWN_PNN) {
    *error = !opts_.listen.empty()
                 ? "--listen address " + opts_.listen + " is not in the nodes file " + opts_.nlist
                 : "no address in the nodes file " + opts_.nlist +
                       " is configured on this host (use --listen)";
    return false;
  }
  nodes_[pnn_].flags &= ~NODE_FLAGS_DISCONNECTED;
  if (opts_.start_as_disabled) nodes_[pnn_].flags |= NODE_FLAGS_PERMANENTLY_DISABLED;
  if (opts_.start_as_stopped) nodes_[pnn_].flags |= NODE_FLAGS_STOPPED;
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
  if (!load_nodes(error) || !prepare_directories(error)) return false;
  // Public addresses are checked at startup so that a broken file stops the
  // daemon with file:line; hosting them comes with IP takeover.
  if (!opts_.public_addresses.empty() &&
      !read_public_addresses_file(opts_.public_addresses, opts_.public_interface, error)) {
    return false;
  }
  if (opts_.no_lmaster) capabilities_ &= ~CAP_LMASTER;
  if (opts_.no_recmaster) capabilities_ &= ~CAP_RECMASTER;
  if (opts_.lvs) capabilities_ |= CAP_LVS;
  if (opts_.reclock.empty()) {
    CTDB_LOGF(kLogWarning,
            "No recovery lock (--reclock) configured: nothing protects the databases against "
            "split brain if the network partitions");
  }

  dbs_ = std::make_unique<DbRegistry>(opts_.dbdir, opts_.dbdir_persistent, opts_.dbdir_state,
                                      pnn_);
  clients_ = std::make_unique<ClientServer>(loop_, *this, kMaxClientPacket);
  if (!clients_->listen(opts_.socket, error)) return false;

  for (int sig : {SIGTERM, SIGINT}) {
    signals_.push_back(std::make_unique<SignalWatcher>(loop_, sig, [this, sig] {
      CTDB_LOGF(kLogNotice, "Received signal %d, shutting down", sig);
      request_shutdown(0);
    }));
  }
  signal(SIGPIPE, SIG_IGN);
  become_single_node_leader();
  return true;
}

// Until the cluster transport exists this node is alone: it is its own
// recovery master and the only lmaster, with a fresh generation.
void Daemon::become_single_node_leader() {
  std::random_device rd;
  uint32_t generation;
  do {
    generation = rd();
  } while (generation == INVALID_GENERATION);
  vnnmap_.generation = generation;
  vnnmap_.map.clear();
  const NodeInfo& self = nodes_[pnn_];
  if ((capabilities_ & CAP_LMASTER) && !(self.flags & NODE_FLAGS_INACTIVE)) {
    vnnmap_.map.push_back(pnn_);
  }
  if (capabilities_ & CAP_RECMASTER) leader_ = pnn_;
  last_recovery_started_ = now();
  last_recovery_finished_ = now();
  stats_.num_recoveries++;
  runstate_ = RUNSTATE_RUNNING;
  CTDB_LOGF(kLogNotice, "Node %u is running, generation %u", pnn_, generation);
}

int Daemon::run() {
  loop_.run();
  // Replies queued in the last iteration (the SHUTDOWN reply) still go out.
  clients_->flush_all();
  CTDB_LOGF(kLogNotice, "ctdbd exiting");
  return exit_code_;
}

void Daemon::request_shutdown(int exit_code) {
  exit_code_ = exit_code;
  runstate_ = RUNSTATE_SHUTDOWN;
  clients_->shutdown();
  loop_.stop();
}

void Daemon::on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) {
  stats_.client_packets_recv++;
  proto::Header h;
  proto::decode_header(pkt, len, &h);
  switch (h.operation) {
    case REQ_CONTROL:
      stats_.client.req_control++;
      handle_control(client, pkt, len);
      break;
    case REQ_MESSAGE:
      stats_.client.req_message++;
      handle_message(client, pkt, len);
      break;
    case REQ_CALL:
      stats_.client.req_call++;
      handle_call(client, pkt, len);
      break;
    default:
      CTDB_LOGF(kLogError, "client pid %d sent unsupported operation %u; closing it",
              static_cast<int>(client.pid()), h.operation);
      clients_->close(client);
  }
}

void Daemon::on_client_gone(ClientConnection& client) {
  srvids_.remove_client(client.id());
}

void Daemon::handle_control(ClientConnection& client, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqControl c;
  if (!proto::decode(pkt, len, &h, &c)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed control; closing it",
            static_cast<int>(client.pid()));
    clients_->close(client);
    return;
  }
  uint32_t dest = h.destnode == CURRENT_NODE ? pnn_ : h.destnode;
  ControlReply reply;
  if (dest != pnn_) {
    // No node transport yet: only this node can be reached.
    reply = control_error("node " + std::to_string(dest) + " is not connected");
  } else if (ControlHandler handler = controls_.find(c.opcode)) {
    ControlRequest req{h, c, &client, pnn_};
    reply = handler(*this, req);
  } else {
    CTDB_LOGF(kLogError, "Unknown control opcode %u from client pid %d", c.opcode,
            static_cast<int>(client.pid()));
    reply = control_error();
  }
  if (reply.async) return;
  if (!(c.flags & CTRL_FLAG_NOREPLY)) send_control_reply(client, h, reply);
  if (reply.after_reply) reply.after_reply();
}

void Daemon::send_control_reply(ClientConnection& client, const proto::Header& req_hdr,
                                const ControlReply& reply) {
  proto::Header h;
  h.generation = vnnmap_.generation;
  h.srcnode = pnn_;
  h.destnode = req_hdr.srcnode;
  h.reqid = req_hdr.reqid;
  proto::ReplyControl r;
  r.status = reply.status;
  r.data = reply.data;
  r.errmsg = reply.errmsg;
  client.send(proto::encode(h, r, proto::Framing::kExact));
  stats_.client_packets_sent++;
}

void Daemon::handle_message(ClientConnection& client, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqMessage m;
  if (!proto::decode(pkt, len, &h, &m)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed message; closing it",
            static_cast<int>(client.pid()));
    clients_->close(client);
    return;
  }
  uint32_t dest = h.destnode == CURRENT_NODE ? pnn_ : h.destnode;
  if (dest == pnn_ || dest == BROADCAST_ALL || dest == BROADCAST_ACTIVE ||
      dest == BROADCAST_CONNECTED) {
    deliver_message(m.srvid, m.data);
  } else {
    CTDB_LOGF(kLogInfo, "dropping message for unreachable node %u", dest);
  }
}

proto::Bytes Daemon::message_packet(uint64_t srvid, const proto::Bytes& data) const {
  proto::Header h;
  h.generation = vnnmap_.generation;
  h.srcnode = pnn_;
  h.destnode = pnn_;
  proto::ReqMessage m;
  m.srvid = srvid;
  m.data = data;
  return proto::encode(h, m, proto::Framing::kExact);
}

void Daemon::deliver_message(uint64_t srvid, const proto::Bytes& data) {
  proto::Bytes pkt;  // built once, only if someone listens
  srvids_.for_each_listener(srvid, [&](uint32_t id) {
    if (ClientConnection* c = clients_->find(id)) {
      if (pkt.empty()) pkt = message_packet(srvid, data);
      c->send(pkt);
      stats_.client_packets_sent++;
    }
  });
}

void Daemon::deliver_message_to(uint32_t client_id, uint64_t srvid, const proto::Bytes& data) {
  if (ClientConnection* c = clients_->find(client_id)) {
    c->send(message_packet(srvid, data));
    stats_.client_packets_sent++;
  }
}

void Daemon::handle_call(ClientConnection& client, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqCall call;
  if (!proto::decode(pkt, len, &h, &call)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed call; closing it",
              static_cast<int>(client.pid()));
    clients_->close(client);
    return;
  }
  stats_.total_calls++;
  if (!try_call(client.id(), h, call)) {
    stats_.pending_calls++;
    busy_calls_.push_back({client.id(), h, std::move(call)});
    if (!busy_timer_) busy_timer_ = std::make_unique<Timer>(loop_, [this] { retry_busy_calls(); });
    if (!busy_timer_->pending()) busy_timer_->start(0.002);
  }
}

bool Daemon::try_call(uint32_t client_id, const proto::Header& h, const proto::ReqCall& call) {
  ClientConnection* client = clients_->find(client_id);
  if (client == nullptr) return true;  // gone: nothing to answer
  proto::Header rh;
  rh.generation = vnnmap_.generation;
  rh.srcnode = pnn_;
  rh.destnode = h.srcnode;
  rh.reqid = h.reqid;
  proto::ReplyCall reply;
  std::string err;
  switch (dbs_->local_call(call, pnn_, &reply, &err)) {
    case DbRegistry::CallResult::kBusy:
      return false;
    case DbRegistry::CallResult::kError: {
      CTDB_LOGF(kLogError, "call on db 0x%08x failed: %s", call.db_id, err.c_str());
      proto::ReplyError e;
      e.status = -1;
      e.msg.assign(err.begin(), err.end());
      client->send(proto::encode(rh, e, proto::Framing::kExact));
      break;
    }
    case DbRegistry::CallResult::kOk:
      client->send(proto::encode(rh, reply, proto::Framing::kExact));
      break;
  }
  stats_.client_packets_sent++;
  return true;
}

void Daemon::retry_busy_calls() {
  std::deque<PendingCall> still_busy;
  while (!busy_calls_.empty()) {
    PendingCall p = std::move(busy_calls_.front());
    busy_calls_.pop_front();
    if (try_call(p.client_id, p.hdr, p.call)) {
      if (stats_.pending_calls > 0) stats_.pending_calls--;
    } else {
      still_busy.push_back(std::move(p));
    }
  }
  busy_calls_ = std::move(still_busy);
  if (!busy_calls_.empty()) busy_timer_->start(0.002);
}

void Daemon::reset_statistics() {
  stats_ = proto::Statistics{};
  timeval t = now();
  stats_.statistics_start_time = {t.tv_sec, t.tv_usec};
}

int Daemon::debug_level() const { return logging::level(); }

void Daemon::set_debug_level(int level) { logging::set_level(level); }

}  // namespace ctdb::daemon
