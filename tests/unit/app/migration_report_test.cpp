// --check_config's report over a LiteLLM config: a verdict for each key the file sets.
#include "app/migration_report.hpp"

#include "config/load.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const config::EnvLookup kNoEnv = [](const std::string&) -> std::optional<std::string> {
  return std::nullopt;
};

TEST(MigrationReport, EachKeyOfTheFileWithWhatLlmuxDoesWithIt) {
  const config::Config config = config::load_string(R"(model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-secret-value
      rpm: 600
      cooldown_time: 30
      temperature: 0.2
      input_cost_per_token: 0.000001
router_settings:
  routing_strategy: simple-shuffle
litellm_settings:
  disable_hf_tokenizer_download: true
general_settings:
  master_key: sk-master-secret
credential_list: []
)",
                                                    "config.yaml", kNoEnv);
  const std::string report = migration_report(config);
  EXPECT_THAT(report, HasSubstr("config.yaml:1: model_list: same as LiteLLM\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:2: model_list[0].model_name: same as LiteLLM\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:6: model_list[0].litellm_params.rpm: same as "
                                "LiteLLM\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:7: model_list[0].litellm_params.cooldown_time: "
                                "ignored: a LiteLLM setting llmux does not implement; ignored "
                                "(not sent upstream)\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:8: model_list[0].litellm_params.temperature: same "
                                "as LiteLLM (a request default, sent upstream when the client "
                                "sets none)\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:9: model_list[0].litellm_params.input_cost_per_"
                                "token: same as LiteLLM (a provider setting)\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:11: router_settings.routing_strategy: same as "
                                "LiteLLM\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:13: litellm_settings.disable_hf_tokenizer_download: "
                                "ignored: not implemented by llmux yet; ignored\n"));
  EXPECT_THAT(report, HasSubstr("config.yaml:16: credential_list: ignored"));
  // Lines follow the file; the counts close the report.
  EXPECT_LT(report.find("config.yaml:7:"), report.find("config.yaml:11:"));
  EXPECT_THAT(report, HasSubstr("\n16 keys: 13 same as LiteLLM, 3 ignored\n"));
  // Keys are named, values never (some are secrets).
  EXPECT_THAT(report, Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace llmux::app
