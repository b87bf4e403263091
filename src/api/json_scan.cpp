#include "api/json_scan.hpp"

#include "base/json_string.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace llmux::api {

namespace detail {

namespace {

constexpr int kMaxDepth = 256;  // deeper nesting is refused: no answer needs it

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The scanner: `i` walks `text`; every step either advances or fails.
class Scanner {
 public:
  Scanner(std::string_view text, std::size_t begin) : s_(text.data()), n_(text.size()), i_(begin) {}

  std::size_t position() const { return i_; }

  void skip_space() { i_ = skip_spaces(std::string_view(s_, n_), i_, n_); }

  bool at(char c) const { return i_ < n_ && s_[i_] == c; }

  // A string starting at the quote under i_; leaves i_ past the closing quote.
  bool string() {
    std::size_t i = i_ + 1;
    while (true) {
      i = find_json_string_stop(std::string_view(s_, n_), i, true);
      if (i >= n_) return false;
      const unsigned char c = static_cast<unsigned char>(s_[i]);
      if (c == '"') {
        i_ = i + 1;
        return true;
      }
      if (c == '\\') {
        if (i + 1 >= n_) return false;
        const char escaped = s_[i + 1];
        if (escaped == 'u') {
          if (i + 6 > n_) return false;
          for (std::size_t h = i + 2; h < i + 6; ++h) {
            if (!is_hex(s_[h])) return false;
          }
          i += 6;
        } else if (escaped == '"' || escaped == '\\' || escaped == '/' || escaped == 'b' ||
                   escaped == 'f' || escaped == 'n' || escaped == 'r' || escaped == 't') {
          i += 2;
        } else {
          return false;
        }
        continue;
      }
      if (c < 0x20) return false;  // raw control characters are not JSON
      const std::size_t length = utf8_sequence_length(std::string_view(s_, n_), i);
      if (length == 0) return false;
      i += length;
    }
  }

  bool number() {
    std::size_t i = i_;
    if (i < n_ && s_[i] == '-') ++i;
    if (i >= n_ || !is_digit(s_[i])) return false;
    if (s_[i] == '0') {
      ++i;  // no leading zeros
    } else {
      while (i < n_ && is_digit(s_[i])) ++i;
    }
    if (i < n_ && s_[i] == '.') {
      ++i;
      if (i >= n_ || !is_digit(s_[i])) return false;
      while (i < n_ && is_digit(s_[i])) ++i;
    }
    if (i < n_ && (s_[i] == 'e' || s_[i] == 'E')) {
      ++i;
      if (i < n_ && (s_[i] == '+' || s_[i] == '-')) ++i;
      if (i >= n_ || !is_digit(s_[i])) return false;
      while (i < n_ && is_digit(s_[i])) ++i;
    }
    i_ = i;
    return true;
  }

