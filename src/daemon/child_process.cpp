// Forked helpers, the child-side reset and exit watching; see child_process.h.
#include "daemon/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "daemon/event_loop.h"

namespace ctdb::daemon {

namespace {
// Without a pidfd the exit is noticed this much later at worst.
constexpr double kExitPollInterval = 0.05;
}  // namespace

pid_t fork_reporting_child(const std::function<void(int write_fd)>& body, int* read_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(fds[0]);
    close(fds[1]);
    errno = saved;
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(1);  // body must not return; if it does, the parent sees a failed child
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  *read_fd = fds[0];
  return pid;
}

void reset_child_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void restore_child_scheduling() {
  sched_param p{};
  p.sched_priority = 0;
  sched_setscheduler(0, SCHED_OTHER, &p);
}

void close_fds_from(int first) {
  if (syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = first; fd < (max > 0 ? max : 65536); fd++) close(static_cast<int>(fd));
}

ChildWatch::ChildWatch(EventLoop& loop, pid_t pid, ExitFn on_exit)
    : pid_(pid), on_exit_(std::move(on_exit)) {
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ >= 0) {
    watcher_ = std::make_unique<FdWatcher>(loop, pidfd_, [this] { check(); });
  } else {
    poll_ = std::make_unique<Timer>(loop, [this] { check(); });
    poll_->start(kExitPollInterval, true);
  }
}

ChildWatch::~ChildWatch() {
  watcher_.reset();
  if (pidfd_ >= 0) close(pidfd_);
}

void ChildWatch::check() {
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return;      // still running (a spurious wake-up)
  if (r < 0) status = -1;  // reaped elsewhere: the status is lost
  watcher_.reset();
  poll_.reset();
  // Copy: the callback may destroy this watch.
  ExitFn fn = on_exit_;
  fn(status);
}

}  // namespace ctdb::daemon
