// The ctdb tool's command table: one row per command (name, handler, whether it
// needs the daemon, whether -n may name another node, help text). Rows keep the
// 4.17 tool's order so that the help text is the same; rows without a handler
// are commands not written yet.
#include "tool.h"

namespace ctdb::tool {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"version", control_version, true, false, "show version of ctdb", nullptr},
      {"status", control_status, false, true, "show node status", nullptr},
      {"uptime", control_uptime, false, true, "show node uptime", nullptr},
      {"ping", control_ping, false, true, "ping a node", nullptr},
      {"runstate", control_runstate, false, true, "get/check runstate of a node",
       "[setup|first_recovery|startup|running]"},
      {"getvar", control_getvar, false, true, "get a tunable variable", "<name>"},
      {"setvar", control_setvar, false, true, "set a tunable variable", "<name> <value>"},
      {"listvars", control_listvars, false, true, "list tunable variables", nullptr},
      {"statistics", control_statistics, false, true, "show ctdb statistics", nullptr},
      {"statisticsreset", control_statistics_reset, false, true, "reset ctdb statistics", nullptr},
      {"stats", nullptr, false, true, "show rolling statistics", "[count]"},
      {"ip", control_ip, false, true, "show public ips", "[all]", false, true},
      {"ipinfo", control_ipinfo, false, true, "show public ip details", "<ip>"},
      {"ifaces", control_ifaces, false, true, "show interfaces", nullptr},
      {"setifacelink", control_setifacelink, false, true, "set interface link status",
       "<iface> up|down"},
      {"process-exists", nullptr, false, true, "check if a process exists on a node",
       "<pid> [<srvid>]"},
      {"getdbmap", control_getdbmap, false, true, "show attached databases", nullptr},
      {"getdbstatus", control_getdbstatus, false, true, "show database status", "<dbname|dbid>"},
      {"catdb", control_catdb, false, false, "dump cluster-wide ctdb database", "<dbname|dbid>"},
      {"cattdb", control_cattdb, false, false, "dump local ctdb database", "<dbname|dbid>"},
      {"getcapabilities", control_getcapabilities, false, true, "show node capabilities", nullptr},
      {"pnn", control_pnn, false, false, "show the pnn of the currnet node", nullptr},
      {"lvs", control_lvs, false, false, "show lvs configuration", "leader|list|status"},
      {"setdebug", control_setdebug, false, true, "set debug level",
       "ERROR|WARNING|NOTICE|INFO|DEBUG"},
      {"getdebug", control_getdebug, false, true, "get debug level", nullptr},
      {"attach", control_attach, false, false, "attach a database",
       "<dbname> [persistent|replicated]"},
      {"detach", control_detach, false, false, "detach database(s)", "<dbname|dbid> ..."},
      {"dumpmemory", nullptr, false, true, "dump ctdbd memory map", nullptr},
      {"rddumpmemory", nullptr, false, true, "dump recoverd memory map", nullptr},
      {"getpid", control_getpid, false, true, "get ctdbd process ID", nullptr},
      {"disable", control_disable, false, true, "disable a node", nullptr},
      {"enable", control_enable, false, true, "enable a node", nullptr},
      {"stop", control_stop, false, true, "stop a node", nullptr},
      {"continue", control_continue, false, true, "continue a stopped node", nullptr},
      {"ban", control_ban, false, true, "ban a node", "<bantime>"},
      {"unban", control_unban, false, true, "unban a node", nullptr},
      {"shutdown", control_shutdown, false, true, "shutdown ctdb daemon", nullptr},
      {"recover", control_recover, false, true, "force recovery", nullptr},
      {"sync", control_ipreallocate, false, true, "run ip reallocation (deprecated)", nullptr},
      {"ipreallocate", control_ipreallocate, false, true, "run ip reallocation", nullptr},
      {"gratarp", control_gratarp, false, true, "send a gratuitous arp", "<ip> <interface>"},
      {"tickle", control_tickle, true, false, "send a tcp tickle ack", "<srcip:port> <dstip:port>"},
      {"gettickles", control_gettickles, false, true, "get the list of tickles", "<ip> [<port>]"},
      {"addtickle", control_addtickle, false, true, "add a tickle", "<ip>:<port> <ip>:<port>"},
      {"deltickle", control_deltickle, false, true, "delete a tickle", "<ip>:<port> <ip>:<port>"},
      {"listnodes", control_listnodes, true, true, "list nodes in the cluster", nullptr},
      {"reloadnodes", control_reloadnodes, false, false, "reload the nodes file all nodes",
       nullptr},
      {"moveip", control_moveip, false, false, "move an ip address to another node", "<ip> <node>"},
      {"addip", control_addip, false, true, "add an ip address to a node", "<ip/mask> <iface>"},
      {"delip", control_delip, false, true, "delete an ip address from a node", "<ip>"},
      {"backupdb", control_backupdb, false, false, "backup a database into a file",
       "<dbname|dbid> <file>"},
      {"restoredb", control_restoredb, false, false, "restore a database from a file",
       "<file> [dbname]"},
      {"dumpdbbackup", control_dumpdbbackup, true, false, "dump database from a backup file",
       "<file>"},
      {"wipedb", control_wipedb, false, false, "wipe the contents of a database.", "<dbname|dbid>"},
      {"leader", control_leader, false, true, "show the pnn of the leader", nullptr},
      // The seed's name for the same thing; not in the 4.17 help text.
      {"recmaster", control_leader, false, true, "show the pnn of the leader", nullptr, true},
      // 4.17 runs its event helper here; ours asks the daemon, which runs the scripts.
      {"event", control_event, false, true, "event and event script commands", nullptr},
      // The seed's form: asks the daemon (GET_EVENT_SCRIPT_STATUS), so it needs
      // one and may name a node.
      {"scriptstatus", control_scriptstatus, false, true, "show event script status",
       "[init|setup|startup|monitor|takeip|releaseip|ipreallocated]"},
      {"natgw", control_natgw, false, false, "show natgw configuration", "leader|list|status"},
      {"getreclock", control_getreclock, false, true, "get recovery lock file", nullptr},
      {"setlmasterrole", control_setlmasterrole, false, true, "set LMASTER role", "on|off"},
      {"setleaderrole", control_setleaderrole, false, true, "set LEADER role", "on|off"},
      {"setdbreadonly", control_setdbreadonly, false, true, "enable readonly records",
       "<dbname|dbid>"},
      {"setdbsticky", control_setdbsticky, false, true, "enable sticky records", "<dbname|dbid>"},
      {"pfetch", control_pfetch, false, false, "fetch record from persistent database",
       "<dbname|dbid> <key>"},
      {"pstore", control_pstore, false, false, "write record to persistent database",
       "<dbname|dbid> <key> <value>"},
      {"pdelete", control_pdelete, false, false, "delete record from persistent database",
       "<dbname|dbid> <key>"},
      {"ptrans", control_ptrans, false, false, "update a persistent database (from file or stdin)",
       "<dbname|dbid> [<file>]"},
      {"tfetch", control_tfetch, false, true, "fetch a record", "<tdb-file> <key> [<file>]"},
      {"tstore", control_tstore, false, true, "store a record",
       "<tdb-file> <key> <data> [<rsn> <dmaster> <flags>]"},
      {"readkey", control_readkey, false, false, "read value of a database key",
       "<dbname|dbid> <key> [readonly]"},
      {"writekey", control_writekey, false, false, "write value for a database key",
       "<dbname|dbid> <key> <value>"},
      {"deletekey", control_deletekey, false, false, "delete a database key",
       "<dbname|dbid> <key>"},
      {"checktcpport", nullptr, true, false,
       "check if a service is bound to a specific tcp port or not", "<port>"},
      {"getdbseqnum", control_getdbseqnum, false, false, "get database sequence number",
       "<dbname|dbid>"},
      {"nodestatus", control_nodestatus, false, true, "show and return node status",
       "[all|<pnn-list>]"},
      {"dbstatistics", control_dbstatistics, false, true, "show database statistics",
       "<dbname|dbid>"},
      {"reloadips", control_reloadips, false, false, "reload the public addresses file",
       "[all|<pnn-list>]"},
      // The seed's commands, not in the 4.17 help text.
      {"enablescript", control_enablescript, false, true, "enable an eventscript", "<script>",
       true},
      {"disablescript", control_disablescript, false, true, "disable an eventscript", "<script>",
       true},
      {"lvsmaster", control_lvsmaster, false, true, "show which node is the lvs master", nullptr,
       true},
      {"natgwlist", control_natgwlist, false, false,
       "show the natgw gateway and the nodes of its group", nullptr, true},
      {"controlstats", control_controlstats, false, true,
       "show calls, failures and latency of each control", nullptr, true},
  };
  return table;
}

const Command* find_command(const std::string& name) {
  for (const auto& cmd : commands()) {
    if (name == cmd.name) return &cmd;
  }
  return nullptr;
}

}  // namespace ctdb::tool
