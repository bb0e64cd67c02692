// 4.17's ctdb.conf: syntax, types, checks with 4.17's error lines, and the
// `ctdb-config dump` format (common/ctdb_conf.h). The expected dumps and
// messages are what Debian's /usr/libexec/ctdb/ctdb-config prints.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "common/ctdb_conf.h"
#include "test_common_helpers.h"

namespace ctdb::conf {
namespace {

using unit::TempDir;

struct Loaded {
  bool ok;
  std::vector<std::string> errors, warnings;
};

Loaded load(Config* c, const std::string& text) {
  Loaded l;
  l.ok = c->load(text, &l.errors, &l.warnings);
  return l;
}

TEST(CtdbConf, DefaultsDumpAsStockCtdbConfigDoes) {
  Config c("/etc/ctdb");
  EXPECT_EQ(c.dump(),
            "[logging]\n"
            "\t# location = file:/var/log/ctdb/log.ctdb\n"
            "\t# log level = NOTICE\n"
            "[cluster]\n"
            "\t# transport = tcp\n"
            "\t# node address = \n"
            "\t# cluster lock = \n"
            "\t# recovery lock = \n"
            "\t# leader timeout = 5\n"
            "\t# leader capability = true\n"
            "[database]\n"
            "\t# volatile database directory = /var/lib/ctdb/volatile\n"
            "\t# persistent database directory = /var/lib/ctdb/persistent\n"
            "\t# state database directory = /var/lib/ctdb/state\n"
            "\t# lock debug script = \n"
            "\t# tdb mutexes = true\n"
            "[event]\n"
            "\t# debug script = \n"
            "[failover]\n"
            "\t# disabled = false\n"
            "[legacy]\n"
            "\t# realtime scheduling = true\n"
            "\t# lmaster capability = true\n"
            "\t# start as stopped = false\n"
            "\t# start as disabled = false\n"
            "\t# script log level = ERROR\n");
  EXPECT_FALSE(c.has("cluster", "cluster lock"));
  EXPECT_EQ(c.integer("cluster", "leader timeout"), 5);
  EXPECT_TRUE(c.boolean("legacy", "realtime scheduling"));
}

TEST(CtdbConf, SettingsAreReadWithTheStockParsersRules) {
  Config c("/etc/ctdb");
  Loaded l = load(&c,
                  "# comment\n"
                  "; another\n"
                  "   [Cluster]\n"
                  "\tcluster   lock = !/usr/bin/helper  arg \\\n"
                  "  more\n"
                  "leader timeout=0x10\n"
                  "leader capability = NO\n"
                  "[legacy]\n"
                  "realtime scheduling = yes\n"  // the default: stays a comment
                  "start as stopped = True\n");
  ASSERT_TRUE(l.ok) << l.errors.front();
  EXPECT_TRUE(l.warnings.empty());
  EXPECT_EQ(c.string("cluster", "cluster lock"), "!/usr/bin/helper arg more");
  EXPECT_EQ(c.integer("cluster", "leader timeout"), 16);
  EXPECT_FALSE(c.boolean("cluster", "leader capability"));
  EXPECT_TRUE(c.boolean("legacy", "start as stopped"));
  std::string dump = c.dump();
  EXPECT_NE(dump.find("\tcluster lock = !/usr/bin/helper arg more\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\tleader timeout = 16\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\tleader capability = false\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\t# realtime scheduling = true\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\tstart as stopped = true\n"), std::string::npos) << dump;
}

TEST(CtdbConf, EveryProblemIsReportedInStockWordsAndNothingIsKept) {
  Config c("/nonexistent-etc");
  Loaded l = load(&c,
                  "timeout = 3\n"
                  "[nosuch]\n"
                  "x = 1\n"
                  "[cluster]\n"
                  "bogus = 1\n"
                  "transport = ib\n"
                  "node address = 1.2.3\n"
                  "leader timeout = 0\n"
                  "leader timeout = soon\n"
                  "leader capability = maybe\n"
                  "cluster lock =\n"
                  "[database]\n"
                  "volatile database directory = /nonexistent/dir\n"
                  "lock debug script = /usr/bin/debug_locks.sh\n"
                  "[logging]\n"
                  "location = carrier-pigeon\n"
                  "log level = LOUD\n");
  EXPECT_FALSE(l.ok);
  EXPECT_EQ(l.errors, (std::vector<std::string>{
                          "conf: unknown section for option \"timeout\"",
                          "conf: unknown section [nosuch]",
                          "conf: unknown option [cluster] -> \"bogus\"",
                          "Invalid value for [cluster] -> transport = ib",
                          "conf: validation for option \"transport\" failed",
                          "Invalid value for [cluster] -> node address = 1.2.3",
                          "conf: validation for option \"node address\" failed",
                          "Invalid value for [cluster] -> leader timeout = 0",
                          "conf: validation for option \"leader timeout\" failed",
                          "conf: invalid value [cluster] -> \"leader timeout\" = \"soon\"",
                          "conf: invalid value [cluster] -> \"leader capability\" = \"maybe\"",
                          "conf: empty value [cluster] -> \"cluster lock\"",
                          "volatile database directory \"/nonexistent/dir\" does not exist",
                          "conf: validation for option \"volatile database directory\" failed",
                          "lock debug script /nonexistent-etc/debug_locks.sh does not exist",
                          "conf: validation for option \"lock debug script\" failed",
                          "Invalid value for [logging] -> location = carrier-pigeon",
                          "conf: validation for option \"location\" failed",
                          "Invalid value for [logging] -> log level = LOUD",
                          "conf: validation for option \"log level\" failed",
                      }));
  // A file with errors changes nothing.
  EXPECT_EQ(c.dump(), Config("/nonexistent-etc").dump());
}

TEST(CtdbConf, ABrokenSectionLineIsAnErrorNotASilentReset) {
  // 4.17's parser stops at such a line and runs with every default (its cluster lock gone).
  Config c("/etc/ctdb");
  Loaded l = load(&c, "[cluster\ncluster lock = /shared/lock\n");
  EXPECT_FALSE(l.ok);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0], "conf: line 1: section name without \"]\": [cluster");
}

