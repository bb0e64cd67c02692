// The event script directory (--event-script-dir): which files are event
// scripts, in which order they run, and enabling or disabling one by its
// executable bit (`ctdb enablescript` / `disablescript`).
#pragma once

#include <string>
#include <vector>

namespace ctdb::daemon::monitor {

struct ScriptFile {
  std::string name;      // as scriptstatus shows it: "00.ctdb"
  std::string file;      // in the directory: "00.ctdb" (seed) or "00.ctdb.script" (4.17)
  bool enabled = false;  // the owner's executable bit is set
};

// An event script is named NN.name: two digits, a dot, then letters, digits,
// '_', '-' or '.', at most MAX_SCRIPT_NAME characters in all. Editor and
// package-manager leftovers (`~`, .rpmnew, .rpmsave, .rpmorig, .dpkg-*,
// .swp) are not scripts. In 4.17's events/legacy the file is NN.name.script;
// the suffix is not part of the name.
bool is_script_name(const std::string& name);

// The regular files (symlinks followed) in `dir` with script names, sorted by
// name. A missing directory is an empty list (*missing set); another error
// reading it fails with *error.
bool list_scripts(const std::string& dir, std::vector<ScriptFile>* out, bool* missing,
                  std::string* error);

// Sets or clears every executable bit of script `name` (either file form). A
// script that is a symbolic link is disabled by removing the link (as 4.17
// does), so a shared script is never changed; enabling it is a no-op. Refuses a name that
// is not a script of `dir`.
bool set_script_enabled(const std::string& dir, const std::string& name, bool enabled,
                        std::string* error);

}  // namespace ctdb::daemon::monitor
