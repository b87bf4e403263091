#include "router/model_table.hpp"

#include "providers/mock_response.hpp"

#include "config/load.hpp"
#include "providers/registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace llmux::router {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

config::ModelEntry entry(std::string model_name, std::string model,
                         std::string api_base = "http://127.0.0.1:9/v1", int line = 1) {
  config::ModelEntry result{.model_name = std::move(model_name), .line = line};
  result.params.model = std::move(model);
  result.params.api_base = std::move(api_base);
  result.params.api_key = "sk-test";  // set, so the process environment is never consulted
  return result;
}

config::Config config_of(std::vector<config::ModelEntry> entries) {
  return config::Config{.source = "config.yaml", .model_list = std::move(entries)};
}

ModelTable build(const config::Config& config) {
  std::vector<std::string> warnings;
  ModelTable table = ModelTable::build(config, warnings);
  EXPECT_THAT(warnings, IsEmpty());
  return table;
}

// The problems a config is refused with; fails the test if it builds.
std::vector<std::string> problems_of(const config::Config& config) {
  std::vector<std::string> warnings;
  try {
    ModelTable::build(config, warnings);
  } catch (const config::LoadError& error) {
    return error.problems;
  }
  ADD_FAILURE() << "expected a LoadError";
  return {};
}

const Deployment& only(const ModelTable& table, std::string_view name) {
  const auto* group = table.group(name);
  if (!group || group->size() != 1)
    throw std::runtime_error("expected one deployment for " + std::string(name));
  return group->front();
}

bool environment_has(const char* name) { return std::getenv(name) != nullptr; }

