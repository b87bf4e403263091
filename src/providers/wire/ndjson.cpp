#include "providers/wire/ndjson.hpp"

#include <utility>

namespace llmux::providers::wire {

// JSON's whitespace (but '\n', which ends the line): a line of it alone is blank.
std::string_view NdjsonSplitter::trimmed(std::string_view line) {
  constexpr std::string_view kWhitespace = " \t\r";
  const auto first = line.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return line.substr(first, line.find_last_not_of(kWhitespace) - first + 1);
}

std::string NdjsonSplitter::finish() {
  std::string last = std::exchange(partial_, {});
  const std::string_view line = trimmed(last);
  if (line.size() != last.size()) last = std::string(line);
  return last;
}

}  // namespace llmux::providers::wire
