// Typed REQ_MESSAGE payloads: which layout 4.17 uses for each well-known srvid,
// and encode/decode helpers for the ones that are not a types.h struct.
#pragma once

#include <cstdint>
#include <string>

#include "ctdb/protocol.h"
#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::proto {

// The payload layout of a message, decided by its srvid (protocol_message.c).
enum class MessageKind : uint8_t {
  kRaw,             // any other srvid: opaque bytes (client srvids, Samba notify, ...)
  kNone,            // RECONFIGURE, GETLOG, CLEARLOG, RELOAD_NODES: no bytes
  kPnn,             // BANNING, LEADER, REBALANCE_NODE: u32 pnn
  kElection,        // ELECTION: ElectionMessage
  kIpAddr,          // RELEASE_IP, TAKE_IP: NUL-terminated address text
  kNodeFlagChange,  // SET_NODE_FLAGS, PUSH_NODE_FLAGS
  kPublicIp,        // RECD_UPDATE_IP
  kRecBuffer,       // VACUUM_FETCH
  kDbId,            // DETACH_DATABASE: u32 db_id
  kSrvidMessage,    // MEM_DUMP, TAKEOVER_RUN: reply address
  kDisableMessage,  // DISABLE_TAKEOVER_RUNS, DISABLE_RECOVERIES
  kTimeout,         // DISABLE_IP_CHECK: u32 seconds
};

MessageKind message_kind(uint64_t srvid);
const char* message_kind_name(MessageKind kind);

// Fully decodes a message payload by its srvid's kind; kRaw accepts anything.
bool check_message_payload(uint64_t srvid, const Bytes& payload);

// u32 payloads (pnn, db_id, timeout).
Bytes encode_u32_message(uint32_t value);
bool decode_u32_message(const Bytes& payload, uint32_t* value);

// The address text of RELEASE_IP / TAKE_IP, e.g. "10.0.0.5"; sent with its NUL.
Bytes encode_ipaddr_message(const std::string& ip);
bool decode_ipaddr_message(const Bytes& payload, std::string* ip);

}  // namespace ctdb::proto
