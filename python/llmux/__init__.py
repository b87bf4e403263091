"""llmux in process: litellm.completion / acompletion / embedding and litellm.Router's calls, on
llmux's providers, router and relay (retries, fallbacks, timeouts, cooldowns), without a server.

    import llmux
    response = await llmux.acompletion(model="openai/<model>", api_base=..., api_key=...,
                                       messages=[{"role": "user", "content": "Hi"}], stream=True)

Answers are shaped as OpenAI's (attribute access, and dicts); failures raise LiteLLM's exception
classes. The calls run on the native client's own event loop: a blocking call releases the GIL;
an asynchronous one is an asyncio future, resolved when the client's ready queue, watched by the
asyncio loop (add_reader), has its result: no thread per call, and the client's thread never
waits for the GIL.
"""

import asyncio
import atexit
import itertools
import json
import threading
import weakref

from . import _native

__all__ = [
    "completion", "acompletion", "embedding", "aembedding", "completion_cost", "Router",
    "ModelResponse", "ModelResponseStream", "EmbeddingResponse", "CustomStreamWrapper",
    "OpenAIError", "APIError", "APIConnectionError", "Timeout", "APITimeoutError",
    "APIStatusError", "BadRequestError", "UnsupportedParamsError", "ContextWindowExceededError",
    "ContentPolicyViolationError", "AuthenticationError", "PermissionDeniedError",
    "NotFoundError", "UnprocessableEntityError", "RateLimitError", "InternalServerError",
    "ServiceUnavailableError",
]


# --- Exceptions: LiteLLM's names and hierarchy (openai's classes underneath theirs) ------------

