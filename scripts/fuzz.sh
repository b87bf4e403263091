#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/: clang, libFuzzer, ASan and UBSan, in build-fuzz/) and runs each
# for a set time. What a run finds is kept in build-fuzz/fuzz/corpus/<target>/, where the next run
# (and the target's regression test) starts; an input that fails a target is left in
# build-fuzz/fuzz/artifacts/<target>/ and its log in build-fuzz/fuzz/logs/<target>.log.
#
# Usage: scripts/fuzz.sh [SECONDS per target, default 600] [TARGET...]   (default: every target)
#   JOBS=N runs N targets at once (default 1); FUZZ_BUILD_DIR names another build directory.
#   A target is named as built (fuzz_net_http1_request) or without its prefix (net_http1_request).
# Prints one line per target (clean or FAILED, runs, coverage, corpus size) and exits 1 if any
# target failed.
#        scripts/fuzz.sh regress     the regression tests (CTest label `fuzz`: each target replays
#   its seeds and corpus, then fuzzes for LLMUX_FUZZ_SMOKE_SECONDS), and the unit tests of the
#   folders the targets link, built here with the same sanitizers (label `unit`).
#        scripts/fuzz.sh sanitized   what CI runs (scripts/test.sh): the same, then, built here too,
#   every folder's unit tests and the node integration tier against this build's llmux (label
#   `integration`; needs `npm ci --prefix tests`).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-1}

scripts/deps.sh
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
tiers=OFF
if [[ ${1:-} == sanitized ]]; then tiers=ON; fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DLLMUX_FUZZ=ON -DLLMUX_SANITIZED_TIERS=$tiers "${launcher[@]}" >/dev/null
if [[ ${1:-} == regress || ${1:-} == sanitized ]]; then
  ninja -C "$BUILD_DIR" fuzz sanitized_tests
  # The integration tests are RUN_SERIAL: CTest runs each alone, after or between the others.
  exec ctest --test-dir "$BUILD_DIR" -L 'fuzz|unit|integration' --output-on-failure -j "$(nproc)"
fi
ninja -C "$BUILD_DIR" fuzz
seconds=${1:-600}
shift || true

out="$BUILD_DIR/fuzz"
mkdir -p "$out/logs"
# targets.txt (written by fuzz/CMakeLists.txt): "<target> <seed dir>..." per line.
declare -A seeds_of
order=()
while read -r target seeds; do
  seeds_of[$target]=$seeds
  order+=("$target")
done <"$out/targets.txt"
chosen=()
for name in "$@"; do
  target=fuzz_${name#fuzz_}
  [[ -n ${seeds_of[$target]:-} ]] || { echo "fuzz: no target $name" >&2; exit 2; }
  chosen+=("$target")
done
((${#chosen[@]})) || chosen=("${order[@]}")

run_target() {
  local target=$1 corpus="$out/corpus/$1" artifacts="$out/artifacts/$1" log="$out/logs/$1.log"
  local inputs=() seeds dir
  read -ra seeds <<<"${seeds_of[$target]}"
  for dir in "${seeds[@]}"; do [[ -d $dir ]] && inputs+=("$dir"); done
  mkdir -p "$corpus" "$artifacts"
  local started=$SECONDS status=clean
  "$out/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" "${inputs[@]}" >"$log" 2>&1 || status=FAILED
  local runs coverage
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  printf '%-36s %-6s %5ss %10s runs  %-20s corpus %s\n' "$target" "$status" \
    "$((SECONDS - started))" "${runs:-?}" "${coverage:-}" "$(find "$corpus" -type f | wc -l)"
  [[ $status == clean ]]
}

failed=0
running=0
for target in "${chosen[@]}"; do
  if ((running >= JOBS)); then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
