// The public_addresses file: "ADDR/MASK [IFACE[,IFACE...]]" per line, with
// '#' comments; errors carry file:line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.h"

namespace ctdb {

struct PublicAddress {
  proto::SockAddr addr;  // port 0
  unsigned mask = 0;
  std::vector<std::string> ifaces;  // in file order; never empty
  unsigned line = 0;                // 1-based line in the file
};

// Parses public_addresses text; `name` is used in messages.
//
// Rules: leading/trailing blanks ignored; blank lines and lines starting
// with '#' are skipped; fields are separated by blanks. Field 1 is ADDR/MASK
// (mask 0..32 for IPv4, 0..128 for IPv6). Field 2 is a comma-separated
// interface list; when it is missing the seed's --public-interface
// (default_iface) is used, and if that is empty too the line is an error.
// A trailing "# comment" is allowed; any other extra field is an error
// (4.17 silently ignores extra fields). A repeated address is an error, as
// in 4.17. Interface existence is not checked here (see
// interface_exists in common/socket_addr.h); names must be 1..15 characters without '/'.
//
// Returns nullopt and sets *error, e.g.
// "public_addresses:2: invalid address/mask '10.0.0.1'".
std::optional<std::vector<PublicAddress>> parse_public_addresses(std::string_view text,
                                                                 const std::string& name,
                                                                 const std::string& default_iface,
                                                                 std::string* error);

// Reads and parses a public addresses file; messages name the path as given.
std::optional<std::vector<PublicAddress>> read_public_addresses_file(
    const std::string& path, const std::string& default_iface, std::string* error);

}  // namespace ctdb
