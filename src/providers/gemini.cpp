#include "providers/gemini.hpp"

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

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>
#include <optional>
#include <span>
#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace {

constexpr std::string_view kProviderName = "gemini";

// The OpenAI fields the chat translation below expresses; anything else is dropped or refused.
// `user` has no Gemini equivalent, but LiteLLM never refuses it (utils.py _check_valid_arg skips
// it for every provider), so it is accepted and left out.
constexpr std::string_view kChatParams[] = {
    "messages",
    "stream",
    "stream_options",
    "user",
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "n",
    "seed",
    "logprobs",
    "top_logprobs",
    "response_format",
    "reasoning_effort",
    "thinking",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "modalities",
    "web_search_options",
};
constexpr std::string_view kPenaltyParams[] = {"presence_penalty", "frequency_penalty"};
constexpr std::string_view kEmbeddingParams[] = {"input", "dimensions", "encoding_format", "user"};

bool is_gemini_3(std::string_view model) {
  return model.find("gemini-3") != std::string_view::npos;
}

// Gemini 3 models refuse presence and frequency penalties (LiteLLM lists them as unsupported).
bool takes_penalties(std::string_view model) { return !is_gemini_3(model); }

std::span<const std::string_view> chat_params(std::string_view model) {
  static const std::vector<std::string_view> kWithPenalties = [] {
    std::vector<std::string_view> all(std::begin(kChatParams), std::end(kChatParams));
    all.insert(all.end(), std::begin(kPenaltyParams), std::end(kPenaltyParams));
    return all;
  }();
  if (takes_penalties(model)) return kWithPenalties;
  return kChatParams;
}

// ---------------------------------------------------------------------------------------------
// Request: messages → contents + systemInstruction

// The text of an OpenAI message content: a string, or the text parts of an array joined.
std::string joined_text(const json::value* content) {
  if (!content) return {};
  if (content->is_string()) return std::string(content->get_string());
  std::string text;
  if (const auto* parts = content->if_array()) {
    for (const auto& part : *parts) {
      const auto* object = part.if_object();
      if (object && string_or_empty(object->if_contains("type")) == "text")
        text += string_or_empty(object->if_contains("text"));
    }
  }
  return text;
}

// The MIME type Gemini needs for a file it fetches itself, from the URL's extension (as LiteLLM
// guesses it); empty when the extension says nothing.
std::string_view mime_type_from_url(std::string_view url) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"jpg", "image/jpeg"},  {"jpeg", "image/jpeg"},     {"png", "image/png"},
      {"webp", "image/webp"}, {"gif", "image/gif"},       {"heic", "image/heic"},
      {"heif", "image/heif"}, {"pdf", "application/pdf"}, {"txt", "text/plain"},
      {"mp3", "audio/mp3"},   {"wav", "audio/wav"},       {"flac", "audio/flac"},
      {"ogg", "audio/ogg"},   {"aac", "audio/aac"},       {"mp4", "video/mp4"},
      {"mov", "video/mov"},   {"mpeg", "video/mpeg"},     {"webm", "video/webm"},
  };
  url = url.substr(0, std::min(url.find('?'), url.find('#')));
  const auto dot = url.rfind('.');
  if (dot == std::string_view::npos || url.find('/', dot) != std::string_view::npos) return {};
  std::string extension(url.substr(dot + 1));
  std::ranges::transform(extension, extension.begin(),
                         [](unsigned char c) { return std::tolower(c); });
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return type;
  }
  return {};
}

// An image, audio or file reference → an inlineData part (data: URLs) or a fileData part that
// Gemini fetches itself (gs://, https://, files/…). `format` (OpenAI's optional MIME type) wins.
Result<json::object> media_part(std::string_view url, std::string_view format,
                                std::string_view param) {
  if (url.starts_with("data:")) {
    const auto comma = url.find(',');
    const auto header = url.substr(5, comma == std::string_view::npos ? 0 : comma - 5);
    if (comma == std::string_view::npos || !header.ends_with(";base64")) {
      return bad_request(
          "Invalid '" + std::string(param) + "': a data URL must be base64 (data:<mime>;base64,…).",
          std::string(param));
    }
    const auto mime = format.empty() ? header.substr(0, header.size() - 7) : format;
    return json::object{
        {"inlineData", json::object{{"mimeType", mime}, {"data", url.substr(comma + 1)}}}};
  }
  if (url.empty())
    return bad_request("Invalid '" + std::string(param) + "': empty URL.", std::string(param));
  json::object file{{"fileUri", url}};
  const auto mime = format.empty() ? mime_type_from_url(url) : format;
  if (!mime.empty()) file["mimeType"] = mime;
  return json::object{{"fileData", std::move(file)}};
}

// The parts of a user message's content (a string or OpenAI content parts).
Result<void> append_user_parts(const json::value* content, json::array& parts) {
  if (!content || content->is_null()) return {};
  if (content->is_string()) {
    if (!content->get_string().empty())
      parts.push_back(json::object{{"text", content->get_string()}});
    return {};
  }
  const auto* items = content->if_array();
  if (!items)
    return bad_request("Invalid 'messages': content must be a string or an array of parts.",
                       "messages");
  for (const auto& item : *items) {
    const auto* part = item.if_object();
    const auto type = part ? string_or_empty(part->if_contains("type")) : std::string_view();
    Result<json::object> converted = json::object{};
    if (type == "text") {
      const auto text = string_or_empty(part->if_contains("text"));
      if (!text.empty()) parts.push_back(json::object{{"text", text}});
      continue;
    } else if (type == "image_url") {
      const auto* image = part->if_contains("image_url");
      const auto* image_object = object_or_null(image);
      const auto url =
          image_object ? string_or_empty(image_object->if_contains("url")) : string_or_empty(image);
      const auto format =
          image_object ? string_or_empty(image_object->if_contains("format")) : std::string_view();
      converted = media_part(url, format, "image_url");
    } else if (type == "input_audio") {
      const auto* audio = object_or_null(part->if_contains("input_audio"));
      const auto data = audio ? string_or_empty(audio->if_contains("data")) : std::string_view();
      const auto format =
          audio ? string_or_empty(audio->if_contains("format")) : std::string_view();
      if (data.empty() || format.empty())
        return bad_request("Invalid 'input_audio': 'data' and 'format' are required.", "messages");
      converted =
          json::object{{"inlineData", json::object{{"mimeType", "audio/" + std::string(format)},
                                                   {"data", data}}}};
    } else if (type == "file") {
      const auto* file = object_or_null(part->if_contains("file"));
      auto reference = file ? string_or_empty(file->if_contains("file_data")) : std::string_view();
      if (reference.empty() && file) reference = string_or_empty(file->if_contains("file_id"));
      const auto format = file ? string_or_empty(file->if_contains("format")) : std::string_view();
      converted = media_part(reference, format, "file");
    } else {
      return bad_request("Invalid 'messages': content part type '" + std::string(type) +
                             "' is not supported by gemini.",
                         "messages");
    }
    if (!converted) return converted.error();
    parts.push_back(std::move(*converted));
  }
  return {};
}

