#include "base/json_string.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace llmux {
namespace {

std::string as_json_string(std::string_view value) {
  std::string out;
  append_json_string(out, value);
  return out;
}

TEST(AppendJsonString, QuotesAndEscapes) {
  EXPECT_EQ(as_json_string(""), R"("")");
  EXPECT_EQ(as_json_string("gpt-4o"), R"("gpt-4o")");
  EXPECT_EQ(as_json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(as_json_string("line\nreturn\rtab\t"), R"("line\nreturn\rtab\t")");
  EXPECT_EQ(as_json_string(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(as_json_string("é ✓ /"), "\"é ✓ /\"");  // UTF-8 and '/' pass as they are
}

TEST(AppendJsonString, AppendsToWhatIsThere) {
  std::string out = R"({"model":)";
  append_json_string(out, "m");
  EXPECT_EQ(out, R"({"model":"m")");
}

TEST(AppendJsonString, EveryControlCharacterIsEscaped) {
  // JSON allows no raw byte below 0x20 in a string; \n \r \t get their short forms.
  for (int c = 0; c < 0x20; ++c) {
    std::string expected;
    if (c == '\n') {
      expected = R"("\n")";
    } else if (c == '\r') {
      expected = R"("\r")";
    } else if (c == '\t') {
      expected = R"("\t")";
    } else {
      char escaped[9];
      std::snprintf(escaped, sizeof escaped, "\"\\u%04x\"", c);
      expected = escaped;
    }
    EXPECT_EQ(as_json_string(std::string(1, static_cast<char>(c))), expected) << c;
  }
  for (int c = 0x20; c < 0x80; ++c) {
    if (c == '"' || c == '\\') continue;
    EXPECT_EQ(as_json_string(std::string(1, static_cast<char>(c))), "\"" + std::string(1, static_cast<char>(c)) + "\"") << c;
  }
}

}  // namespace
}  // namespace llmux
