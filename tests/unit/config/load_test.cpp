#include "config/load.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace llmux::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

EnvLookup env_of(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
}

const EnvLookup kNoEnv = env_of({});

Config load(std::string_view yaml, const EnvLookup& env = kNoEnv) {
  return load_string(yaml, "config.yaml", env);
}

// The problems a document produces; fails the test if it loads.
std::vector<std::string> problems_of(std::string_view yaml, const EnvLookup& env = kNoEnv) {
  try {
    load(yaml, env);
  } catch (const LoadError& error) {
    return error.problems;
  }
  ADD_FAILURE() << "expected a LoadError";
  return {};
}

std::string all_text(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

TEST(LoadString, EmptyDocumentIsAValidEmptyConfig) {
  for (std::string_view yaml : {"", "\n", "# only a comment\n"}) {
    const Config config = load(yaml);
    EXPECT_THAT(config.model_list, IsEmpty());
    EXPECT_THAT(config.warnings, IsEmpty());
    EXPECT_EQ(config.source, "config.yaml");
    EXPECT_EQ(config.general_settings.master_key, "");
    EXPECT_EQ(config.litellm_settings.request_timeout_s, 600);
    EXPECT_EQ(config.router_settings.routing_strategy, "simple-shuffle");
  }
}

TEST(LoadString, ReadsTypedLitellmParams) {
  const Config config = load(R"(
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: https://example.test/v1
      api_key: sk-plain
      api_version: "2024-06-01"
      organization: org-1
      timeout: 30
      stream_timeout: 2.5
      max_retries: 3
      rpm: 100
      tpm: 20000
      weight: 2
      extra_headers:
        X-Team: blue
        X-Count: 7
      mock_response: hi there
)");
  ASSERT_EQ(config.model_list.size(), 1u);
  const ModelEntry& model = config.model_list[0];
  EXPECT_EQ(model.model_name, "gpt-4o");
  EXPECT_EQ(model.line, 3);
  const LitellmParams& params = model.params;
  EXPECT_EQ(params.model, "openai/gpt-4o");
  EXPECT_EQ(params.api_base, "https://example.test/v1");
  EXPECT_EQ(params.api_key, "sk-plain");
  EXPECT_EQ(params.api_version, "2024-06-01");
  EXPECT_EQ(params.organization, "org-1");
  EXPECT_EQ(params.timeout_s, 30.0);
  EXPECT_EQ(params.stream_timeout_s, 2.5);
  EXPECT_EQ(params.max_retries, 3);
  EXPECT_EQ(params.rpm, 100);
  EXPECT_EQ(params.tpm, 20000);
  EXPECT_EQ(params.weight, 2.0);
  EXPECT_THAT(params.extra_headers,
              ElementsAre(std::pair<std::string, std::string>("X-Team", "blue"),
                          std::pair<std::string, std::string>("X-Count", "7")));
  EXPECT_EQ(params.mock_response, "hi there");
  EXPECT_THAT(params.extra, IsEmpty());
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(LoadString, OptionalParamsStayUnsetWhenAbsentOrNull) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params:
      model: openai/a
      timeout:
      api_base: ~
)");
  const LitellmParams& params = config.model_list.at(0).params;
  EXPECT_FALSE(params.timeout_s);
  EXPECT_FALSE(params.rpm);
  EXPECT_FALSE(params.mock_response);
  EXPECT_EQ(params.api_base, "");
}

TEST(LoadString, NumericStringsAreAcceptedForNumbers) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a, timeout: "45", rpm: "60", weight: '0.5'}
)");
  const LitellmParams& params = config.model_list.at(0).params;
  EXPECT_EQ(params.timeout_s, 45.0);
  EXPECT_EQ(params.rpm, 60);
  EXPECT_EQ(params.weight, 0.5);
}

// Every kind of key LiteLLM documents for litellm_params (docs/configuration.md), one row each:
// what llmux reads itself, a provider's setting, a LiteLLM setting llmux does not implement
// (warned, never sent upstream: a strict provider refuses a request carrying it), a request
// default (sent upstream when the client sets none).
enum class ParamKind { read, provider_setting, litellm_only, request_default };

struct ParamRow {
  std::string_view key;
  std::string_view value;  // YAML
  ParamKind kind;
};

constexpr ParamRow kLitellmParams[] = {
    {"api_base", "http://127.0.0.1:9/v1", ParamKind::read},
    {"api_key", "sk-x", ParamKind::read},
    {"api_version", "2024-10-21", ParamKind::read},
    {"organization", "org-1", ParamKind::read},
    {"timeout", "30", ParamKind::read},
    {"stream_timeout", "5", ParamKind::read},
    {"max_retries", "2", ParamKind::read},
    {"rpm", "600", ParamKind::read},
    {"tpm", "200000", ParamKind::read},
    {"weight", "2", ParamKind::read},
    {"order", "1", ParamKind::read},
    {"extra_headers", "{X-A: b}", ParamKind::read},
    {"mock_response", "hi", ParamKind::read},
    {"drop_params", "true", ParamKind::provider_setting},
    {"additional_drop_params", "[seed]", ParamKind::provider_setting},
    {"input_cost_per_token", "0.000001", ParamKind::provider_setting},
    {"output_cost_per_token", "0.000002", ParamKind::provider_setting},
    {"cache_read_input_token_cost", "0.0000001", ParamKind::provider_setting},
    {"cache_creation_input_token_cost", "0.0000003", ParamKind::provider_setting},
    {"aws_region_name", "eu-west-1", ParamKind::provider_setting},
    {"vertex_project", "p", ParamKind::provider_setting},
    {"azure_ad_token", "t", ParamKind::provider_setting},
    {"configurable_clientside_auth_params", "[api_key]", ParamKind::provider_setting},
    {"cooldown_time", "30", ParamKind::litellm_only},
    {"max_parallel_requests", "4", ParamKind::litellm_only},
    {"itpm", "1000", ParamKind::litellm_only},
    {"otpm", "1000", ParamKind::litellm_only},
    {"tags", "[fast]", ParamKind::litellm_only},
    {"tag_regex", "['^User-Agent: x']", ParamKind::litellm_only},
    {"region_name", "eu", ParamKind::litellm_only},
    {"num_retries", "3", ParamKind::litellm_only},
    {"mock_timeout", "true", ParamKind::litellm_only},
    {"litellm_credential_name", "azure-creds", ParamKind::litellm_only},
    {"custom_llm_provider", "openai", ParamKind::litellm_only},
    {"base_model", "azure/gpt-4o", ParamKind::litellm_only},
    {"merge_reasoning_content_in_choices", "true", ParamKind::litellm_only},
    {"use_in_pass_through", "false", ParamKind::litellm_only},
    {"use_litellm_proxy", "false", ParamKind::litellm_only},
    {"supports_system_message", "false", ParamKind::litellm_only},
    {"allowed_openai_params", "[tools]", ParamKind::litellm_only},
    {"metadata", "{team: a}", ParamKind::litellm_only},
    {"fallbacks", "[b]", ParamKind::litellm_only},
    {"max_budget", "10", ParamKind::litellm_only},
    {"budget_duration", "30d", ParamKind::litellm_only},
    {"input_cost_per_second", "0.001", ParamKind::litellm_only},
    {"output_cost_per_reasoning_token", "0.00001", ParamKind::litellm_only},
    {"input_cost_per_token_above_200k_tokens", "0.000002", ParamKind::litellm_only},
    {"tenant_id", "tenant", ParamKind::litellm_only},
    {"client_secret", "shh-secret", ParamKind::litellm_only},
    {"langfuse_public_key", "pk", ParamKind::litellm_only},
    {"s3_bucket_name", "b", ParamKind::litellm_only},
    {"temperature", "0.2", ParamKind::request_default},
    {"max_tokens", "256", ParamKind::request_default},
    {"top_p", "0.9", ParamKind::request_default},
    {"seed", "7", ParamKind::request_default},
    {"reasoning_effort", "low", ParamKind::request_default},
    {"response_format", "{type: json_object}", ParamKind::request_default},
    {"extra_body", "{x: 1}", ParamKind::request_default},
    {"top_k", "40", ParamKind::request_default},
    {"safety_settings", "[]", ParamKind::request_default},
};

