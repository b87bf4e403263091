#!/usr/bin/env bash
# spend-cost.sh — what recording a call costs (the store thread and the spend indexer, in
# instructions per call) across the sequence a user's traffic makes on one database: a saturated
# run, a c=1 run, a saturated run again (issue #23). Counted by callgrind (lib/callgrind.sh), so
# the figures do not depend on the machine's load.
#
#   bench/spend-cost.sh BINARY [BINARY_B]
#   N_BURST=2000 N_CALM=500 CONC=10 bench/spend-cost.sh build/llmux
#
# One llmux per binary (one worker, a virtual key, spend in SQLite with the default flush
# interval) against the bench's mock: N_BURST JSON requests at CONC, N_CALM at c=1, N_BURST at
# CONC. After each phase it waits until the spend log holds every call (read from outside llmux),
# then dumps callgrind's counts, so a phase holds the whole of its calls' recording.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
N_BURST=${N_BURST:-2000}
N_CALM=${N_CALM:-500}
CONC=${CONC:-10}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh"
(($# >= 1)) || { echo "usage: $0 BINARY [BINARY_B]" >&2; exit 2; }
callgrind_require

RUN_DIR=$(mktemp -d /tmp/llmux-spend-cost.XXXXXX)
trap 'callgrind_cleanup; if [[ -n ${KEEP:-} ]]; then echo "spend-cost.sh: outputs kept in $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; fi' EXIT
callgrind_start_mock

# measure BINARY LABEL
measure() {
  local dir=$RUN_DIR/$2 port key calls=0 phase count conc
  mkdir -p "$dir"
  read -r port <<<"$(free_ports 1)"
  callgrind_config "$dir"
  callgrind_serve "$1" "$dir" "$port"
  key=$(callgrind_key "$port")
  sed 's/"model": *"[^"]*"/"model": "bench-json"/' "$BENCH_DIR/workload/chat-small.json" >"$dir/json.json"
  callgrind_dump "$CALLGRIND_PID" >/dev/null # part 1: start, not counted
  for phase in burst calm burst; do           # parts 2, 3, 4
    count=$N_BURST conc=$CONC
    [[ $phase == calm ]] && count=$N_CALM conc=1
    callgrind_send "http://127.0.0.1:$port/v1/chat/completions" "$dir/json.json" "$count" "$conc" \
      "$key" "$dir/h2load-$calls.txt"
    calls=$((calls + count))
    callgrind_await_spend "$dir/llmux.db" "$calls"
    callgrind_dump "$CALLGRIND_PID"
  done
  callgrind_threads "$dir"/callgrind.out."$CALLGRIND_PID".* | python3 -c '
import sys
label, counts = sys.argv[1], {"2": int(sys.argv[2]), "3": int(sys.argv[3]), "4": int(sys.argv[2])}
names = {"2": "saturated", "3": "c=1", "4": "saturated again"}
figures = {}
for line in sys.stdin:
    part, role, instructions = line.split()
    if part in names:
        figures[(part, role)] = figures.get((part, role), 0) + int(instructions)
for part, name in names.items():
    n = counts[part]
    worker, store, indexer = (figures.get((part, role), 0) / n for role in ("worker", "store", "indexer"))
    print(f"{label} {name:<16} worker {worker:>9,.0f}  store {store:>7,.0f}  indexer {indexer:>7,.0f}"
          f"  recording (store + indexer) {store + indexer:>7,.0f} instructions/call ({n} calls)")
' "$2" "$N_BURST" "$N_CALM"
}

measure "$1" A
[[ $# -ge 2 ]] && measure "$2" B
exit 0
