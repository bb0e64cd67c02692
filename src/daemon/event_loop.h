// RAII wrappers over the libevent reactor: the loop itself, timers, fd
// watchers and signal handlers. Everything the daemon does runs from these.
#pragma once

#include <event2/event.h>

#include <functional>
#include <memory>

namespace ctdb::daemon {

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

 private:
  struct Deleter {
    void operator()(event_base* b) const { event_base_free(b); }
  };
  std::unique_ptr<event_base, Deleter> base_;
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

}  // namespace ctdb::daemon
