// argv → cli::Options → app::run; nothing else.
#include "app/app.hpp"
#include "cli/cli.hpp"

#include <iostream>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const auto parsed = llmux::cli::parse_arguments(args);
  if (!parsed.error.empty()) {
    std::cerr << "llmux: " << parsed.error << "\n\n" << llmux::cli::usage_text();
    return 2;
  }
  if (parsed.options.show_help) {
    std::cout << llmux::cli::usage_text();
    return 0;
  }
  if (parsed.options.show_version) {
    std::cout << "llmux " LLMUX_VERSION "\n";
    return 0;
  }
  if (parsed.options.command == llmux::cli::Command::import_litellm) {
    return llmux::app::import_litellm(parsed.options);
  }
  return llmux::app::run(parsed.options);
}
