#include "providers/cohere.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/params.hpp"
#include "providers/sse_stream_decoder.hpp"
#include "providers/wire/sse.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iterator>

namespace llmux::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view kProviderName = "cohere";
constexpr std::string_view kChatPath = "/v2/chat";
constexpr std::string_view kEmbedPath = "/v2/embed";
constexpr std::string_view kRerankPath = "/v2/rerank";
// LiteLLM's default for Cohere embeddings: the texts are stored and searched later.
constexpr std::string_view kDefaultInputType = "search_document";

// The OpenAI fields /v2/chat can express (`user` has no counterpart and is dropped, as LiteLLM
// does), and Cohere's own fields a client or the config may set directly.
constexpr std::string_view kChatFields[] = {
    "messages",
    "stream",
    "stream_options",
    "user",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "tools",
    "tool_choice",
    "response_format",
    "documents",
    "citation_options",
    "safety_mode",
    "strict_tools",
    "p",
    "k",
};
constexpr std::string_view kEmbedFields[] = {"input", "encoding_format", "dimensions",
                                             "user",  "input_type",      "truncate"};

// Cohere's v2 rerank fields, passed as they are (LiteLLM's /rerank takes Cohere's own shape).
constexpr std::string_view kRerankFields[] = {"query", "documents", "top_n", "max_tokens_per_doc"};

// OpenAI name → Cohere name for fields that only change their name.
struct Rename {
  std::string_view openai;
  std::string_view cohere;
};
constexpr Rename kRenamed[] = {
    {"max_tokens", "max_tokens"},
    {"max_completion_tokens", "max_tokens"},
    {"temperature", "temperature"},
    {"top_p", "p"},
    {"top_k", "k"},
    {"p", "p"},
    {"k", "k"},
    {"seed", "seed"},
    {"frequency_penalty", "frequency_penalty"},
    {"presence_penalty", "presence_penalty"},
    {"tools", "tools"},
    {"documents", "documents"},
    {"citation_options", "citation_options"},
    {"safety_mode", "safety_mode"},
    {"strict_tools", "strict_tools"},
};

// ---- request ----

// "auto" is Cohere's default (the field is left out); a named function has no Cohere counterpart.
Result<void> apply_tool_choice(const json::value& value, json::object& body) {
  if (value.is_string()) {
    const std::string_view choice = value.get_string();
    if (choice == "required")
      body["tool_choice"] = "REQUIRED";
    else if (choice == "none")
      body["tool_choice"] = "NONE";
    else if (choice != "auto")
      return bad_request("tool_choice must be auto, required or none.", "tool_choice");
    return {};
  }
  return bad_request(
      "Cohere's tool_choice takes only \"auto\", \"required\" or \"none\", not a named function.",
      "tool_choice");
}

// response_format → Cohere's {"type":"json_object", "json_schema"?: <schema>}.
Result<void> apply_response_format(const json::value& value, json::object& body) {
  const json::object* format = value.if_object();
  const std::string_view type = format ? string_at(*format, "type") : std::string_view();
  if (type == "text") return {};
  if (type == "json_object") {
    body["response_format"] = json::object{{"type", "json_object"}};
    return {};
  }
  if (type == "json_schema") {
    const auto* spec = object_at(*format, "json_schema");
    const auto* schema = spec ? spec->if_contains("schema") : nullptr;
    if (!schema)
      return bad_request("response_format.json_schema.schema is required.", "response_format");
    body["response_format"] = json::object{{"type", "json_object"}, {"json_schema", *schema}};
    return {};
  }
  return bad_request("response_format.type must be text, json_object or json_schema.",
                     "response_format");
}

Result<void> apply_field(std::string_view key, const json::value& value, json::object& body) {
  for (const auto& [openai, cohere] : kRenamed) {
    if (key == openai) {
      body[cohere] = value;
      return {};
    }
  }
  if (key == "stop") {
    if (value.is_string())
      body["stop_sequences"] = json::array{value};
    else if (!value.is_null())
      body["stop_sequences"] = value;
  } else if (key == "tool_choice") {
    return apply_tool_choice(value, body);
  } else if (key == "response_format") {
    return apply_response_format(value, body);
  }
  return {};
}

