#include "providers/ollama.hpp"

#include "providers/json_fields.hpp"
#include "providers/params.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iterator>
#include <span>
#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace ollama {
namespace {

// Ollama's own Modelfile options (api/types.go Options): accepted as request fields or
// litellm_params and sent inside `options`, as LiteLLM does.
constexpr std::string_view kNativeOptions[] = {
    "top_k",      "num_ctx",      "num_keep",      "num_batch",      "num_gpu",  "main_gpu",
    "num_thread", "num_predict",  "repeat_last_n", "repeat_penalty", "min_p",    "typical_p",
    "mirostat",   "mirostat_tau", "mirostat_eta",  "tfs_z",          "use_mmap",
};

// OpenAI fields that map onto options of the same name.
constexpr std::string_view kSameNameOptions[] = {"temperature", "top_p", "seed",
                                                 "frequency_penalty", "presence_penalty"};

// Top-level fields of Ollama's API a client or the config may set directly.
constexpr std::string_view kNativeFields[] = {"keep_alive", "think", "format", "options"};

// Fields every endpoint accepts (besides the native ones above): the stream flags are the
// gateway's to handle, `user` has no Ollama counterpart and is dropped, as LiteLLM does.
constexpr std::string_view kGenerationFields[] = {
    "stream",
    "stream_options",
    "user",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "seed",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
    "reasoning_effort",
};

template <std::size_t N>
bool listed(const std::string_view (&names)[N], std::string_view key) {
  return std::ranges::find(names, key) != std::end(names);
}

// The OpenAI fields a request shape translates (check_supported_params refuses the rest).
std::vector<std::string_view> fields_for(api::Endpoint endpoint, OllamaProvider::Api api) {
  std::vector<std::string_view> fields(std::begin(kNativeOptions), std::end(kNativeOptions));
  fields.insert(fields.end(), std::begin(kNativeFields), std::end(kNativeFields));
  switch (endpoint) {
    case api::Endpoint::embeddings:
      fields.insert(fields.end(), {"input", "encoding_format", "dimensions", "user", "truncate"});
      return fields;
    case api::Endpoint::completions:
      fields.insert(fields.end(), std::begin(kGenerationFields), std::end(kGenerationFields));
      fields.insert(fields.end(), {"prompt", "suffix"});
      return fields;
    default:
      fields.insert(fields.end(), std::begin(kGenerationFields), std::end(kGenerationFields));
      fields.push_back("messages");
      // Ollama has no tool_choice: accepted and dropped, as LiteLLM does for ollama_chat.
      if (api == OllamaProvider::Api::chat) fields.insert(fields.end(), {"tools", "tool_choice"});
      return fields;
  }
}

// The same, built once per shape.
std::span<const std::string_view> supported_fields(api::Endpoint endpoint,
                                                   OllamaProvider::Api api) {
  static const std::vector<std::string_view> kChat =
      fields_for(api::Endpoint::chat_completions, OllamaProvider::Api::chat);
  static const std::vector<std::string_view> kGenerate =
      fields_for(api::Endpoint::chat_completions, OllamaProvider::Api::generate);
  static const std::vector<std::string_view> kCompletions =
      fields_for(api::Endpoint::completions, OllamaProvider::Api::generate);
  static const std::vector<std::string_view> kEmbeddings =
      fields_for(api::Endpoint::embeddings, OllamaProvider::Api::generate);
  switch (endpoint) {
    case api::Endpoint::embeddings: return kEmbeddings;
    case api::Endpoint::completions: return kCompletions;
    default: return api == OllamaProvider::Api::chat ? kChat : kGenerate;
  }
}

// `reasoning_effort` → `think`: gpt-oss models take the level, others only on/off (LiteLLM).
json::value think_from_effort(std::string_view model, const json::value& effort) {
  if (!effort.is_string()) return effort;
  const std::string_view level = effort.get_string();
  if (level == "none") return false;
  if (model.starts_with("gpt-oss")) return json::string(level);
  return true;
}

// Applies one OpenAI or Ollama field to the upstream body (fields it does not know are left out).
Result<void> apply_field(std::string_view key, const json::value& value, const Target& target,
                         json::object& body, json::object& options) {
  if (key == "max_tokens" || key == "max_completion_tokens") {
    options["num_predict"] = value;
  } else if (listed(kSameNameOptions, key) || listed(kNativeOptions, key)) {
    options[key] = value;
  } else if (key == "stop") {
    if (value.is_string())
      options["stop"] = json::array{value};
    else if (!value.is_null())
      options["stop"] = value;
  } else if (key == "response_format") {
    const auto* type = value.is_object() ? value.get_object().if_contains("type") : nullptr;
    if (!type || !type->is_string())
      return bad_request("response_format must have a type.", "response_format");
    if (type->get_string() == "json_object") {
      body["format"] = "json";
    } else if (type->get_string() == "json_schema") {
      const auto* spec = value.get_object().if_contains("json_schema");
      const auto* schema =
          spec && spec->is_object() ? spec->get_object().if_contains("schema") : nullptr;
      if (!schema)
        return bad_request("response_format.json_schema.schema is required.", "response_format");
      body["format"] = *schema;
    }
  } else if (key == "reasoning_effort") {
    body["think"] = think_from_effort(target.upstream_model, value);
  } else if (key == "options") {
    if (!value.is_object()) return bad_request("options must be an object.", "options");
    for (const auto& [name, option] : value.get_object()) options[name] = option;
  } else if (listed(kNativeFields, key) || key == "tools") {
    body[key] = value;
  }
  return {};
}

// The request's fields, then the deployment's default params the request did not set; only
// those of `supported` (the rest were refused or are to be dropped).
Result<void> apply_fields(const api::Request& request, const Target& target,
                          std::span<const std::string_view> supported, json::object& body,
                          json::object& options) {
  auto is_supported = [&](std::string_view key) {
    return std::ranges::find(supported, key) != supported.end();
  };
  for (const auto& [key, value] : request.body) {
    if (!is_supported(key)) continue;
    if (auto applied = apply_field(key, value, target, body, options); !applied) return applied;
  }
  for (const auto& [key, value] : target.default_params) {
    if (request.body.contains(key) || !is_supported(key)) continue;
    if (auto applied = apply_field(key, value, target, body, options); !applied) return applied;
  }
  return {};
}

// An OpenAI image_url → the bare base64 Ollama takes. Ollama cannot fetch URLs and llmux does
// not download them on its behalf.
Result<json::string> image_base64(const json::value& part) {
  const json::value* url = nullptr;
  if (const auto* image = part.get_object().if_contains("image_url")) {
    url = image->is_object() ? image->get_object().if_contains("url") : image;
  }
  if (!url || !url->is_string()) return bad_request("An image_url part has no url.", "messages");
  std::string_view text = url->get_string();
  if (text.starts_with("http://") || text.starts_with("https://")) {
    return bad_request(
        "Ollama takes images as base64 data URLs (data:image/png;base64,…); "
        "llmux does not download image URLs.",
        "messages");
  }
  if (text.starts_with("data:")) {
    const auto comma = text.find(',');
    if (comma == std::string_view::npos ||
        text.substr(0, comma).find(";base64") == std::string_view::npos)
      return bad_request("An image data URL must be base64-encoded.", "messages");
    text.remove_prefix(comma + 1);
  }
  return json::string(text);
}

// A message's content as Ollama's single string, its images appended to `images`.
Result<std::string> flatten_content(const json::value* content, json::array& images) {
  if (!content || content->is_null()) return std::string();
  if (content->is_string()) return std::string(content->get_string());
  if (!content->is_array())
    return bad_request("A message content must be a string or an array of parts.", "messages");
  std::string text;
  for (const auto& part : content->get_array()) {
    if (!part.is_object())
      return bad_request("A message content part must be an object.", "messages");
    const std::string_view kind = string_at(part.get_object(), "type");
    if (kind == "text") {
      if (const auto* piece = part.get_object().if_contains("text"); piece && piece->is_string())
        text += piece->get_string();
    } else if (kind == "image_url") {
      auto image = image_base64(part);
      if (!image) return image.error();
      images.push_back(std::move(*image));
    } else {
      return bad_request(
          "Ollama does not support content parts of type '" + std::string(kind) + "'.", "messages");
    }
  }
  return text;
}

// OpenAI tool calls (arguments as JSON text) → Ollama's (arguments as an object).
Result<json::array> ollama_tool_calls(const json::value& calls) {
  json::array out;
  if (!calls.is_array()) return bad_request("tool_calls must be an array.", "messages");
  for (const auto& call : calls.get_array()) {
    const auto* function = call.is_object() ? call.get_object().if_contains("function") : nullptr;
    if (!function || !function->is_object())
      return bad_request("A tool call has no function.", "messages");
    json::object translated{{"name", string_at(function->get_object(), "name")}};
    const auto* arguments = function->get_object().if_contains("arguments");
    if (arguments && arguments->is_string()) {
      json::error_code ec;
      json::value parsed = json::parse(arguments->get_string(), ec);
      if (ec || !parsed.is_object())
        return bad_request("Tool call arguments must be a JSON object for Ollama.", "messages");
      translated["arguments"] = std::move(parsed);
    } else {
      translated["arguments"] = arguments && arguments->is_object() ? *arguments : json::object();
    }
    json::object entry;
    if (const auto id = string_at(call.get_object(), "id"); !id.empty()) entry["id"] = id;
    entry["function"] = std::move(translated);
    out.push_back(std::move(entry));
  }
  return out;
}

// OpenAI messages → /api/chat messages: one string of content each, images apart, tool results
// named after the call they answer (Ollama identifies them by `tool_name`).
Result<json::array> chat_messages(const json::value* messages) {
  json::array out;
  std::vector<std::pair<std::string_view, std::string_view>> call_names;  // tool_call_id → name
  for (const auto& message : messages->get_array()) {
    const auto& in = message.get_object();
    std::string_view role = string_at(in, "role");
    if (role == "developer") role = "system";
    if (role == "function") role = "tool";
    json::object translated{{"role", role}};
    json::array images;
    auto content = flatten_content(in.if_contains("content"), images);
    if (!content) return content.error();
    translated["content"] = *content;
    if (!images.empty()) translated["images"] = std::move(images);
    if (const auto* calls = in.if_contains("tool_calls"); calls && !calls->is_null()) {
      auto translated_calls = ollama_tool_calls(*calls);
      if (!translated_calls) return translated_calls.error();
      for (const auto& call : calls->get_array()) {
        const auto& function = call.get_object().at("function").get_object();
        call_names.emplace_back(string_at(call.get_object(), "id"), string_at(function, "name"));
      }
      translated["tool_calls"] = std::move(*translated_calls);
    }
    if (role == "tool") {
      const std::string_view id = string_at(in, "tool_call_id");
      std::string_view name = string_at(in, "name");
      for (const auto& [call_id, call_name] : call_names) {
        if (!id.empty() && call_id == id) name = call_name;
      }
      if (!name.empty()) translated["tool_name"] = name;
      if (!id.empty()) translated["tool_call_id"] = id;
    }
    out.push_back(std::move(translated));
  }
  return out;
}

// LiteLLM's ollama_pt: runs of user/tool messages, system messages and assistant messages
// become "### User:", "### System:" and "### Assistant:" blocks; images are collected apart.
Result<std::string> flattened_prompt(const json::value* messages, json::array& images) {
  std::string prompt;
  std::string block;
  std::string_view block_heading;
  auto flush = [&] {
    if (!block.empty()) {
      prompt += block_heading;
      prompt += block;
      prompt += "\n\n";
    }
    block.clear();
  };
  for (const auto& message : messages->get_array()) {
    const auto& in = message.get_object();
    const std::string_view role = string_at(in, "role");
    std::string_view heading = "### User:\n";
    if (role == "system" || role == "developer")
      heading = "### System:\n";
    else if (role == "assistant")
      heading = "### Assistant:\n";
    if (heading != block_heading) {
      flush();
      block_heading = heading;
    }
    auto content = flatten_content(in.if_contains("content"), images);
    if (!content) return content.error();
    block += *content;
    if (const auto* calls = in.if_contains("tool_calls");
        role == "assistant" && calls && calls->is_array()) {
      auto translated = ollama_tool_calls(*calls);
      if (!translated) return translated.error();
      if (!translated->empty()) {
        block += "Tool Calls: ";
        block += json::serialize(*translated);
      }
    }
  }
  flush();
  return prompt;
}

Result<std::string> legacy_prompt(const json::value* prompt) {
  if (prompt && prompt->is_string()) return std::string(prompt->get_string());
  if (prompt && prompt->is_array() && prompt->get_array().size() == 1 &&
      prompt->get_array()[0].is_string())
    return std::string(prompt->get_array()[0].get_string());
  return bad_request("Ollama takes one text prompt per completion request.", "prompt");
}

Result<json::value> embedding_input(const json::value* input) {
  if (input && input->is_string()) return *input;
  if (input && input->is_array() &&
      std::ranges::all_of(input->get_array(),
                          [](const json::value& item) { return item.is_string(); }))
    return *input;
  return bad_request("Ollama embeds text only: input must be a string or an array of strings.",
                     "input");
}

}  // namespace
}  // namespace ollama

