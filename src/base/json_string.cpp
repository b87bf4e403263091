#include "base/json_string.hpp"

#include <charconv>

namespace llmux {

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

void append_number(std::string& out, double value) {
  char digits[32];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

namespace {

inline void append_escaped(std::string& out, std::string_view value) {
  constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the bytes not yet copied: copied in runs, not one by one
  for (std::size_t i = find_json_string_stop(value, 0, false); i < value.size();
       i = find_json_string_stop(value, i + 1, false)) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    out.append(value.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[(c >> 4) & 15];
        out += kHex[c & 15];
    }
  }
  out.append(value.data() + run, value.size() - run);
}

}  // namespace

void append_json_string(std::string& out, std::string_view value) {
  out.reserve(out.size() + value.size() + 2);
  out += '"';
  append_escaped(out, value);
  out += '"';
}

void append_json_string_characters(std::string& out, std::string_view value) {
  append_escaped(out, value);
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) return 0;
  }
  return length;
}

void append_valid_utf8(std::string& out, std::string_view text, std::size_t max_bytes) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[pos]);
    const std::size_t length = c < 0x80 ? 1 : utf8_sequence_length(text, pos);
    if (pos + (length == 0 ? 1 : length) > max_bytes) break;
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++pos;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
}

}  // namespace llmux
