// LiteLLM's cache admin routes (docs/CACHING.md): GET /cache/ping (is the cache's store there,
// and how the cache is configured, its password never shown), POST /cache/delete ({"keys": […]}:
// entries by the x-litellm-cache-key their answers carried), POST /cache/flushall (every entry
// of the cache) and GET /cache/redis/info (Redis's clients and INFO). The master key only. One per
// worker, over that worker's response cache.
#pragma once

#include "cache/response_cache.hpp"
#include "handlers/callers.hpp"
#include "server/routes.hpp"

#include <string_view>

namespace llmux::handlers {

namespace asio = boost::asio;

class CacheRoutes {
 public:
  // cache: this worker's; nullptr when the config has none (each route is then a 503).
  CacheRoutes(Callers& callers, cache::ResponseCache* cache) : callers_(callers), cache_(cache) {}

  void add_to(server::Routes& routes);

 private:
  using Work = asio::awaitable<void> (CacheRoutes::*)(server::Exchange&, cache::ResponseCache&);
  // The gate in front of each route: a known caller, the master key, a cache; then `work`.
  asio::awaitable<void> serve(server::Exchange& exchange, std::string_view route, Work work);
  asio::awaitable<void> ping(server::Exchange& exchange, cache::ResponseCache& cache);
  asio::awaitable<void> erase(server::Exchange& exchange, cache::ResponseCache& cache);
  asio::awaitable<void> flush(server::Exchange& exchange, cache::ResponseCache& cache);
  asio::awaitable<void> redis_info(server::Exchange& exchange, cache::ResponseCache& cache);

  Callers& callers_;
  cache::ResponseCache* cache_;
};

}  // namespace llmux::handlers
