#include "api/request.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace llmux::api {
namespace {

namespace json = boost::json;

constexpr std::string_view kChat =
    R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]})";

// The error a body is rejected with; fails the test if it parses.
Error rejection(Endpoint endpoint, std::string_view body, std::string_view model_override = {}) {
  auto result = parse_request(endpoint, body, model_override);
  if (result) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return result.error();
}

void expect_bad_request(const Error& error, std::string_view param) {
  EXPECT_EQ(error.kind, ErrorKind::invalid_request);
  EXPECT_EQ(http_status(error), 400);
  EXPECT_EQ(error.param, param);
  EXPECT_FALSE(error.message.empty());
}

TEST(EndpointPath, EachEndpoint) {
  EXPECT_EQ(endpoint_path(Endpoint::chat_completions), "/chat/completions");
  EXPECT_EQ(endpoint_path(Endpoint::completions), "/completions");
  EXPECT_EQ(endpoint_path(Endpoint::embeddings), "/embeddings");
  EXPECT_EQ(endpoint_path(Endpoint::moderations), "/moderations");
  EXPECT_EQ(endpoint_path(Endpoint::rerank), "/rerank");
}

TEST(ParseRequest, ValidChatCompletion) {
  auto result = parse_request(Endpoint::chat_completions, kChat);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->endpoint, Endpoint::chat_completions);
  EXPECT_EQ(result->model, "gpt-4o");
  EXPECT_FALSE(result->stream);
  EXPECT_FALSE(result->include_usage);
  EXPECT_EQ(json::value(result->body), json::parse(kChat));
}

TEST(ParseRequest, ValidCompletion) {
  constexpr std::string_view body =
      R"({"model":"gpt-3.5-turbo-instruct","prompt":"Say this","max_tokens":7})";
  auto result = parse_request(Endpoint::completions, body);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->endpoint, Endpoint::completions);
  EXPECT_EQ(result->model, "gpt-3.5-turbo-instruct");
  EXPECT_EQ(json::value(result->body), json::parse(body));
}

TEST(ParseRequest, ValidEmbeddings) {
  constexpr std::string_view body =
      R"({"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"base64"})";
  auto result = parse_request(Endpoint::embeddings, body);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->model, "text-embedding-3-small");
  EXPECT_EQ(json::value(result->body), json::parse(body));
}

TEST(ParseRequest, RerankNeedsAQueryAndDocumentsAndCannotStream) {
  auto valid = parse_request(
      Endpoint::rerank, R"({"model":"rerank-v3.5","query":"q","documents":["a","b"],"top_n":1})");
  ASSERT_TRUE(valid) << valid.error().message;
  EXPECT_EQ(valid->model, "rerank-v3.5");
  expect_bad_request(rejection(Endpoint::rerank, R"({"model":"m","documents":["a"]})"), "query");
  expect_bad_request(
      rejection(Endpoint::rerank, R"({"model":"m","query":["q"],"documents":["a"]})"), "query");
  expect_bad_request(rejection(Endpoint::rerank, R"({"model":"m","query":"q","documents":"a"})"),
                     "documents");
  expect_bad_request(
      rejection(Endpoint::rerank, R"({"model":"m","query":"q","documents":["a"],"stream":true})"),
      "stream");
  expect_bad_request(rejection(Endpoint::rerank, R"({"query":"q","documents":["a"]})"), "model");
}

TEST(ParseRequest, ModerationsNeedNoModel) {
  auto without = parse_request(Endpoint::moderations, R"({"input":"some text"})");
  ASSERT_TRUE(without) << without.error().message;
  EXPECT_EQ(without->model, "");
  auto with =
      parse_request(Endpoint::moderations, R"({"input":"x","model":"omni-moderation-latest"})");
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ(with->model, "omni-moderation-latest");
  expect_bad_request(rejection(Endpoint::moderations, R"({"input":"x","model":7})"), "model");
}

TEST(ParseRequest, MalformedJsonIsABadRequest) {
  for (std::string_view body : {"", "{", R"({"model":"a",})", R"({"model":"a"} trailing)", "nul"}) {
    SCOPED_TRACE(body);
    const Error error = rejection(Endpoint::chat_completions, body);
    expect_bad_request(error, "");
    EXPECT_NE(error.message.find("Invalid JSON"), std::string::npos) << error.message;
  }
}

TEST(ParseRequest, BodyMustBeAnObject) {
  for (std::string_view body : {"[]", R"("text")", "42", "null", "true"}) {
    SCOPED_TRACE(body);
    expect_bad_request(rejection(Endpoint::chat_completions, body), "");
  }
}

