// The client socket server on a real Unix socket in a temp dir: who may listen, what a client
// sees when it misbehaves (oversized or malformed packets, vanishing mid-packet, trickling
// bytes, never reading its replies), running out of descriptors, and that the daemon side
// keeps serving others.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/clients/client_server.h"
#include "protocol/packet.h"
#include "test_common_helpers.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon {
namespace {
using monitor::LogCapture;
using monitor::spin_until;

constexpr size_t kMaxPacket = 4096;

struct Recorder : ClientHandler {
  std::vector<uint32_t> opcodes;  // controls received, in order
  std::vector<size_t> payloads;   // their payload sizes
  std::vector<pid_t> pids;
  std::vector<uint32_t> gone;
  bool close_on_packet = false;
  std::function<void(ClientConnection&)> answer;  // called for every packet when set
  ClientServer* server = nullptr;
  void on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) override {
    proto::Header h;
    proto::ReqControl c;
    if (proto::decode(pkt, len, &h, &c)) {
      opcodes.push_back(c.opcode);
      payloads.push_back(c.data.size());
      // control_packet() fills payloads with one byte value: a corrupted reassembly shows.
      for (uint8_t b : c.data) {
        if (b != 0x5a) {
          payloads.back() = SIZE_MAX;
          break;
        }
      }
    }
    pids.push_back(client.pid());
    if (answer) answer(client);
    if (close_on_packet) server->close(client);
  }
  void on_client_gone(ClientConnection& client) override { gone.push_back(client.id()); }
  std::vector<size_t> drained;  // the client's backlog at each on_client_drained
  void on_client_drained(ClientConnection& client) override { drained.push_back(client.queued()); }
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
  // Reads from `fd` while the loop runs until `want` bytes came and `also()` holds.
  bool read_bytes(int fd, size_t want, const std::function<bool()>& also, const char* what) {
    size_t got = 0;
    std::vector<char> buf(65536);
    return spin_until(
        loop_,
        [&] {
          ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
          if (n > 0) got += static_cast<size_t>(n);
          return got == want && also();
        },
        10, what);
  }
  // A server whose clients may leave at most `max_backlog` bytes unread.
  void restart_with_backlog(size_t max_packet, size_t max_backlog) {
    server_.reset();
    server_ = std::make_unique<ClientServer>(loop_, rec_, max_packet, max_backlog);
    rec_.server = server_.get();
    std::string err;
    ASSERT_TRUE(server_->listen(path_, &err)) << err;
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

TEST_F(ClientServerTest, AClientThatNeverReadsIsClosedAtTheBacklogLimitAndOthersAreServed) {
  LogCapture log;
  constexpr size_t kLimit = 256 * 1024;
  restart_with_backlog(kMaxPacket, kLimit);
  proto::Bytes reply(16 * 1024, 0x11);
  rec_.answer = [&](ClientConnection& c) { c.send(reply); };
  int lazy = connect_client();
  // Far more reply bytes than the limit plus the kernel's socket buffers.
  proto::Bytes many;
  for (int i = 0; i < 400; i++) {
    proto::Bytes one = control_packet(CONTROL_PING);
    many.insert(many.end(), one.begin(), one.end());
  }
  size_t sent = 0;
  ASSERT_TRUE(spin_until(
      loop_,
      [&] {
        if (sent < many.size()) {
          ssize_t n =
              send(lazy, many.data() + sent, many.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n > 0) sent += static_cast<size_t>(n);
        }
        return rec_.gone.size() == 1;
      },
      20, "the client that does not read is closed"));
  EXPECT_EQ(log.count("more than 262144 bytes of output left unread, closing"), 1u) << log.all();
  EXPECT_LT(rec_.opcodes.size(), 400u);
  EXPECT_EQ(server_->num_clients(), 0u);
  // Another client reading its replies is served as before.
  int good = connect_client();
  send_bytes(good, control_packet(CONTROL_GET_PNN));
  size_t got = 0;
  char buf[4096];
  ASSERT_TRUE(spin_until(
      loop_,
      [&] {
        ssize_t n = recv(good, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) got += static_cast<size_t>(n);
        return got == reply.size();
      },
      10, "the other client's reply"));
}

TEST_F(ClientServerTest, AReplyLargerThanTheBacklogLimitStillGoesOutWhole) {
  restart_with_backlog(kMaxPacket, 64 * 1024);
  proto::Bytes reply(1024 * 1024, 0x22);
  rec_.answer = [&](ClientConnection& c) { c.send(reply); };
  int fd = connect_client();
  send_bytes(fd, control_packet(CONTROL_GET_PNN));
  ASSERT_TRUE(read_bytes(
      fd, reply.size(), [] { return true; }, "the whole reply"));
  EXPECT_TRUE(rec_.gone.empty());
  EXPECT_EQ(server_->num_clients(), 1u);
}

// What a traverse relies on to hold records back for a slow reader and send them on later.
TEST_F(ClientServerTest, AClientWithABacklogIsToldWhenItHasReadItDown) {
  proto::Bytes reply(4 * 1024 * 1024, 0x33);
  ClientConnection* served = nullptr;
  rec_.answer = [&](ClientConnection& c) {
    served = &c;
    c.send(reply);
  };
  int fd = connect_client();
  send_bytes(fd, control_packet(CONTROL_GET_PNN));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return served != nullptr; }, 10, "the request"));
  // Most of the 4 MiB waits in the daemon: the client has read nothing yet.
  EXPECT_GT(served->queued(), ClientServer::kDrainMark);
  EXPECT_TRUE(rec_.drained.empty());
  ASSERT_TRUE(read_bytes(
      fd, reply.size(), [&] { return !rec_.drained.empty(); },
      "the whole reply, and the drained call"));
  for (size_t left : rec_.drained) EXPECT_LE(left, ClientServer::kDrainMark);
  EXPECT_EQ(served->queued(), 0u);
}

