#!/usr/bin/env bash
# run.sh — llmux measured side by side with nginx, on loopback, against an nginx mock upstream.
#
#   bench/run.sh                              # targets direct nginx-proxy llmux; builds llmux
#   LLMUX_BIN=/path/to/llmux bench/run.sh     # measure that binary instead of building one
#   bench/run.sh direct nginx-proxy           # any subset of targets/*.sh, in this order
#   MODES=inflight INFLIGHT=10000 bench/run.sh   # opt-in modes: inflight, paced (see README.md)
#
# Every round runs every mode on every target (targets alternating, so drift of the machine hits
# all alike); results/<UTC stamp>/summary.md holds the medians and the goals table. Installs what
# it needs with apt, sends load only to 127.0.0.1, and stops every process it started by its PID,
# also on error or Ctrl-C.
#
# Knobs (environment, defaults in brackets):
#   ROUNDS [3]  DURATION [10] s per run  WARMUP [3] s of wrk before each run
#   MODES ["throughput latency rate stream"], opt-in: inflight paced
#   CONC [50] connections for throughput and stream   LAT_DURATION [10] s for latency (c=1)
#   RATE [100] req/s and RATE_CONNS [1] for rate (h2load; keep 1 connection, see README.md)
#   INFLIGHT [1000] connections for inflight          PACED_CONNS [50] PACED_CHUNKS [64]
#   PACED_INTERVAL_MS [20] for paced                  WRK_THREADS [1]
#   PIN [1] LOAD_CPU [0] SUT_CPU [1]: load generator and mocks on LOAD_CPU, the target on SUT_CPU
#   WORKERS [1]: llmux's --num_workers, nginx-proxy's and the JSON/SSE mock's worker_processes and
#     wrk's threads; above 1 nothing is pinned (PIN=0): load, mocks and target share every CPU.
#     LLMUX_WORKERS / LLMUX_B_WORKERS override it for llmux / llmux-b (a one-worker llmux-b
#     beside a two-worker llmux measures how llmux scales, in the same run)
#   LLMUX_BIN: measure this binary (default: build $REPO/build-release/llmux in Release)
set -Eeuo pipefail
trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
RUN_DIR=$BENCH_DIR/.run
RESULTS_DIR=$BENCH_DIR/results

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
MODES=${MODES:-"throughput latency rate stream"}
CONC=${CONC:-50}
LAT_DURATION=${LAT_DURATION:-10}
RATE=${RATE:-100}
RATE_CONNS=${RATE_CONNS:-1}
INFLIGHT=${INFLIGHT:-1000}
SLOW_DELAY_S=1   # the echo_sleep of mock-upstream/nginx-slow.conf
PACED_CONNS=${PACED_CONNS:-50}
PACED_CHUNKS=${PACED_CHUNKS:-64}
PACED_INTERVAL_MS=${PACED_INTERVAL_MS:-20}
WRK_THREADS=${WRK_THREADS:-${WORKERS:-1}}
WORKERS=${WORKERS:-1}
if ((WORKERS > 1)); then PIN=${PIN:-0}; else PIN=${PIN:-1}; fi
LOAD_CPU=${LOAD_CPU:-0}
SUT_CPU=${SUT_CPU:-1}
AUTH_HEADER="Authorization: Bearer sk-bench-dummy"

source "$BENCH_DIR/lib/common.sh"
source "$BENCH_DIR/lib/load.sh"
choose_ports

