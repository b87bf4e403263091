#include "admin/user_rules.hpp"
#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::admin {
namespace {

using ::testing::ElementsAre;

class UserRulesTest : public RulesTest {
 protected:
  template <class Rule>
  auto run(Rule rule, std::string_view json) {
    auto fields = body(json);
    return rule(store_, fields, kNow);
  }
};

TEST_F(UserRulesTest, ANewUserGetsAnIdWhenItNamesNoneAndAnIdIsUsedOnce) {
  const auto unnamed = run(&create_user, "{}");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->value.user.user_id.size(), 36u);
  EXPECT_EQ(unnamed->value.user.user_role, "internal_user");

  const auto alice = run(&create_user, R"({"user_id": "alice", "user_role": "proxy_admin_viewer",
                                          "max_budget": 50, "budget_duration": "1mo"})");
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_EQ(alice->value.user.user_role, "proxy_admin_viewer");
  EXPECT_EQ(alice->value.user.budget_reset_at, store::add_duration(kNow, "1mo"));
  EXPECT_EQ(alice->value.user.created_at, kNow);

  const auto again = run(&create_user, R"({"user_id": "alice", "max_budget": "lots"})");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "This user exists already.") << "checked before the fields";
  EXPECT_EQ(store_.all_users().size(), 2u);
}

TEST_F(UserRulesTest, AUserHasOneOfLiteLLMsRoles) {
  const auto owner = run(&create_user, R"({"user_id": "bob", "user_role": "owner"})");
  ASSERT_FALSE(owner);
  EXPECT_EQ(owner.error().param, "user_role");
  const auto first = run(&create_user, R"({"user_email": 5, "user_role": "owner"})");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().param, "user_email") << "the first malformed field is reported";
  EXPECT_TRUE(store_.all_users().empty());
}

TEST_F(UserRulesTest, UpdateFindsTheUserBeforeReadingItsFields) {
  const auto missing = run(&update_user, R"({"user_id": "nobody", "user_role": "owner"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "User not found.");

  ASSERT_TRUE(run(&create_user, R"({"user_id": "alice", "max_budget": 5, "rpm_limit": 2})"));
  const auto updated = run(&update_user, R"({"user_id": "alice", "max_budget": null,
                                            "models": ["gpt-4o"]})");
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->value.max_budget, std::nullopt);
  EXPECT_THAT(updated->value.models, ElementsAre("gpt-4o"));
  EXPECT_EQ(updated->value.rpm_limit, 2);
}

TEST_F(UserRulesTest, ANewUserGetsAKeyOfTheirsForTheirModelsUnlessAutoCreateKeyIsFalse) {
  const auto alice = run(&create_user, R"({"user_id": "alice", "models": ["gpt-4o"],
      "max_budget": 5, "key_alias": "alice-key", "duration": "30d", "aliases": {"a": "gpt-4o"}})");
  ASSERT_TRUE(alice) << alice.error().message;
  ASSERT_TRUE(alice->value.key);
  const auto& key = *alice->value.key;
  EXPECT_TRUE(key.secret.starts_with("sk-"));
  EXPECT_EQ(key.record.token, auth::hash_key(key.secret));
  EXPECT_EQ(key.record.user_id, "alice");
  EXPECT_THAT(key.record.models, ElementsAre("gpt-4o"));
  EXPECT_EQ(key.record.key_alias, "alice-key");
  EXPECT_EQ(key.record.expires, store::add_duration(kNow, "30d"));
  EXPECT_EQ(key.record.aliases.at("a").as_string(), "gpt-4o");
  EXPECT_EQ(key.record.max_budget, std::nullopt) << "the budget is the user's";
  EXPECT_TRUE(store_.find_key(key.record.token));

  const auto bob = run(&create_user, R"({"user_id": "bob", "auto_create_key": false})");
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_FALSE(bob->value.key);
  EXPECT_TRUE(store_.list_keys("bob", std::nullopt, std::nullopt, 10, 0).empty());

  const auto taken = run(&create_user, R"({"user_id": "carol", "key_alias": "alice-key"})");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().param, "key_alias");
  EXPECT_FALSE(store_.find_user("carol")) << "no user without the key it was to get";
  const auto malformed = run(&create_user, R"({"user_id": "carol", "auto_create_key": "no"})");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().param, "auto_create_key");
}

