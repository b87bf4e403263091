#include "providers/anthropic.hpp"

#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/params.hpp"
#include "providers/sse_stream_decoder.hpp"
#include "providers/wire/sse.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace llmux::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view kProviderName = "anthropic";
constexpr std::string_view kMessagesPath = "/v1/messages";
constexpr std::string_view kApiVersion = "2023-06-01";
// LiteLLM's DEFAULT_ANTHROPIC_CHAT_MAX_TOKENS: max_tokens when neither the client nor the model's
// known output limit gives one (the API requires it).
constexpr long kFallbackMaxTokens = 4096;
// cache_control with a "ttl" (1 hour caching) needs this beta.
constexpr std::string_view kExtendedCacheTtlBeta = "extended-cache-ttl-2025-04-11";

// The OpenAI fields encode translates (LiteLLM's AnthropicConfig list, plus top_k which LiteLLM
// passes through as an Anthropic parameter).
constexpr std::string_view kSupportedParams[] = {
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "temperature",
    "top_p",
    "top_k",
    "user",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "reasoning_effort",
    "thinking",
};

bool is_json_mode(const api::Request& request) { return json_response_format(request) != nullptr; }

// ---------------------------------------------------------------------------------------------
// Errors

// The HTTP status Anthropic gives each error type; an in-stream error event has only its type.
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

// LiteLLM's Anthropic exception mapping: context-window messages → ContextWindowExceededError
// (400), overloaded (529) → InternalServerError (500), 413 → BadRequestError (400), content
// filtering → ContentPolicyViolationError; other statuses keep their meaning. The upstream's
// message and error type are kept.
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

// ---------------------------------------------------------------------------------------------
// Usage and finish reasons

// Anthropic's token counts. input_tokens excludes the cached part, so the OpenAI prompt count
// is input + cache writes + cache reads (LiteLLM's calculate_usage); reads are also
// prompt_tokens_details.cached_tokens.
struct TokenCounts {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_creation = 0;
  std::int64_t cache_read = 0;
  bool reported = false;

