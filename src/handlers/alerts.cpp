#include "handlers/alerts.hpp"

#include "base/utc_time.hpp"
#include "callbacks/json_writer.hpp"
#include "handlers/model_routes.hpp"
#include "telemetry/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
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

std::string time_of_day_now() { return utc_text(std::time(nullptr), "%H:%M:%S"); }

// A float as Python prints it in LiteLLM's messages: 10.0, 0.15.
std::string python_float_text(double value) {
  char digits[32];
  std::string text(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::int64_t unix_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view budget_event_name(BudgetEvent::Kind kind) {
  switch (kind) {
    case BudgetEvent::budget_crossed: return "budget_crossed";
    case BudgetEvent::threshold_crossed: return "threshold_crossed";
    case BudgetEvent::soft_budget_crossed: return "soft_budget_crossed";
  }
  return "";
}

std::optional<BudgetEvent> budget_event(std::string_view prefix, double spend,
                                        std::optional<double> max_budget,
                                        std::optional<double> soft_budget) {
  std::optional<BudgetEvent> event;
  std::string message(prefix);
  if (soft_budget && spend >= *soft_budget) {
    message += "Total Soft Budget:`" + python_float_text(*soft_budget) + "`";
    event = BudgetEvent{BudgetEvent::soft_budget_crossed, {}};
  }
  if (max_budget) {
    const double left = *max_budget > 0 ? (*max_budget - spend) / *max_budget : 0;
    if (spend >= *max_budget) {
      message += "Budget Crossed\n Total Budget:`" + python_float_text(*max_budget) + "`";
      event = BudgetEvent{BudgetEvent::budget_crossed, {}};
    } else if (left <= 0.05) {
      message += "5% Threshold Crossed";
      event = BudgetEvent{BudgetEvent::threshold_crossed, {}};
    } else if (left <= 0.15) {
      message += "15% Threshold Crossed";
      event = BudgetEvent{BudgetEvent::threshold_crossed, {}};
    }
  }
  if (event) event->message = std::move(message);
  return event;
}

std::string webhook_event_json(const BudgetSubject& subject, const BudgetEvent& event) {
  std::string out;
  {
    callbacks::ObjectWriter json(out);
    const auto number_or_null = [&json](std::string_view name, std::optional<double> value) {
      if (value)
        json.number(name, *value);
      else
        json.raw(name, "null");
    };
    json.number("spend", subject.spend);
    number_or_null("max_budget", subject.max_budget);
    number_or_null("soft_budget", subject.soft_budget);
    json.string_or_null("token", subject.token);
    json.raw("customer_id", "null");
    json.string_or_null("user_id", subject.user_id);
    json.string_or_null("team_id", subject.team_id);
    json.raw("team_alias", "null");
    json.raw("user_email", "null");
    if (subject.key_alias)
      json.string("key_alias", *subject.key_alias);
    else
      json.raw("key_alias", "null");
    json.raw("projected_exceeded_date", "null");
    json.raw("projected_spend", "null");
    json.string("event_group", subject.event_group);
    json.string("event", budget_event_name(event.kind));
    json.string("event_message", event.message);
  }
  return out;
}

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

std::string cooldown_message(std::string_view model_group, std::string_view api_base,
                             std::chrono::milliseconds length, int status) {
  std::string message = "Router: Cooling down Deployment:\nModel Name: `";
  message.append(model_group).append("`\nAPI Base: `").append(api_base);
  message.append("`\nCooldown Time: `")
      .append(python_float_text(std::chrono::duration<double>(length).count()));
  message.append(" seconds`\nException Status Code: `").append(std::to_string(status)) += '`';
  return message;
}

bool AlertClaims::claim(const std::string& key, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  auto [entry, inserted] = last_sent_.try_emplace(key, now);
  if (inserted) return true;
  if (now - entry->second < kRepeatAfter) return false;
  entry->second = now;
  return true;
}

void Alerts::deployment_cooled(std::string_view model_group, const router::CooldownBegun& cooled) {
  if (settings_.slack_webhook_url.empty() || !settings_.cooldown_deployment) return;
  if (!claims_.claim("cooldown_deployment:" + cooled.deployment->id, Clock::now())) return;
  post_to_slack("Low",
                cooldown_message(model_group, shown_api_base(cooled.deployment->target.api_base),
                                 cooled.length, cooled.status));
}

void Alerts::database_write_failed(std::string what) {
  if (settings_.slack_webhook_url.empty() || !settings_.db_exceptions) return;
  asio::post(executor_, [this, what = std::move(what)] {
    if (!claims_.claim("db_exceptions", Clock::now())) return;
    post_to_slack("High", "DB read/write call failed: " + what);
  });
}

void Alerts::post_to_slack(std::string_view level, std::string_view message) {
  post(settings_.slack_webhook_url,
       boost::json::serialize(
           boost::json::object{{"text", slack_alert_text(level, time_of_day_now(), message, {})}}),
       "slack");
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
  post(
      settings_.slack_webhook_url,
      boost::json::serialize(boost::json::object{
          {"text", slack_alert_text(failed ? "High" : "Low", time_of_day_now(), message, fields)}}),
      "slack");
}

void Alerts::budget_spent(const auth::CachedKey& key) {
  if (!settings_.budget_alerts ||
      (settings_.slack_webhook_url.empty() && settings_.webhook_url.empty())) {
    return;
  }
  const std::int64_t now_ms = unix_millis_now();
  const std::optional<std::string_view> key_alias =
      key.key_alias ? std::optional<std::string_view>(*key.key_alias) : std::nullopt;
  const BudgetSubject of_key{.event_group = "key",
                             .spend = key.spend->value(),
                             .max_budget = key.max_budget,
                             .soft_budget = key.soft_budget,
                             .token = key.token,
                             .key_alias = key_alias,
                             .team_id = key.team_id,
                             .user_id = key.user_id};
  check_budget(of_key, "Key Budget: ", *key.spend, now_ms);
  for (const auth::CachedOwner* owner : key.owners()) {
    if (owner == nullptr) continue;
    const bool team = owner->kind == "team";
    BudgetSubject of_owner = of_key;
    of_owner.event_group = team ? "team" : "internal_user";
    of_owner.spend = owner->spend->value();
    of_owner.max_budget = owner->max_budget;
    of_owner.soft_budget.reset();  // a team's or user's soft budget is not kept
    check_budget(of_owner, team ? "Team Budget: " : "User Budget: ", *owner->spend, now_ms);
  }
}

void Alerts::check_budget(const BudgetSubject& subject, std::string_view prefix,
                          auth::LiveSpend& spend, std::int64_t now_ms) {
  const std::optional<BudgetEvent> event =
      budget_event(prefix, subject.spend, subject.max_budget, subject.soft_budget);
  if (!event ||
      !spend.claim_budget_alert(event->kind, now_ms,
                                static_cast<std::int64_t>(settings_.budget_alert_ttl_s * 1000))) {
    return;
  }
  if (!settings_.slack_webhook_url.empty()) {
    std::vector<std::pair<std::string_view, std::string>> fields;
    fields.emplace_back("Spend", python_float_text(subject.spend));
    if (subject.key_alias) fields.emplace_back("Key Alias", std::string(*subject.key_alias));
    if (!subject.team_id.empty()) fields.emplace_back("Team ID", std::string(subject.team_id));
    if (!subject.user_id.empty()) fields.emplace_back("User ID", std::string(subject.user_id));
    post(settings_.slack_webhook_url,
         boost::json::serialize(boost::json::object{
             {"text", slack_alert_text("High", time_of_day_now(), event->message, fields)}}),
         "slack");
  }
  if (!settings_.webhook_url.empty())
    post(settings_.webhook_url, webhook_event_json(subject, *event), "webhook");
}

bool Alerts::first_in_a_minute(std::string key, Clock::time_point now) {
  auto [entry, inserted] = last_sent_.try_emplace(std::move(key), now);
  if (inserted) return true;
  if (now - entry->second < kRepeatAfter) return false;
  entry->second = now;
  return true;
}

void Alerts::post(const std::string& url, std::string body, std::string_view channel) {
  upstream::Call call{.url = url,
                      .body = std::move(body),
                      .timeout = kDeliveryTimeout,
                      .first_byte_timeout = kDeliveryTimeout};
  asio::co_spawn(
      executor_,
      [this, channel, call = std::move(call)]() mutable -> asio::awaitable<void> {
        upstream::AbortHandle abort;
        const auto response = co_await transport_.send(std::move(call), abort);
        const bool delivered = response && response->status >= 200 && response->status < 300;
        metrics_.alert_delivered(delivered);
        if (!delivered) {
          const std::string why = response ? "answered " + std::to_string(response->status)
                                           : std::string("could not be reached");
          telemetry::log_now("warning",
                             std::string(channel) + " alert not delivered: the webhook " + why);
        }
      },
      asio::detached);
}

}  // namespace llmux::handlers
