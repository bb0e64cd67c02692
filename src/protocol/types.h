// Typed control and message payloads of the CTDB 4.17 protocol: one plain struct per
// marshalled type and an encode/decode pair reproducing 4.17's x86_64 byte layout.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "protocol/wire.h"

struct sockaddr;
struct sockaddr_storage;

namespace ctdb::proto {

// Fixed wire sizes (bytes) of the types that have one. 4.17 lays these out as the
// x86_64 C structs would be, explicit padding included.
constexpr size_t kLatencyCounterSize = 32;  // int32 num, pad 4, double min/max/total
constexpr size_t kStatisticsSize = 488;
constexpr size_t kLtdbHeaderSize = 24;  // rsn u64, dmaster, reserved1, flags, pad 4
constexpr size_t kSockAddrSize = 28;    // sizeof(union {sockaddr, sockaddr_in, sockaddr_in6})
constexpr size_t kConnectionSize = 2 * kSockAddrSize;
constexpr size_t kPublicIpSize = 4 + kSockAddrSize;
constexpr size_t kNodeAndFlagsSize = 8 + kSockAddrSize;
constexpr size_t kDbIdSize = 8;  // db_id u32, flags u8, pad 3
constexpr size_t kScriptSize = 584;
constexpr size_t kIfaceSize = 24;  // name[18], link_state u16, references u32
constexpr size_t kIfaceNameSize = IFACE_SIZE + 2;
constexpr size_t kTunableListSize = 62 * 4;
constexpr size_t kPidSrvidSize = 12;  // pid_t then u64, no padding (4.17 packs it)
constexpr size_t kDbVacuumSize = 5;   // db_id u32, bool, no padding
constexpr size_t kGLockSize = 32;
constexpr size_t kServerIdSize = 24;

// struct timeval as x86_64 puts it on the wire: two signed 64-bit fields.
struct Timeval {
  int64_t sec = 0;
  int64_t usec = 0;
  bool operator==(const Timeval& o) const { return sec == o.sec && usec == o.usec; }
  bool operator!=(const Timeval& o) const { return !(*this == o); }
};

struct LatencyCounter {
  int32_t num = 0;
  double min = 0;
  double max = 0;
  double total = 0;
  // Counts one operation that took `seconds`.
  void add(double seconds) {
    if (num == 0 || seconds < min) min = seconds;
    if (seconds > max) max = seconds;
    total += seconds;
    num++;
  }
  bool operator==(const LatencyCounter& o) const {
    return num == o.num && min == o.min && max == o.max && total == o.total;
  }
};

// ctdb_statistics (CONTROL_STATISTICS reply, 488 bytes).
struct Statistics {
  uint32_t num_clients = 0;
  uint32_t frozen = 0;
  uint32_t recovering = 0;
  uint32_t client_packets_sent = 0;
  uint32_t client_packets_recv = 0;
  uint32_t node_packets_sent = 0;
  uint32_t node_packets_recv = 0;
  uint32_t keepalive_packets_sent = 0;
  uint32_t keepalive_packets_recv = 0;
  struct {
    uint32_t req_call = 0;
    uint32_t reply_call = 0;
    uint32_t req_dmaster = 0;
    uint32_t reply_dmaster = 0;
    uint32_t reply_error = 0;
    uint32_t req_message = 0;
    uint32_t req_control = 0;
    uint32_t reply_control = 0;
    uint32_t req_tunnel = 0;
  } node;
  struct {
    uint32_t req_call = 0;
    uint32_t req_message = 0;
    uint32_t req_control = 0;
    uint32_t req_tunnel = 0;
  } client;
  struct {
    uint32_t call = 0;
    uint32_t control = 0;
    uint32_t traverse = 0;
  } timeouts;
  struct {
    LatencyCounter ctdbd;
    LatencyCounter recd;
  } reclock;
  struct {
    uint32_t num_calls = 0;
    uint32_t num_current = 0;
    uint32_t num_pending = 0;
    uint32_t num_failed = 0;
    LatencyCounter latency;
    std::array<uint32_t, MAX_COUNT_BUCKETS> buckets{};
  } locks;
  uint32_t total_calls = 0;
  uint32_t pending_calls = 0;
  uint32_t childwrite_calls = 0;
  uint32_t pending_childwrite_calls = 0;
  uint32_t memory_used = 0;
  uint32_t last_counter = 0;  // 4.17's "__last_counter"
  uint32_t max_hop_count = 0;
  std::array<uint32_t, MAX_COUNT_BUCKETS> hop_count_bucket{};
  LatencyCounter call_latency;
  LatencyCounter childwrite_latency;
  uint32_t num_recoveries = 0;
  Timeval statistics_start_time;
  Timeval statistics_current_time;
  uint32_t total_ro_delegations = 0;
  uint32_t total_ro_revokes = 0;
};

// GET_STAT_HISTORY reply: int32 count, pad 4, then count statistics.
struct StatisticsList {
  std::vector<Statistics> stats;
};

struct VnnMap {
  uint32_t generation = 0;
  std::vector<uint32_t> map;  // index = hash slot, value = lmaster pnn
};

struct DbId {
  uint32_t db_id = 0;
  uint8_t flags = 0;  // DB_FLAGS_*
};

struct DbIdMap {
  std::vector<DbId> dbs;
};

struct PullDb {
  uint32_t db_id = 0;
  uint32_t lmaster = 0;
};

struct PullDbExt {
  uint32_t db_id = 0;
  uint32_t lmaster = 0;
  uint64_t srvid = 0;
};

// The header every record in a CTDB-managed tdb starts with.
struct LtdbHeader {
  uint64_t rsn = 0;
  uint32_t dmaster = 0;
  uint32_t reserved1 = 0;
  uint32_t flags = 0;
};

// One marshalled record: u32 total length (this field included), u32 reqid,
// u32 key length, u32 data length, key, data. When the sender carries the record
// header it is the first 24 bytes of `data` (4.17 counts it in the data length).
struct RecData {
  uint32_t reqid = 0;
  Bytes key;
  Bytes data;

