// Groups of nodes named in a file, as LVS (lvs_nodes) and NAT-GW (natgw_nodes)
// keep them: one node address a line, optionally "follower-only".
#pragma once

#include <string>
#include <vector>

#include "protocol/types.h"

namespace ctdb::tool {

struct GroupMember {
  proto::NodeAndFlags node;
  bool follower_only = false;  // may serve, never the leader
};

// One line of a group file, in file order (comments and blank lines left out).
struct GroupLine {
  std::string ip;  // as written
  proto::SockAddr addr;
  std::string option;
};

// The group file's path: $VAR from the environment, else VAR as the
// administrator's sysconfig sets it (the event scripts read it there, and an
// admin running the command by hand has no such environment), else
// $CTDB_BASE/FILE (CTDB_BASE defaults to /etc/ctdb).
std::string group_file_path(const char* var, const char* file);

// Reads the group file at PATH. Returns false after a message on stderr
// (prefixed by PROG) when the file is there but unreadable or has a bad line;
// *found says whether there was a file at all.
bool read_group_file(const char* prog, const std::string& path, bool* found,
                     std::vector<GroupLine>* lines);

// The nodes of NODEMAP that LINES name, in nodemap order (as 4.17's helpers
// filter `ctdb nodestatus` output); addresses that are no node are ignored.
std::vector<GroupMember> group_members(const proto::NodeMap& nodemap,
                                       const std::vector<GroupLine>& lines);

// The members that can take traffic, or lead when LEADERS_ONLY: the healthy,
// fully active ones, or if there are none, those that are neither inactive
// (disconnected, banned, stopped) nor disabled.
std::vector<GroupMember> usable_members(const std::vector<GroupMember>& members, bool leaders_only);

}  // namespace ctdb::tool
