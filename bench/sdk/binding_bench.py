"""The Python binding's cost per call, and 100 concurrent acompletion streams on one event loop.

    PYTHONPATH=build/python python3 bench/sdk/binding_bench.py [calls]

1. Per call, on a mock_response deployment (answered in process, no socket): the native client's
   call (the binding alone), llmux's Router.completion (binding + answer objects) and
   Router.acompletion awaited one at a time. Compare with `build/bench/micro/llmux_sdk_bench` (the C++ library's
   own call, bench/sdk/call_bench.cpp): the difference is the binding's overhead.
2. 100 acompletion streams at once against the mock upstream (tests/mock_upstream under node): the
   time they take and the longest gap between two turns of the event loop meanwhile (a stall).
"""
import asyncio
import json
import os
import pathlib
import subprocess
import sys
import time

import llmux
from llmux import _native

ROOT = pathlib.Path(__file__).resolve().parents[2]
CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
HELLO = [{"role": "user", "content": "Hi"}]
LOCAL = [{"model_name": "local",
          "litellm_params": {"model": "openai/local", "mock_response": "Hi there"}}]


def per_call(label, run, calls=CALLS):
    run()  # warm-up
    started = time.perf_counter()
    for _ in range(calls):
        run()
    elapsed = time.perf_counter() - started
    print(f"{label:<44} {elapsed / calls * 1e6:8.1f} µs per call")


def main():
    native = _native.Client(json.dumps({"model_list": LOCAL}))
    body = json.dumps({"model": "local", "messages": HELLO})
    per_call("native Client.call (binding only)", lambda: native.call("chat_completions", body))
    router = llmux.Router(model_list=LOCAL)
    per_call("Router.completion", lambda: router.completion(model="local", messages=HELLO))

    async def sequential():
        for _ in range(CALLS):
            await router.acompletion(model="local", messages=HELLO)

    asyncio.run(router.acompletion(model="local", messages=HELLO))
    started = time.perf_counter()
    asyncio.run(sequential())
    print(f"{'Router.acompletion, one at a time':<44} "
          f"{(time.perf_counter() - started) / CALLS * 1e6:8.1f} µs per call")

    mock = subprocess.Popen(["node", str(ROOT / "tests/mock_upstream/server.mjs"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(mock.stdout.readline().split()[1])
        streams(f"http://127.0.0.1:{port}/v1")
    finally:
        mock.terminate()
        mock.wait()


def streams(api_base, count=100):
    async def read(i):
        stream = await llmux.acompletion(model=f"openai/gpt-4o-mini@bench{i}", messages=HELLO,
                                         api_base=api_base, api_key="sk-bench", stream=True)
        return sum([1 async for _ in stream])

    async def run():
        longest_gap = 0.0
        reading = asyncio.ensure_future(asyncio.gather(*[read(i) for i in range(count)]))
        last = time.perf_counter()
        while not reading.done():
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest_gap = max(longest_gap, now - last)
            last = now
        return reading.result(), longest_gap

    started = time.perf_counter()
    chunks, longest_gap = asyncio.run(run())
    print(f"{count} acompletion streams at once: {sum(chunks)} chunks in "
          f"{time.perf_counter() - started:.2f} s, longest event-loop gap "
          f"{longest_gap * 1e3:.1f} ms")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