  // Builds a record whose data is `header` followed by `value`.
  static RecData with_header(uint32_t reqid, const LtdbHeader& header, const Bytes& key,
                             const Bytes& value);
  // Splits data into a leading ltdb header and the value; false when data is
  // shorter than a header.
  bool split_header(LtdbHeader* header, Bytes* value) const;
};

// db_id, count, then `count` RecData records back to back. The records are kept
// marshalled (as 4.17 does) so that encode is a copy; use add() and for_each().
struct RecBuffer {
  uint32_t db_id = 0;
  uint32_t count = 0;
  Bytes buf;  // the marshalled records

  // Appends a record; `header` (may be null) is put in front of data.
  void add(uint32_t reqid, const LtdbHeader* header, const Bytes& key, const Bytes& data);
  void add(const RecData& rec);
  // Calls fn for every record in order; stops early when fn returns false.
  // Returns false if buf is inconsistent with count (decode already checked).
  bool for_each(const std::function<bool(const RecData&)>& fn) const;
  // All records, or nullopt when buf is inconsistent.
  std::optional<std::vector<RecData>> records() const;
};

struct TraverseStart {
  uint32_t db_id = 0;
  uint32_t reqid = 0;
  uint64_t srvid = 0;
};

struct TraverseAll {
  uint32_t db_id = 0;
  uint32_t reqid = 0;
  uint32_t pnn = 0;
  uint32_t client_reqid = 0;
  uint64_t srvid = 0;
};

struct TraverseStartExt {
  uint32_t db_id = 0;
  uint32_t reqid = 0;
  uint64_t srvid = 0;
  bool withemptyrecords = false;  // then 7 bytes of padding
};

struct TraverseAllExt {
  uint32_t db_id = 0;
  uint32_t reqid = 0;
  uint32_t pnn = 0;
  uint32_t client_reqid = 0;
  uint64_t srvid = 0;
  bool withemptyrecords = false;  // then 7 bytes of padding
};

// ctdb_sock_addr: 4.17 memcpy's the C union (28 bytes on Linux): family u16 in
// host (little-endian) order, port u16 in network order, then for AF_INET the
// address (4 bytes) and zeros, for AF_INET6 flowinfo u32, address (16 bytes),
// scope_id u32. Decode accepts AF_INET, AF_INET6 and family 0 (unset).
struct SockAddr {
  uint16_t family = 0;             // 0, AF_INET (2) or AF_INET6 (10)
  uint16_t port = 0;               // host order
  std::array<uint8_t, 16> addr{};  // network order; IPv4 uses the first 4 bytes
  uint32_t flowinfo = 0;           // IPv6 only, kept as the raw wire u32
  uint32_t scope_id = 0;           // IPv6 only

