#include "admin/team_rules.hpp"
#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/serialize.hpp>

namespace llmux::admin {
namespace {

using ::testing::ElementsAre;

class TeamRulesTest : public RulesTest {
 protected:
  Result<Changed<store::TeamRecord>> create(std::string_view json) {
    auto fields = body(json);
    return create_team(store_, fields, kNow);
  }
  template <class Rule>
  Result<Changed<store::TeamRecord>> change(Rule rule, std::string_view json) {
    auto fields = body(json);
    return rule(store_, fields, kNow + 1000);
  }
  std::string members(const std::string& team_id) {
    return boost::json::serialize(store_.find_team(team_id)->members_with_roles);
  }
};

TEST_F(TeamRulesTest, ANewTeamGetsAnIdWhenItNamesNoneAndAnIdIsUsedOnce) {
  const auto unnamed = create("{}");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->value.team_id.size(), 36u);
  EXPECT_EQ(unnamed->value.created_at, kNow);

  const auto named = create(R"({"team_id": "search", "team_alias": "Search", "max_budget": 10,
                               "budget_duration": "1mo", "models": ["gpt-4o"]})");
  ASSERT_TRUE(named) << named.error().message;
  const auto stored = store_.find_team("search");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->team_alias, "Search");
  EXPECT_EQ(stored->max_budget, 10);
  EXPECT_EQ(stored->budget_reset_at, store::add_duration(kNow, "1mo"));
  EXPECT_THAT(stored->models, ElementsAre("gpt-4o"));

  const auto again = create(R"({"team_id": "search"})");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "A team with this team_id exists already.");
  EXPECT_EQ(store_.all_teams().size(), 2u);
}

TEST_F(TeamRulesTest, ANewTeamsMembersAndFieldsAreChecked) {
  const auto made = create(R"({"team_id": "t", "members_with_roles":
                             [{"user_id": "ann", "role": "admin"}, {"user_id": "bob"}]})");
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(members("t"), R"([{"user_id":"ann","role":"admin"},{"user_id":"bob","role":"user"}])");

  const std::vector<std::pair<std::string, std::string>> refused = {
      {R"({"members_with_roles": [{"role": "user"}]})", "Each member needs a user_id."},
      {R"({"members_with_roles": [{"user_id": "ann", "role": "owner"}]})",
       "A member's role is 'user' or 'admin'."},
      {R"({"members_with_roles": []})", "Pass a member: {\"user_id\": …, \"role\": \"user\"}."},
      {R"({"budget_duration": "monthly"})",
       "Invalid value for 'budget_duration': expected e.g. 30s, 30m, 30h, 30d, 2w or 1mo."},
      {R"({"blocked": "yes", "members_with_roles": [{"role": "user"}]})",
       "Invalid value for 'blocked': expected true or false."},
  };
  for (const auto& [json, message] : refused) {
    const auto error = create(json);
    ASSERT_FALSE(error) << json;
    EXPECT_EQ(error.error().message, message) << json;
  }
  EXPECT_EQ(store_.all_teams().size(), 1u);
}

