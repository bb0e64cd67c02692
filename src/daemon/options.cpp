// ctdbd's command line (see options.h).
#include "daemon/options.h"

#include <popt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "common/ctdb_conf.h"
#include "common/logging.h"
#include "common/version.h"
#include "daemon/configuration.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// popt writes into char* / int slots; these are copied into DaemonOptions.
struct RawOptions {
  char* debug = nullptr;
  char* dbdir = nullptr;
  char* dbdir_persistent = nullptr;
  char* dbdir_state = nullptr;
  char* event_script_dir = nullptr;
  int interactive = 0;
  char* listen = nullptr;
  char* logfile = nullptr;
  int lvs = 0;
  char* nlist = nullptr;
  int no_lmaster = 0;
  int no_recmaster = 0;
  int nosetsched = 0;
  char* notification_script = nullptr;
  char* public_addresses = nullptr;
  char* public_interface = nullptr;
  char* reclock = nullptr;
  int reclock_recheck_interval = 5;
  char* single_public_ip = nullptr;
  char* socket = nullptr;
  int start_as_disabled = 0;
  int start_as_stopped = 0;
  int syslog = 0;
  int torture = 0;
  char* transport = nullptr;
  char* pidfile = nullptr;
  char* metrics_listen = nullptr;
  int version = 0;
  int dump_config = 0;

  // The values of the string options seen so far, by slot. popt overwrites a slot without
  // freeing it when an option is given twice, so each value is moved here as soon as popt
  // returns it (kStringOption) and the slot emptied.
  std::map<char**, std::string> strings;
  void take_strings() {
    for (char** slot :
         {&debug, &dbdir, &dbdir_persistent, &dbdir_state, &event_script_dir, &listen, &logfile,
          &nlist, &notification_script, &public_addresses, &public_interface, &reclock,
          &single_public_ip, &socket, &transport, &pidfile, &metrics_listen}) {
      if (*slot == nullptr) continue;
      strings[slot] = *slot;
      free(*slot);
      *slot = nullptr;
    }
  }
  bool given(char** slot) const { return strings.count(slot) != 0; }
  void take(char** slot, std::string* out) const {
    auto it = strings.find(slot);
    if (it != strings.end()) *out = it->second;
  }
};

// What poptGetNextOpt returns for a string option.
constexpr int kStringOption = 1;

// Moves what popt wrote into the options.
void take_options(RawOptions& r, DaemonOptions* opts) {
  r.take(&r.debug, &opts->debug);
  r.take(&r.dbdir, &opts->dbdir);
  r.take(&r.dbdir_persistent, &opts->dbdir_persistent);
  r.take(&r.dbdir_state, &opts->dbdir_state);
  r.take(&r.event_script_dir, &opts->event_script_dir);
  r.take(&r.listen, &opts->listen);
  r.take(&r.logfile, &opts->logfile);
  r.take(&r.nlist, &opts->nlist);
  r.take(&r.notification_script, &opts->notification_script);
  r.take(&r.public_addresses, &opts->public_addresses);
  r.take(&r.public_interface, &opts->public_interface);
  r.take(&r.reclock, &opts->reclock);
  r.take(&r.single_public_ip, &opts->single_public_ip);
  r.take(&r.socket, &opts->socket);
  r.take(&r.transport, &opts->transport);
  r.take(&r.pidfile, &opts->pidfile);
  r.take(&r.metrics_listen, &opts->metrics_listen);
  opts->reclock_recheck_interval = r.reclock_recheck_interval;
  opts->interactive = r.interactive;
  // A flag can only add to what ctdb.conf says.
  opts->lvs |= r.lvs != 0;
  opts->no_lmaster |= r.no_lmaster != 0;
  opts->no_recmaster |= r.no_recmaster != 0;
  opts->nosetsched |= r.nosetsched != 0;
  opts->start_as_disabled |= r.start_as_disabled != 0;
  opts->start_as_stopped |= r.start_as_stopped != 0;
  opts->torture |= r.torture != 0;
  // Where the log goes: --syslog, else --logfile, else stderr with -i (as 4.17, whatever
  // ctdb.conf says), else ctdb.conf's location.
  bool logfile_given = r.given(&r.logfile);
  if (r.syslog) {
    opts->syslog = true;
  } else if (logfile_given) {
    opts->syslog = false;
  } else if (r.interactive) {
    opts->syslog = false;
    opts->logfile = "-";
  }
  if (opts->syslog) opts->logfile.clear();
  // The default pid file belongs to the default socket (see configuration.cpp).
  if (r.given(&r.socket) && !r.given(&r.pidfile)) opts->pidfile.clear();
}