// Removes a variable from this process's environment for one test, and puts it back after.
class WithoutEnvironmentVariable {
 public:
  explicit WithoutEnvironmentVariable(const char* name) : name_(name) {
    if (const char* value = std::getenv(name)) saved_ = value;
    unsetenv(name);
  }
  ~WithoutEnvironmentVariable() {
    if (saved_) setenv(name_, saved_->c_str(), 1);
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(CallCost, TheDeploymentsPricesWithCachedTokensAtTheCacheReadPrice) {
  Deployment priced;
  priced.price = config::ModelPrice{.input_cost_per_token = 1e-06,
                                    .output_cost_per_token = 2e-06,
                                    .cache_read_input_token_cost = 1e-07};
  EXPECT_DOUBLE_EQ(
      call_cost(priced, {.prompt_tokens = 100, .completion_tokens = 10, .cached_tokens = 40}),
      60 * 1e-06 + 40 * 1e-07 + 10 * 2e-06);
  EXPECT_DOUBLE_EQ(call_cost(Deployment{}, {.prompt_tokens = 100, .completion_tokens = 10}),
                   0);  // no prices
}

TEST(WorstCaseCost, TheDearestDeploymentWithMaxTokensElseItsOutputLimit) {
  std::vector<Deployment> group(3);
  group[0].price = config::ModelPrice{
      .input_cost_per_token = 1e-06, .output_cost_per_token = 2e-06, .max_output_tokens = 1000};
  group[1].price = config::ModelPrice{
      .input_cost_per_token = 3e-06, .output_cost_per_token = 1e-06, .max_output_tokens = 100};
  // group[2] has no prices: it costs nothing.
  EXPECT_DOUBLE_EQ(worst_case_cost(group, 50, 10), 50 * 3e-06 + 10 * 1e-06);
  EXPECT_DOUBLE_EQ(worst_case_cost(group, 50, std::nullopt), 50 * 1e-06 + 1000 * 2e-06);
  group[0].price->max_output_tokens.reset();
  EXPECT_DOUBLE_EQ(worst_case_cost(group, 50, std::nullopt), 50 * 3e-06 + 100 * 1e-06)
      << "no output limit known: the prompt alone";
  EXPECT_DOUBLE_EQ(worst_case_cost({}, 50, 10), 0);
}

TEST(ModelTable, GroupsAndNamesInConfigOrder) {
  const ModelTable table = build(config_of({
      entry("b-model", "openai/gpt-4o", "http://127.0.0.1:1/v1"),
      entry("a-model", "groq/llama-3.1-8b-instant"),
      entry("b-model", "openai/gpt-4o", "http://127.0.0.1:2/v1"),
      entry("c-model", "hosted_vllm/Qwen/Qwen2.5-7B-Instruct"),
  }));
  EXPECT_THAT(table.model_names(), ElementsAre("b-model", "a-model", "c-model"));
  EXPECT_EQ(table.deployment_count(), 4u);
  const auto* group = table.group("b-model");
  ASSERT_NE(group, nullptr);
  ASSERT_THAT(*group, SizeIs(2));
  EXPECT_EQ((*group)[0].target.api_base, "http://127.0.0.1:1/v1");
  EXPECT_EQ((*group)[1].target.api_base, "http://127.0.0.1:2/v1");
  EXPECT_EQ((*group)[0].model_group, "b-model");
  EXPECT_EQ(table.group("unknown"), nullptr);
  EXPECT_EQ(table.group("B-MODEL"), nullptr);
  std::list<Deployment> owned;
  EXPECT_THAT(table.deployments_for("unknown", owned), IsEmpty());
}

TEST(ModelTable, EmptyConfigIsAnEmptyTable) {
  const ModelTable table = build(config_of({}));
  EXPECT_THAT(table.model_names(), IsEmpty());
  EXPECT_EQ(table.deployment_count(), 0u);
}

TEST(ModelTable, TargetFromLitellmParams) {
  config::ModelEntry e = entry("router-name", "openrouter/meta-llama/llama-3.1-70b-instruct",
                               "http://127.0.0.1:9/api/v1//");
  e.params.api_key = "sk-or-1";
  e.params.api_version = "2024-06-01";
  e.params.organization = "org-7";
  e.params.extra_headers = {{"HTTP-Referer", "https://app.test"}, {"X-Title", "app"}};
  e.params.extra = boost::json::parse(R"({"temperature":0.2,"max_tokens":100})").as_object();
  const ModelTable table = build(config_of({e}));
  const Deployment& deployment = only(table, "router-name");
  const providers::Target& target = deployment.target;
  EXPECT_EQ(target.provider, "openrouter");
  EXPECT_EQ(target.upstream_model, "meta-llama/llama-3.1-70b-instruct");
  EXPECT_EQ(target.api_base, "http://127.0.0.1:9/api/v1");  // trailing slashes trimmed
  EXPECT_EQ(target.api_key, "sk-or-1");
  EXPECT_EQ(target.api_version, "2024-06-01");
  EXPECT_EQ(target.organization, "org-7");
  EXPECT_EQ(target.extra_headers, e.params.extra_headers);
  EXPECT_EQ(target.default_params, e.params.extra);
  EXPECT_EQ(deployment.provider, providers::find_provider("openrouter")->provider);
  EXPECT_TRUE(target.mock_response.empty());
  EXPECT_TRUE(target.settings.empty());
  EXPECT_FALSE(target.drop_params);
}

TEST(ModelTable, ProviderSettingsAreKeptApartFromRequestDefaults) {
  config::ModelEntry e = entry("m", "openai/gpt-4o");
  e.params.extra =
      boost::json::parse(
          R"({"temperature":0.2,"azure_ad_token":"secret-token","vertex_project":"p","drop_params":true})")
          .as_object();
  const ModelTable table = build(config_of({e}));
  const providers::Target& target = only(table, "m").target;
  EXPECT_EQ(target.default_params, boost::json::parse(R"({"temperature":0.2})"));
  EXPECT_EQ(target.settings,
            boost::json::parse(
                R"({"azure_ad_token":"secret-token","vertex_project":"p","drop_params":true})"));
  EXPECT_TRUE(target.drop_params);
}

TEST(ModelTable, DropParamsFromLitellmSettingsUnlessTheDeploymentSaysOtherwise) {
  config::ModelEntry plain = entry("plain", "openai/gpt-4o");
  config::ModelEntry strict = entry("strict", "openai/gpt-4o");
  strict.params.extra = boost::json::parse(R"({"drop_params":false})").as_object();
  config::Config config = config_of({plain, strict});
  config.litellm_settings.drop_params = true;
  const ModelTable table = build(config);
  EXPECT_TRUE(only(table, "plain").target.drop_params);
  EXPECT_FALSE(only(table, "strict").target.drop_params);
}

TEST(ModelTable, UnprefixedModelIsOpenAi) {
  const ModelTable table = build(config_of({entry("gpt", "gpt-4o-mini")}));
  const Deployment& deployment = only(table, "gpt");
  EXPECT_EQ(deployment.target.provider, "openai");
  EXPECT_EQ(deployment.target.upstream_model, "gpt-4o-mini");
  EXPECT_EQ(deployment.provider, providers::find_provider("openai")->provider);
}

TEST(ModelTable, DefaultApiBasePerProvider) {
  const std::vector<std::pair<std::string, const char*>> cases = {
      {"openai", "OPENAI_API_BASE"},           {"groq", "GROQ_API_BASE"},
      {"deepseek", "DEEPSEEK_API_BASE"},       {"mistral", "MISTRAL_API_BASE"},
      {"together_ai", "TOGETHER_AI_API_BASE"}, {"lm_studio", "LM_STUDIO_API_BASE"},
  };
  for (const auto& [prefix, variable] : cases) {
    SCOPED_TRACE(prefix);
    if (environment_has(variable)) continue;  // this process's environment would take precedence
    const ModelTable table = build(config_of({entry("m", prefix + "/model", "")}));
    const Deployment& deployment = only(table, "m");
    EXPECT_EQ(deployment.target.api_base, providers::find_provider(prefix)->default_api_base);
    EXPECT_FALSE(deployment.target.api_base.empty());
  }
}

TEST(ModelTable, IdFromModelInfo) {
  config::ModelEntry e = entry("m", "openai/gpt-4o");
  e.model_info = boost::json::parse(R"({"id":"my-deployment-1","other":true})").as_object();
  EXPECT_EQ(only(build(config_of({e})), "m").id, "my-deployment-1");
}

TEST(ModelTable, HealthCheckFromModelInfoElseThePriceMapsMode) {
  config::ModelEntry e = entry("m", "openai/*");
  e.model_info = boost::json::parse(R"({"mode":"embedding","health_check_model":"openai/gpt-4o",)"
                                    R"("health_check_timeout":2.5,"health_check_max_tokens":5})")
                     .as_object();
  const Deployment::HealthCheck check = only(build(config_of({e})), "m").health_check;
  EXPECT_EQ(check.mode, "embedding");
  EXPECT_EQ(check.model, "openai/gpt-4o");
  EXPECT_EQ(check.timeout, 2500ms);
  EXPECT_EQ(check.max_tokens, 5);

  const Deployment::HealthCheck defaults =
      only(build(config_of({entry("e", "openai/text-embedding-3-small")})), "e").health_check;
  EXPECT_EQ(defaults.mode, "embedding");  // the built-in map knows the model
  EXPECT_EQ(defaults.model, "");
  EXPECT_EQ(defaults.timeout, 60s);  // LiteLLM's HEALTH_CHECK_TIMEOUT_SECONDS
  EXPECT_EQ(defaults.max_tokens, 16);
  EXPECT_EQ(only(build(config_of({entry("u", "openai/no-such-model")})), "u").health_check.mode,
            "");
}

config::ModelEntry with_access_groups(config::ModelEntry e, std::string_view groups) {
  e.model_info = boost::json::parse(groups).as_object();
  return e;
}

TEST(ModelTable, AccessGroupsOfAGroupAreItsDeploymentsUnion) {
  const ModelTable table = build(config_of({
      with_access_groups(entry("gpt", "openai/a"), R"({"access_groups":["beta","cheap"]})"),
      with_access_groups(entry("gpt", "openai/b"), R"({"access_groups":["beta","all"]})"),
      entry("claude", "anthropic/c"),
  }));
  EXPECT_THAT(table.access_groups_of("gpt"), ElementsAre("all", "beta", "cheap"));
  EXPECT_THAT(table.group("gpt")->front().access_groups, ElementsAre("beta", "cheap"));
  EXPECT_THAT(table.access_groups_of("claude"), IsEmpty());
  EXPECT_THAT(table.access_groups_of("unknown"), IsEmpty());
  EXPECT_EQ(table.provider_of("claude"), "anthropic");
  EXPECT_EQ(table.provider_of("unknown"), "");
}

TEST(ModelTable, AccessGroupsMustBeAListOfNames) {
  for (const char* bad : {R"({"access_groups":"beta"})", R"({"access_groups":["beta",1]})"}) {
    EXPECT_THAT(
        problems_of(config_of(
            {with_access_groups(entry("m", "openai/a", "http://127.0.0.1:9/v1", 7), bad)})),
        ElementsAre(
            "config.yaml:7: model_list 'm': model_info.access_groups must be a list of strings"))
        << bad;
  }
}

std::string id_of(const config::ModelEntry& e) {
  return only(build(config_of({e})), e.model_name).id;
}

TEST(ModelTable, StableHashIdWithoutModelInfo) {
  const config::ModelEntry base = entry("m", "openai/gpt-4o");
  const std::string id = id_of(base);
  ASSERT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_EQ(id_of(base), id);  // the same in every build

  // Never depends on the key, nor on where the entry sits in the file.
  config::ModelEntry other_key = base;
  other_key.params.api_key = "sk-rotated";
  EXPECT_EQ(id_of(other_key), id);
  config::ModelEntry other_line = base;
  other_line.line = 42;
  EXPECT_EQ(id_of(other_line), id);
  // A model_info.id that is not a string does not name the deployment.
  config::ModelEntry numeric_id = base;
  numeric_id.model_info = boost::json::parse(R"({"id":7})").as_object();
  EXPECT_EQ(id_of(numeric_id), id);

  // Any difference in what the deployment is gives another id.
  std::vector<config::ModelEntry> variants(5, base);
  variants[0].model_name = "m2";
  variants[1].params.model = "openai/gpt-4o-mini";
  variants[2].params.api_base = "http://127.0.0.1:10/v1";
  variants[3].params.api_version = "2024-06-01";
  variants[4].params.extra = boost::json::parse(R"({"temperature":0})").as_object();
  std::set<std::string> ids = {id};
  for (const auto& variant : variants)
    EXPECT_TRUE(ids.insert(id_of(variant)).second) << variant.model_name;
}

TEST(ModelTable, UnknownProviderIsAProblemNamingTheKnownList) {
  const auto problems = problems_of(config_of({
      entry("ok", "openai/gpt-4o", "http://127.0.0.1:9/v1", 3),
      entry("bad-one", "made_up/some-model", "http://127.0.0.1:9/v1", 7),
      entry("bad-two", "meta-llama/Llama-3", "http://127.0.0.1:9/v1", 11),
  }));
  ASSERT_THAT(problems, SizeIs(2));  // every problem at once
  EXPECT_THAT(problems[0],
              AllOf(HasSubstr("config.yaml:7"), HasSubstr("bad-one"), HasSubstr("'made_up'"),
                    HasSubstr(providers::known_provider_list())));
  EXPECT_THAT(problems[1], AllOf(HasSubstr("config.yaml:11"), HasSubstr("'meta-llama'")));
  for (const auto& problem : problems) EXPECT_THAT(problem, ::testing::Not(HasSubstr("sk-test")));
}

TEST(ModelTable, ProvidersPrepareTheirTargetsWhenTheTableIsBuilt) {
  const WithoutEnvironmentVariable no_override(
      "AWS_BEDROCK_RUNTIME_ENDPOINT");  // it would take precedence
  auto regional = entry("regional", "bedrock/amazon.nova-lite-v1:0", "");
  regional.params.extra["aws_region_name"] = "eu-west-3";
  auto mocked = entry("mocked", "bedrock/amazon.nova-lite-v1:0", "");
  mocked.params.extra["aws_bedrock_runtime_endpoint"] = "http://127.0.0.1:9/";
  const ModelTable table = build(config_of({regional, mocked}));
  EXPECT_EQ(only(table, "regional").target.api_base,
            "https://bedrock-runtime.eu-west-3.amazonaws.com");
  EXPECT_EQ(only(table, "mocked").target.api_base, "http://127.0.0.1:9") << "trimmed after prepare";
  EXPECT_TRUE(table.needs_tls());
}

TEST(ModelTable, PlannedProviderIsSkippedWithAWarning) {
  std::vector<std::string> warnings;
  const ModelTable table =
      ModelTable::build(config_of({entry("granite", "watsonx/ibm/granite-13b-chat-v2", "", 4),
                                   entry("gpt", "openai/gpt-4o")}),
                        warnings);
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0],
              AllOf(HasSubstr("config.yaml:4"), HasSubstr("granite"), HasSubstr("'watsonx'")));
  EXPECT_EQ(table.group("granite"), nullptr);
  EXPECT_THAT(table.model_names(), ElementsAre("gpt"));
}

