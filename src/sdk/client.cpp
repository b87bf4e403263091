#include "sdk/client.hpp"

#include "api/request.hpp"
#include "config/load.hpp"
#include "providers/wire/sse.hpp"
#include "relay/clock.hpp"
#include "relay/google_token_refresher.hpp"
#include "relay/local_answers.hpp"
#include "relay/relay.hpp"
#include "router/request_options.hpp"
#include "router/router.hpp"
#include "upstream/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace llmux::sdk {

namespace asio = boost::asio;

// One call, shared by the client's thread (the relay writes it) and the caller (who reads it).
struct CallState : std::enable_shared_from_this<CallState> {
  asio::io_context* io = nullptr;
  std::mutex mutex;
  std::condition_variable changed;
  // Guarded by `mutex`:
  std::deque<std::string> chunks;  // arrived, not yet taken
  std::optional<Error> stream_error;
  bool ended = false;  // the relay is done: nothing more arrives
  CallSummary summary;
  std::function<void()> notify;
  // The client's thread only:
  std::function<void()> on_leave;  // the relay's: aborts the upstream call or the backoff
  bool started = false;            // a chunk or the answer was handed over
  std::optional<std::string> answer;
  Client::Done done;
  Client::Started started_callback;
  // Written by the caller, read by the relay.
  std::atomic<bool> caller_left{false};

  // Runs the notification, if any, outside the lock.
  void notify_changed(std::unique_lock<std::mutex>& lock) {
    auto notify_copy = notify;
    lock.unlock();
    changed.notify_all();
    if (notify_copy) notify_copy();
  }
};

namespace {

using ChunkItem = Result<std::optional<std::string>>;

// The relay's answers, kept in the call's state for the caller.
class StateSink final : public relay::Sink {
 public:
  explicit StateSink(std::shared_ptr<CallState> state) : state_(std::move(state)) {}

  asio::awaitable<void> answer(std::string body) override {
    state_->answer = std::move(body);
    state_->started = true;
    co_return;
  }

  asio::awaitable<bool> stream(std::string_view frames, bool) override {
    events_.clear();
    parser_.feed(frames, events_);
    std::unique_lock lock(state_->mutex);
    for (auto& event : events_) {
      if (event.data != "[DONE]") state_->chunks.push_back(std::move(event.data));
    }
    state_->notify_changed(lock);
    if (!state_->started) {
      state_->started = true;
      if (auto started = std::exchange(state_->started_callback, nullptr))
        started(ChunkStream(state_));
    }
    co_return !client_left();
  }

  void stream_completed() override {}

  asio::awaitable<void> stream_failed(const Error& error) override {
    std::lock_guard lock(state_->mutex);
    state_->stream_error = error;
    co_return;
  }

  bool started() const override { return state_->started; }
  bool client_left() const override { return state_->caller_left.load(); }
  void watch_client(std::function<void()> on_leave) override {
    state_->on_leave = std::move(on_leave);
    // The caller left before the relay watched: its leave action found nothing to stop.
    if (client_left()) state_->on_leave();
  }

 private:
  std::shared_ptr<CallState> state_;
  providers::wire::SseParser parser_;
  std::vector<providers::wire::SseEvent> events_;
};

std::string_view no_header(std::string_view) { return {}; }

// The api_key a call carries, masked in any upstream error relayed.
std::string_view call_key(const api::Request& request) {
  const auto* key = request.body.if_contains("api_key");
  return key && key->is_string() ? std::string_view(key->get_string()) : std::string_view();
}

}  // namespace

ChunkStream::ChunkStream(std::shared_ptr<CallState> state) : state_(std::move(state)) {}
ChunkStream::ChunkStream(ChunkStream&&) noexcept = default;
ChunkStream& ChunkStream::operator=(ChunkStream&&) noexcept = default;

