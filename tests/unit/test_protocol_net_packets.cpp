// The raw packets of IP takeover (src/protocol/net_packets): gratuitous ARP, the IPv6 neighbour
// advertisement and TCP tickles, byte by byte, with checksums that a receiver accepts.
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "protocol/net_packets.h"

namespace ctdb::proto {
namespace {

SockAddr ip(const std::string& s, uint16_t port = 0) { return *SockAddr::parse(s, port); }

const MacAddr kMac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

uint16_t be16(const Bytes& b, size_t off) {
  return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

// The one's complement sum a receiver computes over a packet with its checksum in place: a
// correct checksum makes it 0xffff.
uint16_t receiver_sum(const uint8_t* p, size_t n, uint32_t sum) {
  for (; n >= 2; p += 2, n -= 2) sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
  if (n) sum += static_cast<uint32_t>(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint32_t pseudo(const uint8_t* src, const uint8_t* dst, size_t alen, uint8_t proto, uint32_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i < alen; i += 2) {
    sum += static_cast<uint32_t>(src[i] << 8 | src[i + 1]);
    sum += static_cast<uint32_t>(dst[i] << 8 | dst[i + 1]);
  }
  return sum + proto + (len >> 16) + (len & 0xffff);
}

TEST(NetPackets, GratuitousArpRequestAndReply) {
  Bytes req = gratuitous_arp(ip("10.0.0.7"), kMac, false);
  const Bytes want_head = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                    // broadcast
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,                    // from our MAC
      0x08, 0x06,                                            // ARP
      0x00, 0x01, 0x08, 0x00, 6,    4,    0x00, 0x01,        // Ethernet/IPv4, request
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 10,   0,    0, 7,  // sender: us
      0,    0,    0,    0,    0,    0,    10,   0,    0, 7,  // target: the address itself
  };
  ASSERT_EQ(req.size(), 64u) << "padded to the minimum frame, as 4.17 sends it";
  EXPECT_EQ(Bytes(req.begin(), req.begin() + want_head.size()), want_head);
  for (size_t i = want_head.size(); i < req.size(); i++) EXPECT_EQ(req[i], 0) << i;
  Bytes rep = gratuitous_arp(ip("10.0.0.7"), kMac, true);
  EXPECT_EQ(be16(rep, 20), 2) << "reply";
  EXPECT_EQ(Bytes(rep.begin() + 32, rep.begin() + 38), Bytes(kMac.begin(), kMac.end()))
      << "the reply's target hardware address is ours too";
  EXPECT_TRUE(gratuitous_arp(ip("fd00::1"), kMac, false).empty());
}

TEST(NetPackets, NeighbourAdvertisement) {
  SockAddr a = ip("fd00::7");
  Bytes f = neighbour_advert(a, kMac);
  ASSERT_EQ(f.size(), 14u + 40 + 32);
  EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), (Bytes{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(be16(f, 12), 0x86dd);
  EXPECT_EQ(f[14] >> 4, 6);
  EXPECT_EQ(be16(f, 18), 32) << "payload length";
  EXPECT_EQ(f[20], IPPROTO_ICMPV6);
  EXPECT_EQ(f[21], 255) << "hop limit neighbour discovery requires";
  EXPECT_EQ(Bytes(f.begin() + 22, f.begin() + 38), Bytes(a.addr.begin(), a.addr.end()));
  EXPECT_EQ(f[38], 0xff);
  EXPECT_EQ(f[39], 0x02);
  EXPECT_EQ(f[53], 1) << "all-nodes group";
  const uint8_t* icmp = f.data() + 54;
  EXPECT_EQ(icmp[0], 136) << "neighbour advertisement";
  EXPECT_EQ(icmp[4], 0x20) << "override flag";
  EXPECT_EQ(Bytes(icmp + 8, icmp + 24), Bytes(a.addr.begin(), a.addr.end()));
  EXPECT_EQ(icmp[24], 2) << "target link-layer address option";
  EXPECT_EQ(icmp[25], 1);
  EXPECT_EQ(Bytes(icmp + 26, icmp + 32), Bytes(kMac.begin(), kMac.end()));
  EXPECT_EQ(receiver_sum(icmp, 32, pseudo(f.data() + 22, f.data() + 38, 16, IPPROTO_ICMPV6, 32)),
            0xffff);
  EXPECT_TRUE(neighbour_advert(ip("10.0.0.1"), kMac).empty());
}

TEST(NetPackets, TcpTickleOverIpv4) {
  Bytes p = tcp_segment(ip("10.0.0.7", 445), ip("10.1.1.1", 40000), 0, 0, false);
  ASSERT_EQ(p.size(), 40u);
  EXPECT_EQ(p[0], 0x45);
  EXPECT_EQ(be16(p, 2), 40) << "total length";
  EXPECT_EQ(p[9], IPPROTO_TCP);
  EXPECT_EQ(receiver_sum(p.data(), 20, 0), 0xffff) << "IP header checksum";
  EXPECT_EQ(Bytes(p.begin() + 12, p.begin() + 20), (Bytes{10, 0, 0, 7, 10, 1, 1, 1}));
  const uint8_t* tcp = p.data() + 20;
  EXPECT_EQ(be16(p, 20), 445);
  EXPECT_EQ(be16(p, 22), 40000);
  EXPECT_EQ(tcp[12], 0x50) << "header of five words";
  EXPECT_EQ(tcp[13], 0x10) << "ACK only";
  EXPECT_EQ(be16(p, 34), 1234) << "4.17's recognisable window";
  EXPECT_EQ(receiver_sum(tcp, 20, pseudo(p.data() + 12, p.data() + 16, 4, IPPROTO_TCP, 20)),
            0xffff);
  Bytes rst = tcp_segment(ip("10.0.0.7", 445), ip("10.1.1.1", 40000), 0x01020304, 5, true);
  EXPECT_EQ(rst[33], 0x14) << "ACK and RST";
  EXPECT_EQ(Bytes(rst.begin() + 24, rst.begin() + 28), (Bytes{1, 2, 3, 4}));
}

TEST(NetPackets, TcpTickleOverIpv6) {
  Bytes p = tcp_segment(ip("fd00::7", 445), ip("fd00::99", 40000), 0, 0, false);
  ASSERT_EQ(p.size(), 60u);
  EXPECT_EQ(p[0] >> 4, 6);
  EXPECT_EQ(be16(p, 4), 20) << "payload length";
  EXPECT_EQ(p[6], IPPROTO_TCP);
  const uint8_t* tcp = p.data() + 40;
  EXPECT_EQ(receiver_sum(tcp, 20, pseudo(p.data() + 8, p.data() + 24, 16, IPPROTO_TCP, 20)),
            0xffff);
  EXPECT_TRUE(tcp_segment(ip("fd00::7", 1), ip("10.0.0.1", 2), 0, 0, false).empty())
      << "mixed families";
}

TEST(NetPackets, ChecksumOfKnownData) {
  // RFC 1071's example words sum to 0xddf2; the checksum is its complement.
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(inet_checksum(data, sizeof(data)), static_cast<uint16_t>(~0xddf2));
}

}  // namespace
}  // namespace ctdb::proto
