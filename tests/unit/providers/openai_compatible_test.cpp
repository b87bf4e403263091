#include "providers/openai_compatible.hpp"

#include "api/error_body.hpp"
#include "provider_test.hpp"
#include "providers/params.hpp"

namespace llmux::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const OpenAiCompatibleProvider kAskingUsage{/*ask_stream_usage=*/true};
const OpenAiCompatibleProvider kPassThrough{/*ask_stream_usage=*/false};

Target openai_target() {
  return Target{.provider = "openai",
                .upstream_model = "gpt-4o-2024-08-06",
                .api_base = "https://api.test/v1"};
}

UpstreamRequest encoded(const OpenAiCompatibleProvider& provider, api::Endpoint endpoint,
                        std::string_view body, const Target& target = openai_target()) {
  auto result = provider.encode(parsed_request(endpoint, body), target);
  if (!result) throw std::runtime_error("encode failed: " + result.error().message);
  return std::move(*result);
}

json::value upstream_body(const OpenAiCompatibleProvider& provider, std::string_view body,
                          const Target& target = openai_target()) {
  return json::parse(encoded(provider, api::Endpoint::chat_completions, body, target).body);
}

constexpr std::string_view kChat =
    R"({"model":"my-gpt","messages":[{"role":"user","content":"Hi"}]})";
constexpr std::string_view kStreamingChat =
    R"({"model":"my-gpt","messages":[{"role":"user","content":"Hi"}],"stream":true})";

// ---- encode ----

TEST(Encode, UrlIsApiBasePlusEndpointPath) {
  const Target target = openai_target();
  EXPECT_EQ(encoded(kPassThrough, api::Endpoint::chat_completions, kChat).url,
            "https://api.test/v1/chat/completions");
  EXPECT_EQ(encoded(kPassThrough, api::Endpoint::completions, R"({"model":"m","prompt":"p"})").url,
            "https://api.test/v1/completions");
  EXPECT_EQ(encoded(kPassThrough, api::Endpoint::embeddings, R"({"model":"m","input":"x"})").url,
            "https://api.test/v1/embeddings");
  EXPECT_EQ(encoded(kPassThrough, api::Endpoint::moderations, R"({"input":"x"})").url,
            "https://api.test/v1/moderations");
  Target local = target;
  local.api_base = "http://127.0.0.1:8000";
  EXPECT_EQ(encoded(kPassThrough, api::Endpoint::chat_completions, kChat, local).url,
            "http://127.0.0.1:8000/chat/completions");
}

TEST(Encode, NoCredentialsNoHeaders) {
  EXPECT_TRUE(encoded(kAskingUsage, api::Endpoint::chat_completions, kChat).headers.empty());
}

TEST(Encode, BearerKeyOrganizationThenExtraHeadersInOrder) {
  Target target = openai_target();
  target.api_key = "sk-test-123";
  target.organization = "org-42";
  target.extra_headers = {{"X-Team", "blue"}, {"HTTP-Referer", "https://example.test"}};
  EXPECT_THAT(encoded(kAskingUsage, api::Endpoint::chat_completions, kChat, target).headers,
              ElementsAre(Pair("Authorization", "Bearer sk-test-123"),
                          Pair("OpenAI-Organization", "org-42"), Pair("X-Team", "blue"),
                          Pair("HTTP-Referer", "https://example.test")));

  Target key_only = openai_target();
  key_only.api_key = "sk-only";
  EXPECT_THAT(
      encoded(kPassThrough, api::Endpoint::embeddings, R"({"model":"m","input":"x"})", key_only)
          .headers,
      ElementsAre(Pair("Authorization", "Bearer sk-only")));

  Target headers_only = openai_target();
  headers_only.extra_headers = {{"X-Only", "1"}};
  EXPECT_THAT(encoded(kPassThrough, api::Endpoint::chat_completions, kChat, headers_only).headers,
              ElementsAre(Pair("X-Only", "1")));
}

TEST(Encode, KeyNeverAppearsInTheBody) {
  Target target = openai_target();
  target.api_key = "sk-secret-in-header-only";
  EXPECT_THAT(encoded(kAskingUsage, api::Endpoint::chat_completions, kChat, target).body,
              ::testing::Not(HasSubstr("sk-secret")));
}

