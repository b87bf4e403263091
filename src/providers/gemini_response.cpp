#include "providers/gemini.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/gemini_internal.hpp"
#include "providers/json_fields.hpp"
#include "providers/openai_compatible.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>

namespace llmux::providers {

namespace json = boost::json;

namespace gemini {

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

void append_tool_calls(std::string& out, const std::vector<ToolCall>& calls,
                       std::optional<std::int64_t> first_index) {
  out += '[';
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i) out += ',';
    const auto index =
        first_index ? std::optional(*first_index + static_cast<std::int64_t>(i)) : std::nullopt;
    append_tool_call(out, index, calls[i].id, calls[i].name, calls[i].arguments);
  }
  out += ']';
}

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

namespace {

// Seconds from a google.protobuf.Duration string ("23s", "0.5s"), rounded up.
std::optional<std::chrono::seconds> duration_seconds(std::string_view text) {
  if (!text.ends_with('s')) return std::nullopt;
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, seconds);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || seconds < 0) return std::nullopt;
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(seconds)));
}

}  // namespace

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

std::string chat_id(const json::object& answer) {
  const auto id = string_or_empty(answer.if_contains("responseId"));
  return id.empty() ? make_object_id("chatcmpl-") : std::string(id);
}

namespace {

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
      append_tool_calls(body, parts.calls, std::nullopt);
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

}  // namespace
}  // namespace gemini

Result<Reply> GeminiProvider::decode(const api::Request& request, std::string_view body,
                                     std::string_view client_model) const {
  const ParsedJson parsed(body);
  if (!parsed.object())
    return upstream_failure("gemini answered with a body that is not a JSON object.");
  const auto& answer = *parsed.object();
  if (const auto* error = object_or_null(answer.if_contains("error")))
    return gemini::error_from_status(0, *error);
  if (request.endpoint == api::Endpoint::embeddings) {
    return gemini::decode_embeddings(
        request, body, answer, client_model,
        addressing_.embeds_with_predict() ? gemini::kPredictLayout : gemini::kBatchEmbedLayout);
  }
  return gemini::decode_chat(answer, client_model);
}

Error GeminiProvider::decode_error(int status, std::string_view body) const {
  const ParsedJson parsed(body);
  // Errors of the JSON-array stream mode come wrapped in an array.
  const json::value* root = &parsed.value();
  if (parsed.value().is_array() && parsed.value().get_array().size() == 1)
    root = &parsed.value().get_array().front();
  const auto* object = parsed.ok() ? root->if_object() : nullptr;
  const auto* rpc_status = object ? object_or_null(object->if_contains("error")) : nullptr;
  if (!rpc_status) return decode_openai_error(status, body);  // not Google's shape: quote what came
  return gemini::error_from_status(status, *rpc_status);
}

}  // namespace llmux::providers
