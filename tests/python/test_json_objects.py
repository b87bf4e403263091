"""The native module's JSON conversions, which replace json.dumps for a call's request body and
json.loads (with the package's attribute-dicts) for its answers: the same values either way."""
import json
import math

import pytest

import llmux
from llmux import _native
from conftest import FIXTURES

SKIPPED = frozenset({"logger_fn"})


def body(fields, api_base=None, api_key=None):
    return json.loads(_native.request_body("openai/m", fields, api_base, api_key, SKIPPED))


def test_request_body_holds_what_json_dumps_would_write():
    fields = {
        "messages": [{"role": "user", "content": 'quote " backslash \\ tab \t nl \n nul \x00 é 漢 🎉'}],
        "temperature": 0.1, "top_p": 1.0, "max_tokens": 7, "seed": -3, "n": 10**30,
        "logprobs": True, "echo": False, "stop": ("a", "b"), "tools": [], "metadata": {},
        "tiny": 5e-324, "huge": 1.7976931348623157e308,
    }
    assert body(fields) == {"model": "openai/m", **fields, "stop": ["a", "b"]}
    text = _native.request_body("openai/m", {"temperature": 0.1}, None, None, SKIPPED).decode()
    assert text == '{"model":"openai/m","temperature":0.1}'


def test_request_body_leaves_out_none_and_litellms_own_arguments():
    fields = {"messages": [], "user": None, "logger_fn": print}
    assert body(fields) == {"model": "openai/m", "messages": []}
    assert body({}, api_base="http://b", api_key="sk-k") == {
        "model": "openai/m", "api_base": "http://b", "api_key": "sk-k"}
    assert body({}, api_base="", api_key=None) == {"model": "openai/m"}


def test_an_answer_object_passed_back_in_is_json_like_a_dict():
    message = _native.parse_json(b'{"role": "assistant", "content": "hi"}', llmux.ModelResponse,
                                 None)
    assert body({"messages": [message]})["messages"] == [{"role": "assistant", "content": "hi"}]


@pytest.mark.parametrize("value, error", [
    (object(), TypeError), ({1: "x"}, TypeError), (float("nan"), ValueError),
    (float("inf"), ValueError), ({"a": {1, 2}}, TypeError), ("\ud800", UnicodeEncodeError),
])
def test_request_body_refuses_what_is_not_json(value, error):
    with pytest.raises(error):
        _native.request_body("openai/m", {"field": value}, None, None, SKIPPED)


def test_a_value_that_contains_itself_is_refused_not_a_crash():
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError):
        _native.request_body("openai/m", {"field": loop}, None, None, SKIPPED)


def test_parse_json_reads_as_json_loads_does():
    for path in ["openai/chat_completion.json", "openai/chat_completion_tool_calls.json"]:
        text = (FIXTURES / path).read_bytes()
        assert _native.parse_json(text, dict, None) == json.loads(text)
    text = ('{"a": [1, -2, 18446744073709551615, 123456789012345678901234567890, 0.1, '
            '-0.0, 2.5e-3, true, false, null, "\\u00e9\\ud83c\\udf89 \\" \\\\"], "b": {}, "c": []}')
    parsed = _native.parse_json(text.encode(), dict, None)
    assert parsed == json.loads(text)
    assert math.copysign(1, parsed["a"][5]) == -1


def test_parse_json_makes_the_given_classes():
    answer = _native.parse_json(b'{"choices": [{"message": {"content": "x"}}]}', llmux._Object,
                                llmux.ModelResponse)
    assert type(answer) is llmux.ModelResponse
    assert type(answer.choices[0]) is llmux._Object
    assert answer.choices[0].message.content == "x"


@pytest.mark.parametrize("text", [b"", b"{", b'{"a": 1} x', b"[1,]", b'"\xff"', b"nul"])
def test_parse_json_refuses_text_that_is_not_json(text):
    with pytest.raises(ValueError):
        _native.parse_json(text, dict, None)
