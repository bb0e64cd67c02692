// Typed payload codecs: round trips of every type with non-default values, exact
// 4.17 layouts (sizes, padding, sock_addr, records), truncation and bad-input rejection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>

#include "protocol/control.h"
#include "protocol/types.h"

namespace ctdb::proto {
namespace testing {

// ---- samples with every field set to something other than its default -----

Timeval sample_timeval(int64_t base) { return Timeval{base + 1700000000, base + 123456}; }

LatencyCounter sample_latency(int base) {
  return LatencyCounter{base + 3, 0.25 * base, 1.5 * base + 1, 9.75 * base + 2};
}

SockAddr sample_ipv4(uint16_t port = 4379) { return *SockAddr::parse("10.1.2.3", port); }

SockAddr sample_ipv6(uint16_t port = 445) {
  SockAddr a = *SockAddr::parse("fd00::1:2", port);
  a.flowinfo = 0x01020304;
  a.scope_id = 7;
  return a;
}

LtdbHeader sample_header() {
  LtdbHeader h;
  h.rsn = 0x0102030405060708ULL;
  h.dmaster = 2;
  h.reserved1 = 0xdeadbeef;
  h.flags = REC_FLAG_MIGRATED_WITH_DATA | REC_RO_HAVE_READONLY;
  return h;
}

Statistics sample_statistics(uint32_t base) {
  Statistics s;
  uint32_t n = base;
  s.num_clients = ++n;
  s.frozen = ++n;
  s.recovering = ++n;
  s.client_packets_sent = ++n;
  s.client_packets_recv = ++n;
  s.node_packets_sent = ++n;
  s.node_packets_recv = ++n;
  s.keepalive_packets_sent = ++n;
  s.keepalive_packets_recv = ++n;
  s.node.req_call = ++n;
  s.node.reply_call = ++n;
  s.node.req_dmaster = ++n;
  s.node.reply_dmaster = ++n;
  s.node.reply_error = ++n;
  s.node.req_message = ++n;
  s.node.req_control = ++n;
  s.node.reply_control = ++n;
  s.node.req_tunnel = ++n;
  s.client.req_call = ++n;
  s.client.req_message = ++n;
  s.client.req_control = ++n;
  s.client.req_tunnel = ++n;
  s.timeouts.call = ++n;
  s.timeouts.control = ++n;
  s.timeouts.traverse = ++n;
  s.reclock.ctdbd = sample_latency(1);
  s.reclock.recd = sample_latency(2);
  s.locks.num_calls = ++n;
  s.locks.num_current = ++n;
  s.locks.num_pending = ++n;
  s.locks.num_failed = ++n;
  s.locks.latency = sample_latency(3);
  for (auto& b : s.locks.buckets) b = ++n;
  s.total_calls = ++n;
  s.pending_calls = ++n;
  s.childwrite_calls = ++n;
  s.pending_childwrite_calls = ++n;
  s.memory_used = ++n;
  s.last_counter = ++n;
  s.max_hop_count = ++n;
  for (auto& b : s.hop_count_bucket) b = ++n;
  s.call_latency = sample_latency(4);
  s.childwrite_latency = sample_latency(5);
  s.num_recoveries = ++n;
  s.statistics_start_time = sample_timeval(1);
  s.statistics_current_time = sample_timeval(2);
  s.total_ro_delegations = ++n;
  s.total_ro_revokes = ++n;
  return s;
}

VnnMap sample_vnnmap() { return VnnMap{0x55aa1234, {0, 1, 2, 1}}; }
DbIdMap sample_dbidmap() {
  return DbIdMap{{{0x11223344, DB_FLAGS_PERSISTENT}, {0x55667788, DB_FLAGS_REPLICATED}}};
}
PullDb sample_pulldb() { return PullDb{0x42, 3}; }
PullDbExt sample_pulldb_ext() { return PullDbExt{0x42, LMASTER_ANY, 0xAE00000000000001ULL}; }

RecData sample_recdata() {
  return RecData::with_header(99, sample_header(), {'k', 'e', 'y'}, {'v', 'a', 'l', 0});
}

RecBuffer sample_recbuffer() {
  RecBuffer b;
  b.db_id = 0x12345678;
  LtdbHeader h = sample_header();
  b.add(1, &h, {'a'}, {'x', 'y'});
  b.add(2, nullptr, {'b', 'b'}, {});
  b.add(3, &h, {}, {'z'});
  return b;
}

TraverseStart sample_traverse_start() { return TraverseStart{7, 8, 0xBE00000000000009ULL}; }
TraverseAll sample_traverse_all() { return TraverseAll{7, 8, 2, 11, 0xBE0000000000000AULL}; }
TraverseStartExt sample_traverse_start_ext() {
  return TraverseStartExt{7, 8, 0xBE0000000000000BULL, true};
}
TraverseAllExt sample_traverse_all_ext() {
  return TraverseAllExt{7, 8, 2, 11, 0xBE0000000000000CULL, true};
}

Connection sample_connection() {
  return Connection{sample_ipv4(445), *SockAddr::parse("10.9.8.7", 51234)};
}
ConnectionList sample_connection_list() {
  return ConnectionList{{sample_connection(), Connection{sample_ipv6(445), sample_ipv6(40000)}}};
}

Tunable sample_tunable() { return Tunable{42, "RecoveryBanPeriod"}; }
VarList sample_varlist() {
  return VarList{{"MaxRedirectCount", "SeqnumInterval", "ControlTimeout"}};
}
NodeFlagChange sample_flag_change() {
  return NodeFlagChange{2, NODE_FLAGS_BANNED, NODE_FLAGS_DISCONNECTED};
}

TunableList sample_tunable_list() {
  TunableList t;
  for (size_t i = 0; i < TunableList::kCount; i++) *t.field(i) = static_cast<uint32_t>(1000 + i);
  return t;
}

TickleList sample_tickle_list() {
  TickleList t;
  t.addr = sample_ipv4(0);
  t.conns = sample_connection_list().conns;
  return t;
}

AddrInfo sample_addr_info() { return AddrInfo{sample_ipv4(0), 24, "eth1"}; }
TransDb sample_transdb() { return TransDb{0x42, 0x99}; }
Uptime sample_uptime() {
  return Uptime{sample_timeval(1), sample_timeval(2), sample_timeval(3), sample_timeval(4)};
}
PublicIp sample_public_ip() { return PublicIp{1, sample_ipv4(0)}; }
PublicIpList sample_public_ip_list() {
  return PublicIpList{{sample_public_ip(), PublicIp{UNKNOWN_PNN, sample_ipv6(0)}}};
}
NodeMap sample_nodemap() {
  return NodeMap{{NodeAndFlags{0, 0, *SockAddr::parse("127.0.0.1")},
                  NodeAndFlags{1, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY,
                               *SockAddr::parse("127.0.0.2")}}};
}

Script sample_script(int i) {
  Script s;
  s.name = "10.interface" + std::to_string(i);
  s.start = sample_timeval(i);
  s.finished = sample_timeval(i + 1);
  s.status = -62;
  s.output = "timed out\n";
  return s;
}
ScriptList sample_script_list() { return ScriptList{{sample_script(1), sample_script(2)}}; }

BanState sample_ban_state() { return BanState{3, 300}; }
NotifyData sample_notify() { return NotifyData{SRVID_SAMBA_NOTIFY, {0}}; }
Iface sample_iface() { return Iface{"eth0", 1, 3}; }
IfaceList sample_iface_list() { return IfaceList{{sample_iface(), Iface{"bond0.100", 0, 0}}}; }
PublicIpInfo sample_ipinfo() { return PublicIpInfo{sample_public_ip(), 1, sample_iface_list()}; }
KeyData sample_key_data() { return KeyData{0x42, sample_header(), {'k', 0, 'y'}}; }

DbStatistics sample_db_statistics() {
  DbStatistics d;
  d.locks.num_calls = 1;
  d.locks.num_current = 2;
  d.locks.num_pending = 3;
  d.locks.num_failed = 4;
  d.locks.latency = sample_latency(6);
  for (size_t i = 0; i < d.locks.buckets.size(); i++) d.locks.buckets[i] = 100 + i;
  d.vacuum.latency = sample_latency(7);
  d.db_ro_delegations = 5;
  d.db_ro_revokes = 6;
  for (size_t i = 0; i < d.hop_count_bucket.size(); i++) d.hop_count_bucket[i] = 200 + i;
  d.num_hot_keys = MAX_HOT_KEYS;
  d.hot_keys[0] = HotKey{17, {'h', 'o', 't'}};
  d.hot_keys[3] = HotKey{5, {1, 2, 3, 4, 5}};
  return d;
}

PidSrvid sample_pid_srvid() { return PidSrvid{12345, 0xFE00000000003039ULL}; }
DbVacuum sample_db_vacuum() { return DbVacuum{0x42, true}; }
EchoData sample_echo() { return EchoData{5, {9, 8, 7}}; }
ControlStatistics sample_control_statistics() {
  ControlStatistics s;
  s.entries.push_back({CONTROL_GET_PNN, 7, 0, LatencyCounter{7, 0.0001, 0.002, 0.004}});
  s.entries.push_back({CONTROL_DB_ATTACH, 3, 1, LatencyCounter{3, 0.001, 0.5, 0.6}});
  return s;
}
ElectionMessage sample_election() { return ElectionMessage{3, sample_timeval(9), 1, 0x20}; }
SrvidMessage sample_srvid_message() { return SrvidMessage{2, 0xCE00000000000077ULL}; }
DisableMessage sample_disable_message() { return DisableMessage{2, 0xCE00000000000078ULL, 60}; }
ServerId sample_server_id() { return ServerId{4242, 1, 2, 0x1122334455667788ULL}; }
GLock sample_glock() { return GLock{G_LOCK_WRITE, sample_server_id()}; }
GLockList sample_glock_list() {
  return GLockList{{sample_glock(), GLock{G_LOCK_READ, ServerId{1, 0, 0, 9}}}};
}

// A valid encoding of every payload kind, with non-default values; used by the
// control-table and fuzz tests too.
Bytes sample_payload(PayloadKind kind) {
  Bytes out;
  Writer w(&out);
  switch (kind) {
    case PayloadKind::kNone:
      break;
    case PayloadKind::kAny:
      out = {1, 2, 3};
      break;
    case PayloadKind::kUint32:
    case PayloadKind::kDbId:
      w.u32(0x0a0b0c0d);
      break;
    case PayloadKind::kInt32:
    case PayloadKind::kPid:
      w.i32(-12345);
      break;
    case PayloadKind::kUint64:
      w.u64(0x0102030405060708ULL);
      break;
    case PayloadKind::kDouble:
      w.f64(0.125);
      break;
    case PayloadKind::kDbIdPad:
      w.u32(0x0a0b0c0d);
      w.u32(0);
      break;
    case PayloadKind::kString:
      encode_cstring(w, "/var/lib/ctdb/volatile/locking.tdb.0");
      break;
    case PayloadKind::kStringN:
      w.stringn("RecoveryBanPeriod");
      break;
    case PayloadKind::kStatistics:
      encode(w, sample_statistics(0));
      break;
    case PayloadKind::kStatisticsList:
      encode(w, StatisticsList{{sample_statistics(0), sample_statistics(1000)}});
      break;
    case PayloadKind::kVnnMap:
      encode(w, sample_vnnmap());
      break;
    case PayloadKind::kDbIdMap:
      encode(w, sample_dbidmap());
      break;
    case PayloadKind::kPullDb:
      encode(w, sample_pulldb());
      break;
    case PayloadKind::kPullDbExt:
      encode(w, sample_pulldb_ext());
      break;
    case PayloadKind::kRecData:
      encode(w, sample_recdata());
      break;
    case PayloadKind::kRecBuffer:
      encode(w, sample_recbuffer());
      break;
    case PayloadKind::kTraverseStart:
      encode(w, sample_traverse_start());
      break;
    case PayloadKind::kTraverseAll:
      encode(w, sample_traverse_all());
      break;
    case PayloadKind::kTraverseStartExt:
      encode(w, sample_traverse_start_ext());
      break;
    case PayloadKind::kTraverseAllExt:
      encode(w, sample_traverse_all_ext());
      break;
    case PayloadKind::kSockAddr:
      encode(w, sample_ipv6());
      break;
    case PayloadKind::kConnection:
      encode(w, sample_connection());
      break;
    case PayloadKind::kTunable:
      encode(w, sample_tunable());
      break;
    case PayloadKind::kVarList:
      encode(w, sample_varlist());
      break;
    case PayloadKind::kNodeFlagChange:
      encode(w, sample_flag_change());
      break;
    case PayloadKind::kTunableList:
      encode(w, sample_tunable_list());
      break;
    case PayloadKind::kTickleList:
      encode(w, sample_tickle_list());
      break;
    case PayloadKind::kAddrInfo:
      encode(w, sample_addr_info());
      break;
    case PayloadKind::kTransDb:
      encode(w, sample_transdb());
      break;
    case PayloadKind::kUptime:
      encode(w, sample_uptime());
      break;
    case PayloadKind::kPublicIp:
      encode(w, sample_public_ip());
      break;
    case PayloadKind::kPublicIpList:
      encode(w, sample_public_ip_list());
      break;
    case PayloadKind::kNodeMap:
      encode(w, sample_nodemap());
      break;
    case PayloadKind::kScriptList:
      encode(w, sample_script_list());
      break;
    case PayloadKind::kBanState:
      encode(w, sample_ban_state());
      break;
    case PayloadKind::kNotifyData:
      encode(w, sample_notify());
      break;
    case PayloadKind::kIface:
      encode(w, sample_iface());
      break;
    case PayloadKind::kIfaceList:
      encode(w, sample_iface_list());
      break;
    case PayloadKind::kPublicIpInfo:
      encode(w, sample_ipinfo());
      break;
    case PayloadKind::kKeyData:
      encode(w, sample_key_data());
      break;
    case PayloadKind::kDbStatistics:
      encode(w, sample_db_statistics());
      break;
    case PayloadKind::kPidSrvid:
      encode(w, sample_pid_srvid());
      break;
    case PayloadKind::kDbVacuum:
      encode(w, sample_db_vacuum());
      break;
    case PayloadKind::kEchoData:
      encode(w, sample_echo());
      break;
    case PayloadKind::kControlStatistics:
      encode(w, sample_control_statistics());
      break;
  }
  return out;
}

namespace {
template <typename T>
std::optional<Bytes> reencode_as(const Bytes& b) {
  T v;
  if (!from_bytes(b, &v)) return std::nullopt;
  return to_bytes(v);
}
}  // namespace

// Decodes a payload as `kind` and encodes the result again (nullopt when it
// does not decode). Scalar kinds are returned as is once checked.
std::optional<Bytes> reencode_payload(PayloadKind kind, const Bytes& b) {
  switch (kind) {
    case PayloadKind::kStatistics:
      return reencode_as<Statistics>(b);
    case PayloadKind::kStatisticsList:
      return reencode_as<StatisticsList>(b);
    case PayloadKind::kVnnMap:
      return reencode_as<VnnMap>(b);
    case PayloadKind::kDbIdMap:
      return reencode_as<DbIdMap>(b);
    case PayloadKind::kPullDb:
      return reencode_as<PullDb>(b);
    case PayloadKind::kPullDbExt:
      return reencode_as<PullDbExt>(b);
    case PayloadKind::kRecData:
      return reencode_as<RecData>(b);
    case PayloadKind::kRecBuffer:
      return reencode_as<RecBuffer>(b);
    case PayloadKind::kTraverseStart:
      return reencode_as<TraverseStart>(b);
    case PayloadKind::kTraverseAll:
      return reencode_as<TraverseAll>(b);
    case PayloadKind::kTraverseStartExt:
      return reencode_as<TraverseStartExt>(b);
    case PayloadKind::kTraverseAllExt:
      return reencode_as<TraverseAllExt>(b);
    case PayloadKind::kSockAddr:
      return reencode_as<SockAddr>(b);
    case PayloadKind::kConnection:
      return reencode_as<Connection>(b);
    case PayloadKind::kTunable:
      return reencode_as<Tunable>(b);
    case PayloadKind::kVarList:
      return reencode_as<VarList>(b);
    case PayloadKind::kNodeFlagChange:
      return reencode_as<NodeFlagChange>(b);
    case PayloadKind::kTunableList:
      return reencode_as<TunableList>(b);
    case PayloadKind::kTickleList:
      return reencode_as<TickleList>(b);
    case PayloadKind::kAddrInfo:
      return reencode_as<AddrInfo>(b);
    case PayloadKind::kTransDb:
      return reencode_as<TransDb>(b);
    case PayloadKind::kUptime:
      return reencode_as<Uptime>(b);
    case PayloadKind::kPublicIp:
      return reencode_as<PublicIp>(b);
    case PayloadKind::kPublicIpList:
      return reencode_as<PublicIpList>(b);
    case PayloadKind::kNodeMap:
      return reencode_as<NodeMap>(b);
    case PayloadKind::kScriptList:
      return reencode_as<ScriptList>(b);
    case PayloadKind::kBanState:
      return reencode_as<BanState>(b);
    case PayloadKind::kNotifyData:
      return reencode_as<NotifyData>(b);
    case PayloadKind::kIface:
      return reencode_as<Iface>(b);
    case PayloadKind::kIfaceList:
      return reencode_as<IfaceList>(b);
    case PayloadKind::kPublicIpInfo:
      return reencode_as<PublicIpInfo>(b);
    case PayloadKind::kKeyData:
      return reencode_as<KeyData>(b);
    case PayloadKind::kDbStatistics:
      return reencode_as<DbStatistics>(b);
    case PayloadKind::kPidSrvid:
      return reencode_as<PidSrvid>(b);
    case PayloadKind::kDbVacuum:
      return reencode_as<DbVacuum>(b);
    case PayloadKind::kEchoData:
      return reencode_as<EchoData>(b);
    case PayloadKind::kControlStatistics:
      return reencode_as<ControlStatistics>(b);
    default:
      if (!check_payload(kind, b)) return std::nullopt;
      return b;
  }
}

}  // namespace testing

namespace {

using namespace testing;  // NOLINT(build/namespaces): test-local samples

// Round trip: encode, decode the whole buffer, encode again to the same bytes,
// and every strict prefix is rejected unless the type legitimately ends early.
template <typename T>
Bytes check_round_trip(const T& v, bool prefixes_fail = true) {
  Bytes b = to_bytes(v);
  T d;
  EXPECT_TRUE(from_bytes(b, &d));
  EXPECT_EQ(to_bytes(d), b);
  if (prefixes_fail) {
    for (size_t n = 0; n < b.size(); n++) {
      Bytes prefix(b.begin(), b.begin() + n);
      T p;
      EXPECT_FALSE(from_bytes(prefix, &p)) << "prefix of length " << n << " decoded";
    }
  }
  // One byte more is never a whole value.
  Bytes longer = b;
  longer.push_back(0);
  T l;
  EXPECT_FALSE(from_bytes(longer, &l)) << "trailing byte accepted";
  return b;
}

uint32_t u32_at(const Bytes& b, size_t off) {
  return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (uint32_t{b[off + 3]} << 24);
}

TEST(Types, RoundTripEveryType) {
  check_round_trip(sample_timeval(5));
  check_round_trip(sample_latency(5));
  check_round_trip(sample_statistics(0));
  check_round_trip(StatisticsList{{sample_statistics(0), sample_statistics(7)}});
  check_round_trip(StatisticsList{});
  check_round_trip(sample_vnnmap());
  check_round_trip(DbId{7, DB_FLAGS_STICKY});
  check_round_trip(sample_dbidmap());
  check_round_trip(sample_pulldb());
  check_round_trip(sample_pulldb_ext());
  check_round_trip(sample_header());
  check_round_trip(sample_recdata());
  check_round_trip(sample_recbuffer());
  check_round_trip(sample_traverse_start());
  check_round_trip(sample_traverse_all());
  check_round_trip(sample_traverse_start_ext());
  check_round_trip(sample_traverse_all_ext());
  check_round_trip(sample_ipv4());
  check_round_trip(sample_ipv6());
  check_round_trip(sample_connection());
  check_round_trip(sample_connection_list());
  check_round_trip(sample_tunable());
  check_round_trip(sample_varlist());
  check_round_trip(sample_flag_change());
  check_round_trip(sample_tunable_list());
  check_round_trip(sample_tickle_list());
  check_round_trip(sample_addr_info());
  check_round_trip(sample_transdb());
  check_round_trip(sample_uptime());
  check_round_trip(sample_public_ip());
  check_round_trip(sample_public_ip_list());
  check_round_trip(sample_nodemap().nodes[1]);
  check_round_trip(sample_nodemap());
  check_round_trip(sample_script(3));
  check_round_trip(sample_ban_state());
  check_round_trip(sample_notify());
  check_round_trip(sample_iface());
  check_round_trip(sample_iface_list());
  check_round_trip(sample_ipinfo());
  check_round_trip(sample_key_data());
  check_round_trip(sample_db_statistics());
  check_round_trip(sample_pid_srvid());
  check_round_trip(sample_db_vacuum());
  check_round_trip(sample_echo());
  check_round_trip(sample_election());
  check_round_trip(sample_srvid_message());
  check_round_trip(sample_disable_message());
  check_round_trip(sample_server_id());
  check_round_trip(sample_glock());
  // The empty buffer is a valid (never run) script list, so its prefix decodes.
  check_round_trip(sample_script_list(), false);
  // A g_lock list is "the rest of the buffer": only non-multiples of 32 fail.
  Bytes gl = check_round_trip(sample_glock_list(), false);
  for (size_t n = 1; n < gl.size(); n++) {
    GLockList l;
    EXPECT_EQ(from_bytes(Bytes(gl.begin(), gl.begin() + n), &l), n % kGLockSize == 0) << n;
  }
}

TEST(Types, FieldValuesSurviveRoundTrip) {
  Statistics s;
  ASSERT_TRUE(from_bytes(to_bytes(sample_statistics(0)), &s));
  Statistics e = sample_statistics(0);
  EXPECT_EQ(s.total_ro_revokes, e.total_ro_revokes);
  EXPECT_EQ(s.hop_count_bucket, e.hop_count_bucket);
  EXPECT_EQ(s.locks.latency, e.locks.latency);
  EXPECT_EQ(s.statistics_current_time, e.statistics_current_time);

  TickleList t;
  ASSERT_TRUE(from_bytes(to_bytes(sample_tickle_list()), &t));
  ASSERT_EQ(t.conns.size(), 2u);
  EXPECT_EQ(t.conns[1].dst, sample_ipv6(40000));
  EXPECT_EQ(t.addr, sample_ipv4(0));

  DbStatistics d;
  ASSERT_TRUE(from_bytes(to_bytes(sample_db_statistics()), &d));
  EXPECT_EQ(d.num_hot_keys, MAX_HOT_KEYS);
  EXPECT_EQ(d.hot_keys[3].key, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(d.hot_keys[0].count, 17u);

  AddrInfo a;
  ASSERT_TRUE(from_bytes(to_bytes(sample_addr_info()), &a));
  EXPECT_EQ(a.iface, "eth1");
  EXPECT_EQ(a.mask, 24u);
  EXPECT_EQ(a.addr.to_string(), "10.1.2.3");
}

TEST(Types, FixedSizesMatch417) {
  EXPECT_EQ(to_bytes(sample_latency(1)).size(), kLatencyCounterSize);
  EXPECT_EQ(to_bytes(Statistics{}).size(), kStatisticsSize);
  EXPECT_EQ(to_bytes(LtdbHeader{}).size(), kLtdbHeaderSize);
  EXPECT_EQ(to_bytes(SockAddr{}).size(), kSockAddrSize);
  EXPECT_EQ(to_bytes(sample_ipv4()).size(), kSockAddrSize);
  EXPECT_EQ(to_bytes(sample_ipv6()).size(), kSockAddrSize);
  EXPECT_EQ(to_bytes(Connection{}).size(), kConnectionSize);
  EXPECT_EQ(to_bytes(PublicIp{}).size(), kPublicIpSize);
  EXPECT_EQ(to_bytes(NodeAndFlags{}).size(), kNodeAndFlagsSize);
  EXPECT_EQ(to_bytes(DbId{}).size(), kDbIdSize);
  EXPECT_EQ(to_bytes(Script{}).size(), kScriptSize);
  EXPECT_EQ(to_bytes(Iface{}).size(), kIfaceSize);
  EXPECT_EQ(to_bytes(TunableList{}).size(), kTunableListSize);
  EXPECT_EQ(to_bytes(PidSrvid{}).size(), kPidSrvidSize);
  EXPECT_EQ(to_bytes(DbVacuum{}).size(), kDbVacuumSize);
  EXPECT_EQ(to_bytes(GLock{}).size(), kGLockSize);
  EXPECT_EQ(to_bytes(ServerId{}).size(), kServerIdSize);
  EXPECT_EQ(to_bytes(TraverseStart{}).size(), 16u);
  EXPECT_EQ(to_bytes(TraverseAll{}).size(), 24u);
  EXPECT_EQ(to_bytes(TraverseStartExt{}).size(), 24u);
  EXPECT_EQ(to_bytes(TraverseAllExt{}).size(), 32u);
  EXPECT_EQ(to_bytes(ElectionMessage{}).size(), 32u);
  EXPECT_EQ(to_bytes(SrvidMessage{}).size(), 16u);
  EXPECT_EQ(to_bytes(DisableMessage{}).size(), 24u);
  EXPECT_EQ(to_bytes(Uptime{}).size(), 64u);
  EXPECT_EQ(to_bytes(KeyData{}).size(), 4u + 4 + 24 + 4);
  EXPECT_EQ(to_bytes(PublicIpInfo{}).size(), kPublicIpSize + 4 + 4);
  // 216 bytes of counters, num_hot_keys + pad, 10 * 24 of hot-key slots, then key bytes.
  EXPECT_EQ(to_bytes(DbStatistics{}).size(), 216u + 8 + 10 * 24);
  EXPECT_EQ(to_bytes(sample_db_statistics()).size(), 216u + 8 + 10 * 24 + 3 + 5);
  EXPECT_EQ(to_bytes(ScriptList{}).size(), 8u);
}

TEST(Types, SockAddrWireLayout) {
  Bytes v4 = to_bytes(*SockAddr::parse("10.1.2.3", 4379));
  Bytes want4 = {2, 0, 0x11, 0x1b, 10, 1, 2, 3};
  want4.resize(kSockAddrSize, 0);
  EXPECT_EQ(v4, want4);

  SockAddr a6 = *SockAddr::parse("fe80::1", 445);
  a6.scope_id = 3;
  Bytes v6 = to_bytes(a6);
  ASSERT_EQ(v6.size(), kSockAddrSize);
  EXPECT_EQ(v6[0], AF_INET6);
  EXPECT_EQ(v6[1], 0);
  EXPECT_EQ(v6[2], 0x01);  // 445 = 0x01bd, big-endian
  EXPECT_EQ(v6[3], 0xbd);
  EXPECT_EQ(v6[8], 0xfe);
  EXPECT_EQ(v6[9], 0x80);
  EXPECT_EQ(v6[23], 0x01);
  EXPECT_EQ(u32_at(v6, 24), 3u);

  // The same bytes the C library would produce for the socket API.
  sockaddr_storage ss;
  ASSERT_EQ(a6.to_sockaddr(&ss), sizeof(sockaddr_in6));
  EXPECT_EQ(0, memcmp(&ss, v6.data(), sizeof(sockaddr_in6)));
  auto back = SockAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), sizeof(sockaddr_in6));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, a6);

