// Encode/decode of every typed CTDB 4.17 payload (see types.h) plus the record
// buffer and socket address helpers.
#include "protocol/types.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <tuple>

namespace ctdb::proto {

namespace {

// Decoders write into a fresh value and publish it only on success, so a
// failed decode never leaves a half-filled output behind.
template <typename T, typename F>
bool decode_into(Reader& r, T* out, F&& body) {
  T v{};
  if (!body(v) || !r.ok()) return false;
  *out = std::move(v);
  return true;
}

// Reads a u32 element count and checks that `count` items of `min_size` bytes
// can still follow, before anything is allocated from it.
bool read_count(Reader& r, uint32_t* count, size_t min_size) {
  return r.u32(count) && r.can_hold(*count, min_size);
}

template <size_t N>
void encode_u32s(Writer& w, const std::array<uint32_t, N>& a) {
  for (uint32_t x : a) w.u32(x);
}

template <size_t N>
bool decode_u32s(Reader& r, std::array<uint32_t, N>* a) {
  for (auto& x : *a) {
    if (!r.u32(&x)) return false;
  }
  return true;
}

}  // namespace

// ---- basic -----------------------------------------------------------------

void encode(Writer& w, const Timeval& v) { w.timeval(v.sec, v.usec); }

bool decode(Reader& r, Timeval* v) { return r.timeval(&v->sec, &v->usec); }

void encode(Writer& w, const LatencyCounter& v) {
  w.i32(v.num);
  w.zeros(4);
  w.f64(v.min);
  w.f64(v.max);
  w.f64(v.total);
}

bool decode(Reader& r, LatencyCounter* v) {
  return decode_into(r, v, [&](LatencyCounter& x) {
    return r.i32(&x.num) && r.skip(4) && r.f64(&x.min) && r.f64(&x.max) && r.f64(&x.total);
  });
}

void encode_cstring(Writer& w, const std::string& s) { w.cstring(s); }

bool decode_cstring(Reader& r, std::string* s) {
  size_t n = r.remaining();
  if (!r.ok()) return false;
  if (n == 0) {
    s->clear();
    return true;
  }
  const uint8_t* p = r.cursor();
  const void* nul = std::memchr(p, 0, n);
  if (nul == nullptr) return r.fail();
  size_t len = static_cast<const uint8_t*>(nul) - p;
  s->assign(reinterpret_cast<const char*>(p), len);
  return r.skip(len + 1);
}

// ---- statistics ------------------------------------------------------------

void encode(Writer& w, const Statistics& v) {
  w.u32(v.num_clients);
  w.u32(v.frozen);
  w.u32(v.recovering);
  w.u32(v.client_packets_sent);
  w.u32(v.client_packets_recv);
  w.u32(v.node_packets_sent);
  w.u32(v.node_packets_recv);
  w.u32(v.keepalive_packets_sent);
  w.u32(v.keepalive_packets_recv);
  w.u32(v.node.req_call);
  w.u32(v.node.reply_call);
  w.u32(v.node.req_dmaster);
  w.u32(v.node.reply_dmaster);
  w.u32(v.node.reply_error);
  w.u32(v.node.req_message);
  w.u32(v.node.req_control);
  w.u32(v.node.reply_control);
  w.u32(v.node.req_tunnel);
  w.u32(v.client.req_call);
  w.u32(v.client.req_message);
  w.u32(v.client.req_control);
  w.u32(v.client.req_tunnel);
  w.u32(v.timeouts.call);
  w.u32(v.timeouts.control);
  w.u32(v.timeouts.traverse);
  w.zeros(4);
  encode(w, v.reclock.ctdbd);
  encode(w, v.reclock.recd);
  w.u32(v.locks.num_calls);
  w.u32(v.locks.num_current);
  w.u32(v.locks.num_pending);
  w.u32(v.locks.num_failed);
  encode(w, v.locks.latency);
  encode_u32s(w, v.locks.buckets);
  w.u32(v.total_calls);
  w.u32(v.pending_calls);
  w.u32(v.childwrite_calls);
  w.u32(v.pending_childwrite_calls);
  w.u32(v.memory_used);
  w.u32(v.last_counter);
  w.u32(v.max_hop_count);
  encode_u32s(w, v.hop_count_bucket);
  w.zeros(4);
  encode(w, v.call_latency);
  encode(w, v.childwrite_latency);
  w.u32(v.num_recoveries);
  w.zeros(4);
  encode(w, v.statistics_start_time);
  encode(w, v.statistics_current_time);
  w.u32(v.total_ro_delegations);
  w.u32(v.total_ro_revokes);
}

bool decode(Reader& r, Statistics* v) {
  return decode_into(r, v, [&](Statistics& x) {
    return r.u32(&x.num_clients) && r.u32(&x.frozen) && r.u32(&x.recovering) &&
           r.u32(&x.client_packets_sent) && r.u32(&x.client_packets_recv) &&
           r.u32(&x.node_packets_sent) && r.u32(&x.node_packets_recv) &&
           r.u32(&x.keepalive_packets_sent) && r.u32(&x.keepalive_packets_recv) &&
           r.u32(&x.node.req_call) && r.u32(&x.node.reply_call) && r.u32(&x.node.req_dmaster) &&
           r.u32(&x.node.reply_dmaster) && r.u32(&x.node.reply_error) &&
           r.u32(&x.node.req_message) && r.u32(&x.node.req_control) &&
           r.u32(&x.node.reply_control) && r.u32(&x.node.req_tunnel) && r.u32(&x.client.req_call) &&
           r.u32(&x.client.req_message) && r.u32(&x.client.req_control) &&
           r.u32(&x.client.req_tunnel) && r.u32(&x.timeouts.call) && r.u32(&x.timeouts.control) &&
           r.u32(&x.timeouts.traverse) && r.skip(4) && decode(r, &x.reclock.ctdbd) &&
           decode(r, &x.reclock.recd) && r.u32(&x.locks.num_calls) && r.u32(&x.locks.num_current) &&
           r.u32(&x.locks.num_pending) && r.u32(&x.locks.num_failed) &&
           decode(r, &x.locks.latency) && decode_u32s(r, &x.locks.buckets) &&
           r.u32(&x.total_calls) && r.u32(&x.pending_calls) && r.u32(&x.childwrite_calls) &&
           r.u32(&x.pending_childwrite_calls) && r.u32(&x.memory_used) && r.u32(&x.last_counter) &&
           r.u32(&x.max_hop_count) && decode_u32s(r, &x.hop_count_bucket) && r.skip(4) &&
           decode(r, &x.call_latency) && decode(r, &x.childwrite_latency) &&
           r.u32(&x.num_recoveries) && r.skip(4) && decode(r, &x.statistics_start_time) &&
           decode(r, &x.statistics_current_time) && r.u32(&x.total_ro_delegations) &&
           r.u32(&x.total_ro_revokes);
  });
}

void encode(Writer& w, const StatisticsList& v) {
  w.i32(static_cast<int32_t>(v.stats.size()));
  w.zeros(4);
  for (const auto& s : v.stats) encode(w, s);
}

bool decode(Reader& r, StatisticsList* v) {
  return decode_into(r, v, [&](StatisticsList& x) {
    int32_t num;
    if (!r.i32(&num) || !r.skip(4)) return false;
    // 4.17 carries the count as a signed int; a negative count is nonsense.
    if (num < 0) return r.fail();
    if (!r.can_hold(static_cast<uint32_t>(num), kStatisticsSize)) return false;
    x.stats.resize(num);
    for (auto& s : x.stats) {
      if (!decode(r, &s)) return false;
    }
    return true;
  });
}

// ---- databases -------------------------------------------------------------

void encode(Writer& w, const VnnMap& v) {
  w.u32(v.generation);
  w.u32(static_cast<uint32_t>(v.map.size()));
  for (uint32_t pnn : v.map) w.u32(pnn);
}

bool decode(Reader& r, VnnMap* v) {
  return decode_into(r, v, [&](VnnMap& x) {
    uint32_t n;
    if (!r.u32(&x.generation) || !read_count(r, &n, 4)) return false;
    x.map.resize(n);
    for (auto& pnn : x.map) {
      if (!r.u32(&pnn)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const DbId& v) {
  w.u32(v.db_id);
  w.u8(v.flags);
  w.zeros(3);
}

bool decode(Reader& r, DbId* v) {
  return decode_into(r, v, [&](DbId& x) { return r.u32(&x.db_id) && r.u8(&x.flags) && r.skip(3); });
}

void encode(Writer& w, const DbIdMap& v) {
  w.u32(static_cast<uint32_t>(v.dbs.size()));
  for (const auto& d : v.dbs) encode(w, d);
}

bool decode(Reader& r, DbIdMap* v) {
  return decode_into(r, v, [&](DbIdMap& x) {
    uint32_t n;
    if (!read_count(r, &n, kDbIdSize)) return false;
    x.dbs.resize(n);
    for (auto& d : x.dbs) {
      if (!decode(r, &d)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const PullDb& v) {
  w.u32(v.db_id);
  w.u32(v.lmaster);
}

bool decode(Reader& r, PullDb* v) {
  return decode_into(r, v, [&](PullDb& x) { return r.u32(&x.db_id) && r.u32(&x.lmaster); });
}

void encode(Writer& w, const PullDbExt& v) {
  w.u32(v.db_id);
  w.u32(v.lmaster);
  w.u64(v.srvid);
}

bool decode(Reader& r, PullDbExt* v) {
  return decode_into(
      r, v, [&](PullDbExt& x) { return r.u32(&x.db_id) && r.u32(&x.lmaster) && r.u64(&x.srvid); });
}

void encode(Writer& w, const LtdbHeader& v) {
  w.u64(v.rsn);
  w.u32(v.dmaster);
  w.u32(v.reserved1);
  w.u32(v.flags);
  w.zeros(4);
}

bool decode(Reader& r, LtdbHeader* v) {
  return decode_into(r, v, [&](LtdbHeader& x) {
    return r.u64(&x.rsn) && r.u32(&x.dmaster) && r.u32(&x.reserved1) && r.u32(&x.flags) &&
           r.skip(4);
  });
}

// ---- records ---------------------------------------------------------------

namespace {

constexpr size_t kRecDataFixed = 16;  // length, reqid, keylen, datalen

void encode_record(Writer& w, uint32_t reqid, const LtdbHeader* header, const Bytes& key,
                   const Bytes& data) {
  size_t dlen = data.size() + (header ? kLtdbHeaderSize : 0);
  w.u32(static_cast<uint32_t>(kRecDataFixed + key.size() + dlen));
  w.u32(reqid);
  w.u32(static_cast<uint32_t>(key.size()));
  w.u32(static_cast<uint32_t>(dlen));
  w.bytes(key);
  if (header) encode(w, *header);
  w.bytes(data);
}

}  // namespace

RecData RecData::with_header(uint32_t reqid, const LtdbHeader& header, const Bytes& key,
                             const Bytes& value) {
  RecData rec;
  rec.reqid = reqid;
  rec.key = key;
  Writer w(&rec.data);
  encode(w, header);
  w.bytes(value);
  return rec;
}

bool RecData::split_header(LtdbHeader* header, Bytes* value) const {
  Reader r(data);
  if (!decode(r, header)) return false;
  value->assign(data.begin() + kLtdbHeaderSize, data.end());
  return true;
}

void encode(Writer& w, const RecData& v) { encode_record(w, v.reqid, nullptr, v.key, v.data); }

bool decode(Reader& r, RecData* v) {
  return decode_into(r, v, [&](RecData& x) {
    uint32_t len, klen, dlen;
    if (!r.u32(&len) || !r.u32(&x.reqid) || !r.u32(&klen) || !r.u32(&dlen)) return false;
    // The length field must describe exactly this record: 4.17 steps through a
    // buffer by the key and data lengths while older code steps by `len`, so a
    // record where the two disagree is ambiguous and refused.
    if (static_cast<uint64_t>(len) != kRecDataFixed + uint64_t{klen} + dlen) return r.fail();
    return r.bytes(klen, &x.key) && r.bytes(dlen, &x.data);
  });
}

void RecBuffer::add(uint32_t reqid, const LtdbHeader* header, const Bytes& key, const Bytes& data) {
  Writer w(&buf);
  encode_record(w, reqid, header, key, data);
  count++;
}

void RecBuffer::add(const RecData& rec) { add(rec.reqid, nullptr, rec.key, rec.data); }

bool RecBuffer::for_each(const std::function<bool(const RecData&)>& fn) const {
  Reader r(buf);
  for (uint32_t i = 0; i < count; i++) {
    RecData rec;
    if (!decode(r, &rec)) return false;
    if (!fn(rec)) return true;
  }
  return r.remaining() == 0;
}

std::optional<std::vector<RecData>> RecBuffer::records() const {
  std::vector<RecData> out;
  // Each record is at least 16 bytes; bound the reservation by the buffer.
  out.reserve(std::min<size_t>(count, buf.size() / kRecDataFixed));
  bool ok = for_each([&](const RecData& rec) {
    out.push_back(rec);
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

void encode(Writer& w, const RecBuffer& v) {
  w.u32(v.db_id);
  w.u32(v.count);
  w.bytes(v.buf);
}

bool decode(Reader& r, RecBuffer* v) {
  return decode_into(r, v, [&](RecBuffer& x) {
    if (!r.u32(&x.db_id) || !r.u32(&x.count)) return false;
    if (!r.can_hold(x.count, kRecDataFixed)) return false;
    size_t start = r.offset();
    const uint8_t* base = r.cursor();
    for (uint32_t i = 0; i < x.count; i++) {
      uint32_t len, klen, dlen, reqid;
      if (!r.u32(&len) || !r.u32(&reqid) || !r.u32(&klen) || !r.u32(&dlen)) return false;
      if (static_cast<uint64_t>(len) != kRecDataFixed + uint64_t{klen} + dlen) return r.fail();
      if (!r.skip(size_t{klen} + size_t{dlen})) return false;
    }
    x.buf.assign(base, base + (r.offset() - start));
    return true;
  });
}

// ---- traverse --------------------------------------------------------------

void encode(Writer& w, const TraverseStart& v) {
  w.u32(v.db_id);
  w.u32(v.reqid);
  w.u64(v.srvid);
}

bool decode(Reader& r, TraverseStart* v) {
  return decode_into(r, v, [&](TraverseStart& x) {
    return r.u32(&x.db_id) && r.u32(&x.reqid) && r.u64(&x.srvid);
  });
}

void encode(Writer& w, const TraverseAll& v) {
  w.u32(v.db_id);
  w.u32(v.reqid);
  w.u32(v.pnn);
  w.u32(v.client_reqid);
  w.u64(v.srvid);
}

bool decode(Reader& r, TraverseAll* v) {
  return decode_into(r, v, [&](TraverseAll& x) {
    return r.u32(&x.db_id) && r.u32(&x.reqid) && r.u32(&x.pnn) && r.u32(&x.client_reqid) &&
           r.u64(&x.srvid);
  });
}

void encode(Writer& w, const TraverseStartExt& v) {
  w.u32(v.db_id);
  w.u32(v.reqid);
  w.u64(v.srvid);
  w.boolean(v.withemptyrecords);
  w.zeros(7);
}

bool decode(Reader& r, TraverseStartExt* v) {
  return decode_into(r, v, [&](TraverseStartExt& x) {
    return r.u32(&x.db_id) && r.u32(&x.reqid) && r.u64(&x.srvid) &&
           r.boolean(&x.withemptyrecords) && r.skip(7);
  });
}

void encode(Writer& w, const TraverseAllExt& v) {
  w.u32(v.db_id);
  w.u32(v.reqid);
  w.u32(v.pnn);
  w.u32(v.client_reqid);
  w.u64(v.srvid);
  w.boolean(v.withemptyrecords);
  w.zeros(7);
}

bool decode(Reader& r, TraverseAllExt* v) {
  return decode_into(r, v, [&](TraverseAllExt& x) {
    return r.u32(&x.db_id) && r.u32(&x.reqid) && r.u32(&x.pnn) && r.u32(&x.client_reqid) &&
           r.u64(&x.srvid) && r.boolean(&x.withemptyrecords) && r.skip(7);
  });
}

// ---- socket addresses ------------------------------------------------------

namespace {

size_t ip_size(uint16_t family) { return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0; }

bool is_v4_mapped(const uint8_t* in6) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(in6, kMapped, sizeof(kMapped)) == 0;
}

}  // namespace

bool SockAddr::is_ipv4() const { return family == AF_INET; }
bool SockAddr::is_ipv6() const { return family == AF_INET6; }

std::optional<SockAddr> SockAddr::parse(const std::string& text, uint16_t port) {
  std::string s = text;
  SockAddr a;
  a.port = port;
  if (s.find(':') == std::string::npos) {
    in_addr in4;
    if (inet_pton(AF_INET, s.c_str(), &in4) != 1) return std::nullopt;
    a.family = AF_INET;
    std::memcpy(a.addr.data(), &in4, 4);
    return a;
  }
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  in6_addr in6;
  if (inet_pton(AF_INET6, s.c_str(), &in6) != 1) return std::nullopt;
  if (is_v4_mapped(in6.s6_addr)) {
    // An IPv4-mapped address names an IPv4 host; 4.17 stores it as IPv4.
    a.family = AF_INET;
    std::memcpy(a.addr.data(), in6.s6_addr + 12, 4);
    return a;
  }
  a.family = AF_INET6;
  std::memcpy(a.addr.data(), in6.s6_addr, 16);
  return a;
}

std::optional<SockAddr> SockAddr::parse_with_port(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5) return std::nullopt;
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 0xffff) return std::nullopt;
  return parse(text.substr(0, colon), static_cast<uint16_t>(port));
}

std::optional<SockAddr> SockAddr::parse_maybe_port(const std::string& text, uint16_t default_port) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    if (close + 1 == text.size()) return parse(text, default_port);
    if (text[close + 1] != ':') return std::nullopt;
    return parse_with_port(text);
  }
  // One colon can only be IPv4:PORT; more make a bare IPv6 address.
  if (std::count(text.begin(), text.end(), ':') == 1) return parse_with_port(text);
  return parse(text, default_port);
}

std::string SockAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == AF_INET) {
    in_addr in4;
    std::memcpy(&in4, addr.data(), 4);
    if (inet_ntop(AF_INET, &in4, buf, sizeof(buf)) == nullptr) return {};
    return buf;
  }
  if (family == AF_INET6) {
    in6_addr in6;
    std::memcpy(in6.s6_addr, addr.data(), 16);
    if (inet_ntop(AF_INET6, &in6, buf, sizeof(buf)) == nullptr) return {};
    return buf;
  }
  return {};
}

std::string SockAddr::to_string_with_port() const {
  std::string ip = to_string();
  if (family == AF_INET6) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(port);
}

size_t SockAddr::to_sockaddr(sockaddr_storage* out) const {
  std::memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, addr.data(), 4);
    return sizeof(sockaddr_in);
  }
  if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_flowinfo = flowinfo;
    std::memcpy(sin6->sin6_addr.s6_addr, addr.data(), 16);
    sin6->sin6_scope_id = scope_id;
    return sizeof(sockaddr_in6);
  }
  return 0;
}

std::optional<SockAddr> SockAddr::from_sockaddr(const sockaddr* sa, size_t len) {
  if (sa == nullptr || len < sizeof(sa_family_t)) return std::nullopt;
  SockAddr a;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    sockaddr_in sin;
    std::memcpy(&sin, sa, sizeof(sin));
    a.family = AF_INET;
    a.port = ntohs(sin.sin_port);
    std::memcpy(a.addr.data(), &sin.sin_addr, 4);
    return a;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, sa, sizeof(sin6));
    if (is_v4_mapped(sin6.sin6_addr.s6_addr)) {
      // A dual-stack socket reports IPv4 peers this way; keep one spelling per host.
      a.family = AF_INET;
      a.port = ntohs(sin6.sin6_port);
      std::memcpy(a.addr.data(), sin6.sin6_addr.s6_addr + 12, 4);
      return a;
    }
    a.family = AF_INET6;
    a.port = ntohs(sin6.sin6_port);
    a.flowinfo = sin6.sin6_flowinfo;
    std::memcpy(a.addr.data(), sin6.sin6_addr.s6_addr, 16);
    a.scope_id = sin6.sin6_scope_id;
    return a;
  }
  return std::nullopt;
}

