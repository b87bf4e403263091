#include "admin/key_rules.hpp"
#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace llmux::admin {
namespace {

using ::testing::ElementsAre;

class KeyRulesTest : public RulesTest {
 protected:
  IssuedKey generate(std::string_view json) {
    auto fields = body(json);
    return generate_key(store_, fields, kNow).value().value;
  }
  Error generate_error(std::string_view json) {
    auto fields = body(json);
    auto issued = generate_key(store_, fields, kNow);
    EXPECT_FALSE(issued) << json;
    return issued ? Error{} : issued.error();
  }
  Result<Changed<store::KeyRecord>> update(std::string_view json, store::Millis now = kNow) {
    auto fields = body(json);
    return update_key(store_, fields, now);
  }
  Result<Changed<IssuedKey>> regenerate(std::string_view json,
                                        std::optional<std::string> key_in_path = std::nullopt,
                                        const auth::KeyCache* cache = nullptr) {
    auto fields = body(json);
    return regenerate_key(store_, fields, key_in_path, cache, kNow);
  }
  std::int64_t key_count() { return store_.count_keys(std::nullopt, std::nullopt, std::nullopt); }
};

std::string json_string(const std::string& text) { return "\"" + text + "\""; }

TEST_F(KeyRulesTest, GenerateStoresTheHashOfARandomSecret) {
  const auto key = generate(
      R"({"key_alias": "laptop", "models": ["gpt-4o"], "max_budget": 5, "duration": "30d"})");
  EXPECT_TRUE(std::regex_match(key.secret, std::regex("sk-[A-Za-z0-9_-]{32}"))) << key.secret;
  EXPECT_EQ(key.record.token, auth::hash_key(key.secret));
  EXPECT_EQ(key.record.key_name, "sk-..." + key.secret.substr(key.secret.size() - 4));

  const auto stored = store_.find_key(key.record.token);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->key_alias, "laptop");
  EXPECT_THAT(stored->models, ElementsAre("gpt-4o"));
  EXPECT_EQ(stored->max_budget, 5);
  EXPECT_EQ(stored->expires, store::add_duration(kNow, "30d"));
  EXPECT_EQ(stored->created_at, kNow);
  EXPECT_NE(generate("{}").secret, key.secret);
}

TEST_F(KeyRulesTest, GenerateTakesACustomKeyOnlyInLiteLLMsShapeAndOnlyOnce) {
  for (const char* bad : {R"({"key": "sk-abcd"})", R"({"key": "abcdefghijk"})"}) {
    const auto error = generate_error(bad);
    EXPECT_EQ(error.param, "key") << bad;
    EXPECT_EQ(http_status(error), 400);
  }
  EXPECT_EQ(generate(R"({"key": "sk-chosen-1"})").secret, "sk-chosen-1");
  const auto again = generate_error(R"({"key": "sk-chosen-1"})");
  EXPECT_EQ(again.message, "This key exists already.");
  EXPECT_EQ(key_count(), 1);
}

TEST_F(KeyRulesTest, AnAliasNamesOneKey) {
  const auto first = generate(R"({"key_alias": "search"})");
  const auto second = generate(R"({"key_alias": "chat"})");
  EXPECT_EQ(generate_error(R"({"key_alias": "search"})").param, "key_alias");
  EXPECT_EQ(key_count(), 2);

  const auto taken =
      update(R"({"key": )" + json_string(second.secret) + R"(, "key_alias": "search"})");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().param, "key_alias");
  EXPECT_EQ(store_.find_key(second.record.token)->key_alias, "chat");
  EXPECT_TRUE(update(R"({"key": )" + json_string(first.secret) + R"(, "key_alias": "search"})"))
      << "a key keeps its own alias";
}

TEST_F(KeyRulesTest, TheFirstMalformedFieldIsTheOneReported) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"key": 5, "max_budget": "lots"})", "key"},
      {R"({"max_budget": "lots", "duration": "5 weeks"})", "max_budget"},
      {R"({"duration": "5 weeks", "max_budget": "lots"})", "max_budget"},  // read in field order
      {R"({"duration": "5 weeks"})", "duration"},
      {R"({"budget_duration": "monthly"})", "budget_duration"},
      {R"({"model_max_budget": {"gpt-4o": "lots"}, "blocked": "yes"})", "model_max_budget"},
      {R"({"blocked": "yes", "model_max_budget": {"gpt-4o": "lots"}})", "model_max_budget"},
      {R"({"user_id": "nul\u0000inside"})", "user_id"},
      {"[1]", ""},
  };
  for (const auto& [json, param] : cases) EXPECT_EQ(generate_error(json).param, param) << json;
  EXPECT_EQ(generate_error(R"({"duration": "5 weeks"})").message,
            "Invalid value for 'duration': expected e.g. 30s, 30m, 30h, 30d, 2w or 1mo.");
  EXPECT_EQ(key_count(), 0);
}

