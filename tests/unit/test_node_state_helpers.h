// Loading a NodeState from nodes-file text, as this node at address `me`.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/nodes_file.h"
#include "daemon/cluster/node_state.h"

namespace ctdb::daemon {

inline std::vector<NodeEntry> nodes_from(const std::string& text) {
  std::string error;
  auto entries = parse_nodes(text, "nodes", kDefaultCtdbPort, &error);
  EXPECT_TRUE(entries) << error;
  return entries ? *entries : std::vector<NodeEntry>{};
}

inline auto address_is(const std::string& ip) {
  return [ip](const proto::SockAddr& a) { return a.to_string() == ip; };
}

// EXPECTs that `me` is in the file.
inline void load_as(cluster::NodeState& s, const std::string& text, const std::string& me) {
  EXPECT_TRUE(s.load(nodes_from(text), address_is(me))) << me << " not in the nodes";
}

}  // namespace ctdb::daemon
