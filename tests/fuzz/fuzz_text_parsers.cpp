// libFuzzer target: the small text parsers. Input: u8 selector, then the text.
//   0  addresses: SockAddr::parse / parse_with_port / parse_maybe_port (nodes file, tool args)
//   1  ADDR/MASK (public addresses, addip): common/socket_addr.h parse_addr_mask
//   2  a ctdb.tunables file (common/tunables.h load_tunables_file) and NAME=VALUE settings
//   3  debug levels: common/logging.h parse_debug_level and the tool's debug_level_parse
//   4  the tool's argument and input parsers (client/format.h): parse_ulong, string_to_data,
//      ptrans_parse_line, dump_data; run state and event names (protocol/names.h)
//   5  line splitting and trimming of the config readers (common/text_file.h)
//   6  a ctdb.conf (common/ctdb_conf.h): what loads dumps and loads back to the same dump
//   7  4.17's event daemon protocol (protocol/event_protocol.h), a request and a reply: what
//      decodes encodes to the same bytes
// What parses must format and parse back to the same value; settings must stay in range.
#include "client/format.h"
#include "common/ctdb_conf.h"
#include "common/logging.h"
#include "common/socket_addr.h"
#include "common/text_file.h"
#include "common/tunables.h"
#include "fuzz_common.h"
#include "protocol/event_protocol.h"
#include "protocol/names.h"