TEST(ModelTable, MockResponseNeedsNoProviderNorBase) {
  config::ModelEntry mock = entry("fake", "anything/at-all", "");
  mock.params.mock_response = "Hello!";
  config::ModelEntry mock_vllm = entry("fake-vllm", "custom_openai/m", "");
  mock_vllm.params.mock_response = "Hi";
  const ModelTable table = build(config_of({mock, mock_vllm}));
  const Deployment& deployment = only(table, "fake");
  EXPECT_EQ(deployment.target.mock_response, "Hello!");
  EXPECT_EQ(deployment.provider, &providers::mock_response_provider());  // answered in process
  EXPECT_EQ(only(table, "fake-vllm").target.mock_response, "Hi");
  EXPECT_EQ(only(table, "fake-vllm").provider, &providers::mock_response_provider());
}

TEST(ModelTable, SelfHostedProviderNeedsAnApiBase) {
  // custom_openai reads no environment variable for its base, so this holds whatever the
  // environment.
  const auto problems = problems_of(config_of({entry("local", "custom_openai/my-model", "", 5)}));
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0],
              AllOf(HasSubstr("config.yaml:5"), HasSubstr("api_base"), HasSubstr("custom_openai")));
  if (!environment_has("HOSTED_VLLM_API_BASE")) {
    EXPECT_THAT(
        problems_of(config_of({entry("vllm", "hosted_vllm/Qwen/Qwen2.5", "")})),
        ElementsAre(HasSubstr("litellm_params.api_base is required for provider 'hosted_vllm'")));
  }
}