TEST(LoadString, EachDocumentedLitellmParamIsReadKeptForItsProviderIgnoredOrARequestDefault) {
  std::string yaml = "model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/m\n";
  for (const ParamRow& row : kLitellmParams)
    yaml += "      " + std::string(row.key) + ": " + std::string(row.value) + "\n";
  const Config config = load(yaml);
  const auto& extra = config.model_list.at(0).params.extra;
  for (const ParamRow& row : kLitellmParams) {
    const std::string path = "model_list[0].litellm_params." + std::string(row.key) + ":";
    const bool warned = std::ranges::any_of(config.warnings, [&](const std::string& warning) {
      return warning.find(path) != std::string::npos;
    });
    const bool kept = extra.contains(row.key);
    switch (row.kind) {
      case ParamKind::read: EXPECT_FALSE(warned || kept) << row.key; break;
      case ParamKind::provider_setting:
      case ParamKind::request_default: EXPECT_TRUE(kept && !warned) << row.key; break;
      case ParamKind::litellm_only: EXPECT_TRUE(warned && !kept) << row.key; break;
    }
  }
  EXPECT_THAT(all_text(config.warnings),
              AllOf(HasSubstr("config.yaml:28: model_list[0].litellm_params.cooldown_time: a "
                              "LiteLLM setting llmux does not implement; ignored (not sent "
                              "upstream)"),
                    Not(HasSubstr("shh-secret"))));
}

TEST(LoadString, OtherLitellmParamsBecomeJsonAsPyYamlReadsThem) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params:
      model: openai/a
      temperature: 0.2
      max_tokens: 256
      big: 123456789012
      stream: true
      logprobs: False
      legacy_yes: yes
      nothing: null
      tilde: ~
      quoted_number: "42"
      quoted_bool: 'true'
      text: hello world
      stop: ["\n", END, 3]
      nested: {region: eu-west-1, retries: {count: 2, backoff: 1.5}}
      literal: |
        line one
)");
  const boost::json::object& extra = config.model_list.at(0).params.extra;
  EXPECT_EQ(extra, boost::json::parse(R"({
    "temperature": 0.2, "max_tokens": 256, "big": 123456789012, "stream": true,
    "logprobs": false, "legacy_yes": true, "nothing": null, "tilde": null,
    "quoted_number": "42", "quoted_bool": "true", "text": "hello world",
    "stop": ["\n", "END", 3],
    "nested": {"region": "eu-west-1", "retries": {"count": 2, "backoff": 1.5}},
    "literal": "line one\n"
  })")
                       .as_object());
  EXPECT_TRUE(extra.at("max_tokens").is_int64());
  EXPECT_TRUE(extra.at("temperature").is_double());
}

TEST(LoadString, ModelInfoIsKeptAsJson) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a}
    model_info:
      id: deployment-1
      mode: embedding
      input_cost_per_token: 0.0000001
      max_tokens: 8191
)");
  EXPECT_EQ(config.model_list.at(0).model_info,
            boost::json::parse(R"({"id": "deployment-1", "mode": "embedding",
              "input_cost_per_token": 1e-7, "max_tokens": 8191})")
                .as_object());
}

TEST(LoadString, ModelEntryLineIsOneBasedLineOfTheEntry) {
  const Config config = load(R"(# header
model_list:
  - model_name: first
    litellm_params: {model: openai/a}

  - litellm_params: {model: openai/b}
    model_name: second
)");
  ASSERT_EQ(config.model_list.size(), 2u);
  EXPECT_EQ(config.model_list[0].line, 3);
  EXPECT_EQ(config.model_list[1].line, 6);
}

TEST(LoadString, OsEnvironIsReplacedWhereverAStringStands) {
  const Config config = load(R"(
model_list:
  - model_name: os.environ/MODEL_NAME
    litellm_params:
      model: openai/a
      api_key: os.environ/OPENAI_API_KEY
      api_base: os.environ/BASE
      timeout: os.environ/TIMEOUT
      extra_headers:
        Authorization: os.environ/HEADER_TOKEN
      vertex_credentials: {project: os.environ/PROJECT, scopes: [os.environ/SCOPE, fixed]}
    model_info:
      owner: os.environ/OWNER
general_settings:
  master_key: os.environ/MY_MASTER
)",
                             env_of({{"MODEL_NAME", "named"},
                                     {"OPENAI_API_KEY", "sk-from-env"},
                                     {"BASE", "http://127.0.0.1:9/v1"},
                                     {"TIMEOUT", "12"},
                                     {"HEADER_TOKEN", "Bearer t"},
                                     {"PROJECT", "p1"},
                                     {"SCOPE", "true"},
                                     {"OWNER", "team-a"},
                                     {"MY_MASTER", "sk-master"}}));
  const ModelEntry& model = config.model_list.at(0);
  EXPECT_EQ(model.model_name, "named");
  EXPECT_EQ(model.params.api_key, "sk-from-env");
  EXPECT_EQ(model.params.api_base, "http://127.0.0.1:9/v1");
  EXPECT_EQ(model.params.timeout_s, 12.0);
  EXPECT_THAT(model.params.extra_headers,
              ElementsAre(std::pair<std::string, std::string>("Authorization", "Bearer t")));
  // Values from the environment are strings even when they look like a bool.
  EXPECT_EQ(model.params.extra.at("vertex_credentials"),
            boost::json::parse(R"({"project": "p1", "scopes": ["true", "fixed"]})"));
  EXPECT_EQ(model.model_info.at("owner"), "team-a");
  EXPECT_EQ(config.general_settings.master_key, "sk-master");
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(LoadString, EnvironmentVariablesAreVisibleToOsEnvironAndReturned) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a, api_key: os.environ/FILE_KEY, api_base: os.environ/BASE}
environment_variables:
  FILE_KEY: sk-in-file
  BASE: http://127.0.0.1:1/v1
  PORT_NUMBER: 6379
  FROM_ENV: os.environ/OUTER
)",
                             env_of({{"BASE", "http://127.0.0.1:2/v1"}, {"OUTER", "outer"}}));
  const LitellmParams& params = config.model_list.at(0).params;
  EXPECT_EQ(params.api_key, "sk-in-file");
  // A variable already set in the process wins over the file, as in LiteLLM.
  EXPECT_EQ(params.api_base, "http://127.0.0.1:2/v1");
  using Pair = std::pair<std::string, std::string>;
  EXPECT_THAT(config.environment_variables,
              ElementsAre(Pair("FILE_KEY", "sk-in-file"), Pair("BASE", "http://127.0.0.1:2/v1"),
                          Pair("PORT_NUMBER", "6379"), Pair("FROM_ENV", "outer")));
}

TEST(LoadString, UnsetVariableWarnsWithPathAndNameAndBecomesEmpty) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params:
      model: openai/a
      api_key: os.environ/MISSING_KEY
      timeout: os.environ/MISSING_TIMEOUT
)");
  const LitellmParams& params = config.model_list.at(0).params;
  EXPECT_EQ(params.api_key, "");
  EXPECT_FALSE(params.timeout_s);  // an empty number keeps the default instead of failing
  EXPECT_THAT(config.warnings,
              ElementsAre("config.yaml:6: model_list[0].litellm_params.api_key: environment "
                          "variable MISSING_KEY is not set; using an empty value",
                          "config.yaml:7: model_list[0].litellm_params.timeout: environment "
                          "variable MISSING_TIMEOUT is not set; using an empty value"));
}

TEST(LoadString, MasterKeyComesFromGeneralSettings) {
  const Config config = load("general_settings:\n  master_key: sk-1234\n",
                             env_of({{"LITELLM_MASTER_KEY", "sk-env"}}));
  EXPECT_EQ(config.general_settings.master_key, "sk-1234");
}

TEST(LoadString, MasterKeyFallsBackToLitellmMasterKeyVariable) {
  EXPECT_EQ(load("", env_of({{"LITELLM_MASTER_KEY", "sk-env"}})).general_settings.master_key,
            "sk-env");
  EXPECT_EQ(
      load("environment_variables:\n  LITELLM_MASTER_KEY: sk-file\n").general_settings.master_key,
      "sk-file");
}