TEST_F(TeamRulesTest, AChangeFindsTheTeamBeforeReadingItsFields) {
  const auto missing = change(&update_team, R"({"team_id": "none", "max_budget": "lots"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(http_status(missing.error()), 404);
  EXPECT_EQ(missing.error().param, "team_id");
  EXPECT_EQ(http_status(change(&add_team_members, R"({"team_id": "none", "member": 5})").error()),
            404);
}

TEST_F(TeamRulesTest, UpdateSetsNamedFieldsAndClearsNullOnes) {
  ASSERT_TRUE(create(R"({"team_id": "t", "max_budget": 10, "rpm_limit": 5})"));
  const auto updated = change(&update_team, R"({"team_id": "t", "max_budget": null,
                                                "tpm_limit": 100})");
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_TRUE(updated->spend_written.empty());
  EXPECT_EQ(updated->value.max_budget, std::nullopt);
  EXPECT_EQ(updated->value.tpm_limit, 100);
  EXPECT_EQ(updated->value.rpm_limit, 5);
  EXPECT_EQ(updated->value.updated_at, kNow + 1000);

  const auto refused = change(&update_team, R"({"team_id": "t", "rpm_limit": -1})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "rpm_limit");
  EXPECT_EQ(store_.find_team("t")->rpm_limit, 5);
}

TEST_F(TeamRulesTest, AMemberAddedAgainTakesTheNewRole) {
  ASSERT_TRUE(create(R"({"team_id": "t"})"));
  ASSERT_TRUE(change(&add_team_members, R"({"team_id": "t", "member": {"user_id": "bob"}})"));
  ASSERT_TRUE(change(&add_team_members, R"({"team_id": "t", "member":
                      [{"user_id": "ann"}, {"user_id": "bob", "role": "admin"}]})"));
  EXPECT_EQ(members("t"), R"([{"user_id":"ann","role":"user"},{"user_id":"bob","role":"admin"}])");
  const auto refused =
      change(&add_team_members, R"({"team_id": "t", "member": {"role": "admin"}})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "member");
}

TEST_F(TeamRulesTest, RemovingSomeoneNotInTheTeamIs404) {
  ASSERT_TRUE(create(R"({"team_id": "t", "members_with_roles": [{"user_id": "ann"}]})"));
  const auto stranger = change(&remove_team_member, R"({"team_id": "t", "user_id": "bob"})");
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().message, "No such member in this team.");
  ASSERT_TRUE(change(&remove_team_member, R"({"team_id": "t", "user_id": "ann"})"));
  EXPECT_EQ(members("t"), "[]");
}

TEST_F(TeamRulesTest, BlockAndUnblock) {
  ASSERT_TRUE(create(R"({"team_id": "t"})"));
  auto named = body(R"({"team_id": "t"})");
  ASSERT_TRUE(set_team_blocked(store_, named, true, kNow));
  EXPECT_TRUE(store_.find_team("t")->blocked);
  ASSERT_TRUE(set_team_blocked(store_, named, false, kNow));
  EXPECT_FALSE(store_.find_team("t")->blocked);
}

TEST_F(TeamRulesTest, DeleteAnswersTheTeamsItDeleted) {
  ASSERT_TRUE(create(R"({"team_id": "t"})"));
  auto request = body(R"({"team_ids": ["t", "none"]})");
  const auto deleted = delete_teams(store_, request);
  ASSERT_TRUE(deleted);
  EXPECT_THAT(deleted->value, ElementsAre("t"));
  EXPECT_EQ(http_status(delete_teams(store_, request).error()), 404);
  auto malformed = body(R"({"team_ids": "t"})");
  EXPECT_EQ(delete_teams(store_, malformed).error().param, "team_ids");
}

TEST_F(TeamRulesTest, InfoHasTheTeamsKeys) {
  ASSERT_TRUE(create(R"({"team_id": "t"})"));
  for (const char* token : {"a", "b"}) {
    store::KeyRecord key{.token = token, .key_name = "sk-...abcd", .team_id = "t"};
    store_.insert_key(key);
  }
  store_.insert_key({.token = "c", .key_name = "sk-...abcd", .team_id = "u"});
  auto query = FieldReader::from_query("/team/info?team_id=t");
  const auto info = team_info(store_, query, kMaster);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->team.team_id, "t");
  EXPECT_EQ(info->keys.size(), 2u);
  auto unknown = FieldReader::from_query("/team/info?team_id=u");
  EXPECT_EQ(http_status(team_info(store_, unknown, kMaster).error()), 404);
}

TEST_F(TeamRulesTest, AVirtualKeyReadsItsTeamOrATeamItsUserIsAMemberOf) {
  ASSERT_TRUE(create(R"({"team_id": "t", "members_with_roles": [{"user_id": "alice"}]})"));
  auto query = FieldReader::from_query("/team/info?team_id=t");
  const auth::CachedKey team_key{.team_id = "t"}, member_key{.user_id = "alice"},
      others_key{.user_id = "bob", .team_id = "u"}, bare_key{};
  EXPECT_TRUE(team_info(store_, query, {.key = &team_key}));
  EXPECT_TRUE(team_info(store_, query, {.key = &member_key}));
  const auto refused = team_info(store_, query, {.key = &others_key});
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 403);
  EXPECT_EQ(refused.error().type, "auth_error");
  EXPECT_EQ(refused.error().message, "User=bob not authorized to access this team=t");
  EXPECT_EQ(team_info(store_, query, {.key = &bare_key}).error().message,
            "User=None not authorized to access this team=t");
  auto unknown = FieldReader::from_query("/team/info?team_id=u");
  EXPECT_EQ(http_status(team_info(store_, unknown, {.key = &others_key}).error()), 404)
      << "LiteLLM looks the team up first";
}

}  // namespace
}  // namespace llmux::admin
