// One cached answer, and how it is written to Redis. An entry holds the answer's bytes as the
// client received them, never a parsed document: a hit sends them as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmux::cache {

struct Entry {
  std::string answer;
  std::int64_t stored_at_ms = 0;  // Unix time; s-maxage compares it with now
  // The answer's token counts, for the limits and the spend log of a hit (not parsed from it).
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// Whether an entry stored at `stored_at_ms` may answer a request that accepts `max_age_s`.
bool young_enough(const Entry& entry, std::optional<double> max_age_s, std::int64_t now_ms);

// The value of a Redis entry: a one-line header (format, time stored, token counts), then the
// answer's bytes.
std::string encode(const Entry& entry);
// nullopt for bytes that are not such a value (another program's key under the prefix).
std::optional<Entry> decode(std::string_view bytes);

}  // namespace llmux::cache
