// The version string ctdbd and ctdb report.
#pragma once

namespace ctdb {
// Reported by `ctdb version` and `ctdbd --version`; it names the Samba CTDB
// release whose protocol we speak.
const char* version_string();
}  // namespace ctdb