TEST_F(ClientServerTest, ALargePacketArrivingInPiecesIsWholeWhileOthersAreServed) {
  restart_with_backlog(4 * 1024 * 1024, ClientServer::kDefaultMaxBacklog);
  int big = connect_client();
  int small = connect_client();
  proto::Bytes pkt = control_packet(CONTROL_PING, 3 * 1024 * 1024);
  size_t sent = 0, rounds = 0;
  while (sent < pkt.size()) {
    size_t n = std::min<size_t>(100 * 1000, pkt.size() - sent);
    send_bytes(big, proto::Bytes(pkt.begin() + sent, pkt.begin() + sent + n));
    sent += n;
    send_bytes(small, control_packet(CONTROL_GET_PNN, 8));
    rounds++;
    ASSERT_TRUE(spin_until(
        loop_, [&] { return rec_.opcodes.size() >= rounds; }, 10, "the small client's packet"));
  }
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == rounds + 1; }, 10, "the large packet"));
  size_t pings = 0;
  for (size_t i = 0; i < rec_.opcodes.size(); i++) {
    if (rec_.opcodes[i] == CONTROL_PING) {
      pings++;
      EXPECT_EQ(rec_.payloads[i], 3u * 1024 * 1024);
    } else {
      EXPECT_EQ(rec_.payloads[i], 8u);
    }
  }
  EXPECT_EQ(pings, 1u);
  EXPECT_TRUE(rec_.gone.empty());
}

TEST_F(ClientServerTest, AClientTricklingAPacketDoesNotHoldUpOthers) {
  int slow = connect_client();
  int fast = connect_client();
  proto::Bytes pkt = control_packet(CONTROL_PING, 24);
  // One byte at a time; between two bytes the other client gets a packet through.
  for (size_t i = 0; i + 1 < pkt.size(); i++) {
    send_bytes(slow, proto::Bytes{pkt[i]});
    send_bytes(fast, control_packet(CONTROL_GET_PNN));
    ASSERT_TRUE(spin_until(
        loop_, [&] { return rec_.opcodes.size() == i + 1; }, 10, "the other client's packet"));
  }
  EXPECT_EQ(rec_.opcodes, std::vector<uint32_t>(pkt.size() - 1, CONTROL_GET_PNN));
  send_bytes(slow, proto::Bytes{pkt.back()});
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == pkt.size(); }, 10, "the trickled packet"));
  EXPECT_EQ(rec_.opcodes.back(), static_cast<uint32_t>(CONTROL_PING));
}

