// cache::SemanticFeed (the semantic cache's entries read by every instance) against a real
// redis-server restarted under it.
#include "cache/semantic_feed.hpp"

#include "../redis_server.hpp"

namespace llmux::cache {
namespace {

using namespace std::chrono_literals;
using redis::testing::RedisServer;
using redis::testing::run;
using redis::testing::run_until;

SemanticRecord record_of(std::string answer, std::vector<float> vector) {
  return SemanticRecord{.scope = "scope",
                        .vector = std::move(vector),
                        .entry = Entry{.answer = std::move(answer), .stored_at_ms = 1}};
}

// Redis comes back while the feed's reader (the worker's client) still waits out the backoff of
// its failed reconnect: the feed subscribes again at once, and its read then fails, as does the
// one the other instance's announcement asks for. The record that instance stored meanwhile is
// read once the reader dials again.
TEST(SemanticFeed, ReadsWhatWasStoredWhileItsReaderWaitedOutABackoff) {
  RedisServer server;
  asio::io_context io;
  redis::Options quick = server.options();
  quick.backoff_min = 20ms;
  quick.backoff_max = 100ms;
  redis::Options slow = server.options();
  slow.backoff_min = 2s;
  slow.backoff_max = 2s;
  redis::Client reader(io, slow);
  SemanticIndex index(16);
  SemanticFeed feed(io, quick, reader, index, 16);
  redis::Client writer(io, server.options());
  SemanticStore other_instance(writer, 16);

  ASSERT_TRUE(run(io, other_instance.append(record_of("before", {1, 0}))));
  run_until(io, [&] { return index.size() == 1; });

  server.kill();
  run_until(io, [&] { return !writer.stats().connected && !reader.stats().connected; });
  ASSERT_FALSE(run(io, reader.command({"PING"})));  // the reader waits 2 s before dialing again
  server.start();                                   // fresh and empty
  ASSERT_TRUE(run(io, other_instance.append(record_of("after", {0, 1}))));
  run_until(
      io, [&] { return index.size() == 2; }, 10s);
  const auto match = index.nearest("scope", std::vector<float>{0, 1}, 2);
  ASSERT_TRUE(match);
  EXPECT_EQ(match->entry->answer, "after");
}

}  // namespace
}  // namespace llmux::cache
