// ctdb commands about one node: version, status, nodestatus, uptime, ping, runstate,
// capabilities, pnn, debug level, pid, shutdown, listnodes, leader.
#include <errno.h>
#include <stdio.h>

#include <chrono>

#include "client/controls.h"
#include "client/format.h"
#include "common/version.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

// A node with no flags whose interfaces include a down one is shown as
// PARTIALLYONLINE; failures to ask count as "no".
bool partially_online(Context* ctx, const proto::NodeAndFlags& node) {
  if (node.flags != 0) return false;
  client::ControlReply reply;
  int err = client::ctrl_simple(ctx->c(), node.pnn, ctx->timeout(), CONTROL_GET_IFACES, {}, &reply);
  if (err != 0) return false;
  proto::IfaceList ifaces;
  if (!proto::from_bytes(reply.data, &ifaces)) return false;
  for (const auto& i : ifaces.ifaces) {
    if (i.link_state == 0) return true;
  }
  return false;
}

std::string node_state(const NodeStatus& n) {
  return n.partially_online ? "PARTIALLYONLINE" : client::node_flags_string(n.node.flags);
}

}  // namespace

NodeList get_node_list(Context* ctx, const proto::NodeMap& nodemap) {
  NodeList list;
  list.num_nodes = nodemap.nodes.size();
  for (const auto& n : nodemap.nodes) {
    if (n.flags & NODE_FLAGS_DELETED) {
      list.num_deleted++;
      continue;
    }
    list.nodes.push_back({n, partially_online(ctx, n)});
  }
  return list;
}

void print_node_list(const NodeList& list, uint32_t mypnn, bool print_header) {
  if (print_header && list.num_deleted == 0) {
    printf("Number of nodes:%zu\n", list.num_nodes);
  } else if (print_header) {
    printf("Number of nodes:%zu (including %zu deleted nodes)\n", list.num_nodes, list.num_deleted);
  }
  for (const auto& n : list.nodes) {
    printf("pnn:%u %-16s %s%s\n", n.node.pnn, n.node.addr.to_string().c_str(),
           node_state(n).c_str(), n.node.pnn == mypnn ? " (THIS NODE)" : "");
  }
}

void print_node_list_machine(const NodeList& list, uint32_t mypnn) {
  const char* s = options.sep;
  printf(
      "%sNode%sIP%sDisconnected%sUnknown%sBanned%sDisabled%sUnhealthy%sStopped%sInactive%s"
      "PartiallyOnline%sThisNode%s\n",
      s, s, s, s, s, s, s, s, s, s, s, s);
  for (const auto& entry : list.nodes) {
    const proto::NodeAndFlags& n = entry.node;
    printf("%s%u%s%s%s%d%s%d%s%d%s%d%s%d%s%d%s%d%s%d%s%c%s\n", s, n.pnn, s,
           n.addr.to_string().c_str(), s, !!(n.flags & NODE_FLAGS_DISCONNECTED), s,
           !!(n.flags & client::kNodeFlagsUnknown), s, !!(n.flags & NODE_FLAGS_BANNED), s,
           !!(n.flags & NODE_FLAGS_PERMANENTLY_DISABLED), s, !!(n.flags & NODE_FLAGS_UNHEALTHY), s,
           !!(n.flags & NODE_FLAGS_STOPPED), s, !!(n.flags & NODE_FLAGS_INACTIVE), s,
           entry.partially_online ? 1 : 0, s, n.pnn == mypnn ? 'Y' : 'N', s);
  }
}

void json_node_list(JsonWriter& w, const NodeList& list, uint32_t mypnn) {
  w.field("num_nodes", list.num_nodes).field("num_deleted", list.num_deleted);
  w.key("nodes").begin_array();
  for (const auto& n : list.nodes) {
    w.begin_object().field("pnn", n.node.pnn).field("address", n.node.addr.to_string());
    json_node_flags(w, n.node.flags);
    w.field("state", node_state(n)).field("partially_online", n.partially_online);
    w.field("this_node", n.node.pnn == mypnn).end_object();
  }
  w.end_array();
}

