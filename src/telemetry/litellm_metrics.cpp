#include "telemetry/litellm_metrics.hpp"

#include "base/json_string.hpp"
#include "telemetry/exposition.hpp"

#include <algorithm>
#include <map>

namespace llmux::telemetry {

namespace {

// The fields of a series' key, in key order.
enum class Field : std::size_t {
  hashed_api_key,
  api_key_alias,
  team,
  team_alias,
  user,
  user_email,
  end_user,
  route,
  requested_model,
  client_ip,
  user_agent,
  model,
  litellm_model_name,
  model_id,
  api_base,
  api_provider,
  status,
  exception_class,
  count
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::count);
constexpr char kSeparator = '\x1f';
constexpr std::size_t kLabelFieldCount = kFieldCount - 2;  // status, exception_class last

// A label value as the key holds it: as sent (the exposition makes it printable), except for
// the separator, which cannot be part of a value.
void append_value(std::string& key, std::string_view value) {
  const auto start = key.size();
  key.append(value);
  for (auto at = key.find(kSeparator, start); at != std::string::npos;
       at = key.find(kSeparator, at + 1)) {
    key[at] = '?';
  }
  key += kSeparator;
}

using Fields = std::array<std::string_view, kFieldCount>;

Fields split(std::string_view key) {
  Fields fields;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto end = key.find(kSeparator);
    fields[i] = key.substr(0, end);
    key.remove_prefix(end + 1);
  }
  return fields;
}

bool failed(const Fields& fields) {
  return !fields[static_cast<std::size_t>(Field::status)].starts_with('2');
}
bool reached_deployment(const Fields& fields) {
  return !fields[static_cast<std::size_t>(Field::model_id)].empty();
}

struct Label {
  const char* name;
  Field field;
};

// LiteLLM's label sets (its PrometheusMetricLabels), each in alphabetical order as the
// exposition writes them.
const std::vector<Label> kProxyLabels = {{"api_key_alias", Field::api_key_alias},
                                         {"client_ip", Field::client_ip},
                                         {"end_user", Field::end_user},
                                         {"hashed_api_key", Field::hashed_api_key},
                                         {"model_id", Field::model_id},
                                         {"requested_model", Field::requested_model},
                                         {"route", Field::route},
                                         {"team", Field::team},
                                         {"team_alias", Field::team_alias},
                                         {"user", Field::user},
                                         {"user_agent", Field::user_agent},
                                         {"user_email", Field::user_email}};
const std::vector<Label> kSpendLabels = {{"api_key_alias", Field::api_key_alias},
                                         {"api_provider", Field::api_provider},
                                         {"client_ip", Field::client_ip},
                                         {"end_user", Field::end_user},
                                         {"hashed_api_key", Field::hashed_api_key},
                                         {"model", Field::model},
                                         {"model_id", Field::model_id},
                                         {"team", Field::team},
                                         {"team_alias", Field::team_alias},
                                         {"user", Field::user},
                                         {"user_agent", Field::user_agent},
                                         {"user_email", Field::user_email}};
const std::vector<Label> kTokenLabels = {{"api_key_alias", Field::api_key_alias},
                                         {"end_user", Field::end_user},
                                         {"hashed_api_key", Field::hashed_api_key},
                                         {"model", Field::model},
                                         {"model_id", Field::model_id},
                                         {"requested_model", Field::requested_model},
                                         {"team", Field::team},
                                         {"team_alias", Field::team_alias},
                                         {"user", Field::user},
                                         {"user_email", Field::user_email}};
const std::vector<Label> kApiLatencyLabels = {{"api_key_alias", Field::api_key_alias},
                                              {"end_user", Field::end_user},
                                              {"hashed_api_key", Field::hashed_api_key},
                                              {"model", Field::model},
                                              {"model_id", Field::model_id},
                                              {"requested_model", Field::requested_model},
                                              {"team", Field::team},
                                              {"team_alias", Field::team_alias},
                                              {"user", Field::user}};
const std::vector<Label> kRequestLatencyLabels = kApiLatencyLabels;
// LiteLLM's RH set: the overhead histogram's and the remaining rate-limit gauges'.
const std::vector<Label> kOverheadLabels = {{"api_base", Field::api_base},
                                            {"api_key_alias", Field::api_key_alias},
                                            {"api_provider", Field::api_provider},
                                            {"hashed_api_key", Field::hashed_api_key},
                                            {"litellm_model_name", Field::litellm_model_name},
                                            {"model_group", Field::requested_model},
                                            {"model_id", Field::model_id}};
const std::vector<Label> kDeploymentLabels = {{"api_base", Field::api_base},
                                              {"api_key_alias", Field::api_key_alias},
                                              {"api_provider", Field::api_provider},
                                              {"client_ip", Field::client_ip},
                                              {"hashed_api_key", Field::hashed_api_key},
                                              {"litellm_model_name", Field::litellm_model_name},
                                              {"model_id", Field::model_id},
                                              {"requested_model", Field::requested_model},
                                              {"team", Field::team},
                                              {"team_alias", Field::team_alias},
                                              {"user_agent", Field::user_agent}};
const std::vector<Label> kDeploymentStateLabels = {
    {"api_base", Field::api_base},
    {"api_provider", Field::api_provider},
    {"litellm_model_name", Field::litellm_model_name},
    {"model_id", Field::model_id}};
const std::vector<Label> kLegacyFailureLabels = {{"api_key_alias", Field::api_key_alias},
                                                 {"end_user", Field::end_user},
                                                 {"hashed_api_key", Field::hashed_api_key},
                                                 {"model", Field::model},
                                                 {"model_id", Field::model_id},
                                                 {"team", Field::team},
                                                 {"team_alias", Field::team_alias},
                                                 {"user", Field::user}};

std::vector<Label> with(std::vector<Label> labels, std::initializer_list<Label> more) {
  labels.insert(labels.end(), more);
  std::sort(labels.begin(), labels.end(), [](const Label& a, const Label& b) {
    return std::string_view(a.name) < std::string_view(b.name);
  });
  return labels;
}

enum class Which { all, success, failure, deployment_success, deployment_failure, deployment };

bool selected(Which which, const Fields& fields) {
  switch (which) {
    case Which::all: return true;
    case Which::success: return !failed(fields);
    case Which::failure: return failed(fields);
    case Which::deployment_success: return reached_deployment(fields) && !failed(fields);
    case Which::deployment_failure: return reached_deployment(fields) && failed(fields);
    case Which::deployment: return reached_deployment(fields);
  }
  return false;
}

std::string label_text(const std::vector<Label>& labels, const Fields& fields) {
  std::string text = "{";
  for (const Label& label : labels) {
    if (text.size() > 1) text += ',';
    text += label.name;
    text += "=\"";
    const auto value = fields[static_cast<std::size_t>(label.field)];
    if (value.empty() && label.field != Field::end_user)
      text += "None";
    else
      append_label_value(text, value);
    text += '"';
  }
  return text;
}

// The label text of a family whose samples give their label values in its label order: `names`
// alphabetical as the exposition writes them, `key` the values as append_value() joined them.
std::string label_text(std::span<const char* const> names, std::string_view key) {
  std::string text = "{";
  for (const char* name : names) {
    const auto end = key.find(kSeparator);
    const std::string_view value = key.substr(0, end);
    key.remove_prefix(end + 1);
    if (text.size() > 1) text += ',';
    text += name;
    text += "=\"";
    if (value.empty())
      text += "None";
    else
      append_label_value(text, value);
    text += '"';
  }
  return text;
}

// LiteLLM's label sets of the budget gauges and the fallback counters (its F), alphabetical.
constexpr std::array<const char*, 2> kKeyBudgetLabels = {"api_key_alias", "hashed_api_key"};
constexpr std::array<const char*, 2> kTeamBudgetLabels = {"team", "team_alias"};
constexpr std::array<const char*, 9> kFallbackLabels = {
    "api_key_alias",  "exception_class", "exception_status", "fallback_model",
    "hashed_api_key", "model_id",        "requested_model",  "team",
    "team_alias"};

using Snapshot = std::vector<std::pair<std::string, SeriesFigures>>;
using Grouped = std::map<std::string, SeriesFigures>;  // by label text, so the output is sorted

Grouped group(const Snapshot& snapshot, const std::vector<Label>& labels, Which which) {
  Grouped grouped;
  for (const auto& [key, figures] : snapshot) {
    const Fields fields = split(key);
    if (selected(which, fields)) grouped[label_text(labels, fields)].add(figures);
  }
  return grouped;
}

struct CounterFamily {
  const char* name;  // as exposed, "_total" included
  const char* help;
  const std::vector<Label>& labels;
  Which which;
  double (*value)(const SeriesFigures&);
};

// One sample line: `labels` is a label text as label_text() makes it, without its closing brace.
template <class Number>
void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   std::string_view labels, Number value) {
  out += name;
  out += suffix;
  out += labels;
  out += "} ";
  append_number(out, value);
  out += '\n';
}

