// ctdb commands that change a node's state or roles (disable, enable, stop, continue, ban, unban,
// recover, ipreallocate, roles, reloadnodes, getreclock).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/controls.h"
#include "client/format.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

const proto::NodeAndFlags* node_by_pnn(const proto::NodeMap& nodemap, uint32_t pnn) {
  for (const auto& n : nodemap.nodes) {
    if (n.pnn == pnn) return &n;
  }
  return nullptr;
}

// 0 (after saying so) when the node's flag already is as wanted; 1 to go on.
int check_flags(Context* ctx, const char* desc, uint32_t flag, bool set_flag) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  const proto::NodeAndFlags* node = node_by_pnn(*nodemap, ctx->cmd_pnn);
  bool is_set = node != nullptr && (node->flags & flag) != 0;
  if (is_set != set_flag) return 1;
  if (set_flag) {
    fprintf(stderr, "Node %u is already %s\n", ctx->cmd_pnn, desc);
  } else {
    fprintf(stderr, "Node %u is not %s\n", ctx->cmd_pnn, desc);
  }
  return 0;
}

// Polls the nodemap once a second until the flag shows as wanted. As in 4.17 there is no limit of
// its own: -T (maxruntime) ends a wait that never ends.
void wait_for_flags(Context* ctx, uint32_t flag, bool set_flag) {
  for (;;) {
    const proto::NodeMap* nodemap = get_nodemap(ctx, true);
    if (nodemap == nullptr) {
      fprintf(stderr, "Failed to get nodemap, trying again\n");
      sleep(1);
      continue;
    }
    const proto::NodeAndFlags* node = node_by_pnn(*nodemap, ctx->cmd_pnn);
    bool is_set = node != nullptr && (node->flags & flag) != 0;
    if (is_set == set_flag) return;
    sleep(1);
  }
}

// The common shape of disable/enable/stop/continue: check, control, wait, takeover run.
int change_flag(Context* ctx, const std::vector<std::string>& args, const char* command,
                const char* desc, uint32_t flag, bool set_flag, uint32_t opcode,
                const char* failure) {
  if (!args.empty()) usage(command);
  if (check_flags(ctx, desc, flag, set_flag) == 0) return 0;
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, {});
  if (ret != 0) {
    fprintf(stderr, failure, ctx->cmd_pnn);
    return ret;
  }
  wait_for_flags(ctx, flag, set_flag);
  return ipreallocate(ctx);
}

int set_role(Context* ctx, const std::vector<std::string>& args, const char* command,
             uint32_t opcode) {
  if (args.size() != 1) usage(command);
  uint32_t role = 0;
  if (args[0] == "on") {
    role = 1;
  } else if (args[0] != "off") {
    usage(command);
  }
  return client::ctrl_u32(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, role);
}

bool nodemap_identical(const proto::NodeMap& a, const proto::NodeMap& b) {
  if (a.nodes.size() != b.nodes.size()) return false;
  for (size_t i = 0; i < a.nodes.size(); i++) {
    const auto& n1 = a.nodes[i];
    const auto& n2 = b.nodes[i];
    if (n1.pnn != n2.pnn || n1.flags != n2.flags || !n1.addr.same_ip(n2.addr)) return false;
  }
  return true;
}

// What reloading the nodes file would change; 1 (after saying why) when it must not.
int check_node_file_changes(const proto::NodeMap& nm, const proto::NodeMap& fnm, bool* reload) {
  bool failed = false;
  *reload = false;
  size_t i = 0;
  for (; i < nm.nodes.size(); i++) {
    const auto& cur = nm.nodes[i];
    if (i >= fnm.nodes.size()) {
      fprintf(stderr, "Node %u (%s) missing from nodes file\n", cur.pnn,
              cur.addr.to_string().c_str());
      failed = true;
      continue;
    }
    const auto& file = fnm.nodes[i];
    bool was_deleted = cur.flags & NODE_FLAGS_DELETED;
    bool now_deleted = file.flags & NODE_FLAGS_DELETED;
    if (was_deleted && now_deleted) continue;
    if (!was_deleted && !now_deleted) {
      if (!cur.addr.same_ip(file.addr)) {
        fprintf(stderr, "Node %u has changed IP address (was %s, now %s)\n", cur.pnn,
                cur.addr.to_string().c_str(), file.addr.to_string().c_str());
        failed = true;
      } else if (cur.flags & NODE_FLAGS_DISCONNECTED) {
        fprintf(stderr, "WARNING: Node %u is disconnected. You MUST fix this node manually!\n",
                cur.pnn);
      }
      continue;
    }
    if (now_deleted) {
      printf("Node %u is DELETED\n", cur.pnn);
      *reload = true;
      if (!(cur.flags & NODE_FLAGS_DISCONNECTED)) {
        fprintf(stderr, "ERROR: Node %u is still connected\n", cur.pnn);
        failed = true;
      }
      continue;
    }
    printf("Node %u is UNDELETED\n", cur.pnn);
    *reload = true;
  }
  if (failed) {
    fprintf(stderr, "ERROR: Nodes will not be reloaded due to previous error\n");
    return 1;
  }
  for (; i < fnm.nodes.size(); i++) {
    printf("Node %u is NEW\n", fnm.nodes[i].pnn);
    *reload = true;
  }
  return 0;
}

