// HTTP/1.1 message framing without allocation per field: a read buffer, the head of a response
// parsed in place, and a body decoder that removes chunked framing in place. Used where Beast's
// parser and its per-field allocations cost more than the rest of a proxied call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::net::http1 {

// Bytes read from a socket and not yet consumed. Storage is allocated on the first prepare(),
// grown only when a message part does not fit, and can be released while a connection idles.
class ReadBuffer {
 public:
  explicit ReadBuffer(std::size_t initial_capacity) : initial_capacity_(initial_capacity) {}

  std::string_view pending() const { return {data_.get() + begin_, end_ - begin_}; }
  char* pending_data() { return data_.get() + begin_; }
  bool empty() const { return begin_ == end_; }
  void consume(std::size_t count) { begin_ += count; }
  // Free space for the next read, after moving what is pending to the front (views into the
  // buffer handed out before are invalid afterwards). Grows (doubling) when less than a quarter
  // is free, up to `max_capacity`; `free_bytes` is 0 when the buffer is full at that size.
  char* prepare(std::size_t& free_bytes, std::size_t max_capacity);
  void commit(std::size_t count) { end_ += count; }
  // Frees the storage when nothing is pending (an idle connection holds no buffer).
  void release_if_empty();

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t initial_capacity_;
};

// The longest chunk-size line (extensions included) or trailer line a body decoder accepts.
constexpr std::size_t kMaxChunkLine = 4096;

// How a message's body is delimited (RFC 9112 §6).
enum class BodyFraming { none, length, chunked, until_close };

struct ResponseHead {
  int status = 0;
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::until_close;
  std::uint64_t content_length = 0;
  // Retry-After's delay-seconds, or its HTTP-date less the time it was read (0 once past).
  std::optional<std::chrono::seconds> retry_after;
};

// An HTTP-date in the IMF-fixdate form senders must write (RFC 9110 §5.6.7), e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT"; nullopt for anything else (the obsolete RFC 850 and asctime
// forms included).
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

enum class ParseResult { incomplete, done, malformed };

// Parses a response head from the start of `bytes` once it is whole (up to the blank line);
// `head_bytes` is then its length. `incomplete` means more bytes are needed.
ParseResult parse_response_head(std::string_view bytes, ResponseHead& head,
                                std::size_t& head_bytes);

struct RequestHead {
  std::string_view method;
  std::string_view target;
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  bool keep_alive = true;
  BodyFraming framing = BodyFraming::none;  // never until_close: a request body is delimited
  std::uint64_t content_length = 0;
  bool expect_continue = false;
  std::vector<std::pair<std::string_view, std::string_view>> fields;  // as received, in order
};

// Where a message head ends (just past its blank line) in `bytes`, or npos while incomplete.
std::size_t find_head_end(std::string_view bytes);

// Parses a whole request head (as find_head_end delimits it); the views in `head` point into
// `bytes`. Returns why it is malformed, or an empty view when it is not.
std::string_view parse_request_head(std::string_view bytes, RequestHead& head);

// Decodes a body as its bytes arrive. decode() takes the buffered bytes, writes the body's own
// bytes to their front (chunk framing removed, in place) and says how many input bytes it used.
class BodyDecoder {
 public:
  BodyDecoder() = default;
  BodyDecoder(BodyFraming framing, std::uint64_t content_length);

  struct Step {
    std::size_t consumed = 0;  // input bytes used
    std::size_t produced = 0;  // body bytes now at the front of the input
  };
  // nullopt when the framing is malformed.
  std::optional<Step> decode(char* bytes, std::size_t size);
  // The connection was closed by the peer: complete only for an until-close body.
  bool finish_at_close();
  bool done() const { return state_ == State::done; }

 private:
  enum class State { length, chunk_size, chunk_data, chunk_data_end, trailer, until_close, done };
  State state_ = State::done;
  std::uint64_t remaining_ = 0;
};

// ASCII case-insensitive comparison, as header names compare.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    // Setting bit 5 lowers letters; two bytes that agree then are equal or both non-letters
    // that differ only in that bit, which the exact comparison catches.
    const char x = a[i], y = b[i];
    if (x != y && ((x | 0x20) != (y | 0x20) || !((x | 0x20) >= 'a' && (x | 0x20) <= 'z')))
      return false;
  }
  return true;
}

}  // namespace llmux::net::http1