// Until the first recovery is over, other nodes' flags are not known yet:
// shows them as UNKNOWN rather than a misleading UNHEALTHY. False (after
// printing, as 4.17 does, without a newline) when the runstate is unknown.
bool nodemap_unknown(Context* ctx, const proto::NodeMap& in, proto::NodeMap* out) {
  uint32_t runstate = 0;
  if (client::ctrl_get_runstate(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &runstate) != 0) {
    print_failure("Unable to get runstate");
    return false;
  }
  *out = in;
  for (auto& n : out->nodes) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    if (runstate <= RUNSTATE_FIRST_RECOVERY && !(n.flags & NODE_FLAGS_DISCONNECTED) &&
        n.pnn != ctx->cmd_pnn) {
      n.flags = client::kNodeFlagsUnknown;
    }
  }
  return true;
}

// The nodes a nodestatus argument names: the command's node (none given),
// "all", or a comma-separated pnn list.
bool parse_nodestring(Context* ctx, const std::string* nodestring, proto::NodeMap* out) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return false;
  out->nodes.clear();
  if (nodestring == nullptr) {
    for (const auto& n : nodemap->nodes) {
      if (n.pnn == ctx->cmd_pnn) {
        out->nodes.push_back(n);
        break;
      }
    }
    return true;
  }
  if (*nodestring == "all") {
    *out = *nodemap;
    return true;
  }
  size_t pos = 0;
  while (pos <= nodestring->size()) {
    size_t comma = nodestring->find(',', pos);
    std::string tok = nodestring->substr(pos, comma == std::string::npos ? comma : comma - pos);
    pos = comma == std::string::npos ? nodestring->size() + 1 : comma + 1;
    if (tok.empty()) continue;  // strtok skips empty fields
    unsigned long v = 0;
    if (client::parse_ulong(tok, &v) != 0) {
      fprintf(stderr, "Invalid node %s\n", tok.c_str());
      return false;
    }
    uint32_t pnn = static_cast<uint32_t>(v);
    const proto::NodeAndFlags* node = nullptr;
    for (const auto& n : nodemap->nodes) {
      if (n.pnn == pnn) node = &n;
    }
    if (node == nullptr) {
      fprintf(stderr, "Node %u does not exist\n", pnn);
      return false;
    }
    out->nodes.push_back(*node);
  }
  return true;
}

int control_version(Context*, const std::vector<std::string>&) {
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("version", version_string()).end_object();
    print_json(nullptr, w);
    return 0;
  }
  printf("%s\n", version_string());
  return 0;
}

int control_status(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("status");
  const proto::NodeMap* in = get_nodemap(ctx, false);
  if (in == nullptr) return 1;

  proto::NodeMap nodemap;
  if (!nodemap_unknown(ctx, *in, &nodemap)) return 1;
  NodeList nodes = get_node_list(ctx, nodemap);

  if (options.machinereadable == 1) {
    print_node_list_machine(nodes, ctx->cmd_pnn);
    return 0;
  }
  proto::VnnMap vnnmap;
  int ret = client::ctrl_getvnnmap(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &vnnmap);
  if (ret != 0) return ret;
  int recmode = 0;
  ret = client::ctrl_get_recmode(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &recmode);
  if (ret != 0) return ret;
  uint32_t leader = UNKNOWN_PNN;
  ret = get_leader(ctx, &leader);
  if (ret != 0) return ret;
  const char* recmode_name = recmode == RECOVERY_NORMAL ? "NORMAL" : "RECOVERY";

  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn);
    json_node_list(w, nodes, ctx->cmd_pnn);
    w.key("generation");
    if (vnnmap.generation == INVALID_GENERATION) {
      w.null();
    } else {
      w.value(vnnmap.generation);
    }
    w.key("vnnmap").begin_array();
    for (size_t i = 0; i < vnnmap.map.size(); i++) {
      w.begin_object().field("hash", i).field("lmaster", vnnmap.map[i]).end_object();
    }
    w.end_array();
    w.field("recovery_mode", recmode).field("recovery_mode_name", recmode_name);
    w.key("leader");
    json_pnn(w, leader);
    w.end_object();
    print_json(ctx, w);
    return 0;
  }
  print_node_list(nodes, ctx->cmd_pnn, true);
  if (vnnmap.generation == INVALID_GENERATION) {
    printf("Generation:INVALID\n");
  } else {
    printf("Generation:%u\n", vnnmap.generation);
  }
  printf("Size:%zu\n", vnnmap.map.size());
  for (size_t i = 0; i < vnnmap.map.size(); i++) {
    printf("hash:%zu lmaster:%d\n", i, static_cast<int>(vnnmap.map[i]));
  }
  printf("Recovery mode:%s (%d)\n", recmode_name, recmode);
  printf("Leader:");
  print_pnn(leader);
  return 0;
}

