// ctdb commands on tunables and statistics: listvars, getvar, setvar,
// statistics, statisticsreset.
#include <stdio.h>
#include <strings.h>

#include "client/controls.h"
#include "client/format.h"
#include "ctdb/protocol.h"
#include "protocol/control.h"
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

void print_tunable(const std::string& name, uint32_t value) {
  printf("%-26s = %u\n", name.c_str(), value);
}

// The counters in the order and nesting of the text form (doc/JSON.md, `statistics`).
void json_statistics(JsonWriter& w, const proto::Statistics& s) {
  w.field("num_clients", s.num_clients).field("frozen", s.frozen);
  w.field("recovering", s.recovering).field("num_recoveries", s.num_recoveries);
  w.field("client_packets_sent", s.client_packets_sent);
  w.field("client_packets_recv", s.client_packets_recv);
  w.field("node_packets_sent", s.node_packets_sent);
  w.field("node_packets_recv", s.node_packets_recv);
  w.field("keepalive_packets_sent", s.keepalive_packets_sent);
  w.field("keepalive_packets_recv", s.keepalive_packets_recv);
  w.key("node").begin_object();
  w.field("req_call", s.node.req_call).field("reply_call", s.node.reply_call);
  w.field("req_dmaster", s.node.req_dmaster).field("reply_dmaster", s.node.reply_dmaster);
  w.field("reply_error", s.node.reply_error).field("req_message", s.node.req_message);
  w.field("req_control", s.node.req_control).field("reply_control", s.node.reply_control);
  w.field("req_tunnel", s.node.req_tunnel).end_object();
  w.key("client").begin_object();
  w.field("req_call", s.client.req_call).field("req_message", s.client.req_message);
  w.field("req_control", s.client.req_control).field("req_tunnel", s.client.req_tunnel);
  w.end_object();
  w.key("timeouts").begin_object();
  w.field("call", s.timeouts.call).field("control", s.timeouts.control);
  w.field("traverse", s.timeouts.traverse).end_object();
  json_locks(w, s.locks);
  w.field("total_calls", s.total_calls).field("pending_calls", s.pending_calls);
  w.field("childwrite_calls", s.childwrite_calls);
  w.field("pending_childwrite_calls", s.pending_childwrite_calls);
  w.field("memory_used", s.memory_used).field("max_hop_count", s.max_hop_count);
  w.field("total_ro_delegations", s.total_ro_delegations);
  w.field("total_ro_revokes", s.total_ro_revokes);
  w.key("hop_count_buckets").begin_array();
  for (uint32_t v : s.hop_count_bucket) w.value(v);
  w.end_array();
  w.key("reclock").begin_object();
  json_latency(w.key("ctdbd"), s.reclock.ctdbd);
  json_latency(w.key("recd"), s.reclock.recd);
  w.end_object();
  json_latency(w.key("call_latency"), s.call_latency);
  json_latency(w.key("childwrite_latency"), s.childwrite_latency);
}

}  // namespace

int control_getvar(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("getvar");
  bool found = false;
  int ret = find_tunable(ctx, args[0], &found);
  if (ret != 0) return ret;
  if (!found) {
    print_failure("No such tunable %s\n", args[0].c_str());
    return 1;
  }
  uint32_t value = 0;
  ret = client::ctrl_get_tunable(ctx->c(), ctx->cmd_pnn, ctx->timeout(), args[0], &value);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("name", args[0]).field("value", value);
    print_json(ctx, w.end_object());
    return 0;
  }
  print_tunable(args[0], value);
  return 0;
}

int control_setvar(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("setvar");
  bool found = false;
  int ret = find_tunable(ctx, args[0], &found);
  if (ret != 0) return ret;
  if (!found) {
    print_failure("No such tunable %s\n", args[0].c_str());
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
  std::vector<std::pair<std::string, uint32_t>> values;
  for (const auto& name : vars.vars) {
    uint32_t value = 0;
    if (client::ctrl_get_tunable(ctx->c(), ctx->cmd_pnn, ctx->timeout(), name, &value) == 0) {
      values.emplace_back(name, value);
    }
  }
  if (!options.json) {
    for (const auto& [name, value] : values) print_tunable(name, value);
    return 0;
  }
  JsonWriter w;
  w.begin_object().field("pnn", ctx->cmd_pnn).key("variables").begin_array();
  for (const auto& [name, value] : values) {
    w.begin_object().field("name", name).field("value", value).end_object();
  }
  print_json(ctx, w.end_array().end_object());
  return 0;
}

int control_statistics(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("statistics");
  proto::Statistics stats;
  int ret = client::ctrl_statistics(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &stats);
  if (ret != 0) return ret;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("protocol_version", kProtocolVersion);
    json_time(w.key("statistics_current_time"), stats.statistics_current_time);
    json_time(w.key("statistics_start_time"), stats.statistics_start_time);
    json_statistics(w, stats);
    print_json(ctx, w.end_object());
  } else if (options.machinereadable) {
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
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).key("controls").begin_array();
    for (const auto& e : stats.entries) {
      w.begin_object().field("name", proto::control_name(e.opcode)).field("opcode", e.opcode);
      w.field("calls", e.calls).field("failures", e.failures);
      json_latency(w.key("latency"), e.latency);
      w.end_object();
    }
    print_json(ctx, w.end_array().end_object());
  } else if (options.machinereadable) {
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
