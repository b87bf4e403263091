// llmux._native: sdk::Client for the Python package (python/llmux/__init__.py), which shapes the
// answers and raises the exceptions. Bodies cross as JSON text; a failure crosses as a dict the
// package turns into LiteLLM's exception class. The GIL is released while a call waits, and the
// callbacks of the asynchronous calls run on the client's thread with the GIL taken.
#include "sdk/client.hpp"

#include "config/load.hpp"

#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

namespace py = pybind11;

namespace llmux::sdk {
namespace {

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request: return "invalid_request";
    case ErrorKind::context_window_exceeded: return "context_window_exceeded";
    case ErrorKind::content_policy: return "content_policy";
    case ErrorKind::unsupported_params: return "unsupported_params";
    case ErrorKind::unauthenticated: return "unauthenticated";
    case ErrorKind::forbidden: return "forbidden";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::model_not_found: return "model_not_found";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::payload_too_large: return "payload_too_large";
    case ErrorKind::unprocessable: return "unprocessable";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::internal: return "internal";
    case ErrorKind::upstream_failed: return "upstream_failed";
    case ErrorKind::unavailable: return "unavailable";
  }
  return "internal";
}

py::dict error_dict(const Error& error) {
  py::dict result;
  result["kind"] = kind_name(error.kind);
  result["status"] = http_status(error);
  result["message"] = error.message;
  result["type"] = std::string(error_type(error));
  result["code"] = error.code;
  result["param"] = error.param;
  result["retry_after"] =
      error.retry_after ? py::object(py::int_(error.retry_after->count())) : py::object(py::none());
  return result;
}

py::dict summary_dict(const CallSummary& summary) {
  py::dict result;
  result["cost"] = summary.cost;
  result["deployment"] = summary.deployment;
  result["served_group"] = summary.served_group;
  result["retries"] = summary.retries;
  result["fallbacks"] = summary.fallbacks;
  return result;
}

// (error or None, body or None, summary or None)
py::tuple completion_tuple(const Result<Completion>& result) {
  if (!result) return py::make_tuple(error_dict(result.error()), py::none(), py::none());
  return py::make_tuple(py::none(), py::bytes(result->body), summary_dict(result->summary));
}

// (error or None, chunk text or None at the end)
py::tuple chunk_tuple(const Result<std::optional<std::string>>& item) {
  if (!item) return py::make_tuple(error_dict(item.error()), py::none());
  if (!*item) return py::make_tuple(py::none(), py::none());
  return py::make_tuple(py::none(), py::bytes(**item));
}

api::Endpoint endpoint_named(std::string_view name) {
  if (name == "chat_completions") return api::Endpoint::chat_completions;
  if (name == "completions") return api::Endpoint::completions;
  if (name == "embeddings") return api::Endpoint::embeddings;
  if (name == "moderations") return api::Endpoint::moderations;
  if (name == "rerank") return api::Endpoint::rerank;
  throw py::value_error("unknown endpoint");
}

// A Python callable held by C++ code that runs without the GIL: released with the GIL taken.
using PyCallback = std::shared_ptr<py::function>;
PyCallback hold(py::function function) {
  return PyCallback(new py::function(std::move(function)), [](py::function* held) {
    py::gil_scoped_acquire gil;
    delete held;
  });
}

// Calls `callback(args...)` from the client's thread; what it raises is reported as unraisable
// (there is no Python caller to raise it to).
template <class... Args>
void call_back(const PyCallback& callback, Args&&... args) {
  py::gil_scoped_acquire gil;
  try {
    (*callback)(std::forward<Args>(args)...);
  } catch (py::error_already_set& error) {
    error.discard_as_unraisable("llmux callback");
  }
}

// A stream's reader in Python; close() (or the object's end) drops it, stopping the call.
class PyStream {
 public:
  explicit PyStream(ChunkStream stream) : stream_(std::move(stream)) {}

  py::tuple next() {
    Result<std::optional<std::string>> item = std::optional<std::string>();
    {
      py::gil_scoped_release released;
      item = stream().next();
    }
    return chunk_tuple(item);
  }

