# targets/nginx-proxy.sh — nginx as a bare reverse proxy (proxy-baseline/nginx.conf), WORKERS
# workers (one, on SUT_CPU, by default): the reference the goals are written against.
TARGET_DESC="nginx $(nginx -v 2>&1 | sed 's|.*/||'), $WORKERS worker(s), proxy_pass with upstream keep-alive"
TARGET_URL_JSON="http://127.0.0.1:$PROXY_PORT_JSON/v1/chat/completions"
TARGET_URL_SSE="http://127.0.0.1:$PROXY_PORT_SSE/v1/chat/completions"
TARGET_URL_SLOW="http://127.0.0.1:$PROXY_PORT_SLOW/v1/chat/completions"
TARGET_URL_PACED="http://127.0.0.1:$PROXY_PORT_PACED/v1/chat/completions"
target_prepare() { install_packages nginx; }
target_start() {
    render_conf "$BENCH_DIR/proxy-baseline/nginx.conf" "$RUN_DIR/proxy-baseline.conf"
    spawn nginx-proxy "$SUT_CPU" nginx -p "$RUN_DIR" -c "$RUN_DIR/proxy-baseline.conf"
}
target_stop() { stop nginx-proxy; }
