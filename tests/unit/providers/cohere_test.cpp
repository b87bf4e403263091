#include "providers/cohere.hpp"

#include "provider_test.hpp"
#include "providers/registry.hpp"
#include "providers/wire/sse.hpp"

namespace llmux::providers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

const CohereProvider kCohere;
constexpr char kClientModel[] = "my-command";

Target cohere_target() {
  return Target{.provider = "cohere_chat",
                .upstream_model = "command-a-03-2025",
                .api_base = "http://127.0.0.1:8000",
                .api_key = "co-secret-key"};
}

Result<UpstreamRequest> try_encode(api::Endpoint endpoint, std::string_view body,
                                   const Target& target = cohere_target()) {
  return kCohere.encode(parsed_request(endpoint, body), target);
}

UpstreamRequest encoded(api::Endpoint endpoint, std::string_view body,
                        const Target& target = cohere_target()) {
  auto result = try_encode(endpoint, body, target);
  if (!result) throw std::runtime_error("encode failed: " + result.error().message);
  return std::move(*result);
}

json::value chat_body(std::string_view body, const Target& target = cohere_target()) {
  return json::parse(encoded(api::Endpoint::chat_completions, body, target).body);
}

// ---- registry ----

TEST(CohereRegistry, BothPrefixesSpeakV2WithCohereKeys) {
  for (std::string_view prefix : {"cohere", "cohere_chat"}) {
    const ProviderSpec* spec = find_provider(prefix);
    ASSERT_NE(spec, nullptr) << prefix;
    EXPECT_EQ(spec->default_api_base, "https://api.cohere.com");
    EXPECT_EQ(spec->api_key_env, "COHERE_API_KEY");
    EXPECT_EQ(spec->fallback_api_key_env, "CO_API_KEY");
    EXPECT_NE(dynamic_cast<const CohereProvider*>(spec->provider), nullptr);
  }
}

// ---- encode ----

TEST(CohereEncode, ChatGoesToV2ChatWithFieldsRenamed) {
  const UpstreamRequest request = encoded(api::Endpoint::chat_completions, R"({
      "model":"my-command","messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Hi"}],
      "temperature":0.2,"top_p":0.9,"top_k":40,"seed":7,"max_completion_tokens":256,"stop":"\n\n",
      "frequency_penalty":0.5,"presence_penalty":0.25,"user":"u-1","metadata":{"tag":"x"}})");
  EXPECT_EQ(request.url, "http://127.0.0.1:8000/v2/chat");
  EXPECT_THAT(request.headers, ElementsAre(Pair("Authorization", "bearer co-secret-key")));
  EXPECT_EQ(json::parse(request.body), json::parse(R"({
      "model":"command-a-03-2025","stream":false,
      "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
      "temperature":0.2,"p":0.9,"k":40,"seed":7,"max_tokens":256,"stop_sequences":["\n\n"],
      "frequency_penalty":0.5,"presence_penalty":0.25})"));
}