  // Takes the counts present in `usage` (a stream's message_delta repeats only some of them;
  // they are cumulative, so the latest value wins).
  void update(const json::object& usage) {
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

  api::Usage openai() const {
    const auto prompt = input + cache_creation + cache_read;
    return api::Usage{.prompt_tokens = prompt,
                      .completion_tokens = output,
                      .total_tokens = prompt + output,
                      .cached_tokens = cache_read,
                      .reported = reported};
  }

  void append_json(std::string& out) const {
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
};

// A JSON-mode answer is the forced tool's input: LiteLLM unwraps {"values": X} to X.
std::string json_mode_content(const json::value& input) {
  if (const auto* object = input.if_object()) {
    if (const auto* values = object->if_contains("values"); values && !values->is_null())
      return json::serialize(*values);
  }
  return json::serialize(input);
}

// ---------------------------------------------------------------------------------------------
// Request translation

bool is_space_only(std::string_view text) {
  return std::ranges::all_of(text, [](unsigned char c) { return std::isspace(c); });
}

// LiteLLM's _valid_user_id: Anthropic refuses e-mail addresses and phone numbers as user ids.
bool looks_like_email(std::string_view text) {
  const auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos) return false;
  const auto local = text.substr(0, at), domain = text.substr(at + 1);
  const auto local_ok = std::ranges::all_of(local, [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  });
  const auto dot = domain.rfind('.');
  if (!local_ok || dot == std::string_view::npos || dot == 0) return false;
  const auto host = domain.substr(0, dot), tld = domain.substr(dot + 1);
  return std::ranges::all_of(
             host, [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-'; }) &&
         tld.size() >= 2 &&
         std::ranges::all_of(tld, [](unsigned char c) { return std::isalpha(c); });
}

bool looks_like_phone(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  return text.size() >= 7 && std::ranges::all_of(text, [](unsigned char c) {
           return std::isdigit(c) || std::isspace(c) || c == '(' || c == ')' || c == '-';
         });
}

std::string_view trim_right(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

// Builds the Messages API body from an OpenAI chat request, field by field.
class RequestTranslator final : private ConversationWire {
 public:
  RequestTranslator(const api::Request& request, const Target& target,
                    const AnthropicAddressing& addressing)
      : request_(request), target_(target), addressing_(addressing) {}

  Result<std::string> body() {
    json::object body;
    addressing_.address_body(target_, body);
    if (auto result = translate_messages(body); !result) return result.error();
    const auto thinking = translate_thinking(body);
    if (!thinking) return thinking.error();
    body["max_tokens"] = max_tokens(body, *thinking);
    translate_sampling(body);
    if (auto result = translate_tools(body, *thinking); !result) return result.error();
    if (request_.stream) body["stream"] = true;
    return json::serialize(body);
  }

  // Betas the translated body needs (merged with the deployment's anthropic-beta header).
  bool needs_extended_cache_ttl() const { return cache_ttl_used_; }

 private:
  const json::value* param(std::string_view key) const {
    return request_param(request_, target_, key);
  }

  void copy_cache_control(const json::object& from, json::object& block) {
    const auto* cache_control = from.if_contains("cache_control");
    if (!cache_control || cache_control->is_null()) return;
    block["cache_control"] = *cache_control;
    if (cache_control->is_object() && cache_control->get_object().contains("ttl"))
      cache_ttl_used_ = true;
  }

  static json::object text_block(std::string_view text) {
    return json::object{{"type", "text"}, {"text", text}};
  }

  // "data:<media type>;base64,<data>" → a base64 image (or PDF document) block; an http(s) URL
  // → a URL image source (LiteLLM downloads it instead; the API fetches it itself).
  static Result<json::object> media_block(std::string_view url) {
    if (url.starts_with("data:")) {
      const auto marker = url.find(";base64,");
      if (marker == std::string_view::npos) {
        return make_error(
            ErrorKind::invalid_request,
            "anthropic: a data URL must be base64-encoded (data:<media type>;base64,<data>).",
            "messages");
      }
      const auto media_type = url.substr(5, marker - 5);
      const auto data = url.substr(marker + 8);
      return json::object{
          {"type", media_type == "application/pdf" ? "document" : "image"},
          {"source", json::object{{"type", "base64"}, {"media_type", media_type}, {"data", data}}}};
    }
    if (url.starts_with("http://") || url.starts_with("https://")) {
      return json::object{{"type", "image"},
                          {"source", json::object{{"type", "url"}, {"url", url}}}};
    }
    return make_error(ErrorKind::invalid_request,
                      "anthropic: an image_url must be an http(s) URL or a base64 data URL.",
                      "messages");
  }

  // OpenAI content (a string or parts) → Anthropic blocks appended to `blocks`. Parts Anthropic
  // has no OpenAI form for (document, tool_result, …) pass through as written.
  Result<void> append_content(const json::value& content, json::array& blocks,
                              bool skip_empty_text) {
    if (content.is_string()) {
      if (!(skip_empty_text && content.get_string().empty()))
        blocks.push_back(text_block(content.get_string()));
      return {};
    }
    if (content.is_null()) return {};
    if (!content.is_array()) {
      return make_error(ErrorKind::invalid_request,
                        "anthropic: message content must be a string or a list of parts.",
                        "messages");
    }
    for (const auto& part_value : content.get_array()) {
      const auto* part = part_value.if_object();
      if (!part) {
        return make_error(ErrorKind::invalid_request,
                          "anthropic: each content part must be an object.", "messages");
      }
      const auto type = string_at(*part, "type");
      json::object block;
      if (type == "text") {
        if (skip_empty_text && string_at(*part, "text").empty()) continue;
        block = text_block(string_at(*part, "text"));
      } else if (type == "image_url") {
        const auto* image = part->if_contains("image_url");
        const std::string_view url = image && image->is_object()
                                         ? string_at(image->get_object(), "url")
                                         : string_or_empty(image);
        auto media = media_block(url);
        if (!media) return media.error();
        block = std::move(*media);
      } else if (type == "file") {
        const auto* file = object_at(*part, "file");
        const auto data = file ? string_at(*file, "file_data") : std::string_view();
        if (data.empty()) {
          return make_error(ErrorKind::invalid_request,
                            "anthropic: a file part needs file.file_data (a base64 data URL); file "
                            "ids are not supported.",
                            "messages");
        }
        auto media = media_block(data);
        if (!media) return media.error();
        block = std::move(*media);
        block["type"] = "document";
      } else {
        blocks.push_back(*part);
        continue;
      }
      copy_cache_control(*part, block);
      blocks.push_back(std::move(block));
    }
    return {};
  }

  Result<void> append_tool_calls(const json::array& calls, json::array& blocks) {
    for (const auto& call_value : calls) {
      const auto* call = call_value.if_object();
      const auto* function = call ? object_at(*call, "function") : nullptr;
      if (!function) {
        return make_error(ErrorKind::invalid_request, "anthropic: each tool call needs a function.",
                          "messages");
      }
      json::value input = json::object();
      if (const auto arguments = string_at(*function, "arguments");
          !trim_right(arguments).empty()) {
        json::error_code ec;
        input = json::parse(arguments, ec);
        if (ec) {
          return make_error(
              ErrorKind::invalid_request,
              "anthropic: tool call arguments must be JSON (Anthropic takes them as an object).",
              "messages");
        }
      }
      std::string id(string_at(*call, "id"));
      if (id.empty()) id = make_object_id("call_");
      json::object block{{"type", "tool_use"},
                         {"id", id},
                         {"name", string_at(*function, "name")},
                         {"input", std::move(input)}};
      copy_cache_control(*call, block);
      blocks.push_back(std::move(block));
    }
    return {};
  }

  // ConversationWire: Anthropic's blocks for each part of a message.

  Result<void> content(const json::object& message, std::string_view role,
                       json::array& blocks) override {
    const auto* content = message.if_contains("content");
    if (!content) return {};
    // The API rejects empty text blocks, and assistant turns often carry "" beside tool calls.
    return append_content(*content, blocks, /*skip_empty_text=*/role == "assistant");
  }

  void thinking(const json::array& thinking_blocks, json::array& blocks) override {
    for (const auto& block : thinking_blocks) blocks.push_back(block);
  }

  Result<void> tool_calls(const json::value& calls, json::array& blocks) override {
    if (!calls.is_array()) return {};
    return append_tool_calls(calls.get_array(), blocks);
  }

  Result<void> tool_result(const json::object& message, std::string_view role,
                           json::array& blocks) override {
    std::string id(string_at(message, role == "tool" ? "tool_call_id" : "id"));
    if (id.empty()) id = make_object_id("call_");
    json::object result{{"type", "tool_result"}, {"tool_use_id", id}};
    const auto* content = message.if_contains("content");
    if (content && content->is_string()) {
      result["content"] = content->get_string();
    } else if (content && !content->is_null()) {
      json::array parts;
      if (auto appended = append_content(*content, parts, false); !appended) return appended;
      result["content"] = std::move(parts);
    }
    blocks.push_back(std::move(result));
    return {};
  }

  // A message-level cache_control marks the message's last block (its only block when the
  // content is a string, which is where LiteLLM puts it).
  void message_done(const json::object& message, json::array& blocks) override {
    if (blocks.back().is_object()) copy_cache_control(message, blocks.back().as_object());
  }

  Error refuse(MessageProblem problem, std::string_view role) const override {
    switch (problem) {
      case MessageProblem::not_a_list:
        return make_error(ErrorKind::invalid_request, "anthropic: messages must be a list.",
                          "messages");
      case MessageProblem::not_an_object:
        return make_error(ErrorKind::invalid_request, "anthropic: each message must be an object.",
                          "messages");
      case MessageProblem::no_role:
      case MessageProblem::unknown_role: break;
    }
    return make_error(ErrorKind::invalid_request,
                      "anthropic: unsupported message role '" + std::string(role) + "'.",
                      "messages");
  }

  Result<void> translate_messages(json::object& body) {
    auto conversation = walk_conversation(request_.body.if_contains("messages"), *this);
    if (!conversation) return conversation.error();
    trim_final_assistant_turn(conversation->turns);
    if (!conversation->system.empty()) body["system"] = std::move(conversation->system);
    body["messages"] = std::move(conversation->turns);
    return {};
  }

  // The API rejects trailing whitespace in a final assistant turn (a prefill).
  static void trim_final_assistant_turn(json::array& turns) {
    if (turns.empty() || turns.back().as_object()["role"].as_string() != "assistant") return;
    auto& blocks = turns.back().as_object()["content"].as_array();
    for (auto& block : blocks) {
      auto* object = block.if_object();
      if (!object || string_at(*object, "type") != "text") continue;
      const std::string trimmed(trim_right(string_at(*object, "text")));
      (*object)["text"] = trimmed;
    }
    for (auto block = blocks.begin(); block != blocks.end();) {
      const auto* object = block->if_object();
      const bool empty_text =
          object && string_at(*object, "type") == "text" && string_at(*object, "text").empty();
      block = empty_text ? blocks.erase(block) : block + 1;
    }
    if (blocks.empty()) turns.pop_back();
  }

  // `thinking` passes through; reasoning_effort becomes a thinking budget (LiteLLM's values;
  // "minimal" gets the API's smallest budget, "none" no thinking). True when thinking is on.
  Result<bool> translate_thinking(json::object& body) {
    if (const auto* thinking = param("thinking"); thinking && thinking->is_object()) {
      body["thinking"] = *thinking;
    } else if (const auto* effort = param("reasoning_effort")) {
      const auto budget = thinking_budget(string_or_empty(effort));
      if (!budget) {
        return make_error(
            ErrorKind::invalid_request,
            "anthropic: reasoning_effort must be one of none, minimal, low, medium, high.",
            "reasoning_effort");
      }
      if (*budget > 0)
        body["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", *budget}};
    }
    const auto* thinking = object_at(body, "thinking");
    return thinking && string_at(*thinking, "type") == "enabled";
  }

  json::value max_tokens(const json::object& body, bool thinking) const {
    for (const auto key : {"max_completion_tokens", "max_tokens"}) {
      if (const auto* value = param(key); value && value->is_number()) return *value;
    }
    if (target_.max_output_tokens) return *target_.max_output_tokens;
    // LiteLLM leaves room for the answer beyond the thinking budget.
    const auto* thinking_param = object_at(body, "thinking");
    const auto budget =
        thinking && thinking_param ? api::count_at(*thinking_param, "budget_tokens") : 0;
    return kFallbackMaxTokens + budget;
  }

  void translate_sampling(json::object& body) const {
    for (const auto key : {"temperature", "top_p", "top_k"}) {
      if (const auto* value = param(key)) body[key] = *value;
    }
    if (const auto* stop = param("stop")) {
      // Whitespace-only sequences are refused by the API; LiteLLM drops them under drop_params.
      json::array sequences;
      auto add = [&](const json::value& sequence) {
        if (!sequence.is_string()) return;
        if (target_.drop_params && is_space_only(sequence.get_string())) return;
        sequences.push_back(sequence);
      };
      if (stop->is_array()) {
        for (const auto& sequence : stop->get_array()) add(sequence);
      } else {
        add(*stop);
      }
      if (!sequences.empty()) body["stop_sequences"] = std::move(sequences);
    }
    if (const auto* user = param("user"); user && user->is_string()) {
      const std::string_view id = user->get_string();
      if (!id.empty() && !looks_like_email(id) && !looks_like_phone(id))
        body["metadata"] = json::object{{"user_id", id}};
    }
  }

  Result<json::object> translate_tool(const json::value& tool_value) {
    const auto* tool = tool_value.if_object();
    if (!tool)
      return make_error(ErrorKind::invalid_request, "anthropic: each tool must be an object.",
                        "tools");
    // Already in Anthropic's shape, or one of its server tools (web_search_…, bash_…): as written.
    const auto type = string_at(*tool, "type");
    if (tool->contains("input_schema") || (type != "function" && !type.empty())) return *tool;
    const auto* function = object_at(*tool, "function");
    if (!function)
      return make_error(ErrorKind::invalid_request, "anthropic: a function tool needs a function.",
                        "tools");
    json::object translated{{"name", string_at(*function, "name")}};
    if (const auto* description = function->if_contains("description");
        description && description->is_string())
      translated["description"] = *description;
    if (const auto* parameters = object_at(*function, "parameters")) {
      translated["input_schema"] = *parameters;
    } else {
      translated["input_schema"] = json::object{{"type", "object"}, {"properties", json::object()}};
    }
    if (tool->contains("cache_control"))
      copy_cache_control(*tool, translated);
    else
      copy_cache_control(*function, translated);
    return translated;
  }

  // tool_choice: auto → auto, required → any, none → none, a named function → tool;
  // parallel_tool_calls: false → disable_parallel_tool_use (LiteLLM's _map_tool_choice).
  void translate_tool_choice(json::object& body) const {
    const auto* choice = param("tool_choice");
    const auto* parallel = param("parallel_tool_calls");
    json::object mapped;
    std::string_view choice_name = string_or_empty(choice);
    if (choice_name == "auto")
      mapped["type"] = "auto";
    else if (choice_name == "required")
      mapped["type"] = "any";
    else if (choice_name == "none")
      mapped["type"] = "none";
    else if (choice && choice->is_object()) {
      mapped["type"] = "tool";
      if (const auto* function = object_at(choice->get_object(), "function"))
        mapped["name"] = string_at(*function, "name");
    }
    if (parallel && parallel->is_bool() && choice_name != "none") {
      if (mapped.empty()) mapped["type"] = "auto";
      mapped["disable_parallel_tool_use"] = !parallel->get_bool();
    }
    if (!mapped.empty()) body["tool_choice"] = std::move(mapped);
  }

  Result<void> translate_tools(json::object& body, bool thinking) {
    json::array tools;
    if (const auto* given = param("tools")) {
      if (!given->is_array())
        return make_error(ErrorKind::invalid_request, "anthropic: tools must be a list.", "tools");
      for (const auto& tool : given->get_array()) {
        auto translated = translate_tool(tool);
        if (!translated) return translated.error();
        tools.push_back(std::move(*translated));
      }
    }
    // Anthropic refuses a tool_choice without tools; OpenAI takes one (e.g. "none") harmlessly.
    if (!tools.empty()) translate_tool_choice(body);
    // JSON mode (LiteLLM): a tool whose input schema is the wanted answer, forced unless
    // thinking is on (the API refuses forced tools with thinking).
    if (const auto* format = json_response_format(request_)) {
      const auto* described = json_schema_spec(*format);
      const auto* schema = described ? object_at(*described, "schema") : nullptr;
      json::object input_schema{{"type", "object"}};
      if (schema) {
        for (const auto& [key, value] : *schema) input_schema[key] = value;
      } else {
        input_schema["additionalProperties"] = true;
        input_schema["properties"] = json::object();
      }
      tools.push_back(
          json::object{{"name", kJsonToolName}, {"input_schema", std::move(input_schema)}});
      if (!thinking) body["tool_choice"] = json::object{{"type", "tool"}, {"name", kJsonToolName}};
    }
    if (!tools.empty()) body["tools"] = std::move(tools);
    return {};
  }

  const api::Request& request_;
  const Target& target_;
  const AnthropicAddressing& addressing_;
  bool cache_ttl_used_ = false;
};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

// ---------------------------------------------------------------------------------------------
// Stream decoding

class AnthropicStreamDecoder final : public SseStreamDecoder {
 public:
  AnthropicStreamDecoder(std::string_view client_model, bool include_usage, bool json_mode,
                         std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        chunks_(make_object_id("chatcmpl-"), unix_seconds(), client_model),
        include_usage_(include_usage),
        json_mode_(json_mode) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  enum class Block { none, text, tool, json_tool, thinking, other };

  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (event.data.empty()) return {};
    const ParsedJson parsed(event.data);
    if (!parsed.ok() || !parsed.object()) {
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    }
    return on_message_event(*parsed.object(), out);
  }

  Result<void> on_close(std::string& out) override {
    // message_delta came, only message_stop is missing: the answer is whole.
    if (!finish_sent_) return ended_early();
    end_stream(out);
    return {};
  }

  Result<void> on_message_event(const json::object& event, std::string& out) {
    const auto type = string_at(event, "type");
    if (type == "message_start") {
      if (const auto* message = object_at(event, "message")) {
        if (const auto* usage = object_at(*message, "usage")) update_usage(*usage);
      }
      role_pending_ = true;
      return {};
    }
    if (type == "ping") return {};
    if (type == "error") {
      const auto* error = object_at(event, "error");
      const auto error_type = error ? string_at(*error, "type") : std::string_view("api_error");
      std::string message(error ? string_at(*error, "message") : std::string_view());
      if (message.empty()) message = "The upstream stream reported an error.";
      return anthropic_error(status_of_error_type(error_type), error_type, std::move(message));
    }
    // The answer is under way: the role chunk goes first, as OpenAI and LiteLLM send it. It waits
    // for this event so that an error right after message_start (typically overloaded_error)
    // still reaches the client as a JSON error with its status.
    if (role_pending_) {
      chunks_.write(out, R"({"role":"assistant","content":""})");
      role_pending_ = false;
    }
    if (type == "content_block_start") {
      if (const auto* block = object_at(event, "content_block")) on_block_start(*block, out);
    } else if (type == "content_block_delta") {
      if (const auto* delta = object_at(event, "delta")) on_block_delta(*delta, out);
    } else if (type == "content_block_stop") {
      // Clients parse the arguments of every call: a call that streamed none gets "{}" (LiteLLM).
      if (block_ == Block::tool && !arguments_sent_) tool_arguments(out, "{}");
      block_ = Block::none;
    } else if (type == "message_delta") {
      if (const auto* usage = object_at(event, "usage")) update_usage(*usage);
      const auto* delta = object_at(event, "delta");
      std::string_view reason =
          finish_reason_of_stop(delta ? string_at(*delta, "stop_reason") : "");
      if (json_tool_used_ && reason == "tool_calls") reason = "stop";
      if (!finish_sent_) {
        chunks_.write(out, "{}", reason);
        finish_sent_ = true;
      }
    } else if (type == "message_stop") {
      end_stream(out);
    }
    // Event types newer than this code: nothing to relay (the API says to ignore them).
    return {};
  }

  void on_block_start(const json::object& block, std::string& out) {
    const auto type = string_at(block, "type");
    arguments_sent_ = false;
    if (type == "text") {
      block_ = Block::text;
      if (const auto text = string_at(block, "text"); !text.empty())
        chunks_.write_content(out, text);
    } else if (type == "tool_use") {
      if (json_mode_ && string_at(block, "name") == kJsonToolName) {
        block_ = Block::json_tool;
        json_tool_used_ = true;
        return;
      }
      block_ = Block::tool;
      tool_index_ = tools_seen_++;
      std::string id(string_at(block, "id"));
      if (id.empty()) id = make_object_id("call_");
      chunks_.open(out);
      out += "{\"tool_calls\":[";
      append_tool_call(out, tool_index_, id, string_at(block, "name"), "");
      out += "]}";
      chunks_.close(out);
    } else if (type == "thinking") {
      block_ = Block::thinking;
      if (const auto text = string_at(block, "thinking"); !text.empty()) thinking_text(out, text);
    } else if (type == "redacted_thinking") {
      block_ = Block::other;
      chunks_.write(out, "{\"thinking_blocks\":[" + json::serialize(block) + "]}");
    } else {
      block_ = Block::other;
    }
  }

  void on_block_delta(const json::object& delta, std::string& out) {
    const auto type = string_at(delta, "type");
    if (type == "text_delta") {
      chunks_.write_content(out, string_at(delta, "text"));
    } else if (type == "input_json_delta") {
      const auto partial = string_at(delta, "partial_json");
      if (block_ == Block::tool) {
        tool_arguments(out, partial);
      } else if (block_ == Block::json_tool && !partial.empty()) {
        chunks_.write_content(out, partial);
      }
    } else if (type == "thinking_delta") {
      thinking_text(out, string_at(delta, "thinking"));
    } else if (type == "signature_delta") {
      chunks_.open(out);
      out += R"({"thinking_blocks":[{"type":"thinking","thinking":"","signature":)";
      append_json_string(out, string_at(delta, "signature"));
      out += "}]}";
      chunks_.close(out);
    }
  }

  void tool_arguments(std::string& out, std::string_view arguments) {
    if (!arguments.empty()) arguments_sent_ = true;
    chunks_.write_tool_arguments(out, tool_index_, arguments);
  }

  // LiteLLM's reasoning fields: the text as reasoning_content, and as a thinking block.
  void thinking_text(std::string& out, std::string_view text) {
    chunks_.open(out);
    out += "{\"reasoning_content\":";
    append_json_string(out, text);
    out += R"(,"thinking_blocks":[{"type":"thinking","thinking":)";
    append_json_string(out, text);
    out += "}]}";
    chunks_.close(out);
  }

  void update_usage(const json::object& usage) {
    tokens_.update(usage);
    usage_ = tokens_.openai();
  }

  void end_stream(std::string& out) {
    if (include_usage_) {
      std::string usage;
      tokens_.append_json(usage);
      chunks_.write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
    mark_done();
  }

  ChunkWriter chunks_;
  bool include_usage_;
  bool json_mode_;
  TokenCounts tokens_;
  api::Usage usage_;
  Block block_ = Block::none;
  int tools_seen_ = 0;  // OpenAI numbers tool calls 0, 1, … whatever their block index
  int tool_index_ = 0;  // the OpenAI index of the tool block being streamed
  bool arguments_sent_ = false;
  bool json_tool_used_ = false;
  bool role_pending_ = false;  // message_start came; the role chunk waits for the next event
  bool finish_sent_ = false;
};

class AnthropicApiAddressing final : public AnthropicAddressing {
 public:
  // LiteLLM appends the path unless the configured base already ends with it.
  Result<std::string> url(const Target& target, bool /*stream*/) const override {
    std::string url = target.api_base;
    if (!url.ends_with(kMessagesPath)) url += kMessagesPath;
    return url;
  }

  Result<void> add_headers(const Target& target, Headers& headers) const override {
    if (!target.api_key.empty()) headers.emplace_back("x-api-key", target.api_key);
    headers.emplace_back("anthropic-version", std::string(kApiVersion));
    return {};
  }

  void address_body(const Target& target, json::object& body) const override {
    body["model"] = target.upstream_model;
  }
};

const AnthropicApiAddressing kAnthropicApiAddressing;

}  // namespace

const AnthropicAddressing& anthropic_api_addressing() { return kAnthropicApiAddressing; }

Result<UpstreamRequest> AnthropicProvider::encode(const api::Request& request,
                                                  const Target& target) const {
  if (request.endpoint != api::Endpoint::chat_completions) {
    return make_error(ErrorKind::invalid_request,
                      "anthropic supports chat completions only (/v1/chat/completions); this "
                      "deployment cannot serve " +
                          std::string(api::endpoint_path(request.endpoint)) + ".");
  }
  if (auto supported = check_supported_params(request, target, kSupportedParams, kProviderName);
      !supported)
    return supported.error();
  RequestTranslator translator(request, target, addressing_);
  auto body = translator.body();
  if (!body) return body.error();
  auto url = addressing_.url(target, request.stream);
  if (!url) return url.error();

  UpstreamRequest upstream{.url = std::move(*url), .body = std::move(*body)};
  upstream.headers.reserve(3 + target.extra_headers.size());
  if (auto added = addressing_.add_headers(target, upstream.headers); !added) return added.error();
  // One anthropic-beta header: the deployment's betas, plus those the request's features need.
  // An anthropic-version in extra_headers replaces the default.
  std::string betas;
  for (const auto& [name, value] : target.extra_headers) {
    if (equals_ignoring_case(name, "anthropic-beta")) {
      if (!betas.empty()) betas += ',';
      betas += value;
    } else if (equals_ignoring_case(name, "anthropic-version")) {
      const auto version =
          std::ranges::find(upstream.headers, "anthropic-version", &Headers::value_type::first);
      if (version != upstream.headers.end())
        version->second = value;
      else
        upstream.headers.emplace_back(name, value);
    } else {
      upstream.headers.emplace_back(name, value);
    }
  }
  if (translator.needs_extended_cache_ttl() && !contains(betas, kExtendedCacheTtlBeta)) {
    if (!betas.empty()) betas += ',';
    betas += kExtendedCacheTtlBeta;
  }
  if (!betas.empty()) upstream.headers.emplace_back("anthropic-beta", std::move(betas));
  return upstream;
}

Result<Reply> AnthropicProvider::decode(const api::Request& request, std::string_view body,
                                        std::string_view client_model) const {
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
  if (is_json_mode(request) && calls.size() == 1 && calls.front().name == kJsonToolName) {
    static const json::value kEmptyObject = json::object();
    text = json_mode_content(calls.front().input ? *calls.front().input : kEmptyObject);
    has_content = true;
    calls.clear();
    reason = "stop";
  }
  TokenCounts tokens;
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
  return anthropic_error(status, type, std::move(message));
}

std::unique_ptr<StreamDecoder> AnthropicProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return std::make_unique<AnthropicStreamDecoder>(client_model, request.include_usage,
                                                  is_json_mode(request), max_event_bytes);
}

}  // namespace llmux::providers