TEST_F(UserRulesTest, InfoHasTheUsersKeysAndTeams) {
  ASSERT_TRUE(run(&create_user, R"({"user_id": "alice", "auto_create_key": false})"));
  store_.insert_key({.token = "a", .key_name = "sk-...abcd", .user_id = "alice"});
  store_.insert_key({.token = "b", .key_name = "sk-...abcd", .user_id = "bob"});
  store::TeamRecord search{.team_id = "search"}, other{.team_id = "other"};
  search.members_with_roles.push_back(boost::json::object{{"user_id", "alice"}, {"role", "user"}});
  other.members_with_roles.push_back(boost::json::object{{"user_id", "bob"}, {"role", "admin"}});
  store_.insert_team(search);
  store_.insert_team(other);
  auto query = FieldReader::from_query("/user/info?user_id=alice");
  const auto info = user_info(store_, query, kMaster);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->keys.size(), 1u);
  EXPECT_EQ(info->keys.front().token, "a");
  ASSERT_EQ(info->teams.size(), 1u);
  EXPECT_EQ(info->teams.front().team_id, "search");
  auto unknown = FieldReader::from_query("/user/info?user_id=bob");
  EXPECT_EQ(http_status(user_info(store_, unknown, kMaster).error()), 404);
}

TEST_F(UserRulesTest, AVirtualKeyReadsOnlyItsOwnUser) {
  ASSERT_TRUE(run(&create_user, R"({"user_id": "alice", "auto_create_key": false})"));
  ASSERT_TRUE(run(&create_user, R"({"user_id": "bob", "auto_create_key": false})"));
  const auth::CachedKey alices{.user_id = "alice"};
  const auth::Caller alice{.key = &alices};
  auto unnamed = FieldReader::from_query("/user/info");
  EXPECT_EQ(user_info(store_, unnamed, alice)->user.user_id, "alice");
  auto own = FieldReader::from_query("/user/info?user_id=alice");
  EXPECT_EQ(user_info(store_, own, alice)->user.user_id, "alice");
  auto other = FieldReader::from_query("/user/info?user_id=bob");
  const auto refused = user_info(store_, other, alice);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 403);
  EXPECT_EQ(refused.error().message,
            "key not allowed to access this user's info. user_id=bob, key's user_id=alice");

  const auth::CachedKey nobodys{};
  const auth::Caller no_user{.key = &nobodys};
  EXPECT_EQ(user_info(store_, other, no_user).error().message,
            "key not allowed to access this user's info. user_id=bob, key's user_id=None");
}

TEST_F(UserRulesTest, DeleteAnswersTheUsersItDeleted) {
  ASSERT_TRUE(run(&create_user, R"({"user_id": "alice"})"));
  auto request = body(R"({"user_ids": ["alice", "nobody"]})");
  const auto deleted = delete_users(store_, request);
  ASSERT_TRUE(deleted);
  EXPECT_THAT(deleted->value, ElementsAre("alice"));
  const auto again = delete_users(store_, request);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "User not found.");
  EXPECT_EQ(again.error().param, "user_ids");
}

TEST_F(UserRulesTest, AnEndUserIsNamedAndCreatedOnce) {
  const auto unnamed = run(&create_end_user, R"({"max_budget": 1})");
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().message, "Pass the end user's user_id.");

  const auto acme = run(&create_end_user, R"({"user_id": "acme", "alias": "Acme",
                                             "max_budget": 10, "budget_duration": "30d"})");
  ASSERT_TRUE(acme) << acme.error().message;
  EXPECT_EQ(acme->value.alias, "Acme");
  EXPECT_EQ(acme->value.max_budget, 10);
  EXPECT_EQ(acme->value.budget_reset_at, store::add_duration(kNow, "30d"));

  const auto again = run(&create_end_user, R"({"user_id": "acme"})");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "This end user exists already.");
  EXPECT_EQ(run(&create_end_user, R"({"user_id": "other", "max_budget": -1})").error().param,
            "max_budget");
  auto query = FieldReader::from_query("/customer/info?end_user_id=other");
  EXPECT_EQ(end_user_info(store_, query).error().param, "end_user_id") << "nothing was stored";
}

TEST_F(UserRulesTest, AnEndUserIsChangedBlockedAndDeleted) {
  const auto missing = run(&update_end_user, R"({"user_id": "acme", "max_budget": "lots"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "End user not found.");
  EXPECT_EQ(missing.error().param, "user_id");

  ASSERT_TRUE(run(&create_end_user, R"({"user_id": "acme", "max_budget": 10})"));
  const auto updated = run(&update_end_user, R"({"user_id": "acme", "max_budget": null})");
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->value.max_budget, std::nullopt);

  auto named = body(R"({"user_id": "acme"})");
  ASSERT_TRUE(set_end_user_blocked(store_, named, true));
  auto query = FieldReader::from_query("/customer/info?end_user_id=acme");
  EXPECT_TRUE(end_user_info(store_, query)->blocked);
  ASSERT_TRUE(set_end_user_blocked(store_, named, false));
  EXPECT_FALSE(end_user_info(store_, query)->blocked);

  auto request = body(R"({"user_ids": ["acme"]})");
  EXPECT_THAT(delete_end_users(store_, request)->value, ElementsAre("acme"));
  EXPECT_EQ(delete_end_users(store_, request).error().message, "End user not found.");
}

}  // namespace
}  // namespace llmux::admin
