// RAII wrappers over the libevent reactor: the loop itself, timers, fd
// watchers, signal handlers, listening sockets and packet streams. Everything the daemon does
// runs from these.
#pragma once

#include <event2/event.h>
#include <event2/listener.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ctdb::daemon {

class PacketStream;

// Seconds on the monotonic clock (deadlines, intervals; never wall time).
double monotonic_now();

// Owns the event_base. Must outlive every Timer/FdWatcher/SignalWatcher made on it.
class EventLoop {
 public:
  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  event_base* base() const { return base_.get(); }
  // Runs until stop() is called or nothing is left to wait for.
  int run();
  void stop();

  // While a Batch lives, PacketStream::send only queues; when the outermost
  // one ends, every stream that got data writes it all with one syscall.
  // A stream wakes up for a read with a Batch open, so the packets that one
  // read produces leave in one write per destination instead of one each.
  class Batch {
   public:
    explicit Batch(EventLoop& loop) : loop_(loop) { loop_.batch_depth_++; }
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    EventLoop& loop_;
  };

 private:
  friend class PacketStream;
  struct Deleter {
    void operator()(event_base* b) const { event_base_free(b); }
  };
  std::unique_ptr<event_base, Deleter> base_;
  int batch_depth_ = 0;
  std::vector<PacketStream*> to_flush_;  // streams with data queued under a Batch
  // A read buffer no stream holds: a stream borrows it for a read and keeps it
  // only while a packet of its own is incomplete.
  std::unique_ptr<uint8_t[]> spare_in_;
};

// A one-shot or repeating timer; the callback may destroy the Timer.
class Timer {
 public:
  Timer(EventLoop& loop, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(double seconds, bool repeat = false);
  void stop();
  bool pending() const;

 private:
  static void trampoline(evutil_socket_t, short, void* arg);
  std::function<void()> cb_;
  event* ev_ = nullptr;
};

// Watches a file descriptor it does not own for readability.
class FdWatcher {
 public:
  FdWatcher(EventLoop& loop, int fd, std::function<void()> on_readable);
  ~FdWatcher();
  FdWatcher(const FdWatcher&) = delete;
  FdWatcher& operator=(const FdWatcher&) = delete;

 private:
  static void trampoline(evutil_socket_t, short, void* arg);
  std::function<void()> cb_;
  event* ev_ = nullptr;
};

// Calls back from the loop (not from signal context) when `signum` arrives.
class SignalWatcher {
 public:
  SignalWatcher(EventLoop& loop, int signum, std::function<void()> cb);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  static void trampoline(evutil_socket_t, short, void* arg);
  std::function<void()> cb_;
  event* ev_ = nullptr;
};

// Lets a message that bad input can repeat at will (a refused connection, a
// full descriptor table) through at most once per interval, counting the ones
// held back, so that a flood of bad input cannot flood the log.
class LogThrottle {
 public:
  explicit LogThrottle(double interval_seconds = 1.0) : interval_(interval_seconds) {}
  // True when this occurrence may be logged; then *held_back is how many were
  // held back since the last one let through.
  bool allow(uint64_t* held_back);

 private:
  double interval_;
  double last_ = -1e18;
  uint64_t held_back_ = 0;
};

// A listening stream socket (the client socket, the node port) handing each
// accepted connection (non-blocking, close-on-exec) to a callback.
//
// Running out of descriptors is where a naive listener spins: the connection
// stays in the backlog, the level-triggered listen event fires again at once,
// and accept() fails again, forever. This one keeps one descriptor in reserve
// (on /dev/null); on EMFILE/ENFILE it gives that up to accept each pending
// connection and close it at once, so the backlog drains, the other side sees
// a clean close instead of a hang, and the log says so (once a second at most).
class Listener {
 public:
  // `fd` is the accepted connection (the callback owns it); `sa`/`len` the peer's address.
  using AcceptFn = std::function<void(int fd, const sockaddr* sa, int len)>;

