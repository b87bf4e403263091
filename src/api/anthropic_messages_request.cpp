#include "api/anthropic_messages.hpp"

#include "api/chat_reading.hpp"
#include "api/request.hpp"
#include "api/token_estimate.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <optional>

namespace llmux::api {

namespace json = boost::json;

namespace {

// OpenAI's limit on function names.
constexpr std::size_t kMaxChatToolName = 64;

Error invalid(std::string message, std::string param) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param));
}

// ---- validation ---------------------------------------------------------------------------------

Result<void> validate_content(const json::value& content, std::string_view where) {
  if (content.is_string()) return {};
  if (!content.is_array())
    return invalid(std::string(where) + ".content: Input should be a string or a list of blocks",
                   "messages");
  for (const auto& block : content.get_array()) {
    const auto* object = block.if_object();
    if (!object || string_of(*object, "type").empty())
      return invalid(std::string(where) + ".content: each block must be an object with a type",
                     "messages");
  }
  return {};
}

Result<void> validate_messages(const json::value* messages) {
  if (!messages) return invalid("messages: Field required", "messages");
  if (!messages->is_array() || messages->get_array().empty())
    return invalid("messages: Input should be a non-empty list", "messages");
  std::size_t index = 0;
  for (const auto& message : messages->get_array()) {
    const std::string where = "messages." + std::to_string(index++);
    const auto* object = message.if_object();
    if (!object) return invalid(where + ": Input should be an object", "messages");
    const auto role = string_of(*object, "role");
    if (role != "user" && role != "assistant")
      return invalid(where + ".role: Input should be 'user' or 'assistant'", "messages");
    const auto* content = object->if_contains("content");
    if (!content) return invalid(where + ".content: Field required", "messages");
    if (auto valid = validate_content(*content, where); !valid) return valid;
  }
  return {};
}

Result<void> validate_system(const json::value* system) {
  if (!system || system->is_string()) return {};
  if (!system->is_array()) return invalid("system: Input should be a string or a list", "system");
  for (const auto& block : system->get_array()) {
    const auto* object = block.if_object();
    if (!object || string_of(*object, "type") != "text" || !object->contains("text"))
      return invalid("system: each block must be a text block", "system");
  }
  return {};
}

Result<void> validate_tools(const json::value* tools) {
  if (!tools) return {};
  if (!tools->is_array()) return invalid("tools: Input should be a list", "tools");
  for (const auto& tool : tools->get_array()) {
    const auto* object = tool.if_object();
    if (!object || string_of(*object, "name").empty())
      return invalid("tools: each tool must be an object with a name", "tools");
    const auto type = string_of(*object, "type");
    const auto* schema = object->if_contains("input_schema");
    if ((type.empty() || type == "custom") && (!schema || !schema->is_object()))
      return invalid(
          "tools." + std::string(string_of(*object, "name")) + ".input_schema: Field required",
          "tools");
  }
  return {};
}

Result<void> validate_tool_choice(const json::value* choice) {
  if (!choice) return {};
  const auto* object = choice->if_object();
  const auto type = object ? string_of(*object, "type") : std::string_view();
  if (type != "auto" && type != "any" && type != "none" && type != "tool")
    return invalid("tool_choice: type must be one of auto, any, tool, none", "tool_choice");
  if (type == "tool" && string_of(*object, "name").empty())
    return invalid("tool_choice.name: Field required", "tool_choice");
  return {};
}

bool is_number_or_absent(const json::object& body, std::string_view key) {
  const auto* value = body.if_contains(key);
  return !value || value->is_null() || value->is_number();
}

// ---- the chat form ------------------------------------------------------------------------------

