// Unit tests for node health: the Notifier's serialized notification-script
// calls and the Monitor's run states, health flags and pacing, driven through
// a fake MonitorHost with real scripts and a real EventLoop.
#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/notification.h"
#include "test_common_helpers.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon::monitor {
namespace {

using unit::TempDir;

void touch(const std::string& path) { std::ofstream(path) << ""; }

// ---- Notifier --------------------------------------------------------------

class MonitorNotifierTest : public ::testing::Test {
 protected:
  void TearDown() override { kill_recorded(tmp_.path()); }

  // The notification script; "@T" in `body` stands for the scratch directory.
  std::string write_script(const std::string& body, mode_t mode = 0755) {
    std::string path = tmp_.file("notify.sh");
    std::ofstream(path) << "#!/bin/sh\n" << with_tmp(body, tmp_.path()) << "\n";
    chmod(path.c_str(), mode);
    return path;
  }

  EventLoop loop_;
  TempDir tmp_;
  std::string out_ = tmp_.file("notified");  // where the scripts write: @T/notified
};

TEST_F(MonitorNotifierTest, CallsRunOneAtATimeInOrder) {
  // Each call records its start and end; an overlap would interleave them.
  std::string script = write_script(
      "echo \"begin $1\" >> @T/notified\n"
      "sleep 0.05\n"
      "echo \"end $1\" >> @T/notified");
  Notifier n(loop_, script, {}, 10);
  for (const char* ev : {"init", "setup", "startup", "unhealthy", "healthy"}) n.notify(ev);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_lines(out_).size() == 10; }, 10, "five notifications"));
  std::vector<std::string> want;
  for (const char* ev : {"init", "setup", "startup", "unhealthy", "healthy"}) {
    want.push_back(std::string("begin ") + ev);
    want.push_back(std::string("end ") + ev);
  }
  EXPECT_EQ(read_lines(out_), want);
}

TEST_F(MonitorNotifierTest, EmptyScriptMeansNoNotifications) {
  LogCapture log;
  Notifier n(loop_, "", {}, 10);
  n.notify("init");
  EXPECT_EQ(log.count("otification"), 0u) << log.all();
}

TEST_F(MonitorNotifierTest, MissingScriptIsLoggedAndLaterCallsStillRun) {
  LogCapture log;
  std::string path = tmp_.file("notify.sh");
  Notifier n(loop_, path, {}, 10);
  n.notify("init");  // no script yet
  EXPECT_EQ(log.count("Could not stat notification script " + path), 1u) << log.all();
  write_script("echo \"$1\" >> @T/notified");
  n.notify("setup");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !read_lines(out_).empty(); }, 10, "setup call"));
  EXPECT_EQ(read_lines(out_), (std::vector<std::string>{"setup"}));
}

TEST_F(MonitorNotifierTest, NonExecutableScriptIsLoggedAndLaterCallsStillRun) {
  LogCapture log;
  std::string path = write_script("echo \"$1\" >> @T/notified", 0644);
  Notifier n(loop_, path, {}, 10);
  n.notify("init");
  EXPECT_EQ(log.count("is not an executable file"), 1u) << log.all();
  chmod(path.c_str(), 0755);
  n.notify("setup");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !read_lines(out_).empty(); }, 10, "setup call"));
  EXPECT_EQ(read_lines(out_), (std::vector<std::string>{"setup"}));
}

TEST_F(MonitorNotifierTest, HangingScriptIsKilledAtTimeoutAndNextCallRuns) {
  LogCapture log;
  std::string script = write_script(
      "if [ \"$1\" = hang ]; then\n"
      "  echo $$ > @T/hang.pid\n"
      "  sleep 30\n"
      "fi\n"
      "echo \"$1\" >> @T/notified");
  // Long enough for the script to record its pid even on a busy machine.
  Notifier n(loop_, script, {}, 2);
  n.notify("hang");
  n.notify("after");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !read_lines(out_).empty(); }, 10, "next call"));
  EXPECT_EQ(read_lines(out_), (std::vector<std::string>{"after"}));
  EXPECT_EQ(log.count("still runs after"), 1u) << log.all();
  pid_t hung = read_pid(tmp_.file("hang.pid"));
  ASSERT_GT(hung, 1);
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(hung); }, 10, "the hung script to die"));
}

