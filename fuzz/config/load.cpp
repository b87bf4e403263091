// The config loader (config/load) on any text: the operator's config.yaml, and through
// router::user_config a client's own router config. Checks: a config it cannot use is a
// LoadError with at least one problem (any other exception would end the gateway), and no
// problem quotes a value read from the environment (a secret).
#include "config/load.hpp"
#include "support.hpp"

#include <string>

namespace {

using llmux::fuzz::check;
constexpr std::string_view kEnvironmentValue = "sk-secret-from-the-environment";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  const llmux::config::EnvLookup environment = [](const std::string& name) {
    return name.starts_with("UNSET") ? std::nullopt : std::optional<std::string>(kEnvironmentValue);
  };
  try {
    const llmux::config::Config config =
        llmux::config::load_string(input, "config.yaml", environment);
    (void)config;
  } catch (const llmux::config::LoadError& error) {
    check(!error.problems.empty(), "a LoadError without a problem");
    // The text typed into the config itself may be quoted; only the environment's must not be.
    if (input.find(kEnvironmentValue) != std::string_view::npos) return 0;
    for (const std::string& problem : error.problems)
      check(problem.find(kEnvironmentValue) == std::string::npos,
            "a problem quotes a value from the environment");
  }
  return 0;
}
