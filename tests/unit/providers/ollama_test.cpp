#include "providers/ollama.hpp"

#include "api/error_body.hpp"
#include "provider_test.hpp"
#include "providers/wire/sse.hpp"

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

const OllamaProvider kChatApi{OllamaProvider::Api::chat};          // ollama_chat/
const OllamaProvider kGenerateApi{OllamaProvider::Api::generate};  // ollama/

constexpr char kClientModel[] = "my-llama";

Target ollama_target() {
  return Target{.provider = "ollama_chat",
                .upstream_model = "llama3.2",
                .api_base = "http://127.0.0.1:11434"};
}

Result<UpstreamRequest> try_encode(const OllamaProvider& provider, api::Endpoint endpoint,
                                   std::string_view body, const Target& target = ollama_target()) {
  return provider.encode(parsed_request(endpoint, body), target);
}

UpstreamRequest encoded(const OllamaProvider& provider, api::Endpoint endpoint,
                        std::string_view body, const Target& target = ollama_target()) {
  auto result = try_encode(provider, endpoint, body, target);
  if (!result) throw std::runtime_error("encode failed: " + result.error().message);
  return std::move(*result);
}

json::value chat_body(std::string_view body, const Target& target = ollama_target()) {
  return json::parse(encoded(kChatApi, api::Endpoint::chat_completions, body, target).body);
}

// ---- encode ----

TEST(OllamaEncode, ChatGoesToApiChatWithOptionsMapped) {
  const UpstreamRequest request = encoded(kChatApi, api::Endpoint::chat_completions, R"({
      "model":"my-llama","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
      "temperature":0.2,"top_p":0.9,"top_k":40,"seed":7,"max_tokens":256,"stop":"\n\n",
      "frequency_penalty":0.5,"presence_penalty":0.25,"user":"u-1","metadata":{"tag":"x"}})");
  EXPECT_EQ(request.url, "http://127.0.0.1:11434/api/chat");
  EXPECT_TRUE(request.headers.empty());
  EXPECT_EQ(json::parse(request.body), json::parse(R"({
      "model":"llama3.2","stream":false,
      "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
      "options":{"temperature":0.2,"top_p":0.9,"top_k":40,"seed":7,"num_predict":256,"stop":["\n\n"],
                 "frequency_penalty":0.5,"presence_penalty":0.25}})"));
}

TEST(OllamaEncode, MaxCompletionTokensStreamAndNativeFields) {
  Target target = ollama_target();
  target.default_params["num_ctx"] = 8192;
  target.default_params["keep_alive"] = "10m";
  target.default_params["temperature"] = 0.9;  // the request's own value wins
  EXPECT_EQ(
      chat_body(R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true,
                          "stream_options":{"include_usage":true},"max_completion_tokens":32,"temperature":0,
                          "options":{"repeat_penalty":1.1}})",
                target),
      json::parse(R"({"model":"llama3.2","stream":true,"messages":[{"role":"user","content":"Hi"}],
                            "keep_alive":"10m",
                            "options":{"num_predict":32,"temperature":0,"repeat_penalty":1.1,"num_ctx":8192}})"));
}

TEST(OllamaEncode, ToolsImagesToolCallsAndToolResults) {
  const json::value body = chat_body(R"({"model":"m","messages":[
      {"role":"user","content":[{"type":"text","text":"What is in "},{"type":"text","text":"this picture?"},
                                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
          "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"18C"}],
      "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
      "tool_choice":"auto"})");
  EXPECT_EQ(body, json::parse(R"({"model":"llama3.2","stream":false,"messages":[
      {"role":"user","content":"What is in this picture?","images":["iVBORw0KGgo="]},
      {"role":"assistant","content":"","tool_calls":[{"id":"call_1","function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},
      {"role":"tool","content":"18C","tool_name":"get_weather","tool_call_id":"call_1"}],
      "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]})"));
}

TEST(OllamaEncode, ResponseFormatBecomesFormat) {
  EXPECT_EQ(
      chat_body(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})")
          .at("format"),
      "json");
  EXPECT_EQ(
      chat_body(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",
                "json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})")
          .at("format"),
      json::parse(R"({"type":"object","properties":{"a":{"type":"string"}}})"));
  EXPECT_FALSE(
      chat_body(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}})")
          .as_object()
          .contains("format"));
}

