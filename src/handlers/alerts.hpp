// LiteLLM's alerts (general_settings.alerting: [slack, webhook]): a call that failed at its
// deployment (llm_exceptions) or took longer than alerting_threshold (llm_too_slow), a deployment
// the router cooled down (cooldown_deployment) and spend the database could not take
// (db_exceptions) are posted to SLACK_WEBHOOK_URL in Slack's incoming-webhook format,
// {"text": …}; a budget crossed or nearly spent (budget_alerts) to Slack and, as LiteLLM's
// WebhookEvent JSON, to WEBHOOK_URL. Each leaves after the client has its answer: from the
// worker's event loop through its upstream transport, never on the request's path. One alert of
// a type per deployment a minute on each worker (cooldowns and the database: for the whole
// process); a webhook that is down costs only the alert (llmux_alerts_failed_total and a warning
// that does not name the URL).
#pragma once

#include "auth/key_cache.hpp"
#include "base/error.hpp"
#include "config/config.hpp"
#include "router/attempt_plan.hpp"
#include "router/model_table.hpp"
#include "telemetry/metrics.hpp"
#include "upstream/transport.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <mutex>
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

// LiteLLM's budget_alerts: what a call's spend made of a key's, team's or user's budgets.
struct BudgetEvent {
  enum Kind : std::size_t { budget_crossed, threshold_crossed, soft_budget_crossed };
  Kind kind;
  std::string message;  // LiteLLM's event_message, e.g. "Key Budget: 15% Threshold Crossed"
};
std::string_view budget_event_name(BudgetEvent::Kind kind);

// LiteLLM's rule: the soft budget reached; then the max budget reached, or 5 % or 15 % of it
// left (the later test wins). `prefix` names the budget's owner ("Key Budget: ").
std::optional<BudgetEvent> budget_event(std::string_view prefix, double spend,
                                        std::optional<double> max_budget,
                                        std::optional<double> soft_budget);

// Whose budget an alert is about: LiteLLM's CallInfo.
struct BudgetSubject {
  std::string_view event_group;  // "key", "team" or "internal_user"
  double spend = 0;
  std::optional<double> max_budget;
  std::optional<double> soft_budget;
  std::string_view token;  // the calling key's SHA-256
  std::optional<std::string_view> key_alias;
  std::string_view team_id;  // empty: none
  std::string_view user_id;  // empty: none
};

// LiteLLM's WebhookEvent as its `webhook` channel posts it: CallInfo's fields (null when unknown),
// then event and event_message.
std::string webhook_event_json(const BudgetSubject& subject, const BudgetEvent& event);

// LiteLLM's cooldown_deployment message: the deployment's group and API base, the cooldown's
// length and the status of the failure that began it.
std::string cooldown_message(std::string_view model_group, std::string_view api_base,
                             std::chrono::milliseconds length, int status);

// When an alert about the process's shared state (a deployment's cooldown, the database) last
// left, shared by every worker's Alerts: such an alert goes out once a minute whichever worker
// saw it. Rare events only: it takes a lock.
class AlertClaims {
 public:
  using Clock = std::chrono::steady_clock;
  // True when no alert under `key` left in the last minute (this one is then claimed).
  bool claim(const std::string& key, Clock::time_point now);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> last_sent_;
};

class Alerts {
 public:
  using Clock = std::chrono::steady_clock;

  Alerts(const config::AlertingSettings& settings, AlertClaims& claims,
         upstream::Transport& transport, asio::any_io_executor executor,
         telemetry::WorkerMetrics& metrics)
      : settings_(settings),
        claims_(claims),
        transport_(transport),
        executor_(std::move(executor)),
        metrics_(metrics) {}

  // A model call has ended (`failure` set when it did not succeed); `deployment` answered last,
  // nullptr when none was reached.
  void call_ended(std::string_view model_group, const router::Deployment* deployment,
                  const std::optional<Error>& failure, Clock::duration duration);

  // A call of `key` added to its spend: budget alerts for the key, its team and its user (one per
  // event and budget in budget_alert_ttl, for the whole process).
  void budget_spent(const auth::CachedKey& key);

  // A call's failed attempt made the router cool `cooled.deployment` down (cooldown_deployment).
  // `model_group` is the deployment's group.
  void deployment_cooled(std::string_view model_group, const router::CooldownBegun& cooled);

  // Any thread: spend could not be written to the database (db_exceptions); `what` names no
  // credential. Sent from this worker's loop.
  void database_write_failed(std::string what);

 private:
  // True when no alert of this kind left for this deployment in the last minute.
  bool first_in_a_minute(std::string key, Clock::time_point now);
  void check_budget(const BudgetSubject& subject, std::string_view prefix, auth::LiveSpend& spend,
                    std::int64_t now_ms);
  // channel: "slack" or "webhook", for the warning when it was not delivered.
  void post(const std::string& url, std::string body, std::string_view channel);

  // Slack's {"text": …} of a LiteLLM alert without fields.
  void post_to_slack(std::string_view level, std::string_view message);

  const config::AlertingSettings& settings_;
  AlertClaims& claims_;
  upstream::Transport& transport_;
  asio::any_io_executor executor_;
  telemetry::WorkerMetrics& metrics_;
  std::unordered_map<std::string, Clock::time_point> last_sent_;
};

}  // namespace llmux::handlers
