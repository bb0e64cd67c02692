// The links between nodes over real TCP on loopback addresses: two transports find each
// other, carry packets both ways, notice a peer that goes and reconnect when it comes back,
// and refuse a connection from an address that is not in the nodes file.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "common/socket_addr.h"
#include "ctdb/protocol.h"
#include "daemon/transport/node_transport.h"
#include "protocol/packet.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon {
namespace {
using monitor::spin_until;

struct Events : TransportHandler {
  std::map<uint32_t, int> connected;  // pnn -> times connected
  std::map<uint32_t, int> dead;
  std::vector<std::pair<uint32_t, uint32_t>> packets;  // (from pnn, reqid)
  void on_node_packet(uint32_t pnn, const uint8_t* pkt, size_t len) override {
    proto::Header h;
    if (proto::decode_header(pkt, len, &h)) packets.emplace_back(pnn, h.reqid);
  }
  void on_node_connected(uint32_t pnn) override { connected[pnn]++; }
  void on_node_dead(uint32_t pnn) override { dead[pnn]++; }
};

proto::Bytes keepalive(uint32_t reqid) {
  proto::Header h;
  h.reqid = reqid;
  return proto::encode(h, proto::ReqKeepalive{});
}

// A port per test process, so that parallel runs of the unit tests do not collide.
uint16_t test_port() { return static_cast<uint16_t>(42000 + getpid() % 2000); }

proto::SockAddr addr(const char* ip) {
  proto::SockAddr a = *proto::SockAddr::parse(ip);
  a.port = test_port();
  return a;
}

class NodeTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<NodeTransport> make(uint32_t pnn, Events& ev) {
    std::vector<NodeTransport::Peer> peers;
    for (uint32_t p = 0; p < 2; p++) {
      if (p != pnn) peers.push_back({p, addrs_[p]});
    }
    auto t = std::make_unique<NodeTransport>(loop_, ev, addrs_[pnn], peers, 1 << 20);
    std::string err;
    EXPECT_TRUE(t->start(&err)) << err;
    return t;
  }
  bool both_connected() { return a_ && b_ && a_->connected(1) && b_->connected(0); }

  EventLoop loop_;
  proto::SockAddr addrs_[2] = {addr("127.0.0.61"), addr("127.0.0.62")};
  Events ea_, eb_;
  std::unique_ptr<NodeTransport> a_, b_;
};

TEST_F(NodeTransportTest, TwoNodesConnectAndCarryPacketsBothWays) {
  a_ = make(0, ea_);
  b_ = make(1, eb_);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return both_connected(); }, 10, "both links up"));
  EXPECT_EQ(ea_.connected[1], 1);
  EXPECT_EQ(eb_.connected[0], 1);
  EXPECT_TRUE(a_->send(1, keepalive(7)));
  EXPECT_TRUE(b_->send(0, keepalive(8)));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !ea_.packets.empty() && !eb_.packets.empty(); }, 10, "packets"));
  EXPECT_EQ(eb_.packets[0], (std::pair<uint32_t, uint32_t>{0, 7}));
  EXPECT_EQ(ea_.packets[0], (std::pair<uint32_t, uint32_t>{1, 8}));
  EXPECT_FALSE(a_->send(5, keepalive(9)));  // no such node
}

TEST_F(NodeTransportTest, APeerThatGoesIsDeadAndIsReconnectedWhenItComesBack) {
  a_ = make(0, ea_);
  b_ = make(1, eb_);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return both_connected(); }, 10, "both links up"));
  b_.reset();  // the other daemon exits
  ASSERT_TRUE(spin_until(
      loop_, [&] { return ea_.dead[1] >= 1; }, 10, "peer dead"));
  EXPECT_FALSE(a_->connected(1));
  EXPECT_FALSE(a_->send(1, keepalive(1)));
  Events again;
  b_ = make(1, again);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return a_->connected(1) && b_->connected(0); }, 10, "reconnected"));
  EXPECT_EQ(ea_.connected[1], 2);
}

TEST_F(NodeTransportTest, ResetTearsBothLinksDownAndTheyComeBack) {
  a_ = make(0, ea_);
  b_ = make(1, eb_);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return both_connected(); }, 10, "both links up"));
  a_->reset(1);  // as a keepalive timeout does
  EXPECT_FALSE(a_->connected(1));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return eb_.dead[0] >= 1; }, 10, "peer sees it"));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return both_connected(); }, 10, "links back"));
}

TEST_F(NodeTransportTest, AConnectionFromAnAddressNotInTheNodesFileIsClosed) {
  a_ = make(0, ea_);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  proto::SockAddr stranger = *proto::SockAddr::parse("127.0.0.63");
  KernelSockaddr from(stranger);
  ASSERT_EQ(bind(fd, from.sa(), from.len), 0);
  KernelSockaddr to(addrs_[0]);
  ASSERT_EQ(connect(fd, to.sa(), to.len), 0);
  proto::Bytes pkt = keepalive(3);
  ASSERT_EQ(write(fd, pkt.data(), pkt.size()), static_cast<ssize_t>(pkt.size()));
  char buf[16];
  bool closed = false;
  ASSERT_TRUE(spin_until(
      loop_,
      [&] {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        closed = n == 0 || (n < 0 && errno == ECONNRESET);
        return closed;
      },
      10, "stranger closed"));
  close(fd);
  EXPECT_TRUE(ea_.packets.empty());
  EXPECT_TRUE(ea_.connected.empty());
}

}  // namespace
}  // namespace ctdb::daemon
