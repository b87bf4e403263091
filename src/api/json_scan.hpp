// Reads the layout of JSON text without building a document: where each member of an object
// starts and ends. Lets the gateway rewrite one field of an upstream answer by splicing text,
// so every other byte (numbers included) reaches the client exactly as the provider sent it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace llmux::api {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last byte
  std::string_view in(std::string_view text) const { return text.substr(begin, end - begin); }
  bool empty() const { return begin == end; }
};

// Top-level members an answer's rewrite needs; an empty Span means "absent".
struct AnswerLayout {
  Span model;    // the value of "model"
  Span usage;    // the value of "usage"
  Span choices;  // the value of "choices"
  Span error;    // the value of "error"
};

// Scans `text` as one JSON object (whitespace around it allowed). Returns false when it is not
// well-formed JSON or not an object. Keys are matched as written (escapes are not decoded).
bool scan_answer(std::string_view text, AnswerLayout& layout);

// Calls `visit(key, value_span)` for each member of the object at `object` within `text`.
// Returns false when the text there is not a well-formed object.
// `closed`/`end`, when given, report whether the closing brace was reached and where after it.
template <class Visit>
bool for_each_member(std::string_view text, Span object, Visit&& visit, bool* closed = nullptr,
                     std::size_t* end = nullptr);

// True when some element of the array at `choices` has a non-null "finish_reason".
bool any_finish_reason(std::string_view text, Span choices);
// True when the value at `span` is an empty array ("[]" with any inner whitespace).
bool is_empty_array(std::string_view text, Span span);

// `text` with the bytes of `span` replaced by `replacement`, appended to `out`.
void append_spliced(std::string& out, std::string_view text, Span span, std::string_view replacement);

namespace detail {
// Advances `pos` past one JSON value (and the whitespace before it); false when malformed.
bool skip_value(std::string_view text, std::size_t& pos, int depth);
void skip_space(std::string_view text, std::size_t& pos);
bool read_key(std::string_view text, std::size_t& pos, std::string_view& key);
}  // namespace detail

template <class Visit>
bool for_each_member(std::string_view text, Span object, Visit&& visit, bool* closed, std::size_t* end) {
  std::size_t pos = object.begin;
  detail::skip_space(text, pos);
  if (pos >= object.end || text[pos] != '{') return false;
  ++pos;
  detail::skip_space(text, pos);
  auto close = [&] {
    if (closed) *closed = true;
    if (end) *end = pos + 1;
    return true;
  };
  if (pos < object.end && text[pos] == '}') return close();
  while (pos < object.end) {
    std::string_view key;
    if (!detail::read_key(text, pos, key)) return false;
    detail::skip_space(text, pos);
    if (pos >= object.end || text[pos] != ':') return false;
    ++pos;
    detail::skip_space(text, pos);
    const std::size_t value_begin = pos;
    if (!detail::skip_value(text, pos, 1)) return false;
    visit(key, Span{value_begin, pos});
    detail::skip_space(text, pos);
    if (pos >= object.end) return false;
    if (text[pos] == '}') return close();
    if (text[pos] != ',') return false;
    ++pos;
    detail::skip_space(text, pos);
  }
  return false;
}

}  // namespace llmux::api
