#include "providers/anthropic.hpp"

#include "base/ids.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/json_fields.hpp"
#include "providers/params.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace llmux::providers {

namespace json = boost::json;

namespace anthropic {
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

  bool passes_messages_through() const override { return true; }
};

const AnthropicApiAddressing kAnthropicApiAddressing;

}  // namespace
}  // namespace anthropic

const AnthropicAddressing& anthropic_api_addressing() { return anthropic::kAnthropicApiAddressing; }

namespace anthropic {
namespace {

// The headers of a Messages API call: the addressing's credential and version, the deployment's
// extra headers with one anthropic-beta (the deployment's betas, then `extra_betas` unless they
// are among them), and the client's
// anthropic-version when it sent one (a passed-through body is in the client's version). An
// anthropic-version in extra_headers replaces the default.
Result<Headers> messages_headers(const AnthropicAddressing& addressing, const Target& target,
                                 std::string extra_betas, std::string_view client_version) {
  Headers headers;
  headers.reserve(3 + target.extra_headers.size());
  if (auto added = addressing.add_headers(target, headers); !added) return added.error();
  const auto set_version = [&](std::string_view name, std::string_view value) {
    const auto version = std::ranges::find_if(headers, [](const auto& header) {
      return equals_ignoring_case(header.first, "anthropic-version");
    });
    if (version != headers.end())
      version->second = value;
    else
      headers.emplace_back(name, value);
  };
  std::string betas;
  for (const auto& [name, value] : target.extra_headers) {
    if (equals_ignoring_case(name, "anthropic-beta")) {
      if (!betas.empty()) betas += ',';
      betas += value;
    } else if (equals_ignoring_case(name, "anthropic-version")) {
      set_version(name, value);
    } else {
      headers.emplace_back(name, value);
    }
  }
  if (!client_version.empty()) set_version("anthropic-version", client_version);
  if (!extra_betas.empty() && betas.find(extra_betas) == std::string::npos) {
    if (!betas.empty()) betas += ',';
    betas += extra_betas;
  }
  if (!betas.empty()) headers.emplace_back("anthropic-beta", std::move(betas));
  return headers;
}

// A client's Messages API call as it is: the deployment's model (or the addressing's fields).
Result<UpstreamRequest> pass_through(const api::Request& request, const Target& target,
                                     const AnthropicAddressing& addressing) {
  json::object body;
  addressing.address_body(target, body);
  copy_messages_call(request, target, body);
  auto url = addressing.url(target, request.stream);
  if (!url) return url.error();
  auto headers = messages_headers(
      addressing, target, std::string(client_native_header(request, "anthropic-beta")),
      addressing.takes_version_header() ? client_native_header(request, "anthropic-version")
                                        : std::string_view());
  if (!headers) return headers.error();
  return UpstreamRequest{
      .url = std::move(*url), .headers = std::move(*headers), .body = json::serialize(body)};
}

}  // namespace
}  // namespace anthropic

void copy_messages_call(const api::Request& client, const Target& target, json::object& body) {
  // `metadata` is both LiteLLM's and Anthropic's: only Anthropic's user_id goes on.
  for (const auto& [key, value] : client.body) {
    if (key == "model" || body.contains(key)) continue;
    if (key == "metadata") {
      const auto* metadata = value.if_object();
      const auto* user_id = metadata ? metadata->if_contains("user_id") : nullptr;
      if (user_id) body["metadata"] = json::object{{"user_id", *user_id}};
      continue;
    }
    if (!is_gateway_only_field(key)) body[key] = value;
  }
  for (const auto& [key, value] : target.default_params) {
    if (!body.contains(key) && takes_request_default(api::Endpoint::messages, key))
      body[key] = value;
  }
}

std::string_view client_native_header(const api::Request& client, std::string_view name) {
  for (const auto& [key, value] : client.native_headers) {
    if (key == name) return value;
  }
  return {};
}

Result<UpstreamRequest> AnthropicProvider::encode(const api::Request& request,
                                                  const Target& target) const {
  if (request.endpoint == api::Endpoint::messages && speaks(request.endpoint))
    return anthropic::pass_through(request, target, addressing_);
  if (request.endpoint != api::Endpoint::chat_completions) {
    return make_error(ErrorKind::invalid_request,
                      "anthropic supports chat completions only (/v1/chat/completions); this "
                      "deployment cannot serve " +
                          std::string(api::endpoint_path(request.endpoint)) + ".");
  }
  if (auto supported = check_supported_params(request, target, anthropic::kSupportedParams,
                                              anthropic::kProviderName);
      !supported)
    return supported.error();
  anthropic::RequestTranslator translator(request, target, addressing_);
  auto body = translator.body();
  if (!body) return body.error();
  auto url = addressing_.url(target, request.stream);
  if (!url) return url.error();
  // The betas the request's features need, beside the deployment's.
  auto headers = anthropic::messages_headers(
      addressing_, target,
      translator.needs_extended_cache_ttl() ? std::string(anthropic::kExtendedCacheTtlBeta) : "",
      {});
  if (!headers) return headers.error();
  return UpstreamRequest{
      .url = std::move(*url), .headers = std::move(*headers), .body = std::move(*body)};
}

}  // namespace llmux::providers