TEST(LoadString, ReadsSettingsBlocks) {
  const Config config = load(R"(
litellm_settings:
  drop_params: true
  num_retries: 2
  request_timeout: 90
  set_verbose: on
  max_end_user_budget: 0.25
router_settings:
  routing_strategy: least-busy
  num_retries: 4
  timeout: 15.5
general_settings:
  max_request_size_mb: 10
  max_header_size_kb: 16
  keepalive_timeout_s: 5
  request_read_timeout_s: 7
  drain_timeout_s: 3
  max_connections: 250
  max_connections_per_ip: 20
  max_requests_per_second_per_ip: 10
  request_burst_per_ip: 20
  use_x_forwarded_for: true
  max_upstream_response_size_mb: 8
  max_upstream_event_size_mb: 0.5
)");
  EXPECT_TRUE(config.litellm_settings.drop_params);
  EXPECT_EQ(config.litellm_settings.num_retries, 2);
  EXPECT_EQ(config.litellm_settings.request_timeout_s, 90);
  EXPECT_TRUE(config.litellm_settings.set_verbose);
  EXPECT_EQ(config.litellm_settings.max_end_user_budget, 0.25);
  EXPECT_EQ(load("litellm_settings:\n  drop_params: true\n").litellm_settings.max_end_user_budget,
            std::nullopt);
  EXPECT_THAT(problems_of("litellm_settings:\n  max_end_user_budget: -1\n"),
              ElementsAre(HasSubstr("config.yaml:2: litellm_settings.max_end_user_budget:")));
  EXPECT_EQ(config.router_settings.routing_strategy, "least-busy");
  EXPECT_EQ(config.router_settings.num_retries, 4);
  EXPECT_EQ(config.router_settings.timeout_s, 15.5);
  EXPECT_EQ(config.general_settings.max_request_size_mb, 10);
  EXPECT_EQ(config.general_settings.max_header_size_kb, 16u);
  EXPECT_EQ(config.general_settings.keepalive_timeout_s, 5);
  EXPECT_EQ(config.general_settings.request_read_timeout_s, 7);
  EXPECT_EQ(config.general_settings.drain_timeout_s, 3);
  EXPECT_EQ(config.general_settings.max_connections, 250u);
  EXPECT_EQ(config.general_settings.max_connections_per_ip, 20u);
  EXPECT_EQ(config.general_settings.max_requests_per_second_per_ip, 10);
  EXPECT_EQ(config.general_settings.request_burst_per_ip, 20);
  EXPECT_TRUE(config.general_settings.use_x_forwarded_for);
  EXPECT_EQ(config.general_settings.max_upstream_response_size_mb, 8);
  EXPECT_EQ(config.general_settings.max_upstream_event_size_mb, 0.5);
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(LoadString, RequestMemoryIsTenLargestBodiesUnlessSetAndNeverLessThanOne) {
  EXPECT_EQ(
      load("general_settings: {max_request_size_mb: 8}\n").general_settings.max_request_memory_mb,
      80);
  EXPECT_EQ(load("general_settings: {}\n").general_settings.max_request_memory_mb, 500);
  EXPECT_EQ(load("general_settings: {max_request_size_mb: 8, max_request_memory_mb: 8}\n")
                .general_settings.max_request_memory_mb,
            8);
  EXPECT_THAT(
      problems_of("general_settings:\n  max_request_size_mb: 8\n  max_request_memory_mb: 7.5\n"),
      ElementsAre("config.yaml:3: general_settings.max_request_memory_mb: must be at least "
                  "max_request_size_mb: a body of that size must fit"));
}

TEST(LoadString, RouterSettingsInLiteLLMSpellings) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a, order: 2}
litellm_settings:
  fallbacks: [{a: [b]}]
  context_window_fallbacks: [{a: [big]}]
router_settings:
  routing_strategy: usage-based-routing-v2
  stream_timeout: 2.5
  allowed_fails: 1
  cooldown_time: 30
  disable_cooldowns: yes
  retry_policy: {RateLimitErrorRetries: 4, TimeoutErrorRetries: 0, MadeUpRetries: 1}
  fallbacks: [{a: [c, d]}, {"*": [e]}]
  content_policy_fallbacks: {a: safe}
  default_fallbacks: [z]
  max_fallbacks: 2
  model_group_alias: {gpt-4: a, old: {model: a, hidden: true}}
  enable_pre_call_checks: true
general_settings:
  allow_client_side_credentials: true
)");
  EXPECT_EQ(config.model_list[0].params.order, 2);
  const RouterSettings& router = config.router_settings;
  EXPECT_EQ(router.routing_strategy, "usage-based-routing-v2");
  EXPECT_EQ(router.stream_timeout_s, 2.5);
  EXPECT_EQ(router.allowed_fails, 1);
  EXPECT_EQ(router.cooldown_time_s, 30);
  EXPECT_TRUE(router.disable_cooldowns);
  EXPECT_EQ(router.retry_policy, (std::vector<std::pair<std::string, int>>{
                                     {"RateLimitErrorRetries", 4}, {"TimeoutErrorRetries", 0}}));
  const FallbackMap expected{{"a", {"c", "d"}}, {"*", {"e"}}};
  EXPECT_EQ(router.fallback_settings.fallbacks, expected);
  EXPECT_EQ(router.fallback_settings.content_policy_fallbacks, (FallbackMap{{"a", {"safe"}}}));
  EXPECT_EQ(router.fallback_settings.default_fallbacks, std::vector<std::string>{"z"});
  EXPECT_EQ(router.max_fallbacks, 2);
  EXPECT_EQ(router.model_group_alias,
            (std::vector<std::pair<std::string, std::string>>{{"gpt-4", "a"}, {"old", "a"}}));
  EXPECT_TRUE(router.enable_pre_call_checks);
  EXPECT_EQ(config.litellm_settings.fallback_settings.fallbacks, (FallbackMap{{"a", {"b"}}}));
  EXPECT_EQ(config.litellm_settings.fallback_settings.context_window_fallbacks,
            (FallbackMap{{"a", {"big"}}}));
  EXPECT_TRUE(config.general_settings.allow_client_side_credentials);
  EXPECT_THAT(
      config.warnings,
      ElementsAre(HasSubstr("router_settings.retry_policy.MadeUpRetries: not implemented")));
}

TEST(LoadString, RouterSettingsDefaultsAndBadValues) {
  const Config defaults = load("model_list: []\n");
  EXPECT_EQ(defaults.router_settings.allowed_fails, 3);
  EXPECT_EQ(defaults.router_settings.cooldown_time_s, 5);
  EXPECT_EQ(defaults.router_settings.max_fallbacks, 5);
  EXPECT_FALSE(defaults.router_settings.disable_cooldowns);
  EXPECT_FALSE(defaults.general_settings.allow_client_side_credentials);
  EXPECT_THAT(problems_of(R"(
router_settings:
  routing_strategy: fastest
  allowed_fails: -1
  fallbacks: [{a: [""]}]
)"),
              UnorderedElementsAre(
                  HasSubstr("router_settings.allowed_fails: must not be negative"),
                  HasSubstr("must not be empty"),
                  HasSubstr("router_settings.routing_strategy: unknown strategy \"fastest\"")));
}

TEST(LoadString, AllowedClientApiBaseHostsAreCheckedEntryByEntry) {
  EXPECT_THAT(load("model_list: []\n").general_settings.allowed_client_api_base_hosts, IsEmpty());
  const Config config = load(R"(
general_settings:
  allowed_client_api_base_hosts: [localhost, 127.0.0.1, "::1", 10.0.0.0/8, "fd00::/8"]
)");
  EXPECT_THAT(config.general_settings.allowed_client_api_base_hosts,
              ElementsAre("localhost", "127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"));
  EXPECT_THAT(
      problems_of(R"(
general_settings:
  allowed_client_api_base_hosts: [ok.internal, 10.0.0.0/33, "http://h", ""]
)"),
      ElementsAre(
          "config.yaml:3: general_settings.allowed_client_api_base_hosts[1]: '10.0.0.0/33' is not "
          "a host "
          "name, an IP address or a CIDR range",
          "config.yaml:3: general_settings.allowed_client_api_base_hosts[2]: 'http://h' is not a "
          "host "
          "name, an IP address or a CIDR range",
          "config.yaml:3: general_settings.allowed_client_api_base_hosts[3]: must not be empty"));
}

TEST(LoadString, UnimplementedKeysAreAcceptedWithOneWarningEach) {
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a}
    tpm_limit: 5
litellm_settings:
  drop_params: true
router_settings:
  routing_strategy_args: {ttl: 60}
general_settings:
  alert_to_webhook_url: {}
guardrails: []
)");
  EXPECT_THAT(
      config.warnings,
      ElementsAre(
          "config.yaml:5: model_list[0].tpm_limit: not implemented by llmux yet; ignored",
          "config.yaml:9: router_settings.routing_strategy_args: not implemented by llmux yet; "
          "ignored",
          "config.yaml:11: general_settings.alert_to_webhook_url: not implemented by llmux yet; "
          "ignored",
          "config.yaml:12: guardrails: not implemented by llmux yet; ignored"));
  EXPECT_TRUE(config.litellm_settings.drop_params);
}

