// Google AI Studio's Gemini API (`gemini/<model>`, generativelanguage.googleapis.com): OpenAI chat
// requests become generateContent / streamGenerateContent?alt=sse calls, embeddings become
// batchEmbedContents, and Gemini's answers, SSE streams and google.rpc errors come back in
// OpenAI's shapes, following LiteLLM's `gemini/` provider (docs/providers/gemini.md).
#pragma once

#include "providers/provider.hpp"

namespace llmux::providers {

class GeminiProvider final : public Provider {
 public:
  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model) const override;
};

}  // namespace llmux::providers
