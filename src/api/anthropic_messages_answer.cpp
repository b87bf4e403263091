#include "api/anthropic_messages.hpp"

#include "api/chat_reading.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace llmux::api {

namespace json = boost::json;

namespace {

// OpenAI's finish_reason → Anthropic's stop_reason.
std::string_view stop_reason_of(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

// Anthropic counts the uncached prompt as input_tokens and the cached part apart.
json::object usage_object(const Usage& usage) {
  return {{"input_tokens", std::max<std::int64_t>(0, usage.prompt_tokens - usage.cached_tokens)},
          {"cache_creation_input_tokens", 0},
          {"cache_read_input_tokens", usage.cached_tokens},
          {"output_tokens", usage.completion_tokens}};
}

// Tool-call arguments are JSON text; Anthropic's input is the object. Text that is not an object
// (a model's malformed arguments) is kept whole under "arguments" rather than lost.
json::value tool_input(std::string_view arguments) {
  if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  json::error_code ec;
  json::value parsed = json::parse(arguments, ec);
  if (!ec && parsed.is_object()) return parsed;
  return json::object{{"arguments", arguments}};
}

void append_event(std::string& out, std::string_view type, std::string_view data) {
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
}

std::string_view error_type_of(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 408:
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

}  // namespace

Result<std::string> chat_answer_to_message(std::string_view chat_answer, const Usage& usage,
                                           const json::object& body) {
  const ChatAnswerReading reading(chat_answer);
  const auto first = reading.choice();
  if (!first) return first.error();
  const json::object& choice = **first;
  const json::object& message = reading.message();

  json::array content;
  if (const auto reasoning = string_of(message, "reasoning_content"); !reasoning.empty())
    content.push_back(
        json::object{{"type", "thinking"}, {"thinking", reasoning}, {"signature", ""}});
  if (const auto text = string_of(message, "content"); !text.empty())
    content.push_back(json::object{{"type", "text"}, {"text", text}});
  if (const auto* calls = message.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& call_value : calls->get_array()) {
      const auto* call = call_value.if_object();
      const auto* function = call ? object_of(*call, "function") : nullptr;
      if (!function) continue;
      std::string id(string_of(*call, "id"));
      if (id.empty()) id = make_object_id("toolu_");
      content.push_back(json::object{{"type", "tool_use"},
                                     {"id", id},
                                     {"name", client_tool_name(body, string_of(*function, "name"))},
                                     {"input", tool_input(string_of(*function, "arguments"))}});
    }
  }
  const std::string_view model = model_of(reading.answer(), body);
  const json::object anthropic{{"id", make_object_id("msg_")},
                               {"type", "message"},
                               {"role", "assistant"},
                               {"model", model},
                               {"content", std::move(content)},
                               {"stop_reason", stop_reason_of(string_of(choice, "finish_reason"))},
                               {"stop_sequence", nullptr},
                               {"usage", usage_object(usage)}};
  return json::serialize(anthropic);
}

void MessagesStreamWriter::start(const json::object& chunk, std::string& out) {
  started_ = true;
  const std::string_view model = model_of(chunk, body_);
  const json::object message{{"id", make_object_id("msg_")}, {"type", "message"},
                             {"role", "assistant"},          {"model", model},
                             {"content", json::array()},     {"stop_reason", nullptr},
                             {"stop_sequence", nullptr},     {"usage", usage_object({})}};
  append_event(out, "message_start",
               json::serialize(json::object{{"type", "message_start"}, {"message", message}}));
  append_event(out, "ping", R"({"type":"ping"})");
}

void MessagesStreamWriter::open(Block block, std::string& out, std::string_view start_json) {
  close(out);
  block_ = block;
  ++index_;
  std::string data = R"({"type":"content_block_start","index":)";
  append_number(data, index_);
  data += ",\"content_block\":";
  data += start_json;
  data += '}';
  append_event(out, "content_block_start", data);
}

void MessagesStreamWriter::close(std::string& out) {
  if (block_ == Block::none) return;
  std::string data = R"({"type":"content_block_stop","index":)";
  append_number(data, index_);
  data += '}';
  append_event(out, "content_block_stop", data);
  block_ = Block::none;
  tool_ = -1;
}

// {"type":"<type>","<field>":"<text>"} as a content_block_delta of the open block, written in place
// (the stream's most frequent event).
void MessagesStreamWriter::delta(std::string& out, std::string_view type, std::string_view field,
                                 std::string_view text) {
  out += R"(event: content_block_delta
data: {"type":"content_block_delta","index":)";
  append_number(out, index_);
  out += R"(,"delta":{"type":")";
  out += type;
  out += "\",\"";
  out += field;
  out += "\":";
  append_json_string(out, text);
  out += "}}\n\n";
}

