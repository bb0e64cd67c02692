// RAII wrappers over the libevent reactor (see event_loop.h).
#include "daemon/event_loop.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/logging.h"
#include "ctdb/protocol.h"

namespace ctdb::daemon {

EventLoop::EventLoop() : base_(event_base_new()) {
  if (!base_) std::abort();  // out of memory or fds at startup: nothing to recover
}

int EventLoop::run() { return event_base_dispatch(base_.get()); }

void EventLoop::stop() { event_base_loopbreak(base_.get()); }

EventLoop::Batch::~Batch() {
  if (--loop_.batch_depth_ > 0) return;
  // Flushing never calls back into handlers (errors are reported later from
  // the loop), so the list cannot change under us.
  std::vector<PacketStream*> streams;
  streams.swap(loop_.to_flush_);
  for (PacketStream* s : streams) {
    s->in_flush_list_ = false;
    s->flush();
  }
  streams.clear();
  if (loop_.to_flush_.empty()) loop_.to_flush_.swap(streams);  // keep the allocation
}

namespace {
timeval to_timeval(double seconds) {
  if (seconds < 0) seconds = 0;
  timeval tv;
  tv.tv_sec = static_cast<time_t>(seconds);
  tv.tv_usec = static_cast<suseconds_t>(std::lround((seconds - tv.tv_sec) * 1e6));
  if (tv.tv_usec >= 1000000) {
    tv.tv_sec++;
    tv.tv_usec -= 1000000;
  }
  return tv;
}
}  // namespace

double monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Timer::Timer(EventLoop& loop, std::function<void()> cb) : cb_(std::move(cb)) {
  ev_ = event_new(loop.base(), -1, 0, &Timer::trampoline, this);
}

Timer::~Timer() { event_free(ev_); }

void Timer::start(double seconds, bool repeat) {
  event_del(ev_);
  event_assign(ev_, event_get_base(ev_), -1, repeat ? EV_PERSIST : 0, &Timer::trampoline, this);
  timeval tv = to_timeval(seconds);
  event_add(ev_, &tv);
}

void Timer::stop() { event_del(ev_); }

bool Timer::pending() const { return event_pending(ev_, EV_TIMEOUT, nullptr) != 0; }

void Timer::trampoline(evutil_socket_t, short, void* arg) {
  // Copy: the callback may destroy this Timer.
  auto cb = static_cast<Timer*>(arg)->cb_;
  cb();
}

FdWatcher::FdWatcher(EventLoop& loop, int fd, std::function<void()> on_readable)
    : cb_(std::move(on_readable)) {
  ev_ = event_new(loop.base(), fd, EV_READ | EV_PERSIST, &FdWatcher::trampoline, this);
  event_add(ev_, nullptr);
}

FdWatcher::~FdWatcher() { event_free(ev_); }

void FdWatcher::trampoline(evutil_socket_t, short, void* arg) {
  auto cb = static_cast<FdWatcher*>(arg)->cb_;
  cb();
}

SignalWatcher::SignalWatcher(EventLoop& loop, int signum, std::function<void()> cb)
    : cb_(std::move(cb)) {
  ev_ = evsignal_new(loop.base(), signum, &SignalWatcher::trampoline, this);
  event_add(ev_, nullptr);
}

SignalWatcher::~SignalWatcher() { event_free(ev_); }

void SignalWatcher::trampoline(evutil_socket_t, short, void* arg) {
  auto cb = static_cast<SignalWatcher*>(arg)->cb_;
  cb();
}

bool LogThrottle::allow(uint64_t* held_back) {
  double now = monotonic_now();
  if (now - last_ < interval_) {
    held_back_++;
    return false;
  }
  last_ = now;
  *held_back = held_back_;
  held_back_ = 0;
  return true;
}

// ---------------------------------------------------------------------------
// Listener

namespace {
// How long accepting pauses when not even the reserve descriptor can be had.
constexpr double kAcceptPause = 1.0;
// Connections refused per wakeup while out of descriptors: the rest wait for
// the next turn of the loop, so that a flood cannot keep the reactor here.
constexpr int kMaxShedPerWakeup = 1024;

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

bool out_of_descriptors(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Errors of the one pending connection that accept() consumed (accept(2) says
// to treat them like EAGAIN): nothing is left behind to spin on.
bool connection_error(int err) {
  switch (err) {
    case ENETDOWN:
    case EPROTO:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case EPERM:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}
}  // namespace

Listener::Listener(EventLoop& loop, std::string name, AcceptFn on_accept)
    : loop_(loop), name_(std::move(name)), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
  if (lev_ != nullptr) evconnlistener_free(lev_);
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

bool Listener::listen(int fd, int backlog, std::string* error) {
  lev_ = evconnlistener_new(loop_.base(), &Listener::accept_trampoline, this,
                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, backlog, fd);
  if (lev_ == nullptr) {
    *error = "cannot listen on the " + name_ + ": " + strerror(errno);
    ::close(fd);
    return false;
  }
  evconnlistener_set_error_cb(lev_, &Listener::error_trampoline);
  spare_fd_ = open_spare();
  resume_ = std::make_unique<Timer>(loop_, [this] {
    if (spare_fd_ < 0) spare_fd_ = open_spare();
    evconnlistener_enable(lev_);
  });
  return true;
}

void Listener::accept_trampoline(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len,
                                 void* arg) {
  static_cast<Listener*>(arg)->on_accept_(fd, sa, len);
}

void Listener::error_trampoline(evconnlistener*, void* arg) {
  static_cast<Listener*>(arg)->on_error();
}

// libevent calls this when accept() failed with anything but EAGAIN, EINTR or
// ECONNABORTED; errno is still accept's.
void Listener::on_error() {
  int err = errno;
  if (out_of_descriptors(err)) {
    shed_backlog(err);
    return;
  }
  uint64_t held_back = 0;
  if (log_throttle_.allow(&held_back)) {
    CTDB_LOGF(kLogError, "accept on the %s failed: %s", name_.c_str(), strerror(err));
  }
  if (connection_error(err)) return;
  // Anything else may well fail again at once: do not retry it in a tight loop.
  evconnlistener_disable(lev_);
  resume_->start(kAcceptPause);
}

void Listener::shed_backlog(int err) {
  int listen_fd = evconnlistener_get_fd(lev_);
  uint64_t refused = 0;
  for (int i = 0; i < kMaxShedPerWakeup && spare_fd_ >= 0; i++) {
    ::close(spare_fd_);
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      refused++;
    }
    spare_fd_ = open_spare();
    if (fd < 0) break;  // the backlog is empty (or the table is full elsewhere too)
  }
  refused_ += refused;
  uint64_t held_back = 0;
  if (log_throttle_.allow(&held_back)) {
    CTDB_LOGF(kLogError,
              "Out of file descriptors on the %s (%s): %llu connection(s) closed unserved so far",
              name_.c_str(), strerror(err), static_cast<unsigned long long>(refused_));
  }
  if (spare_fd_ < 0) {
    // Not even the reserve could be had back (ENFILE: the whole system is
    // out): stop listening for a while rather than spin on the backlog.
    evconnlistener_disable(lev_);
    resume_->start(kAcceptPause);
  }
}

// ---------------------------------------------------------------------------
// PacketStream

namespace {
// Most packets are small; one read of this size takes many of them at once.
// The buffer grows for a larger packet and shrinks back once it is consumed.
constexpr size_t kReadBuffer = 64 * 1024;
// A drained output backlog larger than this gives its memory back.
constexpr size_t kKeepOutCapacity = 1024 * 1024;

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
}  // namespace

void PacketStream::Disposer::operator()(PacketStream* s) const { s->dispose(); }

PacketStream::Ptr PacketStream::open(EventLoop& loop, int fd, Handler& handler,
                                     const Limits& limits) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  return Ptr(new PacketStream(loop, fd, handler, limits));
}

PacketStream::PacketStream(EventLoop& loop, int fd, Handler& handler, const Limits& limits)
    : loop_(loop), fd_(fd), handler_(handler), limits_(limits) {
  rev_ = event_new(loop.base(), fd, EV_READ | EV_PERSIST, &PacketStream::on_read_event, this);
  wev_ = event_new(loop.base(), fd, EV_WRITE | EV_PERSIST, &PacketStream::on_write_event, this);
  if (rev_ == nullptr || wev_ == nullptr) std::abort();  // out of memory
  event_add(rev_, nullptr);
}

PacketStream::~PacketStream() {
  if (rev_) event_free(rev_);
  if (wev_) event_free(wev_);
  if (fd_ >= 0) ::close(fd_);
}

void PacketStream::dispose() {
  if (in_flush_list_) {
    auto& l = loop_.to_flush_;
    l.erase(std::remove(l.begin(), l.end(), this), l.end());
    in_flush_list_ = false;
  }
  if (!busy_) {
    delete this;
    return;
  }
  // Inside our own callback: stop everything now, free when it returns.
  event_del(rev_);
  event_del(wev_);
  ::close(fd_);
  fd_ = -1;
  dead_ = true;
}

void PacketStream::on_read_event(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<PacketStream*>(arg);
  s->busy_ = true;
  {
    EventLoop::Batch batch(s->loop_);
    s->read_some();
  }
  s->busy_ = false;
  if (s->dead_) delete s;
}

void PacketStream::on_write_event(evutil_socket_t, short, void* arg) {
  auto* s = static_cast<PacketStream*>(arg);
  s->busy_ = true;
  if (s->failed_) {
    s->set_write_armed(false);
    s->report(s->fail_why_.c_str(), s->fail_misbehaved_);
  } else {
    s->flush();
    if (!s->failed_ && !s->dead_ && s->limits_.drain_mark != 0 &&
        s->queued() <= s->limits_.drain_mark) {
      s->handler_.on_drained();
    }
  }
  s->busy_ = false;
  if (s->dead_) delete s;
}

void PacketStream::report(const char* why, bool misbehaved) {
  if (reported_) return;
  reported_ = true;
  // Level-triggered: an unread EOF would wake us forever if the handler
  // kept the stream.
  event_del(rev_);
  set_write_armed(false);
  handler_.on_stream_error(why, misbehaved);
}

// Makes room for the next read: moves a partial packet to the front and
// grows the buffer when that packet is larger than it.
bool PacketStream::make_room() {
  size_t have = in_tail_ - in_head_;
  if (have == 0) {
    in_head_ = in_tail_ = 0;
    if (in_cap_ > kReadBuffer) {  // a big packet is gone: give its memory back
      in_.reset();
      in_cap_ = 0;
    }
  }
  if (in_cap_ == 0 && loop_.spare_in_) {  // nothing pending: use the loop's spare buffer
    in_ = std::move(loop_.spare_in_);
    in_cap_ = kReadBuffer;
  }
  size_t need = kReadBuffer;
  if (have >= 4) {
    // The whole packet, but at most twice what has arrived of it: a length
    // field alone (dispatch() has checked it against the Limits) does not
    // commit the memory it announces; a real large packet grows the buffer
    // by doubling as it comes in.
    need = std::max(need, std::min<size_t>(le32(in_.get() + in_head_), 2 * have));
  }
  if (need <= in_cap_ && in_tail_ == in_cap_ && in_head_ == 0) need = 2 * in_cap_;  // no room
  if (need > in_cap_) {
    std::unique_ptr<uint8_t[]> bigger(new (std::nothrow) uint8_t[need]);
    if (!bigger) return false;
    if (have > 0) memcpy(bigger.get(), in_.get() + in_head_, have);
    in_ = std::move(bigger);
    in_cap_ = need;
    in_head_ = 0;
    in_tail_ = have;
  } else if (in_head_ > 0 && in_cap_ - in_tail_ < in_cap_ / 4) {
    memmove(in_.get(), in_.get() + in_head_, have);
    in_head_ = 0;
    in_tail_ = have;
  }
  return true;
}

void PacketStream::read_some() {
  read_rounds();
  // Nothing pending: the buffer goes back to the loop for the next stream
  // that reads, so that idle connections (thousands of clients) hold none.
  if (in_head_ == in_tail_ && in_cap_ == kReadBuffer && !loop_.spare_in_) {
    loop_.spare_in_ = std::move(in_);
    in_cap_ = in_head_ = in_tail_ = 0;
  }
}

void PacketStream::read_rounds() {
  // A read that fills the buffer probably left more behind: take it now
  // rather than after another epoll_wait, but only a few rounds so that one
  // busy peer cannot starve the others.
  for (int round = 0; round < 4; round++) {
    if (!make_room()) {
      report("out of memory for an incoming packet", false);
      return;
    }
    size_t room = in_cap_ - in_tail_;
    ssize_t n = ::read(fd_, in_.get() + in_tail_, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      report(strerror(errno), false);
      return;
    }
    if (n == 0) {
      report("closed by peer", false);
      return;
    }
    bytes_received_ += static_cast<uint64_t>(n);
    if (!limits_.input_allowed) {
      report("unexpected data", true);
      return;
    }
    in_tail_ += static_cast<size_t>(n);
    if (!dispatch() || static_cast<size_t>(n) < room) return;
  }
}

// Hands every complete packet to the handler; false when reading must stop.
bool PacketStream::dispatch() {
  while (in_tail_ - in_head_ >= 4) {
    const uint8_t* p = in_.get() + in_head_;
    uint32_t len = le32(p);
    if (len < kHeaderSize || len > limits_.max_packet ||
        (limits_.aligned && len % kPacketAlignment != 0)) {
      char why[64];
      snprintf(why, sizeof(why), "bad packet length %u", len);
      report(why, true);
      return false;
    }
    if (in_tail_ - in_head_ < len) break;
    // Consumed before the call: the handler may destroy us (the buffer stays
    // until our callback returns) or stop reading.
    in_head_ += len;
    // A failed stream (its backlog went over the limit while answering) is
    // only waiting for its error to be reported: read nothing more from it.
    if (!handler_.on_packet(p, len) || dead_ || reported_ || failed_) return false;
  }
  if (in_head_ == in_tail_) in_head_ = in_tail_ = 0;
  return true;
}

void PacketStream::append(const uint8_t* data, size_t len) {
  if (out_head_ > 0 && out_head_ == out_.size()) {
    out_.clear();
    out_head_ = 0;
  }
  out_.insert(out_.end(), data, data + len);
}

void PacketStream::send(const uint8_t* data, size_t len) {
  if (dead_ || failed_ || reported_ || len == 0) return;
  if (limits_.max_backlog != 0 && queued() >= limits_.max_backlog) {
    char why[96];
    snprintf(why, sizeof(why), "more than %zu bytes of output left unread", limits_.max_backlog);
    fail(why, true);
    return;
  }
  if (queued() > 0) {  // behind a backlog that is already being written
    append(data, len);
    return;
  }
  if (loop_.batch_depth_ > 0) {
    append(data, len);
    if (!in_flush_list_) {
      in_flush_list_ = true;
      loop_.to_flush_.push_back(this);
    }
    return;
  }
  while (len > 0) {
    ssize_t n = ::send(fd_, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail(strerror(errno), false);
      return;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  if (len > 0) {
    append(data, len);
    set_write_armed(true);
  }
}

void PacketStream::flush() {
  if (failed_ || fd_ < 0) return;
  while (queued() > 0) {
    ssize_t n = ::send(fd_, out_.data() + out_head_, queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail(strerror(errno), false);
      return;
    }
    out_head_ += static_cast<size_t>(n);
  }
  if (queued() > 0) {
    // A peer that keeps up only partly: drop what was written so that the
    // backlog does not grow by everything ever sent.
    if (out_head_ > kKeepOutCapacity && out_head_ > queued()) {
      out_.erase(out_.begin(), out_.begin() + static_cast<ptrdiff_t>(out_head_));
      out_head_ = 0;
    }
    set_write_armed(true);
    return;
  }
  out_head_ = 0;
  out_.clear();
  if (out_.capacity() > kKeepOutCapacity) out_.shrink_to_fit();
  set_write_armed(false);
}

void PacketStream::set_write_armed(bool on) {
  if (on == write_armed_ || fd_ < 0) return;
  write_armed_ = on;
  if (on) {
    event_add(wev_, nullptr);
  } else {
    event_del(wev_);
  }
}

// A write error (the peer is gone) or a backlog over the limit. Like
// bufferevent did, the error reaches the handler from the loop, never from
// inside send(): callers that send in a loop over clients must not see clients
// vanish under them.
void PacketStream::fail(const char* why, bool misbehaved) {
  if (failed_) return;
  failed_ = true;
  fail_misbehaved_ = misbehaved;
  fail_why_ = why;
  out_.clear();
  out_.shrink_to_fit();
  out_head_ = 0;
  set_write_armed(false);
  event_active(wev_, EV_WRITE, 0);
}

}  // namespace ctdb::daemon
