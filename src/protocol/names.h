// Names of the protocol's enumerations as CTDB prints and parses them: run
// states and event script events (with the arguments each event takes).
#pragma once

#include <cstdint>
#include <string>

namespace ctdb::proto {

// "RUNNING" etc.; unknown values print as "UNKNOWN".
const char* runstate_name(uint32_t runstate);
// Case-insensitive; RUNSTATE_UNKNOWN (0) for anything else.
uint32_t runstate_from_name(const std::string& name);

// "monitor", "takeip"... for EVENT_*; nullptr for a value outside the table.
const char* event_name(uint32_t event);
// Exact (lower-case) match; false for an unknown name.
bool event_from_name(const std::string& name, uint32_t* event);
// How many arguments an event script gets for `event` (takeip: IFACE IP
// MASKBITS, updateip: OLDIFACE NEWIFACE IP MASKBITS, the rest none); -1 for
// events that are never run (stopped, status, reload).
int event_arg_count(uint32_t event);

}  // namespace ctdb::proto
