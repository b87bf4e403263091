// The composition root: builds everything from the command line and the config, runs one
// worker per I/O thread until SIGTERM/SIGINT, then drains and exits.
#pragma once

#include "cli/cli.hpp"

namespace llmux::app {

// Returns the process exit status.
int run(const cli::Options& options);

}  // namespace llmux::app
