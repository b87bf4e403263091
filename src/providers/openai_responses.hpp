// OpenAI's Responses API passed through (docs/DIALECTS.md): a client's /v1/responses call sent as
// it is to an OpenAI or Azure deployment, whose answer and stream events go back unchanged, their
// usage read on the way (OpenAiCompatibleProvider, for Endpoint::responses).
#pragma once

#include "providers/provider.hpp"

#include <memory>
#include <string_view>

namespace llmux::providers {

// A response object: passed back as it is, with its usage; a `failed` one is the call's error.
Result<Reply> decode_responses_answer(std::string_view body);

// The Responses API's typed events, relayed as they came (response.created and .in_progress held
// until the next event), their usage read from the terminal response.completed / .incomplete;
// an `error` event or response.failed is the stream's failure.
std::unique_ptr<StreamDecoder> make_responses_stream_decoder(std::size_t max_event_bytes);

}  // namespace llmux::providers
