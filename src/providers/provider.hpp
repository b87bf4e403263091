// One upstream dialect: turns OpenAI-shaped requests into upstream bytes and upstream bytes back
// into OpenAI-shaped answers. Pure translation: a provider never opens a socket (upstream/ does).
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::providers {

namespace wire {
class GoogleAccessToken;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// Where and how one deployment reaches its provider; built once from litellm_params.
struct Target {
  std::string provider;        // the model prefix: "openai", "groq", "hosted_vllm", …
  std::string upstream_model;  // the name the provider knows (prefix stripped)
  std::string api_base;        // no trailing '/'
  std::string api_key;         // secret
  std::string api_version;
  std::string organization;
  Headers extra_headers;
  boost::json::object default_params;  // other litellm_params: request defaults
  // litellm_params that configure the provider (registry.hpp is_provider_setting): may hold
  // secrets (azure_ad_token, aws_secret_access_key, …), never sent as request fields.
  boost::json::object settings;
  // Request fields the provider cannot express are dropped (true) or refused with a 400
  // UnsupportedParamsError (false): litellm_settings.drop_params or litellm_params.drop_params.
  bool drop_params = false;
  // The model's output limit (model_info.max_output_tokens, else the built-in price map), for
  // providers that require max_tokens (Anthropic) when the client sent none.
  std::optional<long> max_output_tokens;
  // litellm_params.mock_response: the text a local answer carries (providers/mock_response).
  std::string mock_response;
  // Vertex AI: the service account and its current OAuth token, kept fresh by app/ (shared).
  std::shared_ptr<wire::GoogleAccessToken> google_token;
};

// The scheme of a call a provider answers itself (mock_response): its body is the answer, and
// the relay's transport hands it back without a network call (relay/local_answers.hpp).
constexpr std::string_view kLocalScheme = "local:";

struct UpstreamRequest {
  std::string url;  // absolute http(s) URL
  Headers headers;  // besides Host, Content-Type and Content-Length
  std::string body;
};

// A decoded non-streaming answer: the OpenAI body for the client and what it cost.
struct Reply {
  std::string body;
  api::Usage usage;
};

// The two errors translation itself meets: a client request the provider cannot express (400,
// naming the parameter when there is one) and an upstream answer it cannot read (502).
inline Error bad_request(std::string message, std::string param = {}) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param));
}

inline Error upstream_failure(std::string message) {
  return make_error(ErrorKind::upstream_failed, std::move(message));
}

// Upstream stream bytes in (split anywhere), OpenAI SSE frames out.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // Appends every complete "data: …\n\n" frame that `bytes` finishes to `out`. An error means
  // the upstream sent something unusable; the caller reports it to the client.
  virtual Result<void> feed(std::string_view bytes, std::string& out) = 0;
  // The upstream closed the stream: appends the closing frames, or fails if it ended early.
  virtual Result<void> finish(std::string& out) = 0;
  // True once the stream's own end was seen (e.g. "data: [DONE]"): nothing more will come.
  virtual bool done() const = 0;
  virtual const api::Usage& usage() const = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Called once per deployment while the model table is built (startup, never per request):
  // resolves what the provider reads from the environment or files (Bedrock's credentials).
  virtual void prepare(Target& /*target*/) const {}
  virtual Result<UpstreamRequest> encode(const api::Request& request,
                                         const Target& target) const = 0;
  // A 2xx body → the client's body, with `model` set to `client_model`.
  virtual Result<Reply> decode(const api::Request& request, std::string_view body,
                               std::string_view client_model) const = 0;
  // Any non-2xx answer → the client's error (status and message kept where they make sense).
  virtual Error decode_error(int status, std::string_view body) const = 0;
  // A stream's decoder; an upstream event (or line, or message) larger than `max_event_bytes` fails
  // the stream instead of being buffered.
  virtual std::unique_ptr<StreamDecoder> make_stream_decoder(const api::Request& request,
                                                             std::string_view client_model,
                                                             std::size_t max_event_bytes) const = 0;
  // Whether encode takes Endpoint::rerank (Cohere's rerank API); the gateway refuses it otherwise.
  virtual bool serves_rerank() const { return false; }
  // Whether the upstream speaks an ingress dialect's API itself (Anthropic's Messages API, OpenAI's
  // Responses API): then the relay hands encode, decode and the stream decoder the client's own
  // request (api::Request::native), and they pass the call and its answer through in that dialect.
  virtual bool speaks(api::Endpoint /*dialect*/) const { return false; }
};

}  // namespace llmux::providers
