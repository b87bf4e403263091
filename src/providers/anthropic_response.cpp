#include "providers/anthropic.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/anthropic_internal.hpp"
#include "providers/json_fields.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace llmux::providers {

namespace json = boost::json;

namespace anthropic {
namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool mentions_context_window(std::string_view message) {
  std::string lower(message);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  // Anthropic's own wording first, then the generic phrases LiteLLM checks for every provider.
  static constexpr std::string_view kPhrases[] = {
      "prompt is too long",     "prompt: length",
      "exceed context limit",   "model's maximum context",
      "maximum context length", "input tokens exceed the configured limit",
  };
  return std::ranges::any_of(kPhrases,
                             [&](std::string_view phrase) { return contains(lower, phrase); });
}

// A JSON-mode answer is the forced tool's input: LiteLLM unwraps {"values": X} to X.
std::string json_mode_content(const json::value& input) {
  if (const auto* object = input.if_object()) {
    if (const auto* values = object->if_contains("values"); values && !values->is_null())
      return json::serialize(*values);
  }
  return json::serialize(input);
}

}  // namespace

int status_of_error_type(std::string_view type) {
  static constexpr std::pair<std::string_view, int> kStatuses[] = {
      {"invalid_request_error", 400}, {"authentication_error", 401},
      {"billing_error", 402},         {"permission_error", 403},
      {"not_found_error", 404},       {"request_too_large", 413},
      {"rate_limit_error", 429},      {"api_error", 500},
      {"timeout_error", 504},         {"overloaded_error", 529},
  };
  for (const auto& [name, status] : kStatuses) {
    if (name == type) return status;
  }
  return 500;
}

Error anthropic_error(int status, std::string_view type, std::string message) {
  Error error{.kind = kind_from_status(status),
              .message = std::move(message),
              .status = status,
              .type = std::string(type)};
  if (mentions_context_window(error.message)) {
    error.kind = ErrorKind::context_window_exceeded;
    error.status = 0;
  } else if (type == "overloaded_error" || status == 529) {
    error.kind = ErrorKind::internal;
    error.status = 500;
  } else if (contains(error.message, "content filtering policy")) {
    error.kind = ErrorKind::content_policy;
    error.status = 0;
  } else if (status == 413) {
    error.kind = ErrorKind::invalid_request;
    error.status = 400;
  }
  return error;
}

void TokenCounts::update(const json::object& usage) {
  reported = true;
  auto take = [&](std::string_view key, std::int64_t& into) {
    if (const auto* value = usage.if_contains(key); value && !value->is_null())
      into = api::count_at(usage, key);
  };
  take("input_tokens", input);
  take("output_tokens", output);
  take("cache_creation_input_tokens", cache_creation);
  take("cache_read_input_tokens", cache_read);
}

api::Usage TokenCounts::openai() const {
  const auto prompt = input + cache_creation + cache_read;
  return api::Usage{.prompt_tokens = prompt,
                    .completion_tokens = output,
                    .total_tokens = prompt + output,
                    .cached_tokens = cache_read,
                    .reported = reported};
}

void TokenCounts::append_json(std::string& out) const {
  out += '{';
  append_token_count_members(out, openai());
  out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
  append_number(out, cache_read);
  out += "},\"cache_creation_input_tokens\":";
  append_number(out, cache_creation);
  out += ",\"cache_read_input_tokens\":";
  append_number(out, cache_read);
  out += '}';
}

Error error_of_answer(int status, std::string_view body) {
  const ParsedJson parsed(body);
  std::string_view type;
  std::string message;
  if (const auto* object = parsed.object()) {
    if (const auto* error = object_at(*object, "error")) {
      type = string_at(*error, "type");
      message = string_at(*error, "message");
    } else {
      message = string_at(*object, "message");
    }
  }
  if (message.empty()) message = status_message("The upstream", status, body);
  return anthropic::anthropic_error(status, type, std::move(message));
}

}  // namespace anthropic

