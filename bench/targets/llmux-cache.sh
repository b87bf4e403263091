# targets/llmux-cache.sh — the same llmux binary as `llmux` (LLMUX_BIN) with the response cache in memory: every request after a connection's first is a hit,
# measured in the same run to say what the feature costs (docs/PERFORMANCE.md):
#   bench/run.sh nginx-proxy llmux llmux-cache
LLMUX_VARIANT=cache source "$BENCH_DIR/targets/llmux.sh"