  // Family 0 decodes (unset address); other families are refused.
  SockAddr z;
  EXPECT_TRUE(from_bytes(Bytes(kSockAddrSize, 0), &z));
  EXPECT_EQ(z.family, 0);
  Bytes bad(kSockAddrSize, 0);
  bad[0] = AF_UNIX;
  EXPECT_FALSE(from_bytes(bad, &z));
}

TEST(Types, SockAddrText) {
  EXPECT_EQ(SockAddr::parse("192.168.1.10")->to_string(), "192.168.1.10");
  EXPECT_EQ(SockAddr::parse("fd00::0001")->to_string(), "fd00::1");
  EXPECT_EQ(SockAddr::parse("[fd00::1]")->to_string(), "fd00::1");
  auto mapped = SockAddr::parse("::ffff:10.0.0.7");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_ipv4());
  EXPECT_EQ(mapped->to_string(), "10.0.0.7");
  EXPECT_FALSE(SockAddr::parse("10.0.0.256"));
  EXPECT_FALSE(SockAddr::parse(""));
  EXPECT_FALSE(SockAddr::parse("host.example"));

  auto p4 = SockAddr::parse_with_port("10.0.0.1:445");
  ASSERT_TRUE(p4);
  EXPECT_EQ(p4->port, 445);
  EXPECT_EQ(p4->to_string_with_port(), "10.0.0.1:445");
  auto p6 = SockAddr::parse_with_port("[fd00::5]:139");
  ASSERT_TRUE(p6);
  EXPECT_EQ(p6->to_string_with_port(), "[fd00::5]:139");
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:65536"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:4x"));

  EXPECT_TRUE(SockAddr::parse("10.0.0.1", 1)->same_ip(*SockAddr::parse("10.0.0.1", 2)));
  EXPECT_FALSE(SockAddr::parse("10.0.0.1")->same_ip(*SockAddr::parse("10.0.0.2")));
}

