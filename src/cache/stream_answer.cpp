#include "cache/stream_answer.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace llmux::cache {

namespace json = boost::json;

namespace {

// A chunk or a stored answer is parsed on the stack: its document lives only for the call, and
// a few KiB hold the usual one (a larger one takes the rest from the heap).
constexpr std::size_t kArenaBytes = 4096;

Error not_replayable(std::string why) {
  return make_error(ErrorKind::internal, "cached answer cannot be streamed: " + std::move(why));
}

std::string_view string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

void append_event(std::string& out, const json::object& chunk) {
  out += "data: ";
  out += json::serialize(chunk);
  out += "\n\n";
}

// The members every chunk of the stream repeats.
json::object chunk_head(const json::object& answer, std::string_view object) {
  json::object head;
  for (const std::string_view key : {"id", "created", "model", "system_fingerprint"}) {
    if (const json::value* value = answer.if_contains(key)) head[key] = *value;
  }
  head["object"] = object;
  return head;
}

// A chat choice's message as the delta of one chunk: tool calls carry their position.
json::object delta_of(const json::object& message) {
  json::object delta;
  for (const auto& [key, value] : message) {
    if (key == "tool_calls" && value.is_array()) {
      json::array calls;
      std::int64_t index = 0;
      for (const json::value& call : value.get_array()) {
        json::object with_index = call.is_object() ? call.get_object() : json::object();
        with_index["index"] = index++;
        calls.push_back(std::move(with_index));
      }
      delta[key] = std::move(calls);
    } else if (!value.is_null()) {
      delta[key] = value;
    }
  }
  return delta;
}

}  // namespace

Result<std::string> stream_frames(std::string_view answer, bool include_usage) {
  unsigned char arena_bytes[kArenaBytes];
  json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
  json::error_code ec;
  const json::value parsed = json::parse(answer, ec, &arena);
  if (ec || !parsed.is_object()) return not_replayable("not a JSON object");
  const json::object& whole = parsed.get_object();
  const std::string_view object = string_at(whole, "object");
  const bool chat = object == "chat.completion";
  if (!chat && object != "text_completion") return not_replayable("not a completion");
  const json::value* choices = whole.if_contains("choices");
  if (!choices || !choices->is_array()) return not_replayable("no choices");

  const json::object head = chunk_head(whole, chat ? "chat.completion.chunk" : "text_completion");
  std::string frames;
  // Each choice's content in one chunk, then each choice's finish_reason in one.
  for (const bool finishing : {false, true}) {
    for (const json::value& item : choices->get_array()) {
      if (!item.is_object()) return not_replayable("a choice is not an object");
      const json::object& choice = item.get_object();
      json::object piece;
      piece["index"] = choice.contains("index") ? choice.at("index") : json::value(0);
      if (chat) {
        const json::value* message = choice.if_contains("message");
        piece["delta"] = finishing || !message || !message->is_object()
                             ? json::object()
                             : delta_of(message->get_object());
      } else {
        piece["text"] = finishing ? "" : string_at(choice, "text");
      }
      piece["logprobs"] = nullptr;
      const json::value* reason = choice.if_contains("finish_reason");
      piece["finish_reason"] = finishing && reason ? *reason : json::value(nullptr);
      json::object chunk = head;
      chunk["choices"] = json::array{std::move(piece)};
      append_event(frames, chunk);
    }
  }
  if (include_usage) {
    if (const json::value* usage = whole.if_contains("usage"); usage && usage->is_object()) {
      json::object chunk = head;
      chunk["choices"] = json::array();
      chunk["usage"] = *usage;
      append_event(frames, chunk);
    }
  }
  frames += "data: [DONE]\n\n";
  return frames;
}

void StreamAssembler::feed(std::string_view frames) {
  pending_ += frames;
  std::size_t start = 0;
  for (std::size_t end; (end = pending_.find("\n\n", start)) != std::string::npos;
       start = end + 2) {
    std::string_view event(pending_.data() + start, end - start);
    // One data line per event as the relay writes them; a multi-line event joins its lines.
    std::string data;
    while (!event.empty()) {
      const std::size_t line_end = event.find('\n');
      std::string_view line = event.substr(0, line_end);
      event.remove_prefix(line_end == std::string_view::npos ? event.size() : line_end + 1);
      if (!line.starts_with("data:")) continue;
      line.remove_prefix(5);
      if (line.starts_with(' ')) line.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data += line;
    }
    if (!data.empty()) read_event(data);
  }
  pending_.erase(0, start);
}

void StreamAssembler::read_event(std::string_view data) {
  if (data == "[DONE]" || unusable_) return;
  unsigned char arena_bytes[kArenaBytes];
  json::monotonic_resource arena(arena_bytes, sizeof arena_bytes);
  json::error_code ec;
  const json::value parsed = json::parse(data, ec, &arena);
  if (ec || !parsed.is_object() || parsed.get_object().contains("error")) {
    unusable_ = true;
    return;
  }
  read_chunk(parsed.get_object());
}

