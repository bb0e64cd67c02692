// The client end of the daemon's Unix socket: connect, framed packet I/O with
// deadlines, request ids, and a queue for messages that arrive while waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "protocol/wire.h"

namespace ctdb::client {

using proto::Bytes;

// A point in time after which a blocking wait gives up; never() waits forever
// (what Samba's client does for commits and lock retries).
class Deadline {
 public:
  static Deadline never() { return Deadline(); }
  static Deadline after(std::chrono::milliseconds d) {
    Deadline t;
    t.infinite_ = false;
    t.at_ = std::chrono::steady_clock::now() + d;
    return t;
  }
  static Deadline after_seconds(int s) { return after(std::chrono::seconds(s)); }

  bool expired() const { return !infinite_ && std::chrono::steady_clock::now() >= at_; }
  // Milliseconds left for poll(): -1 when infinite, 0 when expired.
  int poll_timeout_ms() const;

 private:
  Deadline() = default;
  bool infinite_ = true;
  std::chrono::steady_clock::time_point at_{};
};

// A REQ_MESSAGE delivered to one of our srvids.
struct Message {
  uint64_t srvid = 0;
  Bytes data;
};

// Owns one connected socket. Blocking I/O bounded by poll(): the tool is short
// lived and does one thing at a time, so a reactor would only add noise.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to the socket at `path`. Returns 0 or an errno value; logs the
  // failure as Samba's client does ("connect() failed, errno=2").
  static int open(const std::string& path, std::unique_ptr<Connection>* out);

  uint32_t new_reqid() { return next_reqid_++; }

  // Writes the whole packet. Returns 0 or an errno value.
  int send(const Bytes& pkt);

  // Reads the next whole packet. Returns 0, ETIMEDOUT, ECONNRESET (daemon
  // closed the socket) or EPROTO (bad framing).
  int receive(const Deadline& deadline, Bytes* pkt);

  // Waits for the packet answering `reqid` (any operation but REQ_MESSAGE).
  // REQ_MESSAGE packets seen meanwhile are queued for wait_message(); other
  // packets (late replies to requests we gave up on) are dropped.
  int wait_reply(uint32_t reqid, const Deadline& deadline, Bytes* pkt);

  // Returns the oldest queued message, or waits for one until the deadline.
  int wait_message(const Deadline& deadline, Message* msg);

  // Called once when the daemon closes the socket while we wait for something;
  // the tool exits there as Samba's does. Without a handler the wait fails.
  void set_disconnect_handler(std::function<void()> fn) { on_disconnect_ = std::move(fn); }

  // Blocks until the daemon closes the socket (used after SHUTDOWN) or the deadline.
  int wait_closed(const Deadline& deadline);

 private:
  explicit Connection(int fd) : fd_(fd) {}
  // Appends whatever the socket has to inbuf_; 0, ETIMEDOUT, ECONNRESET.
  int fill(const Deadline& deadline);
  // Moves one complete packet from inbuf_ into *pkt if there is one.
  int take_packet(Bytes* pkt, bool* got);
  int disconnected();
  bool queue_if_message(const Bytes& pkt);

  int fd_;
  uint32_t next_reqid_ = 1;
  Bytes inbuf_;
  std::deque<Message> messages_;
  std::function<void()> on_disconnect_;
};

}  // namespace ctdb::client
