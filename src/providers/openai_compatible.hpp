// OpenAI and every server that speaks its API (vLLM, Groq, DeepSeek, Mistral, Together, …):
// the body passes through with the model renamed and LiteLLM-only fields removed; so does a
// Responses API call to an upstream that serves that API (providers/openai_responses).
#pragma once

#include "providers/provider.hpp"

namespace llmux::providers {

// Where an OpenAI-shaped API lives and how it takes its credential. OpenAI's own layout is
// `{api_base}{endpoint path}` with `Authorization: Bearer`; Azure OpenAI (azure.hpp) serves the
// same bodies under its deployment paths with an `api-key` header.
class OpenAiAddressing {
 public:
  virtual ~OpenAiAddressing() = default;
  virtual Result<std::string> url(const Target& target, api::Endpoint endpoint) const = 0;
  virtual void add_credentials(const Target& target, Headers& headers) const = 0;
};

// `{api_base}{/chat/completions, …}`, `Authorization: Bearer {api_key}` and the organization.
const OpenAiAddressing& openai_addressing();

class OpenAiCompatibleProvider final : public Provider {
 public:
  // `ask_stream_usage`: request usage on every stream (for spend), and hide the usage chunk
  // from clients that did not ask for it. Only for upstreams known to accept stream_options.
  // `speaks_responses`: the upstream serves OpenAI's Responses API (OpenAI's own and Azure's),
  // so a client's /v1/responses call is passed through (docs/DIALECTS.md).
  explicit OpenAiCompatibleProvider(bool ask_stream_usage,
                                    const OpenAiAddressing& addressing = openai_addressing(),
                                    bool speaks_responses = false)
      : ask_stream_usage_(ask_stream_usage),
        speaks_responses_(speaks_responses),
        addressing_(addressing) {}

  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;
  bool speaks(api::Endpoint dialect) const override {
    return dialect == api::Endpoint::responses && speaks_responses_;
  }

 private:
  bool ask_stream_usage_;
  bool speaks_responses_;
  const OpenAiAddressing& addressing_;
};

// An OpenAI-style error body ({"error":{…}}, or a bare message) → Error with `status` kept.
Error decode_openai_error(int status, std::string_view body);

}  // namespace llmux::providers