TEST(ModelTable, AnApiBaseThatIsNotAnHttpUrlIsRefusedAtLoad) {
  for (std::string base : {"http://127.0.0.1:9/v1\r\nX-Injected: 1", "http://127.0.0.1:9/v1\n",
                           "ftp://h/v1", "127.0.0.1:9/v1", "http:///v1", "http://h /v1"}) {
    const auto problems = problems_of(config_of({entry("m", "openai/x", base, 4)}));
    ASSERT_THAT(problems, SizeIs(1)) << base;
    EXPECT_EQ(
        problems[0],
        "config.yaml:4: model_list 'm': litellm_params.api_base is not an absolute http(s) URL");
  }
  EXPECT_NO_THROW(build(config_of({entry("m", "openai/x", "https://[::1]:8443/v1/")})));
}

TEST(ModelTable, AUserConfigsDeploymentsAreClientDestinations) {
  std::vector<std::string> warnings;
  const auto config = config_of({entry("m", "openai/x"), entry("local", "ollama/llama3", "")});
  const ModelTable clients = ModelTable::build(config, warnings, ConfigSource::user_config);
  EXPECT_EQ(only(clients, "m").client_destination, "user_config");
  // A provider's default base URL is the client's choice too, when the client chose the provider.
  EXPECT_EQ(only(clients, "local").target.api_base, "http://localhost:11434");
  EXPECT_EQ(only(clients, "local").client_destination, "user_config");
  EXPECT_EQ(only(build(config), "m").client_destination, "");
}

