#include "handlers/stored_models.hpp"

#include "../providers/google_key.hpp"
#include "api/error_body.hpp"
#include "config/load.hpp"
#include "store/database.hpp"
#include "store/migrations.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::handlers {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr store::Millis kNow = 1'767'225'600'000;

const char* const kConfig = R"(
model_list:
  - {model_name: from-config, litellm_params: {model: openai/x, api_base: "http://127.0.0.1:9/v1", api_key: k}, model_info: {id: config-1}}
general_settings:
  store_model_in_db: true
  master_key: sk-master
)";

std::unique_ptr<store::Database> migrated_sqlite() {
  auto database = store::open_sqlite(":memory:");
  store::migrate(*database);
  return database;
}

// A real store (SQLite in memory, migrated), the router the config makes and the stored models
// over both.
class StoredModelsTest : public ::testing::Test {
 protected:
  StoredModelsTest()
      : config_(config::load_string(kConfig, "config.yaml",
                                    [](const std::string&) { return std::nullopt; })),
        store_(migrated_sqlite()),
        live_(router_from(config_)),
        models_(config_, live_, config_.general_settings.store_model_in_db) {}

  static std::shared_ptr<router::Router> router_from(const config::Config& config) {
    std::vector<std::string> warnings;
    return std::make_shared<router::Router>(router::Router::from_config(config, warnings));
  }
  Result<admin::Changed<store::ModelRecord>> add(std::string_view body) {
    auto fields = admin::FieldReader::from_body(body);
    return models_.add(store_, fields, kNow);
  }
  Result<admin::Changed<store::ModelRecord>> update(std::string_view body,
                                                    std::optional<std::string> id = {}) {
    auto fields = admin::FieldReader::from_body(body);
    return models_.update(store_, fields, std::move(id), kNow + 1);
  }
  // The error as the client receives it: OpenAI's error object.
  static json::object error_json(const Error& error) {
    return json::parse(api::error_body(error)).as_object().at("error").as_object();
  }

  config::Config config_;
  store::Store store_;
  router::LiveRouter live_;
  StoredModels models_;
};

TEST_F(StoredModelsTest, BadModelsAre400sInOpenAIsShapeAndNothingIsStored) {
  for (
      const char* body : {
          R"({"litellm_params":{"model":"openai/y","api_base":"http://127.0.0.1:9"}})",
          R"({"model_name":"m"})",
          R"({"model_name":"m","litellm_params":"openai/y"})",
          R"({"model_name":"m","litellm_params":{"model":"nosuch/y"}})",
          R"({"model_name":"m","litellm_params":{"model":"openai/y","api_base":"ftp://x"}})",
          R"({"model_name":"m","litellm_params":{"model":"openai/y","api_base":"http://127.0.0.1:9"},"model_info":{"id":"config-1"}})",
      }) {
    const auto added = add(body);
    ASSERT_FALSE(added) << body;
    EXPECT_EQ(http_status(added.error()), 400) << body;
    const auto shown = error_json(added.error());
    EXPECT_EQ(shown.at("type").as_string(), "invalid_request_error") << body;
    EXPECT_FALSE(shown.at("message").as_string().empty()) << body;
  }
  EXPECT_TRUE(store_.all_models().empty());
}

TEST_F(StoredModelsTest, TheConfigsModelsAreReadOnly) {
  const auto updated = update(R"({"model_info":{"id":"config-1"},"litellm_params":{"rpm":1}})");
  ASSERT_FALSE(updated);
  EXPECT_EQ(http_status(updated.error()), 400);
  EXPECT_THAT(updated.error().message, HasSubstr("Model in config"));

  auto fields = admin::FieldReader::from_body(R"({"id":"config-1"})");
  const auto removed = models_.remove(store_, fields);
  ASSERT_FALSE(removed);
  EXPECT_EQ(http_status(removed.error()), 400);
  EXPECT_EQ(removed.error().message, "Model with id=config-1 not found in db");
}

