#include "auth/key_cache.hpp"
#include "auth/authenticator.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <filesystem>

namespace llmux::auth {
namespace {

namespace fs = std::filesystem;

TEST(HashKey, IsHexSha256) {
  EXPECT_EQ(hash_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // The thread's hashing context is reused: each digest starts afresh (FIPS 180-2 vectors).
  EXPECT_EQ(hash_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hash_key("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hash_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ModelAllowed, ExactWildcardsAndEverything) {
  EXPECT_TRUE(model_allowed({}, "anything", {"openai"}));
  EXPECT_TRUE(model_allowed({"all-proxy-models"}, "anything", {"openai"}));
  EXPECT_TRUE(model_allowed({"gpt-4o"}, "gpt-4o", {"openai"}));
  EXPECT_FALSE(model_allowed({"gpt-4o"}, "gpt-4o-mini", {"openai"}));
  EXPECT_TRUE(model_allowed({"openai/*"}, "my-group", {"openai"})) << "by the group's provider";
  EXPECT_TRUE(model_allowed({"org/*"}, "org/team-model", {"anthropic"})) << "by the name's prefix";
  EXPECT_FALSE(model_allowed({"openai/*"}, "my-group", {"anthropic"}));
  EXPECT_FALSE(model_allowed({"org/*"}, "organisation-model", {"openai"}));
}

TEST(ModelAllowed, AnAccessGroupTheModelIsIn) {
  const std::vector<std::string> groups = {"beta", "cheap"};
  EXPECT_TRUE(model_allowed({"beta"}, "gpt-4o", {"openai", groups}));
  EXPECT_TRUE(model_allowed({"other", "cheap"}, "gpt-4o", {"openai", groups}));
  EXPECT_FALSE(model_allowed({"prod"}, "gpt-4o", {"openai", groups}));
  EXPECT_FALSE(model_allowed({"beta"}, "claude", {"anthropic"})) << "a model in no access group";
}

// Keys in a SQLite store, cached the way the gateway does it.
class AuthenticateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("llmux-auth-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_unique<store::Store>(store::open_sqlite((dir_ / "llmux.db").string()));
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void add(const std::string& key, const std::function<void(store::KeyRecord&)>& edit = {}) {
    store::KeyRecord record;
    record.token = hash_key(key);
    record.key_name = "sk-...";
    if (edit) edit(record);
    store_->insert_key(record);
    cache_.rebuild(*store_, {});
  }
  Result<Caller> authenticate(std::string_view key, store::Millis now = 1'000'000) {
    return authenticator_.authenticate(key, &reader_, now);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  KeyCache cache_;
  Authenticator authenticator_{"sk-master", &cache_};
  KeyReader reader_{&cache_};
};

TEST_F(AuthenticateTest, MasterKeyIsAdminAndUnknownKeysAre401) {
  auto master = authenticate("sk-master");
  ASSERT_TRUE(master);
  EXPECT_TRUE(master->admin);
  for (std::string_view key : {"", "sk-unknown", "sk-maste"}) {
    auto refused = authenticate(key);
    ASSERT_FALSE(refused) << key;
    EXPECT_EQ(http_status(refused.error()), 401);
  }
}

TEST_F(AuthenticateTest, VirtualKeyIsFoundByItsHashAndSeesNewKeysAtOnce) {
  add("sk-one");
  auto one = authenticate("sk-one");
  ASSERT_TRUE(one);
  EXPECT_FALSE(one->admin);
  EXPECT_EQ(one->token, hash_key("sk-one"));
  EXPECT_FALSE(authenticate("sk-two"));
  add("sk-two");
  EXPECT_TRUE(authenticate("sk-two")) << "the reader picks up the new snapshot";
}

TEST_F(AuthenticateTest, BlockedExpiredAndOverBudgetKeysGetLitellmErrors) {
  add("sk-blocked", [](store::KeyRecord& key) { key.blocked = true; });
  add("sk-expired", [](store::KeyRecord& key) { key.expires = 999'999; });
  add("sk-budget", [](store::KeyRecord& key) { key.max_budget = 1.0; });

  auto blocked = authenticate("sk-blocked");
  ASSERT_FALSE(blocked);
  EXPECT_EQ(http_status(blocked.error()), 401);

  auto expired = authenticate("sk-expired");
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().type, "expired_key");
  EXPECT_EQ(http_status(expired.error()), 401);
  EXPECT_TRUE(authenticate("sk-expired", 999'998));

  auto under = authenticate("sk-budget");
  ASSERT_TRUE(under);
  under->key->spend->add(1.0);
  auto over = authenticate("sk-budget");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().type, "budget_exceeded");
  EXPECT_EQ(http_status(over.error()), 400);
  EXPECT_TRUE(authenticator_.authenticate("sk-budget", &reader_, 1'000'000, Purpose::management))
      << "LiteLLM holds a key to its own budget on model calls only";
  EXPECT_FALSE(authenticator_.authenticate("sk-blocked", &reader_, 1'000'000, Purpose::management));
}

TEST_F(AuthenticateTest, LiveSpendSurvivesRebuildsUnlessTheDatabaseResetIt) {
  add("sk-spender");
  const std::string token = hash_key("sk-spender");
  cache_.snapshot()->find(token)->spend->add(0.75);
  cache_.rebuild(*store_, {});
  EXPECT_DOUBLE_EQ(cache_.snapshot()->find(token)->spend->value(), 0.75)
      << "ahead of the database until a flush";
  store_->set_key_spend(token, 0, std::nullopt);
  cache_.rebuild(*store_, {token});
  EXPECT_DOUBLE_EQ(cache_.snapshot()->find(token)->spend->value(), 0);
  cache_.add_live_spend({{token, 0.5}});
  EXPECT_DOUBLE_EQ(cache_.snapshot()->find(token)->spend->value(), 0.5);
}

TEST_F(AuthenticateTest, ModelAccessDeniedNamesTheModels) {
  add("sk-limited", [](store::KeyRecord& key) { key.models = {"gpt-4o"}; });
  auto caller = authenticate("sk-limited");
  ASSERT_TRUE(caller);
  EXPECT_TRUE(check_model_access(*caller->key, "gpt-4o", {"openai"}));
  auto denied = check_model_access(*caller->key, "claude", {"anthropic"});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().type, "key_model_access_denied");
  EXPECT_EQ(denied.error().param, "model");
  EXPECT_NE(denied.error().message.find("models=[gpt-4o]"), std::string::npos);
}

TEST_F(AuthenticateTest, ModelBudgetIsSeededFromTheWindowsSpendLogAndRefusesWhenSpent) {
  const store::Millis now = store::now_millis();
  const store::Window today = store::window_containing(now, *store::parse_duration("1d"));
  const std::string token = hash_key("sk-models");
  auto event = [&](std::string id, std::string model_group, double spend,
                   store::Millis start_time) {
    store::SpendEvent logged;
    logged.request_id = std::move(id);
    logged.api_key = token;
    logged.model_group = std::move(model_group);
    logged.spend = spend;
    logged.start_time = logged.end_time = start_time;
    logged.status = "success";
    return logged;
  };
  store_->write_spend("batch", {event("today", "openai/gpt-4o", 0.25, today.start),
                                event("yesterday", "gpt-4o", 5, today.start - 1),
                                event("other-model", "claude", 5, today.start)});
  add("sk-models", [](store::KeyRecord& key) {
    key.key_alias = "alice";
    key.model_max_budget =
        boost::json::parse(R"({"gpt-4o": {"budget_limit": 0.5, "time_period": "1d"}})").as_object();
  });
  auto caller = authenticate("sk-models");
  ASSERT_TRUE(caller);
  const ModelBudget* budget = find_model_budget(caller->key->model_budgets, "gpt-4o");
  ASSERT_NE(budget, nullptr);
  EXPECT_DOUBLE_EQ(budget->spend->value(now), 0.25)
      << "today's calls of both groups the budget governs";
  EXPECT_TRUE(check_model_budget(*caller->key, "gpt-4o", now));
  EXPECT_TRUE(check_model_budget(*caller->key, "claude", now)) << "no budget for that model";

  charge_model_budget(*caller->key, "openai/gpt-4o", 0.25, now);
  auto refused = check_model_budget(*caller->key, "gpt-4o", now);
  ASSERT_FALSE(refused);
  EXPECT_EQ(http_status(refused.error()), 400);
  EXPECT_EQ(refused.error().type, "budget_exceeded");
  EXPECT_EQ(refused.error().message, "LiteLLM Virtual Key: " + token +
                                         ", key_alias: alice, exceeded budget for model=gpt-4o");
  EXPECT_EQ(refused.error().message.find("sk-models"), std::string::npos) << "never the key itself";
  EXPECT_TRUE(check_model_budget(*caller->key, "gpt-4o", today.end))
      << "the next day starts at zero";

  cache_.rebuild(*store_, {});
  EXPECT_DOUBLE_EQ(
      find_model_budget(authenticate("sk-models")->key->model_budgets, "gpt-4o")->spend->value(now),
      0.5)
      << "a rebuild keeps the live count, which is ahead of the database";
}

TEST_F(AuthenticateTest, SoftBudgetCrossingIsReportedOnceUntilTheSpendIsBackUnder) {
  add("sk-soft", [](store::KeyRecord& key) { key.soft_budget = 1.0; });
  const std::string token = hash_key("sk-soft");
  auto spend = [&] { return cache_.snapshot()->find(token)->spend; };
  spend()->add(0.5);
  EXPECT_FALSE(spend()->crossed(1.0));
  spend()->add(0.5);
  EXPECT_TRUE(spend()->crossed(1.0));
  spend()->add(0.5);
  EXPECT_FALSE(spend()->crossed(1.0)) << "one warning per crossing";
  cache_.rebuild(*store_, {});
  EXPECT_FALSE(spend()->crossed(1.0)) << "a rebuild does not re-arm a key still over";
  store_->set_key_spend(token, 0, std::nullopt);
  cache_.rebuild(*store_, {token});
  spend()->add(1.0);
  EXPECT_TRUE(spend()->crossed(1.0)) << "after a reset, the next crossing warns again";
}

TEST_F(AuthenticateTest, AKeyAlreadyOverItsSoftBudgetAtStartDoesNotWarnAgain) {
  add("sk-over", [](store::KeyRecord& key) {
    key.soft_budget = 1.0;
    key.spend = 2.0;
  });
  KeyCache restarted;
  restarted.rebuild(*store_, {});
  EXPECT_FALSE(restarted.snapshot()->find(hash_key("sk-over"))->spend->crossed(1.0));
}

TEST_F(AuthenticateTest, AllTeamModelsGivesATeamKeyItsTeamsModels) {
  store::TeamRecord team{.team_id = "research", .models = {"gpt-4o", "openai/*"}};
  store_->insert_team(team);
  add("sk-team", [](store::KeyRecord& key) {
    key.team_id = "research";
    key.models = {"all-team-models"};
  });
  add("sk-teamless", [](store::KeyRecord& key) { key.models = {"all-team-models"}; });
  auto caller = authenticate("sk-team");
  ASSERT_TRUE(caller);
  EXPECT_TRUE(check_model_access(*caller->key, "gpt-4o", {"openai"}));
  EXPECT_TRUE(check_model_access(*caller->key, "my-gpt", {"openai"})) << "the team's wildcard";
  auto denied = check_model_access(*caller->key, "claude", {"anthropic"});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().type, "team_model_access_denied");
  // Without a team there are no team models.
  auto teamless = authenticate("sk-teamless");
  ASSERT_TRUE(teamless);
  auto refused = check_model_access(*teamless->key, "gpt-4o", {"openai"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().type, "key_model_access_denied");
}

TEST_F(AuthenticateTest, AUsersModelsAndBudgetApplyToEachOfItsKeys) {
  store::UserRecord user{
      .user_id = "alice", .max_budget = 1.0, .models = {"gpt-4o"}, .max_parallel_requests = 2};
  store_->insert_user(user);
  add("sk-alice", [](store::KeyRecord& key) { key.user_id = "alice"; });
  auto caller = authenticate("sk-alice");
  ASSERT_TRUE(caller);
  ASSERT_NE(caller->key->user, nullptr);
  EXPECT_EQ(caller->key->user->kind, "user");
  EXPECT_EQ(caller->key->user->subject, "user:alice");
  EXPECT_EQ(caller->key->user->max_parallel_requests, 2);
  EXPECT_TRUE(check_model_access(*caller->key, "gpt-4o", {"openai"}));
  auto denied = check_model_access(*caller->key, "claude", {"anthropic"});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().type, "user_model_access_denied");
  EXPECT_NE(denied.error().message.find("This user can only access models=[gpt-4o]"),
            std::string::npos);

  caller->key->user->spend->add(1.0);
  auto over = authenticate("sk-alice");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().type, "budget_exceeded");
  EXPECT_NE(over.error().message.find("User=alice"), std::string::npos);
}

TEST_F(AuthenticateTest, AUsersModelsGovernItsPersonalKeysAndNoDefaultModelsLeavesThemNone) {
  store_->insert_team(store::TeamRecord{.team_id = "research", .models = {"claude"}});
  store_->insert_user(store::UserRecord{.user_id = "bob", .models = {"gpt-4o"}});
  store_->insert_user(store::UserRecord{.user_id = "carol", .models = {"no-default-models"}});
  add("sk-bob-team", [](store::KeyRecord& key) {
    key.user_id = "bob";
    key.team_id = "research";
  });
  add("sk-carol", [](store::KeyRecord& key) { key.user_id = "carol"; });
  add("sk-carol-team", [](store::KeyRecord& key) {
    key.user_id = "carol";
    key.team_id = "research";
  });

  // A team key goes by its team's models, not its user's.
  auto bob = authenticate("sk-bob-team");
  ASSERT_TRUE(bob);
  EXPECT_TRUE(check_model_access(*bob->key, "claude", {"anthropic"}));
  EXPECT_EQ(check_model_access(*bob->key, "gpt-4o", {"openai"}).error().type,
            "team_model_access_denied");

  auto carol = authenticate("sk-carol");
  ASSERT_TRUE(carol);
  auto refused = check_model_access(*carol->key, "gpt-4o", {"openai"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 403);
  EXPECT_EQ(refused.error().type, "key_model_access_denied");
  EXPECT_EQ(refused.error().message,
            "User not allowed to access model. No default model access, only team models "
            "allowed. Tried to access gpt-4o");
  auto carol_team = authenticate("sk-carol-team");
  ASSERT_TRUE(carol_team);
  EXPECT_TRUE(check_model_access(*carol_team->key, "claude", {"anthropic"}));
}

TEST_F(AuthenticateTest, MaxEndUserBudgetIsTheBudgetOfEndUsersWithoutOne) {
  store::EndUserRecord plain{.user_id = "plain", .spend = 0.5};
  store::EndUserRecord own{.user_id = "own", .spend = 0.5, .max_budget = 2.0};
  store_->save_end_user(plain);
  store_->set_end_user_spend("plain", 0.5);
  store_->save_end_user(own);
  store_->set_end_user_spend("own", 0.5);

  KeyCache without_default;
  without_default.rebuild(*store_, {});
  EXPECT_EQ(without_default.snapshot()->find_end_user("plain"), nullptr);  // nothing to check
  EXPECT_TRUE(check_end_user(without_default.snapshot().get(), "plain"));

  KeyCache with_default(0.5);
  with_default.rebuild(*store_, {});
  const auto snapshot = with_default.snapshot();
  ASSERT_NE(snapshot->find_end_user("plain"), nullptr);
  EXPECT_EQ(snapshot->find_end_user("plain")->max_budget, 0.5);
  EXPECT_EQ(snapshot->find_end_user("own")->max_budget, 2.0);  // their own wins
  EXPECT_EQ(snapshot->default_end_user_budget, 0.5);
  const auto refused = check_end_user(snapshot.get(), "plain");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "ExceededBudget: End User=plain over budget. Spend=0.5, Budget=0.5");
  EXPECT_TRUE(check_end_user(snapshot.get(), "own"));
  // One the database does not know yet has spent nothing.
  EXPECT_TRUE(check_end_user(snapshot.get(), "new"));
  KeyCache nothing_allowed(0.0);
  EXPECT_FALSE(check_end_user(nothing_allowed.snapshot().get(), "new"));
}

}  // namespace
}  // namespace llmux::auth
