// The ctdb tool's entry point: popt options as the 4.17 tool has them (plus the
// seed's --socket and -n all), command lookup, connection and dispatch.
#include <popt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "client/controls.h"
#include "client/format.h"
#include "client/log.h"
#include "common/socket_addr.h"
#include "tool.h"

namespace ctdb::tool {

Options options;

namespace {

poptContext g_popt = nullptr;
constexpr int kNodeOption = 1;
constexpr int kStringOption = 2;

// popt writes each string option into its slot and, when the option comes again, overwrites
// the slot without freeing the first value: each value is moved out as soon as popt returns it.
char* g_node_arg = nullptr;
char* g_debug_arg = nullptr;
char* g_sep_arg = nullptr;
char* g_socket_arg = nullptr;
std::string g_debug, g_sep, g_socket;

std::string take_arg(char** slot) {
  std::string value = *slot != nullptr ? *slot : "";
  free(*slot);
  *slot = nullptr;
  return value;
}

void take_string_options() {
  if (g_debug_arg != nullptr) {
    g_debug = take_arg(&g_debug_arg);
    options.debuglevel = g_debug.c_str();
  }
  if (g_sep_arg != nullptr) {
    g_sep = take_arg(&g_sep_arg);
    options.sep = g_sep.c_str();
  }
  if (g_socket_arg != nullptr) {
    g_socket = take_arg(&g_socket_arg);
    options.socket = g_socket.c_str();
  }
}

// Same descriptions and order as the 4.17 tool, so the help text matches; the
// seed's --socket works but stays out of the help.
poptOption g_options[] = {
    POPT_AUTOHELP{"debug", 'd', POPT_ARG_STRING, &g_debug_arg, kStringOption, "debug level",
                  nullptr},
    {"timelimit", 't', POPT_ARG_INT, &options.timelimit, 0, "timelimit (in seconds)", nullptr},
    {"node", 'n', POPT_ARG_STRING, &g_node_arg, kNodeOption, "node specification - integer", "INT"},
    {nullptr, 'Y', POPT_ARG_NONE, &options.machinereadable, 0, "enable machine readable output",
     nullptr},
    {"separator", 'x', POPT_ARG_STRING, &g_sep_arg, kStringOption,
     "specify separator for machine readable output", "CHAR"},
    {nullptr, 'X', POPT_ARG_NONE, &options.machineparsable, 0,
     "enable machine parsable output with separator |", nullptr},
    {"verbose", 'v', POPT_ARG_NONE, &options.verbose, 0, "enable verbose output", nullptr},
    {"maxruntime", 'T', POPT_ARG_INT, &options.maxruntime, 0,
     "die if runtime exceeds this limit (in seconds)", nullptr},
    {"socket", 0, POPT_ARG_STRING | POPT_ARGFLAG_DOC_HIDDEN, &g_socket_arg, kStringOption,
     "local socket name", "filename"},
    // Ours, not 4.17's: hidden as --socket is, so that the help text stays 4.17's. doc/JSON.md.
    {"json", 'j', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &options.json, 0,
     "print one JSON document instead of text", nullptr},
    POPT_TABLEEND};

void print_command_line(FILE* out, const Command& cmd) {
  fprintf(out, "  %-15s %-27s  %s\n", cmd.name, cmd.args ? cmd.args : "", cmd.msg);
}

// "-n all" (the seed's form) or an integer as popt would take it.
bool parse_node_arg(const char* s) {
  if (strcmp(s, "all") == 0) {
    options.all_nodes = true;
    return true;
  }
  char* end = nullptr;
  long v = strtol(s, &end, 0);
  if (*s == '\0' || *end != '\0' || v < INT32_MIN || v > INT32_MAX) return false;
  options.pnn = static_cast<int>(v);
  return true;
}

std::string socket_path() {
  if (options.socket != nullptr) return options.socket;
  const char* env = getenv("CTDB_SOCKET");
  if (env != nullptr) return env;
  if (getenv("CTDB_TEST_MODE") != nullptr && getenv("CTDB_BASE") != nullptr) {
    return std::string(getenv("CTDB_BASE")) + "/run/ctdbd.socket";
  }
  return "/run/ctdb/ctdbd.socket";
}

bool find_node_xpnn() {
  auto nodemap = read_nodes_file();
  if (!nodemap) return false;
  for (const auto& n : nodemap->nodes) {
    if (n.flags & NODE_FLAGS_DELETED) continue;
    if (can_bind_locally(n.addr)) return true;  // an address of this host
  }
  fprintf(stderr, "Failed to detect PNN of the current node.\n");
  return false;
}

bool verify_pnn(Context* ctx, int pnn) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return false;
  for (const auto& n : nodemap->nodes) {
    if (n.pnn != static_cast<uint32_t>(pnn)) continue;
    if (n.flags & (NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED)) {
      fprintf(stderr, "Node %u has status %s\n", pnn, client::node_flags_string(n.flags).c_str());
      return false;
    }
    return true;
  }
  fprintf(stderr, "Node %u does not exist\n", pnn);
  return false;
}

// With --json each node's document goes into one: {"nodes": [{"pnn", "exit_code", "result"}]}
// (result null where the command printed none), printed when at least one node gave one.
int run_on_all_nodes(Context* ctx, const Command& cmd, const std::vector<std::string>& args) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  int result = 0;
  struct NodeResult {
    uint32_t pnn;
    int exit_code;
    std::optional<std::string> doc;
  };
  std::vector<NodeResult> results;
  ctx->collect_json = options.json != 0;
  for (const auto& n : nodemap->nodes) {
    if (n.flags & (NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED)) continue;
    ctx->cmd_pnn = n.pnn;
    ctx->json_doc.reset();
    int ret = cmd.fn(ctx, args);
    if (ret != 0) result = ret;
    results.push_back({n.pnn, ret, std::move(ctx->json_doc)});
  }
  ctx->collect_json = false;
  bool any = false;
  for (const auto& r : results) any = any || r.doc.has_value();
  if (!options.json || !any) return result;

