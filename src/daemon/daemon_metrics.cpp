// What the Prometheus endpoint shows of this node (metrics::MetricsHost): the
// cluster as this node sees it, recoveries, clients, controls, databases,
// event scripts and public addresses.
#include "common/version.h"
#include "daemon/daemon.h"
#include "daemon/takeover/public_ips.h"
#include "protocol/control.h"
#include "protocol/names.h"

namespace ctdb::daemon {
namespace {

using metrics::Exposition;

double seconds_of(const timeval& tv) { return double(tv.tv_sec) + tv.tv_usec / 1e6; }

// The flags `ctdb status` spells out, one 0/1 sample each.
constexpr std::pair<uint32_t, const char*> kFlags[] = {
    {NODE_FLAGS_DISCONNECTED, "disconnected"},
    {NODE_FLAGS_UNHEALTHY, "unhealthy"},
    {NODE_FLAGS_PERMANENTLY_DISABLED, "disabled"},
    {NODE_FLAGS_BANNED, "banned"},
    {NODE_FLAGS_DELETED, "deleted"},
    {NODE_FLAGS_STOPPED, "stopped"},
};

}  // namespace

void Daemon::collect_metrics(Exposition& out) {
  out.family("ctdb_info", "gauge", "This daemon: its version and pnn (always 1)");
  out.sample("ctdb_info", {{"version", version_string()}, {"pnn", std::to_string(state_.pnn())}},
             1);

  // ---- the cluster as this node sees it
  out.family("ctdb_node_flags", "gauge",
             "Each node's flags (NODE_FLAGS_*) as this node knows them");
  for (const NodeInfo& n : state_.nodes()) {
    out.sample("ctdb_node_flags", {{"pnn", std::to_string(n.pnn)}, {"address", n.addr.to_string()}},
               n.flags);
  }
  out.family("ctdb_node_flag", "gauge", "1 when a node has the flag, by flag name");
  for (const NodeInfo& n : state_.nodes()) {
    for (const auto& [bit, name] : kFlags) {
      out.sample("ctdb_node_flag", {{"pnn", std::to_string(n.pnn)}, {"flag", name}},
                 (n.flags & bit) ? 1 : 0);
    }
  }
  out.family("ctdb_node_ok", "gauge", "1 when a node has no flag at all (OK in ctdb status)");
  for (const NodeInfo& n : state_.nodes()) {
    out.sample("ctdb_node_ok", {{"pnn", std::to_string(n.pnn)}}, n.flags == 0 ? 1 : 0);
  }
  uint32_t lead = leader();
  out.family("ctdb_leader_pnn", "gauge", "The leader (recovery master) this node follows; -1 none");
  out.sample("ctdb_leader_pnn", lead == UNKNOWN_PNN ? -1.0 : double(lead));
  out.family("ctdb_is_leader", "gauge", "1 on the leader");
  out.sample("ctdb_is_leader", lead == state_.pnn() ? 1 : 0);
  out.family("ctdb_generation", "gauge", "The vnnmap generation");
  out.sample("ctdb_generation", state_.generation());
  out.family("ctdb_vnnmap_size", "gauge", "Nodes in the vnnmap (lmasters)");
  out.sample("ctdb_vnnmap_size", double(state_.vnnmap().map.size()));
  out.family("ctdb_recovery_mode", "gauge", "0 NORMAL, 1 ACTIVE (recovering)");
  out.sample("ctdb_recovery_mode", state_.recmode());
  out.family("ctdb_runstate", "gauge", "This node's run state, by name (1 for the current one)");
  for (uint32_t r = RUNSTATE_UNKNOWN; r <= RUNSTATE_SHUTDOWN; r++) {
    out.sample("ctdb_runstate", {{"state", proto::runstate_name(r)}}, state_.runstate() == r);
  }

  // ---- recoveries
  out.family("ctdb_recoveries_total", "counter", "Recoveries this node ran as the leader");
  out.sample("ctdb_recoveries_total", stats_.num_recoveries);
  out.family("ctdb_recovery_mode_changes_total", "counter",
             "Recoveries this node went through (recovery mode ACTIVE, then NORMAL)");
  out.sample("ctdb_recovery_mode_changes_total", double(state_.recoveries_seen()));
  out.family("ctdb_recovery_seconds_total", "counter",
             "Time this node spent in recovery mode ACTIVE, over those recoveries");
  out.sample("ctdb_recovery_seconds_total", state_.recovery_seconds_total());
  out.family("ctdb_last_recovery_seconds", "gauge", "How long the last recovery on this node took");
  double started = seconds_of(state_.last_recovery_started());
  double finished = seconds_of(state_.last_recovery_finished());
  if (started > 0 && finished >= started)
    out.sample("ctdb_last_recovery_seconds", finished - started);
  out.family("ctdb_last_recovery_finished_timestamp_seconds", "gauge",
             "When the last recovery ended (Unix time)");
  if (finished > 0) out.sample("ctdb_last_recovery_finished_timestamp_seconds", finished);

  // ---- clients and traffic
  out.family("ctdb_clients", "gauge", "Connected local clients (smbd processes, tools)");
  out.sample("ctdb_clients", stats_.num_clients);
  out.family("ctdb_client_packets_received_total", "counter", "Packets from local clients");
  out.sample("ctdb_client_packets_received_total", stats_.client_packets_recv);
  out.family("ctdb_client_packets_sent_total", "counter", "Packets to local clients");
  out.sample("ctdb_client_packets_sent_total", stats_.client_packets_sent);
  out.family("ctdb_node_packets_received_total", "counter", "Packets from other nodes");
  out.sample("ctdb_node_packets_received_total", stats_.node_packets_recv);
  out.family("ctdb_node_packets_sent_total", "counter", "Packets to other nodes");
  out.sample("ctdb_node_packets_sent_total", stats_.node_packets_sent);
  out.family("ctdb_calls_total", "counter", "Record calls (fetches and migrations) handled");
  out.sample("ctdb_calls_total", stats_.total_calls);
  out.family("ctdb_pending_calls", "gauge", "Record calls waiting for an answer");
  out.sample("ctdb_pending_calls", stats_.pending_calls);

  // ---- controls
  proto::ControlStatistics controls = controls_.statistics();
  out.family("ctdb_control_calls_total", "counter", "Controls handled, by control");
  for (const auto& e : controls.entries) {
    out.sample("ctdb_control_calls_total", {{"control", proto::control_name(e.opcode)}},
               double(e.calls));
  }
  out.family("ctdb_control_failures_total", "counter", "Controls refused or failed, by control");
  for (const auto& e : controls.entries) {
    out.sample("ctdb_control_failures_total", {{"control", proto::control_name(e.opcode)}},
               double(e.failures));
  }
  out.family("ctdb_control_seconds_max", "gauge", "The slowest answer of each control");
  for (const auto& e : controls.entries) {
    out.sample("ctdb_control_seconds_max", {{"control", proto::control_name(e.opcode)}},
               e.latency.max);
  }

  // ---- databases
  out.family("ctdb_db_lock_calls_total", "counter", "Chain lock requests, by database");
  for (const auto& db : dbs_->all()) {
    out.sample("ctdb_db_lock_calls_total", {{"db", db->name}}, db->stats.locks.num_calls);
  }
  out.family("ctdb_db_migrations_total", "counter", "Records migrated to this node, by database");
  for (const auto& db : dbs_->all()) {
    out.sample("ctdb_db_migrations_total", {{"db", db->name}}, double(db->hot_keys.migrations()));
  }
  out.family("ctdb_db_persistent", "gauge", "1 for a persistent database, 0 for a volatile one");
  for (const auto& db : dbs_->all()) {
    out.sample("ctdb_db_persistent", {{"db", db->name}}, db->persistent() ? 1 : 0);
  }

  // ---- event scripts: the last run of each event
  out.family("ctdb_event_script_status", "gauge",
             "Each script's result in the last run of each event: 0 OK, its exit code, or a "
             "negative errno (-62 timed out, -8 disabled)");
  out.family("ctdb_event_script_seconds", "gauge", "How long each script ran, last run");
  for (uint32_t ev = 0; ev < EVENT_MAX; ev++) {
    const auto& last = monitor_->runner().last_run(ev);
    if (!last) continue;
    for (const proto::Script& s : last->scripts) {
      Exposition::Labels l{{"event", proto::event_name(ev)}, {"script", s.name}};
      out.sample("ctdb_event_script_status", l, s.status);
      double secs = (s.finished.sec - s.start.sec) + (s.finished.usec - s.start.usec) / 1e6;
      out.sample("ctdb_event_script_seconds", l, secs < 0 ? 0 : secs);
    }
  }

  // ---- public addresses
  uint32_t hosted = 0, total = 0;
  if (public_ips_) {
    for (const auto& ip : public_ips_->public_ips(false).ips) {
      total++;
      if (ip.pnn == state_.pnn()) hosted++;
    }
  }
  out.family("ctdb_public_addresses", "gauge", "Public addresses this node can host");
  out.sample("ctdb_public_addresses", total);
  out.family("ctdb_public_addresses_hosted", "gauge", "Public addresses this node hosts now");
  out.sample("ctdb_public_addresses_hosted", hosted);
}

std::vector<metrics::MetricsHost::DbFile> Daemon::metric_db_files() const {
  std::vector<DbFile> out;
  for (const auto& db : dbs_->all()) out.push_back({db->name, db->ltdb.get()});
  return out;
}

}  // namespace ctdb::daemon
