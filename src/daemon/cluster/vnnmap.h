// The vnnmap a recovery installs (which nodes are lmasters, in what order),
// its generation number, and the lmaster of a record key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "protocol/types.h"

namespace ctdb::daemon::cluster {

// One node as the recovery master sees it when it builds the vnnmap: the
// flags the node reports for itself and the capabilities it reports.
struct VnnMapCandidate {
  uint32_t pnn = 0;
  uint32_t flags = 0;  // NODE_FLAGS_*
  uint32_t capabilities = 0;
};

// Builds the vnnmap of a recovery as 4.17 does: the nodes that are not
// INACTIVE (disconnected, banned, stopped, deleted) and have CAP_LMASTER, in
// the order given (the nodemap's pnn order). Disabled nodes stay in. When no
// node qualifies the map is the recovery master alone.
proto::VnnMap build_vnnmap(const std::vector<VnnMapCandidate>& nodes, uint32_t recmaster_pnn,
                           uint32_t generation);

// A source of 32-bit random numbers; tests inject a fixed sequence.
using RandomSource = std::function<uint32_t()>;

// The process-wide default source (seeded once from the clock and pid; a
// generation only has to differ from the previous one, not be secret).
RandomSource default_random_source();

// A fresh generation: the next value of `random` that is not
// INVALID_GENERATION. Like 4.17 (random()), values are kept below 2^31.
uint32_t new_generation(const RandomSource& random);

}  // namespace ctdb::daemon::cluster