TEST(OllamaEncode, ReasoningEffortBecomesThink) {
  EXPECT_EQ(
      chat_body(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"high"})")
          .at("think"),
      true);
  Target oss = ollama_target();
  oss.upstream_model = "gpt-oss:20b";
  EXPECT_EQ(
      chat_body(
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"low"})",
          oss)
          .at("think"),
      "low");
}

TEST(OllamaEncode, ApiKeyIsABearerToken) {
  Target target = ollama_target();
  target.api_key = "ollama-cloud-key";
  EXPECT_THAT(encoded(kChatApi, api::Endpoint::chat_completions,
                      R"({"model":"m","messages":[{"role":"user","content":"x"}]})", target)
                  .headers,
              UnorderedElementsAre(Pair("Authorization", "Bearer ollama-cloud-key")));
}

TEST(OllamaEncode, UnsupportedParamsRefusedUnlessDropped) {
  constexpr std::string_view kWithN =
      R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":2,"logit_bias":{}})";
  auto refused = try_encode(kChatApi, api::Endpoint::chat_completions, kWithN);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unsupported_params);
  EXPECT_THAT(refused.error().message, HasSubstr("ollama_chat does not support parameters: ['n']"));
  Target dropping = ollama_target();
  dropping.drop_params = true;
  const json::value body =
      json::parse(encoded(kChatApi, api::Endpoint::chat_completions, kWithN, dropping).body);
  EXPECT_FALSE(body.as_object().contains("n"));
  EXPECT_FALSE(body.as_object().contains("logit_bias"));
  // /api/generate has no tools.
  auto no_tools =
      try_encode(kGenerateApi, api::Endpoint::chat_completions,
                 R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]})");
  ASSERT_FALSE(no_tools);
  EXPECT_EQ(no_tools.error().param, "tools");
  const json::value dropped_tools = json::parse(
      encoded(
          kGenerateApi, api::Endpoint::chat_completions,
          R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[],"temperature":1})",
          dropping)
          .body);
  EXPECT_FALSE(dropped_tools.as_object().contains("tools"));
  const json::value embed =
      json::parse(encoded(kChatApi, api::Endpoint::embeddings,
                          R"({"model":"m","input":"x","temperature":1})", dropping)
                      .body);
  EXPECT_EQ(embed, json::parse(R"({"model":"llama3.2","input":"x"})"));
}

TEST(OllamaEncode, ImageUrlsMustBeInline) {
  auto result = try_encode(kChatApi, api::Endpoint::chat_completions,
                           R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_request);
  EXPECT_THAT(result.error().message, HasSubstr("base64"));
}

