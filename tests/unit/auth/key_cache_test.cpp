#include "auth/authenticator.hpp"
#include "auth/key_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace llmux::auth {
namespace {

namespace fs = std::filesystem;

TEST(HashKey, IsHexSha256) {
  EXPECT_EQ(hash_key("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ModelAllowed, ExactWildcardsAndEverything) {
  EXPECT_TRUE(model_allowed({}, "anything", "openai"));
  EXPECT_TRUE(model_allowed({"all-proxy-models"}, "anything", "openai"));
  EXPECT_TRUE(model_allowed({"gpt-4o"}, "gpt-4o", "openai"));
  EXPECT_FALSE(model_allowed({"gpt-4o"}, "gpt-4o-mini", "openai"));
  EXPECT_TRUE(model_allowed({"openai/*"}, "my-group", "openai")) << "by the group's provider";
  EXPECT_TRUE(model_allowed({"org/*"}, "org/team-model", "anthropic")) << "by the name's prefix";
  EXPECT_FALSE(model_allowed({"openai/*"}, "my-group", "anthropic"));
  EXPECT_FALSE(model_allowed({"org/*"}, "organisation-model", "openai"));
}

// Keys in a SQLite store, cached the way the gateway does it.
class AuthenticateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("llmux-auth-test-" + std::to_string(::getpid()) + "-" +
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
}

TEST_F(AuthenticateTest, LiveSpendSurvivesRebuildsUnlessTheDatabaseResetIt) {
  add("sk-spender");
  const std::string token = hash_key("sk-spender");
  cache_.snapshot()->find(token)->spend->add(0.75);
  cache_.rebuild(*store_, {});
  EXPECT_DOUBLE_EQ(cache_.snapshot()->find(token)->spend->value(), 0.75) << "ahead of the database until a flush";
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
  EXPECT_TRUE(check_model_access(*caller->key, "gpt-4o", "openai"));
  auto denied = check_model_access(*caller->key, "claude", "anthropic");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().type, "key_model_access_denied");
  EXPECT_EQ(denied.error().param, "model");
  EXPECT_NE(denied.error().message.find("models=[gpt-4o]"), std::string::npos);
}

}  // namespace
}  // namespace llmux::auth
