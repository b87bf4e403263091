#!/usr/bin/env bash
# Installs what building and testing llmux needs on a fresh Debian 12 machine (idempotent).
set -euo pipefail
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev libmimalloc-dev
  libsqlite3-dev libpq-dev postgresql sqlite3  # sqlite3, psql: tests read what the store wrote
  libsodium-dev  # stored model credentials encrypted as LiteLLM encrypts them (NaCl secretbox)
  libhnswlib-dev  # the semantic cache's index (header-only HNSW)
  redis-server openssl clang-format python3
  prometheus  # promtool: tests check /metrics with `promtool check metrics`
  chromium
  pybind11-dev python3-dev python3-pytest python3-pytest-asyncio
  clang libclang-rt-14-dev
  valgrind nginx nghttp2-client curl jq  # the instruction-count gate (bench/gate.sh, CTest perf)

)
# Node.js (with npm) runs the conformance suite; the machine image may ship its own build.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