// The request's chat fields, then the deployment's default params the request did not set.
Result<void> apply_chat_fields(const api::Request& request, const Target& target,
                               json::object& body) {
  auto is_supported = [](std::string_view key) {
    return std::ranges::find(kChatFields, key) != std::end(kChatFields);
  };
  for (const auto& [key, value] : request.body) {
    if (!is_supported(key)) continue;
    if (auto applied = apply_field(key, value, body); !applied) return applied;
  }
  for (const auto& [key, value] : target.default_params) {
    if (request.body.contains(key) || !is_supported(key)) continue;
    if (auto applied = apply_field(key, value, body); !applied) return applied;
  }
  return {};
}

// Content as Cohere's parts: text stays text, image_url stays image_url (Cohere takes URLs and
// data URLs alike); a string stays a string.
Result<json::value> content_of(const json::value* content, bool images_allowed) {
  if (!content || content->is_null()) return json::value(json::string());
  if (content->is_string()) return *content;
  if (!content->is_array())
    return bad_request("A message content must be a string or an array of parts.", "messages");
  json::array parts;
  for (const auto& part : content->get_array()) {
    const json::object* object = part.if_object();
    if (!object) return bad_request("A message content part must be an object.", "messages");
    const std::string_view type = string_at(*object, "type");
    if (type == "text") {
      parts.push_back(json::object{{"type", "text"}, {"text", string_at(*object, "text")}});
    } else if (type == "image_url" && images_allowed) {
      const auto* image = object->if_contains("image_url");
      const json::value* url =
          image && image->is_object() ? image->get_object().if_contains("url") : image;
      if (!url || !url->is_string())
        return bad_request("An image_url part has no url.", "messages");
      parts.push_back(
          json::object{{"type", "image_url"}, {"image_url", json::object{{"url", *url}}}});
    } else {
      return bad_request(
          "Cohere does not support content parts of type '" + std::string(type) + "' here.",
          "messages");
    }
  }
  return json::value(std::move(parts));
}

// A system message's parts joined into the one string Cohere takes.
Result<json::value> system_content(const json::value* content) {
  auto translated = content_of(content, /*images_allowed=*/false);
  if (!translated || translated->is_string()) return translated;
  std::string text;
  for (const auto& part : translated->get_array()) {
    if (!text.empty()) text += '\n';
    text += part.get_object().at("text").get_string();
  }
  return json::value(json::string(text));
}

// OpenAI's assistant tool calls are already Cohere's shape; only their fields are checked.
Result<json::array> tool_calls_of(const json::value& calls) {
  if (!calls.is_array()) return bad_request("tool_calls must be an array.", "messages");
  json::array out;
  for (const auto& call : calls.get_array()) {
    const json::object* function =
        call.is_object() ? object_at(call.get_object(), "function") : nullptr;
    if (!function) return bad_request("A tool call has no function.", "messages");
    const auto* arguments = function->if_contains("arguments");
    json::string argument_text =
        arguments && arguments->is_string()
            ? arguments->get_string()
            : json::string(arguments && !arguments->is_null() ? json::serialize(*arguments) : "{}");
    out.push_back(json::object{
        {"id", string_at(call.get_object(), "id")},
        {"type", "function"},
        {"function", json::object{{"name", string_at(*function, "name")},
                                  {"arguments", std::move(argument_text)}}},
    });
  }
  return out;
}

Result<json::array> chat_messages(const json::value* messages) {
  json::array out;
  for (const auto& message : messages->get_array()) {
    const auto& in = message.get_object();
    std::string_view role = string_at(in, "role");
    if (role == "developer") role = "system";
    if (role == "function") role = "tool";
    json::object translated{{"role", role}};
    const auto* content = in.if_contains("content");
    if (role == "system") {
      auto text = system_content(content);
      if (!text) return text.error();
      translated["content"] = std::move(*text);
    } else if (role == "assistant") {
      const auto* calls = in.if_contains("tool_calls");
      const bool has_calls = calls && !calls->is_null();
      if (content && !content->is_null()) {
        auto parts = content_of(content, /*images_allowed=*/false);
        if (!parts) return parts.error();
        translated["content"] = std::move(*parts);
      } else if (!has_calls) {
        translated["content"] = "";
      }
      if (has_calls) {
        auto translated_calls = tool_calls_of(*calls);
        if (!translated_calls) return translated_calls.error();
        translated["tool_calls"] = std::move(*translated_calls);
      }
    } else if (role == "tool") {
      translated["tool_call_id"] = string_at(in, "tool_call_id");
      auto parts = content_of(content, /*images_allowed=*/false);
      if (!parts) return parts.error();
      translated["content"] = std::move(*parts);
    } else if (role == "user") {
      auto parts = content_of(content, /*images_allowed=*/true);
      if (!parts) return parts.error();
      translated["content"] = std::move(*parts);
    } else {
      return bad_request("Cohere does not support messages with role '" + std::string(role) + "'.",
                         "messages");
    }
    out.push_back(std::move(translated));
  }
  return out;
}

