// The semantic cache's commands and replies on a Redis with vector search (cache::VectorSearch),
// checked against the shapes Redis's search module documents: no Redis here has the module, so
// the commands are read back from their wire bytes and the replies are parsed from RESP2 bytes
// as the module sends them.
#include "cache/vector_search.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace llmux::cache