TEST_F(KeyRulesTest, UpdateFindsTheKeyBeforeReadingItsFields) {
  const auto missing = update(R"({"key": "sk-not-a-key", "max_budget": "lots"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(http_status(missing.error()), 404);
  const auto unnamed = update(R"({"max_budget": 1})");
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().message, "Pass the key.");
}

TEST_F(KeyRulesTest, UpdateSetsNamedFieldsClearsNullOnesAndKeepsTheRest) {
  const auto key =
      generate(R"({"key_alias": "a", "models": ["m"], "max_budget": 5, "tags": ["t"]})");
  const auto updated = update(R"({"key": ")" + key.record.token +
                                  R"(", "max_budget": null, "tags": ["u"], "rpm_limit": 3})",
                              kNow + 1000);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_TRUE(updated->spend_written.empty());
  const auto& record = updated->value;
  EXPECT_EQ(record.max_budget, std::nullopt);
  EXPECT_THAT(record.tags, ElementsAre("u"));
  EXPECT_EQ(record.rpm_limit, 3);
  EXPECT_EQ(record.key_alias, "a");
  EXPECT_THAT(record.models, ElementsAre("m"));
  EXPECT_EQ(record.updated_at, kNow + 1000);
  EXPECT_EQ(store_.find_key(key.record.token)->rpm_limit, 3);
}

TEST_F(KeyRulesTest, UpdateWritesASpendItSetsAndSaysSo) {
  const auto key = generate("{}");
  store_.set_key_spend(key.record.token, 3.5, std::nullopt);
  const auto updated = update(R"({"key": )" + json_string(key.secret) + R"(, "spend": 0.5})");
  ASSERT_TRUE(updated);
  EXPECT_THAT(updated->spend_written, ElementsAre(key.record.token));
  EXPECT_EQ(store_.find_key(key.record.token)->spend, 0.5);
}

TEST_F(KeyRulesTest, ARefusedUpdateChangesNothing) {
  const auto key = generate(R"({"models": ["m"]})");
  const auto refused = update(R"({"key": )" + json_string(key.secret) +
                              R"(, "models": ["n"], "max_budget": "lots"})");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "max_budget");
  EXPECT_THAT(store_.find_key(key.record.token)->models, ElementsAre("m"));
}

TEST_F(KeyRulesTest, BlockAndUnblock) {
  const auto key = generate("{}");
  auto named = body(R"({"key": )" + json_string(key.secret) + "}");
  ASSERT_TRUE(set_key_blocked(store_, named, true, kNow));
  EXPECT_TRUE(store_.find_key(key.record.token)->blocked);
  ASSERT_TRUE(set_key_blocked(store_, named, false, kNow));
  EXPECT_FALSE(store_.find_key(key.record.token)->blocked);
  auto missing = body(R"({"key": "sk-not-a-key"})");
  EXPECT_EQ(http_status(set_key_blocked(store_, missing, true, kNow).error()), 404);
}

TEST_F(KeyRulesTest, RegenerateGivesTheKeyANewSecretAndTheBodysChanges) {
  const auto key = generate(R"({"key_alias": "a", "models": ["m"], "max_budget": 5})");
  const auto fresh = regenerate(R"({"key": )" + json_string(key.secret) + R"(, "max_budget": 9})");
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_NE(fresh->value.secret, key.secret);
  EXPECT_EQ(fresh->value.record.token, auth::hash_key(fresh->value.secret));
  EXPECT_THAT(fresh->spend_written, ElementsAre(fresh->value.record.token));
  EXPECT_FALSE(store_.find_key(key.record.token));
  const auto stored = store_.find_key(fresh->value.record.token);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->max_budget, 9);
  EXPECT_EQ(stored->key_alias, "a");
  EXPECT_THAT(stored->models, ElementsAre("m"));
  EXPECT_EQ(key_count(), 1);
}

TEST_F(KeyRulesTest, RegenerateCarriesTheLiveSpendOverUnlessTheBodySetsIt) {
  const auto key = generate("{}");
  store_.set_key_spend(key.record.token, 1.0, std::nullopt);
  auth::KeyCache cache;
  cache.rebuild(store_, {});
  cache.snapshot()->find(key.record.token)->spend->add(0.25);  // a call not written yet

  const auto moved = regenerate(R"({"key": )" + json_string(key.secret) + "}", {}, &cache);
  ASSERT_TRUE(moved);
  EXPECT_EQ(store_.find_key(moved->value.record.token)->spend, 1.25);

  const auto reset =
      regenerate(R"({"key": )" + json_string(moved->value.secret) + R"(, "spend": 0})", {}, &cache);
  ASSERT_TRUE(reset);
  EXPECT_EQ(store_.find_key(reset->value.record.token)->spend, 0);
}