// Lowers the soft descriptor limit for one test and fills the table up to it.
class DescriptorTable {
 public:
  DescriptorTable() { getrlimit(RLIMIT_NOFILE, &saved_); }
  ~DescriptorTable() {
    release();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }
  // Sets the soft limit to what is open now plus `headroom`.
  void limit_to_open_plus(int headroom) {
    int open_now = 0;
    for (int fd = 0; fd < 65536; fd++) open_now += fcntl(fd, F_GETFD) != -1;
    int highest = 0;
    for (int fd = 0; fd < 65536; fd++) {
      if (fcntl(fd, F_GETFD) != -1) highest = fd;
    }
    rlimit rl = saved_;
    rl.rlim_cur = static_cast<rlim_t>(std::max(highest + 1, open_now) + headroom);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  // Opens descriptors until the table is full.
  void fill() {
    for (;;) {
      int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      filler_.push_back(fd);
    }
  }
  // Gives back the `n` highest descriptors fill() took.
  void free_top(size_t n) {
    for (; n > 0 && !filler_.empty(); n--) {
      ::close(filler_.back());
      filler_.pop_back();
    }
  }
  void release() {
    for (int fd : filler_) ::close(fd);
    filler_.clear();
  }

 private:
  rlimit saved_{};
  std::vector<int> filler_;
};

TEST_F(ClientServerTest, OutOfDescriptorsNewClientsAreClosedUnservedAndServingGoesOn) {
  LogCapture log;
  int served = connect_client();
  // Served once before the shortage too: UBSan's vptr check needs a pipe (two descriptors)
  // the first time it sees a type, which a full table would make it misreport.
  send_bytes(served, control_packet(CONTROL_PING));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == 1; }, 10, "first client's packet"));
  // Sockets for the clients that will knock while the table is full.
  std::vector<int> waiting;
  for (int i = 0; i < 20; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    waiting.push_back(fd);
    fds_.push_back(fd);
  }
  {
    DescriptorTable table;
    table.limit_to_open_plus(64);
    table.fill();
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    strncpy(sun.sun_path, path_.c_str(), sizeof(sun.sun_path) - 1);
    for (int fd : waiting) {
      ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0) << strerror(errno);
    }
    // Each of them sees a clean close instead of waiting in the backlog for ever.
    ASSERT_TRUE(spin_until(
        loop_,
        [&] {
          for (int fd : waiting) {
            if (!closed_by_server(fd)) return false;
          }
          return true;
        },
        10, "every waiting client closed"));
    EXPECT_EQ(server_->refused_for_lack_of_descriptors(), waiting.size());
    EXPECT_GE(log.count("Out of file descriptors on the client socket"), 1u) << log.all();
    // The client connected before is still served.
    send_bytes(served, control_packet(CONTROL_GET_PNN));
    ASSERT_TRUE(spin_until(
        loop_, [&] { return rec_.opcodes.size() == 2; }, 10, "served client's packet"));
    EXPECT_EQ(server_->num_clients(), 1u);
  }
  // With descriptors back, new clients are accepted again.
  int next = connect_client();
  send_bytes(next, control_packet(CONTROL_PING));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == 3; }, 10, "a new client after the shortage"));
  EXPECT_EQ(server_->num_clients(), 2u);
}

TEST_F(ClientServerTest, ClientsMayNotTakeTheDescriptorsKeptForTheDaemon) {
  LogCapture log;
  std::vector<int> clients;
  for (int i = 0; i < 80; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    clients.push_back(fd);
    fds_.push_back(fd);
  }
  DescriptorTable table;
  table.limit_to_open_plus(64);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  uint64_t reserve = ClientServer::reserved_descriptors(rl.rlim_cur);
  // Free: the reserve and about ten more, at the top of the table.
  table.fill();
  table.free_top(reserve + 10);
  // Descriptors are handed out lowest first: those free below limit - reserve go to clients.
  size_t below = 0, above = 0;
  for (rlim_t fd = 0; fd < rl.rlim_cur; fd++) {
    if (fcntl(static_cast<int>(fd), F_GETFD) != -1) continue;
    (fd + reserve < rl.rlim_cur ? below : above)++;
  }
  ASSERT_GE(above, reserve / 2);  // (a descriptor taken by the runtime may sit in between)
  ASSERT_GE(below, 10u);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  strncpy(sun.sun_path, path_.c_str(), sizeof(sun.sun_path) - 1);
  for (int fd : clients) {
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0) << strerror(errno);
  }
  ASSERT_TRUE(spin_until(
      loop_,
      [&] { return server_->num_clients() + server_->refused_over_reserve() == clients.size(); },
      10, "every client accepted or refused"));
  EXPECT_EQ(server_->num_clients(), below);
  EXPECT_EQ(server_->refused_over_reserve(), clients.size() - below);
  EXPECT_EQ(server_->refused_for_lack_of_descriptors(), 0u);  // never ran out for real
  EXPECT_GE(log.count("Too many clients"), 1u) << log.all();
  // The reserve is there for the daemon's own use.
  std::vector<int> own;
  for (size_t i = 0; i <= above; i++) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    own.push_back(fd);
  }
  EXPECT_EQ(own.size(), above);
  for (int fd : own) ::close(fd);
  table.release();
  // Those accepted are served; the others were closed cleanly.
  size_t served = 0, refused = 0;
  for (int fd : clients) {
    if (closed_by_server(fd)) {
      refused++;
    } else {
      send_bytes(fd, control_packet(CONTROL_PING));
      served++;
    }
  }
  EXPECT_EQ(refused, server_->refused_over_reserve());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_.opcodes.size() == served; }, 10, "every accepted client served"));
}

TEST(ClientServerLimits, TheSoftDescriptorLimitIsRaisedToTheHardOne) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 256) GTEST_SKIP() << "hard descriptor limit below 256";
  rlimit low = saved;
  low.rlim_cur = 128;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(ClientServer::raise_descriptor_limit(), static_cast<uint64_t>(saved.rlim_max));
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  setrlimit(RLIMIT_NOFILE, &saved);
}

}  // namespace
}  // namespace ctdb::daemon
