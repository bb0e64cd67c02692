// Packet header and operation bodies: round trips, padding and every truncation.
#include <gtest/gtest.h>

#include "protocol/packet.h"

namespace ctdb::proto {
namespace {

Header test_header() {
  Header h;
  h.generation = 0x11223344;
  h.destnode = 1;
  h.srcnode = 2;
  h.reqid = 77;
  return h;
}

// Every prefix of a valid packet must be rejected by the decoder.
template <typename T>
void expect_truncations_fail(const Bytes& pkt) {
  for (size_t n = 0; n < pkt.size(); n++) {
    Bytes prefix(pkt.begin(), pkt.begin() + n);
    Header h;
    T t;
    EXPECT_FALSE(decode(prefix.data(), prefix.size(), &h, &t)) << "length " << n;
  }
}

TEST(Packet, ControlRoundTripAndPadding) {
  ReqControl c;
  c.opcode = CONTROL_GET_PNN;
  c.srvid = 0x0102030405060708ULL;
  c.client_id = 9;
  c.flags = CTRL_FLAG_NOREPLY;
  c.data = {1, 2, 3};
  Bytes pkt = encode(test_header(), c);
  ASSERT_EQ(pkt.size() % kPacketAlignment, 0u);
  Header h;
  ReqControl d;
  ASSERT_TRUE(decode(pkt.data(), pkt.size(), &h, &d));
  EXPECT_EQ(h.length, pkt.size());
  EXPECT_EQ(h.operation, REQ_CONTROL);
  EXPECT_EQ(h.reqid, 77u);
  EXPECT_EQ(d.opcode, c.opcode);
  EXPECT_EQ(d.srvid, c.srvid);
  EXPECT_EQ(d.client_id, c.client_id);
  EXPECT_EQ(d.flags, c.flags);
  EXPECT_EQ(d.data, c.data);
  expect_truncations_fail<ReqControl>(pkt);
}

TEST(Packet, ReplyControlCarriesDataAndError) {
  ReplyControl c;
  c.status = -1;
  c.data = {5, 6};
  c.errmsg = "no such database";
  Bytes pkt = encode(test_header(), c);
  Header h;
  ReplyControl d;
  ASSERT_TRUE(decode(pkt.data(), pkt.size(), &h, &d));
  EXPECT_EQ(d.status, -1);
  EXPECT_EQ(d.data, c.data);
  EXPECT_EQ(d.errmsg, c.errmsg);
  expect_truncations_fail<ReplyControl>(pkt);
}

TEST(Packet, CallAndDmasterRoundTrip) {
  ReqCall c;
  c.flags = CALL_IMMEDIATE_MIGRATION;
  c.db_id = 0xdeadbeef;
  c.callid = FETCH_FUNC;
  c.hopcount = 3;
  c.key = {'k', 'e', 'y'};
  c.calldata = {0};
  Bytes pkt = encode(test_header(), c);
  Header h;
  ReqCall d;
  ASSERT_TRUE(decode(pkt.data(), pkt.size(), &h, &d));
  EXPECT_EQ(d.key, c.key);
  EXPECT_EQ(d.calldata, c.calldata);
  EXPECT_EQ(d.hopcount, 3u);
  expect_truncations_fail<ReqCall>(pkt);

  ReqDmaster m;
  m.db_id = 1;
  m.rsn = 0x1122334455667788ULL;
  m.dmaster = 2;
  m.key = {1};
  m.data = {2, 3};
  pkt = encode(test_header(), m);
  ReqDmaster md;
  ASSERT_TRUE(decode(pkt.data(), pkt.size(), &h, &md));
  EXPECT_EQ(md.rsn, m.rsn);
  EXPECT_EQ(md.dmaster, 2u);
  EXPECT_EQ(md.data, m.data);
  expect_truncations_fail<ReqDmaster>(pkt);
}

TEST(Packet, HeaderRejectsBadMagicVersionAndLength) {
  Bytes pkt = encode(test_header(), ReqKeepalive{});
  Header h;
  ASSERT_TRUE(decode_header(pkt.data(), pkt.size(), &h));
  Bytes bad = pkt;
  bad[4] ^= 1;  // magic
  EXPECT_FALSE(decode_header(bad.data(), bad.size(), &h));
  bad = pkt;
  bad[8] = 2;  // version
  EXPECT_FALSE(decode_header(bad.data(), bad.size(), &h));
  bad = pkt;
  bad[0] = 8;  // length below the header size
  EXPECT_FALSE(decode_header(bad.data(), bad.size(), &h));
  bad = pkt;
  bad[1] = 1;  // length beyond the buffer
  EXPECT_FALSE(decode_header(bad.data(), bad.size(), &h));
}

TEST(Packet, WrongOperationIsRejected) {
  Bytes pkt = encode(test_header(), ReqMessage{});
  Header h;
  ReqControl c;
  EXPECT_FALSE(decode(pkt.data(), pkt.size(), &h, &c));
}

}  // namespace
}  // namespace ctdb::proto
