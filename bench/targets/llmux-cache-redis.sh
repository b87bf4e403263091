# targets/llmux-cache-redis.sh — the same llmux binary as `llmux` (LLMUX_BIN) with the response cache in a redis-server of its own: hits likewise,
# measured in the same run to say what the feature costs (docs/PERFORMANCE.md):
#   bench/run.sh nginx-proxy llmux llmux-cache-redis
LLMUX_VARIANT=cache-redis source "$BENCH_DIR/targets/llmux.sh"
