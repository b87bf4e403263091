// The response cache as one worker uses it (docs/CACHING.md): which requests it answers, the key of
// each, and where entries live — the process's MemoryStore (`type: local`) or Redis through this
// worker's client (`type: redis`, shared by every instance on that Redis). A Redis that does not
// answer never fails a call: the lookup is a miss, the store is skipped, and both are counted
// (llmux_cache_redis_errors_total) and logged once per outage.
#pragma once

#include "api/request.hpp"
#include "api/usage.hpp"
#include "base/error.hpp"
#include "cache/entry.hpp"
#include "cache/key.hpp"
#include "cache/memory_store.hpp"
#include "cache/redis_store.hpp"
#include "cache/semantic_index.hpp"
#include "cache/semantic_store.hpp"
#include "cache/vector_search.hpp"
#include "config/config.hpp"
#include "telemetry/metrics.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::cache {

namespace asio = boost::asio;

// What one request asks of the cache, decided before any upstream work.
struct Ticket {
  std::string key;  // "<namespace>:<hash>" or "<hash>"
  // Embeddings: each input's key (an answer is made of their entries); empty for other endpoints.
  std::vector<std::string> input_keys;
  bool read = true;                 // may be answered from the cache (not "no-cache")
  bool write = true;                // its answer is stored (not "no-store")
  std::optional<double> ttl_s;      // this answer's lifetime: the request's, else the config's
  std::optional<double> max_age_s;  // "s-maxage": only younger entries answer
  // A semantic cache's (type redis-semantic): the request's scope (scope_key), the text of its
  // prompt, and that text's vector, which the caller sets once it has embedded it (left empty,
  // the request is neither answered from the cache nor stored).
  std::string scope;
  std::string prompt;
  std::vector<float> vector;
};

class ResponseCache {
 public:
  // `memory`: the process's store (local type); `redis`: this worker's client (redis and
  // redis-semantic types). Exactly one of them is set. `semantic`: the process's index
  // (redis-semantic).
  ResponseCache(const config::CacheSettings& settings, MemoryStore* memory, redis::Client* redis,
                telemetry::WorkerMetrics& metrics, SemanticIndex* semantic = nullptr);

  // nullopt when the request is not cached: an endpoint not in supported_call_types, or
  // `mode: default_off` without cache: {use-cache: true}; for a semantic cache, embeddings and a
  // prompt without text. An error for malformed controls.
  Result<std::optional<Ticket>> ticket(api::Endpoint endpoint, std::string_view model_group,
                                       const boost::json::object& body,
                                       const ControlSources& sources = {}) const;
  // The stored answer, when one may answer the ticket (counted as a hit or a miss); for
  // embeddings, made of every input's entry (a miss unless each input has one). `inputs`
  // (embeddings, may be nullptr) receives each input's entry that may answer, nullptr for the
  // others: a miss with some of them is sent upstream for the others alone.
  asio::awaitable<std::shared_ptr<const Entry>> find(
      const Ticket& ticket, std::vector<std::shared_ptr<const Entry>>* inputs = nullptr);
  // A semantic cache: the most similar entry of the ticket's scope, when its similarity reaches
  // similarity_threshold (a hit); else no entry, and the similarity LiteLLM shows for a miss (0).
  // Searched by Redis when it has vector search, else in the process's index.
  asio::awaitable<SemanticMatch> find_similar(const Ticket& ticket);
  bool semantic() const { return semantic_index_ != nullptr; }
  // The ticket's prompt could not be embedded: counted, and logged once until one is again.
  void embedding_failed(const Error& error);
  void embedding_answered();
  // Stores an answer and its usage under the ticket's key (when the ticket writes); for a
  // semantic cache, with the ticket's vector, on Redis for every instance and in this one's index.
  asio::awaitable<void> store(const Ticket& ticket, std::string answer, const api::Usage& usage);

  // The admin routes' work (handlers::CacheRoutes). Redis answers and takes a write: its version
  // ("" when it does not say it); in memory there is nothing to check.
  asio::awaitable<Result<std::string>> check();
  // Deletes the entries under these keys (as x-litellm-cache-key shows them); how many there were.
  asio::awaitable<Result<std::int64_t>> erase(const std::vector<std::string>& keys);
  // Deletes every entry of the cache; how many there were.
  asio::awaitable<Result<std::int64_t>> flush();
  // Redis's CLIENT LIST and INFO (/cache/redis/info); a 503 for the local type, which has none.
  asio::awaitable<Result<RedisStore::ServerReport>> redis_report();
  const config::CacheSettings& settings() const { return settings_; }
  // Where the entries are: Redis's address (type redis), or nullptr (local).
  const redis::Options* redis_options() const { return redis_ ? &redis_->options() : nullptr; }

 private:
  // The entries under `keys`: nullptr where there is none, everywhere when Redis did not answer.
  asio::awaitable<std::vector<std::shared_ptr<const Entry>>> get(
      const std::vector<std::string>& keys, std::int64_t now_ms);
  asio::awaitable<void> put(std::vector<std::pair<std::string, Entry>> entries,
                            const Ticket& ticket, std::int64_t now_ms);
  std::int64_t expires_at_ms(const Ticket& ticket, std::int64_t now_ms) const;
  asio::awaitable<void> put_similar(const Ticket& ticket, Entry entry, std::int64_t now_ms);
  // Whether the semantic entries are on Redis's vector search (asked once); false, the process's
  // own index, while Redis has not answered.
  asio::awaitable<bool> on_vector_search();
  void redis_failed(const Error& error);
  void redis_answered();

  const config::CacheSettings& settings_;
  MemoryStore* memory_;
  std::optional<RedisStore> redis_;
  std::optional<SemanticStore> semantic_store_;
  std::optional<VectorSearch> vector_search_;
  SemanticIndex* semantic_index_;
  telemetry::WorkerMetrics& metrics_;
  bool redis_away_ = false;      // logged once per outage
  bool embedding_away_ = false;  // logged once per outage
};

// Unix time in milliseconds: entries are dated in it, so instances on one Redis agree.
std::int64_t unix_millis();

}  // namespace llmux::cache