TEST(CohereEncode, ToolsToolCallsAndToolResults) {
  const json::value body = chat_body(R"({"model":"m","stream":true,"tool_choice":"required",
      "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
      "messages":[
        {"role":"system","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]},
        {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
          "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"18C"},
        {"role":"assistant","content":"It is 18C."}]})");
  EXPECT_EQ(body,
            json::parse(R"({"model":"command-a-03-2025","stream":true,"tool_choice":"REQUIRED",
      "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
      "messages":[
        {"role":"system","content":"A\nB"},
        {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},
        {"role":"assistant","tool_calls":[{"id":"call_1","type":"function",
          "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"18C"},
        {"role":"assistant","content":"It is 18C."}]})"));
}

TEST(CohereEncode, ToolChoiceAutoIsOmittedNoneIsUpperCaseNamedIsRefused) {
  constexpr std::string_view kMessages = R"("messages":[{"role":"user","content":"x"}])";
  EXPECT_FALSE(chat_body(R"({"model":"m",)" + std::string(kMessages) + R"(,"tool_choice":"auto"})")
                   .as_object()
                   .contains("tool_choice"));
  EXPECT_EQ(chat_body(R"({"model":"m",)" + std::string(kMessages) + R"(,"tool_choice":"none"})")
                .at("tool_choice"),
            "NONE");
  auto named = try_encode(api::Endpoint::chat_completions,
                          R"({"model":"m",)" + std::string(kMessages) +
                              R"(,"tool_choice":{"type":"function","function":{"name":"f"}}})");
  ASSERT_FALSE(named);
  EXPECT_EQ(http_status(named.error()), 400);
  EXPECT_EQ(named.error().param, "tool_choice");
}

TEST(CohereEncode, ResponseFormatBecomesJsonObjectWithSchema) {
  constexpr std::string_view kStart =
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":)";
  EXPECT_EQ(chat_body(std::string(kStart) + R"({"type":"json_object"}})").at("response_format"),
            json::parse(R"({"type":"json_object"})"));
  EXPECT_EQ(
      chat_body(std::string(kStart) +
                R"({"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}}})")
          .at("response_format"),
      json::parse(R"({"type":"json_object","json_schema":{"type":"object"}})"));
  EXPECT_FALSE(chat_body(std::string(kStart) + R"({"type":"text"}})")
                   .as_object()
                   .contains("response_format"));
  auto missing = try_encode(api::Endpoint::chat_completions,
                            std::string(kStart) + R"({"type":"json_schema"}})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().param, "response_format");
}

TEST(CohereEncode, DefaultParamsFillWhatTheRequestLeftOut) {
  Target target = cohere_target();
  target.default_params["temperature"] = 0.7;
  target.default_params["max_tokens"] = 100;
  const json::value body = chat_body(
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0})", target);
  EXPECT_EQ(body.at("temperature"), json::value(0));
  EXPECT_EQ(body.at("max_tokens"), json::value(100));
}

TEST(CohereEncode, UnsupportedParamsRefusedUnlessDropped) {
  constexpr std::string_view kBody =
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":2}})";
  auto refused = try_encode(api::Endpoint::chat_completions, kBody);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unsupported_params);
  EXPECT_THAT(refused.error().message, HasSubstr("logit_bias"));
  Target dropping = cohere_target();
  dropping.drop_params = true;
  EXPECT_FALSE(chat_body(kBody, dropping).as_object().contains("logit_bias"));
}

TEST(CohereEncode, EmbeddingsGoToV2EmbedAsFloatTexts) {
  const UpstreamRequest request = encoded(
      api::Endpoint::embeddings, R"({"model":"e","input":["hello","goodbye"],"dimensions":256})");
  EXPECT_EQ(request.url, "http://127.0.0.1:8000/v2/embed");
  EXPECT_EQ(json::parse(request.body),
            json::parse(R"({"model":"command-a-03-2025","texts":["hello","goodbye"],
      "input_type":"search_document","embedding_types":["float"],"output_dimension":256})"));
  EXPECT_EQ(json::parse(encoded(api::Endpoint::embeddings,
                                R"({"model":"e","input":"q","input_type":"search_query"})")
                            .body),
            json::parse(R"({"model":"command-a-03-2025","texts":["q"],"input_type":"search_query",
                            "embedding_types":["float"]})"));
  auto tokens = try_encode(api::Endpoint::embeddings, R"({"model":"e","input":[[1,2,3]]})");
  ASSERT_FALSE(tokens);
  EXPECT_EQ(tokens.error().param, "input");
}

