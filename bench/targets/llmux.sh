# targets/llmux.sh — the gateway under test: build-release/llmux from this checkout (built in Release
# unless LLMUX_BIN names a binary), WORKERS workers (one, on SUT_CPU, by default), a master key, and
# one model name per mock so the body's "model" picks the upstream.
# Sourced with LLMUX_VARIANT set by the other targets/llmux-*.sh, each measured in the same run as
# `llmux` on its own port and database:
#   b            a second binary (LLMUX_BIN_B), to compare a change with what it changes
#   fleet        its key's limits counted in a redis-server of its own (docs/SCALING.md)
#   cache        the response cache in memory: every request after a connection's first is a hit
#   cache-redis  the response cache in a redis-server of its own, hits likewise
#   cache-miss   the memory cache with the body's `cache: {"no-cache": true}`: every request a
#                miss whose answer is stored
#   callback     Prometheus plus one logging callback (LiteLLM's generic webhook, posting to the
#                JSON mock)
#   messages     the same conversation sent to /v1/messages, translated to the OpenAI mock
# KEY_LIMITS: JSON fields added to the virtual key, e.g. '"rpm_limit":100000000' (every target).
LLMUX_SELF=llmux${LLMUX_VARIANT:+-$LLMUX_VARIANT}
LLMUX_SELF_PORT_VAR=LLMUX${LLMUX_VARIANT:+_${LLMUX_VARIANT//-/_}}_PORT
LLMUX_SELF_PORT_VAR=${LLMUX_SELF_PORT_VAR^^}   # llmux-cache-redis: LLMUX_CACHE_REDIS_PORT
LLMUX_SELF_PORT=${!LLMUX_SELF_PORT_VAR}
LLMUX_SELF_BIN_VAR=LLMUX_BIN LLMUX_SELF_WORKERS=${LLMUX_WORKERS:-$WORKERS}
LLMUX_SELF_REDIS_PORT= LLMUX_SELF_YAML= TARGET_BODY_MEMBERS=
TARGET_BODY_PLAIN= TARGET_BODY_STREAM= LLMUX_SELF_PATH=/v1/chat/completions
case ${LLMUX_VARIANT:-} in
    "") ;;
    b) LLMUX_SELF_BIN_VAR=LLMUX_BIN_B LLMUX_SELF_WORKERS=${LLMUX_B_WORKERS:-$WORKERS} ;;
    fleet)
        LLMUX_SELF_REDIS_PORT=$LLMUX_REDIS_PORT
        LLMUX_SELF_YAML=$(printf 'router_settings:\n  redis_host: 127.0.0.1\n  redis_port: %s' "$LLMUX_SELF_REDIS_PORT")
        ;;
    cache | cache-miss)
        LLMUX_SELF_YAML=$'litellm_settings:\n  cache: true\n  cache_params: {type: local}'
        [[ $LLMUX_VARIANT == cache-miss ]] && TARGET_BODY_MEMBERS='"cache":{"no-cache":true},'
        ;;
    cache-redis)
        LLMUX_SELF_REDIS_PORT=$LLMUX_CACHE_REDIS_SERVER_PORT
        LLMUX_SELF_YAML=$(printf 'litellm_settings:\n  cache: true\n  cache_params: {type: redis, host: 127.0.0.1, port: %s}' "$LLMUX_SELF_REDIS_PORT")
        ;;
    callback)
        LLMUX_SELF_YAML=$(printf '%s\n' 'litellm_settings:' '  callbacks: [prometheus, bench_sink]' 'callback_settings:' \
            '  bench_sink:' '    callback_type: generic_api' \
            "    endpoint: http://127.0.0.1:$MOCK_PORT_JSON/v1/chat/completions")
        ;;
    messages)
        LLMUX_SELF_PATH=/v1/messages
        TARGET_BODY_PLAIN=$BENCH_DIR/workload/messages-small.json
        TARGET_BODY_STREAM=$BENCH_DIR/workload/messages-small-stream.json
        ;;
    *) die "targets/llmux.sh: unknown LLMUX_VARIANT '$LLMUX_VARIANT'" ;;
esac
LLMUX_SELF_DIR=$RUN_DIR/$LLMUX_SELF
TARGET_DESC="$LLMUX_SELF (not prepared)"
TARGET_URL_JSON="http://127.0.0.1:$LLMUX_SELF_PORT$LLMUX_SELF_PATH"
TARGET_URL_SSE=$TARGET_URL_JSON
TARGET_URL_SLOW=$TARGET_URL_JSON
TARGET_URL_PACED=$TARGET_URL_JSON
TARGET_MODEL_JSON=bench-json
TARGET_MODEL_SSE=bench-sse
TARGET_MODEL_SLOW=bench-slow
TARGET_MODEL_PACED=bench-paced