Result<Reply> passed_through_message(std::string_view body) {
  const ParsedJson parsed(body);
  const auto* message = parsed.object();
  if (!message)
    return upstream_failure("The upstream answered with a body that is not a JSON object.");
  if (string_at(*message, "type") == "error" || message->contains("error"))
    return anthropic::error_of_answer(500, body);
  // The answer is the client's as the upstream sent it; only its usage is read.
  anthropic::TokenCounts tokens;
  if (const auto* usage = object_at(*message, "usage")) tokens.update(*usage);
  return Reply{.body = std::string(body), .usage = tokens.openai()};
}

Result<Reply> AnthropicProvider::decode(const api::Request& request, std::string_view body,
                                        std::string_view client_model) const {
  if (request.endpoint == api::Endpoint::messages) return passed_through_message(body);
  const ParsedJson parsed(body);
  const auto* message = parsed.object();
  if (!message)
    return upstream_failure("The upstream answered with a body that is not a JSON object.");
  if (string_at(*message, "type") == "error" || message->contains("error"))
    return decode_error(500, body);
  const auto* blocks = array_at(*message, "content");
  if (!blocks) return upstream_failure("The upstream answered without message content.");

  std::string text;
  std::string reasoning;
  json::array thinking_blocks;
  struct ToolCall {
    std::string_view id, name;
    const json::value* input;
  };
  std::vector<ToolCall> calls;
  for (const auto& block_value : *blocks) {
    const auto* block = block_value.if_object();
    if (!block) continue;
    const auto type = string_at(*block, "type");
    if (type == "text") {
      text += string_at(*block, "text");
    } else if (type == "tool_use") {
      calls.push_back(
          {string_at(*block, "id"), string_at(*block, "name"), block->if_contains("input")});
    } else if (type == "thinking") {
      reasoning += string_at(*block, "thinking");
      thinking_blocks.push_back(*block);
    } else if (type == "redacted_thinking") {
      thinking_blocks.push_back(*block);
    }
  }
  std::string_view reason = finish_reason_of_stop(string_at(*message, "stop_reason"));
  bool has_content = !text.empty();
  if (anthropic::is_json_mode(request) && calls.size() == 1 &&
      calls.front().name == kJsonToolName) {
    static const json::value kEmptyObject = json::object();
    text = anthropic::json_mode_content(calls.front().input ? *calls.front().input : kEmptyObject);
    has_content = true;
    calls.clear();
    reason = "stop";
  }
  anthropic::TokenCounts tokens;
  if (const auto* usage = object_at(*message, "usage")) tokens.update(*usage);

  Reply reply{.usage = tokens.openai()};
  auto& out = reply.body;
  out.reserve(body.size() + 256);
  append_answer_head(out, make_object_id("chatcmpl-"), "chat.completion", unix_seconds(),
                     client_model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  if (has_content)
    append_json_string(out, text);
  else
    out += "null";
  if (!calls.empty()) {
    out += ",\"tool_calls\":[";
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (i) out += ',';
      append_tool_call(out, std::nullopt,
                       calls[i].id.empty() ? make_object_id("call_") : std::string(calls[i].id),
                       calls[i].name,
                       calls[i].input ? json::serialize(*calls[i].input) : std::string("{}"));
    }
    out += ']';
  }
  if (!thinking_blocks.empty()) {
    out += ",\"reasoning_content\":";
    append_json_string(out, reasoning);
    out += ",\"thinking_blocks\":" + json::serialize(thinking_blocks);
  }
  out += "},\"finish_reason\":\"";
  out += reason;
  out += "\"}],\"usage\":";
  tokens.append_json(out);
  out += '}';
  return reply;
}

Error AnthropicProvider::decode_error(int status, std::string_view body) const {
  return anthropic::error_of_answer(status, body);
}

}  // namespace llmux::providers
