// The control table and message kinds: every opcode present once with its 4.17 name,
// payload kinds that round-trip, malformed payloads rejected, status-result controls.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

#include "protocol/control.h"
#include "protocol/message.h"
#include "protocol/types.h"

namespace ctdb::proto {
namespace testing {
// Defined in test_types.cpp.
Bytes sample_payload(PayloadKind kind);
std::optional<Bytes> reencode_payload(PayloadKind kind, const Bytes& b);
}  // namespace testing

namespace {

using testing::reencode_payload;
using testing::sample_payload;

// Kinds whose every strict prefix is invalid. kString and kScriptList accept
// the empty payload; kNone and kAny have nothing to cut.
bool prefixes_must_fail(PayloadKind k) {
  return k != PayloadKind::kNone && k != PayloadKind::kAny && k != PayloadKind::kString &&
         k != PayloadKind::kScriptList;
}

void check_kind(uint32_t opcode, PayloadKind kind, const char* side) {
  SCOPED_TRACE(std::string(control_name(opcode)) + " " + side + " " + payload_kind_name(kind));
  Bytes b = sample_payload(kind);
  ASSERT_TRUE(check_payload(kind, b));
  auto again = reencode_payload(kind, b);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, b);
  if (kind == PayloadKind::kAny) return;
  Bytes longer = b;
  longer.push_back(0x5a);
  EXPECT_FALSE(check_payload(kind, longer));
  if (prefixes_must_fail(kind)) {
    for (size_t n = 0; n < b.size(); n++) {
      EXPECT_FALSE(check_payload(kind, Bytes(b.begin(), b.begin() + n))) << "prefix " << n;
    }
  }
}

TEST(ControlTable, OrderedUniqueAndNamed) {
  size_t n;
  const ControlInfo* t = control_table(&n);
  EXPECT_EQ(n, 146u);  // every opcode in include/ctdb/protocol.h (4.17's 145 and ours)
  std::set<std::string> names;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      EXPECT_LT(t[i - 1].opcode, t[i].opcode);
    }
    EXPECT_EQ(find_control(t[i].opcode), &t[i]);
    EXPECT_TRUE(names.insert(t[i].name).second) << t[i].name;
    // Status-result controls carry no reply data.
    if (t[i].result == ResultIn::kStatus) {
      EXPECT_EQ(t[i].reply, PayloadKind::kNone);
    }
  }
  EXPECT_STREQ(control_name(CONTROL_GET_PNN), "GET_PNN");
  EXPECT_STREQ(control_name(CONTROL_GET_NODEMAPv4), "GET_NODEMAPv4");
  EXPECT_STREQ(control_name(CONTROL_DB_ATTACH_REPLICATED), "DB_ATTACH_REPLICATED");
  EXPECT_STREQ(control_name(CONTROL_ENABLE_NODE), "ENABLE_NODE");
  for (uint32_t unused : {2u, 12u, 28u, 38u, 68u, 73u, 92u, 106u, 159u, 0xffffffffu}) {
    EXPECT_EQ(find_control(unused), nullptr) << unused;
    EXPECT_STREQ(control_name(unused), "UNKNOWN");
    EXPECT_FALSE(check_request_payload(unused, {}));
    EXPECT_FALSE(check_reply_payload(unused, {}));
  }
}

TEST(ControlTable, EveryControlPayloadRoundTrips) {
  size_t n;
  const ControlInfo* t = control_table(&n);
  for (size_t i = 0; i < n; i++) {
    check_kind(t[i].opcode, t[i].request, "request");
    check_kind(t[i].opcode, t[i].reply, "reply");
    EXPECT_TRUE(check_request_payload(t[i].opcode, sample_payload(t[i].request)));
    EXPECT_TRUE(check_reply_payload(t[i].opcode, sample_payload(t[i].reply)));
  }
}