// ---- Monitor ---------------------------------------------------------------

class FakeHost : public MonitorHost {
 public:
  FakeHost() { vnnmap_.generation = 12345; }

  uint32_t recmode() const override { return recmode_; }
  const proto::VnnMap& vnnmap() const override { return vnnmap_; }
  uint32_t own_flags() const override { return flags_; }
  void set_own_flags(uint32_t flags) override {
    flags_ = flags;
    flag_calls.push_back(flags);
    if (on_flags) on_flags(flags);
  }
  Runstate runstate() const override { return runstate_; }
  void set_runstate(Runstate r) override {
    runstate_ = r;
    runstates.push_back(r);
    if (r == RUNSTATE_RUNNING) running_at = monotonic_now();
  }
  uint32_t monitor_tunable(TunableId id) const override {
    auto it = tunables.find(id);
    if (it == tunables.end()) {
      ADD_FAILURE() << "unexpected tunable " << tunable_table()[id].name;
      return 0;
    }
    return it->second;
  }
  void startup_complete() override { startup_completes++; }

  uint32_t recmode_ = RECOVERY_NORMAL;
  proto::VnnMap vnnmap_;
  uint32_t flags_ = NODE_FLAGS_UNHEALTHY;  // a node starts unhealthy
  Runstate runstate_ = RUNSTATE_UNKNOWN;
  std::map<TunableId, uint32_t> tunables{{kMonitorInterval, 1},
                                         {kEventScriptTimeout, 10},
                                         {kMonitorTimeoutCount, 20},
                                         {kDisableWhenUnhealthy, 0},
                                         {kRerecoveryTimeout, 0}};
  std::vector<uint32_t> flag_calls;
  std::vector<Runstate> runstates;
  std::function<void(uint32_t)> on_flags;
  int startup_completes = 0;
  double running_at = -1;
};

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest() {
    mkdir(dir_.c_str(), 0755);
    // One event script for every event; files in the scratch dir make an
    // event fail (fail.EVENT) or hang (hang.EVENT).
    std::string s = dir_ + "/01.test";
    std::ofstream(s) << with_tmp(
        "#!/bin/sh\n"
        "echo \"$1\" >> @T/events.log\n"
        "if [ -e @T/fail.$1 ]; then echo \"$1 failed on purpose\"; exit 1; fi\n"
        "if [ -e @T/hang.$1 ]; then echo $$ > @T/hang.pid; sleep 30; fi\n"
        "exit 0\n",
        tmp_.path());
    chmod(s.c_str(), 0755);
    std::string n = tmp_.file("notify.sh");
    std::ofstream(n) << with_tmp("#!/bin/sh\necho \"$1\" >> @T/notified.log\n", tmp_.path());
    chmod(n.c_str(), 0755);
  }

  void TearDown() override {
    monitor_.reset();
    kill_recorded(tmp_.path());
  }

  void make_monitor(bool fast_start = true) {
    MonitorSettings settings;
    settings.event_script_dir = dir_;
    settings.notification_script = tmp_.file("notify.sh");
    settings.fast_start = fast_start;
    monitor_ = std::make_unique<Monitor>(loop_, host_, settings);
  }

  std::string flag(const std::string& what) { return tmp_.file(what); }
  size_t event_count(const std::string& event) { return count_lines(events_, event); }

  // init and setup, each waited for.
  void init_and_setup() {
    int init = -1, setup = -1;
    monitor_->run_init([&](bool ok) { init = ok; });
    EXPECT_EQ(host_.runstate_, RUNSTATE_INIT);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return init >= 0; }, 10, "init event"));
    EXPECT_EQ(init, 1);
    monitor_->run_setup([&](bool ok) { setup = ok; });
    EXPECT_EQ(host_.runstate_, RUNSTATE_SETUP);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return setup >= 0; }, 10, "setup event"));
    EXPECT_EQ(setup, 1);
  }

  // Runs the recovered event; returns the status its control would answer.
  int32_t recovered() {
    int32_t status = 99;
    bool done = false;
    monitor_->recovered([&](int32_t s) {
      status = s;
      done = true;
    });
    EXPECT_TRUE(spin_until(
        loop_, [&] { return done; }, 10, "recovered event"));
    return status;
  }

  int32_t startrecovery() {
    int32_t status = 99;
    bool done = false;
    monitor_->startrecovery([&](int32_t s) {
      status = s;
      done = true;
    });
    EXPECT_TRUE(spin_until(
        loop_, [&] { return done; }, 10, "startrecovery event"));
    return status;
  }

  // From nothing to RUNNING and healthy.
  void bring_up() {
    make_monitor();
    init_and_setup();
    monitor_->wait_for_first_recovery();
    EXPECT_EQ(host_.runstate_, RUNSTATE_FIRST_RECOVERY);
    EXPECT_EQ(recovered(), 0);
    ASSERT_TRUE(spin_until(
        loop_, [&] { return host_.runstate_ == RUNSTATE_RUNNING && host_.flags_ == 0; }, 10,
        "RUNNING and healthy"));
  }

  EventLoop loop_;
  TempDir tmp_;
  std::string dir_ = tmp_.file("events.d");
  std::string events_ = tmp_.file("events.log");
  std::string notified_ = tmp_.file("notified.log");
  FakeHost host_;
  std::unique_ptr<Monitor> monitor_;
};