void render_counter(std::string& out, const Snapshot& snapshot, const CounterFamily& family) {
  append_family_head(out, family.name, "counter", family.help);
  for (const auto& [labels, figures] : group(snapshot, family.labels, family.which))
    append_sample(out, family.name, "", labels, family.value(figures));
}

// LATENCY_BUCKETS as prometheus_client writes them.
constexpr std::array<const char*, kLatencyBuckets.size() + 1> kBucketText = {
    "0.005", "0.01", "0.025", "0.05", "0.1",   "0.25",  "0.5",   "1.0",   "2.0",
    "5.0",   "10.0", "30.0",  "60.0", "120.0", "300.0", "420.0", "600.0", "+Inf"};

void render_histogram(std::string& out, const Snapshot& snapshot, const char* name,
                      const char* help, const std::vector<Label>& labels, Which which,
                      Histogram SeriesFigures::*histogram) {
  append_family_head(out, name, "histogram", help);
  for (const auto& [label_set, figures] : group(snapshot, labels, which)) {
    const Histogram& h = figures.*histogram;
    std::uint64_t cumulative = 0;
    for (const auto count : h.counts) cumulative += count;
    if (cumulative == 0) continue;  // e.g. a time to first token of calls that did not stream
    cumulative = 0;
    std::string bucket_labels = label_set + (label_set.size() > 1 ? ",le=\"" : "le=\"");
    const std::size_t bound_at = bucket_labels.size();
    for (std::size_t i = 0; i < h.counts.size(); ++i) {
      cumulative += h.counts[i];
      bucket_labels.resize(bound_at);
      bucket_labels += kBucketText[i];
      bucket_labels += '"';
      append_sample(out, name, "_bucket", bucket_labels, cumulative);
    }
    append_sample(out, name, "_count", label_set, cumulative);
    append_sample(out, name, "_sum", label_set, h.sum);
  }
}

