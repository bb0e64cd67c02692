// The tunables table: every 4.17 tunable plus the seed's, with defaults,
// ranges and wire slots; and the Tunables value store built on it.
#include "common/tunables.h"

#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/text_file.h"

namespace ctdb {
namespace {

constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();

// Ranges: 4.17 accepts any uint32 for every tunable. We refuse values that
// cannot work: booleans are 0/1, intervals, timeouts and counts that drive a
// timer or a divisor are >= 1, an algorithm selector is 0..2, and values
// handed to libtdb as an int stay within int range. Values where 0 means
// "off" (warnings, latency logging, sticky times) allow 0.
constexpr uint32_t kMaxHashSize = 1u << 24;  // tdb hash chains: 64 MiB of chain heads

// Order is 4.17's tunable_map order, which is the LIST_TUNABLES order; the
// wire_index column gives the position in struct ctdb_tunable_list, which
// differs (e.g. LCP2PublicIPs). DisableWhenUnhealthy exists only in the seed;
// it sits beside DeterministicIPs as in the seed man page.
const std::vector<TunableDef> kTable = {
    {"MaxRedirectCount", 3, true, 0, 0, kMax, "Obsolete."},
    {"SeqnumInterval", 1000, false, 1, 1, kMax,
     "Milliseconds between checks that propagate database sequence numbers to other nodes."},
    {"ControlTimeout", 60, false, 2, 1, kMax,
     "Seconds to wait for the reply to a control sent to a local or remote daemon."},
    {"TraverseTimeout", 20, false, 3, 1, kMax,
     "Seconds a cluster-wide database traverse may run before it is aborted."},
    {"KeepaliveInterval", 1, false, 4, 1, kMax,
     "Seconds between keepalive packets sent to each other node."},
    {"KeepaliveLimit", 5, false, 5, 1, kMax,
     "Keepalive intervals without traffic after which a peer is marked DISCONNECTED."},
    {"RecoverTimeout", 30, false, 6, 1, kMax,
     "Seconds to wait for the reply to a control sent during recovery."},
    {"RecoverInterval", 1, false, 7, 1, kMax,
     "Seconds between the recovery master's cluster consistency checks."},
    {"ElectionTimeout", 3, false, 8, 1, kMax,
     "Seconds an election round may take before a new one starts."},
    {"TakeoverTimeout", 9, false, 9, 1, kMax,
     "Seconds within which a public IP takeover run should complete."},
    {"MonitorInterval", 15, false, 10, 1, kMax,
     "Seconds between runs of the monitor event to check the node's health."},
    {"TickleUpdateInterval", 20, false, 11, 1, kMax,
     "Seconds between pushes of the tickle (client TCP connection) lists to other nodes."},
    {"EventScriptTimeout", 20, false, 12, 1, kMax,
     "Seconds an event may run before it is aborted and counted as failed."},
    {"MonitorTimeoutCount", 20, false, 13, 1, kMax,
     "Consecutive monitor event timeouts before the node is marked UNHEALTHY."},
    {"EventScriptUnhealthyOnTimeout", 0, true, 14, 0, kMax, "Obsolete."},
    {"RecoveryGracePeriod", 120, false, 15, 1, kMax,
     "Seconds without causing a failed recovery after which a node's ban count is reset."},
    {"RecoveryBanPeriod", 300, false, 16, 1, kMax,
     "Seconds a node stays BANNED after it caused repeated recovery failures."},
    {"DatabaseHashSize", 100000, false, 17, 1, kMaxHashSize,
     "Number of hash chains in newly created local database files."},
    {"DatabaseMaxDead", 5, false, 18, 0, kMax,
     "Dead records kept per hash chain in volatile databases before they are reused."},
    {"RerecoveryTimeout", 10, false, 19, 0, kMax,
     "Seconds after a recovery during which no further recovery is started."},
    {"EnableBans", 1, false, 20, 0, 1, "When 0, nodes are never banned."},
    {"DeterministicIPs", 1, false, 21, 0, 1,
     "When 1, public IP addresses stay with fixed home nodes where possible."},
    {"DisableWhenUnhealthy", 0, false, kNotOnWire, 0, 1,
     "When 1, a node that becomes UNHEALTHY is also permanently DISABLED."},
    {"LCP2PublicIPs", 1, true, 41, 0, kMax, "Obsolete."},
    {"ReclockPingPeriod", 60, true, 22, 0, kMax, "Obsolete."},
    {"NoIPFailback", 0, false, 23, 0, 1,
     "When 1, addresses are not moved back to a node that becomes healthy again."},
    {"DisableIPFailover", 0, true, 24, 0, kMax, "Obsolete."},
    {"VerboseMemoryNames", 0, false, 25, 0, 1,
     "When 1, memory reports use more descriptive names."},
    {"RecdPingTimeout", 60, false, 26, 1, kMax,
     "Seconds without a recovery daemon ping before it is counted as hung."},
    {"RecdFailCount", 10, false, 27, 1, kMax,
     "Missed recovery daemon pings before it is considered hung."},
    {"LogLatencyMs", 0, false, 28, 0, kMax,
     "When non-zero, log record and lock operations slower than this many milliseconds."},
    {"RecLockLatencyMs", 1000, false, 29, 0, kMax,
     "When non-zero, log recovery lock operations slower than this many milliseconds."},
    {"RecoveryDropAllIPs", 120, false, 30, 1, kMax,
     "Seconds stuck in recovery, stopped or banned after which all public IPs are released."},
    {"VerifyRecoveryLock", 1, true, 31, 0, kMax, "Obsolete."},
    {"VacuumInterval", 10, false, 32, 1, kMax,
     "Seconds between vacuuming runs on volatile databases."},
    {"VacuumMaxRunTime", 120, false, 33, 1, kMax,
     "Seconds a vacuuming run may take before it is terminated."},
    {"RepackLimit", 10000, false, 34, 0, kMax,
     "Freelist records above which vacuuming repacks a database."},
    {"VacuumLimit", 5000, true, 35, 0, kMax, "Obsolete."},
    {"VacuumFastPathCount", 60, false, 40, 0, kMax,
     "Fast-path vacuuming runs between full database scans."},
    {"MaxQueueDropMsg", 1000000, false, 36, 1, kMax,
     "Queued messages for one client after which the client is treated as hung."},
    {"AllowUnhealthyDBRead", 0, false, 37, 0, 1,
     "When 1, traverses may read databases that are marked unhealthy."},
    {"StatHistoryInterval", 1, false, 38, 1, kMax,
     "Seconds covered by each entry of the statistics history."},
    {"DeferredAttachTO", 120, false, 39, 1, kMax,
     "Seconds a client's attach may wait for frozen databases before it fails."},
    {"AllowClientDBAttach", 1, false, 42, 0, 1, "When 0, clients may not attach to databases."},
    {"RecoverPDBBySeqNum", 1, true, 43, 0, kMax, "Obsolete."},
    {"DeferredRebalanceOnNodeAdd", 300, true, 44, 0, kMax, "Obsolete."},
    {"FetchCollapse", 1, false, 45, 0, 1,
     "When 1, concurrent fetch requests for one record from one node are collapsed."},
    {"HopcountMakeSticky", 50, false, 46, 1, kMax,
     "Migration hop count above which a record in a sticky database becomes sticky."},
    {"StickyDuration", 600, false, 47, 0, kMax, "Seconds a record stays sticky."},
    {"StickyPindown", 200, false, 48, 0, kMax,
     "Milliseconds a sticky record is kept on a node after migrating there."},
    {"NoIPTakeover", 0, false, 49, 0, 1,
     "When 1, public IP addresses are not failed over to other nodes."},
    {"DBRecordCountWarn", 100000, false, 50, 0, kMax,
     "When non-zero, warn during recovery about databases with more records."},
    {"DBRecordSizeWarn", 10000000, false, 51, 0, kMax,
     "When non-zero, warn during recovery about records larger than this many bytes."},
    {"DBSizeWarn", 100000000, false, 52, 0, kMax,
     "When non-zero, warn during recovery about databases larger than this many bytes."},
    {"PullDBPreallocation", 10 * 1024 * 1024, false, 53, 0, kMax,
     "Bytes preallocated for the record buffer of a database pull."},
    {"NoIPHostOnAllDisabled", 1, true, 54, 0, kMax, "Obsolete."},
    {"Samba3AvoidDeadlocks", 0, true, 55, 0, kMax, "Obsolete."},
    {"TDBMutexEnabled", 1, true, 56, 0, kMax, "Obsolete."},
    {"LockProcessesPerDB", 200, false, 57, 1, kMax, "Maximum lock helper processes per database."},
    {"RecBufferSizeLimit", 1000000, false, 58, 1, kMax,
     "Bytes of records per buffer in recovery and vacuuming controls."},
    {"QueueBufferSize", 1024, false, 59, 1, kMax, "Bytes read from a socket at a time."},
    {"IPAllocAlgorithm", 2, false, 60, 0, 2,
     "Public IP allocation: 0 deterministic, 1 non-deterministic, 2 LCP2."},
    {"AllowMixedVersions", 0, false, 61, 0, 1,
     "When 1, nodes of different CTDB versions may form a cluster."},
};

const TunableDef* find_with_index(std::string_view name, size_t* index) {
  for (size_t i = 0; i < kTable.size(); i++) {
    const char* n = kTable[i].name;
    if (name.size() == std::char_traits<char>::length(n) &&
        strncasecmp(n, name.data(), name.size()) == 0) {
      if (index != nullptr) *index = i;
      return &kTable[i];
    }
  }
  return nullptr;
}

// Whole-string unsigned parse in base 0 (decimal, 0x hex, leading-0 octal).
bool parse_u32(std::string_view text, uint32_t* out) {
  std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+' || s[0] == ' ' || s[0] == '\t') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > kMax) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

const std::vector<TunableDef>& tunable_table() { return kTable; }

const TunableDef* find_tunable(std::string_view name) { return find_with_index(name, nullptr); }

Tunables::Tunables() { reset(); }

void Tunables::reset() {
  values_.clear();
  values_.reserve(kTable.size());
  for (const TunableDef& t : kTable) values_.push_back(t.default_value);
}

std::optional<uint32_t> Tunables::get(std::string_view name) const {
  size_t i = 0;
  if (find_with_index(name, &i) == nullptr) return std::nullopt;
  return values_[i];
}

uint32_t Tunables::value(std::string_view name) const { return get(name).value_or(0); }

TunableSetResult Tunables::set(std::string_view name, uint32_t value, std::string* error) {
  size_t i = 0;
  const TunableDef* def = find_with_index(name, &i);
  if (def == nullptr) {
    if (error) *error = "No such tunable " + std::string(name);
    return TunableSetResult::kUnknown;
  }
  if (def->obsolete) {
    // 4.17 stores the value of an obsolete tunable and only warns.
    values_[i] = value;
    if (error) *error = "Setting obsolete tunable variable '" + std::string(def->name) + "'";
    return TunableSetResult::kObsolete;
  }
  if (value < def->min || value > def->max) {
    if (error) {
      *error = "Value " + std::to_string(value) + " for tunable " + def->name +
               " is out of range " + std::to_string(def->min) + ".." + std::to_string(def->max);
    }
    return TunableSetResult::kOutOfRange;
  }
  values_[i] = value;
  return TunableSetResult::kOk;
}

TunableSetResult Tunables::parse_and_set(std::string_view name, std::string_view value,
                                         std::string* error) {
  if (find_tunable(name) == nullptr) return set(name, 0, error);
  uint32_t v = 0;
  if (!parse_u32(value, &v)) {
    if (error) {
      *error =
          "Invalid value \"" + std::string(value) + "\" for tunable \"" + std::string(name) + "\"";
    }
    return TunableSetResult::kBadValue;
  }
  return set(name, v, error);
}

std::vector<std::string> Tunables::list() const {
  std::vector<std::string> names;
  for (const TunableDef& t : kTable) {
    if (!t.obsolete) names.emplace_back(t.name);
  }
  return names;
}

std::string Tunables::list_string() const {
  std::string out;
  for (const std::string& n : list()) {
    if (!out.empty()) out += ':';
    out += n;
  }
  return out;
}

std::vector<uint32_t> Tunables::to_wire() const {
  std::vector<uint32_t> wire(kTunableWireCount, 0);
  for (size_t i = 0; i < kTable.size(); i++) {
    int w = kTable[i].wire_index;
    if (w != kNotOnWire) wire[static_cast<size_t>(w)] = values_[i];
  }
  return wire;
}

bool Tunables::from_wire(const std::vector<uint32_t>& wire) {
  if (wire.size() != kTunableWireCount) return false;
  for (size_t i = 0; i < kTable.size(); i++) {
    int w = kTable[i].wire_index;
    if (w != kNotOnWire) values_[i] = wire[static_cast<size_t>(w)];
  }
  return true;
}

bool load_tunables_file(const std::string& path, Tunables* tunables,
                        std::vector<std::string>* errors) {
  tunables->reset();
  // Like 4.17, a missing file just means "all defaults".
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return true;
  std::string text;
  std::string error;
  if (!read_text_file(path, &text, &error)) {
    errors->push_back(error);
    return false;
  }
  bool ok = true;
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); i++) {
    std::string_view line = trim_space(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + ":" + std::to_string(i + 1) + ": ";
    if (line[0] == '[') {
      errors->push_back(where + "sections are not supported");
      ok = false;
      continue;
    }
    size_t eq = line.find('=');
    std::string_view name = trim_space(line.substr(0, eq));
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : trim_space(line.substr(eq + 1));
    if (name.empty() || value.empty()) {
      errors->push_back(where + "invalid line \"" + std::string(line) + "\"");
      ok = false;
      continue;
    }
    const TunableDef* def = find_tunable(name);
    if (def != nullptr && def->obsolete) {
      // 4.17 refuses obsolete tunables in the file outright.
      errors->push_back(where + "obsolete tunable \"" + std::string(name) + "\"");
      ok = false;
      continue;
    }
    std::string err;
    if (tunables->parse_and_set(name, value, &err) != TunableSetResult::kOk) {
      errors->push_back(where + err);
      ok = false;
    }
  }
  return ok;
}

}  // namespace ctdb