TEST(OllamaEncode, GenerateFlattensMessagesAsLiteLlm) {
  const UpstreamRequest request =
      encoded(kGenerateApi, api::Endpoint::chat_completions, R"({"model":"m","messages":[
      {"role":"system","content":"Be brief."},{"role":"system","content":" Really."},
      {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4A=="}}]},
      {"role":"assistant","content":"Hello","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
      {"role":"tool","tool_call_id":"c1","content":"42"},{"role":"user","content":"And?"}],"max_tokens":9})");
  EXPECT_EQ(request.url, "http://127.0.0.1:11434/api/generate");
  EXPECT_EQ(json::parse(request.body), json::parse(R"({"model":"llama3.2","stream":false,
      "prompt":"### System:\nBe brief. Really.\n\n### User:\nHi\n\n### Assistant:\nHelloTool Calls: [{\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":{\"a\":1}}}]\n\n### User:\n42And?\n\n",
      "images":["/9j/4A=="],"options":{"num_predict":9}})"));
}

TEST(OllamaEncode, LegacyCompletionsAndEmbeddings) {
  for (const OllamaProvider* provider : {&kChatApi, &kGenerateApi}) {
    const UpstreamRequest completion = encoded(
        *provider, api::Endpoint::completions,
        R"({"model":"m","prompt":"Once upon","suffix":"end","max_tokens":5,"stream":true})");
    EXPECT_EQ(completion.url, "http://127.0.0.1:11434/api/generate");
    EXPECT_EQ(json::parse(completion.body),
              json::parse(R"({"model":"llama3.2","prompt":"Once upon","suffix":"end",
        "stream":true,"options":{"num_predict":5}})"));
    const UpstreamRequest embed =
        encoded(*provider, api::Endpoint::embeddings,
                R"({"model":"m","input":["a","b"],"encoding_format":"base64"})");
    EXPECT_EQ(embed.url, "http://127.0.0.1:11434/api/embed");
    EXPECT_EQ(json::parse(embed.body), json::parse(R"({"model":"llama3.2","input":["a","b"]})"));
  }
  EXPECT_FALSE(
      try_encode(kChatApi, api::Endpoint::embeddings, R"({"model":"m","input":[[1,2,3]]})"));
  EXPECT_FALSE(try_encode(kChatApi, api::Endpoint::moderations, R"({"input":"x"})"));
}

// ---- decode ----

api::Request chat_request() {
  return parsed_request(api::Endpoint::chat_completions,
                        R"({"model":"my-llama","messages":[{"role":"user","content":"x"}]})");
}

TEST(OllamaDecode, ChatAnswerBecomesAChatCompletion) {
  auto reply = kChatApi.decode(chat_request(), read_wire_fixture("ollama/chat.synthetic.json"),
                               kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  json::object body = json::parse(reply->body).as_object();
  EXPECT_THAT(std::string(body.at("id").as_string()), StartsWith("chatcmpl-"));
  body.erase("id");
  EXPECT_EQ(body,
            json::parse(R"({"object":"chat.completion","created":1702390423,"model":"my-llama",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How are you today?"},"finish_reason":"stop"}],
      "usage":{"prompt_tokens":26,"completion_tokens":298,"total_tokens":324}})"));
  EXPECT_TRUE(reply->usage.reported);
  EXPECT_EQ(reply->usage.total_tokens, 324);
}

TEST(OllamaDecode, ToolCallsGetIdsAndStringArguments) {
  auto reply = kChatApi.decode(
      chat_request(), read_wire_fixture("ollama/chat_tool_calls.synthetic.json"), kClientModel);
  ASSERT_TRUE(reply);
  const json::value body = json::parse(reply->body);
  const auto& choice = body.at("choices").at(0);
  EXPECT_EQ(choice.at("finish_reason"), "tool_calls");
  EXPECT_TRUE(choice.at("message").at("content").is_null());
  const auto& calls = choice.at("message").at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_NE(calls[0].at("id"), calls[1].at("id"));
  for (const auto& call : calls) {
    EXPECT_THAT(std::string(call.at("id").as_string()), StartsWith("call_"));
    EXPECT_EQ(call.at("type"), "function");
    EXPECT_FALSE(call.as_object().contains("index"));
  }
  EXPECT_EQ(calls[0].at("function").at("name"), "GetWeatherArgs");
  EXPECT_EQ(json::parse(calls[0].at("function").at("arguments").as_string()),
            json::parse(R"({"city":"Edinburgh","country":"GB","units":"c"})"));
}

TEST(OllamaDecode, ToolCallArgumentsKeepTheirNumbersAsWritten) {
  // 0.22481529024076075 does not survive a Boost.JSON 1.81 parse and re-serialisation.
  constexpr std::string_view kAnswer =
      R"({"created_at":"2024-07-22T20:33:28Z","message":{"role":"assistant","content":"",
      "tool_calls":[{"function":{"name":"f","arguments":{"x":0.22481529024076075,"y":[1e-7]}}},
                    {"function":{"name":"g","arguments":{}}}]},"done":true,"done_reason":"stop"})";
  auto reply = kChatApi.decode(chat_request(), kAnswer, kClientModel);
  ASSERT_TRUE(reply);
  const json::value body = json::parse(reply->body);
  const auto& calls = body.at("choices").at(0).at("message").at("tool_calls").as_array();
  EXPECT_EQ(calls[0].at("function").at("arguments"), R"({"x":0.22481529024076075,"y":[1e-7]})");
  EXPECT_EQ(calls[1].at("function").at("arguments"), "{}");
}

