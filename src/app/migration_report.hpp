// --check_config's migration report: what llmux does with each key a LiteLLM config sets.
#pragma once

#include "config/config.hpp"

#include <string>

namespace llmux::app {

// A line per key of the file ("FILE:LINE: path: same as LiteLLM" or "…: ignored: why"), then
// the counts. Keys are named, never their values.
std::string migration_report(const config::Config& config);

}  // namespace llmux::app
