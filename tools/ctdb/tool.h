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
#include "json.h"
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
  int json = 0;  // --json / -j: one JSON document instead of the text (doc/JSON.md)
};

extern Options options;

struct Context {
  std::unique_ptr<client::Client> client;
  uint32_t pnn = UNKNOWN_PNN;      // the daemon we are connected to
  uint32_t cmd_pnn = UNKNOWN_PNN;  // the node the command is about
  uint64_t srvid = 0;              // base of this run's reply srvids
  std::optional<proto::NodeMap> nodemap;
  uint32_t leader_pnn = UNKNOWN_PNN;
  // While `-n all` runs a command once per node with --json: print_json keeps each node's
  // document here instead of printing it, for the one document that lists them all.
  bool collect_json = false;
  std::optional<std::string> json_doc;

  client::Client& c() { return *client; }
  // A srvid of this run's own for one request/reply exchange (4.17's next_srvid).
  uint64_t next_srvid() { return ++srvid; }
  // A fresh deadline of -t seconds, as each 4.17 control gets.
  client::Deadline timeout() const { return client::Deadline::after_seconds(options.timelimit); }
};

using Handler = int (*)(Context* ctx, const std::vector<std::string>& args);

// What a command does with --json.
enum class Json : uint8_t {
  kDocument,  // prints one JSON document (doc/JSON.md) instead of its text
  kSilent,    // prints nothing on success (only errors, on stderr): --json changes nothing
  kTextOnly,  // prints data as text only: refused with --json
};

