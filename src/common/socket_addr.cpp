// Host-side helpers for proto::SockAddr (see socket_addr.h).
#include "common/socket_addr.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>

#include <memory>
#include <optional>

namespace ctdb {

bool is_configured_locally(const proto::SockAddr& addr, std::string* iface) {
  if (addr.empty()) return false;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, freeifaddrs);
  for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    // getifaddrs gives no lengths; the family says how big the entry is.
    size_t len = ifa->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::optional<proto::SockAddr> a = proto::SockAddr::from_sockaddr(ifa->ifa_addr, len);
    if (a && a->same_ip(addr)) {
      if (iface != nullptr) *iface = ifa->ifa_name;
      return true;
    }
  }
  return false;
}

bool can_bind_locally(const proto::SockAddr& addr) {
  if (addr.empty()) return false;
  proto::SockAddr probe = addr;
  probe.port = 0;  // any free port: only the address is in question
  KernelSockaddr k(probe);
  int fd = ::socket(probe.family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return false;
  bool ok = ::bind(fd, k.sa(), k.len) == 0;
  ::close(fd);
  return ok;
}

bool interface_exists(const std::string& name) {
  return !name.empty() && if_nametoindex(name.c_str()) != 0;
}

bool parse_addr_mask(std::string_view text, proto::SockAddr* addr, unsigned* mask) {
  size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view m = text.substr(slash + 1);
  if (m.empty() || m.size() > 3) return false;
  unsigned v = 0;
  for (char c : m) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  std::optional<proto::SockAddr> a = proto::SockAddr::parse(std::string(text.substr(0, slash)));
  if (!a) return false;
  if (v > (a->is_ipv4() ? 32u : 128u)) return false;
  *addr = *a;
  *mask = v;
  return true;
}

}  // namespace ctdb
