// ctdb commands about event scripts: the seed's scriptstatus, enablescript and
// disablescript, and 4.17's `ctdb event status|run|script` for the one script
// directory ("legacy") that ctdbd runs itself.
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client/controls.h"
#include "client/format.h"
#include "ctdb/protocol.h"
#include "protocol/names.h"
#include "tool.h"

namespace ctdb::tool {

namespace {

// 4.17's event scripts live in per-component directories; ctdbd has one.
constexpr const char* kComponent = "legacy";

constexpr int32_t kStatusTimedOut = -ETIME;
constexpr int32_t kStatusDisabled = -ENOEXEC;

const char* script_status_name(int32_t status) {
  if (status == kStatusTimedOut) return "TIMEDOUT";
  if (status == kStatusDisabled) return "DISABLED";
  if (status == 0) return "OK";
  if (status > 0) return "ERROR";
  return nullptr;  // could not run at all: errno in -status
}

double duration(const proto::Script& s) { return client::timeval_elapsed(s.finished, s.start); }

int get_status(Context* ctx, uint32_t event, proto::ScriptList* list, bool* never_run) {
  int ret = client::ctrl_get_event_script_status(ctx->c(), ctx->cmd_pnn, ctx->timeout(), event,
                                                 list, never_run);
  if (ret != 0) fprintf(stderr, "Unable to get script status from node %u\n", ctx->cmd_pnn);
  return ret;
}

// The last run of one event as GET_EVENT_SCRIPT_STATUS reports it.
struct EventStatus {
  uint32_t event = 0;
  bool never_run = false;
  proto::ScriptList list;
};

int executed_count(const proto::ScriptList& list) {
  int executed = 0;
  for (const auto& s : list.scripts) {
    if (s.status != kStatusDisabled) executed++;
  }
  return executed;
}

void print_one_scriptstatus(const EventStatus& e) {
  const char* event_name = proto::event_name(e.event);
  if (e.never_run) {
    if (!options.machinereadable) printf("%s cycle never run\n", event_name);
    return;
  }
  if (!options.machinereadable) {
    printf("%d scripts were executed last %s cycle\n", executed_count(e.list), event_name);
  }
  const char* sep = options.sep;
  for (const auto& s : e.list.scripts) {
    const char* status = script_status_name(s.status);
    if (options.machinereadable) {
      printf("%s%s%s%s%s%d%s%s%s%lld.%06lld%s%lld.%06lld%s%s%s\n", sep, event_name, sep,
             s.name.c_str(), sep, s.status, sep, status ? status : "", sep,
             static_cast<long long>(s.start.sec), static_cast<long long>(s.start.usec), sep,
             static_cast<long long>(s.finished.sec), static_cast<long long>(s.finished.usec), sep,
             s.output.c_str(), sep);
      continue;
    }
    if (status != nullptr) {
      printf("%-20s Status:%s    ", s.name.c_str(), status);
    } else {
      printf("%-20s Status:CANNOT RUN (%s)", s.name.c_str(), strerror(-s.status));
    }
    if (s.status >= 0) printf("Duration:%.3lf ", duration(s));
    if (s.status == kStatusDisabled) {
      printf("\n");
      continue;
    }
    fputs(client::ctime_string(s.start.sec).c_str(), stdout);
    if (s.status != 0) printf("   OUTPUT:%s\n", s.output.c_str());
  }
}

void json_scriptstatus(Context* ctx, const std::vector<EventStatus>& events) {
  JsonWriter w;
  w.begin_object().field("pnn", ctx->cmd_pnn).key("events").begin_array();
  for (const auto& e : events) {
    w.begin_object().field("event", proto::event_name(e.event)).field("never_run", e.never_run);
    w.field("num_executed", e.never_run ? 0 : executed_count(e.list));
    w.key("scripts").begin_array();
    for (const auto& s : e.list.scripts) {
      const char* status = script_status_name(s.status);
      w.begin_object().field("name", s.name).field("status", s.status);
      w.field("status_name", status != nullptr ? status : "CANNOT RUN").key("error");
      if (status != nullptr) {
        w.null();
      } else {
        w.value(strerror(-s.status));
      }
      json_time(w.key("start"), s.start);
      json_time(w.key("finished"), s.finished);
      w.key("duration");
      if (s.status >= 0) {
        w.fixed(duration(s), 6);
      } else {
        w.null();
      }
      w.field("output", s.output).end_object();
    }
    w.end_array().end_object();
  }
  print_json(ctx, w.end_array().end_object());
}

int script_control(Context* ctx, const std::string& name, uint32_t opcode, const char* verb) {
  Bytes data(name.begin(), name.end());
  data.push_back(0);
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, data);
  if (ret != 0) {
    fprintf(stderr, "Unable to %s script %s on node %u\n", verb, name.c_str(), ctx->cmd_pnn);
  }
  return ret;
}

// `ctdb event status [legacy] EVENT`, printed as 4.17's event tool does.
int event_status(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) {
    fprintf(stderr, "Usage: ctdb event status %s <event>\n", kComponent);
    return 1;
  }
  uint32_t event;
  if (!proto::event_from_name(args[1], &event) || proto::event_arg_count(event) < 0) {
    fprintf(stderr, "Invalid event %s\n", args[1].c_str());
    return EINVAL;
  }
  proto::ScriptList list;
  bool never_run = false;
  int ret = get_status(ctx, event, &list, &never_run);
  if (ret != 0) return ret;
  if (never_run) {
    printf("Event %s has never run in %s\n", args[1].c_str(), kComponent);
    return EINVAL;
  }
  int32_t summary = 0;
  for (const auto& s : list.scripts) {
    std::string start = client::ctime_string(s.start.sec);
    if (s.status == kStatusTimedOut) {
      printf("%-20s %-10s %s", s.name.c_str(), "TIMEDOUT", start.c_str());
    } else if (s.status == kStatusDisabled) {
      printf("%-20s %-10s\n", s.name.c_str(), "DISABLED");
    } else if (s.status < 0) {
      printf("%-20s %-10s (%s)\n", s.name.c_str(), "CANNOT RUN", strerror(-s.status));
    } else {
      printf("%-20s %-10s %.3lf %s", s.name.c_str(), s.status == 0 ? "OK" : "ERROR", duration(s),
             start.c_str());
    }
    if (s.status != 0 && s.status != kStatusDisabled) {
      printf("  OUTPUT: %s\n", s.output.c_str());
      summary = s.status;
    }
  }
  return summary < 0 ? -summary : summary;
}

