// TCP links to the other nodes, as 4.17 runs them: every node listens on its
// nodes-file address and opens one outgoing connection (bound to its own
// address) to every other node. Packets go out on the outgoing link and come
// in on the peer's; a peer is connected while both links are up.
//
// What arrives on the node port is checked as 4.17 checks it: a connection
// from an address not in the nodes file is closed at once; a second one from a
// connected node is closed too (while the node is not connected, the newest
// connection replaces the one before); a length outside the limits,
// a wrong magic or protocol version tears down both links to that node (4.17's
// node_dead), which reconnect by themselves. Packets of another generation are
// the daemon's to drop, not the transport's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::daemon {

// What the transport reports; callbacks run on the reactor.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  // A whole packet from `pnn` whose header passed decode_header().
  virtual void on_node_packet(uint32_t pnn, const uint8_t* pkt, size_t len) = 0;
  // Both links to `pnn` are up.
  virtual void on_node_connected(uint32_t pnn) = 0;
  // A link to `pnn` failed or the peer sent garbage; the transport has torn
  // both links down and reconnects by itself.
  virtual void on_node_dead(uint32_t pnn) = 0;
};

class NodeTransport {
 public:
  struct Peer {
    uint32_t pnn;
    proto::SockAddr addr;  // with port
  };

  // `self` is this node's address (with port); `peers` every other live node.
  NodeTransport(EventLoop& loop, TransportHandler& handler, proto::SockAddr self,
                std::vector<Peer> peers, size_t max_packet);
  ~NodeTransport();
  NodeTransport(const NodeTransport&) = delete;
  NodeTransport& operator=(const NodeTransport&) = delete;

  // Binds the listening socket and starts connecting to every peer.
  bool start(std::string* error);
  // Sends (or queues) a packet (already padded to 8 bytes) to `pnn`. Returns
  // false, dropping the packet, when there is no outgoing link (4.17 does the same).
  bool send(uint32_t pnn, const uint8_t* pkt, size_t len);
  bool send(uint32_t pnn, const proto::Bytes& pkt) { return send(pnn, pkt.data(), pkt.size()); }
  bool connected(uint32_t pnn) const;
  // Tears down both links to `pnn` (keepalive expiry) and reconnects later.
  void reset(uint32_t pnn);
  // Adds or replaces the peer list (reloadnodes); links to removed peers close.
  void set_peers(std::vector<Peer> peers);

  // An incoming link of a node that is not connected (no outgoing link to it
  // is up, so keepalives do not watch it) holding part of a packet and
  // receiving nothing more for this long is closed: a real node writes whole
  // packets, and the half-open link would otherwise keep that node's slot
  // (4.17 keeps it until the node's own connection is refused and retried).
  // Detected between one and two periods after the last byte. Links of
  // connected nodes are left to the keepalives and their tunables.
  static constexpr double kDefaultStallTimeout = 5.0;
  void set_stall_timeout(double seconds) { stall_timeout_ = seconds; }

 private:
  struct Link;
  void on_accept(int fd, const sockaddr* sa, int len);
  static void on_connect_done(evutil_socket_t fd, short what, void* arg);

  Link* find(uint32_t pnn) const;
  void connect(Link& l);
  void out_connected(Link& l);
  void schedule_connect(Link& l);
  void drop(Link& l, const char* why);
  bool incoming_packet(Link& l, const uint8_t* pkt, size_t len);
  void check_stall(Link& l);

  EventLoop& loop_;
  TransportHandler& handler_;
  proto::SockAddr self_;
  size_t max_packet_;
  double stall_timeout_ = kDefaultStallTimeout;
  std::unique_ptr<Listener> listener_;
  std::vector<std::unique_ptr<Link>> links_;
  // Refusals can be provoked at will by anyone who reaches the port.
  LogThrottle refused_log_;
};

}  // namespace ctdb::daemon