TEST_F(MonitorTest, BringUpWalksRunStatesAndFirstMonitorClearsUnhealthy) {
  LogCapture log;
  bring_up();
  EXPECT_EQ(host_.runstates,
            (std::vector<Runstate>{RUNSTATE_INIT, RUNSTATE_SETUP, RUNSTATE_FIRST_RECOVERY,
                                   RUNSTATE_STARTUP, RUNSTATE_RUNNING}));
  EXPECT_EQ(host_.startup_completes, 1);
  EXPECT_EQ(host_.flag_calls, (std::vector<uint32_t>{0}));
  std::vector<std::string> events = read_lines(events_);
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(events.begin(), events.begin() + 5),
            (std::vector<std::string>{"init", "setup", "recovered", "startup", "monitor"}));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_lines(notified_).size() >= 4; }, 10, "four notifications"));
  EXPECT_EQ(read_lines(notified_),
            (std::vector<std::string>{"init", "setup", "startup", "healthy"}));
  EXPECT_EQ(log.count("Set runstate to RUNNING"), 1u) << log.all();
}

TEST_F(MonitorTest, FailedInitIsReportedAndNotNotified) {
  make_monitor();
  touch(flag("fail.init"));
  int init = -1;
  monitor_->run_init([&](bool ok) { init = ok; });
  ASSERT_TRUE(spin_until(
      loop_, [&] { return init >= 0; }, 10, "init event"));
  EXPECT_EQ(init, 0);
  EXPECT_EQ(read_lines(events_), (std::vector<std::string>{"init"}));
  EXPECT_TRUE(read_lines(notified_).empty());
}

TEST_F(MonitorTest, FailingMonitorSetsUnhealthyAndPassingClearsIt) {
  bring_up();
  host_.flag_calls.clear();
  touch(flag("fail.monitor"));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.flags_ & NODE_FLAGS_UNHEALTHY; }, 10, "UNHEALTHY"));
  EXPECT_EQ(host_.flags_, NODE_FLAGS_UNHEALTHY);
  unlink(flag("fail.monitor").c_str());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.flags_ == 0; }, 10, "healthy again"));
  EXPECT_EQ(host_.flag_calls, (std::vector<uint32_t>{NODE_FLAGS_UNHEALTHY, 0}));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_lines(notified_).size() >= 6; }, 10, "six notifications"));
  EXPECT_EQ(read_lines(notified_), (std::vector<std::string>{"init", "setup", "startup", "healthy",
                                                             "unhealthy", "healthy"}));
  ASSERT_TRUE(monitor_->runner().last_run(EVENT_MONITOR).has_value());
}

