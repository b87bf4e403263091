#include "api/json_scan.hpp"

#include "base/json_string.hpp"

#include <array>

namespace llmux::api {

namespace detail {

namespace {

constexpr int kMaxDepth = 256;  // deeper nesting is refused rather than risking the stack

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Bytes a string scan must look at: the quote, the backslash, control characters and the
// start of multi-byte UTF-8. Every other byte is skipped by one table lookup.
constexpr auto kStringStops = [] {
  std::array<bool, 256> stops{};
  for (int c = 0; c < 0x20; ++c) stops[c] = true;
  for (int c = 0x80; c < 0x100; ++c) stops[c] = true;
  stops['"'] = true;
  stops['\\'] = true;
  return stops;
}();

bool skip_string(std::string_view text, std::size_t& position) {
  std::size_t pos = position + 1;  // past the opening quote; a local so it stays in a register
  const bool ok = [&] {
    while (true) {
      while (pos < text.size() && !kStringStops[static_cast<unsigned char>(text[pos])]) ++pos;
      if (pos >= text.size()) return false;
      const unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c == '\\') {
        if (pos + 1 >= text.size()) return false;
        const char escaped = text[pos + 1];
        if (escaped == 'u') {
          if (pos + 6 > text.size()) return false;
          for (std::size_t i = pos + 2; i < pos + 6; ++i) {
            if (!is_hex(text[i])) return false;
          }
          pos += 6;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(escaped) == std::string_view::npos) return false;
        pos += 2;
        continue;
      }
      if (c < 0x20) return false;  // raw control characters are not JSON
      const std::size_t length = utf8_sequence_length(text, pos);
      if (length == 0) return false;
      pos += length;
    }
  }();
  position = pos;
  return ok;
}

bool skip_number(std::string_view text, std::size_t& pos) {
  const std::size_t start = pos;
  if (pos < text.size() && text[pos] == '-') ++pos;
  if (pos >= text.size() || !is_digit(text[pos])) return false;
  if (text[pos] == '0') {
    ++pos;  // JSON allows no leading zeros
  } else {
    while (pos < text.size() && is_digit(text[pos])) ++pos;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    if (pos >= text.size() || !is_digit(text[pos])) return false;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
  }
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (pos >= text.size() || !is_digit(text[pos])) return false;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
  }
  return pos > start;
}

bool skip_literal(std::string_view text, std::size_t& pos, std::string_view literal) {
  if (text.substr(pos, literal.size()) != literal) return false;
  pos += literal.size();
  return true;
}

}  // namespace

void skip_space(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && is_space(text[pos])) ++pos;
}

bool read_key(std::string_view text, std::size_t& pos, std::string_view& key) {
  if (pos >= text.size() || text[pos] != '"') return false;
  const std::size_t start = pos + 1;
  if (!skip_string(text, pos)) return false;
  key = text.substr(start, pos - 1 - start);
  return true;
}

bool skip_value(std::string_view text, std::size_t& pos, int depth) {
  if (depth > kMaxDepth) return false;
  skip_space(text, pos);
  if (pos >= text.size()) return false;
  switch (text[pos]) {
    case '"': return skip_string(text, pos);
    case 't': return skip_literal(text, pos, "true");
    case 'f': return skip_literal(text, pos, "false");
    case 'n': return skip_literal(text, pos, "null");
    case '[': {
      ++pos;
      skip_space(text, pos);
      if (pos < text.size() && text[pos] == ']') {
        ++pos;
        return true;
      }
      while (true) {
        if (!skip_value(text, pos, depth + 1)) return false;
        skip_space(text, pos);
        if (pos >= text.size()) return false;
        if (text[pos] == ']') {
          ++pos;
          return true;
        }
        if (text[pos] != ',') return false;
        ++pos;
      }
    }
    case '{': {
      ++pos;
      skip_space(text, pos);
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        return true;
      }
      while (true) {
        skip_space(text, pos);
        std::string_view key;
        if (!read_key(text, pos, key)) return false;
        skip_space(text, pos);
        if (pos >= text.size() || text[pos] != ':') return false;
        ++pos;
        if (!skip_value(text, pos, depth + 1)) return false;
        skip_space(text, pos);
        if (pos >= text.size()) return false;
        if (text[pos] == '}') {
          ++pos;
          return true;
        }
        if (text[pos] != ',') return false;
        ++pos;
      }
    }
    default: return skip_number(text, pos);
  }
}

}  // namespace detail

bool scan_answer(std::string_view text, AnswerLayout& layout) {
  layout = {};
  std::size_t begin = 0;
  detail::skip_space(text, begin);
  // One pass: for_each_member validates every value as it finds the members' spans.
  bool closed = false;
  std::size_t end = begin;
  const bool ok = for_each_member(text, Span{begin, text.size()}, [&](std::string_view key, Span value) {
    end = value.end;
    if (key == "model") layout.model = value;
    else if (key == "usage") layout.usage = value;
    else if (key == "choices") layout.choices = value;
    // Only a present, non-null error counts: OpenAI SDKs treat a falsy "error" as no error.
    else if (key == "error" && value.in(text) != "null" && value.in(text) != "false") layout.error = value;
  }, &closed, &end);
  if (!ok || !closed) return false;
  detail::skip_space(text, end);
  return end == text.size();  // nothing may follow the object
}

bool any_finish_reason(std::string_view text, Span choices) {
  std::size_t pos = choices.begin;
  detail::skip_space(text, pos);
  if (pos >= choices.end || text[pos] != '[') return false;
  ++pos;
  bool found = false;
  while (pos < choices.end && !found) {
    detail::skip_space(text, pos);
    if (pos >= choices.end || text[pos] == ']') break;
    const std::size_t element_begin = pos;
    if (!detail::skip_value(text, pos, 1)) return false;
    if (text[element_begin] == '{') {
      for_each_member(text, Span{element_begin, pos}, [&](std::string_view key, Span value) {
        if (key == "finish_reason" && value.in(text) != "null") found = true;
      });
    }
    detail::skip_space(text, pos);
    if (pos < choices.end && text[pos] == ',') ++pos;
  }
  return found;
}

bool is_empty_array(std::string_view text, Span span) {
  std::size_t pos = span.begin;
  if (pos >= span.end || text[pos] != '[') return false;
  ++pos;
  detail::skip_space(text, pos);
  return pos < span.end && text[pos] == ']';
}

void append_spliced(std::string& out, std::string_view text, Span span, std::string_view replacement) {
  out.append(text.substr(0, span.begin));
  out.append(replacement);
  out.append(text.substr(span.end));
}

}  // namespace llmux::api