  JsonWriter w;
  w.begin_object().key("nodes").begin_array();
  for (const auto& r : results) {
    w.begin_object().field("pnn", r.pnn).field("exit_code", r.exit_code).key("result");
    if (r.doc) {
      w.raw(*r.doc);
    } else {
      w.null();
    }
    w.end_object();
  }
  print_json(nullptr, w.end_array().end_object());
  return result;
}

int process_command(const Command& cmd, const std::vector<std::string>& args) {
  if (cmd.fn == nullptr) {
    fprintf(stderr, "Command '%s' is not implemented yet\n", cmd.name);
    return 1;
  }
  if (options.json && cmd.json == Json::kTextOnly) {
    fprintf(stderr, "Command '%s' has no JSON output\n", cmd.name);
    return 1;
  }
  if (cmd.without_daemon) {
    if (options.pnn != -1 || options.all_nodes) {
      fprintf(stderr, "Cannot specify node for command %s\n", cmd.name);
      return 1;
    }
    return cmd.fn(nullptr, args);
  }

  Context ctx;
  std::string path = socket_path();
  int err = client::Client::connect(path, &ctx.client);
  if (err != 0) {
    fprintf(stderr, "Failed to connect to CTDB daemon (%s)\n", path.c_str());
    if (!find_node_xpnn()) fprintf(stderr, "Is this node part of CTDB cluster?\n");
    return 1;
  }
  // Losing the daemon mid-command ends the tool, as with 4.17's.
  ctx.c().connection().set_disconnect_handler([] {
    client::log(client::LogLevel::kNotice, "connection to daemon closed, exiting\n");
    exit(1);
  });
  ctx.pnn = ctx.c().pnn();
  uint64_t srvid_offset = static_cast<uint64_t>(getpid()) & 0xFFFF;
  ctx.srvid = SRVID_TOOL_RANGE | 0x0001000000000000ULL | (srvid_offset << 16);

  if (options.pnn != -1) {
    if (!verify_pnn(&ctx, options.pnn)) return 1;
    ctx.cmd_pnn = static_cast<uint32_t>(options.pnn);
  } else {
    ctx.cmd_pnn = ctx.pnn;
  }
  if ((!cmd.remote && ctx.pnn != ctx.cmd_pnn) || (!cmd.remote && options.all_nodes)) {
    fprintf(stderr, "Node cannot be specified for command %s\n", cmd.name);
    return 1;
  }
  if (ctx.c().register_srvid(SRVID_LEADER) != 0) {
    fprintf(stderr, "Failed to setup leader handler\n");
    return 1;
  }
  if (options.all_nodes && !cmd.handles_all_nodes) return run_on_all_nodes(&ctx, cmd, args);
  return cmd.fn(&ctx, args);
}

