// ctdb commands on tunables and statistics: listvars, getvar, setvar,
// statistics, statisticsreset.
#include <stdio.h>
#include <strings.h>

#include "client/controls.h"
#include "client/format.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

// Checks `name` against the node's tunables (case-insensitively, as 4.17 does).
int find_tunable(Context* ctx, const std::string& name, bool* found) {
  proto::VarList vars;
  int ret = client::ctrl_list_tunables(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &vars);
  if (ret != 0) {
    fprintf(stderr, "Failed to get list of variables from node %u\n", ctx->cmd_pnn);
    return ret;
  }
  *found = false;
  for (const auto& v : vars.vars) {
    if (strcasecmp(v.c_str(), name.c_str()) == 0) *found = true;
  }
  return 0;
}

int print_tunable(Context* ctx, const std::string& name) {
  uint32_t value = 0;
  int ret = client::ctrl_get_tunable(ctx->c(), ctx->cmd_pnn, ctx->timeout(), name, &value);
  if (ret != 0) return ret;
  printf("%-26s = %u\n", name.c_str(), value);
  return 0;
}

}  // namespace

int control_getvar(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("getvar");
  bool found = false;
  int ret = find_tunable(ctx, args[0], &found);
  if (ret != 0) return ret;
  if (!found) {
    printf("No such tunable %s\n", args[0].c_str());
    return 1;
  }
  return print_tunable(ctx, args[0]);
}

int control_setvar(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("setvar");
  bool found = false;
  int ret = find_tunable(ctx, args[0], &found);
  if (ret != 0) return ret;
  if (!found) {
    printf("No such tunable %s\n", args[0].c_str());
    return 1;
  }
  unsigned long value = 0;
  ret = client::parse_ulong(args[1], &value);
  if (ret != 0) return ret;
  proto::Tunable t;
  t.name = args[0];
  t.value = static_cast<uint32_t>(value);
  ret = client::ctrl_set_tunable(ctx->c(), ctx->cmd_pnn, ctx->timeout(), t);
  if (ret == 1) {
    fprintf(stderr, "Setting obsolete tunable variable '%s'\n", t.name.c_str());
    return 0;
  }
  return ret;
}

int control_listvars(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("listvars");
  proto::VarList vars;
  int ret = client::ctrl_list_tunables(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &vars);
  if (ret != 0) return ret;
  // Like 4.17, a tunable that fails to read is skipped, not fatal.
  for (const auto& v : vars.vars) print_tunable(ctx, v);
  return 0;
}

int control_statistics(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("statistics");
  proto::Statistics stats;
  int ret = client::ctrl_statistics(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &stats);
  if (ret != 0) return ret;
  if (options.machinereadable) {
    fputs(client::statistics_machine_text(stats, options.sep, true).c_str(), stdout);
  } else {
    fputs(client::statistics_text(stats).c_str(), stdout);
  }
  return 0;
}

int control_controlstats(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("controlstats");
  proto::ControlStatistics stats;
  int ret = client::ctrl_get_control_statistics(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &stats);
  if (ret != 0) return ret;
  if (options.machinereadable) {
    fputs(client::control_statistics_machine_text(stats, options.sep).c_str(), stdout);
  } else {
    fputs(client::control_statistics_text(stats).c_str(), stdout);
  }
  return 0;
}

int control_statistics_reset(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("statisticsreset");
  return client::ctrl_statistics_reset(ctx->c(), ctx->cmd_pnn, ctx->timeout());
}

}  // namespace ctdb::tool
