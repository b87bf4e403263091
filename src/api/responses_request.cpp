#include "api/responses.hpp"

#include "api/chat_reading.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::api {

namespace json = boost::json;

namespace {

Error invalid(std::string message, std::string param) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param));
}

bool is_null_or_absent(const json::value* value) { return !value || value->is_null(); }

// An item's type: message items may leave it out ({"role": "user", "content": "hi"}).
std::string_view item_type(const json::object& item) {
  const auto type = string_of(item, "type");
  return type.empty() && item.contains("role") ? std::string_view("message") : type;
}

// ---- validation ---------------------------------------------------------------------------------

Result<void> validate_item(const json::value& value, std::size_t index) {
  const std::string where = "input[" + std::to_string(index) + "]";
  const auto* item = value.if_object();
  if (!item) return invalid("Invalid '" + where + "': expected an object.", "input");
  const auto type = item_type(*item);
  if (type == "message") {
    const auto role = string_of(*item, "role");
    if (role != "user" && role != "assistant" && role != "system" && role != "developer")
      return invalid(
          "Invalid '" + where + ".role': expected one of user, assistant, system, developer.",
          "input");
    const auto* content = item->if_contains("content");
    if (!content || !(content->is_string() || content->is_array()))
      return invalid("Invalid '" + where + ".content': expected a string or a list of parts.",
                     "input");
    return {};
  }
  if (type == "function_call") {
    if (string_of(*item, "call_id").empty() || string_of(*item, "name").empty() ||
        !item->contains("arguments") || !item->at("arguments").is_string())
      return invalid(
          "Invalid '" + where + "': a function_call needs call_id, name and arguments (a string).",
          "input");
    return {};
  }
  if (type == "function_call_output") {
    if (string_of(*item, "call_id").empty() || !item->contains("output"))
      return invalid("Invalid '" + where + "': a function_call_output needs call_id and output.",
                     "input");
    return {};
  }
  if (type.empty()) return invalid("Invalid '" + where + "': an item needs a type.", "input");
  return {};  // reasoning, item_reference and built-in tools' items: checked where they are used
}

Result<void> validate_tools(const json::value* tools) {
  if (is_null_or_absent(tools)) return {};
  if (!tools->is_array()) return invalid("Invalid 'tools': expected a list.", "tools");
  for (const auto& tool : tools->get_array()) {
    const auto* object = tool.if_object();
    if (!object || string_of(*object, "type").empty())
      return invalid("Invalid 'tools': each tool must be an object with a type.", "tools");
    if (string_of(*object, "type") == "function" && string_of(*object, "name").empty())
      return invalid("Invalid 'tools': a function tool needs a name.", "tools");
  }
  return {};
}

// ---- the chat form ------------------------------------------------------------------------------

Error not_translatable(std::string what, std::string param = "input") {
  return invalid(std::move(what) +
                     " cannot be sent to a deployment that does not speak the Responses API; use "
                     "an OpenAI or Azure deployment.",
                 std::move(param));
}

// A message item's content → chat content: a string, or parts.
Result<json::value> chat_content(const json::value& content, bool assistant,
                                 std::optional<Error>* left_out) {
  if (content.is_string()) return json::value(content);
  json::array parts;
  std::string text;  // an assistant's text parts, joined
  for (const auto& part_value : content.get_array()) {
    const auto* part = part_value.if_object();
    if (!part) continue;
    const auto type = string_of(*part, "type");
    if (type == "input_text" || type == "output_text" || type == "text") {
      if (assistant)
        text += string_of(*part, "text");
      else
        parts.push_back(json::object{{"type", "text"}, {"text", string_of(*part, "text")}});
    } else if (type == "refusal") {
      text += string_of(*part, "refusal");
    } else if (type == "input_image") {
      const auto url = string_of(*part, "image_url");
      if (url.empty()) {
        if (auto skipped = leave_out(not_translatable("An input_image given by file id"), left_out);
            !skipped)
          return skipped.error();
        continue;
      }
      json::object image{{"url", url}};
      if (const auto detail = string_of(*part, "detail"); !detail.empty()) image["detail"] = detail;
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
    } else if (type == "input_file") {
      const auto data = string_of(*part, "file_data");
      if (data.empty()) {
        if (auto skipped =
                leave_out(not_translatable("An input_file given by file id or URL"), left_out);
            !skipped)
          return skipped.error();
        continue;
      }
      json::object file{{"file_data", data}};
      if (const auto name = string_of(*part, "filename"); !name.empty()) file["filename"] = name;
      parts.push_back(json::object{{"type", "file"}, {"file", std::move(file)}});
    } else if (auto skipped = leave_out(
                   not_translatable("A '" + std::string(type) + "' content part"), left_out);
               !skipped) {
      return skipped.error();
    }
  }
  if (assistant) return json::value(text);
  return json::value(std::move(parts));
}

