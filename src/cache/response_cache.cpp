#include "cache/response_cache.hpp"

#include "cache/embedding_answer.hpp"
#include "cache/key.hpp"
#include "telemetry/log.hpp"

#include <algorithm>
#include <chrono>

namespace llmux::cache {

namespace {

// LiteLLM's in-memory cache keeps an entry 600 s when nothing says otherwise.
constexpr double kDefaultMemoryTtlSeconds = 600;
// A semantic cache's index holds its answers in memory: a larger one is not stored.
constexpr std::size_t kMaxSemanticAnswerBytes = 1 << 20;

bool cached_endpoint(const config::CacheSettings& settings, api::Endpoint endpoint) {
  switch (endpoint) {
    case api::Endpoint::chat_completions: return settings.chat_completions;
    case api::Endpoint::completions: return settings.completions;
    case api::Endpoint::embeddings: return settings.embeddings;
    default: return false;
  }
}

// On Redis, an entry's lifetime is the ticket's alone (none: no expiry).
std::optional<std::int64_t> ttl_millis(const Ticket& ticket) {
  if (!ticket.ttl_s) return std::nullopt;
  return static_cast<std::int64_t>(*ticket.ttl_s * 1000);
}

}  // namespace

std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ResponseCache::ResponseCache(const config::CacheSettings& settings, MemoryStore* memory,
                             redis::Client* redis, telemetry::WorkerMetrics& metrics,
                             SemanticIndex* semantic)
    : settings_(settings), memory_(memory), semantic_index_(semantic), metrics_(metrics) {
  if (redis) redis_.emplace(*redis);
  if (redis && semantic) {
    semantic_store_.emplace(*redis, settings.semantic.max_entries);
    vector_search_.emplace(*redis, settings.semantic.index_name);
  }
}

Result<std::optional<Ticket>> ResponseCache::ticket(api::Endpoint endpoint,
                                                    std::string_view model_group,
                                                    const boost::json::object& body,
                                                    const ControlSources& sources) const {
  if (!cached_endpoint(settings_, endpoint)) return std::optional<Ticket>();
  auto controls = read_controls(body, sources);
  if (!controls) return controls.error();
  if (settings_.default_off && !controls->use_cache) return std::optional<Ticket>();
  const std::string_view key_namespace = controls->key_namespace.empty()
                                             ? std::string_view(settings_.key_namespace)
                                             : controls->key_namespace;
  Ticket ticket{.key = answer_key(endpoint, model_group, body, key_namespace),
                .read = !controls->no_cache,
                .write = !controls->no_store,
                .ttl_s = controls->ttl_s ? controls->ttl_s : settings_.ttl_s,
                .max_age_s = controls->max_age_s};
  if (semantic()) {
    if (endpoint == api::Endpoint::embeddings) return std::optional<Ticket>();
    ticket.prompt = prompt_text(endpoint, body);
    if (ticket.prompt.empty()) return std::optional<Ticket>();
    ticket.scope = scope_key(endpoint, model_group, body, key_namespace);
  } else if (endpoint == api::Endpoint::embeddings) {
    const auto inputs = embedding_inputs(body);
    if (inputs.empty()) return std::optional<Ticket>();
    for (const boost::json::value* input : inputs)
      ticket.input_keys.push_back(embedding_key(model_group, body, *input, key_namespace));
  }
  return std::optional<Ticket>(std::move(ticket));
}

asio::awaitable<std::shared_ptr<const Entry>> ResponseCache::find(
    const Ticket& ticket, std::vector<std::shared_ptr<const Entry>>* inputs) {
  if (!ticket.read) co_return nullptr;
  const std::int64_t now = unix_millis();
  const bool embeddings = !ticket.input_keys.empty();
  const std::vector<std::string> single{embeddings ? std::string() : ticket.key};
  auto found = co_await get(embeddings ? ticket.input_keys : single, now);
  for (auto& entry : found) {
    if (entry && !young_enough(*entry, ticket.max_age_s, now)) entry.reset();
  }
  const bool all = std::all_of(found.begin(), found.end(), [](const auto& entry) { return entry; });
  if (inputs && embeddings) *inputs = found;
  std::shared_ptr<const Entry> entry;
  if (all && embeddings) {
    entry = std::make_shared<const Entry>(join_embeddings(found));
  } else if (all) {
    entry = std::move(found.front());
  }
  metrics_.cache_lookup(entry ? telemetry::CacheLookup::hit : telemetry::CacheLookup::miss);
  co_return entry;
}

asio::awaitable<SemanticMatch> ResponseCache::find_similar(const Ticket& ticket) {
  if (!ticket.read || ticket.vector.empty()) co_return SemanticMatch{};
  const std::int64_t now = unix_millis();
  std::optional<SemanticMatch> match;
  if (co_await on_vector_search()) {
    auto found = co_await vector_search_->nearest(ticket.scope, ticket.vector);
    if (found) {
      redis_answered();
      match = std::move(*found);
      if (match && !young_enough(*match->entry, ticket.max_age_s, now)) match.reset();
    } else {
      redis_failed(found.error());
    }
  } else {
    match = semantic_index_->nearest(ticket.scope, ticket.vector, now, ticket.max_age_s);
  }
  const bool hit = match && match->similarity >= settings_.semantic.similarity_threshold;
  metrics_.cache_lookup(hit ? telemetry::CacheLookup::hit : telemetry::CacheLookup::miss);
  co_return hit ? std::move(*match) : SemanticMatch{};
}

asio::awaitable<bool> ResponseCache::on_vector_search() {
  if (!vector_search_) co_return false;  // no Redis (unit tests)
  auto available = co_await vector_search_->available();
  if (!available) {
    redis_failed(available.error());
    co_return false;
  }
  co_return *available;
}

asio::awaitable<void> ResponseCache::store(const Ticket& ticket, std::string answer,
                                           const api::Usage& usage) {
  if (!ticket.write) co_return;
  const std::int64_t now = unix_millis();
  if (semantic()) {
    // A named entry: GCC 12 miscompiles a braced temporary holding strings in a co_await.
    Entry entry{.answer = std::move(answer),
                .stored_at_ms = now,
                .prompt_tokens = usage.prompt_tokens,
                .completion_tokens = usage.completion_tokens};
    co_return co_await put_similar(ticket, std::move(entry), now);
  }
  std::vector<std::pair<std::string, Entry>> entries;
  if (ticket.input_keys.empty()) {
    entries.emplace_back(ticket.key, Entry{.answer = std::move(answer),
                                           .stored_at_ms = now,
                                           .prompt_tokens = usage.prompt_tokens,
                                           .completion_tokens = usage.completion_tokens});
  } else {
    auto pieces = split_embeddings(answer, ticket.input_keys.size(), usage.prompt_tokens, now);
    if (!pieces) co_return;
    for (std::size_t i = 0; i < pieces->size(); ++i)
      entries.emplace_back(ticket.input_keys[i], std::move((*pieces)[i]));
  }
  co_await put(std::move(entries), ticket, now);
}

asio::awaitable<std::vector<std::shared_ptr<const Entry>>> ResponseCache::get(
    const std::vector<std::string>& keys, std::int64_t now_ms) {
  std::vector<std::shared_ptr<const Entry>> entries(keys.size());
  if (memory_) {
    for (std::size_t i = 0; i < keys.size(); ++i) entries[i] = memory_->get(keys[i], now_ms);
    co_return entries;
  }
  auto found = co_await redis_->get(keys);
  if (!found) {
    redis_failed(found.error());
    co_return entries;
  }
  redis_answered();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if ((*found)[i]) entries[i] = std::make_shared<const Entry>(std::move(*(*found)[i]));
  }
  co_return entries;
}

