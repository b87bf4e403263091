#include "providers/gemini.hpp"

#include "api/usage.hpp"
#include "providers/gemini_internal.hpp"
#include "providers/json_fields.hpp"
#include "providers/params.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <span>
#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace gemini {
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
      if (auto text = content_text(content); !text.empty())
        converted.system_parts.push_back(json::object{{"text", std::move(text)}});
    } else if (role == "user") {
      if (auto added = append_user_parts(content, builder.parts_of(Turn::user)); !added)
        return added.error();
      builder.drop_empty_last();
    } else if (role == "assistant") {
      auto& parts = builder.parts_of(Turn::model);
      if (auto text = content_text(content); !text.empty())
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
                            {"response", json::object{{"content", content_text(content)}}}}}});
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
}  // namespace gemini

const GeminiAddressing& ai_studio_addressing() { return gemini::kAiStudioAddressing; }

Result<UpstreamRequest> GeminiProvider::encode(const api::Request& request,
                                               const Target& target) const {
  UpstreamRequest upstream;
  std::string_view method;
  switch (request.endpoint) {
    case api::Endpoint::chat_completions: {
      if (auto checked = check_supported_params(
              request, target, gemini::chat_params(target.upstream_model), gemini::kProviderName);
          !checked)
        return checked.error();
      auto body = gemini::chat_body(request, target);
      if (!body) return body.error();
      upstream.body = std::move(*body);
      method = request.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      break;
    }
    case api::Endpoint::embeddings: {
      if (auto checked = check_supported_params(request, target, gemini::kEmbeddingParams,
                                                gemini::kProviderName);
          !checked)
        return checked.error();
      const bool predict = addressing_.embeds_with_predict();
      auto body = predict ? gemini::predict_embeddings_body(request, target)
                          : gemini::embeddings_body(request, target);
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

}  // namespace llmux::providers
