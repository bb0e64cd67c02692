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
    s->report(s->fail_why_.c_str(), false);
  } else {
    s->flush();
  }
  s->busy_ = false;
  if (s->dead_) delete s;
}

void PacketStream::report(const char* why, bool framing) {
  if (reported_) return;
  reported_ = true;
  // Level-triggered: an unread EOF would wake us forever if the handler
  // kept the stream.
  event_del(rev_);
  set_write_armed(false);
  handler_.on_stream_error(why, framing);
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
  size_t need = kReadBuffer;
  if (have >= 4) need = std::max<size_t>(need, le32(in_.get() + in_head_));
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
    if (!handler_.on_packet(p, len) || dead_ || reported_) return false;
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
      fail(strerror(errno));
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
      fail(strerror(errno));
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

// A write error: the peer is gone. Like bufferevent did, the error reaches
// the handler from the loop, never from inside send(): callers that send in a
// loop over clients must not see clients vanish under them.
void PacketStream::fail(const char* why) {
  if (failed_) return;
  failed_ = true;
  fail_why_ = why;
  out_.clear();
  out_.shrink_to_fit();
  out_head_ = 0;
  set_write_armed(false);
  event_active(wev_, EV_WRITE, 0);
}

}  // namespace ctdb::daemon
