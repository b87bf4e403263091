#include "providers/bedrock.hpp"

#include "providers/anthropic.hpp"

#include "api/embeddings.hpp"
#include "api/json_scan.hpp"
#include "base/ids.hpp"
#include "base/json_string.hpp"
#include "providers/anthropic_family.hpp"
#include "providers/bedrock_internal.hpp"
#include "providers/json_fields.hpp"
#include "providers/usage_estimate.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace llmux::providers {

namespace json = boost::json;

namespace bedrock {
namespace {

// The spans of the elements of the JSON array at `array` in `text`.
std::vector<api::Span> array_elements(std::string_view text, api::Span array) {
  std::vector<api::Span> elements;
  api::for_each_element(text, array, [&](api::Span element) { elements.push_back(element); });
  return elements;
}

// A Titan ({"embedding", "inputTextTokenCount"}) or Cohere ({"embeddings"}) answer → OpenAI's
// list. Float vectors are copied as the upstream wrote them: Boost.JSON 1.81 does not parse every
// double exactly, so a re-serialised vector could differ in its last digit.
Result<Reply> decode_embeddings(const api::Request& request, std::string_view body,
                                std::string_view client_model) {
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const auto* answer = parsed.if_object();
  const auto* titan = answer ? answer->if_contains("embedding") : nullptr;
  const auto* cohere = answer ? answer->if_contains("embeddings") : nullptr;
  const bool is_titan = titan && titan->is_array();
  if (!is_titan && !(cohere && cohere->is_array())) {
    return make_error(ErrorKind::upstream_failed,
                      "Bedrock answered with a body that is not an embeddings response.");
  }
  Reply reply;
  const auto* count = is_titan ? answer->if_contains("inputTextTokenCount") : nullptr;
  if (count && count->is_int64()) {
    const std::int64_t tokens = count->get_int64();
    reply.usage = api::Usage{.prompt_tokens = tokens, .total_tokens = tokens, .reported = true};
  }
  const std::string usage =
      reply.usage.reported
          ? R"(,"usage":{"prompt_tokens":)" + std::to_string(reply.usage.prompt_tokens) +
                R"(,"total_tokens":)" + std::to_string(reply.usage.total_tokens) + "}"
          : std::string();

  if (api::wants_base64(request)) {  // float32 either way
    json::array data;
    for (const auto& vector : is_titan ? json::array{*titan} : cohere->get_array())
      data.push_back(
          json::object{{"object", "embedding"}, {"index", data.size()}, {"embedding", vector}});
    json::object list{{"object", "list"}, {"data", std::move(data)}, {"model", client_model}};
    api::convert_embeddings_to_base64(list);
    reply.body = json::serialize(list);
    reply.body.insert(reply.body.size() - 1, usage);
  } else {
    api::Span vectors;
    api::for_each_member(body, api::Span{0, body.size()},
                         [&](std::string_view key, api::Span value) {
                           if (key == (is_titan ? "embedding" : "embeddings")) vectors = value;
                         });
    const auto elements =
        is_titan ? std::vector<api::Span>{vectors} : array_elements(body, vectors);
    reply.body = R"({"object":"list","data":[)";
    for (std::size_t index = 0; index < elements.size(); ++index) {
      if (index) reply.body += ',';
      reply.body +=
          R"({"object":"embedding","index":)" + std::to_string(index) + R"(,"embedding":)";
      reply.body += elements[index].in(body);
      reply.body += '}';
    }
    reply.body += R"(],"model":)";
    append_json_string(reply.body, client_model);
    reply.body += usage;
    reply.body += '}';
  }
  estimate_missing_usage(reply, request);  // Cohere on Bedrock reports no token count
  return reply;
}

// "Input is too long for requested model." and LiteLLM's other context-window phrases.
bool says_context_window(std::string_view message) {
  constexpr std::string_view kPhrases[] = {
      "too many tokens",       "expected maxLength:", "Input is too long",
      "input is too long",     "prompt is too long",  "prompt: length: 1..",
      "Too many input tokens", "context window",      "model_context_window_exceeded",
  };
  return std::ranges::any_of(kPhrases, [&](std::string_view phrase) {
    return message.find(phrase) != std::string_view::npos;
  });
}

}  // namespace

json::object usage_object(const json::value* converse_usage, api::Usage& usage) {
  const auto* object = converse_usage ? converse_usage->if_object() : nullptr;
  if (!object) return {};
  const std::int64_t cache_read = api::count_at(*object, "cacheReadInputTokens");
  const std::int64_t cache_write = api::count_at(*object, "cacheWriteInputTokens");
  usage =
      api::Usage{.prompt_tokens = api::count_at(*object, "inputTokens") + cache_read + cache_write,
                 .completion_tokens = api::count_at(*object, "outputTokens"),
                 .cached_tokens = cache_read,
                 .reported = true};
  // Bedrock's own total, as LiteLLM reports it.
  usage.total_tokens = object->contains("totalTokens")
                           ? api::count_at(*object, "totalTokens")
                           : usage.prompt_tokens + usage.completion_tokens;
  json::object out{{"prompt_tokens", usage.prompt_tokens},
                   {"completion_tokens", usage.completion_tokens},
                   {"total_tokens", usage.total_tokens}};
  if (cache_read || cache_write) {
    out["prompt_tokens_details"] = json::object{{"cached_tokens", cache_read}};
    out["cache_read_input_tokens"] = cache_read;
    out["cache_creation_input_tokens"] = cache_write;
  }
  return out;
}

std::optional<ErrorKind> kind_of_exception(std::string_view name) {
  auto is = [&](std::string_view expected) {
    return name.size() == expected.size() &&
           std::equal(name.begin(), name.end(), expected.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  // The kinds of the statuses these exceptions have as request-level errors (others.md §4.4).
  if (is("throttlingException") || is("modelNotReadyException")) return ErrorKind::rate_limited;
  if (is("validationException") || is("serviceQuotaExceededException"))
    return ErrorKind::invalid_request;
  if (is("accessDeniedException")) return ErrorKind::forbidden;
  if (is("resourceNotFoundException")) return ErrorKind::not_found;
  if (is("modelTimeoutException")) return ErrorKind::timeout;
  if (is("serviceUnavailableException")) return ErrorKind::unavailable;
  if (is("internalServerException")) return ErrorKind::internal;
  if (is("modelStreamErrorException") || is("modelErrorException"))
    return ErrorKind::upstream_failed;
  return std::nullopt;
}

std::string message_in(std::string_view body) {
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  for (const std::string_view key : {"message", "Message"}) {
    if (const auto* message = parsed.get_object().if_contains(key); message && message->is_string())
      return std::string(message->get_string());
  }
  return {};
}

void refine_by_message(Error& error) {
  if (error.kind == ErrorKind::invalid_request && says_context_window(error.message))
    error.kind = ErrorKind::context_window_exceeded;
  // AWS answers bad or unknown credentials with 403; OpenAI clients know them as 401.
  if (error.message.find("security token included in the request is invalid") !=
          std::string::npos ||
      error.message.find("request signature we calculated does not match") != std::string::npos) {
    error.kind = ErrorKind::unauthenticated;
    error.status = 401;
  }
}

}  // namespace bedrock

Result<Reply> BedrockProvider::decode(const api::Request& request, std::string_view body,
                                      std::string_view client_model) const {
  if (request.endpoint == api::Endpoint::embeddings)
    return bedrock::decode_embeddings(request, body, client_model);
  // InvokeModel's answer to a Messages call is Anthropic's message.
  if (request.endpoint == api::Endpoint::messages) return passed_through_message(body);
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const auto* answer = parsed.if_object();
  const auto* output = answer ? answer->if_contains("output") : nullptr;
  const auto* message =
      output && output->is_object() ? output->get_object().if_contains("message") : nullptr;
  const auto* content =
      message && message->is_object() ? message->get_object().if_contains("content") : nullptr;
  if (ec || !content || !content->is_array()) {
    return make_error(ErrorKind::upstream_failed,
                      "Bedrock answered with a body that is not a Converse response.");
  }
  const auto json_tool = bedrock::json_tool_name(request);
  // Tool inputs are copied as Bedrock wrote them (numbers exact: Boost.JSON 1.81 may parse a
  // double inexactly), from the raw text of each content block.
  const api::Span whole{0, body.size()};
  const auto raw_blocks = bedrock::array_elements(
      body, member_span(body, member_span(body, member_span(body, whole, "output"), "message"),
                        "content"));
  std::string text, reasoning;
  json::array tool_calls, thinking_blocks;
  for (std::size_t index = 0; index < content->get_array().size(); ++index) {
    const auto* block = content->get_array()[index].if_object();
    if (!block) continue;
    if (const auto* piece = block->if_contains("text"); piece && piece->is_string()) {
      text += piece->get_string();
    } else if (const auto* use = block->if_contains("toolUse"); use && use->is_object()) {
      const auto& tool = use->get_object();
      const api::Span input =
          index < raw_blocks.size()
              ? member_span(body, member_span(body, raw_blocks[index], "toolUse"), "input")
              : api::Span{};
      const std::string arguments = input.empty() ? "{}" : std::string(input.in(body));
      const auto* name = tool.if_contains("name");
      if (json_tool && name && name->is_string() && name->get_string() == *json_tool) {
        text += arguments;
        continue;
      }
      tool_calls.push_back(json::object{
          {"id", tool.contains("toolUseId") ? tool.at("toolUseId") : json::value("")},
          {"type", "function"},
          {"function", {{"name", name ? *name : json::value("")}, {"arguments", arguments}}}});
    } else if (const auto* thought = block->if_contains("reasoningContent");
               thought && thought->is_object()) {
      const auto* reasoning_text = thought->get_object().if_contains("reasoningText");
      const auto* details = reasoning_text ? reasoning_text->if_object() : nullptr;
      const auto* piece = details ? details->if_contains("text") : nullptr;
      if (piece && piece->is_string()) {
        reasoning += piece->get_string();
        json::object thinking{{"type", "thinking"}, {"thinking", *piece}};
        if (const auto* signature = details->if_contains("signature"))
          thinking["signature"] = *signature;
        thinking_blocks.push_back(std::move(thinking));
      } else if (const auto* redacted = thought->get_object().if_contains("redactedContent")) {
        thinking_blocks.push_back(json::object{{"type", "redacted_thinking"}, {"data", *redacted}});
      }
    }
  }
  json::object reply_message{
      {"role", "assistant"},
      {"content", text.empty() && !tool_calls.empty() ? json::value(nullptr) : json::value(text)}};
  if (!reasoning.empty()) reply_message["reasoning_content"] = reasoning;
  if (!thinking_blocks.empty()) reply_message["thinking_blocks"] = std::move(thinking_blocks);
  const bool has_tool_calls = !tool_calls.empty();
  if (has_tool_calls) reply_message["tool_calls"] = std::move(tool_calls);
  std::string_view finish = finish_reason_of_stop(string_at(*answer, "stopReason"));
  if (finish == "tool_calls" && !has_tool_calls) finish = "stop";  // the response_format tool

  Reply reply;
  json::object usage = bedrock::usage_object(answer->if_contains("usage"), reply.usage);
  json::object completion{
      {"id", make_object_id("chatcmpl-")},
      {"object", "chat.completion"},
      {"created", unix_seconds(now_())},
      {"model", client_model},
      {"choices",
       json::array{json::object{
           {"index", 0}, {"message", std::move(reply_message)}, {"finish_reason", finish}}}}};
  if (reply.usage.reported) completion["usage"] = std::move(usage);
  reply.body = json::serialize(completion);
  return reply;
}

Error BedrockProvider::decode_error(int status, std::string_view body) const {
  Error error{
      .kind = kind_from_status(status), .message = bedrock::message_in(body), .status = status};
  if (error.message.empty()) error.message = status_message("Bedrock", status, body);
  bedrock::refine_by_message(error);
  return error;
}

}  // namespace llmux::providers