TEST(OllamaDecode, GenerateAnswerForChatAndForLegacyCompletions) {
  const std::string upstream = read_wire_fixture("ollama/generate.synthetic.json");
  auto chat = kGenerateApi.decode(chat_request(), upstream, kClientModel);
  ASSERT_TRUE(chat);
  EXPECT_EQ(json::parse(chat->body).at("choices").at(0).at("message").at("content"),
            "The sky is blue because of Rayleigh scattering.");
  auto legacy =
      kChatApi.decode(parsed_request(api::Endpoint::completions, R"({"model":"m","prompt":"p"})"),
                      upstream, kClientModel);
  ASSERT_TRUE(legacy);
  json::object body = json::parse(legacy->body).as_object();
  EXPECT_THAT(std::string(body.at("id").as_string()), StartsWith("cmpl-"));
  body.erase("id");
  EXPECT_EQ(body,
            json::parse(R"({"object":"text_completion","created":1691176965,"model":"my-llama",
      "choices":[{"index":0,"text":"The sky is blue because of Rayleigh scattering.","logprobs":null,"finish_reason":"stop"}],
      "usage":{"prompt_tokens":26,"completion_tokens":259,"total_tokens":285}})"));
}

TEST(OllamaDecode, EmbeddingsBecomeAnOpenAiList) {
  const std::string upstream = read_wire_fixture("ollama/embed.synthetic.json");
  auto reply = kChatApi.decode(
      parsed_request(api::Endpoint::embeddings,
                     R"({"model":"m","input":["a","b"],"encoding_format":"float"})"),
      upstream, kClientModel);
  ASSERT_TRUE(reply);
  const json::value vectors = json::parse(upstream).at("embeddings");
  EXPECT_EQ(json::parse(reply->body), json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":)" +
                                                  json::serialize(vectors.at(0)) + R"(},
      {"object":"embedding","index":1,"embedding":)" +
                                                  json::serialize(vectors.at(1)) + R"(}],
      "model":"my-llama","usage":{"prompt_tokens":8,"total_tokens":8}})"));
  EXPECT_THAT(reply->body, HasSubstr("[0.010071029,-0.0017594862,0.05007221,0.04692972]"))
      << "numbers copied as Ollama wrote them";
  EXPECT_FALSE(
      kChatApi.decode(parsed_request(api::Endpoint::embeddings, R"({"model":"m","input":"a"})"),
                      R"({"embeddings":{"a":1}})", kClientModel));
  auto base64 = kChatApi.decode(
      parsed_request(api::Endpoint::embeddings,
                     R"({"model":"m","input":["a","b"],"encoding_format":"base64"})"),
      upstream, kClientModel);
  ASSERT_TRUE(base64);
  EXPECT_TRUE(json::parse(base64->body).at("data").at(0).at("embedding").is_string());
}

TEST(OllamaDecode, BadBodiesAreUpstreamFailures) {
  for (std::string_view body :
       {std::string_view(R"({"model":"x","message":{"content":"hi")"), std::string_view("[1]"),
        std::string_view("{\"response\":\"\xC3\x28\"}")}) {
    auto reply = kChatApi.decode(chat_request(), body, kClientModel);
    ASSERT_FALSE(reply) << body;
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed);
  }
}

TEST(OllamaDecodeError, OllamasMessageAndStatusKept) {
  const Error missing = kChatApi.decode_error(
      404, read_wire_fixture("ollama/error_404_model_not_found.synthetic.json"));
  EXPECT_EQ(missing.kind, ErrorKind::not_found);
  EXPECT_EQ(http_status(missing), 404);
  EXPECT_EQ(missing.message, "model \"llama9\" not found, try pulling it first");
  const Error limited = kChatApi.decode_error(429, R"({"error":"too many requests"})");
  EXPECT_EQ(limited.kind, ErrorKind::rate_limited);
  EXPECT_EQ(limited.message, "too many requests");
  const Error garbage = kChatApi.decode_error(502, "<html>bad gateway</html>");
  EXPECT_EQ(http_status(garbage), 502);
  EXPECT_THAT(garbage.message, HasSubstr("bad gateway"));
}

// ---- stream ----