// OpenAI tool-call arguments (a JSON text) → Gemini's `args` object.
Result<json::value> call_arguments(const json::value* arguments) {
  const auto text = string_or_empty(arguments);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object{};
  json::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    return bad_request("Invalid 'messages': tool call arguments must be a JSON object.",
                       "messages");
  }
  return parsed;
}

// Gemini's thoughtSignature of a function call rides in the OpenAI tool-call id, after this
// separator (LiteLLM's encoding), so it goes back on the call when the client replays the turn:
// Gemini 3 refuses function-call turns without their signatures.
constexpr std::string_view kThoughtSignatureSeparator = "__thought__";

// Builds `contents` turn by turn: consecutive messages of one kind share one Content, as LiteLLM
// merges them (Gemini expects alternating turns).
class ContentsBuilder {
 public:
  enum class Turn { none, user, model, tool_results };

  json::array& parts_of(Turn turn) {
    if (turn != last_) {
      contents_.push_back(
          json::object{{"role", turn == Turn::model ? "model" : "user"}, {"parts", json::array{}}});
      last_ = turn;
    }
    return contents_.back().get_object()["parts"].get_array();
  }

  // Drops a turn that got no parts (an assistant message with neither text nor calls).
  void drop_empty_last() {
    if (!contents_.empty() && contents_.back().get_object()["parts"].get_array().empty()) {
      contents_.pop_back();
      last_ = Turn::none;
    }
  }

  json::array take() {
    if (contents_.empty()) parts_of(Turn::user).push_back(json::object{{"text", " "}});
    return std::move(contents_);
  }

 private:
  json::array contents_;
  Turn last_ = Turn::none;
};

struct ConvertedMessages {
  json::array contents;
  json::array system_parts;
};

Result<ConvertedMessages> convert_messages(const json::array& messages) {
  ConvertedMessages converted;
  ContentsBuilder builder;
  using Turn = ContentsBuilder::Turn;
  // Tool results name the function they answer; OpenAI names only the call id.
  std::vector<std::pair<std::string_view, std::string_view>> call_names;
  for (const auto& item : messages) {
    const auto& message = item.get_object();  // parse_request checked: objects with a role
    const auto role = string_or_empty(message.if_contains("role"));
    const auto* content = message.if_contains("content");
    if (role == "system" || role == "developer") {
      if (auto text = joined_text(content); !text.empty())
        converted.system_parts.push_back(json::object{{"text", std::move(text)}});
    } else if (role == "user") {
      if (auto added = append_user_parts(content, builder.parts_of(Turn::user)); !added)
        return added.error();
      builder.drop_empty_last();
    } else if (role == "assistant") {
      auto& parts = builder.parts_of(Turn::model);
      if (auto text = joined_text(content); !text.empty())
        parts.push_back(json::object{{"text", std::move(text)}});
      if (const auto* calls = array_or_null(message.if_contains("tool_calls"))) {
        for (const auto& call_value : *calls) {
          const auto* call = call_value.if_object();
          const auto* function = call ? object_or_null(call->if_contains("function")) : nullptr;
          const auto name =
              function ? string_or_empty(function->if_contains("name")) : std::string_view();
          if (name.empty())
            return bad_request("Invalid 'messages': a tool call needs a function name.",
                               "messages");
          auto args = call_arguments(function->if_contains("arguments"));
          if (!args) return args.error();
          const auto id = string_or_empty(call->if_contains("id"));
          call_names.emplace_back(id, name);
          json::object part{
              {"functionCall", json::object{{"name", name}, {"args", std::move(*args)}}}};
          if (const auto at = id.find(kThoughtSignatureSeparator); at != std::string_view::npos)
            part["thoughtSignature"] = id.substr(at + kThoughtSignatureSeparator.size());
          parts.push_back(std::move(part));
        }
      }
      builder.drop_empty_last();
    } else if (role == "tool" || role == "function") {
      const auto id = string_or_empty(message.if_contains("tool_call_id"));
      auto name = string_or_empty(message.if_contains("name"));
      if (!id.empty()) {
        const auto found =
            std::ranges::find(call_names, id, [](const auto& entry) { return entry.first; });
        if (found != call_names.end()) name = found->second;
      }
      if (name.empty()) {
        return bad_request(
            "Invalid 'messages': the tool message for tool_call_id '" + std::string(id) +
                "' answers no tool call of an earlier assistant message (gemini needs the "
                "function name).",
            "messages");
      }
      builder.parts_of(Turn::tool_results)
          .push_back(json::object{
              {"functionResponse",
               json::object{{"name", name},
                            {"response", json::object{{"content", joined_text(content)}}}}}});
    } else {
      return bad_request(
          "Invalid 'messages': role '" + std::string(role) + "' is not supported by gemini.",
          "messages");
    }
  }
  converted.contents = builder.take();
  return converted;
}

// ---------------------------------------------------------------------------------------------
// Request: JSON Schema → Gemini's Schema (an OpenAPI 3.0 subset that rejects unknown keys)

constexpr std::string_view kSchemaKeys[] = {
    "type",          "format",   "description",      "nullable",  "enum",     "items",
    "properties",    "required", "propertyOrdering", "anyOf",     "minItems", "maxItems",
    "minimum",       "maximum",  "minLength",        "maxLength", "pattern",  "minProperties",
    "maxProperties", "title",    "default",          "example",
};
constexpr int kMaxSchemaDepth = 32;  // bounds $ref cycles and hostile nesting

json::object gemini_schema(const json::object& schema, const json::object* definitions, int depth);

json::value gemini_subschema(const json::value& value, const json::object* definitions, int depth) {
  const auto* object = value.if_object();
  if (!object || object->empty())
    return json::object{{"type", "object"}};  // `items: {}` and the like
  return gemini_schema(*object, definitions, depth + 1);
}

