// The raw network packets a node sends when it takes over a public address: gratuitous ARP,
// the IPv6 unsolicited neighbour advertisement, and TCP "tickle" segments. Byte layout only
// (network order), no I/O; the daemon's takeover code sends them.
#pragma once

#include <array>
#include <cstdint>

#include "protocol/types.h"

namespace ctdb::proto {

using MacAddr = std::array<uint8_t, 6>;

// An Ethernet frame (64 bytes, zero padded) broadcasting that IPv4 address `ip` is at `mac`:
// an ARP request for the address itself, or (reply) an unsolicited ARP reply. 4.17 sends both.
// Empty for a non-IPv4 address.
Bytes gratuitous_arp(const SockAddr& ip, const MacAddr& mac, bool reply);

// An Ethernet frame with an IPv6 unsolicited neighbour advertisement (override flag, target
// link-layer address option) for `ip` at `mac`, to the all-nodes multicast group. Empty for a
// non-IPv6 address.
Bytes neighbour_advert(const SockAddr& ip, const MacAddr& mac);

// An IPv4 or IPv6 packet (header included) carrying one TCP segment from `src` to `dst` (both
// of one family, ports included) with ACK set, RST too when `rst`, window 1234. A segment with
// seq and ack 0 is a "tickle ACK": the peer answers with an ACK of its own, which the new
// owner of the address resets at once. Empty when the families differ or are not IP.
Bytes tcp_segment(const SockAddr& src, const SockAddr& dst, uint32_t seq, uint32_t ack, bool rst);

// The Internet checksum (RFC 1071) of `len` bytes, to be stored as it is returned (network
// order when written high byte first).
uint16_t inet_checksum(const uint8_t* data, size_t len, uint32_t initial = 0);

}  // namespace ctdb::proto
