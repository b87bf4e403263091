#include "admin/fields.hpp"
#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::admin {
namespace {

using ::testing::ElementsAre;

TEST(FieldReaderTest, ABodyIsAJsonObjectOrNothing) {
  EXPECT_FALSE(body("").error());
  EXPECT_FALSE(body(" \r\n").error());
  for (const char* bad : {"[1]", "{nope", "\"text\"", "null"}) {
    const auto fields = body(bad);
    ASSERT_TRUE(fields.error()) << bad;
    EXPECT_EQ(fields.error()->message, "The request body must be a JSON object.");
  }
}

TEST(FieldReaderTest, ReadsEachShapeAndTellsAbsentFromNull) {
  auto fields = body(R"({"name": "n", "budget": 2.5, "limit": 3, "whole": 4.0, "flag": true,
                        "list": ["a", "b"], "map": {"k": 1}, "gone": null})");
  EXPECT_EQ(fields.text("name"), "n");
  EXPECT_EQ(fields.number("budget"), 2.5);
  EXPECT_EQ(fields.integer("limit"), 3);
  EXPECT_EQ(fields.integer("whole"), 4);
  EXPECT_EQ(fields.boolean("flag"), true);
  EXPECT_THAT(*fields.strings("list"), ElementsAre("a", "b"));
  EXPECT_EQ(fields.object("map")->at("k").as_int64(), 1);
  EXPECT_TRUE(fields.has("gone"));
  EXPECT_EQ(fields.text("gone"), std::nullopt);
  EXPECT_FALSE(fields.has("absent"));
  EXPECT_FALSE(fields.error());
}

TEST(FieldReaderTest, TheFirstMalformedFieldIsKeptAndLaterReadsGiveNothing) {
  auto fields = body(R"({"limit": -1, "name": "n", "flag": "yes"})");
  EXPECT_EQ(fields.integer("limit"), std::nullopt);
  EXPECT_EQ(fields.text("name"), std::nullopt);
  EXPECT_EQ(fields.boolean("flag"), std::nullopt);
  fields.refuse(make_error(ErrorKind::invalid_request, "later", "name"));
  ASSERT_TRUE(fields.error());
  EXPECT_EQ(fields.error()->param, "limit");
  EXPECT_EQ(fields.error()->message, "Invalid value for 'limit': expected a non-negative integer.");
}

TEST(FieldReaderTest, ARefusalIsKeptLikeAMalformedField) {
  auto fields = body(R"({"role": "owner", "limit": "x"})");
  fields.refuse(make_error(ErrorKind::invalid_request, "not a role", "role"));
  EXPECT_EQ(fields.integer("limit"), std::nullopt);
  EXPECT_EQ(fields.error()->param, "role");
}

TEST(FieldReaderTest, TextWithNulIsRefusedOnEveryEngine) {
  auto text = body(R"({"name": "a\u0000b"})");
  EXPECT_EQ(text.text("name"), std::nullopt);
  EXPECT_EQ(text.error()->param, "name");
  auto list = body(R"({"tags": ["ok", "a\u0000b"]})");
  EXPECT_EQ(list.strings("tags"), std::nullopt);
  EXPECT_EQ(list.error()->param, "tags");
}

TEST(FieldReaderTest, DurationsAreLiteLLMs) {
  auto fields = body(R"({"ok": "1mo", "bad": "monthly"})");
  EXPECT_EQ(fields.duration("ok"), "1mo");
  EXPECT_FALSE(fields.error());
  EXPECT_EQ(fields.duration("bad"), std::nullopt);
  EXPECT_EQ(fields.error()->message,
            "Invalid value for 'bad': expected e.g. 30s, 30m, 30h, 30d, 2w or 1mo.");
}

TEST(FieldReaderTest, AQueryHoldsStringsThatReadAsTheirShape) {
  auto query = FieldReader::from_query("/key/list?page=2&rate=0.5&full=true&name=a%20b");
  EXPECT_EQ(query.integer("page"), 2);
  EXPECT_EQ(query.number("rate"), 0.5);
  EXPECT_EQ(query.boolean("full"), true);
  EXPECT_EQ(query.text("name"), "a b");
  EXPECT_FALSE(query.error());
  auto bad = FieldReader::from_query("/key/list?page=two");
  EXPECT_EQ(bad.integer("page"), std::nullopt);
  EXPECT_EQ(bad.error()->param, "page");
}

TEST(FieldReaderTest, BudgetAndLimitsAreSetWhenNamedAndClearedWhenNull) {
  store::TeamRecord team{.max_budget = 5, .tpm_limit = 9, .rpm_limit = 7};
  auto fields = body(R"({"max_budget": null, "tpm_limit": 100, "budget_duration": "1d"})");
  apply_budget_and_limits(fields, team, kNow);
  EXPECT_FALSE(fields.error());
  EXPECT_EQ(team.max_budget, std::nullopt);
  EXPECT_EQ(team.tpm_limit, 100);
  EXPECT_EQ(team.rpm_limit, 7);
  EXPECT_EQ(team.budget_duration, "1d");
  EXPECT_EQ(team.budget_reset_at, kNow + 86'400'000);

  auto cleared = body(R"({"budget_duration": null})");
  apply_budget_and_limits(cleared, team, kNow);
  EXPECT_EQ(team.budget_duration, std::nullopt);
  EXPECT_EQ(team.budget_reset_at, std::nullopt);
}

TEST(ParseTimeTest, TakesDatesIsoTimesAndUnixSeconds) {
  EXPECT_EQ(parse_time("2026-01-01"), kNow);
  EXPECT_EQ(parse_time("2026-01-01T00:00:10Z"), kNow + 10'000);
  EXPECT_EQ(parse_time("2026-01-01 00:00:10"), kNow + 10'000);
  EXPECT_EQ(parse_time("1767225600"), kNow);
  EXPECT_EQ(parse_time("yesterday"), std::nullopt);
}

}  // namespace
}  // namespace llmux::admin