bool SockAddr::same_ip(const SockAddr& o) const {
  if (family != o.family) return false;
  return std::memcmp(addr.data(), o.addr.data(), ip_size(family)) == 0;
}

bool SockAddr::operator==(const SockAddr& o) const {
  return same_ip(o) && port == o.port && flowinfo == o.flowinfo && scope_id == o.scope_id;
}

bool SockAddr::operator<(const SockAddr& o) const {
  if (family != o.family) return family < o.family;
  // Only the family's bytes count, as in same_ip, so that < agrees with ==.
  int c = std::memcmp(addr.data(), o.addr.data(), ip_size(family));
  if (c != 0) return c < 0;
  return std::tie(port, flowinfo, scope_id) < std::tie(o.port, o.flowinfo, o.scope_id);
}

void encode(Writer& w, const SockAddr& v) {
  size_t start = w.size();
  w.u16(v.family);
  // The port goes in network byte order, as in struct sockaddr_in.
  w.u8(static_cast<uint8_t>(v.port >> 8));
  w.u8(static_cast<uint8_t>(v.port));
  if (v.family == AF_INET) {
    w.bytes(v.addr.data(), 4);
  } else if (v.family == AF_INET6) {
    w.u32(v.flowinfo);
    w.bytes(v.addr.data(), 16);
    w.u32(v.scope_id);
  }
  w.zeros(kSockAddrSize - (w.size() - start));
}