api::Request streaming(api::Endpoint endpoint, bool include_usage) {
  if (endpoint == api::Endpoint::completions)
    return parsed_request(
        endpoint,
        include_usage
            ? R"({"model":"m","prompt":"p","stream":true,"stream_options":{"include_usage":true}})"
            : R"({"model":"m","prompt":"p","stream":true})");
  return streaming_chat_request(include_usage);
}

StreamRun run(const OllamaProvider& provider, const api::Request& request,
              const std::vector<std::string_view>& pieces) {
  return run_stream(provider, request, pieces, kClientModel);
}

// The frames as JSON, with the generated ids (chunk id, tool-call ids) checked and blanked so
// runs can be compared.
std::vector<json::value> chunks_of(std::string_view out) {
  wire::SseParser parser;
  std::vector<wire::SseEvent> events;
  EXPECT_TRUE(parser.feed(out, events));
  std::vector<json::value> chunks;
  std::string id;
  for (const auto& event : events) {
    if (event.data == "[DONE]") {
      chunks.emplace_back("[DONE]");
      continue;
    }
    json::value chunk = json::parse(event.data);
    if (id.empty()) id = chunk.at("id").as_string();
    EXPECT_EQ(chunk.at("id").as_string(), id) << "one id for the whole stream";
    chunk.as_object()["id"] = "<id>";
    for (auto& choice : chunk.at("choices").as_array()) {
      auto* delta = choice.as_object().if_contains("delta");
      auto* calls = delta ? delta->as_object().if_contains("tool_calls") : nullptr;
      if (!calls) continue;
      for (auto& call : calls->as_array()) {
        EXPECT_THAT(std::string(call.at("id").as_string()), StartsWith("call_"));
        call.as_object()["id"] = "<call>";
      }
    }
    chunks.push_back(std::move(chunk));
  }
  return chunks;
}

json::value chunk(std::string_view choice, std::string_view object = "chat.completion.chunk") {
  return json::parse(R"({"id":"<id>","object":")" + std::string(object) +
                     R"(","created":1721680408,"model":"my-llama","choices":[)" +
                     std::string(choice) + "]}");
}

TEST(OllamaStream, ChatLinesBecomeOpenAiChunks) {
  const StreamRun result = run(kChatApi, streaming(api::Endpoint::chat_completions, true),
                               {read_wire_fixture("ollama/chat_stream.synthetic.ndjson")});
  ASSERT_FALSE(result.error) << result.error->message;
  EXPECT_TRUE(result.done);
  std::vector<json::value> expected = {
      chunk(R"({"index":0,"delta":{"role":"assistant","content":"Héllo"},"finish_reason":null})")};
  for (std::string_view piece : {"!", " How", " can", " I", " help", " you today? 👋"}) {
    expected.push_back(chunk(R"({"index":0,"delta":{"content":")" + std::string(piece) +
                             R"("},"finish_reason":null})"));
  }
  expected.push_back(chunk(R"({"index":0,"delta":{},"finish_reason":"stop"})"));
  json::value usage = chunk("");
  usage.as_object()["usage"] =
      json::parse(R"({"prompt_tokens":26,"completion_tokens":282,"total_tokens":308})");
  expected.push_back(usage);
  expected.emplace_back("[DONE]");
  // created comes from each stream's first line: 2024-07-22T20:33:28Z.
  EXPECT_EQ(chunks_of(result.out), expected);
  EXPECT_EQ(result.usage.total_tokens, 308);
}

TEST(OllamaStream, NoUsageChunkUnlessAsked) {
  const StreamRun result = run(kChatApi, streaming(api::Endpoint::chat_completions, false),
                               {read_wire_fixture("ollama/chat_stream.synthetic.ndjson")});
  const auto chunks = chunks_of(result.out);
  ASSERT_EQ(chunks.size(), 9u);  // 7 deltas, the finish chunk, [DONE]
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i)
    EXPECT_EQ(chunks[i].at("choices").as_array().size(), 1u);
  EXPECT_EQ(result.usage.prompt_tokens, 26);  // still counted for spend
}

