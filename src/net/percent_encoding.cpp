#include "net/percent_encoding.hpp"

namespace llmux::net {

namespace {

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

}  // namespace

void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
}

std::string percent_encoded(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  append_percent_encoded(out, text, keep_slash);
  return out;
}

}  // namespace llmux::net
