// RAII wrappers over the libevent reactor: the loop itself, timers, fd
// watchers, signal handlers and packet streams. Everything the daemon does runs from these.
#pragma once

#include <event2/event.h>

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

// A connected non-blocking stream socket carrying CTDB packets (the client
// socket and the links between nodes). Reads go into one reusable buffer per
// stream and every complete packet is handed to the handler in place; a send
// with nothing queued is written at once, and only an unwritten rest is
// queued, with EV_WRITE armed just while such a backlog exists. So a packet
// costs one read and one write and no epoll_ctl in the common case.
class PacketStream {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // One complete packet whose length field passed the Limits; `pkt` is
    // valid only during the call. The handler may send on any stream and may
    // destroy any stream, this one included. Returning false stops reading.
    virtual bool on_packet(const uint8_t* pkt, size_t len) = 0;
    // End of file, a socket error (`framing` false) or a length field outside
    // the Limits (`framing` true). Called at most once and never from inside
    // send(): write errors are reported from the loop. The handler is
    // expected to destroy the stream.
    virtual void on_stream_error(const char* why, bool framing) = 0;
  };

  struct Limits {
    size_t max_packet = 0;
    bool aligned = false;       // lengths must be multiples of kPacketAlignment
    bool input_allowed = true;  // false: any byte received is an error
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

 private:
  PacketStream(EventLoop& loop, int fd, Handler& handler, const Limits& limits);
  ~PacketStream();
  PacketStream(const PacketStream&) = delete;
  PacketStream& operator=(const PacketStream&) = delete;

  static void on_read_event(evutil_socket_t, short, void* arg);
  static void on_write_event(evutil_socket_t, short, void* arg);
  void dispose();
  void read_some();
  bool dispatch();
  bool make_room();
  void append(const uint8_t* data, size_t len);
  void flush();
  void set_write_armed(bool on);
  void fail(const char* why);
  void report(const char* why, bool framing);

  friend class EventLoop::Batch;
  EventLoop& loop_;
  int fd_;
  Handler& handler_;
  Limits limits_;
  event* rev_ = nullptr;
  event* wev_ = nullptr;
  bool write_armed_ = false;
  bool in_flush_list_ = false;
  bool busy_ = false;      // inside one of our event callbacks
  bool dead_ = false;      // disposed while busy; freed when the callback returns
  bool failed_ = false;    // a write failed; the error is reported from the loop
  bool reported_ = false;  // on_stream_error already called
  std::string fail_why_;
  // Input: bytes [in_head_, in_tail_) of in_ are unconsumed.
  std::unique_ptr<uint8_t[]> in_;
  size_t in_cap_ = 0, in_head_ = 0, in_tail_ = 0;
  // Output backlog: bytes [out_head_, out_.size()) of out_ are unwritten.
  std::vector<uint8_t> out_;
  size_t out_head_ = 0;
};

}  // namespace ctdb::daemon
