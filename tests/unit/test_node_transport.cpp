// The links between nodes over real TCP on loopback addresses: two transports find each
// other, carry packets both ways, notice a peer that goes and reconnect when it comes back,
// and refuse a connection from an address that is not in the nodes file. Hostile input from
// a nodes-file address (127.0.0.63, a node that never runs): broken packets close that link
// only, with the reason in the log; a half packet is closed after the stall timeout; a second
// connection from a connected node's address is refused, one from a node that is not
// connected replaces the one before.
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
using monitor::LogCapture;
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

// A raw TCP connection to `to` from `from` (bound first), as a hostile node would open it.
int connect_from(const char* from, const proto::SockAddr& to) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  KernelSockaddr src(*proto::SockAddr::parse(from));
  EXPECT_EQ(bind(fd, src.sa(), src.len), 0) << strerror(errno);
  KernelSockaddr dst(to);
  EXPECT_EQ(connect(fd, dst.sa(), dst.len), 0) << strerror(errno);
  return fd;
}

// Runs the loop for `seconds` whatever happens.
void run_for(EventLoop& loop, double seconds) {
  Timer stop(loop, [&] { loop.stop(); });
  stop.start(seconds);
  loop.run();
}

// True once the other side closed `fd` (end of file or reset).
bool closed(int fd) {
  char buf[64];
  ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Node 0 and node 1 run; node 2 (127.0.0.63) is in their nodes file but never starts, so a
// test can connect from its address.
class HostileNodeTest : public NodeTransportTest {
 protected:
  std::unique_ptr<NodeTransport> make3(uint32_t pnn, Events& ev) {
    std::vector<NodeTransport::Peer> peers;
    for (uint32_t p = 0; p < 3; p++) {
      if (p != pnn) peers.push_back({p, all_[p]});
    }
    auto t = std::make_unique<NodeTransport>(loop_, ev, all_[pnn], peers, 1 << 20);
    std::string err;
    EXPECT_TRUE(t->start(&err)) << err;
    return t;
  }
  void SetUp() override {
    a_ = make3(0, ea_);
    b_ = make3(1, eb_);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return both_connected(); }, 10, "nodes 0 and 1 connected"));
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
  }
  int attacker(const char* from) {
    int fd = connect_from(from, all_[0]);
    fds_.push_back(fd);
    return fd;
  }
  void send_bytes(int fd, const proto::Bytes& b) {
    ASSERT_EQ(send(fd, b.data(), b.size(), MSG_NOSIGNAL), static_cast<ssize_t>(b.size()));
  }
  // Node 1's link to node 0 carries a packet both ways: it was not disturbed.
  void expect_node1_link_works(uint32_t reqid) {
    size_t a_before = ea_.packets.size(), b_before = eb_.packets.size();
    EXPECT_TRUE(a_->send(1, keepalive(reqid)));
    EXPECT_TRUE(b_->send(0, keepalive(reqid + 1)));
    ASSERT_TRUE(spin_until(
        loop_, [&] { return ea_.packets.size() > a_before && eb_.packets.size() > b_before; }, 10,
        "packets between nodes 0 and 1"));
    EXPECT_TRUE(ea_.dead.empty());
    EXPECT_EQ(ea_.connected[1], 1);
  }

  proto::SockAddr all_[3] = {addr("127.0.0.61"), addr("127.0.0.62"), addr("127.0.0.63")};
  std::vector<int> fds_;
};

TEST_F(HostileNodeTest, BrokenPacketsFromANodesAddressCloseThatLinkOnlyWithTheReason) {
  struct Case {
    const char* name;
    proto::Bytes bytes;
    const char* reason;
  };
  proto::Bytes bad_magic = keepalive(1), bad_version = keepalive(1);
  bad_magic[4] ^= 0xff;  // the magic field
  bad_version[8] = 2;    // the protocol version
  proto::Bytes oversized = keepalive(1), unaligned = keepalive(1), tiny = keepalive(1);
  oversized[0] = 0xf0, oversized[1] = oversized[2] = oversized[3] = 0xff;
  unaligned[0] = 36;
  tiny[0] = 8;
  std::vector<Case> cases = {
      {"bad magic", bad_magic, "Link to node 2 down: bad magic 0x435444bd"},
      {"bad version", bad_version, "Link to node 2 down: bad protocol version 2"},
      {"oversized", oversized, "Link to node 2 down: bad packet length 4294967280"},
      {"unaligned", unaligned, "Link to node 2 down: bad packet length 36"},
      {"too short", tiny, "Link to node 2 down: bad packet length 8"},
  };
  uint32_t reqid = 100;
  for (const Case& c : cases) {
    LogCapture log;
    int fd = attacker("127.0.0.63");
    send_bytes(fd, c.bytes);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return closed(fd); }, 10, c.name));
    EXPECT_EQ(log.count(c.reason), 1u) << c.name << "\n" << log.all();
    expect_node1_link_works(reqid += 2);
  }
  EXPECT_TRUE(ea_.dead.empty());  // node 2 was never connected: nothing to report
}

