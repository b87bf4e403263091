// The semantic cache's commands and replies on a Redis with vector search (cache::VectorSearch),
// checked against the shapes Redis's search module documents: no Redis here has the module, so
// the commands are read back from their wire bytes and the replies are parsed from RESP2 bytes
// as the module sends them; a ResponseCache's commands are read from a peer on a loopback socket
// that answers as such a Redis does.
#include "cache/vector_search.hpp"

#include "cache/response_cache.hpp"

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <optional>
#include <sstream>

namespace llmux::cache {
namespace {

redis::Reply parsed(std::string_view bytes) {
  redis::ReplyParser parser;
  std::vector<redis::Reply> replies;
  EXPECT_TRUE(parser.feed(bytes, replies));
  EXPECT_EQ(replies.size(), 1u);
  return replies.empty() ? redis::Reply{} : replies.front();
}

// A command's arguments, read back from its wire bytes (an array of bulk strings).
std::vector<std::string> arguments_of(const redis::Command& command) {
  std::vector<std::string> arguments;
  for (const redis::Reply& argument : parsed(command.wire()).elements)
    arguments.push_back(argument.text);
  return arguments;
}

std::vector<std::string> words(std::string_view text) {
  std::istringstream stream{std::string(text)};
  std::vector<std::string> split;
  for (std::string word; stream >> word;) split.push_back(word);
  return split;
}

std::string bulk(std::string_view text) {
  return "$" + std::to_string(text.size()) + "\r\n" + std::string(text) + "\r\n";
}

TEST(VectorSearch, AsksWhetherRedisKnowsFtSearch) {
  EXPECT_EQ(arguments_of(vector_search::probe_command()), words("COMMAND INFO FT.SEARCH"));
  // A Redis without the module: a null for the unknown command (RESP2 writes a null array).
  EXPECT_FALSE(vector_search::search_known(parsed("*1\r\n*-1\r\n")));
  // With it: the command's description (name, arity, flags, …).
  EXPECT_TRUE(vector_search::search_known(
      parsed("*1\r\n*6\r\n$9\r\nft.search\r\n:-2\r\n*1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n")));
  // A Redis that refuses COMMAND (an ACL): taken as one without it.
  EXPECT_FALSE(vector_search::search_known(parsed("-NOPERM no permissions\r\n")));
}

TEST(VectorSearch, CreatesAnHnswCosineIndexOfFloat32VectorsOverItsOwnPrefix) {
  EXPECT_EQ(arguments_of(vector_search::create_index_command("team_cache", 1536)),
            words("FT.CREATE team_cache ON HASH PREFIX 1 team_cache: SCHEMA scope TAG vector "
                  "VECTOR HNSW 6 TYPE FLOAT32 DIM 1536 DISTANCE_METRIC COSINE"));
}

TEST(VectorSearch, ScopeTagsAreHexSoNothingNeedsEscapingAndCaseMatters) {
  EXPECT_EQ(vector_search::scope_tag("A,b:{ }"), "412c623a7b207d");
  EXPECT_NE(vector_search::scope_tag("NS:abc"), vector_search::scope_tag("ns:abc"));
}

TEST(VectorSearch, SearchesTheNearestEntryOfTheScopeWithTheVectorAsFloat32Bytes) {
  const std::vector<float> vector{1.0f, 0.5f};
  const auto arguments =
      arguments_of(vector_search::search_command("llmux_semantic_cache_index", "ns:ab", vector));
  ASSERT_EQ(arguments.size(), 18u);
  EXPECT_EQ(arguments[0], "FT.SEARCH");
  EXPECT_EQ(arguments[1], "llmux_semantic_cache_index");
  EXPECT_EQ(arguments[2], "@scope:{6e733a6162}=>[KNN 1 @vector $vector AS distance]");
  EXPECT_EQ(arguments[3], "PARAMS");
  EXPECT_EQ(arguments[4], "2");
  EXPECT_EQ(arguments[5], "vector");
  // 1.0f and 0.5f, IEEE 754 single precision, little-endian.
  EXPECT_EQ(arguments[6], std::string("\x00\x00\x80\x3f\x00\x00\x00\x3f", 8));
  EXPECT_EQ(std::vector<std::string>(arguments.begin() + 7, arguments.end()),
            words("SORTBY distance RETURN 2 distance entry LIMIT 0 1 DIALECT 2"));
}

TEST(VectorSearch, AHitIsTheEntryWithOneMinusItsCosineDistance) {
  const Entry stored{.answer = "{\"id\":\"a\"}", .stored_at_ms = 7, .prompt_tokens = 3};
  const std::string reply = "*3\r\n:1\r\n" + bulk("llmux_semantic_cache_index:k") + "*4\r\n" +
                            bulk("distance") + bulk("0.125") + bulk("entry") + bulk(encode(stored));
  auto match = vector_search::match_from_reply(parsed(reply));
  ASSERT_TRUE(match);
  ASSERT_TRUE(*match);
  EXPECT_DOUBLE_EQ((*match)->similarity, 0.875);
  EXPECT_EQ((*match)->entry->answer, stored.answer);
  EXPECT_EQ((*match)->entry->stored_at_ms, 7);
  EXPECT_EQ((*match)->entry->prompt_tokens, 3);
}

TEST(VectorSearch, NoEntryOfTheScopeIsNoMatch) {
  auto match = vector_search::match_from_reply(parsed("*1\r\n:0\r\n"));
  ASSERT_TRUE(match);
  EXPECT_FALSE(*match);
}

TEST(VectorSearch, RefusalsAndForeignShapesAreErrors) {
  // A refusal (an index made for vectors of another dimension, or none).
  EXPECT_FALSE(vector_search::match_from_reply(parsed("-Error parsing vector similarity\r\n")));
  EXPECT_FALSE(vector_search::match_from_reply(parsed("+OK\r\n")));
  // A hash under the prefix that is not an entry of llmux's, or no distance.
  const std::string foreign = "*3\r\n:1\r\n" + bulk("k") + "*4\r\n" + bulk("distance") +
                              bulk("0.1") + bulk("entry") + bulk("plain text");
  EXPECT_FALSE(vector_search::match_from_reply(parsed(foreign)));
  const std::string no_distance =
      "*3\r\n:1\r\n" + bulk("k") + "*2\r\n" + bulk("entry") + bulk(encode(Entry{.answer = "x"}));
  EXPECT_FALSE(vector_search::match_from_reply(parsed(no_distance)));
}

TEST(VectorSearch, FlushCountsTheDocumentsFtInfoReports) {
  const std::string info = "*6\r\n" + bulk("index_name") + bulk("idx") + bulk("index_options") +
                           "*0\r\n" + bulk("num_docs") + bulk("3");
  EXPECT_EQ(vector_search::documents_in(parsed(info)), 3);
  EXPECT_EQ(vector_search::documents_in(parsed("*2\r\n" + bulk("num_docs") + ":4\r\n")), 4);
  EXPECT_EQ(vector_search::documents_in(parsed("*0\r\n")), 0);
}

// A Redis with the search module, as far as the semantic cache asks it: one connection, each
// command recorded and answered with the reply the module documents for it (an FT.SEARCH finds
// the last entry stored, at a cosine distance of 0.125).
class SearchModulePeer {
 public:
  explicit SearchModulePeer(asio::io_context& io)
      : acceptor_(io, {asio::ip::address_v4::loopback(), 0}) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  redis::Options options() const {
    redis::Options options;
    options.port = acceptor_.local_endpoint().port();
    return options;
  }
  const std::vector<std::vector<std::string>>& commands() const { return commands_; }

