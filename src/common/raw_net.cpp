// Raw network operations for IP takeover (see raw_net.h).
#include "common/raw_net.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/unique_fd.h"
#include "protocol/net_packets.h"

namespace ctdb::raw_net {
namespace {

int send_all(int fd, const proto::Bytes& pkt, const sockaddr* to, socklen_t len) {
  ssize_t n = sendto(fd, pkt.data(), pkt.size(), 0, to, len);
  if (n < 0) return errno;
  return static_cast<size_t>(n) == pkt.size() ? 0 : EIO;
}

}  // namespace

int send_arp(const proto::SockAddr& addr, const std::string& iface) {
  if (iface.size() >= IFNAMSIZ) return EINVAL;
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return errno;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, iface.c_str(), iface.size());
  if (ioctl(fd.get(), SIOCGIFINDEX, &ifr) < 0) return errno;
  int ifindex = ifr.ifr_ifindex;
  if (ioctl(fd.get(), SIOCGIFHWADDR, &ifr) < 0) return errno;
  if (ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK) return 0;
  if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) return EINVAL;
  proto::MacAddr mac;
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());

  std::vector<proto::Bytes> frames;
  if (addr.is_ipv4()) {
    frames.push_back(proto::gratuitous_arp(addr, mac, false));
    frames.push_back(proto::gratuitous_arp(addr, mac, true));
  } else if (addr.is_ipv6()) {
    frames.push_back(proto::neighbour_advert(addr, mac));
  } else {
    return EINVAL;
  }
  for (const proto::Bytes& frame : frames) {
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = ifindex;
    ll.sll_halen = ETH_ALEN;
    std::memcpy(ll.sll_addr, frame.data(), ETH_ALEN);  // the frame's destination
    int err = send_all(fd.get(), frame, reinterpret_cast<const sockaddr*>(&ll), sizeof(ll));
    if (err != 0) return err;
  }
  return 0;
}

int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq, uint32_t ack,
             bool rst) {
  proto::Bytes pkt = proto::tcp_segment(src, dst, seq, ack, rst);
  if (pkt.empty()) return EINVAL;
  // The packet carries its own IP header: on Linux IPPROTO_RAW implies "header included" for
  // IPv4 and IPv6 alike. An IPv6 raw socket wants the destination's port 0.
  proto::SockAddr to = dst;
  to.port = 0;
  sockaddr_storage ss{};
  size_t len = to.to_sockaddr(&ss);
  UniqueFd fd(socket(ss.ss_family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  if (fd.get() < 0) return errno;
  return send_all(fd.get(), pkt, reinterpret_cast<const sockaddr*>(&ss),
                  static_cast<socklen_t>(len));
}

}  // namespace ctdb::raw_net