double requests(const SeriesFigures& f) { return static_cast<double>(f.requests); }
double spend(const SeriesFigures& f) { return f.spend; }
double prompt_tokens(const SeriesFigures& f) { return static_cast<double>(f.prompt_tokens); }
double completion_tokens(const SeriesFigures& f) {
  return static_cast<double>(f.completion_tokens);
}
double total_tokens(const SeriesFigures& f) {
  return static_cast<double>(f.prompt_tokens + f.completion_tokens);
}

const char* class_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::payload_too_large: return "BadRequestError";
    case ErrorKind::context_window_exceeded: return "ContextWindowExceededError";
    case ErrorKind::content_policy: return "ContentPolicyViolationError";
    case ErrorKind::unsupported_params: return "UnsupportedParamsError";
    case ErrorKind::unauthenticated: return "AuthenticationError";
    case ErrorKind::forbidden: return "PermissionDeniedError";
    case ErrorKind::not_found:
    case ErrorKind::model_not_found: return "NotFoundError";
    case ErrorKind::timeout: return "Timeout";
    case ErrorKind::unprocessable: return "UnprocessableEntityError";
    case ErrorKind::rate_limited: return "RateLimitError";
    case ErrorKind::internal: return "InternalServerError";
    case ErrorKind::upstream_failed: return "APIConnectionError";
    case ErrorKind::unavailable: return "ServiceUnavailableError";
  }
  return "InternalServerError";
}

}  // namespace

