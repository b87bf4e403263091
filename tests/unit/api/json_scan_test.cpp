#include "api/json_scan.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <vector>
#include <fstream>
#include <sstream>

namespace llmux::api {
namespace {

namespace json = boost::json;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path openai_fixtures() { return std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire" / "openai"; }

bool scans(std::string_view text) {
  AnswerLayout layout;
  return scan_answer(text, layout);
}

// Checks every span of `layout` against a full parse of `text`: each present member's span
// parses to the member's value, and each absent member is absent.
void expect_layout_matches_parse(std::string_view text, const AnswerLayout& layout) {
  const json::object object = json::parse(text).as_object();
  const std::pair<std::string_view, Span> members[] = {
      {"model", layout.model}, {"usage", layout.usage}, {"choices", layout.choices}, {"error", layout.error}};
  for (const auto& [key, span] : members) {
    SCOPED_TRACE(std::string(key));
    if (const auto* value = object.if_contains(key)) {
      ASSERT_FALSE(span.empty());
      EXPECT_EQ(json::parse(span.in(text)), *value);
    } else {
      EXPECT_TRUE(span.empty());
    }
  }
}

TEST(ScanAnswer, RecordedChatCompletion) {
  const std::string text = read_file(openai_fixtures() / "chat_completion.json");
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("gpt-5.4")");
  EXPECT_TRUE(layout.error.empty());
  expect_layout_matches_parse(text, layout);
}

TEST(ScanAnswer, EveryRecordedJsonAndStreamEvent) {
  std::size_t documents = 0;
  for (const auto& file : std::filesystem::directory_iterator(openai_fixtures())) {
    const std::string text = read_file(file.path());
    std::vector<std::string> pieces;
    if (file.path().extension() == ".json") {
      pieces.push_back(text);
    } else {
      // One event per "data: " line; the recordings hold one-line events only.
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("data: {")) pieces.push_back(line.substr(6));
      }
    }
    for (const std::string& piece : pieces) {
      SCOPED_TRACE(file.path().filename().string() + ": " + piece.substr(0, 80));
      AnswerLayout layout;
      ASSERT_TRUE(scan_answer(piece, layout));
      expect_layout_matches_parse(piece, layout);
      ++documents;
    }
  }
  EXPECT_GE(documents, 66u);  // 3 answers and 63 stream chunks
}

TEST(ScanAnswer, OnlyTopLevelMembersCount) {
  constexpr std::string_view text =
      R"({"choices":[{"model":"inner","usage":{"x":1},"error":"no"}],"data":{"model":"deep"},"model":"outer"})";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("outer")");
  EXPECT_TRUE(layout.usage.empty());
  EXPECT_TRUE(layout.error.empty());
  expect_layout_matches_parse(text, layout);
}

TEST(ScanAnswer, WhitespaceAroundAndInside) {
  constexpr std::string_view text = " \r\n\t{ \"model\" :\n\"m\" , \"usage\":null ,\"choices\" : [ ] }\n\n";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("m")");
  EXPECT_EQ(layout.usage.in(text), "null");
  EXPECT_EQ(layout.choices.in(text), "[ ]");
  EXPECT_TRUE(is_empty_array(text, layout.choices));
}

TEST(ScanAnswer, KeysAreMatchedAsWritten) {
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(R"({"mod\u0065l":"x","Model":"y"})", layout));
  EXPECT_TRUE(layout.model.empty());
}

TEST(ScanAnswer, NotAnObject) {
  for (std::string_view text : {"[]", "[1,2]", R"("model")", "42", "null", "true", "", "   "}) {
    EXPECT_FALSE(scans(text)) << text;
  }
}

TEST(ScanAnswer, MalformedStructureIsRefused) {
  const std::vector<std::string_view> malformed = {
      "{",           R"({"a":1)",      R"({"a":})",       R"({"a" 1})",        R"({"a":1,})",
      "{,}",         R"({a:1})",       R"({'a':1})",      R"({"a":1}})",       R"({"a":1} {"b":2})",
      R"({"a":[1,]})", R"({"a":[1 2]})", R"({"a":tru})",  R"({"a":nul})",      R"({"a":falsey})",
      R"({"a":"unterminated})",  "{\"a\":\"raw\ttab\"}", "{\"a\":\"raw\nnewline\"}",
      R"({"a":-})",  R"({"a":1.})",    R"({"a":.5})",     R"({"a":1e})",       R"({"a":+1})",
      R"({"a":NaN})", R"({"a":{"b":}})", R"({"a":"x"} trailing)",
  };
  for (std::string_view text : malformed) {
    SCOPED_TRACE(text);
    json::error_code ec;
    (void)json::parse(text, ec);
    EXPECT_TRUE(ec) << "the test's own premise: boost::json refuses it";
    EXPECT_FALSE(scans(text));
  }
}

TEST(ScanAnswer, MalformedTokensAreRefused) {
  for (std::string_view text : {R"({"a":"\q"})", R"({"a":"\u12"})", R"({"a":"\u12zz"})", R"({"a":"\x41"})",
                                R"({"a":01})", R"({"a":-01.5})"}) {
    SCOPED_TRACE(text);
    json::error_code ec;
    (void)json::parse(text, ec);
    EXPECT_TRUE(ec) << "the test's own premise: boost::json refuses it";
    EXPECT_FALSE(scans(text));
  }
}

