// Delivers every call's StandardLoggingPayload to the configured logging callbacks (generic_api,
// langfuse, otel) from a thread of its own, never from the request path: workers only append the
// payload to a bounded queue under a short lock (no wake-up, no system call). The exporter
// thread takes the queue every flush interval, posts one batch per destination (retrying with
// a doubling backoff) and counts what it could not deliver (a full queue, or a destination that
// stayed down) in litellm_callback_logging_failures_metric. A destination that is down costs
// the requests nothing. stop_and_flush() delivers what is queued before the process exits.
#pragma once

#include "callbacks/payload.hpp"
#include "config/config.hpp"
#include "config/logging_metadata.hpp"
#include "telemetry/metrics.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llmux::callbacks {

struct ExporterOptions {
  std::size_t queue_capacity = 10000;  // payloads waiting; past it new ones are dropped
  std::size_t batch_size = 512;        // payloads per POST
  std::chrono::milliseconds flush_interval{1000};
  int attempts = 3;  // per batch and destination
  std::chrono::milliseconds first_backoff{250};
  std::chrono::milliseconds request_timeout{10000};
  // Keys and teams may name callbacks of their own (metadata.logging): with a database.
  bool key_callbacks = false;
};

class Exporter {
 public:
  // One counter pair per destination is registered in `metrics` (before any worker runs).
  Exporter(std::vector<config::LoggingCallback> destinations, telemetry::Metrics& metrics,
           ExporterOptions options = {});
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Whether some destination of the config takes calls that succeeded (or failed): when none
  // does, and the caller's key names no callback of its own, the call's facts are not copied.
  bool wants(bool success) const { return success ? any_success_ : any_failure_; }
  // Whether some destination exports spans (otel, langfuse_otel): then each call's trace context
  // is made as it begins, and its upstream requests carry its traceparent.
  bool exports_spans() const { return exports_spans_; }
  // Any thread. The payload is built on the exporter's thread. Taken as an rvalue: moved into
  // the queue once, not first into a parameter.
  void submit(CallFacts&& call);

  void start();
  // Delivers everything queued (each batch with its retries), then stops the thread.
  void stop_and_flush();

  struct Destination;

 private:
  struct Runtime;  // the thread's event loop and HTTP client
  struct Taken {
    std::vector<CallFacts> calls;
    bool stopping = false;
  };
  Taken take();
  void count_dropped(const CallFacts& call);
  telemetry::CallbackCounters& key_counters(const config::LoggingCallback& own) const;
  boost::asio::awaitable<void> deliver(const Destination& destination,
                                       const std::vector<const CallFacts*>& calls);

  std::vector<std::unique_ptr<Destination>> destinations_;
  ExporterOptions options_;
  bool any_success_ = false;
  bool any_failure_ = false;
  bool exports_spans_ = false;
  // The counters of the keys' and teams' own callbacks, one per config::kKeyLevelCallbacks name
  // (shared with the config's callback of that name); nullptr without key-level callbacks.
  std::array<telemetry::CallbackCounters*, config::kKeyLevelCallbacks.size()> key_counters_{};
  std::unique_ptr<Runtime> runtime_;
  std::mutex mutex_;
  std::vector<CallFacts> queue_;  // guarded by mutex_
  std::vector<CallFacts> spare_;  // the exporter thread's: the calls last taken, kept for reuse
  bool stopping_ = false;         // guarded by mutex_
  std::thread thread_;
};

}  // namespace llmux::callbacks
