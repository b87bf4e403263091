#include "app/migration_report.hpp"

#include "providers/registry.hpp"

namespace llmux::app {

namespace {

std::string_view last_segment(std::string_view path) {
  const auto dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

}  // namespace

std::string migration_report(const config::Config& config) {
  using Verdict = config::KeyUse::Verdict;
  std::string lines;
  std::size_t ignored = 0;
  for (const config::KeyUse& use : config.key_uses) {
    std::string verdict;
    if (use.verdict == Verdict::ignored) {
      verdict = "ignored: " + use.note;
      ++ignored;
    } else if (use.verdict == Verdict::passed_on) {
      verdict = providers::is_provider_setting(last_segment(use.path))
                    ? "same as LiteLLM (a provider setting)"
                    : "same as LiteLLM (a request default, sent upstream when the client sets "
                      "none)";
    } else {
      verdict = "same as LiteLLM";
      if (!use.note.empty()) verdict += "; note: " + use.note;
    }
    lines +=
        config.source + ":" + std::to_string(use.line) + ": " + use.path + ": " + verdict + "\n";
  }
  return lines + std::to_string(config.key_uses.size()) +
         " keys: " + std::to_string(config.key_uses.size() - ignored) + " same as LiteLLM, " +
         std::to_string(ignored) + " ignored\n";
}

}  // namespace llmux::app
