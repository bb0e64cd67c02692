// The composition root of ctdbd: owns the reactor and creates every area
// (client socket, node transport, routers, node state, databases, call
// engine, recovery, monitor, public addresses), wiring each to the others
// through the host interface it declares. It hands each packet by operation
// to the router or engine for it, and carries out what a change of this
// node's own state sets off.
#pragma once

#include <sys/time.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/tunables.h"
#include "daemon/clients/client_server.h"
#include "daemon/clients/message_router.h"
#include "daemon/clients/srvid_registry.h"
#include "daemon/clients/tunnel_router.h"
#include "daemon/cluster/node_state.h"
#include "daemon/cluster/recoverd.h"
#include "daemon/cluster_host.h"
#include "daemon/controls/control_router.h"
#include "daemon/controls/dispatch.h"
#include "daemon/db/call_engine.h"
#include "daemon/db/db_registry.h"
#include "daemon/db/seqnum_sync.h"
#include "daemon/event_loop.h"
#include "daemon/metrics/metrics_server.h"
#include "daemon/monitor/eventd_server.h"
#include "daemon/monitor/monitor.h"
#include "daemon/options.h"
#include "daemon/transport/node_transport.h"
#include "protocol/types.h"

namespace ctdb::daemon {

class Liveness;
class TraverseManager;
class VacuumManager;
namespace takeover {
class PublicIps;
class PublicIpsHost;
class SystemNet;
}  // namespace takeover

class Daemon : public ClientHandler,
               public TransportHandler,
               public CallHost,
               public monitor::MonitorHost,
               public cluster::RecoverdHost,
               public metrics::MetricsHost {
 public:
  explicit Daemon(DaemonOptions opts);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Reads the nodes file, picks this node, checks and creates directories and
  // opens the client socket. On failure *error is a one-line message naming
  // the file (and line) at fault.
  bool init(std::string* error);
  // Brings the node up from the reactor, as 4.17 does: the init event, the
  // node transport, the setup event, then recovery and monitoring.
  // `started` hears "" once the init event ran and the transport is up, or
  // the reason the daemon is giving up (it then exits with status 1).
  void start(std::function<void(const std::string& error)> started);
  // Runs the reactor until shutdown; returns the exit code.
  int run();
  // Starts an orderly shutdown from the reactor (SHUTDOWN control, SIGTERM):
  // the shutdown event runs, then the reactor stops.
  void request_shutdown(int exit_code);

  // ClientHandler.
  void on_client_packet(ClientConnection& client, const uint8_t* pkt, size_t len) override;
  void on_client_gone(ClientConnection& client) override;
  void on_client_drained(ClientConnection& client) override;

  // TransportHandler.
  void on_node_packet(uint32_t pnn, const uint8_t* pkt, size_t len) override;
  void on_node_connected(uint32_t pnn) override;
  void on_node_dead(uint32_t pnn) override;

  uint32_t pnn() const override { return state_.pnn(); }

 private:
  // ClusterHost: controls and messages go through the routers.
  void send_control(uint32_t dest, uint32_t opcode, uint64_t srvid, const proto::Bytes& data,
                    double timeout, ControlCallback cb, uint32_t flags = 0) override;
  void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) override;
  void set_message_handler(uint64_t srvid, MessageHandler handler) override;
  void clear_message_handler(uint64_t srvid) override;
  void deliver_message(uint64_t srvid, const proto::Bytes& data) override;
  EventLoop& loop() override { return loop_; }
  std::vector<uint32_t> broadcast_targets(uint32_t dest) const override;
  void run_after(double seconds, std::function<void()> fn) override;
  size_t client_backlog(uint32_t client_id) const override;
  void close_client(uint32_t client_id) override;
  // ClusterHost, RecoverdHost: this node's view of the cluster.
  const std::vector<NodeInfo>& nodes() const override { return state_.nodes(); }
  const Tunables& tunables() const override { return tunables_; }
  const std::string& reclock_path() const override { return opts_.reclock; }
  double reclock_recheck_interval() const override { return opts_.reclock_recheck_interval; }
  double leader_timeout() const override { return opts_.leader_timeout; }
  void learn_node_flags(uint32_t pnn, uint32_t flags) override;
  proto::Statistics& stats() override { return stats_; }
  takeover::PublicIps& public_ips() override { return *public_ips_; }
  uint32_t recmode() const override { return state_.recmode(); }
  Runstate runstate() const override { return state_.runstate(); }
  uint32_t capabilities() const override { return state_.capabilities(); }
  const proto::VnnMap& vnnmap() const override { return state_.vnnmap(); }
  void set_runstate(Runstate r) override { state_.set_runstate(r); }
  uint32_t own_flags() const override { return state_.own_flags(); }
  // Changes this node's own flags (disable, stop, ban, health...) and tells
  // every connected node; a node that becomes inactive freezes its databases.
  void set_own_flags(uint32_t flags) override;

