// The version string ctdbd and ctdb report.
#include "common/version.h"

namespace ctdb {
const char* version_string() { return "4.17.12-ctdbd"; }
}  // namespace ctdb