TEST(Encode, ModelIsReplacedByTheUpstreamModel) {
  EXPECT_EQ(
      upstream_body(kPassThrough, kChat),
      json::parse(R"({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"Hi"}]})"));
}

TEST(Encode, EveryGatewayOnlyFieldIsStripped) {
  const std::vector<std::string_view> gateway_only = {"metadata",
                                                      "user_config",
                                                      "mock_response",
                                                      "caching",
                                                      "cache",
                                                      "num_retries",
                                                      "fallbacks",
                                                      "context_window_fallbacks",
                                                      "api_key",
                                                      "api_base",
                                                      "base_url",
                                                      "api_version",
                                                      "timeout",
                                                      "stream_timeout",
                                                      "litellm_call_id",
                                                      "tags",
                                                      "litellm_logging_obj",
                                                      "max_retries",
                                                      "proxy_server_request",
                                                      "disable_fallbacks",
                                                      "drop_params",
                                                      "additional_drop_params"};
  json::object body = json::parse(kChat).as_object();
  for (std::string_view key : gateway_only) {
    EXPECT_TRUE(is_gateway_only_field(key)) << key;
    body[key] = "client value";
  }
  // OpenAI's own fields and unknown vendor fields pass through untouched.
  body["temperature"] = 0.5;
  body["user"] = "end-user-1";
  body["seed"] = 7;
  body["vendor_option"] = json::parse(R"({"nested":[1,{"a":null}]})");
  const json::value sent = upstream_body(kPassThrough, json::serialize(body));
  EXPECT_EQ(sent,
            json::parse(R"({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"Hi"}],
      "temperature":0.5,"user":"end-user-1","seed":7,"vendor_option":{"nested":[1,{"a":null}]}})"));
  for (std::string_view key :
       {"model", "messages", "temperature", "user", "seed", "vendor_option", "stream",
        "stream_options", "tools", "response_format", "n", "logprobs"}) {
    EXPECT_FALSE(is_gateway_only_field(key)) << key;
  }
}

TEST(Encode, KeysAndValuesKeepTheirBytesAndEscapedKeysStayValid) {
  // As written: the bytes of keys and values (number spelling, unicode escapes) pass through.
  const std::string plain =
      encoded(
          kPassThrough, api::Endpoint::chat_completions,
          R"({"model":"my-gpt","messages":[{"role":"user","content":"H\u00e9"}],"temperature":0.50})")
          .body;
  EXPECT_EQ(
      plain,
      R"({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"H\u00e9"}],"temperature":0.50})");
  // A key written with escapes: the body is rebuilt from the parsed members, keys escaped again.
  const json::value escaped = upstream_body(
      kPassThrough,
      R"({"model":"my-gpt","messages":[{"role":"user","content":"Hi"}],"a\"b\u0041":1,"metad\u0061ta":{}})");
  EXPECT_EQ(escaped.at("a\"bA"), 1);
  EXPECT_FALSE(escaped.as_object().contains("metadata"));  // still recognised as gateway-only
  EXPECT_EQ(escaped.at("model"), "gpt-4o-2024-08-06");
}

TEST(Encode, DefaultParamsOnlyWhereTheClientSetNothing) {
  Target target = openai_target();
  target.default_params =
      json::parse(R"({"temperature":0.1,"max_tokens":256,"top_p":0.9})").as_object();
  const json::value sent = upstream_body(
      kPassThrough,
      R"({"model":"my-gpt","messages":[{"role":"user","content":"Hi"}],"temperature":0.7})",
      target);
  EXPECT_EQ(sent,
            json::parse(R"({"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"Hi"}],
      "temperature":0.7,"max_tokens":256,"top_p":0.9})"));
}

