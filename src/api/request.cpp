#include "api/request.hpp"

#include "api/anthropic_messages.hpp"
#include "api/responses.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace llmux::api {

namespace json = boost::json;

std::string_view endpoint_path(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::chat_completions: return "/chat/completions";
    case Endpoint::completions: return "/completions";
    case Endpoint::embeddings: return "/embeddings";
    case Endpoint::moderations: return "/moderations";
    case Endpoint::rerank: return "/rerank";
    case Endpoint::messages: return "/messages";
    case Endpoint::count_tokens: return "/messages/count_tokens";
    case Endpoint::responses: return "/responses";
  }
  return "/chat/completions";
}

std::string_view call_type(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::chat_completions: return "acompletion";
    case Endpoint::completions: return "atext_completion";
    case Endpoint::embeddings: return "aembedding";
    case Endpoint::moderations: return "amoderation";
    case Endpoint::rerank: return "arerank";
    case Endpoint::messages:
    case Endpoint::count_tokens: return "anthropic_messages";
    case Endpoint::responses: return "aresponses";
  }
  return "acompletion";
}

bool is_ingress_dialect(Endpoint endpoint) {
  return endpoint == Endpoint::messages || endpoint == Endpoint::count_tokens ||
         endpoint == Endpoint::responses;
}

namespace {

Error bad_request(std::string message, std::string param) {
  return Error{
      .kind = ErrorKind::invalid_request, .message = std::move(message), .param = std::move(param)};
}

// The field each endpoint cannot do without, and what it must be.
Result<void> validate_required(Endpoint endpoint, const json::object& body) {
  switch (endpoint) {
    case Endpoint::chat_completions: {
      const auto* messages = body.if_contains("messages");
      if (!messages) return bad_request("Missing required parameter: 'messages'.", "messages");
      if (!messages->is_array() || messages->get_array().empty())
        return bad_request("Invalid 'messages': expected a non-empty array of messages.",
                           "messages");
      for (const auto& message : messages->get_array()) {
        const auto* object = message.if_object();
        const auto* role = object ? object->if_contains("role") : nullptr;
        if (!role || !role->is_string())
          return bad_request("Invalid 'messages': each message must be an object with a 'role'.",
                             "messages");
      }
      return {};
    }
    case Endpoint::completions:
      if (!body.contains("prompt"))
        return bad_request("Missing required parameter: 'prompt'.", "prompt");
      return {};
    case Endpoint::embeddings:
    case Endpoint::moderations:
      if (!body.contains("input"))
        return bad_request("Missing required parameter: 'input'.", "input");
      return {};
    case Endpoint::rerank: {
      const auto* query = body.if_contains("query");
      if (!query || !query->is_string())
        return bad_request("Missing required parameter: 'query' (a string).", "query");
      const auto* documents = body.if_contains("documents");
      if (!documents || !documents->is_array())
        return bad_request("Missing required parameter: 'documents' (an array).", "documents");
      return {};
    }
    case Endpoint::messages: return validate_messages_body(body, /*counting=*/false);
    case Endpoint::count_tokens: return validate_messages_body(body, /*counting=*/true);
    case Endpoint::responses: return validate_responses_body(body);
  }
  return {};
}

// stream and stream_options.include_usage, as the body gives them.
Result<void> read_stream_fields(Request& request) {
  const json::object& body = request.body;
  if (const auto* stream = body.if_contains("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) return bad_request("Invalid 'stream': expected a boolean.", "stream");
    request.stream = stream->get_bool();
  }
  if (const auto* options = body.if_contains("stream_options"); options && options->is_object()) {
    if (const auto* usage = options->get_object().if_contains("include_usage"))
      request.include_usage = usage->is_bool() && usage->get_bool();
  }
  return {};
}

}  // namespace

Result<Request> parse_request(Endpoint endpoint, std::string_view text,
                              std::string_view model_override) {
  // One arena per request: every node of the body is freed at once when the request ends. The
  // parser itself is kept per thread: setting one up costs a fifth of parsing a small body.
  thread_local json::parser parser;
  parser.reset(json::make_shared_resource<json::monotonic_resource>());
  json::error_code ec;
  parser.write(text, ec);
  json::value parsed = ec ? json::value() : parser.release();
  if (ec) {
    return bad_request("Invalid JSON in request body: " + ec.message() + ".", "");
  }
  if (!parsed.is_object()) return bad_request("The request body must be a JSON object.", "");

  Request request{.endpoint = endpoint, .body = std::move(parsed.get_object()), .text = text};
  json::object& body = request.body;
  if (!model_override.empty()) {
    request.model = model_override;
  } else if (const auto* model = body.if_contains("model")) {
    if (!model->is_string()) return bad_request("Invalid 'model': expected a string.", "model");
    request.model = model->get_string();
  } else if (endpoint != Endpoint::moderations) {
    return bad_request("Missing required parameter: 'model'.", "model");
  }
  if (auto result = validate_required(endpoint, body); !result) return result.error();

  if (auto read = read_stream_fields(request); !read) return read.error();
  // count_tokens has no stream: a client that sends one gets its count.
  if (endpoint == Endpoint::count_tokens) request.stream = false;
  if (request.stream && (endpoint == Endpoint::embeddings || endpoint == Endpoint::moderations ||
                         endpoint == Endpoint::rerank)) {
    return bad_request("'stream' is not supported on this endpoint.", "stream");
  }
  return request;
}

Request request_from_body(Endpoint endpoint, json::object body) {
  auto text = std::make_shared<const std::string>(json::serialize(body));
  Request request{.endpoint = endpoint, .body = std::move(body), .text = *text};
  request.built_text = std::move(text);
  if (const auto* model = request.body.if_contains("model"); model && model->is_string())
    request.model = model->get_string();
  (void)read_stream_fields(request);
  return request;
}

std::vector<std::string_view> client_side_routing_fields(const Request& request) {
  static constexpr std::string_view kFields[] = {"api_key", "api_base", "base_url", "user_config"};
  std::vector<std::string_view> found;
  const auto add_from = [&](const boost::json::object& object) {
    for (const std::string_view field : kFields) {
      if (object.contains(field) && std::find(found.begin(), found.end(), field) == found.end())
        found.push_back(field);
    }
  };
  add_from(request.body);
  if (const auto* metadata = request.body.if_contains("metadata")) {
    if (metadata->is_object()) add_from(metadata->get_object());
    // Some clients send metadata as a JSON string; LiteLLM parses it, so a field there counts too.
    if (metadata->is_string()) {
      boost::system::error_code ec;
      const boost::json::value parsed = boost::json::parse(metadata->get_string(), ec);
      if (!ec && parsed.is_object()) add_from(parsed.get_object());
    }
  }
  return found;
}

}  // namespace llmux::api
