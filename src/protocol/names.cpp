// Run state and event names; see names.h.
#include "protocol/names.h"

#include <strings.h>

#include "ctdb/protocol.h"

namespace ctdb::proto {

namespace {

const char* const kRunstateNames[] = {"UNKNOWN", "INIT",    "SETUP",   "FIRST_RECOVERY",
                                      "STARTUP", "RUNNING", "SHUTDOWN"};
constexpr uint32_t kNumRunstates = sizeof(kRunstateNames) / sizeof(kRunstateNames[0]);

struct EventInfo {
  const char* name;
  int args;
};
// Indexed by EVENT_*; stopped, status and reload exist in the numbering only.
const EventInfo kEvents[] = {
    {"init", 0},     {"setup", 0},     {"startup", 0},  {"startrecovery", 0}, {"recovered", 0},
    {"takeip", 3},   {"releaseip", 3}, {"stopped", -1}, {"monitor", 0},       {"status", -1},
    {"shutdown", 0}, {"reload", -1},   {"updateip", 4}, {"ipreallocated", 0}};
static_assert(sizeof(kEvents) / sizeof(kEvents[0]) == EVENT_MAX, "one entry per event");

}  // namespace

const char* runstate_name(uint32_t runstate) {
  return kRunstateNames[runstate < kNumRunstates ? runstate : 0];
}

uint32_t runstate_from_name(const std::string& name) {
  for (uint32_t i = 0; i < kNumRunstates; i++) {
    if (strcasecmp(kRunstateNames[i], name.c_str()) == 0) return i;
  }
  return RUNSTATE_UNKNOWN;
}

const char* event_name(uint32_t event) { return event < EVENT_MAX ? kEvents[event].name : nullptr; }

bool event_from_name(const std::string& name, uint32_t* event) {
  for (uint32_t i = 0; i < EVENT_MAX; i++) {
    if (name == kEvents[i].name) {
      *event = i;
      return true;
    }
  }
  return false;
}

int event_arg_count(uint32_t event) { return event < EVENT_MAX ? kEvents[event].args : -1; }

}  // namespace ctdb::proto
