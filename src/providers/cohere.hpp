// Cohere's v2 API: `cohere_chat/<model>` and `cohere/<model>` → POST /v2/chat (as LiteLLM does
// for both prefixes today), embeddings → POST /v2/embed. Chat requests are translated field by
// field (top_p → p, stop → stop_sequences, tool_choice in upper case, …); answers and the SSE
// stream (message-start, content-delta, tool-call-start/delta/end, message-end) become OpenAI's.
// `/rerank` requests go to POST /v2/rerank and come back as Cohere answers them (as in LiteLLM).
#pragma once

#include "providers/provider.hpp"

namespace llmux::providers {

class CohereProvider final : public Provider {
 public:
  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;
  bool serves_rerank() const override { return true; }
};

}  // namespace llmux::providers