class OpenAIError(Exception):
    """The base of every error llmux raises for a call."""

    def __init__(self, message, llm_provider=None, model=None, status_code=None, code=None,
                 param=None, type=None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.llm_provider = llm_provider
        self.model = model
        self.status_code = status_code
        self.code = code
        self.param = param
        self.type = type
        self.retry_after = retry_after

    def __str__(self):
        return f"llmux.{type(self).__name__}: {self.message}"


class APIError(OpenAIError):
    """An error without a more specific class (LiteLLM's APIError)."""


class APIConnectionError(APIError):
    """The provider could not be reached, or answered with something that is not an answer."""


class APITimeoutError(APIConnectionError):
    """openai's name for a timeout."""


class Timeout(APITimeoutError):
    """The provider did not answer in time (LiteLLM's Timeout)."""


class APIStatusError(APIError):
    """The provider (or llmux's router) answered with an HTTP error status."""


class BadRequestError(APIStatusError):
    pass


class UnsupportedParamsError(BadRequestError):
    pass


class ContextWindowExceededError(BadRequestError):
    pass


class ContentPolicyViolationError(BadRequestError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class UnprocessableEntityError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


class ServiceUnavailableError(APIStatusError):
    pass


_ERROR_CLASSES = {
    "invalid_request": BadRequestError,
    "payload_too_large": BadRequestError,
    "unsupported_params": UnsupportedParamsError,
    "context_window_exceeded": ContextWindowExceededError,
    "content_policy": ContentPolicyViolationError,
    "unauthenticated": AuthenticationError,
    "forbidden": PermissionDeniedError,
    "not_found": NotFoundError,
    "model_not_found": NotFoundError,
    "timeout": Timeout,
    "unprocessable": UnprocessableEntityError,
    "rate_limited": RateLimitError,
    "internal": InternalServerError,
    "upstream_failed": APIConnectionError,
    "unavailable": ServiceUnavailableError,
}


def _raise(error, model):
    provider = model.split("/", 1)[0] if isinstance(model, str) and "/" in model else None
    error_class = _ERROR_CLASSES.get(error["kind"], APIError)
    raise error_class(error["message"], llm_provider=provider, model=model,
                      status_code=error["status"], code=error["code"] or None,
                      param=error["param"] or None, type=error["type"],
                      retry_after=error["retry_after"])


# --- Answers: OpenAI's JSON with attribute access --------------------------------------------

class _Object(dict):
    """A JSON object: a dict whose keys also read as attributes (absent ones read as None, as
    on openai's models, where an optional field is None). Answers are parsed straight into these
    by the native module (as json.loads with object_hook would, at a fraction of the cost)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        self[name] = value

    def json(self):
        return json.dumps(self)

    def model_dump(self):
        return json.loads(json.dumps(self))

    def to_dict(self):
        return self.model_dump()


class ModelResponse(_Object):
    """A chat or text completion; `_hidden_params["response_cost"]` is its cost in USD."""

    def __init__(self, value=(), hidden_params=None):
        super().__init__(value)
        object.__setattr__(self, "_hidden_params", hidden_params or {})


class ModelResponseStream(_Object):
    """One chunk of a streamed completion."""


class EmbeddingResponse(ModelResponse):
    pass


def completion_cost(completion_response=None, **_):
    """The cost in USD of an answer llmux returned (the price map's, as the router computed it)."""
    hidden = getattr(completion_response, "_hidden_params", None)
    if hidden is None or "response_cost" not in hidden:
        raise ValueError("completion_cost takes an answer llmux returned")
    return hidden["response_cost"]


# --- Streams ---------------------------------------------------------------------------------

class CustomStreamWrapper:
    """The chunks of a streamed call: an iterator, and an async iterator that waits on the event
    loop (never blocking it). Leaving it before the end (close(), or dropping it) stops the call."""

    def __init__(self, stream, model, dispatch):
        self._stream = stream
        self._model = model
        self._dispatch = dispatch
        self._done = False
        self._hidden_params = {}

    def _item(self, item):
        error, chunk = item
        if error is not None:
            self._end()
            _raise(error, self._model)
        if chunk is None:
            self._end()
            raise StopIteration
        return _parse_json(chunk, _Object, ModelResponseStream)

    def _end(self):
        if not self._done:
            self._done = True
            self._hidden_params = self._stream.hidden_params()

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        return self._item(self._stream.next())

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self._done:
            raise StopAsyncIteration
        while True:
            item = self._stream.try_next()
            if item is not None:
                try:
                    return self._item(item)
                except StopIteration:
                    raise StopAsyncIteration from None
            ready = self._dispatch.watch_stream(self._stream)
            await ready

    def close(self):
        self._done = True
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


class _Dispatch:
    """The asynchronous calls of one native client: each has a number and a future; the client
    queues their results and makes its ready_fd readable, which every event loop with a call
    waiting watches. A result for a future of another loop (another thread) is handed to it."""

    def __init__(self, client):
        self._client = client
        self._waiting = {}
        self._numbers = itertools.count(1)
        self._loops = weakref.WeakSet()
        self._last_loop = None  # the loop of the last call, known to watch the client

    def _register(self):
        loop = asyncio.get_running_loop()
        if loop is not self._last_loop:
            if loop not in self._loops:
                loop.add_reader(self._client.ready_fd(), self._drain)
                self._loops.add(loop)
            self._last_loop = loop
        number = next(self._numbers)
        future = loop.create_future()
        self._waiting[number] = future
        return number, future

    def _drain(self):
        here = asyncio.get_running_loop()
        for number, result in self._client.take_ready():
            future = self._waiting.pop(number, None)
            if future is None:
                continue  # a stream's later notices, or a call whose caller went away
            if future.get_loop() is here:
                _settle(future, result)
            else:
                future.get_loop().call_soon_threadsafe(_settle, future, result)

    async def call(self, endpoint, body):
        number, future = self._register()
        self._client.call_async(endpoint, body, number)
        return await self._result(number, future)

    async def open_stream(self, endpoint, body):
        number, future = self._register()
        self._client.open_stream_async(endpoint, body, number)
        return await self._result(number, future)

    async def _result(self, number, future):
        try:
            return await future
        except asyncio.CancelledError:
            # task.cancel(), asyncio.wait_for's timeout: the upstream call stops too.
            self._waiting.pop(number, None)
            self._client.cancel(number)
            raise

    def watch_stream(self, stream):
        number, future = self._register()
        self._client.watch(stream, number)
        return future


def _settle(future, result):
    if not future.done():
        future.set_result(result)


# --- Calls -----------------------------------------------------------------------------------

_clients = weakref.WeakSet()


def _new_client(config=None):
    client = _native.Client(config) if config is not None else _native.Client()
    _clients.add(client)
    return client


@atexit.register
def _close_clients():
    for client in list(_clients):
        client.close()


_default_client = None
_default_lock = threading.Lock()


def _direct_client():
    global _default_client
    with _default_lock:
        if _default_client is None:
            _default_client = _new_client()
        return _default_client


# LiteLLM's own arguments that are not request fields (or are, under another name).
_LOCAL_ARGUMENTS = frozenset(
    {"custom_llm_provider", "litellm_logging_obj", "logger_fn", "acompletion"})
_request_body = _native.request_body
_parse_json = _native.parse_json


def _body(model, fields, api_base, base_url, api_key):
    """The request's JSON: the model, the fields that are not None nor LiteLLM's own, api_base
    and api_key when given (written by the native module, as json.dumps would)."""
    return _request_body(model, fields, api_base or base_url, api_key, _LOCAL_ARGUMENTS)


def _answer(result, model, response_class):
    error, body, hidden_params = result
    if error is not None:
        _raise(error, model)
    response = _parse_json(body, _Object, response_class)
    object.__setattr__(response, "_hidden_params", hidden_params)
    return response


class _Caller:
    """completion / acompletion / embedding on one native client."""

    def __init__(self, client_source):
        self._client_source = client_source
        self._dispatch = None
        self._dispatch_lock = threading.Lock()
        self._building = None  # the client being built off the event loop

    def _async(self):
        if self._dispatch is not None:
            return self._dispatch
        with self._dispatch_lock:  # one dispatch per client: it alone takes the client's results
            if self._dispatch is None:
                self._dispatch = _Dispatch(self._client_source())
            return self._dispatch

    def _call(self, endpoint, model, body, response_class):
        return _answer(self._client_source().call(endpoint, body), model, response_class)

    async def _async_off_the_loop(self):
        """The dispatch; the first time, its client is built on a worker thread, not on the event
        loop (the direct calls' client is made on first use: tens of milliseconds of CPU)."""
        if self._dispatch is None:
            loop = asyncio.get_running_loop()
            if self._building is None or self._building.get_loop() is not loop:
                self._building = loop.run_in_executor(None, self._client_source)
            await asyncio.shield(self._building)  # one build, however many calls wait for it
        return self._async()

    async def _acall(self, endpoint, model, body, response_class):
        dispatch = self._dispatch or await self._async_off_the_loop()
        return _answer(await dispatch.call(endpoint, body), model, response_class)

    def _open(self, endpoint, model, body):
        error, stream = self._client_source().open_stream(endpoint, body)
        if error is not None:
            _raise(error, model)
        return CustomStreamWrapper(stream, model, self._async())

    async def _aopen(self, endpoint, model, body):
        dispatch = self._dispatch or await self._async_off_the_loop()
        error, stream = await dispatch.open_stream(endpoint, body)
        if error is not None:
            _raise(error, model)
        return CustomStreamWrapper(stream, model, dispatch)

    def completion(self, model, messages=None, *, api_base=None, base_url=None, api_key=None,
                   stream=False, **params):
        body = _body(model, dict(params, messages=messages, stream=stream or None), api_base,
                     base_url, api_key)
        if stream:
            return self._open("chat_completions", model, body)
        return self._call("chat_completions", model, body, ModelResponse)

    async def acompletion(self, model, messages=None, *, api_base=None, base_url=None,
                          api_key=None, stream=False, **params):
        body = _body(model, dict(params, messages=messages, stream=stream or None), api_base,
                     base_url, api_key)
        if stream:
            return await self._aopen("chat_completions", model, body)
        return await self._acall("chat_completions", model, body, ModelResponse)

    def embedding(self, model, input=None, *, api_base=None, base_url=None, api_key=None,
                  **params):
        body = _body(model, dict(params, input=input), api_base, base_url, api_key)
        return self._call("embeddings", model, body, EmbeddingResponse)

    async def aembedding(self, model, input=None, *, api_base=None, base_url=None, api_key=None,
                         **params):
        body = _body(model, dict(params, input=input), api_base, base_url, api_key)
        return await self._acall("embeddings", model, body, EmbeddingResponse)


_direct = _Caller(_direct_client)


def completion(model, messages=None, *, api_base=None, base_url=None, api_key=None, stream=False,
               **params):
    """litellm.completion: `model` is "<provider>/<model>"; `stream=True` returns an iterator of
    chunks. Other keyword arguments are OpenAI request fields (temperature, max_tokens, tools, …)
    or LiteLLM's routing fields (num_retries, fallbacks, timeout)."""
    return _direct.completion(model, messages, api_base=api_base, base_url=base_url,
                              api_key=api_key, stream=stream, **params)


async def acompletion(model, messages=None, *, api_base=None, base_url=None, api_key=None,
                      stream=False, **params):
    """litellm.acompletion: as completion(); `stream=True` returns an async iterator of chunks."""
    return await _direct.acompletion(model, messages, api_base=api_base, base_url=base_url,
                                     api_key=api_key, stream=stream, **params)


def embedding(model, input=None, *, api_base=None, base_url=None, api_key=None, **params):
    """litellm.embedding."""
    return _direct.embedding(model, input, api_base=api_base, base_url=base_url, api_key=api_key,
                             **params)


async def aembedding(model, input=None, *, api_base=None, base_url=None, api_key=None, **params):
    """litellm.aembedding."""
    return await _direct.aembedding(model, input, api_base=api_base, base_url=base_url,
                                    api_key=api_key, **params)


class Router(_Caller):
    """litellm.Router: a model_list (LiteLLM's config entries) and router settings (num_retries,
    fallbacks, context_window_fallbacks, timeout, routing_strategy, …, as router_settings takes
    them). Calls name a model_name of the list."""

    def __init__(self, model_list=None, **router_settings):
        config = {"model_list": model_list or []}
        settings = {key: value for key, value in router_settings.items() if value is not None}
        if settings:
            config["router_settings"] = settings
        # JSON is YAML: the native side reads it as it reads a config.yaml.
        client = _new_client(json.dumps(config))
        super().__init__(lambda: client)
        self.model_list = model_list or []
