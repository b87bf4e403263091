// The AWS event-stream decoder (providers/wire/aws_event_stream) of Bedrock's streams. The input
// is decoded as sent, and again with its frames' lengths and CRCs made right, so that the fuzzer
// reaches the header parsing behind the checksums. Checks: the messages and a framing failure do
// not depend on where the stream was cut, and an encoded message decodes to what was encoded.
#include "providers/wire/aws_event_stream.hpp"
#include "support.hpp"

#include <string>
#include <vector>

namespace {

namespace wire = llmux::providers::wire;
using llmux::fuzz::check;

constexpr std::size_t kSmallestMessage = 16;  // prelude (12) and message CRC (4)

struct Decoded {
  bool ok = true;
  std::vector<wire::EventStreamMessage> messages;
  bool partial = false;
  bool operator==(const Decoded&) const = default;
};

Decoded decode(const std::vector<std::string_view>& pieces) {
  wire::EventStreamDecoder decoder(1 << 20);
  Decoded decoded;
  for (const std::string_view piece : pieces) {
    if (!decoder.feed(piece, decoded.messages)) {
      decoded.ok = false;
      return decoded;
    }
  }
  decoded.partial = decoder.has_partial_message();
  return decoded;
}

void put_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) bytes[at + i] = static_cast<char>(value >> (24 - 8 * i));
}

std::uint32_t get_u32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// The input with each frame's total length kept within what is left, and both CRCs recomputed.
std::string with_valid_frames(std::string_view input) {
  std::string bytes(input);
  std::size_t at = 0;
  while (bytes.size() - at >= kSmallestMessage) {
    const std::size_t left = bytes.size() - at;
    const std::size_t total = kSmallestMessage + get_u32(bytes, at) % (left - kSmallestMessage + 1);
    put_u32(bytes, at, static_cast<std::uint32_t>(total));
    put_u32(bytes, at + 8, wire::crc32(std::string_view(bytes).substr(at, 8)));
    put_u32(bytes, at + total - 4, wire::crc32(std::string_view(bytes).substr(at, total - 4)));
    at += total;
  }
  return bytes;
}

void check_stream(std::string_view stream) {
  const Decoded whole = decode({stream});
  check(whole == decode(llmux::fuzz::pieces(stream)),
        "messages differ when the stream arrives in pieces");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  check_stream(input);
  check_stream(with_valid_frames(input));

  const std::string_view type = input.substr(0, std::min<std::size_t>(input.size(), 40));
  const std::string message = wire::encode_event_stream_message(
      {{":message-type", "event"}, {":event-type", std::string(type)}}, input);
  const Decoded decoded = decode({message});
  check(decoded.ok && decoded.messages.size() == 1 && !decoded.partial,
        "an encoded message does not decode as one");
  check(decoded.messages[0].event_type == type && decoded.messages[0].payload == input,
        "an encoded message decodes to something else");
  return 0;
}