// Asks every node in `pnns` to hold off recoveries for `timeout` seconds (0 lifts it) and waits
// until each has confirmed.
int disable_recoveries(Context* ctx, uint32_t timeout, const std::vector<uint32_t>& pnns) {
  proto::DisableMessage msg;
  msg.pnn = ctx->pnn;
  msg.srvid = ctx->next_srvid();
  msg.timeout = timeout;
  int ret = ctx->c().register_srvid(msg.srvid);
  if (ret != 0) return ret;
  Bytes payload = proto::to_bytes(msg);
  for (uint32_t pnn : pnns) {
    ret = ctx->c().send_message(pnn, SRVID_DISABLE_RECOVERIES, payload);
    if (ret != 0) {
      ctx->c().deregister_srvid(msg.srvid);
      return ret;
    }
  }
  std::vector<bool> replied(pnns.size(), false);
  int status = 0;
  bool done = false;
  client::Deadline deadline = ctx->timeout();
  while (!done) {
    client::Message m;
    int err = ctx->c().wait_message(deadline, &m);
    if (err == ETIMEDOUT) {
      fprintf(stderr, "Timed out waiting to disable recoveries\n");
      ctx->c().deregister_srvid(msg.srvid);
      return ETIME;
    }
    if (err != 0) {
      ctx->c().deregister_srvid(msg.srvid);
      return err;
    }
    if (m.srvid == SRVID_LEADER) {
      proto::Reader r(m.data);
      uint32_t pnn;
      if (r.u32(&pnn)) ctx->leader_pnn = pnn;
      continue;
    }
    if (m.srvid != msg.srvid || m.data.size() != 4) continue;
    proto::Reader r(m.data);
    uint32_t v = 0;
    r.u32(&v);
    // A node answers with its pnn, or with a negative error.
    int32_t answer = static_cast<int32_t>(v);
    if (answer < 0) {
      status = answer;
      break;
    }
    done = true;
    for (size_t i = 0; i < pnns.size(); i++) {
      if (pnns[i] == v) replied[i] = true;
      if (!replied[i]) done = false;
    }
  }
  ctx->c().deregister_srvid(msg.srvid);
  return status >= 0 ? 0 : 1;
}

}  // namespace

int control_disable(Context* ctx, const std::vector<std::string>& args) {
  return change_flag(ctx, args, "disable", "disabled", NODE_FLAGS_PERMANENTLY_DISABLED, true,
                     CONTROL_DISABLE_NODE, "Failed to disable node %u\n");
}

int control_enable(Context* ctx, const std::vector<std::string>& args) {
  return change_flag(ctx, args, "enable", "disabled", NODE_FLAGS_PERMANENTLY_DISABLED, false,
                     CONTROL_ENABLE_NODE, "Failed to enable node %u\n");
}

int control_stop(Context* ctx, const std::vector<std::string>& args) {
  return change_flag(ctx, args, "stop", "stopped", NODE_FLAGS_STOPPED, true, CONTROL_STOP_NODE,
                     "Failed to stop node %u\n");
}

int control_continue(Context* ctx, const std::vector<std::string>& args) {
  return change_flag(ctx, args, "continue", "stopped", NODE_FLAGS_STOPPED, false,
                     CONTROL_CONTINUE_NODE, "Failed to continue stopped node %u\n");
}

int control_ban(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("ban");
  if (check_flags(ctx, "banned", NODE_FLAGS_BANNED, true) == 0) return 0;
  unsigned long seconds = 0;
  int ret = client::parse_ulong(args[0], &seconds);
  if (ret != 0) return ret;
  proto::BanState ban;
  ban.pnn = ctx->cmd_pnn;
  ban.time = static_cast<uint32_t>(seconds);
  if (ban.time == 0) {
    fprintf(stderr, "Ban time cannot be zero\n");
    return EINVAL;
  }
  ret = client::ctrl_set_ban_state(ctx->c(), ctx->cmd_pnn, ctx->timeout(), ban);
  if (ret != 0) {
    fprintf(stderr, "Failed to ban node %u\n", ctx->cmd_pnn);
    return ret;
  }
  wait_for_flags(ctx, NODE_FLAGS_BANNED, true);
  return ipreallocate(ctx);
}

