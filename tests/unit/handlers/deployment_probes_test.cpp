// The pure parts of GET /health's deployment probes: the call each mode is probed with, which
// deployments ?model= names, and LiteLLM's answer built from the verdicts.
#include "handlers/deployment_probes.hpp"

#include <boost/json/parse.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::handlers {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

config::ModelEntry entry(std::string group, std::string model, std::string id,
                         std::string mode = "") {
  config::ModelEntry result{.model_name = std::move(group)};
  result.params.model = std::move(model);
  result.params.api_base = "https://user:pw@upstream.example/v1?key=secret";
  result.params.api_key = "sk-operator-secret";
  result.model_info["id"] = std::move(id);
  if (!mode.empty()) result.model_info["mode"] = std::move(mode);
  return result;
}

router::ModelTable table_of(std::vector<config::ModelEntry> entries) {
  std::vector<std::string> warnings;
  return router::ModelTable::build(
      config::Config{.source = "test", .model_list = std::move(entries)}, warnings);
}

std::vector<std::string> ids(const std::vector<const router::Deployment*>& deployments) {
  std::vector<std::string> result;
  for (const auto* deployment : deployments) result.push_back(deployment->id);
  return result;
}

TEST(ProbeRequest, EachModeIsProbedWithItsOwnMinimalCall) {
  const auto table =
      table_of({entry("c", "openai/up-chat", "c"), entry("t", "openai/up-text", "t", "completion"),
                entry("e", "openai/up-embed", "e", "embedding"),
                entry("m", "openai/up-mod", "m", "moderation"),
                entry("r", "cohere/up-rerank", "r", "rerank")});
  const auto request = [&](std::string_view group) {
    auto probe = probe_request(table.group(group)->front());
    EXPECT_TRUE(probe) << group;
    return std::move(*probe);
  };
  const api::Request chat = request("c");
  EXPECT_EQ(chat.endpoint, api::Endpoint::chat_completions);
  EXPECT_EQ(chat.model, "c");
  EXPECT_EQ(chat.body.at("max_tokens").as_int64(), 16);
  EXPECT_EQ(chat.body.at("messages").as_array().size(), 1u);
  EXPECT_FALSE(chat.stream);

  const api::Request text = request("t");
  EXPECT_EQ(text.endpoint, api::Endpoint::completions);
  EXPECT_TRUE(text.body.at("prompt").is_string());
  EXPECT_EQ(text.body.at("max_tokens").as_int64(), 16);

  const api::Request embedding = request("e");
  EXPECT_EQ(embedding.endpoint, api::Endpoint::embeddings);
  EXPECT_EQ(embedding.body.at("input").as_array().size(), 1u);
  EXPECT_FALSE(embedding.body.contains("max_tokens"));

  EXPECT_EQ(request("m").endpoint, api::Endpoint::moderations);
  const api::Request rerank = request("r");
  EXPECT_EQ(rerank.endpoint, api::Endpoint::rerank);
  EXPECT_TRUE(rerank.body.at("query").is_string());
}

TEST(ProbeRequest, AModeLlmuxDoesNotServeIsAnErrorNamingIt) {
  const auto table = table_of({entry("i", "openai/up-image", "i", "image_generation")});
  const auto probe = probe_request(table.group("i")->front());
  ASSERT_FALSE(probe);
  EXPECT_THAT(probe.error().message, HasSubstr("'image_generation'"));
}

TEST(DeploymentsNamed, AGroupElseALitellmModelElseNothingAndEverythingWithoutAName) {
  const auto table = table_of({entry("pair", "openai/up-a", "a"), entry("pair", "openai/up-b", "b"),
                               entry("solo", "openai/up-a", "c")});
  EXPECT_THAT(ids(deployments_named(table, "")), ElementsAre("a", "b", "c"));
  EXPECT_THAT(ids(deployments_named(table, "pair")), ElementsAre("a", "b"));
  EXPECT_THAT(ids(deployments_named(table, "openai/up-a")), ElementsAre("a", "c"));
  EXPECT_THAT(ids(deployments_named(table, "up-a")), IsEmpty());
  EXPECT_THAT(ids(deployments_named(table, "nothing")), IsEmpty());
}

TEST(HealthBody, LiteLLMsShapeWithoutCredentials) {
  const auto table = table_of({entry("g", "openai/up-a", "a"), entry("g", "openai/up-b", "b")});
  const auto& group = *table.group("g");
  const ProbeResult results[] = {
      {.deployment = &group[0]},
      {.deployment = &group[1], .failure = make_error(ErrorKind::timeout, "Timed out.")}};
  const std::string body = health_body(results);
  EXPECT_EQ(json::parse(body), json::parse(R"({
    "healthy_endpoints": [
      {"model": "openai/up-a", "api_base": "https://upstream.example/v1", "model_id": "a"}],
    "unhealthy_endpoints": [
      {"model": "openai/up-b", "api_base": "https://upstream.example/v1", "model_id": "b",
       "error": "Timed out.", "exception_status": 408}],
    "healthy_count": 1,
    "unhealthy_count": 1})"));
  EXPECT_EQ(body.find("secret"), std::string::npos);
  EXPECT_EQ(json::parse(health_body({})),
            json::parse(R"({"healthy_endpoints": [], "unhealthy_endpoints": [],
                            "healthy_count": 0, "unhealthy_count": 0})"));
}

}  // namespace
}  // namespace llmux::handlers
