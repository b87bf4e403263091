// Renders an Error as OpenAI's {"error":{"message","type","param","code"}} body.
#pragma once

#include "base/error.hpp"

#include <string>

namespace llmux::api {

std::string error_body(const Error& error);

}  // namespace llmux::api
