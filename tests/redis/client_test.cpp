// redis::Client against a real redis-server.
#include "redis/client.hpp"

#include "redis_server.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace llmux::redis {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using testing::let_time_pass;
using testing::RedisServer;
using testing::run;
using testing::run_until;

// One command, run to completion.
Result<Reply> call(asio::io_context& io, Client& client, Command command) {
  return run(io, client.command(std::move(command)));
}

// Starts `command` in a coroutine of its own; its outcome lands in `outcome`.
void start(asio::io_context& io, Client& client, Command command,
           std::optional<Result<Reply>>& outcome) {
  asio::co_spawn(
      io,
      [&client, &outcome, command = std::move(command)]() -> asio::awaitable<void> {
        outcome = co_await client.command(command);
      },
      asio::detached);
}

std::vector<std::string> texts(const Reply& reply) {
  std::vector<std::string> texts;
  for (const Reply& element : reply.elements)
    texts.push_back(element.is_string() ? element.text : "?");
  return texts;
}

TEST(RedisClient, RunsCommandsAndKeepsValuesBinarySafe) {
  RedisServer server;
  asio::io_context io;
  Client client(io, server.options());
  const std::string key = "bin\r\nkey\0"s;
  const std::string value = "a\r\nb\0c$3\r\n"s + std::string(100000, 'x');
  EXPECT_EQ(call(io, client, {"SET", key, value})->text, "OK");
  const auto got = call(io, client, {"GET", key});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->type, Reply::Type::bulk);
  EXPECT_EQ(got->text, value);
  EXPECT_TRUE(call(io, client, {"GET", "missing"})->is_null());
  EXPECT_EQ(call(io, client, {"INCRBY", "counter", "3"})->integer, 3);
  EXPECT_EQ(call(io, client, {"RPUSH", "list", "a", "", "c"})->integer, 3);
  EXPECT_EQ(texts(*call(io, client, {"LRANGE", "list", "0", "-1"})),
            (std::vector<std::string>{"a", "", "c"}));
  // A Redis error is a reply like any other, not a failure of the client.
  const auto refused = call(io, client, {"INCR", key});
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->is_error());
  EXPECT_TRUE(refused->text.starts_with("ERR")) << refused->text;

  const auto stats = client.stats();
  EXPECT_TRUE(stats.connected);
  EXPECT_EQ(stats.connects, 1u);
  EXPECT_EQ(stats.commands, 7u);
  EXPECT_EQ(stats.failures, 0u);
}

TEST(RedisClient, SendsABatchInOneWriteAndMultiExecInItIsATransaction) {
  RedisServer server;
  asio::io_context io;
  Client client(io, server.options());
  ASSERT_TRUE(call(io, client, {"PING"}));
  const auto before = client.stats();
  std::vector<Command> transaction{{"MULTI"}, {"INCR", "c"}, {"INCRBY", "c", "5"}, {"EXEC"}};
  const auto replies = run(io, client.batch(std::move(transaction)));
  ASSERT_TRUE(replies);
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[0].text, "OK");
  EXPECT_EQ((*replies)[1].text, "QUEUED");
  EXPECT_EQ((*replies)[2].text, "QUEUED");
  ASSERT_EQ((*replies)[3].elements.size(), 2u);
  EXPECT_EQ((*replies)[3].elements[0].integer, 1);
  EXPECT_EQ((*replies)[3].elements[1].integer, 6);
  EXPECT_EQ(client.stats().writes - before.writes, 1u);
  EXPECT_EQ(client.stats().commands - before.commands, 4u);
  EXPECT_TRUE(run(io, client.batch({}))->empty());
}

