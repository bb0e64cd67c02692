// Logger: 4.17 debug level numbers and names, the file line format, level
// filtering, logging from a forked child and reopening after rotation.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/logging.h"
#include "test_common_helpers.h"

namespace ctdb {
namespace {

// Checks "YYYY-MM-DDTHH:MM:SS.uuuuuu+HH:MM " at the start of a line (std::regex
// trips GCC 12 warnings under the sanitizers) and returns the rest.
bool strip_timestamp(const std::string& line, std::string* rest) {
  const std::string pattern = "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd ";
  if (line.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); i++) {
    char p = pattern[i], c = line[i];
    if (p == 'd' && !(c >= '0' && c <= '9')) return false;
    if (p == '+' && c != '+' && c != '-') return false;
    if (p != 'd' && p != '+' && p != c) return false;
  }
  *rest = line.substr(pattern.size());
  return true;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string l;
  while (std::getline(in, l)) lines.push_back(l);
  return lines;
}

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logging::set_level(kLogNotice);
    logging::set_program_name("ctdbd");
    logging::set_hostname("node.0");
  }
  void TearDown() override {
    logging::to_stderr();
    logging::set_level(kLogNotice);
    logging::set_hostname("");
  }
};

TEST(DebugLevel, NumbersAndNamesAsStockSetdebug) {
  int l = -1;
  for (int i = 0; i <= 10; i++) {
    ASSERT_TRUE(parse_debug_level(std::to_string(i), &l)) << i;
    EXPECT_EQ(l, i);
  }
  EXPECT_FALSE(parse_debug_level("11", &l));
  EXPECT_FALSE(parse_debug_level("-1", &l));
  EXPECT_FALSE(parse_debug_level("3x", &l));
  EXPECT_FALSE(parse_debug_level("x", &l));
  EXPECT_FALSE(parse_debug_level("", &l));
  EXPECT_FALSE(parse_debug_level("ERRORS", &l));
  struct {
    const char* text;
    int level;
  } names[] = {{"ERROR", 0}, {"warn", 1}, {"WARNING", 1}, {"n", 3},  {"NOTICE", 3},
               {"INFO", 5},  {"i", 5},    {"DEBUG", 10},  {"d", 10}, {"e", 0}};
  for (const auto& n : names) {
    ASSERT_TRUE(parse_debug_level(n.text, &l)) << n.text;
    EXPECT_EQ(l, n.level) << n.text;
  }
}

TEST(DebugLevel, NamesAsStockGetdebugPrints) {
  // Observed from the stock ctdb tool: setdebug N; getdebug.
  const char* want[] = {"ERROR", "WARNING", "WARNING", "NOTICE", "NOTICE", "INFO",
                        "INFO",  "INFO",    "INFO",    "INFO",   "DEBUG"};
  for (int i = 0; i <= 10; i++) EXPECT_STREQ(debug_level_name(i), want[i]) << i;
  EXPECT_STREQ(debug_level_name(11), "UNKNOWN");
  EXPECT_STREQ(debug_level_name(-1), "UNKNOWN");
  EXPECT_EQ(kLogError, 0);
  EXPECT_EQ(kLogWarning, 1);
  EXPECT_EQ(kLogNotice, 3);
  EXPECT_EQ(kLogInfo, 5);
  EXPECT_EQ(kLogDebug, 10);
}

TEST(LogFormat, MatchesStockFileLog) {
  const char* old_tz = getenv("TZ");
  std::string saved = old_tz ? old_tz : "";
  timeval tv{1704110400, 123456};  // 2024-01-01 12:00:00 UTC
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(logging::format_line(tv, "node.0", "ctdbd", 8054, "Starting CTDBD"),
            "2024-01-01T12:00:00.123456+00:00 node.0 ctdbd[8054]: Starting CTDBD");
  setenv("TZ", "XYZ-5:30", 1);
  tzset();
  EXPECT_EQ(logging::format_line(tv, "h", "p", 1, "m"),
            "2024-01-01T17:30:00.123456+05:30 h p[1]: m");
  setenv("TZ", "XYZ3", 1);
  tzset();
  timeval tv2{1704110400, 7};
  EXPECT_EQ(logging::format_line(tv2, "h", "p", 1, "m"),
            "2024-01-01T09:00:00.000007-03:00 h p[1]: m");
  if (old_tz) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST_F(LoggingTest, FileLevelsAndStyles) {
  unit::TempDir dir;
  std::string path = dir.file("log.ctdb");
  std::string err;
  ASSERT_TRUE(logging::to_file(path, &err)) << err;
  int evaluated = 0;
  auto count = [&]() { return ++evaluated; };
  CTDB_LOGF(kLogError, "error %d", 1);
  CTDB_LOGF(kLogInfo, "info %d", count());  // disabled: arguments not evaluated
  CTDB_LOG(kLogNotice) << "notice " << 2 << "\n";
  CTDB_LOG(kLogDebug) << "debug " << count();
  logging::write(kLogWarning, "warning 3\n\n");
  logging::set_level(kLogDebug);
  CTDB_LOG(kLogDebug) << "debug " << 4;
  EXPECT_EQ(evaluated, 0);

  std::vector<std::string> lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4u);
  const char* msgs[] = {"error 1", "notice 2", "warning 3", "debug 4"};
  for (size_t i = 0; i < lines.size(); i++) {
    std::string rest;
    ASSERT_TRUE(strip_timestamp(lines[i], &rest)) << lines[i];
    EXPECT_EQ(rest, "node.0 ctdbd[" + std::to_string(getpid()) + "]: " + msgs[i]);
  }
}

