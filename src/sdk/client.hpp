// The gateway's model calls in process, as litellm.completion makes them: the same providers,
// router and relay (retries, fallbacks, timeouts, cooldowns), without the HTTP server. A Client
// owns one event loop on a thread of its own; a call is handed to it and its answer comes back
// whole (blocking, or to a callback on that thread) or chunk by chunk (ChunkStream). Expected
// failures are Result values with the error kinds the gateway maps to OpenAI's classes.
#pragma once

#include "api/endpoint.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

// The headers installed with the library (`cmake --install`, find_package(llmux)) are this one,
// sdk/asio.hpp and the three it includes (and Boost's); config::Config is declared only, so a
// program outside this tree builds its Client from a config's YAML text (Client::from_config).
namespace llmux::config {
struct Config;
}

namespace llmux::sdk {

// What the relay learned of a call besides its answer.
struct CallSummary {
  api::Usage usage;
  double cost = 0;         // USD, from the built-in price map and the deployment's overrides
  std::string deployment;  // the id of the deployment that answered
  std::string served_group;
  int retries = 0;
  int fallbacks = 0;
};

// A whole answer: the OpenAI body the gateway would send, and its summary.
struct Completion {
  std::string body;
  CallSummary summary;
};

struct CallState;

// The chunks of a streamed answer, in order, as their JSON text (OpenAI's chat.completion.chunk
// objects). Destroyed before the end, it stops the call: the upstream connection is closed.
class ChunkStream {
 public:
  explicit ChunkStream(std::shared_ptr<CallState> state);
  ChunkStream(ChunkStream&&) noexcept;
  ChunkStream& operator=(ChunkStream&&) noexcept;
  ~ChunkStream();

  // Waits for the next chunk; nullopt at the end. A failure after the stream started (the
  // upstream cut it, a timeout between chunks) is its last item.
  Result<std::optional<std::string>> next();
  // The same without waiting: nullopt when nothing has arrived yet.
  std::optional<Result<std::optional<std::string>>> try_next();
  // Called on the client's thread each time try_next() may have something new (replaces any
  // earlier one). Called at once when something is already waiting.
  void on_ready(std::function<void()> notify);
  // Usage and cost, known once next() returned the end.
  CallSummary summary() const;
  // Stops the call as destroying the stream does (its upstream connection is closed); the stream
  // then ends with an error with code "cancelled" after the chunks that had arrived. Any thread.
  void cancel();

 private:
  std::shared_ptr<CallState> state_;
};

// A call in flight, as call_async and open_stream_async return it. cancel() stops it as a
// dropped ChunkStream stops a stream: its upstream connection is closed (or its wait before a
// retry ends), and its callback gets an error with code "cancelled" (a stream already started
// gets its ChunkStream, which then ends with that error). Nothing happens once the call is over.
class PendingCall {
 public:
  PendingCall() = default;
  explicit PendingCall(std::weak_ptr<CallState> state) : state_(std::move(state)) {}
  void cancel();

 private:
  std::weak_ptr<CallState> state_;
};

class Client {
 public:
  // No config, as litellm.completion: any "<provider>/<model>" name is called directly, with the
  // call's api_base / api_key (body fields) or the provider's usual environment variables.
  Client();
  // A LiteLLM config (config::load_file / load_string): its model_list, router and litellm
  // settings. Throws config::LoadError for a model list the router cannot use.
  explicit Client(config::Config config);
  // The same from a config's YAML text (`source` names it in messages): an invalid_request error
  // listing the config's problems (never a secret) instead of the exception.
  static Result<Client> from_config(std::string_view yaml, const std::string& source = "config");
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // One call; `body` is the OpenAI request body for `endpoint` (JSON text with its "model").
  // A body asking for a stream is refused here: open_stream takes it.
  Result<Completion> call(api::Endpoint endpoint, std::string body);
  // The same without blocking: `done` runs on the client's thread.
  using Done = std::function<void(Result<Completion>)>;
  PendingCall call_async(api::Endpoint endpoint, std::string body, Done done);

  // A streamed call ("stream": true in `body`). Returns once the first chunk arrived, so a
  // failure before the stream started (after retries and fallbacks) is this call's error.
  Result<ChunkStream> open_stream(api::Endpoint endpoint, std::string body);
  // The same without blocking: `started` runs on the client's thread once the first chunk
  // arrived or the call failed.
  using Started = std::function<void(Result<ChunkStream>)>;
  PendingCall open_stream_async(api::Endpoint endpoint, std::string body, Started started);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The error a cancelled call or stream ends with: code "cancelled".
Error cancellation_error();

// The config of a Client built with no config: one wildcard deployment whose provider is the one
// the model name names, client-side api_base / api_key allowed to any address.
config::Config direct_call_config();

}  // namespace llmux::sdk