// Makes every path option absolute before the daemon leaves its directory.
void resolve_paths(DaemonOptions* o) {
  for (std::string* path : {&o->dbdir, &o->dbdir_persistent, &o->dbdir_state, &o->event_script_dir,
                            &o->logfile, &o->nlist, &o->notification_script, &o->public_addresses,
                            &o->reclock, &o->socket, &o->pidfile}) {
    *path = absolute_path(*path);
  }
}

// Shows the command line's values in the dump, as the values in force.
void override_config(const DaemonOptions& o, conf::Config* conf) {
  conf->override_value("logging", "location", o.syslog ? "syslog" : "file:" + o.logfile);
  conf->override_value("logging", "log level", o.debug);
  conf->override_value("cluster", "transport", o.transport);
  if (!o.listen.empty()) conf->override_value("cluster", "node address", o.listen);
  if (!o.reclock.empty() && !conf->has("cluster", "recovery lock")) {
    conf->override_value("cluster", "cluster lock", o.reclock);
  }
  conf->override_value("cluster", "leader capability", o.no_recmaster ? "false" : "true");
  conf->override_value("database", "volatile database directory", o.dbdir);
  conf->override_value("database", "persistent database directory", o.dbdir_persistent);
  conf->override_value("database", "state database directory", o.dbdir_state);
  conf->override_value("legacy", "realtime scheduling", o.nosetsched ? "false" : "true");
  conf->override_value("legacy", "lmaster capability", o.no_lmaster ? "false" : "true");
  conf->override_value("legacy", "start as stopped", o.start_as_stopped ? "true" : "false");
  conf->override_value("legacy", "start as disabled", o.start_as_disabled ? "true" : "false");
  if (!o.metrics_listen.empty()) conf->override_value("metrics", "listen", o.metrics_listen);
}

// --dump-config: ctdb.conf's keys as `ctdb-config dump` prints them, then the settings that
// only the command line (or the CTDB_BASE layout) gives, as comments so that the output is
// still a valid ctdb.conf.
std::string dump_config(const DaemonOptions& o, const conf::Config& conf) {
  std::string out = conf.dump();
  out += "# Settings with no ctdb.conf key (command line or CTDB_BASE):\n";
  auto line = [&out](const char* name, const std::string& value) {
    out += std::string("#\t--") + name + " = " + value + "\n";
  };
  line("nlist", o.nlist);
  line("public-addresses", o.public_addresses);
  line("public-interface", o.public_interface);
  line("single-public-ip", o.single_public_ip);
  line("lvs", o.lvs ? "true" : "false");
  line("event-script-dir", o.event_script_dir);
  line("notification-script", o.notification_script);
  line("socket", o.socket);
  line("pidfile", o.pidfile);
  line("reclock-recheck-interval", std::to_string(o.reclock_recheck_interval));
  return out;
}

// What popt cannot check: the transport, empty and too long paths.
bool check_options(const DaemonOptions& opts, std::string* error) {
  if (opts.reclock_recheck_interval < 0) {
    *error = "ctdbd: --reclock-recheck-interval: must be 0 or more seconds, not " +
             std::to_string(opts.reclock_recheck_interval);
    return false;
  }
  if (opts.transport != "tcp") {
    *error = "ctdbd: --transport: unsupported transport '" + opts.transport +
             "' (only \"tcp\" is supported)";
    return false;
  }
  int level = 0;
  if (!parse_debug_level(opts.script_log_level, &level)) {
    *error = "ctdbd: invalid script log level '" + opts.script_log_level + "'";
    return false;
  }
  if (opts.leader_timeout <= 0) {
    *error = "ctdbd: leader timeout must be 1 or more seconds";
    return false;
  }
  for (const std::string* path :
       {&opts.nlist, &opts.socket, &opts.dbdir, &opts.dbdir_persistent, &opts.dbdir_state}) {
    if (path->empty()) {
      *error = "ctdbd: empty path given to an option that needs one";
      return false;
    }
  }
  if (!opts.single_public_ip.empty()) {
    if (!proto::SockAddr::parse(opts.single_public_ip)) {
      *error = "ctdbd: --single-public-ip: invalid address '" + opts.single_public_ip + "'";
      return false;
    }
    if (opts.public_interface.empty()) {
      *error = "ctdbd: --single-public-ip needs --public-interface (the interface it is on)";
      return false;
    }
  }
  if (!opts.metrics_listen.empty()) {
    auto a = proto::SockAddr::parse_with_port(opts.metrics_listen);
    if (!a || a->port == 0) {
      *error = "ctdbd: --metrics-listen: not ADDRESS:PORT: '" + opts.metrics_listen + "'";
      return false;
    }
  }
  if (opts.socket.size() >= 108) {  // sizeof(sockaddr_un::sun_path)
    *error = "ctdbd: --socket: path too long: " + opts.socket;
    return false;
  }
  return true;
}

