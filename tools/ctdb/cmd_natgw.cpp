// ctdb natgw leader|list|status (4.17) and the seed-era natgwlist: the nodes
// of this node's NAT gateway group and the one that is its gateway (leader).
//
// The group is what the NAT-GW nodes file names (CTDB_NATGW_NODES, else
// $CTDB_BASE/natgw_nodes; one node address a line, optionally
// "follower-only"). The leader is a healthy, fully active node if there is
// one, else one that is unhealthy but neither disabled nor inactive; a
// stopped, banned, disabled or disconnected node never is (the seed's rule;
// 4.17's helper falls back to banned and then stopped nodes).
#include <stdio.h>

#include <optional>
#include <string>
#include <vector>

#include "node_group.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

constexpr const char* kProg = "ctdb natgw";

struct NatgwGroup {
  std::vector<GroupLine> lines;  // the file, for `list`
  std::vector<GroupMember> members;
};

// Exit status for the tool, or 0 with the group filled in.
int natgw_group(Context* ctx, NatgwGroup* group) {
  std::string path = group_file_path("CTDB_NATGW_NODES", "natgw_nodes");
  bool found = false;
  if (!read_group_file(kProg, path, &found, &group->lines)) return 1;
  if (!found) {
    fprintf(stderr, "%s: NAT gateway nodes file \"%s\" not found\n", kProg, path.c_str());
    return 1;
  }
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  proto::NodeMap shown;
  if (nodemap == nullptr || !nodemap_unknown(ctx, *nodemap, &shown)) return 1;
  group->members = group_members(shown, group->lines);
  return 0;
}

std::optional<GroupMember> natgw_leader(const NatgwGroup& group) {
  std::vector<GroupMember> leaders = usable_members(group.members, true);
  if (leaders.empty()) return std::nullopt;
  return leaders[0];
}

void json_leader(JsonWriter& w, const std::optional<GroupMember>& leader) {
  w.key("leader");
  if (!leader) {
    w.null();
    return;
  }
  w.begin_object().field("pnn", leader->node.pnn);
  w.field("address", leader->node.addr.to_string()).end_object();
}

// The group's nodes as `ctdb status` shows them, as text (with the header when asked) or JSON.
void print_status(Context* ctx, const NatgwGroup& group, bool header, JsonWriter& w) {
  proto::NodeMap nodes;
  for (const auto& m : group.members) nodes.nodes.push_back(m.node);
  NodeList list = get_node_list(ctx, nodes);
  if (options.json) {
    json_node_list(w.field("pnn", ctx->cmd_pnn), list, ctx->cmd_pnn);
  } else {
    print_node_list(list, ctx->cmd_pnn, header);
  }
}

}  // namespace

int control_natgw(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("natgw");
  const std::string& what = args[0];
  if (what != "leader" && what != "list" && what != "status") usage("natgw");
  NatgwGroup group;
  if (int rc = natgw_group(ctx, &group); rc != 0) return rc;
  std::optional<GroupMember> leader = natgw_leader(group);
  JsonWriter w;
  w.begin_object();
  int rc = 0;
  if (what == "leader") {
    rc = leader ? 0 : 2;  // as 4.17's helper: no leader, no text
    if (options.json) {
      json_leader(w, leader);
    } else if (leader) {
      printf("%u %s\n", leader->node.pnn, leader->node.addr.to_string().c_str());
    }
  } else if (what == "list") {
    if (options.json) w.key("nodes").begin_array();
    for (const auto& line : group.lines) {
      bool is_leader = leader && line.addr.same_ip(leader->node.addr);
      if (options.json) {
        w.begin_object().field("address", line.ip).field("leader", is_leader).key("option");
        if (line.option.empty()) {
          w.null();
        } else {
          w.value(line.option);
        }
        w.end_object();
        continue;
      }
      std::string shown = line.option;
      if (is_leader) shown = shown.empty() ? "LEADER" : "LEADER," + shown;
      if (shown.empty()) {
        printf("%s\n", line.ip.c_str());
      } else {
        printf("%s\t%s\n", line.ip.c_str(), shown.c_str());
      }
    }
    if (options.json) w.end_array();
  } else {
    print_status(ctx, group, false, w);
  }
  if (options.json) print_json(ctx, w.end_object());
  return rc;
}

// The seed-era form: the gateway's "PNN IP" (-1 0.0.0.0 for none), then the
// group's nodes as `ctdb status` lists them.
int control_natgwlist(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("natgwlist");
  NatgwGroup group;
  if (int rc = natgw_group(ctx, &group); rc != 0) return rc;
  std::optional<GroupMember> leader = natgw_leader(group);
  JsonWriter w;
  if (options.json) {
    json_leader(w.begin_object(), leader);
  } else if (leader) {
    printf("%u %s\n", leader->node.pnn, leader->node.addr.to_string().c_str());
  } else {
    printf("-1 0.0.0.0\n");
  }
  print_status(ctx, group, true, w);
  if (options.json) print_json(ctx, w.end_object());
  return 0;
}

}  // namespace ctdb::tool
