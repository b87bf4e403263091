#!/usr/bin/env bash
# soak.sh — llmux's memory over a long run at a steady paced rate (issue #23, "Memory over hours").
#
#   bench/soak.sh                                # 30 min, build/llmux
#   DURATION=600 LLMUX_BIN=build-release/llmux bench/soak.sh
#
# One llmux (one worker, spend in SQLite) against the bench's nginx mock, with two virtual keys.
# h2load paces (one connection each, --rps): per key JSON_RPS chat requests/s and STREAM_RPS
# 12-event streams/s, and FAIL_RPS requests/s to a deployment whose upstream answers 404 (an
# upstream failing now and then). VmRSS is sampled every 10 s; the results directory gets the
# samples (rss.tsv: seconds, KiB), each h2load's summary, the RSS chart (rss.png, gnuplot) and
# summary.txt: RSS after warm-up (the first 5 minutes, or a sixth of a shorter run), at the end,
# the least-squares slope after warm-up, and the requests by status.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DURATION=${DURATION:-1800}
JSON_RPS=${JSON_RPS:-30}
STREAM_RPS=${STREAM_RPS:-15}
FAIL_RPS=${FAIL_RPS:-2}
LLMUX_BIN=${LLMUX_BIN:-$REPO_DIR/build/llmux}
source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh" # the mock, the config, the keys (not callgrind itself)
install_packages nginx nghttp2-client curl gnuplot-nox python3

RESULTS=$BENCH_DIR/results/soak-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS"
RUN_DIR=$(mktemp -d /tmp/llmux-soak.XXXXXX)
trap 'callgrind_cleanup; rm -rf "$RUN_DIR"' EXIT
callgrind_start_mock
read -r port <<<"$(free_ports 1)"
callgrind_config "$RUN_DIR"
cat >>"$RUN_DIR/config.yaml" <<YAML
  - model_name: bench-failing
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT_JSON/failing/v1", api_key: sk-bench-upstream}
YAML
# The model list is the config's first block: the failing deployment joins it.
python3 - "$RUN_DIR/config.yaml" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines()
failing = lines[-2:]
rest = lines[:-2]
at = rest.index("general_settings:")
open(path, "w").write("\n".join(rest[:at] + failing + rest[at:]) + "\n")
PY
(cd "$RUN_DIR" && exec "$LLMUX_BIN" --config "$RUN_DIR/config.yaml" --host 127.0.0.1 --port "$port" \
  --num_workers 1) >"$RUN_DIR/llmux.log" 2>&1 &
llmux_pid=$!
callgrind_pids+=("$llmux_pid")
callgrind_wait_port "$port"
log "llmux PID $llmux_pid on $port, $DURATION s, results in $RESULTS"

url=http://127.0.0.1:$port/v1/chat/completions
body() { sed 's/"model": *"[^"]*"/"model": "'"$1"'"/' "$BENCH_DIR/workload/$2" >"$RUN_DIR/$1-$2"; echo "$RUN_DIR/$1-$2"; }
json=$(body bench-json chat-small.json)
sse=$(body bench-sse chat-small-stream.json)
failing=$(body bench-failing chat-small.json)
loads=()
pace() { # NAME BODY RPS KEY
  h2load --h1 -c 1 --rps "$3" -D "$DURATION" -d "$2" -H "Authorization: Bearer $4" \
    -H "content-type: application/json" "$url" >"$RESULTS/h2load-$1.txt" 2>&1 &
  loads+=($!)
  callgrind_pids+=($!)
}
for n in 1 2; do
  key=$(curl -sf -X POST "http://127.0.0.1:$port/key/generate" -H "Authorization: Bearer sk-bench-dummy" \
    -H "content-type: application/json" -d '{"models":["bench-json","bench-sse","bench-failing"]}' |
    sed -n 's/.*"key":"\(sk-[^"]*\)".*/\1/p')
  [[ -n $key ]] || die "no virtual key"
  pace "json-$n" "$json" "$JSON_RPS" "$key"
  pace "stream-$n" "$sse" "$STREAM_RPS" "$key"
  [[ $n == 1 ]] && pace failing "$failing" "$FAIL_RPS" "$key"
done

# Every 10 s until the load ends (the samples are the subject here, not a wait for an event).
start=$SECONDS
printf 'seconds\trss_kib\n' >"$RESULTS/rss.tsv"
while kill -0 "${loads[0]}" 2>/dev/null; do
  rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$llmux_pid/status")
  printf '%d\t%d\n' $((SECONDS - start)) "$rss" >>"$RESULTS/rss.tsv"
  sleep 10
done
wait "${loads[@]}" || true

python3 - "$RESULTS" "$DURATION" <<'PY' | tee "$RESULTS/summary.txt"
import glob, re, sys
results, duration = sys.argv[1], int(sys.argv[2])
rows = [tuple(map(int, line.split())) for line in open(f"{results}/rss.tsv").read().splitlines()[1:]]
warm = min(300, duration // 6)
after = [(t, kib) for t, kib in rows if t >= warm]
n = len(after)
mean_t = sum(t for t, _ in after) / n
mean_r = sum(r for _, r in after) / n
slope = sum((t - mean_t) * (r - mean_r) for t, r in after) / sum((t - mean_t) ** 2 for t, _ in after)
print(f"samples {len(rows)} over {rows[-1][0]} s; warm-up {warm} s")
print(f"RSS first {rows[0][1] / 1024:.1f} MiB, after warm-up {after[0][1] / 1024:.1f} MiB, "
      f"end {rows[-1][1] / 1024:.1f} MiB, max after warm-up {max(r for _, r in after) / 1024:.1f} MiB")
print(f"slope after warm-up {slope * 3600 / 1024:+.2f} MiB per hour (least squares)")
for path in sorted(glob.glob(f"{results}/h2load-*.txt")):
    text = open(path).read()
    requests = re.search(r"^requests: (.*)$", text, re.M)
    codes = re.search(r"^status codes: (.*)$", text, re.M)
    print(f"{path.rsplit('/', 1)[1]}: requests {requests.group(1) if requests else '?'}; "
          f"status codes {codes.group(1) if codes else '?'}")
PY
gnuplot <<GNUPLOT
set terminal png size 900,420
set output "$RESULTS/rss.png"
set title "llmux RSS, paced mixed load (bench/soak.sh)"
set xlabel "minutes"
set ylabel "RSS (MiB)"
set yrange [0:*]
set grid
plot "$RESULTS/rss.tsv" using (\$1/60):(\$2/1024) skip 1 with lines lw 2 title "VmRSS"
GNUPLOT
log "chart: $RESULTS/rss.png"
