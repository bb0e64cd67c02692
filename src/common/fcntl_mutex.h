// The cluster lock on a file, held as 4.17's ctdb_mutex_fcntl_helper holds
// it; shared by ctdbd's own lock child and our ctdb_mutex_fcntl_helper.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace ctdb {

// 4.17's mutex helper protocol: the first byte a helper writes.
constexpr char kMutexHeld = '0';
constexpr char kMutexContended = '1';
constexpr char kMutexTimeout = '2';
constexpr char kMutexError = '3';

// Opens (creating) `path` and tries a non-blocking fcntl write lock on its
// first byte, then writes the answer to `out_fd`: kMutexHeld, kMutexContended,
// or kMutexError followed by what failed ('o' open, 'l' lock, 's' stat) and
// errno as a native int, in one write (4.17 reads only the first byte).
// After kMutexHeld it holds the lock until `out_fd` is closed by the reader,
// the process is no longer the child of `parent`, or (every `recheck_ms`
// milliseconds, 0 for never) `path` is found removed or replaced; it then
// exits, 2 for a replaced file and 0 otherwise. Never returns. Makes only
// async-signal-safe calls, so it may run in a child of a threaded process.
[[noreturn]] void hold_fcntl_mutex(const char* path, int out_fd, pid_t parent, int64_t recheck_ms,
                                   int64_t start_delay_ms);

}  // namespace ctdb
