// ctdbd's command line: values, repeated options and refusals (daemon/options.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/options.h"
#include "test_common_helpers.h"

namespace ctdb::daemon {
namespace {

using unit::TempDir;

// Each test gets its own CTDB_BASE (else /etc/ctdb/ctdb.conf of the machine would be read) and
// no CTDB_SOCKET / CTDB_TEST_MODE from the caller.
class DaemonOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"CTDB_BASE", "CTDB_SOCKET", "CTDB_TEST_MODE"}) {
      const char* v = getenv(name);
      saved_.push_back({name, v != nullptr ? v : "", v != nullptr});
      unsetenv(name);
    }
    setenv("CTDB_BASE", base_.path().c_str(), 1);
  }
  void TearDown() override {
    for (const auto& s : saved_) {
      if (s.set) {
        setenv(s.name, s.value.c_str(), 1);
      } else {
        unsetenv(s.name);
      }
    }
  }
  struct Saved {
    const char* name;
    std::string value;
    bool set;
  };
  std::vector<Saved> saved_;
  TempDir base_;
};

ParseResult parse(std::vector<const char*> args, DaemonOptions* opts, std::string* error) {
  args.insert(args.begin(), "ctdbd");
  return parse_options(static_cast<int>(args.size()), args.data(), opts, error);
}

TEST_F(DaemonOptionsTest, ValuesReachTheOptions) {
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({"--socket=/tmp/s", "--listen=127.0.0.1", "--reclock=/r/lock", "-d", "INFO",
                   "--reclock-recheck-interval=7", "--start-as-disabled"},
                  &opts, &error),
            ParseResult::kRun)
      << error;
  EXPECT_EQ(opts.socket, "/tmp/s");
  EXPECT_EQ(opts.listen, "127.0.0.1");
  EXPECT_EQ(opts.reclock, "/r/lock");
  EXPECT_EQ(opts.debug, "INFO");
  EXPECT_EQ(opts.reclock_recheck_interval, 7);
  EXPECT_TRUE(opts.start_as_disabled);
  EXPECT_EQ(opts.dbdir, "/var/lib/ctdb/volatile");  // not given: 4.17's default
  EXPECT_EQ(opts.nlist, base_.file("nodes"));
  EXPECT_EQ(opts.event_script_dir, base_.file("events/legacy"));
  EXPECT_EQ(opts.pidfile, "");  // a socket of its own: no default pid file
}

// The last one wins, as with 4.17's popt table; the first value is not leaked (the unit tests
// run under LeakSanitizer, which found it in a daemon started with --event-script-dir twice).
TEST_F(DaemonOptionsTest, AStringOptionGivenTwiceKeepsTheLastValue) {
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({"--event-script-dir=/first/events.d", "--socket=/tmp/a",
                   "--event-script-dir=/second/events.d", "--socket=/tmp/b"},
                  &opts, &error),
            ParseResult::kRun)
      << error;
  EXPECT_EQ(opts.event_script_dir, "/second/events.d");
  EXPECT_EQ(opts.socket, "/tmp/b");
}

TEST_F(DaemonOptionsTest, BadInputIsOneLineOfError) {
  DaemonOptions opts;
  std::string error;
  EXPECT_EQ(parse({"--socket=/tmp/a", "--no-such-option"}, &opts, &error), ParseResult::kError);
  EXPECT_NE(error.find("--no-such-option"), std::string::npos) << error;
  EXPECT_EQ(parse({"--transport=ib"}, &opts, &error), ParseResult::kError);
  EXPECT_NE(error.find("unsupported transport 'ib'"), std::string::npos) << error;
  EXPECT_EQ(parse({"--reclock-recheck-interval=-3"}, &opts, &error), ParseResult::kError);
  EXPECT_NE(error.find("must be 0 or more seconds, not -3"), std::string::npos) << error;
  EXPECT_EQ(parse({"stray"}, &opts, &error), ParseResult::kError);
  EXPECT_EQ(error, "ctdbd: unexpected argument 'stray'");
}