TEST(CohereEncode, RerankGoesToV2RerankWithCoheresFields) {
  EXPECT_TRUE(kCohere.serves_rerank());
  Target target = cohere_target();
  target.default_params["max_tokens_per_doc"] = 512;
  const UpstreamRequest request = encoded(
      api::Endpoint::rerank,
      R"({"model":"r","query":"capital?","documents":["Paris","Berlin"],"top_n":1})", target);
  EXPECT_EQ(request.url, "http://127.0.0.1:8000/v2/rerank");
  EXPECT_THAT(request.headers, ElementsAre(Pair("Authorization", "bearer co-secret-key")));
  EXPECT_EQ(json::parse(request.body),
            json::parse(R"({"model":"command-a-03-2025","query":"capital?",
      "documents":["Paris","Berlin"],"top_n":1,"max_tokens_per_doc":512})"));
  auto unknown = try_encode(api::Endpoint::rerank,
                            R"({"model":"r","query":"q","documents":["a"],"rank_fields":["t"]})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::unsupported_params);
}

TEST(CohereEncode, OtherEndpointsRefused) {
  auto completions = try_encode(api::Endpoint::completions, R"({"model":"m","prompt":"x"})");
  ASSERT_FALSE(completions);
  EXPECT_EQ(http_status(completions.error()), 400);
}

// ---- decode ----

api::Request chat_request() {
  return parsed_request(api::Endpoint::chat_completions,
                        R"({"model":"m","messages":[{"role":"user","content":"x"}]})");
}

TEST(CohereDecode, TextAnswerBecomesAChatCompletion) {
  auto reply =
      kCohere.decode(chat_request(), read_wire_fixture("cohere/chat.synthetic.json"), kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  json::value body = json::parse(reply->body);
  EXPECT_GT(body.at("created").as_int64(), 1700000000);
  body.as_object().erase("created");
  EXPECT_EQ(body,
            json::parse(R"({"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","object":"chat.completion",
      "model":"my-command","choices":[{"index":0,"message":{"role":"assistant",
      "content":"Hello! How can I help you today?"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":71,"completion_tokens":9,"total_tokens":80}})"));
  EXPECT_TRUE(reply->usage.reported);
  EXPECT_EQ(reply->usage.total_tokens, 80);
}

TEST(CohereDecode, ToolCallsKeepTheirIdsAndArguments) {
  auto reply = kCohere.decode(
      chat_request(), read_wire_fixture("cohere/chat_tool_call.synthetic.json"), kClientModel);
  ASSERT_TRUE(reply);
  const json::value body = json::parse(reply->body);
  const auto& choice = body.at("choices").at(0);
  EXPECT_EQ(choice.at("finish_reason"), "tool_calls");
  EXPECT_TRUE(choice.at("message").at("content").is_null());
  EXPECT_EQ(choice.at("message").at("tool_calls"), json::parse(R"([
      {"id":"get_weather_1byjy32y4hvq","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}},
      {"id":"get_weather_7hk2m0d9x3qa","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Tokyo\"}"}}])"));
  EXPECT_EQ(reply->usage.prompt_tokens, 1002);
}

TEST(CohereDecode, FinishReasonsMapToOpenAis) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"COMPLETE", "stop"},        {"STOP_SEQUENCE", "stop"}, {"MAX_TOKENS", "length"},
      {"TOOL_CALL", "tool_calls"}, {"ERROR", "stop"},         {"ERROR_TOXIC", "content_filter"},
      {"TIMEOUT", "stop"}};
  for (const auto& [cohere, openai] : cases) {
    const std::string upstream =
        R"({"finish_reason":")" + std::string(cohere) +
        R"(","message":{"role":"assistant","content":[{"type":"text","text":"x"}]}})";
    auto reply = kCohere.decode(chat_request(), upstream, kClientModel);
    ASSERT_TRUE(reply) << cohere;
    EXPECT_EQ(json::parse(reply->body).at("choices").at(0).at("finish_reason"), json::value(openai))
        << cohere;
    EXPECT_FALSE(reply->usage.reported);
  }
}

TEST(CohereDecode, EmbeddingsBecomeAnOpenAiListWithNumbersAsWritten) {
  const api::Request request =
      parsed_request(api::Endpoint::embeddings, R"({"model":"e","input":["hello","goodbye"]})");
  auto reply =
      kCohere.decode(request, read_wire_fixture("cohere/embed.synthetic.json"), kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_THAT(reply->body, HasSubstr("[0.016296387, -0.008354187, 0.04699707, -0.1234567890123]"));
  EXPECT_EQ(json::parse(reply->body), json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.016296387,-0.008354187,0.04699707,-0.1234567890123]},
      {"object":"embedding","index":1,"embedding":[-0.0052490234,0.0126953125,1e-7,0.5]}],
      "model":"my-command","usage":{"prompt_tokens":2,"total_tokens":2}})"));
  EXPECT_EQ(reply->usage.prompt_tokens, 2);
  const api::Request base64 = parsed_request(
      api::Endpoint::embeddings, R"({"model":"e","input":"x","encoding_format":"base64"})");
  auto encoded_reply =
      kCohere.decode(base64, read_wire_fixture("cohere/embed.synthetic.json"), kClientModel);
  ASSERT_TRUE(encoded_reply);
  EXPECT_TRUE(json::parse(encoded_reply->body).at("data").at(0).at("embedding").is_string());
}

TEST(CohereDecode, RerankAnswerIsRelayedAsCohereSentIt) {
  const api::Request request = parsed_request(
      api::Endpoint::rerank, R"({"model":"r","query":"q","documents":["a","b","c"]})");
  const std::string upstream = read_wire_fixture("cohere/rerank.synthetic.json");
  auto reply = kCohere.decode(request, upstream, kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->body, upstream);
  EXPECT_FALSE(reply->usage.reported) << "rerank bills search units, not tokens";
  auto empty = kCohere.decode(request, R"({"id":"x"})", kClientModel);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().kind, ErrorKind::upstream_failed);
}

