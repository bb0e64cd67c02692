// The tunables table: every 4.17 tunable plus the seed's, with defaults,
// ranges and wire slots; and the Tunables value store built on it.
#include "common/tunables.h"

#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/text_file.h"

namespace ctdb {
namespace {

constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();

constexpr uint32_t kMaxHashSize = 1u << 24;

const std::vector<TunableDef> kTable = {
#define CTDB_TUNABLE_ROW(name, def, obsolete, wire, min, max, doc) \
  {#name, def, obsolete, wire, min, max, doc},
    CTDB_TUNABLE_LIST(CTDB_TUNABLE_ROW)
#undef CTDB_TUNABLE_ROW
};

const TunableDef* find_with_index(std::string_view name, size_t* index) {
  for (size_t i = 0; i < kTable.size(); i++) {
    const char* n = kTable[i].name;
    if (name.size() == std::char_traits<char>::length(n) &&
        strncasecmp(n, name.data(), name.size()) == 0) {
      if (index != nullptr) *index = i;
      return &kTable[i];
    }
  }
  return nullptr;
}

// Whole-string unsigned parse in base 0 (decimal, 0x hex, leading-0 octal).
bool parse_u32(std::string_view text, uint32_t* out) {
  std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+' || s[0] == ' ' || s[0] == '\t') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > kMax) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

const std::vector<TunableDef>& tunable_table() { return kTable; }

const TunableDef* find_tunable(std::string_view name) { return find_with_index(name, nullptr); }

Tunables::Tunables() { reset(); }

void Tunables::reset() {
  values_.clear();
  values_.reserve(kTable.size());
  for (const TunableDef& t : kTable) values_.push_back(t.default_value);
}

std::optional<uint32_t> Tunables::get(std::string_view name) const {
  size_t i = 0;
  if (find_with_index(name, &i) == nullptr) return std::nullopt;
  return values_[i];
}

TunableSetResult Tunables::set(std::string_view name, uint32_t value, std::string* error) {
  size_t i = 0;
  const TunableDef* def = find_with_index(name, &i);
  if (def == nullptr) {
    if (error) *error = "No such tunable " + std::string(name);
    return TunableSetResult::kUnknown;
  }
  if (def->obsolete) {
    // 4.17 stores the value of an obsolete tunable and only warns.
    values_[i] = value;
    if (error) *error = "Setting obsolete tunable variable '" + std::string(def->name) + "'";
    return TunableSetResult::kObsolete;
  }
  if (value < def->min || value > def->max) {
    if (error) {
      *error = "Value " + std::to_string(value) + " for tunable " + def->name +
               " is out of range " + std::to_string(def->min) + ".." + std::to_string(def->max);
    }
    return TunableSetResult::kOutOfRange;
  }
  values_[i] = value;
  return TunableSetResult::kOk;
}

TunableSetResult Tunables::parse_and_set(std::string_view name, std::string_view value,
                                         std::string* error) {
  if (find_tunable(name) == nullptr) return set(name, 0, error);
  uint32_t v = 0;
  if (!parse_u32(value, &v)) {
    if (error) {
      *error =
          "Invalid value \"" + std::string(value) + "\" for tunable \"" + std::string(name) + "\"";
    }
    return TunableSetResult::kBadValue;
  }
  return set(name, v, error);
}

std::vector<std::string> Tunables::list() const {
  std::vector<std::string> names;
  for (const TunableDef& t : kTable) {
    if (!t.obsolete) names.emplace_back(t.name);
  }
  return names;
}

std::string Tunables::list_string() const {
  std::string out;
  for (const std::string& n : list()) {
    if (!out.empty()) out += ':';
    out += n;
  }
  return out;
}

std::vector<uint32_t> Tunables::to_wire() const {
  std::vector<uint32_t> wire(kTunableWireCount, 0);
  for (size_t i = 0; i < kTable.size(); i++) {
    int w = kTable[i].wire_index;
    if (w != kNotOnWire) wire[static_cast<size_t>(w)] = values_[i];
  }
  return wire;
}

bool Tunables::from_wire(const std::vector<uint32_t>& wire) {
  if (wire.size() != kTunableWireCount) return false;
  for (size_t i = 0; i < kTable.size(); i++) {
    int w = kTable[i].wire_index;
    if (w != kNotOnWire) values_[i] = wire[static_cast<size_t>(w)];
  }
  return true;
}

bool load_tunables_file(const std::string& path, Tunables* tunables,
                        std::vector<std::string>* errors) {
  tunables->reset();
  // Like 4.17, a missing file just means "all defaults".
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return true;
  std::string text;
  std::string error;
  if (!read_text_file(path, &text, &error)) {
    errors->push_back(error);
    return false;
  }
  bool ok = true;
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); i++) {
    std::string_view line = trim_space(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + ":" + std::to_string(i + 1) + ": ";
    if (line[0] == '[') {
      errors->push_back(where + "sections are not supported");
      ok = false;
      continue;
    }
    size_t eq = line.find('=');
    std::string_view name = trim_space(line.substr(0, eq));
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : trim_space(line.substr(eq + 1));
    if (name.empty() || value.empty()) {
      errors->push_back(where + "invalid line \"" + std::string(line) + "\"");
      ok = false;
      continue;
    }
    const TunableDef* def = find_tunable(name);
    if (def != nullptr && def->obsolete) {
      // 4.17 refuses obsolete tunables in the file outright.
      errors->push_back(where + "obsolete tunable \"" + std::string(name) + "\"");
      ok = false;
      continue;
    }
    std::string err;
    if (tunables->parse_and_set(name, value, &err) != TunableSetResult::kOk) {
      errors->push_back(where + err);
      ok = false;
    }
  }
  return ok;
}

}  // namespace ctdb