TEST_F(LoggingTest, AppendsToExistingFileAndLongMessages) {
  unit::TempDir dir;
  std::string path = dir.write("log", "earlier line\n");
  ASSERT_TRUE(logging::to_file(path, nullptr));
  std::string big(5000, 'x');
  CTDB_LOGF(kLogError, "%s", big.c_str());
  std::vector<std::string> lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier line");
  EXPECT_EQ(lines[1].substr(lines[1].size() - big.size()), big);
}

TEST_F(LoggingTest, ToFileFailureKeepsPreviousDestination) {
  std::string err;
  EXPECT_FALSE(logging::to_file("/nonexistent-dir/log", &err));
  EXPECT_EQ(err, "/nonexistent-dir/log: No such file or directory");
}

TEST_F(LoggingTest, ForkedChildLogsWithItsOwnPid) {
  unit::TempDir dir;
  std::string path = dir.file("log");
  ASSERT_TRUE(logging::to_file(path, nullptr));
  CTDB_LOGF(kLogNotice, "parent before");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    logging::set_program_name("ctdb-eventscript");
    for (int i = 0; i < 50; i++) CTDB_LOGF(kLogNotice, "child line %d", i);
    _exit(0);
  }
  for (int i = 0; i < 50; i++) CTDB_LOGF(kLogNotice, "parent line %d", i);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  std::vector<std::string> lines = read_lines(path);
  ASSERT_EQ(lines.size(), 101u);
  int from_child = 0;
  std::string child_tag = " ctdb-eventscript[" + std::to_string(child) + "]: child line ";
  std::string parent_tag = " ctdbd[" + std::to_string(getpid()) + "]: parent ";
  for (const std::string& l : lines) {
    bool is_child = l.find(child_tag) != std::string::npos;
    bool is_parent = l.find(parent_tag) != std::string::npos;
    EXPECT_TRUE(is_child != is_parent) << l;  // each line whole, from one process
    from_child += is_child;
  }
  EXPECT_EQ(from_child, 50);
}

TEST_F(LoggingTest, ReopenAfterRotation) {
  unit::TempDir dir;
  std::string path = dir.file("log");
  ASSERT_TRUE(logging::to_file(path, nullptr));
  CTDB_LOGF(kLogError, "one");
  ASSERT_EQ(rename(path.c_str(), dir.file("log.1").c_str()), 0);
  CTDB_LOGF(kLogError, "two");  // still to the renamed file
  ASSERT_TRUE(logging::reopen());
  CTDB_LOGF(kLogError, "three");
  std::vector<std::string> old_lines = read_lines(dir.file("log.1"));
  std::vector<std::string> new_lines = read_lines(path);
  ASSERT_EQ(old_lines.size(), 2u);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_NE(new_lines[0].find(": three"), std::string::npos);
}

TEST_F(LoggingTest, Callback) {
  std::vector<std::pair<int, std::string>> got;
  logging::to_callback([&](int lvl, std::string_view m) { got.emplace_back(lvl, std::string(m)); });
  CTDB_LOG(kLogWarning) << "w" << 1;
  CTDB_LOGF(kLogInfo, "dropped");
  logging::set_level(kLogInfo);
  CTDB_LOGF(kLogInfo, "kept %s\n", "too");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], std::make_pair(1, std::string("w1")));
  EXPECT_EQ(got[1], std::make_pair(5, std::string("kept too")));
}

}  // namespace
}  // namespace ctdb
