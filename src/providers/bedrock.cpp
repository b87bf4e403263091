#include "providers/bedrock.hpp"

#include "net/percent_encoding.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/params.hpp"
#include "providers/registry.hpp"
#include "providers/usage_estimate.hpp"
#include "providers/wire/aws_event_stream.hpp"
#include "providers/wire/aws_sigv4.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>

namespace llmux::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view kSigningService = "bedrock";
constexpr std::string_view kDefaultRegion = "us-west-2";  // LiteLLM's fallback

// ---- settings resolved at startup -------------------------------------------------------------

std::string env_value(const config::EnvLookup& env, const std::string& name) {
  auto value = env(name);
  return value ? *value : std::string();
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return std::string(text.substr(first, last - first + 1));
}

// One profile of an AWS shared credentials file (INI: "[name]" sections of "key = value").
std::vector<std::pair<std::string, std::string>> read_profile(const std::string& path,
                                                              std::string_view profile) {
  std::vector<std::pair<std::string, std::string>> values;
  std::ifstream in(path);
  std::string line;
  bool in_profile = false;
  while (std::getline(in, line)) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      in_profile = trim(std::string_view(text).substr(1, text.size() - 2)) == profile;
      continue;
    }
    const auto eq = text.find('=');
    if (in_profile && eq != std::string::npos)
      values.emplace_back(trim(std::string_view(text).substr(0, eq)),
                          trim(std::string_view(text).substr(eq + 1)));
  }
  return values;
}

std::string value_of(const std::vector<std::pair<std::string, std::string>>& values,
                     std::string_view key) {
  for (const auto& [name, value] : values) {
    if (name == key) return value;
  }
  return {};
}

// ---- request ----------------------------------------------------------------------------------

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

