# targets/llmux.sh — the gateway under test: build-release/llmux from this checkout (built in Release
# unless LLMUX_BIN names a binary), one worker on SUT_CPU, a master key, and one model name per
# mock so the body's "model" picks the upstream.
LLMUX_PORT=${LLMUX_PORT:-18200}
TARGET_DESC="llmux (not prepared)"
TARGET_URL_JSON="http://127.0.0.1:$LLMUX_PORT/v1/chat/completions"
TARGET_URL_SSE=$TARGET_URL_JSON
TARGET_URL_SLOW=$TARGET_URL_JSON
TARGET_URL_PACED=$TARGET_URL_JSON
TARGET_MODEL_JSON=bench-json
TARGET_MODEL_SSE=bench-sse
TARGET_MODEL_SLOW=bench-slow
TARGET_MODEL_PACED=bench-paced

target_prepare() {
    if [[ -z ${LLMUX_BIN:-} ]]; then
        log "building llmux (Release) in $REPO_DIR/build-release"
        (cd "$REPO_DIR" && cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >&2 && ninja -C build-release llmux >&2) ||
            { log "llmux: build failed"; return 1; }
        LLMUX_BIN=$REPO_DIR/build-release/llmux
    fi
    [[ -x $LLMUX_BIN ]] || { log "llmux: $LLMUX_BIN is not an executable"; return 1; }
    TARGET_DESC="llmux $LLMUX_BIN (checkout $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null)), --num_workers 1"
    local model port
    # Each run starts with an empty database (keys and spend of an earlier run would linger).
    rm -f "$RUN_DIR"/llmux.db "$RUN_DIR"/llmux.db-* "$RUN_DIR"/llmux.db.*
    {
        echo "model_list:"
        for model in json:18080 sse:18081 slow:18082 paced:18083; do
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
    } >"$RUN_DIR/llmux-config.yaml"
}
target_start() {
    spawn llmux "$SUT_CPU" "$LLMUX_BIN" --config "$RUN_DIR/llmux-config.yaml" --host 127.0.0.1 \
        --port "$LLMUX_PORT" --num_workers 1
}
# Requests carry a virtual key, made with the master key once llmux answers: the measured path
# is the one platform teams use (key cache lookup, model access, limits, spend accounting).
# VIRTUAL_KEY=0 measures with the master key instead, for comparison.
target_started() {
    [[ ${VIRTUAL_KEY:-1} == 1 ]] || return 0
    local answer key
    answer=$(curl -sf -X POST "http://127.0.0.1:$LLMUX_PORT/key/generate" \
        -H "Authorization: Bearer sk-bench-dummy" -H "content-type: application/json" \
        -d '{"key_alias":"bench","models":["bench-json","bench-sse","bench-slow","bench-paced"]}') || return 1
    key=$(sed -n 's/.*"key":"\(sk-[^"]*\)".*/\1/p' <<<"$answer")
    [[ -n $key ]] || return 1
    TARGET_AUTH="Authorization: Bearer $key"
    TARGET_DESC+=", a virtual key (spend tracked in SQLite)"
}
target_stop() { stop llmux; }
