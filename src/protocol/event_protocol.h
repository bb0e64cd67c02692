// 4.17's event daemon protocol: what the `ctdb-event` helper (run by the
// stock `ctdb scriptstatus` and `ctdb event ...`) sends on eventd.socket and
// what it expects back. Pure encode/decode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::proto::event {

constexpr uint32_t kProtocolVersion = 1;

enum class Command : uint32_t { kRun = 1, kStatus = 2, kScript = 3 };

// RUN flag: run every script even after one fails (4.17's test mode only).
constexpr uint32_t kRunAll = 1;

// A script's result as the event daemon reports it: 0, the exit code, or a
// negative errno (-ETIMEDOUT timed out, -ENOEXEC disabled, other: could not run).
struct Script {
  std::string name;
  Timeval begin;
  Timeval end;
  int32_t result = 0;
  std::string output;
};

struct Request {
  uint32_t reqid = 0;
  Command cmd = Command::kStatus;
  std::string component;  // "legacy"
  std::string event;      // kRun, kStatus
  std::string args;       // kRun: the arguments, space separated
  uint32_t timeout = 0;   // kRun: seconds
  uint32_t flags = 0;     // kRun
  std::string script;     // kScript
  bool enable = false;    // kScript
};

struct Reply {
  uint32_t reqid = 0;
  Command cmd = Command::kStatus;
  int32_t result = 0;  // 0 or an errno; the status below only when 0
  int32_t summary = 0;
  std::vector<Script> scripts;
};

// A whole packet: header (length, version, reqid), then the command's payload.
Bytes encode(const Request& r);
Bytes encode(const Reply& r);
// False for short, oversized or inconsistent input (unknown command, length
// field not the packet's size, a negative script count).
bool decode(const uint8_t* p, size_t n, Request* out);
bool decode(const uint8_t* p, size_t n, Reply* out);

}  // namespace ctdb::proto::event