TEST(ModelTable, TimeoutPrecedence) {
  config::Config config = config_of({entry("m", "openai/gpt-4o")});
  // LiteLLM's default: 600 s.
  EXPECT_EQ(only(build(config), "m").timeout, 600s);
  EXPECT_EQ(only(build(config), "m").stream_timeout, 600s);
  // litellm_settings.request_timeout.
  config.litellm_settings.request_timeout_s = 30;
  EXPECT_EQ(only(build(config), "m").timeout, 30s);
  // router_settings.timeout wins over it.
  config.router_settings.timeout_s = 20;
  EXPECT_EQ(only(build(config), "m").timeout, 20s);
  EXPECT_EQ(only(build(config), "m").stream_timeout, 20s);
  // litellm_params.timeout wins over both, and is the stream timeout unless that is set.
  config.model_list[0].params.timeout_s = 5;
  EXPECT_EQ(only(build(config), "m").timeout, 5s);
  EXPECT_EQ(only(build(config), "m").stream_timeout, 5s);
  config.model_list[0].params.stream_timeout_s = 2.5;
  EXPECT_EQ(only(build(config), "m").timeout, 5s);
  EXPECT_EQ(only(build(config), "m").stream_timeout, 2500ms);
  // stream_timeout alone leaves the whole-call timeout to the settings.
  config.model_list[0].params.timeout_s.reset();
  EXPECT_EQ(only(build(config), "m").timeout, 20s);
  EXPECT_EQ(only(build(config), "m").stream_timeout, 2500ms);
  config.model_list[0].params.stream_timeout_s = 0.25;
  EXPECT_EQ(only(build(config), "m").stream_timeout, 250ms);
}

