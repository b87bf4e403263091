#!/usr/bin/env bash
# Runs every test tier on a fresh Debian 12 machine: installs the packages and the npm
# dependencies, builds, then unit, integration and conformance tests through CTest; then, on a
# second build with clang, AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz), the fuzz
# targets' regression tests, every folder's unit tests and the node integration tier against that
# build's llmux (scripts/fuzz.sh sanitized).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
npm ci --prefix tests --no-audit --no-fund --loglevel=error
BUILD_DIR=${BUILD_DIR:-build}
# Unit tests run in parallel; the node tiers are RUN_SERIAL (they time streams on two cores).
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
# After the node tiers, not beside them: the sanitized build and fuzzing take both cores.
scripts/fuzz.sh sanitized
