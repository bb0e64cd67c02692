// Message registration controls: REGISTER_SRVID, DEREGISTER_SRVID,
// CHECK_SRVIDS and CHECK_PID_SRVID, and the tunnel ids' TUNNEL_REGISTER and
// TUNNEL_DEREGISTER.
#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/clients/srvid_registry.h"
#include "daemon/clients/tunnel_router.h"
#include "daemon/controls/dispatch.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on.
struct SrvidCtx {
  SrvidRegistry& srvids;
  TunnelRouter& tunnels;
  ClientServer& clients;
  std::function<uint32_t()> leader;
  // Sends a message to one local client.
  std::function<void(uint32_t client_id, uint64_t srvid, const proto::Bytes& data)> tell;
};

// The srvid travels in the control header, not in the payload.
ControlReply register_srvid(SrvidCtx& d, const ControlRequest& req) {
  if (req.client == nullptr) return control_error();
  uint32_t client_id = req.client->id();
  d.srvids.add(req.c.srvid, client_id);
  ControlReply r;
  // A tool asking for the leader hears it at once instead of waiting for the
  // next periodic broadcast; Samba's client installs its handler only when
  // the REGISTER_SRVID reply arrives, so the message must follow the reply.
  if (req.c.srvid == SRVID_LEADER && d.leader() != UNKNOWN_PNN) {
    r.after_reply = [&d, client_id] { d.tell(client_id, SRVID_LEADER, u32_bytes(d.leader())); };
  }
  return r;
}

ControlReply deregister_srvid(SrvidCtx& d, const ControlRequest& req) {
  if (req.client == nullptr) return control_error();
  if (!d.srvids.remove(req.c.srvid, req.client->id())) return control_error();
  return {};
}

// Obsolete in 4.17 (which answers -1); we answer it as CTDB 1.x did: one bit
// per srvid of the request, set when some local client listens on it.
ControlReply check_srvids(SrvidCtx& d, const ControlRequest& req) {
  if (req.c.data.size() % 8 != 0) return control_error();
  proto::Reader r(req.c.data);
  size_t n = req.c.data.size() / 8;
  ControlReply rep;
  rep.data.assign((n + 7) / 8, 0);
  for (size_t i = 0; i < n; i++) {
    uint64_t srvid;
    r.u64(&srvid);
    if (d.srvids.exists(srvid)) rep.data[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return rep;
}

ControlReply check_pid_srvid(SrvidCtx& d, const ControlRequest& req) {
  proto::PidSrvid ps;
  if (!proto::from_bytes(req.c.data, &ps)) return control_error();
  for (ClientConnection* c : d.clients.find_by_pid(ps.pid)) {
    if (d.srvids.registered(ps.srvid, c->id())) return {};
  }
  ControlReply rep;
  rep.status = -1;
  return rep;
}

// The tunnel id travels in the control header's srvid, like a srvid.
ControlReply tunnel_register(SrvidCtx& d, const ControlRequest& req) {
  if (req.client == nullptr || !d.tunnels.add(req.c.srvid, req.client->id())) {
    return control_error();
  }
  return {};
}

ControlReply tunnel_deregister(SrvidCtx& d, const ControlRequest& req) {
  if (req.client == nullptr || !d.tunnels.remove(req.c.srvid, req.client->id())) {
    return control_error();
  }
  return {};
}

}  // namespace

void register_srvid_controls(ControlTable& t, SrvidRegistry& srvids, TunnelRouter& tunnels,
                             ClientServer& clients, std::function<uint32_t()> leader,
                             std::function<void(uint32_t, uint64_t, const proto::Bytes&)> tell) {
  auto d = std::make_shared<SrvidCtx>(
      SrvidCtx{srvids, tunnels, clients, std::move(leader), std::move(tell)});
  t.add(CONTROL_REGISTER_SRVID, bind_handler(d, register_srvid));
  t.add(CONTROL_DEREGISTER_SRVID, bind_handler(d, deregister_srvid));
  t.add(CONTROL_CHECK_SRVIDS, bind_handler(d, check_srvids));
  t.add(CONTROL_CHECK_PID_SRVID, bind_handler(d, check_pid_srvid));
  t.add(CONTROL_TUNNEL_REGISTER, bind_handler(d, tunnel_register));
  t.add(CONTROL_TUNNEL_DEREGISTER, bind_handler(d, tunnel_deregister));
}

}  // namespace ctdb::daemon