  bool is_ipv4() const;
  bool is_ipv6() const;
  bool empty() const { return family == 0; }
  // Parses "1.2.3.4", "fe80::1", "[fe80::1]"; IPv4-mapped IPv6 becomes IPv4.
  static std::optional<SockAddr> parse(const std::string& text, uint16_t port = 0);
  // Parses "1.2.3.4:80" or "[fe80::1]:80" (port required), as 4.17's tool does.
  // A bare IPv6 address is split at its last ':' ("fd00::1:80"), as 4.17 does.
  static std::optional<SockAddr> parse_with_port(const std::string& text);
  // Parses an address with an optional port: "1.2.3.4", "1.2.3.4:80", "fe80::1",
  // "[fe80::1]", "[fe80::1]:80" (nodes file). A bare IPv6 address never carries a
  // port here, since its last group would be ambiguous; without one, default_port.
  static std::optional<SockAddr> parse_maybe_port(const std::string& text, uint16_t default_port);
  // "1.2.3.4" / "fe80::1"; empty for family 0.
  std::string to_string() const;
  // "1.2.3.4:80" / "[fe80::1]:80".
  std::string to_string_with_port() const;
  // Conversions for the socket API; to_sockaddr returns the length (0 if unset).
  // from_sockaddr folds IPv4-mapped IPv6 (dual-stack accept) to IPv4, as parse does.
  size_t to_sockaddr(sockaddr_storage* out) const;
  static std::optional<SockAddr> from_sockaddr(const sockaddr* sa, size_t len);
  // Same family and address bytes (port ignored).
  bool same_ip(const SockAddr& o) const;
  bool operator==(const SockAddr& o) const;
  bool operator!=(const SockAddr& o) const { return !(*this == o); }
  // A total order (family, address, port, then the IPv6 extras) for maps and sorting.
  bool operator<(const SockAddr& o) const;
};

// A TCP connection; 4.17 also calls src "server" and dst "client".
struct Connection {
  SockAddr src;
  SockAddr dst;
};

struct ConnectionList {
  std::vector<Connection> conns;
};

// SET_TUNABLE request: u32 value, then the name as stringn.
struct Tunable {
  uint32_t value = 0;
  std::string name;
};

// LIST_TUNABLES reply: u32 length, then the names joined by ':' with one NUL.
struct VarList {
  std::vector<std::string> vars;
};

struct NodeFlagChange {
  uint32_t pnn = 0;
  uint32_t new_flags = 0;
  uint32_t old_flags = 0;
};

// GET_ALL_TUNABLES reply: every tunable as u32, in 4.17's order (62 fields).
struct TunableList {
  uint32_t max_redirect_count = 0;
  uint32_t seqnum_interval = 0;
  uint32_t control_timeout = 0;
  uint32_t traverse_timeout = 0;
  uint32_t keepalive_interval = 0;
  uint32_t keepalive_limit = 0;
  uint32_t recover_timeout = 0;
  uint32_t recover_interval = 0;
  uint32_t election_timeout = 0;
  uint32_t takeover_timeout = 0;
  uint32_t monitor_interval = 0;
  uint32_t tickle_update_interval = 0;
  uint32_t script_timeout = 0;
  uint32_t monitor_timeout_count = 0;
  uint32_t script_unhealthy_on_timeout = 0;
  uint32_t recovery_grace_period = 0;
  uint32_t recovery_ban_period = 0;
  uint32_t database_hash_size = 0;
  uint32_t database_max_dead = 0;
  uint32_t rerecovery_timeout = 0;
  uint32_t enable_bans = 0;
  uint32_t deterministic_public_ips = 0;
  uint32_t reclock_ping_period = 0;
  uint32_t no_ip_failback = 0;
  uint32_t disable_ip_failover = 0;
  uint32_t verbose_memory_names = 0;
  uint32_t recd_ping_timeout = 0;
  uint32_t recd_ping_failcount = 0;
  uint32_t log_latency_ms = 0;
  uint32_t reclock_latency_ms = 0;
  uint32_t recovery_drop_all_ips = 0;
  uint32_t verify_recovery_lock = 0;
  uint32_t vacuum_interval = 0;
  uint32_t vacuum_max_run_time = 0;
  uint32_t repack_limit = 0;
  uint32_t vacuum_limit = 0;
  uint32_t max_queue_depth_drop_msg = 0;
  uint32_t allow_unhealthy_db_read = 0;
  uint32_t stat_history_interval = 0;
  uint32_t deferred_attach_timeout = 0;
  uint32_t vacuum_fast_path_count = 0;
  uint32_t lcp2_public_ip_assignment = 0;
  uint32_t allow_client_db_attach = 0;
  uint32_t recover_pdb_by_seqnum = 0;
  uint32_t deferred_rebalance_on_node_add = 0;
  uint32_t fetch_collapse = 0;
  uint32_t hopcount_make_sticky = 0;
  uint32_t sticky_duration = 0;
  uint32_t sticky_pindown = 0;
  uint32_t no_ip_takeover = 0;
  uint32_t db_record_count_warn = 0;
  uint32_t db_record_size_warn = 0;
  uint32_t db_size_warn = 0;
  uint32_t pulldb_preallocation_size = 0;
  uint32_t no_ip_host_on_all_disabled = 0;
  uint32_t samba3_hack = 0;
  uint32_t mutex_enabled = 0;
  uint32_t lock_processes_per_db = 0;
  uint32_t rec_buffer_size_limit = 0;
  uint32_t queue_buffer_size = 0;
  uint32_t ip_alloc_algorithm = 0;
  uint32_t allow_mixed_versions = 0;

