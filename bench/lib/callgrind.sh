# lib/callgrind.sh — llmux under valgrind's callgrind against the bench's nginx mock (sourced by
# callgrind.sh and gate.sh, after lib/common.sh). The caller sets RUN_DIR (a fresh directory) and
# an EXIT trap that calls callgrind_cleanup.

callgrind_pids=()

callgrind_require() {
  local tool
  for tool in valgrind callgrind_control h2load nginx curl python3 "$@"; do
    command -v "$tool" >/dev/null ||
      { echo "callgrind: $tool is missing (apt-get install valgrind nghttp2-client nginx curl python3)" >&2; return 2; }
  done
}

# Stops what callgrind_* started, by the PIDs recorded.
callgrind_cleanup() {
  local pid
  for pid in "${callgrind_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

callgrind_wait_port() {
  local i
  for ((i = 0; i < 600; ++i)); do port_open "$1" && return 0; sleep 0.1; done
  echo "callgrind: nothing listens on $1" >&2
  return 1
}

# Starts the bench's nginx mock upstream (JSON on MOCK_PORT_JSON, the 12-event stream on
# MOCK_PORT_SSE), on free ports unless they are set.
callgrind_start_mock() {
  [[ -n ${MOCK_PORT_JSON:-} ]] || read -r MOCK_PORT_JSON MOCK_PORT_SSE <<<"$(free_ports 2)"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/tmp"
  render_conf "$BENCH_DIR/mock-upstream/nginx.conf" "$RUN_DIR/mock-upstream.conf"
  nginx -p "$RUN_DIR" -c "$RUN_DIR/mock-upstream.conf" >"$RUN_DIR/logs/mock.log" 2>&1 &
  callgrind_pids+=($!)
  callgrind_wait_port "$MOCK_PORT_JSON" && callgrind_wait_port "$MOCK_PORT_SSE"
}

# callgrind_config DIR : writes DIR/config.yaml, the bench's models on the mock (bench-json,
# bench-sse) with a master key (and so spend in SQLite); append to it before callgrind_serve.
callgrind_config() {
  cat >"$1/config.yaml" <<YAML
model_list:
  - model_name: bench-json
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT_JSON/v1", api_key: sk-bench-upstream}
  - model_name: bench-sse
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$MOCK_PORT_SSE/v1", api_key: sk-bench-upstream}
general_settings:
  master_key: sk-bench-dummy
YAML
}

# callgrind_serve BIN DIR PORT : runs BIN with DIR/config.yaml (one worker) under callgrind, one
# output file per thread in DIR; sets CALLGRIND_PID. Its working directory is DIR, so the
# database and the spend journal are DIR's.
callgrind_serve() {
  local bin dir=$2 port=$3
  bin=$(realpath "$1")
  (cd "$dir" && exec valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$dir/callgrind.out.%p" \
    "$bin" --config "$dir/config.yaml" --host 127.0.0.1 --port "$port" --num_workers 1) \
    >"$dir/llmux.log" 2>&1 &
  CALLGRIND_PID=$!
  callgrind_pids+=("$CALLGRIND_PID")
  callgrind_wait_port "$port"
}

# callgrind_key PORT [JSON_FIELDS] : prints a new virtual key for both models.
callgrind_key() {
  local key
  key=$(curl -sf -X POST "http://127.0.0.1:$1/key/generate" -H "Authorization: Bearer sk-bench-dummy" \
    -H "content-type: application/json" -d "{\"models\":[\"bench-json\",\"bench-sse\"]${2:+,$2}}" |
    sed -n 's/.*"key":"\(sk-[^"]*\)".*/\1/p')
  [[ -n $key ]] || { echo "callgrind: no virtual key" >&2; return 1; }
  echo "$key"
}

# callgrind_send URL BODY COUNT CONC KEY OUT : COUNT POSTs of BODY with h2load; fails unless every
# one succeeded.
callgrind_send() {
  local url=$1 body=$2 count=$3 conc=$4 key=$5 out=$6
  ((count > 0)) || return 0
  h2load --h1 -n "$count" -c "$conc" -d "$body" -H "Authorization: Bearer $key" \
    -H "content-type: application/json" "$url" >"$out"
  grep -q "succeeded, 0 failed" "$out" || { echo "callgrind: requests failed (see $out)" >&2; return 1; }
}

# callgrind_await_spend DATABASE CALLS : returns once the SQLite spend log holds CALLS rows, so
# the store thread has appended and the indexer has written every call so far (read from outside
# llmux, read-only, so the wait costs llmux nothing); fails after 300 s.
callgrind_await_spend() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys, time
database, calls = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 300
while True:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    rows = connection.execute("SELECT count(*) FROM llmux_spend_logs").fetchone()[0]
    connection.close()
    if rows >= calls:
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(f"callgrind: the spend log holds {rows} of {calls} calls after 300 s")
    time.sleep(0.1)
PY
}

# callgrind_inclusive FILE PATTERN : the largest inclusive count of a function whose name holds
# PATTERN (0 if none ran), from callgrind_annotate.
callgrind_inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk -v pattern="$2" 'index($0, pattern) { gsub(",", "", $1); if ($1 + 0 > max) max = $1 + 0 }
      END { print max + 0 }'
}

# callgrind_inclusive_except FILE FUNCTION CALLER : the inclusive count of FUNCTION (a pattern of
# its name) over its calls from every caller whose name does not hold CALLER, from
# callgrind_annotate's caller tree.
callgrind_inclusive_except() {
  callgrind_annotate --tree=caller --inclusive=yes --threshold=100 "$1" 2>/dev/null |
    awk -v function_name="$2" -v caller="$3" '
      /^ *[0-9,]+ .*< / { if (!index($0, caller)) { n = $1; gsub(",", "", n); callers += n }; next }
      /^ *[0-9,]+ .*\* / { if (index($0, function_name)) total += callers; callers = 0; next }
      { callers = 0 }
      END { print total + 0 }'
}

# callgrind_dump PID : writes callgrind's counts of every thread so far as a new part and zeroes
# them (the files are complete once callgrind_control returns).
callgrind_dump() {
  callgrind_control --dump "$1" >/dev/null
}

# callgrind_threads FILE... : one line per file, "PART ROLE INSTRUCTIONS". PART is callgrind's
# part (1 up to the first dump, and so on; the last is the program's end). ROLE is the thread's
# part in llmux: worker (the main thread, which is worker 0 and also starts and stops the
# process), store (the store thread: it collects the calls and appends them to the spend
# journal), indexer (the spend journal's idle-priority indexer), other. A thread's role is told
# by its entry function, which only the files of the part it started in name: pass them all.
callgrind_threads() {
  python3 - "$@" <<'PY'
import re, sys
# The entry functions of the threads llmux starts (std::thread's lambda in each start()).
markers = [("store", "store::Service::start()::{lambda()#1}"),
           ("indexer", "store::SpendJournal::start()::{lambda()#1}")]
files, roles = [], {"1": "worker"}
for path in sys.argv[1:]:
    text = open(path, errors="replace").read()
    header = lambda name: (re.search(rf"^{name}:\s*(\d+)", text, re.M) or [None, "0"])[1]
    thread = header("thread")
    files.append((header("part"), thread, int(header("(?:summary|totals)"))))
    for role, marker in markers:
        if marker in text:
            roles.setdefault(thread, role)
for part, thread, instructions in files:
    print(part, roles.get(thread, "other"), instructions)
PY
}