TEST(CtdbConf, DeprecatedAndIgnoredLinesAreWarnings) {
  Config c("/etc/ctdb");
  Loaded l = load(&c, "[cluster]\nrecovery lock = /shared/lock\njust words\n");
  ASSERT_TRUE(l.ok);
  EXPECT_EQ(l.warnings, (std::vector<std::string>{
                            "Configuration option [cluster] -> recovery lock is deprecated",
                            "conf: line 3: ignoring \"just words\" (not \"key = value\")"}));
  EXPECT_EQ(c.string("cluster", "recovery lock"), "/shared/lock");
}

TEST(CtdbConf, DebugScriptsMustBeExecutableFilesInTheEtcDirectory) {
  TempDir etc;
  etc.write("hung.sh", "#!/bin/sh\n");
  chmod(etc.file("hung.sh").c_str(), 0644);
  Config c(etc.path());
  Loaded l = load(&c, "[event]\ndebug script = /elsewhere/hung.sh\n");
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.errors[0], "debug script " + etc.file("hung.sh") + " is not executable");
  chmod(etc.file("hung.sh").c_str(), 0755);
  l = load(&c, "[event]\ndebug script = /elsewhere/hung.sh\n");
  ASSERT_TRUE(l.ok) << l.errors.front();
  EXPECT_EQ(c.string("event", "debug script"), "/elsewhere/hung.sh");
}

// Our one extension: shown in the dump only when set, so that a stock file dumps as 4.17 dumps it.
TEST(CtdbConf, TheMetricsSectionIsOursAndDumpedOnlyWhenSet) {
  Config c("/etc/ctdb");
  EXPECT_EQ(c.dump().find("[metrics]"), std::string::npos);
  Loaded l = load(&c, "[metrics]\nlisten = [::1]:9100\n");
  ASSERT_TRUE(l.ok) << l.errors.front();
  EXPECT_NE(c.dump().find("[metrics]\n\tlisten = [::1]:9100\n"), std::string::npos) << c.dump();
  l = load(&c, "[metrics]\nlisten = 127.0.0.1\n");
  ASSERT_FALSE(l.ok);
  EXPECT_EQ(l.errors[0], "Invalid value for [metrics] -> listen = 127.0.0.1");
}

TEST(CtdbConf, AMissingFileKeepsTheDefaultsAndAnUnreadableOneFails) {
  TempDir etc;
  Config c(etc.path());
  std::vector<std::string> errors, warnings;
  bool missing = false;
  EXPECT_TRUE(c.load_file(etc.file("ctdb.conf"), &missing, &errors, &warnings));
  EXPECT_TRUE(missing);
  mkdir(etc.file("dir.conf").c_str(), 0755);
  EXPECT_FALSE(c.load_file(etc.file("dir.conf"), &missing, &errors, &warnings));
  EXPECT_FALSE(missing);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(etc.file("dir.conf")), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace ctdb::conf
