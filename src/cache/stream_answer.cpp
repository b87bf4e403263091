#include "cache/stream_answer.hpp"

#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace llmux::cache {

namespace {

Error not_replayable(std::string why) {
  return make_error(ErrorKind::internal, "cached answer cannot be streamed: " + std::move(why));
}

// The JSON text between the quotes of the string value at `span`; nothing when it is no string.
std::optional<std::string_view> string_body(std::string_view text, api::Span span) {
  const std::string_view value = span.in(text);
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  return value.substr(1, value.size() - 2);
}

// Well-formed JSON text without the whitespace outside its strings: an answer may be pretty
// printed (the relay passes the provider's bytes on), and a line break would end an SSE line.
void append_compact(std::string& out, std::string_view raw) {
  if (raw.find_first_of("\n\r\t ") == std::string_view::npos) {
    out += raw;
    return;
  }
  bool in_string = false, escaped = false;
  for (const char c : raw) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (api::detail::is_space(c)) {
      continue;
    }
    out += c;
  }
}

void append_member(std::string& out, std::string_view key, std::string_view raw) {
  out += '"';
  out += key;
  out += "\":";
  append_compact(out, raw);
}

// A chat choice's message as the delta of one chunk: its members but the null ones, and its tool
// calls with their position.
void append_delta(std::string& out, std::string_view message) {
  out += '{';
  bool first = true;
  api::for_each_member_of_valid(message, [&](std::string_view key, api::Span span) {
    const std::string_view value = span.in(message);
    if (value == "null") return;
    if (!std::exchange(first, false)) out += ',';
    if (key != "tool_calls" || value.front() != '[') return append_member(out, key, value);
    out += "\"tool_calls\":[";
    std::size_t position = 0;
    api::for_each_element_of_valid(message, span, [&](api::Span element) {
      const std::string_view call = element.in(message);
      if (position > 0) out += ',';
      out += "{\"index\":";
      out += std::to_string(position++);
      // The call's own members after it; a call that is not an object keeps only its position.
      const std::size_t first_member =
          call.front() == '{' ? call.find_first_not_of(" \t\r\n", 1) : std::string_view::npos;
      if (first_member == std::string_view::npos) {
        out += '}';
        return;
      }
      if (call[first_member] != '}') out += ',';
      append_compact(out, call.substr(first_member));
    });
    out += ']';
  });
  out += '}';
}

}  // namespace

Result<std::string> stream_frames(std::string_view answer, bool include_usage) {
  // Validated once (an entry may come from Redis); read without documents, and written as text.
  api::AnswerLayout layout;
  if (!api::scan_answer(answer, layout)) return not_replayable("not a JSON object");
  std::string head = "{";
  std::string_view object;
  api::for_each_member_of_valid(answer, [&](std::string_view key, api::Span span) {
    if (key == "object") object = string_body(answer, span).value_or("");
    if (key != "id" && key != "created" && key != "model" && key != "system_fingerprint") return;
    append_member(head, key, span.in(answer));
    head += ',';
  });
  const bool chat = object == "chat.completion";
  if (!chat && object != "text_completion") return not_replayable("not a completion");
  if (layout.choices.empty() || answer[layout.choices.begin] != '[')
    return not_replayable("no choices");
  head += chat ? R"("object":"chat.completion.chunk","choices":[)"
               : R"("object":"text_completion","choices":[)";
  std::vector<std::string_view> choices;
  api::for_each_element_of_valid(answer, layout.choices,
                                 [&](api::Span element) { choices.push_back(element.in(answer)); });

  std::string frames;
  // Each choice's content in one chunk, then each choice's finish_reason in one.
  for (const bool finishing : {false, true}) {
    for (const std::string_view choice : choices) {
      if (choice.front() != '{') return not_replayable("a choice is not an object");
      std::string_view index = "0", reason = "null", message, text;
      api::for_each_member_of_valid(choice, [&](std::string_view key, api::Span span) {
        if (key == "index") index = span.in(choice);
        if (key == "finish_reason") reason = span.in(choice);
        if (key == "message") message = span.in(choice);
        if (key == "text") text = string_body(choice, span).value_or("");
      });
      frames += "data: ";
      frames += head;
      frames += "{\"index\":";
      append_compact(frames, index);
      if (chat) {
        frames += ",\"delta\":";
        if (finishing || message.empty() || message.front() != '{') {
          frames += "{}";
        } else {
          append_delta(frames, message);
        }
      } else {
        frames += ",\"text\":\"";
        if (!finishing) frames += text;
        frames += '"';
      }
      frames += ",\"logprobs\":null,\"finish_reason\":";
      append_compact(frames, finishing ? reason : "null");
      frames += "}]}\n\n";
    }
  }
  if (include_usage && !layout.usage.empty() && answer[layout.usage.begin] == '{') {
    frames += "data: ";
    frames += head;
    frames += "],\"usage\":";
    append_compact(frames, layout.usage.in(answer));
    frames += "}\n\n";
  }
  frames += "data: [DONE]\n\n";
  return frames;
}

