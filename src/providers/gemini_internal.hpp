// What the files of the Gemini provider share, and nothing outside them includes: the schema
// translation the request uses, reading one GenerateContentResponse (a whole answer in
// gemini_response.cpp, one stream event in gemini_stream.cpp), and the thought signatures that
// ride in tool-call ids (gemini_request.cpp puts them back on a replayed call).
#pragma once

#include "api/usage.hpp"
#include "base/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::providers::gemini {

// Gemini's thoughtSignature of a function call rides in the OpenAI tool-call id, after this
// separator (LiteLLM's encoding), so it goes back on the call when the client replays the turn:
// Gemini 3 refuses function-call turns without their signatures.
inline constexpr std::string_view kThoughtSignatureSeparator = "__thought__";

// JSON Schema → Gemini's Schema (an OpenAPI 3.0 subset that rejects unknown keys), as LiteLLM's
// _build_vertex_schema builds it (gemini_schema.cpp).
boost::json::object gemini_schema(const boost::json::object& schema);

// A candidate's finishReason → OpenAI's finish_reason.
std::string_view finish_reason_of(std::string_view gemini);

struct ToolCall {
  std::string id;
  std::string_view name;  // points into the parsed answer, which outlives the call's use
  std::string arguments;
};

// What one candidate says: visible text, thought text and function calls, in part order.
struct CandidateParts {
  std::string text;
  std::string reasoning;
  std::vector<ToolCall> calls;
  bool has_text = false;

  void clear() {
    text.clear();
    reasoning.clear();
    calls.clear();
    has_text = false;
  }
};

// Adds what the parts of `candidate`'s content say to `out`.
void read_parts(const boost::json::object& candidate, CandidateParts& out);

// usageMetadata → OpenAI usage, as LiteLLM counts it: thinking tokens are completion tokens,
// added unless the total shows they are already in candidatesTokenCount.
struct GeminiUsage {
  api::Usage usage;
  std::int64_t reasoning_tokens = 0;
};

GeminiUsage usage_of(const boost::json::object& metadata);
// OpenAI's usage object, with the cached and reasoning token details when there are any.
void append_usage(std::string& out, const GeminiUsage& gemini);

// logprobsResult → OpenAI's choice.logprobs ({"content":[{token, logprob, bytes, top_logprobs}]}),
// appended as JSON; "null" when the candidate has none.
void append_logprobs(std::string& out, const boost::json::object& candidate);

// The calls as a JSON array; numbered from `first_index` in a stream's deltas (nullopt: no index).
void append_tool_calls(std::string& out, const std::vector<ToolCall>& calls,
                       std::optional<std::int64_t> first_index);

// promptFeedback.blockReason: the prompt itself was refused, so there is no answer to give.
std::optional<Error> prompt_blocked(const boost::json::object& answer);

// A google.rpc.Status ({"code","message","status","details"}) → the client's error. `status` is
// the HTTP status it came with (0 inside a 200 stream: the body's code then decides).
Error error_from_status(int status, const boost::json::object& rpc_status);

// The answer's responseId, else a new chatcmpl- id.
std::string chat_id(const boost::json::object& answer);

}  // namespace llmux::providers::gemini
