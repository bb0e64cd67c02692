// ctdbd's command line (see options.h).
#include "daemon/options.h"

#include <popt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "common/version.h"
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
  int version = 0;

  // The values of the string options seen so far, by slot. popt overwrites a slot without
  // freeing it when an option is given twice, so each value is moved here as soon as popt
  // returns it (kStringOption) and the slot emptied.
  std::map<char**, std::string> strings;
  void take_strings() {
    for (char** slot :
         {&debug, &dbdir, &dbdir_persistent, &dbdir_state, &event_script_dir, &listen, &logfile,
          &nlist, &notification_script, &public_addresses, &public_interface, &reclock,
          &single_public_ip, &socket, &transport, &pidfile}) {
      if (*slot == nullptr) continue;
      strings[slot] = *slot;
      free(*slot);
      *slot = nullptr;
    }
  }
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
  opts->reclock_recheck_interval = r.reclock_recheck_interval;
  opts->interactive = r.interactive;
  opts->lvs = r.lvs;
  opts->no_lmaster = r.no_lmaster;
  opts->no_recmaster = r.no_recmaster;
  opts->nosetsched = r.nosetsched;
  opts->start_as_disabled = r.start_as_disabled;
  opts->start_as_stopped = r.start_as_stopped;
  opts->syslog = r.syslog;
  opts->torture = r.torture;
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
  if (const char* env = getenv("CTDB_SOCKET"); env != nullptr && *env != '\0') opts->socket = env;

  // The strings shown in --help carry the defaults.
  static std::string dbdir_help, socket_help;
  dbdir_help = "directory for the volatile databases (default " + opts->dbdir + ")";
  socket_help = "the Unix domain socket clients connect to (default " + opts->socket + ")";

  const poptOption table[] = {
      {"debug", 'd', POPT_ARG_STRING, &r.debug, kStringOption,
       "debug level: 0-10 (ERROR 0, WARNING 1, NOTICE 3, INFO 5, DEBUG 10) or a level name",
       "LEVEL"},
      {"dbdir", 0, POPT_ARG_STRING, &r.dbdir, kStringOption, dbdir_help.c_str(), "DIRECTORY"},
      {"dbdir-persistent", 0, POPT_ARG_STRING, &r.dbdir_persistent, kStringOption,
       "directory for the persistent databases (default /var/ctdb/persistent)", "DIRECTORY"},
      {"dbdir-state", 0, POPT_ARG_STRING, &r.dbdir_state, kStringOption,
       "directory for the daemon's own state databases (default /var/ctdb/state)", "DIRECTORY"},
      {"event-script-dir", 0, POPT_ARG_STRING, &r.event_script_dir, kStringOption,
       "directory of the event scripts (default /etc/ctdb/events.d)", "DIRECTORY"},
      {"interactive", 'i', POPT_ARG_NONE, &r.interactive, 0,
       "stay in the foreground; log to stderr unless --logfile is given", nullptr},
      {"listen", 0, POPT_ARG_STRING, &r.listen, kStringOption,
       "the node address (from the nodes file) to bind to", "ADDRESS"},
      {"logfile", 0, POPT_ARG_STRING, &r.logfile, kStringOption,
       "log file (default /var/log/log.ctdb)", "FILENAME"},
      {"lvs", 0, POPT_ARG_NONE, &r.lvs, 0, "this node has the LVS capability", nullptr},
      {"nlist", 0, POPT_ARG_STRING, &r.nlist, kStringOption,
       "file with the private address of every node (default /etc/ctdb/nodes)", "FILENAME"},
      {"no-lmaster", 0, POPT_ARG_NONE, &r.no_lmaster, 0,
       "this node never becomes lmaster (never in the vnnmap)", nullptr},
      {"no-recmaster", 0, POPT_ARG_NONE, &r.no_recmaster, 0,
       "this node never becomes recovery master", nullptr},
      {"nosetsched", 0, POPT_ARG_NONE, &r.nosetsched, 0,
       "do not switch to real-time scheduling (for debugging)", nullptr},
      {"notification-script", 0, POPT_ARG_STRING, &r.notification_script, kStringOption,
       "script called on state changes", "FILENAME"},
      {"public-addresses", 0, POPT_ARG_STRING, &r.public_addresses, kStringOption,
       "file of public addresses this node can host", "FILENAME"},
      {"public_addresses", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN, &r.public_addresses,
       kStringOption, nullptr, "FILENAME"},
      {"public-interface", 0, POPT_ARG_STRING, &r.public_interface, kStringOption,
       "interface for public addresses that name none", "INTERFACE"},
      {"reclock", 0, POPT_ARG_STRING, &r.reclock, kStringOption,
       "recovery lock file on shared storage (split-brain protection)", "FILENAME"},
      {"reclock-recheck-interval", 0, POPT_ARG_INT, &r.reclock_recheck_interval, 0,
       "seconds between checks that the recovery lock file was not removed or replaced "
       "(0: never; default 5)",
       "SECONDS"},
      {"single-public-ip", 0, POPT_ARG_STRING, &r.single_public_ip, kStringOption,
       "single public address (LVS)", "ADDRESS"},
      {"socket", 0, POPT_ARG_STRING, &r.socket, kStringOption, socket_help.c_str(), "FILENAME"},
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
       "write the daemon's PID to this file", "FILENAME"},
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

  take_options(r, opts);
  if (!check_options(*opts, error)) return ParseResult::kError;
  return ParseResult::kRun;
}

}  // namespace ctdb::daemon