bool decode(Reader& r, SockAddr* v) {
  return decode_into(r, v, [&](SockAddr& x) {
    const uint8_t* p;
    if (!r.view(kSockAddrSize, &p)) return false;
    x.family = static_cast<uint16_t>(p[0] | (p[1] << 8));
    x.port = static_cast<uint16_t>((p[2] << 8) | p[3]);
    if (x.family == AF_INET) {
      std::memcpy(x.addr.data(), p + 4, 4);
    } else if (x.family == AF_INET6) {
      x.flowinfo = static_cast<uint32_t>(p[4] | (p[5] << 8) | (p[6] << 16)) |
                   (static_cast<uint32_t>(p[7]) << 24);
      std::memcpy(x.addr.data(), p + 8, 16);
      x.scope_id = static_cast<uint32_t>(p[24] | (p[25] << 8) | (p[26] << 16)) |
                   (static_cast<uint32_t>(p[27]) << 24);
    } else if (x.family != 0) {
      // 4.17 copies anything, but no sender puts another family here; treating
      // it as an error keeps junk out of node maps and IP lists.
      return r.fail();
    } else {
      x.port = 0;
    }
    return true;
  });
}

void encode(Writer& w, const Connection& v) {
  encode(w, v.src);
  encode(w, v.dst);
}

