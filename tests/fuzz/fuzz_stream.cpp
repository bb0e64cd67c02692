// libFuzzer targets fuzz_stream_client and fuzz_stream_node (this file, built with
// CTDB_FUZZ_NODE_LIMITS 0 or 1): the daemon's packet framing (daemon/event_loop.h PacketStream)
// over a real socketpair, with the Limits the client socket server (max_packet) or the node
// transport's incoming links (max_packet, aligned) give it. The input is written in chunks of
// pseudo-random sizes; the handler checks that it gets exactly the packets a model of the
// framing finds (same bytes, same order, each within the limits) and that a framing error or
// the end of the stream is reported once and never followed by anything.
//
// Input: u8 mode, u32 seed of the chunk sizes, then the stream's bytes. Mode bit 0: the handler
// destroys the stream when told of an error (as the daemon does; else it keeps it and more input
// and the end of file follow); bit 1: every packet is sent back (send path, batching); bit 2:
// the handler destroys the stream in its (mode >> 4)-th packet (a client closed by its handler).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "fuzz_common.h"

#ifndef CTDB_FUZZ_NODE_LIMITS
#error "build with -DCTDB_FUZZ_NODE_LIMITS=0 (client socket) or 1 (node links)"
#endif

namespace ctdb::fuzz {
namespace {

using daemon::EventLoop;
using daemon::PacketStream;

// The daemon's packet limit for clients and node links (daemon.cpp kMaxClientPacket).
constexpr size_t kMaxPacket = 64 * 1024 * 1024;

PacketStream::Limits limits() {
  PacketStream::Limits l;
  l.max_packet = kMaxPacket;
  l.aligned = CTDB_FUZZ_NODE_LIMITS != 0;
  return l;
}

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

bool length_ok(uint32_t len) {
  const PacketStream::Limits l = limits();
  return len >= kHeaderSize && len <= l.max_packet && (!l.aligned || len % kPacketAlignment == 0);
}

// What the framing must make of the whole stream: its complete packets up to the first length
// outside the limits, and whether there is such a length.
struct Model {
  std::vector<std::pair<size_t, size_t>> packets;  // offset, length
  bool framing_error = false;
};

Model model(const Bytes& s) {
  Model m;
  size_t off = 0;
  while (s.size() - off >= 4) {
    uint32_t len = le32(s.data() + off);
    if (!length_ok(len)) {
      m.framing_error = true;
      break;
    }
    if (s.size() - off < len) break;
    m.packets.emplace_back(off, len);
    off += len;
  }
  return m;
}

struct Handler : PacketStream::Handler {
  const Bytes* stream_bytes = nullptr;
  const Model* expect = nullptr;
  PacketStream::Ptr stream;
  bool destroy_on_error = false;
  bool echo = false;
  int destroy_at_packet = -1;
  size_t delivered = 0;
  Bytes delivered_bytes;
  int errors = 0;
  bool error_framing = false;
  bool destroyed = false;

  bool on_packet(const uint8_t* pkt, size_t len) override {
    FUZZ_CHECK(!destroyed && errors == 0);
    FUZZ_CHECK(len == le32(pkt) && length_ok(static_cast<uint32_t>(len)));
    FUZZ_CHECK(delivered < expect->packets.size());
    auto [off, want] = expect->packets[delivered];
    FUZZ_CHECK(len == want && std::memcmp(pkt, stream_bytes->data() + off, len) == 0);
    delivered++;
    delivered_bytes.insert(delivered_bytes.end(), pkt, pkt + len);
    if (echo) stream->send(pkt, len);
    if (destroy_at_packet >= 0 && delivered == static_cast<size_t>(destroy_at_packet) + 1) {
      destroyed = true;
      stream.reset();
      return false;
    }
    return true;
  }

  void on_stream_error(const char*, bool framing) override {
    FUZZ_CHECK(!destroyed);
    FUZZ_CHECK(errors == 0);
    errors++;
    error_framing = framing;
    if (destroy_on_error) {
      destroyed = true;
      stream.reset();
    }
  }
};

EventLoop& loop() {
  static EventLoop* l = new EventLoop();
  return *l;
}

void run_loop_once() { event_base_loop(loop().base(), EVLOOP_NONBLOCK); }

// Reads whatever the stream sent back.
void drain(int fd, Bytes* echoed) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    echoed->insert(echoed->end(), buf, buf + n);
  }
}

void fuzz_one(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint8_t mode = in.u8();
  uint32_t seed = in.u32() | 1;
  Bytes bytes = in.rest();
  Model m = model(bytes);

  int fds[2];
  FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  int peer = fds[1];
  ::fcntl(peer, F_SETFL, ::fcntl(peer, F_GETFL) | O_NONBLOCK);

  Handler h;
  h.stream_bytes = &bytes;
  h.expect = &m;
  h.destroy_on_error = mode & 1;
  h.echo = mode & 2;
  if (mode & 4) h.destroy_at_packet = mode >> 4;
  h.stream = PacketStream::open(loop(), fds[0], h, limits());

  Bytes echoed;
  size_t off = 0;
  while (off < bytes.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    size_t chunk = (seed & 3) == 0 ? 1 + (seed >> 2) % 4096 : 1 + (seed >> 2) % 64;
    chunk = std::min(chunk, bytes.size() - off);
    ssize_t n = ::send(peer, bytes.data() + off, chunk, MSG_NOSIGNAL);
    if (n < 0) {
      // A full socket (the stream stopped reading) or a closed one (the stream is gone).
      bool full = errno == EAGAIN || errno == EWOULDBLOCK;
      FUZZ_CHECK(full ? (h.destroyed || h.errors > 0) : h.destroyed);
      break;
    }
    off += static_cast<size_t>(n);
    run_loop_once();
    drain(peer, &echoed);
  }
  // Let the stream finish its echo before the end of file stops it.
  for (int i = 0; i < 64 && h.stream && h.stream->queued() > 0; i++) {
    run_loop_once();
    drain(peer, &echoed);
  }
  run_loop_once();
  drain(peer, &echoed);
  if (h.errors == 0 && !h.destroyed) {
    FUZZ_CHECK(h.delivered == m.packets.size());
    FUZZ_CHECK(!m.framing_error);
    if (h.echo) FUZZ_CHECK(echoed == h.delivered_bytes);
  }
  ::shutdown(peer, SHUT_WR);
  for (int i = 0; i < 4; i++) run_loop_once();
  drain(peer, &echoed);

  // What came back is what was handed over, in order.
  FUZZ_CHECK(echoed.size() <= h.delivered_bytes.size());
  FUZZ_CHECK(std::equal(echoed.begin(), echoed.end(), h.delivered_bytes.begin()));
  if (!h.echo) FUZZ_CHECK(echoed.empty());

  if (h.destroy_at_packet >= 0 && h.destroyed && h.errors == 0) {
    // Destroyed by the handler: nothing after that packet.
    FUZZ_CHECK(h.delivered == static_cast<size_t>(h.destroy_at_packet) + 1);
  } else {
    // Every complete packet before the first bad length arrived, then one report: a framing
    // error for that length, or the end of the stream.
    FUZZ_CHECK(h.delivered == m.packets.size());
    FUZZ_CHECK(h.errors == 1);
    FUZZ_CHECK(h.error_framing == m.framing_error);
  }
  h.stream.reset();
  ::close(peer);
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
