// LiteLLM's config.yaml as plain, validated, immutable structs (see config/load.hpp).
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace llmux::config {

using Headers = std::vector<std::pair<std::string, std::string>>;

// `litellm_params` of one model_list entry. Strings are already resolved (os.environ/NAME).
struct LitellmParams {
  std::string model;                       // "provider/name" as written, e.g. "openai/gpt-4o"
  std::string api_base;                    // empty: the provider's default base URL
  std::string api_key;                     // secret: never logged
  std::string api_version;                 // Azure
  std::string organization;                // OpenAI-Organization header
  std::optional<double> timeout_s;         // whole call
  std::optional<double> stream_timeout_s;  // wait for the first streamed chunk
  std::optional<int> max_retries;
  std::optional<long> rpm;
  std::optional<long> tpm;
  std::optional<double> weight;
  std::optional<int> order;  // priority tier: lower is tried first; unset comes after every tier
  Headers extra_headers;
  std::optional<std::string> mock_response;  // answer locally with this text, no upstream call
  // Everything else in litellm_params (e.g. temperature, max_tokens defaults): sent upstream
  // as request defaults when the client did not set them.
  boost::json::object extra;
};

struct ModelEntry {
  std::string model_name;  // what clients send as "model"
  LitellmParams params;
  boost::json::object model_info;  // as written; "id" names the deployment
  int line = 0;                    // 1-based line of the entry in the YAML file, for messages
};

// `{group: [fallback groups]}` in the order written.
using FallbackMap = std::vector<std::pair<std::string, std::vector<std::string>>>;

// The fallback settings LiteLLM accepts in both litellm_settings and router_settings.
struct FallbackSettings {
  std::optional<FallbackMap> fallbacks;
  std::optional<FallbackMap> context_window_fallbacks;
  std::optional<FallbackMap> content_policy_fallbacks;
  std::optional<std::vector<std::string>> default_fallbacks;
};

// Where a Redis server is, as LiteLLM names it: a url, or host / port / password and the rest of
// redis-py's connection settings; what the config leaves out may come from LiteLLM's REDIS_*
// environment variables (the config wins). redis::options_from (redis/settings.hpp) is the one
// place this becomes the client's options, for every user of Redis.
struct RedisSettings {
  std::string url;  // redis:// or rediss://; wins over the fields below. May hold a password.
  std::string host;
  std::optional<long> port;
  std::string username;
  std::string password;     // secret: never logged
  std::optional<bool> ssl;  // TLS (rediss://)
  std::optional<long> db;
  std::string ssl_cert_reqs;  // "none" turns the certificate check off; else it is made
  std::string ssl_ca_certs;   // a PEM file; empty: the system's roots
  std::optional<double> socket_timeout_s;          // one command
  std::optional<double> socket_connect_timeout_s;  // connecting, TLS and AUTH included
  bool given() const { return !url.empty() || !host.empty(); }
};

// litellm_settings.cache_params, once `cache: true` turned the response cache on
// (docs/CACHING.md).
enum class CacheType { local, redis, redis_semantic };
// type redis-semantic: a prompt near enough to one answered before gets its answer.
struct SemanticCacheSettings {
  double similarity_threshold = 0;  // cosine similarity a hit needs, in [0, 1]
  std::string embedding_model;      // redis_semantic_cache_embedding_model: a model_name
  std::size_t max_entries = 10000;  // llmux's own: entries each instance indexes (and Redis keeps)
};
struct CacheSettings {
  CacheType type = CacheType::redis;  // the type LiteLLM's proxy takes when none is given
  RedisSettings redis;                // type redis
  std::string key_namespace;          // `namespace`: keys read "<namespace>:<hash>"
  // How long an entry lives, unless the request says (cache.ttl): default_in_memory_ttl (local)
  // or default_in_redis_ttl (redis) when given, else `ttl`; unset: 600 s in memory (as LiteLLM's
  // in-memory cache), no expiry on Redis.
  std::optional<double> ttl_s;
  // supported_call_types: which endpoints are answered from the cache.
  bool chat_completions = true;  // completion, acompletion
  bool completions = true;       // text_completion, atext_completion
  bool embeddings = true;        // embedding, aembedding (each input its own entry)
  bool default_off = false;   // mode: default_off — only requests with cache: {use-cache: true}
  double max_memory_mb = 64;  // llmux's own bound of the local type's entries
  SemanticCacheSettings semantic;  // type redis-semantic
};

struct LitellmSettings {
  bool drop_params = false;
  int num_retries = 0;
  double request_timeout_s = 600;  // LiteLLM's default
  bool set_verbose = false;
  FallbackSettings fallback_settings;
  std::optional<CacheSettings> cache;  // `cache: true`; nullopt: no response cache
  // USD: the budget of every end user who has none of their own (docs/KEYS.md).
  std::optional<double> max_end_user_budget;
};

struct GeneralSettings {
  std::string master_key;  // empty: no auth (a loud warning at startup)
  double max_request_size_mb = 50;
  // llmux's own server limits (not in LiteLLM); each explicit and documented in
  // docs/configuration.md.
  std::size_t max_header_size_kb = 64;
  double keepalive_timeout_s = 120;
  double request_read_timeout_s = 60;
  double drain_timeout_s = 30;
  std::size_t max_connections = 100000;
  // Per client address, all workers together (llmux's own; 0: none): connections open at once,
  // and requests per second with a burst (0: the rate, at least 1).
  std::size_t max_connections_per_ip = 0;
  double max_requests_per_second_per_ip = 0;
  double request_burst_per_ip = 0;
  // LiteLLM's: every connection comes from a proxy the operator trusts, so the per-address
  // request rate counts the client that proxy names in X-Forwarded-For.
  bool use_x_forwarded_for = false;
  // All request bodies being received at once, every connection together; the loader makes it
  // 10 × max_request_size_mb when the config does not set it.
  double max_request_memory_mb = 500;
  // An upstream's non-streamed answer, and one event (or line, or message) of a streamed one.
  double max_upstream_response_size_mb = 64;
  double max_upstream_event_size_mb = 16;
  // Clients may send api_key / api_base / base_url / user_config for every deployment.
  bool allow_client_side_credentials = false;
  // Host names, IP addresses and CIDR ranges a client-chosen destination may reach besides
  // public addresses (base/client_destination.hpp); each checked at load.
  std::vector<std::string> allowed_client_api_base_hosts;
  // Keys and spend: sqlite path (default llmux.db beside the config) or postgresql://…;
  // env DATABASE_URL when unset.
  std::string database_url;
  double proxy_batch_write_at_s = 10;  // spend is written in one transaction this often
  bool store_prompts_in_spend_logs = false;
  bool disable_spend_logs = false;  // no spend-log row per call; spend still counts
  // Spend-log rows older than this are deleted, every interval (LiteLLM's durations: "7d",
  // "24h"; checked when the store opens); empty period: kept for ever.
  std::string maximum_spend_logs_retention_period;
  std::string maximum_spend_logs_retention_interval = "1d";
  // /health answers the last run of probes made every health_check_interval seconds.
  bool background_health_checks = false;
  double health_check_interval_s = 300;
  // The Responses API's stored responses (docs/DIALECTS.md): kept this long, each up to this size.
  double stored_response_retention_days = 30;
  double max_stored_response_size_mb = 4;
  // Models added, changed and removed through /model/new, /model/update, /model/delete, kept in
  // the database beside the config's read-only ones (docs/MODELS.md); env STORE_MODEL_IN_DB.
  bool store_model_in_db = false;
};

struct RouterSettings {
  std::string routing_strategy = "simple-shuffle";
  std::optional<int> num_retries;
  std::optional<double> timeout_s;
  std::optional<double> stream_timeout_s;
  int allowed_fails = 3;       // failures in a minute a deployment may have before it cools
  double cooldown_time_s = 5;  // how long a cooled deployment is skipped
  bool disable_cooldowns = false;
  // retry_policy: LiteLLM's error-class names (RateLimitErrorRetries, …) → retries of that class.
  std::vector<std::pair<std::string, int>> retry_policy;
  FallbackSettings fallback_settings;  // wins over litellm_settings' where both are set
  int max_fallbacks = 5;
  std::vector<std::pair<std::string, std::string>> model_group_alias;  // client name → group
  bool enable_pre_call_checks = false;
  RedisSettings redis;  // redis_url, redis_host, redis_port, redis_password
};

// Logging callbacks: litellm_settings.success_callback / failure_callback / callbacks, resolved
// with the top-level callback_settings and the environment (docs/OBSERVABILITY.md). Each is a
// destination for every call's StandardLoggingPayload.
// The OpenTelemetry resource and scope of the spans an `otel` callback exports.
// How OTLP/HTTP bodies are encoded (OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or http/json).
enum class OtlpEncoding { protobuf, json };

struct OtelIdentity {
  std::string service_name = "litellm";            // OTEL_SERVICE_NAME
  std::string environment = "production";          // OTEL_ENVIRONMENT_NAME: deployment.environment
  std::string tracer_name = "litellm";             // OTEL_TRACER_NAME: the instrumentation scope
  OtlpEncoding encoding = OtlpEncoding::protobuf;  // LiteLLM's HTTP exporter sends protobuf
  // langfuse_otel: spans also carry LiteLLM's langfuse.* attributes; LANGFUSE_TRACING_ENVIRONMENT
  // is their langfuse.environment ("" for none).
  bool langfuse = false;
  std::string langfuse_environment;
};

struct LoggingCallback {
  enum class Kind { generic_api, langfuse, otel };
  Kind kind = Kind::generic_api;
  std::string name;      // as the config names it: the label of its failure counter
  std::string endpoint;  // generic_api, otel: the URL posted to; langfuse: LANGFUSE_HOST
  // generic_api: GENERIC_LOGGER_HEADERS, then callback_settings' headers; otel: OTEL_HEADERS
  Headers headers;
  OtelIdentity otel;       // otel only
  std::string public_key;  // langfuse, langfuse_otel: LANGFUSE_PUBLIC_KEY / LANGFUSE_SECRET_KEY
  std::string secret_key;
  // otel: OTEL_EXPORTER_OTLP_TIMEOUT, how long one POST may take; nullopt: the exporter's.
  std::optional<std::chrono::milliseconds> timeout;
  bool on_success = false;
  bool on_failure = false;
};

struct LoggingSettings {
  std::vector<LoggingCallback> callbacks;
  bool turn_off_message_logging = false;  // messages and responses left out of payloads
  bool redact_user_api_key_info = false;  // the caller's key, team and user left out of them
  double flush_interval_s = 1;  // general_settings.callback_flush_interval_s (llmux's own)
};

// general_settings.alerting: LiteLLM's Slack alerts (docs/OBSERVABILITY.md).
struct AlertingSettings {
  std::string slack_webhook_url;  // SLACK_WEBHOOK_URL (a secret); empty: no alert is sent
  double threshold_s = 300;       // alerting_threshold: a call slower than this is llm_too_slow
  // WEBHOOK_URL (a secret), when `alerting` names webhook: budget alerts go there as LiteLLM's
  // WebhookEvent JSON; empty: none is posted.
  std::string webhook_url;
  // alert_types: those llmux sends, each on unless the list leaves it out.
  bool llm_exceptions = true;
  bool llm_too_slow = true;
  bool budget_alerts = true;
  bool cooldown_deployment = true;
  bool db_exceptions = true;
  // alerting_args.budget_alert_ttl: one alert of an event (budget crossed, threshold crossed,
  // soft budget crossed) per key, team or user in this many seconds.
  double budget_alert_ttl_s = 86400;
};

// A fleet of llmux instances sharing router_settings.redis (docs/SCALING.md).
struct FleetSettings {
  // llmux's own (general_settings.fleet_lease_s): a parallel-request slot or budget reservation
  // held by an instance that died is freed after this long; live ones are renewed every third.
  double lease_s = 60;
};

// One key the file sets at its top level, in a model_list entry or its litellm_params, or in
// litellm_settings, router_settings or general_settings, and what llmux does with it: the
// migration report of --check_config.
struct KeyUse {
  enum class Verdict {
    used,       // read and implemented
    ignored,    // accepted and not implemented (a warning says so)
    passed_on,  // a litellm_params key handed to the provider: its setting or a request default
  };
  std::string path;  // model_list[0].litellm_params.rpm
  int line = 0;
  Verdict verdict = Verdict::used;
  std::string note;  // the warning about the key, if there was one
};

struct Config {
  std::string source;  // the file it came from, or "<embedded>" / "<command line>"
  std::vector<ModelEntry> model_list;
  LitellmSettings litellm_settings;
  GeneralSettings general_settings;
  RouterSettings router_settings;
  LoggingSettings logging;
  AlertingSettings alerting;
  FleetSettings fleet;
  // environment_variables: exported by the app at startup, before anything reads the environment.
  std::vector<std::pair<std::string, std::string>> environment_variables;
  std::vector<std::string> warnings;  // settings accepted but not implemented yet, etc.
  std::vector<KeyUse> key_uses;       // by line
};

}  // namespace llmux::config
