// Ollama's native API: `ollama_chat/<model>` → POST /api/chat, `ollama/<model>` → POST
// /api/generate (chat messages flattened into one prompt, as LiteLLM's ollama_pt does), legacy
// completions → /api/generate, embeddings → /api/embed. Streams are NDJSON (wire/ndjson.hpp),
// turned into OpenAI chunks; tool-call arguments arrive as objects without ids and leave as
// JSON strings with generated `call_…` ids.
#pragma once

#include "providers/provider.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace llmux::providers {

class OllamaProvider final : public Provider {
 public:
  enum class Api { chat, generate };  // which endpoint serves chat requests
  explicit OllamaProvider(Api api) : api_(api) {}

  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;

 private:
  Api api_;
};

// Ollama's `created_at` ("2023-08-04T08:52:19.385406455-07:00", RFC 3339) as Unix seconds: the
// `created` of the OpenAI answer, so the provider need not read the clock.
std::optional<std::int64_t> unix_seconds_from_rfc3339(std::string_view text);

}  // namespace llmux::providers
