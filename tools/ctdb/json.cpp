// The JSON writer behind `ctdb --json` (see json.h): escaping, UTF-8 checking, number text
// and the separators and indentation of nested objects and arrays.
#include "json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ctdb::tool {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0 when the bytes there are not one.
size_t utf8_sequence(std::string_view s, size_t i) {
  auto byte = [&](size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  unsigned char c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return continuation(byte(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !continuation(byte(2))) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (byte(1) < lo || byte(1) > hi || !continuation(byte(2)) || !continuation(byte(3))) {
      return 0;
    }
    return 4;
  }
  return 0;
}

std::string number_text(const char* fmt, int precision, double d) {
  char buf[64];
  int n = snprintf(buf, sizeof(buf), fmt, precision, d);
  if (n >= 0 && static_cast<size_t>(n) < sizeof(buf)) return std::string(buf, n);
  std::string big(static_cast<size_t>(n) + 1, '\0');
  snprintf(big.data(), big.size(), fmt, precision, d);
  big.resize(static_cast<size_t>(n));
  return big;
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        char buf[8];
        snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
      i++;
      continue;
    }
    size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\\ufffd";  // one replacement character per stray byte
      i++;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  out += '"';
  return out;
}

void JsonWriter::newline_indent(size_t depth) {
  out_ += '\n';
  out_.append(2 * depth, ' ');
}

bool JsonWriter::before(bool is_key) {
  if (!ok_) return false;
  if (stack_.empty()) {
    if (is_key || done_) ok_ = false;
    return ok_;
  }
  Level& top = stack_.back();
  if (top.scope == Scope::kObject && !is_key) {
    // A member's value follows its key on the same line.
    if (!top.want_value) ok_ = false;
    return ok_;
  }
  if (top.scope == Scope::kArray && is_key) {
    ok_ = false;
    return false;
  }
  if (top.want_value) {
    ok_ = false;
    return false;
  }
  if (!top.empty) out_ += ',';
  newline_indent(stack_.size());
  return true;
}

void JsonWriter::after_value() {
  if (stack_.empty()) {
    done_ = true;
    return;
  }
  stack_.back().empty = false;
  stack_.back().want_value = false;
}

JsonWriter& JsonWriter::scalar(const std::string& text) {
  if (!before(false)) return *this;
  out_ += text;
  after_value();
  return *this;
}

JsonWriter& JsonWriter::begin(Scope scope, char open) {
  if (!before(false)) return *this;
  if (!stack_.empty()) stack_.back().nested = true;
  Level level{scope};
  level.start = out_.size();
  out_ += open;
  stack_.push_back(level);
  return *this;
}

void JsonWriter::compact_from(size_t start) {
  // Only separators put line breaks here: strings have theirs escaped.
  std::string line;
  for (size_t i = start; i < out_.size(); i++) {
    if (out_[i] != '\n') {
      line += out_[i];
      continue;
    }
    while (i + 1 < out_.size() && out_[i + 1] == ' ') i++;
    if (!line.empty() && line.back() == ',') line += ' ';
  }
  out_.replace(start, std::string::npos, line);
}

JsonWriter& JsonWriter::end(Scope scope, char close) {
  if (!ok_ || stack_.empty() || stack_.back().scope != scope || stack_.back().want_value) {
    ok_ = false;
    return *this;
  }
  Level level = stack_.back();
  stack_.pop_back();
  if (!level.empty) newline_indent(stack_.size());
  out_ += close;
  if (scope == Scope::kArray && !level.nested) compact_from(level.start);
  after_value();
  return *this;
}

JsonWriter& JsonWriter::begin_object() { return begin(Scope::kObject, '{'); }
JsonWriter& JsonWriter::end_object() { return end(Scope::kObject, '}'); }
JsonWriter& JsonWriter::begin_array() { return begin(Scope::kArray, '['); }
JsonWriter& JsonWriter::end_array() { return end(Scope::kArray, ']'); }

JsonWriter& JsonWriter::key(std::string_view name) {
  if (!before(true)) return *this;
  out_ += json_quote(name);
  out_ += ": ";
  stack_.back().want_value = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) { return scalar(json_quote(s)); }

JsonWriter& JsonWriter::value(bool b) { return scalar(b ? "true" : "false"); }

JsonWriter& JsonWriter::value(double d) {
  if (!std::isfinite(d)) return null();
  std::string text;
  for (int precision = 15; precision <= 17; precision++) {
    text = number_text("%.*g", precision, d);
    if (strtod(text.c_str(), nullptr) == d) break;
  }
  return scalar(text);
}

JsonWriter& JsonWriter::fixed(double d, int decimals) {
  if (!std::isfinite(d)) return null();
  if (decimals < 0) decimals = 0;
  if (decimals > 17) decimals = 17;
  return scalar(number_text("%.*f", decimals, d));
}

JsonWriter& JsonWriter::integer(int64_t v) { return scalar(std::to_string(v)); }

JsonWriter& JsonWriter::unsigned_integer(uint64_t v) { return scalar(std::to_string(v)); }

JsonWriter& JsonWriter::null() { return scalar("null"); }

JsonWriter& JsonWriter::raw(std::string_view json) {
  while (!json.empty() && (json.back() == '\n' || json.back() == ' ')) json.remove_suffix(1);
  std::string text;
  for (char c : json) {
    text += c;
    if (c == '\n') text.append(2 * stack_.size(), ' ');
  }
  if (!stack_.empty()) stack_.back().nested = true;
  return scalar(text);
}

std::string JsonWriter::str() const { return complete() ? out_ + "\n" : out_; }

}  // namespace ctdb::tool
