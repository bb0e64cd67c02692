// Shared pieces of the libFuzzer targets (see fuzz_common.h).
#include "fuzz_common.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "protocol/message.h"
#include "protocol/types.h"

namespace ctdb::fuzz {
namespace {

using proto::PayloadKind;

// A copy of stderr taken before main(): libFuzzer's -close_fd_mask=2 closes fd 2 later.
const int g_report_fd = ::dup(2);

// Decodes as T; when that works, checks that the value's encoding is stable.
template <typename T>
bool typed(const Bytes& in, bool same_size, T* out = nullptr) {
  T v;
  if (!proto::from_bytes(in, &v)) return false;
  Bytes once = proto::to_bytes(v);
  T again;
  FUZZ_CHECK(proto::from_bytes(once, &again));
  FUZZ_CHECK(proto::to_bytes(again) == once);
  if (same_size) FUZZ_CHECK(once.size() == in.size());
  if (out != nullptr) *out = std::move(v);
  return true;
}

// Fixed-size scalars (u32, u64, double as its bits): decode and encode are the identity.
bool scalar(const Bytes& in, size_t size) {
  if (in.size() != size) return false;
  proto::Reader r(in);
  Bytes out;
  proto::Writer w(&out);
  if (size == 4) {
    uint32_t v;
    FUZZ_CHECK(r.u32(&v));
    w.u32(v);
  } else {
    double d;
    FUZZ_CHECK(r.f64(&d));
    w.f64(d);
  }
  FUZZ_CHECK(out == in);
  return true;
}

// An address's other forms: its text (not for IPv4-mapped IPv6, which parse folds to IPv4, as
// documented) and the kernel's sockaddr.
void check_sockaddr(const proto::SockAddr& a) {
  sockaddr_storage ss;
  size_t len = a.to_sockaddr(&ss);
  if (a.empty()) {
    FUZZ_CHECK(len == 0);
    FUZZ_CHECK(a.to_string().empty());
    return;
  }
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  bool mapped = a.is_ipv6() && std::memcmp(a.addr.data(), kMapped, sizeof(kMapped)) == 0;
  if (mapped) return;
  auto back = proto::SockAddr::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
  FUZZ_CHECK(back.has_value() && *back == a);
  auto parsed = proto::SockAddr::parse(a.to_string(), a.port);
  FUZZ_CHECK(parsed.has_value() && parsed->same_ip(a) && parsed->port == a.port);
  auto with_port = proto::SockAddr::parse_with_port(a.to_string_with_port());
  FUZZ_CHECK(with_port.has_value() && with_port->same_ip(a) && with_port->port == a.port);
}

// A decoded rec_buffer walks as `count` records, and adding them again rebuilds its bytes.
void check_rec_buffer(const proto::RecBuffer& b) {
  auto recs = b.records();
  FUZZ_CHECK(recs.has_value());
  FUZZ_CHECK(recs->size() == b.count);
  proto::RecBuffer rebuilt;
  rebuilt.db_id = b.db_id;
  for (const auto& rec : *recs) {
    rebuilt.add(rec);
    proto::LtdbHeader h;
    Bytes value;
    bool split = rec.split_header(&h, &value);
    FUZZ_CHECK(split == (rec.data.size() >= proto::kLtdbHeaderSize));
    if (split) {
      proto::RecData again = proto::RecData::with_header(rec.reqid, h, rec.key, value);
      FUZZ_CHECK(again.data.size() == rec.data.size() && again.key == rec.key);
    }
  }
  FUZZ_CHECK(rebuilt.count == b.count && rebuilt.buf == b.buf);
}

bool decode_kind(PayloadKind kind, const Bytes& in) {
  switch (kind) {
    case PayloadKind::kNone:
      return in.empty();
    case PayloadKind::kAny:
      return true;
    case PayloadKind::kUint32:
    case PayloadKind::kInt32:
    case PayloadKind::kPid:
    case PayloadKind::kDbId:
      return scalar(in, 4);
    case PayloadKind::kUint64:
    case PayloadKind::kDouble:
    case PayloadKind::kDbIdPad:
      return scalar(in, 8);
    case PayloadKind::kString: {
      proto::Reader r(in);
      std::string s;
      if (!proto::decode_cstring(r, &s) || r.remaining() != 0) return false;
      Bytes out;
      proto::Writer w(&out);
      proto::encode_cstring(w, s);
      // Only "" may be spelled two ways (no bytes, or one NUL).
      FUZZ_CHECK(out == in || (s.empty() && in.size() == 1));
      return true;
    }
    case PayloadKind::kStringN: {
      proto::Reader r(in);
      std::string s;
      if (!r.stringn(&s) || r.remaining() != 0) return false;
      Bytes out;
      proto::Writer(&out).stringn(s);
      proto::Reader r2(out);
      std::string s2;
      FUZZ_CHECK(r2.stringn(&s2) && r2.remaining() == 0 && s2 == s);
      return true;
    }
    case PayloadKind::kStatistics:
      return typed<proto::Statistics>(in, true);
    case PayloadKind::kStatisticsList:
      return typed<proto::StatisticsList>(in, true);
    case PayloadKind::kVnnMap:
      return typed<proto::VnnMap>(in, true);
    case PayloadKind::kDbIdMap:
      return typed<proto::DbIdMap>(in, true);
    case PayloadKind::kPullDb:
      return typed<proto::PullDb>(in, true);
    case PayloadKind::kPullDbExt:
      return typed<proto::PullDbExt>(in, true);
    case PayloadKind::kRecData: {
      proto::RecData rec;
      if (!typed(in, true, &rec)) return false;
      proto::RecBuffer one;
      one.add(rec);
      check_rec_buffer(one);
      return true;
    }
    case PayloadKind::kRecBuffer: {
      proto::RecBuffer b;
      if (!typed(in, true, &b)) return false;
      check_rec_buffer(b);
      return true;
    }
    case PayloadKind::kTraverseStart:
      return typed<proto::TraverseStart>(in, true);
    case PayloadKind::kTraverseAll:
      return typed<proto::TraverseAll>(in, true);
    case PayloadKind::kTraverseStartExt:
      return typed<proto::TraverseStartExt>(in, true);
    case PayloadKind::kTraverseAllExt:
      return typed<proto::TraverseAllExt>(in, true);
    case PayloadKind::kSockAddr: {
      proto::SockAddr a;
      if (!typed(in, true, &a)) return false;
      check_sockaddr(a);
      return true;
    }
    case PayloadKind::kConnection: {
      proto::Connection c;
      if (!typed(in, true, &c)) return false;
      check_sockaddr(c.src);
      check_sockaddr(c.dst);
      return true;
    }
    case PayloadKind::kTunable:
      return typed<proto::Tunable>(in, false);
    case PayloadKind::kVarList:
      return typed<proto::VarList>(in, false);
    case PayloadKind::kNodeFlagChange:
      return typed<proto::NodeFlagChange>(in, true);
    case PayloadKind::kTunableList:
      return typed<proto::TunableList>(in, true);
    case PayloadKind::kTickleList:
      return typed<proto::TickleList>(in, true);
    case PayloadKind::kAddrInfo:
      return typed<proto::AddrInfo>(in, false);
    case PayloadKind::kTransDb:
      return typed<proto::TransDb>(in, true);
    case PayloadKind::kUptime:
      return typed<proto::Uptime>(in, true);
    case PayloadKind::kPublicIp: {
      proto::PublicIp ip;
      if (!typed(in, true, &ip)) return false;
      check_sockaddr(ip.addr);
      return true;
    }
    case PayloadKind::kPublicIpList:
      return typed<proto::PublicIpList>(in, true);
    case PayloadKind::kNodeMap: {
      proto::NodeMap m;
      if (!typed(in, true, &m)) return false;
      for (const auto& n : m.nodes) check_sockaddr(n.addr);
      return true;
    }
    case PayloadKind::kScriptList:
      // An empty buffer (never ran) and a zero count are the same empty list.
      return typed<proto::ScriptList>(in, false);
    case PayloadKind::kBanState:
      return typed<proto::BanState>(in, true);
    case PayloadKind::kNotifyData:
      return typed<proto::NotifyData>(in, true);
    case PayloadKind::kIface:
      return typed<proto::Iface>(in, true);
    case PayloadKind::kIfaceList:
      return typed<proto::IfaceList>(in, true);
    case PayloadKind::kPublicIpInfo:
      return typed<proto::PublicIpInfo>(in, true);
    case PayloadKind::kKeyData:
      return typed<proto::KeyData>(in, true);
    case PayloadKind::kDbStatistics:
      return typed<proto::DbStatistics>(in, true);
    case PayloadKind::kPidSrvid:
      return typed<proto::PidSrvid>(in, true);
    case PayloadKind::kDbVacuum:
      return typed<proto::DbVacuum>(in, true);
    case PayloadKind::kEchoData:
      return typed<proto::EchoData>(in, true);
    case PayloadKind::kControlStatistics:
      return typed<proto::ControlStatistics>(in, true);
  }
  FUZZ_CHECK(!"a PayloadKind without a case here");
  return false;
}

bool decode_message(uint64_t srvid, const Bytes& in) {
  switch (proto::message_kind(srvid)) {
    case proto::MessageKind::kRaw:
      return true;
    case proto::MessageKind::kNone:
      return in.empty();
    case proto::MessageKind::kPnn:
    case proto::MessageKind::kDbId:
    case proto::MessageKind::kTimeout: {
      uint32_t v;
      if (!proto::decode_u32_message(in, &v)) return false;
      FUZZ_CHECK(proto::encode_u32_message(v) == in);
      return true;
    }
    case proto::MessageKind::kElection:
      return typed<proto::ElectionMessage>(in, true);
    case proto::MessageKind::kIpAddr: {
      std::string ip;
      if (!proto::decode_ipaddr_message(in, &ip)) return false;
      FUZZ_CHECK(!ip.empty());
      FUZZ_CHECK(proto::encode_ipaddr_message(ip) == in);
      // The daemon reads the text as an address; whatever it holds must not hurt.
      auto a = proto::SockAddr::parse(ip);
      if (a) check_sockaddr(*a);
      return true;
    }
    case proto::MessageKind::kNodeFlagChange:
      return typed<proto::NodeFlagChange>(in, true);
    case proto::MessageKind::kPublicIp: {
      proto::PublicIp ip;
      if (!typed(in, true, &ip)) return false;
      check_sockaddr(ip.addr);
      return true;
    }
    case proto::MessageKind::kRecBuffer: {
      proto::RecBuffer b;
      if (!typed(in, true, &b)) return false;
      check_rec_buffer(b);
      return true;
    }
    case proto::MessageKind::kSrvidMessage:
      return typed<proto::SrvidMessage>(in, true);
    case proto::MessageKind::kDisableMessage:
      return typed<proto::DisableMessage>(in, true);
  }
  FUZZ_CHECK(!"a MessageKind without a case here");
  return false;
}

}  // namespace

void check_failed(const char* file, int line, const char* what) {
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), "FUZZ CHECK FAILED %s:%d: %s\n", file, line, what);
  if (n > 0) {
    ssize_t ignored = ::write(g_report_fd >= 0 ? g_report_fd : 2, buf,
                              std::min(static_cast<size_t>(n), sizeof(buf) - 1));
    (void)ignored;
  }
  std::abort();
}