namespace {

std::int64_t index_of(std::string_view raw) {
  std::int64_t index = 0;
  const auto [end, error] = std::from_chars(raw.data(), raw.data() + raw.size(), index);
  return error == std::errc() && end == raw.data() + raw.size() ? index : 0;
}

void append_string(std::string& out, std::string_view key, std::string_view body) {
  out += '"';
  out += key;
  out += "\":\"";
  out += body;
  out += '"';
}

}  // namespace

void StreamAssembler::feed(std::string_view frames) {
  if (unusable_) return;
  // Whole events are read where they arrived; only an event cut between two feeds is copied.
  std::string_view input = frames;
  if (!pending_.empty()) {
    pending_ += frames;
    input = pending_;
  }
  std::size_t start = 0;
  for (std::size_t end; (end = input.find("\n\n", start)) != std::string_view::npos;
       start = end + 2) {
    read_frame(input.substr(start, end - start));
  }
  if (pending_.empty()) {
    pending_.assign(input.substr(start));
  } else {
    pending_.erase(0, start);
  }
}

void StreamAssembler::read_frame(std::string_view event) {
  // One data line per event as the relay writes them; a multi-line event joins its lines.
  std::string_view single;
  std::string joined;
  int lines = 0;
  while (!event.empty()) {
    const std::size_t line_end = event.find('\n');
    std::string_view line = event.substr(0, line_end);
    event.remove_prefix(line_end == std::string_view::npos ? event.size() : line_end + 1);
    if (!line.starts_with("data:")) continue;
    line.remove_prefix(5);
    if (line.starts_with(' ')) line.remove_prefix(1);
    if (++lines == 1) {
      single = line;
      continue;
    }
    if (lines == 2) joined = single;
    joined += '\n';
    joined += line;
  }
  if (lines == 0) return;
  const std::string_view data = lines == 1 ? single : std::string_view(joined);
  if (data == "[DONE]" || unusable_) return;
  read_chunk(data);
}

void StreamAssembler::read_chunk(std::string_view chunk) {
  api::AnswerLayout layout;
  if (!scanner_.scan(chunk, layout) || !layout.error.empty()) {
    unusable_ = true;
    return;
  }
  if (!head_read_) {
    head_read_ = true;
    api::for_each_member_of_valid(chunk, [&](std::string_view key, api::Span span) {
      const std::string_view raw = span.in(chunk);
      if (raw == "null") return;
      if (key == "id") id_ = raw;
      if (key == "created") created_ = raw;
      if (key == "model") model_ = raw;
      if (key == "system_fingerprint") system_fingerprint_ = raw;
      if (key == "object") text_completion_ = raw == "\"text_completion\"";
    });
  }
  if (!layout.usage.empty() && chunk[layout.usage.begin] == '{') usage_ = layout.usage.in(chunk);
  if (layout.choices.empty()) return;
  api::for_each_element_of_valid(chunk, layout.choices,
                                 [&](api::Span element) { read_choice(element.in(chunk)); });
}