int control_uptime(Context* ctx, const std::vector<std::string>&) {
  proto::Uptime u;
  int ret = client::ctrl_uptime(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &u);
  if (ret != 0) return ret;
  int64_t up = client::seconds_between(u.current_time.sec, u.ctdbd_start_time.sec);
  int64_t since_recovery =
      client::seconds_between(u.current_time.sec, u.last_recovery_finished.sec);
  double duration = client::timeval_elapsed(u.last_recovery_finished, u.last_recovery_started);
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn);
    json_time(w.key("current_time"), u.current_time);
    json_time(w.key("ctdbd_start_time"), u.ctdbd_start_time);
    json_time(w.key("last_recovery_started"), u.last_recovery_started);
    json_time(w.key("last_recovery_finished"), u.last_recovery_finished);
    w.field("uptime_seconds", up).field("seconds_since_last_recovery", since_recovery);
    w.key("last_recovery_duration").fixed(duration, 6);
    w.end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("Current time of node %-4u     :                %s", ctx->cmd_pnn,
         client::ctime_string(u.current_time.sec).c_str());
  printf("Ctdbd start time              : %s %s", client::duration_dhms(up).c_str(),
         client::ctime_string(u.ctdbd_start_time.sec).c_str());
  printf("Time of last recovery/failover: %s %s", client::duration_dhms(since_recovery).c_str(),
         client::ctime_string(u.last_recovery_finished.sec).c_str());
  printf("Duration of last recovery/failover: %lf seconds\n", duration);
  return 0;
}

int control_ping(Context* ctx, const std::vector<std::string>&) {
  auto start = std::chrono::steady_clock::now();
  int num_clients = 0;
  int ret = client::ctrl_ping(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &num_clients);
  if (ret != 0) return ret;
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).key("time").fixed(elapsed.count(), 6);
    w.field("num_clients", num_clients).end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("response from %u time=%.6f sec  (%d clients)\n", ctx->cmd_pnn, elapsed.count(),
         num_clients);
  return 0;
}

int control_runstate(Context* ctx, const std::vector<std::string>& args) {
  uint32_t runstate = 0;
  int ret = client::ctrl_get_runstate(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &runstate);
  if (ret != 0) return ret;
  bool found = true;
  for (const auto& a : args) {
    found = false;
    uint32_t wanted = client::runstate_from_name(a);
    if (wanted == RUNSTATE_UNKNOWN) {
      print_failure("Invalid run state (%s)\n", a.c_str());
      return 1;
    }
    if (wanted == runstate) {
      found = true;
      break;
    }
  }
  if (!found) {
    print_failure("CTDB not in required run state (got %s)\n", client::runstate_name(runstate));
    return 1;
  }
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("runstate", runstate);
    w.field("runstate_name", client::runstate_name(runstate)).end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("%s\n", client::runstate_name(runstate));
  return 0;
}

int control_getcapabilities(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("getcapabilities");
  uint32_t caps = 0;
  int ret = client::ctrl_get_capabilities(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &caps);
  if (ret != 0) return ret;
  if (options.json) {
    // The leader capability is CAP_RECMASTER on the wire; the text calls it LEADER.
    static const std::pair<uint32_t, const char*> kNames[] = {
        {CAP_RECMASTER, "LEADER"},
        {CAP_LMASTER, "LMASTER"},
        {CAP_LVS, "LVS"},
        {CAP_NATGW, "NATGW"},
        {CAP_PARALLEL_RECOVERY, "PARALLEL_RECOVERY"},
        {CAP_FRAGMENTED_CONTROLS, "FRAGMENTED_CONTROLS"},
    };
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("capabilities", caps);
    w.key("capability_names").begin_array();
    for (const auto& [bit, name] : kNames) {
      if (caps & bit) w.value(name);
    }
    w.end_array();
    w.field("leader", (caps & CAP_RECMASTER) != 0).field("lmaster", (caps & CAP_LMASTER) != 0);
    w.end_object();
    print_json(ctx, w);
  } else if (options.machinereadable == 1) {
    const char* s = options.sep;
    printf("%sLEADER%sLMASTER%s\n", s, s, s);
    printf("%s%d%s%d%s\n", s, !!(caps & CAP_RECMASTER), s, !!(caps & CAP_LMASTER), s);
  } else {
    printf("LEADER: %s\n", (caps & CAP_RECMASTER) ? "YES" : "NO");
    printf("LMASTER: %s\n", (caps & CAP_LMASTER) ? "YES" : "NO");
  }
  return 0;
}