TEST(ParseRequest, ModelMissingOrNotAString) {
  for (Endpoint endpoint :
       {Endpoint::chat_completions, Endpoint::completions, Endpoint::embeddings}) {
    SCOPED_TRACE(std::string(endpoint_path(endpoint)));
    expect_bad_request(
        rejection(endpoint, R"({"messages":[{"role":"user"}],"prompt":"p","input":"i"})"), "model");
  }
  for (std::string_view model : {"1", "null", "[\"gpt-4o\"]", "{}", "true"}) {
    SCOPED_TRACE(model);
    const std::string body =
        R"({"model":)" + std::string(model) + R"(,"messages":[{"role":"user"}]})";
    expect_bad_request(rejection(Endpoint::chat_completions, body), "model");
  }
}

TEST(ParseRequest, ChatMessagesMustBeANonEmptyArrayOfRoles) {
  const std::vector<std::string_view> bad_messages = {
      R"({"model":"m"})",                                               // missing
      R"({"model":"m","messages":[]})",                                 // empty
      R"({"model":"m","messages":{"role":"user"}})",                    // not an array
      R"({"model":"m","messages":"hello"})",                            // not an array
      R"({"model":"m","messages":null})",                               // not an array
      R"({"model":"m","messages":[{"content":"no role"}]})",            // a message without role
      R"({"model":"m","messages":[{"role":"user"},{"content":"x"}]})",  // the second one
      R"({"model":"m","messages":[{"role":1,"content":"x"}]})",         // role not a string
      R"({"model":"m","messages":["user: hi"]})",                       // message not an object
  };
  for (std::string_view body : bad_messages) {
    SCOPED_TRACE(body);
    expect_bad_request(rejection(Endpoint::chat_completions, body), "messages");
  }
}

TEST(ParseRequest, CompletionsNeedAPrompt) {
  expect_bad_request(
      rejection(Endpoint::completions, R"({"model":"m","messages":[{"role":"user"}]})"), "prompt");
  EXPECT_TRUE(parse_request(Endpoint::completions, R"({"model":"m","prompt":["a","b"]})"));
}

TEST(ParseRequest, EmbeddingsAndModerationsNeedAnInput) {
  expect_bad_request(rejection(Endpoint::embeddings, R"({"model":"m","prompt":"x"})"), "input");
  expect_bad_request(rejection(Endpoint::moderations, R"({"model":"m"})"), "input");
}

TEST(ParseRequest, StreamIsReadAndMustBeABool) {
  auto streaming = parse_request(Endpoint::chat_completions,
                                 R"({"model":"m","messages":[{"role":"user"}],"stream":true})");
  ASSERT_TRUE(streaming);
  EXPECT_TRUE(streaming->stream);
  auto explicit_false =
      parse_request(Endpoint::completions, R"({"model":"m","prompt":"p","stream":false})");
  ASSERT_TRUE(explicit_false);
  EXPECT_FALSE(explicit_false->stream);
  auto null_stream = parse_request(Endpoint::chat_completions,
                                   R"({"model":"m","messages":[{"role":"user"}],"stream":null})");
  ASSERT_TRUE(null_stream);
  EXPECT_FALSE(null_stream->stream);

  for (std::string_view stream : {R"("true")", "1", "0", "{}", "[]"}) {
    SCOPED_TRACE(stream);
    const std::string body =
        R"({"model":"m","messages":[{"role":"user"}],"stream":)" + std::string(stream) + "}";
    expect_bad_request(rejection(Endpoint::chat_completions, body), "stream");
  }
}

TEST(ParseRequest, StreamingEmbeddingsOrModerationsAreRejected) {
  expect_bad_request(rejection(Endpoint::embeddings, R"({"model":"m","input":"x","stream":true})"),
                     "stream");
  expect_bad_request(rejection(Endpoint::moderations, R"({"input":"x","stream":true})"), "stream");
  EXPECT_TRUE(parse_request(Endpoint::embeddings, R"({"model":"m","input":"x","stream":false})"));
}

TEST(ParseRequest, IncludeUsageIsRead) {
  auto read = [](std::string_view options) {
    const std::string body =
        R"({"model":"m","messages":[{"role":"user"}],"stream":true,"stream_options":)" +
        std::string(options) + "}";
    auto result = parse_request(Endpoint::chat_completions, body);
    EXPECT_TRUE(result) << body;
    return result && result->include_usage;
  };
  EXPECT_TRUE(read(R"({"include_usage":true})"));
  EXPECT_TRUE(read(R"({"include_usage":true,"continuous_usage_stats":false})"));
  EXPECT_FALSE(read(R"({"include_usage":false})"));
  EXPECT_FALSE(read(R"({"include_usage":"yes"})"));
  EXPECT_FALSE(read(R"({})"));
  EXPECT_FALSE(read("null"));
}

