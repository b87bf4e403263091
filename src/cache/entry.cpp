#include "cache/entry.hpp"

#include <charconv>

namespace llmux::cache {

namespace {

constexpr std::string_view kFormat = "llmux-cache-1";

// The next space-separated field of the header line; empty at its end.
std::string_view next_field(std::string_view& line) {
  const std::size_t end = line.find(' ');
  const std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
  return field;
}

template <class Number>
bool parse(std::string_view text, Number& number) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool young_enough(const Entry& entry, std::optional<double> max_age_s, std::int64_t now_ms) {
  if (!max_age_s) return true;
  return static_cast<double>(now_ms - entry.stored_at_ms) <= *max_age_s * 1000;
}

std::string encode(const Entry& entry) {
  std::string value;
  value.reserve(40 + entry.answer.size());
  value += kFormat;
  value += ' ';
  value += std::to_string(entry.stored_at_ms);
  value += ' ';
  value += std::to_string(entry.prompt_tokens);
  value += ' ';
  value += std::to_string(entry.completion_tokens);
  value += '\n';
  value += entry.answer;
  return value;
}

std::optional<Entry> decode(std::string_view bytes) {
  const std::size_t line_end = bytes.find('\n');
  if (line_end == std::string_view::npos) return std::nullopt;
  std::string_view line = bytes.substr(0, line_end);
  bytes.remove_prefix(line_end + 1);
  Entry entry;
  if (next_field(line) != kFormat || !parse(next_field(line), entry.stored_at_ms) ||
      !parse(next_field(line), entry.prompt_tokens) ||
      !parse(next_field(line), entry.completion_tokens) || !line.empty()) {
    return std::nullopt;
  }
  entry.answer = bytes;
  return entry;
}

}  // namespace llmux::cache
