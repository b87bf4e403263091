// Which request fields reach a provider: the gateway's own fields never do, and a field a
// provider cannot express is dropped or refused (LiteLLM's drop_params).
#pragma once

#include "api/request.hpp"
#include "base/error.hpp"
#include "providers/provider.hpp"

#include <span>
#include <string_view>

namespace llmux::providers {

// Request fields that configure LiteLLM itself and must never reach a provider.
bool is_gateway_only_field(std::string_view key);

// Whether a deployment's request default (a litellm_params field such as `temperature`) is a field
// of `endpoint`'s calls, so that it goes into a call that lacks it: every default for OpenAI's own
// endpoints, only the Messages API's fields for a passed-through Messages call and the Responses
// API's for a passed-through Responses call (a default named as a chat field only is not sent).
bool takes_request_default(api::Endpoint endpoint, std::string_view key);

// Succeeds when every field of the request body is either the gateway's own, or in `supported`
// (the OpenAI fields `provider` translates), or to be dropped: the deployment's drop_params, the
// body's own "drop_params": true, or a name in additional_drop_params (settings or body).
// Otherwise a 400 UnsupportedParamsError naming the first such field and the provider.
// Translating providers build their upstream body field by field, so dropping is not copying.
Result<void> check_supported_params(const api::Request& request, const Target& target,
                                    std::span<const std::string_view> supported,
                                    std::string_view provider);

}  // namespace llmux::providers