TEST_F(MonitorTest, DisableWhenUnhealthyAlsoDisablesPermanently) {
  host_.tunables[kDisableWhenUnhealthy] = 1;
  bring_up();
  host_.flag_calls.clear();
  touch(flag("fail.monitor"));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.flags_ & NODE_FLAGS_UNHEALTHY; }, 10, "UNHEALTHY"));
  EXPECT_EQ(host_.flags_, NODE_FLAGS_UNHEALTHY | NODE_FLAGS_PERMANENTLY_DISABLED);
  unlink(flag("fail.monitor").c_str());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !(host_.flags_ & NODE_FLAGS_UNHEALTHY); }, 10, "UNHEALTHY cleared"));
  EXPECT_EQ(host_.flags_, NODE_FLAGS_PERMANENTLY_DISABLED) << "an administrator enables it";
  EXPECT_EQ(host_.flag_calls,
            (std::vector<uint32_t>{NODE_FLAGS_UNHEALTHY | NODE_FLAGS_PERMANENTLY_DISABLED,
                                   NODE_FLAGS_PERMANENTLY_DISABLED}));
}

TEST_F(MonitorTest, MonitorTimeoutCountNeedsTimeoutsInARow) {
  LogCapture log;
  host_.tunables[kMonitorTimeoutCount] = 2;
  bring_up();
  host_.flag_calls.clear();
  size_t timeouts_at_flag_change = 0;
  host_.on_flags = [&](uint32_t) {
    timeouts_at_flag_change = log.count("monitor event timed out after");
  };
  // Only now a short timeout: the events of the bring-up must not time out
  // on a busy machine.
  host_.tunables[kEventScriptTimeout] = 1;
  touch(flag("hang.monitor"));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.flags_ & NODE_FLAGS_UNHEALTHY; }, 15, "UNHEALTHY after timeouts"));
  EXPECT_EQ(timeouts_at_flag_change, 2u) << log.all();
  EXPECT_EQ(log.count("Monitor event timed out (1 of 2 in a row)"), 1u) << log.all();
  EXPECT_EQ(log.count("Maximum monitor timeout count 2 reached"), 1u) << log.all();
  EXPECT_EQ(host_.flag_calls, (std::vector<uint32_t>{NODE_FLAGS_UNHEALTHY}));
  const auto& last = monitor_->runner().last_run(EVENT_MONITOR);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->scripts.at(0).status, -ETIME);
}

TEST_F(MonitorTest, FailingStartupKeepsStartupStateAndIsRetried) {
  LogCapture log;
  make_monitor();
  init_and_setup();
  touch(flag("fail.startup"));
  monitor_->wait_for_first_recovery();
  EXPECT_EQ(recovered(), 0);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return log.count("trying again in") == 1; }, 10, "the startup event to fail"));
  EXPECT_EQ(host_.runstate_, RUNSTATE_STARTUP);
  EXPECT_EQ(host_.startup_completes, 0);
  EXPECT_EQ(event_count("monitor"), 0u);
  unlink(flag("fail.startup").c_str());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.runstate_ == RUNSTATE_RUNNING; }, 15, "startup retried"));
  EXPECT_EQ(event_count("startup"), 2u);
  EXPECT_EQ(host_.startup_completes, 1);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.flags_ == 0; }, 10, "healthy"));
}

TEST_F(MonitorTest, MonitoringSkippedInRecoveryAndWhenStopped) {
  LogCapture log;
  bring_up();
  const std::string in_recovery = "Skipping monitor event: in recovery";
  const std::string inactive = "Skipping monitor event: node inactive";
  host_.recmode_ = RECOVERY_ACTIVE;
  // Checks happen only when no monitor runs, so equal counts at two
  // consecutive skips mean none ran in between.
  ASSERT_TRUE(spin_until(
      loop_, [&] { return log.count(in_recovery) >= 1; }, 10, "a skip"));
  size_t before = event_count("monitor");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return log.count(in_recovery) >= 2; }, 10, "2nd skip"));
  EXPECT_EQ(event_count("monitor"), before);

  host_.recmode_ = RECOVERY_NORMAL;
  host_.flags_ |= NODE_FLAGS_STOPPED;
  ASSERT_TRUE(spin_until(
      loop_, [&] { return log.count(inactive) >= 1; }, 10, "a skip"));
  before = event_count("monitor");
  ASSERT_TRUE(spin_until(
      loop_, [&] { return log.count(inactive) >= 2; }, 10, "2nd skip"));
  EXPECT_EQ(event_count("monitor"), before);

  host_.flags_ &= ~NODE_FLAGS_STOPPED;
  ASSERT_TRUE(spin_until(
      loop_, [&] { return event_count("monitor") > before; }, 10, "monitoring to resume"));
  EXPECT_EQ(host_.flag_calls, (std::vector<uint32_t>{0})) << "skips leave health alone";
}

