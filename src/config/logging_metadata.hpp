// LiteLLM's key- and team-level logging: `metadata.logging` on a key or a team, a list of
// {callback_name, callback_type, callback_vars}. A key's list takes the place of its team's;
// its callbacks receive that key's calls with their own credentials. llmux implements
// `langfuse` and `langfuse_otel` there (callback_vars langfuse_public_key, langfuse_secret_key,
// langfuse_host; a value "os.environ/NAME" is read from the environment when the key is loaded).
#pragma once

#include "base/error.hpp"
#include "config/config.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::config {

using EnvironmentLookup = std::function<std::optional<std::string>(std::string_view)>;

// The callback_name values a key's or team's metadata.logging may hold.
inline constexpr std::array<std::string_view, 2> kKeyLevelCallbacks = {"langfuse", "langfuse_otel"};

// Whether `metadata.logging` has LiteLLM's shape and names only what llmux implements: the
// error names the entry and field (never a value), for the admin route's 400.
Result<void> check_logging_metadata(const boost::json::value& logging);

// The callbacks `metadata` names (none without a well-formed `logging`); an entry whose
// credentials cannot be resolved is left out.
std::vector<LoggingCallback> logging_callbacks(const boost::json::object& metadata,
                                               const EnvironmentLookup& lookup);

// `metadata` as an admin answer shows it: each callback_vars value that is a secret (not a host,
// not an os.environ/ reference) replaced by "[redacted]".
boost::json::object masked_logging_metadata(const boost::json::object& metadata);

}  // namespace llmux::config
