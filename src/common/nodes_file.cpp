// Nodes file parsing with 4.17's PNN numbering and deleted-node rule.
#include "common/nodes_file.h"

#include "common/text_file.h"

namespace ctdb {

std::optional<std::vector<NodeEntry>> parse_nodes(std::string_view text, const std::string& name,
                                                  uint16_t default_port, std::string* error) {
  std::vector<NodeEntry> nodes;
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); i++) {
    std::string_view line = trim_space(lines[i]);
    if (line.empty()) continue;
    NodeEntry e;
    e.pnn = static_cast<uint32_t>(nodes.size());
    e.line = static_cast<unsigned>(i + 1);
    std::string where = name + ":" + std::to_string(i + 1) + ": ";
    if (line.front() == '#') {
      // Commented out = deleted: keeping the slot keeps later PNNs stable.
      e.deleted = true;
      e.addr = *proto::SockAddr::parse("0.0.0.0", default_port);
    } else {
      std::optional<proto::SockAddr> a =
          proto::SockAddr::parse_maybe_port(std::string(line), default_port);
      if (!a) {
        *error = where + "invalid address '" + std::string(line) + "'";
        return std::nullopt;
      }
      for (const NodeEntry& prev : nodes) {
        if (!prev.deleted && prev.addr == *a) {
          *error = where + "duplicate address '" + std::string(line) + "' (also on line " +
                   std::to_string(prev.line) + ")";
          return std::nullopt;
        }
      }
      e.addr = *a;
    }
    nodes.push_back(e);
  }
  return nodes;
}

std::optional<std::vector<NodeEntry>> read_nodes_file(const std::string& path,
                                                      uint16_t default_port, std::string* error) {
  std::string text;
  if (!read_text_file(path, &text, error)) return std::nullopt;
  return parse_nodes(text, path, default_port, error);
}

}  // namespace ctdb
