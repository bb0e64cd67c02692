// The client socket server on a real Unix socket in a temp dir: who may listen, what a client
// sees when it misbehaves (oversized or malformed packets, vanishing mid-packet), and that
// the daemon side keeps serving others.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/clients/client_server.h"
#include "protocol/packet.h"
#include "test_common_helpers.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon {
namespace {
using monitor::spin_until;

constexpr size_t kMaxPacket = 4096;

struct Recorder : ClientHandler {
  std::vector<uint32_t> opcodes;  // controls received, in order
  std::vector<pid_t> pids;
  std::vector<uint32_t> gone;
  bool close_on_packet = false;
  ClientServer* server = nullptr;
  void on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) override {
    proto::Header h;
    proto::ReqControl c;
    if (proto::decode(pkt, len, &h, &c)) opcodes.push_back(c.opcode);
    pids.push_back(client.pid());
    if (close_on_packet) server->close(client);
  }
  void on_client_gone(ClientConnection& client) override { gone.push_back(client.id()); }
};

proto::Bytes control_packet(uint32_t opcode, size_t payload = 0) {
  proto::Header h;
  h.destnode = CURRENT_NODE;
  h.reqid = 1;
  proto::ReqControl c;
  c.opcode = opcode;
  c.data.assign(payload, 0x5a);
  return proto::encode(h, c);
}

// GET_PNN and PING in one write, so that both arrive in one read.
proto::Bytes pnn_then_ping() {
  proto::Bytes two = control_packet(CONTROL_GET_PNN);
  proto::Bytes ping = control_packet(CONTROL_PING);
  two.insert(two.end(), ping.begin(), ping.end());
  return two;
}

class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = tmp_.file("ctdbd.socket");
    server_ = std::make_unique<ClientServer>(loop_, rec_, kMaxPacket);
    rec_.server = server_.get();
    std::string err;
    ASSERT_TRUE(server_->listen(path_, &err)) << err;
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    server_.reset();
  }
  int connect_client() {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    strncpy(sun.sun_path, path_.c_str(), sizeof(sun.sun_path) - 1);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0) << strerror(errno);
    fds_.push_back(fd);
    return fd;
  }
  void send_bytes(int fd, const proto::Bytes& b) {
    ASSERT_EQ(write(fd, b.data(), b.size()), static_cast<ssize_t>(b.size()));
  }
  // True once the daemon side has closed `fd` (the client reads end of file).
  bool closed_by_server(int fd) {
    char buf[64];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n == 0;
  }

  EventLoop loop_;
  Recorder rec_;
  unit::TempDir tmp_;
  std::string path_;
  std::unique_ptr<ClientServer> server_;
  std::vector<int> fds_;
};

TEST_F(ClientServerTest, TheSocketIsOwnerOnlyAndASecondDaemonIsRefused) {
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ClientServer second(loop_, rec_, kMaxPacket);
  std::string err;
  EXPECT_FALSE(second.listen(path_, &err));
  EXPECT_NE(err.find("another ctdbd is already running"), std::string::npos) << err;
  EXPECT_FALSE(second.listen(tmp_.file(std::string(200, 'x')), &err));
  EXPECT_NE(err.find("socket path too long"), std::string::npos) << err;
}

TEST_F(ClientServerTest, AStaleSocketFileIsReplaced) {
  server_->shutdown();
  // A socket file nobody listens on, as a crashed daemon leaves it.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  strncpy(sun.sun_path, path_.c_str(), sizeof(sun.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
  ::close(fd);
  ClientServer again(loop_, rec_, kMaxPacket);
  std::string err;
  EXPECT_TRUE(again.listen(path_, &err)) << err;
}

TEST_F(ClientServerTest, PacketsArriveInOrderWithTheSendersPid) {
  int fd = connect_client();
  send_bytes(fd, pnn_then_ping());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == 2; }, 10, "two packets"));
  EXPECT_EQ(rec_.opcodes, (std::vector<uint32_t>{CONTROL_GET_PNN, CONTROL_PING}));
  EXPECT_EQ(rec_.pids[0], getpid());
  EXPECT_EQ(server_->num_clients(), 1u);
  EXPECT_EQ(server_->find_by_pid(getpid()).size(), 1u);
}

TEST_F(ClientServerTest, AnOversizedPacketClosesOnlyThatClient) {
  int bad = connect_client();
  int good = connect_client();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return server_->num_clients() == 2; }, 10, "two clients"));
  send_bytes(bad, control_packet(CONTROL_PING, kMaxPacket));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.gone.size() == 1; }, 10, "bad client gone"));
  EXPECT_TRUE(closed_by_server(bad));
  EXPECT_TRUE(rec_.opcodes.empty());
  send_bytes(good, control_packet(CONTROL_PING));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == 1; }, 10, "good packet"));
  EXPECT_EQ(server_->num_clients(), 1u);
}

TEST_F(ClientServerTest, AMalformedHeaderClosesTheClient) {
  int fd = connect_client();
  proto::Bytes pkt = control_packet(CONTROL_PING);
  pkt[4] ^= 0xff;  // the magic
  send_bytes(fd, pkt);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.gone.size() == 1; }, 10, "client gone"));
  EXPECT_TRUE(rec_.opcodes.empty());
  EXPECT_TRUE(closed_by_server(fd));
  EXPECT_EQ(server_->num_clients(), 0u);
}

TEST_F(ClientServerTest, AClientVanishingMidPacketIsForgottenAndOthersAreServed) {
  int fd = connect_client();
  proto::Bytes pkt = control_packet(CONTROL_PING, 64);
  send_bytes(fd, proto::Bytes(pkt.begin(), pkt.begin() + 20));  // half a packet
  ASSERT_TRUE(spin_until(
      loop_, [&] { return server_->num_clients() == 1; }, 10, "client"));
  ::close(fd);
  fds_.clear();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.gone.size() == 1; }, 10, "client gone"));
  EXPECT_TRUE(rec_.opcodes.empty());
  EXPECT_EQ(server_->num_clients(), 0u);
  int next = connect_client();
  send_bytes(next, control_packet(CONTROL_GET_PID));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == 1; }, 10, "next client"));
}

TEST_F(ClientServerTest, AHandlerMayCloseTheClientItIsServing) {
  rec_.close_on_packet = true;
  int fd = connect_client();
  send_bytes(fd, pnn_then_ping());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.gone.size() == 1; }, 10, "client gone"));
  // The second packet of the same read is not handed over once the client is closed.
  EXPECT_EQ(rec_.opcodes, (std::vector<uint32_t>{CONTROL_GET_PNN}));
  EXPECT_EQ(server_->num_clients(), 0u);
  EXPECT_TRUE(spin_until(
      loop_, [&] { return closed_by_server(fd); }, 10, "socket closed"));
}

}  // namespace
}  // namespace ctdb::daemon