TEST_F(HostileNodeTest, AHalfPacketOfANodeThatIsNotConnectedIsClosedAfterTheStallTimeout) {
  LogCapture log;
  a_->set_stall_timeout(0.2);
  int fd = attacker("127.0.0.63");
  proto::Bytes pkt = keepalive(5);
  send_bytes(fd, proto::Bytes(pkt.begin(), pkt.begin() + 32));  // the header only
  // Meanwhile the reactor carries everything else.
  expect_node1_link_works(300);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return closed(fd); }, 10, "stalled link closed"));
  EXPECT_EQ(log.count("Link to node 2 down: incomplete packet (32 bytes) stalled for 0 s"), 1u)
      << log.all();
  // A link that keeps delivering whole packets is left alone however slow.
  int slow = attacker("127.0.0.63");
  for (uint32_t i = 0; i < 4; i++) {
    send_bytes(slow, keepalive(400 + i));
    ASSERT_TRUE(spin_until(
        loop_, [&] { return !ea_.packets.empty() && ea_.packets.back().second == 400 + i; }, 10,
        "a whole packet from node 2's address"));
    run_for(loop_, 0.3);  // longer than the stall timeout
  }
  EXPECT_FALSE(closed(slow));
  EXPECT_EQ(ea_.packets.back(), (std::pair<uint32_t, uint32_t>{2, 403}));
}

TEST_F(HostileNodeTest, ASecondConnectionFromAConnectedNodesAddressIsRefused) {
  LogCapture log;
  int fd = attacker("127.0.0.62");
  send_bytes(fd, keepalive(9));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return closed(fd); }, 10, "second link refused"));
  EXPECT_EQ(log.count("Incoming link from node 1 already active, rejecting a second one"), 1u)
      << log.all();
  expect_node1_link_works(500);
  for (const auto& p : ea_.packets) EXPECT_NE(p.second, 9u);  // nothing of it was read
}

TEST_F(HostileNodeTest, ANewConnectionFromANodeThatIsNotConnectedReplacesTheOneBefore) {
  LogCapture log;
  int first = attacker("127.0.0.63");
  proto::Bytes pkt = keepalive(700);
  send_bytes(first, proto::Bytes(pkt.begin(), pkt.begin() + 32));  // holds the slot
  expect_node1_link_works(710);  // the first connection has surely been accepted by now
  int second = attacker("127.0.0.63");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return closed(first); }, 10, "the first connection replaced"));
  EXPECT_EQ(log.count("New incoming link from node 2 replaces one not yet in use"), 1u)
      << log.all();
  send_bytes(second, keepalive(720));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !ea_.packets.empty() && ea_.packets.back().second == 720; }, 10,
      "a packet on the new connection"));
  EXPECT_EQ(ea_.packets.back().first, 2u);
  EXPECT_FALSE(closed(second));
}

TEST_F(HostileNodeTest, RefusalsOfStrangersAreLoggedButNotOncePerConnection) {
  LogCapture log;
  for (int i = 0; i < 50; i++) {
    int fd = connect_from("127.0.0.1", all_[0]);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return closed(fd); }, 10, "stranger refused"));
    close(fd);
  }
  size_t lines = log.count("Refused connection from unknown node 127.0.0.1");
  EXPECT_GE(lines, 1u);
  EXPECT_LT(lines, 50u) << log.all();
  expect_node1_link_works(600);
}

}  // namespace
}  // namespace ctdb::daemon
