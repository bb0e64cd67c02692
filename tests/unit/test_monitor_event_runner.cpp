// Unit tests for the event script directory rules and the EventRunner: real
// shell scripts in a scratch directory, run from a real EventLoop.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "daemon/monitor/event_runner.h"
#include "daemon/monitor/script_dir.h"
#include "test_common_helpers.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon::monitor {
namespace {

using unit::TempDir;

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

// The outcome of one EventRunner::run, filled in by its done callback.
struct Outcome {
  bool done = false;
  int calls = 0;
  EventResult result = EventResult::kOk;
};

class EventRunnerTest : public ::testing::Test {
 protected:
  EventRunnerTest() : dir_(tmp_.path() + "/events.d") { mkdir(dir_.c_str(), 0755); }

  void TearDown() override {
    kill_recorded(tmp_.path());  // whatever a failed test left running
  }

  // Writes an event script (a /bin/sh script) with the given mode; "@T" in
  // `body` stands for the scratch directory.
  std::string script(const std::string& name, const std::string& body, mode_t mode = 0755) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << with_tmp(body, tmp_.path()) << "\n";
    chmod(path.c_str(), mode);
    return path;
  }

  std::string file(const std::string& name) const { return tmp_.file(name); }

  // Starts `event`; the done callback must never run inside run() itself.
  std::shared_ptr<Outcome> start(EventRunner& r, uint32_t event, std::vector<std::string> args,
                                 double timeout) {
    auto o = std::make_shared<Outcome>();
    auto inside = std::make_shared<bool>(true);
    bool ok = r.run(event, std::move(args), timeout, [o, inside](EventResult res) {
      EXPECT_FALSE(*inside) << "done called from inside run()";
      o->done = true;
      o->calls++;
      o->result = res;
    });
    *inside = false;
    EXPECT_TRUE(ok);
    return o;
  }

  bool wait_done(const std::shared_ptr<Outcome>& o, double limit = 10) {
    return spin_until(
        loop_, [&] { return o->done; }, limit, "event done");
  }

  EventLoop loop_;
  TempDir tmp_;
  std::string dir_;
};

// ---- script_dir ------------------------------------------------------------

TEST(ScriptDirTest, AcceptsOnlyEventScriptNames) {
  for (const char* ok : {"00.ctdb", "50.samba", "99.a-b_c.d", "10.x"}) {
    EXPECT_TRUE(is_script_name(ok)) << ok;
  }
  std::string longest = "10." + std::string(MAX_SCRIPT_NAME - 3, 'a');
  EXPECT_TRUE(is_script_name(longest)) << longest.size();
  for (const char* bad :
       {"ctdb", "1.x", "ab.c", "10.x~", "10.x.rpmsave", "10.x.rpmnew", "10.x.dpkg-old",
        "10.x.dpkg-dist", "10.", "10x", "10.a b", "10.a/b", ""}) {
    EXPECT_FALSE(is_script_name(bad)) << bad;
  }
  EXPECT_FALSE(is_script_name(longest + "a")) << "32 characters";
}

TEST(ScriptDirTest, ListsScriptFilesSortedWithOwnerExecBit) {
  TempDir tmp;
  auto make = [&](const std::string& name, mode_t mode) {
    std::string p = tmp.write(name, "#!/bin/sh\n");
    chmod(p.c_str(), mode);
  };
  make("50.samba", 0755);
  make("00.ctdb", 0700);
  make("99.a-b_c.d", 0644);
  make("20.group-only", 0655);  // group and other may run it, the owner may not
  make("ctdb", 0755);
  make("1.x", 0755);
  make("10.x~", 0755);
  make("10.x.rpmsave", 0755);
  make("10.x.dpkg-old", 0755);
  make("10." + std::string(29, 'z'), 0755);  // 32 characters
  mkdir(tmp.file("10.dir").c_str(), 0755);
  ASSERT_EQ(symlink(tmp.file("50.samba").c_str(), tmp.file("60.link").c_str()), 0);
  make("70.nfs.script", 0755);  // 4.17's events/legacy form: named without the suffix
  make("80.x.script~", 0755);

  std::vector<ScriptFile> list;
  bool missing = true;
  std::string error;
  ASSERT_TRUE(list_scripts(tmp.path(), &list, &missing, &error)) << error;
  EXPECT_FALSE(missing);
  std::vector<std::string> names;
  std::vector<bool> enabled;
  for (const auto& s : list) {
    names.push_back(s.name);
    enabled.push_back(s.enabled);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"00.ctdb", "20.group-only", "50.samba", "60.link",
                                             "70.nfs", "99.a-b_c.d"}));
  EXPECT_EQ(enabled, (std::vector<bool>{true, false, true, true, true, false}));
  EXPECT_EQ(list[4].file, "70.nfs.script");
}

