// The control dispatcher: one table from opcode to handler, filled by each
// area of the daemon (node, tunables, srvids, databases, ...).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "protocol/packet.h"

namespace ctdb::daemon {

class Daemon;
class ClientConnection;

// What a control handler answers. 4.17 returns many results in `status`
// (GET_PNN, GET_PID, PING, GET_RECMODE...), others in `data`.
struct ControlReply {
  int32_t status = 0;
  proto::Bytes data;
  std::string errmsg;
  // The handler keeps the request and will reply later through
  // Daemon::send_control_reply (e.g. a deferred attach).
  bool async = false;
  // Runs right after the reply is queued (e.g. a message the client can only
  // receive once it has seen the reply).
  std::function<void()> after_reply;
};

inline ControlReply control_error(std::string msg = {}) {
  ControlReply r;
  r.status = -1;
  r.errmsg = std::move(msg);
  return r;
}

// Where the reply to a control goes; a handler that answers later (async)
// keeps a copy and calls Daemon::respond with it.
struct Responder {
  enum class Kind { kClient, kNode, kSelf };
  Kind kind = Kind::kClient;
  uint32_t id = 0;  // client id, node pnn, or our own reqid for kSelf
  proto::Header hdr;
  bool noreply = false;
};

struct ControlRequest {
  const proto::Header& hdr;
  const proto::ReqControl& c;
  // The local client that sent it, or null when it came from another node.
  ClientConnection* client;
  uint32_t srcnode;
  Responder responder;
};

using ControlHandler = ControlReply (*)(Daemon& d, const ControlRequest& req);

constexpr size_t kMaxControlOpcode = 256;

class ControlTable {
 public:
  void add(uint32_t opcode, ControlHandler h);
  ControlHandler find(uint32_t opcode) const {
    return opcode < handlers_.size() ? handlers_[opcode] : nullptr;
  }

 private:
  std::array<ControlHandler, kMaxControlOpcode> handlers_{};
};

// Each area registers its handlers; called once when the daemon starts.
void register_node_controls(ControlTable& t);
void register_tunable_controls(ControlTable& t);
void register_srvid_controls(ControlTable& t);
void register_db_controls(ControlTable& t);
void register_vacuum_controls(ControlTable& t);
void register_recovery_controls(ControlTable& t);
void register_admin_controls(ControlTable& t);
void register_monitor_controls(ControlTable& t);
void register_takeover_controls(ControlTable& t);

// Helpers for the common payload shapes.
proto::Bytes u32_bytes(uint32_t v);
proto::Bytes u64_bytes(uint64_t v);
// Reads a payload that must be exactly one u32 / u64.
bool payload_u32(const proto::Bytes& b, uint32_t* v);
bool payload_u64(const proto::Bytes& b, uint64_t* v);

}  // namespace ctdb::daemon