TEST(OllamaStream, ToolCallsArriveWholeWithIndexesAndIds) {
  const StreamRun result =
      run(kChatApi, streaming(api::Endpoint::chat_completions, false),
          {read_wire_fixture("ollama/chat_stream_tool_calls.synthetic.ndjson")});
  ASSERT_FALSE(result.error);
  const auto chunks = chunks_of(result.out);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0], chunk(R"({"index":0,"delta":{"role":"assistant","content":"","tool_calls":[
      {"index":0,"id":"<call>","type":"function","function":{"name":"GetWeatherArgs","arguments":"{\"city\":\"Edinburgh\",\"country\":\"GB\",\"units\":\"c\"}"}},
      {"index":1,"id":"<call>","type":"function","function":{"name":"get_stock_price","arguments":"{\"ticker\":\"AAPL\",\"exchange\":\"NASDAQ\"}"}}]},
      "finish_reason":null})"));
  EXPECT_EQ(chunks[1], chunk(R"({"index":0,"delta":{},"finish_reason":"tool_calls"})"));
  EXPECT_EQ(result.usage.total_tokens, 209);
}

TEST(OllamaStream, ToolCallArgumentsKeepTheirNumbersAsWritten) {
  const StreamRun result = run(
      kChatApi, streaming(api::Endpoint::chat_completions, false),
      {R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"x":0.22481529024076075}}}]},"done":false})"
       "\n"
       R"({"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"g","arguments":{"y":-0.046870765519996804}}}]},"done":true})"
       "\n"});
  ASSERT_FALSE(result.error);
  const auto chunks = chunks_of(result.out);
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0]
                .at("choices")
                .at(0)
                .at("delta")
                .at("tool_calls")
                .at(0)
                .at("function")
                .at("arguments"),
            R"({"x":0.22481529024076075})");
  const auto& second = chunks[1].at("choices").at(0).at("delta").at("tool_calls").at(0);
  EXPECT_EQ(second.at("index"), 1);
  EXPECT_EQ(second.at("function").at("arguments"), R"({"y":-0.046870765519996804})");
  EXPECT_EQ(chunks[2].at("choices").at(0).at("finish_reason"), "tool_calls");
}

TEST(OllamaStream, GenerateStreamForChatAndLegacyCompletions) {
  const std::string upstream = read_wire_fixture("ollama/generate_stream.synthetic.ndjson");
  const StreamRun chat =
      run(kGenerateApi, streaming(api::Endpoint::chat_completions, false), {upstream});
  ASSERT_FALSE(chat.error);
  const auto chat_chunks = chunks_of(chat.out);
  ASSERT_EQ(chat_chunks.size(), 9u);
  EXPECT_EQ(
      chat_chunks[0],
      chunk(R"({"index":0,"delta":{"role":"assistant","content":"The"},"finish_reason":null})"));
  EXPECT_EQ(chat_chunks[7], chunk(R"({"index":0,"delta":{},"finish_reason":"length"})"));
  const StreamRun legacy = run(kChatApi, streaming(api::Endpoint::completions, true), {upstream});
  ASSERT_FALSE(legacy.error);
  const auto legacy_chunks = chunks_of(legacy.out);
  ASSERT_EQ(legacy_chunks.size(), 10u);  // 7 texts, finish, usage, [DONE]
  EXPECT_EQ(legacy_chunks[1],
            chunk(R"({"index":0,"text":" sky","logprobs":null,"finish_reason":null})",
                  "text_completion"));
  EXPECT_EQ(legacy_chunks[7],
            chunk(R"({"index":0,"text":"","logprobs":null,"finish_reason":"length"})",
                  "text_completion"));
  EXPECT_EQ(legacy_chunks[8].at("usage").at("completion_tokens"), 7);
}

