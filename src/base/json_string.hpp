// JSON string literals written by hand where building a document would cost more than the text.
#pragma once

#include <string>
#include <string_view>

namespace llmux {

// Appends `value` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view value);

// Length of the well-formed UTF-8 sequence that starts at `pos`, or 0 when it is not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Appends at most `max_bytes` of `text`, cut only between characters, with each byte that is
// not part of valid UTF-8 replaced by U+FFFD: upstream bytes quoted in an error stay valid JSON.
void append_valid_utf8(std::string& out, std::string_view text, std::size_t max_bytes);

}  // namespace llmux