void MessagesStreamWriter::chunk(const json::object& chunk, std::string& out) {
  if (finished_) return;
  if (!started_) start(chunk, out);
  const auto* choice = first_choice(chunk);
  if (!choice) return;  // usage only
  if (const auto* delta_object = object_of(*choice, "delta")) {
    // A chunk may carry several kinds: they go out in Anthropic's block order.
    if (const auto text = string_of(*delta_object, "reasoning_content"); !text.empty()) {
      if (block_ != Block::thinking)
        open(Block::thinking, out, R"({"type":"thinking","thinking":"","signature":""})");
      delta(out, "thinking_delta", "thinking", text);
    }
    if (const auto text = string_of(*delta_object, "content"); !text.empty()) {
      if (block_ != Block::text) open(Block::text, out, R"({"type":"text","text":""})");
      delta(out, "text_delta", "text", text);
    }
    const auto* calls = delta_object->if_contains("tool_calls");
    for (const auto& call_value : calls && calls->is_array() ? calls->get_array() : json::array()) {
      const auto* call = call_value.if_object();
      if (!call) continue;
      const auto* index = call->if_contains("index");
      const std::int64_t tool = index && index->is_int64() ? index->get_int64() : 0;
      const auto* function = object_of(*call, "function");
      if (block_ != Block::tool || tool != tool_) {
        std::string id(string_of(*call, "id"));
        if (id.empty()) id = make_object_id("toolu_");
        const auto name = function ? string_of(*function, "name") : std::string_view();
        open(Block::tool, out,
             json::serialize(json::object{{"type", "tool_use"},
                                          {"id", id},
                                          {"name", client_tool_name(body_, name)},
                                          {"input", json::object()}}));
        tool_ = tool;
      }
      if (const auto arguments = function ? string_of(*function, "arguments") : std::string_view();
          !arguments.empty()) {
        delta(out, "input_json_delta", "partial_json", arguments);
      }
    }
  }
  if (const auto reason = string_of(*choice, "finish_reason"); !reason.empty()) {
    stop_reason_ = stop_reason_of(reason);
    close(out);
  }
}

void MessagesStreamWriter::finish(const Usage& usage, std::string& out) {
  if (finished_) return;
  if (!started_) start(json::object(), out);
  close(out);
  finished_ = true;
  const json::object message_delta{
      {"type", "message_delta"},
      {"delta", json::object{{"stop_reason", stop_reason_}, {"stop_sequence", nullptr}}},
      {"usage", usage_object(usage)}};
  append_event(out, "message_delta", json::serialize(message_delta));
  append_event(out, "message_stop", R"({"type":"message_stop"})");
}

int messages_error_status(const Error& error) {
  // LiteLLM's mapping made an overloaded Anthropic a 500 for OpenAI clients; Anthropic's own
  // clients know (and retry) 529.
  if (error.type == "overloaded_error") return 529;
  return http_status(error);
}

std::string messages_error_body(const Error& error) {
  const json::object body{
      {"type", "error"},
      {"error", json::object{{"type", error_type_of(messages_error_status(error))},
                             {"message", error.message}}}};
  return json::serialize(body);
}

std::string messages_stream_error(const Error& error) {
  std::string out;
  append_event(out, "error", messages_error_body(error));
  return out;
}

}  // namespace llmux::api