void StreamAssembler::read_choice(std::string_view piece) {
  if (piece.empty() || piece.front() != '{') return;
  std::int64_t index = 0;
  std::optional<std::string_view> reason, text;
  api::Span delta;
  api::for_each_member_of_valid(piece, [&](std::string_view key, api::Span span) {
    if (key == "index") index = index_of(span.in(piece));
    if (key == "finish_reason") reason = string_body(piece, span);
    if (key == "text") text = string_body(piece, span);
    if (key == "delta") delta = span;
    if (key == "logprobs" && span.in(piece) != "null") unusable_ = true;
  });
  Choice& choice = choices_[index];
  if (reason && !reason->empty()) choice.finish_reason = *reason;
  if (text) choice.text += *text;
  const std::string_view delta_text = delta.in(piece);
  if (delta_text.empty() || delta_text.front() != '{') return;
  api::for_each_member_of_valid(delta_text, [&](std::string_view key, api::Span span) {
    const auto body = string_body(delta_text, span);
    if (key == "role" && body && !body->empty()) choice.role = *body;
    const auto append = [&](std::string& to, bool& seen) {
      if (!body) return;
      to += *body;
      seen = true;
    };
    if (key == "content") append(choice.content, choice.has_content);
    if (key == "reasoning_content") append(choice.reasoning, choice.has_reasoning);
    if (key == "refusal") append(choice.refusal, choice.has_refusal);
    if (key != "tool_calls" || span.in(delta_text).front() != '[') return;
    api::for_each_element_of_valid(delta_text, span, [&](api::Span element) {
      const std::string_view call = element.in(delta_text);
      if (call.front() != '{') return;
      std::int64_t position = 0;
      std::optional<std::string_view> id, type;
      api::Span function;
      api::for_each_member_of_valid(call, [&](std::string_view member, api::Span value) {
        if (member == "index") position = index_of(value.in(call));
        if (member == "id") id = string_body(call, value);
        if (member == "type") type = string_body(call, value);
        if (member == "function") function = value;
      });
      ToolCall& tool = choice.tool_calls[position];
      if (id && !id->empty()) tool.id = *id;
      if (type && !type->empty()) tool.type = *type;
      const std::string_view function_text = function.in(call);
      if (function_text.empty() || function_text.front() != '{') return;
      api::for_each_member_of_valid(function_text, [&](std::string_view member, api::Span value) {
        const auto body = string_body(function_text, value);
        if (!body) return;
        if (member == "name") tool.name += *body;
        if (member == "arguments") tool.arguments += *body;
      });
    });
  });
}

Result<std::string> StreamAssembler::finish(const api::Usage& counted) const {
  if (unusable_) return not_replayable("the stream cannot be stored");
  if (choices_.empty()) return not_replayable("the stream had no choices");
  std::string out = "{";
  for (const auto& [key, raw] : {std::pair<std::string_view, const std::string&>{"id", id_},
                                 {"created", created_},
                                 {"model", model_},
                                 {"system_fingerprint", system_fingerprint_}}) {
    if (raw.empty()) continue;
    out += '"';
    out += key;
    out += "\":";
    out += raw;
    out += ',';
  }
  out += text_completion_ ? R"("object":"text_completion","choices":[)"
                          : R"("object":"chat.completion","choices":[)";
  bool first = true;
  for (const auto& [index, choice] : choices_) {
    if (!std::exchange(first, false)) out += ',';
    out += "{\"index\":";
    out += std::to_string(index);
    out += ',';
    if (text_completion_) {
      append_string(out, "text", choice.text);
    } else {
      out += "\"message\":{";
      append_string(out, "role", choice.role.empty() ? "assistant" : choice.role);
      if (choice.has_content) {
        out += ',';
        append_string(out, "content", choice.content);
      } else {
        out += ",\"content\":null";
      }
      if (choice.has_reasoning) {
        out += ',';
        append_string(out, "reasoning_content", choice.reasoning);
      }
      if (choice.has_refusal) {
        out += ',';
        append_string(out, "refusal", choice.refusal);
      }
      if (!choice.tool_calls.empty()) {
        out += ",\"tool_calls\":[";
        bool first_call = true;
        for (const auto& [position, tool] : choice.tool_calls) {
          if (!std::exchange(first_call, false)) out += ',';
          out += '{';
          append_string(out, "id", tool.id);
          out += ',';
          append_string(out, "type", tool.type.empty() ? "function" : tool.type);
          out += ",\"function\":{";
          append_string(out, "name", tool.name);
          out += ',';
          append_string(out, "arguments", tool.arguments);
          out += "}}";
        }
        out += ']';
      }
      out += '}';
    }
    out += ",\"logprobs\":null,\"finish_reason\":";
    if (choice.finish_reason.empty()) {
      out += "null";
    } else {
      out += '"';
      out += choice.finish_reason;
      out += '"';
    }
    out += '}';
  }
  out += "],\"usage\":";
  if (!usage_.empty()) {
    out += usage_;
  } else {
    out +=
        "{\"prompt_tokens\":" + std::to_string(counted.prompt_tokens) +
        ",\"completion_tokens\":" + std::to_string(counted.completion_tokens) +
        ",\"total_tokens\":" + std::to_string(counted.prompt_tokens + counted.completion_tokens) +
        '}';
  }
  out += '}';
  return out;
}

}  // namespace llmux::cache
