// Binding a listening Unix domain socket (see unix_socket.h).
#include "daemon/unix_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ctdb::daemon {
namespace {

bool fill_sockaddr(const std::string& path, sockaddr_un* sun) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  if (path.size() >= sizeof(sun->sun_path)) return false;
  memcpy(sun->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// True if something accepts connections on the socket at `path`.
bool socket_in_use(const sockaddr_un& sun) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool in_use = connect(fd, reinterpret_cast<const sockaddr*>(&sun), sizeof(sun)) == 0;
  ::close(fd);
  return in_use;
}

}  // namespace

int bind_unix_socket(const std::string& path, const char* what, std::string* error) {
  sockaddr_un sun;
  if (!fill_sockaddr(path, &sun)) {
    *error = "socket path too long: " + path;
    return -1;
  }
  if (socket_in_use(sun)) {
    *error = std::string("another ") + what + " is already running on socket " + path;
    return -1;
  }
  unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return -1;
  }
  // Owner-only from the moment the name exists.
  mode_t old = umask(0077);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun));
  umask(old);
  if (rc != 0 || chmod(path.c_str(), 0700) != 0) {
    *error = "cannot bind socket " + path + ": " + strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace ctdb::daemon
