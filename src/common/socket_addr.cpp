// SockAddr: parse/format/compare IPv4 and IPv6 addresses and ask the kernel
// whether an address belongs to this host.
#include "common/socket_addr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>

#include <cstring>
#include <memory>

namespace ctdb {
namespace {

// Longer than any textual IPv6 address; longer input is rejected outright.
constexpr size_t kMaxAddrText = 63;

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool parse_port(std::string_view s, uint16_t* port) {
  if (!all_digits(s)) return false;
  unsigned v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

SockAddr::SockAddr() { std::memset(&storage_, 0, sizeof(storage_)); }

std::optional<SockAddr> SockAddr::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddrText) return std::nullopt;
  SockAddr a;
  if (text.find(':') == std::string_view::npos) {
    std::string s(text);
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage_);
    if (inet_pton(AF_INET, s.c_str(), &in->sin_addr) != 1) return std::nullopt;
    in->sin_family = AF_INET;
    return a;
  }
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::string s(text);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, s.c_str(), &in6->sin6_addr) != 1) return std::nullopt;
  in6->sin6_family = AF_INET6;
  if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
    // Store v4-mapped addresses as IPv4 so both spellings are one address.
    in_addr v4;
    std::memcpy(&v4, &in6->sin6_addr.s6_addr[12], 4);
    SockAddr b;
    auto* in = reinterpret_cast<sockaddr_in*>(&b.storage_);
    in->sin_family = AF_INET;
    in->sin_addr = v4;
    return b;
  }
  return a;
}

std::optional<SockAddr> SockAddr::parse_with_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  uint16_t port = 0;
  if (!parse_port(text.substr(colon + 1), &port)) return std::nullopt;
  std::optional<SockAddr> a = parse(text.substr(0, colon));
  if (!a) return std::nullopt;
  a->set_port(port);
  return a;
}

std::optional<SockAddr> SockAddr::parse_maybe_port(std::string_view text, uint16_t default_port) {
  std::optional<SockAddr> a;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    if (close + 1 == text.size()) {
      a = parse(text);
      if (a) a->set_port(default_port);
      return a;
    }
    if (text[close + 1] != ':') return std::nullopt;
    return parse_with_port(text);
  }
  size_t colons = 0;
  for (char c : text) colons += (c == ':');
  if (colons == 1) return parse_with_port(text);  // IPv4:PORT
  a = parse(text);
  if (a) a->set_port(default_port);
  return a;
}

std::optional<SockAddr> SockAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr) return std::nullopt;
  SockAddr a;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in));
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&a.storage_, sa, sizeof(sockaddr_in6));
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      SockAddr b;
      auto* in = reinterpret_cast<sockaddr_in*>(&b.storage_);
      in->sin_family = AF_INET;
      in->sin_port = in6->sin6_port;
      std::memcpy(&in->sin_addr, &in6->sin6_addr.s6_addr[12], 4);
      return b;
    }
    return a;
  }
  return std::nullopt;
}

uint16_t SockAddr::port() const {
  if (is_ipv4()) return ntohs(ipv4().sin_port);
  if (is_ipv6()) return ntohs(ipv6().sin6_port);
  return 0;
}

void SockAddr::set_port(uint16_t port) {
  if (is_ipv4()) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (is_ipv6()) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SockAddr::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (is_ipv4()) inet_ntop(AF_INET, &ipv4().sin_addr, buf, sizeof(buf));
  if (is_ipv6()) inet_ntop(AF_INET6, &ipv6().sin6_addr, buf, sizeof(buf));
  return buf;
}

std::string SockAddr::to_string() const {
  if (is_ipv6()) return "[" + ip_string() + "]:" + std::to_string(port());
  return ip_string() + ":" + std::to_string(port());
}

const uint8_t* SockAddr::ip_bytes() const {
  if (is_ipv4()) return reinterpret_cast<const uint8_t*>(&ipv4().sin_addr);
  if (is_ipv6()) return ipv6().sin6_addr.s6_addr;
  return nullptr;
}

size_t SockAddr::ip_size() const { return is_ipv4() ? 4 : is_ipv6() ? 16 : 0; }

socklen_t SockAddr::sa_len() const {
  if (is_ipv4()) return sizeof(sockaddr_in);
  if (is_ipv6()) return sizeof(sockaddr_in6);
  return 0;
}

bool SockAddr::same_ip(const SockAddr& other) const {
  if (family() != other.family()) return false;
  if (empty()) return true;
  return std::memcmp(ip_bytes(), other.ip_bytes(), ip_size()) == 0;
}

bool SockAddr::operator==(const SockAddr& other) const {
  return same_ip(other) && port() == other.port();
}

bool SockAddr::operator<(const SockAddr& other) const {
  if (family() != other.family()) return family() < other.family();
  int c = empty() ? 0 : std::memcmp(ip_bytes(), other.ip_bytes(), ip_size());
  if (c != 0) return c < 0;
  return port() < other.port();
}

bool SockAddr::is_configured_locally(std::string* iface) const {
  if (empty()) return false;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, freeifaddrs);
  for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    socklen_t len =
        ifa->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::optional<SockAddr> a = from_sockaddr(ifa->ifa_addr, len);
    if (a && a->same_ip(*this)) {
      if (iface != nullptr) *iface = ifa->ifa_name;
      return true;
    }
  }
  return false;
}

bool SockAddr::can_bind_locally() const {
  if (empty()) return false;
  SockAddr probe = *this;
  probe.set_port(0);
  int fd = ::socket(family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return false;
  bool ok = ::bind(fd, probe.sa(), probe.sa_len()) == 0;
  ::close(fd);
  return ok;
}

bool SockAddr::interface_exists(const std::string& name) {
  return !name.empty() && if_nametoindex(name.c_str()) != 0;
}

bool parse_addr_mask(std::string_view text, SockAddr* addr, unsigned* mask) {
  size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return false;
  std::string_view m = text.substr(slash + 1);
  if (m.empty() || m.size() > 3) return false;
  unsigned v = 0;
  for (char c : m) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  std::optional<SockAddr> a = SockAddr::parse(text.substr(0, slash));
  if (!a) return false;
  if (v > (a->is_ipv4() ? 32u : 128u)) return false;
  *addr = *a;
  *mask = v;
  return true;
}

}  // namespace ctdb
