#include "callbacks/exporter.hpp"

#include "callbacks/langfuse.hpp"
#include "callbacks/otlp.hpp"
#include "telemetry/log.hpp"
#include "upstream/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <numeric>

namespace llmux::callbacks {

namespace asio = boost::asio;
using Kind = config::LoggingCallback::Kind;

struct Exporter::Destination {
  config::LoggingCallback settings;
  std::string url;
  upstream::Headers headers;
  telemetry::CallbackCounters& counters;

  bool wants(bool success) const { return success ? settings.on_success : settings.on_failure; }
  // The config's langfuse (or langfuse_otel) leaves a call to the one its key or team names (its
  // own project).
  bool takes(const CallFacts& call) const {
    if (!wants(call.succeeded())) return false;
    return !call.key_callbacks ||
           std::none_of(call.key_callbacks->begin(), call.key_callbacks->end(),
                        [this](const config::LoggingCallback& own) {
                          return own.kind == settings.kind &&
                                 own.otel.langfuse == settings.otel.langfuse;
                        });
  }
};

struct Exporter::Runtime {
  explicit Runtime(bool needs_tls) : tls(upstream::make_tls_context(needs_tls)), client(io, *tls) {}
  asio::io_context io{1};
  std::unique_ptr<asio::ssl::context> tls;
  upstream::Client client;
  asio::steady_timer timer{io};
};

namespace {

// The body of one POST, written from the calls' facts: generic_api's json_array of payloads,
// Langfuse's ingestion batch or an OTLP ExportTraceServiceRequest.
std::string batch_body(const config::LoggingCallback& settings,
                       const std::vector<const CallFacts*>& calls) {
  if (settings.kind == Kind::langfuse) return langfuse_batch(calls);
  if (settings.kind == Kind::otel) return otlp_traces_body(settings.otel, calls);
  std::string body;
  body.reserve(2 + std::accumulate(calls.begin(), calls.end(), std::size_t(0),
                                   [](std::size_t size, const CallFacts* call) {
                                     return size + payload_size_hint(*call) + 1;
                                   }));
  body += '[';
  for (const CallFacts* call : calls) {
    if (body.size() > 1) body += ',';
    append_standard_logging_payload(body, *call);
  }
  body += ']';
  return body;
}

constexpr std::chrono::milliseconds kMaxRetryAfter{30'000};

// Whether a failed POST is worth another attempt: always for generic_api and langfuse; for OTLP
// only what its specification calls transient (a connection failure, 429, 502, 503, 504).
bool retryable(Kind kind, const Result<upstream::Response>& sent) {
  if (kind != Kind::otel || !sent) return true;
  const int status = sent->status;
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

namespace {

// Where a destination posts, with the headers its kind needs.
std::unique_ptr<Exporter::Destination> destination_for(config::LoggingCallback settings,
                                                       telemetry::CallbackCounters& counters) {
  std::string url = settings.endpoint;
  upstream::Headers headers = settings.headers;
  if (settings.kind == Kind::langfuse) url += "/api/public/ingestion";
  if (!settings.public_key.empty()) {  // langfuse, and langfuse_otel's OTLP endpoint
    headers.emplace_back("Authorization",
                         basic_authorization(settings.public_key, settings.secret_key));
  }
  return std::make_unique<Exporter::Destination>(
      Exporter::Destination{std::move(settings), std::move(url), std::move(headers), counters});
}

}  // namespace

Exporter::Exporter(std::vector<config::LoggingCallback> destinations, telemetry::Metrics& metrics,
                   ExporterOptions options)
    : options_(options) {
  bool needs_tls = options.key_callbacks;
  for (config::LoggingCallback& settings : destinations) {
    any_success_ |= settings.on_success;
    any_failure_ |= settings.on_failure;
    exports_spans_ |= settings.kind == Kind::otel;
    needs_tls |= settings.endpoint.starts_with("https://");
    auto& counters = metrics.add_callback(settings.name);
    destinations_.push_back(destination_for(std::move(settings), counters));
  }
  if (options.key_callbacks) {
    for (std::size_t i = 0; i < config::kKeyLevelCallbacks.size(); ++i) {
      const std::string_view name = config::kKeyLevelCallbacks[i];
      const auto same = std::find_if(destinations_.begin(), destinations_.end(),
                                     [&](const auto& d) { return d->settings.name == name; });
      key_counters_[i] = same != destinations_.end() ? &(*same)->counters
                                                     : &metrics.add_callback(std::string(name));
    }
  }
  runtime_ = std::make_unique<Runtime>(needs_tls);
}

Exporter::~Exporter() { stop_and_flush(); }

void Exporter::submit(CallFacts&& call) {
  {
    const std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(call));
      return;
    }
  }
  count_dropped(call);
}

void Exporter::count_dropped(const CallFacts& call) {
  for (const auto& destination : destinations_) {
    if (destination->takes(call))
      destination->counters.failed.fetch_add(1, std::memory_order_relaxed);
  }
  if (!call.key_callbacks || !options_.key_callbacks) return;
  for (const config::LoggingCallback& own : *call.key_callbacks) {
    if (call.succeeded() ? own.on_success : own.on_failure)
      key_counters(own).failed.fetch_add(1, std::memory_order_relaxed);
  }
}

telemetry::CallbackCounters& Exporter::key_counters(const config::LoggingCallback& own) const {
  const auto named =
      std::find(config::kKeyLevelCallbacks.begin(), config::kKeyLevelCallbacks.end(), own.name);
  return *key_counters_[named == config::kKeyLevelCallbacks.end()
                            ? 0
                            : named - config::kKeyLevelCallbacks.begin()];
}

Exporter::Taken Exporter::take() {
  Taken taken;
  // The queue gets the buffer of the calls taken before (emptied): its capacity is kept, so a
  // worker's push_back does not grow it again every flush.
  taken.calls = std::move(spare_);
  taken.calls.clear();
  const std::lock_guard lock(mutex_);
  taken.calls.swap(queue_);
  taken.stopping = stopping_;
  return taken;
}

// One batch to one destination, each POST retried with a doubling backoff; what stays
// undelivered is counted and warned about (the callback's name, never its URL or credentials).
asio::awaitable<void> Exporter::deliver(const Destination& destination,
                                        const std::vector<const CallFacts*>& payloads) {
  Runtime& runtime = *runtime_;
  const Kind kind = destination.settings.kind;
  const auto timeout = destination.settings.timeout.value_or(options_.request_timeout);
  // Kept for the retries, which send the same bytes: written once, never copied.
  const upstream::Call call{.url = destination.url,
                            .headers = destination.headers,
                            .body = batch_body(destination.settings, payloads),
                            .timeout = timeout,
                            .first_byte_timeout = timeout,
                            .content_type = kind == Kind::otel
                                                ? otlp_content_type(destination.settings.otel)
                                                : std::string_view("application/json")};
  std::string failure;
  std::uint64_t rejected = 0;
  auto backoff = options_.first_backoff;
  for (int attempt = 1; attempt <= options_.attempts; ++attempt) {
    upstream::AbortHandle abort;
    auto sent = co_await runtime.client.send_kept(call, abort);
    if (sent && sent->status >= 200 && sent->status < 300) {
      failure.clear();
      // An OTLP partial success is final (not retried): its rejected spans are lost.
      if (kind == Kind::otel) {
        const Rejection rejection = rejected_spans(sent->body, destination.settings.otel.encoding);
        rejected = std::clamp<std::uint64_t>(rejection.spans, 0, payloads.size());
        if (rejected > 0) {
          telemetry::log_now(
              "warning", "callback " + destination.settings.name + ": " + std::to_string(rejected) +
                             " spans rejected by the collector: " + rejection.message);
        }
      }
      break;
    }
    failure = sent ? "HTTP " + std::to_string(sent->status) : sent.error().message;
    if (attempt == options_.attempts || !retryable(kind, sent)) break;
    // A destination's Retry-After (seconds) is waited when it asks for longer than the backoff,
    // up to a bound: one destination's wait holds up the others' batches.
    const auto retry_after = sent && sent->retry_after ? std::min<std::chrono::milliseconds>(
                                                             *sent->retry_after, kMaxRetryAfter)
                                                       : std::chrono::milliseconds(0);
    runtime.timer.expires_after(std::max(backoff, retry_after));
    co_await runtime.timer.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff *= 2;
  }
  if (failure.empty()) {
    destination.counters.delivered.fetch_add(payloads.size() - rejected, std::memory_order_relaxed);
    destination.counters.failed.fetch_add(rejected, std::memory_order_relaxed);
  } else {
    telemetry::log_now("warning", "callback " + destination.settings.name + ": " +
                                      std::to_string(payloads.size()) +
                                      " payloads not delivered: " + failure);
    destination.counters.failed.fetch_add(payloads.size(), std::memory_order_relaxed);
  }
}

void Exporter::start() {
  if ((destinations_.empty() && !options_.key_callbacks) || thread_.joinable()) return;
  // Every flush interval (at once when stopping): the queue, in batches, to each destination
  // that takes them, each POST retried with a doubling backoff; what stays undelivered is counted.
  auto loop = [this]() -> asio::awaitable<void> {
    Runtime& runtime = *runtime_;
    for (;;) {
      Taken taken = take();
      if (!taken.stopping && taken.calls.empty()) {
        runtime.timer.expires_after(options_.flush_interval);
        co_await runtime.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        taken = take();
      }
      const std::vector<CallFacts>& calls = taken.calls;
      for (std::size_t first = 0; first < calls.size(); first += options_.batch_size) {
        const std::size_t last = std::min(calls.size(), first + options_.batch_size);
        for (const auto& destination : destinations_) {
          std::vector<const CallFacts*> payloads;
          for (std::size_t i = first; i < last; ++i) {
            if (destination->takes(calls[i])) payloads.push_back(&calls[i]);
          }
          if (!payloads.empty()) co_await deliver(*destination, payloads);
        }
        // The keys' and teams' own callbacks: one batch per project (host and credentials).
        std::map<std::string,
                 std::pair<std::unique_ptr<Destination>, std::vector<const CallFacts*>>>
            projects;
        for (std::size_t i = first; i < last; ++i) {
          const CallFacts& call = calls[i];
          if (!call.key_callbacks || !options_.key_callbacks) continue;
          for (const config::LoggingCallback& own : *call.key_callbacks) {
            if (!(call.succeeded() ? own.on_success : own.on_failure)) continue;
            auto& [destination, payloads] =
                projects[own.endpoint + '\n' + own.public_key + '\n' + own.secret_key];
            if (!destination) destination = destination_for(own, key_counters(own));
            payloads.push_back(&call);
          }
        }
        for (auto& [identity, project] : projects) co_await deliver(*project.first, project.second);
      }
      spare_ = std::move(taken.calls);
      if (taken.stopping) {
        const std::lock_guard lock(mutex_);
        if (queue_.empty()) break;
      }
    }
    runtime.io.stop();  // the pool's idle connections
  };
  asio::co_spawn(runtime_->io, loop, asio::detached);
  thread_ = std::thread([this] { runtime_->io.run(); });
}

void Exporter::stop_and_flush() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  // Ends a flush-interval wait at once (a backoff wait too: what is left is tried once more).
  asio::post(runtime_->io, [this] { runtime_->timer.cancel(); });
  thread_.join();
}

}  // namespace llmux::callbacks