 private:
  asio::awaitable<void> serve() {
    constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
    auto [accept_error, socket] = co_await acceptor_.async_accept(kTuple);
    if (accept_error) co_return;
    redis::ReplyParser parser;
    char buffer[8192];
    for (;;) {
      auto [read_error, size] = co_await socket.async_read_some(asio::buffer(buffer), kTuple);
      if (read_error) co_return;
      std::vector<redis::Reply> received;
      if (!parser.feed({buffer, size}, received)) co_return;
      std::string replies;
      for (const redis::Reply& command : received) {
        std::vector<std::string> arguments;
        for (const redis::Reply& argument : command.elements) arguments.push_back(argument.text);
        replies += reply_to(arguments);
        commands_.push_back(std::move(arguments));
      }
      auto [write_error, written] =
          co_await asio::async_write(socket, asio::buffer(replies), kTuple);
      if (write_error) co_return;
    }
  }

  std::string reply_to(const std::vector<std::string>& command) {
    const std::string& name = command.front();
    if (name == "COMMAND")  // COMMAND INFO FT.SEARCH: the command's description
      return "*1\r\n*6\r\n$9\r\nft.search\r\n:-2\r\n*1\r\n+readonly\r\n:0\r\n:0\r\n:0\r\n";
    if (name == "HSET") {  // HSET key scope … vector … entry …: the fields added
      stored_key_ = command[1];
      stored_entry_ = command[7];
      return ":3\r\n";
    }
    if (name == "PERSIST" || name == "PEXPIRE") return ":1\r\n";
    if (name == "FT.SEARCH") {
      return "*3\r\n:1\r\n" + bulk(stored_key_) + "*4\r\n" + bulk("distance") + bulk("0.125") +
             bulk("entry") + bulk(stored_entry_);
    }
    if (name == "FT.INFO") {
      return "*4\r\n" + bulk("index_name") + bulk(command[1]) + bulk("num_docs") + bulk("1");
    }
    return "+OK\r\n";  // FT.CREATE, FT.DROPINDEX
  }

  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::vector<std::string>> commands_;
  std::string stored_key_, stored_entry_;
};

// Runs a coroutine of the cache to its end (the peer keeps serving: the context is stopped).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result.emplace(co_await std::move(work));
        io.stop();
      },
      asio::detached);
  io.restart();
  io.run();
  return std::move(*result);
}

