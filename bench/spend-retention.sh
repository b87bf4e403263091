#!/usr/bin/env bash
# spend-retention.sh — does the spend log's retention keep the database and the cost per request
# flat over a long saturated run (issues #19 item 5 and #23 item 5)?
#
#   bench/spend-retention.sh                           # 10 minutes, build/llmux, retention 60s
#   MINUTES=3 RETENTION= LLMUX_BIN=build-release/llmux bench/spend-retention.sh   # retention off
#
# One llmux (one worker, a virtual key, spend in SQLite) against the bench's nginx mock, with
# general_settings.maximum_spend_logs_retention_period and _interval both RETENTION (unset or
# empty: no retention, the A/B). h2load keeps CONC connections busy (closed loop) for MINUTES
# one-minute segments back to back; after each it records the requests it made, the CPU llmux
# used in that minute (utime + stime of /proc/PID/stat, every thread), the spend log's row count
# and the database's size (the file and its -wal, read from outside llmux). The machine's load
# average is printed at the start and end: on a machine other programs use, CPU per request is
# what to compare, not requests per second. Results in results/spend-retention-<stamp>/:
# minutes.tsv and summary.txt (the last minute's CPU per request against the first's).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
MINUTES=${MINUTES:-10}
CONC=${CONC:-10}
RETENTION=${RETENTION-60s}
LLMUX_BIN=$(realpath "${LLMUX_BIN:-$REPO_DIR/build/llmux}") # llmux runs in the run's directory
[[ -x $LLMUX_BIN ]] || { echo "spend-retention: no llmux at $LLMUX_BIN" >&2; exit 2; }
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh" # the mock, the config, the key (not callgrind itself)
install_packages nginx nghttp2-client curl python3

RESULTS=$BENCH_DIR/results/spend-retention-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS"
RUN_DIR=$(mktemp -d /tmp/llmux-spend-retention.XXXXXX)
trap 'callgrind_cleanup; rm -rf "$RUN_DIR"' EXIT
callgrind_start_mock
read -r port <<<"$(free_ports 1)"
callgrind_config "$RUN_DIR"
if [[ -n $RETENTION ]]; then
  cat >>"$RUN_DIR/config.yaml" <<YAML
  maximum_spend_logs_retention_period: "$RETENTION"
  maximum_spend_logs_retention_interval: "$RETENTION"
YAML
fi
(cd "$RUN_DIR" && exec "$LLMUX_BIN" --config "$RUN_DIR/config.yaml" --host 127.0.0.1 --port "$port" \
  --num_workers 1) >"$RUN_DIR/llmux.log" 2>&1 &
llmux_pid=$!
callgrind_pids+=("$llmux_pid")
callgrind_wait_port "$port"
key=$(callgrind_key "$port")
sed 's/"model": *"[^"]*"/"model": "bench-json"/' "$BENCH_DIR/workload/chat-small.json" >"$RUN_DIR/json.json"
log "llmux PID $llmux_pid on $port; $MINUTES minutes at c=$CONC; retention ${RETENTION:-off}; results in $RESULTS"
echo "load average at the start: $(cat /proc/loadavg)" >"$RESULTS/load.txt"

ticks() { sed 's/^.*) //' "/proc/$llmux_pid/stat" | awk '{ print $12 + $13 }'; }
# The spend log's rows and the database's bytes (file + WAL), read-only from outside llmux.
database_state() {
  python3 - "$RUN_DIR/llmux.db" <<'PY'
import os, sqlite3, sys
path = sys.argv[1]
connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
rows = connection.execute("SELECT count(*) FROM llmux_spend_logs").fetchone()[0]
connection.close()
size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
print(rows, size)
PY
}

printf 'minute\trequests\tcpu_us_per_request\tspend_log_rows\tdatabase_mib\n' >"$RESULTS/minutes.tsv"
for ((minute = 1; minute <= MINUTES; ++minute)); do
  before=$(ticks)
  h2load --h1 -c "$CONC" -D 60 -d "$RUN_DIR/json.json" -H "Authorization: Bearer $key" \
    -H "content-type: application/json" "http://127.0.0.1:$port/v1/chat/completions" \
    >"$RESULTS/h2load-$minute.txt" 2>&1
  after=$(ticks)
  requests=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$RESULTS/h2load-$minute.txt")
  read -r rows bytes <<<"$(database_state)"
  # Clock ticks are 1/100 s (USER_HZ).
  awk -v m="$minute" -v n="$requests" -v t=$((after - before)) -v r="$rows" -v b="$bytes" \
    'BEGIN { printf "%d\t%d\t%.1f\t%d\t%.1f\n", m, n, n ? t * 10000 / n : 0, r, b / 1048576 }' |
    tee -a "$RESULTS/minutes.tsv"
done
echo "load average at the end: $(cat /proc/loadavg)" >>"$RESULTS/load.txt"

python3 - "$RESULTS" "${RETENTION:-off}" <<'PY' | tee "$RESULTS/summary.txt"
import sys
results, retention = sys.argv[1], sys.argv[2]
rows = [line.split("\t") for line in open(f"{results}/minutes.tsv").read().splitlines()[1:]]
first, last = rows[0], rows[-1]
ratio = float(last[2]) / float(first[2])
print(open(f"{results}/load.txt").read().strip())
print(f"retention {retention}; {len(rows)} minutes; requests {sum(int(r[1]) for r in rows)}")
print(f"CPU per request: first minute {first[2]} us, last minute {last[2]} us "
      f"({(ratio - 1) * 100:+.1f} %; the target is within 10 %)")
print(f"spend log rows: after minute 1 {first[3]}, at the end {last[3]}, "
      f"most {max(int(r[3]) for r in rows)}")
print(f"database (file + WAL): after minute 1 {first[4]} MiB, at the end {last[4]} MiB, "
      f"most {max(float(r[4]) for r in rows)} MiB")
PY
