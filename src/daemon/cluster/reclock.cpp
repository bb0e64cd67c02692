// Recovery lock through a forked fcntl lock holder (see reclock.h). The child
// side only makes async-signal-safe calls: the parent may have other threads.
#include "daemon/cluster/reclock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "daemon/child_process.h"

namespace ctdb::daemon::cluster {

namespace {

constexpr char kHeldByte = '0';
constexpr char kContendedByte = '1';
constexpr char kErrorByte = '3';
constexpr double kReapInterval = 0.05;
constexpr int kParentCheckMs = 1000;

// Children killed by RecoveryLocks that were destroyed before the child
// could be reaped; any later reap() collects them.
std::vector<pid_t>& orphans() {
  static std::vector<pid_t> list;
  return list;
}

// Removes from `pids` every child that has exited (or is not ours any more,
// e.g. collected by a catch-all reaper elsewhere in the daemon).
void reap_list(std::vector<pid_t>* pids) {
  pids->erase(std::remove_if(pids->begin(), pids->end(),
                             [](pid_t pid) {
                               int status;
                               pid_t r = waitpid(pid, &status, WNOHANG);
                               return r == pid || (r < 0 && errno != EINTR);
                             }),
              pids->end());
}

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void write_byte(int fd, char c) {
  while (write(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

// An error answer: the error byte, what failed ('o' open, 'l' lock, 's' stat)
// and errno, in one write so that the parent reads them together.
void write_error(int fd, char stage, int err) {
  char buf[6] = {kErrorByte, stage};
  memcpy(buf + 2, &err, sizeof(err));
  while (write(fd, buf, sizeof(buf)) < 0 && errno == EINTR) {
  }
}

// The lock holder. Never returns.
[[noreturn]] void lock_child(const char* path, int pipe_fd, pid_t parent, int64_t recheck_ms,
                             int64_t start_delay_ms) {
  // Signals go back to their defaults so that the reactor's handlers (which
  // write into the daemon's own wakeup socket) never run here.
  reset_child_signals();
  // Keep nothing of the daemon open: its sockets and other children's pipes
  // must not outlive it through us.
  if (pipe_fd > 3) close_range(3, pipe_fd - 1, 0);
  close_range(pipe_fd + 1, ~0U, 0);

  if (start_delay_ms > 0) {
    timespec ts{start_delay_ms / 1000, (start_delay_ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
  }

  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    write_error(pipe_fd, 'o', errno);
    _exit(1);
  }
  struct flock lk {};
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  lk.l_start = 0;
  lk.l_len = 1;
  if (fcntl(fd, F_SETLK, &lk) != 0) {
    if (errno == EACCES || errno == EAGAIN) {
      write_byte(pipe_fd, kContendedByte);
    } else {
      write_error(pipe_fd, 'l', errno);
    }
    _exit(1);
  }
  struct stat held {};
  if (fstat(fd, &held) != 0) {
    write_error(pipe_fd, 's', errno);
    _exit(1);
  }
  write_byte(pipe_fd, kHeldByte);

  // Hold the lock. Note the file is checked with stat(), never by opening
  // and closing it again: closing any descriptor of the file would drop our
  // fcntl lock.
  int64_t next_check = recheck_ms > 0 ? now_ms() + recheck_ms : -1;
  for (;;) {
    int wait_ms = kParentCheckMs;
    if (next_check >= 0) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(next_check - now_ms(), 0, kParentCheckMs));
    }
    pollfd pfd{pipe_fd, 0, 0};  // POLLERR/POLLHUP: the parent closed its end
    if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & (POLLERR | POLLHUP)) != 0) _exit(0);
    if (getppid() != parent) _exit(0);
    if (next_check >= 0 && now_ms() >= next_check) {
      struct stat now {};
      if (stat(path, &now) != 0 || now.st_ino != held.st_ino || now.st_dev != held.st_dev) {
        _exit(2);
      }
      next_check = now_ms() + recheck_ms;
    }
  }
}

int64_t to_ms(double seconds) {
  return seconds > 0 ? static_cast<int64_t>(std::llround(seconds * 1000)) : 0;
}

}  // namespace

RecoveryLock::RecoveryLock(EventLoop& loop)
    : loop_(loop),
      timeout_timer_(loop, [this] { on_timeout(); }),
      reap_timer_(loop, [this] { reap(); }) {}

RecoveryLock::~RecoveryLock() {
  cleanup();
  reap_list(&unreaped_);
  // Killed but not yet gone: leave them for another lock's reaper.
  orphans().insert(orphans().end(), unreaped_.begin(), unreaped_.end());
}

const char* RecoveryLock::status_name(Status status) {
  switch (status) {
    case Status::kHeld:
      return "held";
    case Status::kContended:
      return "contended";
    case Status::kError:
      return "error";
    case Status::kLost:
      return "lost";
  }
  return "unknown";
}

bool RecoveryLock::take(const std::string& path, const Options& options, Callback cb) {
  if (state_ != State::kIdle) return false;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  // Everything the child needs is computed before fork: after it, only
  // async-signal-safe calls.
  const char* cpath = path.c_str();
  pid_t parent = getpid();
  int64_t recheck_ms = to_ms(options.recheck_interval);
  int64_t delay_ms = to_ms(options.child_start_delay);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    lock_child(cpath, fds[1], parent, recheck_ms, delay_ms);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);

