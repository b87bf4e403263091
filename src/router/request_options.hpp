// The routing choices a client makes per request: body fields num_retries, fallbacks,
// disable_fallbacks, timeout, stream_timeout and headers x-litellm-num-retries,
// x-litellm-timeout, x-litellm-stream-timeout (a header wins over the body, as in LiteLLM).
#pragma once

#include "api/request.hpp"
#include "router/attempt_plan.hpp"

#include <functional>
#include <string_view>

namespace llmux::router {

using HeaderLookup = std::function<std::string_view(std::string_view name)>;  // empty when absent

// A malformed value is a 400 naming the field. A timeout beyond a day is taken as a day;
// num_retries is bounded later, by the plan (client_retry_limit).
Result<RequestOptions> request_options(const api::Request& request, const HeaderLookup& header);

// A rough count of the prompt's tokens (about four bytes each) for pre-call checks: llmux has no
// tokenizer, and an estimate errs on the side of calling the deployment.
long estimate_prompt_tokens(const api::Request& request);

}  // namespace llmux::router
