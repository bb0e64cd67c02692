// Starting a script as the daemon's child (event scripts, the debug script,
// the notification script) and collecting what it prints.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/child_process.h"
#include "daemon/event_loop.h"

namespace ctdb::daemon::monitor {

// Forks and execs argv[0] with `argv`, in a process group of its own, with
// stdin from /dev/null, stdout and stderr into a pipe whose read end (non
// blocking, close-on-exec) goes to *out_fd, no other descriptor of the
// daemon, default signal handling, and the daemon's environment with `env`
// (NAME=value) added or replacing. A failed exec prints why and exits 126.
// Returns the pid, or -1 with errno set.
pid_t spawn_script(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   int* out_fd);

// Appends what `fd` has now to *out (keeping at most kMaxScriptOutput bytes).
// False at end of file or on an error other than "would block".
constexpr size_t kMaxScriptOutput = 64 * 1024;
bool drain_output(int fd, std::string* out);

// Logs `output` line by line, each prefixed with "who: ".
void log_output(int level, const std::string& who, const std::string& output);

// A started script as the reactor sees it: collects what it prints and
// reports its exit (after reading what it wrote before exiting; a child it
// left running may hold the pipe, and is not waited for). Destroying it
// stops watching; it never kills by itself.
class ScriptChild {
 public:
  using ExitFn = std::function<void(int wait_status)>;
  // Spawns argv with env (see spawn_script); null with errno set on failure.
  static std::unique_ptr<ScriptChild> start(EventLoop& loop, const std::vector<std::string>& argv,
                                            const std::vector<std::string>& env, ExitFn on_exit);
  ~ScriptChild();
  ScriptChild(const ScriptChild&) = delete;
  ScriptChild& operator=(const ScriptChild&) = delete;

  pid_t pid() const { return pid_; }
  // What it has printed so far, read up to now.
  const std::string& output();
  // Who hears the exit from now on (a script handed on after a timeout).
  void set_on_exit(ExitFn on_exit) { on_exit_ = std::move(on_exit); }
  // Signals its whole process group.
  void kill_group(int sig) const;

 private:
  ScriptChild(EventLoop& loop, pid_t pid, int out_fd, ExitFn on_exit);
  void read();
  void close_output();
  void exited(int wait_status);

  pid_t pid_;
  int out_fd_;
  std::string output_;
  ExitFn on_exit_;
  std::unique_ptr<FdWatcher> out_watch_;
  std::unique_ptr<ChildWatch> watch_;
};

}  // namespace ctdb::daemon::monitor
