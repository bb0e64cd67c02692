// The client Unix domain socket (see client_server.h).
#include "daemon/clients/client_server.h"

#include <event2/buffer.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "protocol/packet.h"

namespace ctdb::daemon {

void write_or_queue(bufferevent* bev, const proto::Bytes& pkt) {
  evbuffer* out = bufferevent_get_output(bev);
  size_t done = 0;
  // With nothing queued, write now: this saves arming and disarming the
  // write event (two epoll_ctl calls) for every packet.
  if (evbuffer_get_length(out) == 0) {
    ssize_t n = ::write(bufferevent_getfd(bev), pkt.data(), pkt.size());
    if (n > 0) done = static_cast<size_t>(n);
  }
  // The rest (or everything, after an error the bufferevent will then see
  // and report) goes through the queue.
  if (done < pkt.size()) bufferevent_write(bev, pkt.data() + done, pkt.size() - done);
}

ClientConnection::~ClientConnection() { bufferevent_free(bev_); }

void ClientConnection::send(const proto::Bytes& pkt) {
  if (closing_) return;
  write_or_queue(bev_, pkt);
}

ClientServer::ClientServer(EventLoop& loop, ClientHandler& handler, size_t max_packet)
    : loop_(loop), handler_(handler), max_packet_(max_packet) {}

ClientServer::~ClientServer() {
  shutdown();
  clients_.clear();
}

namespace {
bool fill_sockaddr(const std::string& path, sockaddr_un* sun) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  if (path.size() >= sizeof(sun->sun_path)) return false;
  memcpy(sun->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// True if something accepts connections on the socket at `path`.
bool socket_in_use(const sockaddr_un& sun) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool in_use = connect(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof(sun)) == 0;
  ::close(fd);
  return in_use;
}
}  // namespace

bool ClientServer::listen(const std::string& path, std::string* error) {
  sockaddr_un sun;
  if (!fill_sockaddr(path, &sun)) {
    *error = "socket path too long: " + path;
    return false;
  }
  if (socket_in_use(sun)) {
    *error = "another ctdbd is already running on socket " + path;
    return false;
  }
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  // Owner-only from the moment the name exists.
  mode_t old = umask(0077);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun));
  umask(old);
  if (rc != 0 || chmod(path.c_str(), 0700) != 0) {
    *error = "cannot bind socket " + path + ": " + strerror(errno);
    ::close(fd);
    return false;
  }
  listener_ = evconnlistener_new(loop_.base(), &ClientServer::on_accept, this,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
  if (listener_ == nullptr) {
    *error = "cannot listen on socket " + path + ": " + strerror(errno);
    ::close(fd);
    unlink(path.c_str());
    return false;
  }
  path_ = path;
  return true;
}

void ClientServer::shutdown() {
  if (listener_ != nullptr) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
    unlink(path_.c_str());
  }
}

void ClientServer::flush_all() {
  for (auto& [id, c] : clients_) {
    evbuffer* out = bufferevent_get_output(c->bev_);
    evutil_socket_t fd = bufferevent_getfd(c->bev_);
    while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0) {
    }
  }
}

ClientConnection* ClientServer::find(uint32_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() || it->second->closing_ ? nullptr : it->second.get();
}

std::vector<ClientConnection*> ClientServer::find_by_pid(pid_t pid) {
  std::vector<ClientConnection*> out;
  for (auto& [id, c] : clients_) {
    if (c->pid_ == pid && !c->closing_) out.push_back(c.get());
  }
  return out;
}

void ClientServer::on_accept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* self = static_cast<ClientServer*>(arg);
  evutil_make_socket_nonblocking(fd);
  evutil_make_socket_closeonexec(fd);
  ucred cred{};
  socklen_t len = sizeof(cred);
  pid_t pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
  bufferevent* bev = bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    ::close(fd);
    return;
  }
  uint32_t id = self->next_id_++;
  if (self->next_id_ == 0) self->next_id_ = 1;
  auto conn = std::make_unique<ClientConnection>(self, id, bev, pid);
  bufferevent_setcb(bev, &ClientServer::on_read, nullptr, &ClientServer::on_event, conn.get());
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  self->clients_[id] = std::move(conn);
}

void ClientServer::on_read(bufferevent*, void* arg) {
  auto* conn = static_cast<ClientConnection*>(arg);
  conn->server_->drain(*conn);
}

void ClientServer::on_event(bufferevent*, short what, void* arg) {
  if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) return;
  auto* conn = static_cast<ClientConnection*>(arg);
  conn->server_->close(*conn);
}

void ClientServer::drain(ClientConnection& c) {
  evbuffer* in = bufferevent_get_input(c.bev_);
  c.in_read_ = true;
  while (!c.closing_) {
    size_t avail = evbuffer_get_length(in);
    if (avail < 4) break;
    uint8_t lenbuf[4];
    evbuffer_copyout(in, lenbuf, 4);
    uint32_t len = lenbuf[0] | (lenbuf[1] << 8) | (lenbuf[2] << 16) | (uint32_t(lenbuf[3]) << 24);
    if (len < kHeaderSize || len > max_packet_) {
      CTDB_LOGF(kLogError, "client %u (pid %d): bad packet length %u, closing", c.id_,
              static_cast<int>(c.pid_), len);
      close(c);
      break;
    }
    if (avail < len) break;
    const uint8_t* pkt = evbuffer_pullup(in, len);
    proto::Header h;
    if (!proto::decode_header(pkt, len, &h)) {
      CTDB_LOGF(kLogError, "client %u (pid %d): malformed packet header, closing", c.id_,
              static_cast<int>(c.pid_));
      close(c);
      break;
    }
    handler_.on_client_packet(c, pkt, len);
    evbuffer_drain(in, len);
  }
  c.in_read_ = false;
  if (c.closing_) destroy(c);
}

void ClientServer::close(ClientConnection& c) {
  if (c.closing_) return;
  c.closing_ = true;
  handler_.on_client_gone(c);
  if (!c.in_read_) destroy(c);
}

void ClientServer::destroy(ClientConnection& c) { clients_.erase(c.id_); }

}  // namespace ctdb::daemon