namespace {

// The caller is gone: the relay's next write sees it, and a pending read (or a backoff) is
// aborted now, on the client's thread.
void leave(const std::shared_ptr<CallState>& state) {
  {
    std::lock_guard lock(state->mutex);
    state->notify = nullptr;
    if (state->ended) return;
  }
  state->caller_left = true;
  asio::post(*state->io, [state] {
    if (state->on_leave) state->on_leave();
  });
}

// The next item of `state`, which has something (a chunk, or the end).
ChunkItem take(CallState& state) {
  if (!state.chunks.empty()) {
    std::string chunk = std::move(state.chunks.front());
    state.chunks.pop_front();
    return std::optional<std::string>(std::move(chunk));
  }
  if (state.stream_error) return *std::exchange(state.stream_error, std::nullopt);
  return std::optional<std::string>();
}

}  // namespace

ChunkStream::~ChunkStream() {
  if (state_) leave(state_);
}

void ChunkStream::cancel() { leave(state_); }

void PendingCall::cancel() {
  if (auto state = state_.lock()) leave(state);
}

ChunkItem ChunkStream::next() {
  std::unique_lock lock(state_->mutex);
  state_->changed.wait(lock, [&] { return !state_->chunks.empty() || state_->ended; });
  return take(*state_);
}

std::optional<ChunkItem> ChunkStream::try_next() {
  std::lock_guard lock(state_->mutex);
  if (state_->chunks.empty() && !state_->ended) return std::nullopt;
  return take(*state_);
}

void ChunkStream::on_ready(std::function<void()> notify) {
  std::unique_lock lock(state_->mutex);
  state_->notify = std::move(notify);
  if (!state_->chunks.empty() || state_->ended) state_->notify_changed(lock);
}

CallSummary ChunkStream::summary() const {
  std::lock_guard lock(state_->mutex);
  return state_->summary;
}

Error cancellation_error() {
  return make_error(ErrorKind::internal, "the call was cancelled", {}, "cancelled");
}

config::Config direct_call_config() {
  return config::load_string(R"(
model_list:
  - model_name: "*"
    litellm_params:
      model: "*"
general_settings:
  allow_client_side_credentials: true
  allowed_client_api_base_hosts: ["0.0.0.0/0", "::/0"]
)",
                             "<direct calls>");
}

struct Client::Impl {
  explicit Impl(config::Config loaded) : config(std::move(loaded)) {
    std::vector<std::string> warnings;
    router = std::make_unique<router::Router>(router::Router::from_config(config, warnings));
    tls = upstream::make_tls_context(true);
    // Vertex AI deployments' OAuth tokens, fetched before the first call can need them.
    google_tokens = std::make_unique<relay::GoogleTokenRefresher>(router->models());
    google_tokens->start(*tls);
    google_tokens->wait_for_first_answers();
    network = std::make_unique<upstream::Client>(io, *tls);
    local = std::make_unique<relay::WithLocalAnswers>(*network);
    const auto megabytes = [](double mb) { return static_cast<std::size_t>(mb * 1024 * 1024); };
    relay.emplace(
        *local,
        relay::AnswerLimits{
            .max_answer_bytes = megabytes(config.general_settings.max_upstream_response_size_mb),
            .max_event_bytes = megabytes(config.general_settings.max_upstream_event_size_mb)});
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    // The pool's idle connections close on the loop's thread; the loop then runs out of work.
    asio::post(io, [this] { network.reset(); });
    work.reset();
    thread.join();
  }

  void start(api::Endpoint endpoint, std::string body, std::shared_ptr<CallState> state) {
    state->io = &io;
    asio::co_spawn(io, run(endpoint, std::move(body), state), [state](std::exception_ptr failure) {
      if (failure)
        finish(*state, make_error(ErrorKind::internal, "the call failed unexpectedly"), {});
    });
  }