TEST(OllamaStream, SameOutputWhereverTheBytesAreSplit) {
  struct Case {
    const OllamaProvider* provider;
    api::Endpoint endpoint;
    const char* fixture;
  };
  for (const Case& c :
       {Case{&kChatApi, api::Endpoint::chat_completions, "ollama/chat_stream.synthetic.ndjson"},
        Case{&kChatApi, api::Endpoint::chat_completions,
             "ollama/chat_stream_tool_calls.synthetic.ndjson"},
        Case{&kGenerateApi, api::Endpoint::chat_completions,
             "ollama/generate_stream.synthetic.ndjson"},
        Case{&kChatApi, api::Endpoint::completions, "ollama/generate_stream.synthetic.ndjson"}}) {
    SCOPED_TRACE(c.fixture);
    const std::string upstream = read_wire_fixture(c.fixture);
    const api::Request request = streaming(c.endpoint, true);
    const StreamRun whole = run(*c.provider, request, {upstream});
    ASSERT_FALSE(whole.error);
    const auto expected = chunks_of(whole.out);
    const std::string_view text = upstream;
    for (std::size_t at = 0; at <= text.size(); ++at) {
      const StreamRun split = run(*c.provider, request, {text.substr(0, at), text.substr(at)});
      ASSERT_FALSE(split.error) << "split at " << at;
      ASSERT_EQ(chunks_of(split.out), expected) << "split at " << at;
      ASSERT_EQ(split.usage.total_tokens, whole.usage.total_tokens);
    }
    std::vector<std::string_view> bytes;
    for (std::size_t at = 0; at < text.size(); ++at) bytes.push_back(text.substr(at, 1));
    EXPECT_EQ(chunks_of(run(*c.provider, request, bytes).out), expected) << "one byte at a time";
  }
}

TEST(OllamaStream, MidStreamErrorLineIsAnErrorWithOllamasMessage) {
  const StreamRun result = run(kChatApi, streaming(api::Endpoint::chat_completions, false),
                               {read_wire_fixture("ollama/chat_stream_error.synthetic.ndjson")});
  ASSERT_TRUE(result.error);
  EXPECT_THAT(result.error->message, HasSubstr("unexpected EOF"));
  EXPECT_EQ(chunks_of(result.out).size(), 1u);  // what came before the error was relayed
}

TEST(OllamaStream, BadBytesAreCleanErrors) {
  const std::string upstream = read_wire_fixture("ollama/chat_stream.synthetic.ndjson");
  const auto last_line = upstream.rfind("{\"model\"");
  const api::Request request = streaming(api::Endpoint::chat_completions, false);
  // Cut before the final line: the stream never finished.
  const StreamRun cut = run(kChatApi, request, {std::string_view(upstream).substr(0, last_line)});
  ASSERT_TRUE(cut.error);
  EXPECT_EQ(cut.error->kind, ErrorKind::upstream_failed);
  EXPECT_FALSE(cut.done);
  // Cut inside the final line: truncated JSON.
  const StreamRun truncated =
      run(kChatApi, request, {std::string_view(upstream).substr(0, last_line + 20)});
  ASSERT_TRUE(truncated.error);
  EXPECT_EQ(truncated.error->kind, ErrorKind::upstream_failed);
  for (std::string_view bad : {std::string_view("[\"not an object\"]\n"),
                               std::string_view("{\"message\":{\"content\":\"\xC3\x28\"}}\n"),
                               std::string_view("data: {\"sse\":true}\n")}) {
    const StreamRun result = run(kChatApi, request, {bad});
    ASSERT_TRUE(result.error) << bad;
    EXPECT_EQ(result.error->kind, ErrorKind::upstream_failed);
  }
  // A line of an unknown shape (no message, not done) carries nothing and is skipped.
  const StreamRun unknown =
      run(kChatApi, request, {"{\"model\":\"x\",\"status\":\"loading\"}\n" + upstream});
  ASSERT_FALSE(unknown.error);
}

TEST(UnixSeconds, Rfc3339WithZoneAndFraction) {
  EXPECT_EQ(unix_seconds_from_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(unix_seconds_from_rfc3339("2023-08-04T19:22:45.499127Z"), 1691176965);
  EXPECT_EQ(unix_seconds_from_rfc3339("2023-08-04T08:52:19.385406455-07:00"), 1691164339);
  EXPECT_EQ(unix_seconds_from_rfc3339("2024-02-29T12:00:00+01:00"), 1709204400);
  EXPECT_FALSE(unix_seconds_from_rfc3339(""));
  EXPECT_FALSE(unix_seconds_from_rfc3339("2023-08-04 junk"));
  EXPECT_FALSE(unix_seconds_from_rfc3339("2023-08-04T19:22:45"));
}

}  // namespace
}  // namespace llmux::providers