TEST(ScriptDirTest, MissingDirectoryIsAnEmptyList) {
  TempDir tmp;
  std::vector<ScriptFile> list{{"stale", "stale", true}};
  bool missing = false;
  std::string error;
  ASSERT_TRUE(list_scripts(tmp.file("nope"), &list, &missing, &error));
  EXPECT_TRUE(missing);
  EXPECT_TRUE(list.empty());
}

TEST(ScriptDirTest, SetScriptEnabledTogglesEveryExecBit) {
  TempDir tmp;
  std::string p = tmp.write("10.x", "#!/bin/sh\n");
  chmod(p.c_str(), 0640);
  auto mode = [&] {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  };
  std::string error;
  ASSERT_TRUE(set_script_enabled(tmp.path(), "10.x", true, &error)) << error;
  EXPECT_EQ(mode(), 0751u);
  ASSERT_TRUE(set_script_enabled(tmp.path(), "10.x", false, &error)) << error;
  EXPECT_EQ(mode(), 0640u);

  error.clear();
  EXPECT_FALSE(set_script_enabled(tmp.path(), "20.missing", true, &error));
  EXPECT_NE(error.find("20.missing"), std::string::npos) << error;
  tmp.write("README", "not a script\n");
  error.clear();
  EXPECT_FALSE(set_script_enabled(tmp.path(), "README", true, &error));
  EXPECT_FALSE(error.empty());
  mkdir(tmp.file("30.dir").c_str(), 0755);
  EXPECT_FALSE(set_script_enabled(tmp.path(), "30.dir", false, &error));

  // A link (4.17's events/legacy): disabling removes it and leaves the shared file alone.
  std::string shared = tmp.write("shared.sh", "#!/bin/sh\n");
  chmod(shared.c_str(), 0755);
  ASSERT_EQ(symlink(shared.c_str(), tmp.file("40.linked.script").c_str()), 0);
  ASSERT_TRUE(set_script_enabled(tmp.path(), "40.linked", true, &error)) << error;
  ASSERT_TRUE(set_script_enabled(tmp.path(), "40.linked", false, &error)) << error;
  struct stat st {};
  EXPECT_NE(lstat(tmp.file("40.linked.script").c_str(), &st), 0);
  ASSERT_EQ(stat(shared.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

// ---- EventRunner -----------------------------------------------------------

TEST_F(EventRunnerTest, RunsScriptsInNameOrderWithEventAndArguments) {
  std::string calls = file("calls");
  std::string body = "echo \"$(basename \"$0\") $*\" >> @T/calls";
  script("20.b", body);
  script("10.a", body);
  script("15.off", body, 0644);  // disabled
  EventRunner r(loop_, {dir_, {}, ""});
  auto o = start(r, EVENT_TAKE_IP, {"eth0", "10.0.0.1", "24"}, 10);
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kOk);
  EXPECT_EQ(read_lines(calls), (std::vector<std::string>{"10.a takeip eth0 10.0.0.1 24",
                                                         "20.b takeip eth0 10.0.0.1 24"}));
  const auto& last = r.last_run(EVENT_TAKE_IP);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->scripts.size(), 3u);
  EXPECT_EQ(last->scripts[0].name, "10.a");
  EXPECT_EQ(last->scripts[0].status, 0);
  EXPECT_EQ(last->scripts[1].name, "15.off");
  EXPECT_EQ(last->scripts[1].status, -ENOEXEC);
  EXPECT_EQ(last->scripts[2].name, "20.b");
  EXPECT_EQ(last->scripts[2].status, 0);
  EXPECT_FALSE(r.last_run(EVENT_RELEASE_IP).has_value());
  EXPECT_TRUE(r.idle());
}

TEST_F(EventRunnerTest, SettingsEnvironmentReachesScriptsAndOverridesInherited) {
  setenv("CTDB_UNIT_INHERITED", "from-parent", 1);
  setenv("CTDB_UNIT_KEPT", "kept", 1);
  script("10.env", "echo \"$CTDB_UNIT_INHERITED $CTDB_UNIT_NEW $CTDB_UNIT_KEPT\"");
  EventRunner r(loop_, {dir_, {"CTDB_UNIT_INHERITED=override", "CTDB_UNIT_NEW=new"}, ""});
  auto o = start(r, EVENT_MONITOR, {}, 10);
  bool ok = wait_done(o);
  unsetenv("CTDB_UNIT_INHERITED");
  unsetenv("CTDB_UNIT_KEPT");
  ASSERT_TRUE(ok);
  EXPECT_EQ(o->result, EventResult::kOk);
  ASSERT_TRUE(r.last_run(EVENT_MONITOR).has_value());
  ASSERT_EQ(r.last_run(EVENT_MONITOR)->scripts.size(), 1u);
  EXPECT_EQ(r.last_run(EVENT_MONITOR)->scripts[0].output, "override new kept\n");
}

TEST_F(EventRunnerTest, ScriptGetsDefaultSignalsAndOnlyStandardDescriptors) {
  // The daemon ignores SIGPIPE, blocks signals and has descriptors open
  // without close-on-exec; none of that may reach a script.
  int leaked = open(tmp_.path().c_str(), O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 0);
  struct sigaction ign = {};
  struct sigaction old_pipe = {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &old_mask);

  // grep reports its own masks: what the script inherited (bash passes both on to what it runs,
  // while its own blocked set changes for moments around each fork, which made reading the
  // shell's status flaky).
  script("10.proc",
         "grep -E '^Sig(Ign|Blk):' /proc/self/status\n"
         "echo fds: $(ls /proc/self/fd)\n"
         "echo stdin: $(readlink /proc/self/fd/0)");
  EventRunner r(loop_, {dir_, {}, ""});
  auto o = start(r, EVENT_MONITOR, {}, 10);
  bool ok = wait_done(o);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  close(leaked);
  ASSERT_TRUE(ok);
  EXPECT_EQ(o->result, EventResult::kOk);
  ASSERT_TRUE(r.last_run(EVENT_MONITOR).has_value());
  const std::string& out = r.last_run(EVENT_MONITOR)->scripts.at(0).output;
  EXPECT_NE(out.find("SigIgn:\t0000000000000000\n"), std::string::npos) << out;
  EXPECT_NE(out.find("SigBlk:\t0000000000000000\n"), std::string::npos) << out;
  // 3 is the directory ls itself reads; anything more leaked from us.
  EXPECT_NE(out.find("fds: 0 1 2 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("stdin: /dev/null\n"), std::string::npos) << out;
}

TEST_F(EventRunnerTest, FailingScriptStopsTheEvent) {
  LogCapture log;
  script("10.ok", "echo fine");
  script("20.fail", "echo 'bad thing happened'; echo 'on stderr' >&2; exit 3");
  script("30.never", "touch @T/30.ran");
  EventRunner r(loop_, {dir_, {}, ""});
  auto o = start(r, EVENT_STARTUP, {}, 10);
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kFailed);
  EXPECT_FALSE(exists(file("30.ran")));
  const auto& last = r.last_run(EVENT_STARTUP);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->scripts.size(), 2u);
  EXPECT_EQ(last->scripts[0].name, "10.ok");
  EXPECT_EQ(last->scripts[0].status, 0);
  EXPECT_EQ(last->scripts[0].output, "fine\n");
  EXPECT_EQ(last->scripts[1].name, "20.fail");
  EXPECT_EQ(last->scripts[1].status, 3);
  EXPECT_EQ(last->scripts[1].output, "bad thing happened\non stderr\n");
  EXPECT_EQ(log.count("20.fail: bad thing happened"), 1u) << log.all();
}

TEST_F(EventRunnerTest, TimeoutKillsTheScriptsWholeProcessGroup) {
  script("10.hang",
         "sleep 30 &\n"
         "echo $! > @T/bg.pid\n"
         "echo $$ > @T/sh.pid\n"
         "echo started\n"
         "wait");
  script("20.never", "touch @T/20.ran");
  EventRunner r(loop_, {dir_, {}, ""});
  // Long enough for the script to record its pids even on a busy machine.
  auto o = start(r, EVENT_STARTUP, {}, 2);
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kTimedOut);
  EXPECT_FALSE(exists(file("20.ran")));
  const auto& last = r.last_run(EVENT_STARTUP);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->scripts.size(), 1u);
  EXPECT_EQ(last->scripts[0].status, -ETIME);
  EXPECT_EQ(last->scripts[0].output, "started\n");
  pid_t sh = read_pid(file("sh.pid"));
  pid_t bg = read_pid(file("bg.pid"));
  ASSERT_GT(sh, 1);
  ASSERT_GT(bg, 1);
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(sh) && pid_gone(bg); }, 10,
      "the timed-out script and its background child to die"));
}

