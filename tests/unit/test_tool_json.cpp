// The ctdb tool's JSON writer (tools/ctdb/json.h): string escaping and UTF-8 checking, number
// text, the layout of nested objects and arrays, embedded documents, and misuse detection.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "../../tools/ctdb/json.h"

namespace ctdb::tool {
namespace {

using namespace std::string_literals;

TEST(ToolJson, QuotesPlainText) {
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("abc 123 /x"), R"("abc 123 /x")");
}

TEST(ToolJson, EscapesQuoteAndBackslash) {
  EXPECT_EQ(json_quote(R"(say "hi")"), R"("say \"hi\"")");
  EXPECT_EQ(json_quote(R"(C:\dir\)"), R"("C:\\dir\\")");
  EXPECT_EQ(json_quote(R"(\")"), R"("\\\"")");
}

TEST(ToolJson, EscapesEveryControlCharacterAsU00XX) {
  for (int c = 0; c < 0x20; c++) {
    char expected[16];
    snprintf(expected, sizeof(expected), "\"\\u%04x\"", c);
    EXPECT_EQ(json_quote(std::string(1, static_cast<char>(c))), expected) << "byte " << c;
  }
  EXPECT_EQ(json_quote("a\tb\nc\r"), R"("a\u0009b\u000ac\u000d")");
  EXPECT_EQ(json_quote("a\0b"s), R"("a\u0000b")");  // an embedded NUL is kept, escaped
  EXPECT_EQ(json_quote("\x1f\x20"), R"("\u001f ")");
  EXPECT_EQ(json_quote("\x7f"), "\"\x7f\"");  // DEL is no control character to JSON
}

TEST(ToolJson, PassesValidUtf8Through) {
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");                            // U+00E9
  EXPECT_EQ(json_quote("\xe6\x97\xa5\xe6\x9c\xac"), "\"\xe6\x97\xa5\xe6\x9c\xac\"");  // CJK
  EXPECT_EQ(json_quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");                  // U+1F600
  EXPECT_EQ(json_quote("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"");                          // U+FFFF
  EXPECT_EQ(json_quote("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");                  // U+10FFFF
  EXPECT_EQ(json_quote("\xc2\x80"), "\"\xc2\x80\"");                                  // U+0080
}

TEST(ToolJson, ReplacesEachInvalidUtf8Byte) {
  const std::string r = "\\ufffd";
  EXPECT_EQ(json_quote("\x80"), "\"" + r + "\"");                  // stray continuation byte
  EXPECT_EQ(json_quote("a\xc3"), "\"a" + r + "\"");                // truncated at the end
  EXPECT_EQ(json_quote("\xc3("), "\"" + r + "(\"");                // bad continuation
  EXPECT_EQ(json_quote("\xc0\xaf"), "\"" + r + r + "\"");          // overlong '/'
  EXPECT_EQ(json_quote("\xe0\x80\xaf"), "\"" + r + r + r + "\"");  // overlong, 3 bytes
  EXPECT_EQ(json_quote("\xed\xa0\x80"), "\"" + r + r + r + "\"");  // UTF-16 surrogate
  EXPECT_EQ(json_quote("\xf4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // above U+10FFFF
  EXPECT_EQ(json_quote("\xff\xfe"), "\"" + r + r + "\"");
  // The valid text around a bad byte is kept.
  EXPECT_EQ(json_quote("\xc3\xa9\xff\"x"), "\"\xc3\xa9" + r + "\\\"x\"");
}

TEST(ToolJson, ObjectsAndArraysNestWithIndentation) {
  JsonWriter w;
  w.begin_object().field("pnn", 1).field("address", "127.0.0.1");
  w.key("nodes").begin_array();
  w.begin_object().field("flags", 4).field("ok", false).end_object();
  w.end_array();
  w.key("leader").null();
  w.end_object();
  ASSERT_TRUE(w.complete());
  EXPECT_EQ(w.str(),
            "{\n"
            "  \"pnn\": 1,\n"
            "  \"address\": \"127.0.0.1\",\n"
            "  \"nodes\": [\n"
            "    {\n"
            "      \"flags\": 4,\n"
            "      \"ok\": false\n"
            "    }\n"
            "  ],\n"
            "  \"leader\": null\n"
            "}\n");
}

TEST(ToolJson, ScalarArraysStayOnOneLine) {
  JsonWriter w;
  w.begin_object().key("names").begin_array().value("DISABLED").value("a, b").end_array();
  w.key("empty").begin_array().end_array().key("none").begin_object().end_object();
  w.key("buckets").begin_array().value(0).value(1).value(2).end_array().end_object();
  EXPECT_EQ(w.str(),
            "{\n"
            "  \"names\": [\"DISABLED\", \"a, b\"],\n"
            "  \"empty\": [],\n"
            "  \"none\": {},\n"
            "  \"buckets\": [0, 1, 2]\n"
            "}\n");
}

TEST(ToolJson, KeysAreEscapedToo) {
  JsonWriter w;
  w.begin_object().field("a\"b\n", true).end_object();
  EXPECT_EQ(w.str(), "{\n  \"a\\\"b\\u000a\": true\n}\n");
}

TEST(ToolJson, Integers) {
  auto one = [](auto v) {
    JsonWriter w;
    w.value(v);
    return w.str();
  };
  EXPECT_EQ(one(uint8_t{255}), "255\n");
  EXPECT_EQ(one(int32_t{-1}), "-1\n");
  EXPECT_EQ(one(uint32_t{4294967295u}), "4294967295\n");
  EXPECT_EQ(one(std::numeric_limits<int64_t>::min()), "-9223372036854775808\n");
  EXPECT_EQ(one(std::numeric_limits<uint64_t>::max()), "18446744073709551615\n");
  EXPECT_EQ(one(true), "true\n");
  EXPECT_EQ(one("text"), "\"text\"\n");  // a literal is a string, not a bool
}

TEST(ToolJson, Doubles) {
  auto one = [](double d) {
    JsonWriter w;
    w.value(d);
    return w.str();
  };
  EXPECT_EQ(one(0.1), "0.1\n");
  EXPECT_EQ(one(2.5), "2.5\n");
  EXPECT_EQ(one(3), "3\n");
  EXPECT_EQ(one(1e-7), "1e-07\n");
  EXPECT_EQ(std::stod(one(1.0 / 3)), 1.0 / 3);  // reads back exactly
  EXPECT_EQ(one(std::nan("")), "null\n");
  EXPECT_EQ(one(std::numeric_limits<double>::infinity()), "null\n");
  JsonWriter w;
  w.begin_array().fixed(0.0123456789, 6).fixed(1796630324.262794, 6).fixed(2, 0).end_array();
  EXPECT_EQ(w.str(), "[0.012346, 1796630324.262794, 2]\n");
}

TEST(ToolJson, RawValuesAreIndentedToTheirDepth) {
  JsonWriter inner;
  inner.begin_object().field("pid", 42).key("b").begin_array().value(1).end_array().end_object();
  JsonWriter w;
  w.begin_object().key("nodes").begin_array();
  w.begin_object().field("pnn", 0).key("result").raw(inner.str()).end_object();
  w.end_array().end_object();
  ASSERT_TRUE(w.complete());
  EXPECT_EQ(w.str(),
            "{\n"
            "  \"nodes\": [\n"
            "    {\n"
            "      \"pnn\": 0,\n"
            "      \"result\": {\n"
            "        \"pid\": 42,\n"
            "        \"b\": [1]\n"
            "      }\n"
            "    }\n"
            "  ]\n"
            "}\n");
}

TEST(ToolJson, MisuseIsDetected) {
  {
    JsonWriter w;
    w.begin_object().value(1);  // no key
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.begin_object().key("a").key("b");  // two keys
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.begin_array().key("a");  // a key in an array
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.begin_object().end_array();  // the wrong end
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.begin_object().key("a").end_object();  // a key without its value
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.value(1).value(2);  // two documents
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.key("a");  // a key outside any object
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.end_object();
    EXPECT_FALSE(w.ok());
  }
  {
    JsonWriter w;
    w.begin_object().field("a", 1);
    EXPECT_TRUE(w.ok());
    EXPECT_FALSE(w.complete());  // not finished: no final newline either
    EXPECT_EQ(w.str(), "{\n  \"a\": 1");
  }
}

}  // namespace
}  // namespace ctdb::tool
