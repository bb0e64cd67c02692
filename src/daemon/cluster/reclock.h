// The recovery lock (4.17's "cluster lock"): a forked child takes a
// non-blocking fcntl lock on a file, or runs a mutex helper, and holds it
// while the daemon's reactor waits on a pipe.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"

namespace ctdb::daemon::cluster {

// Takes and holds the recovery lock without ever blocking the reactor.
//
// take() forks a child that opens (creating) the file and tries a
// non-blocking write lock on its first byte. The child reports one byte on a
// pipe, as 4.17's ctdb_mutex_fcntl_helper does: '0' held, '1' contended, '3'
// error (4.17's parent uses '2' for its own timeout). After '0' the child
// keeps the lock until it is killed, its parent goes away (pipe closed or
// getppid() changed), or the lock file is removed or replaced (re-checked
// every recheck_interval seconds by comparing device and inode); it then
// exits, which the parent sees as EOF on the pipe and reports as kLost.
//
// A lock of the form "!COMMAND ARGS" runs COMMAND (split at blanks, no
// shell, no PATH search) as 4.17's mutex helper: its standard output is the
// pipe, its first byte the answer ('2' is the helper's own timeout), EOF
// after '0' is kLost, and release() sends it SIGTERM so that it can let go
// (Debian's ctdb_mutex_fcntl_helper, our own, or an etcd helper).
//
// fcntl locks belong to processes, so two RecoveryLock objects in one process
// really do contend: each lock is held by its own child.
class RecoveryLock {
 public:
  enum class Status {
    kHeld,       // the lock is ours until release() or kLost
    kContended,  // another process holds it
    kError,      // the file could not be opened or locked, the child failed,
                 // or no answer came within the timeout
    kLost,       // after kHeld: the child died or the lock file went away
  };
  using Callback = std::function<void(Status)>;

  struct Options {
    double timeout = 0;            // seconds to wait for the child's answer; 0 = no limit
    double recheck_interval = 5;   // seconds between the child's lock file checks; 0 = never
    double child_start_delay = 0;  // tests: the child waits this long before locking,
                                   // standing in for a slow cluster filesystem
  };

  // `loop` must outlive this object.
  explicit RecoveryLock(EventLoop& loop);
  // Releases the lock (kills the child) without calling back.
  ~RecoveryLock();
  RecoveryLock(const RecoveryLock&) = delete;
  RecoveryLock& operator=(const RecoveryLock&) = delete;

  // Starts taking the lock on `path`. `cb` is called from the reactor, never
  // from inside take(): once with kHeld, kContended or kError, and after kHeld
  // at most once more with kLost. It may destroy this object. Returns false
  // (and never calls back) when a take is already pending or held, or when
  // the pipe or fork fails.
  bool take(const std::string& path, const Options& options, Callback cb);
  // Gives the lock up (or abandons a pending take): kills the child with
  // SIGKILL and reaps it without waiting. No callback follows.
  void release();

  bool pending() const { return state_ == State::kPending; }
  bool held() const { return state_ == State::kHeld; }
  // The lock child, or -1 (tests, logs).
  pid_t child_pid() const { return child_; }
  const std::string& path() const { return path_; }
  // Why the last take ended in kError ("open: Permission denied", ...).
  const std::string& error() const { return error_; }

  static const char* status_name(Status status);

 private:
  enum class State { kIdle, kPending, kHeld };

  void on_readable();
  std::string describe_error(const char* buf, ssize_t n) const;
  void on_timeout();
  // Stops watching, closes the pipe and kills and reaps the child.
  void cleanup();
  // Retries waitpid(WNOHANG) on killed children not reaped yet.
  void reap();

  EventLoop& loop_;
  State state_ = State::kIdle;
  std::string path_;
  std::string error_;
  Callback cb_;
  pid_t child_ = -1;
  bool helper_ = false;        // the child runs a "!COMMAND" mutex helper
  int kill_signal_ = SIGKILL;  // how release() ends the child
  int pipe_fd_ = -1;
  std::unique_ptr<FdWatcher> watcher_;
  Timer timeout_timer_;
  Timer reap_timer_;
  std::vector<pid_t> unreaped_;
};

}  // namespace ctdb::daemon::cluster