TEST(ControlTable, StatusSemantics) {
  for (uint32_t op : {CONTROL_GET_PNN, CONTROL_GET_PID, CONTROL_GET_RECMODE, CONTROL_PING,
                      CONTROL_PROCESS_EXISTS, CONTROL_CHECK_PID_SRVID}) {
    ASSERT_NE(find_control(op), nullptr);
    EXPECT_EQ(find_control(op)->result, ResultIn::kStatus) << control_name(op);
  }
  for (uint32_t op : {CONTROL_GET_RUNSTATE, CONTROL_GET_CAPABILITIES, CONTROL_GET_DB_SEQNUM,
                      CONTROL_DB_ATTACH, CONTROL_GET_DEBUG, CONTROL_DB_PULL}) {
    EXPECT_EQ(find_control(op)->result, ResultIn::kData) << control_name(op);
  }
  EXPECT_TRUE(find_control(CONTROL_GET_RECMASTER)->obsolete);
  EXPECT_TRUE(find_control(CONTROL_THAW)->obsolete);
  EXPECT_FALSE(find_control(CONTROL_DB_THAW)->obsolete);
  EXPECT_FALSE(find_control(CONTROL_GET_PNN)->obsolete);
}

TEST(ControlTable, PayloadsAsSmbdAndTheToolSendThem) {
  // GET_PNN has no payload; a stray byte is malformed.
  EXPECT_TRUE(check_request_payload(CONTROL_GET_PNN, {}));
  EXPECT_FALSE(check_request_payload(CONTROL_GET_PNN, {0}));
  // smbd's DB_ATTACH: the name with its NUL.
  Bytes name = {'l', 'o', 'c', 'k', 'i', 'n', 'g', '.', 't', 'd', 'b', 0};
  EXPECT_TRUE(check_request_payload(CONTROL_DB_ATTACH, name));
  name.pop_back();
  EXPECT_FALSE(check_request_payload(CONTROL_DB_ATTACH, name));
  // smbd's REGISTER_NOTIFY: srvid, len = 1, one data byte (13 bytes).
  Bytes notify = {0, 0, 0, 0, 0, 0, 0, 0xfe, 1, 0, 0, 0, 0};
  EXPECT_TRUE(check_request_payload(CONTROL_REGISTER_NOTIFY, notify));
  // smbd's CHECK_PID_SRVID: pid then unique id, 12 bytes, no padding.
  EXPECT_TRUE(check_request_payload(CONTROL_CHECK_PID_SRVID, Bytes(12, 1)));
  EXPECT_FALSE(check_request_payload(CONTROL_CHECK_PID_SRVID, Bytes(16, 1)));
  // GET_DB_SEQNUM: db_id padded to 8 bytes; reply u64.
  EXPECT_TRUE(check_request_payload(CONTROL_GET_DB_SEQNUM, Bytes(8, 0)));
  EXPECT_FALSE(check_request_payload(CONTROL_GET_DB_SEQNUM, Bytes(4, 0)));
  EXPECT_TRUE(check_reply_payload(CONTROL_GET_DB_SEQNUM, Bytes(8, 0)));
  // GET_RECLOCK_FILE / DB_GET_HEALTH may answer nothing (no reclock, healthy db).
  EXPECT_TRUE(check_reply_payload(CONTROL_GET_RECLOCK_FILE, {}));
  EXPECT_TRUE(check_reply_payload(CONTROL_DB_GET_HEALTH, {}));
  // DB_VACUUM is exactly 5 bytes.
  EXPECT_TRUE(check_request_payload(CONTROL_DB_VACUUM, {1, 0, 0, 0, 0}));
  EXPECT_FALSE(check_request_payload(CONTROL_DB_VACUUM, {1, 0, 0, 0, 0, 0, 0, 0}));
  // Obsolete controls with no defined layout accept anything.
  EXPECT_TRUE(check_request_payload(CONTROL_SET_CALL, {1, 2, 3}));
  // SET_TUNABLE's name length must match.
  EXPECT_TRUE(check_request_payload(CONTROL_SET_TUNABLE, to_bytes(Tunable{1, "EnableBans"})));
  Bytes tun = to_bytes(Tunable{1, "EnableBans"});
  tun[4] = 50;
  EXPECT_FALSE(check_request_payload(CONTROL_SET_TUNABLE, tun));
}

