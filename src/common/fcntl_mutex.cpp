// The fcntl cluster lock holder (see fcntl_mutex.h).
#include "common/fcntl_mutex.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ctdb {
namespace {

// How often the holder looks for its parent when no file check is due.
constexpr int kParentCheckMs = 1000;

int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

void write_byte(int fd, char c) {
  while (write(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

void write_error(int fd, char stage, int err) {
  char buf[2 + sizeof(int)] = {kMutexError, stage};
  memcpy(buf + 2, &err, sizeof(err));
  while (write(fd, buf, sizeof(buf)) < 0 && errno == EINTR) {
  }
}

}  // namespace

void hold_fcntl_mutex(const char* path, int out_fd, pid_t parent, int64_t recheck_ms,
                      int64_t start_delay_ms) {
  if (start_delay_ms > 0) {
    timespec ts{start_delay_ms / 1000, (start_delay_ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
  }

  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    write_error(out_fd, 'o', errno);
    _exit(1);
  }
  struct flock lk {};
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  lk.l_start = 0;
  lk.l_len = 1;
  if (fcntl(fd, F_SETLK, &lk) != 0) {
    if (errno == EACCES || errno == EAGAIN) {
      write_byte(out_fd, kMutexContended);
    } else {
      write_error(out_fd, 'l', errno);
    }
    _exit(1);
  }
  struct stat held {};
  if (fstat(fd, &held) != 0) {
    write_error(out_fd, 's', errno);
    _exit(1);
  }
  write_byte(out_fd, kMutexHeld);

  // Hold the lock. The file is checked with stat(), never by opening and
  // closing it again: closing any descriptor of the file would drop the lock.
  int64_t next_check = recheck_ms > 0 ? now_ms() + recheck_ms : -1;
  for (;;) {
    int wait_ms = kParentCheckMs;
    if (next_check >= 0) {
      wait_ms = static_cast<int>(std::clamp<int64_t>(next_check - now_ms(), 0, kParentCheckMs));
    }
    pollfd pfd{out_fd, 0, 0};  // POLLERR/POLLHUP: the reader closed its end
    if (poll(&pfd, 1, wait_ms) > 0 && (pfd.revents & (POLLERR | POLLHUP)) != 0) _exit(0);
    if (getppid() != parent) _exit(0);
    if (next_check >= 0 && now_ms() >= next_check) {
      struct stat now {};
      if (stat(path, &now) != 0 || now.st_ino != held.st_ino || now.st_dev != held.st_dev) {
        _exit(2);
      }
      next_check = now_ms() + recheck_ms;
    }
  }
}

}  // namespace ctdb