if (($# > 0)); then TARGETS=("$@"); else TARGETS=(direct nginx-proxy llmux); fi
STARTED=()    # targets whose target_start ran: cleanup stops them
RUNNABLE=()   # targets that answered and are measured
SKIPPED=()
PREPARED=()   # targets prepared (built, configured), in the order given
declare -A DESC URL BODY HEADERS RSS_IDLE

# load_target NAME : source targets/NAME.sh into a clean set of TARGET_* variables and functions.
load_target() {
    local file=$BENCH_DIR/targets/$1.sh
    [[ -f $file ]] || { log "no targets/$1.sh"; return 1; }
    unset TARGET_DESC TARGET_HEADERS TARGET_URL_JSON TARGET_URL_SSE TARGET_URL_SLOW TARGET_URL_PACED \
        TARGET_MODEL_JSON TARGET_MODEL_SSE TARGET_MODEL_SLOW TARGET_MODEL_PACED \
        TARGET_BODY_PLAIN TARGET_BODY_STREAM TARGET_BODY_MEMBERS
    unset TARGET_AUTH
    unset -f target_prepare target_start target_stop target_started
    source "$file"
}

# What each mode sends where: "upstream kind, connections, seconds, tool, body".
mode_spec() {
    case $1 in
        throughput) echo "JSON $CONC $DURATION wrk plain" ;;
        latency) echo "JSON 1 $LAT_DURATION wrk plain" ;;
        rate) echo "JSON $RATE_CONNS $DURATION h2load plain" ;;
        stream) echo "SSE $CONC $DURATION wrk stream" ;;
        inflight) echo "SLOW $INFLIGHT $DURATION wrk plain" ;;
        paced) echo "PACED $PACED_CONNS $DURATION paced stream" ;;
        *) die "unknown mode '$1' (throughput latency rate stream inflight paced)" ;;
    esac
}

# body_file NAME KIND BODY_KIND : the request body for upstream KIND (plain or stream body), with
# "model" set to the target's TARGET_MODEL_<KIND> when it has one.
# A target may name its own bodies (TARGET_BODY_PLAIN, TARGET_BODY_STREAM) and JSON members to put
# first in them (TARGET_BODY_MEMBERS, e.g. '"cache":{"no-cache":true},').
body_file() {
    local t=$1 kind=$2 src=${TARGET_BODY_PLAIN:-$BENCH_DIR/workload/chat-small.json} model=TARGET_MODEL_$2 out
    [[ $3 == stream ]] && src=${TARGET_BODY_STREAM:-$BENCH_DIR/workload/chat-small-stream.json}
    if [[ -z ${!model:-} && -z ${TARGET_BODY_MEMBERS:-} ]]; then echo "$src"; return; fi
    out=$RUN_DIR/body-$t-$kind-$3.json
    local edits=(-e "s/^{/{${TARGET_BODY_MEMBERS:-}/")
    [[ -z ${!model:-} ]] || edits+=(-e "s/\"model\":\"[^\"]*\"/\"model\":\"${!model}\"/")
    sed "${edits[@]}" "$src" >"$out"
    echo "$out"
}

# remember_target NAME : after target_prepare, keep its description, headers, and the URL and body
# of each mode ("ready" is the request that tells it has started).
remember_target() {
    local t=$1 mode kind _conns _secs _tool body_kind url
    DESC[$t]=$TARGET_DESC
    HEADERS[$t]=$AUTH_HEADER${TARGET_HEADERS:+$'\n'$TARGET_HEADERS}
    URL[$t/ready]=$TARGET_URL_JSON
    require_loopback "${URL[$t/ready]}"
    BODY[$t/ready]=$(body_file "$t" JSON plain)
    for mode in $MODES; do
        read -r kind _conns _secs _tool body_kind <<<"$(mode_spec "$mode")"
        url=TARGET_URL_$kind
        URL[$t/$mode]=${!url:-}
        [[ -n ${URL[$t/$mode]} ]] || continue
        require_loopback "${URL[$t/$mode]}"
        BODY[$t/$mode]=$(body_file "$t" "$kind" "$body_kind")
    done
}

cleanup() {
    local rc=$? t
    set +e
    trap - EXIT INT TERM
    for t in "${STARTED[@]}"; do load_target "$t" && target_stop; done
    stop mock-paced
    stop mock-slow
    stop mock-upstream
    exit "$rc"
}

