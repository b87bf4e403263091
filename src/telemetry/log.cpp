#include "telemetry/log.hpp"

#include "base/json_string.hpp"

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace llmux::telemetry {

namespace {

void write_all(std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, text.data(), text.size());
    if (written <= 0) return;  // stderr gone: logging must never take the gateway down
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

}  // namespace

void log_now(std::string_view level, std::string_view message) {
  std::string line = "{\"ts\":\"" + timestamp() + "\",\"level\":";
  append_json_string(line, level);
  line += ",\"msg\":";
  append_json_string(line, message);
  line += "}\n";
  write_all(line);
}

void LogBuffer::add(std::string_view line) {
  pending_ += line;
  pending_ += '\n';
}

void LogBuffer::flush() {
  if (pending_.empty()) return;
  write_all(pending_);
  pending_.clear();
}

}  // namespace llmux::telemetry