void StreamAssembler::read_chunk(const json::object& chunk) {
  if (head_.empty()) {
    for (const std::string_view key : {"id", "created", "model", "system_fingerprint"}) {
      if (const json::value* value = chunk.if_contains(key); value && !value->is_null())
        head_[key] = *value;
    }
    text_completion_ = string_at(chunk, "object") == "text_completion";
  }
  if (const json::value* usage = chunk.if_contains("usage"); usage && usage->is_object())
    usage_ = *usage;
  const json::value* choices = chunk.if_contains("choices");
  if (!choices || !choices->is_array()) return;
  for (const json::value& item : choices->get_array()) {
    const json::object* piece = item.if_object();
    if (!piece) continue;
    if (const json::value* logprobs = piece->if_contains("logprobs");
        logprobs && !logprobs->is_null()) {
      unusable_ = true;
    }
    const json::value* index = piece->if_contains("index");
    Choice& choice = choices_[index && index->is_int64() ? index->get_int64() : 0];
    if (const std::string_view reason = string_at(*piece, "finish_reason"); !reason.empty())
      choice.finish_reason = reason;
    choice.text += string_at(*piece, "text");
    const json::value* delta_value = piece->if_contains("delta");
    const json::object* delta = delta_value ? delta_value->if_object() : nullptr;
    if (!delta) continue;
    if (const std::string_view role = string_at(*delta, "role"); !role.empty()) choice.role = role;
    const auto append = [&](std::string_view key, std::string& to, bool& seen) {
      if (const json::value* value = delta->if_contains(key); value && value->is_string()) {
        to += value->get_string();
        seen = true;
      }
    };
    append("content", choice.content, choice.has_content);
    append("reasoning_content", choice.reasoning, choice.has_reasoning);
    append("refusal", choice.refusal, choice.has_refusal);
    const json::value* calls = delta->if_contains("tool_calls");
    if (!calls || !calls->is_array()) continue;
    for (const json::value& call_value : calls->get_array()) {
      const json::object* call = call_value.if_object();
      if (!call) continue;
      const json::value* call_index = call->if_contains("index");
      ToolCall& tool =
          choice.tool_calls[call_index && call_index->is_int64() ? call_index->get_int64() : 0];
      if (const std::string_view id = string_at(*call, "id"); !id.empty()) tool.id = id;
      if (const std::string_view type = string_at(*call, "type"); !type.empty()) tool.type = type;
      if (const json::value* function = call->if_contains("function");
          function && function->is_object()) {
        tool.name += string_at(function->get_object(), "name");
        tool.arguments += string_at(function->get_object(), "arguments");
      }
    }
  }
}

Result<std::string> StreamAssembler::finish(const api::Usage& counted) const {
  if (unusable_) return not_replayable("the stream cannot be stored");
  if (choices_.empty()) return not_replayable("the stream had no choices");
  json::object answer = head_;
  answer["object"] = text_completion_ ? "text_completion" : "chat.completion";
  json::array choices;
  for (const auto& [index, choice] : choices_) {
    json::object item;
    item["index"] = index;
    if (text_completion_) {
      item["text"] = choice.text;
    } else {
      json::object message;
      message["role"] = choice.role.empty() ? "assistant" : choice.role;
      message["content"] = choice.has_content ? json::value(choice.content) : json::value(nullptr);
      if (choice.has_reasoning) message["reasoning_content"] = choice.reasoning;
      if (choice.has_refusal) message["refusal"] = choice.refusal;
      if (!choice.tool_calls.empty()) {
        json::array calls;
        for (const auto& [position, tool] : choice.tool_calls) {
          calls.push_back(json::object{
              {"id", tool.id},
              {"type", tool.type.empty() ? "function" : tool.type},
              {"function", json::object{{"name", tool.name}, {"arguments", tool.arguments}}}});
        }
        message["tool_calls"] = std::move(calls);
      }
      item["message"] = std::move(message);
    }
    item["logprobs"] = nullptr;
    item["finish_reason"] =
        choice.finish_reason.empty() ? json::value(nullptr) : json::value(choice.finish_reason);
    choices.push_back(std::move(item));
  }
  answer["choices"] = std::move(choices);
  if (!usage_.is_null()) {
    answer["usage"] = usage_;
  } else {
    answer["usage"] =
        json::object{{"prompt_tokens", counted.prompt_tokens},
                     {"completion_tokens", counted.completion_tokens},
                     {"total_tokens", counted.prompt_tokens + counted.completion_tokens}};
  }
  return json::serialize(answer);
}

}  // namespace llmux::cache
