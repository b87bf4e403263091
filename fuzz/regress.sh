#!/usr/bin/env bash
# One fuzz target's regression test (CTest label `fuzz`): every seed, and what a longer run of
# scripts/fuzz.sh kept in the build directory's corpus, is run once; then the target fuzzes for
# SECONDS from them. A crash, a failed check, a leak or an input slower than 25 s fails the test
# and leaves the input in <build>/fuzz/artifacts/<target>/.
# Usage: regress.sh BINARY SECONDS SEED_DIR...
set -euo pipefail
binary=$1
seconds=$2
shift 2
name=$(basename "$binary")
dir=$(dirname "$binary")
inputs=()
for seeds in "$@" "$dir/corpus/$name"; do
  [[ -d $seeds ]] && inputs+=("$seeds")
done
artifacts="$dir/artifacts/$name"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The first directory is where libFuzzer writes what it finds: a scratch one, never the seeds.
options=(-timeout=25 -rss_limit_mb=4096 -artifact_prefix="$artifacts/" -print_final_stats=1)
"$binary" "${options[@]}" -runs=0 "$scratch" "${inputs[@]}"
# A fixed seed: every CI run walks the same mutations (only how far depends on the machine's speed),
# so a test that passed does not fail later by chance; scripts/fuzz.sh explores at random.
if ((seconds > 0)); then
  "$binary" "${options[@]}" -seed=1 -max_total_time="$seconds" "$scratch" "${inputs[@]}"
fi