  path_ = path;
  cb_ = std::move(cb);
  child_ = pid;
  pipe_fd_ = fds[0];
  state_ = State::kPending;
  watcher_ = std::make_unique<FdWatcher>(loop_, pipe_fd_, [this] { on_readable(); });
  if (options.timeout > 0) timeout_timer_.start(options.timeout);
  return true;
}

void RecoveryLock::release() { cleanup(); }

void RecoveryLock::on_readable() {
  char buf[6] = {};
  ssize_t n = read(pipe_fd_, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  char c = buf[0];

  Status status;
  if (state_ == State::kPending) {
    timeout_timer_.stop();
    error_.clear();
    if (n >= 1 && c == kHeldByte) {
      state_ = State::kHeld;
      // Copy: the callback may destroy us.
      Callback cb = cb_;
      cb(Status::kHeld);
      return;
    }
    // Anything but '0' (including EOF: the child died before answering).
    status = (n >= 1 && c == kContendedByte) ? Status::kContended : Status::kError;
    if (status == Status::kError) error_ = describe_error(buf, n);
  } else if (state_ == State::kHeld) {
    if (n > 0) return;  // stray output; only the child's exit matters now
    status = Status::kLost;
  } else {
    return;
  }
  Callback cb = std::move(cb_);
  cleanup();
  cb(status);
}

std::string RecoveryLock::describe_error(const char* buf, ssize_t n) {
  if (n < static_cast<ssize_t>(2 + sizeof(int)) || buf[0] != kErrorByte) {
    return "the lock holder process failed";
  }
  int err;
  memcpy(&err, buf + 2, sizeof(err));
  const char* what = buf[1] == 'o' ? "open" : buf[1] == 'l' ? "fcntl lock" : "fstat";
  return std::string(what) + ": " + strerror(err);
}

void RecoveryLock::on_timeout() {
  if (state_ != State::kPending) return;
  error_ = "no answer from the lock holder process (slow file system?)";
  Callback cb = std::move(cb_);
  cleanup();
  cb(Status::kError);
}

void RecoveryLock::cleanup() {
  timeout_timer_.stop();
  watcher_.reset();
  if (pipe_fd_ >= 0) {
    close(pipe_fd_);
    pipe_fd_ = -1;
  }
  if (child_ > 0) {
    kill(child_, SIGKILL);
    unreaped_.push_back(child_);
    child_ = -1;
  }
  state_ = State::kIdle;
  cb_ = nullptr;
  reap();
}

void RecoveryLock::reap() {
  reap_list(&unreaped_);
  reap_list(&orphans());
  if (unreaped_.empty() && orphans().empty()) {
    reap_timer_.stop();
  } else if (!reap_timer_.pending()) {
    reap_timer_.start(kReapInterval, true);
  }
}

}  // namespace ctdb::daemon::cluster
