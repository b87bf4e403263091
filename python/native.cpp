// llmux._native: sdk::Client for the Python package (python/llmux/__init__.py), which shapes the
// answers and raises the exceptions. Bodies cross as JSON text; a failure crosses as a dict the
// package turns into LiteLLM's exception class. The GIL is released while a blocking call waits.
// Asynchronous calls never take the GIL on the client's thread: their results wait in a queue
// and an eventfd, which the asyncio loop watches (loop.add_reader), says the queue has something.
#include "json_objects.hpp"
#include "sdk/client.hpp"

#include "config/load.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <variant>
#include <vector>

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

// The summary as LiteLLM's _hidden_params name it.
py::dict hidden_params(const CallSummary& summary) {
  py::dict result;
  result["response_cost"] = summary.cost;
  result["model_id"] = summary.deployment;
  result["model_group"] = summary.served_group;
  result["retries"] = summary.retries;
  result["fallbacks"] = summary.fallbacks;
  return result;
}

// (error or None, body or None, hidden params or None)
py::tuple completion_tuple(const Result<Completion>& result) {
  if (!result) return py::make_tuple(error_dict(result.error()), py::none(), py::none());
  return py::make_tuple(py::none(), py::bytes(result->body), hidden_params(result->summary));
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

// What the client's thread hands to Python for the call (or stream watch) numbered `id`: a whole
// answer, an opened stream, or "the stream has something" (monostate).
struct Ready {
  std::uint64_t id = 0;
  std::variant<std::monostate, Result<Completion>, Result<ChunkStream>> what;
};

// The queue of Ready items and the eventfd that is readable while it may hold some.
class ReadyQueue {
 public:
  ReadyQueue() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  ~ReadyQueue() { ::close(fd_); }
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;

  int fd() const { return fd_; }

  // Any thread. Only the first item after a take() signals: one wake-up carries them all.
  void push(Ready ready) {
    bool was_empty = false;
    {
      std::lock_guard lock(mutex_);
      was_empty = items_.empty();
      items_.push_back(std::move(ready));
    }
    if (was_empty) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const auto written = ::write(fd_, &one, sizeof one);
    }
  }

  // The items so far; the eventfd is cleared first, so an item pushed meanwhile signals again or
  // is taken here.
  std::vector<Ready> take() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto read = ::read(fd_, &count, sizeof count);
    std::lock_guard lock(mutex_);
    return std::exchange(items_, {});
  }

 private:
  int fd_;
  std::mutex mutex_;
  std::vector<Ready> items_;
};

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

  // Pushes `id` to `queue` each time try_next() may have something (now, if it already has).
  void watch(const std::shared_ptr<ReadyQueue>& queue, std::uint64_t id) {
    py::gil_scoped_release released;
    stream().on_ready([queue, id] { queue->push(Ready{.id = id, .what = std::monostate()}); });
  }

  py::dict hidden_params() { return sdk::hidden_params(stream().summary()); }

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

