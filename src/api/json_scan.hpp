// Reads the layout of JSON text without building a document: where each member of an object
// starts and ends. Lets the gateway rewrite one field of an upstream answer by splicing text,
// so every other byte (numbers included) reaches the client exactly as the provider sent it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

namespace llmux::api {

struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past the last byte
  std::string_view in(std::string_view text) const { return text.substr(begin, end - begin); }
  bool empty() const { return begin == end; }
};

// Top-level members an answer's rewrite needs; an empty Span means "absent".
struct AnswerLayout {
  Span model;                  // the value of "model"
  Span usage;                  // the value of "usage"
  Span choices;                // the value of "choices"
  Span error;                  // the value of "error", when it is neither null nor false
  bool finish_reason = false;  // some element of "choices" has a non-null "finish_reason"
};

// Scans `text` as one JSON object (whitespace around it allowed). Returns false when it is not
// well-formed JSON (RFC 8259, UTF-8 checked) or not an object. Keys are matched as written
// (escapes are not decoded).
bool scan_answer(std::string_view text, AnswerLayout& layout);

// Scans the chunks of one stream as scan_answer does (each one validated in full, the same
// layout), without scanning again what a chunk shares with the chunk before it. Two shortcuts,
// both exact:
//  - a chunk that differs from the remembered one only inside one string value (the usual
//    content chunk: same id, model, …, another piece of text) has only that string scanned: the
//    bytes around it are the remembered chunk's, read in the same scanner state, and the layout
//    is the remembered one moved by the change in length;
//  - else a chunk that begins with the same bytes as the remembered one up to one of its
//    top-level keys is scanned from that key on, with the layout of the members before it taken
//    over: the scan's state at a top-level key depends only on the bytes before it.
// A chunk scanned by the second way (or whole) becomes the remembered one.
class ChunkScanner {
 public:
  bool scan(std::string_view text, AnswerLayout& layout);

  // Where the last scan started: 0 for a whole scan, else the byte offset of the top-level key it
  // resumed at, or of the opening quote of the one string it scanned; the chunk's size when it
  // was the remembered chunk again.
  std::size_t last_resumed_at() const { return last_resumed_at_; }

  // A top-level key of the remembered chunk (any but the first) and the layout of the members
  // before it.
  struct Resume {
    std::size_t key_begin = 0;  // the key's opening quote
    AnswerLayout before;
  };
  static constexpr std::size_t kMaxResumes = 12;  // members past these are always scanned
  // The string values of the remembered chunk, in order, each from its opening quote to one past
  // its closing quote; a change in a string past these is scanned the second way.
  static constexpr std::size_t kMaxStrings = 24;

 private:
  // The index in strings_ of the one string `text` may differ in from the remembered chunk
  // (string_count_: none; kSameChunk: `text` is the remembered chunk); scan_changed_string checks
  // it.
  static constexpr std::size_t kSameChunk = kMaxStrings + 1;
  std::size_t changed_string(std::string_view text) const;
  bool scan_changed_string(std::string_view text, AnswerLayout& layout);

  std::string remembered_;  // the remembered chunk
  AnswerLayout remembered_layout_;
  std::array<Resume, kMaxResumes> resumes_;
  std::size_t resume_count_ = 0;
  std::array<Span, kMaxStrings> strings_;
  std::size_t string_count_ = 0;
  std::size_t last_changed_ = kMaxStrings;  // the string the last shortcut scanned, if any
  std::size_t last_resumed_at_ = 0;
};

// Calls `visit(key, value_span)` for each member of the object at `object` within `text`.
// Returns false when the text there is not a well-formed object.
template <class Visit>
bool for_each_member(std::string_view text, Span object, Visit&& visit);

// The same for an object already known to be well-formed JSON (a request body parse_request
// accepted): only strings and nesting are followed, nothing is validated again, so it costs a
// fraction of for_each_member. Text that is not well-formed gives meaningless spans (never a read
// outside `text`).
template <class Visit>
void for_each_member_of_valid(std::string_view text, Visit&& visit);

// Calls `visit(element_span)` for each element of the array at `array` within `text`, in order.
// Returns false when the text there is not a well-formed array.
template <class Visit>
bool for_each_element(std::string_view text, Span array, Visit&& visit);

// The same for an array within text already known to be well-formed JSON (a chunk a scan
// accepted): only strings and nesting are followed, as for_each_member_of_valid does. Text that
// is not well-formed gives meaningless spans (never an empty one, never one outside `text`).
template <class Visit>
void for_each_element_of_valid(std::string_view text, Span array, Visit&& visit);

// True when the value at `span` is an empty array ("[]" with any inner whitespace).
bool is_empty_array(std::string_view text, Span span);

// The id a client sees in an answer (LiteLLM's spend log keeps it as the call's request_id): the
// top-level "id" string ("chatcmpl-…", "msg_…", "resp_…"), or that of a top-level "message" or
// "response" object (Anthropic's message_start event, the Responses API's events). Only the
// members before the first array are read (every answer names its id before its choices, data or
// content; an embeddings answer has none), so a large answer costs nothing more. Empty when there
// is none, or when it holds an escape or is longer than kMaxAnswerIdBytes. `text` is JSON the
// gateway sends (well-formed): nothing is validated again.
inline constexpr std::size_t kMaxAnswerIdBytes = 128;
std::string_view answer_id(std::string_view text);
// The same of a stream, from its first frames ("data: {…}" SSE events, any "event:" lines
// first): the id of the first event's data.
std::string_view stream_answer_id(std::string_view frames);