std::string exception_class(ErrorKind kind, std::string_view provider) {
  std::string name;
  if (!provider.empty()) {
    // LiteLLM writes the provider capitalised: "Openai.", "Anthropic.", "Azure.".
    name += static_cast<char>(provider[0] >= 'a' && provider[0] <= 'z' ? provider[0] - 32
                                                                       : provider[0]);
    name.append(provider.substr(1));
    name += '.';
  }
  name += class_name(kind);
  return name;
}

void Histogram::observe(double seconds) {
  const auto bucket = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds) -
                      kLatencyBuckets.begin();
  ++counts[static_cast<std::size_t>(bucket)];
  sum += seconds;
}

void Histogram::add(const Histogram& other) {
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum += other.sum;
}

void SeriesFigures::add(const SeriesFigures& other) {
  requests += other.requests;
  spend += other.spend;
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  total_latency.add(other.total_latency);
  api_latency.add(other.api_latency);
  first_token_latency.add(other.first_token_latency);
  overhead_latency.add(other.overhead_latency);
  // The newer write's figures; one it did not have, the older's.
  const bool newer = other.remaining_written > remaining_written;
  if (other.remaining_requests && (newer || !remaining_requests))
    remaining_requests = other.remaining_requests;
  if (other.remaining_tokens && (newer || !remaining_tokens))
    remaining_tokens = other.remaining_tokens;
  if (newer) remaining_written = other.remaining_written;
}

std::size_t CallSeries::make_key(const CallSample& sample) {
  key_.clear();
  for (const std::string_view value :
       {sample.hashed_api_key, sample.api_key_alias, sample.team, sample.team_alias, sample.user,
        sample.user_email, sample.end_user, sample.route, sample.requested_model, sample.client_ip,
        sample.user_agent, sample.model, sample.litellm_model_name, sample.model_id,
        sample.api_base, sample.api_provider}) {
    append_value(key_, value);
  }
  const std::size_t labels_end = key_.size();
  append_number(key_, sample.status);
  key_ += kSeparator;
  append_value(key_, sample.exception_class);
  return labels_end;
}

SeriesFigures& CallSeries::figures_for_key(std::unordered_map<std::string, SeriesFigures>& series,
                                           std::size_t labels_end) {
  auto found = series.find(key_);
  if (found == series.end()) {
    if (series.size() >= max_series_) {
      // Every label but the status and the exception class (a bounded set) reads "overflow".
      const std::string status_and_class = key_.substr(labels_end);
      key_.clear();
      for (std::size_t i = 0; i < kLabelFieldCount; ++i) append_value(key_, "overflow");
      key_ += status_and_class;
    }
    found = series.try_emplace(key_).first;
  }
  return found->second;
}

void CallSeries::record_retried_attempt(const CallSample& sample) {
  const std::size_t labels_end = make_key(sample);
  const std::lock_guard lock(mutex_);
  ++figures_for_key(retried_attempts_, labels_end).requests;
}

