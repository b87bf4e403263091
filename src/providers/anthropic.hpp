// Anthropic's Messages API (/v1/messages): OpenAI chat requests translated to messages, and
// messages, their event stream and their errors translated back, as LiteLLM does it.
// The mapping is described in docs/providers/anthropic.md.
#pragma once

#include "providers/provider.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <string_view>

namespace llmux::providers {

// A client's Messages API call passed through to an upstream that speaks the API itself
// (Anthropic's own, Claude on Vertex AI, Claude on Bedrock's InvokeModel): docs/DIALECTS.md.
//
// Copies the client's body into `body` (which holds what the upstream's addressing puts there,
// and wins): every field but `model` and LiteLLM's own, and of `metadata` only `user_id`; then
// the deployment's request defaults that are Messages API fields and the call lacks.
void copy_messages_call(const api::Request& client, const Target& target,
                        boost::json::object& body);
// The client's header `name` (lower case) that such an upstream takes (anthropic-beta, …); empty
// when the client sent none.
std::string_view client_native_header(const api::Request& client, std::string_view name);
// A whole Messages answer as the upstream sent it, its usage read for the cost.
Result<Reply> passed_through_message(std::string_view body);
// Anthropic's stream events relayed as they came (each event's data unchanged, framed with
// `event: <type>`), their usage read; message_start and pings held until the next event, so an
// error right after them is still a failure the router may retry; an error event fails the stream.
std::unique_ptr<StreamDecoder> make_messages_event_relay(std::size_t max_event_bytes);

// Where the Messages API lives and how a call names its model, API version and credential.
// Anthropic's own API takes them as `model` in the body and headers; Claude on Vertex AI
// (vertex.hpp) takes the model in the URL and the version in the body, with an OAuth token.
class AnthropicAddressing {
 public:
  virtual ~AnthropicAddressing() = default;
  virtual Result<std::string> url(const Target& target, bool stream) const = 0;
  // The credential and version headers; fails when the deployment has no usable credential.
  virtual Result<void> add_headers(const Target& target, Headers& headers) const = 0;
  // Adds what names the model and version in the body (called first, on an empty body).
  virtual void address_body(const Target& target, boost::json::object& body) const = 0;
  // Whether a client's Messages API call is passed through (docs/DIALECTS.md) rather than sent
  // as a chat completion translated back.
  virtual bool passes_messages_through() const { return false; }
  // Whether the API takes the version as an anthropic-version header (a passed-through call's is
  // the client's), rather than only in the body (Vertex AI's anthropic_version).
  virtual bool takes_version_header() const { return true; }
};

// `{api_base}/v1/messages`, `x-api-key` and `anthropic-version: 2023-06-01`, `model` in the body.
const AnthropicAddressing& anthropic_api_addressing();

class AnthropicProvider final : public Provider {
 public:
  explicit AnthropicProvider(const AnthropicAddressing& addressing = anthropic_api_addressing())
      : addressing_(addressing) {}

  Result<UpstreamRequest> encode(const api::Request& request, const Target& target) const override;
  Result<Reply> decode(const api::Request& request, std::string_view body,
                       std::string_view client_model) const override;
  Error decode_error(int status, std::string_view body) const override;
  std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                     std::string_view client_model,
                                                     std::size_t max_event_bytes) const override;
  bool speaks(api::Endpoint dialect) const override {
    return dialect == api::Endpoint::messages && addressing_.passes_messages_through();
  }

 private:
  const AnthropicAddressing& addressing_;
};

}  // namespace llmux::providers