TEST(ScanAnswer, ValidTokens) {
  for (std::string_view text : {R"({"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"})", R"({"a":-0})", R"({"a":0.5e-10})",
                                R"({"a":1E+3})", R"({"a":[true,false,null,{},[],""]})", "{}", "{ }"}) {
    EXPECT_TRUE(scans(text)) << text;
  }
}

TEST(ScanAnswer, EveryStrictPrefixOfAnAnswerIsRefused) {
  const std::string text = read_file(openai_fixtures() / "chat_completion.json");
  const std::size_t closing = text.rfind('}');
  for (std::size_t size = 0; size <= closing; ++size) {
    ASSERT_FALSE(scans(std::string_view(text).substr(0, size))) << "prefix of " << size << " bytes";
  }
  EXPECT_TRUE(scans(std::string_view(text).substr(0, closing + 1)));
}

TEST(ScanAnswer, NestingIsBoundedWithoutCrashing) {
  auto nested = [](int depth) {
    return R"({"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  EXPECT_TRUE(scans(nested(100)));
  EXPECT_FALSE(scans(nested(100000)));  // refused, not a stack overflow
}

TEST(ForEachMember, VisitsEveryMemberInOrder) {
  constexpr std::string_view text = R"({"a":1, "b" : {"c":[2]} ,"d":"e"})";
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
    seen.emplace_back(key, value.in(text));
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", R"({"c":[2]})"}, {"d", R"("e")"}}));
  EXPECT_FALSE(for_each_member(text, Span{1, text.size()}, [](std::string_view, Span) {}));
}

TEST(ForEachElement, VisitsEveryElementAsWritten) {
  const std::string_view text = R"({"v": [ 0.046870765519996804 , {"a":[1]},"s" ,[] ], "e":[ ]})";
  std::vector<std::string_view> elements;
  bool found = false;
  ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
    if (key != "v") return;
    found = for_each_element(text, value, [&](Span element) { elements.push_back(element.in(text)); });
  }));
  EXPECT_TRUE(found);
  EXPECT_EQ(elements, (std::vector<std::string_view>{"0.046870765519996804", R"({"a":[1]})", R"("s")", "[]"}));
  int visits = 0;
  EXPECT_TRUE(for_each_element("[ ]", Span{0, 3}, [&](Span) { ++visits; }));
  EXPECT_EQ(visits, 0);
  for (const std::string_view bad : {"[1,]", "[1 2]", "[1", "{}", "[,1]"}) {
    EXPECT_FALSE(for_each_element(bad, Span{0, bad.size()}, [](Span) {})) << bad;
  }
}

TEST(ScanAnswer, FindsANonNullFinishReasonInAnyChoice) {
  auto has_reason = [](std::string_view choices) {
    const std::string text = R"({"choices":)" + std::string(choices) + "}";
    AnswerLayout layout;
    EXPECT_TRUE(scan_answer(text, layout)) << text;
    return layout.finish_reason;
  };
  EXPECT_FALSE(has_reason("[]"));
  EXPECT_FALSE(has_reason(R"([{"index":0,"finish_reason":null}])"));
  EXPECT_FALSE(has_reason(R"([{"index":0,"delta":{"finish_reason":"stop"}}])"));  // not the choice's own
  EXPECT_TRUE(has_reason(R"([{"index":0,"finish_reason":"stop"}])"));
  EXPECT_TRUE(has_reason(R"([{"index":0,"finish_reason":null},{"index":1,"finish_reason":"length"}])"));
  EXPECT_TRUE(has_reason(R"([ 1, "x", {"finish_reason" : "tool_calls"} ])"));
  EXPECT_FALSE(has_reason("null"));
  EXPECT_FALSE(has_reason(R"({"finish_reason":"stop"})"));
  // Only under "choices": the same shape under another key does not count.
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(R"({"other":[{"finish_reason":"stop"}]})", layout));
  EXPECT_FALSE(layout.finish_reason);
}

TEST(IsEmptyArray, OnlyAnEmptyArray) {
  auto empty = [](std::string_view value) { return is_empty_array(value, Span{0, value.size()}); };
  EXPECT_TRUE(empty("[]"));
  EXPECT_TRUE(empty("[ \n\t ]"));
  EXPECT_FALSE(empty("[1]"));
  EXPECT_FALSE(empty("[{}]"));
  EXPECT_FALSE(empty("{}"));
  EXPECT_FALSE(empty("null"));
  EXPECT_FALSE(empty(""));
}

TEST(AppendSpliced, ReplacesExactlyTheSpan) {
  constexpr std::string_view text = R"({"model":"gpt-4o","n":1.50})";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  std::string out = "prefix:";
  append_spliced(out, text, layout.model, R"("mine")");
  EXPECT_EQ(out, R"(prefix:{"model":"mine","n":1.50})");  // every other byte as it was
}

}  // namespace
}  // namespace llmux::api
