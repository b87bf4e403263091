// The Redis client's cost per command: encoding the command and parsing its reply (no socket),
// for the shapes the fleet and cache work send. And, against a running redis-server whose port is
// in LLMUX_BENCH_REDIS_PORT, the loopback round trip of a pipelined batch.
#include "redis/client.hpp"
#include "redis/resp.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using llmux::redis::Client;
using llmux::redis::Command;
using llmux::redis::Reply;
using llmux::redis::ReplyParser;
namespace asio = boost::asio;

// Encodes `encode()`'s command and parses `reply` into a Reply, once per iteration.
template <class Encode>
void encode_and_parse(benchmark::State& state, Encode encode, std::string_view reply) {
  ReplyParser parser;
  std::vector<Reply> replies;
  for (auto _ : state) {
    const Command command = encode();
    benchmark::DoNotOptimize(command.wire().data());
    replies.clear();
    if (!parser.feed(reply, replies) || replies.size() != 1)
      state.SkipWithError("the reply did not parse");
    benchmark::DoNotOptimize(replies.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// A rate-limit counter: INCRBY and its integer reply.
void BM_RedisIncrby(benchmark::State& state) {
  const std::string key = "llmux:rpm:key:7f3c9a0e5b1d4c2a:29011502";
  encode_and_parse(
      state, [&] { return Command("INCRBY", key, "1"); }, ":42\r\n");
}
BENCHMARK(BM_RedisIncrby);

// A cache hit: GET and a 1 KiB bulk reply.
void BM_RedisGetOneKiB(benchmark::State& state) {
  const std::string key = "llmux:cache:exact:3f1e8d2c9b7a6f5e4d3c2b1a0f9e8d7c";
  const std::string reply = "$1024\r\n" + std::string(1024, 'x') + "\r\n";
  encode_and_parse(
      state, [&] { return Command("GET", key); }, reply);
}
BENCHMARK(BM_RedisGetOneKiB);

// An admission script over key, team, user and end user: EVALSHA with 4 keys and 4 arguments,
// and an array of 4 integers back.
void BM_RedisEvalshaFourKeys(benchmark::State& state) {
  const std::string sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
  const std::string keys[4] = {"llmux:rpm:key:7f3c9a0e", "llmux:rpm:team:a1b2c3d4",
                               "llmux:rpm:user:alice", "llmux:rpm:end_user:e-42"};
  encode_and_parse(
      state,
      [&] {
        return Command("EVALSHA", sha, "4", keys[0], keys[1], keys[2], keys[3], "60", "100", "1",
                       "1733540000");
      },
      "*4\r\n:1\r\n:17\r\n:3\r\n:99\r\n");
}
BENCHMARK(BM_RedisEvalshaFourKeys);

// range(0) commands (INCRBY) sent as one batch, one round trip per iteration, over loopback.
void BM_RedisLoopbackBatch(benchmark::State& state) {
  const char* port = std::getenv("LLMUX_BENCH_REDIS_PORT");
  if (!port) {
    state.SkipWithError(
        "needs a redis-server: set LLMUX_BENCH_REDIS_PORT to its port on 127.0.0.1");
    return;
  }
  asio::io_context io;
  llmux::redis::Options options;
  options.port = static_cast<std::uint16_t>(std::atoi(port));
  Client client(io, options);
  std::vector<Command> batch;
  for (int at = 0; at < state.range(0); ++at)
    batch.emplace_back("INCRBY", "llmux:bench:" + std::to_string(at), "1");
  std::string failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
          auto replies = co_await client.batch(batch);
          if (!replies) {
            failure = replies.error().message;
            state.SkipWithError(failure.c_str());
            break;
          }
        }
        client.close();
      },
      asio::detached);
  io.run();
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_RedisLoopbackBatch)->ArgName("commands")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

}  // namespace
