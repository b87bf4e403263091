#include "providers/ollama.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "providers/json_fields.hpp"
#include "providers/ollama_internal.hpp"
#include "providers/openai_compatible.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <vector>

namespace llmux::providers {

namespace json = boost::json;

namespace ollama {
namespace {

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

std::int64_t created_of(const json::object& line) {
  return unix_seconds_from_rfc3339(string_at(line, "created_at")).value_or(0);
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

}  // namespace

api::Usage usage_of(const json::object& answer) {
  api::Usage usage;
  usage.reported = answer.contains("eval_count") || answer.contains("prompt_eval_count");
  usage.prompt_tokens = api::count_at(answer, "prompt_eval_count");
  usage.completion_tokens = api::count_at(answer, "eval_count");
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return usage;
}

std::string_view finish_reason(std::string_view done_reason, bool tool_calls) {
  if (tool_calls) return "tool_calls";
  if (done_reason == "length") return "length";
  return "stop";
}

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

Error not_an_object(std::string_view what) {
  return make_error(ErrorKind::upstream_failed,
                    "The upstream sent " + std::string(what) + " that is not a JSON object.");
}

Error error_of(const json::value& error, int status) {
  std::string message =
      error.is_string() ? std::string(error.get_string()) : json::serialize(error);
  Error out{.kind = status ? kind_from_status(status) : ErrorKind::upstream_failed,
            .status = status};
  out.message = "Ollama: " + message;
  return out;
}

}  // namespace ollama

Result<Reply> OllamaProvider::decode(const api::Request& request, std::string_view body,
                                     std::string_view client_model) const {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return ollama::not_an_object("a body");
  const auto& answer = parsed.get_object();
  if (const auto* error = answer.if_contains("error"); error && !error->is_null())
    return ollama::error_of(*error, 500);
  if (request.endpoint == api::Endpoint::embeddings)
    return ollama::embeddings_reply(request, body, answer, client_model);

  const bool text_completion = request.endpoint == api::Endpoint::completions;
  const Api api = text_completion ? Api::generate : api_;
  const ollama::Piece piece = ollama::piece_of(answer, api);
  Reply reply{.usage = ollama::usage_of(answer)};
  std::string& out = reply.body;
  out.reserve(body.size() + 256);
  append_answer_head(out, make_object_id(text_completion ? "cmpl-" : "chatcmpl-"),
                     text_completion ? "text_completion" : "chat.completion",
                     ollama::created_of(answer), client_model);
  const std::string_view reason =
      ollama::finish_reason(string_at(answer, "done_reason"), piece.tool_calls != nullptr);
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
      ollama::append_openai_tool_calls(out, *piece.tool_calls, body, std::nullopt);
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
