// The nodes file: one private address per line, PNN = position, as 4.17
// reads it (including its "#" deleted-node rule); errors carry file:line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/socket_addr.h"  // kDefaultCtdbPort, the usual default_port
#include "protocol/types.h"

namespace ctdb {

struct NodeEntry {
  uint32_t pnn = 0;
  // For a deleted node this is 0.0.0.0 with the default port, as in 4.17.
  proto::SockAddr addr;
  // The line was commented out ("#..."): the node keeps its PNN slot and
  // carries NODE_FLAGS_DELETED in the nodemap.
  bool deleted = false;
  unsigned line = 0;  // 1-based line in the file, for messages
};

// Parses nodes file text. `name` is used in messages ("NAME:LINE: ...").
//
// Rules (4.17 ctdb_read_nodes_file): leading and trailing blanks are
// ignored; blank lines are skipped and take no PNN; EVERY line whose first
// non-blank character is '#' is a deleted node and takes the next PNN (4.17
// has no comment lines in this file); any other line is one address.
// Our extension: the address may carry a port ("10.0.0.1:4380",
// "[fe80::1]:4380"); without one the node gets default_port (4.17 always
// uses the ctdb service port, 4379). Also ours: two live nodes with the same
// address and port are an error.
//
// Returns nullopt and sets *error to e.g. "nodes:3: invalid address 'x'".
std::optional<std::vector<NodeEntry>> parse_nodes(std::string_view text, const std::string& name,
                                                  uint16_t default_port, std::string* error);

// Reads and parses a nodes file; messages name the path as given.
std::optional<std::vector<NodeEntry>> read_nodes_file(const std::string& path,
                                                      uint16_t default_port, std::string* error);

}  // namespace ctdb
