#include "cache/response_cache.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace llmux::cache {
namespace {

namespace json = boost::json;

// A ResponseCache of type local, and a way to run its coroutines to their end.
class LocalCache : public ::testing::Test {
 protected:
  template <class T>
  T run(asio::awaitable<T> work) {
    T result{};
    asio::io_context io;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await std::move(work); }, asio::detached);
    io.run();
    return result;
  }
  void run(asio::awaitable<void> work) {
    asio::io_context io;
    asio::co_spawn(io, std::move(work), asio::detached);
    io.run();
  }

  Ticket ticket_for(std::string_view content, const ControlSources& sources = {}) {
    const json::object body =
        json::parse(R"({"model":"gpt","messages":[{"role":"user","content":")" +
                    std::string(content) + R"("}]})")
            .as_object();
    auto ticket = cache.ticket(api::Endpoint::chat_completions, "gpt", body, sources);
    EXPECT_TRUE(ticket && *ticket);
    return **ticket;
  }
  void store(const Ticket& ticket) { run(cache.store(ticket, R"({"answer":1})", api::Usage{})); }
  bool found(const Ticket& ticket) { return run(cache.find(ticket)) != nullptr; }

  config::CacheSettings settings{.type = config::CacheType::local};
  telemetry::Metrics metrics;
  MemoryStore memory{1u << 20};
  ResponseCache cache{settings, &memory, nullptr, metrics.add_worker()};
};

TEST_F(LocalCache, EraseTakesOutTheNamedEntriesOnly) {
  const Ticket first = ticket_for("first");
  const Ticket second = ticket_for("second");
  store(first);
  store(second);
  auto erased = run(cache.erase({first.key, "not-a-key"}));
  ASSERT_TRUE(erased);
  EXPECT_EQ(*erased, 1);
  EXPECT_FALSE(found(first));
  EXPECT_TRUE(found(second));
}

TEST_F(LocalCache, FlushTakesOutEveryEntry) {
  store(ticket_for("one"));
  store(ticket_for("two"));
  auto flushed = run(cache.flush());
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 2);
  EXPECT_EQ(memory.size(), 0u);
  auto again = run(cache.flush());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

TEST_F(LocalCache, CheckHasNothingToAskInMemory) {
  auto checked = run(cache.check());
  ASSERT_TRUE(checked);
  EXPECT_EQ(*checked, "");
  EXPECT_EQ(cache.redis_options(), nullptr);
}

TEST_F(LocalCache, TheCacheControlHeadersLifetimeIsTheEntrysExpiry) {
  const Ticket expired = ticket_for("header", {.cache_control = "s-maxage=0"});
  EXPECT_EQ(expired.ttl_s, 0);
  store(expired);
  EXPECT_FALSE(found(expired)) << "an entry that lives 0 s is gone when it is next read";
  const Ticket kept = ticket_for("header", {.cache_control = "s-maxage=60"});
  store(kept);
  EXPECT_TRUE(found(kept));
}

// A redis-semantic cache's lookups, which need no Redis: its index, the threshold, the scope.
class SemanticCache : public ::testing::Test {
 protected:
  SemanticCache() {
    settings.semantic.similarity_threshold = 0.8;
    index.add("1-0", scope_of(R"({"model":"gpt","messages":[]})"), std::vector<float>{1, 0},
              Entry{.answer = "stored", .stored_at_ms = unix_millis()}, 0);
  }
  static std::string scope_of(std::string_view text) {
    return scope_key(api::Endpoint::chat_completions, "gpt", json::parse(text).as_object(), "");
  }
  std::optional<Ticket> ticket_for(api::Endpoint endpoint, std::string_view text) {
    auto ticket = cache.ticket(endpoint, "gpt", json::parse(text).as_object());
    EXPECT_TRUE(ticket);
    return *ticket;
  }

  SemanticMatch similar(const Ticket& ticket) {
    SemanticMatch match;
    asio::io_context io;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { match = co_await cache.find_similar(ticket); },
        asio::detached);
    io.run();
    return match;
  }

  Result<std::int64_t> run_erase() {
    Result<std::int64_t> result = std::int64_t{-1};
    const std::vector<std::string> keys{"any-key"};
    asio::io_context io;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { result = co_await cache.erase(keys); },
        asio::detached);
    io.run();
    return result;
  }

  config::CacheSettings settings{.type = config::CacheType::redis_semantic};
  telemetry::Metrics metrics;
  SemanticIndex index{8};
  ResponseCache cache{settings, nullptr, nullptr, metrics.add_worker(), &index};
};

TEST_F(SemanticCache, ATicketCarriesThePromptAndTheScopeOfTheOtherFields) {
  const auto ticket = ticket_for(api::Endpoint::chat_completions,
                                 R"({"model":"gpt","messages":[{"role":"user","content":"Hi"}]})");
  ASSERT_TRUE(ticket);
  EXPECT_EQ(ticket->prompt, "Hi");
  EXPECT_EQ(ticket->scope, scope_of(R"({"model":"gpt","messages":[]})"));
  EXPECT_TRUE(ticket->vector.empty());
  // Embeddings are not cached by a semantic cache, nor a prompt without text.
  EXPECT_FALSE(ticket_for(api::Endpoint::embeddings, R"({"model":"gpt","input":"Hi"})"));
  EXPECT_FALSE(ticket_for(api::Endpoint::chat_completions, R"({"model":"gpt","messages":[]})"));
}

TEST_F(SemanticCache, AHitNeedsTheThresholdAndTheScope) {
  auto ticket = *ticket_for(api::Endpoint::chat_completions,
                            R"({"model":"gpt","messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_FALSE(similar(ticket).entry) << "not embedded: no lookup";
  ticket.vector = {0.9f, 0.3f};  // cos = 0.949
  const SemanticMatch hit = similar(ticket);
  ASSERT_TRUE(hit.entry);
  EXPECT_EQ(hit.entry->answer, "stored");
  EXPECT_NEAR(hit.similarity, 0.9 / std::sqrt(0.9), 1e-6);
  ticket.vector = {0.6f, 0.8f};  // cos = 0.6
  const SemanticMatch miss = similar(ticket);
  EXPECT_FALSE(miss.entry);
  EXPECT_EQ(miss.similarity, 0.0);
  ticket.vector = {1, 0};
  ticket.scope = scope_of(R"({"model":"gpt","messages":[],"temperature":1})");
  EXPECT_FALSE(similar(ticket).entry);
  ticket.scope = scope_of(R"({"model":"gpt","messages":[]})");
  ticket.read = false;  // no-cache
  EXPECT_FALSE(similar(ticket).entry);
}

TEST_F(SemanticCache, DeleteByKeyLeavesSemanticEntries) {
  auto erased = run_erase();
  ASSERT_TRUE(erased);
  EXPECT_EQ(*erased, 0);
  EXPECT_EQ(index.size(), 1u);
}

}  // namespace
}  // namespace llmux::cache
