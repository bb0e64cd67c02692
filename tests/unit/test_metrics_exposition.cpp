// Prometheus' text format as daemon/metrics/exposition writes it: families,
// labels with every character that must be escaped, and value spellings.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "daemon/metrics/exposition.h"

namespace ctdb::daemon::metrics {
namespace {

TEST(MetricsExposition, FamiliesSamplesAndEscapes) {
  Exposition e;
  e.family("ctdb_node_flags", "gauge", "Each node's flags\nwith a back\\slash");
  e.sample("ctdb_node_flags", {{"pnn", "0"}, {"address", "127.0.0.1"}}, 2);
  e.sample("ctdb_node_flags", {{"db", "we\"ird\\name\n"}}, 0.5);
  e.family("ctdb_up", "gauge", "plain");
  e.sample("ctdb_up", 1);
  EXPECT_EQ(e.text(),
            "# HELP ctdb_node_flags Each node's flags\\nwith a back\\\\slash\n"
            "# TYPE ctdb_node_flags gauge\n"
            "ctdb_node_flags{pnn=\"0\",address=\"127.0.0.1\"} 2\n"
            "ctdb_node_flags{db=\"we\\\"ird\\\\name\\n\"} 0.5\n"
            "# HELP ctdb_up plain\n"
            "# TYPE ctdb_up gauge\n"
            "ctdb_up 1\n");
}

TEST(MetricsExposition, ValuesAreSpelledAsTheFormatSays) {
  EXPECT_EQ(Exposition::format_value(0), "0");
  EXPECT_EQ(Exposition::format_value(-1), "-1");
  EXPECT_EQ(Exposition::format_value(4294967295.0), "4294967295");
  EXPECT_EQ(Exposition::format_value(0.25), "0.25");
  EXPECT_EQ(Exposition::format_value(std::nan("")), "NaN");
  EXPECT_EQ(Exposition::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Exposition::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  double third = 1.0 / 3;
  EXPECT_EQ(std::stod(Exposition::format_value(third)), third);  // reads back exactly
  EXPECT_EQ(Exposition::format_value(1e300), "1.0000000000000001e+300");
}

}  // namespace
}  // namespace ctdb::daemon::metrics
