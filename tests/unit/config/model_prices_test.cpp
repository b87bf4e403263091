#include "config/model_prices.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <stdexcept>

namespace llmux::config {
namespace {

TEST(ModelPrices, TheBuiltInMapIsEmbeddedWhole) {
  const ModelPrices& prices = ModelPrices::builtin();
  EXPECT_EQ(prices.size(), 2983u);  // every model object of the snapshot (sample_spec is not one)
  EXPECT_EQ(&prices, &ModelPrices::builtin()) << "parsed once";
}

TEST(ModelPrices, OpenAiModelsAreFoundByTheirBareName) {
  const ModelPrice* gpt4o = ModelPrices::builtin().find("openai", "gpt-4o");
  ASSERT_NE(gpt4o, nullptr);
  EXPECT_DOUBLE_EQ(gpt4o->input_cost_per_token, 2.5e-06);
  EXPECT_DOUBLE_EQ(gpt4o->output_cost_per_token, 1e-05);
  EXPECT_EQ(gpt4o->cache_read_input_token_cost, 1.25e-06);
  EXPECT_EQ(gpt4o->cache_creation_input_token_cost, std::nullopt);
  EXPECT_EQ(gpt4o->max_input_tokens, 128000);
  EXPECT_EQ(gpt4o->max_output_tokens, 16384);
  EXPECT_EQ(gpt4o->provider, "openai");
  EXPECT_EQ(gpt4o->mode, "chat");
}

TEST(ModelPrices, ProviderQualifiedNamesComeFirst) {
  // "gemini-2.5-pro" alone is Vertex AI's entry; "gemini/gemini-2.5-pro" is AI Studio's.
  const ModelPrice* studio = ModelPrices::builtin().find("gemini", "gemini-2.5-pro");
  ASSERT_NE(studio, nullptr);
  EXPECT_EQ(studio->provider, "gemini");
  const ModelPrice* vertex = ModelPrices::builtin().find("", "gemini-2.5-pro");
  ASSERT_NE(vertex, nullptr);
  EXPECT_EQ(vertex->provider, "vertex_ai-language-models");
  const ModelPrice* azure = ModelPrices::builtin().find("azure", "gpt-4o");
  ASSERT_NE(azure, nullptr);
  EXPECT_EQ(azure->provider, "azure");
}

TEST(ModelPrices, FallsBackToTheBareNameAndKnowsNotEverything) {
  const ModelPrice* claude = ModelPrices::builtin().find("anthropic", "claude-sonnet-4-5-20250929");
  ASSERT_NE(claude, nullptr);
  EXPECT_EQ(claude->cache_creation_input_token_cost, 3.75e-06);
  EXPECT_EQ(claude->max_output_tokens, 64000);
  EXPECT_EQ(ModelPrices::builtin().find("openai", "no-such-model-anywhere"), nullptr);
}

TEST(ModelPrices, ParseSkipsWhatIsNotAModelAndReadsLegacyMaxTokens) {
  const ModelPrices prices = ModelPrices::parse(R"({
    "sample_spec": {"input_cost_per_token": 1},
    "comment": "not an entry",
    "old-model": {"input_cost_per_token": "0.1", "max_tokens": 4096, "max_input_tokens": null}
  })");
  EXPECT_EQ(prices.size(), 1u);
  const ModelPrice* old = prices.find("", "old-model");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->input_cost_per_token, 0) << "a price written as a string is unknown, not parsed";
  EXPECT_EQ(old->max_output_tokens, 4096);
  EXPECT_EQ(old->max_input_tokens, std::nullopt);
  EXPECT_THROW(ModelPrices::parse("[1,2]"), std::runtime_error);
  EXPECT_ANY_THROW(ModelPrices::parse("{not json"));
}

TEST(CostUsd, CachedTokensAtTheirOwnPriceTheRestAtTheInputPrice) {
  const ModelPrice price{.input_cost_per_token = 3e-06,
                         .output_cost_per_token = 1.5e-05,
                         .cache_read_input_token_cost = 3e-07,
                         .cache_creation_input_token_cost = 3.75e-06};
  // 1000 prompt tokens of which 200 read from the cache and 300 written to it; 100 out.
  const double cost = cost_usd(
      price, {.prompt = 1000, .completion = 100, .cache_read = 200, .cache_creation = 300});
  EXPECT_DOUBLE_EQ(cost, 500 * 3e-06 + 200 * 3e-07 + 300 * 3.75e-06 + 100 * 1.5e-05);
}

TEST(CostUsd, WithoutCachePricesCachedTokensCostTheInputPrice) {
  const ModelPrice price{.input_cost_per_token = 1e-06, .output_cost_per_token = 2e-06};
  EXPECT_DOUBLE_EQ(cost_usd(price, {.prompt = 10, .completion = 5, .cache_read = 4}),
                   10 * 1e-06 + 5 * 2e-06);
  EXPECT_DOUBLE_EQ(cost_usd(price, {}), 0);
}

TEST(DeploymentPrice, TheMapsEntryOverriddenByModelInfoThenByLitellmParams) {
  const ModelPrice known{
      .input_cost_per_token = 1e-06, .output_cost_per_token = 2e-06, .max_input_tokens = 1000};
  const auto price = deployment_price(
      &known, boost::json::parse(R"({"input_cost_per_token": 5e-06, "id": "x"})").as_object(),
      boost::json::parse(R"({"input_cost_per_token": 7e-06, "max_output_tokens": 64})")
          .as_object());
  ASSERT_TRUE(price);
  EXPECT_DOUBLE_EQ(price->input_cost_per_token, 7e-06);   // litellm_params last
  EXPECT_DOUBLE_EQ(price->output_cost_per_token, 2e-06);  // kept from the map
  EXPECT_EQ(price->max_input_tokens, 1000);
  EXPECT_EQ(price->max_output_tokens, 64);
}

TEST(DeploymentPrice, AnUnknownModelHasPricesOnlyWhenTheOperatorGivesSome) {
  const boost::json::object none;
  EXPECT_FALSE(
      deployment_price(nullptr, none, boost::json::parse(R"({"drop_params": true})").as_object()));
  const auto given = deployment_price(
      nullptr, none, boost::json::parse(R"({"output_cost_per_token": 3})").as_object());
  ASSERT_TRUE(given);
  EXPECT_DOUBLE_EQ(given->output_cost_per_token, 3);
  EXPECT_DOUBLE_EQ(given->input_cost_per_token, 0);
  // Prices written as strings are not numbers: unknown, as in the built-in map.
  EXPECT_FALSE(deployment_price(
      nullptr, none, boost::json::parse(R"({"input_cost_per_token": "1e-6"})").as_object()));
}

}  // namespace
}  // namespace llmux::config