# raise_fd_limit N : let this shell and everything it starts (the targets too) open N files.
# A proxy needs two descriptors per request in flight (client and upstream side), so INFLIGHT is
# capped by the hard limit, which only a process with CAP_SYS_RESOURCE may raise.
raise_fd_limit() {
    local want=$1 hard
    (($(ulimit -n) >= want)) && return 0
    ulimit -n "$want" 2>/dev/null && return 0
    ulimit -HSn "$want" 2>/dev/null && return 0
    hard=$(ulimit -Hn)
    ulimit -n "$hard"
    log "warning: the open-file limit stays at $hard (wanted $want); a proxy holding more than" \
        "about $(((hard - 1000) / 2)) requests in flight will fail with 'Too many open files'"
}

start_mocks() {
    local module=""
    if [[ " $MODES " == *" inflight "* || " $MODES " == *" paced "* ]]; then
        module=$(find /usr/lib/nginx/modules /usr/share/nginx/modules /usr/lib64/nginx/modules \
            -name ngx_http_echo_module.so 2>/dev/null | head -n 1 || true)
        [[ -n $module ]] || die "the inflight and paced modes need nginx's echo module (libnginx-mod-http-echo)"
    fi
    render_conf "$BENCH_DIR/mock-upstream/nginx.conf" "$RUN_DIR/mock-upstream.conf"
    spawn mock-upstream "$LOAD_CPU" nginx -p "$RUN_DIR" -c "$RUN_DIR/mock-upstream.conf"
    await_200 "http://127.0.0.1:$MOCK_PORT_JSON/v1/chat/completions" "$BENCH_DIR/workload/chat-small.json" "" 10 ||
        die "the mock upstream did not start (see $RUN_DIR/logs/mock-upstream.log)"
    if [[ " $MODES " == *" inflight "* ]]; then
        render_conf "$BENCH_DIR/mock-upstream/nginx-slow.conf" "$RUN_DIR/mock-slow.conf"
        spawn mock-slow "$LOAD_CPU" nginx -p "$RUN_DIR" -g "load_module $module;" -c "$RUN_DIR/mock-slow.conf"
        await_200 "http://127.0.0.1:$MOCK_PORT_SLOW/v1/chat/completions" "$BENCH_DIR/workload/chat-small.json" "" 10 ||
            die "the slow mock did not start (see $RUN_DIR/logs/mock-slow.log)"
    fi
    if [[ " $MODES " == *" paced "* ]]; then
        "$BENCH_DIR/mock-upstream/paced-conf.sh" "$PACED_CHUNKS" "$PACED_INTERVAL_MS" "$MOCK_PORT_PACED" >"$RUN_DIR/mock-paced.conf"
        spawn mock-paced "$LOAD_CPU" nginx -p "$RUN_DIR" -g "load_module $module;" -c "$RUN_DIR/mock-paced.conf"
        await_200 "http://127.0.0.1:$MOCK_PORT_PACED/v1/chat/completions" "$BENCH_DIR/workload/chat-small-stream.json" "" 10 ||
            die "the paced mock did not start (see $RUN_DIR/logs/mock-paced.log)"
    fi
}

# prepare_targets : install or build each target and remember its URLs and bodies; a target
# that cannot be prepared is skipped.
prepare_targets() {
    local t
    for t in "${TARGETS[@]}"; do
        load_target "$t" || { SKIPPED+=("$t (no target file)"); continue; }
        if ! target_prepare; then SKIPPED+=("$t (not prepared)"); continue; fi
        remember_target "$t"
        PREPARED+=("$t")
    done
}

