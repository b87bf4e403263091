// JSON-lines logging to stderr. Request-path lines (the access log) are buffered per worker
// thread and written in batches off the request's critical path; startup lines go out at once.
#pragma once

#include <string>
#include <string_view>

namespace llmux::telemetry {

// One log line with a level and a message, written immediately (startup, shutdown, warnings).
void log_now(std::string_view level, std::string_view message);

// Lines collected by one worker thread and written together.
class LogBuffer {
 public:
  // `line` must be one JSON object without the newline.
  void add(std::string_view line);
  // Writes what is buffered to stderr (one write call).
  void flush();

 private:
  std::string pending_;
};

}  // namespace llmux::telemetry