TEST(ParseRequest, ModelOverrideWins) {
  // Azure-style routes name the deployment in the path; the body's model is then not consulted.
  auto overridden = parse_request(Endpoint::chat_completions, kChat, "my-deployment");
  ASSERT_TRUE(overridden);
  EXPECT_EQ(overridden->model, "my-deployment");
  EXPECT_EQ(json::value(overridden->body), json::parse(kChat));  // the body is not rewritten

  auto no_body_model = parse_request(Endpoint::embeddings, R"({"input":"x"})", "emb-deployment");
  ASSERT_TRUE(no_body_model) << no_body_model.error().message;
  EXPECT_EQ(no_body_model->model, "emb-deployment");

  auto odd_body_model = parse_request(Endpoint::completions, R"({"model":5,"prompt":"p"})", "dep");
  ASSERT_TRUE(odd_body_model) << odd_body_model.error().message;
  EXPECT_EQ(odd_body_model->model, "dep");

  // The override does not excuse the rest of the body.
  expect_bad_request(rejection(Endpoint::chat_completions, R"({"messages":[]})", "dep"),
                     "messages");
}

TEST(ParseRequest, UnknownFieldsAreKeptInTheBody) {
  constexpr std::string_view body =
      R"({"model":"m","messages":[{"role":"user","content":"x","name":"n"}],"temperature":0.2,)"
      R"("vendor_extension":{"nested":[1,2,{"deep":null}]},"metadata":{"tag":"a"},"n":2})";
  auto result = parse_request(Endpoint::chat_completions, body);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(json::value(result->body), json::parse(body));
  ASSERT_NE(result->body.if_contains("vendor_extension"), nullptr);
  EXPECT_EQ(result->body.at("vendor_extension"), json::parse(R"({"nested":[1,2,{"deep":null}]})"));
}

TEST(ParseRequest, BodyOutlivesTheInputText) {
  std::string text(kChat);
  auto result = parse_request(Endpoint::chat_completions, text);
  text.assign(text.size(), 'x');
  ASSERT_TRUE(result);
  EXPECT_EQ(json::value(result->body), json::parse(kChat));
  EXPECT_EQ(result->model, "gpt-4o");
}

std::string routing_field_of(std::string_view body) {
  auto result = parse_request(Endpoint::chat_completions, body);
  EXPECT_TRUE(result) << body;
  if (!result) return "<rejected>";
  const auto fields = client_side_routing_fields(*result);
  return fields.empty() ? "" : std::string(fields.front());
}

TEST(ClientSideRoutingField, NoneInAnOrdinaryBody) {
  EXPECT_EQ(routing_field_of(kChat), "");
  EXPECT_EQ(
      routing_field_of(R"({"model":"m","messages":[{"role":"user"}],"api_version":"x","user":"u",)"
                       R"("metadata":{"tags":["a"],"user_api_key":"not a routing field"}})"),
      "");
  EXPECT_EQ(routing_field_of(R"({"model":"m","messages":[{"role":"user"}],"metadata":"api_key"})"),
            "");
}

TEST(ClientSideRoutingField, EachFieldAtTopLevel) {
  for (std::string_view field : {"api_key", "api_base", "base_url", "user_config"}) {
    const std::string body =
        R"({"model":"m","messages":[{"role":"user"}],")" + std::string(field) + R"(":null})";
    EXPECT_EQ(routing_field_of(body), field);
  }
}

TEST(ClientSideRoutingField, EachFieldInsideMetadata) {
  for (std::string_view field : {"api_key", "api_base", "base_url", "user_config"}) {
    const std::string body = R"({"model":"m","messages":[{"role":"user"}],"metadata":{")" +
                             std::string(field) + R"(":"x"}})";
    EXPECT_EQ(routing_field_of(body), field);
  }
}

TEST(ClientSideRoutingField, InsideMetadataSentAsAJsonString) {
  EXPECT_EQ(routing_field_of(
                R"({"model":"m","messages":[{"role":"user"}],"metadata":"{\"api_base\":\"x\"}"})"),
            "api_base");
  EXPECT_EQ(
      routing_field_of(R"({"model":"m","messages":[{"role":"user"}],"metadata":"{not json"})"), "");
}

TEST(ClientSideRoutingField, AllFieldsEachOnce) {
  auto request =
      parse_request(Endpoint::chat_completions,
                    R"({"model":"m","messages":[{"role":"user"}],"base_url":"b","api_key":"k",)"
                    R"("metadata":{"api_key":"k2","user_config":{}}})");
  ASSERT_TRUE(request);
  EXPECT_EQ(client_side_routing_fields(*request),
            (std::vector<std::string_view>{"api_key", "base_url", "user_config"}));
}

TEST(ClientSideRoutingField, FirstInAFixedOrderAndTopLevelFirst) {
  EXPECT_EQ(routing_field_of(
                R"({"model":"m","messages":[{"role":"user"}],"base_url":"b","api_key":"k"})"),
            "api_key");
  EXPECT_EQ(
      routing_field_of(
          R"({"model":"m","messages":[{"role":"user"}],"metadata":{"api_key":"k"},"user_config":{}})"),
      "user_config");
}

}  // namespace
}  // namespace llmux::api
