// Output helpers the commands share for --json: where a document goes (stdout, or kept for
// `-n all`), failure messages kept off stdout, and the JSON form of flags, latencies and times.
#include <stdarg.h>
#include <stdio.h>

#include "client/format.h"
#include "tool.h"

namespace ctdb::tool {

void print_json(Context* ctx, const JsonWriter& doc) {
  if (ctx != nullptr && ctx->collect_json) {
    ctx->json_doc = doc.str();
    return;
  }
  fputs(doc.str().c_str(), stdout);
}

void print_failure(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(options.json ? stderr : stdout, fmt, ap);
  va_end(ap);
}

std::vector<std::string> node_flag_names(uint32_t flags) {
  std::vector<std::string> names;
  if (flags == 0) return names;
  // node_flags_string owns the names and their order.
  std::string joined = client::node_flags_string(flags);
  size_t start = 0;
  for (;;) {
    size_t bar = joined.find('|', start);
    names.push_back(joined.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return names;
}

void json_node_flags(JsonWriter& w, uint32_t flags) {
  w.field("flags", flags).key("flag_names").begin_array();
  for (const auto& name : node_flag_names(flags)) w.value(name);
  w.end_array();
}

void json_latency(JsonWriter& w, const proto::LatencyCounter& l) {
  double avg = l.num != 0 ? l.total / l.num : 0.0;
  w.begin_object().field("num", l.num);
  w.key("min").fixed(l.min, 6).key("avg").fixed(avg, 6).key("max").fixed(l.max, 6);
  w.end_object();
}

void json_time(JsonWriter& w, const proto::Timeval& t) {
  w.fixed(static_cast<double>(t.sec) + static_cast<double>(t.usec) * 1.0e-6, 6);
}

void json_pnn(JsonWriter& w, uint32_t pnn) {
  if (pnn == UNKNOWN_PNN) {
    w.null();
  } else {
    w.value(pnn);
  }
}

}  // namespace ctdb::tool