// A Client, and the queue of its asynchronous calls' results. Its end (close(), or the
// object's) waits for the client's thread without holding the GIL.
class PyClient {
 public:
  PyClient(std::optional<std::string> config_text, const std::string& source) {
    // Building a client reads its config and the price map (tens of milliseconds), and waits
    // for Vertex AI tokens: other Python threads (an event loop) run meanwhile.
    py::gil_scoped_release released;
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

  py::tuple call(std::string_view endpoint, std::string body) {
    const auto which = endpoint_named(endpoint);
    Client& open = client();
    std::optional<Result<Completion>> result;
    {
      py::gil_scoped_release released;
      result.emplace(open.call(which, std::move(body)));
    }
    return completion_tuple(*result);
  }

  py::tuple open_stream(std::string_view endpoint, std::string body) {
    const auto which = endpoint_named(endpoint);
    Client& open = client();
    std::optional<Result<ChunkStream>> result;
    {
      py::gil_scoped_release released;
      result.emplace(open.open_stream(which, std::move(body)));
    }
    return stream_tuple(std::move(*result));
  }

  // The result goes to the ready queue as call `id`.
  void call_async(std::string_view endpoint, std::string body, std::uint64_t id) {
    const auto which = endpoint_named(endpoint);
    Client& open = client();
    py::gil_scoped_release released;
    PendingCall pending =
        open.call_async(which, std::move(body), [queue = queue_, id](Result<Completion> result) {
          queue->push(Ready{.id = id, .what = std::move(result)});
        });
    std::lock_guard lock(pending_mutex_);
    pending_.emplace(id, std::move(pending));
  }

  // Stops call `id` (a whole call or a stream being opened, whose asyncio future was cancelled):
  // its upstream connection is closed.
  void cancel(std::uint64_t id) {
    std::lock_guard lock(pending_mutex_);
    if (auto found = pending_.find(id); found != pending_.end()) found->second.cancel();
  }

  void open_stream_async(std::string_view endpoint, std::string body, std::uint64_t id) {
    const auto which = endpoint_named(endpoint);
    Client& open = client();
    py::gil_scoped_release released;
    PendingCall pending = open.open_stream_async(
        which, std::move(body), [queue = queue_, id](Result<ChunkStream> result) {
          queue->push(Ready{.id = id, .what = std::move(result)});
        });
    std::lock_guard lock(pending_mutex_);
    pending_.emplace(id, std::move(pending));
  }

  void watch(PyStream& stream, std::uint64_t id) { stream.watch(queue_, id); }

  int ready_fd() const { return queue_->fd(); }

  // [(id, result)]: a completion's tuple, an opened stream's tuple, or None for a stream watch.
  py::list take_ready() {
    py::list taken;
    for (auto& ready : queue_->take()) {
      py::object result = py::none();
      if (auto* completion = std::get_if<Result<Completion>>(&ready.what)) {
        result = completion_tuple(*completion);
        std::lock_guard lock(pending_mutex_);
        pending_.erase(ready.id);
      } else if (auto* stream = std::get_if<Result<ChunkStream>>(&ready.what)) {
        result = stream_tuple(std::move(*stream));
        std::lock_guard lock(pending_mutex_);
        pending_.erase(ready.id);
      }
      taken.append(py::make_tuple(ready.id, result));
    }
    return taken;
  }

  void close() {
    py::gil_scoped_release released;
    client_.reset();
  }

 private:
  Client& client() {
    if (!client_) throw py::value_error("the client is closed");
    return *client_;
  }

  std::shared_ptr<ReadyQueue> queue_ = std::make_shared<ReadyQueue>();
  std::unique_ptr<Client> client_;
  // The calls in flight (whole, or streams being opened), by id, until their result is taken.
  std::mutex pending_mutex_;
  std::unordered_map<std::uint64_t, PendingCall> pending_;
};

}  // namespace
}  // namespace llmux::sdk

PYBIND11_MODULE(_native, module) {
  using namespace llmux::sdk;
  module.doc() = "llmux's model calls in process (the package llmux wraps this module)";
  module.def("request_body", [](py::handle model, py::dict fields, py::object api_base,
                                py::object api_key, py::frozenset skipped) {
    return py::bytes(llmux::python::request_body(model, std::move(fields), std::move(api_base),
                                                 std::move(api_key), std::move(skipped)));
  });
  module.def("parse_json",
             [](std::string_view text, py::handle object_class, py::handle top_class) {
               return llmux::python::parse_json(text, object_class, top_class);
             });

  py::class_<PyStream>(module, "Stream")
      .def("next", &PyStream::next)
      .def("try_next", &PyStream::try_next)
      .def("hidden_params", &PyStream::hidden_params)
      .def("close", &PyStream::close);

  py::class_<PyClient>(module, "Client")
      .def(py::init<std::optional<std::string>, std::string>(), py::arg("config") = py::none(),
           py::arg("source") = "<config>")
      .def("call", &PyClient::call)
      .def("open_stream", &PyClient::open_stream)
      .def("call_async", &PyClient::call_async)
      .def("cancel", &PyClient::cancel)
      .def("open_stream_async", &PyClient::open_stream_async)
      .def("watch", &PyClient::watch)
      .def("ready_fd", &PyClient::ready_fd)
      .def("take_ready", &PyClient::take_ready)
      .def("close", &PyClient::close);
}
