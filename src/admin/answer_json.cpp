#include "admin/answer_json.hpp"

#include <cstdio>
#include <ctime>

namespace llmux::admin {

namespace json = boost::json;

json::array strings_json(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) array.emplace_back(item);
  return array;
}

json::value iso_time(std::optional<store::Millis> millis) {
  if (!millis) return nullptr;
  const std::time_t seconds = static_cast<std::time_t>(*millis / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::snprintf(text + length, sizeof text - length, ".%03dZ", static_cast<int>(*millis % 1000));
  return json::string(text);
}

}  // namespace llmux::admin
