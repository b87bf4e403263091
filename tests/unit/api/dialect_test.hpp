// Helpers of the dialect tests: recorded wire fixtures, and the events of an SSE text.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace llmux::api::test {

inline std::string read_fixture(const std::string& name) {
  std::ifstream file(std::string(LLMUX_FIXTURES_DIR) + "/wire/" + name, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Each event's (event name, data) of a well-formed SSE text (one data line per event).
inline std::vector<std::pair<std::string, std::string>> sse_events(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> events;
  std::pair<std::string, std::string> current;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("event: ", 0) == 0) current.first = line.substr(7);
    if (line.rfind("data: ", 0) == 0) current.second = line.substr(6);
    if (line.empty() && !current.second.empty()) events.push_back(std::exchange(current, {}));
  }
  if (!current.second.empty()) events.push_back(current);
  return events;
}

inline std::vector<std::string> sse_data(const std::string& text) {
  std::vector<std::string> data;
  for (auto& [event, value] : sse_events(text)) data.push_back(std::move(value));
  return data;
}

}  // namespace llmux::api::test