TEST(Encode, StreamUsageIsAskedForWhenTheClientDidNot) {
  EXPECT_EQ(upstream_body(kAskingUsage, kStreamingChat).at("stream_options"),
            json::parse(R"({"include_usage":true})"));
  // The client's other stream options are kept; an explicit false is overridden (the decoder hides
  // the usage chunk from this client).
  for (std::string_view options :
       {R"({"include_obfuscation":false})", R"({"include_usage":false,"x":1})"}) {
    SCOPED_TRACE(options);
    json::object body = json::parse(kStreamingChat).as_object();
    body["stream_options"] = json::parse(options);
    json::object expected = json::parse(options).as_object();
    expected["include_usage"] = true;
    EXPECT_EQ(upstream_body(kAskingUsage, json::serialize(body)).at("stream_options"),
              json::value(expected));
  }
}

TEST(Encode, StreamOptionsLeftAloneOtherwise) {
  // Not streaming.
  EXPECT_FALSE(upstream_body(kAskingUsage, kChat).as_object().contains("stream_options"));
  // An upstream not known to accept stream_options.
  EXPECT_FALSE(upstream_body(kPassThrough, kStreamingChat).as_object().contains("stream_options"));
  // The client asked already: its options go as sent.
  constexpr std::string_view asked =
      R"({"model":"my-gpt","messages":[{"role":"user"}],"stream":true,"stream_options":{"include_usage":true,"y":2}})";
  EXPECT_EQ(upstream_body(kAskingUsage, asked).at("stream_options"),
            json::parse(R"({"include_usage":true,"y":2})"));
  EXPECT_EQ(upstream_body(kPassThrough, asked).at("stream_options"),
            json::parse(R"({"include_usage":true,"y":2})"));
}

// ---- decode ----

TEST(Decode, ModelIsRewrittenAndTheRestKept) {
  const std::string fixture = read_wire_fixture("openai/chat_completion.json");
  auto reply = kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat), fixture,
                                   "my-gpt");
  ASSERT_TRUE(reply) << reply.error().message;
  json::object expected = json::parse(fixture).as_object();
  ASSERT_EQ(expected.at("model"), "gpt-5.4");
  expected["model"] = "my-gpt";
  EXPECT_EQ(json::parse(reply->body), json::value(expected));
}

TEST(Decode, UsageIsExtracted) {
  auto reply = kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat),
                                   read_wire_fixture("openai/chat_completion.json"), "my-gpt");
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->usage.reported);
  EXPECT_EQ(reply->usage.prompt_tokens, 19);
  EXPECT_EQ(reply->usage.completion_tokens, 10);
  EXPECT_EQ(reply->usage.total_tokens, 29);
  EXPECT_EQ(reply->usage.cached_tokens, 0);

  auto tools =
      kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat),
                          read_wire_fixture("openai/chat_completion_tool_calls.json"), "my-gpt");
  ASSERT_TRUE(tools);
  EXPECT_EQ(json::parse(tools->body).at("model"), "my-gpt");

  // Without usage in the answer: estimated from the prompt and the answer's text, body unchanged.
  constexpr std::string_view kNoUsage = R"({"object":"chat.completion","model":"x","choices":[
      {"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?"},"finish_reason":"stop"}]})";
  auto no_usage = kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat),
                                      kNoUsage, "my-gpt");
  ASSERT_TRUE(no_usage);
  EXPECT_FALSE(no_usage->usage.reported);
  EXPECT_TRUE(no_usage->usage.estimated);
  EXPECT_EQ(no_usage->usage.completion_tokens, 9);
  EXPECT_GT(no_usage->usage.prompt_tokens, 3);
  const json::value body = json::parse(no_usage->body);
  EXPECT_EQ(body.at("usage").at("completion_tokens"), 9);
  EXPECT_EQ(body.at("usage").at("total_tokens").to_number<std::int64_t>(),
            no_usage->usage.total_tokens);
  EXPECT_EQ(body.at("model"), "my-gpt");
}

constexpr std::string_view kFloatEmbeddings = R"({"object":"list","model":"text-embedding-3-small",
    "data":[{"object":"embedding","index":0,"embedding":[1.0,-2.5,0.0]}],
    "usage":{"prompt_tokens":3,"total_tokens":3}})";

json::value decoded_embeddings(std::string_view request_body, std::string_view upstream) {
  auto reply =
      kAskingUsage.decode(parsed_request(api::Endpoint::embeddings, request_body), upstream, "emb");
  if (!reply) throw std::runtime_error(reply.error().message);
  return json::parse(reply->body);
}

