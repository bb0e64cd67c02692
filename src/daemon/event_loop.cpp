// RAII wrappers over the libevent reactor (see event_loop.h).
#include "daemon/event_loop.h"

#include <cmath>
#include <cstdlib>

namespace ctdb::daemon {

EventLoop::EventLoop() : base_(event_base_new()) {
  if (!base_) std::abort();  // out of memory or fds at startup: nothing to recover
}

int EventLoop::run() { return event_base_dispatch(base_.get()); }

void EventLoop::stop() { event_base_loopbreak(base_.get()); }

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

}  // namespace ctdb::daemon
