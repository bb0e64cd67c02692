// A small writer for the one JSON document `ctdb --json` prints: objects, arrays, strings
// (escaped, UTF-8 checked) and numbers, indented two spaces a level. No library behind it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ctdb::tool {

// `s` as a JSON string literal, quotes included: '"' and '\\' escaped, control characters
// (below 0x20) as \u00XX, valid UTF-8 passed through as is, and each byte that is not part of
// a valid UTF-8 sequence replaced by \ufffd (the output is always valid JSON).
std::string json_quote(std::string_view s);

// Builds one document in memory, one member or element a line, except that an array of
// scalars only (numbers, strings, ...) stays on one line: [0, 0, 1]. Calls must nest properly:
// inside an object every value is preceded by key(); at the top level there is exactly one value. A
// misuse (a value without its key, an end without its begin, a second top-level value) makes ok()
// false for good; the text written so far is then not a document.
//
//   JsonWriter w;
//   w.begin_object().field("pnn", 0).key("flag_names").begin_array().value("DISABLED");
//   w.end_array().end_object();
//   fputs(w.str().c_str(), stdout);
class JsonWriter {
 public:
  JsonWriter() = default;
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // The name of the next member; only directly inside an object.
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view s);
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  // Without this a string literal would pick value(bool).
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b);
  // The shortest text that reads back as the same double; NaN and infinities (which JSON
  // cannot say) as null.
  JsonWriter& value(double d);
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  JsonWriter& value(T v) {
    if constexpr (std::is_signed_v<T>) {
      return integer(static_cast<int64_t>(v));
    } else {
      return unsigned_integer(static_cast<uint64_t>(v));
    }
  }
  // `d` with exactly `decimals` digits after the point (times and latencies, whose text form
  // has six); NaN and infinities as null.
  JsonWriter& fixed(double d, int decimals);
  JsonWriter& null();
  // A value that already is JSON text (such as another writer's str()), indented to sit at
  // this depth. The caller guarantees that `json` is exactly one valid JSON value.
  JsonWriter& raw(std::string_view json);

  // key(name) followed by value(v).
  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    return key(name).value(v);
  }

  // True while every call so far was a proper one.
  bool ok() const { return ok_; }
  // True once the top-level value is finished (and ok()).
  bool complete() const { return ok_ && done_ && stack_.empty(); }
  // The document, with a final newline once complete().
  std::string str() const;

 private:
  enum class Scope : uint8_t { kObject, kArray };
  struct Level {
    Scope scope;
    size_t start = 0;  // offset of the opening bracket in out_
    bool empty = true;
    bool want_value = false;  // an object's key() was given, its value not yet
    bool nested = false;      // holds an object, array or raw() value
  };

  JsonWriter& integer(int64_t v);
  JsonWriter& unsigned_integer(uint64_t v);
  // Separators and indentation before a value (or before a key, when `is_key`); false on misuse.
  bool before(bool is_key);
  void after_value();
  JsonWriter& scalar(const std::string& text);
  JsonWriter& begin(Scope scope, char open);
  JsonWriter& end(Scope scope, char close);
  void newline_indent(size_t depth);
  // Puts the finished array that opens at `start` on one line.
  void compact_from(size_t start);

  std::string out_;
  std::vector<Level> stack_;
  bool done_ = false;  // the top-level value is written
  bool ok_ = true;
};

}  // namespace ctdb::tool