TEST(LoadString, LoggingCallbacksAreResolvedWithTheirSettingsAndEnvironment) {
  const Config config = load(R"(
litellm_settings:
  success_callback: [langfuse, prometheus]
  failure_callback: [langfuse, datadog, nonsense]
  callbacks: [my_sink, errors_only]
  turn_off_message_logging: true
callback_settings:
  my_sink:
    callback_type: generic_api
    endpoint: http://127.0.0.1:9/ingest
    headers: {Authorization: Bearer t, X-Env: from-file}
  errors_only:
    callback_type: generic_api
    event_types: [llm_api_failure]
general_settings:
  callback_flush_interval_s: 0.5
)",
                             env_of({{"LANGFUSE_PUBLIC_KEY", "pk"},
                                     {"LANGFUSE_SECRET_KEY", "sk"},
                                     {"LANGFUSE_HOST", "http://lf.test/"},
                                     {"GENERIC_LOGGER_ENDPOINT", "https://env.test/logs"},
                                     {"GENERIC_LOGGER_HEADERS", "X-Env=from-env,X-Other=o"}}));
  using Kind = LoggingCallback::Kind;
  const auto& callbacks = config.logging.callbacks;
  ASSERT_EQ(callbacks.size(), 3u);
  EXPECT_EQ(callbacks[0].name, "langfuse");
  EXPECT_EQ(callbacks[0].kind, Kind::langfuse);
  EXPECT_EQ(callbacks[0].endpoint, "http://lf.test");
  EXPECT_EQ(callbacks[0].public_key, "pk");
  EXPECT_EQ(callbacks[0].secret_key, "sk");
  EXPECT_TRUE(callbacks[0].on_success && callbacks[0].on_failure);
  EXPECT_EQ(callbacks[1].name, "my_sink");
  EXPECT_EQ(callbacks[1].kind, Kind::generic_api);
  EXPECT_EQ(callbacks[1].endpoint, "http://127.0.0.1:9/ingest");
  EXPECT_THAT(callbacks[1].headers,
              ElementsAre(std::pair<std::string, std::string>("X-Other", "o"),
                          std::pair<std::string, std::string>("Authorization", "Bearer t"),
                          std::pair<std::string, std::string>("X-Env", "from-file")));
  EXPECT_TRUE(callbacks[1].on_success && callbacks[1].on_failure);
  EXPECT_EQ(callbacks[2].name, "errors_only");
  EXPECT_EQ(callbacks[2].endpoint, "https://env.test/logs");
  EXPECT_FALSE(callbacks[2].on_success);
  EXPECT_TRUE(callbacks[2].on_failure);
  EXPECT_TRUE(config.logging.turn_off_message_logging);
  EXPECT_EQ(config.logging.flush_interval_s, 0.5);
  EXPECT_THAT(
      config.warnings,
      ElementsAre("config.yaml:4: litellm_settings.failure_callback[1]: callback \"datadog\": "
                  "not implemented by llmux yet; ignored",
                  "config.yaml:4: litellm_settings.failure_callback[2]: callback "
                  "\"nonsense\": unknown callback; ignored"));
}

TEST(LoadString, LangfuseWithoutKeysIsIgnoredWithAWarning) {
  const Config config = load("litellm_settings: {success_callback: [langfuse]}\n");
  EXPECT_TRUE(config.logging.callbacks.empty());
  EXPECT_THAT(config.warnings,
              ElementsAre("config.yaml:1: litellm_settings.success_callback[0]: callback "
                          "\"langfuse\": LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be set; "
                          "ignored"));
}

TEST(LoadString, AGenericApiCallbackNeedsAnEndpoint) {
  EXPECT_THAT(problems_of("litellm_settings: {callbacks: [generic_api]}\n"),
              ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback \"generic_api\": "
                          "generic_api needs an http(s) endpoint (callback_settings.endpoint or "
                          "GENERIC_LOGGER_ENDPOINT)"));
}

TEST(LoadString, OtelIsConfiguredFromTheEnvironmentAsLiteLLMReadsIt) {
  const Config config = load("litellm_settings: {callbacks: [otel]}\n",
                             env_of({{"OTEL_EXPORTER", "otlp_http"},
                                     {"OTEL_ENDPOINT", "http://collector.test:4318/"},
                                     {"OTEL_HEADERS", "Authorization=Bearer%20t0k,x-team=a=b"},
                                     {"OTEL_SERVICE_NAME", "gateway"}}));
  ASSERT_EQ(config.logging.callbacks.size(), 1u);
  const LoggingCallback& otel = config.logging.callbacks[0];
  EXPECT_EQ(otel.kind, LoggingCallback::Kind::otel);
  EXPECT_EQ(otel.endpoint, "http://collector.test:4318/v1/traces");
  EXPECT_THAT(otel.headers,
              ElementsAre(std::pair<std::string, std::string>("Authorization", "Bearer t0k"),
                          std::pair<std::string, std::string>("x-team", "a=b")));
  EXPECT_EQ(otel.otel.service_name, "gateway");
  EXPECT_EQ(otel.otel.tracer_name, "litellm");
  EXPECT_EQ(otel.otel.encoding, OtlpEncoding::protobuf);  // LiteLLM's otlp_http sends protobuf
  EXPECT_TRUE(otel.on_success && otel.on_failure);
  EXPECT_TRUE(config.warnings.empty());

  // http/json is the one protocol that asks for JSON; the others, and none, are protobuf.
  const auto encoding_of = [](std::map<std::string, std::string> env) {
    env.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318");
    const Config loaded = load("litellm_settings: {callbacks: [otel]}\n", env_of(env));
    EXPECT_EQ(loaded.logging.callbacks.size(), 1u);
    return loaded.logging.callbacks.empty() ? OtlpEncoding{}
                                            : loaded.logging.callbacks[0].otel.encoding;
  };
  EXPECT_EQ(encoding_of({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}), OtlpEncoding::json);
  EXPECT_EQ(encoding_of({{"OTEL_EXPORTER", "http/json"}}), OtlpEncoding::json);
  EXPECT_EQ(encoding_of(
                {{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}, {"OTEL_EXPORTER", "http/json"}}),
            OtlpEncoding::protobuf);
  EXPECT_EQ(encoding_of({{"OTEL_EXPORTER", "console"}}), OtlpEncoding::protobuf);
  EXPECT_EQ(encoding_of({}), OtlpEncoding::protobuf);

  // The standard OTEL_EXPORTER_OTLP_* names win; an endpoint's path is normalised to traces.
  const auto endpoint_of = [](std::map<std::string, std::string> env) {
    const Config loaded = load("litellm_settings: {success_callback: [otel]}\n", env_of(env));
    return loaded.logging.callbacks.empty() ? std::string() : loaded.logging.callbacks[0].endpoint;
  };
  EXPECT_EQ(endpoint_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318/v1"},
                         {"OTEL_ENDPOINT", "http://b:4318"}}),
            "http://a:4318/v1/traces");
  EXPECT_EQ(endpoint_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://a/otel/v1/logs"}}),
            "https://a/otel/v1/traces");
  EXPECT_EQ(endpoint_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://a/v1/traces"},
                         {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}}),
            "https://a/v1/traces");
  // LiteLLM's default exporter, console, sends to an endpoint once one is set.
  EXPECT_EQ(endpoint_of({{"OTEL_EXPORTER", "console"}, {"OTEL_ENDPOINT", "http://c:4318"}}),
            "http://c:4318/v1/traces");
  // The specification's per-signal endpoint wins and is used as is.
  EXPECT_EQ(endpoint_of({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:9/custom"},
                         {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"}}),
            "http://t:9/custom");
}

TEST(LoadString, OtelHeadersComeFromThePerSignalVariableFirstWhole) {
  using Header = std::pair<std::string, std::string>;
  const auto headers_of = [](std::map<std::string, std::string> env) {
    env.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318");
    const Config loaded = load("litellm_settings: {callbacks: [otel]}\n", env_of(env));
    return loaded.logging.callbacks.empty() ? std::vector<Header>()
                                            : loaded.logging.callbacks[0].headers;
  };
  EXPECT_THAT(headers_of({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-a=1"},
                          {"OTEL_EXPORTER_OTLP_HEADERS", "x-b=2"},
                          {"OTEL_HEADERS", "x-c=3"}}),
              ElementsAre(Header("x-a", "1")));
  EXPECT_THAT(headers_of({{"OTEL_EXPORTER_OTLP_HEADERS", "x-b=2"}, {"OTEL_HEADERS", "x-c=3"}}),
              ElementsAre(Header("x-b", "2")));
  EXPECT_THAT(headers_of({{"OTEL_EXPORTER_OTLP_TRACES_HEADERS", ""}, {"OTEL_HEADERS", "x-c=3"}}),
              ElementsAre(Header("x-c", "3")));
}

TEST(LoadString, OtelTakesTheSpecificationsTimeoutAndPerSignalProtocol) {
  const auto otel = [](std::map<std::string, std::string> env) {
    env.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318");
    return load("litellm_settings: {callbacks: [otel]}\n", env_of(env));
  };
  EXPECT_EQ(otel({}).logging.callbacks.at(0).timeout, std::nullopt);
  EXPECT_EQ(otel({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}}).logging.callbacks.at(0).timeout,
            std::chrono::milliseconds(2500));
  EXPECT_EQ(
      otel({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}, {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "70"}})
          .logging.callbacks.at(0)
          .timeout,
      std::chrono::milliseconds(70));
  for (const char* bad : {"0", "-5", "soon", "1.5"}) {
    const Config config = otel({{"OTEL_EXPORTER_OTLP_TIMEOUT", bad}});
    EXPECT_EQ(config.logging.callbacks.at(0).timeout, std::nullopt) << bad;
    EXPECT_THAT(config.warnings,
                ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback \"otel\": "
                            "OTEL_EXPORTER_OTLP_TIMEOUT must be a positive number of "
                            "milliseconds; using the default"))
        << bad;
  }
  EXPECT_EQ(otel({{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"},
                  {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}})
                .logging.callbacks.at(0)
                .otel.encoding,
            OtlpEncoding::json);
}