bool decode(Reader& r, Connection* v) {
  return decode_into(r, v, [&](Connection& x) { return decode(r, &x.src) && decode(r, &x.dst); });
}

void encode(Writer& w, const ConnectionList& v) {
  w.u32(static_cast<uint32_t>(v.conns.size()));
  for (const auto& c : v.conns) encode(w, c);
}

bool decode(Reader& r, ConnectionList* v) {
  return decode_into(r, v, [&](ConnectionList& x) {
    uint32_t n;
    if (!read_count(r, &n, kConnectionSize)) return false;
    x.conns.resize(n);
    for (auto& c : x.conns) {
      if (!decode(r, &c)) return false;
    }
    return true;
  });
}

// ---- tunables --------------------------------------------------------------

void encode(Writer& w, const Tunable& v) {
  w.u32(v.value);
  w.stringn(v.name);
}

bool decode(Reader& r, Tunable* v) {
  return decode_into(r, v, [&](Tunable& x) { return r.u32(&x.value) && r.stringn(&x.name); });
}

void encode(Writer& w, const VarList& v) {
  // As the 4.17 daemon writes it: every name preceded by ':' (so the string
  // starts with one), then a NUL; an empty list is length 0 with no bytes.
  std::string joined;
  for (const std::string& name : v.vars) joined += ":" + name;
  if (v.vars.empty()) {
    w.u32(0);
    return;
  }
  w.u32(static_cast<uint32_t>(joined.size() + 1));
  w.bytes(joined.data(), joined.size());
  w.u8(0);
}