  // `name` appears in log lines ("client socket", "node port").
  Listener(EventLoop& loop, std::string name, AcceptFn on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Takes ownership of the bound socket `fd` (even on failure) and listens.
  bool listen(int fd, int backlog, std::string* error);
  // Connections closed unserved because the descriptor table was full.
  uint64_t refused_for_lack_of_descriptors() const { return refused_; }

 private:
  static void accept_trampoline(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len,
                                void* arg);
  static void error_trampoline(evconnlistener*, void* arg);
  void on_error();
  void shed_backlog(int err);

  EventLoop& loop_;
  std::string name_;
  AcceptFn on_accept_;
  evconnlistener* lev_ = nullptr;
  int spare_fd_ = -1;              // the descriptor held in reserve
  std::unique_ptr<Timer> resume_;  // accepting again after a pause
  LogThrottle log_throttle_;
  uint64_t refused_ = 0;
};

// A connected non-blocking stream socket carrying CTDB packets (the client
// socket and the links between nodes). Reads go into a buffer that a stream
// keeps only while it holds an incomplete packet (otherwise it is the loop's,
// lent to whichever stream reads next), and every complete packet is handed
// to the handler in place; a send with nothing queued is written at once, and
// only an unwritten rest is queued, with EV_WRITE armed just while such a
// backlog exists. So a packet costs one read and one write and no epoll_ctl in
// the common case.
class PacketStream {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // One complete packet whose length field passed the Limits; `pkt` is
    // valid only during the call. The handler may send on any stream and may
    // destroy any stream, this one included. Returning false stops reading.
    virtual bool on_packet(const uint8_t* pkt, size_t len) = 0;
    // End of file or a socket error (`misbehaved` false), or the peer broke
    // the Limits (`misbehaved` true: a length field outside them, input where
    // none is allowed, more unread output than max_backlog); `why` says which.
    // Called at most once and never from inside send(): write errors and a
    // full backlog are reported from the loop. The handler is expected to
    // destroy the stream.
    virtual void on_stream_error(const char* why, bool misbehaved) = 0;
    // The peer has read its backlog down to Limits::drain_mark or less (called from the loop
    // after a write, only when that limit is set): room to send more of a long answer.
    virtual void on_drained() {}
  };

  struct Limits {
    size_t max_packet = 0;
    bool aligned = false;       // lengths must be multiples of kPacketAlignment
    bool input_allowed = true;  // false: any byte received is an error
    // A send that finds at least this many bytes still unwritten cuts the
    // peer off instead of queueing more (0: no limit). The packet that
    // crosses the limit is still queued, so one packet of any legal size
    // always fits.
    size_t max_backlog = 0;
    // on_drained() is called when a write leaves at most this many bytes queued (0: never).
    size_t drain_mark = 0;
  };

  // Destroying a stream from inside one of its own callbacks is allowed: it is
  // closed at once and freed when the callback returns.
  struct Disposer {
    void operator()(PacketStream* s) const;
  };
  using Ptr = std::unique_ptr<PacketStream, Disposer>;

  // Takes ownership of `fd` (made non-blocking here) and starts reading.
  static Ptr open(EventLoop& loop, int fd, Handler& handler, const Limits& limits);

  // Sends (or queues) the bytes; never blocks. After a write error the data
  // is dropped and the error reaches the handler from the loop.
  void send(const uint8_t* data, size_t len);
  // Writes what is queued until the socket would block (at exit).
  void flush_now() { flush(); }
  int fd() const { return fd_; }
  size_t queued() const { return out_.size() - out_head_; }
  // Bytes of an incomplete packet waiting for the rest.
  size_t buffered_input() const { return in_tail_ - in_head_; }
  // Bytes read from the socket since the stream was opened.
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  PacketStream(EventLoop& loop, int fd, Handler& handler, const Limits& limits);
  ~PacketStream();
  PacketStream(const PacketStream&) = delete;
  PacketStream& operator=(const PacketStream&) = delete;

  static void on_read_event(evutil_socket_t, short, void* arg);
  static void on_write_event(evutil_socket_t, short, void* arg);
  void dispose();
  void read_some();
  void read_rounds();
  bool dispatch();
  bool make_room();
  void append(const uint8_t* data, size_t len);
  void flush();
  void set_write_armed(bool on);
  void fail(const char* why, bool misbehaved);
  void report(const char* why, bool misbehaved);

  friend class EventLoop::Batch;
  EventLoop& loop_;
  int fd_;
  Handler& handler_;
  Limits limits_;
  event* rev_ = nullptr;
  event* wev_ = nullptr;
  bool write_armed_ = false;
  bool in_flush_list_ = false;
  bool busy_ = false;    // inside one of our event callbacks
  bool dead_ = false;    // disposed while busy; freed when the callback returns
  bool failed_ = false;  // a write failed; the error is reported from the loop
  bool fail_misbehaved_ = false;
  bool reported_ = false;  // on_stream_error already called
  std::string fail_why_;
  uint64_t bytes_received_ = 0;
  // Input: bytes [in_head_, in_tail_) of in_ are unconsumed.
  std::unique_ptr<uint8_t[]> in_;
  size_t in_cap_ = 0, in_head_ = 0, in_tail_ = 0;
  // Output backlog: bytes [out_head_, out_.size()) of out_ are unwritten.
  std::vector<uint8_t> out_;
  size_t out_head_ = 0;
};

}  // namespace ctdb::daemon