TEST(Types, LtdbHeaderLayout) {
  Bytes b = to_bytes(sample_header());
  Bytes want = {8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, 0, 0, 1, 2, 0, 0, 0, 0};
  EXPECT_EQ(b, want);
}

TEST(Types, RecDataLayoutAndHeaderSplit) {
  RecData r = sample_recdata();
  Bytes b = to_bytes(r);
  // length, reqid, keylen, datalen (header counted in data), key, header, value.
  ASSERT_EQ(b.size(), 16u + 3 + 24 + 4);
  EXPECT_EQ(u32_at(b, 0), b.size());
  EXPECT_EQ(u32_at(b, 4), 99u);
  EXPECT_EQ(u32_at(b, 8), 3u);
  EXPECT_EQ(u32_at(b, 12), 28u);
  LtdbHeader h;
  Bytes value;
  ASSERT_TRUE(r.split_header(&h, &value));
  EXPECT_EQ(h.rsn, sample_header().rsn);
  EXPECT_EQ(value, (Bytes{'v', 'a', 'l', 0}));
  RecData shortr;
  shortr.data = {1, 2};
  EXPECT_FALSE(shortr.split_header(&h, &value));

  // A length field that disagrees with key + data lengths is refused.
  Bytes bad = b;
  bad[0]++;
  RecData d;
  EXPECT_FALSE(from_bytes(bad, &d));
}

