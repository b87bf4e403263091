// Reads LiteLLM's config.yaml into a validated Config, reporting every problem with file, line
// and YAML path at once, so a user fixes the whole file in one pass.
#pragma once

#include "config/config.hpp"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::config {

// Thrown when a config cannot be used. Each problem reads `FILE:LINE: yaml.path: reason` and
// never contains a secret (api keys, the master key, or any value taken from the environment).
struct LoadError : std::runtime_error {
  explicit LoadError(std::vector<std::string> problems);
  std::vector<std::string> problems;  // what() is these joined with newlines
};

// Looks up an environment variable; tests inject their own so they never touch the process.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
std::optional<std::string> process_environment(const std::string& name);

// Loads a file; a file that cannot be read or parsed is a LoadError like any other problem.
Config load_file(const std::string& path, const EnvLookup& env = process_environment);

// Loads YAML text; source_name stands for the file in messages and in Config::source.
Config load_string(std::string_view yaml, const std::string& source_name,
                   const EnvLookup& env = process_environment);

// The master key taken when general_settings.master_key is absent (LiteLLM reads the same).
inline constexpr std::string_view kMasterKeyVariable = "LITELLM_MASTER_KEY";
// The database taken when general_settings.database_url is absent.
inline constexpr std::string_view kDatabaseUrlVariable = "DATABASE_URL";
inline constexpr std::string_view kStoreModelInDbVariable = "STORE_MODEL_IN_DB";

}  // namespace llmux::config