TEST_F(EventRunnerTest, ChildHoldingStdoutDoesNotDelayCompletion) {
  script("10.detach", "sleep 30 &\necho $! > @T/bg.pid\necho detached");
  script("20.next", "echo next");
  EventRunner r(loop_, {dir_, {}, ""});
  auto o = start(r, EVENT_MONITOR, {}, 60);
  // Far below the event timeout: the runner must not wait for the pipe's end.
  ASSERT_TRUE(wait_done(o, 15));
  EXPECT_EQ(o->result, EventResult::kOk);
  const auto& last = r.last_run(EVENT_MONITOR);
  ASSERT_TRUE(last.has_value());
  ASSERT_EQ(last->scripts.size(), 2u);
  EXPECT_EQ(last->scripts[0].output, "detached\n");
  EXPECT_EQ(last->scripts[1].output, "next\n");
  pid_t bg = read_pid(file("bg.pid"));
  ASSERT_GT(bg, 1);
  EXPECT_FALSE(pid_gone(bg)) << "a child a successful script left is not killed";
}

TEST_F(EventRunnerTest, NewEventCancelsRunningMonitor) {
  // The monitor hangs only while the file "hang" exists.
  script("10.s",
         "echo \"$1\" >> @T/calls\n"
         "if [ \"$1\" = monitor ] && [ -e @T/hang ]; then\n"
         "  echo $$ > @T/mon.pid\n"
         "  sleep 30\n"
         "fi");
  EventRunner r(loop_, {dir_, {}, ""});
  auto first = start(r, EVENT_MONITOR, {}, 10);
  ASSERT_TRUE(wait_done(first));
  ASSERT_EQ(first->result, EventResult::kOk);
  ASSERT_TRUE(r.last_run(EVENT_MONITOR).has_value());
  const proto::Script before = r.last_run(EVENT_MONITOR)->scripts.at(0);

  std::ofstream(file("hang")) << "";
  auto mon = start(r, EVENT_MONITOR, {}, 20);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_pid(file("mon.pid")) > 1; }, 10, "the monitor script to start"));
  pid_t mon_pid = read_pid(file("mon.pid"));
  auto take = start(r, EVENT_TAKE_IP, {"eth0", "10.0.0.1", "24"}, 10);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return mon->done && take->done; }, 10, "both events"));
  EXPECT_EQ(mon->result, EventResult::kCancelled);
  EXPECT_EQ(take->result, EventResult::kOk);
  EXPECT_EQ(mon->calls, 1);
  EXPECT_EQ(take->calls, 1);
  EXPECT_EQ(read_lines(file("calls")), (std::vector<std::string>{"monitor", "monitor", "takeip"}));
  ASSERT_TRUE(r.last_run(EVENT_MONITOR).has_value());
  ASSERT_EQ(r.last_run(EVENT_MONITOR)->scripts.size(), 1u);
  const proto::Script& after = r.last_run(EVENT_MONITOR)->scripts[0];
  EXPECT_EQ(after.start, before.start) << "a cancelled monitor leaves the last status alone";
  EXPECT_EQ(after.finished, before.finished);
  EXPECT_EQ(after.status, 0);
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(mon_pid); }, 10, "the cancelled monitor script to die"));
}

