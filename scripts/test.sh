#!/usr/bin/env bash
# Runs every test tier on a fresh Debian 12 machine: installs the packages and the npm
# dependencies, builds, then unit, integration and conformance tests through CTest; then, on a
# second build with clang, AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz), the fuzz
# targets' regression tests and the unit tests of the folders they cover (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
npm ci --prefix tests --no-audit --no-fund --loglevel=error
BUILD_DIR=${BUILD_DIR:-build}
# Unit tests run in parallel; the node tiers are RUN_SERIAL (they time streams on two cores).
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" "$@"
# After the node tiers, not beside them: fuzzing takes both cores.
scripts/fuzz.sh regress