TEST_F(KeyRulesTest, RegenerateTakesTheKeyFromThePathAndANewKeyFromTheBody) {
  const auto key = generate("{}");
  const auto other = generate("{}");
  const auto chosen = regenerate(R"({"new_key": "sk-chosen-2"})", key.secret);
  ASSERT_TRUE(chosen) << chosen.error().message;
  EXPECT_EQ(chosen->value.secret, "sk-chosen-2");

  EXPECT_EQ(http_status(regenerate("{}", "sk-not-a-key").error()), 404);
  EXPECT_EQ(regenerate(R"({"new_key": "not-sk"})", "sk-chosen-2").error().param, "new_key");
  const auto taken = regenerate(R"({"new_key": )" + json_string(other.secret) + "}", "sk-chosen-2");
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().message, "This key exists already.");
  EXPECT_EQ(taken.error().param, "new_key");
  EXPECT_EQ(regenerate("{}").error().message, "Pass the key.");
  EXPECT_TRUE(store_.find_key(auth::hash_key("sk-chosen-2"))) << "refusals change nothing";
}

TEST_F(KeyRulesTest, ARefusedRegenerateKeepsTheOldKey) {
  const auto key = generate(R"({"max_budget": 5})");
  const auto refused = regenerate(R"({"max_budget": "lots"})", key.secret);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().param, "max_budget");
  EXPECT_EQ(store_.find_key(key.record.token)->max_budget, 5);
  EXPECT_EQ(key_count(), 1);
}

TEST_F(KeyRulesTest, ARegenerateCutOffMidwayLeavesTheKeyAsItWas) {
  const auto key = generate(R"({"max_budget": 5})");
  database().fail_once_on("SET spend =");  // the last of the regenerate's writes
  EXPECT_THROW(regenerate(R"({"max_budget": 9})", key.secret), store::DatabaseError);
  const auto kept = store_.find_key(key.record.token);
  ASSERT_TRUE(kept) << "the token change was rolled back";
  EXPECT_EQ(kept->max_budget, 5) << "the field change was rolled back";
  EXPECT_EQ(key_count(), 1);
}

TEST_F(KeyRulesTest, DeleteByKeyTokenOrAlias) {
  const auto first = generate("{}");
  const auto second = generate("{}");
  generate(R"({"key_alias": "third"})");
  generate("{}");
  auto request =
      body(R"({"keys": [)" + json_string(first.secret) + ", " + json_string(second.record.token) +
           R"(, "sk-not-a-key"], "key_aliases": ["third", "nobody"]})");
  const auto deleted = delete_keys(store_, request);
  ASSERT_TRUE(deleted);
  EXPECT_THAT(deleted->value, ElementsAre(first.secret, second.record.token, "third"));
  EXPECT_EQ(key_count(), 1);
  EXPECT_EQ(http_status(delete_keys(store_, request).error()), 404);
  auto empty = body("{}");
  EXPECT_EQ(delete_keys(store_, empty).error().message, "Pass 'keys' or 'key_aliases'.");
}

TEST_F(KeyRulesTest, TheMasterKeyReadsAnyKeyAVirtualKeyOnlyItself) {
  const auth::Caller master{.admin = true};
  EXPECT_EQ(key_to_read(master, "sk-any").value(), "sk-any");
  EXPECT_EQ(key_to_read(master, "").error().param, "key");

  const std::string own = "sk-own-key";
  const auth::Caller virtual_key{.admin = false, .token = auth::hash_key(own)};
  EXPECT_EQ(key_to_read(virtual_key, "").value(), virtual_key.token);
  EXPECT_EQ(key_to_read(virtual_key, own).value(), own);
  EXPECT_EQ(key_to_read(virtual_key, virtual_key.token).value(), virtual_key.token);
  const auto other = key_to_read(virtual_key, "sk-someone-else");
  ASSERT_FALSE(other);
  EXPECT_EQ(http_status(other.error()), 403);
  EXPECT_EQ(other.error().type, "auth_error");
  EXPECT_EQ(other.error().message, "user not allowed to access this key's info");
}

TEST_F(KeyRulesTest, ListKeysFiltersAndPages) {
  for (int i = 0; i < 5; ++i) generate(R"({"team_id": "t"})");
  generate(R"({"team_id": "u"})");
  auto query = FieldReader::from_query("/key/list?team_id=t&size=2&page=3");
  const auto page = list_keys(store_, query);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 5);
  EXPECT_EQ(page->keys.size(), 1u);
  EXPECT_EQ(page->keys.front().team_id, "t");
  EXPECT_FALSE(page->full_objects);

  auto clamped = FieldReader::from_query("/key/list?size=1000&page=0&return_full_object=true");
  const auto all = list_keys(store_, clamped);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size, 100);
  EXPECT_EQ(all->page, 1);
  EXPECT_TRUE(all->full_objects);
  EXPECT_EQ(all->keys.size(), 6u);

  auto malformed = FieldReader::from_query("/key/list?size=ten");
  EXPECT_EQ(list_keys(store_, malformed).error().param, "size");
}

TEST_F(KeyRulesTest, AKeyIsNamedByItselfOrByItsToken) {
  const std::string token = auth::hash_key("sk-some-key");
  EXPECT_EQ(token_of("sk-some-key"), token);
  EXPECT_EQ(token_of(token), token);
}

}  // namespace
}  // namespace llmux::admin