  asio::awaitable<void> run(api::Endpoint endpoint, std::string body,
                            std::shared_ptr<CallState> state) {
    const bool streamed = static_cast<bool>(state->started_callback);
    auto request = api::parse_request(endpoint, body);
    if (!request) co_return finish(*state, request.error(), {});
    if (request->stream != streamed) {
      co_return finish(*state,
                       make_error(ErrorKind::invalid_request,
                                  streamed ? "a streamed call needs \"stream\": true"
                                           : "\"stream\": true needs a streamed call",
                                  "stream"),
                       {});
    }
    auto options = router::request_options(*request, no_header);
    if (!options) co_return finish(*state, options.error(), {});
    auto plan = router->plan(*request, std::move(*options), router::Clock::now());
    if (!plan) co_return finish(*state, plan.error(), {});
    StateSink sink(state);
    relay::SteadyClock clock(co_await asio::this_coro::executor);
    // The relay's leave action points into this frame: forgotten before the frame ends.
    struct Unwatch {
      CallState& state;
      ~Unwatch() { state.on_leave = nullptr; }
    } unwatch{*state};
    relay::Outcome outcome;
    const relay::End end =
        co_await relay->run(*request, *plan, sink, clock, call_key(*request), outcome);
    if (end.error) co_return finish(*state, *end.error, outcome);
    finish(*state, std::nullopt, outcome);
  }

  // The call is over: its summary, then the caller's callback or the stream's end.
  static void finish(CallState& state, std::optional<Error> error, const relay::Outcome& outcome) {
    CallSummary summary{.usage = outcome.usage,
                        .served_group = outcome.served_group,
                        .retries = outcome.retries,
                        .fallbacks = outcome.fallbacks};
    if (outcome.deployment) {
      summary.deployment = outcome.deployment->id;
      summary.cost = router::call_cost(*outcome.deployment, outcome.usage);
    }
    if (state.caller_left) {
      error = cancellation_error();
    }
    {
      std::unique_lock lock(state.mutex);
      if (state.ended) return;
      state.ended = true;
      state.summary = summary;
      // A started stream that was cancelled ends with that error, not as if it were whole.
      if (state.caller_left && !state.stream_error) state.stream_error = error;
      state.notify_changed(lock);
    }
    if (auto done = std::exchange(state.done, nullptr)) {
      if (error) return done(std::move(*error));
      if (!state.answer) {
        return done(make_error(ErrorKind::internal, "the call ended without an answer"));
      }
      return done(Completion{.body = std::move(*state.answer), .summary = std::move(summary)});
    }
    if (auto started = std::exchange(state.started_callback, nullptr)) {
      // Nothing was streamed: the error, or an empty stream.
      if (error) return started(std::move(*error));
      started(ChunkStream(state.shared_from_this()));
    }
  }

  config::Config config;
  std::unique_ptr<router::Router> router;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<relay::GoogleTokenRefresher> google_tokens;  // its own thread and connections
  std::unique_ptr<upstream::Client> network;
  std::unique_ptr<relay::WithLocalAnswers> local;
  std::optional<relay::Relay> relay;
  std::thread thread;
};

Client::Client() : Client(direct_call_config()) {}
Client::Client(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Client> Client::from_config(std::string_view yaml, const std::string& source) {
  try {
    return Client(config::load_string(yaml, source));
  } catch (const config::LoadError& error) {
    return make_error(ErrorKind::invalid_request, error.what());
  }
}

PendingCall Client::call_async(api::Endpoint endpoint, std::string body, Done done) {
  auto state = std::make_shared<CallState>();
  state->done = std::move(done);
  PendingCall pending(state);
  impl_->start(endpoint, std::move(body), std::move(state));
  return pending;
}

Result<Completion> Client::call(api::Endpoint endpoint, std::string body) {
  std::promise<Result<Completion>> answered;
  auto answer = answered.get_future();
  call_async(endpoint, std::move(body),
             [&answered](Result<Completion> result) { answered.set_value(std::move(result)); });
  return answer.get();
}

PendingCall Client::open_stream_async(api::Endpoint endpoint, std::string body, Started started) {
  auto state = std::make_shared<CallState>();
  state->started_callback = std::move(started);
  PendingCall pending(state);
  impl_->start(endpoint, std::move(body), std::move(state));
  return pending;
}

Result<ChunkStream> Client::open_stream(api::Endpoint endpoint, std::string body) {
  std::promise<Result<ChunkStream>> opened;
  auto stream = opened.get_future();
  open_stream_async(endpoint, std::move(body),
                    [&opened](Result<ChunkStream> result) { opened.set_value(std::move(result)); });
  return stream.get();
}

}  // namespace llmux::sdk