Result<json::array> embedding_texts(const json::value* input) {
  if (input && input->is_string()) return json::array{*input};
  if (input && input->is_array() &&
      std::ranges::all_of(input->get_array(),
                          [](const json::value& item) { return item.is_string(); }))
    return input->get_array();
  return bad_request("Cohere embeds text only: input must be a string or an array of strings.",
                     "input");
}

Result<json::object> embed_body(const api::Request& request, const Target& target) {
  auto texts = embedding_texts(request.body.if_contains("input"));
  if (!texts) return texts.error();
  json::object body{{"model", target.upstream_model},
                    {"texts", std::move(*texts)},
                    {"input_type", kDefaultInputType},
                    {"embedding_types", json::array{"float"}}};
  auto setting = [&](std::string_view key) -> const json::value* {
    if (const auto* value = request.body.if_contains(key)) return value;
    return target.default_params.if_contains(key);
  };
  if (const auto* input_type = setting("input_type")) body["input_type"] = *input_type;
  if (const auto* dimensions = setting("dimensions")) body["output_dimension"] = *dimensions;
  if (const auto* truncate = setting("truncate")) body["truncate"] = *truncate;
  return body;
}

// ---- response ----

// Cohere's finish_reason → OpenAI's. Tool calls win (as for every provider); ERROR_TOXIC is a
// content filter (LiteLLM's table); the rest (COMPLETE, STOP_SEQUENCE, ERROR, TIMEOUT) is a stop.
std::string_view finish_reason(std::string_view reason, bool tool_calls) {
  if (tool_calls || reason == "TOOL_CALL") return "tool_calls";
  if (reason == "MAX_TOKENS") return "length";
  if (reason == "ERROR_TOXIC") return "content_filter";
  return "stop";
}

// usage.tokens counts what the model saw (LiteLLM reports it); billed_units where it is absent.
api::Usage usage_of(const json::object* usage) {
  api::Usage out;
  if (!usage) return out;
  const json::object* tokens = object_at(*usage, "tokens");
  if (!tokens) tokens = object_at(*usage, "billed_units");
  if (!tokens) return out;
  out.reported = true;
  out.prompt_tokens = api::count_at(*tokens, "input_tokens");
  out.completion_tokens = api::count_at(*tokens, "output_tokens");
  out.total_tokens = out.prompt_tokens + out.completion_tokens;
  return out;
}

// One of Cohere's tool calls as OpenAI writes it; `index` only in stream deltas.
void append_openai_tool_call(std::string& out, const json::object& call,
                             std::optional<std::int64_t> index) {
  const json::object* function = object_at(call, "function");
  const std::string_view id = string_at(call, "id");
  const std::string_view arguments = function ? string_at(*function, "arguments") : "";
  // Clients parse the arguments of every whole call: none becomes "{}" (as LiteLLM sends it).
  append_tool_call(out, index, id.empty() ? make_object_id("call_") : std::string(id),
                   function ? string_at(*function, "name") : "",
                   arguments.empty() && !index ? "{}" : arguments);
}

