// Run states, health monitoring and notifications; see monitor.h.
#include "daemon/monitor/monitor.h"

#include <algorithm>

#include "common/logging.h"
#include "protocol/names.h"

namespace ctdb::daemon::monitor {

namespace {

// 4.17's pacing: the monitor event after a health change runs this soon, and
// the interval doubles from there up to MonitorInterval.
constexpr double kIntervalAfterChange = 5;
constexpr double kIntervalAfterStartup = 2;
constexpr double kStartupRetry = 5;
constexpr double kRecoveredPoll = 1;
// startup waits this long beyond RerecoveryTimeout after the last recovery.
constexpr double kSettleMargin = 3;

// Events 4.17 lets run while the databases are being recovered.
bool allowed_during_recovery(uint32_t event) {
  switch (event) {
    case EVENT_INIT:
    case EVENT_SETUP:
    case EVENT_START_RECOVERY:
    case EVENT_SHUTDOWN:
    case EVENT_RELEASE_IP:
    case EVENT_IPREALLOCATED:
      return true;
    default:
      return false;
  }
}

}  // namespace

Monitor::Monitor(EventLoop& loop, MonitorHost& host, MonitorSettings settings)
    : loop_(loop),
      host_(host),
      settings_(std::move(settings)),
      runner_(loop, {settings_.event_script_dir, settings_.env, settings_.debug_script,
                     settings_.script_log_level}),
      notifier_(loop, settings_.notification_script, settings_.env,
                std::max<uint32_t>(host.monitor_tunable(kEventScriptTimeout), 1)),
      wait_timer_(loop, [this] { check_recovered(); }),
      startup_timer_(loop, [this] { run_startup(); }),
      health_timer_(loop, [this] { check_health(); }) {}

Monitor::~Monitor() = default;

void Monitor::set_runstate(Runstate r) {
  if (host_.runstate() == r) return;
  CTDB_LOGF(kLogNotice, "Set runstate to %s (%u)", proto::runstate_name(r), r);
  host_.set_runstate(r);
}

double Monitor::event_timeout() const {
  return std::max<uint32_t>(host_.monitor_tunable(kEventScriptTimeout), 1);
}

void Monitor::run_init(std::function<void(bool ok)> done) {
  set_runstate(RUNSTATE_INIT);
  runner_.run(EVENT_INIT, {}, event_timeout(), [this, done](EventResult r) {
    if (r != EventResult::kOk) {
      CTDB_LOGF(kLogError, "Failed to run init event (%s)", event_result_name(r));
      done(false);
      return;
    }
    notifier_.notify("init");
    done(true);
  });
}

void Monitor::run_setup(std::function<void(bool ok)> done) {
  set_runstate(RUNSTATE_SETUP);
  runner_.run(EVENT_SETUP, {}, event_timeout(), [this, done](EventResult r) {
    if (r != EventResult::kOk) {
      CTDB_LOGF(kLogError, "Failed to run setup event (%s)", event_result_name(r));
      done(false);
      return;
    }
    notifier_.notify("setup");
    done(true);
  });
}

void Monitor::wait_for_first_recovery() {
  set_runstate(RUNSTATE_FIRST_RECOVERY);
  waiting_for_recovery_ = true;
  wait_timer_.start(kRecoveredPoll);
}

void Monitor::startrecovery(StatusFn done) {
  std::string error;
  bool ok = run_event(
      EVENT_START_RECOVERY, {},
      [done](EventResult r) {
        if (r != EventResult::kOk) {
          CTDB_LOGF(kLogError, "startrecovery event failed (%s)", event_result_name(r));
        }
        done(r == EventResult::kOk ? 0 : -1);
      },
      &error);
  if (!ok) done(-1);
}

void Monitor::recovered(StatusFn done) {
  std::string error;
  bool ok = run_event(
      EVENT_RECOVERED, {},
      [this, done](EventResult r) {
        if (r != EventResult::kOk) {
          CTDB_LOGF(kLogError, "recovered event failed (%s)", event_result_name(r));
        }
        last_recovery_finished_ = monotonic_now();
        if (host_.runstate() == RUNSTATE_FIRST_RECOVERY) set_runstate(RUNSTATE_STARTUP);
        if (waiting_for_recovery_) wait_timer_.start(0);
        done(r == EventResult::kOk ? 0 : -1);
      },
      &error);
  if (!ok) {
    CTDB_LOGF(kLogError, "Cannot run recovered event: %s", error.c_str());
    done(-1);
  }
}

bool Monitor::run_event(uint32_t event, std::vector<std::string> args,
                        std::function<void(EventResult)> done, std::string* error, double timeout) {
  const char* name = proto::event_name(event);
  if (name == nullptr || proto::event_arg_count(event) < 0) {
    *error = "unknown event";
    return false;
  }
  if (shutting_down_ && event != EVENT_SHUTDOWN) {
    *error = "shutting down";
    return false;
  }
  if (host_.recmode() != RECOVERY_NORMAL && !allowed_during_recovery(event)) {
    CTDB_LOGF(kLogError, "Refusing to run event '%s' while in recovery", name);
    *error = std::string("cannot run event ") + name + " while in recovery";
    return false;
  }
  // 4.17 ignores a hung script in these events: the recovery or the IP move
  // must go on.
  bool ignore_timeout = event == EVENT_START_RECOVERY || event == EVENT_RECOVERED ||
                        event == EVENT_TAKE_IP || event == EVENT_RELEASE_IP;
  auto cb = [done, ignore_timeout, name](EventResult r) {
    if (r == EventResult::kTimedOut && ignore_timeout) {
      CTDB_LOGF(kLogError, "Ignoring hung script for %s event", name);
      r = EventResult::kOk;
    }
    done(r);
  };
  if (!runner_.run(event, std::move(args), timeout > 0 ? timeout : event_timeout(), cb)) {
    *error = std::string("wrong arguments for event ") + name;
    return false;
  }
  return true;
}

// FIRST_RECOVERY and STARTUP: the startup event waits for a recovered,
// settled cluster.
void Monitor::check_recovered() {
  if (!waiting_for_recovery_ || shutting_down_) return;
  const char* wait = nullptr;
  if (host_.vnnmap().generation == INVALID_GENERATION) {
    wait = "no generation yet";
  } else if (host_.recmode() != RECOVERY_NORMAL) {
    wait = "in recovery";
  } else if (host_.runstate() < RUNSTATE_STARTUP) {
    wait = "first recovery not finished";
  } else if (!settings_.fast_start &&
             monotonic_now() - last_recovery_finished_ <
                 host_.monitor_tunable(kRerecoveryTimeout) + kSettleMargin) {
    wait = "waiting for pending recoveries to end";
  }
  if (wait != nullptr) {
    CTDB_LOGF(kLogInfo, "Startup waits: %s", wait);
    wait_timer_.start(kRecoveredPoll);
    return;
  }
  waiting_for_recovery_ = false;
  run_startup();
}

void Monitor::run_startup() {
  if (shutting_down_ || startup_running_) return;
  CTDB_LOGF(kLogNotice, "Running the \"startup\" event.");
  startup_running_ = true;
  std::string error;
  bool ok = run_event(
      EVENT_STARTUP, {},
      [this](EventResult r) {
        startup_running_ = false;
        if (shutting_down_) return;
        if (r != EventResult::kOk) {
          CTDB_LOGF(kLogError, "startup event failed (%s): trying again in %.0f s",
                    event_result_name(r), kStartupRetry);
          startup_timer_.start(kStartupRetry);
          return;
        }
        CTDB_LOGF(kLogNotice, "startup event OK - enabling monitoring");
        set_runstate(RUNSTATE_RUNNING);
        notifier_.notify("startup");
        host_.startup_complete();
        monitoring_ = true;
        // The first check runs at once, so a healthy node shows OK without
        // delay; then 4.17's pacing.
        next_interval_ = kIntervalAfterStartup;
        schedule_check(0);
      },
      &error);
  if (!ok) {
    startup_running_ = false;
    CTDB_LOGF(kLogError, "Unable to launch startup event (%s): trying again in %.0f s",
              error.c_str(), kStartupRetry);
    startup_timer_.start(kStartupRetry);
  }
}

void Monitor::schedule_check(double seconds) { health_timer_.start(seconds); }

void Monitor::check_health() {
  if (!monitoring_ || shutting_down_) return;
  const char* skip = nullptr;
  if (host_.recmode() != RECOVERY_NORMAL) {
    skip = "in recovery";
  } else if (host_.own_flags() & NODE_FLAGS_INACTIVE) {
    skip = "node inactive";
  } else if (host_.runstate() != RUNSTATE_RUNNING) {
    skip = "not running";
  }
  if (skip != nullptr) {
    CTDB_LOGF(kLogInfo, "Skipping monitor event: %s", skip);
    schedule_check(next_interval_);
    return;
  }
  std::string error;
  if (!run_event(
          EVENT_MONITOR, {}, [this](EventResult r) { health_result(r); }, &error)) {
    CTDB_LOGF(kLogError, "Unable to launch monitor event: %s", error.c_str());
    next_interval_ = kIntervalAfterChange;
    schedule_check(kIntervalAfterChange);
  }
}

void Monitor::health_result(EventResult result) {
  if (!monitoring_ || shutting_down_) return;
  uint32_t old_flags = host_.own_flags();
  uint32_t flags = old_flags;
  bool judge = true;
  if (result == EventResult::kCancelled) {
    CTDB_LOGF(kLogNotice, "Monitoring event was cancelled");
    judge = false;
  } else if (result == EventResult::kTimedOut) {
    uint32_t limit = host_.monitor_tunable(kMonitorTimeoutCount);
    if (++timeouts_ >= limit) {
      CTDB_LOGF(kLogError, "Maximum monitor timeout count %u reached. Making node unhealthy",
                limit);
    } else {
      CTDB_LOGF(kLogWarning, "Monitor event timed out (%u of %u in a row): health unchanged",
                timeouts_, limit);
      judge = false;
    }
  } else {
    timeouts_ = 0;
  }
  if (judge) {
    bool failed = result != EventResult::kOk;
    if (failed && !(flags & NODE_FLAGS_UNHEALTHY)) {
      CTDB_LOGF(kLogNotice, "monitor event failed - disabling node");
      flags |= NODE_FLAGS_UNHEALTHY;
      // The seed's DisableWhenUnhealthy: an administrator must enable it again.
      if (host_.monitor_tunable(kDisableWhenUnhealthy) != 0) {
        CTDB_LOGF(kLogNotice, "DisableWhenUnhealthy is set: node permanently disabled");
        flags |= NODE_FLAGS_PERMANENTLY_DISABLED;
      }
      next_interval_ = kIntervalAfterChange;
      notifier_.notify("unhealthy");
    } else if (!failed && (flags & NODE_FLAGS_UNHEALTHY)) {
      CTDB_LOGF(kLogNotice, "monitor event OK - node re-enabled");
      flags &= ~NODE_FLAGS_UNHEALTHY;
      next_interval_ = kIntervalAfterChange;
      notifier_.notify("healthy");
    }
  }
  // 4.17's pacing, except that no wait exceeds MonitorInterval (an administrator who sets
  // it to 1 s gets a check every second, also right after a change).
  double max_interval = std::max<uint32_t>(host_.monitor_tunable(kMonitorInterval), 1);
  double interval = std::min(next_interval_, max_interval);
  next_interval_ = std::min(next_interval_ * 2, max_interval);
  schedule_check(interval);
  if (flags != old_flags) {
    CTDB_LOGF(kLogNotice, "Node became %s",
              (flags & NODE_FLAGS_UNHEALTHY) ? "UNHEALTHY" : "HEALTHY");
    host_.set_own_flags(flags);
  }
}

void Monitor::shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  monitoring_ = false;
  waiting_for_recovery_ = false;
  wait_timer_.stop();
  startup_timer_.stop();
  health_timer_.stop();
  set_runstate(RUNSTATE_SHUTDOWN);
  // A running monitor event gives way to the shutdown event.
  runner_.run(EVENT_SHUTDOWN, {}, event_timeout(), [done](EventResult r) {
    if (r != EventResult::kOk) {
      CTDB_LOGF(kLogError, "shutdown event %s", event_result_name(r));
    }
    done();
  });
}

}  // namespace ctdb::daemon::monitor