  bool literal(std::string_view word) {
    if (n_ - i_ < word.size() || std::string_view(s_ + i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  char current() const { return s_[i_]; }
  void advance() { ++i_; }
  std::string_view slice(std::size_t begin, std::size_t end) const {
    return {s_ + begin, end - begin};
  }

 private:
  const char* s_;
  std::size_t n_;
  std::size_t i_;
};

}  // namespace

namespace {

// Where a scan notes the string values it reads (as spans from quote to quote), up to `capacity`.
struct StringValues {
  Span* spans;
  std::size_t capacity;
  std::size_t count;
};

// The one scanning loop: from the start of a value, or (`inside_object`) from just after a ','
// between two members of the outermost object, whose opening brace and earlier members were read.
bool scan_from(std::string_view text, std::size_t begin, std::size_t& end, MemberSink* sink,
               bool inside_object, StringValues* strings = nullptr) {
  Scanner scan(text, begin);
  std::array<char, kMaxDepth> stack;  // '{' or '[' of each open container
  int depth = 0;
  std::string_view member_key;  // the outermost object's member being read
  std::size_t member_begin = 0;
  bool member_pending = false;
  const MemberSink::ElementMember wanted =
      sink ? sink->wanted_element_member() : MemberSink::ElementMember{};
  const bool element_members = !wanted.key.empty();
  std::size_t element_begin = 0;  // the wanted member of an object inside a top-level array
  bool element_pending = false;

  // Whitespace is skipped where a state is entered (here, after '{', '[', ',' and ':'), never
  // twice: each skip is a call per token.
  enum class Expect { value, key, after_value } expect = Expect::value;
  if (inside_object) {  // after a ',' of the outermost object
    stack[depth++] = '{';
    expect = Expect::key;
  }
  scan.skip_space();
  while (true) {
    switch (expect) {
      case Expect::value: {
        if (scan.position() >= text.size()) return false;
        const char c = scan.current();
        if (c == '{' || c == '[') {
          if (depth == kMaxDepth) return false;
          stack[depth++] = c;
          scan.advance();
          scan.skip_space();
          if (scan.at(c == '{' ? '}' : ']')) {
            scan.advance();
            --depth;
            expect = Expect::after_value;
          } else {
            expect = c == '{' ? Expect::key : Expect::value;
          }
          break;
        }
        bool ok;
        if (c == '"') {
          const std::size_t quote = scan.position();
          ok = scan.string();
          if (strings && strings->count < strings->capacity)
            strings->spans[strings->count++] = Span{quote, scan.position()};
        } else if (c == 't')
          ok = scan.literal("true");
        else if (c == 'f')
          ok = scan.literal("false");
        else if (c == 'n')
          ok = scan.literal("null");
        else
          ok = scan.number();
        if (!ok) return false;
        expect = Expect::after_value;
        break;
      }
      case Expect::key: {
        if (!scan.at('"')) return false;
        const std::size_t key_begin = scan.position() + 1;
        if (!scan.string()) return false;
        const std::size_t key_end = scan.position() - 1;
        scan.skip_space();
        if (!scan.at(':')) return false;
        scan.advance();
        scan.skip_space();
        if (depth == 1) {
          member_key = scan.slice(key_begin, key_end);
          member_begin = scan.position();
          member_pending = true;
        } else if (element_members && depth == 3 && stack[1] == '[' &&
                   scan.slice(key_begin, key_end) == wanted.key && member_key == wanted.array_key) {
          element_begin = scan.position();
          element_pending = true;
        }
        expect = Expect::value;
        break;
      }
      case Expect::after_value: {
        if (depth == 3 && element_pending) {
          element_pending = false;
          sink->element_member(Span{element_begin, scan.position()});
        }
        if (depth == 1 && member_pending) {
          member_pending = false;
          if (sink) sink->member(member_key, Span{member_begin, scan.position()});
        }
        if (depth == 0) {
          end = scan.position();
          return true;
        }
        scan.skip_space();
        if (scan.position() >= text.size()) return false;
        const char c = scan.current();
        const char open = stack[depth - 1];
        if (c == ',') {
          scan.advance();
          scan.skip_space();
          expect = open == '{' ? Expect::key : Expect::value;
        } else if ((c == '}' && open == '{') || (c == ']' && open == '[')) {
          scan.advance();
          --depth;
        } else {
          return false;
        }
        break;
      }
    }
  }
}

}  // namespace

bool scan_value(std::string_view text, std::size_t begin, std::size_t& end, MemberSink* sink) {
  return scan_from(text, begin, end, sink, false);
}

namespace {

// Past the closing quote of the well-formed string whose opening quote is at text[quote].
std::size_t end_of_valid_string(std::string_view text, std::size_t quote) {
  std::size_t pos = quote + 1;
  while (true) {
    pos = find_json_string_stop(text, pos, false);  // in a well-formed string: '"' or '\\'
    if (pos >= text.size()) return text.size();
    if (text[pos] == '"') return pos + 1;
    pos += 2;  // an escape; \uXXXX's hex digits hold no quote or backslash
  }
}

}  // namespace

std::size_t end_of_valid_value(std::string_view text, std::size_t pos) {
  const std::size_t size = text.size();
  if (pos >= size) return size;
  const char first = text[pos];
  if (first == '"') return end_of_valid_string(text, pos);
  if (first != '{' && first != '[') {  // a number or a literal: up to what follows it
    while (pos < size && text[pos] != ',' && text[pos] != '}' && text[pos] != ']' &&
           !is_space(text[pos]))
      ++pos;
    return pos;
  }
  int depth = 0;
  while (pos < size) {
    const char c = text[pos];
    if (c == '"') {
      pos = end_of_valid_string(text, pos);
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return pos + 1;
    }
    ++pos;
  }
  return size;
}

}  // namespace detail

namespace {

// Fills an AnswerLayout from the members of an answer.
class AnswerSink : public detail::MemberSink {
 public:
  AnswerSink(std::string_view text, AnswerLayout& layout) : text_(text), layout_(layout) {}

