// ctdb_ipalloc: a what-if planner for public IP allocation with the interface of 4.17's
// takeover test program ("ctdb_takeover_tests ipalloc"), so its cases can be replayed here.
//
// Usage: ctdb_ipalloc NODE_FLAGS[,NODE_FLAGS...] [multi]
//
// Each NODE_FLAGS is one node's NODE_FLAGS_* value (decimal, 0x hex or 0 octal), pnn 0 first:
// "0,0x20,2" is a healthy node 0, a STOPPED node 1 and an UNHEALTHY node 2.
//
// Standard input is the current layout, one address per line:
//     IP PNN [ALLOWED_PNN,...]
// PNN is the node holding the address now (-1: nobody; missing: -1). ALLOWED_PNNs are the
// nodes whose public_addresses list it (default: every node). Text from '#' on is a comment.
// An empty line ends the layout. With "multi" the input is instead one block per node (pnn
// order, separated by empty lines) of "IP PNN" lines: what that node reports.
//
// Environment:
//   CTDB_IP_ALGORITHM      lcp2 (default), nondet or det
//   CTDB_SET_NoIPTakeover  non-zero: addresses never move to another node
//   CTDB_SET_NoIPFailback  non-zero: no rebalancing (our addition; 4.17's program ignores it)
//   CTDB_TEST_RUNSTATE     run state per node, e.g. 4,5,5 (5 = RUNNING, the default);
//                          the single value 1 applies to every node
//   CTDB_TEST_LOGLEVEL     ERROR, WARNING, NOTICE, INFO or DEBUG (default): the algorithm's
//                          reasoning, as 4.17 logs it, goes to stderr
//
// Output (stdout): every address as "IP PNN", in 4.17's order. Exit status: 0 done,
// 1 bad input or environment (message on stderr), 2 usage.

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "ctdb/protocol.h"
#include "daemon/takeover/ipalloc.h"

