// Reading small configuration files whole and splitting them into lines,
// shared by the nodes, public_addresses and tunables parsers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ctdb {

// Reads the whole file into *content. On failure returns false and sets
// *error to "PATH: REASON" (strerror text).
bool read_text_file(const std::string& path, std::string* content, std::string* error);

// Splits text at '\n'; a final line without '\n' is kept, a trailing '\n'
// does not add an empty line. Line i of the result is line i+1 of the file.
std::vector<std::string_view> split_lines(std::string_view text);

// Strips spaces, tabs and '\r' from both ends.
std::string_view trim_space(std::string_view s);

}  // namespace ctdb
