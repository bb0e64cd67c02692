// The control table: for every 4.17 control opcode its name, request and reply
// payload kinds, where its result travels (status or data) and whether it is obsolete.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ctdb/protocol.h"
#include "protocol/wire.h"

namespace ctdb::proto {

// What a control payload holds. Each kind names exactly one codec.
enum class PayloadKind : uint8_t {
  kNone,  // no bytes at all
  kAny,   // not checked: 4.17 defines no layout (obsolete controls)
  kUint32,
  kInt32,
  kUint64,
  kDouble,
  kPid,      // pid_t, 4 bytes
  kDbId,     // u32 database id
  kDbIdPad,  // u32 database id + u32 zero (GET_DB_SEQNUM request, 8 bytes)
  kString,   // NUL-terminated string filling the payload (empty payload = "")
  kStringN,  // u32 length + string + NUL (GET_TUNABLE request)
  kStatistics,
  kStatisticsList,
  kVnnMap,
  kDbIdMap,
  kPullDb,
  kPullDbExt,
  kRecData,
  kRecBuffer,
  kTraverseStart,
  kTraverseAll,
  kTraverseStartExt,
  kTraverseAllExt,
  kSockAddr,
  kConnection,
  kTunable,
  kVarList,
  kNodeFlagChange,
  kTunableList,
  kTickleList,
  kAddrInfo,
  kTransDb,
  kUptime,
  kPublicIp,
  kPublicIpList,
  kNodeMap,
  kScriptList,
  kBanState,
  kNotifyData,
  kIface,
  kIfaceList,
  kPublicIpInfo,
  kKeyData,
  kDbStatistics,
  kPidSrvid,
  kDbVacuum,
  kEchoData,
  kControlStatistics,
};

// Where a successful reply carries the control's answer. 4.17's daemon returns
// a few answers as the REPLY_CONTROL status itself (GET_PNN answers the pnn,
// PROCESS_EXISTS 0 or -1, ...); clients then read `status`, not data.
enum class ResultIn : uint8_t { kData, kStatus };

struct ControlInfo {
  uint32_t opcode;
  const char* name;  // as 4.17 spells it, without "CTDB_CONTROL_": "GET_PNN"
  PayloadKind request;
  PayloadKind reply;
  ResultIn result;
  // 4.17's daemon answers "not implemented" (status -1); kept for the name and,
  // where an older CTDB defined one, the payload kinds.
  bool obsolete;
};

// The entry for an opcode, or nullptr for numbers 4.17 never assigned.
const ControlInfo* find_control(uint32_t opcode);
// The 4.17 name of an opcode, or "UNKNOWN".
const char* control_name(uint32_t opcode);
// The whole table, ordered by opcode (for listing, statistics, tests).
const ControlInfo* control_table(size_t* count);

// Fully decodes `payload` as the given kind; true only when it decodes and every
// byte is consumed. kAny accepts anything.
bool check_payload(PayloadKind kind, const Bytes& payload);
// Checks a REQ_CONTROL payload (or a successful REPLY_CONTROL's data) against the
// table; false for unknown opcodes. For kStatus controls the reply data must be
// empty.
bool check_request_payload(uint32_t opcode, const Bytes& payload);
bool check_reply_payload(uint32_t opcode, const Bytes& payload);

// Name of a kind for logs and tests ("NODE_MAP").
const char* payload_kind_name(PayloadKind kind);

}  // namespace ctdb::proto
