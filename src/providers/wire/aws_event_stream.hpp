// application/vnd.amazon.eventstream: the binary framing of Bedrock's streams (ConverseStream,
// InvokeModelWithResponseStream). Each message: total length, headers length and a CRC-32 of
// those 8 bytes; typed headers; the payload; a CRC-32 of everything before it. Big-endian.
#pragma once

#include "base/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::providers::wire {

// One message with the string headers Bedrock uses (others are read and skipped).
struct EventStreamMessage {
  std::string message_type;    // ":message-type": event | exception | error
  std::string event_type;      // ":event-type", e.g. contentBlockDelta
  std::string exception_type;  // ":exception-type", e.g. throttlingException
  std::string error_code;      // ":error-code" (message_type "error")
  std::string error_message;   // ":error-message"
  std::string payload;         // JSON, for Bedrock

  bool operator==(const EventStreamMessage&) const = default;
};

// Incremental decoder: bytes in (split anywhere, several messages per feed), whole messages out,
// both CRCs checked. A bad frame (CRC mismatch, impossible lengths, a header running past its
// message, a message above the size limit) fails the decoder for good: a stream cannot be
// resynchronised once its framing is lost.
class EventStreamDecoder {
 public:
  explicit EventStreamDecoder(std::size_t max_message_bytes = 16 << 20)
      : max_message_bytes_(max_message_bytes) {}

  Result<void> feed(std::string_view bytes, std::vector<EventStreamMessage>& out);
  // Bytes of a message that has not fully arrived yet (a stream that ends here was cut).
  bool has_partial_message() const { return !buffer_.empty(); }

 private:
  Result<void> decode(std::string_view message, std::vector<EventStreamMessage>& out) const;

  std::size_t max_message_bytes_;
  std::string buffer_;
  bool failed_ = false;
};

// Builds one message with string headers (for tests and mocks; the gateway only decodes).
std::string encode_event_stream_message(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view payload);

std::uint32_t crc32(std::string_view bytes);

}  // namespace llmux::providers::wire