void CallSeries::record(const CallSample& sample) {
  const std::size_t labels_end = make_key(sample);
  const std::lock_guard lock(mutex_);
  SeriesFigures& figures = figures_for_key(series_, labels_end);
  ++figures.requests;
  figures.spend += sample.spend;
  figures.prompt_tokens +=
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, sample.prompt_tokens));
  figures.completion_tokens +=
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, sample.completion_tokens));
  figures.total_latency.observe(sample.total_seconds);
  if (!sample.model_id.empty()) {
    figures.api_latency.observe(sample.upstream_seconds);
    figures.overhead_latency.observe(std::max(0.0, sample.total_seconds - sample.upstream_seconds));
  }
  if (sample.first_token_seconds) figures.first_token_latency.observe(*sample.first_token_seconds);
  if (sample.remaining_requests || sample.remaining_tokens) {
    figures.remaining_written = std::chrono::steady_clock::now();
    if (sample.remaining_requests) figures.remaining_requests = sample.remaining_requests;
    if (sample.remaining_tokens) figures.remaining_tokens = sample.remaining_tokens;
  }
}

void CallSeries::record_cooldown(const CooldownSample& sample) {
  Fields fields{};
  fields[static_cast<std::size_t>(Field::litellm_model_name)] = sample.litellm_model_name;
  fields[static_cast<std::size_t>(Field::model_id)] = sample.model_id;
  fields[static_cast<std::size_t>(Field::api_base)] = sample.api_base;
  fields[static_cast<std::size_t>(Field::api_provider)] = sample.api_provider;
  std::string status;
  append_number(status, sample.status);
  fields[static_cast<std::size_t>(Field::status)] = status;
  std::string key;
  for (const std::string_view value : fields) append_value(key, value);
  const std::lock_guard lock(mutex_);
  ++cooldowns_[key].requests;
}

void CallSeries::record_budget(const BudgetSample& sample) {
  const bool of_key = sample.owner == BudgetSample::Owner::key;
  budget_key_.clear();
  append_value(budget_key_, of_key ? sample.alias : sample.id);
  append_value(budget_key_, of_key ? sample.id : sample.alias);
  const BudgetFigures figures{.remaining = sample.max_budget - sample.spend,
                              .max_budget = sample.max_budget,
                              .hours_to_reset = sample.hours_to_reset,
                              .written = std::chrono::steady_clock::now()};
  auto& budgets = of_key ? key_budgets_ : team_budgets_;
  const std::lock_guard lock(mutex_);
  if (const auto found = budgets.find(budget_key_); found != budgets.end())
    found->second = figures;
  else if (budgets.size() < max_series_)
    budgets.emplace(budget_key_, figures);
}

void CallSeries::record_fallback(const FallbackSample& sample) {
  std::string status;
  append_number(status, sample.exception_status);
  // The labels in kFallbackLabels' order; past the cap every one but the failure's status and
  // class reads "overflow".
  auto key_of = [&](bool overflow) {
    std::string key;
    auto label = [&](std::string_view value) { append_value(key, overflow ? "overflow" : value); };
    label(sample.api_key_alias);
    append_value(key, sample.exception_class);
    append_value(key, status);
    label(sample.fallback_model);
    label(sample.hashed_api_key);
    label({});  // model_id: None, as LiteLLM's fallback events leave it (from memory of its source)
    label(sample.requested_model);
    label(sample.team);
    label(sample.team_alias);
    return key;
  };
  const std::lock_guard lock(mutex_);
  std::string key = key_of(false);
  if (!fallbacks_.contains(key) && fallbacks_.size() >= max_series_) key = key_of(true);
  FallbackCounts& counts = fallbacks_[key];
  ++(sample.succeeded ? counts.succeeded : counts.failed);
}

