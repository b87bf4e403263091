#include "providers/json_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace llmux::providers {
namespace {

namespace json = boost::json;

TEST(ParsedJson, AnObjectADocumentOfAnotherShapeAndText) {
  const ParsedJson object(R"({"a":[1,2,{"b":"c"}]})");
  ASSERT_TRUE(object.ok());
  ASSERT_NE(object.object(), nullptr);
  EXPECT_EQ(json::serialize(object.value()), R"({"a":[1,2,{"b":"c"}]})");

  const ParsedJson array(R"([{"error":{}}])");
  EXPECT_TRUE(array.ok());
  EXPECT_EQ(array.object(), nullptr);
  EXPECT_TRUE(array.value().is_array());

  const ParsedJson broken(R"({"a":)");
  EXPECT_FALSE(broken.ok());
  EXPECT_EQ(broken.object(), nullptr);
}

// Past the stack buffer the arena takes heap blocks: a large document parses the same.
TEST(ParsedJson, ADocumentLargerThanItsStackBuffer) {
  std::string text = R"({"text":")";
  text.append(64 * 1024, 'x');
  text += R"("})";
  const ParsedJson parsed(text);
  ASSERT_NE(parsed.object(), nullptr);
  EXPECT_EQ(string_at(*parsed.object(), "text").size(), 64u * 1024);
}

TEST(ContentText, AStringOrTheTextPartsJoined) {
  const json::value string = "plain";
  EXPECT_EQ(content_text(&string), "plain");
  const json::value parts = json::parse(R"([{"type":"text","text":"a"},
      {"type":"image_url","image_url":{"url":"https://x"},"text":"not text"},
      "not a part", {"type":"text","text":"b"}])");
  EXPECT_EQ(content_text(&parts), "ab");
  const json::value number = 3;
  EXPECT_EQ(content_text(&number), "");
  EXPECT_EQ(content_text(nullptr), "");
}

TEST(AppendToolCall, TheOpenAiShapeWithAnIndexOnlyWhenGiven) {
  std::string whole;
  append_tool_call(whole, std::nullopt, "call_1", "get \"weather\"", R"({"city":"Paris"})");
  EXPECT_EQ(whole, R"({"id":"call_1","type":"function","function":{"name":"get \"weather\"",)"
                   R"("arguments":"{\"city\":\"Paris\"}"}})");
  std::string delta;
  append_tool_call(delta, 2, "call_2", "f", "");
  EXPECT_EQ(
      delta,
      R"({"index":2,"id":"call_2","type":"function","function":{"name":"f","arguments":""}})");
}

TEST(UnixSeconds, AtAGivenTimeAndNow) {
  EXPECT_EQ(unix_seconds(std::chrono::system_clock::time_point(std::chrono::milliseconds(1'999))),
            1);
  const auto before = unix_seconds(std::chrono::system_clock::now());
  const auto now = unix_seconds();
  EXPECT_GE(now, before);
  EXPECT_LE(now, before + 1);
}

TEST(StatusMessage, TheStatusAndTheBodysFirstValidBytes) {
  EXPECT_EQ(status_message("The upstream", 503, ""), "The upstream answered with HTTP 503");
  EXPECT_EQ(status_message("Bedrock", 400, "bad \xff input"),
            "Bedrock answered with HTTP 400: bad " + std::string("\xef\xbf\xbd") + " input")
      << "invalid UTF-8 does not reach the client's JSON";
  const std::string long_body(2'000, 'x');
  EXPECT_EQ(status_message("X", 500, long_body),
            "X answered with HTTP 500: " + std::string(500, 'x'));
}

}  // namespace
}  // namespace llmux::providers
