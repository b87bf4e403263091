// Answers for deployments with `mock_response`: LiteLLM's way to serve a model locally, with no
// upstream call (used for smoke tests and the embedded default config).
#pragma once

#include "api/request.hpp"
#include "providers/provider.hpp"

#include <string>
#include <string_view>

namespace llmux::providers {

// A chat.completion / text_completion body answering `text`.
Reply mock_reply(const api::Request& request, std::string_view text, std::string_view client_model);
// The same answer as a whole SSE stream, "data: [DONE]" included.
std::string mock_stream(const api::Request& request, std::string_view text,
                        std::string_view client_model, api::Usage& usage);

}  // namespace llmux::providers
