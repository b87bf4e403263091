"""The Python module llmux against the mock upstream: litellm-style calls, whole and streamed,
blocking and asyncio, errors as LiteLLM's exception classes, a Router with retries and fallbacks."""
import asyncio
import subprocess
import sys
import threading
import time

import pytest

import llmux
from conftest import fixture_json, fixture_stream_text

HELLO = [{"role": "user", "content": "Hi"}]
FIXTURE_TEXT = fixture_json("openai/chat_completion.json")["choices"][0]["message"]["content"]
STREAM_TEXT = fixture_stream_text("openai/chat_completion_stream.sse")


def direct(mock, **extra):
    return dict(api_base=mock.api_base, api_key="sk-caller-key", **extra)


def test_completion_answers_as_openai_does(mock):
    response = llmux.completion(model="openai/gpt-4o-mini", messages=HELLO, **direct(mock))
    assert response.choices[0].message.content == FIXTURE_TEXT
    assert response["choices"][0]["message"]["content"] == FIXTURE_TEXT
    assert isinstance(response, dict)
    fixture = fixture_json("openai/chat_completion.json")
    assert response.id == fixture["id"]
    assert response.usage.total_tokens == fixture["usage"]["total_tokens"]
    assert response.model == "openai/gpt-4o-mini"
    assert response.no_such_field is None
    assert llmux.completion_cost(completion_response=response) > 0
    last = mock.requests()["requests"][-1]
    assert last["headers"]["authorization"] == "Bearer sk-caller-key"
    assert last["body"]["model"] == "gpt-4o-mini"
    assert "api_base" not in last["body"]


def test_request_fields_reach_the_upstream(mock):
    llmux.completion(model="openai/gpt-4o-mini", messages=HELLO, temperature=0.25, max_tokens=7,
                     user="someone", **direct(mock))
    body = mock.requests()["requests"][-1]["body"]
    assert (body["temperature"], body["max_tokens"], body["user"]) == (0.25, 7, "someone")


def test_base_url_stands_for_api_base(mock):
    response = llmux.completion(model="openai/gpt-4o-mini", messages=HELLO,
                                base_url=mock.api_base, api_key="sk-caller-key")
    assert response.choices[0].message.content == FIXTURE_TEXT


def test_retry_after_is_on_the_exception(mock):
    with pytest.raises(llmux.RateLimitError) as raised:
        llmux.completion(model="openai/mock-error-429-retry-after-7", messages=HELLO,
                         **direct(mock, num_retries=0))
    assert raised.value.retry_after == 7


def test_stream_yields_the_chunks_in_order(mock):
    chunks = list(llmux.completion(model="openai/gpt-4o-mini", messages=HELLO, stream=True,
                                   **direct(mock)))
    assert len(chunks) > 2
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks
                   if chunk.choices) == STREAM_TEXT
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)


@pytest.mark.asyncio
async def test_seed_script_acompletion_streamed(mock, capsys):
    # The script this project started from, with its import changed from litellm to llmux.
    response = await llmux.acompletion(
        model="openai/gpt-4o-mini", api_base=mock.api_base, api_key="sk-marketplace-key",
        messages=[{"role": "user", "content": "Write a haiku"}], stream=True)
    async for chunk in response:
        print(chunk.choices[0].delta.content or "", end="", flush=True)
    assert capsys.readouterr().out == STREAM_TEXT


def test_acompletion_answers_without_blocking_the_event_loop(mock):
    async def main():
        ticks = 0
        call = asyncio.ensure_future(llmux.acompletion(
            model="openai/mock-slow-first-byte-300", messages=HELLO, **direct(mock)))
        while not call.done():  # the loop keeps turning while the call waits on the upstream
            ticks += 1
            await asyncio.sleep(0.01)
        return ticks, call.result()

    ticks, response = asyncio.run(main())
    assert response.choices[0].message.content == FIXTURE_TEXT
    assert ticks >= 5  # a blocked loop would not turn at all while the call waits


FIRST_ACOMPLETION = """
import asyncio, sys, time, llmux

async def main():
    longest = 0.0
    call = asyncio.ensure_future(llmux.acompletion(
        model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
        api_base=sys.argv[1], api_key="sk-caller-key"))
    last = time.thread_time()
    while not call.done():
        await asyncio.sleep(0)
        now = time.thread_time()
        longest, last = max(longest, now - last), now
    call.result()
    print(longest * 1e3)

asyncio.run(main())
"""


