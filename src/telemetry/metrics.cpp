#include "telemetry/metrics.hpp"

#include "telemetry/exposition.hpp"

namespace llmux::telemetry {

namespace {

constexpr std::array<const char*, static_cast<std::size_t>(Route::count)> kRouteNames = {
    "chat_completions", "completions", "embeddings", "moderations",
    "rerank",           "messages",    "responses"};
constexpr std::array<const char*, static_cast<std::size_t>(Outcome::count)> kOutcomeNames = {
    "2xx", "4xx", "5xx", "499"};

std::uint64_t read(const std::atomic<std::uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

}  // namespace

Outcome outcome_of(int status) {
  if (status == 499) return Outcome::client_gone;
  if (status >= 500) return Outcome::server_error;
  if (status >= 400) return Outcome::client_error;
  return Outcome::success;
}

void WorkerMetrics::record(Route route, int status, bool stream, std::uint64_t prompt_tokens,
                           std::uint64_t completion_tokens, std::uint64_t duration_us) {
  add(requests_[static_cast<std::size_t>(route)][static_cast<std::size_t>(outcome_of(status))], 1);
  if (stream) add(streams_, 1);
  add(prompt_tokens_, prompt_tokens);
  add(completion_tokens_, completion_tokens);
  add(duration_us_, duration_us);
}

WorkerMetrics& Metrics::add_worker() {
  workers_.push_back(std::make_unique<WorkerMetrics>());
  workers_.back()->deployment_outcomes_ = &deployment_outcomes_;
  return *workers_.back();
}

CallbackCounters& Metrics::add_callback(std::string name) {
  callbacks_.push_back(std::make_unique<CallbackCounters>(std::move(name)));
  return *callbacks_.back();
}

std::string Metrics::render(std::span<const DeploymentState> deployments) const {
  auto sum = [this](auto member) {
    std::uint64_t total = 0;
    for (const auto& worker : workers_) total += read((*worker).*member);
    return total;
  };
  std::string out;
  append_family_head(out, "llmux_requests_total", "counter",
                     "Model requests answered, by endpoint and status class.");
  std::uint64_t requests = 0;
  for (std::size_t route = 0; route < kRouteNames.size(); ++route) {
    for (std::size_t outcome = 0; outcome < kOutcomeNames.size(); ++outcome) {
      std::uint64_t total = 0;
      for (const auto& worker : workers_) total += read(worker->requests_[route][outcome]);
      requests += total;
      out += "llmux_requests_total{endpoint=\"";
      out += kRouteNames[route];
      out += "\",status=\"";
      out += kOutcomeNames[outcome];
      out += "\"} " + std::to_string(total) + '\n';
    }
  }
  append_family_head(out, "llmux_streams_total", "counter", "Model requests answered as a stream.");
  out += "llmux_streams_total " + std::to_string(sum(&WorkerMetrics::streams_)) + '\n';
  append_family_head(out, "llmux_tokens_total", "counter", "Tokens reported by the upstreams.");
  out += "llmux_tokens_total{kind=\"prompt\"} " +
         std::to_string(sum(&WorkerMetrics::prompt_tokens_)) + '\n';
  out += "llmux_tokens_total{kind=\"completion\"} " +
         std::to_string(sum(&WorkerMetrics::completion_tokens_)) + '\n';
  append_family_head(out, "llmux_request_duration_seconds", "summary",
                     "Time from request to the end of its answer.");
  const std::uint64_t micros = sum(&WorkerMetrics::duration_us_);
  out += "llmux_request_duration_seconds_sum " + std::to_string(micros / 1'000'000) + '.';
  const std::string fraction = std::to_string(micros % 1'000'000);
  out += std::string(6 - fraction.size(), '0') + fraction + '\n';
  out += "llmux_request_duration_seconds_count " + std::to_string(requests) + '\n';
  append_family_head(out, "llmux_soft_budget_crossings_total", "counter",
                     "Keys whose spend went past their soft_budget.");
  out += "llmux_soft_budget_crossings_total " +
         std::to_string(sum(&WorkerMetrics::soft_budget_crossings_)) + '\n';
  append_family_head(out, "llmux_alerts_sent_total", "counter", "Slack alerts the webhook took.");
  out += "llmux_alerts_sent_total " + std::to_string(sum(&WorkerMetrics::alerts_sent_)) + '\n';
  append_family_head(out, "llmux_alerts_failed_total", "counter",
                     "Slack alerts not delivered (the webhook down or failing).");
  out += "llmux_alerts_failed_total " + std::to_string(sum(&WorkerMetrics::alerts_failed_)) + '\n';
  append_family_head(out, "llmux_tls_handshake_failures_total", "counter",
                     "Connections dropped because their TLS handshake failed or timed out.");
  out += "llmux_tls_handshake_failures_total " +
         std::to_string(sum(&WorkerMetrics::tls_handshake_failures_)) + '\n';
  append_family_head(out, "llmux_in_flight_requests", "gauge", "Model requests being served now.");
  out += "llmux_in_flight_requests " +
         std::to_string(static_cast<std::int64_t>(sum(&WorkerMetrics::in_flight_))) + '\n';
  render_cache(out);
  // Callback names come from the config: escaped like any label value.
  const auto per_callback = [this, &out](const char* name, const char* help, auto counter) {
    append_family_head(out, name, "counter", help);
    for (const auto& callback : callbacks_) {
      out += name;
      out += "{callback_name=\"";
      append_label_value(out, callback->name);
      out += "\"} " + std::to_string(read((*callback).*counter)) + '\n';
    }
  };
  per_callback("litellm_callback_logging_failures_metric_total",
               "Payloads a logging callback could not deliver.", &CallbackCounters::failed);
  per_callback("llmux_callback_payloads_delivered_total",
               "Payloads a logging callback's destination accepted.", &CallbackCounters::delivered);
  std::vector<const CallSeries*> calls;
  for (const auto& worker : workers_) calls.push_back(&worker->calls_);
  render_litellm(out, calls, deployments);
  if (fleet_enabled_) render_fleet(out);
  return out;
}

void Metrics::render_cache(std::string& out) const {
  static constexpr std::array<const char*, static_cast<std::size_t>(CacheLookup::count)>
      kLookupNames = {"hit", "miss"};
  append_family_head(out, "llmux_cache_lookups_total", "counter",
                     "Response cache lookups: answered from the cache (hit) or not (miss).");
  for (std::size_t result = 0; result < kLookupNames.size(); ++result) {
    std::uint64_t total = 0;
    for (const auto& worker : workers_) total += read(worker->cache_lookups_[result]);
    out += "llmux_cache_lookups_total{result=\"";
    out += kLookupNames[result];
    out += "\"} " + std::to_string(total) + '\n';
  }
  const auto worker_sum = [this](auto member) {
    std::uint64_t total = 0;
    for (const auto& worker : workers_) total += read((*worker).*member);
    return std::to_string(total);
  };
  append_family_head(out, "llmux_cache_stores_total", "counter",
                     "Answers written to the response cache.");
  out += "llmux_cache_stores_total " + worker_sum(&WorkerMetrics::cache_stores_) + '\n';
  append_family_head(out, "llmux_cache_redis_errors_total", "counter",
                     "Response cache commands Redis did not answer (the calls went upstream).");
  out += "llmux_cache_redis_errors_total " + worker_sum(&WorkerMetrics::cache_redis_errors_) + '\n';
  append_family_head(out, "llmux_cache_embedding_errors_total", "counter",
                     "Semantic cache prompts not embedded (the calls went upstream uncached).");
  out += "llmux_cache_embedding_errors_total " +
         worker_sum(&WorkerMetrics::cache_embedding_errors_) + '\n';
  append_family_head(out, "llmux_cache_semantic_entries", "gauge",
                     "Entries in this instance's semantic cache index.");
  out += "llmux_cache_semantic_entries " + std::to_string(cache_.semantic_entries.load()) + '\n';
  append_family_head(out, "llmux_cache_memory_bytes", "gauge",
                     "Bytes held by the in-memory response cache.");
  out += "llmux_cache_memory_bytes " + std::to_string(cache_.memory_bytes.load()) + '\n';
  append_family_head(out, "llmux_cache_memory_entries", "gauge",
                     "Entries in the in-memory response cache.");
  out += "llmux_cache_memory_entries " + std::to_string(cache_.memory_entries.load()) + '\n';
  append_family_head(out, "llmux_cache_memory_evictions_total", "counter",
                     "In-memory cache entries pushed out to make room for newer ones.");
  out +=
      "llmux_cache_memory_evictions_total " + std::to_string(cache_.memory_evictions.load()) + '\n';
}

void Metrics::render_fleet(std::string& out) const {
  const auto one = [&out](const char* name, const char* type, const char* help,
                          std::uint64_t value) {
    append_family_head(out, name, type, help);
    out += name;
    out += ' ' + std::to_string(value) + '\n';
  };
  one("llmux_fleet_redis_up", "gauge", "1 while the fleet's Redis answers, else 0.",
      fleet_.redis_up.load(std::memory_order_relaxed) ? 1 : 0);
  one("llmux_fleet_instances", "gauge", "Live llmux instances sharing the Redis.",
      read(fleet_.instances));
  one("llmux_fleet_shared_admissions_total", "counter",
      "Calls admitted or refused by the fleet's shared counters in Redis.",
      read(fleet_.shared_admissions));
  one("llmux_fleet_local_admissions_total", "counter",
      "Calls decided by this instance's share of the limits while Redis was away.",
      read(fleet_.local_admissions));
  one("llmux_fleet_degraded_periods_total", "counter",
      "Times shared counting stopped because Redis was away or too slow.",
      read(fleet_.degraded_periods));
  one("llmux_fleet_key_changes_received_total", "counter",
      "Key, team, user and end-user changes announced by other instances.",
      read(fleet_.key_changes_received));
  one("llmux_fleet_cooldowns_total", "counter",
      "Deployment cooldowns taken from the fleet's shared count of failures.",
      read(fleet_.cooldowns_heard));
  one("llmux_fleet_call_ends_counted_total", "counter",
      "Calls whose end (tokens, cost, freed parallel slots) the fleet's Redis has counted.",
      read(fleet_.call_ends_counted));
  one("llmux_fleet_local_deployment_claims_total", "counter",
      "Attempts on a deployment with rpm / tpm decided by this instance's counts: Redis was away.",
      read(fleet_.local_deployment_claims));
}

}  // namespace llmux::telemetry
