#include "admin/daily_activity.hpp"
#include "support.hpp"

#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace llmux::admin {
namespace {

constexpr store::Millis kDay = 86'400'000;

class DailyActivityTest : public RulesTest {
 protected:
  void SetUp() override {
    store::TeamRecord team;
    team.team_id = "search";
    team.team_alias = "Search";
    store_.insert_team(team);
    store::KeyRecord key;
    key.token = std::string(64, 'a');
    key.key_name = "sk-...abcd";
    key.key_alias = "laptop";
    key.team_id = "search";
    store_.insert_key(key);
    std::vector<store::SpendEvent> events;
    // 2026-01-01: three calls of the team's key (one failed); 2026-01-02: one without a team.
    for (int n = 0; n < 4; ++n) {
      store::SpendEvent event;
      event.request_id = "r" + std::to_string(n);
      event.api_key = n < 3 ? key.token : std::string(64, 'b');
      event.spend = 0.25;
      event.prompt_tokens = 10;
      event.completion_tokens = 5;
      event.start_time = kNow + (n < 3 ? 0 : kDay);
      event.model = "gpt-4o-2024";
      event.model_group = "gpt-4o";
      event.provider = "openai";
      event.user_id = "alice";
      event.team_id = n < 3 ? "search" : "";
      event.status = n == 2 ? "failure" : "success";
      events.push_back(event);
    }
    ASSERT_TRUE(store_.write_spend("batch", events));
  }

  Result<boost::json::object> activity(std::string_view query, bool teams) {
    auto fields = FieldReader::from_query(std::string("/x?") + std::string(query));
    auto found = daily_activity(store_, fields, teams);
    if (!found) return found.error();
    return daily_activity_json(*found);
  }
};

TEST_F(DailyActivityTest, TeamActivityIsLiteLLMsShapePerDayWithItsBreakdowns) {
  const auto answer = activity("start_date=2026-01-01&end_date=2026-01-02", true);
  ASSERT_TRUE(answer) << answer.error().message;
  const auto& results = answer->at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("date"), "2026-01-02");  // newest first
  const auto& day = results[1].as_object();
  EXPECT_EQ(day.at("date"), "2026-01-01");
  const auto& metrics = day.at("metrics").as_object();
  EXPECT_DOUBLE_EQ(metrics.at("spend").as_double(), 0.75);
  EXPECT_EQ(metrics.at("api_requests").as_int64(), 3);
  EXPECT_EQ(metrics.at("successful_requests").as_int64(), 2);
  EXPECT_EQ(metrics.at("failed_requests").as_int64(), 1);
  EXPECT_EQ(metrics.at("total_tokens").as_int64(), 45);
  const auto& breakdown = day.at("breakdown").as_object();
  EXPECT_EQ(breakdown.at("models").at("gpt-4o-2024").at("metrics").at("api_requests"), 3);
  EXPECT_EQ(breakdown.at("model_groups").at("gpt-4o").at("metrics").at("api_requests"), 3);
  EXPECT_EQ(breakdown.at("providers").at("openai").at("metrics").at("api_requests"), 3);
  const auto& key = breakdown.at("api_keys").at(std::string(64, 'a')).as_object();
  EXPECT_EQ(key.at("metadata").at("key_alias"), "laptop");
  EXPECT_EQ(key.at("metadata").at("team_id"), "search");
  EXPECT_EQ(breakdown.at("entities").at("search").at("metadata").at("team_alias"), "Search");
  EXPECT_TRUE(results[0].at("breakdown").at("entities").as_object().empty());  // no team
  const auto& metadata = answer->at("metadata").as_object();
  EXPECT_DOUBLE_EQ(metadata.at("total_spend").as_double(), 1.0);
  EXPECT_EQ(metadata.at("total_api_requests").as_int64(), 4);
  EXPECT_EQ(metadata.at("page").as_int64(), 1);
  EXPECT_EQ(metadata.at("total_pages").as_int64(), 1);
  EXPECT_EQ(metadata.at("has_more").as_bool(), false);
}

TEST_F(DailyActivityTest, FiltersAndPagesAreTheTablesRows) {
  const auto team =
      activity("start_date=2026-01-01&end_date=2026-01-02&team_ids=nope,search", true);
  ASSERT_TRUE(team);
  EXPECT_EQ(team->at("metadata").at("total_api_requests").as_int64(), 3);
  const auto user =
      activity("start_date=2026-01-01&end_date=2026-01-02&user_id=alice&page_size=1&page=2", false);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->at("results").as_array().size(), 1u);
  EXPECT_EQ(user->at("results").at(0).at("date"), "2026-01-01");  // the second row, newest first
  EXPECT_EQ(user->at("metadata").at("total_pages").as_int64(), 2);
  EXPECT_EQ(user->at("metadata").at("has_more").as_bool(), false);
  const auto by_key =
      activity("start_date=2026-01-01&end_date=2026-01-01&api_key=" + std::string(64, 'a'), false);
  ASSERT_TRUE(by_key);
  EXPECT_EQ(by_key->at("metadata").at("total_api_requests").as_int64(), 3);
  const auto other_model =
      activity("start_date=2026-01-01&end_date=2026-01-02&model=gpt-3.5", false);
  ASSERT_TRUE(other_model);
  EXPECT_TRUE(other_model->at("results").as_array().empty());
}

TEST_F(DailyActivityTest, DatesAreRequiredAndPagesBounded) {
  for (const std::string_view query :
       {"end_date=2026-01-02", "start_date=2026-01-01", "start_date=yesterday&end_date=2026-01-02",
        "start_date=2026-01-01&end_date=2026-01-02&page=0",
        "start_date=2026-01-01&end_date=2026-01-02&page_size=1001"}) {
    const auto answer = activity(query, false);
    ASSERT_FALSE(answer) << query;
    EXPECT_EQ(answer.error().kind, ErrorKind::invalid_request) << query;
  }
  EXPECT_EQ(activity("end_date=2026-01-02", false).error().message,
            "Please provide start_date and end_date");
}

}  // namespace
}  // namespace llmux::admin
