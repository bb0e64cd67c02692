// ctdb lvs leader|list|status (4.17) and the seed's lvsmaster: the nodes that
// share the cluster's one LVS address, and the one that receives its traffic.
//
// The LVS group is what the LVS nodes file names (4.17: CTDB_LVS_NODES, else
// $CTDB_BASE/lvs_nodes; one node address a line, optionally "follower-only"),
// or, when there is no such file, every connected node started with --lvs
// (the seed's form, from each node's capabilities).
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "client/controls.h"
#include "client/format.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

struct LvsMember {
  proto::NodeAndFlags node;
  bool follower_only = false;  // may serve, never the leader
};

std::string lvs_nodes_path() {
  if (const char* p = getenv("CTDB_LVS_NODES"); p != nullptr && *p != 0) return p;
  const char* base = getenv("CTDB_BASE");
  return std::string(base != nullptr && *base != 0 ? base : "/etc/ctdb") + "/lvs_nodes";
}

// The file form. Returns false after a message when the file is there but
// unreadable or wrong; *found says whether there was a file at all.
bool read_lvs_nodes(const proto::NodeMap& nodemap, bool* found, std::vector<LvsMember>* out) {
  std::string path = lvs_nodes_path();
  *found = access(path.c_str(), F_OK) == 0 || errno != ENOENT;
  if (!*found) return true;
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "ctdb lvs: cannot read LVS nodes file \"%s\": %s\n", path.c_str(),
            strerror(errno));
    return false;
  }
  std::vector<std::pair<proto::SockAddr, bool>> listed;
  unsigned lineno = 0;
  for (std::string line; std::getline(in, line);) {
    lineno++;
    std::istringstream words(line);
    std::string ip, option, extra;
    words >> ip >> option >> extra;
    if (ip.empty() || ip[0] == '#') continue;
    auto addr = proto::SockAddr::parse(ip);
    if (!addr || !extra.empty() || !(option.empty() || option == "follower-only")) {
      fprintf(stderr, "ctdb lvs: %s:%u: invalid line \"%s\"\n", path.c_str(), lineno, line.c_str());
      return false;
    }
    listed.emplace_back(*addr, option == "follower-only");
  }
  // In nodemap order, as 4.17's helper filters `ctdb nodestatus` output.
  for (const auto& n : nodemap.nodes) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    for (const auto& [addr, follower] : listed) {
      if (addr.same_ip(n.addr)) {
        out->push_back({n, follower});
        break;
      }
    }
  }
  return true;
}

// The capability form: connected nodes with the LVS capability.
bool lvs_capable_nodes(Context* ctx, const proto::NodeMap& nodemap, std::vector<LvsMember>* out) {
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

bool lvs_group(Context* ctx, proto::NodeMap* shown, std::vector<LvsMember>* out) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr || !nodemap_unknown(ctx, *nodemap, shown)) return false;
  bool found = false;
  if (!read_lvs_nodes(*shown, &found, out)) return false;
  return found || lvs_capable_nodes(ctx, *shown, out);
}

// The members that can take traffic: the healthy, fully active ones, or if
// there are none, those neither inactive nor disabled (as 4.17's helper).
std::vector<LvsMember> usable(const std::vector<LvsMember>& members, bool leaders_only) {
  std::vector<LvsMember> out;
  for (int pass = 0; pass < 2 && out.empty(); pass++) {
    uint32_t bad = NODE_FLAGS_INACTIVE | NODE_FLAGS_PERMANENTLY_DISABLED;
    if (pass == 0) bad |= NODE_FLAGS_UNHEALTHY | client::kNodeFlagsUnknown;
    for (const auto& m : members) {
      if (leaders_only && m.follower_only) continue;
      if (!(m.node.flags & bad)) out.push_back(m);
    }
  }
  return out;
}

}  // namespace

int control_lvs(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("lvs");
  const std::string& what = args[0];
  if (what != "leader" && what != "list" && what != "status") usage("lvs");
  proto::NodeMap shown;
  std::vector<LvsMember> members;
  if (!lvs_group(ctx, &shown, &members)) return 10;
  if (what == "leader") {
    std::vector<LvsMember> leaders = usable(members, true);
    if (leaders.empty()) return 255;  // as 4.17: no output
    printf("%u\n", leaders[0].node.pnn);
  } else if (what == "list") {
    for (const auto& m : usable(members, false)) {
      printf("%u %s\n", m.node.pnn, m.node.addr.to_string().c_str());
    }
  } else {
    proto::NodeMap group;
    for (const auto& m : members) group.nodes.push_back(m.node);
    print_nodemap(ctx, group, ctx->cmd_pnn, false);
  }
  return 0;
}

int control_lvsmaster(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("lvsmaster");
  proto::NodeMap shown;
  std::vector<LvsMember> members;
  if (!lvs_group(ctx, &shown, &members)) return 1;
  std::vector<LvsMember> leaders = usable(members, true);
  if (leaders.empty()) {
    printf("There is no LVS master\n");
  } else if (options.machinereadable) {
    printf("%u\n", leaders[0].node.pnn);
  } else {
    printf("Node %u is LVS master\n", leaders[0].node.pnn);
  }
  return 0;
}

}  // namespace ctdb::tool
