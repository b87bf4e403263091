# targets/llmux-fleet.sh — the same llmux binary as `llmux` (LLMUX_BIN), its virtual key's limits
# counted in a redis-server of its own (router_settings.redis_*), to measure what a fleet costs:
#   KEY_LIMITS='"rpm_limit":100000000' bench/run.sh nginx-proxy llmux llmux-fleet
LLMUX_VARIANT=fleet source "$BENCH_DIR/targets/llmux.sh"