TEST(LoadString, LangfuseOtelPostsToLangfusesOtlpEndpointWithBasicCredentials) {
  const auto langfuse_otel = [](std::map<std::string, std::string> env) {
    env.emplace("LANGFUSE_PUBLIC_KEY", "pk");
    env.emplace("LANGFUSE_SECRET_KEY", "sk");
    const Config loaded = load("litellm_settings: {callbacks: [langfuse_otel]}\n", env_of(env));
    return loaded.logging.callbacks.empty() ? LoggingCallback{} : loaded.logging.callbacks[0];
  };
  const LoggingCallback callback = langfuse_otel({{"LANGFUSE_OTEL_HOST", "http://lf.test/"},
                                                  {"LANGFUSE_HOST", "http://other.test"},
                                                  {"OTEL_SERVICE_NAME", "not-for-langfuse"},
                                                  {"LANGFUSE_TRACING_ENVIRONMENT", "staging"}});
  EXPECT_EQ(callback.kind, LoggingCallback::Kind::otel);
  EXPECT_EQ(callback.name, "langfuse_otel");
  EXPECT_EQ(callback.endpoint, "http://lf.test/api/public/otel/v1/traces");
  EXPECT_EQ(callback.public_key, "pk");
  EXPECT_EQ(callback.secret_key, "sk");
  EXPECT_TRUE(callback.otel.langfuse);
  EXPECT_EQ(callback.otel.langfuse_environment, "staging");
  EXPECT_EQ(callback.otel.service_name, "litellm");
  EXPECT_EQ(langfuse_otel({{"LANGFUSE_HOST", "lf.example"}}).endpoint,
            "https://lf.example/api/public/otel/v1/traces");
  EXPECT_EQ(langfuse_otel({}).endpoint, "https://us.cloud.langfuse.com/api/public/otel/v1/traces");

  const Config unset = load("litellm_settings: {callbacks: [langfuse_otel]}\n");
  EXPECT_TRUE(unset.logging.callbacks.empty());
  EXPECT_THAT(unset.warnings,
              ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback "
                          "\"langfuse_otel\": LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY must be "
                          "set; ignored"));
}

TEST(LoadString, OtelWithoutAnEndpointIsIgnoredAndGrpcIsRefused) {
  const Config config = load("litellm_settings: {callbacks: [otel]}\n");
  EXPECT_TRUE(config.logging.callbacks.empty());
  EXPECT_THAT(config.warnings,
              ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback \"otel\": "
                          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT or "
                          "OTEL_ENDPOINT must be an http(s) URL; ignored"));
  const Config unknown =
      load("litellm_settings: {callbacks: [otel]}\n",
           env_of({{"OTEL_EXPORTER", "zipkin"}, {"OTEL_ENDPOINT", "http://c:4318"}}));
  EXPECT_TRUE(unknown.logging.callbacks.empty());
  EXPECT_THAT(unknown.warnings,
              ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback \"otel\": "
                          "exporter \"zipkin\" is not implemented (llmux exports OTLP over "
                          "HTTP); ignored"));
  for (const char* protocol : {"grpc", "otlp_grpc"}) {
    EXPECT_THAT(problems_of("litellm_settings: {callbacks: [otel]}\n",
                            env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"},
                                    {"OTEL_EXPORTER_OTLP_PROTOCOL", protocol}})),
                ElementsAre("config.yaml:1: litellm_settings.callbacks[0]: callback \"otel\": the "
                            "OTLP exporter \"" +
                            std::string(protocol) +
                            "\" is not supported; llmux exports OTLP over HTTP "
                            "(OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf or http/json)"));
  }
}

TEST(LoadString, StoreSettings) {
  const Config config = load(R"(
general_settings:
  database_url: os.environ/PG_URL
  proxy_batch_write_at: 2.5
  store_prompts_in_spend_logs: true
)",
                             env_of({{"PG_URL", "postgresql://u@127.0.0.1:5432/llmux"}}));
  EXPECT_EQ(config.general_settings.database_url, "postgresql://u@127.0.0.1:5432/llmux");
  EXPECT_EQ(config.general_settings.proxy_batch_write_at_s, 2.5);
  EXPECT_TRUE(config.general_settings.store_prompts_in_spend_logs);
  EXPECT_TRUE(config.warnings.empty());

  const Config defaults = load("model_list: []\n");
  EXPECT_EQ(defaults.general_settings.database_url, "");
  EXPECT_EQ(defaults.general_settings.proxy_batch_write_at_s, 10);
  EXPECT_FALSE(defaults.general_settings.store_prompts_in_spend_logs);
  // DATABASE_URL in the environment, as LiteLLM reads it, when the config names none.
  EXPECT_EQ(load("model_list: []\n", env_of({{"DATABASE_URL", "/var/lib/llmux/keys.db"}}))
                .general_settings.database_url,
            "/var/lib/llmux/keys.db");
  EXPECT_FALSE(problems_of("general_settings:\n  proxy_batch_write_at: 0\n").empty());
}

TEST(LoadString, BackgroundHealthChecks) {
  const Config config = load(R"(
general_settings:
  background_health_checks: true
  health_check_interval: 60
)");
  EXPECT_TRUE(config.general_settings.background_health_checks);
  EXPECT_EQ(config.general_settings.health_check_interval_s, 60);
  EXPECT_TRUE(config.warnings.empty());

  const Config defaults = load("model_list: []\n");
  EXPECT_FALSE(defaults.general_settings.background_health_checks);
  EXPECT_EQ(defaults.general_settings.health_check_interval_s, 300);  // LiteLLM's default
  EXPECT_FALSE(problems_of("general_settings:\n  health_check_interval: 0\n").empty());
  EXPECT_FALSE(problems_of("general_settings:\n  background_health_checks: often\n").empty());
}

// docs/MODELS.md: the config's key, else LiteLLM's STORE_MODEL_IN_DB.
TEST(LoadString, StoreModelInDb) {
  EXPECT_TRUE(
      load("general_settings:\n  store_model_in_db: true\n").general_settings.store_model_in_db);
  EXPECT_FALSE(load("model_list: []\n").general_settings.store_model_in_db);
  EXPECT_TRUE(load("model_list: []\n", env_of({{"STORE_MODEL_IN_DB", "True"}}))
                  .general_settings.store_model_in_db);
  EXPECT_FALSE(load("general_settings:\n  store_model_in_db: false\n",
                    env_of({{"STORE_MODEL_IN_DB", "True"}}))
                   .general_settings.store_model_in_db);
  EXPECT_TRUE(load("general_settings:\n  store_model_in_db: true\n").warnings.empty());
  EXPECT_FALSE(problems_of("general_settings:\n  store_model_in_db: sometimes\n").empty());
}

