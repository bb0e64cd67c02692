// Listing and enabling event scripts; see script_dir.h.
#include "daemon/monitor/script_dir.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "ctdb/protocol.h"

namespace ctdb::daemon::monitor {

namespace {

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

constexpr mode_t kAllExec = S_IXUSR | S_IXGRP | S_IXOTH;
constexpr const char* kLegacySuffix = ".script";  // 4.17's events/legacy/NN.name.script

// The script name for a file name: without 4.17's suffix.
std::string script_name(const std::string& file) {
  if (ends_with(file, kLegacySuffix)) return file.substr(0, file.size() - strlen(kLegacySuffix));
  return file;
}

}  // namespace

bool is_script_name(const std::string& name) {
  if (name.size() < 4 || name.size() > MAX_SCRIPT_NAME) return false;
  if (!isdigit(static_cast<unsigned char>(name[0])) ||
      !isdigit(static_cast<unsigned char>(name[1])) || name[2] != '.') {
    return false;
  }
  for (size_t i = 3; i < name.size(); i++) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (!isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  for (const char* junk : {".rpmsave", ".rpmnew", ".rpmorig", ".swp"}) {
    if (ends_with(name, junk)) return false;
  }
  return name.find(".dpkg-") == std::string::npos;
}

bool list_scripts(const std::string& dir, std::vector<ScriptFile>* out, bool* missing,
                  std::string* error) {
  out->clear();
  *missing = false;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) {
      *missing = true;
      return true;
    }
    *error = "cannot read event script directory " + dir + ": " + strerror(errno);
    return false;
  }
  while (dirent* e = readdir(d)) {
    std::string file = e->d_name;
    std::string name = script_name(file);
    if (!is_script_name(name)) continue;
    struct stat st;
    if (stat((dir + "/" + file).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    out->push_back({name, file, (st.st_mode & S_IXUSR) != 0});
  }
  closedir(d);
  std::sort(out->begin(), out->end(),
            [](const ScriptFile& a, const ScriptFile& b) { return a.name < b.name; });
  return true;
}

bool set_script_enabled(const std::string& dir, const std::string& name, bool enabled,
                        std::string* error) {
  std::string path = dir + "/" + name + kLegacySuffix;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) path = dir + "/" + name;
  if (!is_script_name(name) || stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "no event script " + name + " in " + dir;
    return false;
  }
  // A link enables a script kept elsewhere (4.17's events/legacy links to the packaged
  // scripts): disabling removes the link, as 4.17 does, and never changes the shared file.
  struct stat link {};
  if (lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    if (enabled) return true;
    if (unlink(path.c_str()) != 0) {
      *error = "cannot remove the link " + path + ": " + strerror(errno);
      return false;
    }
    return true;
  }
  mode_t mode = enabled ? (st.st_mode | kAllExec) : (st.st_mode & ~kAllExec);
  if (chmod(path.c_str(), mode & 07777) != 0) {
    *error = "cannot change the mode of " + path + ": " + strerror(errno);
    return false;
  }
  return true;
}

}  // namespace ctdb::daemon::monitor