namespace {

// Each label set's figures as the worker that wrote them last left them.
void keep_latest(std::map<std::string, BudgetFigures>& latest,
                 const std::unordered_map<std::string, BudgetFigures>& worker) {
  for (const auto& [key, figures] : worker) {
    auto [found, added] = latest.try_emplace(key, figures);
    if (!added && found->second.written < figures.written) found->second = figures;
  }
}

// The budgets' gauges: remaining, max_budget, and hours to the reset of those that have one.
void render_budget_gauges(std::string& out, std::span<const char* const> labels,
                          const std::map<std::string, BudgetFigures>& budgets,
                          std::array<const char*, 3> names, const char* owner) {
  const std::string owners = std::string("the ") + owner + "'s";
  for (std::size_t gauge = 0; gauge < names.size(); ++gauge) {
    const std::string help = gauge == 0   ? "USD left of " + owners + " max_budget."
                             : gauge == 1 ? "USD: " + owners + " max_budget."
                                          : "Hours until " + owners + " budget resets.";
    append_family_head(out, names[gauge], "gauge", help);
    for (const auto& [key, figures] : budgets) {
      const std::optional<double> value = gauge == 0   ? figures.remaining
                                          : gauge == 1 ? figures.max_budget
                                                       : figures.hours_to_reset;
      if (value) append_sample(out, names[gauge], "", label_text(labels, key), *value);
    }
  }
}

}  // namespace

