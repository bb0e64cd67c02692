// Where ctdbd finds what no option names: 4.17's CTDB_BASE layout, and
// ctdb.conf's settings carried into DaemonOptions.
#pragma once

#include <string>

#include "common/ctdb_conf.h"
#include "daemon/options.h"

namespace ctdb::daemon {

// 4.17's directories: CTDB_BASE (default /etc/ctdb) holds the configuration;
// the run directory (socket, pid file) is $CTDB_BASE/run under
// CTDB_TEST_MODE, else /var/run/ctdb.
struct Layout {
  std::string etcdir;
  std::string rundir;
  bool test_mode = false;
};
Layout layout_from_environment();

// Every option from the configuration and the layout, before the command
// line has its say: 4.17's defaults, overlaid by what `conf` sets.
DaemonOptions options_from_config(const conf::Config& conf, const Layout& layout);

// Makes a relative path absolute against the current directory (the daemon
// changes to "/" when it detaches). Empty paths and "!helper" cluster locks
// are left alone.
std::string absolute_path(const std::string& path);

}  // namespace ctdb::daemon
