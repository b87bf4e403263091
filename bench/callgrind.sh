#!/usr/bin/env bash
# callgrind.sh — instructions per request of llmux, counted by valgrind's callgrind: the same
# figure for the same binary and inputs whatever else the machine is doing, so two binaries can be
# compared on a shared machine (timings there move by ±20 %).
#
#   bench/callgrind.sh BINARY [BINARY_B]        # prints instructions per request, per thread kind
#   N_JSON=4000 N_STREAM=1000 CONC=10 bench/callgrind.sh build-release/llmux
#   KEEP=1 bench/callgrind.sh …                  # keeps the callgrind outputs (callgrind_annotate)
#   CACHE=local bench/callgrind.sh …             # with the response cache (local, or redis on a
#   CACHE=redis CACHE_CONTROL='{"no-cache":true}' bench/callgrind.sh …   # redis-server it starts);
#                                                # h2load repeats one body, so every request after
#                                                # the first is a hit; CACHE_CONTROL (the body's
#                                                # `cache`) {"no-cache":true} makes each a miss
#                                                # that is stored
#   ROUTE=messages bench/callgrind.sh …          # the same requests in another dialect: chat
#                                                # (default), messages (/v1/messages), responses
#   EXTRA_YAML_B="$(cat bench/workload/callbacks.yaml)" bench/callgrind.sh llmux llmux
#                                                # B's config gets these top-level blocks too
#   KEY_LIMITS='"rpm_limit":100000000' FLEET=B bench/callgrind.sh BIN BIN   # the cost of a fleet
#
# KEY_LIMITS: JSON fields added to the virtual key (limits make every call count against them).
# FLEET: which runs (A, B or AB) share a redis-server started here (router_settings.redis_*): the
# key's limits are then counted in Redis (docs/SCALING.md).
#
# Each binary serves the bench's config (one worker, a virtual key, spend in SQLite) against the
# bench's nginx mock upstream (JSON, and a 12-event stream; free ports), under callgrind; h2load
# sends N_JSON chat requests and N_STREAM streamed ones; SIGTERM ends it (so the last spend is
# written). The worker thread's instructions are what a request costs on the busy core; the store
# thread's are the spend log's share; the indexer's run at idle priority.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
N_JSON=${N_JSON:-4000}
N_STREAM=${N_STREAM:-1000}
CONC=${CONC:-10}
ROUTE=${ROUTE:-chat}
case $ROUTE in
  chat) ROUTE_PATH=/v1/chat/completions ;;
  messages) ROUTE_PATH=/v1/messages ;;
  responses) ROUTE_PATH=/v1/responses ;;
  *) echo "callgrind.sh: ROUTE is chat, messages or responses" >&2; exit 2 ;;
esac
source "$BENCH_DIR/lib/common.sh"
read -r MOCK_PORT_JSON MOCK_PORT_SSE PORT REDIS_PORT <<<"$(free_ports 4)"
PORT=${CALLGRIND_PORT:-$PORT}
REDIS_PORT=${CALLGRIND_REDIS_PORT:-$REDIS_PORT}
CACHE=${CACHE:-}
KEY_LIMITS=${KEY_LIMITS:-}
FLEET=${FLEET:-}
(($# >= 1)) || { echo "usage: $0 BINARY [BINARY_B]" >&2; exit 2; }

for tool in valgrind h2load nginx curl; do
  command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool is missing (apt-get install valgrind nghttp2-client nginx curl)" >&2; exit 2; }
done

RUN_DIR=$(mktemp -d /tmp/llmux-callgrind.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "callgrind.sh: outputs kept in $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT
mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp"

wait_port() {
  local i
  for ((i = 0; i < 600; ++i)); do port_open "$1" && return 0; sleep 0.1; done
  echo "callgrind.sh: nothing listens on $1" >&2
  return 1
}

render_conf "$BENCH_DIR/mock-upstream/nginx.conf" "$RUN_DIR/mock-upstream.conf"
nginx -p "$RUN_DIR" -c "$RUN_DIR/mock-upstream.conf" >"$RUN_DIR/logs/mock.log" 2>&1 &
pids+=($!)
wait_port $MOCK_PORT_JSON
wait_port $MOCK_PORT_SSE
if [[ -n $FLEET || $CACHE == redis ]]; then
  command -v redis-server >/dev/null || { echo "callgrind.sh: FLEET and CACHE=redis need redis-server" >&2; exit 2; }
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no >"$RUN_DIR/logs/redis.log" 2>&1 &
  pids+=($!)
  wait_port "$REDIS_PORT"
fi

cache_settings=""
case $CACHE in
  "") ;;
  local) cache_settings="litellm_settings: {cache: true, cache_params: {type: local}}" ;;
  redis)
    cache_settings="litellm_settings: {cache: true, cache_params: {type: redis, host: 127.0.0.1, port: $REDIS_PORT}}"
    ;;
  *) echo "callgrind.sh: CACHE is local or redis" >&2; exit 2 ;;
