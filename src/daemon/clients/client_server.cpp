// The client Unix domain socket (see client_server.h).
#include "daemon/clients/client_server.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "daemon/unix_socket.h"
#include "protocol/packet.h"

namespace ctdb::daemon {

void ClientConnection::send(const uint8_t* pkt, size_t len) {
  if (closing_) return;
  stream_->send(pkt, len);
}

bool ClientConnection::on_packet(const uint8_t* pkt, size_t len) {
  return server_->dispatch(*this, pkt, len);
}

void ClientConnection::on_stream_error(const char* why, bool misbehaved) {
  if (misbehaved) {
    CTDB_LOGF(kLogError, "client %u (pid %d): %s, closing", id_, static_cast<int>(pid_), why);
  }
  server_->close(*this);
}

void ClientConnection::on_drained() {
  if (!closing_) server_->handler_.on_client_drained(*this);
}

ClientServer::ClientServer(EventLoop& loop, ClientHandler& handler, size_t max_packet,
                           size_t max_backlog)
    : loop_(loop), handler_(handler), max_packet_(max_packet), max_backlog_(max_backlog) {}

ClientServer::~ClientServer() {
  shutdown();
  clients_.clear();
}

bool ClientServer::listen(const std::string& path, std::string* error) {
  int fd = bind_unix_socket(path, "ctdbd", error);
  if (fd < 0) return false;
  auto listener = std::make_unique<Listener>(
      loop_, "client socket", [this](int cfd, const sockaddr*, int) { on_accept(cfd); });
  if (!listener->listen(fd, 128, error)) {
    *error += " (" + path + ")";
    unlink(path.c_str());
    return false;
  }
  listener_ = std::move(listener);
  path_ = path;
  raise_descriptor_limit();
  return true;
}

void ClientServer::shutdown() {
  if (listener_ != nullptr) {
    listener_.reset();
    unlink(path_.c_str());
  }
}

uint64_t ClientServer::refused_for_lack_of_descriptors() const {
  return listener_ ? listener_->refused_for_lack_of_descriptors() : 0;
}

uint64_t ClientServer::raise_descriptor_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
      CTDB_LOGF(kLogNotice, "Raised the open file limit from %llu to %llu",
                static_cast<unsigned long long>(old), static_cast<unsigned long long>(rl.rlim_max));
    } else {
      rl.rlim_cur = old;
    }
  }
  return static_cast<uint64_t>(rl.rlim_cur);
}

void ClientServer::flush_all() {
  for (auto& [id, c] : clients_) c->stream_->flush_now();
}

ClientConnection* ClientServer::find(uint32_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() || it->second->closing_ ? nullptr : it->second.get();
}

std::vector<ClientConnection*> ClientServer::find_by_pid(pid_t pid) const {
  std::vector<ClientConnection*> out;
  for (auto& [id, c] : clients_) {
    if (c->pid_ == pid && !c->closing_) out.push_back(c.get());
  }
  return out;
}

uint64_t ClientServer::reserved_descriptors(uint64_t limit) {
  return std::min<uint64_t>(256, limit / 4);
}

void ClientServer::on_accept(int fd) {
  // Descriptors are handed out lowest first: a client that got one of the
  // top `reserve` numbers means fewer than that are left for the daemon.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    uint64_t limit = rl.rlim_cur;
    uint64_t reserve = reserved_descriptors(limit);
    if (static_cast<uint64_t>(fd) + reserve >= limit) {
      ::close(fd);
      refused_over_reserve_++;
      uint64_t held_back = 0;
      if (reserve_log_.allow(&held_back)) {
        CTDB_LOGF(kLogError,
                  "Too many clients (%zu): refusing new ones while fewer than %llu of %llu file "
                  "descriptors are free (%llu refused so far)",
                  clients_.size(), static_cast<unsigned long long>(reserve),
                  static_cast<unsigned long long>(limit),
                  static_cast<unsigned long long>(refused_over_reserve_));
      }
      return;
    }
  }
  ucred cred{};
  socklen_t len = sizeof(cred);
  pid_t pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
  uint32_t id = next_id_++;
  if (next_id_ == 0) next_id_ = 1;
  auto conn = std::make_unique<ClientConnection>(this, id, pid);
  PacketStream::Limits limits;
  limits.max_packet = max_packet_;
  limits.max_backlog = max_backlog_;
  limits.drain_mark = kDrainMark;
  conn->stream_ = PacketStream::open(loop_, fd, *conn, limits);
  clients_[id] = std::move(conn);
}

// One packet, in place in the stream's buffer. The handler may close this
// client (or others); this one is destroyed only once the handler returns.
bool ClientServer::dispatch(ClientConnection& c, const uint8_t* pkt, size_t len) {
  if (c.closing_) return false;
  proto::Header h;
  if (!proto::decode_header(pkt, len, &h)) {
    CTDB_LOGF(kLogError, "client %u (pid %d): malformed packet header, closing", c.id_,
              static_cast<int>(c.pid_));
    close(c);
    return false;
  }
  c.in_read_ = true;
  handler_.on_client_packet(c, pkt, len);
  c.in_read_ = false;
  if (c.closing_) {
    destroy(c);
    return false;
  }
  return true;
}

void ClientServer::close(ClientConnection& c) {
  if (c.closing_) return;
  c.closing_ = true;
  handler_.on_client_gone(c);
  if (!c.in_read_) destroy(c);
}

void ClientServer::destroy(ClientConnection& c) { clients_.erase(c.id_); }

}  // namespace ctdb::daemon