int control_unban(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("unban");
  if (check_flags(ctx, "banned", NODE_FLAGS_BANNED, false) == 0) return 0;
  proto::BanState ban;
  ban.pnn = ctx->cmd_pnn;
  ban.time = 0;
  int ret = client::ctrl_set_ban_state(ctx->c(), ctx->cmd_pnn, ctx->timeout(), ban);
  if (ret != 0) {
    fprintf(stderr, "Failed to unban node %u\n", ctx->cmd_pnn);
    return ret;
  }
  wait_for_flags(ctx, NODE_FLAGS_BANNED, false);
  return ipreallocate(ctx);
}

int control_recover(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("recover");
  uint32_t generation = 0;
  int ret = get_generation(ctx, &generation);
  if (ret != 0) return ret;
  ret = client::ctrl_set_recmode(ctx->c(), ctx->cmd_pnn, ctx->timeout(), RECOVERY_ACTIVE);
  if (ret != 0) {
    fprintf(stderr, "Failed to set recovery mode active\n");
    return ret;
  }
  // Done when the leader shows a new generation outside recovery.
  for (;;) {
    uint32_t next = 0;
    ret = get_generation(ctx, &next);
    if (ret != 0) {
      fprintf(stderr, "Failed to confirm end of recovery\n");
      return ret;
    }
    if (next != generation) return 0;
    sleep(1);
  }
}

int control_ipreallocate(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("ipreallocate");
  return ipreallocate(ctx);
}

int control_getreclock(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("getreclock");
  std::string reclock;
  bool has = false;
  int ret = client::ctrl_get_reclock_file(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &reclock, &has);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).key("reclock");
    if (has) {
      w.value(reclock);
    } else {
      w.null();
    }
    print_json(ctx, w.end_object());
    return 0;
  }
  if (has) printf("%s\n", reclock.c_str());
  return 0;
}

int control_setlmasterrole(Context* ctx, const std::vector<std::string>& args) {
  return set_role(ctx, args, "setlmasterrole", CONTROL_SET_LMASTERROLE);
}

int control_setleaderrole(Context* ctx, const std::vector<std::string>& args) {
  return set_role(ctx, args, "setleaderrole", CONTROL_SET_RECMASTERROLE);
}

int control_reloadnodes(Context* ctx, const std::vector<std::string>&) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  auto file_nodemap = read_nodes_file();
  if (!file_nodemap) return 1;
  for (const auto& n : nodemap->nodes) {
    if (n.flags & NODE_FLAGS_DISCONNECTED) continue;
    proto::NodeMap remote;
    int ret = client::ctrl_get_nodes_file(ctx->c(), n.pnn, ctx->timeout(), &remote);
    if (ret != 0) {
      fprintf(stderr, "ERROR: Failed to get nodes file from node %u\n", n.pnn);
      return ret;
    }
    if (!nodemap_identical(*file_nodemap, remote)) {
      fprintf(stderr, "ERROR: Nodes file on node %u differs from current node (%u)\n", n.pnn,
              ctx->pnn);
      return 1;
    }
  }
  bool reload = false;
  int ret = check_node_file_changes(*nodemap, *file_nodemap, &reload);
  if (ret != 0) return ret;
  if (!reload) {
    fprintf(stderr, "No change in nodes file, skipping unnecessary reload\n");
    return 0;
  }
  std::vector<uint32_t> pnns = list_of_nodes(*nodemap, NODE_FLAGS_DISCONNECTED);
  if (pnns.empty()) {
    fprintf(stderr, "Memory allocation error\n");
    return 1;
  }
  // Recoveries stay off while nodes switch to the new list.
  ret = disable_recoveries(ctx, 2 * static_cast<uint32_t>(options.timelimit), pnns);
  if (ret != 0) {
    fprintf(stderr, "Failed to disable recoveries\n");
    return ret;
  }
  std::vector<client::ControlReply> replies;
  if (control_multi(ctx, pnns, CONTROL_RELOAD_NODES_FILE, {}, &replies) != 0) {
    bool failed = false;
    for (size_t i = 0; i < pnns.size(); i++) {
      if (replies[i].status != 0) {
        fprintf(stderr, "Node %u failed to reload nodes\n", pnns[i]);
        failed = true;
      }
    }
    if (failed) fprintf(stderr, "You MUST fix failed nodes manually!\n");
  }
  ret = disable_recoveries(ctx, 0, pnns);
  if (ret != 0) {
    fprintf(stderr, "Failed to enable recoveries\n");
    return ret;
  }
  return 0;
}

}  // namespace ctdb::tool
