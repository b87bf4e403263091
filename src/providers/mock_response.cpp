#include "providers/mock_response.hpp"

#include "api/token_estimate.hpp"
#include "base/ids.hpp"

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

}  // namespace

Reply mock_reply(const api::Request& request, std::string_view text, std::string_view client_model) {
  const api::Usage usage = usage_for(request, text);
  json::object choice{{"index", 0}, {"finish_reason", "stop"}, {"logprobs", nullptr}};
  if (is_chat(request)) {
    choice["message"] = json::object{{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
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

std::string mock_stream(const api::Request& request, std::string_view text,
                        std::string_view client_model, api::Usage& usage) {
  usage = usage_for(request, text);
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
  if (is_chat(request)) finish["delta"] = json::object{};
  else finish["text"] = "";
  emit(json::array{std::move(finish)}, nullptr);
  if (request.include_usage) emit(json::array{}, &usage);
  out += "data: [DONE]\n\n";
  return out;
}

}  // namespace llmux::providers
