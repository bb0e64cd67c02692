// TCP links between nodes (see node_transport.h).
#include "daemon/transport/node_transport.h"

#include <event2/buffer.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
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
  NodeTransport* owner;
  Peer peer;
  bufferevent* out = nullptr;  // our connection to the peer (we send here)
  bufferevent* in = nullptr;   // the peer's connection to us (we read here)
  bool out_up = false;
  bool reported_connected = false;
  double retry = kFirstRetry;
  std::unique_ptr<Timer> connect_timer;

  void close_out() {
    if (out) bufferevent_free(out);
    out = nullptr;
    out_up = false;
  }
  void close_in() {
    if (in) bufferevent_free(in);
    in = nullptr;
  }
  ~Link() {
    close_out();
    close_in();
  }
};

NodeTransport::NodeTransport(EventLoop& loop, TransportHandler& handler, SockAddr self,
                             std::vector<Peer> peers, size_t max_packet)
    : loop_(loop), handler_(handler), self_(std::move(self)), max_packet_(max_packet) {
  set_peers(std::move(peers));
}

NodeTransport::~NodeTransport() {
  links_.clear();
  if (listener_) evconnlistener_free(listener_);
}

bool NodeTransport::start(std::string* error) {
  int fd = socket(self_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, self_.sa(), self_.sa_len()) != 0) {
    *error = "cannot bind node address " + self_.to_string() + ": " + strerror(errno);
    close(fd);
    return false;
  }
  listener_ = evconnlistener_new(loop_.base(), &NodeTransport::on_accept, this,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
  if (listener_ == nullptr) {
    *error = "cannot listen on " + self_.to_string() + ": " + strerror(errno);
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
  int fd = socket(l.peer.addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    schedule_connect(l);
    return;
  }
  // Bind to our own node address so that the peer recognises us by source.
  SockAddr local = self_;
  local.set_port(0);
  if (bind(fd, local.sa(), local.sa_len()) != 0) {
    CTDB_LOGF(kLogError, "cannot bind outgoing socket to %s: %s", local.ip_string().c_str(),
              strerror(errno));
    close(fd);
    schedule_connect(l);
    return;
  }
  l.out = bufferevent_socket_new(loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(l.out, &NodeTransport::on_out_read, nullptr, &NodeTransport::on_out_event,
                    &l);
  bufferevent_enable(l.out, EV_READ | EV_WRITE);
  if (bufferevent_socket_connect(l.out, const_cast<sockaddr*>(l.peer.addr.sa()),
                                 static_cast<int>(l.peer.addr.sa_len())) != 0) {
    l.close_out();
    schedule_connect(l);
  }
}

void NodeTransport::on_out_event(bufferevent*, short what, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  NodeTransport& self = *l.owner;
  if (what & BEV_EVENT_CONNECTED) {
    set_socket_options(bufferevent_getfd(l.out));
    l.out_up = true;
    l.retry = kFirstRetry;
    if (l.in && !l.reported_connected) {
      l.reported_connected = true;
      self.handler_.on_node_connected(l.peer.pnn);
    }
    return;
  }
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    if (!l.out_up) {
      // Connect failed: the peer is not up yet.
      l.close_out();
      self.schedule_connect(l);
      return;
    }
    self.drop(l, "outgoing link closed");
  }
}

// Nothing is expected on our outgoing link; anything arriving means the peer
// is misbehaving or closing.
void NodeTransport::on_out_read(bufferevent*, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  l.owner->drop(l, "unexpected data on outgoing link");
}

void NodeTransport::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len,
                              void* arg) {
  auto* self = static_cast<NodeTransport*>(arg);
  auto from = SockAddr::from_sockaddr(sa, static_cast<socklen_t>(len));
  Link* link = nullptr;
  if (from) {
    for (auto& l : self->links_) {
      if (l->peer.addr.same_ip(*from)) link = l.get();
    }
  }
  if (link == nullptr) {
    CTDB_LOGF(kLogError, "Refused connection from unknown node %s",
              from ? from->ip_string().c_str() : "?");
    close(fd);
    return;
  }
  if (link->in != nullptr) {
    CTDB_LOGF(kLogError, "Incoming link from node %u already active, rejecting a second one",
              link->peer.pnn);
    close(fd);
    return;
  }
  evutil_make_socket_nonblocking(fd);
  set_socket_options(fd);
  link->in = bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(link->in, &NodeTransport::on_in_read, nullptr, &NodeTransport::on_in_event,
                    link);
  bufferevent_enable(link->in, EV_READ);
  if (link->out_up && !link->reported_connected) {
    link->reported_connected = true;
    self->handler_.on_node_connected(link->peer.pnn);
  }
}

void NodeTransport::on_in_event(bufferevent*, short what, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) l.owner->drop(l, "incoming link closed");
}

void NodeTransport::on_in_read(bufferevent*, void* arg) {
  auto& l = *static_cast<Link*>(arg);
  l.owner->drain_incoming(l);
}

void NodeTransport::drain_incoming(Link& l) {
  uint32_t pnn = l.peer.pnn;
  while (l.in != nullptr) {
    evbuffer* in = bufferevent_get_input(l.in);
    size_t avail = evbuffer_get_length(in);
    if (avail < 4) return;
    uint8_t lenbuf[4];
    evbuffer_copyout(in, lenbuf, 4);
    uint32_t len = lenbuf[0] | (lenbuf[1] << 8) | (lenbuf[2] << 16) | (uint32_t(lenbuf[3]) << 24);
    if (len < kHeaderSize || len > max_packet_ || (len % kPacketAlignment) != 0) {
      drop(l, "bad packet length");
      return;
    }
    if (avail < len) return;
    const uint8_t* pkt = evbuffer_pullup(in, len);
    proto::Header h;
    if (!proto::decode_header(pkt, len, &h)) {
      drop(l, "malformed packet header");
      return;
    }
    // The handler may reset this link; copy out first.
    proto::Bytes copy(pkt, pkt + len);
    evbuffer_drain(in, len);
    handler_.on_node_packet(pnn, copy.data(), copy.size());
    if (find(pnn) != &l) return;  // the peer list changed under us
  }
}

bool NodeTransport::send(uint32_t pnn, const proto::Bytes& pkt) {
  Link* l = find(pnn);
  if (l == nullptr || !l->out_up) return false;
  write_or_queue(l->out, pkt);
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
  l.retry = kFirstRetry;
  schedule_connect(l);
  if (was_connected) handler_.on_node_dead(l.peer.pnn);
}

}  // namespace ctdb::daemon