// No options at all: 4.17's layout, with ctdb.conf's settings.
TEST_F(DaemonOptionsTest, WithoutOptionsCtdbConfAndTheLayoutDecide) {
  std::string vol = base_.file("vol");
  mkdir(vol.c_str(), 0755);
  base_.write("ctdb.conf",
              "[logging]\n location = syslog\n log level = INFO\n"
              "[cluster]\n cluster lock = !/bin/helper /shared/lock 3\n node address = 127.0.0.5\n"
              " leader timeout = 9\n leader capability = false\n"
              "[database]\n volatile database directory = " +
                  vol +
                  "\n"
                  "[legacy]\n realtime scheduling = false\n lmaster capability = no\n"
                  " start as disabled = yes\n script log level = NOTICE\n");
  base_.write("notify.sh", "#!/bin/sh\n");
  base_.write("public_addresses", "10.0.0.1/24 eth0\n");
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({}, &opts, &error), ParseResult::kRun) << error;
  EXPECT_TRUE(opts.syslog);
  EXPECT_EQ(opts.debug, "INFO");
  EXPECT_EQ(opts.reclock, "!/bin/helper /shared/lock 3");
  EXPECT_EQ(opts.listen, "127.0.0.5");
  EXPECT_EQ(opts.leader_timeout, 9);
  EXPECT_TRUE(opts.no_recmaster);
  EXPECT_TRUE(opts.no_lmaster);
  EXPECT_TRUE(opts.nosetsched);
  EXPECT_TRUE(opts.start_as_disabled);
  EXPECT_EQ(opts.script_log_level, "NOTICE");
  EXPECT_EQ(opts.dbdir, vol);
  EXPECT_EQ(opts.dbdir_persistent, "/var/lib/ctdb/persistent");
  EXPECT_EQ(opts.nlist, base_.file("nodes"));
  EXPECT_EQ(opts.notification_script, base_.file("notify.sh"));
  EXPECT_EQ(opts.public_addresses, base_.file("public_addresses"));
  EXPECT_EQ(opts.socket, "/var/run/ctdb/ctdbd.socket");
  EXPECT_EQ(opts.pidfile, "/var/run/ctdb/ctdbd.pid");

  // The command line wins over the file.
  ASSERT_EQ(
      parse({"--logfile=/tmp/x.log", "-d", "ERROR", "--reclock=/other/lock", "--listen=127.0.0.6"},
            &opts, &error),
      ParseResult::kRun)
      << error;
  EXPECT_FALSE(opts.syslog);
  EXPECT_EQ(opts.logfile, "/tmp/x.log");
  EXPECT_EQ(opts.debug, "ERROR");
  EXPECT_EQ(opts.reclock, "/other/lock");
  EXPECT_EQ(opts.listen, "127.0.0.6");
}

TEST_F(DaemonOptionsTest, TestModeKeepsEverythingUnderCtdbBase) {
  setenv("CTDB_TEST_MODE", "yes", 1);
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({}, &opts, &error), ParseResult::kRun) << error;
  EXPECT_EQ(opts.socket, base_.file("run/ctdbd.socket"));
  EXPECT_EQ(opts.pidfile, base_.file("run/ctdbd.pid"));
  EXPECT_TRUE(opts.nosetsched);
  setenv("CTDB_SOCKET", "/tmp/elsewhere.socket", 1);
  ASSERT_EQ(parse({}, &opts, &error), ParseResult::kRun) << error;
  EXPECT_EQ(opts.socket, "/tmp/elsewhere.socket");
  EXPECT_EQ(opts.pidfile, "");
}

TEST_F(DaemonOptionsTest, FailoverDisabledLeavesThePublicAddressesAlone) {
  base_.write("ctdb.conf", "[failover]\ndisabled = true\n");
  base_.write("public_addresses", "10.0.0.1/24 eth0\n");
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({}, &opts, &error), ParseResult::kRun) << error;
  EXPECT_TRUE(opts.failover_disabled);
  EXPECT_EQ(opts.public_addresses, "");
}

TEST_F(DaemonOptionsTest, RelativePathsAreMadeAbsoluteBeforeTheDaemonLeavesItsDirectory) {
  char* cwd = getcwd(nullptr, 0);
  std::string here = cwd;
  free(cwd);
  DaemonOptions opts;
  std::string error;
  ASSERT_EQ(parse({"--reclock=shared/lock", "--nlist=./nodes", "--dbdir=db", "--logfile=log"},
                  &opts, &error),
            ParseResult::kRun)
      << error;
  EXPECT_EQ(opts.reclock, here + "/shared/lock");
  EXPECT_EQ(opts.nlist, here + "/nodes");
  EXPECT_EQ(opts.dbdir, here + "/db");
  EXPECT_EQ(opts.logfile, here + "/log");
  ASSERT_EQ(parse({"--reclock=!helper relative/arg"}, &opts, &error), ParseResult::kRun);
  EXPECT_EQ(opts.reclock, "!helper relative/arg");  // a helper's command is not a path
}

TEST_F(DaemonOptionsTest, ABadCtdbConfStopsTheStartWithEveryProblem) {
  base_.write("ctdb.conf", "[cluster]\nleader timeout = 0\n[nope]\n");
  DaemonOptions opts;
  std::string error;
  EXPECT_EQ(parse({"--socket=/tmp/s"}, &opts, &error), ParseResult::kError);
  EXPECT_EQ(error,
            "Invalid value for [cluster] -> leader timeout = 0\n"
            "conf: validation for option \"leader timeout\" failed\n"
            "conf: unknown section [nope]\n"
            "ctdbd: failed to load configuration file " +
                base_.file("ctdb.conf"));
}

}  // namespace
}  // namespace ctdb::daemon