TEST(ModelTable, WeightsDefaultToOne) {
  std::vector<config::ModelEntry> entries(3, entry("m", "openai/gpt-4o"));
  entries[1].params.weight = 0;
  entries[2].params.weight = 2.5;
  const ModelTable table = build(config_of(entries));
  const auto* group = table.group("m");
  ASSERT_NE(group, nullptr);
  EXPECT_EQ((*group)[0].weight, 1.0);
  EXPECT_EQ((*group)[1].weight,
            1.0);  // llmux counts a non-positive weight as 1 (LiteLLM: never picked)
  EXPECT_EQ((*group)[2].weight, 2.5);
}

TEST(ModelTable, ShareIsWeightElseRpmElseTpm) {
  std::vector<config::ModelEntry> entries(4, entry("m", "openai/gpt-4o"));
  entries[0].params.weight = 2;
  entries[0].params.rpm = 100;
  entries[1].params.rpm = 100;
  entries[1].params.tpm = 5000;
  entries[2].params.tpm = 5000;
  const ModelTable table = build(config_of(entries));
  const auto& group = *table.group("m");
  EXPECT_EQ(group[0].weight, 2.0);
  EXPECT_EQ(group[1].weight, 100.0);
  EXPECT_EQ(group[1].rpm, 100);
  EXPECT_EQ(group[2].weight, 5000.0);
  EXPECT_EQ(group[3].weight, 1.0);
}

