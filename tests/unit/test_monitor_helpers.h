// Helpers shared by the monitoring unit tests: log capture, reading the files
// the test scripts write, waiting on the real EventLoop with a deadline, and
// killing what a failed test left running.
#pragma once

#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "daemon/event_loop.h"

namespace ctdb::daemon::monitor {

// Routes the daemon log into memory (INFO and up) while alive.
class LogCapture {
 public:
  LogCapture() : saved_level_(logging::level()) {
    logging::set_level(kLogInfo);
    logging::to_callback([this](int, std::string_view m) { lines_.emplace_back(m); });
  }
  ~LogCapture() {
    logging::to_stderr();
    logging::set_level(saved_level_);
  }
  size_t count(const std::string& needle) const {
    size_t n = 0;
    for (const auto& l : lines_) n += l.find(needle) != std::string::npos;
    return n;
  }
  std::string all() const {
    std::string s;
    for (const auto& l : lines_) s += l + "\n";
    return s;
  }

 private:
  int saved_level_;
  std::vector<std::string> lines_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline pid_t read_pid(const std::string& path) {
  std::string text = read_text(path);
  return text.empty() ? -1 : static_cast<pid_t>(atoi(text.c_str()));
}

// Gone, or a zombie nobody reaped yet (an orphan waits for init).
inline bool pid_gone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return stat.empty() ||
         (paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z');
}

inline std::string with_tmp(std::string text, const std::string& tmp) {
  for (size_t at = text.find("@T"); at != std::string::npos; at = text.find("@T", at)) {
    text.replace(at, 2, tmp);
    at += tmp.size();
  }
  return text;
}

// Runs the loop until cond() holds, checking every 10 ms; false (and a test
// failure naming `what`) when `limit` seconds pass first.
inline bool spin_until(EventLoop& loop, const std::function<bool()>& cond, double limit,
                       const std::string& what) {
  if (cond()) return true;
  bool expired = false;
  Timer check(loop, [&] {
    if (cond()) loop.stop();
  });
  Timer deadline(loop, [&] {
    expired = true;
    ADD_FAILURE() << "timed out after " << limit << " s waiting for: " << what;
    loop.stop();
  });
  check.start(0.01, true);
  deadline.start(limit);
  loop.run();
  return !expired && cond();
}

inline size_t count_lines(const std::string& path, const std::string& line) {
  size_t n = 0;
  for (const auto& l : read_lines(path)) n += l == line;
  return n;
}

// Kills what a failed test may have left: every *.pid file in `dir` names a
// process that may lead its own group.
inline void kill_recorded(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".pid") continue;
    pid_t pid = read_pid(e.path().string());
    if (pid > 1) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
  }
}

}  // namespace ctdb::daemon::monitor
