// Prometheus' text exposition format (0.0.4), written by hand: # HELP and
// # TYPE lines per family, then its samples with escaped label values.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ctdb::daemon::metrics {

class Exposition {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Starts a family: `type` is "gauge" or "counter" (a counter's samples are
  // named NAME_total, as the format asks).
  void family(const std::string& name, const char* type, const std::string& help);
  // One sample of the family started last. Label names must be valid
  // Prometheus names; values are escaped here.
  void sample(const std::string& name, const Labels& labels, double value);
  void sample(const std::string& name, double value) { sample(name, {}, value); }

  const std::string& text() const { return text_; }

  // A label value with backslash, double quote and newline escaped.
  static std::string escape_label(const std::string& v);
  // A sample value: integers without a decimal point, NaN and +Inf/-Inf spelled as the format
  // spells them, other values with enough digits to read back exactly.
  static std::string format_value(double v);

 private:
  std::string text_;
};

}  // namespace ctdb::daemon::metrics
