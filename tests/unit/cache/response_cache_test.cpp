#include "cache/response_cache.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace llmux::cache
