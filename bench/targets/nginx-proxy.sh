# targets/nginx-proxy.sh — nginx as a bare reverse proxy (proxy-baseline/nginx.conf), one worker
# on SUT_CPU: the reference the goals are written against.
TARGET_DESC="nginx $(nginx -v 2>&1 | sed 's|.*/||'), 1 worker, proxy_pass with upstream keep-alive"
TARGET_URL_JSON="http://127.0.0.1:18090/v1/chat/completions"
TARGET_URL_SSE="http://127.0.0.1:18091/v1/chat/completions"
TARGET_URL_SLOW="http://127.0.0.1:18092/v1/chat/completions"
TARGET_URL_PACED="http://127.0.0.1:18093/v1/chat/completions"
target_prepare() { install_packages nginx; }
target_start() { spawn nginx-proxy "$SUT_CPU" nginx -p "$RUN_DIR" -c "$BENCH_DIR/proxy-baseline/nginx.conf"; }
target_stop() { stop nginx-proxy; }
