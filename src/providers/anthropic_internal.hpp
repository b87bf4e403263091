// What the files of the Anthropic provider share, and nothing outside them includes: the errors
// and token counts of the Messages API, read from a whole answer (anthropic_response.cpp) and
// from a stream's events (anthropic_stream.cpp).
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"
#include "providers/anthropic_family.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace llmux::providers::anthropic {

// The request asked for JSON (response_format), which the forced kJsonToolName tool answers.
inline bool is_json_mode(const api::Request& request) {
  return json_response_format(request) != nullptr;
}

// The HTTP status Anthropic gives each error type; an in-stream error event has only its type.
int status_of_error_type(std::string_view type);

// LiteLLM's Anthropic exception mapping: context-window messages → ContextWindowExceededError
// (400), overloaded (529) → InternalServerError (500), 413 → BadRequestError (400), content
// filtering → ContentPolicyViolationError; other statuses keep their meaning. The upstream's
// message and error type are kept.
Error anthropic_error(int status, std::string_view type, std::string message);

// An answer's error body ({"type":"error","error":{"type","message"}}) and status → the error.
Error error_of_answer(int status, std::string_view body);

// Anthropic's token counts. input_tokens excludes the cached part, so the OpenAI prompt count
// is input + cache writes + cache reads (LiteLLM's calculate_usage); reads are also
// prompt_tokens_details.cached_tokens.
struct TokenCounts {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t cache_creation = 0;
  std::int64_t cache_read = 0;
  bool reported = false;

  // Takes the counts present in `usage` (a stream's message_delta repeats only some of them;
  // they are cumulative, so the latest value wins).
  void update(const boost::json::object& usage);
  api::Usage openai() const;
  // OpenAI's usage object, with the cache counts as LiteLLM reports them.
  void append_json(std::string& out) const;
};

}  // namespace llmux::providers::anthropic
