// Whole-file reads and line splitting for the small config file parsers.
#include "common/text_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ctdb {

bool read_text_file(const std::string& path, std::string* content, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "re"), std::fclose);
  if (!f) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  content->clear();
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) content->append(buf, n);
  if (std::ferror(f.get())) {
    *error = path + ": read error";
    return false;
  }
  return true;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::string_view trim_space(std::string_view s) {
  const char* ws = " \t\r";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

}  // namespace ctdb
