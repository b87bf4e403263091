#include "providers/ollama.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/chunk_writer.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_compatible.hpp"
#include "providers/params.hpp"
#include "providers/wire/ndjson.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <span>

namespace llmux::providers {

namespace json = boost::json;

namespace {

// ---- request ----

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

// ---- response ----

api::Usage usage_of(const json::object& answer) {
  api::Usage usage;
  usage.reported = answer.contains("eval_count") || answer.contains("prompt_eval_count");
  usage.prompt_tokens = api::count_at(answer, "prompt_eval_count");
  usage.completion_tokens = api::count_at(answer, "eval_count");
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return usage;
}

// done_reason → finish_reason: tool calls win (Ollama still says "stop"), "length" stays, and
// everything else (stop, load, unload, …) is a stop.
std::string_view finish_reason(std::string_view done_reason, bool tool_calls) {
  if (tool_calls) return "tool_calls";
  if (done_reason == "length") return "length";
  return "stop";
}

// What one Ollama object (a whole answer or one stream line) says.
struct Piece {
  std::string_view content;
  std::string_view thinking;
  const json::array* tool_calls = nullptr;
};

Piece piece_of(const json::object& line, OllamaProvider::Api api) {
  Piece piece;
  if (api == OllamaProvider::Api::generate) {
    piece.content = string_at(line, "response");
    piece.thinking = string_at(line, "thinking");
    return piece;
  }
  const auto* message = line.if_contains("message");
  if (!message || !message->is_object()) return piece;
  piece.content = string_at(message->get_object(), "content");
  piece.thinking = string_at(message->get_object(), "thinking");
  if (const auto* calls = message->get_object().if_contains("tool_calls");
      calls && calls->is_array() && !calls->get_array().empty())
    piece.tool_calls = &calls->get_array();
  return piece;
}

// The text of each `message.tool_calls[i].function.arguments` as Ollama wrote it (empty where
// absent): copied into the OpenAI arguments string, numbers reach the client exactly (a Boost.JSON
// 1.81 parse and re-serialisation rounds some doubles).
std::vector<std::string_view> raw_tool_arguments(std::string_view text) {
  std::vector<std::string_view> arguments;
  const api::Span calls =
      member_span(text, member_span(text, api::Span{0, text.size()}, "message"), "tool_calls");
  if (calls.empty()) return arguments;
  api::for_each_element(text, calls, [&](api::Span call) {
    const api::Span function = member_span(text, call, "function");
    arguments.push_back(function.empty() ? std::string_view()
                                         : member_span(text, function, "arguments").in(text));
  });
  return arguments;
}

// Ollama tool calls → OpenAI ones, appended as a JSON array: ids generated where Ollama gave
// none, arguments as a JSON string (`raw_arguments`: their text in the upstream bytes). Stream
// deltas number them (`index`) from `first_index`, counting across lines; a whole message's
// calls have no index.
void append_openai_tool_calls(std::string& out, const json::array& calls,
                              std::string_view upstream_text,
                              std::optional<std::size_t> first_index) {
  const std::vector<std::string_view> raw_arguments = raw_tool_arguments(upstream_text);
  std::size_t position = 0;
  out += '[';
  std::size_t index = first_index.value_or(0);
  bool first = true;
  for (const auto& call : calls) {
    if (!first) out += ',';
    first = false;
    const json::object* function = nullptr;
    if (call.is_object()) {
      if (const auto* found = call.get_object().if_contains("function");
          found && found->is_object())
        function = &found->get_object();
    }
    std::string_view id =
        call.is_object() ? string_at(call.get_object(), "id") : std::string_view();
    const auto* arguments = function ? function->if_contains("arguments") : nullptr;
    const std::string_view raw =
        position < raw_arguments.size() ? raw_arguments[position] : std::string_view();
    ++position;
    std::string serialized;
    std::string_view text = "{}";
    if (arguments && arguments->is_string())
      text = arguments->get_string();
    else if (arguments && !arguments->is_null())
      text = !raw.empty() ? raw : std::string_view(serialized = json::serialize(*arguments));
    append_tool_call(out, first_index ? std::optional<std::int64_t>(index++) : std::nullopt,
                     id.empty() ? make_object_id("call_") : std::string(id),
                     function ? string_at(*function, "name") : "", text);
  }
  out += ']';
}

std::int64_t created_of(const json::object& line) {
  return unix_seconds_from_rfc3339(string_at(line, "created_at")).value_or(0);
}

Error not_an_object(std::string_view what) {
  return make_error(ErrorKind::upstream_failed,
                    "The upstream sent " + std::string(what) + " that is not a JSON object.");
}

// An Ollama error object ({"error":"…"}) → an Error the client sees, with Ollama's message.
Error error_of(const json::value& error, int status) {
  std::string message =
      error.is_string() ? std::string(error.get_string()) : json::serialize(error);
  Error out{.kind = status ? kind_from_status(status) : ErrorKind::upstream_failed,
            .status = status};
  out.message = "Ollama: " + message;
  return out;
}

// /api/embed's answer → OpenAI's list. Each vector's text is copied as Ollama wrote it, so the
// numbers reach the client exactly (a parse and re-serialisation would round some of them).
Result<Reply> embeddings_reply(const api::Request& request, std::string_view body,
                               const json::object& answer, std::string_view client_model) {
  api::Span vectors;
  api::for_each_member(body, api::Span{0, body.size()}, [&](std::string_view key, api::Span value) {
    if (key == "embeddings") vectors = value;
  });
  const api::Usage counted = usage_of(answer);
  const api::Usage usage{.prompt_tokens = counted.prompt_tokens,
                         .total_tokens = counted.prompt_tokens,
                         .reported = counted.reported};
  auto list = api::embeddings_list(request, body, vectors, client_model, usage);
  if (!list) return list.error();
  return Reply{.body = std::move(*list), .usage = usage};
}

// ---- stream ----

class OllamaStreamDecoder final : public StreamDecoder {
 public:
  OllamaStreamDecoder(OllamaProvider::Api api, bool text_completion, bool include_usage,
                      std::string_view client_model, std::size_t max_line_bytes)
      : api_(api),
        text_completion_(text_completion),
        include_usage_(include_usage),
        id_(make_object_id(text_completion ? "cmpl-" : "chatcmpl-")),
        client_model_(client_model),
        splitter_(max_line_bytes) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    if (failure_) return *failure_;
    const bool fed =
        splitter_.feed(bytes, [&](std::string_view line) { return on_line(line, out); });
    if (failure_) return *failure_;
    if (!fed && splitter_.failed()) {
      failure_ = make_error(ErrorKind::upstream_failed,
                            "The upstream stream sent a line larger than the limit.");
      return *failure_;
    }
    return {};
  }

