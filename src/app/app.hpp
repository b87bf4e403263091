// The composition root: builds everything from the command line and the config, runs one
// worker per I/O thread until SIGTERM/SIGINT, then drains and exits.
#pragma once

#include "cli/cli.hpp"

namespace llmux::app {

// Returns the process exit status.
int run(const cli::Options& options);

// The config the options name: --model's one model, --config's file, else the embedded example.
config::Config load_config(const cli::Options& options);

// `llmux import-litellm`: copies LiteLLM's database into the store the config names, prints
// what was imported and what was not. Returns the process exit status.
int import_litellm(const cli::Options& options);

}  // namespace llmux::app