  // The fields in wire order, for generic code (tables, tests).
  static constexpr size_t kCount = 62;
  uint32_t* field(size_t i);
  const uint32_t* field(size_t i) const;
};

struct TickleList {
  SockAddr addr;
  std::vector<Connection> conns;
};

// ADD_PUBLIC_IP / DEL_PUBLIC_IP / SEND_GRATUITOUS_ARP: address, mask, iface (stringn).
struct AddrInfo {
  SockAddr addr;
  uint32_t mask = 0;
  std::string iface;
};

struct TransDb {
  uint32_t db_id = 0;
  uint32_t tid = 0;
};

struct Uptime {
  Timeval current_time;
  Timeval ctdbd_start_time;
  Timeval last_recovery_started;
  Timeval last_recovery_finished;
};

struct PublicIp {
  uint32_t pnn = 0;
  SockAddr addr;
};

struct PublicIpList {
  std::vector<PublicIp> ips;
};

struct NodeAndFlags {
  uint32_t pnn = 0;
  uint32_t flags = 0;  // NODE_FLAGS_*
  SockAddr addr;
};

struct NodeMap {
  std::vector<NodeAndFlags> nodes;
};

// Event script result (584 bytes): name char[32], start, finished, int32 status,
// output char[512], pad 4.
struct Script {
  std::string name;  // at most MAX_SCRIPT_NAME characters on the wire
  Timeval start;
  Timeval finished;
  int32_t status = 0;
  std::string output;  // at most MAX_SCRIPT_OUTPUT characters on the wire
};

// u32 count, pad 4, scripts. An empty buffer (scripts never ran) decodes as an
// empty list, as in 4.17.
struct ScriptList {
  std::vector<Script> scripts;
};

struct BanState {
  uint32_t pnn = 0;
  uint32_t time = 0;  // seconds; 0 = unban
};

struct NotifyData {
  uint64_t srvid = 0;
  Bytes data;
};

struct Iface {
  std::string name;  // at most 17 characters on the wire
  uint16_t link_state = 0;
  uint32_t references = 0;
};

struct IfaceList {
  std::vector<Iface> ifaces;
};

struct PublicIpInfo {
  PublicIp ip;
  uint32_t active_idx = 0;
  IfaceList ifaces;
};

// SCHEDULE_FOR_DELETION request: db_id, pad 4, header, key (datan).
struct KeyData {
  uint32_t db_id = 0;
  LtdbHeader header;
  Bytes key;
};

struct HotKey {
  uint32_t count = 0;
  Bytes key;
};

// GET_DB_STATISTICS reply. The hot-key table goes as MAX_HOT_KEYS slots of
// {u32 count, pad 4, 16 bytes of a C TDB_DATA (pointer + size_t size)} and then
// the key bytes of each slot back to back. 4.17 always writes num_hot_keys =
// MAX_HOT_KEYS (the stock tool prints that many lines); encode does the same.
struct DbStatistics {
  struct {
    uint32_t num_calls = 0;
    uint32_t num_current = 0;
    uint32_t num_pending = 0;
    uint32_t num_failed = 0;
    LatencyCounter latency;
    std::array<uint32_t, MAX_COUNT_BUCKETS> buckets{};
  } locks;
  struct {
    LatencyCounter latency;
  } vacuum;
  uint32_t db_ro_delegations = 0;
  uint32_t db_ro_revokes = 0;
  std::array<uint32_t, MAX_COUNT_BUCKETS> hop_count_bucket{};
  uint32_t num_hot_keys = MAX_HOT_KEYS;  // as decoded; encode always writes MAX_HOT_KEYS
  std::array<HotKey, MAX_HOT_KEYS> hot_keys{};
};

// CHECK_PID_SRVID request: int32 pid, u64 srvid, 12 bytes (no padding).
struct PidSrvid {
  int32_t pid = 0;
  uint64_t srvid = 0;
};

// DB_VACUUM request: u32 db_id, bool, 5 bytes (no padding).
struct DbVacuum {
  uint32_t db_id = 0;
  bool full_vacuum_run = false;
};

// GET_CONTROL_STATISTICS reply (ours): u32 count, 4 pad, then per control
// u32 opcode, 4 pad, u64 calls, u64 failures, latency counter (56 bytes each).
struct ControlStatistics {
  struct Entry {
    uint32_t opcode = 0;
    uint64_t calls = 0;
    uint64_t failures = 0;
    LatencyCounter latency;
  };
  std::vector<Entry> entries;
};

struct EchoData {
  uint32_t timeout = 0;
  Bytes buf;
};

// SRVID_ELECTION message (32 bytes): num_connected, pad 4, priority_time, pnn,
// node_flags.
struct ElectionMessage {
  uint32_t num_connected = 0;
  Timeval priority_time;
  uint32_t pnn = 0;
  uint32_t node_flags = 0;
};

// Reply address of a request message (16 bytes): pnn, pad 4, srvid.
struct SrvidMessage {
  uint32_t pnn = 0;
  uint64_t srvid = 0;
};

// SRVID_DISABLE_* message (24 bytes): pnn, pad 4, srvid, timeout, pad 4.
struct DisableMessage {
  uint32_t pnn = 0;
  uint64_t srvid = 0;
  uint32_t timeout = 0;
};

struct ServerId {
  uint64_t pid = 0;
  uint32_t task_id = 0;
  uint32_t vnn = 0;
  uint64_t unique_id = 0;
};

struct GLock {
  uint32_t type = G_LOCK_READ;  // G_LOCK_READ or G_LOCK_WRITE only
  ServerId sid;
};

// The value of a g_lock record: GLock entries back to back, no count.
struct GLockList {
  std::vector<GLock> locks;
};

// ---- codecs ---------------------------------------------------------------
// encode appends the 4.17 layout; decode reads one value from the reader and
// fails (poisoning the reader) on short, oversized or inconsistent input.

void encode(Writer& w, const Timeval& v);
bool decode(Reader& r, Timeval* v);
void encode(Writer& w, const LatencyCounter& v);
bool decode(Reader& r, LatencyCounter* v);
void encode(Writer& w, const Statistics& v);
bool decode(Reader& r, Statistics* v);
void encode(Writer& w, const StatisticsList& v);
bool decode(Reader& r, StatisticsList* v);
void encode(Writer& w, const VnnMap& v);
bool decode(Reader& r, VnnMap* v);
void encode(Writer& w, const DbId& v);
bool decode(Reader& r, DbId* v);
void encode(Writer& w, const DbIdMap& v);
bool decode(Reader& r, DbIdMap* v);
void encode(Writer& w, const PullDb& v);
bool decode(Reader& r, PullDb* v);
void encode(Writer& w, const PullDbExt& v);
bool decode(Reader& r, PullDbExt* v);
void encode(Writer& w, const LtdbHeader& v);
bool decode(Reader& r, LtdbHeader* v);
void encode(Writer& w, const RecData& v);
bool decode(Reader& r, RecData* v);
// Consumes exactly the `count` records; bytes after them are left in the reader
// (4.17 tolerates them inside a control payload; from_bytes rejects them).
void encode(Writer& w, const RecBuffer& v);
bool decode(Reader& r, RecBuffer* v);
void encode(Writer& w, const TraverseStart& v);
bool decode(Reader& r, TraverseStart* v);
void encode(Writer& w, const TraverseAll& v);
bool decode(Reader& r, TraverseAll* v);
void encode(Writer& w, const TraverseStartExt& v);
bool decode(Reader& r, TraverseStartExt* v);
void encode(Writer& w, const TraverseAllExt& v);
bool decode(Reader& r, TraverseAllExt* v);
void encode(Writer& w, const SockAddr& v);
bool decode(Reader& r, SockAddr* v);
void encode(Writer& w, const Connection& v);
bool decode(Reader& r, Connection* v);
void encode(Writer& w, const ConnectionList& v);
bool decode(Reader& r, ConnectionList* v);
void encode(Writer& w, const Tunable& v);
bool decode(Reader& r, Tunable* v);
void encode(Writer& w, const VarList& v);
bool decode(Reader& r, VarList* v);
void encode(Writer& w, const NodeFlagChange& v);
bool decode(Reader& r, NodeFlagChange* v);
void encode(Writer& w, const TunableList& v);
bool decode(Reader& r, TunableList* v);
void encode(Writer& w, const TickleList& v);
bool decode(Reader& r, TickleList* v);
void encode(Writer& w, const AddrInfo& v);
bool decode(Reader& r, AddrInfo* v);
void encode(Writer& w, const TransDb& v);
bool decode(Reader& r, TransDb* v);
void encode(Writer& w, const Uptime& v);
bool decode(Reader& r, Uptime* v);
void encode(Writer& w, const PublicIp& v);
bool decode(Reader& r, PublicIp* v);
void encode(Writer& w, const PublicIpList& v);
bool decode(Reader& r, PublicIpList* v);
void encode(Writer& w, const NodeAndFlags& v);
bool decode(Reader& r, NodeAndFlags* v);
void encode(Writer& w, const NodeMap& v);
bool decode(Reader& r, NodeMap* v);
void encode(Writer& w, const Script& v);
bool decode(Reader& r, Script* v);
// Consumes the rest of the reader when it is empty (scripts never ran).
void encode(Writer& w, const ScriptList& v);
bool decode(Reader& r, ScriptList* v);
void encode(Writer& w, const BanState& v);
bool decode(Reader& r, BanState* v);
void encode(Writer& w, const NotifyData& v);
bool decode(Reader& r, NotifyData* v);
void encode(Writer& w, const Iface& v);
bool decode(Reader& r, Iface* v);
void encode(Writer& w, const IfaceList& v);
bool decode(Reader& r, IfaceList* v);
void encode(Writer& w, const PublicIpInfo& v);
bool decode(Reader& r, PublicIpInfo* v);
void encode(Writer& w, const KeyData& v);
bool decode(Reader& r, KeyData* v);
void encode(Writer& w, const DbStatistics& v);
bool decode(Reader& r, DbStatistics* v);
void encode(Writer& w, const PidSrvid& v);
bool decode(Reader& r, PidSrvid* v);
void encode(Writer& w, const DbVacuum& v);
bool decode(Reader& r, DbVacuum* v);
void encode(Writer& w, const ControlStatistics& v);
bool decode(Reader& r, ControlStatistics* v);
void encode(Writer& w, const EchoData& v);
bool decode(Reader& r, EchoData* v);
void encode(Writer& w, const ElectionMessage& v);
bool decode(Reader& r, ElectionMessage* v);
void encode(Writer& w, const SrvidMessage& v);
bool decode(Reader& r, SrvidMessage* v);
void encode(Writer& w, const DisableMessage& v);
bool decode(Reader& r, DisableMessage* v);
void encode(Writer& w, const ServerId& v);
bool decode(Reader& r, ServerId* v);
void encode(Writer& w, const GLock& v);
bool decode(Reader& r, GLock* v);
// Rest of buffer: consumes everything; fails unless it is a multiple of 32 bytes
// (4.17 silently ignores a partial tail entry).
void encode(Writer& w, const GLockList& v);
bool decode(Reader& r, GLockList* v);

// A NUL-terminated string filling the rest of a payload (DB_ATTACH's name,
// GETDBPATH's reply, ...). The empty string is written as no bytes (4.17's NULL
// string); decode accepts no bytes as "" and otherwise requires a NUL, consuming
// through the first NUL.
void encode_cstring(Writer& w, const std::string& s);
bool decode_cstring(Reader& r, std::string* s);

// Whole-buffer helpers. from_bytes fails unless decode consumed every byte;
// 4.17 is laxer inside control payloads in two places (trailing bytes after a
// rec_buffer's records or after a string's NUL), which we reject on purpose.
template <typename T>
Bytes to_bytes(const T& v) {
  Bytes out;
  Writer w(&out);
  encode(w, v);
  return out;
}

template <typename T>
bool from_bytes(const Bytes& b, T* v) {
  Reader r(b);
  return decode(r, v) && r.ok() && r.remaining() == 0;
}

}  // namespace ctdb::proto
