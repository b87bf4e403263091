// JSON string literals written by hand where building a document would cost more than the text.
#pragma once

#include <string>
#include <string_view>

namespace llmux {

// Appends `value` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view value);

}  // namespace llmux