// response_format json_schema / json_object becomes one forced tool, as in LiteLLM: named after
// the schema (else json_tool_call); its input is the answer. Nullopt without such a format.
// Only the request's own response_format counts: decoding sees the request, not the deployment.
std::optional<std::string> json_tool_name(const api::Request& request) {
  const auto* format = json_response_format(request);
  if (!format) return std::nullopt;
  const auto* spec = json_schema_spec(*format);
  const auto name = spec ? string_at(*spec, "name") : std::string_view();
  return std::string(name.empty() ? kJsonToolName : name);
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

// The spans of the elements of the JSON array at `array` in `text` (already validated).
std::vector<api::Span> array_elements(std::string_view text, api::Span array) {
  std::vector<api::Span> elements;
  std::size_t pos = api::detail::skip_spaces(text, array.begin + 1, array.end);  // past '['
  while (pos < array.end && text[pos] != ']') {
    std::size_t end = 0;
    if (!api::detail::scan_value(text.substr(0, array.end), pos, end, nullptr)) break;
    elements.push_back(api::Span{pos, end});
    pos = api::detail::skip_spaces(text, end, array.end);
    if (pos < array.end && text[pos] == ',')
      pos = api::detail::skip_spaces(text, pos + 1, array.end);
  }
  return elements;
}

// A Titan ({"embedding", "inputTextTokenCount"}) or Cohere ({"embeddings"}) answer → OpenAI's
// list. Float vectors are copied as the upstream wrote them: Boost.JSON 1.81 does not parse every
// double exactly, so a re-serialised vector could differ in its last digit.
Result<Reply> decode_embeddings(const api::Request& request, std::string_view body,
                                std::string_view client_model) {
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const auto* answer = parsed.if_object();
  const auto* titan = answer ? answer->if_contains("embedding") : nullptr;
  const auto* cohere = answer ? answer->if_contains("embeddings") : nullptr;
  const bool is_titan = titan && titan->is_array();
  if (!is_titan && !(cohere && cohere->is_array())) {
    return make_error(ErrorKind::upstream_failed,
                      "Bedrock answered with a body that is not an embeddings response.");
  }
  Reply reply;
  const auto* count = is_titan ? answer->if_contains("inputTextTokenCount") : nullptr;
  if (count && count->is_int64()) {
    const std::int64_t tokens = count->get_int64();
    reply.usage = api::Usage{.prompt_tokens = tokens, .total_tokens = tokens, .reported = true};
  }
  const std::string usage =
      reply.usage.reported
          ? R"(,"usage":{"prompt_tokens":)" + std::to_string(reply.usage.prompt_tokens) +
                R"(,"total_tokens":)" + std::to_string(reply.usage.total_tokens) + "}"
          : std::string();

  if (api::wants_base64(request)) {  // float32 either way
    json::array data;
    for (const auto& vector : is_titan ? json::array{*titan} : cohere->get_array())
      data.push_back(
          json::object{{"object", "embedding"}, {"index", data.size()}, {"embedding", vector}});
    json::object list{{"object", "list"}, {"data", std::move(data)}, {"model", client_model}};
    api::convert_embeddings_to_base64(list);
    reply.body = json::serialize(list);
    reply.body.insert(reply.body.size() - 1, usage);
  } else {
    api::Span vectors;
    api::for_each_member(body, api::Span{0, body.size()},
                         [&](std::string_view key, api::Span value) {
                           if (key == (is_titan ? "embedding" : "embeddings")) vectors = value;
                         });
    const auto elements =
        is_titan ? std::vector<api::Span>{vectors} : array_elements(body, vectors);
    reply.body = R"({"object":"list","data":[)";
    for (std::size_t index = 0; index < elements.size(); ++index) {
      if (index) reply.body += ',';
      reply.body +=
          R"({"object":"embedding","index":)" + std::to_string(index) + R"(,"embedding":)";
      reply.body += elements[index].in(body);
      reply.body += '}';
    }
    reply.body += R"(],"model":)";
    append_json_string(reply.body, client_model);
    reply.body += usage;
    reply.body += '}';
  }
  estimate_missing_usage(reply, request);  // Cohere on Bedrock reports no token count
  return reply;
}

// ---- answers ----------------------------------------------------------------------------------

// Converse TokenUsage → OpenAI usage, as LiteLLM reports it: cache reads and writes are part
// of the prompt, and reads are also prompt_tokens_details.cached_tokens.
json::object usage_object(const json::value* converse_usage, api::Usage& usage) {
  const auto* object = converse_usage ? converse_usage->if_object() : nullptr;
  if (!object) return {};
  const std::int64_t cache_read = api::count_at(*object, "cacheReadInputTokens");
  const std::int64_t cache_write = api::count_at(*object, "cacheWriteInputTokens");
  usage =
      api::Usage{.prompt_tokens = api::count_at(*object, "inputTokens") + cache_read + cache_write,
                 .completion_tokens = api::count_at(*object, "outputTokens"),
                 .cached_tokens = cache_read,
                 .reported = true};
  // Bedrock's own total, as LiteLLM reports it.
  usage.total_tokens = object->contains("totalTokens")
                           ? api::count_at(*object, "totalTokens")
                           : usage.prompt_tokens + usage.completion_tokens;
  json::object out{{"prompt_tokens", usage.prompt_tokens},
                   {"completion_tokens", usage.completion_tokens},
                   {"total_tokens", usage.total_tokens}};
  if (cache_read || cache_write) {
    out["prompt_tokens_details"] = json::object{{"cached_tokens", cache_read}};
    out["cache_read_input_tokens"] = cache_read;
    out["cache_creation_input_tokens"] = cache_write;
  }
  return out;
}

std::int64_t seconds_since_epoch(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

// "Input is too long for requested model." and LiteLLM's other context-window phrases.
bool says_context_window(std::string_view message) {
  constexpr std::string_view kPhrases[] = {
      "too many tokens",       "expected maxLength:", "Input is too long",
      "input is too long",     "prompt is too long",  "prompt: length: 1..",
      "Too many input tokens", "context window",      "model_context_window_exceeded",
  };
  return std::ranges::any_of(kPhrases, [&](std::string_view phrase) {
    return message.find(phrase) != std::string_view::npos;
  });
}

// An exception name (ThrottlingException, throttlingException) → the client's error kind.
std::optional<ErrorKind> kind_of_exception(std::string_view name) {
  auto is = [&](std::string_view expected) {
    return name.size() == expected.size() &&
           std::equal(name.begin(), name.end(), expected.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  // The kinds of the statuses these exceptions have as request-level errors (others.md §4.4).
  if (is("throttlingException") || is("modelNotReadyException")) return ErrorKind::rate_limited;
  if (is("validationException") || is("serviceQuotaExceededException"))
    return ErrorKind::invalid_request;
  if (is("accessDeniedException")) return ErrorKind::forbidden;
  if (is("resourceNotFoundException")) return ErrorKind::not_found;
  if (is("modelTimeoutException")) return ErrorKind::timeout;
  if (is("serviceUnavailableException")) return ErrorKind::unavailable;
  if (is("internalServerException")) return ErrorKind::internal;
  if (is("modelStreamErrorException") || is("modelErrorException"))
    return ErrorKind::upstream_failed;
  return std::nullopt;
}

std::string message_in(std::string_view body) {
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  for (const std::string_view key : {"message", "Message"}) {
    if (const auto* message = parsed.get_object().if_contains(key); message && message->is_string())
      return std::string(message->get_string());
  }
  return {};
}

// Refines an error's kind from its message, as LiteLLM's Bedrock exception mapping does.
void refine_by_message(Error& error) {
  if (error.kind == ErrorKind::invalid_request && says_context_window(error.message))
    error.kind = ErrorKind::context_window_exceeded;
  // AWS answers bad or unknown credentials with 403; OpenAI clients know them as 401.
  if (error.message.find("security token included in the request is invalid") !=
          std::string::npos ||
      error.message.find("request signature we calculated does not match") != std::string::npos) {
    error.kind = ErrorKind::unauthenticated;
    error.status = 401;
  }
}

// ---- stream -----------------------------------------------------------------------------------

class BedrockStreamDecoder final : public StreamDecoder {
 public:
  BedrockStreamDecoder(std::string_view client_model, std::int64_t created, bool include_usage,
                       std::optional<std::string> json_tool, std::size_t max_message_bytes)
      : chunks_(make_object_id("chatcmpl-"), created, client_model),
        include_usage_(include_usage),
        json_tool_(std::move(json_tool)),
        frames_(max_message_bytes) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    messages_.clear();
    auto fed = frames_.feed(bytes, messages_);
    for (const auto& message : messages_) {
      if (done_) break;
      if (auto handled = handle(message, out); !handled) return handled;
    }
    if (!fed) {
      return make_error(
          ErrorKind::upstream_failed,
          "The Bedrock stream sent a malformed event-stream frame (" + fed.error().message + ")");
    }
    return {};
  }

  Result<void> finish(std::string& out) override {
    if (done_) return {};
    if (stop_reason_seen_ &&
        !frames_.has_partial_message()) {  // no metadata: the answer is complete
      out += "data: [DONE]\n\n";
      done_ = true;
      return {};
    }
    return make_error(ErrorKind::upstream_failed,
                      "The upstream closed the stream before it was complete.");
  }

  bool done() const override { return done_; }
  const api::Usage& usage() const override { return usage_; }

 private:
  Result<void> handle(const wire::EventStreamMessage& message, std::string& out) {
    if (message.message_type == "exception" || message.message_type == "error")
      return exception(message);
    if (message.message_type != "event") return {};
    json::error_code ec;
    const json::value parsed = json::parse(message.payload, ec);
    if (ec || !parsed.is_object()) {
      return make_error(ErrorKind::upstream_failed,
                        "The Bedrock stream sent an event that is not a JSON object.");
    }
    const auto& event = parsed.get_object();
    const std::string_view type = message.event_type;
    if (type == "messageStart") {
      write_chunk(out, json::object{{"role", "assistant"}, {"content", ""}});
    } else if (type == "contentBlockStart") {
      const auto* start = event.if_contains("start");
      const auto* tool =
          start && start->is_object() ? start->get_object().if_contains("toolUse") : nullptr;
      if (tool && tool->is_object()) start_tool(block_index(event), tool->get_object(), out);
    } else if (type == "contentBlockDelta") {
      const auto* delta = event.if_contains("delta");
      if (delta && delta->is_object()) content_delta(block_index(event), delta->get_object(), out);
    } else if (type == "messageStop") {
      std::string_view finish = finish_reason_of_stop(string_at(event, "stopReason"));
      if (json_tool_ && finish == "tool_calls" && tool_blocks_.empty()) finish = "stop";
      write_chunk(out, json::object(), finish);
      stop_reason_seen_ = true;
    } else if (type == "metadata") {
      json::object usage = usage_object(event.if_contains("usage"), usage_);
      if (include_usage_ && usage_.reported) {
        chunks_.write_usage(out, json::serialize(usage));
      }
      out += "data: [DONE]\n\n";
      done_ = true;
    }
    return {};  // contentBlockStop and events added later carry nothing for the client
  }

  static std::int64_t block_index(const json::object& event) {
    const auto* index = event.if_contains("contentBlockIndex");
    return index && index->is_int64() ? index->get_int64() : -1;
  }

  void start_tool(std::int64_t block, const json::object& tool, std::string& out) {
    const auto* name = tool.if_contains("name");
    if (json_tool_ && name && name->is_string() && name->get_string() == *json_tool_) {
      json_blocks_.push_back(block);  // its input is the answer's content
      return;
    }
    const std::int64_t index = static_cast<std::int64_t>(tool_blocks_.size());
    tool_blocks_.push_back(block);
    json::object call{{"index", index},
                      {"id", tool.contains("toolUseId") ? tool.at("toolUseId") : json::value("")},
                      {"type", "function"},
                      {"function", {{"name", name ? *name : json::value("")}, {"arguments", ""}}}};
    write_chunk(out, json::object{{"tool_calls", json::array{std::move(call)}}});
  }

  void content_delta(std::int64_t block, const json::object& delta, std::string& out) {
    if (const auto* text = delta.if_contains("text"); text && text->is_string()) {
      chunks_.write_content(out, text->get_string());
      return;
    }
    if (const auto* tool = delta.if_contains("toolUse"); tool && tool->is_object()) {
      const auto* input = tool->get_object().if_contains("input");
      if (!input || !input->is_string()) return;
      if (std::ranges::find(json_blocks_, block) != json_blocks_.end()) {
        chunks_.write_content(out, input->get_string());
        return;
      }
      const auto found = std::ranges::find(tool_blocks_, block);
      if (found == tool_blocks_.end()) return;  // input for a tool that never started
      chunks_.write_tool_arguments(out, found - tool_blocks_.begin(), input->get_string());
      return;
    }
    if (const auto* reasoning = delta.if_contains("reasoningContent");
        reasoning && reasoning->is_object()) {
      const auto& thought = reasoning->get_object();
      if (const auto* text = thought.if_contains("text"); text && text->is_string()) {
        write_chunk(
            out, json::object{{"reasoning_content", *text},
                              {"thinking_blocks", json::array{json::object{{"type", "thinking"},
                                                                           {"thinking", *text}}}}});
      } else if (const auto* signature = thought.if_contains("signature")) {
        write_chunk(out, json::object{{"thinking_blocks",
                                       json::array{json::object{{"type", "thinking"},
                                                                {"thinking", ""},
                                                                {"signature", *signature}}}}});
      } else if (const auto* redacted = thought.if_contains("redactedContent")) {
        write_chunk(out, json::object{{"thinking_blocks",
                                       json::array{json::object{{"type", "redacted_thinking"},
                                                                {"data", *redacted}}}}});
      }
    }
  }

  Result<void> exception(const wire::EventStreamMessage& message) {
    const std::string_view name =
        message.message_type == "error" ? message.error_code : message.exception_type;
    Error error{.kind = kind_of_exception(name).value_or(ErrorKind::upstream_failed)};
    error.message =
        message.message_type == "error" ? message.error_message : message_in(message.payload);
    if (error.message.empty())
      error.message = "The Bedrock stream failed with " + std::string(name) + ".";
    refine_by_message(error);
    done_ = true;
    return error;
  }

  void write_chunk(std::string& out, const json::object& delta,
                   std::string_view finish = {}) const {
    chunks_.write(out, json::serialize(delta), finish);
  }

  ChunkWriter chunks_;
  bool include_usage_;
  std::optional<std::string> json_tool_;  // the response_format tool, whose input is the content
  wire::EventStreamDecoder frames_;
  std::vector<wire::EventStreamMessage> messages_;
  std::vector<std::int64_t> tool_blocks_;  // contentBlockIndex of each tool call, by OpenAI index
  std::vector<std::int64_t> json_blocks_;  // blocks of the response_format tool
  api::Usage usage_;
  bool stop_reason_seen_ = false;
  bool done_ = false;
};

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

std::string bedrock_model_path_segment(std::string_view upstream_model) {
  // LiteLLM's route selectors: llmux serves chat through Converse whichever is named.
  for (const std::string_view route : {"converse/", "invoke/"}) {
    if (upstream_model.starts_with(route)) upstream_model.remove_prefix(route.size());
  }
  return net::percent_encoded(upstream_model);
}

void resolve_bedrock_target(Target& target, const config::EnvLookup& env) {
  auto& settings = target.settings;
  std::string region(string_at(settings, "aws_region_name"));
  if (region.empty()) region = env_value(env, "AWS_REGION_NAME");  // LiteLLM's own, read first
  if (region.empty()) region = env_value(env, "AWS_REGION");
  if (region.empty()) region = env_value(env, "AWS_DEFAULT_REGION");
  if (region.empty()) region = kDefaultRegion;
  settings["aws_region_name"] = region;

  if (target.api_base.empty())
    target.api_base = string_at(settings, "aws_bedrock_runtime_endpoint");
  if (target.api_base.empty()) target.api_base = env_value(env, "AWS_BEDROCK_RUNTIME_ENDPOINT");
  if (target.api_base.empty())
    target.api_base = "https://bedrock-runtime." + region + ".amazonaws.com";

  if (!string_at(settings, "aws_access_key_id").empty() ||
      !string_at(settings, "aws_secret_access_key").empty())
    return;  // the deployment names its keys
  const std::string profile_param(string_at(settings, "aws_profile_name"));
  std::string id, secret, token;
  if (profile_param.empty()) {
    id = env_value(env, "AWS_ACCESS_KEY_ID");
    secret = env_value(env, "AWS_SECRET_ACCESS_KEY");
    token = env_value(env, "AWS_SESSION_TOKEN");
  }
  if (id.empty() || secret.empty()) {
    std::string profile = profile_param;
    if (profile.empty()) profile = env_value(env, "AWS_PROFILE");
    if (profile.empty()) profile = "default";
    std::string file = env_value(env, "AWS_SHARED_CREDENTIALS_FILE");
    if (file.empty() && !env_value(env, "HOME").empty())
      file = env_value(env, "HOME") + "/.aws/credentials";
    const auto values =
        file.empty() ? decltype(read_profile("", "")){} : read_profile(file, profile);
    id = value_of(values, "aws_access_key_id");
    secret = value_of(values, "aws_secret_access_key");
    token = value_of(values, "aws_session_token");
  }
  if (id.empty() || secret.empty()) return;  // a request then fails with a clear 401
  settings["aws_access_key_id"] = id;
  settings["aws_secret_access_key"] = secret;
  if (!token.empty()) settings["aws_session_token"] = token;
}

void BedrockProvider::prepare(Target& target) const {
  resolve_bedrock_target(target, config::process_environment);
}

Result<UpstreamRequest> BedrockProvider::encode(const api::Request& request,
                                                const Target& target) const {
  const bool chat = request.endpoint == api::Endpoint::chat_completions;
  if (!chat && request.endpoint != api::Endpoint::embeddings) {
    return make_error(ErrorKind::invalid_request,
                      "Bedrock deployments serve /chat/completions and /embeddings, not " +
                          std::string(api::endpoint_path(request.endpoint)) + ".");
  }
  auto body = chat ? converse_body(request, target) : embeddings_body(request, target);
  if (!body) return body.error();

  UpstreamRequest upstream;
  upstream.body = json::serialize(*body);
  const std::string path = "/model/" + bedrock_model_path_segment(target.upstream_model) +
                           (!chat            ? "/invoke"
                            : request.stream ? "/converse-stream"
                                             : "/converse");
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
    const auto authority = url_authority(target.api_base);
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
                                         .service = kSigningService};
    upstream.headers = wire::sign_v4(to_sign, credentials, wire::aws_timestamp(now_()));
  }
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

Result<Reply> BedrockProvider::decode(const api::Request& request, std::string_view body,
                                      std::string_view client_model) const {
  if (request.endpoint == api::Endpoint::embeddings)
    return decode_embeddings(request, body, client_model);
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const auto* answer = parsed.if_object();
  const auto* output = answer ? answer->if_contains("output") : nullptr;
  const auto* message =
      output && output->is_object() ? output->get_object().if_contains("message") : nullptr;
  const auto* content =
      message && message->is_object() ? message->get_object().if_contains("content") : nullptr;
  if (ec || !content || !content->is_array()) {
    return make_error(ErrorKind::upstream_failed,
                      "Bedrock answered with a body that is not a Converse response.");
  }
  const auto json_tool = json_tool_name(request);
  // Tool inputs are copied as Bedrock wrote them (numbers exact: Boost.JSON 1.81 may parse a
  // double inexactly), from the raw text of each content block.
  const api::Span whole{0, body.size()};
  const auto raw_blocks = array_elements(
      body, member_span(body, member_span(body, member_span(body, whole, "output"), "message"),
                        "content"));
  std::string text, reasoning;
  json::array tool_calls, thinking_blocks;
  for (std::size_t index = 0; index < content->get_array().size(); ++index) {
    const auto* block = content->get_array()[index].if_object();
    if (!block) continue;
    if (const auto* piece = block->if_contains("text"); piece && piece->is_string()) {
      text += piece->get_string();
    } else if (const auto* use = block->if_contains("toolUse"); use && use->is_object()) {
      const auto& tool = use->get_object();
      const api::Span input =
          index < raw_blocks.size()
              ? member_span(body, member_span(body, raw_blocks[index], "toolUse"), "input")
              : api::Span{};
      const std::string arguments = input.empty() ? "{}" : std::string(input.in(body));
      const auto* name = tool.if_contains("name");
      if (json_tool && name && name->is_string() && name->get_string() == *json_tool) {
        text += arguments;
        continue;
      }
      tool_calls.push_back(json::object{
          {"id", tool.contains("toolUseId") ? tool.at("toolUseId") : json::value("")},
          {"type", "function"},
          {"function", {{"name", name ? *name : json::value("")}, {"arguments", arguments}}}});
    } else if (const auto* thought = block->if_contains("reasoningContent");
               thought && thought->is_object()) {
      const auto* reasoning_text = thought->get_object().if_contains("reasoningText");
      const auto* details = reasoning_text ? reasoning_text->if_object() : nullptr;
      const auto* piece = details ? details->if_contains("text") : nullptr;
      if (piece && piece->is_string()) {
        reasoning += piece->get_string();
        json::object thinking{{"type", "thinking"}, {"thinking", *piece}};
        if (const auto* signature = details->if_contains("signature"))
          thinking["signature"] = *signature;
        thinking_blocks.push_back(std::move(thinking));
      } else if (const auto* redacted = thought->get_object().if_contains("redactedContent")) {
        thinking_blocks.push_back(json::object{{"type", "redacted_thinking"}, {"data", *redacted}});
      }
    }
  }
  json::object reply_message{
      {"role", "assistant"},
      {"content", text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text)}};
  if (!reasoning.empty()) reply_message["reasoning_content"] = reasoning;
  if (!thinking_blocks.empty()) reply_message["thinking_blocks"] = std::move(thinking_blocks);
  const bool has_tool_calls = !tool_calls.empty();
  if (has_tool_calls) reply_message["tool_calls"] = std::move(tool_calls);
  std::string_view finish = finish_reason_of_stop(string_at(*answer, "stopReason"));
  if (finish == "tool_calls" && !has_tool_calls) finish = "stop";  // the response_format tool

  Reply reply;
  json::object usage = usage_object(answer->if_contains("usage"), reply.usage);
  json::object completion{
      {"id", make_object_id("chatcmpl-")},
      {"object", "chat.completion"},
      {"created", seconds_since_epoch(now_())},
      {"model", client_model},
      {"choices",
       json::array{json::object{
           {"index", 0}, {"message", std::move(reply_message)}, {"finish_reason", finish}}}}};
  if (reply.usage.reported) completion["usage"] = std::move(usage);
  reply.body = json::serialize(completion);
  return reply;
}

Error BedrockProvider::decode_error(int status, std::string_view body) const {
  Error error{.kind = kind_from_status(status), .message = message_in(body), .status = status};
  if (error.message.empty()) {
    error.message = "Bedrock answered with HTTP " + std::to_string(status);
    if (!body.empty()) {
      error.message += ": ";
      append_valid_utf8(error.message, body, 500);
    }
  }
  refine_by_message(error);
  return error;
}

std::unique_ptr<StreamDecoder> BedrockProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return std::make_unique<BedrockStreamDecoder>(client_model, seconds_since_epoch(now_()),
                                                request.include_usage, json_tool_name(request),
                                                max_event_bytes);
}

}  // namespace llmux::providers