// LiteLLM's _build_vertex_schema, in one pass: $ref inlined from $defs, `null` in anyOf or in a
// type array turned into `nullable`, type arrays into anyOf, `format` kept only where Gemini
// knows it, `type: object` added where properties are, every other unknown key dropped.
json::object gemini_schema(const json::object& schema, const json::object* definitions, int depth) {
  if (depth > kMaxSchemaDepth) return json::object{{"type", "object"}};
  if (const auto ref = string_or_empty(schema.if_contains("$ref")); !ref.empty()) {
    const auto name = ref.substr(ref.rfind('/') + 1);
    const auto* target = definitions ? object_or_null(definitions->if_contains(name)) : nullptr;
    if (target) return gemini_schema(*target, definitions, depth + 1);
    return json::object{{"type", "object"}};
  }
  json::object out;
  for (const auto& [key, value] : schema) {
    if (key == "properties" && value.is_object()) {
      json::object properties;
      for (const auto& [name, property] : value.get_object())
        properties[name] = gemini_subschema(property, definitions, depth);
      out["properties"] = std::move(properties);
    } else if (key == "items" && value.is_object()) {
      out["items"] = gemini_subschema(value, definitions, depth);
    } else if ((key == "anyOf" || key == "oneOf") && value.is_array()) {
      json::array branches;
      for (const auto& branch : value.get_array()) {
        const auto* object = branch.if_object();
        if (object && string_or_empty(object->if_contains("type")) == "null" &&
            object->size() == 1) {
          out["nullable"] = true;
          continue;
        }
        branches.push_back(gemini_subschema(branch, definitions, depth));
      }
      if (!branches.empty()) out["anyOf"] = std::move(branches);
    } else if (key == "type" && value.is_array()) {
      json::array types;
      for (const auto& type : value.get_array()) {
        if (type.is_string() && type.get_string() == "null")
          out["nullable"] = true;
        else
          types.push_back(type);
      }
      if (types.size() == 1) {
        out["type"] = types.front();
      } else if (types.size() > 1) {
        json::array branches;
        for (const auto& type : types) branches.push_back(json::object{{"type", type}});
        out["anyOf"] = std::move(branches);
      }
    } else if (key == "format") {
      const auto format = string_or_empty(&value);
      if (format == "enum" || format == "date-time") out["format"] = value;
    } else if (std::ranges::find(kSchemaKeys, std::string_view(key)) != std::end(kSchemaKeys)) {
      out[key] = value;
    }
  }
  if (out.contains("anyOf")) {  // Gemini refuses anyOf next to a type
    out.erase("type");
    out.erase("properties");
    out.erase("items");
  } else if (out.contains("properties") && !out.contains("type")) {
    out["type"] = "object";
  }
  return out;
}

json::object gemini_schema(const json::object& schema) {
  const auto* definitions = object_or_null(schema.if_contains("$defs"));
  if (!definitions) definitions = object_or_null(schema.if_contains("definitions"));
  return gemini_schema(schema, definitions, 0);
}

// ---------------------------------------------------------------------------------------------
// Request: tools, tool_choice, generationConfig

constexpr std::string_view kNativeTools[] = {"googleSearch", "googleSearchRetrieval",
                                             "codeExecution", "urlContext"};

Result<json::array> convert_tools(const json::value& tools_value, const json::value* web_search) {
  const auto* tools = tools_value.if_array();
  if (!tools) return bad_request("Invalid 'tools': expected an array.", "tools");
  json::array declarations;
  json::array out;
  for (const auto& tool_value : *tools) {
    const auto* tool = tool_value.if_object();
    if (!tool) return bad_request("Invalid 'tools': each tool must be an object.", "tools");
    if (std::ranges::any_of(kNativeTools,
                            [&](std::string_view key) { return tool->contains(key); })) {
      out.push_back(*tool);  // Gemini's own tools, as LiteLLM passes them
      continue;
    }
    const auto type = string_or_empty(tool->if_contains("type"));
    if (type == "web_search" || type == "web_search_preview") {  // OpenAI's hosted search
      out.push_back(json::object{{"googleSearch", json::object{}}});
      continue;
    }
    const auto* function = object_or_null(tool->if_contains("function"));
    const auto name =
        function ? string_or_empty(function->if_contains("name")) : std::string_view();
    if (type != "function" || name.empty())
      return bad_request("Invalid 'tools': gemini takes function tools with a name.", "tools");
    json::object declaration{{"name", name}};
    if (const auto description = string_or_empty(function->if_contains("description"));
        !description.empty())
      declaration["description"] = description;
    // A function without arguments has no `parameters`: Gemini refuses an OBJECT without
    // properties.
    const auto* parameters = object_or_null(function->if_contains("parameters"));
    const auto* properties =
        parameters ? object_or_null(parameters->if_contains("properties")) : nullptr;
    if (properties && !properties->empty()) declaration["parameters"] = gemini_schema(*parameters);
    declarations.push_back(std::move(declaration));
  }
  if (!declarations.empty())
    out.insert(out.begin(), json::object{{"functionDeclarations", std::move(declarations)}});
  if (web_search && !web_search->is_null())
    out.push_back(json::object{{"googleSearch", json::object{}}});
  return out;
}

Result<json::object> convert_tool_choice(const json::value& choice) {
  if (choice.is_string()) {
    const auto mode = choice.get_string();
    if (mode == "auto") return json::object{{"mode", "AUTO"}};
    if (mode == "none") return json::object{{"mode", "NONE"}};
    if (mode == "required") return json::object{{"mode", "ANY"}};
  } else if (const auto* object = choice.if_object()) {
    const auto* function = object_or_null(object->if_contains("function"));
    const auto name =
        function ? string_or_empty(function->if_contains("name")) : std::string_view();
    if (!name.empty())
      return json::object{{"mode", "ANY"}, {"allowedFunctionNames", json::array{name}}};
  }
  return bad_request("Invalid 'tool_choice': expected auto, none, required or a named function.",
                     "tool_choice");
}

// reasoning_effort → thinkingConfig with LiteLLM's budgets (Gemini 2.5) and levels (Gemini 3).
// The effort is a string, or {"effort": …} as the OpenAI Agents SDK sends it.
Result<json::object> effort_thinking_config(const json::value& value, std::string_view model) {
  const auto* object = value.if_object();
  std::string_view effort =
      object ? string_or_empty(object->if_contains("effort")) : string_or_empty(&value);
  if (effort == "disable") effort = "none";
  const bool thoughts = effort != "none";
  if (is_gemini_3(model)) {
    const bool flash = model.find("gemini-3-flash") != std::string_view::npos ||
                       model.find("gemini-3.1-flash") != std::string_view::npos;
    std::string_view level;
    if (effort == "minimal" || effort == "none")
      level = flash ? "MINIMAL" : "LOW";
    else if (effort == "low")
      level = "LOW";
    else if (effort == "medium")
      level = flash || model.find("gemini-3.1-pro") != std::string_view::npos ? "MEDIUM" : "HIGH";
    else if (effort == "high")
      level = "HIGH";
    if (!level.empty())
      return json::object{{"thinkingLevel", level}, {"includeThoughts", thoughts}};
  } else {
    std::int64_t budget = -1;
    if (effort == "minimal") {
      if (model.find("gemini-2.5-flash-lite") != std::string_view::npos)
        budget = 512;
      else if (model.find("gemini-2.5-pro") != std::string_view::npos)
        budget = 128;
      else if (model.find("gemini-2.5-flash") != std::string_view::npos)
        budget = 1;
      else
        budget = 128;
    } else if (effort == "low") {
      budget = 1024;
    } else if (effort == "medium") {
      budget = 2048;
    } else if (effort == "high") {
      budget = 4096;
    } else if (effort == "none") {
      budget = 0;
    }
    if (budget >= 0) return json::object{{"thinkingBudget", budget}, {"includeThoughts", thoughts}};
  }
  return bad_request("Invalid 'reasoning_effort': expected none, minimal, low, medium or high.",
                     "reasoning_effort");
}

