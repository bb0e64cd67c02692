// Error reporting of the client library (see log.h).
#include "client/log.h"

#include <cstdarg>
#include <cstdio>

namespace ctdb::client {
namespace {
LogLevel g_level = LogLevel::kError;
}  // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log(LogLevel level, const char* fmt, ...) {
  if (static_cast<int>(level) > static_cast<int>(g_level)) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

}  // namespace ctdb::client
