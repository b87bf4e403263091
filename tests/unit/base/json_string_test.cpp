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

// The wide steps must land on the first stop in every lane, past a stop in a later lane, and
// on the tail that is shorter than a step.
TEST(FindJsonStringStop, FindsTheFirstStopAtEveryPosition) {
  const std::string_view stops[] = {"\"", "\\", std::string_view("\0", 1), "\x1f", "\n"};
  for (const std::string_view stop : stops) {
    for (std::size_t at = 0; at < 39; ++at) {
      std::string text(40, 'a');
      text[at] = stop[0];
      text[39] = '"';  // a later stop never hides the first
      EXPECT_EQ(find_json_string_stop(text, 0, false), at) << int(stop[0]) << " at " << at;
      EXPECT_EQ(find_json_string_stop(text, at + 1, false), 39u);
    }
  }
  EXPECT_EQ(find_json_string_stop(std::string(21, 'x'), 0, false), 21u);
  EXPECT_EQ(find_json_string_stop("", 0, true), 0u);
}

TEST(FindJsonStringStop, NonAsciiStopsOnlyWhenAsked) {
  const std::string text = "plain text \xC3\xA9 then \"";
  EXPECT_EQ(find_json_string_stop(text, 0, true), 11u);
  EXPECT_EQ(find_json_string_stop(text, 0, false), text.size() - 1);
  EXPECT_EQ(find_json_string_stop("\x7f~ ", 0, true), 3u);  // DEL and '~' are plain ASCII
  const std::string wide =
      std::string(17, ' ') + "\x80" + std::string(20, '~');  // 0x80 after a whole step
  EXPECT_EQ(find_json_string_stop(wide, 0, true), 17u);
  EXPECT_EQ(find_json_string_stop(wide, 0, false), wide.size());
}

TEST(AppendJsonString, AppendsToWhatIsThere) {
  std::string out = R"({"model":)";
  append_json_string(out, "m");
  EXPECT_EQ(out, R"({"model":"m")");
}

TEST(AppendJsonString, ALiteralWrittenInPartsIsEscapedAsAWholeOne) {
  const std::string_view provider = "open\"ai";
  const std::string_view model = "gpt\n4o";
  std::string parts = "\"";
  append_json_string_characters(parts, provider);
  parts += '/';
  append_json_string_characters(parts, model);
  parts += '"';
  EXPECT_EQ(parts, as_json_string(std::string(provider) + '/' + std::string(model)));
  EXPECT_EQ(parts, R"("open\"ai/gpt\n4o")");
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
    EXPECT_EQ(as_json_string(std::string(1, static_cast<char>(c))),
              "\"" + std::string(1, static_cast<char>(c)) + "\"")
        << c;
  }
}

}  // namespace
}  // namespace llmux