TEST_F(MonitorTest, ShutdownRunsShutdownEventThenCallsDone) {
  bring_up();
  bool done = false;
  monitor_->shutdown([&] { done = true; });
  EXPECT_EQ(host_.runstate_, RUNSTATE_SHUTDOWN);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return done; }, 10, "shutdown done"));
  EXPECT_EQ(event_count("shutdown"), 1u);
  EXPECT_EQ(read_lines(events_).back(), "shutdown");
  std::string error;
  EXPECT_FALSE(monitor_->run_event(
      EVENT_IPREALLOCATED, {}, [](EventResult) { ADD_FAILURE() << "ran after shutdown"; }, &error));
  EXPECT_FALSE(error.empty());
}

TEST_F(MonitorTest, ShutdownDoesNotWaitForAHungMonitor) {
  bring_up();
  touch(flag("hang.monitor"));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_pid(flag("hang.pid")) > 1; }, 10, "a hung monitor"));
  pid_t hung = read_pid(flag("hang.pid"));
  bool done = false;
  monitor_->shutdown([&] { done = true; });
  // Well before the 10 s EventScriptTimeout: the monitor gives way.
  ASSERT_TRUE(spin_until(
      loop_, [&] { return done; }, 5, "shutdown done"));
  EXPECT_EQ(read_lines(events_).back(), "shutdown");
  EXPECT_EQ(host_.flag_calls, (std::vector<uint32_t>{0})) << "a cancelled monitor judges nothing";
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(hung); }, 10, "the monitor to die"));
}

TEST_F(MonitorTest, RecoveryEventsAnswerMinusOneOnFailureAndIgnoreHungScripts) {
  LogCapture log;
  make_monitor();
  EXPECT_EQ(startrecovery(), 0);
  EXPECT_EQ(recovered(), 0);
  touch(flag("fail.startrecovery"));
  touch(flag("fail.recovered"));
  EXPECT_EQ(startrecovery(), -1);
  EXPECT_EQ(recovered(), -1);
  unlink(flag("fail.recovered").c_str());
  touch(flag("hang.recovered"));
  host_.tunables[kEventScriptTimeout] = 1;
  EXPECT_EQ(recovered(), 0) << "a hung recovered script does not fail the recovery";
  host_.tunables[kEventScriptTimeout] = 10;
  EXPECT_EQ(log.count("Ignoring hung script for recovered event"), 1u) << log.all();
  // The databases are being recovered: only some events may run.
  host_.recmode_ = RECOVERY_ACTIVE;
  EXPECT_EQ(startrecovery(), -1) << "still failing, but allowed to run";
  EXPECT_EQ(recovered(), -1) << "refused during recovery";
  EXPECT_EQ(event_count("startrecovery"), 3u);
  EXPECT_EQ(event_count("recovered"), 3u);
}

TEST_F(MonitorTest, WithoutFastStartStartupWaitsAfterRecovery) {
  LogCapture log;
  make_monitor(/*fast_start=*/false);
  init_and_setup();
  monitor_->wait_for_first_recovery();
  double asked = monotonic_now();
  EXPECT_EQ(recovered(), 0);
  EXPECT_EQ(host_.runstate_, RUNSTATE_STARTUP);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.runstate_ == RUNSTATE_RUNNING; }, 10, "RUNNING"));
  // RerecoveryTimeout (0) + 3 s after the recovery finished.
  EXPECT_GE(host_.running_at - asked, 3.0);
  EXPECT_GE(log.count("Startup waits: waiting for pending recoveries to end"), 1u) << log.all();
  EXPECT_EQ(host_.startup_completes, 1);
}

}  // namespace
}  // namespace ctdb::daemon::monitor