  Result<void> finish(std::string& out) override {
    if (failure_) return *failure_;
    if (const std::string last = splitter_.finish(); !last.empty() && !done_) {
      on_line(last, out);
      if (failure_) return *failure_;
    }
    if (done_) return {};
    return make_error(ErrorKind::upstream_failed,
                      "The upstream closed the stream before it was complete.");
  }

  bool done() const override { return done_; }
  const api::Usage& usage() const override { return usage_; }

 private:
  // One NDJSON line; false stops the splitter (the stream ended or failed).
  bool on_line(std::string_view line, std::string& out) {
    if (done_) return false;  // anything after the final line is not the answer's
    const ParsedJson parsed(line);
    if (!parsed.object()) {
      failure_ = not_an_object("a stream line");
      return false;
    }
    const auto& object = *parsed.object();
    if (const auto* error = object.if_contains("error"); error && !error->is_null()) {
      failure_ = error_of(*error, 0);  // mid-stream: the HTTP status was already 200
      return false;
    }
    if (!created_) created_ = unix_seconds_from_rfc3339(string_at(object, "created_at"));
    const Piece piece = piece_of(object, api_);
    if (!started_ || !piece.content.empty() || !piece.thinking.empty() || piece.tool_calls)
      append_delta(out, piece, line);
    const auto* done = object.if_contains("done");
    if (done && done->is_bool() && done->get_bool()) {
      usage_ = usage_of(object);
      append_finish(out, finish_reason(string_at(object, "done_reason"), tool_calls_ > 0));
      done_ = true;
      return false;
    }
    return true;
  }