TEST(CohereDecode, BadBodiesAreUpstreamFailures) {
  for (std::string_view bad : {"not json", "[1]", R"({"finish_reason":"COMPLETE"})"}) {
    auto reply = kCohere.decode(chat_request(), bad, kClientModel);
    ASSERT_FALSE(reply) << bad;
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed);
  }
  const api::Request embed =
      parsed_request(api::Endpoint::embeddings, R"({"model":"e","input":"x"})");
  auto no_floats = kCohere.decode(embed, R"({"embeddings":{"int8":[[1]]}})", kClientModel);
  ASSERT_FALSE(no_floats);
  EXPECT_EQ(no_floats.error().kind, ErrorKind::upstream_failed);
}

TEST(CohereDecodeError, MessageAndStatusKept) {
  const Error unauthorized =
      kCohere.decode_error(401, read_wire_fixture("cohere/error_401.synthetic.json"));
  EXPECT_EQ(unauthorized.kind, ErrorKind::unauthenticated);
  EXPECT_EQ(http_status(unauthorized), 401);
  EXPECT_EQ(unauthorized.message, "invalid api token");
  const std::pair<int, ErrorKind> cases[] = {{400, ErrorKind::invalid_request},
                                             {404, ErrorKind::not_found},
                                             {422, ErrorKind::unprocessable},
                                             {429, ErrorKind::rate_limited},
                                             {500, ErrorKind::internal}};
  for (const auto& [status, kind] : cases) {
    const Error error = kCohere.decode_error(status, R"({"message":"m"})");
    EXPECT_EQ(error.kind, kind) << status;
    EXPECT_EQ(http_status(error), status);
  }
  const Error garbage = kCohere.decode_error(502, "<html>bad gateway</html>");
  EXPECT_EQ(http_status(garbage), 502);
  EXPECT_THAT(garbage.message, HasSubstr("bad gateway"));
}

// ---- stream ----

StreamRun run(const api::Request& request, const std::vector<std::string_view>& pieces) {
  return run_stream(kCohere, request, pieces, kClientModel);
}

// The frames as JSON, the generated chunk id and time checked and blanked so runs compare.
std::vector<json::value> chunks_of(std::string_view out) {
  const std::vector<std::string> frames = test_support::frames(out);
  std::vector<json::value> chunks;
  std::string id;
  for (const auto& frame : frames) {
    if (frame == "[DONE]") {
      chunks.emplace_back("[DONE]");
      continue;
    }
    json::value chunk = json::parse(frame);
    if (id.empty()) id = chunk.at("id").as_string();
    EXPECT_EQ(chunk.at("id").as_string(), id) << "one id for the whole stream";
    EXPECT_THAT(id, StartsWith("chatcmpl-"));
    chunk.as_object()["id"] = "<id>";
    chunk.as_object()["created"] = 0;
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

json::value chunk(std::string_view choice) {
  return json::parse(
      R"({"id":"<id>","object":"chat.completion.chunk","created":0,"model":"my-command","choices":[)" +
      std::string(choice) + "]}");
}

TEST(CohereStream, TextEventsBecomeOpenAiChunks) {
  const StreamRun result =
      run(streaming_chat_request(true), {read_wire_fixture("cohere/chat_stream.synthetic.sse")});
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.done_before_finish);
  EXPECT_EQ(
      chunks_of(result.out),
      (std::vector<json::value>{
          chunk(R"({"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null})"),
          chunk(R"({"index":0,"delta":{"content":"Hello"},"finish_reason":null})"),
          chunk(R"({"index":0,"delta":{"content":"! Ça va \"bien\"?"},"finish_reason":null})"),
          chunk(R"({"index":0,"delta":{},"finish_reason":"stop"})"),
          json::parse(
              R"({"id":"<id>","object":"chat.completion.chunk","created":0,"model":"my-command",
                    "choices":[],"usage":{"prompt_tokens":71,"completion_tokens":6,"total_tokens":77}})"),
          json::value("[DONE]")}));
  EXPECT_EQ(result.usage.total_tokens, 77);
}