// Anthropic's `thinking` ({"type":"enabled","budget_tokens":N} or {"type":"disabled"}), which
// LiteLLM also accepts for Gemini: a budget on 2.5, only whether to show thoughts on 3.
json::object budget_thinking_config(const json::value& value, std::string_view model) {
  const auto* thinking = value.if_object();
  const bool enabled = thinking && string_or_empty(thinking->if_contains("type")) == "enabled";
  const auto* budget = thinking ? thinking->if_contains("budget_tokens") : nullptr;
  const bool budget_given = budget && (budget->is_int64() || budget->is_uint64());
  const bool zero_budget = budget_given && api::token_count(budget) == 0;
  json::object config;
  if (is_gemini_3(model)) {
    config["includeThoughts"] = enabled && budget_given && !zero_budget;
  } else {
    if (enabled && !zero_budget) config["includeThoughts"] = true;
    if (budget_given) config["thinkingBudget"] = api::token_count(budget);
  }
  return config;
}

Result<void> add_response_format(const json::value& format_value, std::string_view model,
                                 json::object& config) {
  const auto* format = format_value.if_object();
  const auto type = format ? string_or_empty(format->if_contains("type")) : std::string_view();
  if (type == "text") {
    config["responseMimeType"] = "text/plain";
  } else if (type == "json_object") {
    config["responseMimeType"] = "application/json";
  } else if (type == "json_schema") {
    config["responseMimeType"] = "application/json";
    const auto* spec = object_or_null(format->if_contains("json_schema"));
    const auto* schema = spec ? object_or_null(spec->if_contains("schema")) : nullptr;
    if (schema) {
      // Gemini 2.0 and later take JSON Schema as is; 1.x only its own Schema subset.
      if (model.starts_with("gemini-1."))
        config["responseSchema"] = gemini_schema(*schema);
      else
        config["responseJsonSchema"] = *schema;
    }
  } else {
    return bad_request("Invalid 'response_format': expected type text, json_object or json_schema.",
                       "response_format");
  }
  return {};
}

Result<json::object> generation_config(const api::Request& request, const Target& target) {
  json::object config;
  auto copy = [&](std::string_view from, std::string_view to) {
    if (const auto* value = request_param(request, target, from)) config[to] = *value;
  };
  copy("temperature", "temperature");
  copy("top_p", "topP");
  copy("top_k", "topK");
  copy("max_tokens", "maxOutputTokens");
  copy("max_completion_tokens", "maxOutputTokens");
  copy("n", "candidateCount");
  copy("seed", "seed");
  if (takes_penalties(target.upstream_model)) {
    copy("presence_penalty", "presencePenalty");
    copy("frequency_penalty", "frequencyPenalty");
  }
  copy("logprobs", "responseLogprobs");
  copy("top_logprobs", "logprobs");
  if (const auto* stop = request_param(request, target, "stop")) {
    if (stop->is_string())
      config["stopSequences"] = json::array{*stop};
    else if (stop->is_array())
      config["stopSequences"] = *stop;
    else
      return bad_request("Invalid 'stop': expected a string or an array of strings.", "stop");
  }
  if (const auto* format = request_param(request, target, "response_format")) {
    if (auto added = add_response_format(*format, target.upstream_model, config); !added)
      return added.error();
  }
  if (const auto* effort = request_param(request, target, "reasoning_effort")) {
    auto thinking = effort_thinking_config(*effort, target.upstream_model);
    if (!thinking) return thinking.error();
    config["thinkingConfig"] = std::move(*thinking);
  } else if (const auto* thinking = request_param(request, target, "thinking")) {
    config["thinkingConfig"] = budget_thinking_config(*thinking, target.upstream_model);
  }
  // LiteLLM's default for Gemini 3, which Google recommends over lower temperatures.
  if (is_gemini_3(target.upstream_model) && !config.contains("temperature"))
    config["temperature"] = 1.0;
  if (const auto* modalities = array_or_null(request_param(request, target, "modalities"))) {
    json::array upper;
    for (const auto& modality : *modalities) {
      std::string name(string_or_empty(&modality));
      std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::toupper(c); });
      upper.push_back(json::string(name));
    }
    config["responseModalities"] = std::move(upper);
  }
  return config;
}

// LiteLLM refuses parallel_tool_calls: false next to several tools (Gemini cannot be told to call
// one at a time) unless parameters are being dropped.
Result<void> check_parallel_tool_calls(const api::Request& request, const Target& target) {
  const auto* parallel = request_param(request, target, "parallel_tool_calls");
  if (!parallel || !parallel->is_bool() || parallel->get_bool()) return {};
  const auto* tools = array_or_null(request_param(request, target, "tools"));
  const auto* dropping = request.body.if_contains("drop_params");
  if (!tools || tools->size() < 2 || target.drop_params ||
      (dropping && dropping->is_bool() && dropping->get_bool()))
    return {};
  return make_error(
      ErrorKind::unsupported_params,
      "llmux.UnsupportedParamsError: `parallel_tool_calls=False` is not supported by gemini when "
      "multiple tools are provided. Specify a single tool, set `parallel_tool_calls=True`, or set "
      "`drop_params: true` to drop it.",
      "parallel_tool_calls");
}

Result<std::string> chat_body(const api::Request& request, const Target& target) {
  if (auto checked = check_parallel_tool_calls(request, target); !checked) return checked.error();
  auto messages = convert_messages(request.body.at("messages").get_array());
  if (!messages) return messages.error();
  json::object body;
  if (!messages->system_parts.empty())
    body["systemInstruction"] = json::object{{"parts", std::move(messages->system_parts)}};
  body["contents"] = std::move(messages->contents);
  const auto* web_search = request_param(request, target, "web_search_options");
  if (const auto* tools = request_param(request, target, "tools")) {
    auto converted = convert_tools(*tools, web_search);
    if (!converted) return converted.error();
    if (!converted->empty()) body["tools"] = std::move(*converted);
  } else if (web_search) {
    body["tools"] = json::array{json::object{{"googleSearch", json::object{}}}};
  }
  if (const auto* choice = request_param(request, target, "tool_choice")) {
    auto config = convert_tool_choice(*choice);
    if (!config) return config.error();
    body["toolConfig"] = json::object{{"functionCallingConfig", std::move(*config)}};
  }
  auto config = generation_config(request, target);
  if (!config) return config.error();
  if (!config->empty()) body["generationConfig"] = std::move(*config);
  return json::serialize(body);
}

