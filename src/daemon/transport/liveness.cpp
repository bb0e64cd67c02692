#include "daemon/transport/liveness.h"

#include <cstdio>
#include <cstdlib>

#include "common/logging.h"

namespace ctdb::daemon {

uint32_t keepalive_version() {
  static const uint32_t version = [] {
    uint32_t v = (4u << 16) | 17u;
    if (const char* t = getenv("CTDB_TEST_SAMBA_VERSION")) {
      int n = atoi(t);
      if (n > 0) {
        v = static_cast<uint32_t>(n);
      } else {
        CTDB_LOGF(kLogWarning, "Failed to parse env var: %s", t);
      }
    }
    return v;
  }();
  return version;
}

std::string keepalive_version_conflict(bool has_version, uint32_t peer_version,
                                       uint32_t peer_uptime, uint32_t my_version,
                                       uint32_t my_uptime, uint32_t peer_pnn) {
  char why[128];
  if (!has_version) {
    snprintf(why, sizeof(why), "Keepalive version missing from node %u", peer_pnn);
    return why;
  }
  if (peer_version == my_version) return "";
  // The node that has been up longer stays; on equal uptimes the higher version does.
  bool i_leave = peer_uptime > my_uptime || (peer_uptime == my_uptime && peer_version > my_version);
  if (!i_leave) return "";
  snprintf(why, sizeof(why), "Keepalive version mismatch 0x%08x != 0x%08x from node %u", my_version,
           peer_version, peer_pnn);
  return why;
}

Liveness::Liveness(EventLoop& loop, Host host) : loop_(loop), host_(std::move(host)) {}

Liveness::~Liveness() = default;

void Liveness::start(bool torture) {
  timer_ = std::make_unique<Timer>(loop_, [this] { tick(); });
  timer_->start(host_.interval());
  if (torture) {
    CTDB_LOGF(kLogWarning, "Torture mode: links to other nodes will be cut at random");
    torture_timer_ = std::make_unique<Timer>(loop_, [this] { torture_tick(); });
    torture_timer_->start(10 + rand() % 20);
  }
}

Liveness::Peer& Liveness::peer(uint32_t pnn) {
  if (pnn >= peers_.size()) peers_.resize(pnn + 1);
  return peers_[pnn];
}

void Liveness::heard_from(uint32_t pnn) { peer(pnn).rx_cnt++; }

void Liveness::connected(uint32_t pnn) { peer(pnn) = Peer{}; }

void Liveness::tick() {
  for (uint32_t pnn : host_.connected_peers()) {
    Peer& p = peer(pnn);
    p.dead_count = p.rx_cnt == 0 ? p.dead_count + 1 : 0;
    p.rx_cnt = 0;
    if (p.dead_count >= host_.limit()) {
      CTDB_LOGF(kLogNotice, "dead count reached for node %u", pnn);
      host_.cut(pnn);
      continue;
    }
    host_.send_keepalive(pnn);
  }
  timer_->start(host_.interval());
}

void Liveness::torture_tick() {
  std::vector<uint32_t> peers = host_.connected_peers();
  if (!peers.empty()) {
    uint32_t victim = peers[static_cast<size_t>(rand()) % peers.size()];
    CTDB_LOGF(kLogNotice, "torture: cutting the links to node %u", victim);
    host_.cut(victim);
  }
  torture_timer_->start(10 + rand() % 20);
}

}  // namespace ctdb::daemon
