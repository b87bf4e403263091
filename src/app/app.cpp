#include "app/app.hpp"

#include "app/migration_report.hpp"
#include "auth/authenticator.hpp"
#include "auth/ui_sessions.hpp"
#include "cache/memory_store.hpp"
#include "cache/response_cache.hpp"
#include "cache/semantic_feed.hpp"
#include "callbacks/exporter.hpp"
#include "config/load.hpp"
#include "fleet/key_changes.hpp"
#include "fleet/shared_cooldowns.hpp"
#include "fleet/shared_latency.hpp"
#include "fleet/shared_limits.hpp"
#include "handlers/gateway.hpp"
#include "handlers/stored_models.hpp"
#include "redis/client.hpp"
#include "redis/settings.hpp"
#include "relay/google_token_refresher.hpp"
#include "router/live_router.hpp"
#include "server/listener.hpp"
#include "server/tls.hpp"
#include "store/service.hpp"
#include "telemetry/log.hpp"
#include "upstream/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string_view>
#include <thread>
#include <unordered_set>

#include <sys/resource.h>

extern const char* const llmux_embedded_config;

namespace llmux::app {

namespace asio = boost::asio;

namespace {

constexpr auto kLogFlushInterval = std::chrono::milliseconds(50);

// A fleet of instances sharing router_settings.redis (docs/SCALING.md).
struct Fleet {
  redis::Options redis;
  fleet::Instance instance;
};

// The response cache of litellm_settings (docs/CACHING.md), as the workers share it: its settings,
// the process's memory store (type local) or the Redis options each worker's client dials (redis).
struct CacheSetup {
  const config::CacheSettings* settings = nullptr;  // nullptr: no response cache
  std::unique_ptr<cache::MemoryStore> memory;
  std::optional<redis::Options> redis;
  std::unique_ptr<cache::SemanticIndex> semantic;  // type redis-semantic
};

// Everything one I/O thread owns: its event loop, listener, upstream pool, log buffer and, in a
// fleet, its Redis connection; with a response cache, its view of it (and on Redis, its own
// connection for it).
struct Worker {
  Worker(const handlers::SharedState& shared, asio::ssl::context& tls,
         telemetry::WorkerMetrics& metrics, store::SpendSink* spend_sink, Fleet* fleet,
         const CacheSetup& cache_setup)
      : io(1),
        client(io, tls),
        shared_limits(fleet
                          ? std::make_unique<fleet::SharedLimits>(io, fleet->redis, fleet->instance)
                          : nullptr),
        cache_redis(cache_setup.redis ? std::make_unique<redis::Client>(io, *cache_setup.redis)
                                      : nullptr),
        cache(cache_setup.settings ? std::make_unique<cache::ResponseCache>(
                                         *cache_setup.settings, cache_setup.memory.get(),
                                         cache_redis.get(), metrics, cache_setup.semantic.get())
                                   : nullptr),
        gateway(shared, client, io.get_executor(), log, metrics, spend_sink, shared_limits.get(),
                cache.get()) {}

  asio::io_context io;
  upstream::Client client;
  std::unique_ptr<fleet::SharedLimits> shared_limits;
  std::unique_ptr<redis::Client> cache_redis;
  std::unique_ptr<cache::ResponseCache> cache;
  telemetry::LogBuffer log;
  handlers::Gateway gateway;
  std::unique_ptr<server::Listener> listener;
  std::unique_ptr<asio::steady_timer> flush_timer;
  std::thread thread;