// `ctdb event run TIMEOUT legacy EVENT [ARGS...]`. The daemon bounds the
// event with its EventScriptTimeout; TIMEOUT only bounds the wait here.
int event_run(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() < 3) {
    fprintf(stderr, "Usage: ctdb event run <timeout> %s <event> [<args>]\n", kComponent);
    return 1;
  }
  int timeout = atoi(args[0].c_str());
  std::string line = args[2];
  for (size_t i = 3; i < args.size(); i++) line += " " + args[i];
  Bytes data(line.begin(), line.end());
  data.push_back(0);
  client::ControlReply reply;
  int wait = std::max(timeout, 0) + options.timelimit;
  int ret = ctx->c().control(ctx->cmd_pnn, CONTROL_RUN_EVENTSCRIPTS, data,
                             client::Deadline::after_seconds(wait), &reply);
  if (ret != 0) {
    fprintf(stderr, "Failed to run event %s in %s, ret=%d\n", args[2].c_str(), kComponent, ret);
    return 1;
  }
  if (reply.status == 0) return 0;
  const std::string& why = reply.errmsg;
  if (why.find("timed out") != std::string::npos) {
    printf("Event %s in %s timed out\n", args[2].c_str(), kComponent);
    return ETIMEDOUT;
  }
  if (why.find("cancelled") != std::string::npos) {
    printf("Event %s in %s got cancelled\n", args[2].c_str(), kComponent);
    return ECANCELED;
  }
  if (why.find("failed") != std::string::npos) {
    printf("Event %s in %s failed\n", args[2].c_str(), kComponent);
    return ENOEXEC;
  }
  printf("Failed to run event %s in %s: %s\n", args[2].c_str(), kComponent, why.c_str());
  return 1;
}

