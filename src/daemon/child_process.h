// Forked helper processes that report to the daemon through a pipe (the
// traverse and vacuum walkers): one place for the pipe, the fork and the
// descriptor hand-over.
#pragma once

#include <sys/types.h>

#include <functional>

namespace ctdb::daemon {

// Creates a pipe and forks. The child runs body(write_fd), which must not
// return (it ends with _exit). The parent gets the child's pid and, in
// *read_fd, the read end (non-blocking, close-on-exec); on failure -1 is
// returned, errno is set and nothing is left open.
pid_t fork_reporting_child(const std::function<void(int write_fd)>& body, int* read_fd);

}  // namespace ctdb::daemon