TEST(Types, RecBufferAddAndIterate) {
  RecBuffer b = sample_recbuffer();
  EXPECT_EQ(b.count, 3u);
  auto recs = b.records();
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].reqid, 1u);
  EXPECT_EQ((*recs)[1].key, (Bytes{'b', 'b'}));
  EXPECT_TRUE((*recs)[1].data.empty());
  LtdbHeader h;
  Bytes v;
  ASSERT_TRUE((*recs)[2].split_header(&h, &v));
  EXPECT_EQ(v, (Bytes{'z'}));
  EXPECT_EQ(h.dmaster, 2u);

  // Early stop.
  int seen = 0;
  EXPECT_TRUE(b.for_each([&](const RecData&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);

  // Count larger than the records present fails to decode.
  Bytes enc = to_bytes(b);
  enc[4] = 4;
  RecBuffer d;
  EXPECT_FALSE(from_bytes(enc, &d));
  // A lying count on a hand-built buffer is caught by records().
  RecBuffer lie = b;
  lie.count = 5;
  EXPECT_FALSE(lie.records());
  // Empty buffer.
  RecBuffer e;
  e.db_id = 9;
  Bytes eb = check_round_trip(e);
  EXPECT_EQ(eb.size(), 8u);
}

TEST(Types, VarListFormat) {
  Bytes b = to_bytes(VarList{{"A", "BC"}});
  Bytes want = {6, 0, 0, 0, ':', 'A', ':', 'B', 'C', 0};
  EXPECT_EQ(b, want);
  EXPECT_EQ(to_bytes(VarList{}), (Bytes{0, 0, 0, 0}));
  VarList v;
  ASSERT_TRUE(from_bytes(Bytes{0, 0, 0, 0}, &v));
  EXPECT_TRUE(v.vars.empty());
  // strtok semantics: empty fields vanish.
  ASSERT_TRUE(from_bytes(Bytes{6, 0, 0, 0, ':', 'A', ':', ':', 'B', 0}, &v));
  EXPECT_EQ(v.vars, (std::vector<std::string>{"A", "B"}));
}

TEST(Types, TunableAndStrings) {
  Bytes b = to_bytes(Tunable{7, "Ab"});
  EXPECT_EQ(b, (Bytes{7, 0, 0, 0, 3, 0, 0, 0, 'A', 'b', 0}));
  // A stringn whose length runs past the buffer is refused.
  Tunable t;
  EXPECT_FALSE(from_bytes(Bytes{7, 0, 0, 0, 9, 0, 0, 0, 'A', 'b', 0}, &t));

  Bytes s;
  Writer w(&s);
  encode_cstring(w, "db.tdb");
  EXPECT_EQ(s.size(), 7u);
  Reader r(s);
  std::string out;
  ASSERT_TRUE(decode_cstring(r, &out));
  EXPECT_EQ(out, "db.tdb");
  Bytes nonul = {'a', 'b'};
  Reader r2(nonul);
  EXPECT_FALSE(decode_cstring(r2, &out));
  Reader r3(Bytes{});
  ASSERT_TRUE(decode_cstring(r3, &out));
  EXPECT_EQ(out, "");
}

TEST(Types, PaddingAndFlagBytes) {
  Bytes d = to_bytes(DbId{0x01020304, DB_FLAGS_READONLY});
  EXPECT_EQ(d, (Bytes{4, 3, 2, 1, 2, 0, 0, 0}));
  Bytes tse = to_bytes(sample_traverse_start_ext());
  EXPECT_EQ(tse[16], 1);
  EXPECT_EQ(tse.size(), 24u);
  Bytes dv = to_bytes(DbVacuum{5, true});
  EXPECT_EQ(dv, (Bytes{5, 0, 0, 0, 1}));
  Bytes ps = to_bytes(PidSrvid{1, 2});
  EXPECT_EQ(ps, (Bytes{1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}));
  Bytes sm = to_bytes(SrvidMessage{1, 2});
  EXPECT_EQ(sm, (Bytes{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}));
  Bytes iface = to_bytes(Iface{"eth0", 1, 2});
  EXPECT_EQ(iface.size(), 24u);
  EXPECT_EQ(iface[18], 1);
  EXPECT_EQ(u32_at(iface, 20), 2u);
  // Names too long for the fixed arrays keep a terminating NUL.
  Iface longname{"abcdefghijklmnopqrstuvwxyz", 0, 0};
  Iface back;
  ASSERT_TRUE(from_bytes(to_bytes(longname), &back));
  EXPECT_EQ(back.name, "abcdefghijklmnopq");
}

TEST(Types, RejectsBadInput) {
  // Booleans other than 0 and 1.
  Bytes dv = {5, 0, 0, 0, 2};
  DbVacuum v;
  EXPECT_FALSE(from_bytes(dv, &v));
  // g_lock type outside READ/WRITE.
  Bytes gl = to_bytes(sample_glock());
  gl[0] = 2;
  GLock g;
  EXPECT_FALSE(from_bytes(gl, &g));
  // Huge counts with little data fail before allocating.
  Bytes huge = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  NodeMap nm;
  EXPECT_FALSE(from_bytes(huge, &nm));
  VnnMap vm;
  EXPECT_FALSE(from_bytes(Bytes{1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}, &vm));
  StatisticsList sl;
  EXPECT_FALSE(from_bytes(Bytes{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, &sl));  // negative
  RecBuffer rb;
  EXPECT_FALSE(from_bytes(Bytes{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, &rb));
  // DbStatistics: more hot keys than the table, or key sizes beyond the buffer.
  Bytes ds = to_bytes(sample_db_statistics());
  Bytes ds_bad = ds;
  ds_bad[216] = MAX_HOT_KEYS + 1;
  DbStatistics d;
  EXPECT_FALSE(from_bytes(ds_bad, &d));
  ds_bad = ds;
  ds_bad[224 + 16 + 7] = 0x80;  // size_t of the first hot key: enormous
  EXPECT_FALSE(from_bytes(ds_bad, &d));
  // Failed decodes leave the output untouched.
  VnnMap keep = sample_vnnmap();
  EXPECT_FALSE(from_bytes(Bytes{1, 2, 3}, &keep));
  EXPECT_EQ(keep.generation, sample_vnnmap().generation);
}

// Payloads captured from Debian's stock 4.17 ctdbd and ctdb tool (single node on
// 127.0.0.41, ctdb statistics / listnodes / getdbmap / uptime / listvars / setvar /
// pstore / catdb / dbstatistics / gettickles / ban) through a logging socket proxy.
namespace golden {
// 12 bytes
const char kDbMapReply[] = "01000000893528bc00000000";
// 464 bytes
const char kDbStatisticsReply[] =
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000000000000000000000000000000000000a000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000000000000000000000000000000000000000";
// 488 bytes
const char kStatisticsReply[] =
    "0200000000000000000000004801000045010000750200000000000000000000000000000000000000000000"
    "0000000000000000000000001a0000002f0100002c0100000000000000000000190000002c01000000000000"
    "000000000000000000000000000000000100000000000000ec6d3315e251f43fec6d3315e251f43fec6d3315"
    "e251f43f01000000000000000420eeea55e4f03f0420eeea55e4f03f0420eeea55e4f03f0000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000c3c01000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "01000000000000009441076b000000003608010000000000b241076b00000000201907000000000000000000"
    "00000000";
// 64 bytes
const char kUptimeReply[] =
    "b241076b000000007e090e00000000009441076b0000000044770000000000009c41076b00000000ad280b00"
    "000000009e41076b00000000c2d6010000000000";
// 823 bytes
const char kListTunablesReply[] =
    "330300003a5365716e756d496e74657276616c3a436f6e74726f6c54696d656f75743a547261766572736554"
    "696d656f75743a4b656570616c697665496e74657276616c3a4b656570616c6976654c696d69743a5265636f"
    "76657254696d656f75743a5265636f766572496e74657276616c3a456c656374696f6e54696d656f75743a54"
    "616b656f76657254696d656f75743a4d6f6e69746f72496e74657276616c3a5469636b6c6555706461746549"
    "6e74657276616c3a4576656e7453637269707454696d656f75743a4d6f6e69746f7254696d656f7574436f75"
    "6e743a5265636f766572794772616365506572696f643a5265636f7665727942616e506572696f643a446174"
    "61626173654861736853697a653a44617461626173654d6178446561643a52657265636f7665727954696d65"
    "6f75743a456e61626c6542616e733a4e6f49504661696c6261636b3a566572626f73654d656d6f72794e616d"
    "65733a5265636450696e6754696d656f75743a526563644661696c436f756e743a4c6f674c6174656e63794d"
    "733a5265634c6f636b4c6174656e63794d733a5265636f7665727944726f70416c6c4950733a56616375756d"
    "496e74657276616c3a56616375756d4d617852756e54696d653a52657061636b4c696d69743a56616375756d"
    "4661737450617468436f756e743a4d6178517565756544726f704d73673a416c6c6f77556e6865616c746879"
    "4442526561643a53746174486973746f7279496e74657276616c3a4465666572726564417474616368544f3a"
    "416c6c6f77436c69656e7444424174746163683a4665746368436f6c6c617073653a486f70636f756e744d61"
    "6b65537469636b793a537469636b794475726174696f6e3a537469636b7950696e646f776e3a4e6f49505461"
    "6b656f7665723a44425265636f7264436f756e745761726e3a44425265636f726453697a655761726e3a4442"
    "53697a655761726e3a50756c6c4442507265616c6c6f636174696f6e3a4c6f636b50726f6365737365735065"
    "7244423a52656342756666657253697a654c696d69743a517565756542756666657253697a653a4950416c6c"
    "6f63416c676f726974686d3a416c6c6f774d6978656456657273696f6e7300";
// 40 bytes
const char kNodeMapReply[] =
    "0100000000000000000000000200111b7f0000290000000000000000000000000000000000000000";
// 26 bytes
const char kSetTunableRequest[] = "2d010000120000005265636f7665727942616e506572696f6400";
// 123 bytes
const char kTrans3CommitRequest[] =
    "b4d14117020000002c00000000000000020000001a0000006b31010000000000000000000000000000000000"
    "0000000000007631470000000000000017000000200000005f5f64625f73657175656e63655f6e756d626572"
    "5f5f000100000000000000000000000000000000000000000000000100000000000000";
// 62 bytes
const char kScheduleForDeletionRequest[] =
    "2b432a4d000000000200000000000000000000000000000000000000000000001a0000007472616e73616374"
    "696f6e5f64625f3078313734316431623400";
// 24 bytes
const char kTraverseStartExtRequest[] = "893528bc00000000bb5c0000000000be0000000000000000";
// 50 bytes
const char kTraverseDataMessage[] =
    "3200000000000000040000001e0000006b657931020000000000000000000000000000000000000000000000"
    "76616c756531";
// 28 bytes
const char kTickleListRequest[] = "020000007f0000290000000000000000000000000000000000000000";
// 8 bytes
const char kSetBanStateRequest[] = "0000000005000000";
}  // namespace golden

Bytes unhex(const char* h) {
  Bytes b;
  for (size_t i = 0; h[i] && h[i + 1]; i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(h + i, 2), nullptr, 16)));
  }
  return b;
}