struct ContextDeleter {
  void operator()(poptContext pc) const { poptFreeContext(pc); }
};

}  // namespace

ParseResult parse_options(int argc, const char** argv, DaemonOptions* opts, std::string* error) {
  RawOptions r;
  Layout layout = layout_from_environment();

  const poptOption table[] = {
      {"debug", 'd', POPT_ARG_STRING, &r.debug, kStringOption,
       "debug level: 0-10 (ERROR 0, WARNING 1, NOTICE 3, INFO 5, DEBUG 10) or a level name",
       "LEVEL"},
      {"dbdir", 0, POPT_ARG_STRING, &r.dbdir, kStringOption,
       "directory for the volatile databases (default /var/lib/ctdb/volatile)", "DIRECTORY"},
      {"dbdir-persistent", 0, POPT_ARG_STRING, &r.dbdir_persistent, kStringOption,
       "directory for the persistent databases (default /var/lib/ctdb/persistent)", "DIRECTORY"},
      {"dbdir-state", 0, POPT_ARG_STRING, &r.dbdir_state, kStringOption,
       "directory for the daemon's own state databases (default /var/lib/ctdb/state)", "DIRECTORY"},
      {"dump-config", 0, POPT_ARG_NONE, &r.dump_config, 0,
       "print the configuration in force (ctdb.conf with the options applied) and exit", nullptr},
      {"event-script-dir", 0, POPT_ARG_STRING, &r.event_script_dir, kStringOption,
       "directory of the event scripts (default $CTDB_BASE/events/legacy)", "DIRECTORY"},
      {"interactive", 'i', POPT_ARG_NONE, &r.interactive, 0,
       "stay in the foreground; log to stderr unless --logfile is given", nullptr},
      {"listen", 0, POPT_ARG_STRING, &r.listen, kStringOption,
       "the node address (from the nodes file) to bind to", "ADDRESS"},
      {"logfile", 0, POPT_ARG_STRING, &r.logfile, kStringOption,
       "log file (default /var/log/ctdb/log.ctdb)", "FILENAME"},
      {"lvs", 0, POPT_ARG_NONE, &r.lvs, 0, "this node has the LVS capability", nullptr},
      {"metrics-listen", 0, POPT_ARG_STRING, &r.metrics_listen, kStringOption,
       "serve Prometheus metrics over HTTP on this address (off by default)", "ADDRESS:PORT"},
      {"nlist", 0, POPT_ARG_STRING, &r.nlist, kStringOption,
       "file with the private address of every node (default $CTDB_BASE/nodes)", "FILENAME"},
      {"no-lmaster", 0, POPT_ARG_NONE, &r.no_lmaster, 0,
       "this node never becomes lmaster (never in the vnnmap)", nullptr},
      {"no-recmaster", 0, POPT_ARG_NONE, &r.no_recmaster, 0,
       "this node never becomes recovery master", nullptr},
      {"nosetsched", 0, POPT_ARG_NONE, &r.nosetsched, 0,
       "do not switch to real-time scheduling (for debugging)", nullptr},
      {"notification-script", 0, POPT_ARG_STRING, &r.notification_script, kStringOption,
       "script called on state changes (default $CTDB_BASE/notify.sh)", "FILENAME"},
      {"public-addresses", 0, POPT_ARG_STRING, &r.public_addresses, kStringOption,
       "file of public addresses this node can host (default $CTDB_BASE/public_addresses)",
       "FILENAME"},
      {"public_addresses", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN, &r.public_addresses,
       kStringOption, nullptr, "FILENAME"},
      {"public-interface", 0, POPT_ARG_STRING, &r.public_interface, kStringOption,
       "interface for public addresses that name none", "INTERFACE"},
      {"reclock", 0, POPT_ARG_STRING, &r.reclock, kStringOption,
       "cluster lock: a file on shared storage, or !HELPER ARGS (split-brain protection)",
       "FILENAME"},
      {"reclock-recheck-interval", 0, POPT_ARG_INT, &r.reclock_recheck_interval, 0,
       "seconds between checks that the recovery lock file was not removed or replaced "
       "(0: never; default 5)",
       "SECONDS"},
      {"single-public-ip", 0, POPT_ARG_STRING, &r.single_public_ip, kStringOption,
       "single public address (LVS)", "ADDRESS"},
      {"socket", 0, POPT_ARG_STRING, &r.socket, kStringOption,
       "the Unix domain socket clients connect to (default $CTDB_SOCKET, else "
       "/var/run/ctdb/ctdbd.socket)",
       "FILENAME"},
      {"start-as-disabled", 0, POPT_ARG_NONE, &r.start_as_disabled, 0,
       "start in the DISABLED state", nullptr},
      {"start-as-stopped", 0, POPT_ARG_NONE, &r.start_as_stopped, 0, "start in the STOPPED state",
       nullptr},
      {"syslog", 0, POPT_ARG_NONE, &r.syslog, 0, "log to syslog instead of the log file", nullptr},
      {"torture", 0, POPT_ARG_NONE, &r.torture, 0, "inject artificial failures (testing only)",
       nullptr},
      {"transport", 0, POPT_ARG_STRING, &r.transport, kStringOption,
       "node transport (only \"tcp\")", "STRING"},
      {"pidfile", 0, POPT_ARG_STRING, &r.pidfile, kStringOption,
       "write the daemon's PID to this file (default with the default socket: "
       "/var/run/ctdb/ctdbd.pid)",
       "FILENAME"},
      {"version", 0, POPT_ARG_NONE, &r.version, 0, "print the version and exit", nullptr},
      POPT_AUTOHELP POPT_TABLEEND};

  std::unique_ptr<poptContext_s, ContextDeleter> pc(poptGetContext("ctdbd", argc, argv, table, 0));
  int rc;
  while ((rc = poptGetNextOpt(pc.get())) > 0) {
    if (rc == kStringOption) r.take_strings();
  }
  r.take_strings();  // a string option popt saved before failing on the next one
  if (rc < -1) {
    *error = std::string("ctdbd: ") + poptBadOption(pc.get(), POPT_BADOPTION_NOALIAS) + ": " +
             poptStrerror(rc);
    return ParseResult::kError;
  }
  if (const char* extra = poptGetArg(pc.get()); extra != nullptr) {
    *error = std::string("ctdbd: unexpected argument '") + extra + "'";
    return ParseResult::kError;
  }
  if (r.version) {
    printf("CTDB version: %s\n", version_string());
    return ParseResult::kExitOk;
  }

  // ctdb.conf over 4.17's defaults, then the command line over both.
  conf::Config config(layout.etcdir);
  std::vector<std::string> problems, warnings;
  bool missing = false;
  const std::string conf_path = layout.etcdir + "/ctdb.conf";
  if (!config.load_file(conf_path, &missing, &problems, &warnings)) {
    error->clear();
    for (const std::string& p : problems) *error += p + "\n";
    *error += "ctdbd: failed to load configuration file " + conf_path;
    return ParseResult::kError;
  }
  *opts = options_from_config(config, layout);
  opts->config_warnings = warnings;
  take_options(r, opts);
  resolve_paths(opts);
  if (!check_options(*opts, error)) return ParseResult::kError;
  if (r.dump_config) {
    override_config(*opts, &config);
    fputs(dump_config(*opts, config).c_str(), stdout);
    return ParseResult::kExitOk;
  }
  return ParseResult::kRun;
}

}  // namespace ctdb::daemon