namespace ctdb::ipalloc_tool {
namespace {

using daemon::takeover::IpallocAlgorithm;
using daemon::takeover::IpallocLogger;
using daemon::takeover::IpallocNodeViews;
using daemon::takeover::IpallocOptions;

constexpr const char* kUsage = "usage: ctdb_ipalloc NODE_FLAGS[,NODE_FLAGS...] [multi]\n";

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "ctdb_ipalloc: %s\n", message.c_str());
  std::exit(1);
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(sep, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// An unsigned 32-bit number as C reads it with base 0 (the 4.17 program uses strtol(.., 0)).
std::optional<uint32_t> parse_u32(const std::string& text) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// A pnn in the layout: -1 or a decimal node number (4.17 reads these with base 10).
std::optional<uint32_t> parse_pnn(const std::string& text) {
  if (text == "-1") return UNKNOWN_PNN;
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
  if (v >= UNKNOWN_PNN) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::vector<uint32_t> parse_node_flags(const std::string& arg) {
  std::vector<uint32_t> flags;
  for (const auto& item : split(arg, ',')) {
    auto v = parse_u32(item);
    if (!v) die("bad node flags '" + item + "' in '" + arg + "'");
    flags.push_back(*v);
  }
  return flags;
}

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return false;
  auto v = parse_u32(value);
  if (!v) die(std::string("bad value '") + value + "' for " + name);
  return *v != 0;
}

IpallocAlgorithm env_algorithm() {
  const char* value = std::getenv("CTDB_IP_ALGORITHM");
  if (value == nullptr) return IpallocAlgorithm::kLcp2;
  std::string_view v(value);
  if (v == "lcp2") return IpallocAlgorithm::kLcp2;
  if (v == "nondet") return IpallocAlgorithm::kNonDeterministic;
  if (v == "det") return IpallocAlgorithm::kDeterministic;
  die(std::string("unknown IP algorithm '") + value + "' in CTDB_IP_ALGORITHM (lcp2, nondet, det)");
}

std::vector<uint32_t> env_runstates(size_t num_nodes) {
  const char* value = std::getenv("CTDB_TEST_RUNSTATE");
  if (value == nullptr) return std::vector<uint32_t>(num_nodes, RUNSTATE_RUNNING);
  // 4.17 reads a lone "1" as "every node is in run state 1".
  if (std::string_view(value) == "1") return std::vector<uint32_t>(num_nodes, 1);
  std::vector<uint32_t> states;
  for (const auto& item : split(value, ',')) {
    auto v = parse_u32(item);
    if (!v) die("bad run state '" + item + "' in CTDB_TEST_RUNSTATE");
    states.push_back(*v);
  }
  if (states.size() != num_nodes) {
    die("CTDB_TEST_RUNSTATE has " + std::to_string(states.size()) + " values for " +
        std::to_string(num_nodes) + " nodes");
  }
  return states;
}

int env_log_level() {
  const char* value = std::getenv("CTDB_TEST_LOGLEVEL");
  int level = kLogDebug;  // 4.17's default, also for a value it cannot read
  if (value != nullptr && !parse_debug_level(value, &level)) level = kLogDebug;
  return level;
}

struct LayoutLine {
  proto::PublicIp ip;
  bool has_allowed = false;
  std::vector<uint32_t> allowed;
};

// Reads one block: lines up to an empty line or the end of input. Sets *more when an empty
// line ended it.
std::vector<LayoutLine> read_block(size_t num_nodes, bool multi, size_t* line_no, bool* more) {
  std::vector<LayoutLine> block;
  std::string line;
  *more = false;
  while (std::getline(std::cin, line)) {
    ++*line_no;
    while (!line.empty() && (line.back() == '\r')) line.pop_back();
    if (line.empty()) {
      *more = true;
      break;
    }
    std::string where = "line " + std::to_string(*line_no) + ": ";
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    std::vector<std::string> tokens;
    size_t pos = 0;
    while ((pos = line.find_first_not_of(" \t", pos)) != std::string::npos) {
      size_t end = line.find_first_of(" \t", pos);
      tokens.push_back(line.substr(pos, end == std::string::npos ? end : end - pos));
      pos = end;
    }
    if (tokens.empty()) continue;  // blanks or a comment only

    LayoutLine entry;
    auto addr = proto::SockAddr::parse(tokens[0]);
    if (!addr) die(where + "bad address '" + tokens[0] + "'");
    entry.ip.addr = *addr;
    entry.ip.pnn = UNKNOWN_PNN;
    if (tokens.size() > 1) {
      auto pnn = parse_pnn(tokens[1]);
      if (!pnn) die(where + "bad pnn '" + tokens[1] + "' (a node number or -1)");
      entry.ip.pnn = *pnn;
    }
    if (tokens.size() > 2) {
      if (multi) die(where + "allowed nodes are not accepted in multi mode");
      entry.has_allowed = true;
      for (const auto& item : split(tokens[2], ',')) {
        auto n = parse_pnn(item);
        if (!n || *n == UNKNOWN_PNN || *n >= num_nodes) {
          die(where + "bad allowed node '" + item + "' (0.." + std::to_string(num_nodes - 1) + ")");
        }
        entry.allowed.push_back(*n);
      }
    }
    if (tokens.size() > 3) die(where + "unexpected '" + tokens[3] + "'");
    block.push_back(std::move(entry));
  }
  return block;
}

// Only empty lines may follow the layout.
void expect_no_more_input(size_t* line_no, const char* what) {
  std::string line;
  while (std::getline(std::cin, line)) {
    ++*line_no;
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      die("line " + std::to_string(*line_no) + ": " + what);
    }
  }
}

IpallocNodeViews read_views(size_t num_nodes, bool multi) {
  IpallocNodeViews views;
  views.known.resize(num_nodes);
  size_t line_no = 0;
  bool more = false;
  if (multi) {
    for (size_t n = 0; n < num_nodes; n++) {
      for (auto& entry : read_block(num_nodes, true, &line_no, &more)) {
        views.known[n].ips.push_back(entry.ip);
      }
      if (!more) break;
    }
    if (more) expect_no_more_input(&line_no, "more address blocks than nodes");
  } else {
    for (auto& entry : read_block(num_nodes, false, &line_no, &more)) {
      if (!entry.has_allowed) {
        for (auto& list : views.known) list.ips.push_back(entry.ip);
        continue;
      }
      for (uint32_t n : entry.allowed) views.known[n].ips.push_back(entry.ip);
    }
    if (more) {
      expect_no_more_input(&line_no,
                           "text after the empty line that ends the layout (per-node "
                           "blocks need 'multi')");
    }
  }
  return views;
}

int run(int argc, char** argv) {
  bool multi = argc == 3 && std::string_view(argv[2]) == "multi";
  if (argc != 2 && !multi) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view arg1(argv[1]);
  if (arg1 == "-h" || arg1 == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::vector<uint32_t> flags = parse_node_flags(argv[1]);

  IpallocOptions options;
  options.algorithm = env_algorithm();
  options.no_ip_takeover = env_flag("CTDB_SET_NoIPTakeover");
  options.no_ip_failback = env_flag("CTDB_SET_NoIPFailback");
  std::vector<uint32_t> runstates = env_runstates(flags.size());

  IpallocNodeViews views = read_views(flags.size(), multi);
  // What the test program offers as available: a node's whole list, if it may host at all.
  views.available.resize(flags.size());
  for (size_t n = 0; n < flags.size(); n++) {
    if (daemon::takeover::node_can_host_ips(flags[n], runstates[n])) {
      views.available[n] = views.known[n];
    }
  }

  IpallocLogger logger;
  logger.level = env_log_level();
  logger.sink = [](int, const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
  };
  auto result =
      daemon::takeover::ipalloc(static_cast<uint32_t>(flags.size()), views, options, logger);
  std::fflush(stderr);
  for (const auto& ip : result) {
    std::printf("%s %" PRId32 "\n", ip.addr.to_string().c_str(), static_cast<int32_t>(ip.pnn));
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace
}  // namespace ctdb::ipalloc_tool

int main(int argc, char** argv) { return ctdb::ipalloc_tool::run(argc, argv); }