  // Who leads, as the recovery daemon knows it (UNKNOWN_PNN once shutting down).
  uint32_t leader() const { return recoverd_ ? recoverd_->leader() : UNKNOWN_PNN; }
  void reset_statistics();
  // What DUMP_MEMORY answers (memory_report.cpp); `role` names the process
  // as the report's first line does.
  std::string memory_report(const char* role) const;
  // Recovery mode; entering ACTIVE starts the RecoveryDropAllIPs timer and
  // leaving it lets parked calls go.
  void set_recmode(uint32_t mode);
  // SET_RECMODE from a control; from_client: a local client (the ctdb tool) sent it.
  void client_set_recmode(uint32_t mode, bool from_client);
  void set_capabilities(uint32_t caps);
  // Re-reads the nodes file: new nodes join, removed ones become DELETED.
  bool reload_nodes(std::string* error);
  // Bans this node for `seconds` (0 lifts the ban); the unban timer lives here.
  void ban(uint32_t seconds);

  bool load_nodes(std::string* error);
  void load_tunables();
  void listen_eventd();

  // metrics::MetricsHost (daemon_metrics.cpp).
  void collect_metrics(metrics::Exposition& out) override;
  std::vector<DbFile> metric_db_files() const override;
  void create_routers();
  bool load_public_ips(std::string* error);
  void create_database_areas();
  void die(int exit_code);
  bool start_transport(std::string* error);
  void send_keepalive(uint32_t pnn);
  void check_keepalive(uint32_t pnn, const uint8_t* pkt, size_t len);
  uint32_t uptime_seconds() const;
  void count_call_packet(uint32_t operation);
  // Sends a packet to another node over the transport, counting it.
  bool send_to_node(uint32_t pnn, const uint8_t* pkt, size_t len);
  bool prepare_directories(std::string* error);
  void register_controls();
  void handle_call(ClientConnection& client, const uint8_t* pkt, size_t len);
  // CallHost.
  bool calls_blocked() const override { return state_.recmode() == RECOVERY_ACTIVE; }
  void send_call_packet(uint32_t pnn, const proto::Bytes& pkt) override;
  void send_client_packet(uint32_t client_id, const proto::Bytes& pkt) override;
  void calls_need_recovery(const char* why) override;
  uint32_t call_tunable(TunableId id) const override { return tunables_[id]; }
  // MonitorHost.
  uint32_t monitor_tunable(TunableId id) const override { return tunables_[id]; }
  void startup_complete() override;
  monitor::MonitorSettings monitor_settings() const;
  void send_update_record(uint32_t pnn, const proto::Bytes& recbuf,
                          std::function<void(bool ok)> done) override;

  DaemonOptions opts_;
  EventLoop loop_;
  std::unique_ptr<ClientServer> clients_;
  std::unique_ptr<DbRegistry> dbs_;
  std::unique_ptr<SeqnumSync> seqnums_;
  std::unique_ptr<takeover::SystemNet> net_;
  std::unique_ptr<takeover::PublicIpsHost> takeover_host_;
  std::unique_ptr<takeover::PublicIps> public_ips_;
  // Started when recovery mode becomes ACTIVE: a node stuck there for RecoveryDropAllIPs
  // seconds releases its public addresses (4.17).
  std::unique_ptr<Timer> drop_ips_timer_;
  std::vector<std::unique_ptr<SignalWatcher>> signals_;
  ControlTable controls_;
  SrvidRegistry srvids_;
  Tunables tunables_;
  proto::Statistics stats_;
  cluster::NodeState state_;
  // Where controls and messages go; destroyed after the areas that send them.
  std::unique_ptr<ControlRouter> router_;
  std::unique_ptr<MessageRouter> messages_;
  std::unique_ptr<TunnelRouter> tunnels_;
  bool shutting_down_ = false;
  int exit_code_ = 0;
  std::unique_ptr<Timer> unban_timer_;
  void become_inactive();
  void commit_needs_recovery(const Responder& to);
  void answer_commits_awaiting_recovery(int32_t status, const char* why);
  std::vector<Responder> commits_awaiting_recovery_;

  std::unique_ptr<CallEngine> calls_;

  std::unique_ptr<NodeTransport> transport_;
  std::unique_ptr<cluster::Recoverd> recoverd_;
  std::unique_ptr<monitor::Monitor> monitor_;
  std::unique_ptr<monitor::EventdServer> eventd_;  // after monitor_: it runs events on it
  std::unique_ptr<metrics::MetricsServer> metrics_;
  std::unique_ptr<Liveness> liveness_;
  std::map<uint64_t, std::unique_ptr<Timer>> oneshots_;
  uint64_t next_oneshot_ = 0;
  // At the end: destroyed before what its children and timers use.
  std::unique_ptr<TraverseManager> traverses_;
  // After traverses_ (destroyed before it): kills its child, needs nothing else by then.
  std::unique_ptr<VacuumManager> vacuum_;
};

}  // namespace ctdb::daemon
