#include "providers/mock_response.hpp"

#include "api/token_estimate.hpp"
#include "base/ids.hpp"
#include "providers/openai_compatible.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>

namespace llmux::providers {

namespace json = boost::json;

namespace {

api::Usage usage_for(const api::Request& request, std::string_view text) {
  api::Usage usage{.prompt_tokens = api::estimate_prompt_tokens(request),
                   .completion_tokens = api::estimate_tokens(text),
                   .reported = true};
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return usage;
}

json::object usage_json(const api::Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.total_tokens}};
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_chat(const api::Request& request) {
  return request.endpoint == api::Endpoint::chat_completions;
}

// A chat.completion / text_completion body answering `text`.
Reply mock_reply(const api::Request& request, std::string_view text,
                 std::string_view client_model) {
  const api::Usage usage = usage_for(request, text);
  json::object choice{{"index", 0}, {"finish_reason", "stop"}, {"logprobs", nullptr}};
  if (is_chat(request)) {
    choice["message"] =
        json::object{{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
  } else {
    choice["text"] = text;
  }
  json::object body{{"id", make_object_id(is_chat(request) ? "chatcmpl-" : "cmpl-")},
                    {"object", is_chat(request) ? "chat.completion" : "text_completion"},
                    {"created", now_seconds()},
                    {"model", client_model},
                    {"choices", json::array{std::move(choice)}},
                    {"usage", usage_json(usage)}};
  return Reply{.body = json::serialize(body), .usage = usage};
}

// The same answer as a whole SSE stream, its usage chunk and "data: [DONE]" included.
std::string mock_stream(const api::Request& request, std::string_view text,
                        std::string_view client_model) {
  const api::Usage usage = usage_for(request, text);
  const std::string id = make_object_id(is_chat(request) ? "chatcmpl-" : "cmpl-");
  const std::int64_t created = now_seconds();
  std::string out;
  auto emit = [&](json::array choices, const api::Usage* with_usage) {
    json::object chunk{{"id", id},
                       {"object", is_chat(request) ? "chat.completion.chunk" : "text_completion"},
                       {"created", created},
                       {"model", client_model},
                       {"choices", std::move(choices)}};
    if (with_usage) chunk["usage"] = usage_json(*with_usage);
    out += "data: ";
    out += json::serialize(chunk);
    out += "\n\n";
  };
  // One chunk per word, as a real model streams: clients see several deltas.
  std::size_t start = 0;
  bool first = true;
  while (start < text.size() || first) {
    std::size_t end = text.find(' ', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    const std::string_view piece = text.substr(start, end - start);
    json::object choice{{"index", 0}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
    if (is_chat(request)) {
      json::object delta{{"content", piece}};
      if (first) delta["role"] = "assistant";
      choice["delta"] = std::move(delta);
    } else {
      choice["text"] = piece;
    }
    emit(json::array{std::move(choice)}, nullptr);
    first = false;
    start = end;
  }
  json::object finish{{"index", 0}, {"logprobs", nullptr}, {"finish_reason", "stop"}};
  if (is_chat(request))
    finish["delta"] = json::object{};
  else
    finish["text"] = "";
  emit(json::array{std::move(finish)}, nullptr);
  emit(json::array{}, &usage);  // the decoder hides it unless the client asked (stream_options)
  out += "data: [DONE]\n\n";
  return out;
}

// OpenAI's own decoding: usage asked on every stream, its chunk shown only to clients that asked.
const OpenAiCompatibleProvider kOpenAiDecoding(/*ask_stream_usage=*/true);

}  // namespace

Result<UpstreamRequest> MockResponseProvider::encode(const api::Request& request,
                                                     const Target& target) const {
  if (request.endpoint != api::Endpoint::chat_completions &&
      request.endpoint != api::Endpoint::completions) {
    return bad_request("mock_response answers chat and text completions only.");
  }
  // The model is set by decode, as for any upstream's answer.
  return UpstreamRequest{.url = std::string(kLocalScheme) + "mock_response",
                         .body = request.stream
                                     ? mock_stream(request, target.mock_response, "")
                                     : mock_reply(request, target.mock_response, "").body};
}

Result<Reply> MockResponseProvider::decode(const api::Request& request, std::string_view body,
                                           std::string_view client_model) const {
  return kOpenAiDecoding.decode(request, body, client_model);
}

Error MockResponseProvider::decode_error(int status, std::string_view body) const {
  return decode_openai_error(status, body);
}

std::unique_ptr<StreamDecoder> MockResponseProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return kOpenAiDecoding.make_stream_decoder(request, client_model, max_event_bytes);
}

const Provider& mock_response_provider() {
  static const MockResponseProvider provider;
  return provider;
}

}  // namespace llmux::providers
