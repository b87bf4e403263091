// AWS Bedrock through the Converse and ConverseStream APIs (`bedrock/<model-id>`,
// `bedrock/converse/<model-id>`, inference profiles `us.anthropic.…`, ARNs): OpenAI chat
// requests translated to Converse bodies and signed with SigV4 (or a Bedrock API key), Converse
// answers and event-stream frames translated back. A client's Messages API call to a Claude model
// (not on the converse/ route) goes through InvokeModel and InvokeModelWithResponseStream with
// Anthropic's own body instead (docs/DIALECTS.md).
#pragma once

#include "config/load.hpp"
#include "providers/provider.hpp"

#include <chrono>
#include <string>

namespace llmux::providers {

class BedrockProvider final : public Provider {
 public:
  using Clock = std::chrono::system_clock::time_point (*)();
  // `now` is the signing time (and `created`); tests pass a fixed clock. `invokes_messages`: the
  // deployments' model is Claude, which InvokeModel serves Messages API calls for.
  explicit BedrockProvider(Clock now = &std::chrono::system_clock::now,
                           bool invokes_messages = false)
      : now_(now), invokes_messages_(invokes_messages) {}

  // Resolves the endpoint, region and credentials once, from the process environment and the
  // shared credentials file (see resolve_bedrock_target).
  void prepare(Target& target) const override;

  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;
  bool speaks(api::Endpoint dialect) const override {
    return dialect == api::Endpoint::messages && invokes_messages_;
  }

 private:
  Clock now_;
  bool invokes_messages_;
};

// What Claude on Bedrock takes as `anthropic_version` in an InvokeModel body.
inline constexpr std::string_view kBedrockAnthropicVersion = "bedrock-2023-05-31";

// LiteLLM's rule for a Messages API call: a model id naming Claude, unless on the converse/ route,
// is sent to InvokeModel with Anthropic's body (anthropic.claude-…, us.anthropic.claude-…,
// invoke/anthropic.claude-…).
bool is_bedrock_claude_invoke_model(std::string_view upstream_model);

// Fills what a Bedrock deployment needs, in LiteLLM's order of precedence, into `target` (the
// model table trims a trailing '/' from api_base afterwards):
// - api_base: litellm_params api_base, else aws_bedrock_runtime_endpoint, else
//   $AWS_BEDROCK_RUNTIME_ENDPOINT, else https://bedrock-runtime.{region}.amazonaws.com;
// - settings.aws_region_name: the param, else $AWS_REGION_NAME, $AWS_REGION, $AWS_DEFAULT_REGION,
//   else us-west-2;
// - settings.aws_access_key_id / aws_secret_access_key / aws_session_token: the params, else
//   (without aws_profile_name) $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY / $AWS_SESSION_TOKEN,
//   else the profile (aws_profile_name, $AWS_PROFILE, "default") of the shared credentials file
//   ($AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials).
// A deployment with an api_key (Bedrock API key: Authorization: Bearer) needs no AWS keys.
void resolve_bedrock_target(Target& target, const config::EnvLookup& env);

// The model id as Bedrock's path wants it: "converse/" or "invoke/" removed, every byte but RFC
// 3986 unreserved characters percent-encoded (":" → %3A, "/" in ARNs → %2F).
std::string bedrock_model_path_segment(std::string_view upstream_model);

}  // namespace llmux::providers
