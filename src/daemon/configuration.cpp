// 4.17's CTDB_BASE layout and ctdb.conf carried into DaemonOptions (see
// configuration.h).
#include "daemon/configuration.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace ctdb::daemon {
namespace {

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

Layout layout_from_environment() {
  Layout l;
  const char* base = getenv("CTDB_BASE");
  l.etcdir = base != nullptr && *base != '\0' ? base : conf::kDefaultEtcDir;
  l.test_mode = getenv("CTDB_TEST_MODE") != nullptr;
  l.rundir = l.test_mode ? l.etcdir + "/run" : conf::kDefaultRunDir;
  return l;
}

DaemonOptions options_from_config(const conf::Config& conf, const Layout& layout) {
  DaemonOptions o;
  std::string location = conf.string("logging", "location");
  if (location.compare(0, 6, "syslog") == 0) {
    o.syslog = true;
  } else {
    // "file:PATH"; "file:" and "file:-" are stderr.
    std::string path = location.size() > 5 ? location.substr(5) : "";
    o.logfile = path.empty() ? "-" : path;
  }
  o.debug = conf.string("logging", "log level");

  o.transport = conf.string("cluster", "transport");
  o.listen = conf.string("cluster", "node address");
  o.reclock = conf.has("cluster", "cluster lock") ? conf.string("cluster", "cluster lock")
                                                  : conf.string("cluster", "recovery lock");
  o.leader_timeout = conf.integer("cluster", "leader timeout");
  o.no_recmaster = !conf.boolean("cluster", "leader capability");

  o.dbdir = conf.string("database", "volatile database directory");
  o.dbdir_persistent = conf.string("database", "persistent database directory");
  o.dbdir_state = conf.string("database", "state database directory");
  o.tdb_mutexes = conf.boolean("database", "tdb mutexes");
  if (conf.has("database", "lock debug script")) {
    o.lock_debug_script = conf.string("database", "lock debug script");
  }
  if (conf.has("event", "debug script")) {
    // 4.17 runs it from CTDB_BASE, whatever directory the value names.
    std::string v = conf.string("event", "debug script");
    o.event_debug_script = layout.etcdir + "/" + v.substr(v.rfind('/') + 1);
  }

  o.failover_disabled = conf.boolean("failover", "disabled");
  o.metrics_listen = conf.string("metrics", "listen");

  o.nosetsched = !conf.boolean("legacy", "realtime scheduling") || layout.test_mode;
  o.no_lmaster = !conf.boolean("legacy", "lmaster capability");
  o.start_as_stopped = conf.boolean("legacy", "start as stopped");
  o.start_as_disabled = conf.boolean("legacy", "start as disabled");
  o.script_log_level = conf.string("legacy", "script log level");

  // What 4.17 finds in CTDB_BASE and the run directory.
  o.nlist = layout.etcdir + "/nodes";
  o.event_script_dir = layout.etcdir + "/events/legacy";
  if (exists(layout.etcdir + "/notify.sh")) o.notification_script = layout.etcdir + "/notify.sh";
  if (!o.failover_disabled && exists(layout.etcdir + "/public_addresses")) {
    o.public_addresses = layout.etcdir + "/public_addresses";
  }
  const char* env_socket = getenv("CTDB_SOCKET");
  if (env_socket != nullptr && *env_socket != '\0') {
    o.socket = env_socket;
  } else {
    o.socket = layout.rundir + "/ctdbd.socket";
    // The pid file goes with the default socket: daemons given sockets of their own (several on
    // one host) would otherwise all write one pid file.
    o.pidfile = layout.rundir + "/ctdbd.pid";
  }
  return o;
}

std::string absolute_path(const std::string& path) {
  if (path.empty() || path[0] == '/' || path[0] == '!' || path == "-") return path;
  char* cwd = getcwd(nullptr, 0);
  if (cwd == nullptr) return path;
  std::string out =
      std::string(cwd) + "/" + (path.compare(0, 2, "./") == 0 ? path.substr(2) : path);
  free(cwd);
  return out;
}

}  // namespace ctdb::daemon
