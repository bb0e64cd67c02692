// Administrative controls on this node: disable/enable, stop/continue, ban,
// the lmaster and leader roles, and reloading the nodes file.
#include "common/logging.h"
#include "common/tunables.h"
#include "daemon/cluster/node_state.h"
#include "daemon/controls/dispatch.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

ControlReply change_own_flags(AdminControlsEnv& d, uint32_t set, uint32_t clear) {
  uint32_t flags = d.state.own_flags();
  d.set_own_flags((flags | set) & ~clear);
  return {};
}

ControlReply disable_node(AdminControlsEnv& d, const ControlRequest&) {
  return change_own_flags(d, NODE_FLAGS_PERMANENTLY_DISABLED, 0);
}

ControlReply enable_node(AdminControlsEnv& d, const ControlRequest&) {
  return change_own_flags(d, 0, NODE_FLAGS_PERMANENTLY_DISABLED);
}

// Runs `change` once leadership has moved elsewhere (at once on a node that
// does not lead), then answers: by the time the change shows, as it does
// when the tool sees the reply, another node leads.
ControlReply after_handover(AdminControlsEnv& d, const ControlRequest& req,
                            std::function<void()> change) {
  Responder to = req.responder;
  auto run = [&d, to, change] {
    change();
    d.replies.respond(to, ControlReply{});
  };
  if (!d.hand_over(run)) {
    change();
    return {};
  }
  ControlReply r;
  r.async = true;
  return r;
}

ControlReply stop_node(AdminControlsEnv& d, const ControlRequest& req) {
  CTDB_LOGF(kLogNotice, "Stopping node");
  return after_handover(d, req, [&d] { change_own_flags(d, NODE_FLAGS_STOPPED, 0); });
}

ControlReply continue_node(AdminControlsEnv& d, const ControlRequest&) {
  CTDB_LOGF(kLogNotice, "Continue node");
  return change_own_flags(d, 0, NODE_FLAGS_STOPPED);
}

ControlReply set_ban_state(AdminControlsEnv& d, const ControlRequest& req) {
  proto::BanState b;
  if (!proto::from_bytes(req.c.data, &b)) return control_error();
  if (b.pnn != d.state.pnn()) {
    CTDB_LOGF(kLogError, "SET_BAN_STATE control for PNN %u ignored", b.pnn);
    return control_error();
  }
  if (b.time != 0 && d.tunables[kEnableBans] == 0) {
    CTDB_LOGF(kLogInfo, "Bans are disabled - ignoring ban of node %u", b.pnn);
    return {};
  }
  if (b.time == 0) {
    d.ban(0);
    return {};
  }
  uint32_t seconds = b.time;
  return after_handover(d, req, [&d, seconds] { d.ban(seconds); });
}

ControlReply get_ban_state(AdminControlsEnv& d, const ControlRequest&) {
  proto::BanState b;
  b.pnn = d.state.pnn();
  b.time = d.state.ban_seconds();
  ControlReply r;
  r.data = proto::to_bytes(b);
  return r;
}

void change_role(AdminControlsEnv& d, uint32_t cap, bool on) {
  uint32_t caps = d.state.capabilities();
  caps = on ? (caps | cap) : (caps & ~cap);
  if (caps != d.state.capabilities()) {
    CTDB_LOGF(kLogNotice, "Capabilities changed to 0x%x", caps);
    d.set_capabilities(caps);
  }
}

ControlReply set_role(AdminControlsEnv& d, const ControlRequest& req, uint32_t cap) {
  uint32_t on;
  if (!payload_u32(req.c.data, &on)) return control_error();
  if (cap == CAP_RECMASTER && !on && (d.state.capabilities() & CAP_RECMASTER)) {
    return after_handover(d, req, [&d] { change_role(d, CAP_RECMASTER, false); });
  }
  change_role(d, cap, on != 0);
  return {};
}

ControlReply set_lmasterrole(AdminControlsEnv& d, const ControlRequest& req) {
  return set_role(d, req, CAP_LMASTER);
}

ControlReply set_recmasterrole(AdminControlsEnv& d, const ControlRequest& req) {
  return set_role(d, req, CAP_RECMASTER);
}

ControlReply reload_nodes_file(AdminControlsEnv& d, const ControlRequest&) {
  std::string error;
  if (!d.reload_nodes(&error)) {
    CTDB_LOGF(kLogError, "reloadnodes failed: %s", error.c_str());
    return control_error(error);
  }
  // Like 4.17, no recovery of its own: a new node asks for one when it connects, and a deleted
  // node that was active leaves the leader's vnnmap check short of a node.
  return {};
}

}  // namespace

void register_admin_controls(ControlTable& t, AdminControlsEnv env) {
  auto d = std::make_shared<AdminControlsEnv>(std::move(env));
  t.add(CONTROL_DISABLE_NODE, bind_handler(d, disable_node));
  t.add(CONTROL_ENABLE_NODE, bind_handler(d, enable_node));
  t.add(CONTROL_STOP_NODE, bind_handler(d, stop_node));
  t.add(CONTROL_CONTINUE_NODE, bind_handler(d, continue_node));
  t.add(CONTROL_SET_BAN_STATE, bind_handler(d, set_ban_state));
  t.add(CONTROL_GET_BAN_STATE, bind_handler(d, get_ban_state));
  t.add(CONTROL_SET_LMASTERROLE, bind_handler(d, set_lmasterrole));
  t.add(CONTROL_SET_RECMASTERROLE, bind_handler(d, set_recmasterrole));
  t.add(CONTROL_RELOAD_NODES_FILE, bind_handler(d, reload_nodes_file));
}

}  // namespace ctdb::daemon