  void member(std::string_view key, Span value) override {
    if (key == "model")
      layout_.model = value;
    else if (key == "usage")
      layout_.usage = value;
    else if (key == "choices")
      layout_.choices = value;
    // Only a present, non-null error counts: OpenAI SDKs treat a falsy "error" as no error.
    else if (key == "error" && value.in(text_) != "null" && value.in(text_) != "false")
      layout_.error = value;
  }
  ElementMember wanted_element_member() const override { return {"choices", "finish_reason"}; }
  void element_member(Span value) override {
    if (value.in(text_) != "null") layout_.finish_reason = true;
  }

 protected:
  ~AnswerSink() = default;

  std::string_view text_;
  AnswerLayout& layout_;
};

class WholeAnswerSink final : public AnswerSink {
 public:
  using AnswerSink::AnswerSink;
};

// Nothing but whitespace may follow the object.
bool ends_after(std::string_view text, std::size_t end) {
  return detail::skip_spaces(text, end, text.size()) == text.size();
}

}  // namespace

bool scan_answer(std::string_view text, AnswerLayout& layout) {
  layout = {};
  const std::size_t begin = detail::skip_spaces(text, 0, text.size());
  if (begin >= text.size() || text[begin] != '{') return false;
  WholeAnswerSink sink(text, layout);
  std::size_t end = 0;
  return detail::scan_value(text, begin, end, &sink) && ends_after(text, end);
}

namespace {

// An AnswerSink that also notes, at each top-level key, the layout of the members before it.
class ResumeRecorder final : public AnswerSink {
 public:
  using Resume = ChunkScanner::Resume;

  ResumeRecorder(std::string_view text, AnswerLayout& layout, Resume* resumes, std::size_t count)
      : AnswerSink(text, layout), resumes_(resumes), count_(count), settled_(layout) {}

  void member(std::string_view key, Span value) override {
    // The key's view points into the text, just past its opening quote. The first key is not a
    // resume point: a chunk that shares only the "{" before it may be "{}".
    const std::size_t key_begin = static_cast<std::size_t>(key.data() - text_.data()) - 1;
    if (count_ < ChunkScanner::kMaxResumes && follows_comma(key_begin)) {
      resumes_[count_++] = Resume{.key_begin = key_begin, .before = settled_};
    }
    AnswerSink::member(key, value);
    settled_ = layout_;  // element members of this value (finish_reason) are in it now
  }

  std::size_t count() const { return count_; }

 private:
  bool follows_comma(std::size_t pos) const {
    while (pos > 0 && detail::is_space(text_[pos - 1])) --pos;
    return pos > 0 && text_[pos - 1] == ',';
  }

  Resume* resumes_;
  std::size_t count_;
  AnswerLayout settled_;  // the layout as of the end of the last member
};

#if defined(__SSE2__)
// Bit k set where the 16 bytes at `x` and `y` differ in byte k.
unsigned differing_bytes(const char* x, const char* y) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(y));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b))) ^ 0xFFFFu;
}
#endif