esac
# The workload's body with the model named, and the cache controls when CACHE_CONTROL is set.
request_body() {
  local model=$1 source=$2
  sed 's/"model": *"[^"]*"/"model": "'"$model"'"/' "$source" |
    if [[ -n ${CACHE_CONTROL:-} ]]; then sed 's/^{/{"cache": '"$CACHE_CONTROL"', /'; else cat; fi
}

# count BINARY LABEL: prints "LABEL worker=<ins/req> store=<ins/req> indexer=<ins/req> total=<ins/req>"
count() {
  local bin=$1 label=$2 dir="$RUN_DIR/$2"
  mkdir -p "$dir"
  cat >"$dir/config.yaml" <<YAML
model_list:
  - model_name: bench-json
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT_JSON/v1", api_key: sk-bench-upstream}
  - model_name: bench-sse
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT_SSE/v1", api_key: sk-bench-upstream}
general_settings:
  master_key: sk-bench-dummy
$cache_settings
YAML
  local extra_name="EXTRA_YAML_$label"
  # @MOCK_PORT_JSON@ in it (workload/callbacks.yaml) names the mock's port of this run.
  [[ -n ${!extra_name:-} ]] && printf '%s\n' "${!extra_name}" |
    sed "s/@MOCK_PORT_JSON@/$MOCK_PORT_JSON/g" >>"$dir/config.yaml"
  if [[ $FLEET == *$label* ]]; then
    printf 'router_settings:\n  redis_host: 127.0.0.1\n  redis_port: %s\n' "$REDIS_PORT" >>"$dir/config.yaml"
  fi
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/callgrind.out.%p" \
    "$bin" --config "$dir/config.yaml" --host 127.0.0.1 --port "$PORT" --num_workers 1 >"$dir/llmux.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_port "$PORT"
  local key
  key=$(curl -sf -X POST "http://127.0.0.1:$PORT/key/generate" -H "Authorization: Bearer sk-bench-dummy" \
    -H "content-type: application/json" -d "{\"models\":[\"bench-json\",\"bench-sse\"]${KEY_LIMITS:+,$KEY_LIMITS}}" |
    sed -n 's/.*"key":"\(sk-[^"]*\)".*/\1/p')
  [[ -n $key ]] || { echo "callgrind.sh: no virtual key" >&2; return 1; }
  request_body bench-json "$BENCH_DIR/workload/$ROUTE-small.json" >"$dir/json.json"
  request_body bench-sse "$BENCH_DIR/workload/$ROUTE-small-stream.json" >"$dir/sse.json"
  local kind body count
  for kind in json sse; do
    body=$dir/$kind.json count=$N_JSON
    [[ $kind == sse ]] && count=$N_STREAM
    ((count > 0)) || continue
    h2load --h1 -n "$count" -c "$CONC" -d "$body" -H "Authorization: Bearer $key" \
      -H "content-type: application/json" "http://127.0.0.1:$PORT$ROUTE_PATH" >"$dir/h2load-$kind.txt"
    grep -q "succeeded, 0 failed" "$dir/h2load-$kind.txt" || { echo "callgrind.sh: requests failed (see $dir)" >&2; return 1; }
  done
  kill -TERM "$pid"
  wait "$pid" || true
  # One file per thread: the main thread (-01), then the threads in the order they started.
  local requests=$((N_JSON + N_STREAM))
  python3 - "$dir" "$requests" "$label" <<'PY'
import glob, re, sys
directory, requests, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]
totals = []
for path in sorted(glob.glob(directory + "/callgrind.out.*")):
    text = open(path, errors="replace").read()
    match = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text, re.M)
    totals.append((path, int(match.group(1)) if match else 0))
# The worker runs the requests: the busiest thread; the others are named by their share.
totals.sort(key=lambda item: -item[1])
worker = totals[0][1]
rest = sum(value for _, value in totals[1:])
print(f"{label}: worker {worker / requests:,.0f} instructions/request, other threads {rest / requests:,.0f}, "
      f"all {(worker + rest) / requests:,.0f} ({requests} requests, {len(totals)} threads)")
PY
}

count "$1" A
[[ $# -ge 2 ]] && count "$2" B
exit 0