TEST_F(EventRunnerTest, MonitorAskedForDuringAnotherEventIsCancelledWithoutRunning) {
  script("10.s",
         "echo \"$1\" >> @T/calls\n"
         "if [ \"$1\" = startup ]; then\n"
         "  n=0\n"
         "  while [ ! -e @T/release ] && [ $n -lt 400 ]; do\n"
         "    sleep 0.05; n=$((n + 1))\n"
         "  done\n"
         "fi");
  EventRunner r(loop_, {dir_, {}, ""});
  auto startup = start(r, EVENT_STARTUP, {}, 30);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return exists(file("calls")); }, 10, "startup to run"));
  auto mon = start(r, EVENT_MONITOR, {}, 10);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return mon->done; }, 10, "the monitor answer"));
  EXPECT_EQ(mon->result, EventResult::kCancelled);
  EXPECT_FALSE(startup->done) << "the running event goes on";
  std::ofstream(file("release")) << "";
  ASSERT_TRUE(wait_done(startup));
  EXPECT_EQ(startup->result, EventResult::kOk);
  EXPECT_EQ(read_lines(file("calls")), (std::vector<std::string>{"startup"}));
  EXPECT_FALSE(r.last_run(EVENT_MONITOR).has_value());
}

TEST_F(EventRunnerTest, WrongArgumentCountIsRefusedWithoutCallback) {
  LogCapture log;
  script("10.s", "echo \"$*\" >> @T/calls");
  EventRunner r(loop_, {dir_, {}, ""});
  bool bad_called = false;
  EXPECT_FALSE(r.run(EVENT_TAKE_IP, {"eth0"}, 10, [&](EventResult) { bad_called = true; }));
  EXPECT_FALSE(r.run(EVENT_MONITOR, {"extra"}, 10, [&](EventResult) { bad_called = true; }));
  EXPECT_FALSE(r.run(EVENT_STOPPED, {}, 10, [&](EventResult) { bad_called = true; }));
  EXPECT_FALSE(r.run(EVENT_MAX, {}, 10, [&](EventResult) { bad_called = true; }));
  EXPECT_TRUE(r.idle());
  // A valid event afterwards runs alone; by its end any stray callback would have come.
  auto o = start(r, EVENT_RELEASE_IP, {"eth0", "10.0.0.1", "24"}, 10);
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kOk);
  EXPECT_FALSE(bad_called);
  EXPECT_EQ(read_lines(file("calls")), (std::vector<std::string>{"releaseip eth0 10.0.0.1 24"}));
  EXPECT_GE(log.count("Bad event script arguments for event takeip"), 1u) << log.all();
}