Result<Reply> chat_reply(const json::object& answer, std::string_view client_model) {
  const json::object* message = object_at(answer, "message");
  if (!message) return upstream_failure("The upstream's chat answer has no message.");
  const auto* calls_value = message->if_contains("tool_calls");
  const json::array* calls = calls_value ? calls_value->if_array() : nullptr;
  if (calls && calls->empty()) calls = nullptr;
  const std::string text = content_text(message->if_contains("content"));
  Reply reply{.usage = usage_of(object_at(answer, "usage"))};
  std::string& out = reply.body;
  const std::string_view id = string_at(answer, "id");
  append_answer_head(out, id.empty() ? make_object_id("chatcmpl-") : std::string(id),
                     "chat.completion", unix_seconds(), client_model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  if (text.empty() && calls)
    out += "null";
  else
    append_json_string(out, text);
  if (calls) {
    out += R"(,"tool_calls":[)";
    bool first = true;
    for (const auto& call : *calls) {
      if (!call.is_object()) continue;
      if (!first) out += ',';
      first = false;
      append_openai_tool_call(out, call.get_object(), std::nullopt);
    }
    out += ']';
  }
  out += R"(},"finish_reason":")";
  out += finish_reason(string_at(answer, "finish_reason"), calls != nullptr);
  out += R"("}],"usage":)";
  append_token_counts(out, reply.usage);
  out += '}';
  return reply;
}

// /v2/embed's answer → OpenAI's list. Each vector's text is copied as Cohere wrote it, so the
// numbers reach the client exactly (a parse and re-serialisation would round some of them).
Result<Reply> embeddings_reply(const api::Request& request, std::string_view body,
                               const json::object& answer, std::string_view client_model) {
  const api::Span vectors =
      member_span(body, member_span(body, api::Span{0, body.size()}, "embeddings"), "float");
  std::int64_t input_tokens = 0;
  bool reported = false;
  if (const auto* meta = object_at(answer, "meta")) {
    if (const auto* billed = object_at(*meta, "billed_units")) {
      input_tokens = api::count_at(*billed, "input_tokens");
      reported = true;
    }
  }
  const api::Usage usage{
      .prompt_tokens = input_tokens, .total_tokens = input_tokens, .reported = reported};
  auto list = api::embeddings_list(request, body, vectors, client_model, usage);
  if (!list) return list.error();
  return Reply{.body = std::move(*list), .usage = usage};
}

// ---- stream ----

class CohereStreamDecoder final : public SseStreamDecoder {
 public:
  CohereStreamDecoder(std::string_view client_model, bool include_usage,
                      std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        chunks_(make_object_id("chatcmpl-"), unix_seconds(), client_model),
        include_usage_(include_usage) {}

  const api::Usage& usage() const override { return usage_; }

 private:
  // A trailing "[DONE]" (or anything else) after message-end is never relayed: the base stops
  // there.
  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (event.data.empty() || event.data == "[DONE]") return {};
    const ParsedJson parsed(event.data);
    if (!parsed.object())
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    return on_message_event(*parsed.object(), out);
  }

  // delta.message of an event, where Cohere puts what changed.
  static const json::object* delta_message(const json::object& event) {
    const json::object* delta = object_at(event, "delta");
    return delta ? object_at(*delta, "message") : nullptr;
  }

  Result<void> on_message_event(const json::object& event, std::string& out) {
    const std::string_view type = string_at(event, "type");
    const json::object* message = delta_message(event);
    if (type == "message-start") {
      chunks_.write(out, R"({"role":"assistant","content":""})");
    } else if (type == "content-start" || type == "content-delta") {
      const json::object* content = message ? object_at(*message, "content") : nullptr;
      const std::string_view text = content ? string_at(*content, "text") : std::string_view();
      if (!text.empty()) chunks_.write_content(out, text);
    } else if (type == "tool-call-start") {
      const json::object* call = message ? object_at(*message, "tool_calls") : nullptr;
      if (!call)
        return upstream_failure("The upstream stream sent a tool-call-start without its call.");
      tool_index_ = tools_seen_++;
      const json::object* function = object_at(*call, "function");
      arguments_sent_ = function && !string_at(*function, "arguments").empty();
      chunks_.open(out);
      out += R"({"tool_calls":[)";
      append_openai_tool_call(out, *call, static_cast<std::int64_t>(tool_index_));
      out += "]}";
      chunks_.close(out);
    } else if (type == "tool-call-delta") {
      const json::object* call = message ? object_at(*message, "tool_calls") : nullptr;
      const json::object* function = call ? object_at(*call, "function") : nullptr;
      const std::string_view fragment =
          function ? string_at(*function, "arguments") : std::string_view();
      if (!fragment.empty()) tool_arguments(out, fragment);
    } else if (type == "tool-call-end") {
      // Clients parse the arguments of every call: one that streamed none gets "{}" (LiteLLM).
      if (tools_seen_ > 0 && !arguments_sent_) tool_arguments(out, "{}");
    } else if (type == "message-end") {
      const json::object* delta = object_at(event, "delta");
      usage_ = usage_of(delta ? object_at(*delta, "usage") : nullptr);
      chunks_.write(
          out, "{}",
          finish_reason(delta ? string_at(*delta, "finish_reason") : "", tools_seen_ > 0));
      if (include_usage_) {
        std::string usage;
        append_token_counts(usage, usage_);
        chunks_.write_usage(out, usage);
      }
      out += "data: [DONE]\n\n";
      mark_done();
    }
    // content-end, tool-plan-delta, citation-start/end, debug and newer event types carry
    // nothing an OpenAI client reads.
    return {};
  }

