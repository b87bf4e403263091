#!/usr/bin/env bash
# Installs what is missing and builds llmux (binary: build/llmux). BUILD_DIR and BUILD_TYPE override.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
BUILD_DIR=${BUILD_DIR:-build}
# ccache, when the machine has it, makes rebuilds in other checkouts (worktrees) cheap.
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${launcher[@]}" >/dev/null
ninja -C "$BUILD_DIR" "$@"