TEST(ModelTable, DeploymentsGetDenseIndexesOrderAndContextWindow) {
  std::vector<config::ModelEntry> entries{entry("a", "openai/x"), entry("b", "openai/y"),
                                          entry("b", "openai/z")};
  entries[1].params.order = 2;
  entries[2].model_info["max_input_tokens"] = 8192;
  const ModelTable table = build(config_of(entries));
  EXPECT_EQ(only(table, "a").index, 0u);
  const auto& group = *table.group("b");
  EXPECT_EQ(group[0].index, 1u);
  EXPECT_EQ(group[1].index, 2u);
  EXPECT_EQ(group[0].order, 2);
  EXPECT_EQ(group[1].order, std::nullopt);
  EXPECT_EQ(group[1].max_input_tokens, 8192);
  // The only deployment of a group never cools (LiteLLM): cooling it would just hide its answer.
  EXPECT_FALSE(only(table, "a").cools);
  EXPECT_TRUE(group[0].cools);
}

TEST(ModelTable, AliasesNameAnotherGroup) {
  auto config = config_of({entry("gpt-4o", "openai/gpt-4o")});
  config.router_settings.model_group_alias = {{"gpt-4", "gpt-4o"}};
  const ModelTable table = build(config);
  EXPECT_EQ(table.group_name("gpt-4"), "gpt-4o");
  EXPECT_EQ(table.group_name("gpt-4o"), "gpt-4o");
  EXPECT_EQ(table.group_name("other"), "other");
}

TEST(ModelTable, WildcardEntriesServeAnyMatchingModel) {
  const ModelTable table = build(config_of({
      entry("openai/*", "openai/*", "http://127.0.0.1:1/v1"),
      entry("*", "*", "http://127.0.0.1:2/v1"),
      entry("exact", "openai/exact-upstream", "http://127.0.0.1:3/v1"),
  }));
  std::list<Deployment> owned;
  auto served = table.deployments_for("openai/gpt-4o-mini", owned);
  ASSERT_THAT(served, SizeIs(1));
  EXPECT_EQ(served[0]->target.upstream_model, "gpt-4o-mini");
  EXPECT_EQ(served[0]->target.api_base, "http://127.0.0.1:1/v1");  // the more specific pattern wins
  EXPECT_EQ(served[0]->model_group, "openai/gpt-4o-mini");
  EXPECT_EQ(served[0]->index,
            table.group("openai/*")->front().index);  // health shared with the entry

  served = table.deployments_for("groq/llama-3.1-8b-instant", owned);
  ASSERT_THAT(served, SizeIs(1));
  EXPECT_EQ(served[0]->target.provider, "groq");
  EXPECT_EQ(served[0]->target.upstream_model, "llama-3.1-8b-instant");
  EXPECT_NE(served[0]->provider, nullptr);

  served = table.deployments_for("exact", owned);
  ASSERT_THAT(served, SizeIs(1));
  EXPECT_EQ(served[0]->target.upstream_model, "exact-upstream");
  // "*" with a provider nobody knows serves nothing; a pattern itself is not a model.
  EXPECT_THAT(table.deployments_for("nosuchprovider/x", owned), IsEmpty());
  EXPECT_THAT(table.deployments_for("*", owned), IsEmpty());
  EXPECT_THAT(table.deployments_for("openai/*", owned), IsEmpty());
}

TEST(ModelTable, ClientSideAuthParamsAndApiBasePatterns) {
  auto config = config_of({entry("m", "openai/x")});
  config.model_list[0].params.extra["configurable_clientside_auth_params"] =
      boost::json::parse(R"(["api_key", {"api_base": "^https://[a-z]+\\.example\\.com/v1$"}])");
  const ModelTable table = build(config);
  const Deployment& deployment = only(table, "m");
  EXPECT_THAT(deployment.clientside_params, ElementsAre("api_key"));
  ASSERT_THAT(deployment.clientside_api_bases, SizeIs(1));
  EXPECT_TRUE(std::regex_match("https://eu.example.com/v1", deployment.clientside_api_bases[0]));
  EXPECT_FALSE(std::regex_match("https://evil.com/v1", deployment.clientside_api_bases[0]));

  config.model_list[0].params.extra["configurable_clientside_auth_params"] =
      boost::json::parse(R"([{"api_base": "("}])");
  EXPECT_THAT(problems_of(config), ElementsAre(HasSubstr("not a valid regular expression")));
}

}  // namespace
}  // namespace llmux::router

