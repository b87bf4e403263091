// JSON text and Python objects, converted in C++ instead of by the json module: a call's request
// body written straight from the caller's dicts and lists, and an answer read straight into the
// package's attribute-dicts. They are most of the Python side's cost per call
// (docs/SDK.md, "Speed").
#pragma once

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

namespace llmux::python {

// `value` (dicts with str keys, lists, tuples, str, int, float, bool, None) as JSON text appended
// to `out`, as json.dumps(value, allow_nan=False) writes it without spaces. Raises TypeError for
// another type or a key that is not a str, ValueError for NaN or an infinity.
void append_json(std::string& out, pybind11::handle value);

// The request body of a call: {"model": model, fields whose value is not None and whose key is
// not in `skipped`…, "api_base": api_base, "api_key": api_key} (the last two only when given).
std::string request_body(pybind11::handle model, pybind11::dict fields, pybind11::object api_base,
                         pybind11::object api_key, pybind11::frozenset skipped);

// `text` parsed into Python objects, as json.loads(text, object_hook=object_class) makes them:
// each JSON object an `object_class` (a dict subclass), made without calling its __init__; the
// outermost one a `top_class` instead when given. Numbers read as Python reads their text.
// Raises ValueError for text that is not JSON.
pybind11::object parse_json(std::string_view text, pybind11::handle object_class,
                            pybind11::handle top_class);

}  // namespace llmux::python
