// ctdb lvs leader|list|status (4.17) and the seed's lvsmaster: the nodes that
// share the cluster's one LVS address, and the one that receives its traffic.
//
// The LVS group is what the LVS nodes file names (4.17: CTDB_LVS_NODES, else
// $CTDB_BASE/lvs_nodes; one node address a line, optionally "follower-only"),
// or, when there is no such file, every connected node started with --lvs
// (the seed's form, from each node's capabilities).
#include <stdio.h>

#include <string>
#include <vector>

#include "client/controls.h"
#include "client/format.h"
#include "node_group.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

// The capability form: connected nodes with the LVS capability.
bool lvs_capable_nodes(Context* ctx, const proto::NodeMap& nodemap, std::vector<GroupMember>* out) {
  for (const auto& n : nodemap.nodes) {
    if (n.flags & (NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED)) continue;
    uint32_t caps = 0;
    if (client::ctrl_get_capabilities(ctx->c(), n.pnn, ctx->timeout(), &caps) != 0) {
      fprintf(stderr, "Unable to get capabilities from node %u\n", n.pnn);
      return false;
    }
    if (caps & CAP_LVS) out->push_back({n, false});
  }
  return true;
}

bool lvs_group(Context* ctx, proto::NodeMap* shown, std::vector<GroupMember>* out) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr || !nodemap_unknown(ctx, *nodemap, shown)) return false;
  bool found = false;
  std::vector<GroupLine> lines;
  if (!read_group_file("ctdb lvs", group_file_path("CTDB_LVS_NODES", "lvs_nodes"), &found, &lines))
    return false;
  if (!found) return lvs_capable_nodes(ctx, *shown, out);
  *out = group_members(*shown, lines);
  return true;
}

// {"pnn", "address"} of each member.
void json_members(JsonWriter& w, const std::vector<GroupMember>& members) {
  w.begin_array();
  for (const auto& m : members) {
    w.begin_object().field("pnn", m.node.pnn).field("address", m.node.addr.to_string());
    w.end_object();
  }
  w.end_array();
}

}  // namespace

int control_lvs(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) usage("lvs");
  // The seed's bare `ctdb lvs` (4.17: a usage error) lists the LVS set as "PNN:IP".
  const std::string what = args.empty() ? "seed" : args[0];
  if (what != "seed" && what != "leader" && what != "list" && what != "status") usage("lvs");
  proto::NodeMap shown;
  std::vector<GroupMember> members;
  if (!lvs_group(ctx, &shown, &members)) return what == "seed" ? 1 : 10;
  JsonWriter w;
  w.begin_object();
  int rc = 0;
  if (what == "seed" || what == "list") {
    std::vector<GroupMember> usable = usable_members(members, false);
    if (options.json) {
      json_members(w.key("nodes"), usable);
    } else {
      for (const auto& m : usable) {
        printf(what == "seed" ? "%u:%s\n" : "%u %s\n", m.node.pnn, m.node.addr.to_string().c_str());
      }
    }
  } else if (what == "leader") {
    std::vector<GroupMember> leaders = usable_members(members, true);
    rc = leaders.empty() ? 255 : 0;  // as 4.17: no leader, no text
    if (options.json && leaders.empty()) {
      w.key("leader").null();
    } else if (options.json) {
      w.key("leader").begin_object().field("pnn", leaders[0].node.pnn);
      w.field("address", leaders[0].node.addr.to_string()).end_object();
    } else if (!leaders.empty()) {
      printf("%u\n", leaders[0].node.pnn);
    }
  } else {
    proto::NodeMap group;
    for (const auto& m : members) group.nodes.push_back(m.node);
    NodeList nodes = get_node_list(ctx, group);
    if (options.json) {
      json_node_list(w.field("pnn", ctx->cmd_pnn), nodes, ctx->cmd_pnn);
    } else {
      print_node_list(nodes, ctx->cmd_pnn, false);
    }
  }
  if (options.json) print_json(ctx, w.end_object());
  return rc;
}

int control_lvsmaster(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("lvsmaster");
  proto::NodeMap shown;
  std::vector<GroupMember> members;
  if (!lvs_group(ctx, &shown, &members)) return 1;
  std::vector<GroupMember> leaders = usable_members(members, true);
  if (options.json) {
    JsonWriter w;
    w.begin_object().key("leader");
    json_pnn(w, leaders.empty() ? UNKNOWN_PNN : leaders[0].node.pnn);
    w.end_object();
    print_json(ctx, w);
  } else if (leaders.empty()) {
    printf("There is no LVS master\n");
  } else if (options.machinereadable) {
    printf("%u\n", leaders[0].node.pnn);
  } else {
    printf("Node %u is LVS master\n", leaders[0].node.pnn);
  }
  return 0;
}

}  // namespace ctdb::tool
