// TCP links between nodes (see node_transport.h).
#include "daemon/transport/node_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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
    void on_stream_error(const char* why, bool framing) override {
      link->owner->drop(*link, framing ? why : "incoming link closed");
    }
  };
  struct OutSide final : PacketStream::Handler {
    Link* link = nullptr;
    bool on_packet(const uint8_t*, size_t) override { return false; }
    void on_stream_error(const char*, bool framing) override {
      link->owner->drop(*link,
                        framing ? "unexpected data on outgoing link" : "outgoing link closed");
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
  if (listener_) evconnlistener_free(listener_);
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
  listener_ = evconnlistener_new(loop_.base(), &NodeTransport::on_accept, this,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
  if (listener_ == nullptr) {
    *error = "cannot listen on " + self_.to_string_with_port() + ": " + strerror(errno);
    close(fd);
    return false;
  }
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
  // Writable once the handshake is over, whichever way it went.
  l.connect_ev = event_new(loop_.base(), fd, EV_WRITE, &NodeTransport::on_connect_done, &l);
  if (l.connect_ev == nullptr || event_add(l.connect_ev, nullptr) != 0) {
    l.close_out();
    schedule_connect(l);
  }
}

void NodeTransport::on_connect_done(evutil_socket_t fd, short, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  NodeTransport& self = *l.owner;
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

void NodeTransport::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len,
                              void* arg) {
  auto* self = static_cast<NodeTransport*>(arg);
  auto from = proto::SockAddr::from_sockaddr(sa, static_cast<size_t>(len));
  Link* link = nullptr;
  if (from) {
    for (auto& l : self->links_) {
      if (l->peer.addr.same_ip(*from)) link = l.get();
    }
  }
  if (link == nullptr) {
    CTDB_LOGF(kLogError, "Refused connection from unknown node %s",
              from ? from->to_string().c_str() : "?");
    close(fd);
    return;
  }
  if (link->in != nullptr) {
    CTDB_LOGF(kLogError, "Incoming link from node %u already active, rejecting a second one",
              link->peer.pnn);
    close(fd);
    return;
  }
  set_socket_options(fd);
  PacketStream::Limits limits;
  limits.max_packet = self->max_packet_;
  limits.aligned = true;
  link->in = PacketStream::open(self->loop_, fd, link->in_side, limits);
  if (link->out_up() && !link->reported_connected) {
    link->reported_connected = true;
    self->handler_.on_node_connected(link->peer.pnn);
  }
}

bool NodeTransport::incoming_packet(Link& l, const uint8_t* pkt, size_t len) {
  proto::Header h;
  if (!proto::decode_header(pkt, len, &h)) {
    drop(l, "malformed packet header");
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
  l.reported_connected = false;
  // A peer that accepts and then refuses us (we are not in its nodes file
  // yet) is retried at the backed-off pace, not ten times a second.
  if (was_connected) l.retry = kFirstRetry;
  schedule_connect(l);
  if (was_connected) handler_.on_node_dead(l.peer.pnn);
}

}  // namespace ctdb::daemon
