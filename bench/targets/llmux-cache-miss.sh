# targets/llmux-cache-miss.sh — the same llmux binary as `llmux` (LLMUX_BIN) with the memory cache, every request a miss whose answer is stored (the body's cache: {"no-cache": true}),
# measured in the same run to say what the feature costs (docs/PERFORMANCE.md):
#   bench/run.sh nginx-proxy llmux llmux-cache-miss
LLMUX_VARIANT=cache-miss source "$BENCH_DIR/targets/llmux.sh"