TEST_F(StoredModelsTest, AddUpdateAndDeleteChangeTheRouterAtTheNextReload) {
  const auto added = add(
      R"({"model_name":"from-db","litellm_params":{"model":"openai/y","api_base":"http://127.0.0.1:9","api_key":"sk-stored"}})");
  ASSERT_TRUE(added) << added.error().message;
  const std::string id = added->value.model_id;
  EXPECT_FALSE(id.empty());
  // The answer shows no credential.
  EXPECT_THAT(json::serialize(stored_model_json(added->value)),
              ::testing::Not(HasSubstr("sk-stored")));
  // The database holds the params encrypted under the master key (LITELLM_SALT_KEY unset).
  const auto stored = store_.find_model(id);
  ASSERT_TRUE(stored);
  EXPECT_THAT(stored->litellm_params, ::testing::Not(HasSubstr("sk-stored")));
  EXPECT_THAT(stored->litellm_params, ::testing::Not(HasSubstr("openai/y")));
  const auto before = live_.current();
  EXPECT_FALSE(before->models().group("from-db"));

  models_.reload(store_);
  const auto* group = live_.current()->models().group("from-db");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->front().id, id);
  EXPECT_EQ(group->front().target.api_base, "http://127.0.0.1:9");
  EXPECT_EQ(group->front().target.api_key, "sk-stored");
  EXPECT_TRUE(live_.current()->models().group("from-config"));
  // Nothing changed: the router stays the same object.
  const auto reloaded = live_.current();
  models_.reload(store_);
  EXPECT_EQ(live_.current(), reloaded);

  // PATCH /model/{id}/update: the path's id; params merge into the stored ones.
  ASSERT_TRUE(update(R"({"litellm_params":{"api_base":"http://127.0.0.1:8"}})", id));
  models_.reload(store_);
  group = live_.current()->models().group("from-db");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->front().target.api_base, "http://127.0.0.1:8");
  EXPECT_EQ(group->front().target.api_key, "sk-stored");

  auto fields = admin::FieldReader::from_body(R"({"id":")" + id + R"("})");
  const auto removed = models_.remove(store_, fields);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->value, "Model: " + id + " deleted successfully");
  models_.reload(store_);
  EXPECT_FALSE(live_.current()->models().group("from-db"));
  EXPECT_TRUE(live_.current()->models().group("from-config"));
}

// A model an older llmux kept in plain text (or LiteLLM without a key) is served as it is.
TEST_F(StoredModelsTest, AModelKeptInPlainTextIsServedAsItIs) {
  store_.insert_model({.model_id = "plain-1",
                       .model_name = "plain",
                       .litellm_params = R"({"model":"openai/y","api_base":"http://127.0.0.1:9",)"
                                         R"("api_key":"sk-plain","rpm":5})",
                       .model_info = R"({"id":"plain-1"})",
                       .created_at = kNow,
                       .updated_at = kNow});
  models_.reload(store_);
  const auto* group = live_.current()->models().group("plain");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->front().target.api_key, "sk-plain");
  // An update stores it encrypted from then on.
  ASSERT_TRUE(update(R"({"litellm_params":{"rpm":6}})", "plain-1"));
  EXPECT_THAT(store_.find_model("plain-1")->litellm_params, ::testing::Not(HasSubstr("sk-plain")));
  models_.reload(store_);
  EXPECT_EQ(live_.current()->models().group("plain")->front().target.api_key, "sk-plain");
}

TEST_F(StoredModelsTest, WithoutStoreModelInDbEveryChangeIsLiteLLMs500) {
  StoredModels off(config_, live_, false);
  auto fields = admin::FieldReader::from_body(
      R"({"model_name":"m","litellm_params":{"model":"openai/y","api_base":"http://127.0.0.1:9"}})");
  const auto added = off.add(store_, fields, kNow);
  ASSERT_FALSE(added);
  EXPECT_EQ(http_status(added.error()), 500);
  EXPECT_THAT(added.error().message, HasSubstr("STORE_MODEL_IN_DB"));
}

// The background refresher keeps the first table's Google tokens fresh: after a reload the
// config's vertex_ai deployment still uses that token, not an empty one of its own.
TEST(StoredModelsVertex, TheConfigsVertexDeploymentKeepsItsRefreshedTokenAcrossAReload) {
  config::Config config{.source = "config.yaml"};
  config::ModelEntry vertex{.model_name = "gemini", .line = 1};
  vertex.params.model = "vertex_ai/gemini-2.5-flash";
  vertex.params.extra["vertex_project"] = "proj-9";
  vertex.params.extra["vertex_credentials"] = providers::test_support::key_json();
  config.model_list.push_back(std::move(vertex));
  config.general_settings.store_model_in_db = true;
  std::vector<std::string> warnings;
  router::LiveRouter live(
      std::make_shared<router::Router>(router::Router::from_config(config, warnings)));
  const auto refreshed = live.current()->models().group("gemini")->front().target.google_token;
  ASSERT_TRUE(refreshed);
  StoredModels models(config, live, true);
  store::Store store(migrated_sqlite());
  auto fields = admin::FieldReader::from_body(
      R"({"model_name":"from-db","litellm_params":{"model":"openai/y","api_base":"http://127.0.0.1:9"}})");
  ASSERT_TRUE(models.add(store, fields, kNow));
  models.reload(store);
  ASSERT_TRUE(live.current()->models().group("from-db"));
  EXPECT_EQ(live.current()->models().group("gemini")->front().target.google_token, refreshed);
}

}  // namespace
}  // namespace llmux::handlers
