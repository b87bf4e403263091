#include "handlers/cache_routes.hpp"

#include "admin/fields.hpp"
#include "admin/management.hpp"
#include "admin/rules.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace llmux::handlers {

namespace json = boost::json;
using verb = server::http::verb;

namespace {

// The configuration as LiteLLM's /cache/ping shows it in `litellm_cache_params`.
json::object cache_params(const config::CacheSettings& settings) {
  json::array call_types;
  const auto add = [&](bool on, std::string_view sync, std::string_view async) {
    if (!on) return;
    call_types.emplace_back(sync);
    call_types.emplace_back(async);
  };
  add(settings.chat_completions, "completion", "acompletion");
  add(settings.completions, "text_completion", "atext_completion");
  add(settings.embeddings, "embedding", "aembedding");
  json::object params;
  params["type"] = settings.type == config::CacheType::local            ? "local"
                   : settings.type == config::CacheType::redis_semantic ? "redis-semantic"
                                                                        : "redis";
  params["mode"] = settings.default_off ? "default_off" : "default_on";
  params["supported_call_types"] = std::move(call_types);
  if (!settings.key_namespace.empty()) params["namespace"] = settings.key_namespace;
  if (settings.ttl_s) params["ttl"] = *settings.ttl_s;
  return params;
}

// Where Redis is, as `health_check_cache_params` shows it: never its password.
json::object redis_params(const redis::Options& options, const config::CacheSettings& settings) {
  json::object params;
  params["redis_host"] = options.host;
  params["redis_port"] = options.port;
  params["redis_db"] = options.database;
  params["ssl"] = options.tls;
  if (!settings.key_namespace.empty()) params["namespace"] = settings.key_namespace;
  return params;
}

asio::awaitable<void> respond_json(server::Exchange& exchange, const json::object& answer) {
  co_await exchange.respond(200, json::serialize(answer));
}

}  // namespace

void CacheRoutes::add_to(server::Routes& routes) {
  const auto route = [&](verb method, std::string_view path, Work work) {
    routes.add({method}, path, [this, path, work](server::Exchange& exchange, std::string_view) {
      return serve(exchange, path, work);
    });
  };
  route(verb::get, "/cache/ping", &CacheRoutes::ping);
  route(verb::post, "/cache/delete", &CacheRoutes::erase);
  route(verb::post, "/cache/flushall", &CacheRoutes::flush);
  route(verb::get, "/cache/redis/info", &CacheRoutes::redis_info);
}

asio::awaitable<void> CacheRoutes::serve(server::Exchange& exchange, std::string_view route,
                                         Work work) {
  auto caller = callers_.identify(exchange);
  if (!caller) co_return co_await admin::fail(exchange, caller.error());
  if (!caller->admin) co_return co_await admin::fail(exchange, admin::admin_only(route));
  if (!cache_) {
    const Error none = make_error(
        ErrorKind::unavailable, "Cache not initialized: the config has no litellm_settings.cache.");
    co_return co_await admin::fail(exchange, none);
  }
  co_await (this->*work)(exchange, *cache_);
}

asio::awaitable<void> CacheRoutes::ping(server::Exchange& exchange, cache::ResponseCache& cache) {
  const config::CacheSettings& settings = cache.settings();
  const json::object params = cache_params(settings);
  auto version = co_await cache.check();
  const redis::Options* redis = cache.redis_options();
  json::object health;
  if (redis) health = redis_params(*redis, settings);
  if (!version) {
    // As LiteLLM answers: the error's message is a JSON text of what went wrong and the settings.
    const json::object details{{"message", "Service Unhealthy (" + version.error().message + ")"},
                               {"litellm_cache_params", params},
                               {"health_check_cache_params", health}};
    const Error unhealthy = make_error(ErrorKind::unavailable, json::serialize(details));
    co_return co_await admin::fail(exchange, unhealthy);
  }
  json::object answer{{"status", "healthy"},
                      {"cache_type", params.at("type")},
                      {"litellm_cache_params", json::serialize(params)}};
  if (redis) {
    if (!version->empty()) health["redis_version"] = *version;
    answer["ping_response"] = true;
    answer["set_cache_response"] = "success";
    answer["health_check_cache_params"] = std::move(health);
  }
  co_await respond_json(exchange, answer);
}

asio::awaitable<void> CacheRoutes::erase(server::Exchange& exchange, cache::ResponseCache& cache) {
  auto fields = admin::FieldReader::from_body(exchange.request().body());
  std::optional<std::vector<std::string>> keys = fields.strings("keys");
  if (!fields.error() && !keys) {
    const Error missing = make_error(ErrorKind::invalid_request,
                                     "keys is required: the cache keys to delete, as the "
                                     "x-litellm-cache-key header shows them.",
                                     "keys");
    fields.refuse(missing);
  }
  if (fields.error()) co_return co_await admin::fail(exchange, *fields.error());
  auto erased = co_await cache.erase(*keys);
  if (!erased) co_return co_await admin::fail(exchange, erased.error());
  const json::object answer{{"status", "success"}, {"deleted", *erased}};
  co_await respond_json(exchange, answer);
}

asio::awaitable<void> CacheRoutes::flush(server::Exchange& exchange, cache::ResponseCache& cache) {
  auto flushed = co_await cache.flush();
  if (!flushed) co_return co_await admin::fail(exchange, flushed.error());
  const json::object answer{{"status", "success"}, {"deleted", *flushed}};
  co_await respond_json(exchange, answer);
}

// LiteLLM's answer: Redis's clients and its INFO, as redis-py parses them.
asio::awaitable<void> CacheRoutes::redis_info(server::Exchange& exchange,
                                              cache::ResponseCache& cache) {
  auto report = co_await cache.redis_report();
  if (!report) co_return co_await admin::fail(exchange, report.error());
  json::array clients = cache::parse_client_list(report->clients);
  const auto count = static_cast<std::int64_t>(clients.size());
  const json::object answer{{"num_clients", count},
                            {"clients", std::move(clients)},
                            {"info", cache::parse_info(report->info)}};
  co_await respond_json(exchange, answer);
}

}  // namespace llmux::handlers
