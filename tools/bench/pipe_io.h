// Whole-record writes and reads on the pipes between a benchmark parent and its children
// (ctdb_bench, ctdb_fill).
#pragma once

#include <errno.h>
#include <unistd.h>

#include <cstddef>

namespace ctdb::bench {

// Writes all n bytes; false on an error or a pipe closed at the other end.
inline bool write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t r = write(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Reads exactly n bytes, waiting as long as it takes; false on EOF or an error.
inline bool read_all(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

}  // namespace ctdb::bench