TEST(LoadString, SlackAlertingGoesToSlackWebhookUrl) {
  const Config config =
      load(R"(
general_settings:
  alerting: [slack, email]
  alerting_threshold: 2.5
  alert_types: [llm_too_slow, outage_alerts, db_exceptions]
)",
           env_of({{"SLACK_WEBHOOK_URL", "https://hooks.example/services/T/B/x"}}));
  EXPECT_EQ(config.alerting.slack_webhook_url, "https://hooks.example/services/T/B/x");
  EXPECT_EQ(config.alerting.threshold_s, 2.5);
  EXPECT_TRUE(config.alerting.llm_too_slow);
  EXPECT_TRUE(config.alerting.db_exceptions);
  EXPECT_FALSE(config.alerting.llm_exceptions);
  EXPECT_FALSE(config.alerting.budget_alerts);
  EXPECT_FALSE(config.alerting.cooldown_deployment);
  EXPECT_THAT(config.warnings,
              ElementsAre("config.yaml:3: general_settings.alerting[1]: not implemented by llmux "
                          "yet; ignored",
                          "config.yaml:5: general_settings.alert_types[1]: not implemented by "
                          "llmux yet; ignored"));

  const Config defaults = load("general_settings: {alerting: [slack]}\n",
                               env_of({{"SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook"}}));
  EXPECT_EQ(defaults.alerting.threshold_s, 300);  // LiteLLM's default
  EXPECT_TRUE(defaults.alerting.llm_exceptions);
  EXPECT_TRUE(defaults.alerting.llm_too_slow);
  EXPECT_TRUE(defaults.alerting.cooldown_deployment);
  EXPECT_TRUE(defaults.alerting.db_exceptions);

  // Without the webhook nothing is sent, and the warning says why (not what the URL would be).
  const Config unset = load("general_settings: {alerting: [slack]}\n");
  EXPECT_EQ(unset.alerting.slack_webhook_url, "");
  EXPECT_THAT(unset.warnings, ElementsAre(HasSubstr("slack alerting needs SLACK_WEBHOOK_URL")));
  EXPECT_FALSE(problems_of("general_settings: {alerting: [pager]}\n").empty());
  EXPECT_FALSE(problems_of("general_settings: {alert_types: [llm_too_fast]}\n").empty());
}

TEST(LoadString, WebhookAlertingGoesToWebhookUrlWithBudgetAlertTtl) {
  const Config config = load(R"(
general_settings:
  alerting: [webhook]
  alert_types: [budget_alerts]
  alerting_args: {budget_alert_ttl: 3600, outage_alert_ttl: 60}
)",
                             env_of({{"WEBHOOK_URL", "https://hooks.example/budget"}}));
  EXPECT_EQ(config.alerting.webhook_url, "https://hooks.example/budget");
  EXPECT_EQ(config.alerting.slack_webhook_url, "");
  EXPECT_TRUE(config.alerting.budget_alerts);
  EXPECT_FALSE(config.alerting.llm_exceptions);
  EXPECT_EQ(config.alerting.budget_alert_ttl_s, 3600);
  EXPECT_THAT(config.warnings,
              ElementsAre(HasSubstr("general_settings.alerting_args.outage_alert_ttl")));

  const Config defaults = load("general_settings: {alerting: [webhook]}\n",
                               env_of({{"WEBHOOK_URL", "http://127.0.0.1:9/hook"}}));
  EXPECT_TRUE(defaults.alerting.budget_alerts);
  EXPECT_EQ(defaults.alerting.budget_alert_ttl_s, 86400);  // LiteLLM's default: a day

  const Config unset = load("general_settings: {alerting: [webhook]}\n");
  EXPECT_EQ(unset.alerting.webhook_url, "");
  EXPECT_THAT(unset.warnings, ElementsAre(HasSubstr("webhook alerting needs WEBHOOK_URL")));
  EXPECT_FALSE(problems_of("general_settings: {alerting_args: {budget_alert_ttl: -1}}\n").empty());
}

TEST(LoadString, ReportsTheExactProblemFormat) {
  const std::vector<std::string> problems = problems_of(R"(# line 1
model_list:
  - model_name: a
    litellm_params:
      model: openai/a
  - model_name: b
    litellm_params:
      model: openai/b
  - model_name: c
    litellm_params:
      model: openai/c
      timeout: abc
)");
  EXPECT_THAT(problems, ElementsAre("config.yaml:12: model_list[2].litellm_params.timeout: "
                                    "expected a number, got \"abc\""));
}

TEST(LoadString, CollectsEveryProblemBeforeThrowing) {
  const std::vector<std::string> problems = problems_of(R"(
model_list:
  - litellm_params: {model: openai/a}
  - model_name: b
  - model_name: c
    litellm_params: {api_base: http://127.0.0.1:1}
  - model_name: ""
    litellm_params: {model: openai/d, rpm: 1.5, max_retries: -1}
  - just a string
  - model_name: e
    litellm_params: [model, openai/e]
litellm_settings:
  drop_params: maybe
  num_retries: many
router_settings:
  routing_strategy: [a]
general_settings:
  max_connections: 0
  drain_timeout_s: -1
  max_request_size_mb: 0
)");
  EXPECT_THAT(
      problems,
      ElementsAre(
          "config.yaml:3: model_list[0].model_name: missing; every model needs the name clients "
          "ask for",
          "config.yaml:4: model_list[1].litellm_params.model: missing; expected provider/model, "
          "e.g. openai/gpt-4o-mini",
          "config.yaml:6: model_list[2].litellm_params.model: missing; expected provider/model, "
          "e.g. openai/gpt-4o-mini",
          "config.yaml:7: model_list[3].model_name: must not be empty",
          "config.yaml:8: model_list[3].litellm_params.rpm: expected a whole number, got \"1.5\"",
          "config.yaml:8: model_list[3].litellm_params.max_retries: must not be negative, got "
          "\"-1\"",
          "config.yaml:9: model_list[4]: expected a map with model_name and litellm_params, got "
          "a string",
          "config.yaml:11: model_list[5].litellm_params: expected a map, got a list",
          "config.yaml:13: litellm_settings.drop_params: expected true or false, got \"maybe\"",
          "config.yaml:14: litellm_settings.num_retries: expected a whole number, got \"many\"",
          "config.yaml:16: router_settings.routing_strategy: expected a string, got a list",
          "config.yaml:18: general_settings.max_connections: must be greater than 0, got \"0\"",
          "config.yaml:19: general_settings.drain_timeout_s: must be greater than 0, got \"-1\"",
          "config.yaml:20: general_settings.max_request_size_mb: must be greater than 0, got "
          "\"0\""));
}

TEST(LoadString, LoadErrorWhatJoinsProblemsWithNewlines) {
  try {
    load("model_list:\n  - model_name: a\n  - model_name: b\n");
    FAIL() << "expected a LoadError";
  } catch (const LoadError& error) {
    ASSERT_EQ(error.problems.size(), 2u);
    EXPECT_EQ(std::string(error.what()), error.problems[0] + "\n" + error.problems[1]);
  }
}

TEST(LoadString, WronglyShapedBlocksAreProblems) {
  EXPECT_THAT(problems_of("- a\n- b\n"), ElementsAre("config.yaml:1: expected a map, got a list"));
  EXPECT_THAT(problems_of("model_list: {a: 1}\n"),
              ElementsAre("config.yaml:1: model_list: expected a list, got a map"));
  EXPECT_THAT(problems_of("environment_variables: [A]\n"),
              ElementsAre("config.yaml:1: environment_variables: expected a map, got a list"));
  EXPECT_THAT(problems_of("model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n"
                          "    model_info: [x]\n"),
              ElementsAre("config.yaml:4: model_list[0].model_info: expected a map, got a list"));
  EXPECT_THAT(problems_of("litellm_settings: true\n"),
              ElementsAre("config.yaml:1: litellm_settings: expected a map, got a string"));
}

TEST(LoadString, EmptyOsEnvironNameIsAProblem) {
  EXPECT_THAT(problems_of("general_settings:\n  master_key: os.environ/\n"),
              ElementsAre("config.yaml:2: general_settings.master_key: os.environ/ must be "
                          "followed by a variable name"));
}

TEST(LoadString, SecretsNeverAppearInProblemsOrWarnings) {
  const EnvLookup env = env_of({{"SECRET_TIMEOUT", "sk-secret-1"},
                                {"SECRET_FLAG", "sk-secret-2"},
                                {"SECRET_RPM", "sk-secret-3"}});
  const std::vector<std::string> problems = problems_of(R"(
model_list:
  - model_name: a
    litellm_params:
      model: openai/a
      api_key: [sk-secret-4]
      timeout: os.environ/SECRET_TIMEOUT
      rpm: os.environ/SECRET_RPM
      extra_headers: {Authorization: [sk-secret-5]}
litellm_settings:
  drop_params: os.environ/SECRET_FLAG
general_settings:
  master_key: {value: sk-secret-6}
environment_variables:
  SOME_TOKEN: [sk-secret-7]
)",
                                                        env);
  const std::string text = all_text(problems);
  EXPECT_THAT(text, Not(HasSubstr("sk-secret")));
  EXPECT_THAT(text, AllOf(HasSubstr("litellm_params.timeout: expected a number, got the value "
                                    "of os.environ/SECRET_TIMEOUT"),
                          HasSubstr("litellm_params.rpm: expected a whole number, got the value "
                                    "of os.environ/SECRET_RPM"),
                          HasSubstr("drop_params: expected true or false, got the value of "
                                    "os.environ/SECRET_FLAG"),
                          HasSubstr("litellm_params.api_key: expected a string, got a list"),
                          HasSubstr("extra_headers.Authorization: expected a string, got a list"),
                          HasSubstr("general_settings.master_key: expected a string, got a map"),
                          HasSubstr("environment_variables.SOME_TOKEN: expected a string, got a "
                                    "list")));
  const Config config = load(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a, api_key: os.environ/SET_KEY, other: os.environ/UNSET}
general_settings: {master_key: sk-secret-8, cache: true}
)",
                             env_of({{"SET_KEY", "sk-secret-9"}}));
  EXPECT_THAT(all_text(config.warnings), Not(HasSubstr("sk-secret")));
  EXPECT_EQ(config.warnings.size(), 2u);
}