// FNV-1a, 64 bits: a short, stable name for a long one (not a security property).
std::uint64_t name_hash(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

json::object text_part(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

json::object image_part(std::string_view url) {
  return {{"type", "image_url"}, {"image_url", json::object{{"url", url}}}};
}

std::string data_url(const json::object& source) {
  return "data:" + std::string(string_of(source, "media_type")) + ";base64," +
         std::string(string_of(source, "data"));
}

Error not_translatable(std::string_view what, std::string param = "messages") {
  return invalid(std::string(what) +
                     " cannot be sent to a deployment that does not speak "
                     "Anthropic's Messages API; use a Claude deployment.",
                 std::move(param));
}

Result<std::optional<json::object>> left_out_part(Error refusal, std::optional<Error>* left_out) {
  if (auto skipped = leave_out(std::move(refusal), left_out); !skipped) return skipped.error();
  return std::nullopt;
}

// An image or document block → the OpenAI part that carries it (nullopt: left out).
Result<std::optional<json::object>> media_part(const json::object& block,
                                               std::optional<Error>* left_out) {
  const auto type = string_of(block, "type");
  const auto* source_value = block.if_contains("source");
  const auto* source = source_value ? source_value->if_object() : nullptr;
  const auto kind = source ? string_of(*source, "type") : std::string_view();
  if (type == "image") {
    if (kind == "base64") return image_part(data_url(*source));
    if (kind == "url") return image_part(string_of(*source, "url"));
    return left_out_part(not_translatable("An image given by file id"), left_out);
  }
  // A document: a PDF as OpenAI's file part, plain text as text.
  if (kind == "base64") {
    json::object file{{"file_data", data_url(*source)}};
    if (const auto title = string_of(block, "title"); !title.empty()) file["filename"] = title;
    return json::object{{"type", "file"}, {"file", std::move(file)}};
  }
  if (kind == "text") return text_part(string_of(*source, "data"));
  return left_out_part(
      not_translatable("A document given by " + std::string(kind.empty() ? "file id" : kind)),
      left_out);
}

// What one Anthropic turn becomes: tool results first (OpenAI wants them right after the
// assistant's calls), then the turn's own content.
class TurnTranslator {
 public:
  TurnTranslator(json::array& messages, std::optional<Error>* left_out)
      : messages_(messages), left_out_(left_out) {}

  Result<void> user(const json::value& content) {
    if (content.is_string()) {
      messages_.push_back(json::object{{"role", "user"}, {"content", content}});
      return {};
    }
    json::array parts;
    for (const auto& block_value : content.get_array()) {
      const auto& block = block_value.get_object();
      const auto type = string_of(block, "type");
      if (type == "text") {
        parts.push_back(text_part(string_of(block, "text")));
      } else if (type == "image" || type == "document") {
        if (auto added = add_media(block, parts); !added) return added;
      } else if (type == "tool_result") {
        if (auto added = tool_result(block, parts); !added) return added;
      } else if (type != "thinking" && type != "redacted_thinking") {
        if (auto skipped = leave_out(
                not_translatable("A '" + std::string(type) + "' content block"), left_out_);
            !skipped)
          return skipped;
      }
    }
    if (!parts.empty())
      messages_.push_back(json::object{{"role", "user"}, {"content", std::move(parts)}});
    return {};
  }

  Result<void> assistant(const json::value& content) {
    if (content.is_string()) {
      messages_.push_back(json::object{{"role", "assistant"}, {"content", content}});
      return {};
    }
    std::string text;
    json::array calls;
    for (const auto& block_value : content.get_array()) {
      const auto& block = block_value.get_object();
      const auto type = string_of(block, "type");
      if (type == "text") {
        text += string_of(block, "text");
      } else if (type == "tool_use") {
        const auto* input = block.if_contains("input");
        calls.push_back(json::object{
            {"id", string_of(block, "id")},
            {"type", "function"},
            {"function",
             json::object{{"name", chat_tool_name(string_of(block, "name"))},
                          {"arguments", input ? json::serialize(*input) : std::string("{}")}}}});
      }
      // Thinking blocks are the Claude model's own; another model cannot use their signatures.
    }
    json::object message{{"role", "assistant"}};
    message["content"] = text.empty() && !calls.empty() ? json::value(nullptr) : json::value(text);
    if (!calls.empty()) message["tool_calls"] = std::move(calls);
    messages_.push_back(std::move(message));
    return {};
  }

 private:
  // A tool_result → a tool message with its text; its images go with the turn's other parts.
  Result<void> tool_result(const json::object& block, json::array& parts) {
    std::string text;
    if (const auto* content = block.if_contains("content"); content && content->is_string()) {
      text = content->get_string();
    } else if (content && content->is_array()) {
      for (const auto& item_value : content->get_array()) {
        const auto* item = item_value.if_object();
        if (!item) continue;
        const auto type = string_of(*item, "type");
        if (type == "text") {
          if (!text.empty()) text += '\n';
          text += string_of(*item, "text");
        } else if (type == "image" || type == "document") {
          if (auto added = add_media(*item, parts); !added) return added;
        }
      }
    }
    messages_.push_back(json::object{{"role", "tool"},
                                     {"tool_call_id", string_of(block, "tool_use_id")},
                                     {"content", std::move(text)}});
    return {};
  }

  Result<void> add_media(const json::object& block, json::array& parts) {
    auto part = media_part(block, left_out_);
    if (!part) return part.error();
    if (*part) parts.push_back(std::move(**part));
    return {};
  }

  json::array& messages_;
  std::optional<Error>* left_out_;
};

json::value system_message(const json::value& system) {
  if (system.is_string()) return json::object{{"role", "system"}, {"content", system}};
  std::string text;
  for (const auto& block : system.get_array()) {
    if (!text.empty()) text += '\n';
    text += string_of(block.get_object(), "text");
  }
  return json::object{{"role", "system"}, {"content", std::move(text)}};
}

Result<json::array> chat_tools(const json::array& tools, std::optional<Error>* left_out) {
  json::array translated;
  for (const auto& tool_value : tools) {
    const auto& tool = tool_value.get_object();
    const auto type = string_of(tool, "type");
    if (!type.empty() && type != "custom") {
      if (auto skipped = leave_out(
              not_translatable("The server tool '" + std::string(type) + "'", "tools"), left_out);
          !skipped)
        return skipped.error();
      continue;
    }
    json::object function{{"name", chat_tool_name(string_of(tool, "name"))},
                          {"parameters", tool.at("input_schema")}};
    if (const auto description = string_of(tool, "description"); !description.empty())
      function["description"] = description;
    translated.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return translated;
}

json::value chat_tool_choice(const json::object& choice) {
  const auto type = string_of(choice, "type");
  if (type == "any") return "required";
  if (type == "none") return "none";
  if (type == "tool") {
    return json::object{
        {"type", "function"},
        {"function", json::object{{"name", chat_tool_name(string_of(choice, "name"))}}}};
  }
  return "auto";
}

// Anthropic's thinking setting as OpenAI's reasoning_effort, which every chat provider reads (an
// Anthropic deployment turns it back into a budget: 1024, 2048 or 4096 tokens).
std::string_view reasoning_effort_of(const json::object& thinking) {
  const auto type = string_of(thinking, "type");
  if (type == "adaptive") return "medium";
  if (type != "enabled") return {};
  const auto* budget = thinking.if_contains("budget_tokens");
  const std::int64_t tokens = budget && budget->is_int64() ? budget->get_int64() : 0;
  if (tokens <= 1024) return "low";
  return tokens <= 2048 ? "medium" : "high";
}

}  // namespace

Result<void> validate_messages_body(const json::object& body, bool counting) {
  if (auto valid = validate_messages(body.if_contains("messages")); !valid) return valid;
  if (!counting) {
    const auto* max_tokens = body.if_contains("max_tokens");
    if (!max_tokens) return invalid("max_tokens: Field required", "max_tokens");
    const auto* count = max_tokens->if_int64();
    if (!count || *count < 1)
      return invalid("max_tokens: Input should be a positive integer", "max_tokens");
  }
  if (auto valid = validate_system(body.if_contains("system")); !valid) return valid;
  if (auto valid = validate_tools(body.if_contains("tools")); !valid) return valid;
  if (auto valid = validate_tool_choice(body.if_contains("tool_choice")); !valid) return valid;
  for (const std::string_view key : {"temperature", "top_p", "top_k"}) {
    if (!is_number_or_absent(body, key))
      return invalid(std::string(key) + ": Input should be a number", std::string(key));
  }
  if (const auto* stops = body.if_contains("stop_sequences"); stops && !stops->is_null()) {
    bool valid = stops->is_array();
    for (const auto& stop : valid ? stops->get_array() : json::array()) valid &= stop.is_string();
    if (!valid)
      return invalid("stop_sequences: Input should be a list of strings", "stop_sequences");
  }
  if (const auto* metadata = body.if_contains("metadata"); metadata && !metadata->is_object())
    return invalid("metadata: Input should be an object", "metadata");
  if (const auto* thinking = body.if_contains("thinking"); thinking && !thinking->is_object())
    return invalid("thinking: Input should be an object", "thinking");
  return {};
}

std::string chat_tool_name(std::string_view name) {
  if (name.size() <= kMaxChatToolName) return std::string(name);
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(name_hash(name)));
  std::string shortened(name.substr(0, kMaxChatToolName - 17));
  shortened += '_';
  shortened += hash;
  return shortened;
}

std::string_view client_tool_name(const json::object& body, std::string_view chat_name) {
  if (chat_name.size() < kMaxChatToolName) return chat_name;
  if (const auto* tools = body.if_contains("tools"); tools && tools->is_array()) {
    for (const auto& tool : tools->get_array()) {
      const auto* object = tool.if_object();
      const auto name = object ? string_of(*object, "name") : std::string_view();
      if (name.size() > kMaxChatToolName && chat_tool_name(name) == chat_name) return name;
    }
  }
  return chat_name;
}

Result<json::object> messages_to_chat(const json::object& body, std::optional<Error>* left_out) {
  json::array messages;
  if (const auto* system = body.if_contains("system"); system && !system->is_null())
    messages.push_back(system_message(*system));
  TurnTranslator turns(messages, left_out);
  for (const auto& message_value : body.at("messages").get_array()) {
    const auto& message = message_value.get_object();
    const auto& content = message.at("content");
    auto added =
        string_of(message, "role") == "user" ? turns.user(content) : turns.assistant(content);
    if (!added) return added.error();
  }
  json::object chat{{"model", body.at("model")}, {"messages", std::move(messages)}};
  for (const std::string_view key : {"max_tokens", "temperature", "top_p"}) {
    if (const auto* value = body.if_contains(key); value && !value->is_null()) chat[key] = *value;
  }
  if (const auto* stops = body.if_contains("stop_sequences");
      stops && stops->is_array() && !stops->get_array().empty())
    chat["stop"] = *stops;
  if (const auto* metadata = body.if_contains("metadata"); metadata && metadata->is_object()) {
    if (const auto user = string_of(metadata->get_object(), "user_id"); !user.empty())
      chat["user"] = user;
  }
  const auto* tools = body.if_contains("tools");
  if (tools && tools->is_array() && !tools->get_array().empty()) {
    auto translated = chat_tools(tools->get_array(), left_out);
    if (!translated) return translated.error();
    chat["tools"] = std::move(*translated);
    if (const auto* choice = body.if_contains("tool_choice"); choice && choice->is_object()) {
      chat["tool_choice"] = chat_tool_choice(choice->get_object());
      const auto* parallel = choice->get_object().if_contains("disable_parallel_tool_use");
      if (parallel && parallel->is_bool() && parallel->get_bool())
        chat["parallel_tool_calls"] = false;
    }
  }
  if (const auto* thinking = body.if_contains("thinking"); thinking && thinking->is_object()) {
    if (const auto effort = reasoning_effort_of(thinking->get_object()); !effort.empty())
      chat["reasoning_effort"] = effort;
  }
  if (const auto* stream = body.if_contains("stream");
      stream && stream->is_bool() && stream->get_bool()) {
    chat["stream"] = true;
    chat["stream_options"] = json::object{{"include_usage", true}};
  }
  return chat;
}

Result<std::string> estimated_token_count(const json::object& body) {
  // What the chat form leaves out (server tools, files by id) is not counted: an estimate.
  std::optional<Error> left_out;
  auto chat = messages_to_chat(body, &left_out);
  if (!chat) return chat.error();
  const Request request = request_from_body(Endpoint::chat_completions, std::move(*chat));
  return "{\"input_tokens\":" + std::to_string(estimate_prompt_tokens(request)) + "}";
}

}  // namespace llmux::api
