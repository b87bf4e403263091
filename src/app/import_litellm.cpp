#include "app/app.hpp"

#include "config/load.hpp"
#include "store/litellm_import.hpp"
#include "store/service.hpp"

#include <iostream>

namespace llmux::app {

int import_litellm(const cli::Options& options) {
  config::Config config;
  try {
    config = load_config(options);
  } catch (const config::LoadError& error) {
    for (const auto& problem : error.problems)
      std::cerr << "llmux: config error: " << problem << "\n";
    return 2;
  }
  try {
    auto litellm = store::open_postgres(options.litellm_database_url);
    store::Store llmux(
        store::open_database(config.general_settings.database_url, options.config_path));
    const auto summary =
        store::import_litellm(*litellm, llmux, {.spend_logs = options.import_spend_logs});
    std::cout << "imported LiteLLM's database into llmux's " << llmux.database().engine()
              << " database\n"
              << store::summary_text(summary);
    return 0;
  } catch (const store::DatabaseError& error) {
    // Nothing was written: the import is one transaction.
    std::cerr << "llmux import-litellm: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace llmux::app
