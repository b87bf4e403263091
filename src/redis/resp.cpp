#include "redis/resp.hpp"

#include <algorithm>
#include <charconv>

namespace llmux::redis {

namespace {

void append_decimal(std::string& out, std::size_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// A whole line of decimal digits (with an optional minus), as RESP writes lengths and integers.
bool parse_integer(std::string_view line, std::int64_t& value) {
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  return !line.empty() && ec == std::errc() && end == line.data() + line.size();
}

bool is_known_type(char type) {
  return std::string_view("+-:$*_#,(!=%~>").find(type) != std::string_view::npos;
}

}  // namespace

void Command::begin(std::size_t argument_count, std::size_t argument_bytes) {
  // Room for the whole command: each argument's `$<length>\r\n…\r\n` adds at most 16 bytes.
  wire_.reserve(16 + argument_count * 16 + argument_bytes);
  wire_ += '*';
  append_decimal(wire_, argument_count);
  wire_ += "\r\n";
}

void Command::append(std::string_view argument) {
  wire_ += '$';
  append_decimal(wire_, argument.size());
  wire_ += "\r\n";
  wire_ += argument;
  wire_ += "\r\n";
}

Result<void> ReplyParser::fail(std::string reason) {
  failed_ = true;
  return make_error(ErrorKind::unavailable,
                    "Redis sent a reply that cannot be read: " + reason + ".");
}

Result<void> ReplyParser::feed(std::string_view bytes, std::vector<Reply>& replies) {
  if (failed_) return fail("the stream broke earlier");
  while (!bytes.empty()) {
    std::size_t take = 1;  // the type byte
    if (step_ == Step::line) {
      const auto newline = bytes.find('\n');
      take = newline == std::string_view::npos ? bytes.size() : newline + 1;
    } else if (step_ == Step::bulk) {
      take = std::min(bytes.size(), bulk_size_ - bulk_.size());
    }
    if (take > limits_.max_reply_bytes - reply_bytes_) {
      return fail("a reply is larger than " + std::to_string(limits_.max_reply_bytes) + " bytes");
    }
    reply_bytes_ += take;
    const std::string_view piece = bytes.substr(0, take);
    bytes.remove_prefix(take);

    if (step_ == Step::type) {
      type_ = piece.front();
      if (!is_known_type(type_)) return fail("unknown type byte");
      line_.clear();
      step_ = Step::line;
    } else if (step_ == Step::line) {
      line_ += piece;
      if (line_.back() != '\n') continue;
      if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
        return fail("a line not ended by CRLF");
      line_.resize(line_.size() - 2);
      if (auto ended = end_line(replies); !ended) return ended;
    } else {
      bulk_ += piece;
      if (bulk_.size() < bulk_size_) continue;
      if (auto ended = end_bulk(replies); !ended) return ended;
    }
  }
  return {};
}

Result<void> ReplyParser::end_line(std::vector<Reply>& replies) {
  std::int64_t number = 0;
  switch (type_) {
    case '+':
    case ',':  // RESP3 double, kept as its text
    case '(':  // RESP3 big number, likewise
      complete(Reply{.type = Reply::Type::simple, .text = std::move(line_)}, replies);
      return {};
    case '-':
      complete(Reply{.type = Reply::Type::error, .text = std::move(line_)}, replies);
      return {};
    case ':':
      if (!parse_integer(line_, number)) return fail("an integer that is not a number");
      complete(Reply{.type = Reply::Type::integer, .integer = number}, replies);
      return {};
    case '#':  // RESP3 boolean
      if (line_ != "t" && line_ != "f") return fail("a boolean that is neither t nor f");
      complete(Reply{.type = Reply::Type::integer, .integer = line_ == "t"}, replies);
      return {};
    case '_':  // RESP3 null
      if (!line_.empty()) return fail("a null with a value");
      complete(Reply{}, replies);
      return {};
    case '$':
    case '!':  // RESP3 blob error
    case '=':  // RESP3 verbatim string
      if (!parse_integer(line_, number)) return fail("a bulk length that is not a number");
      if (number == -1 && type_ == '$') {
        complete(Reply{}, replies);
        return {};
      }
      if (number < 0) return fail("a negative bulk length");
      if (static_cast<std::uint64_t>(number) > limits_.max_bulk_bytes) {
        return fail("a bulk string is longer than " + std::to_string(limits_.max_bulk_bytes) +
                    " bytes");
      }
      bulk_.clear();
      bulk_size_ = static_cast<std::size_t>(number) + 2;
      bulk_.reserve(std::min<std::size_t>(bulk_size_, 1u << 20));
      step_ = Step::bulk;
      return {};
    default:  // '*', and RESP3's map '%', set '~' and push '>'
      if (!parse_integer(line_, number)) return fail("an array length that is not a number");
      if (number == -1 && type_ == '*') {
        complete(Reply{}, replies);
        return {};
      }
      if (number < 0) return fail("a negative array length");
      // A map's length counts pairs: past the element limit it is refused before it is doubled,
      // which could overflow.
      if (type_ == '%' && static_cast<std::uint64_t>(number) > limits_.max_elements) {
        return fail("a reply has more than " + std::to_string(limits_.max_elements) + " elements");
      }
      return open_array(type_ == '%' ? number * 2 : number, replies);
  }
}

Result<void> ReplyParser::end_bulk(std::vector<Reply>& replies) {
  if (!bulk_.ends_with("\r\n")) return fail("a bulk string not ended by CRLF");
  bulk_.resize(bulk_.size() - 2);
  Reply reply{.type = type_ == '!' ? Reply::Type::error : Reply::Type::bulk,
              .text = std::move(bulk_)};
  // A verbatim string starts with its format ("txt:"), which is not part of the text.
  if (type_ == '=' && reply.text.size() >= 4 && reply.text[3] == ':') reply.text.erase(0, 4);
  bulk_.clear();
  complete(std::move(reply), replies);
  return {};
}

Result<void> ReplyParser::open_array(std::int64_t count, std::vector<Reply>& replies) {
  if (count == 0) {
    complete(Reply{.type = Reply::Type::array}, replies);
    return {};
  }
  if (open_.size() >= limits_.max_depth) {
    return fail("arrays are nested deeper than " + std::to_string(limits_.max_depth));
  }
  if (static_cast<std::uint64_t>(count) > limits_.max_elements - reply_elements_) {
    return fail("a reply has more than " + std::to_string(limits_.max_elements) + " elements");
  }
  reply_elements_ += static_cast<std::size_t>(count);
  Open& open = open_.emplace_back(
      Open{.reply = {.type = Reply::Type::array}, .missing = static_cast<std::size_t>(count)});
  open.reply.elements.reserve(std::min<std::size_t>(open.missing, 1024));
  step_ = Step::type;
  return {};
}

void ReplyParser::complete(Reply reply, std::vector<Reply>& replies) {
  step_ = Step::type;
  while (!open_.empty()) {
    Open& innermost = open_.back();
    innermost.reply.elements.push_back(std::move(reply));
    if (--innermost.missing > 0) return;
    reply = std::move(innermost.reply);
    open_.pop_back();
  }
  replies.push_back(std::move(reply));
  reply_bytes_ = 0;
  reply_elements_ = 0;
}

}  // namespace llmux::redis