TEST(LoadString, SyntaxErrorGivesFileLineColumnAndReason) {
  EXPECT_THAT(problems_of("model_list:\n  - model_name: [a, b\n    x: y\n"),
              ElementsAre(::testing::MatchesRegex(
                  R"(config\.yaml:[0-9]+:[0-9]+: end of sequence flow not found)")));
  EXPECT_THAT(problems_of("a: [1, 2\nb: c"),
              ElementsAre("config.yaml:2:2: end of sequence flow not found"));
}

TEST(LoadString, MergeKeysAreExpandedLikePyYaml) {
  const Config config = load(R"(
defaults: &defaults
  api_key: sk-shared
  timeout: 10
model_list:
  - model_name: a
    litellm_params:
      <<: *defaults
      model: openai/a
      timeout: 20
  - model_name: b
    litellm_params:
      <<: [*defaults, {rpm: 5}]
      model: openai/b
)");
  ASSERT_EQ(config.model_list.size(), 2u);
  EXPECT_EQ(config.model_list[0].params.api_key, "sk-shared");
  EXPECT_EQ(config.model_list[0].params.timeout_s, 20.0);  // the map's own key wins
  EXPECT_EQ(config.model_list[1].params.timeout_s, 10.0);
  EXPECT_EQ(config.model_list[1].params.rpm, 5);
  EXPECT_THAT(config.warnings,
              ElementsAre("config.yaml:2: defaults: not implemented by llmux yet; ignored"));
}

TEST(LoadString, AliasThatContainsItselfIsAProblemNotACrash) {
  EXPECT_THAT(problems_of(R"(
model_list:
  - model_name: a
    litellm_params: {model: openai/a, loop: &loop {again: *loop, twice: *loop}}
)"),
              ElementsAre(HasSubstr("nested too deeply (does an alias refer to itself?)")));
  EXPECT_THAT(problems_of("litellm_settings: &self\n  <<: *self\n"),
              ElementsAre(HasSubstr("nested too deeply")));
}

TEST(LoadString, DuplicateKeyWarnsAndTheLastWins) {
  const Config config = load("litellm_settings:\n  num_retries: 1\n  num_retries: 2\n");
  EXPECT_EQ(config.litellm_settings.num_retries, 2);
  EXPECT_THAT(config.warnings, ElementsAre("config.yaml:3: litellm_settings.num_retries: "
                                           "duplicate key; the last one wins"));
}

TEST(LoadFile, ReadsAFileAndNamesItInMessages) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("llmux_load_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n"
           "general_settings: {alert_to_webhook_url: {}}\n";
  }
  const Config config = load_file(path.string(), kNoEnv);
  std::filesystem::remove(path);
  EXPECT_EQ(config.source, path.string());
  ASSERT_EQ(config.model_list.size(), 1u);
  EXPECT_THAT(config.warnings,
              ElementsAre(path.string() + ":4: general_settings.alert_to_webhook_url: not "
                                          "implemented by llmux yet; ignored"));
}

TEST(LoadFile, UnreadableFileIsAProblemNamingPathAndReason) {
  try {
    load_file("/nonexistent/llmux.yaml", kNoEnv);
    FAIL() << "expected a LoadError";
  } catch (const LoadError& error) {
    EXPECT_THAT(error.problems,
                ElementsAre("/nonexistent/llmux.yaml: cannot read: No such file or directory"));
  }
  try {
    load_file(std::filesystem::temp_directory_path().string(), kNoEnv);
    FAIL() << "expected a LoadError";
  } catch (const LoadError& error) {
    EXPECT_THAT(error.problems, ElementsAre(HasSubstr("cannot read: Is a directory")));
  }
}

TEST(LoadFile, ProcessEnvironmentReadsTheRealEnvironment) {
  ::setenv("LLMUX_LOAD_TEST_VARIABLE", "value", 1);
  EXPECT_EQ(process_environment("LLMUX_LOAD_TEST_VARIABLE"), "value");
  ::unsetenv("LLMUX_LOAD_TEST_VARIABLE");
  EXPECT_EQ(process_environment("LLMUX_LOAD_TEST_VARIABLE"), std::nullopt);
}

TEST(ExampleConfig, LoadsWithoutProblems) {
  const Config config = load_file(LLMUX_SOURCE_DIR "/examples/config.yaml", kNoEnv);
  ASSERT_FALSE(config.model_list.empty());
  const ModelEntry& first = config.model_list.front();
  EXPECT_EQ(first.model_name, "mock-gpt");
  ASSERT_TRUE(first.params.mock_response);
  EXPECT_THAT(*first.params.mock_response, HasSubstr("Hello from llmux!"));
  EXPECT_TRUE(config.litellm_settings.drop_params);
  EXPECT_EQ(config.general_settings.master_key, "");
  // With an empty environment the only warnings are the unset provider keys.
  for (const std::string& warning : config.warnings) {
    EXPECT_THAT(warning, HasSubstr("is not set; using an empty value"));
  }
  std::vector<std::string> names;
  for (const ModelEntry& model : config.model_list) names.push_back(model.model_name);
  EXPECT_THAT(
      names, ElementsAre("mock-gpt", "gpt-4o-mini", "llama-3.1-8b", "deepseek-chat", "local-vllm",
                         "text-embedding-3-small", "claude-sonnet", "gemini-flash", "local-llama"));
}

TEST(ExampleConfig, UsesProviderKeysFromTheEnvironment) {
  const Config config =
      load_file(LLMUX_SOURCE_DIR "/examples/config.yaml", env_of({{"OPENAI_API_KEY", "sk-o"},
                                                                  {"GROQ_API_KEY", "gsk"},
                                                                  {"DEEPSEEK_API_KEY", "sk-d"},
                                                                  {"ANTHROPIC_API_KEY", "sk-ant"},
                                                                  {"GEMINI_API_KEY", "gem"},
                                                                  {"LITELLM_MASTER_KEY", "sk-m"}}));
  EXPECT_THAT(config.warnings, IsEmpty());
  EXPECT_EQ(config.general_settings.master_key, "sk-m");
  EXPECT_EQ(config.model_list.at(1).params.api_key, "sk-o");
  EXPECT_EQ(config.model_list.at(2).params.api_key, "gsk");
  EXPECT_EQ(config.model_list.at(3).params.api_key, "sk-d");
  EXPECT_EQ(config.model_list.at(4).params.api_base, "http://127.0.0.1:8000/v1");
  EXPECT_EQ(config.model_list.at(6).params.api_key, "sk-ant");
  EXPECT_EQ(config.model_list.at(7).params.api_key, "gem");
}

