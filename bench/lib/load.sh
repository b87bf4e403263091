# lib/load.sh — the load generators, and their output reduced to one line of numbers.
# Every measure_* function writes the tool's raw output to OUT and prints
#   rps p50_ms p90_ms p99_ms non2xx errors requests ttft_p50_ms ttft_p99_ms gap_p50_ms gap_p99_ms
# with "nan" for what the tool does not measure. Load runs on LOAD_CPU when PIN=1.

on_load_cpu() { if [[ $PIN == 1 ]]; then taskset -c "$LOAD_CPU" "$@"; else "$@"; fi; }

# wrk_ms VALUE : wrk's "812.00us" / "1.23ms" / "2.01s" / "1.05m" in milliseconds.
wrk_ms() {
    awk -v v="$1" 'BEGIN {
        if (sub(/us$/, "", v)) printf "%.3f", v / 1000
        else if (sub(/ms$/, "", v)) printf "%.3f", v
        else if (sub(/s$/, "", v)) printf "%.3f", v * 1000
        else if (sub(/m$/, "", v)) printf "%.3f", v * 60000
        else print "nan" }'
}

# measure_wrk URL BODY HEADERS CONNS SECONDS OUT : closed loop, CONNS connections.
measure_wrk() {
    local url=$1 body=$2 headers=$3 conns=$4 seconds=$5 out=$6
    local threads=$((conns < WRK_THREADS ? conns : WRK_THREADS))
    require_loopback "$url"
    local -a cmd=(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency --timeout 10s -s "$BENCH_DIR/workload/wrk-post.lua" "$url")
    echo "# ${cmd[*]}" >"$out"
    BENCH_BODY=$body BENCH_HEADERS=$headers on_load_cpu "${cmd[@]}" >>"$out" 2>&1 || true
    local p50 p90 p99
    p50=$(wrk_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p90=$(wrk_ms "$(awk '$1 == "90%" { print $2 }' "$out")")
    p99=$(wrk_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    awk -v p50="$p50" -v p90="$p90" -v p99="$p99" '
        /^Requests\/sec:/ { rps = $2 }
        / requests in / { requests = $1 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }   # connect read write timeout
        END { printf "%s %s %s %s %d %d %d nan nan nan nan\n", rps ? rps : 0, p50, p90, p99, non2xx, errors, requests }' "$out"
}

# measure_h2load URL BODY HEADERS CONNS SECONDS OUT : paced at RATE requests/s in total. Keep CONNS
# at 1: h2load sends on all its connections on the same tick, so more connections mean bursts.
measure_h2load() {
    local url=$1 body=$2 headers=$3 conns=$4 seconds=$5 out=$6 line
    local per_conn=$((RATE / conns > 0 ? RATE / conns : 1))
    require_loopback "$url"
    local -a cmd=(h2load --h1 -c "$conns" --rps "$per_conn" -D "$seconds" -d "$body" -H 'Content-Type: application/json')
    while IFS= read -r line; do [[ -n $line ]] && cmd+=(-H "$line"); done <<<"$headers"
    cmd+=(--log-file="$out.log" "$url")
    echo "# ${cmd[*]}" >"$out"
    rm -f "$out.log"
    on_load_cpu "${cmd[@]}" >>"$out" 2>&1 || true
    # The per-request log (microseconds in column 3) gives the percentiles.
    local percentiles
    percentiles=$(awk '{ print $3 / 1000 }' "$out.log" 2>/dev/null | sort -n | awk '
        { v[NR] = $1 }
        function rank(p) { i = int(p * NR + 0.999999); return v[i < 1 ? 1 : i] }
        END { if (NR) printf "%.3f %.3f %.3f", rank(0.5), rank(0.9), rank(0.99); else print "nan nan nan" }')
    awk -v pct="$percentiles" '
        /^finished in/ { gsub(",", ""); rps = $4 }
        /^requests:/ { gsub(",", ""); requests = $2; errors = $10 }             # "failed" includes errored
        /^status codes:/ { gsub(",", ""); non2xx = $5 + $7 + $9 }             # 3xx 4xx 5xx
        END { printf "%s %s %d %d %d nan nan nan nan\n", rps ? rps : 0, pct, non2xx, errors, requests }' "$out"
}

# measure_paced URL BODY HEADERS CONNS SECONDS OUT : streams from the paced mock, timed per event.
measure_paced() {
    local url=$1 body=$2 headers=$3 conns=$4 seconds=$5 out=$6
    require_loopback "$url"
    local -a cmd=(node "$BENCH_DIR/workload/sse-timing.mjs" "$url" "$body" "$conns" "$seconds" "$PACED_CHUNKS" "$PACED_INTERVAL_MS" "$headers")
    echo "# ${cmd[*]}" >"$out"
    on_load_cpu "${cmd[@]}" >>"$out" 2>&1 || true
    awk -v seconds="$seconds" '
        /^requests=/ {
            for (i = 1; i <= NF; ++i) { split($i, kv, "="); r[kv[1]] = kv[2] }
            printf "%.1f %s nan %s 0 %d %d %s %s %s %s\n", r["requests"] / seconds, r["total_p50"], r["total_p99"],
                   r["errors"], r["requests"], r["ttft_p50"], r["ttft_p99"], r["gap_p50"], r["gap_p99"]
            found = 1
        }
        END { if (!found) print "0 nan nan nan 0 1 0 nan nan nan nan" }' "$out"
}