// 4.17's script directories: the enabled scripts in $CTDB_BASE/events/COMPONENT (symlinks to the
// packaged ones, or local files), the packaged ones in the data directory
// (/usr/share/ctdb, $CTDB_BASE/share under CTDB_TEST_MODE).
std::string etc_events_dir() {
  const char* base = getenv("CTDB_BASE");
  return std::string(base != nullptr && *base ? base : "/etc/ctdb") + "/events/" + kComponent;
}
std::string data_events_dir() {
  const char* base = getenv("CTDB_BASE");
  bool test_mode = getenv("CTDB_TEST_MODE") != nullptr && base != nullptr && *base;
  return (test_mode ? std::string(base) + "/share" : "/usr/share/ctdb") + "/events/" + kComponent;
}

struct ScriptEntry {
  std::string name;  // without ".script"
  std::string path;
  bool enabled = false;  // executable (a link: its target)
};

// The NN.name.script entries of `dir`, sorted; false (errno set) if it cannot be read.
bool script_entries(const std::string& dir, std::vector<ScriptEntry>* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  while (dirent* e = readdir(d)) {
    std::string f = e->d_name;
    if (fnmatch("[0-9][0-9].*.script", f.c_str(), 0) != 0) continue;
    ScriptEntry s{f.substr(0, f.size() - 7), dir + "/" + f, false};
    struct stat st {};
    if (stat(s.path.c_str(), &st) == 0 && (st.st_mode & S_IXUSR)) s.enabled = true;
    out->push_back(s);
  }
  closedir(d);
  std::sort(out->begin(), out->end(),
            [](const ScriptEntry& a, const ScriptEntry& b) { return a.name < b.name; });
  return true;
}

// `ctdb event script list legacy`, as 4.17's event tool lists: the packaged scripts, '*' where
// an enabling symlink points at them; then (after a blank line) the other local scripts, '*'
// where executable.
int script_list() {
  std::vector<ScriptEntry> data, etc;
  char resolved[PATH_MAX];
  std::string data_dir = data_events_dir();
  bool have_data = realpath(data_dir.c_str(), resolved) != nullptr;
  if (!have_data && errno != ENOENT) return errno;
  if (have_data) {
    data_dir = resolved;
    if (!script_entries(data_dir, &data) && errno != ENOENT) return errno;
  }
  if (!script_entries(etc_events_dir(), &etc)) {
    int err = errno;
    fprintf(stderr, "Command script list finished with result=%d\n", err);
    return err;
  }
  std::vector<bool> matched(etc.size(), false);
  size_t nmatched = 0;
  for (auto& d : data) {
    d.path = data_dir + "/" + d.name + ".script";
    char flag = ' ';
    for (size_t j = 0; j < etc.size(); j++) {
      if (etc[j].name != d.name) continue;
      char buf[PATH_MAX];
      ssize_t len = readlink(etc[j].path.c_str(), buf, sizeof(buf) - 1);
      if (len >= 0 && std::string(buf, size_t(len)) == d.path) {
        flag = '*';
        matched[j] = true;
        nmatched++;
      }
      break;
    }
    printf("%c %s\n", flag, d.name.c_str());
  }
  if (!data.empty() && nmatched != etc.size()) printf("\n");
  for (size_t j = 0; j < etc.size(); j++) {
    if (!matched[j]) printf("%c %s\n", etc[j].enabled ? '*' : ' ', etc[j].name.c_str());
  }
  return 0;
}