// How many leading bytes `a` and `b` have in common.
std::size_t common_prefix(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
#if defined(__SSE2__)
  if (n >= 16) {
    for (; i + 16 <= n; i += 16) {
      if (const unsigned differ = differing_bytes(a.data() + i, b.data() + i))
        return i + std::countr_zero(differ);
    }
    // The last 16 bytes, overlapping what was compared: bytes before i are known to be equal.
    const unsigned differ = differing_bytes(a.data() + n - 16, b.data() + n - 16);
    return differ ? n - 16 + std::countr_zero(differ) : n;
  }
#endif
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// How many trailing bytes `a` and `b` have in common, at most `limit`.
std::size_t common_suffix(std::string_view a, std::string_view b, std::size_t limit) {
  const char* const a_end = a.data() + a.size();
  const char* const b_end = b.data() + b.size();
  std::size_t i = 0;  // bytes compared, from the end
#if defined(__SSE2__)
  // Byte k of a block is 15 - k bytes before the block's end: the highest differing bit is the
  // difference nearest the end.
  if (limit >= 16) {
    for (; i + 16 <= limit; i += 16) {
      if (const unsigned differ = differing_bytes(a_end - i - 16, b_end - i - 16))
        return i + static_cast<std::size_t>(std::countl_zero(differ << 16));
    }
    const unsigned differ = differing_bytes(a_end - limit, b_end - limit);
    return differ ? limit - 16 + static_cast<std::size_t>(std::countl_zero(differ << 16)) : limit;
  }
#endif
  while (i < limit &&
         a_end[-1 - static_cast<std::ptrdiff_t>(i)] == b_end[-1 - static_cast<std::ptrdiff_t>(i)])
    ++i;
  return i;
}

}  // namespace

std::size_t ChunkScanner::changed_string(std::string_view text) const {
  const std::string_view old = remembered_;
  // Content chunks change the same string each time: try the one that changed last first.
  if (last_changed_ < string_count_) {
    const Span string = strings_[last_changed_];
    const std::size_t tail = old.size() - (string.end - 1);  // from its closing quote on
    if (text.size() >= string.begin + 1 + tail &&
        std::memcmp(text.data(), old.data(), string.begin + 1) == 0 &&
        std::memcmp(text.data() + text.size() - tail, old.data() + string.end - 1, tail) == 0) {
      return last_changed_;
    }
  }
  const std::size_t same_start = common_prefix(text, old);
  if (same_start == text.size() && same_start == old.size()) return kSameChunk;
  const std::size_t same_end =
      common_suffix(text, old, std::min(text.size(), old.size()) - same_start);
  // The last remembered string that opens before the first changed byte must close after the
  // last one: then the change lies inside it.
  std::size_t index = string_count_;
  while (index > 0 && strings_[index - 1].begin >= same_start) --index;
  if (index == 0) return string_count_;
  if (strings_[index - 1].end - 1 < old.size() - same_end) return string_count_;  // closes before
  return index - 1;
}

bool ChunkScanner::scan_changed_string(std::string_view text, AnswerLayout& layout) {
  const std::size_t index = changed_string(text);
  if (index == kSameChunk) {
    layout = remembered_layout_;
    last_resumed_at_ = text.size();
    return true;
  }
  if (index == string_count_) return false;
  const Span string = strings_[index];
  const std::size_t old_size = remembered_.size();
  // In `text` the closing quote is where the unchanged tail puts it; the string must end there.
  const std::size_t closing = string.end - 1 + text.size() - old_size;
  detail::Scanner scan(text, string.begin);
  if (!scan.string() || scan.position() != closing + 1) return false;
  // Every span that ends after the string's opening quote contains the string or follows it.
  auto move = [&](Span& span) {
    if (span.begin > string.begin) span.begin = span.begin + text.size() - old_size;
    if (span.end > string.begin) span.end = span.end + text.size() - old_size;
  };
  layout = remembered_layout_;
  move(layout.model);
  move(layout.usage);
  move(layout.choices);
  move(layout.error);
  last_resumed_at_ = string.begin;
  last_changed_ = index;
  return true;
}

