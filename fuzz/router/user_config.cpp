// A client's request through the router as ModelCalls plans it, with client-side credentials
// allowed: request options, the request's own user_config (a whole router config of the
// client's, validated by the config loader), the attempts with retries and fallbacks, and each
// attempt's upstream request. Checks: a refusal has a message, and the operator's key never goes
// to a destination the client chose.
#include "config/load.hpp"
#include "router/request_options.hpp"
#include "router/router.hpp"
#include "support.hpp"

#include <string>

namespace {

namespace router = llmux::router;
using llmux::fuzz::check;

constexpr std::string_view kOperatorKey = "sk-operator-key";

constexpr std::string_view kConfig = R"(
model_list:
  - model_name: gpt
    litellm_params: {model: openai/gpt-4o, api_key: sk-operator-key}
  - model_name: claude
    litellm_params: {model: anthropic/claude-3-5-sonnet, api_key: sk-operator-key}
  - model_name: llama
    litellm_params:
      model: openai/llama
      api_base: http://10.1.2.3/v1
      api_key: sk-operator-key
      configurable_clientside_auth_params: [api_base, {api_base: "^https://[a-z]+\\.example$"}]
general_settings:
  allow_client_side_credentials: true
  allowed_client_api_base_hosts: [10.0.0.0/8]
router_settings:
  num_retries: 2
  fallbacks: [{gpt: [claude]}]
)";

const router::Router& gateway_router() {
  static const llmux::config::Config config = llmux::config::load_string(
      kConfig, "config.yaml", [](const std::string&) { return std::nullopt; });
  static std::vector<std::string> warnings;
  static const router::Router router = router::Router::from_config(config, warnings);
  return router;
}

bool carries_operator_key(const llmux::providers::UpstreamRequest& upstream) {
  for (const auto& [name, value] : upstream.headers)
    if (value.find(kOperatorKey) != std::string::npos) return true;
  return upstream.url.find(kOperatorKey) != std::string::npos ||
         upstream.body.find(kOperatorKey) != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const auto request = llmux::api::parse_request(llmux::api::Endpoint::chat_completions, input);
  if (!request) return 0;
  const auto options =
      router::request_options(*request, [](std::string_view) { return std::string_view(); });
  if (!options) return 0;
  auto now = router::TimePoint{} + std::chrono::hours(1);
  auto plan = gateway_router().plan(*request, *options, now);
  if (!plan) {
    check(!plan.error().message.empty(), "a refused plan without a message");
    return 0;
  }
  // A client may send the operator's key as its own: then it is the client's to send.
  const bool names_operator_key = input.find(kOperatorKey) != std::string_view::npos;
  for (int attempts = 0; attempts < 8; ++attempts) {
    const auto attempt = plan->next(now);
    if (!attempt) break;
    const router::Deployment& deployment = *attempt->deployment;
    const bool client_destination = !deployment.client_destination.empty() && !names_operator_key;
    if (client_destination)
      check(deployment.target.api_key != kOperatorKey, "the operator's key, client-chosen host");
    const auto upstream = deployment.provider->encode(*request, deployment.target);
    if (upstream && client_destination)
      check(!carries_operator_key(*upstream), "the operator's key sent where the client chose");
    now += std::chrono::duration_cast<router::Clock::duration>(attempt->wait);
    plan->started(*attempt, now);
    const llmux::Error failure = llmux::make_error(llmux::ErrorKind::upstream_failed, "down");
    plan->finished(*attempt, &failure, now);
  }
  return 0;
}
