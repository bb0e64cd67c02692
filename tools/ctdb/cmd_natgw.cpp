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

void print_status(Context* ctx, const NatgwGroup& group, bool header) {
  proto::NodeMap nodes;
  for (const auto& m : group.members) nodes.nodes.push_back(m.node);
  print_nodemap(ctx, nodes, ctx->cmd_pnn, header);
}

}  // namespace

int control_natgw(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("natgw");
  const std::string& what = args[0];
  if (what != "leader" && what != "list" && what != "status") usage("natgw");
  NatgwGroup group;
  if (int rc = natgw_group(ctx, &group); rc != 0) return rc;
  std::optional<GroupMember> leader = natgw_leader(group);
  if (what == "leader") {
    if (!leader) return 2;  // as 4.17's helper: no output
    printf("%u %s\n", leader->node.pnn, leader->node.addr.to_string().c_str());
  } else if (what == "list") {
    for (const auto& line : group.lines) {
      std::string options = line.option;
      if (leader && line.addr.same_ip(leader->node.addr)) {
        options = options.empty() ? "LEADER" : "LEADER," + options;
      }
      if (options.empty()) {
        printf("%s\n", line.ip.c_str());
      } else {
        printf("%s\t%s\n", line.ip.c_str(), options.c_str());
      }
    }
  } else {
    print_status(ctx, group, false);
  }
  return 0;
}

// The seed-era form: the gateway's "PNN IP" (-1 0.0.0.0 for none), then the
// group's nodes as `ctdb status` lists them.
int control_natgwlist(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("natgwlist");
  NatgwGroup group;
  if (int rc = natgw_group(ctx, &group); rc != 0) return rc;
  std::optional<GroupMember> leader = natgw_leader(group);
  if (leader) {
    printf("%u %s\n", leader->node.pnn, leader->node.addr.to_string().c_str());
  } else {
    printf("-1 0.0.0.0\n");
  }
  print_status(ctx, group, true);
  return 0;
}

}  // namespace ctdb::tool
