// Pure helpers behind the ctdb tool's parsing and output text (see format.h).
#include "client/format.h"

#include <errno.h>
#include <strings.h>

#include <cctype>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ctdb/protocol.h"
#include "protocol/control.h"
#include "protocol/names.h"

namespace ctdb::client {
namespace {

struct FlagName {
  uint32_t flag;
  const char* name;
};

// Order matters: it is the order the 4.17 tool prints them in.
constexpr FlagName kNodeFlagNames[] = {
    {NODE_FLAGS_DISCONNECTED, "DISCONNECTED"},
    {kNodeFlagsUnknown, "UNKNOWN"},
    {NODE_FLAGS_PERMANENTLY_DISABLED, "DISABLED"},
    {NODE_FLAGS_BANNED, "BANNED"},
    {NODE_FLAGS_UNHEALTHY, "UNHEALTHY"},
    {NODE_FLAGS_DELETED, "DELETED"},
    {NODE_FLAGS_STOPPED, "STOPPED"},
    {NODE_FLAGS_INACTIVE, "INACTIVE"},
};

struct LevelName {
  int level;
  const char* name;
};

// Samba maps the numeric levels between the named ones onto the name below.
constexpr LevelName kLevelNames[] = {
    {0, "ERROR"}, {1, "WARNING"}, {2, "WARNING"}, {3, "NOTICE"}, {4, "NOTICE"}, {5, "INFO"},
    {6, "INFO"},  {7, "INFO"},    {8, "INFO"},    {9, "INFO"},   {10, "DEBUG"},
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Converts `n` bytes at `p`; `shown` is the text the error message quotes
// (the 4.17 tool quotes everything after "0x", even past the argument).
int data_from_text(const char* p, size_t n, const char* shown, Bytes* out, std::string* error) {
  out->clear();
  if (n >= 2 && p[0] == '0' && p[1] == 'x') {
    const char* hex = p + 2;
    size_t len = n - 2;
    if (len % 2 != 0) {
      *error = std::string("Key (") + (shown + 2) + ") contains odd number of hex digits\n";
      return EINVAL;
    }
    for (size_t i = 0; i < len; i += 2) {
      int hi = hex_value(hex[i]);
      int lo = hex_value(hex[i + 1]);
      if (hi < 0 || lo < 0) {
        *error = std::string("Invalid hex: ") + (shown + 2 + i) + "\n";
        return EINVAL;
      }
      out->push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return 0;
  }
  out->assign(p, p + n);
  return 0;
}

// One quoted string of a ptrans line, advancing *pos past it.
int ptrans_string(const std::string& line, size_t* pos, Bytes* out, std::string* error) {
  out->clear();
  size_t start = *pos;
  size_t t = line.find_first_not_of(" \t", start);
  if (t == std::string::npos) t = line.size();
  if (t >= line.size() || line[t] != '"') {
    *error += "Unsupported input format in " + line.substr(start) + "\n";
    return 1;
  }
  t++;
  size_t close = line.find('"', t);
  if (close == std::string::npos) {
    *error += "Unmatched \" in input " + line.substr(start) + "\n";
    return 1;
  }
  if (close > t) {
    std::string rest = line.substr(t);
    std::string err;
    int ret = data_from_text(rest.c_str(), close - t, rest.c_str(), out, &err);
    if (ret != 0) {
      *error += err;
      return ret;
    }
  }
  *pos = close + 1;
  return 0;
}

}  // namespace

std::string node_flags_string(uint32_t flags) {
  std::string s;
  for (const auto& f : kNodeFlagNames) {
    if (flags & f.flag) {
      if (!s.empty()) s += "|";
      s += f.name;
    }
  }
  return s.empty() ? "OK" : s;
}

const char* runstate_name(uint32_t runstate) { return proto::runstate_name(runstate); }

uint32_t runstate_from_name(const std::string& name) { return proto::runstate_from_name(name); }

bool debug_level_parse(const std::string& s, int* level) {
  if (!s.empty() && isdigit(static_cast<unsigned char>(s[0]))) {
    int v = atoi(s.c_str());
    if (v >= 0 && v <= 10) {
      *level = v;
      return true;
    }
    return false;
  }
  // Prefix match, as Samba does: "" matches ERROR and "NOT" matches NOTICE.
  for (const auto& l : kLevelNames) {
    if (strncasecmp(l.name, s.c_str(), s.size()) == 0) {
      *level = l.level;
      return true;
    }
  }
  return false;
}

const char* debug_level_name(int level) {
  for (const auto& l : kLevelNames) {
    if (l.level == level) return l.name;
  }
  return "UNKNOWN";
}

int parse_ulong(const std::string& s, unsigned long* out) {
  const char* p = s.c_str();
  while (isspace(static_cast<unsigned char>(*p))) p++;
  if (*p == '-') return EINVAL;
  errno = 0;
  char* end = nullptr;
  unsigned long v = strtoul(p, &end, 0);
  if (errno != 0) return errno;
  if (end == p) return EINVAL;
  *out = v;
  return 0;
}

int string_to_data(const std::string& s, Bytes* out, std::string* error) {
  return data_from_text(s.c_str(), s.size(), s.c_str(), out, error);
}

std::string dump_data(const char* name, const Bytes& data) {
  std::string s = std::string(name) + "(" + std::to_string(data.size()) + ") = \"";
  for (uint8_t c : data) {
    if (isprint(c) && c != '"' && c != '\\') {
      s += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "\\%02X", c);
      s += buf;
    }
  }
  return s + "\"\n";
}

std::string dump_ltdb_header(uint32_t dmaster, uint64_t rsn, uint32_t flags) {
  static const FlagName kRecFlags[] = {
      {REC_FLAG_MIGRATED_WITH_DATA, "MIGRATED_WITH_DATA"},
      {REC_FLAG_VACUUM_MIGRATED, "VACUUM_MIGRATED"},
      {REC_FLAG_AUTOMATIC, "AUTOMATIC"},
      {REC_RO_HAVE_DELEGATIONS, "RO_HAVE_DELEGATIONS"},
      {REC_RO_HAVE_READONLY, "RO_HAVE_READONLY"},
      {REC_RO_REVOKING_READONLY, "RO_REVOKING_READONLY"},
      {REC_RO_REVOKE_COMPLETE, "RO_REVOKE_COMPLETE"},
  };
  char buf[128];
  snprintf(buf, sizeof(buf), "dmaster: %u\nrsn: %llu\nflags: 0x%08x", dmaster,
           static_cast<unsigned long long>(rsn), flags);
  std::string s = buf;
  for (const auto& f : kRecFlags) {
    if (flags & f.flag) s += std::string(" ") + f.name;
  }
  return s + "\n";
}

int64_t seconds_between(int64_t later, int64_t earlier) {
  return static_cast<int64_t>(static_cast<uint64_t>(later) - static_cast<uint64_t>(earlier));
}

double timeval_elapsed(const proto::Timeval& later, const proto::Timeval& earlier) {
  return static_cast<double>(seconds_between(later.sec, earlier.sec)) +
         static_cast<double>(seconds_between(later.usec, earlier.usec)) * 1.0e-6;
}

std::string duration_dhms(int64_t seconds) {
  // The 4.17 tool does this arithmetic in int; keep its results for odd input.
  int tmp = static_cast<int>(seconds);
  int secs = tmp % 60;
  tmp /= 60;
  int mins = tmp % 60;
  tmp /= 60;
  int hours = tmp % 24;
  int days = tmp / 24;
  char buf[64];
  snprintf(buf, sizeof(buf), "(%03d %02d:%02d:%02d)", days, hours, mins, secs);
  return buf;
}

std::string ctime_string(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  char buf[64];
  if (ctime_r(&tt, buf) == nullptr) return "\n";
  return buf;
}

bool ptrans_parse_line(const std::string& line, Bytes* key, Bytes* value, std::string* error) {
  size_t pos = 0;
  key->clear();
  value->clear();
  if (ptrans_string(line, &pos, key, error) != 0 || key->empty()) {
    key->clear();
    return false;
  }
  if (ptrans_string(line, &pos, value, error) != 0) {
    key->clear();
    value->clear();
    return false;
  }
  return true;
}

}  // namespace ctdb::client

namespace ctdb::client {
namespace {

struct StatField {
  const char* name;
  uint32_t (*get)(const proto::Statistics&);
};

#define CTDB_STAT(path)                                                  \
  {                                                                      \
#path, [](const proto::Statistics& s) -> uint32_t { return s.path; } \
  }

// The counters `ctdb statistics` lists, in the 4.17 tool's order and names.
const StatField kStatFields[] = {
    CTDB_STAT(num_clients),
    CTDB_STAT(frozen),
    CTDB_STAT(recovering),
    CTDB_STAT(num_recoveries),
    CTDB_STAT(client_packets_sent),
    CTDB_STAT(client_packets_recv),
    CTDB_STAT(node_packets_sent),
    CTDB_STAT(node_packets_recv),
    CTDB_STAT(keepalive_packets_sent),
    CTDB_STAT(keepalive_packets_recv),
    CTDB_STAT(node.req_call),
    CTDB_STAT(node.reply_call),
    CTDB_STAT(node.req_dmaster),
    CTDB_STAT(node.reply_dmaster),
    CTDB_STAT(node.reply_error),
    CTDB_STAT(node.req_message),
    CTDB_STAT(node.req_control),
    CTDB_STAT(node.reply_control),
    CTDB_STAT(node.req_tunnel),
    CTDB_STAT(client.req_call),
    CTDB_STAT(client.req_message),
    CTDB_STAT(client.req_control),
    CTDB_STAT(client.req_tunnel),
    CTDB_STAT(timeouts.call),
    CTDB_STAT(timeouts.control),
    CTDB_STAT(timeouts.traverse),
    CTDB_STAT(locks.num_calls),
    CTDB_STAT(locks.num_current),
    CTDB_STAT(locks.num_pending),
    CTDB_STAT(locks.num_failed),
    CTDB_STAT(total_calls),
    CTDB_STAT(pending_calls),
    CTDB_STAT(childwrite_calls),
    CTDB_STAT(pending_childwrite_calls),
    CTDB_STAT(memory_used),
    CTDB_STAT(max_hop_count),
    CTDB_STAT(total_ro_delegations),
    CTDB_STAT(total_ro_revokes),
};

#undef CTDB_STAT

double latency_avg(const proto::LatencyCounter& l) { return l.num ? l.total / l.num : 0.0; }

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

std::string latency_line(const char* label, const proto::LatencyCounter& l) {
  return format(" %-30s     %.6f/%.6f/%.6f sec out of %d\n", label, l.min, latency_avg(l), l.max,
                l.num);
}

}  // namespace

std::string statistics_text(const proto::Statistics& s) {
  std::string out = format("CTDB version %u\n", kProtocolVersion);
  out +=
      "Current time of statistics  :                " + ctime_string(s.statistics_current_time.sec);
  out +=
      "Statistics collected since  : " +
      duration_dhms(seconds_between(s.statistics_current_time.sec, s.statistics_start_time.sec)) +
      " " + ctime_string(s.statistics_start_time.sec);
  std::string prefix;
  for (const auto& f : kStatFields) {
    std::string name = f.name;
    size_t dot = name.find('.');
    bool nested = dot != std::string::npos;
    if (nested && name.compare(0, dot + 1, prefix) != 0) {
      prefix = name.substr(0, dot + 1);
      out += " " + name.substr(0, dot) + "\n";
    }
    std::string shown = nested ? name.substr(dot + 1) : name;
    out += format(" %s%-22s%s%10u\n", nested ? "    " : "", shown.c_str(), nested ? "" : "    ",
                  f.get(s));
  }
  out += " hop_count_buckets:";
  for (uint32_t v : s.hop_count_bucket) out += format(" %d", static_cast<int>(v));
  out += "\n lock_buckets:";
  for (uint32_t v : s.locks.buckets) out += format(" %d", static_cast<int>(v));
  out += "\n";
  out += latency_line("locks_latency      MIN/AVG/MAX", s.locks.latency);
  out += latency_line("reclock_ctdbd      MIN/AVG/MAX", s.reclock.ctdbd);
  out += latency_line("reclock_recd       MIN/AVG/MAX", s.reclock.recd);
  out += latency_line("call_latency       MIN/AVG/MAX", s.call_latency);
  out += latency_line("childwrite_latency MIN/AVG/MAX", s.childwrite_latency);
  return out;
}

std::string statistics_machine_text(const proto::Statistics& s, const std::string& sep,
                                    bool show_header) {
  static const char* const kLatencyNames[] = {"reclock_ctdbd", "reclock_recd", "call", "lockwait",
                                              "childwrite"};
  const char* p = sep.c_str();
  std::string out;
  if (show_header) {
    out += "CTDB version" + sep + "Current time of statistics" + sep +
           "Statistics collected since" + sep;
    for (const auto& f : kStatFields) out += std::string(f.name) + sep;
    for (const char* n : kLatencyNames) {
      for (const char* what : {"num", "min", "avg", "max"}) {
        out += format("%s_%s_latency%s", what, n, p);
      }
    }
    out += "\n";
  }
  out += format("%u%s", kProtocolVersion, p);
  out += format("%u%s", static_cast<uint32_t>(s.statistics_current_time.sec), p);
  out += format("%u%s", static_cast<uint32_t>(s.statistics_start_time.sec), p);
  for (const auto& f : kStatFields) out += format("%u%s", f.get(s), p);
  const proto::LatencyCounter* counters[] = {&s.reclock.ctdbd, &s.reclock.recd, &s.call_latency,
                                             &s.locks.latency, &s.childwrite_latency};
  for (const auto* l : counters) {
    out += format("%d%s%.6f%s%.6f%s%.6f%s", l->num, p, l->min, p, latency_avg(*l), p, l->max, p);
  }
  return out + "\n";
}

std::string control_statistics_text(const proto::ControlStatistics& s) {
  std::string out = format("%-28s %10s %8s %10s %10s %10s\n", "Control", "Calls", "Failed",
                           "Min(s)", "Avg(s)", "Max(s)");
  for (const auto& e : s.entries) {
    out += format("%-28s %10llu %8llu %10.6f %10.6f %10.6f\n", proto::control_name(e.opcode),
                  static_cast<unsigned long long>(e.calls),
                  static_cast<unsigned long long>(e.failures), e.latency.min,
                  latency_avg(e.latency), e.latency.max);
  }
  return out;
}

std::string control_statistics_machine_text(const proto::ControlStatistics& s,
                                            const std::string& sep) {
  const char* p = sep.c_str();
  std::string out =
      format("%sControl%sOpcode%sCalls%sFailed%sMin%sAvg%sMax%s\n", p, p, p, p, p, p, p, p);
  for (const auto& e : s.entries) {
    out += format("%s%s%s%u%s%llu%s%llu%s%.6f%s%.6f%s%.6f%s\n", p, proto::control_name(e.opcode), p,
                  e.opcode, p, static_cast<unsigned long long>(e.calls), p,
                  static_cast<unsigned long long>(e.failures), p, e.latency.min, p,
                  latency_avg(e.latency), p, e.latency.max, p);
  }
  return out;
}

}  // namespace ctdb::client
