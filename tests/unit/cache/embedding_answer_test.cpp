#include "cache/embedding_answer.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace llmux::cache {
namespace {

namespace json = boost::json;

// Out of order, as an upstream may send them; numbers as written (not re-printed).
constexpr std::string_view kAnswer =
    R"({"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.5,-1.25e-3]},)"
    R"({"object":"embedding","index":0,"embedding":[1.0,2.0]}],"model":"embed-v1",)"
    R"("usage":{"prompt_tokens":7,"total_tokens":7}})";

std::vector<std::shared_ptr<const Entry>> shared(std::vector<Entry> entries) {
  std::vector<std::shared_ptr<const Entry>> items;
  for (Entry& entry : entries) items.push_back(std::make_shared<const Entry>(std::move(entry)));
  return items;
}

TEST(SplitEmbeddings, OneEntryPerInputInIndexOrderWithItsShareOfTokens) {
  auto pieces = split_embeddings(kAnswer, 2, 7, 1000);
  ASSERT_TRUE(pieces);
  ASSERT_EQ(pieces->size(), 2u);
  EXPECT_EQ((*pieces)[0].answer, R"({"embedding":[1.0,2.0],"model":"embed-v1"})");
  EXPECT_EQ((*pieces)[1].answer, R"({"embedding":[0.5,-1.25e-3],"model":"embed-v1"})");
  EXPECT_EQ((*pieces)[0].prompt_tokens + (*pieces)[1].prompt_tokens, 7);
  EXPECT_EQ((*pieces)[0].stored_at_ms, 1000);
}

TEST(SplitEmbeddings, RefusesAnAnswerThatIsNotOneVectorPerInput) {
  EXPECT_FALSE(split_embeddings(kAnswer, 3, 7, 0));
  EXPECT_FALSE(split_embeddings(kAnswer, 1, 7, 0));
  EXPECT_FALSE(split_embeddings(R"({"data":[]})", 1, 0, 0));
  EXPECT_FALSE(split_embeddings("not json", 1, 0, 0));
}

TEST(JoinEmbeddings, PutsEntriesBackIntoOpenAIsList) {
  auto pieces = split_embeddings(kAnswer, 2, 7, 1000);
  ASSERT_TRUE(pieces);
  (*pieces)[1].stored_at_ms = 900;
  // The second input alone, then both in the other order.
  const Entry alone = join_embeddings(shared({(*pieces)[1]}));
  const json::value one = json::parse(alone.answer);
  EXPECT_EQ(one.at("data").as_array().size(), 1u);
  EXPECT_EQ(one.at("data").at(0).at("index"), 0);
  EXPECT_EQ(one.at("data").at(0).at("embedding").at(1), -1.25e-3);
  EXPECT_EQ(one.at("model"), "embed-v1");
  EXPECT_EQ(one.at("usage").at("prompt_tokens"), alone.prompt_tokens);

  const Entry both = join_embeddings(shared({(*pieces)[1], (*pieces)[0]}));
  const json::value two = json::parse(both.answer);
  EXPECT_EQ(two.at("data").at(1).at("embedding").at(0), 1.0);
  EXPECT_EQ(two.at("usage").at("total_tokens"), 7);
  EXPECT_EQ(both.prompt_tokens, 7);
  EXPECT_EQ(both.stored_at_ms, 900) << "as old as its oldest input";
}

TEST(PartialEmbeddings, OnlyTheMissingInputsGoUpstreamAndAreStitchedInPlace) {
  const json::object body =
      json::parse(R"({"model":"e","input":["a","b","c","d"],"dimensions":2})").as_object();
  // Inputs 0 and 2 cached, 1 and 3 not.
  auto partial = shared({Entry{.answer = R"({"embedding":[9],"model":"embed-v0"})"}, Entry{},
                         Entry{.answer = R"({"embedding":[8],"model":"embed-v0"})"}, Entry{}});
  partial[1] = nullptr;
  partial[3] = nullptr;
  const json::object upstream = with_missing_inputs(body, partial);
  EXPECT_EQ(upstream.at("input"), json::parse(R"(["b","d"])"));
  EXPECT_EQ(upstream.at("dimensions"), 2) << "the other fields as sent";
  EXPECT_EQ(body.at("input").as_array().size(), 4u) << "the client's body unchanged";

  auto stitched = stitch_embeddings(partial, kAnswer, 7);
  ASSERT_TRUE(stitched) << stitched.error().message;
  EXPECT_EQ(*stitched,
            R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[9]},)"
            R"({"object":"embedding","index":1,"embedding":[1.0,2.0]},)"
            R"({"object":"embedding","index":2,"embedding":[8]},)"
            R"({"object":"embedding","index":3,"embedding":[0.5,-1.25e-3]}],"model":"embed-v0",)"
            R"("usage":{"prompt_tokens":7,"total_tokens":7}})");
  partial[0] = nullptr;  // three missing, two vectors upstream
  EXPECT_FALSE(stitch_embeddings(partial, kAnswer, 7));
}

}  // namespace
}  // namespace llmux::cache