namespace ctdb::fuzz {
namespace {

void check_addr_text(const proto::SockAddr& a) {
  FUZZ_CHECK(a.is_ipv4() || a.is_ipv6());
  auto again = proto::SockAddr::parse(a.to_string(), a.port);
  FUZZ_CHECK(again.has_value() && *again == a);
  auto with_port = proto::SockAddr::parse_with_port(a.to_string_with_port());
  FUZZ_CHECK(with_port.has_value() && *with_port == a);
  auto maybe = proto::SockAddr::parse_maybe_port(a.to_string_with_port(), 1);
  FUZZ_CHECK(maybe.has_value() && *maybe == a);
}

void addresses(const std::string& text) {
  if (auto a = proto::SockAddr::parse(text, 4379)) {
    FUZZ_CHECK(a->port == 4379);
    check_addr_text(*a);
  }
  if (auto a = proto::SockAddr::parse_with_port(text)) check_addr_text(*a);
  if (auto a = proto::SockAddr::parse_maybe_port(text, 4379)) check_addr_text(*a);
}

void addr_mask(const std::string& text) {
  proto::SockAddr a;
  unsigned mask = 999;
  if (!parse_addr_mask(text, &a, &mask)) {
    FUZZ_CHECK(mask == 999 && a.empty());
    return;
  }
  FUZZ_CHECK(mask <= (a.is_ipv4() ? 32u : 128u) && a.port == 0);
  check_addr_text(a);
  proto::SockAddr b;
  unsigned mask2 = 0;
  FUZZ_CHECK(parse_addr_mask(a.to_string() + "/" + std::to_string(mask), &b, &mask2));
  FUZZ_CHECK(b == a && mask2 == mask);
}

// Every non-obsolete tunable within its range, whatever was loaded or set; with `by_name`, its
// name finds the same value (a slow lookup: once per input).
void check_ranges(const Tunables& t, bool by_name) {
  const auto& table = tunable_table();
  for (size_t i = 0; i < table.size(); i++) {
    if (table[i].obsolete) continue;
    uint32_t v = t[static_cast<TunableId>(i)];
    FUZZ_CHECK(v >= table[i].min && v <= table[i].max);
    if (by_name) FUZZ_CHECK(t.get(table[i].name) == v);
  }
}

void tunables(const std::string& text) {
  static MemFile* file = new MemFile();
  file->set(text);
  Tunables t;
  std::vector<std::string> errors;
  bool ok = load_tunables_file(file->path(), &t, &errors);
  FUZZ_CHECK(ok == errors.empty());
  for (const auto& e : errors) FUZZ_CHECK(e.compare(0, file->path().size(), file->path()) == 0);
  check_ranges(t, true);
  // Each line as `ctdb setvar NAME VALUE` would set it.
  for (std::string_view line : split_lines(text)) {
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string err;
    TunableSetResult r = t.parse_and_set(trim_space(line.substr(0, eq)), line.substr(eq + 1), &err);
    FUZZ_CHECK((r == TunableSetResult::kOk) == err.empty());
    check_ranges(t, false);
  }
  check_ranges(t, true);
  std::vector<uint32_t> wire = t.to_wire();
  Tunables copy;
  FUZZ_CHECK(copy.from_wire(wire) && copy.to_wire() == wire);
}

void debug_levels(const std::string& text) {
  int level = -1;
  if (parse_debug_level(text, &level)) {
    FUZZ_CHECK(level >= 0 && level <= kLogLevelMax);
    FUZZ_CHECK(std::string(debug_level_name(level)) != "UNKNOWN");
    int again = -1;
    FUZZ_CHECK(parse_debug_level(std::to_string(level), &again) && again == level);
    FUZZ_CHECK(parse_debug_level(debug_level_name(level), &again));
  }
  level = -1;
  if (client::debug_level_parse(text, &level)) {
    FUZZ_CHECK(level >= 0 && level <= 10);
    FUZZ_CHECK(std::string(client::debug_level_name(level)) != "UNKNOWN");
  }
}

void tool_args(const std::string& text) {
  unsigned long v = 0;
  (void)client::parse_ulong(text, &v);
  proto::Bytes data;
  std::string error;
  int ret = client::string_to_data(text, &data, &error);
  if (ret == 0) {
    bool hex = text.size() >= 2 && text[0] == '0' && text[1] == 'x';
    FUZZ_CHECK(data.size() == (hex ? (text.size() - 2) / 2 : text.size()));
    std::string dumped = client::dump_data("key", data);
    FUZZ_CHECK(dumped.compare(0, 4, "key(") == 0 && dumped.back() == '\n');
  } else {
    FUZZ_CHECK(!error.empty());
  }
  proto::Bytes key, value;
  error.clear();
  if (client::ptrans_parse_line(text, &key, &value, &error)) FUZZ_CHECK(!key.empty());
  uint32_t rs = proto::runstate_from_name(text);
  FUZZ_CHECK(rs == 0 || proto::runstate_from_name(proto::runstate_name(rs)) == rs);
  uint32_t event = 0;
  if (proto::event_from_name(text, &event)) {
    FUZZ_CHECK(proto::event_name(event) != nullptr && text == proto::event_name(event));
    (void)proto::event_arg_count(event);
  }
}

void lines(const std::string& text) {
  std::vector<std::string_view> ls = split_lines(text);
  std::string joined;
  for (std::string_view l : ls) {
    FUZZ_CHECK(l.find('\n') == std::string_view::npos);
    joined.append(l.data(), l.size());
    joined += '\n';
    std::string_view t = trim_space(l);
    FUZZ_CHECK(t.size() <= l.size());
    if (!t.empty()) {
      FUZZ_CHECK(t.front() != ' ' && t.front() != '\t' && t.front() != '\r');
      FUZZ_CHECK(t.back() != ' ' && t.back() != '\t' && t.back() != '\r');
    }
  }
  // Splitting loses nothing but the final newline.
  if (!text.empty() && text.back() != '\n') joined.pop_back();
  FUZZ_CHECK(joined == text);
}

void ctdb_conf(const std::string& text) {
  // An etc directory that does not exist: the debug script checks fail, as they must.
  conf::Config c("/nonexistent-ctdb-etc");
  std::vector<std::string> errors, warnings;
  bool ok = c.load(text, &errors, &warnings);
  FUZZ_CHECK(ok == errors.empty());
  if (!ok) {
    FUZZ_CHECK(c.dump() == conf::Config("/nonexistent-ctdb-etc").dump());  // nothing kept
    return;
  }
  std::string dump = c.dump();
  conf::Config again("/nonexistent-ctdb-etc");
  errors.clear();
  FUZZ_CHECK(again.load(dump, &errors, &warnings));
  FUZZ_CHECK(again.dump() == dump);
}

void event_protocol(const std::string& text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  proto::event::Request req;
  if (proto::event::decode(p, text.size(), &req)) {
    proto::Bytes b = proto::event::encode(req);
    proto::event::Request back;
    FUZZ_CHECK(proto::event::decode(b.data(), b.size(), &back));
    FUZZ_CHECK(proto::event::encode(back) == b);
  }
  proto::event::Reply reply;
  if (proto::event::decode(p, text.size(), &reply)) {
    proto::Bytes b = proto::event::encode(reply);
    proto::event::Reply back;
    FUZZ_CHECK(proto::event::decode(b.data(), b.size(), &back));
    FUZZ_CHECK(proto::event::encode(back) == b);
  }
}

void fuzz_one(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint8_t sel = in.u8();
  std::string text = in.text_rest();
  switch (sel % 8) {
    case 0:
      return addresses(text);
    case 1:
      return addr_mask(text);
    case 2:
      return tunables(text);
    case 3:
      return debug_levels(text);
    case 4:
      return tool_args(text);
    case 5:
      return lines(text);
    case 6:
      return ctdb_conf(text);
    case 7:
      return event_protocol(text);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
