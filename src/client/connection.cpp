// The client end of the daemon's Unix socket (see connection.h).
#include "client/connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "client/log.h"
#include "ctdb/protocol.h"
#include "protocol/packet.h"

namespace ctdb::client {
namespace {
// Larger claims are framing errors, not data: the daemon never sends a
// packet near this size to a client.
constexpr uint32_t kMaxPacket = 256u << 20;
}  // namespace

int Deadline::poll_timeout_ms() const {
  if (infinite_) return -1;
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(at_ - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  // Round up so that poll() does not wake a hair early and spin.
  return static_cast<int>(left.count()) + 1;
}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

int Connection::open(const std::string& path, std::unique_ptr<Connection>* out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    log(LogLevel::kError, "socket path too long, len=%zu\n", path.size());
    return ENAMETOOLONG;
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    log(LogLevel::kError, "socket() failed, errno=%d\n", err);
    return err;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    log(LogLevel::kError, "connect() failed, errno=%d\n", err);
    close(fd);
    return err;
  }
  out->reset(new Connection(fd));
  return 0;
}

int Connection::send(const Bytes& pkt) {
  size_t off = 0;
  while (off < pkt.size()) {
    ssize_t n = ::send(fd_, pkt.data() + off, pkt.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += static_cast<size_t>(n);
  }
  return 0;
}

int Connection::fill(const Deadline& deadline) {
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, deadline.poll_timeout_ms());
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (r == 0) return ETIMEDOUT;
    uint8_t buf[65536];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return ECONNRESET;
    }
    if (n == 0) return ECONNRESET;
    inbuf_.insert(inbuf_.end(), buf, buf + n);
    return 0;
  }
}

int Connection::take_packet(Bytes* pkt, bool* got) {
  *got = false;
  if (inbuf_.size() < 4) return 0;
  uint32_t len = static_cast<uint32_t>(inbuf_[0]) | static_cast<uint32_t>(inbuf_[1]) << 8 |
                 static_cast<uint32_t>(inbuf_[2]) << 16 | static_cast<uint32_t>(inbuf_[3]) << 24;
  if (len < kHeaderSize || len > kMaxPacket) return EPROTO;
  if (inbuf_.size() < len) return 0;
  pkt->assign(inbuf_.begin(), inbuf_.begin() + len);
  inbuf_.erase(inbuf_.begin(), inbuf_.begin() + len);
  *got = true;
  return 0;
}

int Connection::disconnected() {
  if (on_disconnect_) {
    auto fn = std::move(on_disconnect_);
    on_disconnect_ = nullptr;
    fn();
  }
  return ECONNRESET;
}

int Connection::receive(const Deadline& deadline, Bytes* pkt) {
  for (;;) {
    bool got = false;
    int err = take_packet(pkt, &got);
    if (err != 0) return err;
    if (got) return 0;
    err = fill(deadline);
    if (err == ECONNRESET) return disconnected();
    if (err != 0) return err;
  }
}

bool Connection::queue_if_message(const Bytes& pkt) {
  proto::Header h;
  proto::ReqMessage m;
  if (!proto::decode(pkt.data(), pkt.size(), &h, &m)) return false;
  messages_.push_back(Message{m.srvid, std::move(m.data)});
  return true;
}

int Connection::wait_reply(uint32_t reqid, const Deadline& deadline, Bytes* pkt) {
  for (;;) {
    int err = receive(deadline, pkt);
    if (err != 0) return err;
    proto::Header h;
    if (!proto::decode_header(pkt->data(), pkt->size(), &h)) continue;
    if (h.operation == REQ_MESSAGE) {
      queue_if_message(*pkt);
      continue;
    }
    if (h.reqid == reqid) return 0;
  }
}

int Connection::wait_message(const Deadline& deadline, Message* msg) {
  for (;;) {
    if (!messages_.empty()) {
      *msg = std::move(messages_.front());
      messages_.pop_front();
      return 0;
    }
    Bytes pkt;
    int err = receive(deadline, &pkt);
    if (err != 0) return err;
    queue_if_message(pkt);
  }
}

int Connection::wait_closed(const Deadline& deadline) {
  auto saved = std::move(on_disconnect_);
  on_disconnect_ = nullptr;
  for (;;) {
    Bytes pkt;
    int err = receive(deadline, &pkt);
    if (err == ECONNRESET) return 0;
    if (err != 0) {
      on_disconnect_ = std::move(saved);
      return err;
    }
    queue_if_message(pkt);
  }
}

}  // namespace ctdb::client
