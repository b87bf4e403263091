# lib/common.sh — logging, installing, and the processes of a run (sourced by run.sh and targets).
# A process is started only through spawn, which records its PID under $RUN_DIR/pids, and stopped
# only through stop, which signals that PID and the processes descended from it. Nothing is ever
# looked up or killed by name.

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Load is only ever sent to this machine.
require_loopback() {
    [[ $1 =~ ^http://127\.[0-9.]+(:[0-9]+)?/ ]] || die "not a 127.0.0.1 URL: $1"
}

# install_packages PKG... : apt-get install whatever is missing (runs as root here).
install_packages() {
    local pkg missing=()
    for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg"); done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]}"
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"; } >&2 ||
        die "apt-get install ${missing[*]} failed"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_ports N : N distinct loopback ports nothing listens on now, as the kernel picks them (all
# held until the last is picked; another program could still take one before ours binds it).
free_ports() {
    python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

# The ports of a run, each taken free once (targets are sourced more than once) unless the
# environment sets it. The mocks': JSON, SSE, slow (inflight mode), paced (paced mode); the nginx
# proxy's, one per mock; llmux's, llmux-b's, llmux-fleet's and its redis-server's.
choose_ports() {
    local names=(MOCK_PORT_JSON MOCK_PORT_SSE MOCK_PORT_SLOW MOCK_PORT_PACED
        PROXY_PORT_JSON PROXY_PORT_SSE PROXY_PORT_SLOW PROXY_PORT_PACED
        LLMUX_PORT LLMUX_B_PORT LLMUX_FLEET_PORT LLMUX_REDIS_PORT LLMUX_CACHE_PORT LLMUX_CACHE_REDIS_PORT
        LLMUX_CACHE_MISS_PORT LLMUX_CALLBACK_PORT LLMUX_MESSAGES_PORT LLMUX_CACHE_REDIS_SERVER_PORT) ports i
    read -ra ports <<<"$(free_ports ${#names[@]})"
    for i in "${!names[@]}"; do
        [[ -n ${!names[i]:-} ]] || printf -v "${names[i]}" '%s' "${ports[i]}"
    done
}

# render_conf TEMPLATE OUT : TEMPLATE with each @MOCK_PORT_*@ and @PROXY_PORT_*@ replaced by the
# run's port, @WORKERS@ by WORKERS (1 when unset).
render_conf() {
    local name args=() WORKERS=${WORKERS:-1}
    for name in MOCK_PORT_JSON MOCK_PORT_SSE MOCK_PORT_SLOW MOCK_PORT_PACED \
        PROXY_PORT_JSON PROXY_PORT_SSE PROXY_PORT_SLOW PROXY_PORT_PACED WORKERS; do
        args+=(-e "s/@$name@/${!name:-0}/g")
    done
    sed "${args[@]}" "$1" >"$2"
}

pid_of() { local f="$RUN_DIR/pids/$1.pid"; [[ -f $f ]] && cat "$f"; }

# spawn NAME CPU CMD... : run CMD in the background (pinned to CPU when PIN=1), output to
# $RUN_DIR/logs/NAME.log, PID to $RUN_DIR/pids/NAME.pid.
spawn() {
    local name=$1 cpu=$2 pid
    shift 2
    pid=$(pid_of "$name") && kill -0 "$pid" 2>/dev/null && die "$name is already running as PID $pid"
    if [[ $PIN == 1 ]]; then
        taskset -c "$cpu" "$@" >"$RUN_DIR/logs/$name.log" 2>&1 &
    else
        "$@" >"$RUN_DIR/logs/$name.log" 2>&1 &
    fi
    echo $! >"$RUN_DIR/pids/$name.pid"
    if [[ $PIN == 1 ]]; then log "started $name, PID $! on cpu $cpu"; else log "started $name, PID $!"; fi
}

# process_tree PID : PID and every process descended from it, one per line.
process_tree() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { parent[$1] = $2 }
        END {
            print root
            for (pid in parent) for (p = parent[pid]; p > 1; p = parent[p]) if (p == root) { print pid; break }
        }'
}

# stop NAME : TERM the recorded process, KILL it after 5 s, then KILL any descendant left over.
stop() {
    local name=$1 pid tree p i
    pid=$(pid_of "$name") || return 0
    if kill -0 "$pid" 2>/dev/null; then
        tree=$(process_tree "$pid")
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 50; ++i)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        for p in $tree; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
        log "stopped $name (PID $pid)"
    fi
    rm -f "$RUN_DIR/pids/$name.pid"
}

# stop_leftovers : stop what an earlier, hard-killed run left behind — only if the recorded PID
# still belongs to this harness (its command line names $RUN_DIR or $BENCH_DIR); a PID that has
# been reused by something else is left alone.
stop_leftovers() {
    local file name pid
    for file in "$RUN_DIR"/pids/*.pid; do
        [[ -e $file ]] || continue
        name=$(basename "$file" .pid)
        pid=$(cat "$file")
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$RUN_DIR" -e "$BENCH_DIR"; then
            log "stopping $name left over from an earlier run"
            stop "$name"
        fi
        rm -f "$file"
    done
}

# rss_kb NAME [VmRSS|VmHWM] : resident memory (or its peak so far) of NAME's process tree, KiB.
rss_kb() {
    local pid p total=0 field=${2:-VmRSS}
    pid=$(pid_of "$1") || { echo 0; return; }
    for p in $(process_tree "$pid"); do
        total=$((total + $(awk -v f="$field:" '$1 == f { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$p/status" 2>/dev/null || echo 0)))
    done
    echo "$total"
}

# cpu_ticks NAME : user+system clock ticks used so far by NAME's process tree; empty if NAME has
# no process (the direct target).
cpu_ticks() {
    local pid p total=0
    pid=$(pid_of "$1") || return 0
    for p in $(process_tree "$pid"); do
        # /proc/PID/stat: fields 14 and 15 are utime and stime, counted after the ")" that ends
        # the command name (which may itself hold spaces).
        total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 } END { if (!NR) print 0 }')))
    done
    echo "$total"
}

# cpu_jiffies : "busy total" jiffies of every cpuN line of /proc/stat, on one line.
cpu_jiffies() {
    awk '/^cpu[0-9]+ / { busy = $2 + $3 + $4 + $7 + $8 + $9; printf "%d %d ", busy, busy + $5 + $6 }' /proc/stat
}

# busy_percent "BEFORE" "AFTER" CPU : how busy CPU was between two cpu_jiffies readings.
busy_percent() {
    local -a before=($1) after=($2)
    local i=$3
    awk -v b=$((after[2 * i] - before[2 * i])) -v t=$((after[2 * i + 1] - before[2 * i + 1])) \
        'BEGIN { if (t > 0) printf "%.0f", 100 * b / t; else print "nan" }'
}

# await_200 URL BODY_FILE HEADER_LINES SECONDS : POST until the answer is 200, or give up.
await_200() {
    local url=$1 body=$2 headers=$3 seconds=$4 line code="" deadline=$((SECONDS + $4))
    local -a args=()
    while IFS= read -r line; do [[ -n $line ]] && args+=(-H "$line"); done <<<"$headers"
    while ((SECONDS < deadline)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
            "${args[@]}" --data-binary "@$body" "$url" 2>/dev/null) || true
        [[ $code == 200 ]] && return 0
        sleep 0.2
    done
    log "$url: no 200 within ${seconds}s (last status ${code:-none})"
    return 1
}
