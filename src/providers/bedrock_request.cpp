#include "providers/bedrock.hpp"

#include "net/http1.hpp"
#include "net/percent_encoding.hpp"
#include "providers/anthropic.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/bedrock_internal.hpp"
#include "providers/json_fields.hpp"
#include "providers/params.hpp"
#include "providers/registry.hpp"
#include "providers/wire/aws_sigv4.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace llmux::providers {

namespace json = boost::json;

namespace bedrock {
namespace {

constexpr std::string_view kSigningService = "bedrock";

// Appends a cachePoint after a block that asked for prompt caching (Anthropic's cache_control).
void add_cache_point(json::array& blocks, const json::object& part) {
  if (part.contains("cache_control"))
    blocks.push_back(json::object{{"cachePoint", {{"type", "default"}}}});
}

// "data:image/png;base64,AAAA" → {"image":{"format":"png","source":{"bytes":"AAAA"}}}.
Result<json::object> image_block(const json::value& image_url) {
  std::string_view url;
  if (image_url.is_string())
    url = image_url.get_string();
  else if (image_url.is_object() && image_url.get_object().contains("url") &&
           image_url.get_object().at("url").is_string())
    url = image_url.get_object().at("url").get_string();
  constexpr std::string_view kData = "data:image/";
  constexpr std::string_view kBase64 = ";base64,";
  const auto marker = url.find(kBase64);
  if (!url.starts_with(kData) || marker == std::string_view::npos) {
    return bad_request(
        "Bedrock takes images as base64 data: URLs (data:image/png;base64,…); llmux does not "
        "download image URLs.",
        "messages");
  }
  std::string format(url.substr(kData.size(), marker - kData.size()));
  if (format == "jpg") format = "jpeg";
  if (format != "png" && format != "jpeg" && format != "gif" && format != "webp")
    return bad_request("Bedrock supports png, jpeg, gif and webp images, not '" + format + "'.",
                       "messages");
  return json::object{
      {"image",
       {{"format", format}, {"source", {{"bytes", url.substr(marker + kBase64.size())}}}}}};
}

// A `file` part with a base64 data: URL → a document block. Bedrock requires a name (letters,
// digits, single spaces, hyphens, parentheses, brackets): the filename so cleaned, else
// "Document <n>" by its place in the request.
Result<json::object> document_block(const json::object& file, std::size_t& documents) {
  const std::string_view url = string_at(file, "file_data");
  static constexpr std::pair<std::string_view, std::string_view> kFormats[] = {
      {"application/pdf", "pdf"},
      {"text/csv", "csv"},
      {"application/msword", "doc"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
      {"application/vnd.ms-excel", "xls"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
      {"text/html", "html"},
      {"text/plain", "txt"},
      {"text/markdown", "md"}};
  constexpr std::string_view kBase64 = ";base64,";
  const auto marker = url.find(kBase64);
  const std::string_view mime =
      url.starts_with("data:") && marker != std::string_view::npos ? url.substr(5, marker - 5) : "";
  const auto* format =
      std::ranges::find_if(kFormats, [&](const auto& entry) { return entry.first == mime; });
  if (format == std::end(kFormats)) {
    return bad_request(
        "Bedrock takes files as base64 data: URLs of a pdf, csv, doc, docx, xls, xlsx, html, txt "
        "or "
        "md document.",
        "messages");
  }
  std::string name;
  if (const auto* filename = file.if_contains("filename"); filename && filename->is_string()) {
    for (const char c :
         std::string_view(filename->get_string()).substr(0, filename->get_string().rfind('.'))) {
      const bool allowed = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '(' ||
                           c == ')' || c == '[' || c == ']';
      if (allowed)
        name += c;
      else if (!name.empty() && name.back() != ' ')
        name += ' ';
    }
    while (!name.empty() && name.back() == ' ') name.pop_back();
  }
  ++documents;
  if (name.empty()) name = "Document " + std::to_string(documents);
  return json::object{{"document",
                       {{"format", format->second},
                        {"name", name},
                        {"source", {{"bytes", url.substr(marker + kBase64.size())}}}}}};
}

// An OpenAI message's content (a string or an array of parts) as Converse content blocks.
Result<json::array> content_blocks(const json::value* content, std::size_t& documents) {
  json::array blocks;
  if (!content || content->is_null()) return blocks;
  if (content->is_string()) {
    if (!content->get_string().empty())
      blocks.push_back(json::object{{"text", content->get_string()}});
    return blocks;
  }
  if (!content->is_array())
    return bad_request("A message's content must be a string or an array of parts.", "messages");
  for (const auto& item : content->get_array()) {
    if (!item.is_object()) return bad_request("A content part must be an object.", "messages");
    const auto& part = item.get_object();
    const std::string_view kind = string_at(part, "type");
    if (kind == "text") {
      const auto* text = part.if_contains("text");
      if (!text || !text->is_string())
        return bad_request("A text part needs a string 'text'.", "messages");
      if (!text->get_string().empty()) blocks.push_back(json::object{{"text", text->get_string()}});
    } else if (kind == "image_url" && part.contains("image_url")) {
      auto image = image_block(part.at("image_url"));
      if (!image) return image.error();
      blocks.push_back(std::move(*image));
    } else if (kind == "file" && part.contains("file") && part.at("file").is_object()) {
      auto document = document_block(part.at("file").get_object(), documents);
      if (!document) return document.error();
      blocks.push_back(std::move(*document));
    } else {
      return bad_request(
          "Bedrock deployments do not take content parts of type '" + std::string(kind) + "'.",
          "messages");
    }
    add_cache_point(blocks, part);
  }
  return blocks;
}

Result<json::array> tool_use_blocks(const json::value& tool_calls) {
  json::array blocks;
  if (!tool_calls.is_array()) return bad_request("tool_calls must be an array.", "messages");
  for (const auto& item : tool_calls.get_array()) {
    const auto* call = item.if_object();
    const auto* function = call ? call->if_contains("function") : nullptr;
    if (!function || !function->is_object())
      return bad_request("A tool call needs a function.", "messages");
    const auto& fn = function->get_object();
    const auto* name = fn.if_contains("name");
    const auto* id = call->if_contains("id");
    if (!name || !name->is_string() || !id || !id->is_string())
      return bad_request("A tool call needs an id and a function name.", "messages");
    json::value input = json::object();
    if (const auto* arguments = fn.if_contains("arguments");
        arguments && arguments->is_string() && !arguments->get_string().empty()) {
      json::error_code ec;
      input = json::parse(arguments->get_string(), ec);
      if (ec) return bad_request("A tool call's arguments are not valid JSON.", "messages");
    }
    blocks.push_back(json::object{
        {"toolUse", {{"toolUseId", *id}, {"name", *name}, {"input", std::move(input)}}}});
  }
  return blocks;
}

// The text of a content value (string, or the text parts of an array), for tool results.
std::string plain_text(const json::value* content) {
  if (!content || content->is_null()) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (content->is_array()) {
    for (const auto& item : content->get_array()) {
      const auto* part = item.if_object();
      const auto* piece = part ? part->if_contains("text") : nullptr;
      if (piece && piece->is_string()) text += piece->get_string();
    }
  }
  return text;
}

// An assistant's thinking_blocks (as LiteLLM returns them) → reasoningContent blocks: Anthropic
// models need their signed thinking back when a turn continues after a tool call.
json::array reasoning_blocks(const json::array& thinking_blocks) {
  json::array blocks;
  for (const auto& item : thinking_blocks) {
    const auto* block = item.if_object();
    const auto* type = block ? block->if_contains("type") : nullptr;
    if (!type || !type->is_string()) continue;
    if (type->get_string() == "thinking" && block->contains("thinking")) {
      json::object text{{"text", block->at("thinking")}};
      if (const auto* signature = block->if_contains("signature")) text["signature"] = *signature;
      blocks.push_back(json::object{{"reasoningContent", {{"reasoningText", std::move(text)}}}});
    } else if (type->get_string() == "redacted_thinking" && block->contains("data")) {
      blocks.push_back(
          json::object{{"reasoningContent", {{"redactedContent", block->at("data")}}}});
    }
  }
  return blocks;
}

// Converse's blocks for each part of an OpenAI message (walk_conversation puts them in turns).
class ConverseWire final : public ConversationWire {
 public:
  Result<void> content(const json::object& message, std::string_view role,
                       json::array& blocks) override {
    auto converted = content_blocks(message.if_contains("content"), documents_);
    if (!converted) return converted.error();
    for (auto& block : *converted) {
      if (role == "system" && !block.get_object().contains("text") &&
          !block.get_object().contains("cachePoint"))
        return bad_request("A system message can only hold text.", "messages");
      blocks.push_back(std::move(block));
    }
    return {};
  }

  void thinking(const json::array& thinking_blocks, json::array& blocks) override {
    for (auto& block : reasoning_blocks(thinking_blocks)) blocks.push_back(std::move(block));
  }

  Result<void> tool_calls(const json::value& calls, json::array& blocks) override {
    auto uses = tool_use_blocks(calls);
    if (!uses) return uses.error();
    for (auto& use : *uses) blocks.push_back(std::move(use));
    return {};
  }

  Result<void> tool_result(const json::object& message, std::string_view role,
                           json::array& blocks) override {
    if (role != "tool") return refuse(MessageProblem::unknown_role, role);
    const auto* id = message.if_contains("tool_call_id");
    if (!id || !id->is_string())
      return bad_request("A tool message needs a tool_call_id.", "messages");
    json::array result_content{json::object{{"text", plain_text(message.if_contains("content"))}}};
    blocks.push_back(
        json::object{{"toolResult", {{"toolUseId", *id}, {"content", std::move(result_content)}}}});
    return {};
  }

  Error refuse(MessageProblem problem, std::string_view role) const override {
    switch (problem) {
      case MessageProblem::not_a_list: return bad_request("messages must be an array.", "messages");
      case MessageProblem::not_an_object:
      case MessageProblem::no_role: return bad_request("Every message needs a role.", "messages");
      case MessageProblem::unknown_role: break;
    }
    return bad_request(
        "Bedrock deployments do not take messages of role '" + std::string(role) + "'.",
        "messages");
  }

 private:
  std::size_t documents_ = 0;  // file parts so far: an unnamed document is named by its place
};

// OpenAI messages → Converse's system and messages (at least one: Converse refuses none).
Result<Conversation> translate_messages(const json::value* messages) {
  ConverseWire wire;
  auto conversation = walk_conversation(messages, wire);
  if (!conversation) return conversation.error();
  if (conversation->turns.empty())
    return bad_request("Bedrock needs at least one user or assistant message.", "messages");
  return conversation;
}

json::object tool_spec(std::string_view name, const json::value* description,
                       const json::value* schema) {
  json::object spec{{"name", name}};
  if (description && description->is_string()) spec["description"] = *description;
  json::value input_schema =
      schema && schema->is_object()
          ? *schema
          : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
  spec["inputSchema"] = json::object{{"json", std::move(input_schema)}};
  return json::object{{"toolSpec", std::move(spec)}};
}

Result<json::array> translate_tools(const json::value& tools) {
  json::array out;
  if (!tools.is_array()) return bad_request("tools must be an array.", "tools");
  for (const auto& item : tools.get_array()) {
    const auto* tool = item.if_object();
    const auto* function = tool ? tool->if_contains("function") : nullptr;
    const auto* fn = function ? function->if_object() : nullptr;
    const auto* name = fn ? fn->if_contains("name") : nullptr;
    if (!name || !name->is_string())
      return bad_request("Every tool needs a function with a name.", "tools");
    out.push_back(tool_spec(name->get_string(), fn->if_contains("description"),
                            fn->if_contains("parameters")));
  }
  return out;
}

// tool_choice → Converse's toolChoice; nullopt for "none", which Converse cannot express.
Result<std::optional<json::object>> translate_tool_choice(const json::value& choice) {
  if (choice.is_string()) {
    const std::string_view mode = choice.get_string();
    if (mode == "auto") return std::optional<json::object>(json::object{{"auto", json::object()}});
    if (mode == "required")
      return std::optional<json::object>(json::object{{"any", json::object()}});
    if (mode == "none") return std::optional<json::object>();
  } else if (const auto* object = choice.if_object()) {
    const auto* function = object->if_contains("function");
    const auto* name =
        function && function->is_object() ? function->get_object().if_contains("name") : nullptr;
    if (name && name->is_string())
      return std::optional<json::object>(json::object{{"tool", {{"name", *name}}}});
  }
  return bad_request(
      "tool_choice must be 'auto', 'required', 'none' or {type: function, function: {name}}.",
      "tool_choice");
}

bool has_tool_blocks(const json::array& messages) {
  return std::ranges::any_of(messages, [](const json::value& message) {
    return std::ranges::any_of(message.at("content").get_array(), [](const json::value& block) {
      return block.get_object().contains("toolUse") || block.get_object().contains("toolResult");
    });
  });
}

// OpenAI request fields Bedrock translates; every other OpenAI field is unsupported, and any
// other (provider-specific) field goes to additionalModelRequestFields, as LiteLLM does.
// extra_headers is accepted but not forwarded: a client must not choose upstream headers.
constexpr std::string_view kTranslated[] = {
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "response_format",
    "reasoning_effort",
    "thinking",
    "extra_headers",
    "top_k",
};
constexpr std::string_view kOpenAiFields[] = {
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "n",
    "seed",
    "user",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "modalities",
    "audio",
    "prediction",
    "store",
    "service_tier",
    "web_search_options",
    "verbosity",
    "prompt_cache_key",
    "safety_identifier",
};

bool is_in(std::span<const std::string_view> list, std::string_view key) {
  return std::ranges::find(list, key) != list.end();
}

// Fields that are neither OpenAI's nor the gateway's: model-specific request fields.
bool is_model_specific(std::string_view key) {
  return key != "model" && !is_gateway_only_field(key) && !is_provider_setting(key) &&
         !is_in(kTranslated, key) && !is_in(kOpenAiFields, key);
}

bool is_anthropic_model(std::string_view model) {
  return model.find("anthropic.") != std::string_view::npos;
}

bool is_nova_model(std::string_view model) {
  return model.find("amazon.nova") != std::string_view::npos;
}

Result<json::object> converse_body(const api::Request& request, const Target& target) {
  std::vector<std::string_view> accepted(std::begin(kTranslated), std::end(kTranslated));
  for (const auto& [key, value] : request.body) {
    if (is_model_specific(key)) accepted.push_back(key);
  }
  if (auto checked = check_supported_params(request, target, accepted, "bedrock"); !checked)
    return checked.error();

  auto conversation = translate_messages(request.body.if_contains("messages"));
  if (!conversation) return conversation.error();
  json::object body;
  if (!conversation->system.empty()) body["system"] = std::move(conversation->system);
  body["messages"] = std::move(conversation->turns);

  json::object inference;
  const auto* max_tokens = request_param(request, target, "max_completion_tokens");
  if (!max_tokens) max_tokens = request_param(request, target, "max_tokens");
  if (max_tokens) inference["maxTokens"] = *max_tokens;
  if (const auto* temperature = request_param(request, target, "temperature"))
    inference["temperature"] = *temperature;
  if (const auto* top_p = request_param(request, target, "top_p")) inference["topP"] = *top_p;
  if (const auto* stop = request_param(request, target, "stop")) {
    json::array sequences;
    if (stop->is_string() && !stop->get_string().empty()) sequences.push_back(*stop);
    if (stop->is_array()) {
      for (const auto& item : stop->get_array()) {
        if (item.is_string() && !item.get_string().empty()) sequences.push_back(item);
      }
    }
    if (!sequences.empty()) inference["stopSequences"] = std::move(sequences);
  }
  if (!inference.empty()) body["inferenceConfig"] = std::move(inference);

  json::array tools;
  std::optional<json::object> tool_choice;
  if (const auto* given = request_param(request, target, "tools")) {
    auto translated = translate_tools(*given);
    if (!translated) return translated.error();
    tools = std::move(*translated);
  }
  if (const auto* choice = request_param(request, target, "tool_choice")) {
    auto translated = translate_tool_choice(*choice);
    if (!translated) return translated.error();
    if (!*translated && !target.drop_params) {
      return make_error(ErrorKind::unsupported_params,
                        "llmux.UnsupportedParamsError: bedrock does not support tool_choice 'none' "
                        "(Converse has no "
                        "such mode). Set drop_params: true to drop it, or leave out the tools.",
                        "tool_choice");
    }
    tool_choice = std::move(*translated);
  }
  const auto* thinking = request_param(request, target, "thinking");
  const auto* effort = request_param(request, target, "reasoning_effort");
  const bool thinking_enabled =
      (thinking && thinking->is_object()) || (effort && effort->is_string());
  if (const auto json_tool = json_tool_name(request)) {
    const auto* schema_spec = json_schema_spec(*json_response_format(request));
    tools.push_back(tool_spec(*json_tool,
                              schema_spec ? schema_spec->if_contains("description") : nullptr,
                              schema_spec ? schema_spec->if_contains("schema") : nullptr));
    // A model that thinks cannot be forced to use a tool; it is asked through the schema alone.
    if (!thinking_enabled) tool_choice = json::object{{"tool", {{"name", *json_tool}}}};
  }
  if (tools.empty() && has_tool_blocks(body.at("messages").get_array())) {
    return make_error(
        ErrorKind::unsupported_params,
        "llmux.UnsupportedParamsError: Bedrock does not take tool calls or tool results in the "
        "messages without `tools`: pass the tools the conversation used.",
        "tools");
  }
  if (!tools.empty()) {
    json::object config{{"tools", std::move(tools)}};
    if (tool_choice) config["toolChoice"] = std::move(*tool_choice);
    body["toolConfig"] = std::move(config);
  }

  json::object additional;
  auto add_model_specific = [&](const json::object& fields) {
    for (const auto& [key, value] : fields) {
      if (is_model_specific(key) && !additional.contains(key)) additional[key] = value;
    }
  };
  add_model_specific(request.body);
  add_model_specific(target.default_params);
  // top_k only where the model family has one (LiteLLM drops it elsewhere).
  if (const auto* top_k = request_param(request, target, "top_k")) {
    if (is_anthropic_model(target.upstream_model)) additional["top_k"] = *top_k;
    if (is_nova_model(target.upstream_model))
      additional["inferenceConfig"] = json::object{{"topK", *top_k}};
  }
  if (is_anthropic_model(target.upstream_model)) {
    if (thinking && thinking->is_object()) {
      additional["thinking"] = *thinking;
    } else if (effort && effort->is_string()) {
      // "none" and values LiteLLM does not know ask for no thinking.
      if (auto budget = thinking_budget(effort->get_string()); budget && *budget > 0)
        additional["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", *budget}};
    }
  }
  if (!additional.empty()) body["additionalModelRequestFields"] = std::move(additional);
  return body;
}

// ---- embeddings (InvokeModel) ------------------------------------------------------------------

enum class EmbeddingFamily { titan, cohere };

std::optional<EmbeddingFamily> embedding_family(std::string_view model) {
  if (model.find("amazon.titan-embed") != std::string_view::npos) return EmbeddingFamily::titan;
  if (model.find("cohere.embed") != std::string_view::npos) return EmbeddingFamily::cohere;
  return std::nullopt;
}

// The InvokeModel body of an embeddings request: Titan takes one text ({"inputText"}), Cohere a
// list ({"texts", "input_type"}).
Result<json::object> embeddings_body(const api::Request& request, const Target& target) {
  const auto family = embedding_family(target.upstream_model);
  if (!family) {
    return bad_request(
        "Bedrock embeddings are served for Titan (amazon.titan-embed-*) and Cohere "
        "(cohere.embed-*) "
        "models, not '" +
            target.upstream_model + "'.",
        "model");
  }
  static constexpr std::string_view kTitanParams[] = {"input", "encoding_format", "dimensions"};
  static constexpr std::string_view kCohereParams[] = {"input", "encoding_format", "input_type",
                                                       "truncate"};
  const auto supported = *family == EmbeddingFamily::titan
                             ? std::span<const std::string_view>(kTitanParams)
                             : std::span<const std::string_view>(kCohereParams);
  if (auto checked = check_supported_params(request, target, supported, "bedrock"); !checked)
    return checked.error();

  json::array texts;
  const auto* input = request.body.if_contains("input");
  if (input && input->is_string()) texts.push_back(*input);
  if (input && input->is_array()) {
    for (const auto& item : input->get_array()) {
      if (!item.is_string())
        return bad_request("Bedrock embeddings take text inputs, not token arrays.", "input");
      texts.push_back(item);
    }
  }
  if (texts.empty()) return bad_request("input must be a string or an array of strings.", "input");
  if (*family == EmbeddingFamily::titan) {
    if (texts.size() != 1) {
      return bad_request("Titan embedding models take one input per request; send one string.",
                         "input");
    }
    json::object body{{"inputText", texts.front()}};
    if (const auto* dimensions = request_param(request, target, "dimensions"))
      body["dimensions"] = *dimensions;
    return body;
  }
  json::object body{{"texts", std::move(texts)},
                    {"input_type", "search_document"}};  // LiteLLM's default
  for (const std::string_view key : {"input_type", "truncate"}) {
    if (const auto* value = request_param(request, target, key)) body[key] = *value;
  }
  return body;
}

// ---- Messages API calls to Claude (InvokeModel) ----------------------------------------------

// The top-level fields InvokeModel takes for Claude (Bedrock's Messages request; LiteLLM keeps the
// same list): anything else would be Bedrock's 400 "Extra inputs are not permitted".
constexpr std::string_view kInvokeMessagesFields[] = {
    "anthropic_version", "anthropic_beta", "max_tokens", "messages", "system",
    "stop_sequences",    "temperature",    "top_p",      "top_k",    "tools",
    "tool_choice",       "thinking",       "metadata",
};

// The Anthropic betas InvokeModel takes for Claude, each with Bedrock's name for it (LiteLLM's
// table): Bedrock answers any other with a 400, so the others are left out.
constexpr std::pair<std::string_view, std::string_view> kBedrockBetas[] = {
    {"advanced-tool-use-2025-11-20", "tool-search-tool-2025-10-19"},
    {"compact-2026-01-12", "compact-2026-01-12"},
    {"computer-use-2025-01-24", "computer-use-2025-01-24"},
    {"computer-use-2025-11-24", "computer-use-2025-11-24"},
    {"context-1m-2025-08-07", "context-1m-2025-08-07"},
    {"context-management-2025-06-27", "context-management-2025-06-27"},
    {"dangerous-tool-use-2026-09-03", "dangerous-tool-use-2026-09-03"},
    {"effort-2025-11-24", "effort-2025-11-24"},
    {"fine-grained-tool-streaming-2025-05-14", "fine-grained-tool-streaming-2025-05-14"},
    {"mid-conversation-output-config-2026-07-01", "mid-conversation-output-config-2026-07-01"},
    {"mid-conversation-tool-changes-2026-07-01", "mid-conversation-tool-changes-2026-07-01"},
    {"thinking-binding-controls-2026-08-01", "thinking-binding-controls-2026-08-01"},
    {"thinking-display-updates-2026-08-18", "thinking-display-updates-2026-08-18"},
    {"tool-search-tool-2025-10-19", "tool-search-tool-2025-10-19"},
};

// Appends Bedrock's name of each beta of `values` (comma-separated) that it takes, once.
void add_betas(std::string_view values, json::array& betas) {
  while (!values.empty()) {
    const auto comma = values.find(',');
    auto beta = values.substr(0, comma);
    values = comma == std::string_view::npos ? std::string_view() : values.substr(comma + 1);
    while (!beta.empty() && beta.front() == ' ') beta.remove_prefix(1);
    while (!beta.empty() && beta.back() == ' ') beta.remove_suffix(1);
    const auto* known = std::ranges::find(kBedrockBetas, beta,
                                          &std::pair<std::string_view, std::string_view>::first);
    if (known != std::end(kBedrockBetas) &&
        std::ranges::find(betas, json::value(known->second)) == betas.end())
      betas.emplace_back(known->second);
  }
}

// Whether the Claude model an id names is Claude 4.5 or later ("…claude-sonnet-4-5-2025…",
// "…claude-opus-4-6…"): only those take a cache_control ttl on Bedrock. Older ids name the
// family after the version ("claude-3-5-sonnet") or have no minor version
// ("claude-sonnet-4-2025…").
bool takes_cache_ttl(std::string_view model) {
  for (const std::string_view family : {"opus", "sonnet", "haiku"}) {
    const auto at = model.find(family);
    if (at == std::string_view::npos) continue;
    std::string_view rest = model.substr(at + family.size());
    auto number = [&rest]() -> std::optional<int> {
      if (rest.empty() || (rest.front() != '-' && rest.front() != '_' && rest.front() != '.'))
        return std::nullopt;
      rest.remove_prefix(1);
      std::size_t digits = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      if (digits == 0 || digits > 2) return std::nullopt;  // none, or a date
      int value = 0;
      for (std::size_t i = 0; i < digits; ++i) value = value * 10 + (rest[i] - '0');
      rest.remove_prefix(digits);
      return value;
    };
    const auto major = number();
    if (!major) return false;
    const int minor = number().value_or(0);
    return *major > 4 || (*major == 4 && minor >= 5);
  }
  return false;
}

// Bedrock's cache_control takes `type` and, from Claude 4.5, a `ttl` of "5m" or "1h": a `scope`,
// and a ttl the model does not take, are removed (LiteLLM does the same: Bedrock refuses them).
void fit_cache_control(json::value& holder, bool ttl_taken) {
  auto* block = holder.if_object();
  auto* control = block ? block->if_contains("cache_control") : nullptr;
  auto* fields = control ? control->if_object() : nullptr;
  if (!fields) return;
  fields->erase("scope");
  const auto* ttl = fields->if_contains("ttl");
  // Both arms views: a json::string and "" would make a temporary json::string the view outlives.
  const std::string_view value =
      ttl && ttl->is_string() ? std::string_view(ttl->get_string()) : std::string_view();
  if (ttl && !(ttl_taken && (value == "5m" || value == "1h"))) fields->erase("ttl");
}

void fit_cache_controls(json::object& body, bool ttl_taken) {
  auto each = [&](json::value* list, auto&& apply) {
    if (auto* array = list ? list->if_array() : nullptr) {
      for (auto& item : *array) apply(item);
    }
  };
  auto fit = [&](json::value& holder) { fit_cache_control(holder, ttl_taken); };
  each(body.if_contains("tools"), fit);
  each(body.if_contains("system"), fit);
  each(body.if_contains("messages"), [&](json::value& message) {
    auto* object = message.if_object();
    each(object ? object->if_contains("content") : nullptr, fit);
  });
}

// The client's Messages call as InvokeModel takes it: Bedrock's anthropic_version, no `model` (it
// is in the path) and no `stream` (the path says it), the anthropic-beta values (the deployment's,
// then the client's) that Bedrock takes as the anthropic_beta list, in Bedrock's names, and
// cache_control as the model takes it.
json::object invoke_messages_body(const api::Request& request, const Target& target) {
  json::object body{{"anthropic_version", kBedrockAnthropicVersion}};
  copy_messages_call(request, target, body);
  json::array betas;
  if (const auto* given = body.if_contains("anthropic_beta"); given && given->is_array()) {
    for (const auto& beta : given->get_array()) {
      if (beta.is_string()) add_betas(beta.get_string(), betas);
    }
  }
  for (const auto& [name, value] : target.extra_headers) {
    if (net::http1::iequals(name, "anthropic-beta")) add_betas(value, betas);
  }
  add_betas(client_native_header(request, "anthropic-beta"), betas);
  body.erase("anthropic_beta");
  if (!betas.empty()) body["anthropic_beta"] = std::move(betas);
  fit_cache_controls(body, takes_cache_ttl(target.upstream_model));
  for (auto field = body.begin(); field != body.end();) {
    field = std::ranges::find(kInvokeMessagesFields, std::string_view(field->key())) ==
                    std::end(kInvokeMessagesFields)
                ? body.erase(field)
                : field + 1;
  }
  return body;
}

// ---- signing ------------------------------------------------------------------------------------

struct Authority {
  std::string host;       // host[:port] as written, the Host header upstream::Client sends
  std::string base_path;  // the endpoint's own path, if any ("" for Bedrock's)
};

// "https://host:port/base" → {"host:port", "/base"}; nullopt when there is no "scheme://host".
std::optional<Authority> url_authority(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  if (const auto at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  if (host.empty()) return std::nullopt;
  return Authority{.host = std::string(host),
                   .base_path = slash == std::string_view::npos ? std::string()
                                                                : std::string(rest.substr(slash))};
}

}  // namespace

std::optional<std::string> json_tool_name(const api::Request& request) {
  const auto* format = json_response_format(request);
  if (!format) return std::nullopt;
  const auto* spec = json_schema_spec(*format);
  const auto name = spec ? string_at(*spec, "name") : std::string_view();
  return std::string(name.empty() ? kJsonToolName : name);
}

}  // namespace bedrock

std::string bedrock_model_path_segment(std::string_view upstream_model) {
  // LiteLLM's route selectors: llmux serves chat through Converse whichever is named.
  for (const std::string_view route : {"converse/", "invoke/"}) {
    if (upstream_model.starts_with(route)) upstream_model.remove_prefix(route.size());
  }
  return net::percent_encoded(upstream_model);
}

bool is_bedrock_claude_invoke_model(std::string_view upstream_model) {
  return upstream_model.find("claude") != std::string_view::npos &&
         upstream_model.find("converse/") == std::string_view::npos;
}

Result<UpstreamRequest> BedrockProvider::encode(const api::Request& request,
                                                const Target& target) const {
  UpstreamRequest upstream;
  std::string operation;
  const bool invokes_messages =
      request.endpoint == api::Endpoint::messages && speaks(request.endpoint);
  if (invokes_messages) {
    upstream.body = json::serialize(bedrock::invoke_messages_body(request, target));
    operation = request.stream ? "/invoke-with-response-stream" : "/invoke";
  } else {
    const bool chat = request.endpoint == api::Endpoint::chat_completions;
    if (!chat && request.endpoint != api::Endpoint::embeddings) {
      return make_error(ErrorKind::invalid_request,
                        "Bedrock deployments serve /chat/completions and /embeddings, not " +
                            std::string(api::endpoint_path(request.endpoint)) + ".");
    }
    auto body =
        chat ? bedrock::converse_body(request, target) : bedrock::embeddings_body(request, target);
    if (!body) return body.error();
    upstream.body = json::serialize(*body);
    operation = !chat ? "/invoke" : request.stream ? "/converse-stream" : "/converse";
  }
  const std::string path =
      "/model/" + bedrock_model_path_segment(target.upstream_model) + operation;
  upstream.url = target.api_base + path;

  if (!target.api_key.empty()) {
    upstream.headers.emplace_back("Authorization", "Bearer " + target.api_key);
  } else if (target.settings.contains("aws_role_name") ||
             target.settings.contains("aws_web_identity_token")) {
    // Signing with the base credentials instead would fail later, and less clearly.
    return make_error(ErrorKind::internal,
                      "The Bedrock deployment of model '" + target.upstream_model +
                          "' asks for an STS role (aws_role_name / aws_web_identity_token), "
                          "which llmux does not support yet.");
  } else {
    const wire::AwsCredentials credentials{
        .access_key_id = std::string(string_at(target.settings, "aws_access_key_id")),
        .secret_access_key = std::string(string_at(target.settings, "aws_secret_access_key")),
        .session_token = std::string(string_at(target.settings, "aws_session_token"))};
    if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
      return make_error(
          ErrorKind::unauthenticated,
          "The Bedrock deployment of model '" + target.upstream_model +
              "' has no AWS credentials: set aws_access_key_id and aws_secret_access_key (or "
              "api_key), the AWS_* environment variables, or a shared credentials file profile.");
    }
    // Sign what upstream::Client sends: its Host header is the URL's host[:port] as written.
    const auto authority = bedrock::url_authority(target.api_base);
    if (!authority) {
      return make_error(ErrorKind::internal,
                        "The Bedrock endpoint of '" + target.upstream_model + "' is not a URL.");
    }
    const std::string region(string_at(target.settings, "aws_region_name"));
    const std::string signed_path = authority->base_path + path;
    const wire::AwsRequestToSign to_sign{.method = "POST",
                                         .host = authority->host,
                                         .path = signed_path,
                                         .query = {},
                                         .headers = {{"content-type", "application/json"}},
                                         .body = upstream.body,
                                         .region = region,
                                         .service = bedrock::kSigningService};
    upstream.headers = wire::sign_v4(to_sign, credentials, wire::aws_timestamp(now_()));
  }
  for (const auto& header : target.extra_headers) {
    // A Messages call carries the betas in its body (anthropic_beta).
    if (!(invokes_messages && net::http1::iequals(header.first, "anthropic-beta")))
      upstream.headers.push_back(header);
  }
  return upstream;
}

}  // namespace llmux::providers
