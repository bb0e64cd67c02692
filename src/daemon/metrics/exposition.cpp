// Prometheus' text exposition format (see exposition.h).
#include "daemon/metrics/exposition.h"

#include <cmath>
#include <cstdio>

namespace ctdb::daemon::metrics {

void Exposition::family(const std::string& name, const char* type, const std::string& help) {
  text_ += "# HELP " + name + " ";
  for (char c : help) {
    if (c == '\\') {
      text_ += "\\\\";
    } else if (c == '\n') {
      text_ += "\\n";
    } else {
      text_ += c;
    }
  }
  text_ += "\n# TYPE " + name + " " + type + "\n";
}

void Exposition::sample(const std::string& name, const Labels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); i++) {
      if (i > 0) text_ += ',';
      text_ += labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
    }
    text_ += '}';
  }
  text_ += ' ' + format_value(value) + '\n';
}

std::string Exposition::escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Exposition::format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    snprintf(buf, sizeof(buf), "%.17g", v);
  }
  return buf;
}

}  // namespace ctdb::daemon::metrics