TEST(RedisClient, PipelinesTheCommandsOfConcurrentCoroutinesOnOneConnection) {
  RedisServer server;
  asio::io_context io;
  Client client(io, server.options());
  ASSERT_TRUE(call(io, client, {"PING"}));
  const auto before = client.stats();
  constexpr int kCoroutines = 1000;
  int matched = 0;
  int finished = 0;
  for (int i = 0; i < kCoroutines; ++i) {
    asio::co_spawn(
        io,
        [&client, &matched, &finished, i]() -> asio::awaitable<void> {
          const std::string mine = "reply-" + std::to_string(i);
          // A temporary argument in the co_await expression (GCC 12's weak spot; ASan-checked).
          const auto reply = co_await client.command({"ECHO", "reply-" + std::to_string(i)});
          if (reply && reply->text == mine) ++matched;
          ++finished;
        },
        asio::detached);
  }
  run_until(io, [&] { return finished == kCoroutines; });
  EXPECT_EQ(matched, kCoroutines);  // every reply reached the coroutine that asked for it
  const auto after = client.stats();
  EXPECT_EQ(after.commands - before.commands, std::uint64_t{kCoroutines});
  EXPECT_LE(after.writes - before.writes, 10u) << "far fewer writes than commands";
  EXPECT_EQ(after.connects, 1u);
}