// A function_call_output's output: a string, or its parts' text.
std::string tool_output(const json::value& output) {
  if (output.is_string()) return std::string(output.get_string());
  if (!output.is_array()) return json::serialize(output);
  std::string text;
  for (const auto& part : output.get_array()) {
    if (const auto* object = part.if_object()) text += string_of(*object, "text");
  }
  return text;
}

Result<void> add_item(const json::object& item, json::array& messages,
                      std::optional<Error>* left_out) {
  const auto type = item_type(item);
  if (type == "message") {
    std::string_view role = string_of(item, "role");
    const bool assistant = role == "assistant";
    if (role == "developer") role = "system";  // not every chat provider knows developer
    auto content = chat_content(item.at("content"), assistant, left_out);
    if (!content) return content.error();
    messages.push_back(json::object{{"role", role}, {"content", std::move(*content)}});
    return {};
  }
  if (type == "function_call") {
    json::object call{{"id", string_of(item, "call_id")},
                      {"type", "function"},
                      {"function", json::object{{"name", string_of(item, "name")},
                                                {"arguments", string_of(item, "arguments")}}}};
    // One assistant turn holds its text and all its calls (Anthropic and Gemini need that).
    auto* last = messages.empty() ? nullptr : messages.back().if_object();
    if (last && string_of(*last, "role") == "assistant") {
      auto& calls = (*last)["tool_calls"];
      if (!calls.is_array()) calls = json::array();
      calls.get_array().push_back(std::move(call));
      if (auto& content = (*last)["content"]; content.is_string() && content.get_string().empty())
        content = nullptr;
    } else {
      messages.push_back(json::object{{"role", "assistant"},
                                      {"content", nullptr},
                                      {"tool_calls", json::array{std::move(call)}}});
    }
    return {};
  }
  if (type == "function_call_output") {
    messages.push_back(json::object{{"role", "tool"},
                                    {"tool_call_id", string_of(item, "call_id")},
                                    {"content", tool_output(item.at("output"))}});
    return {};
  }
  if (type == "reasoning") return {};  // the model's own: another one cannot read it
  return leave_out(not_translatable("An input item of type '" + std::string(type) + "'"), left_out);
}

Result<json::array> chat_tools(const json::array& tools, std::optional<Error>* left_out) {
  json::array translated;
  for (const auto& tool_value : tools) {
    const auto& tool = tool_value.get_object();
    const auto type = string_of(tool, "type");
    if (type != "function") {
      if (auto skipped = leave_out(
              not_translatable("The '" + std::string(type) + "' tool", "tools"), left_out);
          !skipped)
        return skipped.error();
      continue;
    }
    json::object function{{"name", string_of(tool, "name")}};
    if (const auto description = string_of(tool, "description"); !description.empty())
      function["description"] = description;
    const auto* parameters = tool.if_contains("parameters");
    function["parameters"] =
        parameters && parameters->is_object()
            ? *parameters
            : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
    if (const auto* strict = tool.if_contains("strict"); strict && strict->is_bool())
      function["strict"] = *strict;
    translated.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
  }
  return translated;
}

json::value chat_tool_choice(const json::value& choice) {
  if (choice.is_string()) return choice;
  const auto* object = choice.if_object();
  const auto type = object ? string_of(*object, "type") : std::string_view();
  if (type == "function")
    return json::object{{"type", "function"},
                        {"function", json::object{{"name", string_of(*object, "name")}}}};
  if (type == "allowed_tools") {
    const auto mode = string_of(*object, "mode");
    return mode.empty() ? json::value("auto") : json::value(mode);
  }
  if (type == "none" || type == "auto" || type == "required") return json::value(type);
  return "auto";
}

json::value chat_response_format(const json::object& format) {
  const auto type = string_of(format, "type");
  if (type == "json_object") return json::object{{"type", "json_object"}};
  if (type != "json_schema") return nullptr;
  json::object schema{{"name", string_of(format, "name").empty() ? std::string_view("response")
                                                                 : string_of(format, "name")}};
  if (const auto* value = format.if_contains("schema")) schema["schema"] = *value;
  if (const auto* strict = format.if_contains("strict"); strict && strict->is_bool())
    schema["strict"] = *strict;
  if (const auto description = string_of(format, "description"); !description.empty())
    schema["description"] = description;
  return json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
}

}  // namespace

