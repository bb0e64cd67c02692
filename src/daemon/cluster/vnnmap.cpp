// vnnmap construction, generation numbers and key -> lmaster (see vnnmap.h).
#include "daemon/cluster/vnnmap.h"

#include <time.h>
#include <unistd.h>

#include <memory>
#include <random>

#include "common/ltdb.h"
#include "ctdb/protocol.h"

namespace ctdb::daemon::cluster {

proto::VnnMap build_vnnmap(const std::vector<VnnMapCandidate>& nodes, uint32_t recmaster_pnn,
                           uint32_t generation) {
  proto::VnnMap vnnmap;
  vnnmap.generation = generation;
  for (const auto& node : nodes) {
    if ((node.flags & NODE_FLAGS_INACTIVE) != 0) continue;
    if ((node.capabilities & CAP_LMASTER) == 0) continue;
    vnnmap.map.push_back(node.pnn);
  }
  // Every key needs an lmaster, so a cluster with no lmaster-capable node
  // still gets a one-entry map rather than an empty one.
  if (vnnmap.map.empty()) vnnmap.map.push_back(recmaster_pnn);
  return vnnmap;
}

RandomSource default_random_source() {
  // Shared so that successive generations come from one stream.
  static auto engine = [] {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    std::seed_seq seq{static_cast<uint32_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec),
                      static_cast<uint32_t>(getpid())};
    return std::make_shared<std::mt19937>(seq);
  }();
  return [e = engine] { return static_cast<uint32_t>((*e)()); };
}

uint32_t new_generation(const RandomSource& random) {
  for (;;) {
    uint32_t g = random() & 0x7fffffffU;
    if (g != INVALID_GENERATION) return g;
  }
}

}  // namespace ctdb::daemon::cluster