target_prepare() {
    if [[ -z ${!LLMUX_SELF_BIN_VAR:-} ]]; then
        [[ $LLMUX_SELF == llmux ]] || { log "$LLMUX_SELF: set $LLMUX_SELF_BIN_VAR to the binary to compare"; return 1; }
        log "building llmux (Release) in $REPO_DIR/build-release"
        (cd "$REPO_DIR" && cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >&2 && ninja -C build-release llmux >&2) ||
            { log "llmux: build failed"; return 1; }
        LLMUX_BIN=$REPO_DIR/build-release/llmux
    fi
    local bin=${!LLMUX_SELF_BIN_VAR}
    [[ -x $bin ]] || { log "$LLMUX_SELF: $bin is not an executable"; return 1; }
    TARGET_DESC="$LLMUX_SELF $bin (checkout $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null)), --num_workers $LLMUX_SELF_WORKERS"
    local model port
    # Each run starts with an empty database (keys and spend of an earlier run would linger).
    rm -rf "$LLMUX_SELF_DIR" && mkdir -p "$LLMUX_SELF_DIR"
    {
        echo "model_list:"
        for model in json:$MOCK_PORT_JSON sse:$MOCK_PORT_SSE slow:$MOCK_PORT_SLOW paced:$MOCK_PORT_PACED; do
            port=${model#*:}
            cat <<YAML
  - model_name: bench-${model%:*}
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: http://127.0.0.1:$port/v1
      api_key: sk-bench-upstream
YAML
        done
        printf 'general_settings:\n  master_key: sk-bench-dummy\n'
        [[ -z $LLMUX_SELF_YAML ]] || printf '%s\n' "$LLMUX_SELF_YAML"
    } >"$LLMUX_SELF_DIR/config.yaml"
}
target_start() {
    if [[ -n $LLMUX_SELF_REDIS_PORT ]]; then
        command -v redis-server >/dev/null || install_packages redis-server
        # On the target's CPU: the load generator keeps LOAD_CPU busy, and a Redis waiting for a
        # CPU there would be measured as llmux's latency (LLMUX_REDIS_CPU to choose).
        spawn "$LLMUX_SELF-redis" "${LLMUX_REDIS_CPU:-$SUT_CPU}" redis-server --port "$LLMUX_SELF_REDIS_PORT" --bind 127.0.0.1 \
            --save '' --appendonly no
        local i
        for ((i = 0; i < 100; ++i)); do port_open "$LLMUX_SELF_REDIS_PORT" && break; sleep 0.05; done
    fi
    spawn "$LLMUX_SELF" "$SUT_CPU" "${!LLMUX_SELF_BIN_VAR}" --config "$LLMUX_SELF_DIR/config.yaml" --host 127.0.0.1 \
        --port "$LLMUX_SELF_PORT" --num_workers "$LLMUX_SELF_WORKERS"
}
# Requests carry a virtual key, made with the master key once llmux answers: the measured path
# is the one platform teams use (key cache lookup, model access, limits, spend accounting).
# VIRTUAL_KEY=0 measures with the master key instead, for comparison.
target_started() {
    [[ ${VIRTUAL_KEY:-1} == 1 ]] || return 0
    local answer key
    answer=$(curl -sf -X POST "http://127.0.0.1:$LLMUX_SELF_PORT/key/generate" \
        -H "Authorization: Bearer sk-bench-dummy" -H "content-type: application/json" \
        -d "{\"key_alias\":\"bench\",\"models\":[\"bench-json\",\"bench-sse\",\"bench-slow\",\"bench-paced\"]${KEY_LIMITS:+,$KEY_LIMITS}}") || return 1
    key=$(sed -n 's/.*"key":"\(sk-[^"]*\)".*/\1/p' <<<"$answer")
    [[ -n $key ]] || return 1
    TARGET_AUTH="Authorization: Bearer $key"
    TARGET_DESC+=", a virtual key${KEY_LIMITS:+ with $KEY_LIMITS} (spend tracked in SQLite)"
    [[ -z $LLMUX_SELF_YAML ]] || TARGET_DESC+=", with: ${LLMUX_SELF_YAML//$'\n'/ }"
    [[ -z $TARGET_BODY_MEMBERS ]] || TARGET_DESC+=", the body's ${TARGET_BODY_MEMBERS%,}"
    [[ $LLMUX_SELF_PATH == /v1/chat/completions ]] || TARGET_DESC+=", requests to $LLMUX_SELF_PATH"
}
target_stop() {
    stop "$LLMUX_SELF"
    [[ -z $LLMUX_SELF_REDIS_PORT ]] || stop "$LLMUX_SELF-redis"
}
