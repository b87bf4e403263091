#include "providers/wire/ndjson.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmux::providers::wire {
namespace {

struct Split {
  std::vector<std::string> lines;
  bool ok = true;
};

Split split(const std::vector<std::string_view>& pieces, std::size_t limit = 1 << 20) {
  NdjsonSplitter splitter(limit);
  Split result;
  for (std::string_view piece : pieces) {
    result.ok = splitter.feed(piece, [&](std::string_view line) {
      result.lines.emplace_back(line);
      return true;
    }) && result.ok;
  }
  if (std::string last = splitter.finish(); !last.empty()) result.lines.push_back(std::move(last));
  return result;
}

TEST(NdjsonSplitter, LinesEndWithNewlineAndBlankOnesAreSkipped) {
  const Split result = split({"{\"a\":1}\n\n{\"b\":2}\r\n  \n{\"c\":3}\n"});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.lines, (std::vector<std::string>{R"({"a":1})", R"({"b":2})", R"({"c":3})"}));
}

// Found by the providers_ndjson fuzz target: "\r\r\n" was handed out as the line "\r".
TEST(NdjsonSplitter, ALineOfJsonWhitespaceAloneIsBlankAndAnyOfItIsTrimmed) {
  const Split result = split({"\r\r\n\t\r \n\r{\"a\":1} \r\t\r\n"});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.lines, std::vector<std::string>{R"({"a":1})"});
  EXPECT_EQ(split({"{\"a\":1}\r\r"}).lines, std::vector<std::string>{R"({"a":1})"})
      << "the last line, from finish()";
}

TEST(NdjsonSplitter, LastLineWithoutNewlineComesFromFinish) {
  NdjsonSplitter splitter;
  std::vector<std::string> lines;
  EXPECT_TRUE(splitter.feed("{\"a\":1}\n{\"b\"", [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  }));
  EXPECT_EQ(lines, std::vector<std::string>{R"({"a":1})"});
  EXPECT_EQ(splitter.finish(), R"({"b")");
  EXPECT_EQ(splitter.finish(), "");
}

TEST(NdjsonSplitter, SameLinesWhereverTheBytesAreSplit) {
  const std::string text =
      "{\"t\":\"h\xC3\xA9llo\"}\r\n{\"t\":\"\xF0\x9F\x91\x8B\"}\n\n{\"done\":true}\n";
  const Split whole = split({text});
  ASSERT_EQ(whole.lines.size(), 3u);
  for (std::size_t at = 0; at <= text.size(); ++at) {
    for (std::size_t second = at; second <= text.size(); second += 7) {
      const std::string_view view = text;
      const Split pieces =
          split({view.substr(0, at), view.substr(at, second - at), view.substr(second)});
      ASSERT_EQ(pieces.lines, whole.lines) << "split at " << at << " and " << second;
    }
  }
  std::vector<std::string_view> bytes;
  for (std::size_t at = 0; at < text.size(); ++at)
    bytes.push_back(std::string_view(text).substr(at, 1));
  EXPECT_EQ(split(bytes).lines, whole.lines);
}

TEST(NdjsonSplitter, StopsWhenTheCallbackSaysSo) {
  NdjsonSplitter splitter;
  int calls = 0;
  EXPECT_FALSE(splitter.feed("a\nb\nc\n", [&](std::string_view) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(NdjsonSplitter, LineOverTheLimitFailsAndStaysFailed) {
  NdjsonSplitter splitter(8);
  auto ignore = [](std::string_view) { return true; };
  EXPECT_TRUE(splitter.feed("1234", ignore));
  EXPECT_FALSE(splitter.feed("567890", ignore));
  EXPECT_TRUE(splitter.failed());
  EXPECT_FALSE(splitter.feed("\n", ignore));
  NdjsonSplitter whole_lines(8);
  EXPECT_TRUE(whole_lines.feed("12345678\n", ignore));
  EXPECT_FALSE(whole_lines.feed("123456789\n", ignore)) << "a line inside one feed counts too";
}

}  // namespace
}  // namespace llmux::providers::wire