  // The chunk writer, made at the first chunk: the upstream's first line gave the time.
  const ChunkWriter& chunks() {
    if (!chunks_) {
      chunks_.emplace(id_, created_.value_or(0), client_model_,
                      text_completion_ ? "text_completion" : "chat.completion.chunk");
    }
    return *chunks_;
  }

  void append_delta(std::string& out, const Piece& piece, std::string_view line) {
    if (text_completion_) {
      if (piece.content.empty()) return;
      chunks().begin(out);
      out += R"({"index":0,"text":)";
      append_json_string(out, piece.content);
      out += R"(,"logprobs":null,"finish_reason":null}]})"
             "\n\n";
      return;
    }
    chunks().begin(out);
    out += R"({"index":0,"delta":{)";
    bool first = true;
    auto member = [&](std::string_view key) {
      if (!first) out += ',';
      first = false;
      out += key;
    };
    if (!started_) member(R"("role":"assistant")");
    if (!piece.content.empty() || !started_) {
      member(R"("content":)");
      append_json_string(out, piece.content);
    }
    if (!piece.thinking.empty()) {
      member(R"("reasoning_content":)");
      append_json_string(out, piece.thinking);
    }
    if (piece.tool_calls) {
      member(R"("tool_calls":)");
      append_openai_tool_calls(out, *piece.tool_calls, line, tool_calls_);
      tool_calls_ += piece.tool_calls->size();
    }
    out += R"(},"finish_reason":null}]})"
           "\n\n";
    started_ = true;
  }

  void append_finish(std::string& out, std::string_view reason) {
    chunks().begin(out);
    out += text_completion_ ? R"({"index":0,"text":"","logprobs":null,"finish_reason":")"
                            : R"({"index":0,"delta":{},"finish_reason":")";
    out += reason;
    out += R"("}]})"
           "\n\n";
    if (include_usage_) {
      std::string usage;
      append_token_counts(usage, usage_);
      chunks().write_usage(out, usage);
    }
    out += "data: [DONE]\n\n";
  }

  OllamaProvider::Api api_;
  bool text_completion_;
  bool include_usage_;
  std::string id_;
  std::string client_model_;
  std::optional<ChunkWriter> chunks_;
  wire::NdjsonSplitter splitter_;
  std::optional<std::int64_t> created_;
  std::optional<Error> failure_;
  api::Usage usage_;
  std::size_t tool_calls_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace

Result<UpstreamRequest> OllamaProvider::encode(const api::Request& request,
                                               const Target& target) const {
  if (request.endpoint == api::Endpoint::moderations)
    return bad_request("Ollama has no moderations endpoint.");
  const Api api = request.endpoint == api::Endpoint::completions ? Api::generate : api_;
  const auto supported = supported_fields(request.endpoint, api_);
  if (auto checked = check_supported_params(request, target, supported,
                                            api_ == Api::chat ? "ollama_chat" : "ollama");
      !checked)
    return checked.error();

  json::object body{{"model", target.upstream_model}};
  std::string_view path = api == Api::chat ? "/api/chat" : "/api/generate";
  if (request.endpoint == api::Endpoint::embeddings) {
    path = "/api/embed";
    auto input = embedding_input(request.body.if_contains("input"));
    if (!input) return input.error();
    body["input"] = std::move(*input);
    if (const auto* dimensions = request.body.if_contains("dimensions"))
      body["dimensions"] = *dimensions;
    if (const auto* truncate = request.body.if_contains("truncate")) body["truncate"] = *truncate;
  } else {
    json::array images;
    if (request.endpoint == api::Endpoint::completions) {
      auto prompt = legacy_prompt(request.body.if_contains("prompt"));
      if (!prompt) return prompt.error();
      body["prompt"] = *prompt;
      if (const auto* suffix = request.body.if_contains("suffix"); suffix && suffix->is_string())
        body["suffix"] = *suffix;
    } else if (api == Api::chat) {
      auto messages = chat_messages(request.body.if_contains("messages"));
      if (!messages) return messages.error();
      body["messages"] = std::move(*messages);
    } else {
      auto prompt = flattened_prompt(request.body.if_contains("messages"), images);
      if (!prompt) return prompt.error();
      body["prompt"] = *prompt;
    }
    if (!images.empty()) body["images"] = std::move(images);
    body["stream"] = request.stream;  // Ollama streams unless told not to
  }
  json::object options;
  if (auto applied = apply_fields(request, target, supported, body, options); !applied)
    return applied.error();
  if (!options.empty()) body["options"] = std::move(options);

  UpstreamRequest upstream{.url = target.api_base + std::string(path),
                           .body = json::serialize(body)};
  if (!target.api_key.empty())
    upstream.headers.emplace_back("Authorization", "Bearer " + target.api_key);
  for (const auto& header : target.extra_headers) upstream.headers.push_back(header);
  return upstream;
}

