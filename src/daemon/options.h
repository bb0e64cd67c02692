// ctdbd's command line: the seed man page's options (plus a few that a
// packaged daemon needs), parsed with popt into DaemonOptions.
#pragma once

#include <string>

namespace ctdb::daemon {

struct DaemonOptions {
  std::string debug = "NOTICE";  // -d: a level name or number
  std::string dbdir = "/var/ctdb";
  std::string dbdir_persistent = "/var/ctdb/persistent";
  std::string dbdir_state = "/var/ctdb/state";
  std::string event_script_dir = "/etc/ctdb/events.d";
  bool interactive = false;
  std::string listen;
  // Empty: /var/log/log.ctdb, or stderr with -i.
  std::string logfile;
  bool lvs = false;
  std::string nlist = "/etc/ctdb/nodes";
  bool no_lmaster = false;
  bool no_recmaster = false;
  bool nosetsched = false;
  std::string notification_script;
  std::string public_addresses;
  std::string public_interface;
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
};

enum class ParseResult { kRun, kExitOk, kError };

// Parses argv. On kError, *error holds a one-line message; on kExitOk, help or
// usage text was printed to stdout. The environment variable CTDB_SOCKET, when
// set, replaces the default socket path (an explicit --socket still wins).
ParseResult parse_options(int argc, const char** argv, DaemonOptions* opts, std::string* error);

}  // namespace ctdb::daemon