TEST(Decode, EmbeddingsBecomeBase64OnlyWhenTheClientAskedBase64) {
  const json::value base64 = decoded_embeddings(
      R"({"model":"emb","input":"x","encoding_format":"base64"})", kFloatEmbeddings);
  EXPECT_EQ(base64.at("data").at(0).at("embedding"), "AACAPwAAIMAAAAAA");
  EXPECT_EQ(base64.at("model"), "emb");

  for (std::string_view body : {R"({"model":"emb","input":"x"})",
                                R"({"model":"emb","input":"x","encoding_format":"float"})"}) {
    SCOPED_TRACE(body);
    EXPECT_EQ(decoded_embeddings(body, kFloatEmbeddings).at("data").at(0).at("embedding"),
              json::parse("[1.0,-2.5,0.0]"));
  }
  // An upstream that already answered base64 is passed through.
  constexpr std::string_view already =
      R"({"object":"list","model":"m","data":[{"index":0,"embedding":"AACAPw=="}]})";
  EXPECT_EQ(decoded_embeddings(R"({"model":"emb","input":"x","encoding_format":"base64"})", already)
                .at("data")
                .at(0)
                .at("embedding"),
            "AACAPw==");
}

TEST(Decode, Base64PathSurvivesABodyOnlyTheScannerAccepts) {
  for (std::string_view body :
       {R"({"object":"list","data":[{"index":0,"embedding":[1.0]}],"note":"\q"})",
        "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[1.0]}],\"note\":\"\xff\"}"}) {
    SCOPED_TRACE(body);
    auto reply = kAskingUsage.decode(
        parsed_request(api::Endpoint::embeddings,
                       R"({"model":"emb","input":"x","encoding_format":"base64"})"),
        body, "emb");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed);
  }
}

TEST(Decode, BodyThatIsNotAJsonObjectIsAnUpstreamFailure) {
  for (std::string_view body :
       {"", "<html>502 Bad Gateway</html>", "[1,2]", R"("text")", R"({"truncated":)"}) {
    SCOPED_TRACE(body);
    auto reply =
        kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat), body, "my-gpt");
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed);
    EXPECT_EQ(http_status(reply.error()), 502);
  }
}

TEST(Decode, ErrorObjectWithA2xxIsAnError) {
  auto reply = kAskingUsage.decode(
      parsed_request(api::Endpoint::chat_completions, kChat),
      R"({"error":{"message":"Upstream overloaded","type":"server_error","param":null,"code":null}})",
      "my-gpt");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().message, "Upstream overloaded");
  EXPECT_EQ(reply.error().type, "server_error");
  EXPECT_EQ(http_status(reply.error()), 500);
}

TEST(Decode, NullErrorKeyIsNotAnError) {
  json::object answer = json::parse(read_wire_fixture("openai/chat_completion.json")).as_object();
  answer["error"] = nullptr;
  auto reply = kAskingUsage.decode(parsed_request(api::Endpoint::chat_completions, kChat),
                                   json::serialize(answer), "my-gpt");
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->usage.total_tokens, 29);
}

// ---- decode_error ----

TEST(DecodeError, OpenAiErrorBodyIsKept) {
  const std::string fixture = read_wire_fixture("openai/error_401_invalid_api_key.json");
  const Error error = kAskingUsage.decode_error(401, fixture);
  EXPECT_EQ(error.kind, ErrorKind::unauthenticated);
  EXPECT_EQ(error.status, 401);
  EXPECT_THAT(error.message, ::testing::StartsWith("Incorrect API key provided: 4f9bb533"));
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, "");
  EXPECT_EQ(error.code, "invalid_api_key");
  // Relayed to the client, it is the upstream's body again.
  EXPECT_EQ(json::parse(api::error_body(error)), json::parse(fixture));
}

TEST(DecodeError, ParamAndCodeStringsAreKept) {
  const Error error =
      decode_openai_error(400, R"({"error":{"message":"Invalid value for 'temperature'.",
      "type":"invalid_request_error","param":"temperature","code":"invalid_value"}})");
  EXPECT_EQ(error.kind, ErrorKind::invalid_request);
  EXPECT_EQ(error.param, "temperature");
  EXPECT_EQ(error.code, "invalid_value");
  EXPECT_EQ(error.message, "Invalid value for 'temperature'.");
}