bool ChunkScanner::scan(std::string_view text, AnswerLayout& layout) {
  if (!remembered_.empty() && scan_changed_string(text, layout)) return true;
  // The last remembered key whose preceding bytes this chunk repeats (none: resume_count_).
  std::size_t resume = resume_count_;
  if (resume_count_ > 0) {
    const std::size_t last = resumes_[resume_count_ - 1].key_begin;
    if (text.size() > last && std::memcmp(text.data(), remembered_.data(), last) == 0) {
      resume = resume_count_ - 1;
    } else {
      const std::size_t same = common_prefix(text, remembered_);
      while (resume > 0 && resumes_[resume - 1].key_begin > same) --resume;
      resume = resume == 0 ? resume_count_ : resume - 1;
    }
  }
  // The scan records this chunk's keys and strings from the resumed key on, over the remembered
  // chunk's: those before it are the same.
  std::size_t end = 0;
  bool scanned;
  std::size_t recorded;
  detail::StringValues strings{.spans = strings_.data(), .capacity = kMaxStrings, .count = 0};
  if (resume < resume_count_) {
    layout = resumes_[resume].before;
    last_resumed_at_ = resumes_[resume].key_begin;
    while (strings.count < string_count_ && strings_[strings.count].begin < last_resumed_at_)
      ++strings.count;
    ResumeRecorder sink(text, layout, resumes_.data(), resume);
    scanned = detail::scan_from(text, last_resumed_at_, end, &sink, true, &strings) &&
              ends_after(text, end);
    recorded = sink.count();
  } else {
    layout = {};
    last_resumed_at_ = 0;
    const std::size_t begin = detail::skip_spaces(text, 0, text.size());
    ResumeRecorder sink(text, layout, resumes_.data(), 0);
    scanned = begin < text.size() && text[begin] == '{' &&
              detail::scan_from(text, begin, end, &sink, false, &strings) && ends_after(text, end);
    recorded = sink.count();
  }
  last_changed_ = kMaxStrings;  // the string indices change
  if (!scanned) {  // the records may be half overwritten: start again with the next chunk
    resume_count_ = 0;
    string_count_ = 0;
    remembered_.clear();
    return false;
  }
  // This chunk becomes the one remembered.
  resume_count_ = recorded;
  string_count_ = strings.count;
  remembered_.assign(text);
  remembered_layout_ = layout;
  return true;
}

bool is_empty_array(std::string_view text, Span span) {
  std::size_t pos = span.begin;
  if (pos >= span.end || text[pos] != '[') return false;
  ++pos;
  pos = detail::skip_spaces(text, pos, span.end);
  return pos < span.end && text[pos] == ']';
}

namespace {

// The id in the well-formed object at text[pos], as answer_id reads it; nested: inside a
// "message" or "response" member already (its own "message" is not looked into).
std::string_view id_in_object(std::string_view text, std::size_t pos, bool nested) {
  const std::size_t size = text.size();
  pos = detail::skip_spaces(text, pos, size);
  if (pos >= size || text[pos] != '{') return {};
  pos = detail::skip_spaces(text, pos + 1, size);
  while (pos < size && text[pos] == '"') {
    const std::size_t key_end = detail::end_of_valid_value(text, pos);
    if (key_end < pos + 2) return {};
    const std::string_view key = text.substr(pos + 1, key_end - pos - 2);
    pos = detail::skip_spaces(text, key_end, size);
    if (pos >= size || text[pos] != ':') return {};
    const std::size_t value = detail::skip_spaces(text, pos + 1, size);
    if (value >= size || text[value] == '[') return {};
    if (key == "id") {
      const std::size_t end = detail::end_of_valid_value(text, value);
      if (text[value] != '"' || end < value + 2 || text[end - 1] != '"') return {};
      const std::string_view id = text.substr(value + 1, end - value - 2);
      const bool plain = id.size() <= kMaxAnswerIdBytes && id.find('\\') == std::string_view::npos;
      return plain ? id : std::string_view();
    }
    if (!nested && text[value] == '{' && (key == "message" || key == "response"))
      return id_in_object(text, value, true);
    pos = detail::skip_spaces(text, detail::end_of_valid_value(text, value), size);
    if (pos >= size || text[pos] != ',') return {};
    pos = detail::skip_spaces(text, pos + 1, size);
  }
  return {};
}

}  // namespace

std::string_view answer_id(std::string_view text) { return id_in_object(text, 0, false); }

std::string_view stream_answer_id(std::string_view frames) {
  constexpr std::string_view kData = "data:";
  std::size_t line = 0;
  while (line < frames.size() && frames.substr(line, kData.size()) != kData) {
    line = frames.find('\n', line);
    if (line == std::string_view::npos) return {};
    ++line;
  }
  if (line >= frames.size()) return {};
  const std::size_t data = line + kData.size();
  const std::size_t end = frames.find('\n', data);
  return answer_id(frames.substr(data, end == std::string_view::npos ? end : end - data));
}

void append_spliced(std::string& out, std::string_view text, Span span,
                    std::string_view replacement) {
  out.append(text.substr(0, span.begin));
  out.append(replacement);
  out.append(text.substr(span.end));
}

}  // namespace llmux::api