// `ctdb event script enable|disable legacy NAME`, as 4.17's event tool does it: enabling a
// packaged script links it in, disabling removes the link; a local file is chmodded.
int script_enable(const std::string& name, bool enable) {
  std::string etc_script = etc_events_dir() + "/" + name + ".script";
  struct stat st {};
  if (lstat(etc_script.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      if (enable) return 0;
      if (unlink(etc_script.c_str()) != 0) {
        printf("Failed to remove symlink %s\n", etc_script.c_str());
        return EIO;
      }
      return 0;
    }
    if (!S_ISREG(st.st_mode)) {
      printf("Script %s is not a file or a link\n", etc_script.c_str());
      return EINVAL;
    }
    mode_t x = S_IXUSR | S_IXGRP | S_IXOTH;
    if (chmod(etc_script.c_str(), enable ? (st.st_mode | x) : (st.st_mode & ~x)) != 0) {
      return errno;
    }
    return 0;
  }
  if (!enable) return 0;  // nothing there: already disabled
  if (errno != ENOENT) {
    printf("Script %s does not exist\n", etc_script.c_str());
    return EINVAL;
  }
  char resolved[PATH_MAX];
  std::string data_script = data_events_dir() + "/" + name + ".script";
  if (realpath(data_script.c_str(), resolved) == nullptr || stat(resolved, &st) != 0) {
    printf("Script %s does not exist in %s\n", name.c_str(), kComponent);
    return ENOENT;
  }
  if (symlink(resolved, etc_script.c_str()) != 0) {
    printf("Failed to create symlink %s\n", etc_script.c_str());
    return EIO;
  }
  return 0;
}

int event_script(Context* ctx, const std::vector<std::string>& args) {
  // 4.17's layout ($CTDB_BASE/events/legacy): the scripts are managed in the file system, as the
  // stock tool does it. The seed's --event-script-dir: through the daemon (chmod there).
  struct stat st {};
  bool layout = stat(etc_events_dir().c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (args.size() == 3 && (args[0] == "enable" || args[0] == "disable")) {
    bool enable = args[0] == "enable";
    if (layout) return script_enable(args[2], enable);
    return script_control(ctx, args[2], enable ? CONTROL_ENABLE_SCRIPT : CONTROL_DISABLE_SCRIPT,
                          enable ? "enable" : "disable");
  }
  if (args.size() == 2 && args[0] == "list") return script_list();
  fprintf(stderr, "Usage: ctdb event script list|enable|disable %s [<script>]\n", kComponent);
  return 1;
}

}  // namespace

int control_scriptstatus(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) {
    fprintf(stderr, "Unknown arguments to scriptstatus\n");
    return 1;
  }
  std::string arg = args.empty() ? "monitor" : args[0];
  std::vector<uint32_t> events;
  uint32_t e;
  if (arg == "all") {
    for (e = 0; e < EVENT_MAX; e++) events.push_back(e);
  } else if (proto::event_from_name(arg, &e)) {
    events.push_back(e);
  } else {
    fprintf(stderr, "Unknown event type %s\n", arg.c_str());
    return 1;
  }
  std::vector<EventStatus> statuses;
  for (uint32_t event : events) {
    EventStatus e;
    e.event = event;
    int ret = get_status(ctx, event, &e.list, &e.never_run);
    if (ret != 0) return ret;
    statuses.push_back(std::move(e));
  }
  if (options.json) {
    json_scriptstatus(ctx, statuses);
    return 0;
  }
  if (options.machinereadable) {
    const char* s = options.sep;
    printf("%sType%sName%sCode%sStatus%sStart%sEnd%sError Output...%s\n", s, s, s, s, s, s, s, s);
  }
  for (const auto& e : statuses) print_one_scriptstatus(e);
  return 0;
}

int control_enablescript(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("enablescript");
  return script_control(ctx, args[0], CONTROL_ENABLE_SCRIPT, "enable");
}

int control_disablescript(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("disablescript");
  return script_control(ctx, args[0], CONTROL_DISABLE_SCRIPT, "disable");
}

// `ctdb event status|run|script ...`; the component must be "legacy"
// (status also accepts the event alone).
int control_event(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty()) {
    fprintf(stderr, "Usage: ctdb event run|status|script ...\n");
    return 1;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "status" && rest.size() == 1) rest.insert(rest.begin(), kComponent);
  // Where the component stands: status COMPONENT, run TIMEOUT COMPONENT, script VERB COMPONENT.
  size_t at = args[0] == "status" ? 0 : 1;
  if (rest.size() > at && rest[at] != kComponent) {
    printf("Event dir for %s does not exist\n", rest[at].c_str());
    return ENOENT;
  }
  if (args[0] == "status") return event_status(ctx, rest);
  if (args[0] == "run") return event_run(ctx, rest);
  if (args[0] == "script") return event_script(ctx, rest);
  fprintf(stderr, "Unknown event command %s\n", args[0].c_str());
  return 1;
}

}  // namespace ctdb::tool
