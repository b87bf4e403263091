// redis::Subscriber against a real redis-server.
#include "redis/subscriber.hpp"
#include "redis/client.hpp"

#include "redis_server.hpp"

namespace llmux::redis {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::let_time_pass;
using testing::RedisServer;
using testing::run;
using testing::run_until;

struct Listener {
  std::vector<Message> messages;
  int subscriptions = 0;

  Subscription subscription(std::vector<std::string> channels, std::vector<std::string> patterns) {
    return Subscription{
        .channels = std::move(channels),
        .patterns = std::move(patterns),
        .on_message = [this](const Message& message) { messages.push_back(message); },
        .on_subscribed = [this] { ++subscriptions; }};
  }
};

// PUBLISH, returning how many subscribers received the message.
std::int64_t publish(asio::io_context& io, Client& client, std::string_view channel,
                     std::string_view payload) {
  const auto reply = run(io, client.command({"PUBLISH", channel, payload}));
  return reply ? reply->integer : -1;
}

TEST(RedisSubscriber, DeliversMessagesOfChannelsAndPatterns) {
  RedisServer server;
  asio::io_context io;
  Listener listener;
  Subscriber subscriber(io, server.options(),
                        listener.subscription({"llmux:keys", "other"}, {"llmux:cache:*"}));
  run_until(io, [&] { return listener.subscriptions == 1; });
  EXPECT_TRUE(subscriber.stats().connected);

  Client client(io, server.options());
  const std::string binary = "key\0changed\r\n"s;
  EXPECT_EQ(publish(io, client, "llmux:keys", binary), 1);
  EXPECT_EQ(publish(io, client, "llmux:cache:gpt-4o", "flush"), 1);
  EXPECT_EQ(publish(io, client, "unrelated", "nobody listens"), 0);
  run_until(io, [&] { return listener.messages.size() == 2; });
  EXPECT_EQ(listener.messages[0].channel, "llmux:keys");
  EXPECT_EQ(listener.messages[0].pattern, "");
  EXPECT_EQ(listener.messages[0].payload, binary);
  EXPECT_EQ(listener.messages[1].channel, "llmux:cache:gpt-4o");
  EXPECT_EQ(listener.messages[1].pattern, "llmux:cache:*");
  EXPECT_EQ(listener.messages[1].payload, "flush");
  EXPECT_EQ(subscriber.stats().messages, 2u);
}

TEST(RedisSubscriber, SubscribesAgainAfterRedisRestarts) {
  RedisServer server;
  asio::io_context io;
  Options options = server.options();
  options.backoff_min = 20ms;
  options.backoff_max = 100ms;
  Listener listener;
  Subscriber subscriber(io, options, listener.subscription({"llmux:keys"}, {}));
  run_until(io, [&] { return listener.subscriptions == 1; });

  server.kill();
  run_until(io, [&] { return !subscriber.stats().connected; });
  server.start();
  run_until(io, [&] { return listener.subscriptions == 2; });  // told, so it can catch up
  EXPECT_EQ(subscriber.stats().reconnects, 1u);

  Client client(io, server.options());
  EXPECT_EQ(publish(io, client, "llmux:keys", "after the restart"), 1);
  run_until(io, [&] { return listener.messages.size() == 1; });
  EXPECT_EQ(listener.messages[0].payload, "after the restart");
}

TEST(RedisSubscriber, AuthenticatesAndStopsCallingBackOnceDestroyed) {
  RedisServer server({.arguments = {"--requirepass", "sub-s3cret"}});
  asio::io_context io;
  Options options = server.options();
  options.password = "sub-s3cret";
  Listener listener;
  auto subscriber =
      std::make_unique<Subscriber>(io, options, listener.subscription({"llmux:keys"}, {}));
  run_until(io, [&] { return listener.subscriptions == 1; });
  Client client(io, options);
  EXPECT_EQ(publish(io, client, "llmux:keys", "one"), 1);
  run_until(io, [&] { return listener.messages.size() == 1; });

  subscriber.reset();
  // Redis may still count the closing connection; either way nothing reaches the listener.
  publish(io, client, "llmux:keys", "two");
  EXPECT_EQ(run(io, client.command({"PING"}))->text, "PONG");
  EXPECT_EQ(listener.messages.size(), 1u);
}

TEST(RedisSubscriber, RetriesRefusedCredentialsAfterABackoffNotInALoop) {
  RedisServer server({.arguments = {"--requirepass", "sub-s3cret"}});
  asio::io_context io;
  Options options = server.options();
  options.password = "wrong-password";
  options.backoff_min = 50ms;
  options.backoff_max = 100ms;
  Listener listener;
  Subscriber subscriber(io, options, listener.subscription({"llmux:keys"}, {}));
  let_time_pass(io, 300ms);
  const auto stats = subscriber.stats();
  EXPECT_GE(stats.connect_failures, 2u);
  EXPECT_LE(stats.connects, 6u) << "attempts 50, 100, 100 ms apart, not a storm";
  EXPECT_LE(stats.connects - stats.connect_failures, 1u);
  EXPECT_FALSE(stats.connected);
  EXPECT_EQ(listener.subscriptions, 0);
}

}  // namespace
}  // namespace llmux::redis