TEST(VectorSearch, TheSemanticCacheUsesTheIndexNameOfItsConfig) {
  asio::io_context io;
  SearchModulePeer peer(io);
  redis::Client client(io, peer.options());
  config::CacheSettings settings{.type = config::CacheType::redis_semantic};
  settings.semantic.similarity_threshold = 0.8;
  settings.semantic.index_name = "team_cache";
  telemetry::Metrics metrics;
  SemanticIndex own_index(16);
  ResponseCache cache(settings, nullptr, &client, metrics.add_worker(), &own_index);

  const auto body =
      boost::json::parse(R"({"model":"gpt","messages":[{"role":"user","content":"hi"}]})")
          .as_object();
  auto asked = cache.ticket(api::Endpoint::chat_completions, "gpt", body);
  ASSERT_TRUE(asked && *asked);
  Ticket ticket = **asked;
  ticket.vector = {1.0f, 0.5f};
  run(io, [&]() -> asio::awaitable<bool> {
    co_await cache.store(ticket, R"({"answer":1})", api::Usage{});
    co_return true;
  }());
  const SemanticMatch match = run(io, cache.find_similar(ticket));
  ASSERT_TRUE(match.entry);
  EXPECT_EQ(match.entry->answer, R"({"answer":1})");
  EXPECT_DOUBLE_EQ(match.similarity, 0.875);
  const auto flushed = run(io, cache.flush());
  ASSERT_TRUE(flushed);
  EXPECT_EQ(*flushed, 1);

  // Every command that names the index, or a key under it, names the configured one.
  const auto& commands = peer.commands();
  ASSERT_EQ(commands.size(), 7u);
  EXPECT_EQ(commands[0], words("COMMAND INFO FT.SEARCH"));
  EXPECT_EQ(commands[1], words("FT.CREATE team_cache ON HASH PREFIX 1 team_cache: SCHEMA scope TAG "
                               "vector VECTOR HNSW 6 TYPE FLOAT32 DIM 2 DISTANCE_METRIC COSINE"));
  EXPECT_EQ(commands[2][0], "HSET");
  EXPECT_EQ(commands[2][1], "team_cache:" + ticket.key);
  EXPECT_EQ(commands[3], (std::vector<std::string>{"PERSIST", "team_cache:" + ticket.key}));
  EXPECT_EQ(commands[4][0], "FT.SEARCH");
  EXPECT_EQ(commands[4][1], "team_cache");
  EXPECT_EQ(commands[5], words("FT.INFO team_cache"));
  EXPECT_EQ(commands[6], words("FT.DROPINDEX team_cache DD"));
  // Nothing went to the instance's own index: Redis indexes the entries.
  EXPECT_EQ(own_index.size(), 0u);
}

}  // namespace
}  // namespace llmux::cache
