#include "api/usage.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace llmux::api {
namespace {

Usage usage_of(std::string_view json_text) {
  const boost::json::value usage = boost::json::parse(json_text);
  return usage_from_json(&usage);
}

TEST(UsageFromJson, FullUsage) {
  const Usage usage = usage_of(R"({"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,
      "prompt_tokens_details":{"cached_tokens":8,"audio_tokens":0},
      "completion_tokens_details":{"reasoning_tokens":0}})");
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.prompt_tokens, 19);
  EXPECT_EQ(usage.completion_tokens, 10);
  EXPECT_EQ(usage.total_tokens, 29);
  EXPECT_EQ(usage.cached_tokens, 8);
}

TEST(UsageFromJson, PartialUsageCountsTheRestAsZero) {
  const Usage usage = usage_of(R"({"prompt_tokens":7})");
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.prompt_tokens, 7);
  EXPECT_EQ(usage.completion_tokens, 0);
  EXPECT_EQ(usage.total_tokens, 7);
  EXPECT_EQ(usage.cached_tokens, 0);

  const Usage empty = usage_of("{}");
  EXPECT_TRUE(empty.reported);
  EXPECT_EQ(empty.total_tokens, 0);
}

TEST(UsageFromJson, TotalIsComputedOnlyWhenAbsent) {
  EXPECT_EQ(usage_of(R"({"prompt_tokens":3,"completion_tokens":4})").total_tokens, 7);
  EXPECT_EQ(usage_of(R"({"prompt_tokens":3,"completion_tokens":4,"total_tokens":0})").total_tokens,
            7);
  // A reported total is trusted even when it is not the sum (e.g. reasoning billed apart).
  EXPECT_EQ(usage_of(R"({"prompt_tokens":3,"completion_tokens":4,"total_tokens":12})").total_tokens,
            12);
}

TEST(UsageFromJson, MissingOrNotAnObjectIsUnreported) {
  const Usage none = usage_from_json(nullptr);
  EXPECT_FALSE(none.reported);
  EXPECT_EQ(none.total_tokens, 0);
  for (std::string_view text : {"null", "[]", "5", R"("usage")"}) {
    SCOPED_TRACE(text);
    const Usage usage = usage_of(text);
    EXPECT_FALSE(usage.reported);
    EXPECT_EQ(usage.prompt_tokens, 0);
  }
}

TEST(UsageFromJson, CachedTokensNeedADetailsObject) {
  EXPECT_EQ(usage_of(R"({"prompt_tokens":5,"prompt_tokens_details":null})").cached_tokens, 0);
  EXPECT_EQ(usage_of(R"({"prompt_tokens":5,"prompt_tokens_details":{}})").cached_tokens, 0);
  EXPECT_EQ(usage_of(R"({"prompt_tokens":5,"cached_tokens":3})").cached_tokens,
            0);  // not top level
  EXPECT_EQ(
      usage_of(R"({"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":3}})").cached_tokens,
      3);
}

TEST(UsageFromJson, DoublesCountButStringsDoNot) {
  const Usage usage = usage_of(R"({"prompt_tokens":12.0,"completion_tokens":18446744073709551,
      "total_tokens":"30"})");
  EXPECT_EQ(usage.prompt_tokens, 12);
  EXPECT_EQ(usage.completion_tokens, 18446744073709551);
  EXPECT_EQ(usage.total_tokens, 12 + 18446744073709551);  // a string is not a count: recomputed
}

// The text reader (whole answers and stream chunks, over bytes the answer's scan validated) reads
// what the document reader reads.
TEST(UsageFromText, ReadsWhatTheDocumentReaderReads) {
  for (const std::string_view text :
       {R"({"prompt_tokens":27,"completion_tokens":17,"total_tokens":44,)"
        R"("prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"x":[1,{}]}})",
        R"( { "completion_tokens" : 4 , "prompt_tokens" : 5 } )",
        R"({"prompt_tokens":12.0,"total_tokens":"30","prompt_tokens_details":null})",
        R"({"note":"a \"prompt_tokens\": 9 inside a string","prompt_tokens":1})", R"({})"}) {
    const Usage from_text = usage_from_text(text);
    const Usage from_json = usage_of(text);
    EXPECT_TRUE(from_text.reported) << text;
    EXPECT_EQ(from_text.prompt_tokens, from_json.prompt_tokens) << text;
    EXPECT_EQ(from_text.completion_tokens, from_json.completion_tokens) << text;
    EXPECT_EQ(from_text.total_tokens, from_json.total_tokens) << text;
    EXPECT_EQ(from_text.cached_tokens, from_json.cached_tokens) << text;
  }
}

TEST(UsageFromText, NotAnObjectIsUnreported) {
  for (const std::string_view text : {"null", "5", R"("usage")", "[1]", ""})
    EXPECT_FALSE(usage_from_text(text).reported) << text;
}

}  // namespace
}  // namespace llmux::api
