// TCP links between nodes (see node_transport.h).
#include "daemon/transport/node_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/logging.h"
#include "common/socket_addr.h"
#include "ctdb/protocol.h"
#include "protocol/packet.h"

namespace ctdb::daemon {

namespace {
// First retry soon, then back off to 4.17's one-second connect cadence.
constexpr double kFirstRetry = 0.1;
constexpr double kMaxRetry = 1.0;

// The tail of a throttled log line: how many like it were not logged.
std::string more_since(uint64_t held_back) {
  if (held_back == 0) return "";
  return " (" + std::to_string(held_back) + " more since the last report)";
}

void set_socket_options(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
}
}  // namespace

struct NodeTransport::Link {
  // What each direction's stream reports. Nothing is expected on our outgoing
  // link: any byte there means the peer is misbehaving or closing.
  struct InSide final : PacketStream::Handler {
    Link* link = nullptr;
    bool on_packet(const uint8_t* pkt, size_t len) override {
      return link->owner->incoming_packet(*link, pkt, len);
    }
    void on_stream_error(const char* why, bool misbehaved) override {
      link->owner->drop(*link, misbehaved ? why : "incoming link closed");
    }
  };
  struct OutSide final : PacketStream::Handler {
    Link* link = nullptr;
    bool on_packet(const uint8_t*, size_t) override { return false; }
    void on_stream_error(const char*, bool misbehaved) override {
      link->owner->drop(*link,
                        misbehaved ? "unexpected data on outgoing link" : "outgoing link closed");
    }
  };

  NodeTransport* owner = nullptr;
  Peer peer;
  InSide in_side;
  OutSide out_side;
  PacketStream::Ptr out;   // our connection to the peer (we send here), once connected
  PacketStream::Ptr in;    // the peer's connection to us (we read here)
  int connecting_fd = -1;  // our connection while connect() is in progress
  event* connect_ev = nullptr;
  bool reported_connected = false;
  double retry = kFirstRetry;
  std::unique_ptr<Timer> connect_timer;
  std::unique_ptr<Timer> stall_timer;  // watches `in` while the node is not connected
  uint64_t stall_mark = 0;             // in->bytes_received() at the last check
  LogThrottle duplicate_log;           // second connections refused
  LogThrottle replace_log;             // links replaced while not connected