bool decode(Reader& r, VarList* v) {
  return decode_into(r, v, [&](VarList& x) {
    uint32_t n;
    std::string all;
    if (!r.u32(&n) || !r.cstring(n, &all)) return false;
    // Like strtok: empty names between separators are skipped.
    size_t pos = 0;
    while (pos <= all.size()) {
      size_t end = all.find(':', pos);
      if (end == std::string::npos) end = all.size();
      if (end > pos) x.vars.push_back(all.substr(pos, end - pos));
      pos = end + 1;
    }
    return true;
  });
}

void encode(Writer& w, const NodeFlagChange& v) {
  w.u32(v.pnn);
  w.u32(v.new_flags);
  w.u32(v.old_flags);
}

bool decode(Reader& r, NodeFlagChange* v) {
  return decode_into(r, v, [&](NodeFlagChange& x) {
    return r.u32(&x.pnn) && r.u32(&x.new_flags) && r.u32(&x.old_flags);
  });
}

uint32_t* TunableList::field(size_t i) {
  return const_cast<uint32_t*>(static_cast<const TunableList*>(this)->field(i));
}

const uint32_t* TunableList::field(size_t i) const {
  const uint32_t* f[kCount] = {&max_redirect_count,
                               &seqnum_interval,
                               &control_timeout,
                               &traverse_timeout,
                               &keepalive_interval,
                               &keepalive_limit,
                               &recover_timeout,
                               &recover_interval,
                               &election_timeout,
                               &takeover_timeout,
                               &monitor_interval,
                               &tickle_update_interval,
                               &script_timeout,
                               &monitor_timeout_count,
                               &script_unhealthy_on_timeout,
                               &recovery_grace_period,
                               &recovery_ban_period,
                               &database_hash_size,
                               &database_max_dead,
                               &rerecovery_timeout,
                               &enable_bans,
                               &deterministic_public_ips,
                               &reclock_ping_period,
                               &no_ip_failback,
                               &disable_ip_failover,
                               &verbose_memory_names,
                               &recd_ping_timeout,
                               &recd_ping_failcount,
                               &log_latency_ms,
                               &reclock_latency_ms,
                               &recovery_drop_all_ips,
                               &verify_recovery_lock,
                               &vacuum_interval,
                               &vacuum_max_run_time,
                               &repack_limit,
                               &vacuum_limit,
                               &max_queue_depth_drop_msg,
                               &allow_unhealthy_db_read,
                               &stat_history_interval,
                               &deferred_attach_timeout,
                               &vacuum_fast_path_count,
                               &lcp2_public_ip_assignment,
                               &allow_client_db_attach,
                               &recover_pdb_by_seqnum,
                               &deferred_rebalance_on_node_add,
                               &fetch_collapse,
                               &hopcount_make_sticky,
                               &sticky_duration,
                               &sticky_pindown,
                               &no_ip_takeover,
                               &db_record_count_warn,
                               &db_record_size_warn,
                               &db_size_warn,
                               &pulldb_preallocation_size,
                               &no_ip_host_on_all_disabled,
                               &samba3_hack,
                               &mutex_enabled,
                               &lock_processes_per_db,
                               &rec_buffer_size_limit,
                               &queue_buffer_size,
                               &ip_alloc_algorithm,
                               &allow_mixed_versions};
  return i < kCount ? f[i] : nullptr;
}

