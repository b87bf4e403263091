// An OpenAI request body parsed once: the JSON kept whole for pass-through, plus the fields the
// gateway acts on, validated so that a bad body is a clear 400 before any routing happens.
#pragma once

#include "api/endpoint.hpp"
#include "base/error.hpp"

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::api {

std::string_view endpoint_path(Endpoint endpoint);  // "/chat/completions", …, "/responses"
// LiteLLM's CallTypes name of an endpoint's calls ("acompletion", …), as its logs carry it.
std::string_view call_type(Endpoint endpoint);

// Whether the endpoint's requests and answers are in another dialect than OpenAI's chat.
bool is_ingress_dialect(Endpoint endpoint);

struct Request {
  Endpoint endpoint = Endpoint::chat_completions;
  boost::json::object body;  // the client's body, parsed (own monotonic arena)
  std::string_view
      text;  // the body's bytes, a well-formed JSON object; valid while the HTTP request lives
  std::string model;  // the model (group) name the client asked for
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // The body's text when the gateway built the body (request_from_body): `text` views it.
  std::shared_ptr<const std::string> built_text;
  // An ingress dialect's call as a chat completion: the client's own request, sent instead to a
  // deployment whose provider speaks that dialect (providers::Provider::speaks). It outlives the
  // call; nullptr for a call made in OpenAI's dialect.
  const Request* native = nullptr;
  // The client's headers that such a deployment is sent too (Anthropic's anthropic-beta and
  // anthropic-version), lower-case names; set on the client's own request.
  std::vector<std::pair<std::string, std::string>> native_headers;
  // What the chat form of an ingress dialect's call had to leave out (the first such part, as
  // the 400 it is): a deployment sent the chat form refuses the call with it; one that speaks the
  // dialect is sent the client's call whole (`native`).
  std::optional<Error> left_out_of_chat;
};

// Parses and validates `text` for `endpoint`. `model_override` (non-empty) stands in for the
// body's "model", as on Azure-style routes that name the deployment in the path.
Result<Request> parse_request(Endpoint endpoint, std::string_view text,
                              std::string_view model_override = {});

// A request the gateway builds (an ingress dialect's call as a chat completion): its text is the
// body serialized, which the request owns; model, stream and include_usage are read from it.
Request request_from_body(Endpoint endpoint, boost::json::object body);

// The fields with which the client tries to choose the upstream or its credentials (`api_key`,
// `api_base`, `base_url`, `user_config`), at the top level or inside `metadata` (an object, or a
// JSON string holding one), each once, in that order. The router refuses them unless the
// operator allowed them (router/client_side.hpp).
std::vector<std::string_view> client_side_routing_fields(const Request& request);

}  // namespace llmux::api