Result<UpstreamRequest> OllamaProvider::encode(const api::Request& request,
                                               const Target& target) const {
  if (request.endpoint == api::Endpoint::moderations)
    return bad_request("Ollama has no moderations endpoint.");
  const Api api = request.endpoint == api::Endpoint::completions ? Api::generate : api_;
  const auto supported = ollama::supported_fields(request.endpoint, api_);
  if (auto checked = check_supported_params(request, target, supported,
                                            api_ == Api::chat ? "ollama_chat" : "ollama");
      !checked)
    return checked.error();

  json::object body{{"model", target.upstream_model}};
  std::string_view path = api == Api::chat ? "/api/chat" : "/api/generate";
  if (request.endpoint == api::Endpoint::embeddings) {
    path = "/api/embed";
    auto input = ollama::embedding_input(request.body.if_contains("input"));
    if (!input) return input.error();
    body["input"] = std::move(*input);
    if (const auto* dimensions = request.body.if_contains("dimensions"))
      body["dimensions"] = *dimensions;
    if (const auto* truncate = request.body.if_contains("truncate")) body["truncate"] = *truncate;
  } else {
    json::array images;
    if (request.endpoint == api::Endpoint::completions) {
      auto prompt = ollama::legacy_prompt(request.body.if_contains("prompt"));
      if (!prompt) return prompt.error();
      body["prompt"] = *prompt;
      if (const auto* suffix = request.body.if_contains("suffix"); suffix && suffix->is_string())
        body["suffix"] = *suffix;
    } else if (api == Api::chat) {
      auto messages = ollama::chat_messages(request.body.if_contains("messages"));
      if (!messages) return messages.error();
      body["messages"] = std::move(*messages);
    } else {
      auto prompt = ollama::flattened_prompt(request.body.if_contains("messages"), images);
      if (!prompt) return prompt.error();
      body["prompt"] = *prompt;
    }
    if (!images.empty()) body["images"] = std::move(images);
    body["stream"] = request.stream;  // Ollama streams unless told not to
  }
  json::object options;
  if (auto applied = ollama::apply_fields(request, target, supported, body, options); !applied)
    return applied.error();
  if (!options.empty()) body["options"] = std::move(options);

  UpstreamRequest upstream{.url = target.api_base + std::string(path),
                           .body = json::serialize(body)};
  if (!target.api_key.empty())
    upstream.headers.emplace_back("Authorization", "Bearer " + target.api_key);
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

}  // namespace llmux::providers
