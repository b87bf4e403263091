#include "providers/wire/ndjson.hpp"

#include <utility>

namespace llmux::providers::wire {

std::string_view NdjsonSplitter::trimmed(std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

std::string NdjsonSplitter::finish() {
  std::string last = std::exchange(partial_, {});
  const std::string_view line = trimmed(last);
  if (line.size() != last.size()) last = std::string(line);
  return last;
}

}  // namespace llmux::providers::wire
