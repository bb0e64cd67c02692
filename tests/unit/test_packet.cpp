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

// Forwarding without re-encoding: the routing fields are rewritten in place and the rest of
// the packet decodes exactly as before.
TEST(Packet, RoutingRewriteAndMessagePeek) {
  ReqMessage m;
  m.srvid = 0xF100000000000001ULL;
  m.data = {1, 2, 3, 4, 5};
  Bytes pkt = encode(test_header(), m);
  MessageView v;
  ASSERT_TRUE(peek_message(pkt.data(), pkt.size(), &v));
  EXPECT_EQ(v.destnode, 1u);
  EXPECT_EQ(v.srvid, m.srvid);
  EXPECT_TRUE(v.canonical);
  set_routing(pkt.data(), 9, 3, 4);
  set_reqid(pkt.data(), 0);
  Header h;
  ReqMessage back;
  ASSERT_TRUE(decode(pkt.data(), pkt.size(), &h, &back));
  EXPECT_EQ(h.generation, 9u);
  EXPECT_EQ(h.destnode, 3u);
  EXPECT_EQ(h.srcnode, 4u);
  EXPECT_EQ(h.reqid, 0u);
  EXPECT_EQ(back.srvid, m.srvid);
  EXPECT_EQ(back.data, m.data);
  // Extra bytes after the padded data: valid, but not forwarded as they are.
  Bytes longer = pkt;
  longer.resize(pkt.size() + 8);
  longer[0] = static_cast<uint8_t>(longer.size());
  ASSERT_TRUE(peek_message(longer.data(), longer.size(), &v));
  EXPECT_FALSE(v.canonical);
  // Not a message, or cut short: refused.
  Bytes ctrl = encode(test_header(), ReqControl{});
  EXPECT_FALSE(peek_message(ctrl.data(), ctrl.size(), &v));
  for (size_t n = 0; n < pkt.size(); n++) EXPECT_FALSE(peek_message(pkt.data(), n, &v)) << n;
}

}  // namespace
}  // namespace ctdb::proto
