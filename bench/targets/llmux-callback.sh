# targets/llmux-callback.sh — the same llmux binary as `llmux` (LLMUX_BIN) with Prometheus plus one logging callback (LiteLLM's generic webhook, posting to the JSON mock),
# measured in the same run to say what the feature costs (docs/PERFORMANCE.md):
#   bench/run.sh nginx-proxy llmux llmux-callback
LLMUX_VARIANT=callback source "$BENCH_DIR/targets/llmux.sh"
