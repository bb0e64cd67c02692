// ctdb_mutex_fcntl_helper FILE [RECHECK_INTERVAL]: 4.17's cluster lock
// helper for a lock file on a cluster file system. Prints one character
// ('0' held, '1' contended, '3' error) and, once it holds the lock, keeps it
// until it is killed (SIGTERM), its parent ctdbd goes away, or FILE is
// removed or replaced (checked every RECHECK_INTERVAL seconds, default 5,
// 0 never). Used as `cluster lock = !/usr/libexec/ctdb/ctdb_mutex_fcntl_helper FILE`.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common/fcntl_mutex.h"

namespace {

void usage(const char* prog) {
  fprintf(stderr, "Usage: %s FILE [RECHECK_INTERVAL]\n", prog);
  exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) usage(argv[0]);
  if (argc == 4) {
    // 4.17's third argument: give the lock up when a check of the file hangs that long.
    fprintf(stderr, "%s: ping timeout %s not supported, ignored\n", argv[0], argv[3]);
  }
  long recheck = 5;
  if (argc >= 3) {
    char* end = nullptr;
    errno = 0;
    recheck = strtol(argv[2], &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[2] || recheck < 0) usage(argv[0]);
  }
  ctdb::hold_fcntl_mutex(argv[1], STDOUT_FILENO, getppid(), int64_t{recheck} * 1000, 0);
}