void render_litellm(std::string& out, std::span<const CallSeries* const> workers,
                    std::span<const DeploymentState> deployments) {
  Snapshot snapshot;
  Snapshot attempts;  // the calls' final attempts, then their failed attempts that were retried
  Snapshot cooldowns;
  std::map<std::string, BudgetFigures> key_budgets;
  std::map<std::string, BudgetFigures> team_budgets;
  std::map<std::string, FallbackCounts> fallbacks;
  for (const CallSeries* worker : workers) {
    const std::lock_guard lock(worker->mutex_);
    snapshot.insert(snapshot.end(), worker->series_.begin(), worker->series_.end());
    attempts.insert(attempts.end(), worker->retried_attempts_.begin(),
                    worker->retried_attempts_.end());
    cooldowns.insert(cooldowns.end(), worker->cooldowns_.begin(), worker->cooldowns_.end());
    keep_latest(key_budgets, worker->key_budgets_);
    keep_latest(team_budgets, worker->team_budgets_);
    for (const auto& [key, counts] : worker->fallbacks_) {
      FallbackCounts& sum = fallbacks[key];
      sum.succeeded += counts.succeeded;
      sum.failed += counts.failed;
    }
  }
  static const auto proxy_total = with(kProxyLabels, {{"status_code", Field::status}});
  static const auto proxy_failed =
      with(kProxyLabels,
           {{"exception_status", Field::status}, {"exception_class", Field::exception_class}});
  static const auto deployment_failed =
      with(kDeploymentLabels,
           {{"exception_status", Field::status}, {"exception_class", Field::exception_class}});
  const CounterFamily counters[] = {
      {"litellm_proxy_total_requests_metric_total", "Requests the proxy answered, by status code.",
       proxy_total, Which::all, requests},
      {"litellm_proxy_failed_requests_metric_total", "Requests that did not succeed.", proxy_failed,
       Which::failure, requests},
      {"litellm_requests_metric_total", "Successful LLM calls (deprecated by LiteLLM).",
       kSpendLabels, Which::success, requests},
      {"litellm_llm_api_failed_requests_metric_total", "Failed LLM calls (deprecated by LiteLLM).",
       kLegacyFailureLabels, Which::failure, requests},
      {"litellm_spend_metric_total", "Spend in USD.", kSpendLabels, Which::success, spend},
      {"litellm_total_tokens_metric_total", "Prompt and completion tokens.", kTokenLabels,
       Which::success, total_tokens},
      {"litellm_input_tokens_metric_total", "Prompt tokens.", kTokenLabels, Which::success,
       prompt_tokens},
      {"litellm_output_tokens_metric_total", "Completion tokens.", kTokenLabels, Which::success,
       completion_tokens},
  };
  for (const CounterFamily& family : counters) render_counter(out, snapshot, family);
  // One per upstream attempt, as LiteLLM counts them.
  attempts.insert(attempts.begin(), snapshot.begin(), snapshot.end());
  const CounterFamily attempt_counters[] = {
      {"litellm_deployment_success_responses_total",
       "Upstream calls a deployment answered successfully.", kDeploymentLabels,
       Which::deployment_success, requests},
      {"litellm_deployment_failure_responses_total", "Upstream calls that failed at a deployment.",
       deployment_failed, Which::deployment_failure, requests},
      {"litellm_deployment_total_requests_total", "Upstream calls to a deployment.",
       kDeploymentLabels, Which::deployment, requests},
  };
  for (const CounterFamily& family : attempt_counters) render_counter(out, attempts, family);
  render_histogram(out, snapshot, "litellm_request_total_latency_metric",
                   "Seconds from the request's arrival to the end of its answer.",
                   kRequestLatencyLabels, Which::all, &SeriesFigures::total_latency);
  render_histogram(out, snapshot, "litellm_llm_api_latency_metric", "Seconds of the upstream call.",
                   kApiLatencyLabels, Which::deployment, &SeriesFigures::api_latency);
  render_histogram(out, snapshot, "litellm_llm_api_time_to_first_token_metric",
                   "Seconds to a stream's first frame.", kApiLatencyLabels, Which::deployment,
                   &SeriesFigures::first_token_latency);
  render_histogram(out, snapshot, "litellm_overhead_latency_metric",
                   "Seconds the gateway added to the upstream call.", kOverheadLabels,
                   Which::deployment, &SeriesFigures::overhead_latency);
  for (const bool of_requests : {true, false}) {
    const char* name = of_requests ? "litellm_remaining_requests" : "litellm_remaining_tokens";
    append_family_head(out, name, "gauge",
                       of_requests ? "The deployment's last x-ratelimit-remaining-requests."
                                   : "The deployment's last x-ratelimit-remaining-tokens.");
    for (const auto& [labels, figures] : group(snapshot, kOverheadLabels, Which::deployment)) {
      const auto& remaining = of_requests ? figures.remaining_requests : figures.remaining_tokens;
      if (remaining) append_sample(out, name, "", labels, *remaining);
    }
  }
  append_family_head(out, "litellm_deployment_state", "gauge",
                     "0 healthy, 1 its last call failed, 2 cooling down.");
  for (const DeploymentState& deployment : deployments) {
    Fields fields{};
    fields[static_cast<std::size_t>(Field::litellm_model_name)] = deployment.litellm_model_name;
    fields[static_cast<std::size_t>(Field::model_id)] = deployment.model_id;
    fields[static_cast<std::size_t>(Field::api_base)] = deployment.api_base;
    fields[static_cast<std::size_t>(Field::api_provider)] = deployment.api_provider;
    append_sample(out, "litellm_deployment_state", "", label_text(kDeploymentStateLabels, fields),
                  deployment.state);
  }
  static const auto cooled_down =
      with(kDeploymentStateLabels, {{"exception_status", Field::status}});
  render_counter(
      out, cooldowns,
      {"litellm_deployment_cooled_down_total", "Times the router put a deployment into cooldown.",
       cooled_down, Which::all, requests});
  for (const bool succeeded : {true, false}) {
    const char* name = succeeded ? "litellm_deployment_successful_fallbacks_total"
                                 : "litellm_deployment_failed_fallbacks_total";
    append_family_head(out, name, "counter",
                       succeeded ? "Fallback groups that answered a call."
                                 : "Fallback groups that failed a call too.");
    for (const auto& [key, counts] : fallbacks) {
      const std::uint64_t count = succeeded ? counts.succeeded : counts.failed;
      if (count > 0) append_sample(out, name, "", label_text(kFallbackLabels, key), count);
    }
  }
  render_budget_gauges(
      out, kKeyBudgetLabels, key_budgets,
      {"litellm_remaining_api_key_budget_metric", "litellm_api_key_max_budget_metric",
       "litellm_api_key_budget_remaining_hours_metric"},
      "key");
  render_budget_gauges(out, kTeamBudgetLabels, team_budgets,
                       {"litellm_remaining_team_budget_metric", "litellm_team_max_budget_metric",
                        "litellm_team_budget_remaining_hours_metric"},
                       "team");
}

}  // namespace llmux::telemetry
