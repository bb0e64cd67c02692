// Group files of LVS and NAT-GW and the choice of the nodes that serve or lead.
#include "node_group.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "client/format.h"

namespace ctdb::tool {
namespace {

// VAR's value in the first sysconfig file that exists ($CTDB_SYSCONFIG,
// /etc/sysconfig/ctdb, /etc/default/ctdb, as config/functions looks), for
// the plain VAR=value lines such files hold; empty when not set there.
std::string sysconfig_value(const std::string& var) {
  std::vector<std::string> candidates = {"/etc/sysconfig/ctdb", "/etc/default/ctdb"};
  if (const char* f = getenv("CTDB_SYSCONFIG"); f != nullptr && *f != 0) candidates = {f};
  for (const auto& path : candidates) {
    std::ifstream in(path);
    if (!in) continue;
    std::string value;
    for (std::string line; std::getline(in, line);) {
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos) continue;
      line.erase(0, start);
      if (line.compare(0, 7, "export ") == 0) line.erase(0, 7);
      if (line.compare(0, var.size() + 1, var + "=") != 0) continue;
      value = line.substr(var.size() + 1);  // the last assignment wins
      while (!value.empty() && isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
      if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
        value = value.substr(1, value.size() - 2);
      }
    }
    return value;
  }
  return "";
}

}  // namespace

std::string group_file_path(const char* var, const char* file) {
  if (const char* p = getenv(var); p != nullptr && *p != 0) return p;
  if (std::string p = sysconfig_value(var); !p.empty()) return p;
  const char* base = getenv("CTDB_BASE");
  return std::string(base != nullptr && *base != 0 ? base : "/etc/ctdb") + "/" + file;
}

bool read_group_file(const char* prog, const std::string& path, bool* found,
                     std::vector<GroupLine>* lines) {
  *found = access(path.c_str(), F_OK) == 0 || errno != ENOENT;
  if (!*found) return true;
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "%s: cannot read nodes file \"%s\": %s\n", prog, path.c_str(), strerror(errno));
    return false;
  }
  unsigned lineno = 0;
  for (std::string line; std::getline(in, line);) {
    lineno++;
    std::istringstream words(line);
    std::string ip, option, extra;
    words >> ip >> option >> extra;
    if (ip.empty() || ip[0] == '#') continue;
    auto addr = proto::SockAddr::parse(ip);
    if (!addr || !extra.empty() || !(option.empty() || option == "follower-only")) {
      fprintf(stderr, "%s: %s:%u: invalid line \"%s\"\n", prog, path.c_str(), lineno, line.c_str());
      return false;
    }
    lines->push_back({ip, *addr, option});
  }
  return true;
}

std::vector<GroupMember> group_members(const proto::NodeMap& nodemap,
                                       const std::vector<GroupLine>& lines) {
  std::vector<GroupMember> out;
  for (const auto& n : nodemap.nodes) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    for (const auto& line : lines) {
      if (line.addr.same_ip(n.addr)) {
        out.push_back({n, line.option == "follower-only"});
        break;
      }
    }
  }
  return out;
}

std::vector<GroupMember> usable_members(const std::vector<GroupMember>& members,
                                        bool leaders_only) {
  std::vector<GroupMember> out;
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

}  // namespace ctdb::tool
