// The ctdb tool's pure helpers: node flags, run states, debug levels, number
// and key parsing, record dumps, ptrans lines and statistics text.
#include <errno.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "client/format.h"

namespace ctdb::client {
namespace {

TEST(ClientFormat, NodeFlags) {
  EXPECT_EQ(node_flags_string(0), "OK");
  EXPECT_EQ(node_flags_string(NODE_FLAGS_UNHEALTHY), "UNHEALTHY");
  EXPECT_EQ(node_flags_string(NODE_FLAGS_DISCONNECTED), "DISCONNECTED|INACTIVE");
  EXPECT_EQ(node_flags_string(NODE_FLAGS_BANNED | NODE_FLAGS_PERMANENTLY_DISABLED),
            "DISABLED|BANNED|INACTIVE");
  EXPECT_EQ(node_flags_string(kNodeFlagsUnknown), "UNKNOWN");
}

TEST(ClientFormat, Runstates) {
  EXPECT_STREQ(runstate_name(RUNSTATE_RUNNING), "RUNNING");
  EXPECT_STREQ(runstate_name(RUNSTATE_FIRST_RECOVERY), "FIRST_RECOVERY");
  EXPECT_STREQ(runstate_name(99), "UNKNOWN");
  EXPECT_EQ(runstate_from_name("running"), RUNSTATE_RUNNING);
  EXPECT_EQ(runstate_from_name("Setup"), RUNSTATE_SETUP);
  EXPECT_EQ(runstate_from_name("foo"), RUNSTATE_UNKNOWN);
}

TEST(ClientFormat, DebugLevels) {
  int level = -1;
  EXPECT_TRUE(debug_level_parse("INFO", &level));
  EXPECT_EQ(level, 5);
  EXPECT_TRUE(debug_level_parse("not", &level));  // case-insensitive prefix
  EXPECT_EQ(level, 3);
  EXPECT_TRUE(debug_level_parse("10", &level));
  EXPECT_EQ(level, 10);
  EXPECT_FALSE(debug_level_parse("11", &level));
  EXPECT_FALSE(debug_level_parse("foo", &level));
  EXPECT_STREQ(debug_level_name(0), "ERROR");
  EXPECT_STREQ(debug_level_name(4), "NOTICE");
  EXPECT_STREQ(debug_level_name(10), "DEBUG");
  EXPECT_STREQ(debug_level_name(42), "UNKNOWN");
}

TEST(ClientFormat, ParseUlong) {
  unsigned long v = 0;
  EXPECT_EQ(parse_ulong("31", &v), 0);
  EXPECT_EQ(v, 31u);
  EXPECT_EQ(parse_ulong("0x10", &v), 0);
  EXPECT_EQ(v, 16u);
  EXPECT_EQ(parse_ulong("12abc", &v), 0);  // trailing text is ignored, as in Samba
  EXPECT_EQ(v, 12u);
  EXPECT_EQ(parse_ulong("abc", &v), EINVAL);
  EXPECT_EQ(parse_ulong("-1", &v), EINVAL);
  EXPECT_EQ(parse_ulong("", &v), EINVAL);
  EXPECT_EQ(parse_ulong("99999999999999999999999", &v), ERANGE);
}

TEST(ClientFormat, StringToData) {
  Bytes out;
  std::string err;
  ASSERT_EQ(string_to_data("k1", &out, &err), 0);
  EXPECT_EQ(out, (Bytes{'k', '1'}));
  ASSERT_EQ(string_to_data("0x6b32FF", &out, &err), 0);
  EXPECT_EQ(out, (Bytes{0x6b, 0x32, 0xff}));
  EXPECT_EQ(string_to_data("0x6b3", &out, &err), EINVAL);
  EXPECT_EQ(err, "Key (6b3) contains odd number of hex digits\n");
  err.clear();
  EXPECT_EQ(string_to_data("0x6bzz", &out, &err), EINVAL);
  EXPECT_EQ(err, "Invalid hex: zz\n");
}

TEST(ClientFormat, DumpData) {
  EXPECT_EQ(dump_data("key", Bytes{'k', '2'}), "key(2) = \"k2\"\n");
  EXPECT_EQ(dump_data("data", Bytes{'v', 0xff, '"', '\\', 0}), "data(5) = \"v\\FF\\22\\5C\\00\"\n");
  EXPECT_EQ(dump_data("data", Bytes{}), "data(0) = \"\"\n");
}

TEST(ClientFormat, DumpLtdbHeader) {
  EXPECT_EQ(dump_ltdb_header(0, 2, 0), "dmaster: 0\nrsn: 2\nflags: 0x00000000\n");
  EXPECT_EQ(dump_ltdb_header(1, 7, REC_FLAG_AUTOMATIC | REC_RO_HAVE_READONLY),
            "dmaster: 1\nrsn: 7\nflags: 0x02040000 AUTOMATIC RO_HAVE_READONLY\n");
}

TEST(ClientFormat, Durations) {
  EXPECT_EQ(duration_dhms(0), "(000 00:00:00)");
  EXPECT_EQ(duration_dhms(26), "(000 00:00:26)");
  EXPECT_EQ(duration_dhms(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "(002 03:04:05)");
  EXPECT_DOUBLE_EQ(timeval_elapsed({12, 250000}, {10, 500000}), 1.75);
  // A daemon's nonsense times (the extremes of int64) wrap instead of overflowing.
  EXPECT_EQ(seconds_between(INT64_MIN, 1), INT64_MAX);
  EXPECT_DOUBLE_EQ(timeval_elapsed({INT64_MIN, 0}, {1, 0}), static_cast<double>(INT64_MAX));
}

TEST(ClientFormat, PtransLines) {
  Bytes key, value;
  std::string err;
  EXPECT_TRUE(ptrans_parse_line("\"a\" \"1\"\n", &key, &value, &err));
  EXPECT_EQ(key, (Bytes{'a'}));
  EXPECT_EQ(value, (Bytes{'1'}));
  EXPECT_TRUE(err.empty());

  EXPECT_TRUE(ptrans_parse_line("  \"b\"\t\"0x3232\"\n", &key, &value, &err));
  EXPECT_EQ(value, (Bytes{'2', '2'}));

  // An empty value is a deletion, still a valid line.
  EXPECT_TRUE(ptrans_parse_line("\"d\" \"\"\n", &key, &value, &err));
  EXPECT_TRUE(value.empty());

  // An empty key: skipped silently.
  EXPECT_FALSE(ptrans_parse_line("\"\" \"x\"\n", &key, &value, &err));
  EXPECT_TRUE(err.empty());

  EXPECT_FALSE(ptrans_parse_line("bad\n", &key, &value, &err));
  EXPECT_EQ(err, "Unsupported input format in bad\n\n");
  err.clear();
  EXPECT_FALSE(ptrans_parse_line("\"c\"\n", &key, &value, &err));
  EXPECT_EQ(err, "Unsupported input format in \n\n");
  err.clear();
  EXPECT_FALSE(ptrans_parse_line("\"open\n", &key, &value, &err));
  EXPECT_EQ(err, "Unmatched \" in input \"open\n\n");
}

TEST(ClientFormat, StatisticsText) {
  proto::Statistics s;
  s.num_clients = 2;
  s.node.req_call = 7;
  s.client.req_control = 9;
  s.call_latency.num = 4;
  s.call_latency.min = 0.5;
  s.call_latency.max = 1.5;
  s.call_latency.total = 4.0;
  s.statistics_start_time.sec = 1000;
  s.statistics_current_time.sec = 1000 + 61;
  std::string text = statistics_text(s);
  EXPECT_EQ(text.rfind("CTDB version 1\n", 0), 0u);
  EXPECT_NE(text.find("Statistics collected since  : (000 00:01:01) "), std::string::npos);
  EXPECT_NE(text.find("\n num_clients                        2\n"), std::string::npos);
  EXPECT_NE(text.find("\n node\n     req_call                       7\n"), std::string::npos);
  EXPECT_NE(text.find("\n client\n     req_call                       0\n     req_message"),
            std::string::npos);
  EXPECT_NE(text.find("     req_control                    9\n"), std::string::npos);
  EXPECT_NE(text.find(" hop_count_buckets: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"), std::string::npos);
  EXPECT_NE(text.find(" call_latency       MIN/AVG/MAX     0.500000/1.000000/1.500000 sec out "
                      "of 4\n"),
            std::string::npos);

  std::string machine = statistics_machine_text(s, "|", true);
  size_t nl = machine.find('\n');
  ASSERT_NE(nl, std::string::npos);
  std::string header = machine.substr(0, nl);
  std::string values = machine.substr(nl + 1);
  EXPECT_EQ(header.rfind("CTDB version|Current time of statistics|", 0), 0u);
  EXPECT_NE(header.find("|node.req_call|"), std::string::npos);
  EXPECT_EQ(values.rfind("1|1061|1000|2|", 0), 0u);
  EXPECT_NE(values.find("|4|0.500000|1.000000|1.500000|"), std::string::npos);
  // Same number of fields in both lines.
  EXPECT_EQ(std::count(header.begin(), header.end(), '|'),
            std::count(values.begin(), values.end(), '|'));
  EXPECT_EQ(statistics_machine_text(s, ":", false).find("CTDB version"), std::string::npos);
}

}  // namespace
}  // namespace ctdb::client