// Decodes a captured payload and re-encodes it to the very same bytes.
template <typename T>
T expect_golden(const char* hex) {
  Bytes b = unhex(hex);
  T v;
  EXPECT_TRUE(from_bytes(b, &v));
  EXPECT_EQ(to_bytes(v), b);
  return v;
}

TEST(Golden417, RepliesFromStockDaemon) {
  Statistics st = expect_golden<Statistics>(golden::kStatisticsReply);
  EXPECT_EQ(unhex(golden::kStatisticsReply).size(), kStatisticsSize);
  EXPECT_EQ(st.num_clients, 2u);
  EXPECT_GT(st.statistics_start_time.sec, 1600000000);

  NodeMap nm = expect_golden<NodeMap>(golden::kNodeMapReply);
  ASSERT_EQ(nm.nodes.size(), 1u);
  EXPECT_EQ(nm.nodes[0].pnn, 0u);
  // The stock daemon reports node addresses with the node port.
  EXPECT_EQ(nm.nodes[0].addr.to_string_with_port(), "127.0.0.41:4379");

  DbIdMap dm = expect_golden<DbIdMap>(golden::kDbMapReply);
  ASSERT_EQ(dm.dbs.size(), 1u);
  EXPECT_EQ(dm.dbs[0].db_id, 0xbc283589u);

  Uptime up = expect_golden<Uptime>(golden::kUptimeReply);
  EXPECT_GE(up.current_time.sec, up.ctdbd_start_time.sec);

  DbStatistics ds = expect_golden<DbStatistics>(golden::kDbStatisticsReply);
  EXPECT_EQ(ds.num_hot_keys, MAX_HOT_KEYS);

  // The stock daemon starts the list with a ':' (an empty first name); the
  // names are what matter, so only decoding is compared here.
  Bytes lt = unhex(golden::kListTunablesReply);
  VarList vl;
  ASSERT_TRUE(from_bytes(lt, &vl));
  EXPECT_EQ(vl.vars.size(), 49u);
  EXPECT_EQ(vl.vars.front(), "SeqnumInterval");
  EXPECT_EQ(lt[4], ':');
  EXPECT_TRUE(check_reply_payload(CONTROL_LIST_TUNABLES, lt));
}

