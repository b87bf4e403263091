#include "api/embeddings.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <bit>
#include <cstdint>
#include <random>

namespace llmux::api {
namespace {

namespace json = boost::json;

// An independent reference: the float32 little-endian bytes of `values`, base64-encoded one
// six-bit group at a time (the implementation works three bytes at a time).
std::string reference_base64(const std::vector<float>& values) {
  std::vector<std::uint8_t> bytes;
  for (float value : values) {
    const auto bits = std::bit_cast<std::uint32_t>(value);
    for (int shift = 0; shift < 32; shift += 8)
      bytes.push_back(static_cast<std::uint8_t>(bits >> shift));
  }
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const std::size_t bit_count = bytes.size() * 8;
  for (std::size_t bit = 0; bit < bit_count; bit += 6) {
    unsigned group = 0;
    for (std::size_t k = bit; k < bit + 6; ++k) {
      const unsigned b = k < bit_count ? (bytes[k / 8] >> (7 - k % 8)) & 1u : 0u;
      group = (group << 1) | b;
    }
    out += kAlphabet[group];
  }
  while (out.size() % 4 != 0) out += '=';
  return out;
}

std::string encoded(std::string_view vector_json) {
  std::string out;
  EXPECT_TRUE(encode_embedding_base64(json::parse(vector_json).as_array(), out)) << vector_json;
  return out;
}

TEST(ReferenceBase64, MatchesHandComputedBytes) {
  // 1.0f = 00 00 80 3F, -2.5f = 00 00 20 C0, 0.0f = 00 00 00 00 (little-endian).
  EXPECT_EQ(reference_base64({1.0f, -2.5f, 0.0f}), "AACAPwAAIMAAAAAA");
}

TEST(EncodeEmbeddingBase64, KnownVectors) {
  EXPECT_EQ(encoded("[1.0, -2.5, 0.0]"), "AACAPwAAIMAAAAAA");  // 12 bytes: no padding
  EXPECT_EQ(encoded("[1.0, -2.5]"), "AACAPwAAIMA=");           // 8 bytes: one '='
  EXPECT_EQ(encoded("[1.0]"), "AACAPw==");                     // 4 bytes: two '='
  EXPECT_EQ(encoded("[]"), "");
}

TEST(EncodeEmbeddingBase64, DoublesAreRoundedToFloat32) {
  // 0.1 as float32 is 0x3DCCCCCD.
  EXPECT_EQ(encoded("[0.1]"), "zczMPQ==");
  EXPECT_EQ(encoded("[0.1]"), reference_base64({0.1f}));
}

TEST(EncodeEmbeddingBase64, IntegersAreNumbersToo) {
  EXPECT_EQ(encoded("[1, -2.5, 0]"), "AACAPwAAIMAAAAAA");
}

TEST(EncodeEmbeddingBase64, MatchesTheReferenceOnRandomVectors) {
  std::mt19937 generator(1234);
  std::uniform_real_distribution<float> component(-1.0f, 1.0f);
  for (std::size_t size : {1u, 2u, 3u, 5u, 256u, 1536u}) {
    std::vector<float> values(size);
    json::array vector;
    for (float& value : values) {
      value = component(generator);
      vector.emplace_back(static_cast<double>(value));
    }
    std::string out;
    ASSERT_TRUE(encode_embedding_base64(vector, out));
    EXPECT_EQ(out, reference_base64(values)) << "size " << size;
  }
}

TEST(EncodeEmbeddingBase64, RejectsNonNumbers) {
  for (std::string_view text : {R"([1.0, "2"])", "[null]", "[[1.0]]", "[true]"}) {
    std::string out;
    EXPECT_FALSE(encode_embedding_base64(json::parse(text).as_array(), out)) << text;
  }
}

TEST(ConvertEmbeddingsToBase64, RewritesFloatVectorsInPlace) {
  json::object response = json::parse(R"({"object":"list","model":"m",
      "data":[{"object":"embedding","index":0,"embedding":[1.0,-2.5,0.0]},
              {"object":"embedding","index":1,"embedding":[1.0]}],
      "usage":{"prompt_tokens":2,"total_tokens":2}})")
                              .as_object();
  convert_embeddings_to_base64(response);
  EXPECT_EQ(json::value(response), json::parse(R"({"object":"list","model":"m",
      "data":[{"object":"embedding","index":0,"embedding":"AACAPwAAIMAAAAAA"},
              {"object":"embedding","index":1,"embedding":"AACAPw=="}],
      "usage":{"prompt_tokens":2,"total_tokens":2}})"));
}

TEST(ConvertEmbeddingsToBase64, LeavesStringsAndOddShapesUntouched) {
  const json::value original = json::parse(R"({"data":[
      {"index":0,"embedding":"AACAPw=="},
      {"index":1,"embedding":["not", "numbers"]},
      {"index":2},
      "not an object"]})");
  json::object response = original.as_object();
  convert_embeddings_to_base64(response);
  EXPECT_EQ(json::value(response), original);

  for (std::string_view text :
       {R"({"object":"list"})", R"({"data":"x"})", R"({"data":{"embedding":[1.0]}})"}) {
    const json::value before = json::parse(text);
    json::object after = before.as_object();
    convert_embeddings_to_base64(after);
    EXPECT_EQ(json::value(after), before) << text;
  }
}

Request embeddings_request(std::string_view body) {
  auto request = parse_request(Endpoint::embeddings, body);
  if (!request) throw std::runtime_error(request.error().message);
  return std::move(*request);
}

TEST(EmbeddingsList, VectorsAreCopiedAsWrittenOrEncoded) {
  constexpr std::string_view kUpstream =
      R"({"embeddings":[[0.10000000000000001,-2e-3],[1.5]],"x":1})";
  const Span vectors{14, 49};
  ASSERT_EQ(vectors.in(kUpstream), "[[0.10000000000000001,-2e-3],[1.5]]");
  const Usage usage{.prompt_tokens = 4, .total_tokens = 4};
  const Request as_floats = embeddings_request(R"({"model":"emb","input":"x"})");
  const Request as_base64 =
      embeddings_request(R"({"model":"emb","input":"x","encoding_format":"base64"})");
  EXPECT_FALSE(wants_base64(as_floats));
  EXPECT_TRUE(wants_base64(as_base64));
  auto floats = embeddings_list(as_floats, kUpstream, vectors, "emb", usage);
  ASSERT_TRUE(floats);
  EXPECT_EQ(
      *floats,
      R"({"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.10000000000000001,-2e-3]},)"
      R"({"object":"embedding","index":1,"embedding":[1.5]}],"model":"emb","usage":{"prompt_tokens":4,"total_tokens":4}})");
  auto encoded = embeddings_list(as_base64, kUpstream, vectors, "emb", usage);
  ASSERT_TRUE(encoded);
  std::string expected;
  ASSERT_TRUE(encode_embedding_base64(json::parse("[1.5]").as_array(), expected));
  EXPECT_EQ(json::parse(*encoded).at("data").at(1).at("embedding"), json::value(expected));
  const auto refused = embeddings_list(as_base64, R"({"e":[["a"]]})", Span{5, 12}, "emb", usage);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::upstream_failed);
  EXPECT_FALSE(embeddings_list(as_floats, R"({"e":7})", Span{5, 6}, "emb", usage));
}

}  // namespace
}  // namespace llmux::api