  py::object try_next() {
    auto item = stream().try_next();
    if (!item) return py::none();
    return chunk_tuple(*item);
  }

  // `notify()` runs on the client's thread when try_next() may have something.
  void on_ready(py::function notify) {
    auto held = hold(std::move(notify));
    py::gil_scoped_release released;
    stream().on_ready([held] { call_back(held); });
  }

  py::dict summary() { return summary_dict(stream().summary()); }

  void close() {
    py::gil_scoped_release released;
    stream_.reset();
  }

 private:
  ChunkStream& stream() {
    if (!stream_) throw py::value_error("the stream is closed");
    return *stream_;
  }
  std::optional<ChunkStream> stream_;
};

// (error or None, PyStream or None)
py::tuple stream_tuple(Result<ChunkStream> result) {
  if (!result) return py::make_tuple(error_dict(result.error()), py::none());
  return py::make_tuple(py::none(), PyStream(std::move(*result)));
}

// A Client whose end (close(), or the object's) waits for its thread without holding the GIL, so
// a callback waiting for the GIL on that thread can finish.
class PyClient {
 public:
  PyClient(std::optional<std::string> config_text, const std::string& source) {
    if (!config_text) {
      client_ = std::make_unique<Client>();
      return;
    }
    try {
      client_ = std::make_unique<Client>(config::load_string(*config_text, source));
    } catch (const config::LoadError& error) {
      throw py::value_error(error.what());
    }
  }
  ~PyClient() { close(); }

  Client& client() {
    if (!client_) throw py::value_error("the client is closed");
    return *client_;
  }
  void close() {
    py::gil_scoped_release released;
    client_.reset();
  }

 private:
  std::unique_ptr<Client> client_;
};

}  // namespace
}  // namespace llmux::sdk

PYBIND11_MODULE(_native, module) {
  using namespace llmux;
  using namespace llmux::sdk;
  module.doc() = "llmux's model calls in process (the package llmux wraps this module)";

  py::class_<PyStream>(module, "Stream")
      .def("next", &PyStream::next)
      .def("try_next", &PyStream::try_next)
      .def("on_ready", &PyStream::on_ready)
      .def("summary", &PyStream::summary)
      .def("close", &PyStream::close);

  py::class_<PyClient>(module, "Client")
      .def(py::init<std::optional<std::string>, std::string>(), py::arg("config") = py::none(),
           py::arg("source") = "<config>")
      .def("close", &PyClient::close)
      .def("call",
           [](PyClient& owner, std::string_view endpoint, std::string body) {
             const auto which = endpoint_named(endpoint);
             Client& client = owner.client();
             Result<Completion> result = make_error(ErrorKind::internal, "not called");
             {
               py::gil_scoped_release released;
               result = client.call(which, std::move(body));
             }
             return completion_tuple(result);
           })
      .def("call_async",
           [](PyClient& owner, std::string_view endpoint, std::string body, py::function done) {
             const auto which = endpoint_named(endpoint);
             Client& client = owner.client();
             auto held = hold(std::move(done));
             py::gil_scoped_release released;
             client.call_async(which, std::move(body), [held](Result<Completion> result) {
               py::gil_scoped_acquire gil;
               call_back(held, completion_tuple(result));
             });
           })
      .def("open_stream",
           [](PyClient& owner, std::string_view endpoint, std::string body) {
             const auto which = endpoint_named(endpoint);
             Client& client = owner.client();
             std::optional<Result<ChunkStream>> result;
             {
               py::gil_scoped_release released;
               result.emplace(client.open_stream(which, std::move(body)));
             }
             return stream_tuple(std::move(*result));
           })
      .def("open_stream_async",
           [](PyClient& owner, std::string_view endpoint, std::string body, py::function started) {
             const auto which = endpoint_named(endpoint);
             Client& client = owner.client();
             auto held = hold(std::move(started));
             py::gil_scoped_release released;
             client.open_stream_async(which, std::move(body), [held](Result<ChunkStream> result) {
               py::gil_scoped_acquire gil;
               call_back(held, stream_tuple(std::move(result)));
             });
           });
}
