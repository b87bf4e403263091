// Token counts for answers whose provider reports none (some OpenAI-compatible streams), so that
// include_usage and spend still work. An estimate: it splits text the way GPT tokenizers
// pre-split it (words with their leading space, digit groups of three, punctuation runs, line
// breaks) and prices each piece, without a vocabulary. docs/providers.md says how close it is.
#pragma once

#include "api/request.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace llmux::api {

// Counts tokens of text fed in pieces split anywhere (mid-word, mid-UTF-8 character): the count
// is the same as for the whole text at once.
class TokenEstimator {
 public:
  void add(std::string_view text);
  std::int64_t count() const;  // tokens so far, the unfinished piece included

 private:
  enum class Kind : std::uint8_t { none, word, number, punct, space, newline };
  enum class Class : std::uint8_t { letter, ideograph, digit, punct, space, newline };
  void add_char(Class next);
  void close_piece();
  static std::int64_t tokens_of(Kind kind, std::int64_t length);

  std::int64_t closed_ = 0;
  Kind kind_ = Kind::none;
  std::int64_t length_ = 0;      // characters in the open piece
  std::uint32_t utf8_left_ = 0;  // continuation bytes still expected
  std::uint32_t utf8_lead_ = 0;  // the lead byte of the character being read
};

std::int64_t estimate_tokens(std::string_view text);

// The prompt of a request as OpenAI counts it for chat: per message 3 tokens, its role, name and
// text content, plus 3 priming the reply; tool definitions by their JSON text. For legacy
// completions the prompt text, for embeddings the input text.
std::int64_t estimate_prompt_tokens(const Request& request);

// The most completion tokens the request allows: `max_completion_tokens`, else `max_tokens` (a
// positive integer); nullopt when it sets neither.
std::optional<std::int64_t> requested_max_tokens(const Request& request);

// The completion text of OpenAI SSE frames (delta content, reasoning_content, refusal, tool-call
// arguments, legacy `text`) fed as the gateway writes them, counted with a TokenEstimator.
class CompletionTokenCounter {
 public:
  void add_frames(std::string_view frames);
  std::int64_t count() const { return estimator_.count(); }

 private:
  TokenEstimator estimator_;
};

}  // namespace llmux::api