void on_term(int) {
  static const char msg[] = "Maximum runtime exceeded - exiting\n";
  ssize_t n = write(2, msg, sizeof(msg) - 1);
  (void)n;
}

void on_alarm(int) {
  // Take down helpers we may have started, then go.
  signal(SIGTERM, on_term);
  kill(0, SIGTERM);
  _exit(1);
}

client::LogLevel to_log_level(int level) {
  if (level >= 10) return client::LogLevel::kDebug;
  if (level >= 5) return client::LogLevel::kInfo;
  if (level >= 3) return client::LogLevel::kNotice;
  if (level >= 1) return client::LogLevel::kWarning;
  return client::LogLevel::kError;
}

}  // namespace

[[noreturn]] void usage(const char* command) {
  const Command* cmd = command ? find_command(command) : nullptr;
  // With --json stdout holds documents only: a usage error goes to stderr.
  FILE* out = options.json ? stderr : stdout;
  if (cmd == nullptr) {
    poptPrintHelp(g_popt, out, 0);
    fprintf(out, "\nCommands:\n");
    for (const auto& c : commands()) {
      if (!c.hidden) print_command_line(out, c);
    }
  } else {
    poptPrintUsage(g_popt, out, 0);
    fprintf(out, "\nCommands:\n");
    print_command_line(out, *cmd);
  }
  exit(1);
}

int main(int argc, const char* argv[]) {
  setlinebuf(stdout);
  g_popt = poptGetContext(argv[0], argc, argv, g_options, POPT_CONTEXT_KEEP_FIRST);
  int opt;
  while ((opt = poptGetNextOpt(g_popt)) != -1) {
    if (opt == kStringOption) {
      take_string_options();
      continue;
    }
    if (opt == kNodeOption) {
      std::string node = take_arg(&g_node_arg);
      if (!parse_node_arg(node.c_str())) {
        fprintf(stderr, "Invalid option %s: %s\n", node.c_str(),
                poptStrerror(POPT_ERROR_BADNUMBER));
        exit(1);
      }
      continue;
    }
    fprintf(stderr, "Invalid option %s: %s\n", poptBadOption(g_popt, 0), poptStrerror(opt));
    exit(1);
  }

  if (options.maxruntime == 0) {
    const char* t = getenv("CTDB_TIMEOUT");
    if (t != nullptr) {
      unsigned long v = 0;
      if (client::parse_ulong(t, &v) != 0) {
        fprintf(stderr, "Invalid value CTDB_TIMEOUT\n");
        exit(1);
      }
      options.maxruntime = static_cast<int>(v);
    } else {
      options.maxruntime = 120;
    }
  }
  if (options.machineparsable) options.machinereadable = 1;
  if (options.json && options.machinereadable) {
    fprintf(stderr, "--json cannot be combined with -X or -Y\n");
    exit(1);
  }

  std::vector<std::string> rest;
  const char** extra = poptGetArgs(g_popt);
  if (extra != nullptr) {
    extra++;  // argv[0], kept by POPT_CONTEXT_KEEP_FIRST
    while (*extra != nullptr) rest.emplace_back(*extra++);
  }
  if (rest.empty()) usage(nullptr);

  const Command* cmd = find_command(rest[0]);
  if (cmd == nullptr) {
    fprintf(stderr, "Unknown command '%s'\n", rest[0].c_str());
    exit(1);
  }

  int level = 0;
  if (options.debuglevel == nullptr || !client::debug_level_parse(options.debuglevel, &level)) {
    level = 0;
  }
  client::set_log_level(to_log_level(level));

  // In test mode keep the alarm's process-group kill away from the test harness.
  if (getenv("CTDB_TEST_MODE") != nullptr && getenv("CTDB_TOOL_SETPGID") == nullptr) {
    setpgid(0, 0);
    setenv("CTDB_TOOL_SETPGID", "1", 1);
  }
  signal(SIGALRM, on_alarm);
  alarm(static_cast<unsigned>(options.maxruntime));

  std::vector<std::string> args(rest.begin() + 1, rest.end());
  int ret = process_command(*cmd, args);
  if (ret == -1) ret = 1;
  poptFreeContext(g_popt);
  return ret;
}

}  // namespace ctdb::tool

int main(int argc, const char* argv[]) { return ctdb::tool::main(argc, argv); }
