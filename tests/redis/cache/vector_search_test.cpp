// Which way the semantic cache keeps its entries, against a real redis-server: Debian's has no
// search module, so VectorSearch finds no FT.SEARCH and the cache stores in the stream that each
// instance indexes (the FT.SEARCH path's commands and replies: tests/unit/cache/).
#include "cache/vector_search.hpp"
#include "cache/response_cache.hpp"

#include "../redis_server.hpp"

#include <boost/json/parse.hpp>

namespace llmux::cache {
namespace {

using redis::testing::RedisServer;
using redis::testing::run;

TEST(VectorSearch, ARedisWithoutTheSearchModuleHasNoVectorSearch) {
  RedisServer server;
  asio::io_context io;
  redis::Client client(io, server.options());
  VectorSearch search(client, "llmux_semantic_cache_index");
  auto available = run(io, search.available());
  ASSERT_TRUE(available) << available.error().message;
  EXPECT_FALSE(*available);
}

TEST(VectorSearch, WithoutItTheSemanticCacheStoresInTheStreamAndAnswersFromTheIndex) {
  RedisServer server;
  asio::io_context io;
  redis::Client client(io, server.options());
  config::CacheSettings settings{.type = config::CacheType::redis_semantic};
  settings.semantic.similarity_threshold = 0.9;
  telemetry::Metrics metrics;
  SemanticIndex index(16);
  ResponseCache cache(settings, nullptr, &client, metrics.add_worker(), &index);

  const auto body =
      boost::json::parse(R"({"model":"gpt","messages":[{"role":"user","content":"hi"}]})")
          .as_object();
  auto ticket = cache.ticket(api::Endpoint::chat_completions, "gpt", body);
  ASSERT_TRUE(ticket && *ticket);
  Ticket embedded = **ticket;
  embedded.vector = {1, 0};
  run(io, [&]() -> asio::awaitable<bool> {
    co_await cache.store(embedded, R"({"answer":1})", api::Usage{});
    co_return true;
  }());
  EXPECT_EQ(index.size(), 1u);
  auto length = run(io, client.command({"XLEN", SemanticStore::kStream}));
  ASSERT_TRUE(length);
  EXPECT_EQ(length->integer, 1);

  embedded.vector = {0.99f, 0.1f};
  const SemanticMatch match = run(io, cache.find_similar(embedded));
  ASSERT_TRUE(match.entry);
  EXPECT_EQ(match.entry->answer, R"({"answer":1})");
  EXPECT_GT(match.similarity, 0.99);
}

}  // namespace
}  // namespace llmux::cache
