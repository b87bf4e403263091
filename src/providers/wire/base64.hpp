// Standard base64 (RFC 4648 §4, with '=' padding) decoding: Bedrock's InvokeModelWithResponseStream
// carries each of the model's events as base64 bytes inside an event-stream message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace llmux::providers::wire {

// The decoded bytes, or nullopt when `text` is not base64 (a character outside the alphabet, a
// length that is not a multiple of 4, padding anywhere but at the end).
std::optional<std::string> base64_decoded(std::string_view text);

}  // namespace llmux::providers::wire