  void schedule_flush() {
    flush_timer->expires_after(kLogFlushInterval);
    flush_timer->async_wait([this](const boost::system::error_code& ec) {
      log.flush();
      if (!ec) schedule_flush();
    });
  }
};

// Each in-flight request holds two descriptors (client and upstream); the usual soft limit of
// 1024 would cap the gateway near 500 concurrent requests, so take what the hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// A size in MiB (as LiteLLM's max_request_size_mb counts them) in bytes.
// How long an admin page login lasts.
constexpr store::Millis kUiSessionMillis = 12 * 3600 * 1000;

// LiteLLM's UI_USERNAME and UI_PASSWORD, when both are set: a login for the page besides the
// master key.
std::optional<auth::UiCredentials> ui_credentials_from_environment() {
  const char* username = std::getenv("UI_USERNAME");
  const char* password = std::getenv("UI_PASSWORD");
  if (username == nullptr || password == nullptr || *username == 0 || *password == 0)
    return std::nullopt;
  return auth::UiCredentials{.username = username, .password = password};
}

std::size_t megabytes(double mb) { return static_cast<std::size_t>(mb * 1024 * 1024); }

server::Limits limits_from(const config::GeneralSettings& settings, std::size_t workers) {
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  };
  return server::Limits{
      .header_bytes = static_cast<std::uint32_t>(settings.max_header_size_kb * 1024),
      .body_bytes = megabytes(settings.max_request_size_mb),
      .keepalive_idle = ms(settings.keepalive_timeout_s),
      .read_timeout = ms(settings.request_read_timeout_s),
      .max_connections = std::max<std::size_t>(1, settings.max_connections / workers),
      .use_x_forwarded_for = settings.use_x_forwarded_for,
  };
}

// A LiteLLM duration of general_settings ("7d", "24h"), read here because the config floor
// cannot (store/durations); a bad one is a config error, as the loader's are.
bool read_duration_setting(std::string_view name, const std::string& text,
                           std::optional<store::Duration>& duration) {
  if (text.empty()) return true;
  duration = store::parse_duration(text);
  if (duration) return true;
  std::cerr << "llmux: config error: general_settings." << name << ": \"" << text
            << "\" is not a duration (LiteLLM's: 3600s, 60m, 24h, 7d, 2w, 1mo)\n";
  return false;
}

}  // namespace

config::Config load_config(const cli::Options& options) {
  if (!options.model.empty()) return cli::quick_start_config(options);
  if (!options.config_path.empty()) return config::load_file(options.config_path);
  return config::load_string(llmux_embedded_config, "<embedded examples/config.yaml>");
}

