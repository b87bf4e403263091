// Anthropic's Messages API (/v1/messages): OpenAI chat requests translated to messages, and
// messages, their event stream and their errors translated back, as LiteLLM does it.
// The mapping is described in docs/providers/anthropic.md.
#pragma once

#include "providers/provider.hpp"

namespace llmux::providers {

class AnthropicProvider final : public Provider {
 public:
  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model) const override;
};

}  // namespace llmux::providers
