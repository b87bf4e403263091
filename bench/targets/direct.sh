# targets/direct.sh — no proxy at all: the load generator talks to the mocks themselves.
# The floor for latency, and the ceiling for requests/s: the mock shares LOAD_CPU with the load
# generator in every run, so no proxied row can beat this one.
TARGET_DESC="the mocks themselves, no proxy"
TARGET_URL_JSON="http://127.0.0.1:$MOCK_PORT_JSON/v1/chat/completions"
TARGET_URL_SSE="http://127.0.0.1:$MOCK_PORT_SSE/v1/chat/completions"
TARGET_URL_SLOW="http://127.0.0.1:$MOCK_PORT_SLOW/v1/chat/completions"
TARGET_URL_PACED="http://127.0.0.1:$MOCK_PORT_PACED/v1/chat/completions"
target_prepare() { :; }
target_start() { :; }   # run.sh starts the mocks for every target
target_stop() { :; }