asio::awaitable<void> ResponseCache::put(std::vector<std::pair<std::string, Entry>> entries,
                                         const Ticket& ticket, std::int64_t now_ms) {
  if (memory_) {
    bool stored = true;
    for (auto& [key, entry] : entries)
      stored &= memory_->put(std::move(key), std::move(entry), expires_at_ms(ticket, now_ms));
    if (stored) metrics_.cache_stored();
    co_return;
  }
  auto stored = co_await redis_->put(std::move(entries), ttl_millis(ticket));
  if (!stored) co_return redis_failed(stored.error());
  redis_answered();
  metrics_.cache_stored();
}

asio::awaitable<void> ResponseCache::put_similar(const Ticket& ticket, Entry entry,
                                                 std::int64_t now_ms) {
  if (ticket.vector.empty() || entry.answer.size() > kMaxSemanticAnswerBytes) co_return;
  if (co_await on_vector_search()) {
    auto added = co_await vector_search_->add(ticket.key, ticket.scope, ticket.vector, entry,
                                              ttl_millis(ticket));
    if (!added) co_return redis_failed(added.error());
    redis_answered();
    co_return metrics_.cache_stored();
  }
  SemanticRecord record{.scope = ticket.scope,
                        .vector = ticket.vector,
                        .entry = std::move(entry),
                        .expires_at_ms = ticket.ttl_s ? expires_at_ms(ticket, now_ms) : 0};
  auto id = co_await semantic_store_->append(record);
  if (!id) co_return redis_failed(id.error());
  redis_answered();
  metrics_.cache_stored();
  // The other instances read it from Redis; this one has it at once.
  semantic_index_->add(std::move(*id), std::move(record.scope), record.vector,
                       std::move(record.entry), record.expires_at_ms);
}

