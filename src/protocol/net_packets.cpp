// Raw ARP, neighbour advertisement and TCP packets (see net_packets.h).
#include "protocol/net_packets.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace ctdb::proto {
namespace {

constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr size_t kMinFrame = 64;  // what 4.17 sends: frames padded to 64 bytes
constexpr uint8_t kIcmpv6NeighbourAdvert = 136;
constexpr uint8_t kNdOptTargetLinkAddr = 2;
constexpr uint32_t kNaFlagOverride = 0x20000000;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint16_t kTickleWindow = 1234;  // easy to spot in a capture, as 4.17 chose

// Appends big-endian (network order) fields.
class NetWriter {
 public:
  explicit NetWriter(Bytes* out) : out_(out) {}
  void u8(uint8_t v) { out_->push_back(v); }
  void u16(uint16_t v) {
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void bytes(const uint8_t* p, size_t n) { out_->insert(out_->end(), p, p + n); }
  size_t size() const { return out_->size(); }
  void put_u16_at(size_t off, uint16_t v) {
    (*out_)[off] = static_cast<uint8_t>(v >> 8);
    (*out_)[off + 1] = static_cast<uint8_t>(v);
  }

 private:
  Bytes* out_;
};

uint32_t add_words(const uint8_t* p, size_t n, uint32_t sum) {
  for (; n >= 2; p += 2, n -= 2) sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
  if (n == 1) sum += static_cast<uint32_t>(p[0] << 8);
  return sum;
}

size_t ip_len(const SockAddr& a) { return a.is_ipv6() ? 16 : 4; }

// The part of an upper-layer checksum that covers the pseudo header.
uint32_t pseudo_header_sum(const SockAddr& src, const SockAddr& dst, uint8_t protocol,
                           uint32_t length) {
  uint32_t sum = add_words(src.addr.data(), ip_len(src), 0);
  sum = add_words(dst.addr.data(), ip_len(dst), sum);
  sum += protocol;
  sum += length >> 16;
  sum += length & 0xffff;
  return sum;
}

void ether_header(NetWriter& w, const uint8_t* dest, const MacAddr& src, uint16_t type) {
  w.bytes(dest, 6);
  w.bytes(src.data(), src.size());
  w.u16(type);
}

void pad_frame(Bytes* frame) {
  if (frame->size() < kMinFrame) frame->resize(kMinFrame, 0);
}

}  // namespace

uint16_t inet_checksum(const uint8_t* data, size_t len, uint32_t initial) {
  uint32_t sum = add_words(data, len, initial);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t result = static_cast<uint16_t>(~sum);
  // A computed 0 is sent as all ones, as UDP requires and 4.17 does for every protocol.
  return result == 0 ? 0xffff : result;
}

Bytes gratuitous_arp(const SockAddr& ip, const MacAddr& mac, bool reply) {
  Bytes frame;
  if (!ip.is_ipv4()) return frame;
  static const uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  NetWriter w(&frame);
  ether_header(w, kBroadcast, mac, kEtherTypeArp);
  w.u16(1);               // hardware: Ethernet
  w.u16(kEtherTypeIpv4);  // protocol: IPv4
  w.u8(6);
  w.u8(4);
  w.u16(reply ? 2 : 1);  // operation
  w.bytes(mac.data(), mac.size());
  w.bytes(ip.addr.data(), 4);
  static const uint8_t kNoMac[6] = {};
  w.bytes(reply ? mac.data() : kNoMac, 6);  // target hardware address
  w.bytes(ip.addr.data(), 4);               // target protocol address: the address itself
  pad_frame(&frame);
  return frame;
}

Bytes neighbour_advert(const SockAddr& ip, const MacAddr& mac) {
  Bytes frame;
  if (!ip.is_ipv6()) return frame;
  static const uint8_t kAllNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  static const uint8_t kAllNodesIp[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  constexpr uint16_t kPayload = 24 + 8;  // advertisement + target link-layer address option
  NetWriter w(&frame);
  ether_header(w, kAllNodesMac, mac, kEtherTypeIpv6);
  w.u32(6u << 28);  // version, traffic class, flow label
  w.u16(kPayload);
  w.u8(IPPROTO_ICMPV6);
  w.u8(255);  // hop limit: neighbour discovery requires 255
  w.bytes(ip.addr.data(), 16);
  w.bytes(kAllNodesIp, 16);
  size_t icmp = w.size();
  w.u8(kIcmpv6NeighbourAdvert);
  w.u8(0);
  w.u16(0);  // checksum, below
  w.u32(kNaFlagOverride);
  w.bytes(ip.addr.data(), 16);  // target
  w.u8(kNdOptTargetLinkAddr);
  w.u8(1);  // option length in units of 8 bytes
  w.bytes(mac.data(), mac.size());
  SockAddr all_nodes;
  all_nodes.family = AF_INET6;
  std::copy(kAllNodesIp, kAllNodesIp + 16, all_nodes.addr.begin());
  uint32_t sum = pseudo_header_sum(ip, all_nodes, IPPROTO_ICMPV6, kPayload);
  w.put_u16_at(icmp + 2, inet_checksum(frame.data() + icmp, kPayload, sum));
  pad_frame(&frame);
  return frame;
}

Bytes tcp_segment(const SockAddr& src, const SockAddr& dst, uint32_t seq, uint32_t ack, bool rst) {
  Bytes pkt;
  if (src.family != dst.family || !(src.is_ipv4() || src.is_ipv6())) return pkt;
  constexpr uint16_t kTcpHeader = 20;
  NetWriter w(&pkt);
  if (src.is_ipv4()) {
    w.u8(0x45);  // version 4, header of 5 words
    w.u8(0);
    w.u16(20 + kTcpHeader);
    w.u16(0);   // identification
    w.u16(0);   // flags, fragment offset
    w.u8(255);  // TTL
    w.u8(IPPROTO_TCP);
    w.u16(0);  // header checksum, below
    w.bytes(src.addr.data(), 4);
    w.bytes(dst.addr.data(), 4);
    w.put_u16_at(10, inet_checksum(pkt.data(), 20));
  } else {
    w.u32(6u << 28);
    w.u16(kTcpHeader);
    w.u8(IPPROTO_TCP);
    w.u8(64);  // hop limit
    w.bytes(src.addr.data(), 16);
    w.bytes(dst.addr.data(), 16);
  }
  size_t tcp = w.size();
  w.u16(src.port);
  w.u16(dst.port);
  w.u32(seq);
  w.u32(ack);
  w.u8(5 << 4);  // data offset: 5 words
  w.u8(static_cast<uint8_t>(kTcpAck | (rst ? kTcpRst : 0)));
  w.u16(kTickleWindow);
  w.u16(0);  // checksum, below
  w.u16(0);  // urgent pointer
  uint32_t sum = pseudo_header_sum(src, dst, IPPROTO_TCP, kTcpHeader);
  w.put_u16_at(tcp + 16, inet_checksum(pkt.data() + tcp, kTcpHeader, sum));
  return pkt;
}

}  // namespace ctdb::proto