  bool out_up() const { return out != nullptr; }
  void close_out() {
    if (connect_ev) event_free(connect_ev);
    connect_ev = nullptr;
    if (connecting_fd >= 0) close(connecting_fd);
    connecting_fd = -1;
    out.reset();
  }
  void close_in() { in.reset(); }
  ~Link() {
    close_out();
    close_in();
  }
};

NodeTransport::NodeTransport(EventLoop& loop, TransportHandler& handler, proto::SockAddr self,
                             std::vector<Peer> peers, size_t max_packet)
    : loop_(loop), handler_(handler), self_(std::move(self)), max_packet_(max_packet) {
  set_peers(std::move(peers));
}

NodeTransport::~NodeTransport() {
  links_.clear();
  listener_.reset();
}

bool NodeTransport::start(std::string* error) {
  int fd = socket(self_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  KernelSockaddr addr(self_);
  if (bind(fd, addr.sa(), addr.len) != 0) {
    *error = "cannot bind node address " + self_.to_string_with_port() + ": " + strerror(errno);
    close(fd);
    return false;
  }
  auto listener = std::make_unique<Listener>(
      loop_, "node port",
      [this](int afd, const sockaddr* sa, int len) { on_accept(afd, sa, len); });
  if (!listener->listen(fd, 64, error)) {
    *error += " (" + self_.to_string_with_port() + ")";
    return false;
  }
  listener_ = std::move(listener);
  for (auto& l : links_) connect(*l);
  return true;
}

void NodeTransport::set_peers(std::vector<Peer> peers) {
  std::vector<std::unique_ptr<Link>> next;
  for (Peer& p : peers) {
    std::unique_ptr<Link> l;
    for (auto& old : links_) {
      if (old && old->peer.pnn == p.pnn && old->peer.addr == p.addr) l = std::move(old);
    }
    if (!l) {
      l = std::make_unique<Link>();
      l->owner = this;
      l->peer = p;
      l->in_side.link = l.get();
      l->out_side.link = l.get();
      Link* raw = l.get();
      l->connect_timer = std::make_unique<Timer>(loop_, [this, raw] { connect(*raw); });
      l->stall_timer = std::make_unique<Timer>(loop_, [this, raw] { check_stall(*raw); });
      if (listener_) schedule_connect(*l);
    }
    next.push_back(std::move(l));
  }
  links_ = std::move(next);
}

NodeTransport::Link* NodeTransport::find(uint32_t pnn) const {
  for (auto& l : links_) {
    if (l->peer.pnn == pnn) return l.get();
  }
  return nullptr;
}

void NodeTransport::schedule_connect(Link& l) {
  l.connect_timer->start(l.retry);
  l.retry = std::min(l.retry * 2, kMaxRetry);
}

void NodeTransport::connect(Link& l) {
  l.close_out();
  int fd = socket(l.peer.addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    schedule_connect(l);
    return;
  }
  // Bind to our own node address so that the peer recognises us by source.
  proto::SockAddr local = self_;
  local.port = 0;
  KernelSockaddr local_sa(local);
  if (bind(fd, local_sa.sa(), local_sa.len) != 0) {
    CTDB_LOGF(kLogError, "cannot bind outgoing socket to %s: %s", local.to_string().c_str(),
              strerror(errno));
    close(fd);
    schedule_connect(l);
    return;
  }
  l.connecting_fd = fd;
  KernelSockaddr peer_sa(l.peer.addr);
  if (::connect(fd, peer_sa.sa(), peer_sa.len) == 0) {
    out_connected(l);
    return;
  }
  if (errno != EINPROGRESS && errno != EINTR) {
    l.close_out();  // the peer is not up yet
    schedule_connect(l);
    return;
  }
  // Writable once the handshake is over, whichever way it went. A SYN dropped on the way (a
  // firewall rule, a pulled cable) would leave connect() to TCP's backoff, a minute or more
  // after the path is back: as 4.17, a connect gets one second, then starts again.
  timeval give_up{static_cast<time_t>(kMaxRetry), 0};
  l.connect_ev = event_new(loop_.base(), fd, EV_WRITE, &NodeTransport::on_connect_done, &l);
  if (l.connect_ev == nullptr || event_add(l.connect_ev, &give_up) != 0) {
    l.close_out();
    schedule_connect(l);
  }
}

void NodeTransport::on_connect_done(evutil_socket_t fd, short what, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  NodeTransport& self = *l.owner;
  if (what & EV_TIMEOUT) {
    l.close_out();
    self.connect(l);
    return;
  }
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) {
    // Connect failed: the peer is not up yet.
    l.close_out();
    self.schedule_connect(l);
    return;
  }
  self.out_connected(l);
}

void NodeTransport::out_connected(Link& l) {
  if (l.connect_ev) event_free(l.connect_ev);
  l.connect_ev = nullptr;
  int fd = l.connecting_fd;
  l.connecting_fd = -1;
  set_socket_options(fd);
  PacketStream::Limits limits;
  limits.max_packet = max_packet_;
  limits.aligned = true;
  limits.input_allowed = false;
  l.out = PacketStream::open(loop_, fd, l.out_side, limits);
  if (l.in && !l.reported_connected) {
    l.reported_connected = true;
    handler_.on_node_connected(l.peer.pnn);
  }
}

void NodeTransport::on_accept(int fd, const sockaddr* sa, int len) {
  auto from = proto::SockAddr::from_sockaddr(sa, static_cast<size_t>(len));
  Link* link = nullptr;
  if (from) {
    for (auto& l : links_) {
      if (l->peer.addr.same_ip(*from)) link = l.get();
    }
  }
  uint64_t held_back = 0;
  if (link == nullptr) {
    // Closed before anything is read from it, as 4.17 does.
    close(fd);
    if (refused_log_.allow(&held_back)) {
      CTDB_LOGF(kLogError, "Refused connection from unknown node %s%s",
                from ? from->to_string().c_str() : "?", more_since(held_back).c_str());
    }
    return;
  }
  if (link->in != nullptr && link->reported_connected) {
    // The link that is up stays: a stranger who can use the node's address
    // cannot take it over (4.17 keeps the first one too).
    close(fd);
    if (link->duplicate_log.allow(&held_back)) {
      CTDB_LOGF(kLogError, "Incoming link from node %u already active, rejecting a second one%s",
                link->peer.pnn, more_since(held_back).c_str());
    }
    return;
  }
  if (link->in != nullptr) {
    // The node is not connected, so the link holding its slot has proven
    // nothing: the newest connection wins. Otherwise a stale or a stranger's
    // connection keeps the real node out when it comes back (4.17 refuses the
    // newcomer, and the node's own link gets in only once keepalives or its
    // retries have torn the old one down, after a spurious connect).
    link->in.reset();
    link->stall_timer->stop();
    if (link->replace_log.allow(&held_back)) {
      CTDB_LOGF(kLogNotice, "New incoming link from node %u replaces one not yet in use%s",
                link->peer.pnn, more_since(held_back).c_str());
    }
  }
  set_socket_options(fd);
  PacketStream::Limits limits;
  limits.max_packet = max_packet_;
  limits.aligned = true;
  link->in = PacketStream::open(loop_, fd, link->in_side, limits);
  link->stall_mark = 0;
  link->stall_timer->start(stall_timeout_, true);
  if (link->out_up() && !link->reported_connected) {
    link->reported_connected = true;
    handler_.on_node_connected(link->peer.pnn);
  }
}

void NodeTransport::check_stall(Link& l) {
  if (!l.in) {
    l.stall_timer->stop();
    return;
  }
  uint64_t got = l.in->bytes_received();
  bool stalled = !l.reported_connected && l.in->buffered_input() > 0 && got == l.stall_mark;
  l.stall_mark = got;
  if (stalled) {
    char why[96];
    snprintf(why, sizeof(why), "incomplete packet (%zu bytes) stalled for %.0f s",
             l.in->buffered_input(), stall_timeout_);
    drop(l, why);
  }
}

bool NodeTransport::incoming_packet(Link& l, const uint8_t* pkt, size_t len) {
  proto::Header h;
  if (!proto::decode_header(pkt, len, &h)) {
    // The stream checked the length; decode_header read the other fields.
    char why[64];
    if (h.magic != kMagic) {
      snprintf(why, sizeof(why), "bad magic 0x%08x", h.magic);
    } else if (h.version != kProtocolVersion) {
      snprintf(why, sizeof(why), "bad protocol version %u", h.version);
    } else {
      snprintf(why, sizeof(why), "malformed packet header");
    }
    drop(l, why);
    return false;
  }
  // Handed over in place: if the handler drops or removes this link, the
  // stream is closed and stops reading by itself, and the bytes stay valid
  // until this call returns.
  handler_.on_node_packet(l.peer.pnn, pkt, len);
  return true;
}

bool NodeTransport::send(uint32_t pnn, const uint8_t* pkt, size_t len) {
  Link* l = find(pnn);
  if (l == nullptr || !l->out_up()) return false;
  l->out->send(pkt, len);
  return true;
}

bool NodeTransport::connected(uint32_t pnn) const {
  Link* l = find(pnn);
  return l != nullptr && l->reported_connected;
}

void NodeTransport::reset(uint32_t pnn) {
  if (Link* l = find(pnn)) drop(*l, "reset");
}

void NodeTransport::drop(Link& l, const char* why) {
  bool was_connected = l.reported_connected;
  CTDB_LOGF(kLogNotice, "Link to node %u down: %s", l.peer.pnn, why);
  l.close_out();
  l.close_in();
  l.stall_timer->stop();
  l.reported_connected = false;
  // A peer that accepts and then refuses us (we are not in its nodes file
  // yet) is retried at the backed-off pace, not ten times a second.
  if (was_connected) l.retry = kFirstRetry;
  schedule_connect(l);
  if (was_connected) handler_.on_node_dead(l.peer.pnn);
}

}  // namespace ctdb::daemon
