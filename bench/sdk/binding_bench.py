"""The Python binding's cost per call, and 100 concurrent acompletion streams on one event loop.

    PYTHONPATH=build/python python3 bench/sdk/binding_bench.py [calls]
    PYTHONPATH=build/python python3 bench/sdk/binding_bench.py --only <line> <calls>

1. Per call, on a mock_response deployment (answered in process, no socket): the native client's
   call (the binding alone), llmux's Router.completion (binding, request JSON, answer objects)
   and Router.acompletion awaited one at a time; wall time and CPU time (all threads: the
   caller's and the client's) per call. Compare with `build/bench/micro/llmux_sdk_bench` (the
   C++ library's own call, bench/sdk/call_bench.cpp): the difference is the binding's overhead.
   `--only native|completion|acompletion N` makes just N calls of one line, for counting
   instructions under callgrind (bench/sdk/count_instructions.sh).
2. 100 acompletion streams at once against the mock upstream (tests/mock_upstream under node):
   the time they take, and the longest gap between two turns of the event loop meanwhile (a
   stall), in wall time and in the loop thread's CPU time (what load on the machine does not
   stretch).
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
HELLO = [{"role": "user", "content": "Hi"}]
LOCAL = [{"model_name": "local",
          "litellm_params": {"model": "openai/local", "mock_response": "Hi there"}}]


def lines():
    """Each line's name and a function making `calls` calls of it."""
    native = _native.Client(json.dumps({"model_list": LOCAL}))
    body = json.dumps({"model": "local", "messages": HELLO})
    router = llmux.Router(model_list=LOCAL)

    def native_calls(calls):
        for _ in range(calls):
            native.call("chat_completions", body)

    def completions(calls):
        for _ in range(calls):
            router.completion(model="local", messages=HELLO)

    def acompletions(calls):
        async def sequential():
            for _ in range(calls):
                await router.acompletion(model="local", messages=HELLO)
        asyncio.run(sequential())

    return {"native": ("native Client.call (binding only)", native_calls),
            "completion": ("Router.completion", completions),
            "acompletion": ("Router.acompletion, one at a time", acompletions)}


def per_call(label, run, calls):
    run(10)  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    run(calls)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<36} {wall / calls * 1e6:8.1f} µs per call, {cpu / calls * 1e6:8.1f} µs CPU")


def streams(api_base, count=100):
    async def read(i):
        stream = await llmux.acompletion(model=f"openai/gpt-4o-mini@bench{i}", messages=HELLO,
                                         api_base=api_base, api_key="sk-bench", stream=True)
        return sum([1 async for _ in stream])

    async def run():
        longest_wall = longest_cpu = 0.0
        reading = asyncio.ensure_future(asyncio.gather(*[read(i) for i in range(count)]))
        wall, cpu = time.perf_counter(), time.thread_time()
        while not reading.done():
            await asyncio.sleep(0)
            now_wall, now_cpu = time.perf_counter(), time.thread_time()
            longest_wall = max(longest_wall, now_wall - wall)
            longest_cpu = max(longest_cpu, now_cpu - cpu)
            wall, cpu = now_wall, now_cpu
        return reading.result(), longest_wall, longest_cpu

    wall, cpu = time.perf_counter(), time.process_time()
    chunks, longest_wall, longest_cpu = asyncio.run(run())
    print(f"{count} acompletion streams at once: {sum(chunks)} chunks in "
          f"{time.perf_counter() - wall:.2f} s ({time.process_time() - cpu:.2f} s CPU), longest "
          f"event-loop gap {longest_wall * 1e3:.1f} ms ({longest_cpu * 1e3:.2f} ms of the loop "
          f"thread's CPU)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--only":
        lines()[sys.argv[2]][1](int(sys.argv[3]))
        return
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    for label, run in lines().values():
        per_call(label, run, calls)
    mock = subprocess.Popen(["node", str(ROOT / "tests/mock_upstream/server.mjs"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        port = int(mock.stdout.readline().split()[1])
        streams(f"http://127.0.0.1:{port}/v1")
    finally:
        mock.terminate()
        mock.wait()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
