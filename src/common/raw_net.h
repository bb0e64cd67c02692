// Raw network operations behind IP takeover, for the daemon and the ctdb tool: gratuitous
// ARPs and TCP tickles (whether an address or interface is here: common/socket_addr.h). Raw
// sockets need root, as ctdbd and its admins have.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/types.h"

namespace ctdb::raw_net {

// Announces that `addr` is here: a gratuitous ARP request and reply (IPv4) or an unsolicited
// neighbour advertisement (IPv6) on `iface`. 0 or an errno; nothing is sent (and 0 returned)
// on a loopback interface, as in 4.17.
int send_arp(const proto::SockAddr& addr, const std::string& iface);
// One TCP segment from `src` to `dst`; 0 or an errno.
int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq, uint32_t ack,
             bool rst);

}  // namespace ctdb::raw_net
