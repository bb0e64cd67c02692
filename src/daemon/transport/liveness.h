// 4.17's keepalives: every KeepaliveInterval each connected peer gets a
// keepalive, and a peer this node heard nothing from for KeepaliveLimit
// intervals in a row is taken for dead and its links are cut. With --torture
// the links to a random connected peer are also cut every 10-30 s, so that
// reconnects, dead-node handling and recoveries run all the time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"

namespace ctdb::daemon {

// The Samba version a keepalive carries: (major << 16) | minor of the release
// we are compatible with (4.17), or CTDB_TEST_SAMBA_VERSION when that is a
// positive number (4.17's test override).
uint32_t keepalive_version();

// 4.17's rule for a peer's keepalive: nodes of different versions cannot
// share a cluster, and the younger node (shorter uptime; on a tie, the
// lower version) is the one that leaves. Returns "" when this node may go
// on, else the log line saying why it must shut down. `has_version` is false
// for a keepalive without the version fields (an older CTDB).
std::string keepalive_version_conflict(bool has_version, uint32_t peer_version,
                                       uint32_t peer_uptime, uint32_t my_version,
                                       uint32_t my_uptime, uint32_t peer_pnn);

class Liveness {
 public:
  struct Host {
    // The peers whose links are up (this node left out).
    std::function<std::vector<uint32_t>()> connected_peers;
    std::function<void(uint32_t pnn)> send_keepalive;
    // Closes both links to a peer; the transport reports it dead.
    std::function<void(uint32_t pnn)> cut;
    // Seconds between two rounds, and silent rounds before a peer is dead.
    std::function<double()> interval;
    std::function<uint32_t()> limit;
  };

  Liveness(EventLoop& loop, Host host);
  ~Liveness();
  Liveness(const Liveness&) = delete;
  Liveness& operator=(const Liveness&) = delete;

  void start(bool torture);
  // Any packet from a peer counts as a sign of life.
  void heard_from(uint32_t pnn);
  // A peer whose links just came up starts with a clean count.
  void connected(uint32_t pnn);

 private:
  struct Peer {
    uint32_t rx_cnt = 0;
    uint32_t dead_count = 0;
  };
  Peer& peer(uint32_t pnn);
  void tick();
  void torture_tick();

  EventLoop& loop_;
  Host host_;
  std::vector<Peer> peers_;  // indexed by pnn, grown as nodes appear
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<Timer> torture_timer_;
};

}  // namespace ctdb::daemon
