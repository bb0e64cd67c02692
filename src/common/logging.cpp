// Logger implementation: one process-wide destination, lines formatted like
// 4.17's file log and written with one write(2) each.
#include "common/logging.h"

#include <fcntl.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace ctdb {
namespace {

// What `ctdb getdebug` prints for each level 0..10 (4.17 fills the gaps
// between the named levels with the name below).
const char* const kLevelNames[kLogLevelMax + 1] = {
    "ERROR", "WARNING", "WARNING", "NOTICE", "NOTICE", "INFO",
    "INFO",  "INFO",    "INFO",    "INFO",   "DEBUG",
};

// The names setdebug accepts, in the order a prefix is tried ("d" is DEBUG).
struct NamedLevel {
  const char* name;
  int level;
};
const NamedLevel kNames[] = {
    {"ERROR", kLogError}, {"WARNING", kLogWarning}, {"NOTICE", kLogNotice},
    {"INFO", kLogInfo},   {"DEBUG", kLogDebug},
};

enum class Dest { kStderr, kFile, kSyslog, kCallback };

struct State {
  Dest dest = Dest::kStderr;
  int fd = -1;  // the log file when dest == kFile
  std::string path;
  int level = kLogNotice;
  std::string prog = "ctdbd";
  std::string host;
  std::function<void(int, std::string_view)> callback;
};

State& state() {
  // Leaked on purpose: logging must keep working in static destructors and
  // in children that leave with _exit().
  static State* s = new State();
  return *s;
}

const std::string& hostname() {
  State& s = state();
  if (s.host.empty()) {
    char buf[256] = "";
    if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
      std::strcpy(buf, "localhost");
    }
    s.host = buf;
  }
  return s.host;
}

void close_current() {
  State& s = state();
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  if (s.dest == Dest::kSyslog) closelog();
  s.callback = nullptr;
}

int open_log(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

// Writes all of buf; a log line lost to EINTR or a short write would be
// confusing, anything else is dropped silently (there is nowhere to report).
void write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += n;
    len -= static_cast<size_t>(n);
  }
}

int syslog_priority(int lvl) {
  if (lvl <= 0) return LOG_ERR;
  if (lvl == 1) return LOG_WARNING;
  if (lvl <= 5) return LOG_NOTICE;
  if (lvl <= 9) return LOG_INFO;
  return LOG_DEBUG;
}

}  // namespace

bool parse_debug_level(std::string_view text, int* level) {
  if (text.empty()) return false;
  if (text[0] >= '0' && text[0] <= '9') {
    if (text.size() > 2) return false;
    int v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > kLogLevelMax) return false;
    *level = v;
    return true;
  }
  for (const NamedLevel& n : kNames) {
    if (text.size() <= std::strlen(n.name) && strncasecmp(n.name, text.data(), text.size()) == 0) {
      *level = n.level;
      return true;
    }
  }
  return false;
}

const char* debug_level_name(int level) {
  if (level < 0 || level > kLogLevelMax) return "UNKNOWN";
  return kLevelNames[level];
}

namespace logging {

bool to_file(const std::string& path, std::string* error) {
  int fd = open_log(path);
  if (fd < 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  close_current();
  State& s = state();
  s.dest = Dest::kFile;
  s.fd = fd;
  s.path = path;
  return true;
}

void to_stderr() {
  close_current();
  state().dest = Dest::kStderr;
}

void to_syslog() {
  close_current();
  State& s = state();
  s.dest = Dest::kSyslog;
  // openlog keeps the pointer, and s.prog lives as long as the process.
  openlog(s.prog.c_str(), LOG_PID, LOG_DAEMON);
}

void to_callback(std::function<void(int, std::string_view)> fn) {
  close_current();
  State& s = state();
  s.dest = Dest::kCallback;
  s.callback = std::move(fn);
}

bool reopen() {
  State& s = state();
  if (s.dest != Dest::kFile) return true;
  int fd = open_log(s.path);
  if (fd < 0) return false;
  // dup2 keeps the descriptor number, so a concurrent child's copy is not
  // disturbed and there is no moment without a log file.
  ::dup2(fd, s.fd);
  ::close(fd);
  return true;
}

void set_level(int lvl) { state().level = lvl; }
int level() { return state().level; }

void set_program_name(const std::string& name) {
  State& s = state();
  s.prog = name;
  if (s.dest == Dest::kSyslog) openlog(s.prog.c_str(), LOG_PID, LOG_DAEMON);
}

void set_hostname(const std::string& name) { state().host = name; }

std::string format_line(const timeval& tv, std::string_view host, std::string_view prog, pid_t pid,
                        std::string_view message) {
  struct tm tm;
  time_t secs = tv.tv_sec;
  localtime_r(&secs, &tm);
  char stamp[64];
  size_t n = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff / 60;  // minutes east of UTC
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  std::snprintf(stamp + n, sizeof(stamp) - n, ".%06ld%c%02ld:%02ld", static_cast<long>(tv.tv_usec),
                sign, off / 60, off % 60);
  std::string line;
  line.reserve(64 + host.size() + prog.size() + message.size());
  line += stamp;
  line += ' ';
  line += host;
  line += ' ';
  line += prog;
  line += '[';
  line += std::to_string(pid);
  line += "]: ";
  line += message;
  return line;
}

void write(int lvl, std::string_view message) {
  State& s = state();
  if (lvl > s.level) return;
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  switch (s.dest) {
    case Dest::kCallback:
      if (s.callback) s.callback(lvl, message);
      return;
    case Dest::kSyslog: {
      std::string m(message);
      syslog(syslog_priority(lvl), "%s", m.c_str());
      return;
    }
    case Dest::kFile:
    case Dest::kStderr: {
      timeval tv;
      gettimeofday(&tv, nullptr);
      std::string line = format_line(tv, hostname(), s.prog, getpid(), message);
      line += '\n';
      write_all(s.dest == Dest::kFile ? s.fd : STDERR_FILENO, line.data(), line.size());
      return;
    }
  }
}

void printf(int lvl, const char* fmt, ...) {
  if (!enabled(lvl)) return;
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(small)) {
    write(lvl, std::string_view(small, static_cast<size_t>(n)));
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(static_cast<size_t>(n));
  write(lvl, big);
}

}  // namespace logging
}  // namespace ctdb
