// IPv4/IPv6 socket addresses: parsing and formatting as CTDB writes them,
// comparison, and checks against the addresses configured on this host.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctdb {

// The node-to-node TCP port when the nodes file names none (4.17 CTDB_PORT).
constexpr uint16_t kDefaultCtdbPort = 4379;

// An AF_INET or AF_INET6 address with a port (network stack form inside).
// A default-constructed SockAddr is empty (family AF_UNSPEC).
class SockAddr {
 public:
  SockAddr();

  // Parses an address without a port: "10.1.1.1", "fe80::1", "[fe80::1]".
  // An IPv4-mapped IPv6 address ("::ffff:10.1.1.1") becomes plain IPv4, as
  // in 4.17, so that the two spellings compare equal. Port is 0.
  static std::optional<SockAddr> parse(std::string_view text);

  // Parses "ADDR:PORT" where ADDR is IPv4, bracketed IPv6 or (as 4.17
  // allows) bare IPv6 with the port after the last ':'. The port is required.
  static std::optional<SockAddr> parse_with_port(std::string_view text);

  // Parses an address with an optional port: "10.1.1.1", "10.1.1.1:4380",
  // "fe80::1", "[fe80::1]", "[fe80::1]:4380". A bare IPv6 address never
  // carries a port here. Without a port the result has default_port.
  static std::optional<SockAddr> parse_maybe_port(std::string_view text, uint16_t default_port);

  // Builds from a kernel sockaddr (accept(), getifaddrs()); nullopt for
  // families other than AF_INET/AF_INET6 or a short length.
  static std::optional<SockAddr> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool empty() const { return family() == AF_UNSPEC; }
  bool is_ipv4() const { return family() == AF_INET; }
  bool is_ipv6() const { return family() == AF_INET6; }
  int family() const { return storage_.ss_family; }

  uint16_t port() const;  // host byte order
  void set_port(uint16_t port);

  // The address as inet_ntop writes it, without port ("10.1.1.1", "fe80::1").
  std::string ip_string() const;
  // With port: "10.1.1.1:4379" or "[fe80::1]:4379".
  std::string to_string() const;

  // Same address, ports ignored (4.17 ctdb_same_ip).
  bool same_ip(const SockAddr& other) const;
  // Same address and port (4.17 ctdb_same_sockaddr).
  bool operator==(const SockAddr& other) const;
  bool operator!=(const SockAddr& other) const { return !(*this == other); }
  // A total order (family, address bytes, port) for maps and sorting.
  bool operator<(const SockAddr& other) const;

  // The raw address bytes: 4 for IPv4, 16 for IPv6, in network order.
  const uint8_t* ip_bytes() const;
  size_t ip_size() const;

  // For connect()/bind(): the sockaddr and its exact length.
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t sa_len() const;
  const sockaddr_in& ipv4() const { return *reinterpret_cast<const sockaddr_in*>(&storage_); }
  const sockaddr_in6& ipv6() const { return *reinterpret_cast<const sockaddr_in6*>(&storage_); }

  // True if the address (port ignored) is one of the addresses currently
  // configured on an interface of this host (getifaddrs). If iface is given
  // it receives the interface name. Use this for "is the public IP up here".
  bool is_configured_locally(std::string* iface = nullptr) const;

  // True if a TCP socket can bind to the address (port ignored). This is how
  // 4.17 decides which nodes-file entry is this node; unlike
  // is_configured_locally it accepts any 127.x.y.z (the whole of 127/8 is
  // local on Linux) and addresses made bindable by ip_nonlocal_bind.
  bool can_bind_locally() const;

  // True if a network interface of that name exists (if_nametoindex).
  static bool interface_exists(const std::string& name);

 private:
  sockaddr_storage storage_;
};

// Parses "ADDR/MASK" (public addresses, addip). MASK must be within 0..32 for
// IPv4 and 0..128 for IPv6. Returns false on any error.
bool parse_addr_mask(std::string_view text, SockAddr* addr, unsigned* mask);

}  // namespace ctdb