def test_the_first_acompletion_builds_the_client_off_the_event_loop(mock):
    # A fresh interpreter's first acompletion makes the direct calls' client (its config and the
    # price map: tens of milliseconds of CPU); the loop's longest turn, in the loop thread's own
    # CPU time (which load on the machine does not stretch), stays far below that.
    ran = subprocess.run([sys.executable, "-c", FIRST_ACOMPLETION, mock.api_base],
                         capture_output=True, text=True, check=True)
    assert float(ran.stdout) < 10


def test_many_acompletions_run_at_once_on_one_loop(mock):
    async def main():
        return await asyncio.gather(*[
            llmux.acompletion(model="openai/mock-slow-first-byte-200", messages=HELLO,
                              **direct(mock)) for _ in range(20)])

    started = time.monotonic()
    responses = asyncio.run(main())
    assert all(r.choices[0].message.content == FIXTURE_TEXT for r in responses)
    assert time.monotonic() - started < 20 * 0.2 / 2  # overlapped, not one after the other


def test_blocking_calls_release_the_gil_while_they_wait(mock):
    answers = []

    def call():
        answers.append(llmux.completion(model="openai/mock-slow-first-byte-500", messages=HELLO,
                                        **direct(mock)))

    threads = [threading.Thread(target=call) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.choices[0].message.content for a in answers] == [FIXTURE_TEXT] * 4
    assert time.monotonic() - started < 4 * 0.5 * 0.75  # the waits overlapped: not one by one


def test_async_stream_of_many_at_once(mock):
    async def read(i):
        stream = await llmux.acompletion(model=f"openai/gpt-4o-mini@s{i}", messages=HELLO,
                                         stream=True, **direct(mock))
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def main():
        return await asyncio.gather(*[read(i) for i in range(10)])

    assert asyncio.run(main()) == [STREAM_TEXT] * 10


@pytest.mark.parametrize("model, error_class, status", [
    ("openai/mock-error-400", llmux.BadRequestError, 400),
    ("openai/mock-error-401", llmux.AuthenticationError, 401),
    ("openai/mock-error-403", llmux.PermissionDeniedError, 403),
    ("openai/mock-error-404", llmux.NotFoundError, 404),
    ("openai/mock-context-window-exceeded", llmux.ContextWindowExceededError, 400),
    ("openai/mock-content-policy", llmux.ContentPolicyViolationError, 400),
    ("openai/mock-error-429", llmux.RateLimitError, 429),
    ("openai/mock-error-500", llmux.InternalServerError, 500),
    ("openai/mock-error-503", llmux.ServiceUnavailableError, 503),
    ("openai/mock-reset-before-headers", llmux.APIConnectionError, None),
])
def test_failures_raise_litellms_exception_classes(mock, model, error_class, status):
    with pytest.raises(error_class) as raised:
        llmux.completion(model=model, messages=HELLO, **direct(mock, num_retries=0))
    assert isinstance(raised.value, llmux.OpenAIError)
    if status is not None:
        assert raised.value.status_code == status
    assert raised.value.llm_provider == "openai"
    assert "sk-caller-key" not in str(raised.value)


def test_a_timeout_raises_timeout(mock):
    with pytest.raises(llmux.Timeout) as raised:
        llmux.completion(model="openai/mock-slow-first-byte-2000", messages=HELLO, timeout=0.2,
                         **direct(mock))
    assert isinstance(raised.value, llmux.APIConnectionError)  # as openai's APITimeoutError


def test_context_window_error_is_a_bad_request(mock):
    with pytest.raises(llmux.BadRequestError):
        llmux.completion(model="openai/mock-context-window-exceeded", messages=HELLO,
                         **direct(mock))


@pytest.mark.asyncio
async def test_async_and_streamed_failures_raise_too(mock):
    with pytest.raises(llmux.RateLimitError):
        await llmux.acompletion(model="openai/mock-error-429", messages=HELLO, **direct(mock))
    with pytest.raises(llmux.AuthenticationError):
        await llmux.acompletion(model="openai/mock-error-401", messages=HELLO, stream=True,
                                **direct(mock))
    with pytest.raises(llmux.RateLimitError):
        llmux.completion(model="openai/mock-error-429", messages=HELLO, stream=True,
                         **direct(mock))


def test_a_stream_cut_midway_raises_after_its_chunks(mock):
    stream = llmux.completion(model="openai/mock-stream-cut-after-2", messages=HELLO, stream=True,
                              **direct(mock))
    received = []
    with pytest.raises(llmux.OpenAIError):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 2


