#include "api/json_scan.hpp"

#include "base/json_string.hpp"

#include <array>

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

  void skip_space() {
    i_ = skip_spaces(std::string_view(s_, n_), i_, n_);
  }

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
  std::string_view slice(std::size_t begin, std::size_t end) const { return {s_ + begin, end - begin}; }

 private:
  const char* s_;
  std::size_t n_;
  std::size_t i_;
};

}  // namespace

bool scan_value(std::string_view text, std::size_t begin, std::size_t& end, MemberSink* sink) {
  Scanner scan(text, begin);
  std::array<char, kMaxDepth> stack;  // '{' or '[' of each open container
  int depth = 0;
  std::string_view member_key;       // the outermost object's member being read
  std::size_t member_begin = 0;
  bool member_pending = false;
  const bool element_members = sink && sink->wants_element_members();
  std::string_view element_key;      // a member of an object inside a top-level array member
  std::size_t element_begin = 0;
  bool element_pending = false;

  // Whitespace is skipped where a state is entered (here, after '{', '[', ',' and ':'), never
  // twice: each skip is a call per token.
  enum class Expect { value, key, after_value } expect = Expect::value;
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
        if (c == '"') ok = scan.string();
        else if (c == 't') ok = scan.literal("true");
        else if (c == 'f') ok = scan.literal("false");
        else if (c == 'n') ok = scan.literal("null");
        else ok = scan.number();
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
        } else if (element_members && depth == 3 && stack[1] == '[') {
          element_key = scan.slice(key_begin, key_end);
          element_begin = scan.position();
          element_pending = true;
        }
        expect = Expect::value;
        break;
      }
      case Expect::after_value: {
        if (depth == 3 && element_pending) {
          element_pending = false;
          sink->element_member(member_key, element_key, Span{element_begin, scan.position()});
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

}  // namespace detail

bool scan_answer(std::string_view text, AnswerLayout& layout) {
  layout = {};
  const std::size_t begin = detail::skip_spaces(text, 0, text.size());
  if (begin >= text.size() || text[begin] != '{') return false;
  struct AnswerSink final : detail::MemberSink {
    AnswerSink(std::string_view text, AnswerLayout& layout) : text(text), layout(layout) {}
    void member(std::string_view key, Span value) override {
      if (key == "model") layout.model = value;
      else if (key == "usage") layout.usage = value;
      else if (key == "choices") layout.choices = value;
      // Only a present, non-null error counts: OpenAI SDKs treat a falsy "error" as no error.
      else if (key == "error" && value.in(text) != "null" && value.in(text) != "false") layout.error = value;
    }
    void element_member(std::string_view top_key, std::string_view key, Span value) override {
      if (key == "finish_reason" && top_key == "choices" && value.in(text) != "null") layout.finish_reason = true;
    }
    bool wants_element_members() const override { return true; }
    std::string_view text;
    AnswerLayout& layout;
  } sink(text, layout);
  std::size_t end = 0;
  if (!detail::scan_value(text, begin, end, &sink)) return false;
  return detail::skip_spaces(text, end, text.size()) == text.size();  // nothing may follow the object
}

bool is_empty_array(std::string_view text, Span span) {
  std::size_t pos = span.begin;
  if (pos >= span.end || text[pos] != '[') return false;
  ++pos;
  pos = detail::skip_spaces(text, pos, span.end);
  return pos < span.end && text[pos] == ']';
}

void append_spliced(std::string& out, std::string_view text, Span span, std::string_view replacement) {
  out.append(text.substr(0, span.begin));
  out.append(replacement);
  out.append(text.substr(span.end));
}

}  // namespace llmux::api