void encode(Writer& w, const TunableList& v) {
  for (size_t i = 0; i < TunableList::kCount; i++) w.u32(*v.field(i));
}

bool decode(Reader& r, TunableList* v) {
  return decode_into(r, v, [&](TunableList& x) {
    for (size_t i = 0; i < TunableList::kCount; i++) {
      if (!r.u32(x.field(i))) return false;
    }
    return true;
  });
}

// ---- public IPs and tickles ------------------------------------------------

void encode(Writer& w, const TickleList& v) {
  encode(w, v.addr);
  w.u32(static_cast<uint32_t>(v.conns.size()));
  for (const auto& c : v.conns) encode(w, c);
}

bool decode(Reader& r, TickleList* v) {
  return decode_into(r, v, [&](TickleList& x) {
    uint32_t n;
    if (!decode(r, &x.addr) || !read_count(r, &n, kConnectionSize)) return false;
    x.conns.resize(n);
    for (auto& c : x.conns) {
      if (!decode(r, &c)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const AddrInfo& v) {
  encode(w, v.addr);
  w.u32(v.mask);
  w.stringn(v.iface);
}

bool decode(Reader& r, AddrInfo* v) {
  return decode_into(r, v, [&](AddrInfo& x) {
    return decode(r, &x.addr) && r.u32(&x.mask) && r.stringn(&x.iface);
  });
}

void encode(Writer& w, const TransDb& v) {
  w.u32(v.db_id);
  w.u32(v.tid);
}

bool decode(Reader& r, TransDb* v) {
  return decode_into(r, v, [&](TransDb& x) { return r.u32(&x.db_id) && r.u32(&x.tid); });
}

void encode(Writer& w, const Uptime& v) {
  encode(w, v.current_time);
  encode(w, v.ctdbd_start_time);
  encode(w, v.last_recovery_started);
  encode(w, v.last_recovery_finished);
}

bool decode(Reader& r, Uptime* v) {
  return decode_into(r, v, [&](Uptime& x) {
    return decode(r, &x.current_time) && decode(r, &x.ctdbd_start_time) &&
           decode(r, &x.last_recovery_started) && decode(r, &x.last_recovery_finished);
  });
}

void encode(Writer& w, const PublicIp& v) {
  w.u32(v.pnn);
  encode(w, v.addr);
}

bool decode(Reader& r, PublicIp* v) {
  return decode_into(r, v, [&](PublicIp& x) { return r.u32(&x.pnn) && decode(r, &x.addr); });
}

void encode(Writer& w, const PublicIpList& v) {
  w.u32(static_cast<uint32_t>(v.ips.size()));
  for (const auto& ip : v.ips) encode(w, ip);
}

bool decode(Reader& r, PublicIpList* v) {
  return decode_into(r, v, [&](PublicIpList& x) {
    uint32_t n;
    if (!read_count(r, &n, kPublicIpSize)) return false;
    x.ips.resize(n);
    for (auto& ip : x.ips) {
      if (!decode(r, &ip)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const NodeAndFlags& v) {
  w.u32(v.pnn);
  w.u32(v.flags);
  encode(w, v.addr);
}

bool decode(Reader& r, NodeAndFlags* v) {
  return decode_into(r, v, [&](NodeAndFlags& x) {
    return r.u32(&x.pnn) && r.u32(&x.flags) && decode(r, &x.addr);
  });
}

void encode(Writer& w, const NodeMap& v) {
  w.u32(static_cast<uint32_t>(v.nodes.size()));
  for (const auto& n : v.nodes) encode(w, n);
}

bool decode(Reader& r, NodeMap* v) {
  return decode_into(r, v, [&](NodeMap& x) {
    uint32_t n;
    if (!read_count(r, &n, kNodeAndFlagsSize)) return false;
    x.nodes.resize(n);
    for (auto& node : x.nodes) {
      if (!decode(r, &node)) return false;
    }
    return true;
  });
}

// ---- event scripts ---------------------------------------------------------

void encode(Writer& w, const Script& v) {
  w.chararray(v.name, MAX_SCRIPT_NAME + 1);
  encode(w, v.start);
  encode(w, v.finished);
  w.i32(v.status);
  w.chararray(v.output, MAX_SCRIPT_OUTPUT + 1);
  w.zeros(4);
}

bool decode(Reader& r, Script* v) {
  return decode_into(r, v, [&](Script& x) {
    return r.chararray(MAX_SCRIPT_NAME + 1, &x.name) && decode(r, &x.start) &&
           decode(r, &x.finished) && r.i32(&x.status) &&
           r.chararray(MAX_SCRIPT_OUTPUT + 1, &x.output) && r.skip(4);
  });
}

void encode(Writer& w, const ScriptList& v) {
  w.u32(static_cast<uint32_t>(v.scripts.size()));
  w.zeros(4);
  for (const auto& s : v.scripts) encode(w, s);
}

bool decode(Reader& r, ScriptList* v) {
  return decode_into(r, v, [&](ScriptList& x) {
    if (r.ok() && r.remaining() == 0) return true;
    uint32_t n;
    if (!r.u32(&n) || !r.skip(4) || !r.can_hold(n, kScriptSize)) return false;
    x.scripts.resize(n);
    for (auto& s : x.scripts) {
      if (!decode(r, &s)) return false;
    }
    return true;
  });
}

// ---- misc ------------------------------------------------------------------

void encode(Writer& w, const BanState& v) {
  w.u32(v.pnn);
  w.u32(v.time);
}

bool decode(Reader& r, BanState* v) {
  return decode_into(r, v, [&](BanState& x) { return r.u32(&x.pnn) && r.u32(&x.time); });
}

void encode(Writer& w, const NotifyData& v) {
  w.u64(v.srvid);
  w.datan(v.data);
}

bool decode(Reader& r, NotifyData* v) {
  return decode_into(r, v, [&](NotifyData& x) { return r.u64(&x.srvid) && r.datan(&x.data); });
}

void encode(Writer& w, const Iface& v) {
  w.chararray(v.name, kIfaceNameSize);
  w.u16(v.link_state);
  w.u32(v.references);
}

bool decode(Reader& r, Iface* v) {
  return decode_into(r, v, [&](Iface& x) {
    return r.chararray(kIfaceNameSize, &x.name) && r.u16(&x.link_state) && r.u32(&x.references);
  });
}

void encode(Writer& w, const IfaceList& v) {
  w.u32(static_cast<uint32_t>(v.ifaces.size()));
  for (const auto& i : v.ifaces) encode(w, i);
}

bool decode(Reader& r, IfaceList* v) {
  return decode_into(r, v, [&](IfaceList& x) {
    uint32_t n;
    if (!read_count(r, &n, kIfaceSize)) return false;
    x.ifaces.resize(n);
    for (auto& i : x.ifaces) {
      if (!decode(r, &i)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const PublicIpInfo& v) {
  encode(w, v.ip);
  w.u32(v.active_idx);
  encode(w, v.ifaces);
}

bool decode(Reader& r, PublicIpInfo* v) {
  return decode_into(r, v, [&](PublicIpInfo& x) {
    return decode(r, &x.ip) && r.u32(&x.active_idx) && decode(r, &x.ifaces);
  });
}

void encode(Writer& w, const KeyData& v) {
  w.u32(v.db_id);
  w.zeros(4);
  encode(w, v.header);
  w.datan(v.key);
}

bool decode(Reader& r, KeyData* v) {
  return decode_into(r, v, [&](KeyData& x) {
    return r.u32(&x.db_id) && r.skip(4) && decode(r, &x.header) && r.datan(&x.key);
  });
}

void encode(Writer& w, const DbStatistics& v) {
  w.u32(v.locks.num_calls);
  w.u32(v.locks.num_current);
  w.u32(v.locks.num_pending);
  w.u32(v.locks.num_failed);
  encode(w, v.locks.latency);
  encode_u32s(w, v.locks.buckets);
  encode(w, v.vacuum.latency);
  w.u32(v.db_ro_delegations);
  w.u32(v.db_ro_revokes);
  encode_u32s(w, v.hop_count_bucket);
  w.u32(MAX_HOT_KEYS);
  w.zeros(4);
  for (const auto& hk : v.hot_keys) {
    w.u32(hk.count);
    w.zeros(4);
    // A C TDB_DATA: the sender's pointer (meaningless to the receiver, which
    // ignores it; we send zero) and the key size as a 64-bit size_t.
    w.u64(0);
    w.u64(hk.key.size());
  }
  for (const auto& hk : v.hot_keys) w.bytes(hk.key);
}

bool decode(Reader& r, DbStatistics* v) {
  return decode_into(r, v, [&](DbStatistics& x) {
    if (!(r.u32(&x.locks.num_calls) && r.u32(&x.locks.num_current) && r.u32(&x.locks.num_pending) &&
          r.u32(&x.locks.num_failed) && decode(r, &x.locks.latency) &&
          decode_u32s(r, &x.locks.buckets) && decode(r, &x.vacuum.latency) &&
          r.u32(&x.db_ro_delegations) && r.u32(&x.db_ro_revokes) &&
          decode_u32s(r, &x.hop_count_bucket) && r.u32(&x.num_hot_keys) && r.skip(4))) {
      return false;
    }
    // The stock tool indexes the fixed table with this count.
    if (x.num_hot_keys > MAX_HOT_KEYS) return r.fail();
    std::array<uint64_t, MAX_HOT_KEYS> sizes{};
    for (size_t i = 0; i < MAX_HOT_KEYS; i++) {
      if (!r.u32(&x.hot_keys[i].count) || !r.skip(4) || !r.skip(8) || !r.u64(&sizes[i])) {
        return false;
      }
    }
    for (size_t i = 0; i < MAX_HOT_KEYS; i++) {
      // 4.17 trusts these sizes; we check each against what is left.
      if (sizes[i] > r.remaining()) return r.fail();
      if (!r.bytes(static_cast<size_t>(sizes[i]), &x.hot_keys[i].key)) return false;
    }
    return true;
  });
}

void encode(Writer& w, const PidSrvid& v) {
  w.i32(v.pid);
  w.u64(v.srvid);
}

bool decode(Reader& r, PidSrvid* v) {
  return decode_into(r, v, [&](PidSrvid& x) { return r.i32(&x.pid) && r.u64(&x.srvid); });
}

void encode(Writer& w, const DbVacuum& v) {
  w.u32(v.db_id);
  w.boolean(v.full_vacuum_run);
}

bool decode(Reader& r, DbVacuum* v) {
  return decode_into(r, v,
                     [&](DbVacuum& x) { return r.u32(&x.db_id) && r.boolean(&x.full_vacuum_run); });
}

constexpr size_t kControlStatisticsEntrySize = 56;

void encode(Writer& w, const ControlStatistics& v) {
  w.u32(static_cast<uint32_t>(v.entries.size()));
  w.zeros(4);
  for (const auto& e : v.entries) {
    w.u32(e.opcode);
    w.zeros(4);
    w.u64(e.calls);
    w.u64(e.failures);
    encode(w, e.latency);
  }
}

bool decode(Reader& r, ControlStatistics* v) {
  return decode_into(r, v, [&](ControlStatistics& x) {
    uint32_t n;
    if (!read_count(r, &n, kControlStatisticsEntrySize) || !r.skip(4)) return false;
    x.entries.resize(n);
    for (auto& e : x.entries) {
      if (!r.u32(&e.opcode) || !r.skip(4) || !r.u64(&e.calls) || !r.u64(&e.failures) ||
          !decode(r, &e.latency)) {
        return false;
      }
    }
    return true;
  });
}

void encode(Writer& w, const EchoData& v) {
  w.u32(v.timeout);
  w.datan(v.buf);
}

bool decode(Reader& r, EchoData* v) {
  return decode_into(r, v, [&](EchoData& x) { return r.u32(&x.timeout) && r.datan(&x.buf); });
}

void encode(Writer& w, const ElectionMessage& v) {
  w.u32(v.num_connected);
  w.zeros(4);
  encode(w, v.priority_time);
  w.u32(v.pnn);
  w.u32(v.node_flags);
}

bool decode(Reader& r, ElectionMessage* v) {
  return decode_into(r, v, [&](ElectionMessage& x) {
    return r.u32(&x.num_connected) && r.skip(4) && decode(r, &x.priority_time) && r.u32(&x.pnn) &&
           r.u32(&x.node_flags);
  });
}

void encode(Writer& w, const SrvidMessage& v) {
  w.u32(v.pnn);
  w.zeros(4);
  w.u64(v.srvid);
}

bool decode(Reader& r, SrvidMessage* v) {
  return decode_into(
      r, v, [&](SrvidMessage& x) { return r.u32(&x.pnn) && r.skip(4) && r.u64(&x.srvid); });
}

void encode(Writer& w, const DisableMessage& v) {
  w.u32(v.pnn);
  w.zeros(4);
  w.u64(v.srvid);
  w.u32(v.timeout);
  w.zeros(4);
}

bool decode(Reader& r, DisableMessage* v) {
  return decode_into(r, v, [&](DisableMessage& x) {
    return r.u32(&x.pnn) && r.skip(4) && r.u64(&x.srvid) && r.u32(&x.timeout) && r.skip(4);
  });
}

void encode(Writer& w, const ServerId& v) {
  w.u64(v.pid);
  w.u32(v.task_id);
  w.u32(v.vnn);
  w.u64(v.unique_id);
}

bool decode(Reader& r, ServerId* v) {
  return decode_into(r, v, [&](ServerId& x) {
    return r.u64(&x.pid) && r.u32(&x.task_id) && r.u32(&x.vnn) && r.u64(&x.unique_id);
  });
}

void encode(Writer& w, const GLock& v) {
  w.u32(v.type);
  w.zeros(4);
  encode(w, v.sid);
}

bool decode(Reader& r, GLock* v) {
  return decode_into(r, v, [&](GLock& x) {
    if (!r.u32(&x.type)) return false;
    if (x.type != G_LOCK_READ && x.type != G_LOCK_WRITE) return r.fail();
    return r.skip(4) && decode(r, &x.sid);
  });
}

void encode(Writer& w, const GLockList& v) {
  for (const auto& l : v.locks) encode(w, l);
}

bool decode(Reader& r, GLockList* v) {
  return decode_into(r, v, [&](GLockList& x) {
    size_t n = r.remaining();
    if (!r.ok() || n % kGLockSize != 0) return r.fail();
    x.locks.resize(n / kGLockSize);
    for (auto& l : x.locks) {
      if (!decode(r, &l)) return false;
    }
    return true;
  });
}

}  // namespace ctdb::proto