struct Command {
  const char* name;
  Handler fn;           // null: listed for help, not implemented yet
  bool without_daemon;  // runs without connecting
  bool remote;          // may target another node with -n
  Json json;
  const char* msg;
  const char* args;
  bool hidden = false;  // an alias of ours, absent from the 4.17 help text
  // Handles the seed's "-n all" itself instead of being run once per node.
  bool handles_all_nodes = false;
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

// Prints usage for `command` (or the full help) to stdout (stderr with --json) and exits 1.
[[noreturn]] void usage(const char* command);

// ---- output: text, -X/-Y or --json ----

// Prints a finished JSON document on stdout; while `-n all` runs the command on each node,
// keeps it in ctx for the document main prints at the end. ctx may be null (no daemon).
void print_json(Context* ctx, const JsonWriter& doc);
// A failure message 4.17 prints on stdout (with its exit code): with --json it goes to stderr
// instead, so that stdout holds nothing but documents.
void print_failure(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// The names node_flags_string joins with '|' ("DISABLED", "INACTIVE", ...); none for 0.
std::vector<std::string> node_flag_names(uint32_t flags);
// "flags": raw, "flag_names": [...] members for node flags.
void json_node_flags(JsonWriter& w, uint32_t flags);
// {"num", "min", "avg", "max"} of a latency counter (seconds, six decimals as the text).
void json_latency(JsonWriter& w, const proto::LatencyCounter& l);
// The "locks" object of statistics and dbstatistics (the two 4.17 structs share its fields).
template <typename Locks>
void json_locks(JsonWriter& w, const Locks& l) {
  w.key("locks").begin_object();
  w.field("num_calls", l.num_calls).field("num_current", l.num_current);
  w.field("num_pending", l.num_pending).field("num_failed", l.num_failed);
  w.key("buckets").begin_array();
  for (uint32_t v : l.buckets) w.value(v);
  w.end_array();
  json_latency(w.key("latency"), l.latency);
  w.end_object();
}
// A time a daemon reported, as seconds since the epoch with six decimals.
void json_time(JsonWriter& w, const proto::Timeval& t);
// A pnn, or null for UNKNOWN_PNN.
void json_pnn(JsonWriter& w, uint32_t pnn);

// What `status`, `nodestatus` and the LVS/NAT-GW `status` show of a set of nodes, gathered
// once and then printed as text, -X or JSON.
struct NodeStatus {
  proto::NodeAndFlags node;
  bool partially_online = false;  // no flags, but one of its interfaces is down
};
struct NodeList {
  size_t num_nodes = 0;  // deleted ones included
  size_t num_deleted = 0;
  std::vector<NodeStatus> nodes;  // the nodes that are not deleted
};
// Asks each node of `nodemap` without flags for its interfaces (PARTIALLYONLINE).
NodeList get_node_list(Context* ctx, const proto::NodeMap& nodemap);
// `nodestatus` lines (the header with "Number of nodes" when asked); (THIS NODE) marks `mypnn`.
void print_node_list(const NodeList& list, uint32_t mypnn, bool print_header);
// The -X/-Y form of the same.
void print_node_list_machine(const NodeList& list, uint32_t mypnn);
// "num_nodes", "num_deleted" and "nodes": [...] members (doc/JSON.md, `status`).
void json_node_list(JsonWriter& w, const NodeList& list, uint32_t mypnn);

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

// The pnns of nodes without any of `exclude_flags` (4.17's list_of_active_nodes
// passes NODE_FLAGS_INACTIVE, list_of_connected_nodes NODE_FLAGS_DISCONNECTED).
std::vector<uint32_t> list_of_nodes(const proto::NodeMap& nodemap, uint32_t exclude_flags);
// Waits until the leader reports a valid generation outside recovery.
int get_generation(Context* ctx, uint32_t* generation);
// Sends one control to every node in `pnns`, one after the other; 0 when all
// succeeded, else the first failure (4.17's control_multi logs nothing itself).
int control_multi(Context* ctx, const std::vector<uint32_t>& pnns, uint32_t opcode,
                  const Bytes& data, std::vector<client::ControlReply>* replies = nullptr);
// Asks the leader for a takeover run and waits for its answer, resending each -t.
int ipreallocate(Context* ctx);
// Waits for a message to `srvid` (keeping track of leader broadcasts meanwhile).
int wait_srvid_message(Context* ctx, uint64_t srvid, const client::Deadline& deadline, Bytes* data);
// The nodes a node argument names: the command's node (none given), "all", or a
// comma-separated pnn list; false after printing the tool's message.
bool parse_nodestring(Context* ctx, const std::string* nodestring, proto::NodeMap* out);
// Parses a key/value argument ("0x.." hex or text), printing the tool's
// messages ("Failed to parse key K") on failure.
int parse_data_arg(const std::string& arg, const char* what, Bytes* out);
// Prints records (key, ltdb header lines, data) the way catdb does. stdout is line-buffered,
// as the stock tool's is, which would cost one write per line in a dump of a million records:
// the printer collects them and writes large blocks. flush() before anything else is printed.
class RecordPrinter {
 public:
  RecordPrinter() = default;
  ~RecordPrinter() { flush(); }
  RecordPrinter(const RecordPrinter&) = delete;
  RecordPrinter& operator=(const RecordPrinter&) = delete;
  void print(const Bytes& key, const proto::LtdbHeader& header, const Bytes& data);
  void flush();

 private:
  std::string buf_;
};

// The nodemap as the tool shows it: until the first recovery is over, other
// nodes' flags are UNKNOWN. False (after printing, as 4.17 does) when the
// runstate cannot be read.
bool nodemap_unknown(Context* ctx, const proto::NodeMap& in, proto::NodeMap* out);

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
int control_controlstats(Context*, const std::vector<std::string>&);
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
// cmd_node.cpp
int control_nodestatus(Context*, const std::vector<std::string>&);
// cmd_ip.cpp
int control_ip(Context*, const std::vector<std::string>&);
int control_ipinfo(Context*, const std::vector<std::string>&);
int control_ifaces(Context*, const std::vector<std::string>&);
// cmd_takeover.cpp
int control_setifacelink(Context*, const std::vector<std::string>&);
int control_gratarp(Context*, const std::vector<std::string>&);
int control_tickle(Context*, const std::vector<std::string>&);
int control_gettickles(Context*, const std::vector<std::string>&);
int control_addtickle(Context*, const std::vector<std::string>&);
int control_deltickle(Context*, const std::vector<std::string>&);
int control_moveip(Context*, const std::vector<std::string>&);
int control_addip(Context*, const std::vector<std::string>&);
int control_delip(Context*, const std::vector<std::string>&);
int control_reloadips(Context*, const std::vector<std::string>&);
// cmd_admin.cpp
int control_disable(Context*, const std::vector<std::string>&);
int control_enable(Context*, const std::vector<std::string>&);
int control_stop(Context*, const std::vector<std::string>&);
int control_continue(Context*, const std::vector<std::string>&);
int control_ban(Context*, const std::vector<std::string>&);
int control_unban(Context*, const std::vector<std::string>&);
int control_recover(Context*, const std::vector<std::string>&);
int control_ipreallocate(Context*, const std::vector<std::string>&);
int control_getreclock(Context*, const std::vector<std::string>&);
int control_setlmasterrole(Context*, const std::vector<std::string>&);
int control_setleaderrole(Context*, const std::vector<std::string>&);
int control_reloadnodes(Context*, const std::vector<std::string>&);
int control_scriptstatus(Context*, const std::vector<std::string>&);
int control_enablescript(Context*, const std::vector<std::string>&);
int control_disablescript(Context*, const std::vector<std::string>&);
int control_event(Context*, const std::vector<std::string>&);
int control_lvsmaster(Context*, const std::vector<std::string>&);
int control_lvs(Context*, const std::vector<std::string>&);
int control_natgw(Context*, const std::vector<std::string>&);
int control_natgwlist(Context*, const std::vector<std::string>&);
// cmd_dbadmin.cpp
int control_cattdb(Context*, const std::vector<std::string>&);
int control_wipedb(Context*, const std::vector<std::string>&);
int control_backupdb(Context*, const std::vector<std::string>&);
int control_restoredb(Context*, const std::vector<std::string>&);
int control_dumpdbbackup(Context*, const std::vector<std::string>&);
int control_dbstatistics(Context*, const std::vector<std::string>&);
int control_setdbreadonly(Context*, const std::vector<std::string>&);
int control_setdbsticky(Context*, const std::vector<std::string>&);
int control_tfetch(Context*, const std::vector<std::string>&);
int control_tstore(Context*, const std::vector<std::string>&);

}  // namespace ctdb::tool
