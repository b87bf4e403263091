// Identifiers the gateway makes up: request ids and OpenAI-style object ids. Not secrets (keys
// come from the OS CSPRNG elsewhere); a fast per-thread generator is enough here.
#pragma once

#include <string>
#include <string_view>

namespace llmux {

std::string make_uuid();                              // "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
std::string make_object_id(std::string_view prefix);  // "chatcmpl-" + 24 hex digits

}  // namespace llmux
