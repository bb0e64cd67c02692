// Host-side helpers for proto::SockAddr: the kernel's sockaddr form for
// bind()/connect(), checks against the addresses and interfaces of this host,
// and the ADDR/MASK syntax of the public addresses file.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/types.h"

namespace ctdb {

// The node-to-node TCP port when the nodes file names none (4.17 CTDB_PORT).
constexpr uint16_t kDefaultCtdbPort = 4379;

// An address laid out as the kernel wants it, for bind()/connect(). len is 0
// for an empty address, which makes those calls fail rather than guess.
struct KernelSockaddr {
  explicit KernelSockaddr(const proto::SockAddr& addr)
      : len(static_cast<socklen_t>(addr.to_sockaddr(&storage))) {}
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }

  sockaddr_storage storage;  // filled (and zeroed) by to_sockaddr
  socklen_t len;
};

// True if the address (port ignored) is one of the addresses currently
// configured on an interface of this host (getifaddrs). If iface is given
// it receives the interface name. Use this for "is the public IP up here".
bool is_configured_locally(const proto::SockAddr& addr, std::string* iface = nullptr);

// True if a TCP socket can bind to the address (port ignored). This is how
// 4.17 decides which nodes-file entry is this node; unlike
// is_configured_locally it accepts any 127.x.y.z (the whole of 127/8 is
// local on Linux) and addresses made bindable by ip_nonlocal_bind.
bool can_bind_locally(const proto::SockAddr& addr);

// True if a network interface of that name exists (if_nametoindex).
bool interface_exists(const std::string& name);

// Parses "ADDR/MASK" (public addresses, addip); the address gets port 0.
// MASK must be within 0..32 for IPv4 and 0..128 for IPv6. Returns false on
// any error and then leaves *addr and *mask alone.
bool parse_addr_mask(std::string_view text, proto::SockAddr* addr, unsigned* mask);

}  // namespace ctdb