Result<std::vector<std::string_view>> embedding_texts(const api::Request& request) {
  const auto& input = request.body.at("input");
  std::vector<std::string_view> texts;
  if (input.is_string()) {
    texts.push_back(input.get_string());
  } else if (const auto* items = input.if_array()) {
    for (const auto& item : *items) {
      if (!item.is_string())
        return bad_request("Invalid 'input': gemini embeds text only (strings).", "input");
      texts.push_back(item.get_string());
    }
  }
  if (texts.empty())
    return bad_request("Invalid 'input': expected a string or a non-empty array of strings.",
                       "input");
  return texts;
}

// AI Studio's batchEmbedContents body.
Result<std::string> embeddings_body(const api::Request& request, const Target& target) {
  auto texts = embedding_texts(request);
  if (!texts) return texts.error();
  const std::string model = "models/" + target.upstream_model;
  const auto* dimensions = request_param(request, target, "dimensions");
  json::array requests;
  for (const auto text : *texts) {
    json::object one{
        {"model", model},
        {"content", json::object{{"parts", json::array{json::object{{"text", text}}}}}}};
    if (dimensions) one["outputDimensionality"] = *dimensions;
    requests.push_back(std::move(one));
  }
  return json::serialize(json::object{{"requests", std::move(requests)}});
}

// Vertex's text-embedding predict body: {"instances":[{"content"}], "parameters":{…}}.
Result<std::string> predict_embeddings_body(const api::Request& request, const Target& target) {
  auto texts = embedding_texts(request);
  if (!texts) return texts.error();
  json::array instances;
  for (const auto text : *texts) instances.push_back(json::object{{"content", text}});
  json::object body{{"instances", std::move(instances)}};
  if (const auto* dimensions = request_param(request, target, "dimensions")) {
    body["parameters"] = json::object{{"outputDimensionality", *dimensions}};
  }
  return json::serialize(body);
}

// ---------------------------------------------------------------------------------------------
// Answers

std::string_view finish_reason_of(std::string_view gemini) {
  static constexpr std::string_view kFiltered[] = {
      "SAFETY",
      "RECITATION",
      "LANGUAGE",
      "OTHER",
      "BLOCKLIST",
      "PROHIBITED_CONTENT",
      "SPII",
      "IMAGE_SAFETY",
      "IMAGE_PROHIBITED_CONTENT",
      "IMAGE_RECITATION",
      "IMAGE_OTHER",
      "NO_IMAGE",
  };
  if (gemini == "MAX_TOKENS") return "length";
  if (std::ranges::find(kFiltered, gemini) != std::end(kFiltered)) return "content_filter";
  return "stop";  // STOP, MALFORMED_FUNCTION_CALL, FINISH_REASON_UNSPECIFIED and new values
}

struct ToolCall {
  std::string id;
  std::string_view name;  // points into the parsed answer, which outlives the call's use
  std::string arguments;
};

// What one candidate says: visible text, thought text and function calls, in part order.
struct CandidateParts {
  std::string text;
  std::string reasoning;
  std::vector<ToolCall> calls;
  bool has_text = false;

  void clear() {
    text.clear();
    reasoning.clear();
    calls.clear();
    has_text = false;
  }
};

void read_parts(const json::object& candidate, CandidateParts& out) {
  const auto* content = object_or_null(candidate.if_contains("content"));
  const auto* parts = content ? array_or_null(content->if_contains("parts")) : nullptr;
  if (!parts) return;
  for (const auto& part_value : *parts) {
    const auto* part = part_value.if_object();
    if (!part) continue;
    if (const auto* text = part->if_contains("text"); text && text->is_string()) {
      const auto* thought = part->if_contains("thought");
      if (thought && thought->is_bool() && thought->get_bool()) {
        out.reasoning += text->get_string();
      } else {
        out.text += text->get_string();
        out.has_text = true;
      }
    } else if (const auto* call = object_or_null(part->if_contains("functionCall"))) {
      const auto* args = call->if_contains("args");
      std::string id = make_object_id("call_");
      if (const auto signature = string_or_empty(part->if_contains("thoughtSignature"));
          !signature.empty())
        id.append(kThoughtSignatureSeparator).append(signature);
      out.calls.push_back(ToolCall{.id = std::move(id),
                                   .name = string_or_empty(call->if_contains("name")),
                                   .arguments = args ? json::serialize(*args) : std::string("{}")});
    }
  }
}

// usageMetadata → OpenAI usage, as LiteLLM counts it: thinking tokens are completion tokens,
// added unless the total shows they are already in candidatesTokenCount.
struct GeminiUsage {
  api::Usage usage;
  std::int64_t reasoning_tokens = 0;
};

GeminiUsage usage_of(const json::object& metadata) {
  GeminiUsage out;
  auto& usage = out.usage;
  usage.reported = true;
  usage.prompt_tokens = api::token_count(metadata.if_contains("promptTokenCount"));
  usage.completion_tokens = api::token_count(metadata.if_contains("candidatesTokenCount"));
  usage.total_tokens = api::token_count(metadata.if_contains("totalTokenCount"));
  usage.cached_tokens = api::token_count(metadata.if_contains("cachedContentTokenCount"));
  out.reasoning_tokens = api::token_count(metadata.if_contains("thoughtsTokenCount"));
  if (usage.prompt_tokens + usage.completion_tokens != usage.total_tokens)
    usage.completion_tokens += out.reasoning_tokens;
  if (usage.total_tokens == 0) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return out;
}