TEST(DecodeError, NumericCodeBecomesAString) {
  // OpenRouter's shape: {"error":{"code":429,"message":…,"metadata":…}}.
  const Error error = decode_openai_error(
      429, R"({"error":{"code":429,"message":"Rate limit exceeded","metadata":{}}})");
  EXPECT_EQ(error.kind, ErrorKind::rate_limited);
  EXPECT_EQ(error.code, "429");
  EXPECT_EQ(error.message, "Rate limit exceeded");
  EXPECT_EQ(json::parse(api::error_body(error)).at("error").at("code"), "429");
}

TEST(DecodeError, BareMessageShapes) {
  const Error top_level = decode_openai_error(404, R"({"message":"Not Found","detail":"x"})");
  EXPECT_EQ(top_level.kind, ErrorKind::not_found);
  EXPECT_EQ(top_level.message, "Not Found");
  const Error string_error = decode_openai_error(400, R"({"error":"model is required"})");
  EXPECT_EQ(string_error.message, "model is required");
  EXPECT_EQ(string_error.status, 400);
}

TEST(DecodeError, NonJsonBodyIsQuoted) {
  const Error error = decode_openai_error(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_EQ(error.kind, ErrorKind::internal);
  EXPECT_EQ(error.status, 502);
  EXPECT_EQ(error.message,
            "The upstream answered with HTTP 502: <html><body>Bad Gateway</body></html>");

  EXPECT_EQ(decode_openai_error(503, "").message, "The upstream answered with HTTP 503");
  EXPECT_EQ(decode_openai_error(503, "").kind, ErrorKind::unavailable);
  // A JSON object with nothing usable is quoted the same way.
  EXPECT_EQ(decode_openai_error(500, R"({"detail":"boom"})").message,
            R"(The upstream answered with HTTP 500: {"detail":"boom"})");
}

TEST(DecodeError, LongBodyIsTruncated) {
  const std::string body = std::string(400, 'a') + std::string(400, 'b') + "END";
  const Error error = decode_openai_error(500, body);
  EXPECT_THAT(error.message, HasSubstr(std::string(400, 'a') + std::string(100, 'b')));
  EXPECT_THAT(error.message, ::testing::Not(HasSubstr(std::string(101, 'b'))));
  EXPECT_THAT(error.message, ::testing::Not(HasSubstr("END")));
}

TEST(DecodeError, TruncationKeepsTheMessageValidUtf8) {
  const std::string body =
      std::string(499, 'x') + "\xC3\xA9" + std::string(100, 'y');  // 'é' at 499..500
  const std::string rendered = api::error_body(decode_openai_error(502, body));
  json::error_code ec;
  (void)json::parse(rendered, ec);
  EXPECT_FALSE(ec) << "error body is not valid JSON: " << ec.message();
}

TEST(DecodeError, ContextLengthAndContentPolicyCodesSetTheKind) {
  const Error context = decode_openai_error(
      400, R"({"error":{"message":"This model's maximum context length is 128000 tokens.",
      "type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})");
  EXPECT_EQ(context.kind, ErrorKind::context_window_exceeded);
  EXPECT_EQ(http_status(context), 400);
  EXPECT_EQ(context.param, "messages");

  for (std::string_view code : {"content_policy_violation", "content_filter"}) {
    const Error policy = decode_openai_error(
        400, R"({"error":{"message":"blocked","type":"invalid_request_error","code":")" +
                 std::string(code) + R"("}})");
    EXPECT_EQ(policy.kind, ErrorKind::content_policy) << code;
  }
}

TEST(DecodeError, StatusIsKeptWhateverTheKind) {
  for (int status : {400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504, 529}) {
    SCOPED_TRACE(status);
    const Error error = decode_openai_error(status, R"({"error":{"message":"m","type":"t"}})");
    EXPECT_EQ(error.status, status);
    EXPECT_EQ(http_status(error), status);
    EXPECT_EQ(error.kind, kind_from_status(status));
    EXPECT_EQ(error.type, "t");
  }
}

}  // namespace
}  // namespace llmux::providers
