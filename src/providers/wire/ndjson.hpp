// Newline-delimited JSON (application/x-ndjson, Ollama's streams): an incremental line splitter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace llmux::providers::wire {

// Bytes in (split anywhere), complete lines out. A line ends with '\n'; the whitespace around it
// (spaces, tabs, '\r') is dropped; blank lines are skipped. Lines that lie whole inside one feed
// are handed out as views of that feed (no copy); only a line split across feeds is buffered.
class NdjsonSplitter {
 public:
  explicit NdjsonSplitter(std::size_t max_line_bytes = 16 << 20)
      : max_line_bytes_(max_line_bytes) {}

  // Calls `on_line(std::string_view)` for each line `bytes` completes; the view is valid during
  // the call only. `on_line` returns false to stop (feed then returns false too). Returns false
  // (and stays failed) when a line is longer than max_line_bytes, whether buffered or not.
  template <class OnLine>
  bool feed(std::string_view bytes, OnLine&& on_line);

  // End of input: the last line, if it had no '\n' (empty when there is none). The splitter is
  // empty afterwards.
  std::string finish();

  bool failed() const { return failed_; }

 private:
  static std::string_view trimmed(std::string_view line);

  std::size_t max_line_bytes_;
  std::string partial_;  // the start of a line whose end has not arrived yet
  bool failed_ = false;
};

template <class OnLine>
bool NdjsonSplitter::feed(std::string_view bytes, OnLine&& on_line) {
  if (failed_) return false;
  while (!bytes.empty()) {
    const auto end = bytes.find('\n');
    if (end == std::string_view::npos) {
      if (partial_.size() + bytes.size() > max_line_bytes_) {
        failed_ = true;
        return false;
      }
      partial_.append(bytes);
      return true;
    }
    std::string_view line = bytes.substr(0, end);
    bytes.remove_prefix(end + 1);
    if (partial_.size() + line.size() > max_line_bytes_) {
      failed_ = true;
      return false;
    }
    if (!partial_.empty()) {
      partial_.append(line);
      line = partial_;
    }
    line = trimmed(line);
    const bool go_on = line.empty() || on_line(line);
    partial_.clear();
    if (!go_on) return false;
  }
  return true;
}

}  // namespace llmux::providers::wire
