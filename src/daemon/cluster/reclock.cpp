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

#include "common/fcntl_mutex.h"
#include "daemon/child_process.h"

namespace ctdb::daemon::cluster {

namespace {

constexpr double kReapInterval = 0.05;

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
  hold_fcntl_mutex(path, pipe_fd, parent, recheck_ms, start_delay_ms);
}

// A mutex helper ("!COMMAND ARGS"): its standard output is the pipe, as 4.17
// runs it. If it cannot be started, the pipe gets kMutexError, 'e' and errno.
[[noreturn]] void helper_child(char* const* argv, int pipe_fd, int devnull) {
  reset_child_signals();
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  if (pipe_fd != STDOUT_FILENO) dup2(pipe_fd, STDOUT_FILENO);
  close_range(3, ~0U, 0);
  execv(argv[0], argv);
  char buf[2 + sizeof(int)] = {kMutexError, 'e'};
  int err = errno;
  memcpy(buf + 2, &err, sizeof(err));
  while (write(STDOUT_FILENO, buf, sizeof(buf)) < 0 && errno == EINTR) {
  }
  _exit(1);
}

// "!COMMAND ARGS" split at blanks, as 4.17 splits it; empty for a plain file.
std::vector<std::string> helper_args(const std::string& lock) {
  std::vector<std::string> out;
  if (lock.empty() || lock[0] != '!') return out;
  size_t i = 1;
  while (i < lock.size()) {
    size_t start = lock.find_first_not_of(" \t", i);
    if (start == std::string::npos) break;
    size_t end = lock.find_first_of(" \t", start);
    if (end == std::string::npos) end = lock.size();
    out.push_back(lock.substr(start, end - start));
    i = end;
  }
  return out;
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
  std::vector<std::string> args = helper_args(path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int devnull = args.empty() ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    if (devnull >= 0) close(devnull);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    if (!args.empty()) helper_child(argv.data(), fds[1], devnull);
    lock_child(cpath, fds[1], parent, recheck_ms, delay_ms);
  }
  close(fds[1]);
  if (devnull >= 0) close(devnull);
  // A helper is asked to let go with SIGTERM (an etcd helper revokes its lease); our own
  // child holds nothing but a file lock and is killed outright.
  kill_signal_ = args.empty() ? SIGKILL : SIGTERM;
  helper_ = !args.empty();
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
    if (n >= 1 && c == kMutexHeld) {
      state_ = State::kHeld;
      // Copy: the callback may destroy us.
      Callback cb = cb_;
      cb(Status::kHeld);
      return;
    }
    // Anything but '0' (including EOF: the child died before answering).
    status = (n >= 1 && c == kMutexContended) ? Status::kContended : Status::kError;
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

std::string RecoveryLock::describe_error(const char* buf, ssize_t n) const {
  const char* who = helper_ ? "the mutex helper" : "the lock holder process";
  if (n >= 1 && buf[0] == kMutexTimeout) return std::string(who) + " timed out";
  if (n < static_cast<ssize_t>(2 + sizeof(int)) || buf[0] != kMutexError) {
    if (n >= 1 && buf[0] == kMutexError) return std::string(who) + " reported an error";
    if (n >= 1) return std::string(who) + " answered '" + std::string(1, buf[0]) + "'";
    return std::string(who) + " exited without an answer";
  }
  int err;
  memcpy(&err, buf + 2, sizeof(err));
  const char* what = buf[1] == 'o'   ? "open"
                     : buf[1] == 'l' ? "fcntl lock"
                     : buf[1] == 'e' ? "exec"
                                     : "fstat";
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
    kill(child_, kill_signal_);
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
