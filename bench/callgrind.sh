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
# key's limits are then counted in Redis (docs/SCALING.md). redis-server runs under callgrind then
# too, and each run sharing it also prints Redis's instructions per request.
#
# Each binary serves the bench's config (one worker, a virtual key, spend in SQLite) against the
# bench's nginx mock upstream (JSON, and a 12-event stream; free ports), under callgrind; h2load
# sends N_JSON chat requests and N_STREAM streamed ones; SIGTERM ends it (so the last spend is
# written). Per thread (lib/callgrind.sh): the worker's instructions (the main thread, so start and
# stop are in them) are what a request costs on the busy core; the store thread's are the spend
# log's share; the indexer's run at idle priority. bench/gate.sh counts the requests alone.
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
source "$BENCH_DIR/lib/callgrind.sh"
read -r MOCK_PORT_JSON MOCK_PORT_SSE PORT REDIS_PORT <<<"$(free_ports 4)"
PORT=${CALLGRIND_PORT:-$PORT}
REDIS_PORT=${CALLGRIND_REDIS_PORT:-$REDIS_PORT}
CACHE=${CACHE:-}
KEY_LIMITS=${KEY_LIMITS:-}
FLEET=${FLEET:-}
(($# >= 1)) || { echo "usage: $0 BINARY [BINARY_B]" >&2; exit 2; }
callgrind_require

RUN_DIR=$(mktemp -d /tmp/llmux-callgrind.XXXXXX)
cleanup() {
  callgrind_cleanup
  if [[ -n ${KEEP:-} ]]; then echo "callgrind.sh: outputs kept in $RUN_DIR" >&2; else rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT

callgrind_start_mock
if [[ -n $FLEET || $CACHE == redis ]]; then
  command -v redis-server >/dev/null || { echo "callgrind.sh: FLEET and CACHE=redis need redis-server" >&2; exit 2; }
  # Under callgrind too when the fleet is measured: Redis's instructions per request.
  redis_runner=()
  [[ -n $FLEET ]] && redis_runner=(valgrind --tool=callgrind --callgrind-out-file="$RUN_DIR/redis.callgrind.%p")
  "${redis_runner[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    >"$RUN_DIR/logs/redis.log" 2>&1 &
  REDIS_PID=$!
  callgrind_pids+=("$REDIS_PID")
  callgrind_wait_port "$REDIS_PORT"
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

# redis_instructions LABEL REQUESTS : Redis's instructions since redis_zero, per request: all of
# them (replies, its event loop, and its timers, whose share grows with the run's duration, so
# with the machine's load), and those of the scripts alone (EVALSHA: the same whatever the load,
# but for how many calls' ends one settle run carries).
redis_zero() { callgrind_control --zero "$REDIS_PID" >/dev/null 2>&1; }
redis_instructions() {
  callgrind_control --dump "$REDIS_PID" >/dev/null 2>&1
  local last scripts
  last=$(ls -v "$RUN_DIR"/redis.callgrind.* | tail -1)
  scripts=$(callgrind_inclusive "$last" evalShaCommand)
  awk -v label="$1" -v requests="$2" -v scripts="$scripts" '/^(summary|totals):/ { total = $2 }
    END { printf "%s: Redis instructions/request: all %.0f, scripts %.0f\n", label,
      total / requests, scripts / requests }' "$last"
}

# count BINARY LABEL: prints "LABEL: worker <ins/req>, store …, indexer …, other …, all …"
count() {
  local bin=$1 label=$2 dir="$RUN_DIR/$2"
  mkdir -p "$dir"
  callgrind_config "$dir"
  [[ -n $cache_settings ]] && echo "$cache_settings" >>"$dir/config.yaml"
  local extra_name="EXTRA_YAML_$label"
  # @MOCK_PORT_JSON@ in it (workload/callbacks.yaml) names the mock's port of this run.
  [[ -n ${!extra_name:-} ]] && printf '%s\n' "${!extra_name}" |
    sed "s/@MOCK_PORT_JSON@/$MOCK_PORT_JSON/g" >>"$dir/config.yaml"
  if [[ $FLEET == *$label* ]]; then
    printf 'router_settings:\n  redis_host: 127.0.0.1\n  redis_port: %s\n' "$REDIS_PORT" >>"$dir/config.yaml"
  fi
  callgrind_serve "$bin" "$dir" "$PORT"
  local pid=$CALLGRIND_PID key
  key=$(callgrind_key "$PORT" "$KEY_LIMITS")
  [[ $FLEET == *$label* ]] && redis_zero
  request_body bench-json "$BENCH_DIR/workload/$ROUTE-small.json" >"$dir/json.json"
  request_body bench-sse "$BENCH_DIR/workload/$ROUTE-small-stream.json" >"$dir/sse.json"
  callgrind_send "http://127.0.0.1:$PORT$ROUTE_PATH" "$dir/json.json" "$N_JSON" "$CONC" "$key" "$dir/h2load-json.txt"
  callgrind_send "http://127.0.0.1:$PORT$ROUTE_PATH" "$dir/sse.json" "$N_STREAM" "$CONC" "$key" "$dir/h2load-sse.txt"
  [[ $FLEET == *$label* ]] && redis_instructions "$label" $((N_JSON + N_STREAM))
  kill -TERM "$pid"
  wait "$pid" || true
  callgrind_threads "$dir"/callgrind.out.* | python3 -c '
import sys
requests, label = int(sys.argv[1]), sys.argv[2]
roles = {}
for line in sys.stdin:
    _, role, instructions = line.split()
    roles[role] = roles.get(role, 0) + int(instructions)
shown = ", ".join(f"{role} {roles.get(role, 0) / requests:,.0f}" for role in ("worker", "store", "indexer", "other"))
print(f"{label}: instructions/request: {shown}, all {sum(roles.values()) / requests:,.0f} ({requests} requests)")
' $((N_JSON + N_STREAM)) "$label"
}

count "$1" A
[[ $# -ge 2 ]] && count "$2" B
exit 0