TEST(CohereStream, NoUsageChunkUnlessAsked) {
  const StreamRun result =
      run(streaming_chat_request(false), {read_wire_fixture("cohere/chat_stream.synthetic.sse")});
  ASSERT_FALSE(result.error);
  const auto chunks = chunks_of(result.out);
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[3], chunk(R"({"index":0,"delta":{},"finish_reason":"stop"})"));
  EXPECT_EQ(result.usage.prompt_tokens, 71) << "usage is counted for spend even when not relayed";
}

TEST(CohereStream, ToolCallsStreamWithIndexesAndArgumentDeltas) {
  const StreamRun result = run(streaming_chat_request(false),
                               {read_wire_fixture("cohere/chat_stream_tool_call.synthetic.sse")});
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_EQ(
      chunks_of(result.out),
      (std::vector<json::value>{
          chunk(R"({"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null})"),
          chunk(
              R"({"index":0,"delta":{"tool_calls":[{"index":0,"id":"get_weather_1byjy32y4hvq","type":"function",
                          "function":{"name":"get_weather","arguments":""}}]},"finish_reason":null})"),
          chunk(
              R"({"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]},"finish_reason":null})"),
          chunk(
              R"({"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null})"),
          chunk(
              R"({"index":0,"delta":{"tool_calls":[{"index":1,"id":"get_time_7hk2m0d9x3qa","type":"function",
                          "function":{"name":"get_time","arguments":""}}]},"finish_reason":null})"),
          chunk(
              R"({"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"finish_reason":null})"),
          chunk(R"({"index":0,"delta":{},"finish_reason":"tool_calls"})"), json::value("[DONE]")}));
}

TEST(CohereStream, SameOutputWhereverTheBytesAreSplit) {
  for (const char* fixture :
       {"cohere/chat_stream.synthetic.sse", "cohere/chat_stream_tool_call.synthetic.sse"}) {
    SCOPED_TRACE(fixture);
    const std::string upstream = read_wire_fixture(fixture);
    const api::Request request = streaming_chat_request(true);
    const StreamRun whole = run(request, {upstream});
    ASSERT_FALSE(whole.error);
    const auto expected = chunks_of(whole.out);
    const std::string_view text = upstream;
    for (std::size_t at = 0; at <= text.size(); ++at) {
      const StreamRun split = run(request, {text.substr(0, at), text.substr(at)});
      ASSERT_FALSE(split.error) << "split at " << at;
      ASSERT_EQ(chunks_of(split.out), expected) << "split at " << at;
      ASSERT_EQ(split.usage.total_tokens, whole.usage.total_tokens);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t at = 0; at < text.size(); ++at) bytes.push_back(text.substr(at, 1));
    EXPECT_EQ(chunks_of(run(request, bytes).out), expected) << "one byte at a time";
  }
}

TEST(CohereStream, TrailingDoneIsTolerated) {
  const std::string upstream =
      read_wire_fixture("cohere/chat_stream.synthetic.sse") + "data: [DONE]\n\n";
  const StreamRun result = run(streaming_chat_request(false), {upstream});
  ASSERT_FALSE(result.error);
  EXPECT_EQ(chunks_of(result.out).size(), 5u) << "one [DONE] only";
}

TEST(CohereStream, EarlyEndAndBadEventsAreUpstreamFailures) {
  const std::string upstream = read_wire_fixture("cohere/chat_stream.synthetic.sse");
  const auto last_event = upstream.rfind("event: message-end");
  const StreamRun cut =
      run(streaming_chat_request(false), {std::string_view(upstream).substr(0, last_event)});
  ASSERT_TRUE(cut.error);
  EXPECT_EQ(cut.error->kind, ErrorKind::upstream_failed);
  EXPECT_FALSE(cut.done);
  EXPECT_EQ(chunks_of(cut.out).size(), 3u) << "what came before was relayed";
  for (std::string_view bad :
       {std::string_view("data: [1]\n\n"), std::string_view("data: {\"type\":\n\n"),
        std::string_view("event: tool-call-start\ndata: {\"type\":\"tool-call-start\"}\n\n")}) {
    const StreamRun result = run(streaming_chat_request(false), {bad});
    ASSERT_TRUE(result.error) << bad;
    EXPECT_EQ(result.error->kind, ErrorKind::upstream_failed);
  }
  // Unknown event types carry nothing: skipped.
  const StreamRun unknown = run(streaming_chat_request(false),
                                {"event: debug\ndata: {\"type\":\"debug\"}\n\n" + upstream});
  ASSERT_FALSE(unknown.error);
  EXPECT_THAT(unknown.out, Not(HasSubstr("debug")));
}

}  // namespace
}  // namespace llmux::providers
