// Usage for answers that arrive without it (OpenAI-compatible servers that ignore
// stream_options, or answer without a usage object): estimated (api/token_estimate) so that
// spend is recorded and a client that asked for include_usage still gets its usage chunk.
#pragma once

#include "providers/provider.hpp"

#include <memory>

namespace llmux::providers {

// Wraps a decoder: counts the completion text of the frames it writes and, when the stream ends
// without a usage report, estimates one — and, if the client asked include_usage, writes it as
// the usage chunk (same id, object and model as the stream's chunks) before "data: [DONE]".
std::unique_ptr<StreamDecoder> with_estimated_usage(std::unique_ptr<StreamDecoder> inner,
                                                    const api::Request& request,
                                                    std::string_view client_model);

// A non-streamed answer without usage gets an estimate (Usage::estimated), also added to the body
// of a (chat) completion as `usage` (moderations have none in OpenAI's API).
void estimate_missing_usage(Reply& reply, const api::Request& request);

}  // namespace llmux::providers
