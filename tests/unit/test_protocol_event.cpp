// 4.17's event daemon protocol (protocol/event_protocol): bytes the stock
// ctdb-event helper sent (captured with strace), round trips, and refusals.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "protocol/event_protocol.h"

namespace ctdb::proto::event {
namespace {

// `ctdb event status legacy monitor`: its version field is whatever the header held (0).
const uint8_t kStatusRequest[] = {39, 0, 0, 0, 0, 0,   0,   0,   0x38, 0xff, 0xff, 0x7f, 2,
                                  0,  0, 0, 7, 0, 0,   0,   'l', 'e',  'g',  'a',  'c',  'y',
                                  0,  8, 0, 0, 0, 'm', 'o', 'n', 'i',  't',  'o',  'r',  0};

TEST(EventProtocol, DecodesTheStockHelpersStatusRequest) {
  Request r;
  ASSERT_TRUE(decode(kStatusRequest, sizeof(kStatusRequest), &r));
  EXPECT_EQ(r.cmd, Command::kStatus);
  EXPECT_EQ(r.reqid, 0x7fffff38u);
  EXPECT_EQ(r.component, "legacy");
  EXPECT_EQ(r.event, "monitor");
}

TEST(EventProtocol, RequestsAndRepliesRoundTrip) {
  Request run;
  run.reqid = 7;
  run.cmd = Command::kRun;
  run.component = "legacy";
  run.event = "takeip";
  run.args = "eth0 10.0.0.1 24";
  run.timeout = 30;
  run.flags = kRunAll;
  Request back;
  Bytes b = encode(run);
  ASSERT_TRUE(decode(b.data(), b.size(), &back));
  EXPECT_EQ(back.cmd, Command::kRun);
  EXPECT_EQ(back.args, "eth0 10.0.0.1 24");
  EXPECT_EQ(back.timeout, 30u);
  EXPECT_EQ(back.flags, kRunAll);

  Request script;
  script.cmd = Command::kScript;
  script.component = "legacy";
  script.script = "50.samba";
  script.enable = true;
  b = encode(script);
  ASSERT_TRUE(decode(b.data(), b.size(), &back));
  EXPECT_EQ(back.script, "50.samba");
  EXPECT_TRUE(back.enable);

  Reply status;
  status.reqid = 9;
  status.cmd = Command::kStatus;
  status.summary = -ETIMEDOUT;
  status.scripts = {{"00.ctdb", {10, 1}, {10, 5}, 0, ""},
                    {"10.interface", {10, 5}, {40, 0}, -ETIMEDOUT, "hung\n"}};
  b = encode(status);
  EXPECT_EQ(b.size(), b[0] | b[1] << 8);  // the length field is the packet's size
  Reply rback;
  ASSERT_TRUE(decode(b.data(), b.size(), &rback));
  EXPECT_EQ(rback.summary, -ETIMEDOUT);
  ASSERT_EQ(rback.scripts.size(), 2u);
  EXPECT_EQ(rback.scripts[1].name, "10.interface");
  EXPECT_EQ(rback.scripts[1].end.sec, 40);
  EXPECT_EQ(rback.scripts[1].output, "hung\n");

  // A failed command carries no status.
  Reply failed;
  failed.cmd = Command::kStatus;
  failed.result = EINVAL;
  b = encode(failed);
  EXPECT_EQ(b.size(), 20u);
}

TEST(EventProtocol, RefusesShortLongAndInconsistentPackets) {
  Request r;
  Bytes good(kStatusRequest, kStatusRequest + sizeof(kStatusRequest));
  for (size_t n = 0; n < good.size(); n++) EXPECT_FALSE(decode(good.data(), n, &r)) << n;
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(decode(longer.data(), longer.size(), &r));  // length field says 39
  longer[0] = 40;
  EXPECT_FALSE(decode(longer.data(), longer.size(), &r));  // a byte after the strings
  Bytes bad_cmd = good;
  bad_cmd[12] = 4;
  EXPECT_FALSE(decode(bad_cmd.data(), bad_cmd.size(), &r));

  Request script;
  script.cmd = Command::kScript;
  script.component = "legacy";
  script.script = "x";
  Bytes b = encode(script);
  b[b.size() - 4] = 2;  // neither enable nor disable
  EXPECT_FALSE(decode(b.data(), b.size(), &r));

  Reply status;
  status.cmd = Command::kStatus;
  b = encode(status);
  b[b.size() - 4] = 0xff;  // script count -1 (little endian: all four bytes)
  b[b.size() - 3] = 0xff;
  b[b.size() - 2] = 0xff;
  b[b.size() - 1] = 0xff;
  Reply rr;
  EXPECT_FALSE(decode(b.data(), b.size(), &rr));
  b[b.size() - 1] = 0x00;  // a huge count with no scripts behind it
  b[b.size() - 4] = 0x10;
  EXPECT_FALSE(decode(b.data(), b.size(), &rr));
}

}  // namespace
}  // namespace ctdb::proto::event
