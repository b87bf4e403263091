// Identifiers the gateway makes up: request ids and OpenAI-style object ids. Not secrets (keys
// come from the OS CSPRNG elsewhere); a fast per-thread generator is enough here.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace llmux {

std::string make_uuid();  // "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
// A UUID whose leading 48 bits are the Unix time in milliseconds (RFC 9562 version 7): ids made
// later sort later, so a database index of them grows at its end instead of at random pages.
std::string make_time_ordered_uuid();
// The same made at `at` (whose milliseconds since the epoch it starts with).
std::string make_time_ordered_uuid(std::chrono::system_clock::time_point at);
std::string make_object_id(std::string_view prefix);  // "chatcmpl-" + 24 hex digits

}  // namespace llmux
