// Azure OpenAI (`azure/<deployment>`): OpenAI's bodies and stream, served under
// `{api_base}/openai/deployments/{deployment}/…?api-version=…` (the Responses API under
// `{api_base}/openai/responses`) with an `api-key` header (or an
// Entra ID bearer token from `azure_ad_token`). Only the addressing is Azure's own; encoding and
// decoding are OpenAiCompatibleProvider's, so both stay one piece of code.
#pragma once

#include "providers/openai_compatible.hpp"

#include <string_view>

namespace llmux::providers {

// LiteLLM's AZURE_DEFAULT_API_VERSION: used when neither litellm_params.api_version nor the
// AZURE_API_VERSION variable gives one.
inline constexpr std::string_view kAzureDefaultApiVersion = "2025-02-01-preview";
// LiteLLM's AZURE_DEFAULT_RESPONSES_API_VERSION: the Responses API's (the v1 API).
inline constexpr std::string_view kAzureDefaultResponsesApiVersion = "preview";

class AzureAddressing final : public OpenAiAddressing {
 public:
  Result<std::string> url(const Target& target, api::Endpoint endpoint) const override;
  // `Authorization: Bearer {azure_ad_token}` when the deployment has one (the openai SDK's
  // AzureOpenAI prefers it too), else `api-key: {api_key}`.
  void add_credentials(const Target& target, Headers& headers) const override;
};

const AzureAddressing& azure_addressing();

}  // namespace llmux::providers