TEST(Golden417, RequestsFromStockTool) {
  Tunable t = expect_golden<Tunable>(golden::kSetTunableRequest);
  EXPECT_EQ(t.name, "RecoveryBanPeriod");
  EXPECT_EQ(t.value, 301u);

  SockAddr a = expect_golden<SockAddr>(golden::kTickleListRequest);
  EXPECT_EQ(a.to_string(), "127.0.0.41");

  BanState b = expect_golden<BanState>(golden::kSetBanStateRequest);
  EXPECT_EQ(b.time, 5u);

  TraverseStartExt ts = expect_golden<TraverseStartExt>(golden::kTraverseStartExtRequest);
  EXPECT_EQ(ts.db_id, 0xbc283589u);

  KeyData kd = expect_golden<KeyData>(golden::kScheduleForDeletionRequest);
  EXPECT_EQ(std::string(kd.key.begin(), kd.key.end() - 1), "transaction_db_0x1741d1b4");

  RecBuffer rb = expect_golden<RecBuffer>(golden::kTrans3CommitRequest);
  auto recs = rb.records();
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), rb.count);
  LtdbHeader h;
  Bytes value;
  ASSERT_TRUE((*recs)[0].split_header(&h, &value));
  EXPECT_EQ(std::string((*recs)[0].key.begin(), (*recs)[0].key.end()), "k1");
  EXPECT_EQ(std::string(value.begin(), value.end()), "v1");

  // A traverse record: the ltdb header travels inside the data.
  RecData rd = expect_golden<RecData>(golden::kTraverseDataMessage);
  ASSERT_TRUE(rd.split_header(&h, &value));
  EXPECT_EQ(std::string(rd.key.begin(), rd.key.end()), "key1");
  EXPECT_EQ(std::string(value.begin(), value.end()), "value1");
  EXPECT_EQ(h.rsn, 2u);
}

}  // namespace
}  // namespace ctdb::proto