// `text` with the bytes of `span` replaced by `replacement`, appended to `out`.
void append_spliced(std::string& out, std::string_view text, Span span,
                    std::string_view replacement);

namespace detail {

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The first position at or after `pos` (before `end`) that is not JSON whitespace. Compact JSON
// has none, so one comparison settles the usual case.
inline std::size_t skip_spaces(std::string_view text, std::size_t pos, std::size_t end) {
  while (pos < end && static_cast<unsigned char>(text[pos]) <= ' ' && is_space(text[pos])) ++pos;
  return pos;
}

// Receives the members of the outermost value, when it is an object.
class MemberSink {
 public:
  virtual void member(std::string_view key, Span value) = 0;

  // One member of the objects that are elements of a top-level array member, as
  // {"choices", "finish_reason"} for {"choices":[{…,"finish_reason":…}]}; empty: none. The scan
  // hands the value of each such member to element_member.
  struct ElementMember {
    std::string_view array_key;
    std::string_view key;
  };
  virtual ElementMember wanted_element_member() const { return {}; }
  virtual void element_member(Span value) { (void)value; }

 protected:
  ~MemberSink() = default;
};

// Validates the one JSON value that starts at text[begin] (whitespace first allowed) and sets
// `end` just past it. One iterative pass with an explicit stack: no recursion, no allocation.
bool scan_value(std::string_view text, std::size_t begin, std::size_t& end, MemberSink* sink);

// Where the well-formed JSON value at text[pos] ends (no whitespace before it), following only
// strings and nesting; at most text.size().
std::size_t end_of_valid_value(std::string_view text, std::size_t pos);

template <class Visit>
class MemberVisitor final : public MemberSink {
 public:
  explicit MemberVisitor(Visit& visit) : visit_(visit) {}
  void member(std::string_view key, Span value) override { visit_(key, value); }

 private:
  Visit& visit_;
};

}  // namespace detail

template <class Visit>
bool for_each_member(std::string_view text, Span object, Visit&& visit) {
  const std::size_t begin = detail::skip_spaces(text, object.begin, object.end);
  if (begin >= object.end || text[begin] != '{') return false;
  detail::MemberVisitor<std::remove_reference_t<Visit>> sink(visit);
  std::size_t end = 0;
  return detail::scan_value(text.substr(0, object.end), begin, end, &sink);
}

template <class Visit>
void for_each_member_of_valid(std::string_view text, Visit&& visit) {
  const std::size_t size = text.size();
  std::size_t pos = detail::skip_spaces(text, 0, size);
  if (pos >= size || text[pos] != '{') return;
  pos = detail::skip_spaces(text, pos + 1, size);
  while (pos < size && text[pos] == '"') {
    const std::size_t key_end = detail::end_of_valid_value(text, pos);
    if (key_end < pos + 2 || text[key_end - 1] != '"') return;  // cut short: not well-formed
    const std::string_view key = text.substr(pos + 1, key_end - pos - 2);
    pos = detail::skip_spaces(text, key_end, size);
    if (pos >= size || text[pos] != ':') return;
    const std::size_t value_begin = detail::skip_spaces(text, pos + 1, size);
    const std::size_t value_end = detail::end_of_valid_value(text, value_begin);
    visit(key, Span{value_begin, value_end});
    pos = detail::skip_spaces(text, value_end, size);  // at the ',' or the closing '}'
    if (pos >= size || text[pos] != ',') return;
    pos = detail::skip_spaces(text, pos + 1, size);
  }
}

template <class Visit>
bool for_each_element(std::string_view text, Span array, Visit&& visit) {
  const std::string_view bounded = text.substr(0, array.end);
  std::size_t pos = detail::skip_spaces(bounded, array.begin, array.end);
  if (pos >= array.end || bounded[pos] != '[') return false;
  pos = detail::skip_spaces(bounded, pos + 1, array.end);
  if (pos < array.end && bounded[pos] == ']') return true;
  while (pos < array.end) {
    std::size_t end = 0;
    if (!detail::scan_value(bounded, pos, end, nullptr)) return false;
    visit(Span{pos, end});
    pos = detail::skip_spaces(bounded, end, array.end);
    if (pos >= array.end) return false;
    if (bounded[pos] == ']') return true;
    if (bounded[pos] != ',') return false;
    pos = detail::skip_spaces(bounded, pos + 1, array.end);
  }
  return false;
}

template <class Visit>
void for_each_element_of_valid(std::string_view text, Span array, Visit&& visit) {
  const std::string_view bounded = text.substr(0, std::min(array.end, text.size()));
  const std::size_t size = bounded.size();
  std::size_t pos = detail::skip_spaces(bounded, array.begin, size);
  if (pos >= size || bounded[pos] != '[') return;
  pos = detail::skip_spaces(bounded, pos + 1, size);
  while (pos < size && bounded[pos] != ']') {
    const std::size_t end = detail::end_of_valid_value(bounded, pos);
    if (end <= pos) return;  // not a value: not well-formed
    visit(Span{pos, end});
    pos = detail::skip_spaces(bounded, end, size);
    if (pos >= size || bounded[pos] != ',') return;
    pos = detail::skip_spaces(bounded, pos + 1, size);
  }
}

}  // namespace llmux::api