namespace llmux::router {
namespace {

TEST(ModelTablePrices, FromTheBuiltInMapByUpstreamModel) {
  const ModelTable table = build(config_of({entry("m", "openai/gpt-4o")}));
  const Deployment& deployment = only(table, "m");
  ASSERT_TRUE(deployment.price);
  EXPECT_DOUBLE_EQ(deployment.price->input_cost_per_token, 2.5e-06);
  EXPECT_EQ(deployment.target.max_output_tokens, 16384);
}

TEST(ModelTablePrices, BaseModelNamesTheEntryForAnUnknownDeploymentName) {
  config::ModelEntry e = entry("m", "openai/my-finetune");
  e.model_info = boost::json::parse(R"({"id":"x","base_model":"azure/gpt-4o"})").as_object();
  const ModelTable table = build(config_of({e}));
  ASSERT_TRUE(only(table, "m").price);
  EXPECT_DOUBLE_EQ(only(table, "m").price->output_cost_per_token, 1e-05);
}

TEST(ModelTablePrices, ConfigOverridesFieldByFieldAndCanPriceAnUnknownModel) {
  config::ModelEntry known = entry("known", "openai/gpt-4o");
  known.model_info = boost::json::parse(R"({"max_output_tokens":1000})").as_object();
  known.params.extra = boost::json::parse(R"({"input_cost_per_token":0.5})").as_object();
  config::ModelEntry unknown = entry("unknown", "openai/local-llama");
  unknown.params.extra =
      boost::json::parse(R"({"input_cost_per_token":1e-7,"output_cost_per_token":2e-7})")
          .as_object();
  config::ModelEntry unpriced = entry("unpriced", "openai/local-llama");
  const ModelTable table = build(config_of({known, unknown, unpriced}));
  const auto& k = only(table, "known");
  EXPECT_DOUBLE_EQ(k.price->input_cost_per_token, 0.5);
  EXPECT_DOUBLE_EQ(k.price->output_cost_per_token, 1e-05) << "kept from the map";
  EXPECT_EQ(k.target.max_output_tokens, 1000);
  EXPECT_TRUE(k.target.default_params.empty()) << "prices are settings, not request fields";
  ASSERT_TRUE(only(table, "unknown").price);
  EXPECT_DOUBLE_EQ(only(table, "unknown").price->output_cost_per_token, 2e-7);
  EXPECT_FALSE(only(table, "unpriced").price);
  EXPECT_FALSE(only(table, "unpriced").target.max_output_tokens);
}

}  // namespace
}  // namespace llmux::router

namespace llmux::router {
namespace {

TEST(ModelTable, ContextWindowComesFromModelInfoElseThePriceMap) {
  auto known = entry("known", "openai/gpt-4o");
  auto overridden = entry("overridden", "openai/gpt-4o");
  overridden.model_info["max_input_tokens"] = 1000;
  const ModelTable table =
      build(config_of({known, overridden, entry("unknown", "openai/no-such-model-xyz")}));
  const auto* price = config::ModelPrices::builtin().find("openai", "gpt-4o");
  ASSERT_NE(price, nullptr);
  ASSERT_TRUE(price->max_input_tokens);
  EXPECT_EQ(only(table, "known").max_input_tokens, *price->max_input_tokens);
  EXPECT_EQ(only(table, "overridden").max_input_tokens, 1000);
  EXPECT_EQ(only(table, "unknown").max_input_tokens, std::nullopt);
}

}  // namespace
}  // namespace llmux::router
