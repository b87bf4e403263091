// LiteLLM's Slack alerts (general_settings.alerting: [slack]): a call that failed at its
// deployment (llm_exceptions) or took longer than alerting_threshold (llm_too_slow) is posted to
// SLACK_WEBHOOK_URL in Slack's incoming-webhook format, {"text": …}, after the client has its
// answer: from the worker's event loop through its upstream transport, never on the request's
// path. One alert of a type per deployment a minute on each worker; a webhook that is down costs
// only the alert (llmux_alerts_failed_total and a warning that does not name the URL).
#pragma once

#include "base/error.hpp"
#include "config/config.hpp"
#include "router/model_table.hpp"
#include "telemetry/metrics.hpp"
#include "upstream/transport.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace llmux::handlers {

namespace asio = boost::asio;

// LiteLLM's message: a Level and a Timestamp (HH:MM:SS) line, a blank line, `Message: …`, then
// each field after a blank line as `Name: `value``.
std::string slack_alert_text(std::string_view level, std::string_view time_of_day,
                             std::string_view message,
                             std::span<const std::pair<std::string_view, std::string>> fields);

class Alerts {
 public:
  using Clock = std::chrono::steady_clock;

  Alerts(const config::AlertingSettings& settings, upstream::Transport& transport,
         asio::any_io_executor executor, telemetry::WorkerMetrics& metrics)
      : settings_(settings),
        transport_(transport),
        executor_(std::move(executor)),
        metrics_(metrics) {}

  // A model call has ended (`failure` set when it did not succeed); `deployment` answered last,
  // nullptr when none was reached.
  void call_ended(std::string_view model_group, const router::Deployment* deployment,
                  const std::optional<Error>& failure, Clock::duration duration);

 private:
  // True when no alert of this kind left for this deployment in the last minute.
  bool first_in_a_minute(std::string key, Clock::time_point now);
  void post(std::string text);

  const config::AlertingSettings& settings_;
  upstream::Transport& transport_;
  asio::any_io_executor executor_;
  telemetry::WorkerMetrics& metrics_;
  std::unordered_map<std::string, Clock::time_point> last_sent_;
};

}  // namespace llmux::handlers
