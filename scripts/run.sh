#!/usr/bin/env bash
# Builds llmux and starts it. With no arguments it serves its embedded default config
# (examples/config.yaml) on 0.0.0.0:4000; any arguments are passed to llmux (e.g. --config FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh llmux
exec build/llmux "$@"
