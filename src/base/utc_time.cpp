#include "base/utc_time.hpp"

namespace llmux {

std::string utc_text(std::time_t seconds, const char* format) {
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[64];
  const std::size_t length = std::strftime(text, sizeof text, format, &parts);
  return std::string(text, length);
}

}  // namespace llmux
