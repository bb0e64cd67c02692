// Forked helper processes reporting through a pipe; see child_process.h.
#include "daemon/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

namespace ctdb::daemon {

pid_t fork_reporting_child(const std::function<void(int write_fd)>& body, int* read_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(fds[0]);
    close(fds[1]);
    errno = saved;
    return -1;
  }
  if (pid == 0) {
    close(fds[0]);
    body(fds[1]);
    _exit(1);  // body must not return; if it does, the parent sees a failed child
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  *read_fd = fds[0];
  return pid;
}

}  // namespace ctdb::daemon
