// 4.17's ctdb.conf (see ctdb_conf.h).
#include "common/ctdb_conf.h"

#include <arpa/inet.h>
#include <strings.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "common/logging.h"
#include "common/text_file.h"
#include "protocol/types.h"

namespace ctdb::conf {
namespace {

constexpr const char* kLogging = "logging";
constexpr const char* kCluster = "cluster";
constexpr const char* kDatabase = "database";
constexpr const char* kEvent = "event";
constexpr const char* kFailover = "failover";
constexpr const char* kLegacy = "legacy";
constexpr const char* kMetrics = "metrics";  // ours: the Prometheus endpoint

bool same_name(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

bool parse_integer(const std::string& raw, std::string* out) {
  if (raw.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long v = strtol(raw.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX) return false;
  *out = std::to_string(v);
  return true;
}

bool parse_boolean(const std::string& raw, std::string* out) {
  for (const char* yes : {"true", "yes"}) {
    if (strcasecmp(raw.c_str(), yes) == 0) {
      *out = "true";
      return true;
    }
  }
  for (const char* no : {"false", "no"}) {
    if (strcasecmp(raw.c_str(), no) == 0) {
      *out = "false";
      return true;
    }
  }
  return false;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// 4.17's logging locations: "file:PATH" (or "file:" for stderr) whose
// directory exists, "syslog", "syslog:nonblocking|udp|udp-rfc5424".
bool valid_location(const std::string& location) {
  if (location == "file" || location == "file:" || location == "file:-") return true;
  if (location.compare(0, 5, "file:") == 0) {
    std::string path = location.substr(5);
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    return is_directory(dir);
  }
  return location == "syslog" || location == "syslog:nonblocking" || location == "syslog:udp" ||
         location == "syslog:udp-rfc5424";
}

// The checks 4.17 makes on a debug script: in etcdir under its base name, a
// regular file that its owner may execute. Empty when it passes.
std::string check_script(const std::string& etcdir, const char* what, const std::string& value) {
  size_t slash = value.rfind('/');
  std::string path = etcdir + "/" + (slash == std::string::npos ? value : value.substr(slash + 1));
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::string(what) + " " + path + " does not exist";
  if (!S_ISREG(st.st_mode)) return std::string(what) + " " + path + " is not a file";
  if ((st.st_mode & S_IXUSR) == 0) return std::string(what) + " " + path + " is not executable";
  return "";
}

// One logical line of the file, as 4.17's parser sees it: leading blanks
// dropped, runs of blanks made one space, "\" at the end joining the next line.
struct Line {
  std::string text;
  int number;  // of its first physical line
};

std::vector<Line> logical_lines(std::string_view text) {
  std::vector<Line> out;
  std::string cur;
  bool joining = false;
  int start = 0;
  int number = 0;
  for (std::string_view raw : split_lines(text)) {
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (!joining) {
      std::string_view t = trim_space(raw);
      if (t.empty() || t[0] == '#' || t[0] == ';') continue;
      cur.clear();
      start = number;
    }
    for (char c : raw) {
      bool blank = c == ' ' || c == '\t';
      if (blank && (cur.empty() || cur.back() == ' ')) continue;
      cur.push_back(blank ? ' ' : c);
    }
    joining = false;
    if (!cur.empty() && cur.back() == '\\') {
      cur.pop_back();
      joining = true;
    } else if (cur.size() > 1 && cur.back() == ' ' && cur[cur.size() - 2] == '\\') {
      cur.resize(cur.size() - 2);
      joining = true;
    }
    if (!joining) out.push_back({cur, start});
  }
  if (joining) out.push_back({cur, start});
  return out;
}

std::string strip_one_space(std::string s) {
  if (!s.empty() && s.front() == ' ') s.erase(0, 1);
  if (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

const std::vector<OptionSpec>& ctdbd_options() {
  static const std::vector<OptionSpec> table = {
      {kLogging, "location", Type::kString, "file:/var/log/ctdb/log.ctdb"},
      {kLogging, "log level", Type::kString, "NOTICE"},
      {kCluster, "transport", Type::kString, "tcp"},
      {kCluster, "node address", Type::kString, nullptr},
      {kCluster, "cluster lock", Type::kString, nullptr},
      {kCluster, "recovery lock", Type::kString, nullptr},
      {kCluster, "leader timeout", Type::kInteger, "5"},
      {kCluster, "leader capability", Type::kBoolean, "true"},
      {kDatabase, "volatile database directory", Type::kString, "/var/lib/ctdb/volatile"},
      {kDatabase, "persistent database directory", Type::kString, "/var/lib/ctdb/persistent"},
      {kDatabase, "state database directory", Type::kString, "/var/lib/ctdb/state"},
      {kDatabase, "lock debug script", Type::kString, nullptr},
      {kDatabase, "tdb mutexes", Type::kBoolean, "true"},
      {kEvent, "debug script", Type::kString, nullptr},
      {kFailover, "disabled", Type::kBoolean, "false"},
      {kLegacy, "realtime scheduling", Type::kBoolean, "true"},
      {kLegacy, "lmaster capability", Type::kBoolean, "true"},
      {kLegacy, "start as stopped", Type::kBoolean, "false"},
      {kLegacy, "start as disabled", Type::kBoolean, "false"},
      {kLegacy, "script log level", Type::kString, "ERROR"},
      {kMetrics, "listen", Type::kString, nullptr, true},
  };
  return table;
}

Config::Config(std::string etcdir) : etcdir_(std::move(etcdir)) {
  for (const OptionSpec& spec : ctdbd_options()) {
    values_.push_back({false, spec.fallback != nullptr ? spec.fallback : ""});
  }
}

size_t Config::index_of(const std::string& section, const std::string& key) const {
  const auto& table = ctdbd_options();
  for (size_t i = 0; i < table.size(); ++i) {
    if (same_name(section, table[i].section) && same_name(key, table[i].key)) return i;
  }
  return table.size();
}

bool Config::check(size_t index, const std::string& raw, std::string* normalised,
                   std::vector<std::string>* errors, std::vector<std::string>* warnings) const {
  const OptionSpec& spec = ctdbd_options()[index];
  const std::string section = spec.section;
  const std::string key = spec.key;
  if (raw.empty()) {
    errors->push_back("conf: empty value [" + section + "] -> \"" + key + "\"");
    return false;
  }
  bool typed = true;
  switch (spec.type) {
    case Type::kString:
      *normalised = raw;
      break;
    case Type::kInteger:
      typed = parse_integer(raw, normalised);
      break;
    case Type::kBoolean:
      typed = parse_boolean(raw, normalised);
      break;
  }
  if (!typed) {
    errors->push_back("conf: invalid value [" + section + "] -> \"" + key + "\" = \"" + raw + "\"");
    return false;
  }

  const std::string& v = *normalised;
  std::string why;
  const std::string invalid = "Invalid value for [" + section + "] -> " + key + " = " + v;
  int level = 0;
  if (section == kLogging && key == "location") {
    if (!valid_location(v)) why = invalid;
  } else if ((section == kLogging && key == "log level") ||
             (section == kLegacy && key == "script log level")) {
    if (!parse_debug_level(v, &level)) why = invalid;
  } else if (section == kCluster && key == "transport") {
    if (v != "tcp") why = invalid;
  } else if (section == kCluster && key == "node address") {
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, v.c_str(), buf) != 1 && inet_pton(AF_INET6, v.c_str(), buf) != 1) {
      why = invalid;
    }
  } else if (section == kCluster && key == "recovery lock") {
    warnings->push_back("Configuration option [cluster] -> recovery lock is deprecated");
  } else if (section == kCluster && key == "leader timeout") {
    if (v == "0") why = invalid;
  } else if (section == kDatabase && key.find("directory") != std::string::npos) {
    if (!is_directory(v)) why = key + " \"" + v + "\" does not exist";
  } else if (section == kDatabase && key == "lock debug script") {
    why = check_script(etcdir_, "lock debug script", v);
  } else if (section == kEvent && key == "debug script") {
    why = check_script(etcdir_, "debug script", v);
  } else if (section == kMetrics && key == "listen") {
    auto a = proto::SockAddr::parse_with_port(v);
    if (!a || a->port == 0) why = invalid;
  }
  if (why.empty()) return true;
  errors->push_back(why);
  errors->push_back("conf: validation for option \"" + key + "\" failed");
  return false;
}

bool Config::load(std::string_view text, std::vector<std::string>* errors,
                  std::vector<std::string>* warnings) {
  const auto& table = ctdbd_options();
  std::vector<Value> next = values_;
  size_t first_error = errors->size();
  std::string section;  // empty: before any known section
  bool in_unknown = false;
  for (const Line& line : logical_lines(text)) {
    const std::string& l = line.text;
    if (l[0] == '[') {
      size_t close = l.find(']');
      if (close == std::string::npos) {
        errors->push_back("conf: line " + std::to_string(line.number) +
                          ": section name without \"]\": " + l);
        section = l;  // its keys are not reported again
        in_unknown = true;
        continue;
      }
      section = l.substr(1, close - 1);
      in_unknown = true;
      for (const OptionSpec& spec : table) {
        if (same_name(section, spec.section)) {
          section = spec.section;
          in_unknown = false;
          break;
        }
      }
      if (in_unknown) errors->push_back("conf: unknown section [" + section + "]");
      continue;
    }
    size_t eq = l.find('=');
    if (eq == std::string::npos) {
      // 4.17 skips such a line without a word; an admin may have meant something by it.
      warnings->push_back("conf: line " + std::to_string(line.number) + ": ignoring \"" + l +
                          "\" (not \"key = value\")");
      continue;
    }
    std::string key = strip_one_space(l.substr(0, eq));
    std::string raw = strip_one_space(l.substr(eq + 1));
    if (section.empty()) {
      errors->push_back("conf: unknown section for option \"" + key + "\"");
      continue;
    }
    if (in_unknown) continue;  // reported with its section
    size_t i = index_of(section, key);
    if (i == table.size()) {
      errors->push_back("conf: unknown option [" + section + "] -> \"" + key + "\"");
      continue;
    }
    std::string normalised;
    if (!check(i, raw, &normalised, errors, warnings)) continue;
    next[i].text = normalised;
    next[i].set = table[i].fallback == nullptr || normalised != table[i].fallback;
    if (!next[i].set && table[i].fallback != nullptr) next[i].text = table[i].fallback;
  }
  if (errors->size() != first_error) return false;
  values_ = std::move(next);
  return true;
}

bool Config::load_file(const std::string& path, bool* missing, std::vector<std::string>* errors,
                       std::vector<std::string>* warnings) {
  *missing = false;
  std::string text, error;
  if (!read_text_file(path, &text, &error)) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT) {
      *missing = true;
      return true;
    }
    errors->push_back(error);
    return false;
  }
  return load(text, errors, warnings);
}

void Config::override_value(const char* section, const char* key, const std::string& value) {
  size_t i = index_of(section, key);
  if (i == values_.size()) return;
  const char* fallback = ctdbd_options()[i].fallback;
  values_[i].text = value;
  values_[i].set = fallback == nullptr || value != fallback;
}

bool Config::has(const char* section, const char* key) const {
  size_t i = index_of(section, key);
  return i < values_.size() && (values_[i].set || ctdbd_options()[i].fallback != nullptr);
}

std::string Config::string(const char* section, const char* key) const {
  size_t i = index_of(section, key);
  return i < values_.size() ? values_[i].text : std::string();
}

int Config::integer(const char* section, const char* key) const {
  return atoi(string(section, key).c_str());
}

bool Config::boolean(const char* section, const char* key) const {
  return string(section, key) == "true";
}

std::string Config::dump() const {
  std::string out;
  const auto& table = ctdbd_options();
  const char* section = "";
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].extension && !values_[i].set) continue;
    if (std::string(section) != table[i].section) {
      section = table[i].section;
      out += "[" + std::string(section) + "]\n";
    }
    out += values_[i].set ? "\t" : "\t# ";
    out += std::string(table[i].key) + " = " + values_[i].text + "\n";
  }
  return out;
}

}  // namespace ctdb::conf
