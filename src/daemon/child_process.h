// Child processes of the daemon: forked helpers that report through a pipe
// (traverse and vacuum walkers), the reset a child needs before it runs
// foreign code, and watching a child's exit without blocking the reactor.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>

namespace ctdb::daemon {

class EventLoop;
class FdWatcher;
class Timer;

// Creates a pipe and forks. The child runs body(write_fd), which must not
// return (it ends with _exit). The parent gets the child's pid and, in
// *read_fd, the read end (non-blocking, close-on-exec); on failure -1 is
// returned, errno is set and nothing is left open.
pid_t fork_reporting_child(const std::function<void(int write_fd)>& body, int* read_fd);

// The same for a child that runs `run(job)` with job.out_fd set to the write end.
template <typename Job, typename Run>
pid_t fork_job_child(Job& job, Run run, int* read_fd) {
  return fork_reporting_child(
      [&job, run](int out_fd) {
        job.out_fd = out_fd;
        run(job);
      },
      read_fd);
}

// In a freshly forked child: default dispositions for every signal (the
// daemon ignores SIGPIPE, and an ignored signal stays ignored across exec)
// and an empty signal mask.
void reset_child_signals();

// In a freshly forked child: back to normal scheduling, since the daemon may
// run with real-time priority (which a child would inherit).
void restore_child_scheduling();

// In a freshly forked child: closes every descriptor from `first` up, so the
// daemon's sockets and other children's pipes do not live on in it.
void close_fds_from(int first);

// Watches one child until it exits and then reaps it, never blocking: a
// pidfd turns readable when the child exits; where pidfds are missing a timer
// polls waitpid(WNOHANG). on_exit gets the wait status and may destroy the
// watch. Destroying the watch earlier stops watching; the child is then
// neither killed nor reaped here.
class ChildWatch {
 public:
  using ExitFn = std::function<void(int wait_status)>;
  ChildWatch(EventLoop& loop, pid_t pid, ExitFn on_exit);
  ~ChildWatch();
  ChildWatch(const ChildWatch&) = delete;
  ChildWatch& operator=(const ChildWatch&) = delete;

  pid_t pid() const { return pid_; }

 private:
  void check();

  pid_t pid_;
  ExitFn on_exit_;
  int pidfd_ = -1;
  std::unique_ptr<FdWatcher> watcher_;
  std::unique_ptr<Timer> poll_;
};

}  // namespace ctdb::daemon
