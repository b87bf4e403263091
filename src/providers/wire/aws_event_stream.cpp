#include "providers/wire/aws_event_stream.hpp"

#include <boost/crc.hpp>

namespace llmux::providers::wire {

namespace {

constexpr std::size_t kPreludeBytes = 12;  // total length, headers length, prelude CRC
constexpr std::size_t kMinMessageBytes = kPreludeBytes + 4;

std::uint32_t read_u32(std::string_view bytes, std::size_t at) {
  return (std::uint32_t{static_cast<unsigned char>(bytes[at])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(bytes[at + 2])} << 8) |
         std::uint32_t{static_cast<unsigned char>(bytes[at + 3])};
}

std::uint16_t read_u16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xFF);
}

Error framing_error(std::string message) {
  return make_error(ErrorKind::upstream_failed,
                    "The upstream event stream is corrupt: " + std::move(message) + ".");
}

// Bytes a header value of `type` occupies after its type byte, or -1 for an unknown type.
long value_size(char type, std::string_view rest) {
  switch (type) {
    case 0:
    case 1: return 0;  // true, false
    case 2: return 1;  // int8
    case 3: return 2;  // int16
    case 4: return 4;  // int32
    case 5:
    case 8: return 8;   // int64, timestamp
    case 9: return 16;  // uuid
    case 6:
    case 7:  // bytes, string: u16 length first
      return rest.size() < 2 ? -1 : 2 + static_cast<long>(read_u16(rest, 0));
    default: return -1;
  }
}

}  // namespace

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// `message` is whole, its prelude already checked by feed().
Result<void> EventStreamDecoder::decode(std::string_view message,
                                        std::vector<EventStreamMessage>& out) const {
  const std::uint32_t headers_length = read_u32(message, 4);
  const std::size_t body_end = message.size() - 4;
  if (read_u32(message, body_end) != crc32(message.substr(0, body_end)))
    return framing_error("message CRC mismatch");
  if (kPreludeBytes + headers_length > body_end)
    return framing_error("headers longer than the message");

  EventStreamMessage decoded;
  std::string_view headers = message.substr(kPreludeBytes, headers_length);
  while (!headers.empty()) {
    const std::size_t name_length = static_cast<unsigned char>(headers[0]);
    if (1 + name_length + 1 > headers.size()) return framing_error("a header runs past its block");
    const std::string_view name = headers.substr(1, name_length);
    const char type = headers[1 + name_length];
    const std::string_view rest = headers.substr(2 + name_length);
    const long size = value_size(type, rest);
    if (size < 0 || static_cast<std::size_t>(size) > rest.size())
      return framing_error("a header value is malformed");
    if (type == 7) {
      const std::string_view value = rest.substr(2, static_cast<std::size_t>(size) - 2);
      if (name == ":message-type")
        decoded.message_type = value;
      else if (name == ":event-type")
        decoded.event_type = value;
      else if (name == ":exception-type")
        decoded.exception_type = value;
      else if (name == ":error-code")
        decoded.error_code = value;
      else if (name == ":error-message")
        decoded.error_message = value;
    }
    headers.remove_prefix(2 + name_length + static_cast<std::size_t>(size));
  }
  decoded.payload =
      message.substr(kPreludeBytes + headers_length, body_end - kPreludeBytes - headers_length);
  out.push_back(std::move(decoded));
  return {};
}

Result<void> EventStreamDecoder::feed(std::string_view bytes,
                                      std::vector<EventStreamMessage>& out) {
  if (failed_) return framing_error("an earlier frame was bad");
  buffer_.append(bytes);
  std::size_t at = 0;
  while (buffer_.size() - at >= kPreludeBytes) {
    const std::string_view pending(buffer_.data() + at, buffer_.size() - at);
    const std::uint32_t total = read_u32(pending, 0);
    if (read_u32(pending, 8) != crc32(pending.substr(0, 8))) {
      failed_ = true;
      return framing_error("prelude CRC mismatch");
    }
    if (total < kMinMessageBytes || total > max_message_bytes_) {
      failed_ = true;
      return framing_error("a message length of " + std::to_string(total) + " bytes");
    }
    if (pending.size() < total) break;
    if (auto decoded = decode(pending.substr(0, total), out); !decoded) {
      failed_ = true;
      return decoded;
    }
    at += total;
  }
  buffer_.erase(0, at);
  return {};
}

std::string encode_event_stream_message(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view payload) {
  std::string header_bytes;
  for (const auto& [name, value] : headers) {
    header_bytes += static_cast<char>(name.size());
    header_bytes += name;
    header_bytes += static_cast<char>(7);
    header_bytes += static_cast<char>((value.size() >> 8) & 0xFF);
    header_bytes += static_cast<char>(value.size() & 0xFF);
    header_bytes += value;
  }
  std::string message;
  append_u32(message,
             static_cast<std::uint32_t>(kMinMessageBytes + header_bytes.size() + payload.size()));
  append_u32(message, static_cast<std::uint32_t>(header_bytes.size()));
  append_u32(message, crc32(message));
  message += header_bytes;
  message += payload;
  append_u32(message, crc32(message));
  return message;
}

}  // namespace llmux::providers::wire
