// 4.17's ctdb.conf: its sections and keys with their types, defaults and
// checks, the file's syntax, and the `ctdb-config dump` format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ctdb::conf {

enum class Type { kString, kInteger, kBoolean };

// One key of one section. `fallback` is the value when the file does not set
// the key; nullptr for keys that are unset by default (no cluster lock, ...).
struct OptionSpec {
  const char* section;
  const char* key;
  Type type;
  const char* fallback;
  // Ours, not 4.17's: dump() leaves it out while unset, so that the dump of a
  // stock file is what 4.17's ctdb-config prints.
  bool extension = false;
};

// The keys ctdbd 4.17 knows, in its dump order, plus our `[metrics] listen`.
const std::vector<OptionSpec>& ctdbd_options();

// Directories 4.17 compiles in (Debian's paths).
constexpr const char* kDefaultEtcDir = "/etc/ctdb";
constexpr const char* kDefaultRunDir = "/var/run/ctdb";
constexpr const char* kDefaultVarDir = "/var/lib/ctdb";

// A loaded configuration: the defaults overlaid by a file's settings.
class Config {
 public:
  // `etcdir` is where the debug scripts named by [database] lock debug script
  // and [event] debug script must be (4.17 looks them up there by basename).
  explicit Config(std::string etcdir);

  // Parses the text of a ctdb.conf. Every problem adds one line to *errors in
  // 4.17's words ("conf: unknown option [cluster] -> \"bogus\"", then the
  // checker's own line and "conf: validation for option ... failed"); on any
  // error nothing of the text is kept. Deprecated keys add to *warnings.
  bool load(std::string_view text, std::vector<std::string>* errors,
            std::vector<std::string>* warnings);
  // Reads and loads `path`. A missing file is no error (*missing is set):
  // every key keeps its default, as 4.17 does.
  bool load_file(const std::string& path, bool* missing, std::vector<std::string>* errors,
                 std::vector<std::string>* warnings);

  // Sets one key without checking it: a command-line value that overrides the
  // file, so that dump() shows what is in force. `value` must be valid
  // ("true"/"false" for booleans).
  void override_value(const char* section, const char* key, const std::string& value);

  // The value in force: set, else the default. Empty for an unset key with
  // no default; has() tells the two apart.
  bool has(const char* section, const char* key) const;
  std::string string(const char* section, const char* key) const;
  int integer(const char* section, const char* key) const;
  bool boolean(const char* section, const char* key) const;

  // `ctdb-config dump`'s format: each section, then each key indented by a
  // tab, "# key = default" when it has its default, "key = value" otherwise.
  std::string dump() const;

 private:
  struct Value {
    bool set = false;  // differs from the default
    std::string text;  // normalised: booleans "true"/"false", integers decimal
  };
  size_t index_of(const std::string& section, const std::string& key) const;
  bool check(size_t index, const std::string& raw, std::string* normalised,
             std::vector<std::string>* errors, std::vector<std::string>* warnings) const;

  std::string etcdir_;
  std::vector<Value> values_;  // one per ctdbd_options() entry
};

}  // namespace ctdb::conf
