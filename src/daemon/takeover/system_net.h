// What IP takeover needs from the host's network stack: is an address configured here, does an
// interface exist, and sending gratuitous ARPs and TCP tickles. One real implementation; tests
// of the takeover logic use a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "protocol/types.h"

namespace ctdb::daemon::takeover {

class SystemNet {
 public:
  virtual ~SystemNet() = default;
  // The address is configured on one of this host's interfaces (it can be bound, as 4.17 checks).
  virtual bool have_ip(const proto::SockAddr& addr) = 0;
  virtual bool iface_exists(const std::string& name) = 0;
  // Announces that `addr` is now here: a gratuitous ARP request and reply (IPv4) or an
  // unsolicited neighbour advertisement (IPv6) on `iface`. 0 or an errno; nothing is sent (and
  // 0 returned) on a loopback interface, as in 4.17.
  virtual int send_arp(const proto::SockAddr& addr, const std::string& iface) = 0;
  // Sends one TCP segment from `src` to `dst` through a raw socket; 0 or an errno.
  virtual int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq,
                       uint32_t ack, bool rst) = 0;
};

// The host's own network stack (raw sockets need root, as ctdbd runs).
std::unique_ptr<SystemNet> make_system_net();

}  // namespace ctdb::daemon::takeover
