// Error reporting of the client library: one sink, to stderr by default, so
// that the tool prints the same diagnostics the Samba client library does.
#pragma once

namespace ctdb::client {

enum class LogLevel { kError = 0, kWarning = 1, kNotice = 2, kInfo = 3, kDebug = 4 };

// Messages above this level are dropped (the tool's -d option sets it).
void set_log_level(LogLevel level);
LogLevel log_level();

// printf-style; the caller supplies the trailing newline.
void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace ctdb::client