TEST(RedisClient, AuthenticatesWithAPasswordThatNoErrorShows) {
  RedisServer server({.arguments = {"--requirepass", "s3cret-word"}});
  asio::io_context io;
  {
    Client anonymous(io, server.options());
    const auto refused = call(io, anonymous, {"PING"});
    ASSERT_TRUE(refused);
    EXPECT_TRUE(refused->text.starts_with("NOAUTH")) << refused->text;
  }
  Options right = server.options();
  right.password = "s3cret-word";
  Client client(io, right);
  EXPECT_EQ(call(io, client, {"PING"})->text, "PONG");

  Options wrong = server.options();
  wrong.password = "wrong-s3cret";
  Client intruder(io, wrong);
  const auto failed = call(io, intruder, {"PING"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
  EXPECT_NE(failed.error().message.find("refused the credentials"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(failed.error().message.find("s3cret"), std::string::npos) << failed.error().message;
  EXPECT_EQ(intruder.stats().connect_failures, 1u);
}

TEST(RedisClient, AuthenticatesAnAclUserAndSelectsTheDatabase) {
  RedisServer server({.arguments = {"--user", "alice", "on", ">alice-pass", "~*", "&*", "+@all"}});
  asio::io_context io;
  Options alice = server.options();
  alice.username = "alice";
  alice.password = "alice-pass";
  alice.database = 3;
  Client client(io, alice);
  EXPECT_EQ(call(io, client, {"SET", "where", "db3"})->text, "OK");
  alice.database = 0;
  Client on_database_zero(io, alice);
  EXPECT_TRUE(call(io, on_database_zero, {"GET", "where"})->is_null());
  EXPECT_EQ(call(io, client, {"GET", "where"})->text, "db3");

  Options mallory = alice;
  mallory.username = "mallory";
  Client intruder(io, mallory);
  const auto failed = call(io, intruder, {"PING"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message.find("alice-pass"), std::string::npos) << failed.error().message;
}

TEST(RedisClient, ACommandWithoutReplyInTimeFailsAndSoDoesItsConnection) {
  RedisServer server({.arguments = {"--enable-debug-command", "local"}});
  asio::io_context io;
  Options options = server.options();
  options.command_timeout = 200ms;
  Client client(io, options);
  ASSERT_TRUE(call(io, client, {"PING"}));

  std::optional<Result<Reply>> slow, behind;
  start(io, client, {"DEBUG", "SLEEP", "1"}, slow);
  start(io, client, {"PING"}, behind);
  run_until(io, [&] { return slow && behind; });
  ASSERT_FALSE(*slow);
  EXPECT_EQ(slow->error().kind, ErrorKind::timeout);
  // Its reply, when it comes, would be taken for the PING's: the PING fails with it.
  ASSERT_FALSE(*behind);
  EXPECT_EQ(behind->error().kind, ErrorKind::timeout);
  EXPECT_EQ(client.stats().timeouts, 2u);
  EXPECT_FALSE(client.stats().connected);

  // Once the server is itself again, the next command has a new connection.
  Options patient = server.options();
  patient.command_timeout = 10s;
  Client waiter(io, patient);
  ASSERT_TRUE(call(io, waiter, {"PING"}));
  EXPECT_EQ(call(io, client, {"PING"})->text, "PONG");
  EXPECT_EQ(client.stats().reconnects, 1u);
}

TEST(RedisClient, CommandsWaitingWhenRedisDiesFailAtOnceAndTheClientReconnectsWhenItIsBack) {
  RedisServer server;
  asio::io_context io;
  Options options = server.options();
  options.command_timeout = 20s;  // a failure from this test is never a timeout
  Client client(io, options);
  ASSERT_TRUE(call(io, client, {"PING"}));
  Client admin(io, server.options());
  ASSERT_EQ(call(io, admin, {"CLIENT", "PAUSE", "20000", "ALL"})->text, "OK");

  const auto before = client.stats();
  std::vector<std::optional<Result<Reply>>> outcomes(10);
  for (auto& outcome : outcomes) start(io, client, {"PING"}, outcome);
  run_until(io, [&] {
    return client.stats().writes > before.writes;
  });  // sent, held by the paused server
  server.kill();
  run_until(io, [&] {
    return std::all_of(outcomes.begin(), outcomes.end(),
                       [](const auto& o) { return o.has_value(); });
  });
  for (const auto& outcome : outcomes) {
    ASSERT_FALSE(*outcome);
    EXPECT_EQ(outcome->error().kind, ErrorKind::unavailable) << outcome->error().message;
  }
  EXPECT_FALSE(client.stats().connected);

  server.start();
  EXPECT_EQ(call(io, client, {"PING"})->text, "PONG");
  EXPECT_TRUE(client.stats().connected);
  EXPECT_EQ(client.stats().reconnects, 1u);
}

TEST(RedisClient, WhileRedisIsDownCommandsFailFastWithoutADialEach) {
  RedisServer server;
  asio::io_context io;
  Options options = server.options();
  options.backoff_min = 300ms;
  options.backoff_max = 600ms;
  Client client(io, options);
  ASSERT_TRUE(call(io, client, {"PING"}));
  server.stop();
  run_until(io, [&] { return !client.stats().connected; });  // the reader saw the close

  const auto refused = call(io, client, {"PING"});  // dials, and is refused
  ASSERT_FALSE(refused);
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_EQ(client.stats().connect_failures, 1u);
  for (int i = 0; i < 100; ++i) {
    const auto fast = call(io, client, {"PING"});
    ASSERT_FALSE(fast);
    EXPECT_NE(fast.error().message.find("No new attempt for"), std::string::npos)
        << fast.error().message;
  }
  EXPECT_EQ(client.stats().connects, 2u) << "no dial while in backoff";
  EXPECT_EQ(client.stats().failures, 101u);

  let_time_pass(io, 300ms);
  EXPECT_FALSE(call(io, client, {"PING"}));  // the backoff is over: one more attempt
  EXPECT_EQ(client.stats().connects, 3u);
  let_time_pass(io, 300ms);  // the backoff doubled after the second failure
  EXPECT_FALSE(call(io, client, {"PING"}));
  EXPECT_EQ(client.stats().connects, 3u);

  server.start();
  let_time_pass(io, 300ms);
  EXPECT_EQ(call(io, client, {"PING"})->text, "PONG");
  EXPECT_EQ(client.stats().connects, 4u);
  EXPECT_EQ(client.stats().reconnects, 1u);
}

TEST(RedisClient, EvalRunsAScriptAndLoadsItAgainAfterScriptFlush) {
  RedisServer server;
  asio::io_context io;
  Client client(io, server.options());
  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  auto before = client.stats();
  EXPECT_EQ(run(io, client.eval(script, 1, "counter", "5"))->integer, 5);
  EXPECT_EQ(client.stats().commands - before.commands,
            3u);  // EVALSHA, NOSCRIPT; SCRIPT LOAD, EVALSHA
  before = client.stats();
  EXPECT_EQ(run(io, client.eval(script, std::vector<std::string>{"counter"}, {"2"}))->integer, 7);
  EXPECT_EQ(client.stats().commands - before.commands, 1u);  // known now

  ASSERT_EQ(call(io, client, {"SCRIPT", "FLUSH"})->text, "OK");
  EXPECT_EQ(call(io, client, {"SCRIPT", "EXISTS", script.sha1()})->elements.at(0).integer, 0);
  EXPECT_EQ(run(io, client.eval(script, 1, "counter", "3"))->integer, 10);
  EXPECT_EQ(call(io, client, {"SCRIPT", "EXISTS", script.sha1()})->elements.at(0).integer, 1);
  EXPECT_EQ(call(io, client, {"SCRIPT", "LOAD", script.body()})->text,
            script.sha1());  // Redis's own SHA-1

  const auto broken = run(io, client.eval(Script("return +"), 0));
  ASSERT_TRUE(broken);
  EXPECT_TRUE(broken->is_error());
  EXPECT_NE(broken->text.find("compiling"), std::string::npos) << broken->text;
}

TEST(RedisClient, AReplyOverTheLimitFailsItsCommandAndConnection) {
  RedisServer server;
  asio::io_context io;
  Options options = server.options();
  options.limits.max_bulk_bytes = 1000;
  Client client(io, options);
  ASSERT_EQ(call(io, client, {"SET", "big", std::string(2000, 'x')})->text, "OK");
  const auto failed = call(io, client, {"GET", "big"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::unavailable);
  EXPECT_NE(failed.error().message.find("longer than 1000 bytes"), std::string::npos)
      << failed.error().message;
  EXPECT_FALSE(client.stats().connected);
  EXPECT_EQ(call(io, client, {"STRLEN", "big"})->integer, 2000);
  EXPECT_EQ(client.stats().reconnects, 1u);
}

TEST(RedisClient, CloseFailsTheWaitingCommandsAndEveryLaterOne) {
  RedisServer server;
  asio::io_context io;
  Client client(io, server.options());
  ASSERT_TRUE(call(io, client, {"PING"}));
  Client admin(io, server.options());
  ASSERT_EQ(call(io, admin, {"CLIENT", "PAUSE", "10000", "ALL"})->text, "OK");
  std::optional<Result<Reply>> waiting;
  start(io, client, {"PING"}, waiting);
  run_until(io, [&] { return client.stats().commands == 2; });
  client.close();
  run_until(io, [&] { return waiting.has_value(); });
  ASSERT_FALSE(*waiting);
  EXPECT_EQ(waiting->error().message, "The Redis client is closed.");
  EXPECT_FALSE(call(io, client, {"PING"}));
  EXPECT_EQ(client.stats().connects, 1u);
}

TEST(RedisClient, SpeaksTlsAndChecksTheCertificate) {
  RedisServer server({.arguments = {"--requirepass", "tls-s3cret"}, .tls = true});
  asio::io_context io;
  const std::string port = std::to_string(server.port());
  auto options =
      parse_url("rediss://:tls-s3cret@localhost:" + port + "/1?ssl_ca_certs=" + server.ca_file());
  ASSERT_TRUE(options);
  Client client(io, *options);
  const std::string value = "tls\0value"s;
  EXPECT_EQ(call(io, client, {"SET", "k", value})->text, "OK");
  EXPECT_EQ(call(io, client, {"GET", "k"})->text, value);

  const auto refused = [&](Options changed, std::string_view why) {
    Client other(io, std::move(changed));
    const auto failed = call(io, other, {"PING"});
    ASSERT_FALSE(failed) << why;
    EXPECT_EQ(failed.error().kind, ErrorKind::unavailable) << why;
    EXPECT_EQ(failed.error().message.find("s3cret"), std::string::npos) << failed.error().message;
  };
  Options system_roots = *options;
  system_roots.ca_file.clear();
  refused(system_roots, "the system's roots do not know the test CA");
  Options by_address = *options;
  by_address.host = "127.0.0.1";
  refused(by_address, "the certificate is for localhost, not for 127.0.0.1");
  Options plain = *options;
  plain.tls = false;
  refused(plain, "a TLS port does not speak plain RESP");

  // ssl_cert_reqs=none skips the check, when asked for.
  auto unchecked = parse_url("rediss://:tls-s3cret@127.0.0.1:" + port + "?ssl_cert_reqs=none");
  ASSERT_TRUE(unchecked);
  Client trusting(io, *unchecked);
  EXPECT_EQ(call(io, trusting, {"PING"})->text, "PONG");
}

}  // namespace
}  // namespace llmux::redis
