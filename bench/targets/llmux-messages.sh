# targets/llmux-messages.sh — the same llmux binary as `llmux` (LLMUX_BIN) with the same conversation sent to /v1/messages and translated to the OpenAI mock,
# measured in the same run to say what the feature costs (docs/PERFORMANCE.md):
#   bench/run.sh nginx-proxy llmux llmux-messages
LLMUX_VARIANT=messages source "$BENCH_DIR/targets/llmux.sh"