void ResponseCache::embedding_failed(const Error& error) {
  metrics_.cache_embedding_failed();
  if (embedding_away_) return;
  embedding_away_ = true;
  telemetry::log_now("warning", "semantic cache: the prompt was not embedded (" + error.message +
                                    "); calls go upstream uncached until one is");
}

void ResponseCache::embedding_answered() {
  if (!embedding_away_) return;
  embedding_away_ = false;
  telemetry::log_now("info", "semantic cache: prompts are embedded again");
}

std::int64_t ResponseCache::expires_at_ms(const Ticket& ticket, std::int64_t now_ms) const {
  const double ttl_s = ticket.ttl_s.value_or(kDefaultMemoryTtlSeconds);
  return now_ms + static_cast<std::int64_t>(ttl_s * 1000);
}

asio::awaitable<Result<std::string>> ResponseCache::check() {
  if (memory_) co_return std::string();
  auto version = co_await redis_->check();
  if (!version)
    redis_failed(version.error());
  else
    redis_answered();
  co_return version;
}

asio::awaitable<Result<std::int64_t>> ResponseCache::erase(const std::vector<std::string>& keys) {
  // A semantic cache's entries have no key of their own: only /cache/flushall deletes them.
  if (semantic()) co_return std::int64_t{0};
  if (memory_) {
    std::int64_t erased = 0;
    for (const std::string& key : keys) erased += memory_->erase(key) ? 1 : 0;
    co_return erased;
  }
  auto erased = co_await redis_->erase(keys);
  if (!erased)
    redis_failed(erased.error());
  else
    redis_answered();
  co_return erased;
}

asio::awaitable<Result<std::int64_t>> ResponseCache::flush() {
  if (memory_) {
    const auto entries = static_cast<std::int64_t>(memory_->size());
    memory_->clear();
    co_return entries;
  }
  Result<std::int64_t> flushed = std::int64_t{0};
  const bool vector_search = semantic() ? co_await on_vector_search() : false;
  if (vector_search) {
    flushed = co_await vector_search_->flush();
  } else if (semantic()) {
    flushed = co_await semantic_store_->flush();
    // The other instances clear theirs when they hear of it.
    if (flushed) semantic_index_->clear();
  } else {
    flushed = co_await redis_->flush();
  }
  if (!flushed)
    redis_failed(flushed.error());
  else
    redis_answered();
  co_return flushed;
}

asio::awaitable<Result<RedisStore::ServerReport>> ResponseCache::redis_report() {
  if (!redis_) {
    co_return make_error(ErrorKind::unavailable,
                         "Service Unhealthy (cache type local has no Redis to report on)");
  }
  auto report = co_await redis_->report();
  if (!report)
    redis_failed(report.error());
  else
    redis_answered();
  co_return report;
}

void ResponseCache::redis_failed(const Error& error) {
  metrics_.cache_redis_failed();
  if (redis_away_) return;
  redis_away_ = true;
  telemetry::log_now("warning", "response cache: Redis did not answer (" + error.message +
                                    "); calls go upstream uncached until it does");
}

void ResponseCache::redis_answered() {
  if (!redis_away_) return;
  redis_away_ = false;
  telemetry::log_now("info", "response cache: Redis answers again");
}

}  // namespace llmux::cache
