// RESP, the Redis wire protocol: commands encoded as arrays of bulk strings, replies parsed
// incrementally from bytes split anywhere. Pure bytes, no sockets. Replies are RESP2; the RESP3
// types a server could send (null, boolean, double, big number, verbatim string, blob error, map,
// set, push) are read as their nearest RESP2 type so that nothing unexpected breaks a connection
// (attributes are refused as malformed).
#pragma once

#include "base/error.hpp"

#include <concepts>
#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::redis {

struct Reply {
  enum class Type : std::uint8_t { simple, error, integer, bulk, null, array };

  Type type = Type::null;
  std::int64_t integer = 0;     // integer (a RESP3 boolean: 0 or 1)
  std::string text;             // simple, error, bulk: the bytes as sent (binary-safe)
  std::vector<Reply> elements;  // array (a RESP3 map: keys and values in turn)

  bool is_error() const { return type == Type::error; }
  bool is_null() const { return type == Type::null; }
  bool is_string() const { return type == Type::simple || type == Type::bulk; }
  bool operator==(const Reply&) const = default;
};

// One command as it goes on the wire: `*<n>` then each argument as a `$<length>` bulk string, so
// any bytes (CR, LF, NUL) are safe in keys and values. Encoded once, when built.
class Command {
 public:
  // Command{"INCRBY", key, "3"}. Arguments rather than an initializer_list: GCC 12 cannot compile
  // an initializer_list inside a co_await expression ("array used as initializer"), and
  // `co_await client.command({"INCRBY", key, "3"})` is how commands are written.
  template <class... Arguments>
  requires(sizeof...(Arguments) > 0 && (std::convertible_to<const Arguments&, std::string_view> &&
                                        ...)) Command(const Arguments&... arguments) {
    begin(sizeof...(Arguments), (std::string_view(arguments).size() + ...));
    (append(std::string_view(arguments)), ...);
  }
  // Any sized range of things a string_view can be made from (std::string, std::string_view, …).
  template <std::ranges::sized_range Range>
  requires std::convertible_to<std::ranges::range_reference_t<const Range&>, std::string_view>
  explicit Command(const Range& arguments) {
    begin(std::ranges::size(arguments), 0);
    for (const auto& argument : arguments) append(std::string_view(argument));
  }

  const std::string& wire() const { return wire_; }

 private:
  void begin(std::size_t argument_count, std::size_t argument_bytes);
  void append(std::string_view argument);
  std::string wire_;
};

// What one reply may cost. A reply past a limit is an error, like a malformed one: the connection
// it came on is closed, since the rest of its stream can no longer be framed.
struct ParserLimits {
  std::size_t max_bulk_bytes = 64u << 20;   // one bulk string
  std::size_t max_reply_bytes = 64u << 20;  // one top-level reply, as sent
  std::size_t max_elements = 1u << 20;      // array elements in one reply, all levels together
  std::size_t max_depth = 32;               // arrays within arrays
};

class ReplyParser {
 public:
  explicit ReplyParser(ParserLimits limits = {}) : limits_(limits) {}

  // Reads `bytes`, the next piece of the stream, and appends each reply they complete to
  // `replies`. After an error the parser stays failed: the stream cannot be resynchronised.
  Result<void> feed(std::string_view bytes, std::vector<Reply>& replies);

 private:
  enum class Step : std::uint8_t { type, line, bulk };
  struct Open {  // an array still receiving its elements
    Reply reply;
    std::size_t missing = 0;
  };

  Result<void> fail(std::string reason);
  Result<void> end_line(std::vector<Reply>& replies);
  Result<void> end_bulk(std::vector<Reply>& replies);
  Result<void> open_array(std::int64_t count, std::vector<Reply>& replies);
  void complete(Reply reply, std::vector<Reply>& replies);

  ParserLimits limits_;
  Step step_ = Step::type;
  char type_ = 0;              // the type byte of the value being read
  std::string line_;           // its line so far, CR included once seen
  std::string bulk_;           // its bulk bytes so far, trailing CRLF included
  std::size_t bulk_size_ = 0;  // the bulk's length plus CRLF
  std::vector<Open> open_;     // the arrays around it, outermost first
  std::size_t reply_bytes_ = 0;
  std::size_t reply_elements_ = 0;
  bool failed_ = false;
};

}  // namespace llmux::redis
