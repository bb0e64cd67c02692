// Node health: drives the run states from INIT to RUNNING with the init,
// setup and startup events, runs the monitor event every MonitorInterval once
// running, turns failures into the UNHEALTHY flag (and back), and calls the
// notification script, as 4.17's ctdb_monitor.c does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/tunables.h"
#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "daemon/monitor/event_runner.h"
#include "daemon/monitor/notification.h"
#include "protocol/types.h"

namespace ctdb::daemon::monitor {

// What the monitor needs from the daemon.
class MonitorHost {
 public:
  virtual ~MonitorHost() = default;
  virtual uint32_t recmode() const = 0;
  virtual const proto::VnnMap& vnnmap() const = 0;
  virtual uint32_t own_flags() const = 0;
  // Changes this node's flags and tells the other nodes.
  virtual void set_own_flags(uint32_t flags) = 0;
  virtual Runstate runstate() const = 0;
  virtual void set_runstate(Runstate r) = 0;
  virtual uint32_t monitor_tunable(TunableId id) const = 0;
  // Every node should hear that this node finished its startup event.
  virtual void startup_complete() = 0;
};

struct MonitorSettings {
  std::string event_script_dir;
  std::string notification_script;  // empty: none
  std::string debug_script;         // run on a hung script; empty: none
  std::vector<std::string> env;     // NAME=value for every script
  // CTDB_TEST_MODE: startup does not wait RerecoveryTimeout after the last
  // recovery (4.17's fast_start).
  bool fast_start = false;
  // The level failed and timed-out scripts' output is logged at ([legacy] script log level).
  int script_log_level = 0;
};

class Monitor {
 public:
  using StatusFn = std::function<void(int32_t status)>;  // 0 or -1, a control's answer

  Monitor(EventLoop& loop, MonitorHost& host, MonitorSettings settings);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // INIT, then the init event; done(true) when it succeeded.
  void run_init(std::function<void(bool ok)> done);
  // SETUP, then the setup event; done(true) when it succeeded.
  void run_setup(std::function<void(bool ok)> done);
  // FIRST_RECOVERY: once a recovery has settled the cluster, the startup
  // event (retried until it succeeds), RUNNING, then the monitor event.
  void wait_for_first_recovery();
  // START_RECOVERY and END_RECOVERY: the startrecovery and recovered events.
  void startrecovery(StatusFn done);
  void recovered(StatusFn done);
  // SHUTDOWN: monitoring stops, the shutdown event runs, then done().
  void shutdown(std::function<void()> done);
  // Any other event (RUN_EVENTSCRIPTS, IP takeover). False, with *error,
  // when the event may not run now or its arguments are wrong. `timeout`
  // (seconds) replaces EventScriptTimeout when above 0.
  bool run_event(uint32_t event, std::vector<std::string> args,
                 std::function<void(EventResult)> done, std::string* error, double timeout = 0);

  EventRunner& runner() { return runner_; }

 private:
  void set_runstate(Runstate r);
  double event_timeout() const;
  void check_recovered();
  void run_startup();
  void check_health();
  void health_result(EventResult result);
  void schedule_check(double seconds);

  EventLoop& loop_;
  MonitorHost& host_;
  MonitorSettings settings_;
  EventRunner runner_;
  Notifier notifier_;
  Timer wait_timer_;     // FIRST_RECOVERY: polls for a settled cluster
  Timer startup_timer_;  // retries a failed startup event
  Timer health_timer_;   // the next monitor event
  bool waiting_for_recovery_ = false;
  bool startup_running_ = false;
  bool monitoring_ = false;
  bool shutting_down_ = false;
  double next_interval_ = 2;
  uint32_t timeouts_ = 0;                 // monitor events timed out in a row
  double last_recovery_finished_ = -1e9;  // monotonic seconds
};

}  // namespace ctdb::daemon::monitor