TEST(Messages, KindsAndPayloads) {
  EXPECT_EQ(message_kind(SRVID_ELECTION), MessageKind::kElection);
  EXPECT_EQ(message_kind(SRVID_LEADER), MessageKind::kPnn);
  EXPECT_EQ(message_kind(SRVID_BANNING), MessageKind::kPnn);
  EXPECT_EQ(message_kind(SRVID_RELEASE_IP), MessageKind::kIpAddr);
  EXPECT_EQ(message_kind(SRVID_TAKEOVER_RUN), MessageKind::kSrvidMessage);
  EXPECT_EQ(message_kind(SRVID_DISABLE_RECOVERIES), MessageKind::kDisableMessage);
  EXPECT_EQ(message_kind(SRVID_RECONFIGURE), MessageKind::kNone);
  EXPECT_EQ(message_kind(SRVID_SAMBA_NOTIFY), MessageKind::kRaw);
  EXPECT_EQ(message_kind(0xBE00000000001234ULL), MessageKind::kRaw);
  EXPECT_STREQ(message_kind_name(MessageKind::kElection), "ELECTION");

  ElectionMessage e;
  e.num_connected = 3;
  e.priority_time = Timeval{100, 200};
  e.pnn = 1;
  e.node_flags = NODE_FLAGS_STOPPED;
  EXPECT_TRUE(check_message_payload(SRVID_ELECTION, to_bytes(e)));
  EXPECT_FALSE(check_message_payload(SRVID_ELECTION, Bytes(31, 0)));

  uint32_t pnn = 0;
  EXPECT_TRUE(decode_u32_message(encode_u32_message(7), &pnn));
  EXPECT_EQ(pnn, 7u);
  EXPECT_TRUE(check_message_payload(SRVID_LEADER, encode_u32_message(2)));
  EXPECT_FALSE(check_message_payload(SRVID_LEADER, Bytes(8, 0)));

  Bytes ip = encode_ipaddr_message("10.0.0.5");
  EXPECT_EQ(ip.size(), 9u);
  EXPECT_EQ(ip.back(), 0);
  std::string s;
  EXPECT_TRUE(decode_ipaddr_message(ip, &s));
  EXPECT_EQ(s, "10.0.0.5");
  EXPECT_FALSE(decode_ipaddr_message({}, &s));
  EXPECT_TRUE(check_message_payload(SRVID_TAKE_IP, ip));

  EXPECT_TRUE(check_message_payload(SRVID_RECONFIGURE, {}));
  EXPECT_FALSE(check_message_payload(SRVID_RECONFIGURE, {0}));
  EXPECT_TRUE(check_message_payload(SRVID_TAKEOVER_RUN, to_bytes(SrvidMessage{1, 2})));
  EXPECT_TRUE(
      check_message_payload(SRVID_DISABLE_TAKEOVER_RUNS, to_bytes(DisableMessage{1, 2, 30})));
  EXPECT_TRUE(check_message_payload(SRVID_SET_NODE_FLAGS, to_bytes(NodeFlagChange{1, 2, 3})));
  EXPECT_TRUE(check_message_payload(SRVID_RECD_UPDATE_IP, to_bytes(PublicIp{})));
  EXPECT_TRUE(check_message_payload(SRVID_VACUUM_FETCH, to_bytes(RecBuffer{})));
  EXPECT_TRUE(check_message_payload(SRVID_SAMBA_NOTIFY, {1, 2, 3}));
}

}  // namespace
}  // namespace ctdb::proto