void append_usage(std::string& out, const GeminiUsage& gemini) {
  const auto& usage = gemini.usage;
  out += "{\"prompt_tokens\":" + std::to_string(usage.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(usage.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(usage.total_tokens);
  if (usage.cached_tokens > 0)
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":" + std::to_string(usage.cached_tokens) +
           '}';
  if (gemini.reasoning_tokens > 0)
    out += ",\"completion_tokens_details\":{\"reasoning_tokens\":" +
           std::to_string(gemini.reasoning_tokens) + '}';
  out += '}';
}

// logprobsResult → OpenAI's choice.logprobs ({"content":[{token, logprob, bytes, top_logprobs}]}),
// appended as JSON; "null" when the candidate has none.
void append_logprobs(std::string& out, const json::object& candidate) {
  const auto* result = object_or_null(candidate.if_contains("logprobsResult"));
  const auto* chosen = result ? array_or_null(result->if_contains("chosenCandidates")) : nullptr;
  if (!chosen) {
    out += "null";
    return;
  }
  const auto* top = array_or_null(result->if_contains("topCandidates"));
  json::array content;
  for (std::size_t i = 0; i < chosen->size(); ++i) {
    const auto* token = (*chosen)[i].if_object();
    if (!token) continue;
    json::array alternatives;
    const auto* top_entry = top && i < top->size() ? (*top)[i].if_object() : nullptr;
    if (const auto* candidates =
            top_entry ? array_or_null(top_entry->if_contains("candidates")) : nullptr) {
      for (const auto& alternative_value : *candidates) {
        const auto* alternative = alternative_value.if_object();
        if (!alternative) continue;
        alternatives.push_back(json::object{
            {"token", string_or_empty(alternative->if_contains("token"))},
            {"logprob", alternative->contains("logProbability") ? alternative->at("logProbability")
                                                                : json::value(0)},
            {"bytes", nullptr}});
      }
    }
    content.push_back(
        json::object{{"token", string_or_empty(token->if_contains("token"))},
                     {"logprob", token->contains("logProbability") ? token->at("logProbability")
                                                                   : json::value(0)},
                     {"bytes", nullptr},
                     {"top_logprobs", std::move(alternatives)}});
  }
  out += json::serialize(json::object{{"content", std::move(content)}});
}

void append_tool_calls(std::string& out, const std::vector<ToolCall>& calls, int first_index,
                       bool with_index) {
  out += '[';
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i) out += ',';
    out += '{';
    if (with_index) out += "\"index\":" + std::to_string(first_index + static_cast<int>(i)) + ',';
    out += "\"id\":";
    append_json_string(out, calls[i].id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    append_json_string(out, calls[i].name);
    out += ",\"arguments\":";
    append_json_string(out, calls[i].arguments);
    out += "}}";
  }
  out += ']';
}

// promptFeedback.blockReason: the prompt itself was refused, so there is no answer to give.
std::optional<Error> prompt_blocked(const json::object& answer) {
  const auto* feedback = object_or_null(answer.if_contains("promptFeedback"));
  const auto reason =
      feedback ? string_or_empty(feedback->if_contains("blockReason")) : std::string_view();
  if (reason.empty()) return std::nullopt;
  std::string message = "gemini blocked the prompt (blockReason: " + std::string(reason) + ")";
  if (const auto detail = string_or_empty(feedback->if_contains("blockReasonMessage"));
      !detail.empty())
    message += ": " + std::string(detail);
  else
    message += '.';
  return make_error(ErrorKind::content_policy, std::move(message));
}

// Seconds from a google.protobuf.Duration string ("23s", "0.5s"), rounded up.
std::optional<std::chrono::seconds> duration_seconds(std::string_view text) {
  if (!text.ends_with('s')) return std::nullopt;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, seconds);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || seconds < 0) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(seconds)));
}

// A google.rpc.Status ({"code","message","status","details"}) → the client's error. `status` is
// the HTTP status it came with (0 inside a 200 stream: the body's code then decides).
Error error_from_status(int status, const json::object& rpc_status) {
  const auto code = static_cast<int>(api::token_count(rpc_status.if_contains("code")));
  if (status == 0 || (status >= 200 && status < 300)) status = code >= 400 ? code : 500;
  Error error{.kind = kind_from_status(status),
              .message = std::string(string_or_empty(rpc_status.if_contains("message"))),
              .status = status};
  if (error.message.empty())
    error.message = "gemini answered with HTTP " + std::to_string(status) + '.';
  if (const auto* details = array_or_null(rpc_status.if_contains("details"))) {
    for (const auto& detail_value : *details) {
      const auto* detail = detail_value.if_object();
      if (!detail) continue;
      const auto type = string_or_empty(detail->if_contains("@type"));
      // Gemini reports a wrong key as 400 INVALID_ARGUMENT; OpenAI clients expect a 401.
      if (type.ends_with("google.rpc.ErrorInfo") &&
          string_or_empty(detail->if_contains("reason")) == "API_KEY_INVALID") {
        error.kind = ErrorKind::unauthenticated;
        error.status = 401;
      } else if (type.ends_with("google.rpc.RetryInfo")) {
        error.retry_after = duration_seconds(string_or_empty(detail->if_contains("retryDelay")));
      }
    }
  }
  if (error.kind == ErrorKind::invalid_request &&
      error.message.find("exceeds the maximum number of tokens") != std::string::npos) {
    error.kind = ErrorKind::context_window_exceeded;
  }
  return error;
}

// Parses one upstream JSON document into `resource`'s memory.
json::value parse_answer(std::string_view text, json::monotonic_resource& resource,
                         json::error_code& ec) {
  return json::parse(text, ec, json::storage_ptr(&resource));
}

std::string chat_id(const json::object& answer) {
  const auto id = string_or_empty(answer.if_contains("responseId"));
  return id.empty() ? make_object_id("chatcmpl-") : std::string(id);
}

Result<Reply> decode_chat(const json::object& answer, std::string_view client_model) {
  if (auto blocked = prompt_blocked(answer)) return *blocked;
  std::string body;
  body.reserve(512);
  append_answer_head(body, chat_id(answer), "chat.completion", unix_seconds(), client_model);
  body += ",\"choices\":[";
  const auto* candidates = array_or_null(answer.if_contains("candidates"));
  CandidateParts parts;
  const std::size_t count = candidates ? candidates->size() : 0;
  for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); ++i) {
    static const json::object kNoCandidate;
    const auto* candidate = i < count ? (*candidates)[i].if_object() : &kNoCandidate;
    if (!candidate)
      return upstream_failure("gemini answered with a candidate that is not an object.");
    parts.clear();
    read_parts(*candidate, parts);
    std::string_view finish =
        finish_reason_of(string_or_empty(candidate->if_contains("finishReason")));
    const bool filtered = finish == "content_filter";  // LiteLLM drops what a filter cut short
    if (!parts.calls.empty() && !filtered) finish = "tool_calls";
    if (i) body += ',';
    body += "{\"index\":" + std::to_string(candidate->contains("index")
                                               ? api::token_count(candidate->if_contains("index"))
                                               : static_cast<std::int64_t>(i));
    body += ",\"message\":{\"role\":\"assistant\",\"content\":";
    if (parts.has_text && !filtered)
      append_json_string(body, parts.text);
    else
      body += "null";
    if (!parts.reasoning.empty() && !filtered) {
      body += ",\"reasoning_content\":";
      append_json_string(body, parts.reasoning);
    }
    if (!parts.calls.empty() && !filtered) {
      body += ",\"tool_calls\":";
      append_tool_calls(body, parts.calls, 0, false);
    }
    body += "},\"finish_reason\":";
    append_json_string(body, finish);
    body += ",\"logprobs\":";
    append_logprobs(body, *candidate);
    body += '}';
  }
  body += ']';
  GeminiUsage usage;
  if (const auto* metadata = object_or_null(answer.if_contains("usageMetadata")))
    usage = usage_of(*metadata);
  body += ",\"usage\":";
  append_usage(body, usage);
  body += '}';
  return Reply{.body = std::move(body), .usage = usage.usage};
}

