#include "api/token_estimate.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>

namespace llmux::api {

namespace json = boost::json;

namespace {

bool is_ascii_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

}  // namespace

// A piece's price: common words (≤ 10 letters with their space) are one token in GPT
// vocabularies, longer ones split about every 5 letters; digits go in groups of three;
// punctuation runs merge about three to a token; a run of spaces or line breaks is one token.
std::int64_t TokenEstimator::tokens_of(Kind kind, std::int64_t length) {
  switch (kind) {
    case Kind::none: return 0;
    case Kind::word: return length <= 10 ? 1 : (length + 4) / 5;
    case Kind::number: return (length + 2) / 3;
    case Kind::punct: return (length + 2) / 3;
    case Kind::space:
    case Kind::newline: return 1;
  }
  return 0;
}

void TokenEstimator::close_piece() {
  closed_ += tokens_of(kind_, length_);
  kind_ = Kind::none;
  length_ = 0;
}

// One character of class `next` extends the open piece or starts a new one. As in GPT
// pre-tokenizers, a word takes one space or punctuation character before it ("␣the", "-time"),
// and a punctuation run takes one space before it.
void TokenEstimator::add_char(Class next) {
  switch (next) {
    case Class::letter:
      if (kind_ == Kind::word) {
        ++length_;
        return;
      }
      if ((kind_ == Kind::space || kind_ == Kind::punct) && length_ >= 1) {
        // The last character of the run becomes the word's prefix.
        --length_;
        if (length_ > 0) close_piece();
        kind_ = Kind::word;
        length_ = 1;  // the prefix is free: a "␣word" piece prices like "word"
        return;
      }
      close_piece();
      kind_ = Kind::word;
      length_ = 1;
      return;
    case Class::ideograph:  // CJK: about one token per character, never merged
      close_piece();
      ++closed_;
      return;
    case Class::digit:
      if (kind_ != Kind::number) close_piece();
      kind_ = Kind::number;
      ++length_;
      return;
    case Class::punct:
      if (kind_ == Kind::punct) {
        ++length_;
        return;
      }
      if (kind_ == Kind::space && length_ == 1) {  // "␣(" is one piece
        kind_ = Kind::punct;
        return;
      }
      if (kind_ == Kind::space) {
        --length_;
        close_piece();
      } else {
        close_piece();
      }
      kind_ = Kind::punct;
      length_ = 1;
      return;
    case Class::space:
      if (kind_ == Kind::space || kind_ == Kind::newline) {
        ++length_;
        return;
      }
      close_piece();
      kind_ = Kind::space;
      length_ = 1;
      return;
    case Class::newline:
      if (kind_ == Kind::space) kind_ = Kind::newline;  // spaces and line breaks: one piece
      if (kind_ == Kind::newline) {
        ++length_;
        return;
      }
      close_piece();
      kind_ = Kind::newline;
      length_ = 1;
      return;
  }
}

void TokenEstimator::add(std::string_view text) {
  for (const char byte : text) {
    const auto c = static_cast<unsigned char>(byte);
    if (utf8_left_ > 0) {
      if ((c & 0xC0) == 0x80) {
        if (--utf8_left_ == 0) {
          // U+3000..U+9FFF and U+AC00..U+D7FF (lead bytes E3..E9, EA..ED): CJK and Hangul.
          add_char(utf8_lead_ >= 0xE3 && utf8_lead_ <= 0xED ? Class::ideograph : Class::letter);
        }
        continue;
      }
      utf8_left_ = 0;  // a broken sequence: drop it and read this byte afresh
    }
    if (c >= 0x80) {
      utf8_lead_ = c;
      utf8_left_ = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
      if (utf8_left_ == 0) add_char(Class::punct);  // a stray continuation byte
      continue;
    }
    if (is_ascii_letter(c)) {
      add_char(Class::letter);
    } else if (c >= '0' && c <= '9') {
      add_char(Class::digit);
    } else if (c == ' ' || c == '\t') {
      add_char(Class::space);
    } else if (c == '\n' || c == '\r') {
      add_char(Class::newline);
    } else {
      add_char(Class::punct);
    }
  }
}

std::int64_t TokenEstimator::count() const { return closed_ + tokens_of(kind_, length_); }

std::int64_t estimate_tokens(std::string_view text) {
  TokenEstimator estimator;
  estimator.add(text);
  return estimator.count();
}

namespace {

// Text content of a message: a string, or the text parts of an array (an image counts as a
// flat 85 tokens, OpenAI's price of a low-detail image).
std::int64_t content_tokens(const json::value* content) {
  if (!content) return 0;
  if (content->is_string()) return estimate_tokens(content->get_string());
  if (!content->is_array()) return 0;
  std::int64_t tokens = 0;
  for (const auto& part : content->get_array()) {
    if (!part.is_object()) continue;
    if (const auto* text = part.get_object().if_contains("text"); text && text->is_string()) {
      tokens += estimate_tokens(text->get_string());
    } else if (part.get_object().contains("image_url")) {
      tokens += 85;
    }
  }
  return tokens;
}

std::int64_t string_or_strings_tokens(const json::value* input) {
  if (!input) return 0;
  if (input->is_string()) return estimate_tokens(input->get_string());
  std::int64_t tokens = 0;
  if (input->is_array()) {
    for (const auto& item : input->get_array()) {
      if (item.is_string())
        tokens += estimate_tokens(item.get_string());
      else if (item.is_array())
        tokens += static_cast<std::int64_t>(item.get_array().size());  // token ids
      else if (item.is_number())
        tokens += 1;
    }
  }
  return tokens;
}

}  // namespace

std::int64_t estimate_prompt_tokens(const Request& request) {
  const json::object& body = request.body;
  switch (request.endpoint) {
    case Endpoint::completions: return string_or_strings_tokens(body.if_contains("prompt"));
    case Endpoint::embeddings:
    case Endpoint::moderations: return string_or_strings_tokens(body.if_contains("input"));
    case Endpoint::rerank:
      return string_or_strings_tokens(body.if_contains("query")) +
             string_or_strings_tokens(body.if_contains("documents"));
    case Endpoint::chat_completions:
    case Endpoint::messages:
    case Endpoint::count_tokens: break;
    case Endpoint::responses: {
      // Items nest their text in several shapes: their JSON text is near enough.
      const auto* input = body.if_contains("input");
      return string_or_strings_tokens(body.if_contains("instructions")) +
             (input ? estimate_tokens(json::serialize(*input)) : 0);
    }
  }
  std::int64_t tokens = 3;  // priming the reply
  if (const auto* messages = body.if_contains("messages"); messages && messages->is_array()) {
    for (const auto& message : messages->get_array()) {
      if (!message.is_object()) continue;
      const auto& fields = message.get_object();
      tokens += 3;
      if (const auto* role = fields.if_contains("role"); role && role->is_string())
        tokens += estimate_tokens(role->get_string());
      if (const auto* name = fields.if_contains("name"); name && name->is_string())
        tokens += 1 + estimate_tokens(name->get_string());
      tokens += content_tokens(fields.if_contains("content"));
      if (const auto* calls = fields.if_contains("tool_calls"))
        tokens += estimate_tokens(json::serialize(*calls));
    }
  }
  if (const auto* tools = body.if_contains("tools"))
    tokens += estimate_tokens(json::serialize(*tools));
  return tokens;
}

namespace {

// Keys whose string values are the text a model produced.
constexpr std::array<std::string_view, 5> kCompletionTextKeys = {
    "\"content\":", "\"reasoning_content\":", "\"refusal\":", "\"arguments\":", "\"text\":"};

// Feeds the JSON string starting at text[pos] (just past its opening quote) to the estimator,
// escapes decoded as characters of the right class; returns the position after the closing quote.
std::size_t feed_string(std::string_view text, std::size_t pos, TokenEstimator& estimator) {
  std::size_t run = pos;
  while (pos < text.size() && text[pos] != '"') {
    if (text[pos] != '\\') {
      ++pos;
      continue;
    }
    estimator.add(text.substr(run, pos - run));
    if (pos + 1 >= text.size()) return text.size();
    const char escaped = text[pos + 1];
    switch (escaped) {
      case 'n': estimator.add("\n"); break;
      case 'r': estimator.add("\r"); break;
      case 't': estimator.add("\t"); break;
      case 'u':
        estimator.add("a");
        pos += 4;
        break;  // mostly letters; close enough
      default: estimator.add(std::string_view(&text[pos + 1], 1)); break;
    }
    pos += 2;
    run = pos;
  }
  estimator.add(text.substr(run, std::min(pos, text.size()) - run));
  return pos + 1;
}

}  // namespace

void CompletionTokenCounter::add_frames(std::string_view frames) {
  for (const std::string_view key : kCompletionTextKeys) {
    for (std::size_t found = frames.find(key); found != std::string_view::npos;
         found = frames.find(key, found)) {
      std::size_t pos = found + key.size();
      while (pos < frames.size() && (frames[pos] == ' ' || frames[pos] == '\t')) ++pos;
      if (pos < frames.size() && frames[pos] == '"') {
        found = feed_string(frames, pos + 1, estimator_);
      } else {
        found = pos;
      }
    }
  }
}

std::optional<std::int64_t> requested_max_tokens(const Request& request) {
  for (const std::string_view field : {"max_completion_tokens", "max_tokens"}) {
    const auto* value = request.body.if_contains(field);
    if (const auto* count = value ? value->if_int64() : nullptr; count && *count > 0) return *count;
  }
  return std::nullopt;
}

}  // namespace llmux::api
