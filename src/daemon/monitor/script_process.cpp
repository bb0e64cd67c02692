// Script children and their output; see script_process.h.
#include "daemon/monitor/script_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/logging.h"
#include "daemon/child_process.h"

extern char** environ;

namespace ctdb::daemon::monitor {

pid_t spawn_script(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   int* out_fd) {
  // Everything the child needs is built before the fork.
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; e++) {
    std::string var = *e;
    std::string key = var.substr(0, var.find('=') + 1);
    bool replaced = std::any_of(env.begin(), env.end(),
                                [&](const std::string& s) { return s.rfind(key, 0) == 0; });
    if (!replaced) vars.push_back(std::move(var));
  }
  vars.insert(vars.end(), env.begin(), env.end());
  std::vector<char*> envp, args;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = fork_reporting_child(
      [&](int out) {
        // Its own process group, so that a timeout kills everything it started.
        setpgid(0, 0);
        reset_child_signals();
        restore_child_scheduling();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        close_fds_from(3);
        execve(args[0], args.data(), envp.data());
        dprintf(STDERR_FILENO, "cannot execute %s: %s\n", args[0], strerror(errno));
        _exit(126);
      },
      out_fd);
  // Here too: the parent may signal the group before the child ran.
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

bool drain_output(int fd, std::string* out) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      size_t room = kMaxScriptOutput - std::min(kMaxScriptOutput, out->size());
      out->append(buf, std::min(room, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

void log_output(int level, const std::string& who, const std::string& output) {
  size_t pos = 0;
  while (pos < output.size()) {
    size_t nl = output.find('\n', pos);
    if (nl == std::string::npos) nl = output.size();
    if (nl > pos) {
      CTDB_LOGF(level, "%s: %.*s", who.c_str(), static_cast<int>(nl - pos), output.data() + pos);
    }
    pos = nl + 1;
  }
}

std::unique_ptr<ScriptChild> ScriptChild::start(EventLoop& loop,
                                                const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env,
                                                ExitFn on_exit) {
  int out_fd = -1;
  pid_t pid = spawn_script(argv, env, &out_fd);
  if (pid < 0) return nullptr;
  return std::unique_ptr<ScriptChild>(new ScriptChild(loop, pid, out_fd, std::move(on_exit)));
}

ScriptChild::ScriptChild(EventLoop& loop, pid_t pid, int out_fd, ExitFn on_exit)
    : pid_(pid), out_fd_(out_fd), on_exit_(std::move(on_exit)) {
  out_watch_ = std::make_unique<FdWatcher>(loop, out_fd_, [this] { read(); });
  watch_ = std::make_unique<ChildWatch>(loop, pid_, [this](int st) { exited(st); });
}

ScriptChild::~ScriptChild() { close_output(); }

const std::string& ScriptChild::output() {
  if (out_fd_ >= 0) read();
  return output_;
}

void ScriptChild::kill_group(int sig) const { kill(-pid_, sig); }

void ScriptChild::read() {
  if (!drain_output(out_fd_, &output_)) close_output();  // end of output; the exit comes apart
}

void ScriptChild::close_output() {
  out_watch_.reset();
  if (out_fd_ >= 0) close(out_fd_);
  out_fd_ = -1;
}

void ScriptChild::exited(int wait_status) {
  if (out_fd_ >= 0) {
    drain_output(out_fd_, &output_);
    close_output();
  }
  watch_.reset();
  // Copy: the callback may destroy this object.
  ExitFn fn = on_exit_;
  fn(wait_status);
}

}  // namespace ctdb::daemon::monitor
