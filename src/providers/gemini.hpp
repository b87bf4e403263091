// Google AI Studio's Gemini API (`gemini/<model>`, generativelanguage.googleapis.com): OpenAI chat
// requests become generateContent / streamGenerateContent?alt=sse calls, embeddings become
// batchEmbedContents (Vertex: predict), and Gemini's answers, SSE streams and google.rpc errors
// come back in OpenAI's shapes, following LiteLLM's `gemini/` provider (docs/providers/gemini.md).
// Vertex AI serves the same bodies under its own URLs and OAuth credential: it only supplies a
// GeminiAddressing (vertex.hpp), so the translation stays one piece of code.
#pragma once

#include "providers/provider.hpp"

#include <string_view>

namespace llmux::providers {

// Where a Gemini model's methods live and how the call carries its credential.
class GeminiAddressing {
 public:
  virtual ~GeminiAddressing() = default;
  // The absolute URL of `method` ("generateContent", "streamGenerateContent?alt=sse",
  // "batchEmbedContents") for the deployment's model.
  virtual Result<std::string> url(const Target& target, std::string_view method) const = 0;
  // Fails when the deployment has no usable credential (e.g. no OAuth token yet).
  virtual Result<void> add_credentials(const Target& target, Headers& headers) const = 0;
  // Embeddings through `:predict` ({"instances":[{"content"}]} → predictions[].embeddings, Vertex's
  // text-embedding models) instead of AI Studio's `:batchEmbedContents`.
  virtual bool embeds_with_predict() const { return false; }
};

// AI Studio: `{api_base}/v1beta/models/{model}:{method}` with `x-goog-api-key: {api_key}`.
const GeminiAddressing& ai_studio_addressing();

class GeminiProvider final : public Provider {
 public:
  explicit GeminiProvider(const GeminiAddressing& addressing = ai_studio_addressing())
      : addressing_(addressing) {}

  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;

 private:
  const GeminiAddressing& addressing_;
};

}  // namespace llmux::providers