TEST(LoadString, RouterRedisSettingsAreReadAndFilledFromTheEnvironment) {
  const Config config =
      load(R"(
router_settings:
  redis_host: redis.internal
  redis_port: 6380
)",
           env_of({{"REDIS_PASSWORD", "from-env"}, {"REDIS_PORT", "7000"}, {"REDIS_SSL", "true"}}));
  const RedisSettings& redis = config.router_settings.redis;
  EXPECT_EQ(redis.host, "redis.internal");
  EXPECT_EQ(redis.port, 6380);  // the config wins over REDIS_PORT
  EXPECT_EQ(redis.password, "from-env");
  EXPECT_EQ(redis.ssl, true);
  // The fleet uses the router's Redis (docs/SCALING.md): no warning.
  EXPECT_THAT(config.warnings, IsEmpty());
}

TEST(LoadString, TheFleetLeaseIsGeneralSettingsFleetLeaseS) {
  EXPECT_EQ(load("").fleet.lease_s, 60);
  EXPECT_EQ(load("general_settings: {fleet_lease_s: 2.5}\n").fleet.lease_s, 2.5);
  EXPECT_THAT(all_text(problems_of("general_settings: {fleet_lease_s: 0}\n")),
              HasSubstr("fleet_lease_s"));
}

TEST(LoadString, RedisFromTheEnvironmentAloneIsTheRoutersRedis) {
  const Config config =
      load("model_list: []\n", env_of({{"REDIS_HOST", "redis.internal"}, {"REDIS_PORT", "7000"}}));
  EXPECT_EQ(config.router_settings.redis.host, "redis.internal");
  EXPECT_EQ(config.router_settings.redis.port, 7000);
  EXPECT_FALSE(load("model_list: []\n").router_settings.redis.given());
}

TEST(LoadString, AMalformedRedisEnvironmentVariableIsAProblem) {
  EXPECT_THAT(problems_of("router_settings: {redis_host: r}\n", env_of({{"REDIS_PORT", "x"}})),
              ElementsAre(HasSubstr("REDIS_PORT: expected a port number")));
}

}  // namespace
}  // namespace llmux::config

namespace llmux::config {
namespace {

TEST(CacheParams, OffWithoutCacheTrue) {
  const Config config = load(R"(
litellm_settings:
  cache_params: {type: local}
)");
  EXPECT_FALSE(config.litellm_settings.cache);
  EXPECT_THAT(config.warnings,
              ElementsAre(HasSubstr("the response cache is off without `cache: true`")));
}

TEST(CacheParams, LocalWithLiteLLMsSettings) {
  const Config config = load(R"(
litellm_settings:
  cache: true
  cache_params:
    type: local
    namespace: team-a
    ttl: 30
    default_in_memory_ttl: 5
    default_in_redis_ttl: 99
    supported_call_types: [acompletion, embedding, arerank]
    mode: default_off
)");
  ASSERT_TRUE(config.litellm_settings.cache);
  const CacheSettings& cache = *config.litellm_settings.cache;
  EXPECT_EQ(cache.type, CacheType::local);
  EXPECT_EQ(cache.key_namespace, "team-a");
  EXPECT_EQ(cache.ttl_s, 5);  // the in-memory default wins over ttl for the local type
  EXPECT_TRUE(cache.chat_completions);
  EXPECT_FALSE(cache.completions);
  EXPECT_TRUE(cache.embeddings);
  EXPECT_TRUE(cache.default_off);
  EXPECT_THAT(config.warnings, ElementsAre(HasSubstr("\"arerank\" is not cached by llmux")));
}

TEST(CacheParams, RedisFromFieldsUrlAliasAndEnvironment) {
  const Config from_fields = load(R"(
litellm_settings:
  cache: true
  cache_params: {type: redis, host: 127.0.0.1, port: 6390, password: pw, ttl: 60}
)");
  ASSERT_TRUE(from_fields.litellm_settings.cache);
  EXPECT_EQ(from_fields.litellm_settings.cache->redis.host, "127.0.0.1");
  EXPECT_EQ(from_fields.litellm_settings.cache->redis.port, 6390);
  EXPECT_EQ(from_fields.litellm_settings.cache->ttl_s, 60);

  const Config from_url = load(R"(
litellm_settings:
  cache: true
  cache_params: {type: redis, redis_url: "redis://127.0.0.1:6391"}
)");
  EXPECT_EQ(from_url.litellm_settings.cache->redis.url, "redis://127.0.0.1:6391");

  // No type: LiteLLM's proxy takes redis; where it is comes from REDIS_*.
  const Config from_environment =
      load("litellm_settings: {cache: true}\n",
           env_of({{"REDIS_HOST", "10.0.0.5"}, {"REDIS_PORT", "6392"}}));
  ASSERT_TRUE(from_environment.litellm_settings.cache);
  EXPECT_EQ(from_environment.litellm_settings.cache->type, CacheType::redis);
  EXPECT_EQ(from_environment.litellm_settings.cache->redis.host, "10.0.0.5");
  EXPECT_EQ(from_environment.litellm_settings.cache->redis.port, 6392);
  EXPECT_FALSE(from_environment.litellm_settings.cache->ttl_s);
}

TEST(CacheParams, ProblemsAndUnsupportedTypes) {
  EXPECT_THAT(problems_of("litellm_settings: {cache: true, cache_params: {type: redis}}\n"),
              ElementsAre(HasSubstr("a Redis cache needs cache_params.host (or url)")));
  EXPECT_THAT(
      problems_of("litellm_settings: {cache: true, cache_params: {type: floppy, host: h}}\n"),
      ElementsAre(HasSubstr("unknown cache type \"floppy\"")));
  EXPECT_THAT(problems_of("litellm_settings: {cache: true, cache_params: {mode: sometimes}}\n",
                          env_of({{"REDIS_HOST", "h"}})),
              ElementsAre(HasSubstr("expected default_on or default_off")));
  for (const char* type : {"s3", "qdrant-semantic", "disk"}) {
    const Config config =
        load(std::string("litellm_settings: {cache: true, cache_params: {type: ") + type + "}}\n");
    EXPECT_FALSE(config.litellm_settings.cache) << type;
    EXPECT_THAT(config.warnings, ElementsAre(HasSubstr("is not supported by llmux"))) << type;
  }
}

TEST(CacheParams, RedisSemanticWithLiteLLMsKeys) {
  const Config config = load(
      "model_list:\n"
      "  - model_name: embedder\n"
      "    litellm_params: {model: openai/text-embedding-3-small}\n"
      "litellm_settings:\n"
      "  cache: true\n"
      "  cache_params: {type: redis-semantic, host: 127.0.0.1, similarity_threshold: 0.8,\n"
      "                 redis_semantic_cache_embedding_model: embedder, semantic_max_entries: "
      "50}\n");
  ASSERT_TRUE(config.litellm_settings.cache);
  const CacheSettings& cache = *config.litellm_settings.cache;
  EXPECT_EQ(cache.type, CacheType::redis_semantic);
  EXPECT_DOUBLE_EQ(cache.semantic.similarity_threshold, 0.8);
  EXPECT_EQ(cache.semantic.embedding_model, "embedder");
  EXPECT_EQ(cache.semantic.max_entries, 50u);
  EXPECT_EQ(cache.redis.host, "127.0.0.1");
}

TEST(CacheParams, RedisSemanticProblems) {
  const std::string models =
      "model_list:\n"
      "  - model_name: embedder\n"
      "    litellm_params: {model: openai/text-embedding-3-small}\n";
  EXPECT_THAT(problems_of(models + "litellm_settings: {cache: true, cache_params: {type: "
                                   "redis-semantic, host: h, "
                                   "redis_semantic_cache_embedding_model: embedder}}\n"),
              ElementsAre(HasSubstr("needs similarity_threshold")));
  EXPECT_THAT(problems_of(models + "litellm_settings: {cache: true, cache_params: {type: "
                                   "redis-semantic, host: h, similarity_threshold: 1.5, "
                                   "redis_semantic_cache_embedding_model: embedder}}\n"),
              ElementsAre(HasSubstr("must be at most 1")));
  // LiteLLM's default embedding model is not in this model_list.
  EXPECT_THAT(problems_of(models + "litellm_settings: {cache: true, cache_params: {type: "
                                   "redis-semantic, host: h, similarity_threshold: 0.9}}\n"),
              ElementsAre(HasSubstr("\"text-embedding-ada-002\" is not a model_name")));
}

}  // namespace
}  // namespace llmux::config