Result<Reply> OllamaProvider::decode(const api::Request& request, std::string_view body,
                                     std::string_view client_model) const {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return not_an_object("a body");
  const auto& answer = parsed.get_object();
  if (const auto* error = answer.if_contains("error"); error && !error->is_null())
    return error_of(*error, 500);
  if (request.endpoint == api::Endpoint::embeddings)
    return embeddings_reply(request, body, answer, client_model);

  const bool text_completion = request.endpoint == api::Endpoint::completions;
  const Api api = text_completion ? Api::generate : api_;
  const Piece piece = piece_of(answer, api);
  Reply reply{.usage = usage_of(answer)};
  std::string& out = reply.body;
  out.reserve(body.size() + 256);
  append_answer_head(out, make_object_id(text_completion ? "cmpl-" : "chatcmpl-"),
                     text_completion ? "text_completion" : "chat.completion", created_of(answer),
                     client_model);
  const std::string_view reason =
      finish_reason(string_at(answer, "done_reason"), piece.tool_calls != nullptr);
  if (text_completion) {
    out += R"(,"choices":[{"index":0,"text":)";
    append_json_string(out, piece.content);
    out += R"(,"logprobs":null,"finish_reason":")";
  } else {
    out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
    if (piece.content.empty() && piece.tool_calls)
      out += "null";
    else
      append_json_string(out, piece.content);
    if (!piece.thinking.empty()) {
      out += R"(,"reasoning_content":)";
      append_json_string(out, piece.thinking);
    }
    if (piece.tool_calls) {
      out += R"(,"tool_calls":)";
      append_openai_tool_calls(out, *piece.tool_calls, body, std::nullopt);
    }
    out += R"(},"finish_reason":")";
  }
  out += reason;
  out += R"("}],"usage":)";
  append_token_counts(out, reply.usage);
  out += '}';
  return reply;
}

Error OllamaProvider::decode_error(int status, std::string_view body) const {
  // {"error":"model \"x\" not found, try pulling it first"}: decode_openai_error reads a bare
  // error string too, and keeps Ollama's status (404 stays a NotFoundError, as in LiteLLM).
  return decode_openai_error(status, body);
}

std::unique_ptr<StreamDecoder> OllamaProvider::make_stream_decoder(
    const api::Request& request, std::string_view client_model, std::size_t max_event_bytes) const {
  const bool text_completion = request.endpoint == api::Endpoint::completions;
  return std::make_unique<OllamaStreamDecoder>(text_completion ? Api::generate : api_,
                                               text_completion, request.include_usage, client_model,
                                               max_event_bytes);
}

std::optional<std::int64_t> unix_seconds_from_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  auto digits = [&](std::size_t at, std::size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 ||
      text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':' || *month < 1 || *month > 12 || *day < 1 || *day > 31)
    return std::nullopt;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const auto offset_hours = digits(pos + 1, 2), offset_minutes = digits(pos + 4, 2);
    if (!offset_hours || !offset_minutes || text[pos + 3] != ':') return std::nullopt;
    offset = (*offset_hours * 60 + *offset_minutes) * 60 * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
  const std::int64_t y = *year - (*month <= 2 ? 1 : 0);
  const std::int64_t era = y / 400;
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (*month + (*month > 2 ? -3 : 9)) + 2) / 5 + *day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  const std::int64_t days = era * 146097 + day_of_era - 719468;
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset;
}

}  // namespace llmux::providers
