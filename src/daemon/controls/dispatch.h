// The control dispatcher: one table that joins each opcode's protocol entry
// (name, payload kinds) with its handler, who may call it and its counters.
// Each area of the daemon (node, tunables, srvids, databases, ...) fills in
// its handlers; the dispatcher checks a request before any handler sees it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "protocol/control.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb {
class Tunables;
}

namespace ctdb::daemon {

class ClientConnection;
class ClientServer;
class SrvidRegistry;
class TunnelRouter;
class VacuumManager;
class ClusterHost;
class DbRegistry;
class TraverseManager;
class SeqnumSync;
namespace monitor {
class Monitor;
}
namespace cluster {
class RecoverdHost;
class NodeState;
}  // namespace cluster
namespace takeover {
class PublicIps;
}

// What a control handler answers. 4.17 returns many results in `status`
// (GET_PNN, GET_PID, PING, GET_RECMODE...), others in `data`.
struct ControlReply {
  int32_t status = 0;
  proto::Bytes data;
  std::string errmsg;
  // The handler keeps the request and will reply later through
  // ReplySink::respond (e.g. a deferred attach).
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
// keeps a copy and calls ReplySink::respond with it.
struct Responder {
  enum class Kind { kClient, kNode, kSelf };
  Kind kind = Kind::kClient;
  uint32_t id = 0;  // client id, node pnn, or our own reqid for kSelf
  proto::Header hdr;
  bool noreply = false;
  // Set by the dispatcher for a handler that answers later, so that the
  // reply is counted for its control when it goes out.
  uint32_t opcode = 0;
  double started = 0;  // monotonic seconds; 0: not counted at reply time
};

struct ControlRequest {
  const proto::Header& hdr;
  const proto::ReqControl& c;
  // The local client that sent it, or null when it came from another node.
  ClientConnection* client;
  uint32_t srcnode;
  Responder responder;
};

// A handler sees only the request; what else it needs (tunables, the public
// addresses, the databases...) it was given when it was registered.
using ControlHandler = std::function<ControlReply(const ControlRequest& req)>;

// Where a handler that answers later (ControlReply::async) sends its reply.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // Sends the reply to where the request came from, then runs reply.after_reply.
  virtual void respond(const Responder& to, const ControlReply& reply) = 0;
};

// Registers `fn(ctx, req)` as a handler: the area's handlers are plain
// functions of their context and the request.
template <typename Ctx>
ControlHandler bind_handler(Ctx& ctx, ControlReply (*fn)(Ctx&, const ControlRequest&)) {
  return [&ctx, fn](const ControlRequest& req) { return fn(ctx, req); };
}
// The same for a context made for the area's handlers (shared by them).
template <typename Ctx>
ControlHandler bind_handler(const std::shared_ptr<Ctx>& ctx,
                            ControlReply (*fn)(Ctx&, const ControlRequest&)) {
  return [ctx, fn](const ControlRequest& req) { return fn(*ctx, req); };
}

constexpr size_t kMaxControlOpcode = 256;

// Who may send a control. Controls the daemons exchange among themselves
// (traverse streams, tickle list pushes, ...) are refused from local clients.
enum class ControlAccess : uint8_t { kClientOrNode, kNodeOnly };

class ControlTable {
 public:
  struct Entry {
    const proto::ControlInfo* info = nullptr;  // name and payload kinds
    ControlHandler handler = nullptr;
    ControlAccess access = ControlAccess::kClientOrNode;
    // Calls, refusals and failed answers, and the time from request to reply
    // (the opcode is filled in by statistics()).
    proto::ControlStatistics::Entry counters;
  };

  // Registers the handler of an opcode. An opcode 4.17 (or we) never
  // assigned, one beyond the table, or one registered twice is a programming
  // error: throws std::logic_error, so the daemon does not start.
  void add(uint32_t opcode, ControlHandler h, ControlAccess access = ControlAccess::kClientOrNode);

  // Runs a control: refuses (status -1, as 4.17 answers an unknown control
  // or one with a bad payload) an opcode without a handler, a node-only
  // control from a client, or a request whose payload does not decode as the
  // protocol table says; otherwise calls the handler. A synchronous answer
  // is counted here; an asynchronous one when it is sent (finished()).
  ControlReply dispatch(ControlRequest& req, double now);

  // Counts the answer of a control that replied later (Responder::started).
  void finished(uint32_t opcode, int32_t status, double seconds);

  const Entry* entry(uint32_t opcode) const {
    return opcode < entries_.size() && entries_[opcode].handler ? &entries_[opcode] : nullptr;
  }
  // The counters of every control called at least once, by opcode.
  proto::ControlStatistics statistics() const;
  void reset_statistics();

 private:
  void count(Entry& e, int32_t status, double seconds);
  std::array<Entry, kMaxControlOpcode> entries_{};
};

// What the controls on this node as a whole read, and what they set off.
struct NodeControlsEnv {
  const cluster::NodeState& state;
  const ClientServer& clients;
  proto::Statistics& stats;
  const ControlTable& table;
  std::string nodes_file;
  std::string reclock;
  std::function<uint32_t()> leader;
  std::function<void()> reset_statistics;
  std::function<void()> shutdown;
  std::function<std::string()> memory_report;
};

// What the administrative controls read, and what they set off: changing
// this node's flags, ban or capabilities tells the cluster.
struct AdminControlsEnv {
  const cluster::NodeState& state;
  const Tunables& tunables;
  std::function<void(uint32_t flags)> set_own_flags;
  std::function<void(uint32_t seconds)> ban;
  std::function<void(uint32_t caps)> set_capabilities;
  std::function<bool(std::string* error)> reload_nodes;
  // Stopping, banning or taking the leader role from the leader waits for
  // another node to lead first (Recoverd::hand_over); false: no need to wait.
  std::function<bool(std::function<void()> then)> hand_over;
  ReplySink& replies;
};

// Each area registers its handlers; called once when the daemon starts.
void register_node_controls(ControlTable& t, NodeControlsEnv env);
void register_tunable_controls(ControlTable& t, Tunables& tunables);
void register_srvid_controls(ControlTable& t, SrvidRegistry& srvids, TunnelRouter& tunnels,
                             ClientServer& clients, std::function<uint32_t()> leader,
                             std::function<void(uint32_t, uint64_t, const proto::Bytes&)> tell);
void register_db_controls(ControlTable& t, ClusterHost& cluster, DbRegistry& dbs,
                          TraverseManager& traverses, SeqnumSync& seqnums, ReplySink& replies,
                          std::function<void(const Responder&)> commit_needs_recovery);
void register_vacuum_controls(ControlTable& t, VacuumManager& vacuum, ReplySink& replies);
void register_recovery_controls(ControlTable& t, cluster::RecoverdHost& cluster, DbRegistry& dbs,
                                ReplySink& replies,
                                std::function<void(uint32_t, bool)> apply_recmode,
                                std::function<void(proto::VnnMap)> apply_vnnmap);
void register_admin_controls(ControlTable& t, AdminControlsEnv env);
void register_monitor_controls(ControlTable& t, monitor::Monitor& monitor, ReplySink& replies);
void register_takeover_controls(ControlTable& t, takeover::PublicIps& ips, ReplySink& replies);

// Helpers for the common payload shapes.
proto::Bytes u32_bytes(uint32_t v);
proto::Bytes u64_bytes(uint64_t v);
// Reads a payload that must be exactly one u32 / u64.
bool payload_u32(const proto::Bytes& b, uint32_t* v);
bool payload_u64(const proto::Bytes& b, uint64_t* v);

}  // namespace ctdb::daemon
