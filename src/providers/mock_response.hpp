// Deployments with `mock_response`: LiteLLM's way to serve a model locally, with no upstream call
// (used for smoke tests and the embedded default config). The provider encodes the whole OpenAI
// answer as a call to a "local:" URL, which upstream::WithLocalAnswers answers in process, and
// decodes it as OpenAI's: the relay has no path of its own for it.
#pragma once

#include "api/request.hpp"
#include "providers/provider.hpp"

#include <string>
#include <string_view>

namespace llmux::providers {

class MockResponseProvider final : public Provider {
 public:
  // Chat and text completions only (400 for other endpoints). Target::mock_response is the text.
  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;
};

const Provider& mock_response_provider();

}  // namespace llmux::providers
