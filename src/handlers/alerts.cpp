#include "handlers/alerts.hpp"

#include "handlers/model_routes.hpp"
#include "telemetry/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <ctime>

namespace llmux::handlers {

namespace {

constexpr auto kRepeatAfter = std::chrono::minutes(1);
constexpr auto kDeliveryTimeout = std::chrono::seconds(10);

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", seconds);
  return text;
}

std::string time_of_day_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &parts);
  return text;
}

}  // namespace

std::string slack_alert_text(std::string_view level, std::string_view time_of_day,
                             std::string_view message,
                             std::span<const std::pair<std::string_view, std::string>> fields) {
  std::string text;
  text.append("Level: `").append(level).append("`\nTimestamp: `").append(time_of_day);
  text.append("`\n\nMessage: ").append(message);
  for (const auto& [name, value] : fields) {
    text.append("\n\n").append(name).append(": `").append(value).append("`");
  }
  return text;
}

void Alerts::call_ended(std::string_view model_group, const router::Deployment* deployment,
                        const std::optional<Error>& failure, Clock::duration duration) {
  if (settings_.slack_webhook_url.empty() || deployment == nullptr) return;
  const double seconds = std::chrono::duration<double>(duration).count();
  const bool failed = failure && http_status(*failure) != 499;  // 499: the client left
  const bool slow = !failure && seconds > settings_.threshold_s;
  if (!(failed && settings_.llm_exceptions) && !(slow && settings_.llm_too_slow)) return;
  const auto now = Clock::now();
  if (!first_in_a_minute(std::string(failed ? "llm_exceptions:" : "llm_too_slow:") + deployment->id,
                         now)) {
    return;
  }
  const std::pair<std::string_view, std::string> fields[] = {
      {"Request Model", std::string(model_group)},
      {"API Base", shown_api_base(deployment->target.api_base)}};
  // Masked of credentials by the relay before it reached the record.
  const std::string message =
      failed ? "LLM API call failed: `" + failure->message + "`"
             : "Responses are slow - " + seconds_text(seconds) +
                   "s response time > Alerting threshold: " + seconds_text(settings_.threshold_s) +
                   "s";
  post(slack_alert_text(failed ? "High" : "Low", time_of_day_now(), message, fields));
}

bool Alerts::first_in_a_minute(std::string key, Clock::time_point now) {
  auto [entry, inserted] = last_sent_.try_emplace(std::move(key), now);
  if (inserted) return true;
  if (now - entry->second < kRepeatAfter) return false;
  entry->second = now;
  return true;
}

void Alerts::post(std::string text) {
  upstream::Call call{
      .url = settings_.slack_webhook_url,
      .body = boost::json::serialize(boost::json::object{{"text", std::move(text)}}),
      .timeout = kDeliveryTimeout,
      .first_byte_timeout = kDeliveryTimeout};
  asio::co_spawn(
      executor_,
      [this, call = std::move(call)]() mutable -> asio::awaitable<void> {
        upstream::AbortHandle abort;
        const auto response = co_await transport_.send(std::move(call), abort);
        const bool delivered = response && response->status >= 200 && response->status < 300;
        metrics_.alert_delivered(delivered);
        if (!delivered) {
          telemetry::log_now("warning", response ? "slack alert not delivered: the webhook "
                                                   "answered " +
                                                       std::to_string(response->status)
                                                 : std::string("slack alert not delivered: the "
                                                               "webhook could not be reached"));
        }
      },
      asio::detached);
}

}  // namespace llmux::handlers
