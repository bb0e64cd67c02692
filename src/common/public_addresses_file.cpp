// Public addresses file parsing (seed format, 4.17 compatible).
#include "common/public_addresses_file.h"

#include <net/if.h>

#include "common/socket_addr.h"
#include "common/text_file.h"

namespace ctdb {
namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') i++;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool valid_iface_name(std::string_view s) {
  if (s.empty() || s.size() >= IFNAMSIZ) return false;
  for (char c : s) {
    if (c == '/' || c == ':' || c == ',' || c <= ' ') return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<PublicAddress>> parse_public_addresses(std::string_view text,
                                                                 const std::string& name,
                                                                 const std::string& default_iface,
                                                                 std::string* error) {
  std::vector<PublicAddress> out;
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); i++) {
    std::string_view line = trim_space(lines[i]);
    if (line.empty() || line.front() == '#') continue;
    std::string where = name + ":" + std::to_string(i + 1) + ": ";
    std::vector<std::string_view> fields = split_fields(line);
    // Anything from a field starting with '#' on is a comment.
    for (size_t f = 0; f < fields.size(); f++) {
      if (fields[f].front() == '#') {
        fields.resize(f);
        break;
      }
    }
    PublicAddress pa;
    pa.line = static_cast<unsigned>(i + 1);
    if (!parse_addr_mask(fields[0], &pa.addr, &pa.mask)) {
      *error = where + "invalid address/mask '" + std::string(fields[0]) + "'";
      return std::nullopt;
    }
    if (fields.size() > 2) {
      *error = where + "unexpected text '" + std::string(fields[2]) + "'";
      return std::nullopt;
    }
    std::string_view ifaces = fields.size() > 1 ? fields[1] : std::string_view(default_iface);
    if (ifaces.empty()) {
      *error =
          where + "no interface for " + pa.addr.to_string() + " and no --public-interface given";
      return std::nullopt;
    }
    size_t start = 0;
    while (true) {
      size_t comma = ifaces.find(',', start);
      std::string_view iface = ifaces.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (!valid_iface_name(iface)) {
        *error = where + "invalid interface '" + std::string(iface) + "'";
        return std::nullopt;
      }
      pa.ifaces.emplace_back(iface);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    for (const PublicAddress& prev : out) {
      if (prev.addr.same_ip(pa.addr)) {
        *error = where + "duplicate public address " + pa.addr.to_string() + " (also on line " +
                 std::to_string(prev.line) + ")";
        return std::nullopt;
      }
    }
    out.push_back(std::move(pa));
  }
  return out;
}

std::optional<std::vector<PublicAddress>> read_public_addresses_file(
    const std::string& path, const std::string& default_iface, std::string* error) {
  std::string text;
  if (!read_text_file(path, &text, error)) return std::nullopt;
  return parse_public_addresses(text, path, default_iface, error);
}

}  // namespace ctdb
