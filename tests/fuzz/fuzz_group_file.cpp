// libFuzzer target: the ctdb tool's LVS / NAT-GW group files (tools/ctdb/node_group.h): the
// file itself, the choice of members and usable nodes from a node map, and the lookup of the
// file's path in a sysconfig file.
//
// Input: u8 node flags seed, then the group file's text, a NUL, and the sysconfig file's text.
#include <stdlib.h>

#include <algorithm>

#include "client/format.h"
#include "ctdb/protocol.h"
#include "fuzz_common.h"
#include "node_group.h"

namespace ctdb::fuzz {
namespace {

using tool::GroupLine;
using tool::GroupMember;

constexpr char kVar[] = "CTDB_FUZZ_GROUP_NODES";

bool usable_first_pass(uint32_t flags) {
  return !(flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_PERMANENTLY_DISABLED | NODE_FLAGS_UNHEALTHY |
                    client::kNodeFlagsUnknown));
}

void check_members(const std::vector<GroupLine>& lines, uint8_t seed) {
  proto::NodeMap map;
  uint32_t flag_bits[] = {0,
                          NODE_FLAGS_UNHEALTHY,
                          NODE_FLAGS_DISCONNECTED,
                          NODE_FLAGS_PERMANENTLY_DISABLED,
                          NODE_FLAGS_BANNED,
                          NODE_FLAGS_DELETED,
                          NODE_FLAGS_STOPPED,
                          client::kNodeFlagsUnknown};
  for (size_t i = 0; i < lines.size(); i++) {
    proto::NodeAndFlags n;
    n.pnn = static_cast<uint32_t>(i);
    n.flags = flag_bits[(seed + i * 3) % 8] | flag_bits[(seed >> 3) % 8];
    n.addr = lines[i].addr;
    map.nodes.push_back(n);
  }
  std::vector<GroupMember> members = tool::group_members(map, lines);
  FUZZ_CHECK(members.size() <= map.nodes.size());
  for (const auto& m : members) FUZZ_CHECK(!(m.node.flags & NODE_FLAGS_DELETED));
  for (bool leaders_only : {false, true}) {
    std::vector<GroupMember> usable = tool::usable_members(members, leaders_only);
    bool any_healthy = false;
    for (const auto& m : members) {
      if (!(leaders_only && m.follower_only) && usable_first_pass(m.node.flags)) any_healthy = true;
    }
    for (const auto& u : usable) {
      FUZZ_CHECK(!(u.node.flags & (NODE_FLAGS_INACTIVE | NODE_FLAGS_PERMANENTLY_DISABLED)));
      if (leaders_only) FUZZ_CHECK(!u.follower_only);
      if (any_healthy) FUZZ_CHECK(usable_first_pass(u.node.flags));
      FUZZ_CHECK(std::any_of(members.begin(), members.end(),
                             [&](const GroupMember& m) { return m.node.pnn == u.node.pnn; }));
    }
  }
}

void fuzz_one(const uint8_t* data, size_t size) {
  static MemFile* group = new MemFile();
  static MemFile* sysconfig = new MemFile();
  Input in(data, size);
  uint8_t seed = in.u8();
  std::string text = in.text_rest();
  size_t nul = text.find('\0');
  std::string group_text = text.substr(0, nul);
  std::string sys_text = nul == std::string::npos ? "" : text.substr(nul + 1);

  group->set(group_text);
  bool found = false;
  std::vector<GroupLine> lines;
  if (tool::read_group_file("fuzz", group->path(), &found, &lines)) {
    FUZZ_CHECK(found);
    std::string written;
    for (const auto& l : lines) {
      FUZZ_CHECK(!l.ip.empty() && l.ip[0] != '#');
      auto a = proto::SockAddr::parse(l.ip);
      FUZZ_CHECK(a.has_value() && *a == l.addr);
      FUZZ_CHECK(l.option.empty() || l.option == "follower-only");
      written += l.ip + " " + l.option + "\n";
    }
    group->set(written);
    std::vector<GroupLine> again;
    FUZZ_CHECK(tool::read_group_file("fuzz", group->path(), &found, &again));
    FUZZ_CHECK(again.size() == lines.size());
    for (size_t i = 0; i < lines.size(); i++) {
      FUZZ_CHECK(again[i].ip == lines[i].ip && again[i].option == lines[i].option);
    }
    check_members(lines, seed);
  }

  // The path lookup: no environment value, so the sysconfig file decides, else the default.
  sysconfig->set(sys_text);
  ::setenv("CTDB_SYSCONFIG", sysconfig->path().c_str(), 1);
  ::unsetenv(kVar);
  ::unsetenv("CTDB_BASE");
  std::string path = tool::group_file_path(kVar, "fuzz_nodes");
  FUZZ_CHECK(!path.empty());
  if (sys_text.find(std::string(kVar) + "=") == std::string::npos) {
    FUZZ_CHECK(path == "/etc/ctdb/fuzz_nodes");
  } else if (path != "/etc/ctdb/fuzz_nodes") {
    FUZZ_CHECK(sys_text.find(path) != std::string::npos);
    FUZZ_CHECK(path.find('\n') == std::string::npos);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ctdb::fuzz::quiet_stdio_stderr();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
