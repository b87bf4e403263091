#include "providers/azure.hpp"

#include "net/percent_encoding.hpp"

namespace llmux::providers {

namespace {

const AzureAddressing kAzureAddressing;

// The Responses API is not under a deployment's path (the model is in the body):
// `{api_base}/openai/responses?api-version=…`, or `/openai/v1/responses` for the v1 API's
// versions (`preview`, `latest`, LiteLLM's default for this API).
std::string responses_url(const Target& target) {
  const std::string_view version =
      target.api_version.empty() ? kAzureDefaultResponsesApiVersion : target.api_version;
  const bool v1 = version == "preview" || version == "latest";
  std::string url = target.api_base;
  url += v1 ? "/openai/v1/responses?api-version=" : "/openai/responses?api-version=";
  net::append_percent_encoded(url, version);
  return url;
}

}  // namespace

Result<std::string> AzureAddressing::url(const Target& target, api::Endpoint endpoint) const {
  if (endpoint == api::Endpoint::moderations) {
    return make_error(
        ErrorKind::invalid_request,
        "Azure OpenAI has no moderations endpoint (deployment '" + target.upstream_model + "').");
  }
  if (endpoint == api::Endpoint::responses) return responses_url(target);
  const std::string_view version =
      target.api_version.empty() ? kAzureDefaultApiVersion : target.api_version;
  std::string url;
  url.reserve(target.api_base.size() + target.upstream_model.size() + version.size() + 64);
  url += target.api_base;
  url += "/openai/deployments/";
  net::append_percent_encoded(url, target.upstream_model);
  url += api::endpoint_path(endpoint);
  url += "?api-version=";
  net::append_percent_encoded(url, version);
  return url;
}

void AzureAddressing::add_credentials(const Target& target, Headers& headers) const {
  const auto* token = target.settings.if_contains("azure_ad_token");
  if (token && token->is_string() && !token->get_string().empty()) {
    headers.emplace_back("Authorization", "Bearer " + std::string(token->get_string()));
  } else if (!target.api_key.empty()) {
    headers.emplace_back("api-key", target.api_key);
  }
}

const AzureAddressing& azure_addressing() { return kAzureAddressing; }

}  // namespace llmux::providers
