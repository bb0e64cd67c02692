// Raw network operations behind IP takeover, for the daemon and the ctdb tool: is an address
// configured on this host, does an interface exist, gratuitous ARPs and TCP tickles. Raw
// sockets need root, as ctdbd and its admins have.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/types.h"

namespace ctdb::raw_net {

// The address is configured on one of this host's interfaces (it can be bound, as 4.17 checks).
bool have_ip(const proto::SockAddr& addr);
bool iface_exists(const std::string& name);
// Announces that `addr` is here: a gratuitous ARP request and reply (IPv4) or an unsolicited
// neighbour advertisement (IPv6) on `iface`. 0 or an errno; nothing is sent (and 0 returned)
// on a loopback interface, as in 4.17.
int send_arp(const proto::SockAddr& addr, const std::string& iface);
// One TCP segment from `src` to `dst`; 0 or an errno.
int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq, uint32_t ack,
             bool rst);

}  // namespace ctdb::raw_net
