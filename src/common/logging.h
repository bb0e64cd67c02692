// The process-wide logger: 4.17 debug level numbers and names, and one
// destination (file, stderr, syslog or a callback) with 4.17's line format.
#pragma once

#include <sys/time.h>
#include <sys/types.h>

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace ctdb {

// Debug levels as 4.17 numbers them on the wire (SET_DEBUG / GET_DEBUG) and
// on the command line. Levels between the named ones are valid too: 2 reads
// as WARNING, 4 as NOTICE, 6..9 as INFO. Valid levels are 0..10.
enum LogLevel : int {
  kLogError = 0,
  kLogWarning = 1,
  kLogNotice = 3,
  kLogInfo = 5,
  kLogDebug = 10,
};
constexpr int kLogLevelMax = 10;

// Parses a level as `ctdb setdebug` and ctdb.conf do: a number 0..10, or a
// case-insensitive prefix of ERROR, WARNING, NOTICE, INFO, DEBUG ("warn",
// "n"). Returns false for anything else.
bool parse_debug_level(std::string_view text, int* level);

// The name `ctdb getdebug` prints for a level: "ERROR", "WARNING", "NOTICE",
// "INFO" or "DEBUG"; "UNKNOWN" outside 0..10.
const char* debug_level_name(int level);

namespace logging {

// Where log lines go. Switching destination closes the previous one.
// Appends to `path` (created 0644 if missing); false with *error on failure.
bool to_file(const std::string& path, std::string* error);
// Lines go to stderr (the default before any setup).
void to_stderr();
// Lines go to syslog(3), facility LOG_DAEMON, with the program name and PID.
void to_syslog();
// Lines go to fn(level, message) without prefix; for tests and in-memory
// log buffers.
void to_callback(std::function<void(int level, std::string_view message)> fn);

// Reopens the log file (after logrotate moved it); no-op for other
// destinations. Returns false if the file cannot be opened again.
bool reopen();

// Messages with a level above this are dropped. Default kLogNotice.
void set_level(int level);
int level();
inline bool enabled(int lvl) { return lvl <= level(); }

// The "ctdbd" in "ctdbd[PID]"; a forked helper may set its own name.
void set_program_name(const std::string& name);
// The host field; defaults to gethostname(). 4.17 uses basename of
// CTDB_BASE in test mode so that several local nodes can be told apart.
void set_hostname(const std::string& name);

// Logs one message (a trailing newline is optional) if `lvl` is enabled.
// The line is written with a single write(2) on an O_APPEND descriptor, so
// a forked child may log concurrently with its parent without torn lines;
// the PID is taken at each call.
void write(int lvl, std::string_view message);
void printf(int lvl, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// The file/stderr line for a message, without the trailing newline:
// "2024-01-01T12:00:00.123456+01:00 HOST PROG[PID]: MESSAGE", the format of
// 4.17's file logging (local time with UTC offset, microseconds).
std::string format_line(const timeval& tv, std::string_view host, std::string_view prog, pid_t pid,
                        std::string_view message);

// Collects a stream-style message and logs it when destroyed.
class Line {
 public:
  explicit Line(int lvl) : level_(lvl) {}
  ~Line() { write(level_, stream_.str()); }
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  template <typename T>
  Line& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  int level_;
  std::ostringstream stream_;
};

// Turns `Line(...) << a << b` into a void expression for CTDB_LOG's ternary;
// & binds more loosely than <<, so the whole chain is built first.
struct Voidify {
  void operator&(const Line&) {}
};

}  // namespace logging
}  // namespace ctdb

// Stream style: CTDB_LOG(ctdb::kLogNotice) << "node " << pnn << " is up";
// The operands are not evaluated when the level is disabled. The ternary
// form (not if/else) keeps `if (x) CTDB_LOG(l) << y;` free of a dangling else.
#define CTDB_LOG(lvl)                                   \
  !::ctdb::logging::enabled(lvl) ? static_cast<void>(0) \
                                 : ::ctdb::logging::Voidify() & ::ctdb::logging::Line(lvl)

// printf style: CTDB_LOGF(ctdb::kLogError, "bad packet from %u", pnn);
#define CTDB_LOGF(lvl, ...)                                                       \
  do {                                                                            \
    if (::ctdb::logging::enabled(lvl)) ::ctdb::logging::printf(lvl, __VA_ARGS__); \
  } while (0)
