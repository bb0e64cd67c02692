// ctdbd's command line: values, repeated options and refusals (daemon/options.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/options.h"

namespace ctdb::daemon {
namespace {

ParseResult parse(std::vector<const char*> args, DaemonOptions* opts, std::string* error) {
  args.insert(args.begin(), "ctdbd");
  return parse_options(static_cast<int>(args.size()), args.data(), opts, error);
}

TEST(DaemonOptions, ValuesReachTheOptions) {
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
  EXPECT_EQ(opts.dbdir, "/var/ctdb");  // not given: the default stays
}

// The last one wins, as with 4.17's popt table; the first value is not leaked (the unit tests
// run under LeakSanitizer, which found it in a daemon started with --event-script-dir twice).
TEST(DaemonOptions, AStringOptionGivenTwiceKeepsTheLastValue) {
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

TEST(DaemonOptions, BadInputIsOneLineOfError) {
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

}  // namespace
}  // namespace ctdb::daemon