  void tool_arguments(std::string& out, std::string_view fragment) {
    chunks_.write_tool_arguments(out, static_cast<std::int64_t>(tool_index_), fragment);
    arguments_sent_ = true;
  }

  ChunkWriter chunks_;
  bool include_usage_;
  api::Usage usage_;
  std::size_t tools_seen_ = 0;
  std::size_t tool_index_ = 0;
  bool arguments_sent_ = false;
};

}  // namespace

Result<UpstreamRequest> CohereProvider::encode(const api::Request& request,
                                               const Target& target) const {
  json::object body;
  std::string_view path;
  if (request.endpoint == api::Endpoint::embeddings) {
    if (auto checked = check_supported_params(request, target, kEmbedFields, kProviderName);
        !checked)
      return checked.error();
    auto embed = embed_body(request, target);
    if (!embed) return embed.error();
    body = std::move(*embed);
    path = kEmbedPath;
  } else if (request.endpoint == api::Endpoint::chat_completions) {
    if (auto checked = check_supported_params(request, target, kChatFields, kProviderName);
        !checked)
      return checked.error();
    body["model"] = target.upstream_model;
    auto messages = chat_messages(request.body.if_contains("messages"));
    if (!messages) return messages.error();
    body["messages"] = std::move(*messages);
    if (auto applied = apply_chat_fields(request, target, body); !applied) return applied.error();
    body["stream"] = request.stream;
    path = kChatPath;
  } else if (request.endpoint == api::Endpoint::rerank) {
    if (auto checked = check_supported_params(request, target, kRerankFields, kProviderName);
        !checked)
      return checked.error();
    body["model"] = target.upstream_model;
    for (const std::string_view field : kRerankFields) {
      if (const auto* value = request.body.if_contains(field))
        body[field] = *value;
      else if (const auto* fallback = target.default_params.if_contains(field))
        body[field] = *fallback;
    }
    path = kRerankPath;
  } else {
    return bad_request("Cohere serves chat completions, embeddings and rerank only.");
  }
  UpstreamRequest upstream{.url = target.api_base + std::string(path),
                           .body = json::serialize(body)};
  if (!target.api_key.empty())
    upstream.headers.emplace_back("Authorization", "bearer " + target.api_key);
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

Result<Reply> CohereProvider::decode(const api::Request& request, std::string_view body,
                                     std::string_view client_model) const {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object())
    return upstream_failure("The upstream sent a body that is not a JSON object.");
  if (request.endpoint == api::Endpoint::embeddings)
    return embeddings_reply(request, body, parsed.get_object(), client_model);
  // Cohere's rerank answer is what LiteLLM's /rerank returns ({id, results, meta}): relayed as is.
  if (request.endpoint == api::Endpoint::rerank) {
    if (!parsed.get_object().contains("results"))
      return upstream_failure("The upstream's rerank answer has no results.");
    return Reply{.body = std::string(body)};
  }
  return chat_reply(parsed.get_object(), client_model);
}

Error CohereProvider::decode_error(int status, std::string_view body) const {
  // Cohere answers {"message":"…"} with the status that means the same to an OpenAI client
  // (400, 401, 404, 422, 429, 5xx): decode_openai_error reads that shape and keeps the status.
  return decode_openai_error(status, body);
}

std::unique_ptr<StreamDecoder> CohereProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return std::make_unique<CohereStreamDecoder>(client_model, request.include_usage,
                                               max_event_bytes);
}

}  // namespace llmux::providers
