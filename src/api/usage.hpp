// Token counts of one answer, as OpenAI's `usage` reports them.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <string_view>

namespace llmux::api {

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t total_tokens = 0;
  std::int64_t cached_tokens = 0;  // prompt_tokens_details.cached_tokens
  bool reported = false;           // the answer carried a usage object
  bool estimated = false;          // counted by llmux (api/token_estimate): the answer had none
};

// A token count as providers write it: an integer (or a float such as 12.0); 0 when absent or
// not a number. `count_at` reads member `key` of an object.
std::int64_t token_count(const boost::json::value* value);
std::int64_t count_at(const boost::json::object& object, std::string_view key);

// Reads a `usage` object; anything missing counts as 0. Not an object: an unreported Usage.
Usage usage_from_json(const boost::json::value* usage);

// The same from the text of a usage object, without building a document (the relay reads it
// from every answer and every stream's last chunk). `text` must be well-formed JSON (the span
// scan_answer or ChunkScanner found, which validated it): it is not validated again. Not an
// object: an unreported Usage.
Usage usage_from_text(std::string_view text);

}  // namespace llmux::api