TEST_F(EventRunnerTest, MissingDirectoryIsOkWithEmptyList) {
  EventRunner r(loop_, {tmp_.file("no-such-dir"), {}, ""});
  auto o = start(r, EVENT_MONITOR, {}, 10);  // start() checks done is not called inside run()
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kOk);
  ASSERT_TRUE(r.last_run(EVENT_MONITOR).has_value());
  EXPECT_TRUE(r.last_run(EVENT_MONITOR)->scripts.empty());
}

TEST_F(EventRunnerTest, CancelAllCancelsRunningAndQueued) {
  script("10.s",
         "echo \"$1\" >> @T/calls\n"
         "if [ \"$1\" = startup ]; then echo $$ > @T/s.pid; sleep 30; fi");
  EventRunner r(loop_, {dir_, {}, ""});
  auto startup = start(r, EVENT_STARTUP, {}, 30);
  auto queued = start(r, EVENT_IPREALLOCATED, {}, 30);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return read_pid(file("s.pid")) > 1; }, 10, "startup to run"));
  pid_t pid = read_pid(file("s.pid"));
  r.cancel_all();
  EXPECT_FALSE(startup->done) << "cancel_all answers from the loop, not inline";
  EXPECT_FALSE(queued->done);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return startup->done && queued->done; }, 5, "answers"));
  EXPECT_EQ(startup->result, EventResult::kCancelled);
  EXPECT_EQ(queued->result, EventResult::kCancelled);
  EXPECT_TRUE(r.idle());
  EXPECT_FALSE(r.last_run(EVENT_STARTUP).has_value());
  EXPECT_EQ(read_lines(file("calls")), (std::vector<std::string>{"startup"}));
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(pid); }, 10, "the script to die"));
}

TEST_F(EventRunnerTest, DebugScriptRunsWhileHungScriptLivesThenGroupDies) {
  LogCapture log;
  script("10.hang",
         "echo $$ > @T/hang.pid\n"
         "sleep 30 &\n"
         "echo $! > @T/bg.pid\n"
         "wait");
  std::string debug = file("debug.sh");
  std::ofstream(debug) << "#!/bin/sh\n"
                       << "if kill -0 \"$1\"; then s=alive; else s=dead; fi\n"
                       << "echo \"debug $1 $2 $s\"\n";
  chmod(debug.c_str(), 0755);
  EventRunner r(loop_, {dir_, {}, debug});
  auto o = start(r, EVENT_MONITOR, {}, 2);
  ASSERT_TRUE(wait_done(o));
  EXPECT_EQ(o->result, EventResult::kTimedOut);
  pid_t hung = read_pid(file("hang.pid"));
  pid_t bg = read_pid(file("bg.pid"));
  ASSERT_GT(hung, 1);
  ASSERT_GT(bg, 1);
  std::string expect = "debug script: debug " + std::to_string(hung) + " monitor alive";
  EXPECT_TRUE(spin_until(
      loop_, [&] { return log.count(expect) == 1; }, 10, "the debug script's output in the log"))
      << log.all();
  EXPECT_TRUE(spin_until(
      loop_, [&] { return pid_gone(hung) && pid_gone(bg); }, 10,
      "the hung group to die after the debug script"));
  EXPECT_EQ(log.count("Running debug script " + debug + " " + std::to_string(hung) + " monitor"),
            1u)
      << log.all();
}

}  // namespace
}  // namespace ctdb::daemon::monitor
