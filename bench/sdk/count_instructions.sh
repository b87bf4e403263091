#!/bin/sh
# Instructions per call (all threads) of the SDK's lines, counted by callgrind, which the load on
# the machine does not change: each line runs twice, 200 and 1200 calls, and the difference is
# divided by 1000, so the set-up (interpreter, client, config) drops out.
#   bench/sdk/count_instructions.sh [build dir]    (from the repository's root; PYTHON names
#   the interpreter the module was built for, python3 by default)
set -eu
BUILD=${1:-build}
PYTHON=${PYTHON:-python3}
count() {  # count <label> <command…>: prints the instructions of the command
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
  total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  rm -f "$out"
  echo "$total"
}
per_call() {  # per_call <label> <command with @N@ for the count>
  label=$1
  shift
  few=$(count $(echo "$@" | sed "s/@N@/200/g"))
  many=$(count $(echo "$@" | sed "s/@N@/1200/g"))
  echo "$label: $(( (many - few) / 1000 )) instructions per call"
}
per_call "C++ Client::call" "$BUILD/bench/micro/llmux_sdk_bench" \
  "--benchmark_filter=BM_SdkCallMockResponse/iterations:@N@\$"
per_call "C++ sdk::acompletion" "$BUILD/bench/micro/llmux_sdk_bench" \
  "--benchmark_filter=BM_SdkAcompletionMockResponse/iterations:@N@\$"
export PYTHONPATH="$BUILD/python"
for line in native completion acompletion; do
  per_call "Python $line" "$PYTHON" bench/sdk/binding_bench.py --only "$line" @N@
done