int control_pnn(Context* ctx, const std::vector<std::string>&) {
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->pnn).end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("%u\n", ctx->pnn);
  return 0;
}

int control_setdebug(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("setdebug");
  int level = 0;
  if (!client::debug_level_parse(args[0], &level)) {
    fprintf(stderr, "Invalid debug level '%s'. Valid levels are:\n", args[0].c_str());
    fprintf(stderr, "\tERROR | WARNING | NOTICE | INFO | DEBUG\n");
    return 1;
  }
  return client::ctrl_setdebug(ctx->c(), ctx->cmd_pnn, ctx->timeout(), level);
}

int control_getdebug(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("getdebug");
  int level = 0;
  int ret = client::ctrl_getdebug(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &level);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("level", level);
    w.field("level_name", client::debug_level_name(level)).end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("%s\n", client::debug_level_name(level));
  return 0;
}

int control_getpid(Context* ctx, const std::vector<std::string>&) {
  int32_t pid = 0;
  int ret = client::ctrl_get_pid(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &pid);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("pid", pid).end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("%u\n", static_cast<uint32_t>(pid));
  return 0;
}

int control_shutdown(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("shutdown");
  bool local = ctx->pnn == ctx->cmd_pnn;
  // Our own daemon going away is the expected outcome, not an error.
  if (local) ctx->c().connection().set_disconnect_handler(nullptr);
  client::ControlReply reply;
  int ret = ctx->c().control(ctx->cmd_pnn, CONTROL_SHUTDOWN, {}, ctx->timeout(), &reply);
  if (local && ret == ECONNRESET) return 0;
  if (ret != 0) {
    fprintf(stderr, "Control SHUTDOWN failed to node %u, ret=%d\n", ctx->cmd_pnn, ret);
  } else if (reply.status != 0) {
    ret = reply.status;
    fprintf(stderr, "Control SHUTDOWN failed, ret=%d\n", ret);
  }
  if (ret != 0) {
    fprintf(stderr, "Unable to shutdown node %u\n", ctx->cmd_pnn);
    return ret;
  }
  if (local) ctx->c().connection().wait_closed(client::Deadline::never());
  return 0;
}

int control_listnodes(Context*, const std::vector<std::string>& args) {
  if (!args.empty()) usage("listnodes");
  auto nodemap = read_nodes_file();
  if (!nodemap) return 1;
  JsonWriter w;
  if (options.json) w.begin_object().key("nodes").begin_array();
  for (const auto& n : nodemap->nodes) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    if (options.json) {
      w.begin_object().field("pnn", n.pnn).field("address", n.addr.to_string()).end_object();
    } else if (options.machinereadable) {
      printf("%s%u%s%s%s\n", options.sep, n.pnn, options.sep, n.addr.to_string().c_str(),
             options.sep);
    } else {
      printf("%s\n", n.addr.to_string().c_str());
    }
  }
  if (options.json) {
    w.end_array().end_object();
    print_json(nullptr, w);
  }
  return 0;
}

int control_leader(Context* ctx, const std::vector<std::string>&) {
  uint32_t leader = UNKNOWN_PNN;
  int ret = get_leader(ctx, &leader);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().key("leader");
    json_pnn(w, leader);
    w.end_object();
    print_json(ctx, w);
    return 0;
  }
  print_pnn(leader);
  return 0;
}

int control_nodestatus(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) usage("nodestatus");
  const std::string* nodestring = args.empty() ? nullptr : &args[0];
  bool print_header = nodestring != nullptr && *nodestring == "all";
  proto::NodeMap selected;
  if (!parse_nodestring(ctx, nodestring, &selected)) return 1;
  proto::NodeMap nodemap;
  if (!nodemap_unknown(ctx, selected, &nodemap)) return 1;
  NodeList nodes = get_node_list(ctx, nodemap);
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn);
    json_node_list(w, nodes, ctx->cmd_pnn);
    w.end_object();
    print_json(ctx, w);
  } else if (options.machinereadable) {
    print_node_list_machine(nodes, ctx->cmd_pnn);
  } else {
    print_node_list(nodes, ctx->cmd_pnn, print_header);
  }
  // The exit code is the flags of the nodes shown, or-ed together.
  int ret = 0;
  for (const auto& n : nodes.nodes) ret |= static_cast<int>(n.node.flags);
  return ret;
}

}  // namespace ctdb::tool
