// Shared state of the ctdb tool: parsed options, the per-run context (client,
// pnns, cached nodemap, leader) and the command table that drives dispatch and help.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "client/database.h"
#include "protocol/types.h"

namespace ctdb::tool {

using proto::Bytes;

struct Options {
  const char* debuglevel = nullptr;
  int timelimit = 10;
  int pnn = -1;             // -n; -1 = the local node
  bool all_nodes = false;   // -n all (the seed's form)
  int machinereadable = 0;  // -Y / -X
  const char* sep = "|";
  int machineparsable = 0;  // -X
  int verbose = 0;
  int maxruntime = 0;
  const char* socket = nullptr;
};

extern Options options;

struct Context {
  std::unique_ptr<client::Client> client;
  uint32_t pnn = UNKNOWN_PNN;      // the daemon we are connected to
  uint32_t cmd_pnn = UNKNOWN_PNN;  // the node the command is about
  uint64_t srvid = 0;              // base of this run's reply srvids
  std::optional<proto::NodeMap> nodemap;
  uint32_t leader_pnn = UNKNOWN_PNN;

  client::Client& c() { return *client; }
  // A fresh deadline of -t seconds, as each 4.17 control gets.
  client::Deadline timeout() const { return client::Deadline::after_seconds(options.timelimit); }
};

using Handler = int (*)(Context* ctx, const std::vector<std::string>& args);

struct Command {
  const char* name;
  Handler fn;           // null: listed for help, not implemented yet
  bool without_daemon;  // runs without connecting
  bool remote;          // may target another node with -n
  const char* msg;
  const char* args;
  bool hidden = false;  // an alias of ours, absent from the 4.17 help text
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

// Prints usage for `command` (or the full help) to stdout and exits 1.
[[noreturn]] void usage(const char* command);

// ---- helpers shared by the command files ----

// The nodemap of the local node (cached); logs and returns null on failure.
const proto::NodeMap* get_nodemap(Context* ctx, bool force);
// Looks a database up by name or by 0x-prefixed id on the local node.
bool db_exists(Context* ctx, const std::string& arg, uint32_t* db_id, std::string* db_name,
               uint8_t* db_flags);
// Waits up to -t seconds for a leader broadcast; UNKNOWN_PNN when none came.
int get_leader(Context* ctx, uint32_t* leader);
// "UNKNOWN" or the number, with a newline.
void print_pnn(uint32_t pnn);
// Reads $CTDB_BASE/nodes (or /etc/ctdb/nodes); null after printing an error.
std::optional<proto::NodeMap> read_nodes_file();

// ---- command handlers ----
int control_version(Context*, const std::vector<std::string>&);
int control_status(Context*, const std::vector<std::string>&);
int control_uptime(Context*, const std::vector<std::string>&);
int control_ping(Context*, const std::vector<std::string>&);
int control_runstate(Context*, const std::vector<std::string>&);
int control_getvar(Context*, const std::vector<std::string>&);
int control_setvar(Context*, const std::vector<std::string>&);
int control_listvars(Context*, const std::vector<std::string>&);
int control_statistics(Context*, const std::vector<std::string>&);
int control_statistics_reset(Context*, const std::vector<std::string>&);
int control_getdbmap(Context*, const std::vector<std::string>&);
int control_getdbstatus(Context*, const std::vector<std::string>&);
int control_catdb(Context*, const std::vector<std::string>&);
int control_getcapabilities(Context*, const std::vector<std::string>&);
int control_pnn(Context*, const std::vector<std::string>&);
int control_setdebug(Context*, const std::vector<std::string>&);
int control_getdebug(Context*, const std::vector<std::string>&);
int control_attach(Context*, const std::vector<std::string>&);
int control_detach(Context*, const std::vector<std::string>&);
int control_getpid(Context*, const std::vector<std::string>&);
int control_shutdown(Context*, const std::vector<std::string>&);
int control_listnodes(Context*, const std::vector<std::string>&);
int control_leader(Context*, const std::vector<std::string>&);
int control_pfetch(Context*, const std::vector<std::string>&);
int control_pstore(Context*, const std::vector<std::string>&);
int control_pdelete(Context*, const std::vector<std::string>&);
int control_ptrans(Context*, const std::vector<std::string>&);
int control_readkey(Context*, const std::vector<std::string>&);
int control_writekey(Context*, const std::vector<std::string>&);
int control_deletekey(Context*, const std::vector<std::string>&);
int control_getdbseqnum(Context*, const std::vector<std::string>&);

}  // namespace ctdb::tool
