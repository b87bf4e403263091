#include "router/stored_models.hpp"

#include "config/load.hpp"
#include "router/router.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace llmux::router {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

config::Config load(std::string_view yaml) {
  return config::load_string(yaml, "config.yaml", [](const std::string&) { return std::nullopt; });
}

const char* const kConfig = R"(
model_list:
  - {model_name: from-config, litellm_params: {model: openai/x, api_base: "http://127.0.0.1:9/v1", api_key: k}, model_info: {id: config-1}}
  - {model_name: from-config, litellm_params: {model: openai/x, api_base: "http://127.0.0.1:8/v1", api_key: k}, model_info: {id: config-2}}
router_settings:
  allowed_fails: 0
)";

json::object object(std::string_view text) { return json::parse(text).as_object(); }

TEST(StoredModels, AnEntryIsReadAsTheConfigsAreWithItsIdInModelInfo) {
  const auto config = load(kConfig);
  auto entry = stored_model_entry(
      config, "db-1", "from-db",
      object(R"({"model":"openai/y","api_base":"http://127.0.0.1:9/v1","rpm":5})"),
      object(R"({"access_groups":["beta"]})"));
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->model_name, "from-db");
  EXPECT_EQ(entry->params.model, "openai/y");
  EXPECT_EQ(entry->params.rpm, 5);
  EXPECT_EQ(entry->model_info.at("id").as_string(), "db-1");
  EXPECT_TRUE(entry->model_info.contains("access_groups"));
}

TEST(StoredModels, WhatTheRouterWouldRefuseIsA400NamingTheProblem) {
  const auto config = load(kConfig);
  const auto unknown =
      stored_model_entry(config, "db-1", "m", object(R"({"model":"nosuch/y"})"), {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::invalid_request);
  EXPECT_EQ(http_status(unknown.error()), 400);
  EXPECT_THAT(unknown.error().message, HasSubstr("unknown provider 'nosuch'"));

  const auto no_model = stored_model_entry(config, "db-1", "m", object(R"({"api_base":"x"})"), {});
  ASSERT_FALSE(no_model);
  EXPECT_EQ(http_status(no_model.error()), 400);

  const auto bad_base = stored_model_entry(
      config, "db-1", "m", object(R"({"model":"openai/y","api_base":"not a url"})"), {});
  ASSERT_FALSE(bad_base);
  EXPECT_THAT(bad_base.error().message, HasSubstr("api_base"));
}

// Stored models come after the config's, whose indexes (the metrics' slots) stay; the kept
// deployment's health carries over to the new router.
TEST(StoredModels, ARouterWithStoredModelsKeepsTheConfigsIndexesAndHealth) {
  const auto config = load(kConfig);
  std::vector<std::string> warnings;
  Router first = Router::from_config(config, warnings);
  const auto& config_deployment = first.models().group("from-config")->front();
  const auto now = Clock::now();
  first.health().call_finished(config_deployment, {.success = false, .status = 429}, now);
  ASSERT_TRUE(first.health().cooling_until(config_deployment, now));

  auto stored =
      stored_model_entry(config, "db-1", "from-db",
                         object(R"({"model":"openai/y","api_base":"http://127.0.0.1:9"})"), {});
  ASSERT_TRUE(stored);
  std::vector<config::ModelEntry> entries{*stored};
  const auto next = first.with_table(table_with_stored(config, entries, warnings));
  const auto* kept = next->models().group("from-config");
  const auto* added = next->models().group("from-db");
  ASSERT_TRUE(kept && added);
  EXPECT_EQ(kept->front().index, 0u);
  EXPECT_EQ(added->front().id, "db-1");
  EXPECT_EQ(added->front().index, 2u);
  EXPECT_TRUE(next->health().cooling_until(kept->front(), now));
  EXPECT_FALSE(next->health().cooling_until(added->front(), now));
  EXPECT_EQ(next->models().index_of("db-1"), 2u);
  EXPECT_FALSE(next->models().index_of("nope"));
}

}  // namespace
}  // namespace llmux::router