MemFile::MemFile() : fd_(::memfd_create("ctdb-fuzz", MFD_CLOEXEC)) {
  FUZZ_CHECK(fd_ >= 0);
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

void MemFile::set(const std::string& content) {
  FUZZ_CHECK(::ftruncate(fd_, 0) == 0);
  FUZZ_CHECK(::pwrite(fd_, content.data(), content.size(), 0) ==
             static_cast<ssize_t>(content.size()));
}

void quiet_stdio_stderr() {
  FILE* null = std::fopen("/dev/null", "w");
  if (null != nullptr) stderr = null;
}

uint8_t Input::u8() { return off_ < n_ ? p_[off_++] : 0; }

uint32_t Input::u32() {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= static_cast<uint32_t>(u8()) << (8 * i);
  return v;
}

uint64_t Input::u64() {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= static_cast<uint64_t>(u8()) << (8 * i);
  return v;
}

Bytes Input::bytes(size_t n) {
  n = std::min(n, remaining());
  Bytes b(p_ + off_, p_ + off_ + n);
  off_ += n;
  return b;
}

std::string Input::text_rest() {
  Bytes b = rest();
  return std::string(b.begin(), b.end());
}

bool roundtrip_payload(proto::PayloadKind kind, const Bytes& payload) {
  bool ok = decode_kind(kind, payload);
  FUZZ_CHECK(ok == proto::check_payload(kind, payload));
  return ok;
}

bool roundtrip_message(uint64_t srvid, const Bytes& payload) {
  bool ok = decode_message(srvid, payload);
  FUZZ_CHECK(ok == proto::check_message_payload(srvid, payload));
  return ok;
}

}  // namespace ctdb::fuzz
