#!/usr/bin/env bash
# gate.sh — the instruction-count regression gate (CTest `perf.instructions`, label perf): llmux
# under callgrind against the bench's nginx mock, a virtual key and spend on, its instructions
# per request compared with the budget committed in bench/budgets.json. Instructions, not time:
# the same binary and inputs give the same counts however busy the machine is.
#
#   bench/gate.sh BINARY BUILD            # fails when a figure is above its budget + tolerance
#   bench/gate.sh --update BINARY BUILD   # writes the measured figures as the budget
#
# BUILD names how BINARY was built (CMake passes "<build type> <compiler> <version>"): counts
# differ between builds, so a BINARY built otherwise than the budget's is skipped (exit 77).
# --update is for a change meant to cost more, or one that won (docs/PERFORMANCE.md, "The
# regression gate"); commit the file with the change and say why in its message.
#
# What it measures, in one llmux (one worker): WARMUP JSON and WARMUP streamed requests, then the
# counts are zeroed; N JSON requests (dumped: the json part), N streamed ones (the stream part),
# at concurrency 1, so each request is read, relayed and answered alone (with more, how many a
# wake-up of the worker serves depends on timing). Per part: the worker thread's instructions per
# request, the store thread's (collecting the calls, appending them to the spend journal), and
# the spend indexer's (writing them into SQLite at idle priority: reported, not gated, since how
# much of it runs inside a part depends on timing).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUDGETS=${BUDGETS:-$BENCH_DIR/budgets.json}
update=0
if [[ ${1:-} == --update ]]; then update=1; shift; fi
(($# == 2)) || { echo "usage: $0 [--update] BINARY BUILD" >&2; exit 2; }
binary=$1 build=$2
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh"
callgrind_require jq

budget_build=$(jq -r .build "$BUDGETS")
if ((!update)) && [[ $budget_build != "$build" ]]; then
  echo "gate: the budget is for a $budget_build build, this one is $build: skipped"
  exit 77
fi
read -r warmup n <<<"$(jq -r '"\(.warmup) \(.requests)"' "$BUDGETS")"

RUN_DIR=$(mktemp -d /tmp/llmux-gate.XXXXXX)
trap 'callgrind_cleanup; if [[ -n ${KEEP:-} ]]; then echo "gate: outputs kept in $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; fi' EXIT
callgrind_start_mock
read -r port <<<"$(free_ports 1)"
callgrind_config "$RUN_DIR"
# Spend is flushed every second (and every 128 calls), so each part's calls reach the spend log.
echo "  proxy_batch_write_at: 1" >>"$RUN_DIR/config.yaml"
callgrind_serve "$binary" "$RUN_DIR" "$port"
key=$(callgrind_key "$port")
url=http://127.0.0.1:$port/v1/chat/completions
sed 's/"model": *"[^"]*"/"model": "bench-json"/' "$BENCH_DIR/workload/chat-small.json" >"$RUN_DIR/json.json"
sed 's/"model": *"[^"]*"/"model": "bench-sse"/' "$BENCH_DIR/workload/chat-small-stream.json" >"$RUN_DIR/sse.json"

callgrind_send "$url" "$RUN_DIR/json.json" "$warmup" 1 "$key" "$RUN_DIR/h2load-warmup-json.txt"
callgrind_send "$url" "$RUN_DIR/sse.json" "$warmup" 1 "$key" "$RUN_DIR/h2load-warmup-sse.txt"
callgrind_await_spend "$RUN_DIR/llmux.db" $((2 * warmup))
callgrind_dump "$CALLGRIND_PID" # part 1: start and warm-up, not counted
calls=$((2 * warmup))
for kind in json sse; do # parts 2 and 3
  callgrind_send "$url" "$RUN_DIR/$kind.json" "$n" 1 "$key" "$RUN_DIR/h2load-$kind.txt"
  calls=$((calls + n))
  callgrind_await_spend "$RUN_DIR/llmux.db" "$calls"
  callgrind_dump "$CALLGRIND_PID"
done

measured=$RUN_DIR/measured.json
# Not counted, since they depend on how long a part took rather than on its calls: the store
# thread's once-a-second maintenance, and the journal lines it indexes itself when the indexer had
# no idle time for spend_max_lag (on a loaded machine; the indexer's own work is reported apart).
{
  callgrind_threads "$RUN_DIR"/callgrind.out."$CALLGRIND_PID".*
  for part in 2 3; do
    for file in "$RUN_DIR"/callgrind.out."$CALLGRIND_PID".$part-*; do
      echo "$part maintenance $(callgrind_inclusive "$file" "Service::schedule_maintenance()::{lambda")"
      echo "$part maintenance $(callgrind_inclusive_except "$file" "SpendJournal::index_overdue(bool)" \
        "Service::schedule_maintenance()::{lambda")"
    done
  done
} | python3 -c '
import json, sys
n = int(sys.argv[1])
name = {"2": "json", "3": "stream"}
figures = {}
for line in sys.stdin:
    part, role, instructions = line.split()
    if part not in name or role == "other":
        continue
    if role == "maintenance":
        role, instructions = "store", -int(instructions)
    key = role + "_" + name[part]
    figures[key] = figures.get(key, 0) + int(instructions)
for role in ("worker", "store"):
    for part in name.values():
        if role + "_" + part not in figures:
            sys.exit(f"gate: no {role} thread in the {part} part")
print(json.dumps({key: round(value / n) for key, value in sorted(figures.items())}))
' "$n" >"$measured"

if ((update)); then
  jq --arg build "$build" --slurpfile measured "$measured" \
    '.build = $build | .instructions_per_request = ($measured[0] | with_entries(select(.key | test("^(worker|store)_"))))' \
    "$BUDGETS" >"$RUN_DIR/budgets.json"
  cp "$RUN_DIR/budgets.json" "$BUDGETS"
  echo "gate: budget written to $BUDGETS:"
  jq .instructions_per_request "$BUDGETS"
  exit 0
fi

python3 - "$BUDGETS" "$measured" <<'PY'
import json, sys
budgets = json.load(open(sys.argv[1]))
measured = json.load(open(sys.argv[2]))
tolerance = budgets["tolerance_percent"]
failed = False
print(f"{'figure':<16} {'budget':>10} {'measured':>10} {'change':>8}")
for key, budget in budgets["instructions_per_request"].items():
    value = measured[key]
    change = 100.0 * (value - budget) / budget
    over = change > tolerance
    failed |= over
    print(f"{key:<16} {budget:>10,} {value:>10,} {change:>+7.1f}%{'  OVER BUDGET' if over else ''}")
for key in sorted(set(measured) - set(budgets["instructions_per_request"])):
    print(f"{key:<16} {'':>10} {measured[key]:>10,}  (not gated)")
if failed:
    print(f"gate: above budget + {tolerance} %: find the cost (KEEP=1, callgrind_annotate) or, if it is "
          "meant, update the budget (bench/gate.sh --update; docs/PERFORMANCE.md)")
    sys.exit(1)
print(f"gate: every figure within its budget + {tolerance} %")
PY