// Where an answer keeps its vectors: batchEmbedContents' embeddings[].values, or predict's
// predictions[].embeddings.values (with statistics.token_count beside them).
struct EmbeddingsLayout {
  std::string_view list;     // "embeddings" / "predictions"
  std::string_view wrapper;  // "" / "embeddings": the object inside each item that holds values
};
constexpr EmbeddingsLayout kBatchEmbedLayout{"embeddings", ""};
constexpr EmbeddingsLayout kPredictLayout{"predictions", "embeddings"};

// The text of each values array, as Google wrote it: floats then reach the client digit for
// digit (Boost.JSON 1.81 parses doubles to within one ulp, not exactly).
std::vector<api::Span> values_as_written(std::string_view body, const EmbeddingsLayout& layout) {
  std::vector<api::Span> spans;
  const auto values_in = [&](api::Span holder) {
    api::for_each_member(body, holder, [&](std::string_view member, api::Span values) {
      if (member == "values") spans.push_back(values);
    });
  };
  api::for_each_member(body, api::Span{0, body.size()}, [&](std::string_view key, api::Span items) {
    if (key != layout.list) return;
    api::for_each_element(body, items, [&](api::Span item) {
      if (layout.wrapper.empty()) return values_in(item);
      api::for_each_member(body, item, [&](std::string_view member, api::Span holder) {
        if (member == layout.wrapper) values_in(holder);
      });
    });
  });
  return spans;
}

Result<Reply> decode_embeddings(const api::Request& request, std::string_view text,
                                const json::object& answer, std::string_view client_model,
                                const EmbeddingsLayout& layout) {
  const auto* items = array_or_null(answer.if_contains(layout.list));
  if (!items)
    return upstream_failure("gemini answered without '" + std::string(layout.list) + "'.");
  const bool base64 = api::wants_base64(request);
  const auto written = base64 ? std::vector<api::Span>{} : values_as_written(text, layout);
  std::int64_t prompt_tokens = 0;
  std::string body = "{\"object\":\"list\",\"data\":[";
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto* embedding = (*items)[i].if_object();
    if (embedding && !layout.wrapper.empty()) {
      embedding = object_or_null(embedding->if_contains(layout.wrapper));
      const auto* statistics =
          embedding ? object_or_null(embedding->if_contains("statistics")) : nullptr;
      if (statistics) prompt_tokens += api::token_count(statistics->if_contains("token_count"));
    }
    const auto* values = embedding ? array_or_null(embedding->if_contains("values")) : nullptr;
    if (!values) return upstream_failure("gemini answered with an embedding without 'values'.");
    if (i) body += ',';
    body += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
    if (base64) {
      std::string encoded;
      if (!api::encode_embedding_base64(*values, encoded))
        return upstream_failure("gemini answered with an embedding that is not numbers.");
      append_json_string(body, encoded);
    } else if (written.size() == items->size()) {
      body += written[i].in(text);
    } else {
      body += json::serialize(*values);
    }
    body += '}';
  }
  body += "],\"model\":";
  append_json_string(body, client_model);
  // batchEmbedContents reports no token counts; predict counts each input's tokens.
  const std::string tokens = std::to_string(prompt_tokens);
  body += ",\"usage\":{\"prompt_tokens\":" + tokens + ",\"total_tokens\":" + tokens + "}}";
  api::Usage usage;
  if (!layout.wrapper.empty()) {
    usage =
        api::Usage{.prompt_tokens = prompt_tokens, .total_tokens = prompt_tokens, .reported = true};
  }
  return Reply{.body = std::move(body), .usage = usage};
}

// ---------------------------------------------------------------------------------------------
// Streams

class GeminiStreamDecoder final : public SseStreamDecoder {
 public:
  GeminiStreamDecoder(std::string_view client_model, bool include_usage,
                      std::size_t max_event_bytes)
      : SseStreamDecoder(max_event_bytes),
        client_model_(client_model),
        created_(unix_seconds()),
        include_usage_(include_usage) {}

  const api::Usage& usage() const override { return usage_.usage; }

 private:
  struct ChoiceState {
    bool role_sent = false;
    bool called_tools = false;
  };

  Result<void> on_event(const wire::SseEventView& event, std::string& out) override {
    if (!event.event.empty()) {
      std::string message = "The upstream stream sent an event of unknown type '";
      append_valid_utf8(message, event.event, 64);
      return upstream_failure(message + "'.");
    }
    if (event.data.empty()) return {};
    return relay_event(event.data, out);
  }

