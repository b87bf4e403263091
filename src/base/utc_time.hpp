// A moment written as UTC text with a strftime format ("%Y-%m-%d", "%H:%M:%S", ...).
#pragma once

#include <ctime>
#include <string>

namespace llmux {

std::string utc_text(std::time_t seconds, const char* format);

}  // namespace llmux
