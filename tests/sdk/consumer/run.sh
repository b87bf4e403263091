#!/usr/bin/env bash
# CTest sdk.package: installs the build's llmux package into a temporary prefix, builds
# tests/sdk/consumer against it alone (find_package(llmux)), and runs it against the mock upstream.
# Usage: run.sh <build dir> <source dir> <node> <C++ compiler>
set -euo pipefail
build=$1 source=$2 node=$3 compiler=$4
work=$(mktemp -d)
mock_pid=
cleanup() {
  if [[ -n $mock_pid ]]; then kill "$mock_pid" && wait "$mock_pid" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$source/tests/sdk/consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_COMPILER="$compiler" >/dev/null
cmake --build "$work/build"

# The mock upstream on a free loopback port; its first line is "listening <port>".
coproc mock { exec "$node" "$source/tests/mock_upstream/server.mjs" --port 0; }
mock_pid=$mock_PID
read -r _ port <&"${mock[0]}"
"$work/build/consumer" "http://127.0.0.1:$port/v1"