  // Gemini has no end marker: the stream is complete when a finishReason came before the close.
  Result<void> on_close(std::string& out) override {
    if (!finished_) return ended_early();
    if (include_usage_) {
      std::string usage;
      append_usage(usage, usage_);
      chunks().write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
    mark_done();
    return {};
  }

  Result<void> relay_event(std::string_view data, std::string& out) {
    unsigned char buffer[4096];
    json::monotonic_resource resource(buffer, sizeof buffer);
    json::error_code ec;
    const json::value parsed = parse_answer(data, resource, ec);
    if (ec || !parsed.is_object())
      return upstream_failure("The upstream stream sent an event that is not a JSON object.");
    const auto& answer = parsed.get_object();
    if (const auto* error = object_or_null(answer.if_contains("error")))
      return error_from_status(0, *error);
    if (auto blocked = prompt_blocked(answer)) return *blocked;
    chunks(&answer);  // the first answer gives every chunk its id
    if (const auto* metadata = object_or_null(answer.if_contains("usageMetadata")))
      usage_ = usage_of(*metadata);
    const auto* candidates = array_or_null(answer.if_contains("candidates"));
    if (!candidates) return {};
    for (std::size_t position = 0; position < candidates->size(); ++position) {
      const auto* candidate = (*candidates)[position].if_object();
      if (!candidate)
        return upstream_failure("The upstream stream sent a candidate that is not an object.");
      const auto index = candidate->contains("index")
                             ? api::token_count(candidate->if_contains("index"))
                             : static_cast<std::int64_t>(position);
      if (index < 0 || index > kMaxChoices)
        return upstream_failure("The upstream stream sent an unusable candidate index.");
      relay_candidate(*candidate, static_cast<std::size_t>(index), out);
    }
    return {};
  }

  void relay_candidate(const json::object& candidate, std::size_t index, std::string& out) {
    if (choices_.size() <= index) choices_.resize(index + 1);
    auto& state = choices_[index];
    parts_.clear();
    read_parts(candidate, parts_);
    const std::string index_text = std::to_string(index);
    const auto* logprobs = candidate.if_contains("logprobsResult");
    // An empty text part (Gemini closes some streams with one) is no delta.
    const bool has_text = !parts_.text.empty();
    if (has_text || !parts_.reasoning.empty() || !parts_.calls.empty()) {
      chunks().begin(out);
      out += "{\"index\":" + index_text + ",\"delta\":{";
      bool first = true;
      auto field = [&](std::string_view name) {
        if (!first) out += ',';
        first = false;
        out += name;
      };
      if (!state.role_sent) {
        field("\"role\":\"assistant\"");
        state.role_sent = true;
      }
      if (has_text) {
        field("\"content\":");
        append_json_string(out, parts_.text);
      }
      if (!parts_.reasoning.empty()) {
        field("\"reasoning_content\":");
        append_json_string(out, parts_.reasoning);
      }
      if (!parts_.calls.empty()) {
        field("\"tool_calls\":");
        append_tool_calls(out, parts_.calls, tool_calls_sent_, true);
        tool_calls_sent_ += static_cast<int>(parts_.calls.size());
        state.called_tools = true;
      }
      out += "},\"finish_reason\":null";
      if (logprobs) {
        out += ",\"logprobs\":";
        append_logprobs(out, candidate);
      }
      out += "}]}\n\n";
    }
    const auto reason = string_or_empty(candidate.if_contains("finishReason"));
    if (reason.empty()) return;
    std::string_view finish = finish_reason_of(reason);
    if (state.called_tools && finish != "content_filter") finish = "tool_calls";
    chunks().begin(out);
    // A choice that ends without any delta still says who speaks.
    out += "{\"index\":" + index_text +
           (state.role_sent ? ",\"delta\":{}" : ",\"delta\":{\"role\":\"assistant\"}");
    state.role_sent = true;
    out += ",\"finish_reason\":";
    append_json_string(out, finish);
    out += "}]}\n\n";
    finished_ = true;
  }

  // The chunk writer, made at the first answer so that every chunk carries Gemini's responseId.
  const ChunkWriter& chunks(const json::object* answer = nullptr) {
    if (!chunks_)
      chunks_.emplace(answer ? chat_id(*answer) : make_object_id("chatcmpl-"), created_,
                      client_model_);
    return *chunks_;
  }

  static constexpr std::int64_t kMaxChoices = 128;  // candidateCount is at most 8 today

  std::string client_model_;
  std::int64_t created_;
  std::optional<ChunkWriter> chunks_;
  bool include_usage_;
  std::vector<ChoiceState> choices_;
  CandidateParts parts_;
  GeminiUsage usage_;
  int tool_calls_sent_ = 0;
  bool finished_ = false;
};

class AiStudioAddressing final : public GeminiAddressing {
 public:
  Result<std::string> url(const Target& target, std::string_view method) const override {
    std::string url = target.api_base + "/v1beta/models/" + target.upstream_model;
    url += ':';
    url += method;
    return url;
  }

  // The key goes in a header, never in the URL (where an access log could keep it).
  Result<void> add_credentials(const Target& target, Headers& headers) const override {
    if (!target.api_key.empty()) headers.emplace_back("x-goog-api-key", target.api_key);
    return {};
  }
};

const AiStudioAddressing kAiStudioAddressing;

}  // namespace

const GeminiAddressing& ai_studio_addressing() { return kAiStudioAddressing; }

Result<UpstreamRequest> GeminiProvider::encode(const api::Request& request,
                                               const Target& target) const {
  UpstreamRequest upstream;
  std::string_view method;
  switch (request.endpoint) {
    case api::Endpoint::chat_completions: {
      if (auto checked = check_supported_params(request, target, chat_params(target.upstream_model),
                                                kProviderName);
          !checked)
        return checked.error();
      auto body = chat_body(request, target);
      if (!body) return body.error();
      upstream.body = std::move(*body);
      method = request.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      break;
    }
    case api::Endpoint::embeddings: {
      if (auto checked = check_supported_params(request, target, kEmbeddingParams, kProviderName);
          !checked)
        return checked.error();
      const bool predict = addressing_.embeds_with_predict();
      auto body =
          predict ? predict_embeddings_body(request, target) : embeddings_body(request, target);
      if (!body) return body.error();
      upstream.body = std::move(*body);
      method = predict ? "predict" : "batchEmbedContents";
      break;
    }
    default: return bad_request("gemini serves /chat/completions and /embeddings only.");
  }
  auto url = addressing_.url(target, method);
  if (!url) return url.error();
  upstream.url = std::move(*url);
  upstream.headers.reserve(1 + target.extra_headers.size());
  if (auto added = addressing_.add_credentials(target, upstream.headers); !added)
    return added.error();
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

Result<Reply> GeminiProvider::decode(const api::Request& request, std::string_view body,
                                     std::string_view client_model) const {
  json::monotonic_resource resource;
  json::error_code ec;
  const json::value parsed = parse_answer(body, resource, ec);
  if (ec || !parsed.is_object())
    return upstream_failure("gemini answered with a body that is not a JSON object.");
  const auto& answer = parsed.get_object();
  if (const auto* error = object_or_null(answer.if_contains("error")))
    return error_from_status(0, *error);
  if (request.endpoint == api::Endpoint::embeddings) {
    return decode_embeddings(
        request, body, answer, client_model,
        addressing_.embeds_with_predict() ? kPredictLayout : kBatchEmbedLayout);
  }
  return decode_chat(answer, client_model);
}

Error GeminiProvider::decode_error(int status, std::string_view body) const {
  json::monotonic_resource resource;
  json::error_code ec;
  const json::value parsed = parse_answer(body, resource, ec);
  // Errors of the JSON-array stream mode come wrapped in an array.
  const json::value* root = &parsed;
  if (!ec && parsed.is_array() && parsed.get_array().size() == 1)
    root = &parsed.get_array().front();
  const auto* object = ec ? nullptr : root->if_object();
  const auto* rpc_status = object ? object_or_null(object->if_contains("error")) : nullptr;
  if (!rpc_status) return decode_openai_error(status, body);  // not Google's shape: quote what came
  return error_from_status(status, *rpc_status);
}

std::unique_ptr<StreamDecoder> GeminiProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  return std::make_unique<GeminiStreamDecoder>(client_model, request.include_usage,
                                               max_event_bytes);
}

}  // namespace llmux::providers
