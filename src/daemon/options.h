// ctdbd's command line: the seed man page's options (plus a few that a
// packaged daemon needs), parsed with popt into DaemonOptions.
#pragma once

#include <string>
#include <vector>

namespace ctdb::daemon {

// Every setting ctdbd runs with. parse_options() fills it from three layers:
// 4.17's defaults and CTDB_BASE layout, then $CTDB_BASE/ctdb.conf, then the
// seed's command-line options, which win.
struct DaemonOptions {
  std::string debug = "NOTICE";  // -d / [logging] log level: a level name or number
  std::string dbdir = "/var/lib/ctdb/volatile";
  std::string dbdir_persistent = "/var/lib/ctdb/persistent";
  std::string dbdir_state = "/var/lib/ctdb/state";
  std::string event_script_dir = "/etc/ctdb/events/legacy";
  bool interactive = false;
  std::string listen;
  // A file; "-" is stderr. Empty only with syslog.
  std::string logfile = "/var/log/ctdb/log.ctdb";
  bool lvs = false;
  std::string nlist = "/etc/ctdb/nodes";
  bool no_lmaster = false;
  bool no_recmaster = false;
  bool nosetsched = false;
  std::string notification_script;
  std::string public_addresses;
  std::string public_interface;
  // The cluster lock: a file (locked by a child as 4.17's fcntl helper does) or
  // "!COMMAND ARGS", a mutex helper run with 4.17's protocol.
  std::string reclock;
  // Seconds between the lock holder's checks that the recovery lock file is
  // still the one it locked (4.17's fcntl helper's second argument); 0: never.
  int reclock_recheck_interval = 5;
  std::string single_public_ip;
  // 4.17's path, so that stock smbd and the stock ctdb tool find us unchanged.
  std::string socket = "/var/run/ctdb/ctdbd.socket";
  bool start_as_disabled = false;
  bool start_as_stopped = false;
  bool syslog = false;
  bool torture = false;
  std::string transport = "tcp";
  std::string pidfile;

  // ctdb.conf only.
  int leader_timeout = 5;                  // [cluster] leader timeout, seconds
  bool failover_disabled = false;          // [failover] disabled: no public addresses
  std::string script_log_level = "ERROR";  // [legacy]: level of failed scripts' output
  std::string event_debug_script;          // [event] debug script (run on a hung script)
  std::string lock_debug_script;           // [database] lock debug script
  // [database] tdb mutexes: volatile databases use robust mutexes for their chain locks (4.17's
  // default), so that clients lock records in shared memory instead of with fcntl calls.
  bool tdb_mutexes = true;
  // --metrics-listen / [metrics] listen: ADDR:PORT of the Prometheus endpoint; empty: off.
  std::string metrics_listen;

  // What ctdb.conf's parser warned about (deprecated keys), for the log.
  std::vector<std::string> config_warnings;
};

enum class ParseResult { kRun, kExitOk, kError };

// Parses argv over $CTDB_BASE/ctdb.conf over 4.17's defaults. On kError, *error
// holds the message (one line, or ctdb.conf's problems a line each); on kExitOk,
// help, the version or the configuration (--dump-config) was printed to stdout.
// CTDB_SOCKET, when set, replaces the default socket path (an explicit --socket
// still wins). Relative paths are made absolute against the current directory.
ParseResult parse_options(int argc, const char** argv, DaemonOptions* opts, std::string* error);

}  // namespace ctdb::daemon