def test_bad_input_is_a_bad_request(mock):
    with pytest.raises(llmux.BadRequestError):
        llmux.completion(model="openai/gpt-4o-mini", messages="not a list", **direct(mock))
    with pytest.raises(llmux.BadRequestError):
        llmux.completion(model="nowhere/model", messages=HELLO, **direct(mock))


def test_closing_a_stream_early_stops_the_upstream_call(mock):
    stream = llmux.completion(model="openai/mock-stream-slow-50@py-close", messages=HELLO,
                              stream=True, **direct(mock))
    next(stream)
    stream.close()
    mock.wait_for("aborted", "mock-stream-slow-50@py-close")


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("how", ["task.cancel", "wait_for"])
def test_cancelling_an_acompletion_stops_its_upstream_call(mock, how, stream):
    # The mock waits 30 s before answering; the caller gives up once the mock has the request.
    model = f"mock-slow-first-byte-30000@py-{how}-{stream}"

    async def main():
        call = asyncio.ensure_future(llmux.acompletion(
            model=f"openai/{model}", messages=HELLO, stream=stream, **direct(mock)))
        await asyncio.to_thread(mock.wait_for, "received", model)
        if how == "task.cancel":
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
        else:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(call, timeout=0.01)

    asyncio.run(main())
    assert mock.wait_for("aborted", model)["path"] == "/v1/chat/completions"


def test_embedding(mock):
    response = llmux.embedding(model="openai/text-embedding-3-small", input=["hello", "world"],
                               **direct(mock))
    assert response.object == "list"
    assert len(response.data) == 2
    assert all(isinstance(value, float) for value in response.data[0].embedding)
    assert response.usage.prompt_tokens > 0


def deployment(mock, name, upstream_model):
    return {"model_name": name, "litellm_params": {
        "model": f"openai/{upstream_model}", "api_base": mock.api_base, "api_key": "sk-op"}}


def test_router_falls_back_from_a_failing_deployment_to_a_working_one(mock):
    router = llmux.Router(model_list=[deployment(mock, "primary", "mock-error-500"),
                                      deployment(mock, "backup", "gpt-4o-mini")],
                          fallbacks=[{"primary": ["backup"]}])
    response = router.completion(model="primary", messages=HELLO)
    assert response.choices[0].message.content == FIXTURE_TEXT
    assert response._hidden_params["model_group"] == "backup"
    assert response.model == "backup"

    async def streamed():
        stream = await router.acompletion(model="primary", messages=HELLO, stream=True)
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(streamed()) == STREAM_TEXT


def test_router_retries_as_num_retries_says(mock):
    retrying = llmux.Router(model_list=[deployment(mock, "flaky", "mock-fail-first-1@py-r1")],
                            num_retries=1, retry_after=0)
    response = retrying.completion(model="flaky", messages=HELLO)
    assert response._hidden_params["retries"] == 1

    once = llmux.Router(model_list=[deployment(mock, "flaky", "mock-fail-first-1@py-r0")],
                        num_retries=0)
    with pytest.raises(llmux.InternalServerError):
        once.completion(model="flaky", messages=HELLO)
    with pytest.raises(llmux.BadRequestError) as unknown:  # the proxy's 400 for a model name
        once.completion(model="not-in-the-list", messages=HELLO)
    assert unknown.value.code == "model_not_found"


def test_router_calls_vertex_ai_with_a_service_accounts_token(mock):
    # The Router fetches the account's OAuth token from the key's token endpoint (the mock's,
    # which verifies the signed assertion) before it returns, then calls Vertex AI with it.
    router = llmux.Router(model_list=[{"model_name": "vertex", "litellm_params": {
        "model": "vertex_ai/gemini-2.5-flash", "api_base": mock.url,
        "vertex_project": "llmux-test-project", "vertex_location": "europe-west4",
        "vertex_credentials": mock.service_account("py-vertex")}}])
    response = router.completion(model="vertex", messages=HELLO)
    gemini = fixture_json("gemini/generate_content.json")
    assert response.choices[0].message.content == \
        gemini["candidates"][0]["content"]["parts"][0]["text"]
    vertex_calls = [r for r in mock.requests()["requests"] if r.get("dialect") == "vertex"]
    assert vertex_calls[-1]["headers"]["authorization"].startswith("Bearer ya29.mock-")


def test_router_rejects_a_config_it_cannot_use():
    with pytest.raises(ValueError):
        llmux.Router(model_list=[{"model_name": "x", "litellm_params": {"model": "nowhere/x"}}])