start_targets() {
    local t port
    for t in "${PREPARED[@]}"; do
        load_target "$t"
        TARGET_DESC=${DESC[$t]}   # as target_prepare left it: loading the file again reset it
        port=${URL[$t/ready]#http://127.0.0.1:}
        port=${port%%/*}
        if [[ $t != direct ]] && port_open "$port"; then
            log "$t: 127.0.0.1:$port is already in use by something else"
            SKIPPED+=("$t (port $port busy)")
            continue
        fi
        STARTED+=("$t")
        target_start
        if ! await_200 "${URL[$t/ready]}" "${BODY[$t/ready]}" "${HEADERS[$t]}" 60; then
            log "$t did not answer 200; its log: $RUN_DIR/logs/$t.log"
            target_stop
            SKIPPED+=("$t (did not answer)")
            continue
        fi
        # Optional: a target that needs setup through its own API once it answers (llmux makes a
        # virtual key) and may then replace the Authorization header (TARGET_AUTH).
        if declare -F target_started >/dev/null; then
            if ! target_started; then
                log "$t: its setup after start failed; its log: $RUN_DIR/logs/$t.log"
                target_stop
                SKIPPED+=("$t (setup failed)")
                continue
            fi
            HEADERS[$t]=${TARGET_AUTH:-$AUTH_HEADER}${TARGET_HEADERS:+$'\n'$TARGET_HEADERS}
            DESC[$t]=$TARGET_DESC
        fi
        RUNNABLE+=("$t")
        RSS_IDLE[$t]=$(rss_kb "$t")
    done
    ((${#RUNNABLE[@]} > 0)) || die "no target to measure"
}

# measure_all OUT_DIR : ROUNDS x targets x modes, one runs.tsv row per run.
measure_all() {
    local out=$1 round t mode kind conns secs tool _body url f before after ticks0 ticks1 cpu_per_req result
    local tsv=$out/runs.tsv
    local columns=(round target mode conns rps p50_ms p90_ms p99_ms non2xx errors requests ttft_p50_ms
        ttft_p99_ms gap_p50_ms gap_p99_ms load_cpu_pct sut_cpu_pct target_cpu_us_per_req rss_kb rss_peak_kb)
    (IFS=$'\t'; echo "${columns[*]}") >"$tsv"
    for ((round = 1; round <= ROUNDS; ++round)); do
        for t in "${RUNNABLE[@]}"; do
            for mode in $MODES; do
                url=${URL[$t/$mode]:-}
                [[ -n $url ]] || continue
                read -r kind conns secs tool _body <<<"$(mode_spec "$mode")"
                ((WARMUP > 0)) && measure_wrk "$url" "${BODY[$t/$mode]}" "${HEADERS[$t]}" "$conns" "$WARMUP" "$out/raw/warmup.txt" >/dev/null
                f=$out/raw/r$round-$t-$mode.txt
                before=$(cpu_jiffies)
                ticks0=$(cpu_ticks "$t")
                result=$("measure_$tool" "$url" "${BODY[$t/$mode]}" "${HEADERS[$t]}" "$conns" "$secs" "$f")
                after=$(cpu_jiffies)
                ticks1=$(cpu_ticks "$t")
                # CPU time the target itself spent per request: comparable even when the load
                # side, not the target, was the bottleneck.
                cpu_per_req=$(awk -v a="$ticks0" -v b="$ticks1" -v n="$(awk '{ print $7 }' <<<"$result")" -v hz="$(getconf CLK_TCK)" \
                    'BEGIN { if (a == "" || n <= 0) print "nan"; else printf "%.1f", (b - a) * 1e6 / hz / n }')
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "$mode" "$conns" "$(tr ' ' '\t' <<<"$result")" \
                    "$(busy_percent "$before" "$after" "$LOAD_CPU")" "$(busy_percent "$before" "$after" "$SUT_CPU")" \
                    "$cpu_per_req" "$(rss_kb "$t")" "$(rss_kb "$t" VmHWM)" >>"$tsv"
                log "round $round $t $mode: $(awk '{ printf "%s req/s, p50 %s ms, p99 %s ms, %d non-2xx, %d errors", $1, $2, $4, $5, $6 }' <<<"$result")"
            done
        done
    done
}

write_meta() {
    local out=$1 t
    {
        printf 'target\tdesc\trss_idle_kb\n'
        for t in "${RUNNABLE[@]}"; do printf '%s\t%s\t%s\n' "$t" "${DESC[$t]}" "${RSS_IDLE[$t]:-0}"; done
    } >"$out/targets.tsv"
    local placement="not pinned (PIN=0): load generator, mocks and target share every CPU"
    [[ $PIN == 1 ]] && placement="load generator and mocks on cpu $LOAD_CPU, the target on cpu $SUT_CPU (taskset)"
    local mode notes=""
    for mode in $MODES; do
        case $mode in
            throughput) notes+="throughput = wrk, $CONC connections x ${DURATION}s; " ;;
            latency) notes+="latency = wrk, 1 connection x ${LAT_DURATION}s; " ;;
            rate) notes+="rate = h2load --h1 paced at $RATE req/s on $RATE_CONNS connection(s) x ${DURATION}s; " ;;
            stream) notes+="stream = wrk, $CONC connections x ${DURATION}s reading whole SSE responses; " ;;
            inflight) notes+="inflight = wrk, $INFLIGHT connections x ${DURATION}s against the ${SLOW_DELAY_S}s mock; " ;;
            paced) notes+="paced = sse-timing.mjs, $PACED_CONNS streams at once x ${DURATION}s; " ;;
        esac
    done
    notes+="${WARMUP}s of wrk before each run; wrk $({ wrk -v 2>&1 || true; } | awk 'NR == 1 { print $2 }'), $WRK_THREADS thread(s); request body $(wc -c <"$BENCH_DIR/workload/chat-small.json") B"
    {
        printf 'key\tvalue\n'
        printf 'date\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)"
        printf 'load_before\t%s\n' "$LOAD_BEFORE"
        printf 'machine\t%s CPUs (%s), %s MiB RAM, kernel %s\n' "$(nproc)" \
            "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
            "$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" "$(uname -r)"
        printf 'commit\t%s\n' "$(git -C "$REPO_DIR" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
        printf 'placement\t%s\n' "$placement"
        printf 'workers\t%s (nginx-proxy and the JSON/SSE mock: worker_processes; llmux: --num_workers unless LLMUX_WORKERS / LLMUX_B_WORKERS say otherwise)\n' "$WORKERS"
        printf 'rounds\t%s\n' "$ROUNDS"
        printf 'modes\t%s\n' "$MODES"
        printf 'mode_notes\t%s\n' "$notes"
        printf 'conc\t%s\n' "$CONC"
        printf 'inflight\t%s\n' "$INFLIGHT"
        printf 'slow_delay_s\t%s\n' "$SLOW_DELAY_S"
        printf 'paced\t%s chunks %s ms apart, %s streams at once\n' "$PACED_CHUNKS" "$PACED_INTERVAL_MS" "$PACED_CONNS"
        printf 'skipped\t%s\n' "${SKIPPED[*]:-}"
    } >"$out/meta.tsv"
}

main() {
    LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
    [[ $(nproc) -ge 2 ]] || { log "one CPU only: not pinning"; PIN=0; }
    install_packages nginx wrk nghttp2-client curl libnginx-mod-http-echo
    command -v node >/dev/null || install_packages nodejs
    command -v taskset >/dev/null || { log "no taskset: not pinning"; PIN=0; }
    local mode
    for mode in $MODES; do mode_spec "$mode" >/dev/null; done
    if [[ " $MODES " == *" inflight "* ]]; then raise_fd_limit $((2 * INFLIGHT + 4096)); else raise_fd_limit 16384; fi

    mkdir -p "$RUN_DIR"/{logs,pids,tmp}
    local out
    out=$RESULTS_DIR/$(date -u +%Y%m%dT%H%M%SZ)
    mkdir -p "$out/raw"
    trap cleanup EXIT INT TERM
    stop_leftovers

    prepare_targets
    start_mocks
    start_targets
    measure_all "$out"
    write_meta "$out"
    node "$BENCH_DIR/lib/summarize.mjs" "$out"
    cat "$out/summary.md"
    log "results: $out"
}

main
