// vertex_ai deployments in the model table: the dialect is picked per model id, the Target is
// completed at load (project, location, base URL, service account), and a deployment that cannot
// authenticate is a config error naming it.
#include "router/model_table.hpp"

#include "../providers/google_key.hpp"
#include "config/load.hpp"
#include "providers/registry.hpp"
#include "providers/wire/google_auth.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

namespace llmux::router {
namespace {

using ::testing::HasSubstr;

config::ModelEntry vertex_entry(std::string model_name, std::string model, bool with_key = true) {
  config::ModelEntry entry{.model_name = std::move(model_name), .line = 7};
  entry.params.model = std::move(model);
  entry.params.extra["vertex_project"] = "proj-9";
  if (with_key) entry.params.extra["vertex_credentials"] = providers::test_support::key_json();
  return entry;
}

class VertexModelTable : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("GOOGLE_APPLICATION_CREDENTIALS"); }
};

// A table rebuilt with models kept in the database (docs/MODELS.md) uses the tokens the
// refresher keeps fresh: the first table's.
TEST_F(VertexModelTable, ARebuiltTableSharesTheOriginalsGoogleTokens) {
  const config::Config config{.source = "config.yaml",
                              .model_list = {vertex_entry("gemini", "vertex_ai/gemini-2.5-flash")}};
  std::vector<std::string> warnings;
  const ModelTable original = ModelTable::build(config, warnings);
  ModelTable rebuilt = ModelTable::build(config, warnings);
  const auto& token = original.group("gemini")->front().target.google_token;
  ASSERT_TRUE(token);
  EXPECT_NE(rebuilt.group("gemini")->front().target.google_token, token);
  rebuilt.share_google_tokens_of(original);
  EXPECT_EQ(rebuilt.group("gemini")->front().target.google_token, token);
}

TEST_F(VertexModelTable, GeminiAndClaudeDialectsWithTheirTokens) {
  const config::Config config{
      .source = "config.yaml",
      .model_list = {vertex_entry("gemini", "vertex_ai/gemini-2.5-flash"),
                     vertex_entry("claude", "vertex_ai/claude-sonnet-4-5@20250929")}};
  std::vector<std::string> warnings;
  const ModelTable table = ModelTable::build(config, warnings);
  EXPECT_TRUE(warnings.empty());
  const auto& gemini = table.group("gemini")->front();
  const auto& claude = table.group("claude")->front();
  const auto* spec = providers::find_provider("vertex_ai");
  EXPECT_EQ(gemini.provider, spec->provider_for("gemini-2.5-flash"));
  EXPECT_EQ(claude.provider, spec->provider_for("claude-sonnet-4-5@20250929"));
  EXPECT_NE(gemini.provider, claude.provider);
  EXPECT_EQ(gemini.target.api_base, "https://us-central1-aiplatform.googleapis.com");
  EXPECT_EQ(gemini.target.settings.at("vertex_project"), boost::json::value("proj-9"));
  ASSERT_TRUE(gemini.target.google_token);
  EXPECT_EQ(gemini.target.google_token->owner(),
            "vertex_ai deployment 'gemini' (gemini-2.5-flash)");
  EXPECT_FALSE(gemini.target.default_params.contains("vertex_credentials"))
      << "a setting, never a request field";
  EXPECT_TRUE(table.needs_tls());
}

TEST_F(VertexModelTable, NoServiceAccountIsAConfigErrorNamingTheDeployment) {
  const config::Config config{
      .source = "config.yaml",
      .model_list = {vertex_entry("keyless", "vertex_ai/gemini-2.5-flash", false)}};
  std::vector<std::string> warnings;
  try {
    ModelTable::build(config, warnings);
    ADD_FAILURE() << "expected a LoadError";
  } catch (const config::LoadError& error) {
    ASSERT_EQ(error.problems.size(), 1u);
    EXPECT_THAT(error.problems[0], HasSubstr("config.yaml:7: model_list 'keyless'"));
    EXPECT_THAT(error.problems[0], HasSubstr("GOOGLE_APPLICATION_CREDENTIALS"));
  }
}

TEST_F(VertexModelTable, MockResponseDeploymentsNeedNoServiceAccount) {
  auto entry = vertex_entry("mocked", "vertex_ai/gemini-2.5-flash", false);
  entry.params.mock_response = "hi";
  const config::Config config{.source = "config.yaml", .model_list = {entry}};
  std::vector<std::string> warnings;
  const ModelTable table = ModelTable::build(config, warnings);
  EXPECT_FALSE(table.group("mocked")->front().target.google_token);
}

}  // namespace
}  // namespace llmux::router
