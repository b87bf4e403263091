# targets/llmux-b.sh — a second llmux binary, LLMUX_BIN_B, measured in the same run as `llmux`
# (its own port and database), to compare a change with the binary before it:
#   LLMUX_BIN=/old/llmux LLMUX_BIN_B=/new/llmux bench/run.sh nginx-proxy llmux llmux-b
LLMUX_VARIANT=b source "$BENCH_DIR/targets/llmux.sh"