Result<void> validate_responses_body(const json::object& body) {
  const auto* input = body.if_contains("input");
  if (!input) return invalid("Missing required parameter: 'input'.", "input");
  if (input->is_array()) {
    std::size_t index = 0;
    for (const auto& item : input->get_array()) {
      if (auto valid = validate_item(item, index++); !valid) return valid;
    }
  } else if (!input->is_string()) {
    return invalid("Invalid 'input': expected a string or a list of items.", "input");
  }
  if (const auto* instructions = body.if_contains("instructions");
      !is_null_or_absent(instructions) && !instructions->is_string())
    return invalid("Invalid 'instructions': expected a string.", "instructions");
  if (auto valid = validate_tools(body.if_contains("tools")); !valid) return valid;
  for (const std::string_view key : {"temperature", "top_p"}) {
    if (const auto* value = body.if_contains(key); !is_null_or_absent(value) && !value->is_number())
      return invalid("Invalid '" + std::string(key) + "': expected a number.", std::string(key));
  }
  if (const auto* value = body.if_contains("max_output_tokens");
      !is_null_or_absent(value) && !value->is_int64())
    return invalid("Invalid 'max_output_tokens': expected an integer.", "max_output_tokens");
  for (const std::string_view key : {"text", "reasoning", "metadata"}) {
    if (const auto* value = body.if_contains(key); !is_null_or_absent(value) && !value->is_object())
      return invalid("Invalid '" + std::string(key) + "': expected an object.", std::string(key));
  }
  if (const auto* value = body.if_contains("store"); !is_null_or_absent(value) && !value->is_bool())
    return invalid("Invalid 'store': expected a boolean.", "store");
  if (const auto* value = body.if_contains("previous_response_id");
      !is_null_or_absent(value) && (!value->is_string() || value->get_string().empty()))
    return invalid("Invalid 'previous_response_id': expected a response id.",
                   "previous_response_id");
  return {};
}

json::array input_items(const json::object& body) {
  const auto* input = body.if_contains("input");
  if (input && input->is_array()) return input->get_array();
  if (input && input->is_string())
    return json::array{json::object{{"type", "message"}, {"role", "user"}, {"content", *input}}};
  return {};
}

Result<json::object> responses_to_chat(const json::object& body, std::optional<Error>* left_out) {
  json::array messages;
  if (const auto instructions = string_of(body, "instructions"); !instructions.empty())
    messages.push_back(json::object{{"role", "system"}, {"content", instructions}});
  for (const auto& item : input_items(body)) {
    if (!item.is_object()) continue;
    if (auto added = add_item(item.get_object(), messages, left_out); !added) return added.error();
  }
  json::object chat{{"model", body.at("model")}, {"messages", std::move(messages)}};
  if (const auto* tools = body.if_contains("tools");
      tools && tools->is_array() && !tools->get_array().empty()) {
    auto translated = chat_tools(tools->get_array(), left_out);
    if (!translated) return translated.error();
    if (!translated->empty()) {
      chat["tools"] = std::move(*translated);
      if (const auto* choice = body.if_contains("tool_choice"); !is_null_or_absent(choice))
        chat["tool_choice"] = chat_tool_choice(*choice);
      if (const auto* parallel = body.if_contains("parallel_tool_calls");
          parallel && parallel->is_bool())
        chat["parallel_tool_calls"] = *parallel;
    }
  }
  if (const auto* max = body.if_contains("max_output_tokens"); !is_null_or_absent(max))
    chat["max_tokens"] = *max;
  for (const std::string_view key : {"temperature", "top_p"}) {
    if (const auto* value = body.if_contains(key); !is_null_or_absent(value)) chat[key] = *value;
  }
  if (const auto user = string_of(body, "user"); !user.empty()) chat["user"] = user;
  if (const auto* text = body.if_contains("text"); text && text->is_object()) {
    if (const auto* format = text->get_object().if_contains("format");
        format && format->is_object()) {
      if (auto response_format = chat_response_format(format->get_object());
          !response_format.is_null())
        chat["response_format"] = std::move(response_format);
    }
  }
  if (const auto* reasoning = body.if_contains("reasoning"); reasoning && reasoning->is_object()) {
    if (const auto effort = string_of(reasoning->get_object(), "effort"); !effort.empty())
      chat["reasoning_effort"] = effort;
  }
  if (const auto* stream = body.if_contains("stream");
      stream && stream->is_bool() && stream->get_bool()) {
    chat["stream"] = true;
    chat["stream_options"] = json::object{{"include_usage", true}};
  }
  return chat;
}

json::object responses_pass_through_body(const json::object& body, std::size_t restored_items) {
  json::object sent = body;
  sent.erase("previous_response_id");
  sent["store"] = false;
  if (restored_items == 0) return sent;
  json::array input;
  std::size_t index = 0;
  for (const auto& value : input_items(body)) {
    const auto* item = value.if_object();
    if (index++ >= restored_items || !item) {
      input.push_back(value);
      continue;
    }
    // Nothing is stored upstream: a stored item goes by its content, never by its id, and
    // reasoning only with the encrypted_content the deployment can read back.
    if (item_type(*item) == "reasoning" &&
        is_null_or_absent(item->if_contains("encrypted_content")))
      continue;
    json::object replayed = *item;
    replayed.erase("id");
    replayed.erase("status");
    input.push_back(std::move(replayed));
  }
  sent["input"] = std::move(input);
  return sent;
}

}  // namespace llmux::api