int run(const cli::Options& options) {
  const auto started = std::chrono::steady_clock::now();
  config::Config config;
  std::vector<std::string> warnings;
  std::shared_ptr<router::Router> router;  // the config's; stored models make successors
  try {
    config = load_config(options);
    for (const auto& [name, value] : config.environment_variables)
      ::setenv(name.c_str(), value.c_str(), 1);
    warnings = config.warnings;
    router = std::make_shared<router::Router>(router::Router::from_config(config, warnings));
  } catch (const config::LoadError& error) {
    for (const auto& problem : error.problems)
      std::cerr << "llmux: config error: " << problem << "\n";
    return 2;
  }
  for (const auto& warning : warnings) telemetry::log_now("warning", warning);
  const auto& general = config.general_settings;
  std::optional<store::Duration> spend_log_retention;
  std::optional<store::Duration> spend_log_retention_interval;
  if (!read_duration_setting("maximum_spend_logs_retention_period",
                             general.maximum_spend_logs_retention_period, spend_log_retention) ||
      !read_duration_setting("maximum_spend_logs_retention_interval",
                             general.maximum_spend_logs_retention_interval,
                             spend_log_retention_interval)) {
    return 2;
  }
  const router::ModelTable* models = &router->models();
  if (options.check_config) {
    std::cout << "config OK: " << models->model_names().size() << " models, "
              << models->deployment_count() << " deployments\n"
              << migration_report(config);
    return 0;
  }

  std::unique_ptr<asio::ssl::context> listener_tls;
  if (!options.ssl_certfile_path.empty()) {
    auto context =
        server::make_tls_server_context(options.ssl_certfile_path, options.ssl_keyfile_path);
    if (!context) {
      std::cerr << "llmux: " << context.error().message << "\n";
      return 1;
    }
    listener_tls = std::move(*context);
  }
  raise_descriptor_limit();
  // Virtual keys and spend need an admin to manage them: the store opens with a master key (or
  // an explicit database_url).
  router::LiveRouter live_router(router);
  handlers::StoredModels stored_models(config, live_router, general.store_model_in_db);
  std::unique_ptr<store::Service> store_service;
  auth::KeyCache key_cache(config.litellm_settings.max_end_user_budget);
  if (!general.master_key.empty() || !general.database_url.empty()) {
    try {
      store_service = std::make_unique<store::Service>(
          store::open_database(general.database_url, options.config_path),
          store::open_database(general.database_url, options.config_path),
          store::ServiceOptions{
              .flush_interval = std::chrono::milliseconds(
                  static_cast<long long>(general.proxy_batch_write_at_s * 1000)),
              .journal_path = store::journal_path_for(general.database_url, options.config_path),
              .spend_log_rows = !general.disable_spend_logs,
              .spend_log_retention = spend_log_retention,
              .spend_log_retention_interval = spend_log_retention_interval.value_or(
                  store::Duration{1, store::Duration::Unit::day})});
    } catch (const store::DatabaseError& error) {
      std::cerr << "llmux: database: " << error.what() << "\n";
      return 1;
    }
    // The models kept in the database are reloaded with the keys: after a change made here, one
    // another instance announced, and at each refresh.
    store_service->set_on_change(
        [&key_cache, &stored_models](store::Store& store,
                                     const std::vector<std::string>& reset_tokens) {
          key_cache.rebuild(store, reset_tokens);
          if (stored_models.enabled()) stored_models.reload(store);
        });
    store_service->set_on_replayed([&key_cache](const std::map<std::string, double>& spend_by_key) {
      key_cache.add_live_spend(spend_by_key);
    });
    telemetry::log_now("info",
                       "keys and spend: " + std::string(store_service->engine()) + " database");
  }
  const auth::Authenticator authenticator(general.master_key, store_service ? &key_cache : nullptr);
  limits::MemoryCounters rate_counters;
  if (authenticator.is_open()) {
    telemetry::log_now(
        "warning",
        "NO MASTER KEY IS SET: every client may use every model. Set general_settings.master_key "
        "or LITELLM_MASTER_KEY.");
  }
  auth::UiSessions ui_sessions(authenticator, ui_credentials_from_environment(), kUiSessionMillis);
  // Every worker's counters exist before any thread runs; /metrics only reads them afterwards.
  telemetry::Metrics metrics(models->deployment_count());
  // Logging callbacks: their own thread, started with the workers, flushed after they stop.
  std::unique_ptr<callbacks::Exporter> callback_exporter;
  // With a database, a key's or team's metadata.logging may name callbacks at any time.
  if (!config.logging.callbacks.empty() || store_service) {
    callback_exporter = std::make_unique<callbacks::Exporter>(
        config.logging.callbacks, metrics,
        callbacks::ExporterOptions{
            .flush_interval = std::chrono::milliseconds(
                static_cast<long long>(config.logging.flush_interval_s * 1000)),
            .key_callbacks = store_service != nullptr});
  }
  std::unique_ptr<Fleet> fleet;
  if (config.router_settings.redis.given()) {
    auto redis = redis::options_from(config.router_settings.redis);
    if (!redis) {
      std::cerr << "llmux: config error: router_settings redis: " << redis.error().message << "\n";
      return 2;
    }
    const auto lease =
        std::chrono::milliseconds(static_cast<long long>(config.fleet.lease_s * 1000));
    fleet = std::make_unique<Fleet>(
        Fleet{.redis = std::move(*redis), .instance = {lease, metrics.enable_fleet()}});
    telemetry::log_now(
        "info", "fleet: rate limits counted in Redis at " + redis::endpoint_text(fleet->redis));
  }
  CacheSetup cache_setup;
  if (const auto& cache = config.litellm_settings.cache) {
    cache_setup.settings = &*cache;
    if (cache->type == config::CacheType::local) {
      cache_setup.memory =
          std::make_unique<cache::MemoryStore>(megabytes(cache->max_memory_mb), &metrics.cache());
    } else {
      auto redis_options = redis::options_from(cache->redis);
      if (!redis_options) {
        std::cerr << "llmux: config error: litellm_settings.cache_params: "
                  << redis_options.error().message << "\n";
        return 2;
      }
      cache_setup.redis = std::move(*redis_options);
    }
    if (cache->type == config::CacheType::redis_semantic) {
      cache_setup.semantic =
          std::make_unique<cache::SemanticIndex>(cache->semantic.max_entries, &metrics.cache());
    }
    telemetry::log_now(
        "info",
        "response cache: " + (cache_setup.memory
                                  ? std::string("local (in memory)")
                                  : (cache_setup.semantic ? "redis-semantic at " : "redis at ") +
                                        redis::endpoint_text(*cache_setup.redis)));
  }
  handlers::LastHealthChecks last_health_checks;
  const handlers::SharedState shared{
      .router = live_router,
      .authenticator = authenticator,
      .version = LLMUX_VERSION,
      .started_at = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count(),
      .metrics = metrics,
      .store = store_service.get(),
      .rate_counters = &rate_counters,
      .store_prompts_in_spend_logs = general.store_prompts_in_spend_logs,
      .callbacks = callback_exporter.get(),
      .log_messages = !config.logging.turn_off_message_logging,
      .redact_key_info = config.logging.redact_user_api_key_info,
      .max_upstream_response_bytes = megabytes(general.max_upstream_response_size_mb),
      .max_upstream_event_bytes = megabytes(general.max_upstream_event_size_mb),
      .ui_sessions = &ui_sessions,
      .listener_tls = listener_tls != nullptr,
      .last_health_checks = general.background_health_checks ? &last_health_checks : nullptr,
      .alerting = config.alerting,
      .health_check_interval =
          std::chrono::milliseconds(static_cast<long long>(general.health_check_interval_s * 1000)),
      .stored_responses = {.retention = std::chrono::milliseconds(static_cast<std::int64_t>(
                               general.stored_response_retention_days * 86'400'000)),
                           .max_bytes = megabytes(general.max_stored_response_size_mb)},
      .stored_models = &stored_models,
  };

  const std::size_t worker_count = options.num_workers > 0
                                       ? static_cast<std::size_t>(options.num_workers)
                                       : std::max(1u, std::thread::hardware_concurrency());
  const server::Limits limits = limits_from(config.general_settings, worker_count);
  server::RequestMemory request_memory(megabytes(general.max_request_memory_mb));
  server::ClientLimits client_limits({.max_connections = general.max_connections_per_ip,
                                      .requests_per_second = general.max_requests_per_second_per_ip,
                                      .burst = general.request_burst_per_ip});
  relay::GoogleTokenRefresher google_tokens(*models, telemetry::log_now);
  auto tls = upstream::make_tls_context(models->needs_tls() || general.store_model_in_db ||
                                        google_tokens.needs_tls() ||
                                        config.alerting.slack_webhook_url.starts_with("https://"));

  std::vector<std::unique_ptr<Worker>> workers;
  try {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.host, ec);
    if (ec) throw std::runtime_error("--host is not an IP address: " + options.host);
    asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
    for (std::size_t i = 0; i < worker_count; ++i) {
      telemetry::WorkerMetrics& worker_metrics = metrics.add_worker();
      auto worker = std::make_unique<Worker>(shared, *tls, worker_metrics,
                                             store_service ? &store_service->add_sink() : nullptr,
                                             fleet.get(), cache_setup);
      // Every worker has its own listening socket on one port (SO_REUSEPORT): the kernel spreads
      // connections and no two threads share a connection, a pool or a lock.
      std::optional<server::ListenerTls> https;
      if (listener_tls) {
        https.emplace(server::ListenerTls{
            .context = *listener_tls,
            .on_failed_handshake = [&worker_metrics] { worker_metrics.tls_handshake_failed(); }});
      }
      worker->listener = std::make_unique<server::Listener>(
          worker->io, endpoint, worker_count > 1, limits, request_memory, &client_limits,
          worker->gateway.handler(), std::move(https));
      endpoint.port(worker->listener->port());  // port 0: the others join the port the first got
      workers.push_back(std::move(worker));
    }
  } catch (const std::exception& error) {
    std::cerr << "llmux: cannot listen on " << options.host << ":" << options.port << ": "
              << error.what() << "\n";
    return 1;
  }
  // A fleet's instances hear each other's key changes (before the store thread starts).
  std::unique_ptr<fleet::KeyChanges> key_changes;
  if (fleet && store_service) {
    Worker& first = *workers.front();
    key_changes = std::make_unique<fleet::KeyChanges>(
        first.io, fleet->redis, fleet->instance, first.shared_limits->client(),
        [&store = *store_service](std::vector<std::string> reset_tokens) {
          store.keys_changed_elsewhere(std::move(reset_tokens));
        });
    // On the store thread, after the key cache took the reset spend from the database.
    store_service->set_on_local_change(
        [&changes = *key_changes, &key_cache](const std::vector<std::string>& reset_tokens) {
          std::vector<fleet::KeyChanges::SpendSet> spend_set;
          for (const std::string& token : reset_tokens)
            spend_set.push_back({.subject = token, .spend = key_cache.live_spend(token)});
          changes.announce(spend_set);
        });
  }
  // Spend the database did not take is alerted (db_exceptions) from the first worker's loop,
  // with what of the database's URL is secret masked.
  if (store_service) {
    store_service->set_on_write_failed(
        [&gateway = workers.front()->gateway,
         mask = store::database_url_secrets(general.database_url)](const std::string& what) {
          std::string masked = what;
          mask.apply(masked);
          gateway.database_write_failed(std::move(masked));
        });
  }
  // A fleet's instances cool a failing deployment together (its failures counted in Redis).
  std::unique_ptr<fleet::SharedCooldowns> shared_cooldowns;
  const router::CooldownPolicy cooldowns = router::cooldown_policy_from(config.router_settings);
  if (fleet && !cooldowns.disabled) {
    // The current router's: the stored deployments too.
    auto deployment_ids = [&live_router] {
      std::vector<std::string> ids;
      std::unordered_set<std::string> seen;
      for (const auto& id : live_router.current()->models().deployment_ids()) {
        if (seen.insert(id).second) ids.push_back(id);
      }
      return ids;
    };
    Worker& first = *workers.front();
    shared_cooldowns = std::make_unique<fleet::SharedCooldowns>(
        first.io, fleet->redis, fleet->instance, first.shared_limits->client(),
        std::move(deployment_ids), cooldowns.allowed_fails, cooldowns.cooldown_time,
        [&live_router](std::string_view deployment_id, std::chrono::milliseconds left) {
          const auto current = live_router.current();
          if (const auto index = current->models().index_of(deployment_id))
            current->health().cool(*index, router::Clock::now() + left);
        });
    router->health().report_failures_to(
        [&shared = *shared_cooldowns](const router::Deployment& deployment, bool at_once) {
          shared.failed(deployment.id, at_once);
        });
  }
  // A semantic cache's index learns the entries the other instances store.
  std::unique_ptr<cache::SemanticFeed> semantic_feed;
  if (cache_setup.semantic) {
    Worker& first = *workers.front();
    semantic_feed = std::make_unique<cache::SemanticFeed>(
        first.io, *cache_setup.redis, *first.cache_redis, *cache_setup.semantic,
        cache_setup.settings->semantic.max_entries);
  }
  // A fleet under latency-based-routing routes by every instance's latency figures.
  std::unique_ptr<fleet::SharedLatency> shared_latency;
  if (fleet && router->policy().strategy == router::Strategy::latency_based) {
    Worker& first = *workers.front();
    shared_latency = std::make_unique<fleet::SharedLatency>(
        first.io, fleet->instance, first.shared_limits->client(), live_router);
    shared_latency->start();
  }
  const unsigned short port = workers.front()->listener->port();
  if (!options.port_file.empty()) {
    const std::string temporary = options.port_file + ".tmp";
    std::ofstream(temporary) << port << "\n";
    std::rename(temporary.c_str(), options.port_file.c_str());  // readers never see half a file
  }

  std::string served;
  for (const auto& name : models->model_names()) served += (served.empty() ? "" : ", ") + name;
  const auto startup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  telemetry::log_now("info", "llmux " LLMUX_VERSION " listening on " +
                                 std::string(listener_tls ? "https://" : "http://") + options.host +
                                 ":" + std::to_string(port) + " with " +
                                 std::to_string(worker_count) + " worker(s), config " +
                                 config.source + ", started in " +
                                 std::to_string(static_cast<int>(startup_ms)) + " ms");
  telemetry::log_now("info", "models: " + (served.empty() ? std::string("(none)") : served));

  // Shutdown: the signal lands on worker 0; each worker drains on its own thread, and the last
  // one to finish stops everything. A drain that outlives drain_timeout closes what is left.
  std::atomic<std::size_t> draining_workers{worker_count};
  asio::signal_set signals(workers.front()->io, SIGTERM, SIGINT);
  const auto drain_timeout = std::chrono::milliseconds(
      static_cast<long long>(config.general_settings.drain_timeout_s * 1000));
  asio::steady_timer drain_deadline(workers.front()->io);
  auto stop_all = [&workers] {
    for (auto& worker : workers) {
      asio::post(worker->io, [&worker = *worker] {
        worker.flush_timer->cancel();
        worker.log.flush();
        worker.io.stop();
      });
    }
  };
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    telemetry::log_now("info", std::string("received ") +
                                   (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                                   ": draining in-flight requests");
    for (auto& worker : workers) {
      asio::post(worker->io, [&worker = *worker, &draining_workers, &stop_all] {
        worker.listener->drain([&draining_workers, &stop_all] {
          if (--draining_workers == 0) stop_all();
        });
      });
    }
    drain_deadline.expires_after(drain_timeout);
    drain_deadline.async_wait([&](const boost::system::error_code& timer_ec) {
      if (timer_ec) return;
      telemetry::log_now("warning", "drain timeout reached: closing the remaining connections");
      for (auto& worker : workers) {
        asio::post(worker->io, [&worker = *worker] { worker.listener->close_all(); });
      }
    });
  });

  google_tokens.start(*tls);
  if (store_service) store_service->start();
  if (callback_exporter) callback_exporter->start();
  for (auto& worker : workers) {
    worker->flush_timer = std::make_unique<asio::steady_timer>(worker->io);
    worker->schedule_flush();
    if (worker->shared_limits) worker->shared_limits->start();
    worker->listener->start();
  }
  if (shared.last_health_checks != nullptr) {
    asio::co_spawn(workers.front()->io, workers.front()->gateway.check_health_in_background(),
                   asio::detached);
  }
  for (std::size_t i = 1; i < workers.size(); ++i) {
    workers[i]->thread = std::thread([&worker = *workers[i]] { worker.io.run(); });
  }
  workers.front()->io.run();
  for (std::size_t i = 1; i < workers.size(); ++i) workers[i]->thread.join();
  google_tokens.stop();
  // Every call has been reported: what the callbacks have not sent yet goes now.
  if (callback_exporter) callback_exporter->stop_and_flush();
  // Every request has finished: the last spend is written (or kept in the journal) before exit.
  if (store_service) store_service->stop_and_flush();
  telemetry::log_now("info", "llmux stopped");
  return 0;
}

}  // namespace llmux::app
