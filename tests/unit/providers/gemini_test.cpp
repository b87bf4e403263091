#include "providers/gemini.hpp"

#include "api/error_body.hpp"
#include "provider_test.hpp"

#include <regex>

namespace llmux::providers {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const GeminiProvider kGemini;
constexpr char kClientModel[] = "my-gemini";
constexpr char kBase[] = "https://gemini.example";

Target target(std::string model = "gemini-2.5-flash") {
  return Target{.provider = "gemini",
                .upstream_model = std::move(model),
                .api_base = kBase,
                .api_key = "AIza-test-key"};
}

api::Request chat(std::string_view body) {
  return parsed_request(api::Endpoint::chat_completions, body);
}

// The upstream body for `request_body`, parsed; the encoding must succeed.
json::object encoded_body(std::string_view request_body, const Target& deployment = target()) {
  auto upstream = kGemini.encode(chat(request_body), deployment);
  if (!upstream) ADD_FAILURE() << upstream.error().message;
  return upstream ? json::parse(upstream->body).as_object() : json::object{};
}

Error encode_error(std::string_view request_body, const Target& deployment = target()) {
  auto upstream = kGemini.encode(chat(request_body), deployment);
  EXPECT_FALSE(upstream) << "encoded: " << (upstream ? upstream->body : "");
  return upstream ? Error{} : upstream.error();
}

// ----------------------------------------------------------------------------------- encoding

TEST(GeminiEncode, UrlHeadersAndTheWholeTranslatedBody) {
  const api::Request request = chat(R"({"model":"my-gemini","messages":[
      {"role":"system","content":"Be brief."},
      {"role":"user","content":"Weather in Tokyo?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
        "function":{"name":"getWeather","arguments":"{\"location\":\"Tokyo\"}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"{\"temperature\":22}"}],
    "temperature":0.2,"top_p":0.9,"top_k":40,"max_tokens":100,"stop":"END","n":2,"seed":7,
    "presence_penalty":0.1,"frequency_penalty":0.2,"metadata":{"team":"a"}})");
  Target deployment = target();
  deployment.extra_headers = {{"X-Team", "blue"}};
  auto upstream = kGemini.encode(request, deployment);
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url, "https://gemini.example/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(upstream->headers, (Headers{{"x-goog-api-key", "AIza-test-key"}, {"X-Team", "blue"}}));
  EXPECT_EQ(json::parse(upstream->body), json::parse(R"({
    "systemInstruction":{"parts":[{"text":"Be brief."}]},
    "contents":[
      {"role":"user","parts":[{"text":"Weather in Tokyo?"}]},
      {"role":"model","parts":[{"functionCall":{"name":"getWeather","args":{"location":"Tokyo"}}}]},
      {"role":"user","parts":[{"functionResponse":{"name":"getWeather","response":{"content":"{\"temperature\":22}"}}}]}],
    "generationConfig":{"temperature":0.2,"topP":0.9,"topK":40,"maxOutputTokens":100,"candidateCount":2,
      "seed":7,"presencePenalty":0.1,"frequencyPenalty":0.2,"stopSequences":["END"]}})"));
}

TEST(GeminiEncode, StreamingUsesSseAndTheKeyNeverGoesInTheUrl) {
  auto upstream =
      kGemini.encode(chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,
                                          "stream_options":{"include_usage":true}})"),
                     target());
  ASSERT_TRUE(upstream);
  EXPECT_EQ(upstream->url,
            "https://gemini.example/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  EXPECT_THAT(upstream->url, ::testing::Not(HasSubstr("AIza")));
  EXPECT_EQ(json::parse(upstream->body),
            json::parse(R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})"));
  Target keyless = target();
  keyless.api_key.clear();
  EXPECT_TRUE(
      kGemini.encode(chat(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"), keyless)
          ->headers.empty());
}

TEST(GeminiEncode, SameRoleTurnsMergeAndSystemPartsCollect) {
  EXPECT_EQ(encoded_body(R"({"model":"m","messages":[
      {"role":"system","content":[{"type":"text","text":"One."},{"type":"text","text":" Two."}]},
      {"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"text","text":""}]},
      {"role":"developer","content":"Three."},
      {"role":"assistant","content":"c"},{"role":"assistant","content":[{"type":"text","text":"d"}]},
      {"role":"user","content":"e"}]})"),
            json::parse(R"({
      "systemInstruction":{"parts":[{"text":"One. Two."},{"text":"Three."}]},
      "contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]},
                  {"role":"model","parts":[{"text":"c"},{"text":"d"}]},
                  {"role":"user","parts":[{"text":"e"}]}]})"));
  // Only a system prompt: Gemini needs one turn, LiteLLM sends a blank user turn.
  EXPECT_EQ(
      encoded_body(R"({"model":"m","messages":[{"role":"system","content":"S"}]})").at("contents"),
      json::parse(R"([{"role":"user","parts":[{"text":" "}]}])"));
}

TEST(GeminiEncode, ParallelCallsAndTheirResultsKeepOrderAndNames) {
  EXPECT_EQ(encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"},
      {"role":"assistant","content":"Looking.","tool_calls":[
        {"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},
        {"id":"b","type":"function","function":{"name":"g","arguments":""}}]},
      {"role":"tool","tool_call_id":"b","content":[{"type":"text","text":"G"}]},
      {"role":"tool","tool_call_id":"a","content":"F"}]})")
                .at("contents"),
            json::parse(R"([{"role":"user","parts":[{"text":"q"}]},
      {"role":"model","parts":[{"text":"Looking."},{"functionCall":{"name":"f","args":{"x":1}}},
                               {"functionCall":{"name":"g","args":{}}}]},
      {"role":"user","parts":[{"functionResponse":{"name":"g","response":{"content":"G"}}},
                              {"functionResponse":{"name":"f","response":{"content":"F"}}}]}])"));
}

TEST(GeminiEncode, ThoughtSignaturesGoBackOnTheirCalls) {
  EXPECT_EQ(encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"},
      {"role":"assistant","tool_calls":[{"id":"call_ab__thought__c2ln+/=","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_ab__thought__c2ln+/=","content":"F"}]})")
                .at("contents"),
            json::parse(R"([{"role":"user","parts":[{"text":"q"}]},
      {"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"c2ln+/="}]},
      {"role":"user","parts":[{"functionResponse":{"name":"f","response":{"content":"F"}}}]}])"));
}

TEST(GeminiEncode, ImagesAudioAndFiles) {
  EXPECT_EQ(encoded_body(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"What is this?"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
      {"type":"image_url","image_url":{"url":"https://example.com/cat.JPG?size=large"}},
      {"type":"image_url","image_url":"gs://bucket/dog.webp"},
      {"type":"image_url","image_url":{"url":"https://example.com/render","format":"image/png"}},
      {"type":"image_url","image_url":{"url":"https://example.com/render"}},
      {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
      {"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0="}}]}]})")
                .at("contents"),
            json::parse(R"([{"role":"user","parts":[
      {"text":"What is this?"},
      {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
      {"fileData":{"fileUri":"https://example.com/cat.JPG?size=large","mimeType":"image/jpeg"}},
      {"fileData":{"fileUri":"gs://bucket/dog.webp","mimeType":"image/webp"}},
      {"fileData":{"fileUri":"https://example.com/render","mimeType":"image/png"}},
      {"fileData":{"fileUri":"https://example.com/render"}},
      {"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},
      {"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}}]}])"));
}

TEST(GeminiEncode, ToolsLoseTheSchemaKeysGeminiRejects) {
  const json::object body = encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],
    "tool_choice":{"type":"function","function":{"name":"lookup"}},
    "tools":[{"type":"function","function":{"name":"lookup","description":"Find","strict":true,"parameters":{
        "$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
        "properties":{
          "when":{"type":"string","format":"date-time"},
          "site":{"type":"string","format":"uri","const":"x"},
          "tags":{"type":"array","items":{}},
          "limit":{"type":["integer","null"],"minimum":1},
          "either":{"type":["string","number"]},
          "owner":{"$ref":"#/$defs/Person"},
          "note":{"anyOf":[{"type":"string"},{"type":"null"}],"description":"optional"}},
        "required":["when"],
        "$defs":{"Person":{"type":"object","properties":{"name":{"type":"string"}},"additionalProperties":false}}}}},
      {"type":"function","function":{"name":"ping","parameters":{"type":"object","properties":{}}}}]})");
  EXPECT_EQ(body.at("tools"), json::parse(R"([{"functionDeclarations":[
      {"name":"lookup","description":"Find","parameters":{"type":"object","properties":{
          "when":{"type":"string","format":"date-time"},
          "site":{"type":"string"},
          "tags":{"type":"array","items":{"type":"object"}},
          "limit":{"nullable":true,"type":"integer","minimum":1},
          "either":{"anyOf":[{"type":"string"},{"type":"number"}]},
          "owner":{"type":"object","properties":{"name":{"type":"string"}}},
          "note":{"nullable":true,"anyOf":[{"type":"string"}],"description":"optional"}},
        "required":["when"]}},
      {"name":"ping"}]}])"));
  EXPECT_EQ(
      body.at("toolConfig"),
      json::parse(R"({"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["lookup"]}})"));
}

TEST(GeminiEncode, ToolChoiceModesAndWebSearch) {
  const std::string_view tools = R"("tools":[{"type":"function","function":{"name":"f"}}])";
  const std::pair<std::string_view, std::string_view> kModes[] = {
      {"auto", "AUTO"}, {"none", "NONE"}, {"required", "ANY"}};
  for (const auto& [choice, mode] : kModes) {
    const auto body =
        encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],)" +
                     std::string(tools) + R"(,"tool_choice":")" + std::string(choice) + "\"}");
    EXPECT_EQ(body.at("toolConfig").at("functionCallingConfig").at("mode"), json::value(mode))
        << choice;
  }
  EXPECT_EQ(
      encoded_body(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"web_search_options":{}})")
          .at("tools"),
      json::parse(R"([{"googleSearch":{}}])"));
  EXPECT_EQ(
      encoded_body(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"tools":[{"type":"web_search"},
      {"codeExecution":{}},{"type":"function","function":{"name":"f"}}]})")
          .at("tools"),
      json::parse(
          R"([{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}},{"codeExecution":{}}])"));
  EXPECT_EQ(
      encode_error(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"tool_choice":"sometimes"})")
          .param,
      "tool_choice");
}

TEST(GeminiEncode, ResponseFormats) {
  const std::string head =
      R"({"model":"m","messages":[{"role":"user","content":"q"}],"response_format":)";
  EXPECT_EQ(encoded_body(head + R"({"type":"json_object"}})").at("generationConfig"),
            json::parse(R"({"responseMimeType":"application/json"})"));
  EXPECT_EQ(encoded_body(head + R"({"type":"text"}})").at("generationConfig"),
            json::parse(R"({"responseMimeType":"text/plain"})"));
  const std::string schema =
      R"({"type":"json_schema","json_schema":{"name":"r","strict":true,"schema":
      {"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}}})";
  // Gemini 2.0 and later take the JSON Schema itself; 1.5 only Gemini's Schema subset.
  EXPECT_EQ(encoded_body(head + schema).at("generationConfig"),
            json::parse(R"({"responseMimeType":"application/json",
      "responseJsonSchema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}})"));
  EXPECT_EQ(encoded_body(head + schema, target("gemini-1.5-pro")).at("generationConfig"),
            json::parse(R"({"responseMimeType":"application/json",
      "responseSchema":{"type":"object","properties":{"a":{"type":"string"}}}})"));
  EXPECT_EQ(encode_error(head + R"({"type":"yaml"}})").param, "response_format");
}

TEST(GeminiEncode, ReasoningEffortAsLiteLlmMapsIt) {
  auto thinking = [](std::string_view effort, std::string model) {
    return encoded_body(
               R"({"model":"m","messages":[{"role":"user","content":"q"}],"reasoning_effort":")" +
                   std::string(effort) + "\"}",
               target(std::move(model)))
        .at("generationConfig")
        .at("thinkingConfig");
  };
  EXPECT_EQ(thinking("low", "gemini-2.5-flash"),
            json::parse(R"({"thinkingBudget":1024,"includeThoughts":true})"));
  EXPECT_EQ(thinking("medium", "gemini-2.5-pro"),
            json::parse(R"({"thinkingBudget":2048,"includeThoughts":true})"));
  EXPECT_EQ(thinking("high", "gemini-2.5-pro"),
            json::parse(R"({"thinkingBudget":4096,"includeThoughts":true})"));
  EXPECT_EQ(thinking("minimal", "gemini-2.5-flash-lite"),
            json::parse(R"({"thinkingBudget":512,"includeThoughts":true})"));
  EXPECT_EQ(thinking("minimal", "gemini-2.5-pro"),
            json::parse(R"({"thinkingBudget":128,"includeThoughts":true})"));
  EXPECT_EQ(thinking("none", "gemini-2.5-flash"),
            json::parse(R"({"thinkingBudget":0,"includeThoughts":false})"));
  EXPECT_EQ(thinking("medium", "gemini-3-pro-preview"),
            json::parse(R"({"thinkingLevel":"HIGH","includeThoughts":true})"));
  EXPECT_EQ(thinking("medium", "gemini-3-flash-preview"),
            json::parse(R"({"thinkingLevel":"MEDIUM","includeThoughts":true})"));
  EXPECT_EQ(thinking("none", "gemini-3-flash-preview"),
            json::parse(R"({"thinkingLevel":"MINIMAL","includeThoughts":false})"));
  EXPECT_EQ(thinking("none", "gemini-3-pro-preview"),
            json::parse(R"({"thinkingLevel":"LOW","includeThoughts":false})"));
  EXPECT_EQ(thinking("minimal", "gemini-3.1-flash-lite-preview"),
            json::parse(R"({"thinkingLevel":"MINIMAL","includeThoughts":true})"));
  EXPECT_EQ(thinking("disable", "gemini-2.5-flash"),
            json::parse(R"({"thinkingBudget":0,"includeThoughts":false})"));
  // The OpenAI Agents SDK sends the effort as an object.
  EXPECT_EQ(
      encoded_body(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"reasoning_effort":{"effort":"low","summary":"auto"}})")
          .at("generationConfig")
          .at("thinkingConfig"),
      json::parse(R"({"thinkingBudget":1024,"includeThoughts":true})"));
  EXPECT_EQ(
      encode_error(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"reasoning_effort":"max"})")
          .param,
      "reasoning_effort");
}

TEST(GeminiEncode, AnthropicStyleThinkingAsLiteLlmMapsIt) {
  auto thinking = [](std::string_view value, std::string model) {
    return encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],"thinking":)" +
                            std::string(value) + "}",
                        target(std::move(model)))
        .at("generationConfig")
        .at("thinkingConfig");
  };
  EXPECT_EQ(thinking(R"({"type":"enabled","budget_tokens":2000})", "gemini-2.5-pro"),
            json::parse(R"({"includeThoughts":true,"thinkingBudget":2000})"));
  EXPECT_EQ(thinking(R"({"type":"enabled","budget_tokens":0})", "gemini-2.5-flash"),
            json::parse(R"({"thinkingBudget":0})"));
  EXPECT_EQ(thinking(R"({"type":"disabled"})", "gemini-2.5-flash"), json::parse("{}"));
  EXPECT_EQ(thinking(R"({"type":"enabled","budget_tokens":2000})", "gemini-3-pro-preview"),
            json::parse(R"({"includeThoughts":true})"));
  EXPECT_EQ(thinking(R"({"type":"disabled"})", "gemini-3-pro-preview"),
            json::parse(R"({"includeThoughts":false})"));
}

TEST(GeminiEncode, MoreGenerationSettings) {
  EXPECT_EQ(
      encoded_body(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"max_completion_tokens":50,
      "stop":["a","b"],"logprobs":true,"top_logprobs":3,"modalities":["text","image"]})")
          .at("generationConfig"),
      json::parse(
          R"({"maxOutputTokens":50,"responseLogprobs":true,"logprobs":3,"stopSequences":["a","b"],
                            "responseModalities":["TEXT","IMAGE"]})"));
}

TEST(GeminiEncode, DeploymentDefaultsApplyUnlessTheRequestSetsThem) {
  Target deployment = target();
  deployment.default_params = {{"temperature", 0.5}, {"max_tokens", 64}};
  EXPECT_EQ(
      encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],"temperature":1})",
                   deployment)
          .at("generationConfig"),
      json::parse(R"({"temperature":1,"maxOutputTokens":64})"));
}

TEST(GeminiEncode, UnsupportedParamsAreRefusedOrDropped) {
  const std::string_view body =
      R"({"model":"m","messages":[{"role":"user","content":"q"}],"logit_bias":{"1":2}})";
  const Error refused = encode_error(body);
  EXPECT_EQ(refused.kind, ErrorKind::unsupported_params);
  EXPECT_THAT(refused.message, HasSubstr("gemini does not support parameters: ['logit_bias']"));
  Target dropping = target();
  dropping.drop_params = true;
  EXPECT_FALSE(encoded_body(body, dropping).contains("logit_bias"));
  // LiteLLM lets `user` through for every provider; Gemini has no field for it.
  EXPECT_EQ(
      encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],"user":"u-1"})"),
      json::parse(R"({"contents":[{"role":"user","parts":[{"text":"q"}]}]})"));
}

TEST(GeminiEncode, Gemini3TakesNoPenalties) {
  const std::string_view body =
      R"({"model":"m","messages":[{"role":"user","content":"q"}],"presence_penalty":0.5})";
  EXPECT_EQ(encoded_body(body).at("generationConfig"), json::parse(R"({"presencePenalty":0.5})"));
  const Error refused = encode_error(body, target("gemini-3-pro-preview"));
  EXPECT_EQ(refused.kind, ErrorKind::unsupported_params);
  EXPECT_EQ(refused.param, "presence_penalty");
  Target dropping = target("gemini-3-pro-preview");
  dropping.drop_params = true;
  EXPECT_EQ(encoded_body(body, dropping).at("generationConfig"),
            json::parse(R"({"temperature":1.0})"));
}

TEST(GeminiEncode, Gemini3DefaultsToTemperatureOne) {
  const std::string_view body = R"({"model":"m","messages":[{"role":"user","content":"q"}]})";
  EXPECT_EQ(encoded_body(body, target("gemini-3-pro-preview")).at("generationConfig"),
            json::parse(R"({"temperature":1.0})"));
  EXPECT_EQ(
      encoded_body(R"({"model":"m","messages":[{"role":"user","content":"q"}],"temperature":0.5})",
                   target("gemini-3-pro-preview"))
          .at("generationConfig"),
      json::parse(R"({"temperature":0.5})"));
  EXPECT_FALSE(encoded_body(body).contains("generationConfig"));
}

TEST(GeminiEncode, SerialToolCallsWithSeveralToolsAreRefusedUnlessDropping) {
  const std::string_view body =
      R"({"model":"m","messages":[{"role":"user","content":"q"}],"parallel_tool_calls":false,
      "tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}]})";
  const Error refused = encode_error(body);
  EXPECT_EQ(refused.kind, ErrorKind::unsupported_params);
  EXPECT_EQ(refused.param, "parallel_tool_calls");
  Target dropping = target();
  dropping.drop_params = true;
  EXPECT_EQ(
      encoded_body(body, dropping).at("tools").at(0).at("functionDeclarations").as_array().size(),
      2u);
  EXPECT_TRUE(
      encoded_body(
          R"({"model":"m","messages":[{"role":"user","content":"q"}],"parallel_tool_calls":false,
      "tools":[{"type":"function","function":{"name":"f"}}]})")
          .contains("tools"));
}

TEST(GeminiEncode, BadMessagesAreClearClientErrors) {
  const Error orphan = encode_error(
      R"({"model":"m","messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]})");
  EXPECT_EQ(orphan.kind, ErrorKind::invalid_request);
  EXPECT_THAT(orphan.message, HasSubstr("'nope'"));
  EXPECT_EQ(
      encode_error(
          R"({"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function",
      "function":{"name":"f","arguments":"{not json"}}]}]})")
          .kind,
      ErrorKind::invalid_request);
  EXPECT_EQ(encode_error(R"({"model":"m","messages":[{"role":"critic","content":"x"}]})").kind,
            ErrorKind::invalid_request);
  EXPECT_EQ(
      encode_error(
          R"({"model":"m","messages":[{"role":"user","content":[{"type":"video","video":{}}]}]})")
          .kind,
      ErrorKind::invalid_request);
  EXPECT_EQ(encode_error(R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url",
      "image_url":{"url":"data:image/png,notbase64"}}]}]})")
                .kind,
            ErrorKind::invalid_request);
  auto completion = kGemini.encode(
      parsed_request(api::Endpoint::completions, R"({"model":"m","prompt":"x"})"), target());
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::invalid_request);
}

TEST(GeminiEncode, EmbeddingsBatchOneRequestPerInput) {
  auto upstream = kGemini.encode(
      parsed_request(
          api::Endpoint::embeddings,
          R"({"model":"e","input":["a","b"],"dimensions":16,"encoding_format":"float"})"),
      target("text-embedding-004"));
  ASSERT_TRUE(upstream) << upstream.error().message;
  EXPECT_EQ(upstream->url,
            "https://gemini.example/v1beta/models/text-embedding-004:batchEmbedContents");
  EXPECT_EQ(json::parse(upstream->body), json::parse(R"({"requests":[
      {"model":"models/text-embedding-004","content":{"parts":[{"text":"a"}]},"outputDimensionality":16},
      {"model":"models/text-embedding-004","content":{"parts":[{"text":"b"}]},"outputDimensionality":16}]})"));
  auto tokens = kGemini.encode(
      parsed_request(api::Endpoint::embeddings, R"({"model":"e","input":[[1,2]]})"), target());
  ASSERT_FALSE(tokens);
  EXPECT_EQ(tokens.error().param, "input");
}

// ----------------------------------------------------------------------------------- answers

// The answer with `created` (the gateway's clock) and generated tool-call ids made comparable.
json::value comparable(std::string_view body) {
  std::string text =
      std::regex_replace(std::string(body), std::regex(R"("created":\d+)"), R"("created":1)");
  text = std::regex_replace(text, std::regex(R"("call_[0-9a-f]{24})"), R"("call_X)");
  return json::parse(text);
}

TEST(GeminiDecode, RecordedAnswer) {
  const api::Request request =
      chat(R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}]})");
  auto reply =
      kGemini.decode(request, read_wire_fixture("gemini/generate_content.json"), kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_THAT(reply->body, MatchesRegex(R"(.*"created":[0-9]+,.*)"));
  EXPECT_EQ(comparable(reply->body),
            json::parse(R"({"id":"FugfaZasF6ra2roP_9i9KQ","object":"chat.completion",
      "created":1,"model":"my-gemini",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop","logprobs":null}],
      "usage":{"prompt_tokens":3,"completion_tokens":19,"total_tokens":22,
               "completion_tokens_details":{"reasoning_tokens":17}}})"));
  EXPECT_TRUE(reply->usage.reported);
  EXPECT_EQ(reply->usage.prompt_tokens, 3);
  EXPECT_EQ(reply->usage.completion_tokens, 19);  // 2 visible + 17 thinking
  EXPECT_EQ(reply->usage.total_tokens, 22);
}

// The data of the first event of a recorded stream: a GenerateContentResponse, as unary answers
// are.
std::string first_event_data(const std::string& fixture) {
  const std::string text = read_wire_fixture(fixture);
  return text.substr(6, text.find("\r\n") - 6);
}

// The id a client sees for the recorded call (its random part written as X): the call's
// thoughtSignature travels in it.
std::string recorded_call_id() {
  const auto event =
      json::parse(first_event_data("gemini/stream_generate_content_function_call.sse"));
  const auto& part = event.at("candidates").at(0).at("content").at("parts").at(0);
  return "call_X__thought__" + std::string(part.at("thoughtSignature").as_string());
}

TEST(GeminiDecode, FunctionCallsBecomeToolCallsWithGeneratedIds) {
  const api::Request request =
      chat(R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}]})");
  auto reply = kGemini.decode(
      request, first_event_data("gemini/stream_generate_content_function_call.sse"), kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  json::value expected = json::parse(R"({"id":"qpc2afWVFJK4vr0Pq6WiyAU","object":"chat.completion",
      "created":1,"model":"my-gemini",
      "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"","type":"function",
        "function":{"name":"getWeather","arguments":"{\"location\":\"Tokyo\"}"}}]},
        "finish_reason":"tool_calls","logprobs":null}],
      "usage":{"prompt_tokens":83,"completion_tokens":118,"total_tokens":201,
               "completion_tokens_details":{"reasoning_tokens":104}}})");
  expected.at("choices").at(0).at("message").at("tool_calls").at(0).as_object()["id"] =
      recorded_call_id();
  EXPECT_EQ(comparable(reply->body), expected);
}

TEST(GeminiDecode, FinishReasonsThoughtsCacheAndLogprobs) {
  const api::Request request =
      chat(R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}]})");
  auto reply = kGemini.decode(request, R"({"responseId":"r1","candidates":[
      {"index":0,"finishReason":"MAX_TOKENS","content":{"role":"model","parts":[
        {"text":"Let me think.","thought":true},{"text":"Hel"}]},
       "logprobsResult":{"topCandidates":[{"candidates":[{"token":"Hel","logProbability":-0.1},{"token":"Hi","logProbability":-2.5}]}],
                         "chosenCandidates":[{"token":"Hel","logProbability":-0.1}]}},
      {"index":1,"finishReason":"SAFETY","content":{"role":"model","parts":[{"text":"partial"}]}}],
    "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15,"cachedContentTokenCount":4}})",
                              kClientModel);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(comparable(reply->body),
            json::parse(R"({"id":"r1","object":"chat.completion","created":1,"model":"my-gemini",
      "choices":[{"index":0,"message":{"role":"assistant","content":"Hel","reasoning_content":"Let me think."},
                  "finish_reason":"length","logprobs":{"content":[{"token":"Hel","logprob":-0.1,"bytes":null,
                    "top_logprobs":[{"token":"Hel","logprob":-0.1,"bytes":null},{"token":"Hi","logprob":-2.5,"bytes":null}]}]}},
                 {"index":1,"message":{"role":"assistant","content":null},"finish_reason":"content_filter","logprobs":null}],
      "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}})"));
  EXPECT_EQ(reply->usage.cached_tokens, 4);
}

TEST(GeminiDecode, BlockedPromptIsAContentPolicyError) {
  const api::Request request =
      chat(R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}]})");
  auto reply =
      kGemini.decode(request, read_wire_fixture("gemini/prompt_blocked.json"), kClientModel);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::content_policy);
  EXPECT_EQ(http_status(reply.error()), 400);
  EXPECT_THAT(reply.error().message, HasSubstr("blockReason: SAFETY"));
  EXPECT_EQ(json::parse(api::error_body(reply.error())).at("error").at("code"),
            "content_policy_violation");
}

TEST(GeminiDecode, BadBodiesAreUpstreamFailures) {
  const api::Request request =
      chat(R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}]})");
  const std::string answer = read_wire_fixture("gemini/generate_content.json");
  for (const std::string& body :
       {answer.substr(0, answer.size() / 2), std::string("<html>"), std::string("[1]"),
        std::string("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\xff\"}]}}]}")}) {
    auto reply = kGemini.decode(request, body, kClientModel);
    ASSERT_FALSE(reply) << body;
    EXPECT_EQ(reply.error().kind, ErrorKind::upstream_failed) << body;
  }
  // An error object sent with a 200 is still that error.
  auto error = kGemini.decode(
      request,
      R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})",
      kClientModel);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::unavailable);
}

TEST(GeminiDecode, Embeddings) {
  const std::string_view answer =
      R"({"embeddings":[{"values":[0.5,-0.046870765519996804]},{"values":[1,2]}]})";
  auto floats =
      kGemini.decode(parsed_request(api::Endpoint::embeddings,
                                    R"({"model":"e","input":["a","b"],"encoding_format":"float"})"),
                     answer, "my-embedder");
  ASSERT_TRUE(floats) << floats.error().message;
  EXPECT_EQ(json::parse(floats->body), json::parse(R"({"object":"list","data":[
      {"object":"embedding","index":0,"embedding":[0.5,-0.046870765519996804]},{"object":"embedding","index":1,"embedding":[1,2]}],
      "model":"my-embedder","usage":{"prompt_tokens":0,"total_tokens":0}})"));
  // The numbers reach the client as Gemini wrote them, not re-printed from a parsed double.
  EXPECT_THAT(floats->body, HasSubstr("[0.5,-0.046870765519996804]"));
  auto base64 =
      kGemini.decode(parsed_request(api::Endpoint::embeddings,
                                    R"({"model":"e","input":"a","encoding_format":"base64"})"),
                     R"({"embeddings":[{"values":[1.0]}]})", "my-embedder");
  ASSERT_TRUE(base64);
  EXPECT_EQ(json::parse(base64->body).at("data").at(0).at("embedding"),
            "AACAPw==");  // 1.0f little-endian
  EXPECT_FALSE(
      kGemini.decode(parsed_request(api::Endpoint::embeddings, R"({"model":"e","input":"a"})"),
                     R"({"embedding":{}})", "x"));
}

// ----------------------------------------------------------------------------------- errors

TEST(GeminiErrors, GoogleStatusBodiesMapToOpenAiClasses) {
  const Error invalid =
      kGemini.decode_error(400, read_wire_fixture("gemini/error_400_invalid_argument.json"));
  EXPECT_EQ(invalid.kind, ErrorKind::invalid_request);
  EXPECT_EQ(http_status(invalid), 400);
  EXPECT_EQ(invalid.message, "Request contains an invalid argument.");

  const Error bad_key =
      kGemini.decode_error(400, read_wire_fixture("gemini/error_400_api_key_invalid.json"));
  EXPECT_EQ(bad_key.kind, ErrorKind::unauthenticated);
  EXPECT_EQ(http_status(bad_key), 401);

  const Error limited = kGemini.decode_error(
      429, read_wire_fixture("gemini/error_429_resource_exhausted.synthetic.json"));
  EXPECT_EQ(limited.kind, ErrorKind::rate_limited);
  EXPECT_EQ(limited.message,
            "You exceeded your current quota, please check your plan and billing details.");
  ASSERT_TRUE(limited.retry_after);
  EXPECT_EQ(limited.retry_after->count(), 23);

  EXPECT_EQ(
      kGemini
          .decode_error(
              403,
              R"({"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}})")
          .kind,
      ErrorKind::forbidden);
  EXPECT_EQ(
      kGemini
          .decode_error(
              404,
              R"({"error":{"code":404,"message":"models/x is not found for API version v1beta","status":"NOT_FOUND"}})")
          .kind,
      ErrorKind::not_found);
  EXPECT_EQ(kGemini
                .decode_error(
                    500, R"({"error":{"code":500,"message":"Internal error","status":"INTERNAL"}})")
                .kind,
            ErrorKind::internal);
  EXPECT_EQ(
      kGemini
          .decode_error(
              503,
              R"([{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}])")
          .kind,
      ErrorKind::unavailable);
  EXPECT_EQ(
      kGemini
          .decode_error(
              400,
              R"({"error":{"code":400,"message":"The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}})")
          .kind,
      ErrorKind::context_window_exceeded);
  const Error html = kGemini.decode_error(502, "<html>bad gateway</html>");
  EXPECT_EQ(http_status(html), 502);
  EXPECT_THAT(html.message, HasSubstr("bad gateway"));
}

// ----------------------------------------------------------------------------------- streams

api::Request stream_request(bool include_usage) {
  return chat(
      include_usage
          ? R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}],"stream":true,
                                  "stream_options":{"include_usage":true}})"
          : R"({"model":"my-gemini","messages":[{"role":"user","content":"hi"}],"stream":true})");
}

StreamRun run(const api::Request& request, const std::vector<std::string_view>& pieces) {
  StreamRun result = run_stream(kGemini, request, pieces, kClientModel);
  EXPECT_FALSE(result.done_before_finish) << "Gemini streams end when the upstream closes";
  return result;
}

// The frames the client receives, each "data: <one line>\n\n", made comparable.
std::vector<json::value> chunks(std::string_view out) {
  std::vector<json::value> parsed;
  for (const std::string& data : test_support::frames(out)) {
    parsed.push_back(data == "[DONE]" ? json::value("[DONE]") : comparable(data));
  }
  return parsed;
}

std::string normalised(std::string_view out) {
  std::string text =
      std::regex_replace(std::string(out), std::regex(R"("created":\d+)"), R"("created":1)");
  return std::regex_replace(text, std::regex(R"("call_[0-9a-f]{24})"), R"("call_X)");
}

constexpr const char* kStreamFixtures[] = {"gemini/stream_generate_content.sse",
                                           "gemini/stream_generate_content_function_call.sse",
                                           "gemini/stream_generate_content_single_event.sse",
                                           "gemini/stream_thoughts_max_tokens.synthetic.sse"};

TEST(GeminiStream, RecordedTextStream) {
  const StreamRun result =
      run(stream_request(true), {read_wire_fixture("gemini/stream_generate_content.sse")});
  ASSERT_FALSE(result.error) << result.error->message;
  const std::string head =
      R"({"id":"45I2aaWZBumm2roPm8HR0Ao","object":"chat.completion.chunk","created":1,"model":"my-gemini",)";
  EXPECT_EQ(
      chunks(result.out),
      (std::vector<json::value>{
          json::parse(
              head +
              R"("choices":[{"index":0,"delta":{"role":"assistant","content":"今日の東京の天気"},"finish_reason":null}]})"),
          json::parse(
              head +
              R"("choices":[{"index":0,"delta":{"content":"は曇りで、気温は22度です。\n"},"finish_reason":null}]})"),
          json::parse(head + R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"),
          json::parse(
              head +
              R"("choices":[],"usage":{"prompt_tokens":138,"completion_tokens":15,"total_tokens":153}})"),
          json::value("[DONE]")}));
  EXPECT_TRUE(result.done);
  EXPECT_EQ(result.usage.total_tokens, 153);
  // Without include_usage the usage chunk is left out, and the usage is still known for spend.
  const StreamRun quiet =
      run(stream_request(false), {read_wire_fixture("gemini/stream_generate_content.sse")});
  EXPECT_EQ(chunks(quiet.out).size(), 4u);
  EXPECT_EQ(quiet.usage.completion_tokens, 15);
}

TEST(GeminiStream, RecordedFunctionCallIsOneWholeToolCallDelta) {
  const StreamRun result =
      run(stream_request(true),
          {read_wire_fixture("gemini/stream_generate_content_function_call.sse")});
  ASSERT_FALSE(result.error) << result.error->message;
  const std::string head =
      R"({"id":"qpc2afWVFJK4vr0Pq6WiyAU","object":"chat.completion.chunk","created":1,"model":"my-gemini",)";
  EXPECT_EQ(
      chunks(result.out),
      (std::vector<json::value>{
          json::parse(
              head +
              R"("choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":")" +
              recorded_call_id() + R"(",
          "type":"function","function":{"name":"getWeather","arguments":"{\"location\":\"Tokyo\"}"}}]},"finish_reason":null}]})"),
          json::parse(head + R"("choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"),
          json::parse(
              head +
              R"("choices":[],"usage":{"prompt_tokens":83,"completion_tokens":118,"total_tokens":201,
          "completion_tokens_details":{"reasoning_tokens":104}}})"),
          json::value("[DONE]")}));
}

TEST(GeminiStream, SameOutputWhereverTheBytesAreSplit) {
  for (const char* fixture : kStreamFixtures) {
    SCOPED_TRACE(fixture);
    const std::string upstream = read_wire_fixture(fixture);
    const std::string_view text = upstream;
    const api::Request request = stream_request(true);
    const StreamRun whole = run(request, {text});
    ASSERT_FALSE(whole.error);
    const std::string expected = normalised(whole.out);
    for (std::size_t at = 0; at <= text.size(); ++at) {
      const StreamRun split = run(request, {text.substr(0, at), text.substr(at)});
      ASSERT_FALSE(split.error) << "split at " << at;
      ASSERT_EQ(normalised(split.out), expected) << "split at " << at;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t at = 0; at < text.size(); ++at) bytes.push_back(text.substr(at, 1));
    EXPECT_EQ(normalised(run(request, bytes).out), expected) << "one byte at a time";
    // The same stream framed with LF instead of the recorded CRLF.
    const std::string lf = std::regex_replace(upstream, std::regex("\r\n"), "\n");
    EXPECT_EQ(normalised(run(request, {lf}).out), expected) << "LF framing";
  }
}

TEST(GeminiStream, BadUpstreamBytesAreCleanErrors) {
  const std::string recorded = read_wire_fixture("gemini/stream_generate_content.sse");
  const std::string first_event = recorded.substr(0, recorded.find("\r\n\r\n") + 4);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated JSON", "data: {\"candidates\": [{\"content\"\r\n\r\n"},
      {"cut before the finishReason", first_event},
      {"cut mid-event", recorded.substr(0, recorded.size() - 40)},
      {"unknown event type", "event: surprise\r\ndata: {}\r\n\r\n"},
      {"invalid UTF-8",
       "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\xc3\x28\"}]},\"index\": "
       "0}]}\r\n\r\n"},
      {"not an object", "data: [DONE]\r\n\r\n"},
  };
  for (const auto& [label, bytes] : cases) {
    const StreamRun result = run(stream_request(true), {bytes});
    ASSERT_TRUE(result.error) << label;
    EXPECT_EQ(result.error->kind, ErrorKind::upstream_failed) << label;
    EXPECT_FALSE(result.done) << label;
    EXPECT_EQ(result.out.find("[DONE]"), std::string::npos) << label;
  }
}

TEST(GeminiStream, InStreamErrorsAndBlockedPrompts) {
  const StreamRun limited = run(stream_request(false),
                                {"data: {\"error\": {\"code\": 429,\"message\": \"Resource has "
                                 "been exhausted.\",\"status\": \"RESOURCE_EXHAUSTED\"}}\r\n\r\n"});
  ASSERT_TRUE(limited.error);
  EXPECT_EQ(limited.error->kind, ErrorKind::rate_limited);
  EXPECT_EQ(limited.error->message, "Resource has been exhausted.");
  const StreamRun blocked =
      run(stream_request(false),
          {"data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"}}\r\n\r\n"});
  ASSERT_TRUE(blocked.error);
  EXPECT_EQ(blocked.error->kind, ErrorKind::content_policy);
  EXPECT_THAT(blocked.error->message, HasSubstr("PROHIBITED_CONTENT"));
}

TEST(GeminiStream, ThoughtsAndAFinishWithoutContent) {
  const StreamRun result = run(
      stream_request(true), {read_wire_fixture("gemini/stream_thoughts_max_tokens.synthetic.sse")});
  ASSERT_FALSE(result.error) << result.error->message;
  const std::string head =
      R"({"id":"synthThoughts01","object":"chat.completion.chunk","created":1,"model":"my-gemini",)";
  EXPECT_EQ(
      chunks(result.out),
      (std::vector<json::value>{
          json::parse(
              head +
              R"("choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"**Counting** I will count to three."},"finish_reason":null}]})"),
          json::parse(
              head + R"("choices":[{"index":0,"delta":{"content":"1, 2"},"finish_reason":null}]})"),
          json::parse(head + R"("choices":[{"index":0,"delta":{},"finish_reason":"length"}]})"),
          json::parse(
              head +
              R"("choices":[],"usage":{"prompt_tokens":8,"completion_tokens":16,"total_tokens":24,
          "completion_tokens_details":{"reasoning_tokens":12}}})"),
          json::value("[DONE]")}));
}

TEST(GeminiStream, AnEmptyTextPartIsNoDelta) {
  const StreamRun result =
      run(stream_request(false),
          {"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}],\"role\": "
           "\"model\"},\"index\": 0}],\"responseId\": \"e\"}\r\n\r\n"
           "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"\"}],\"role\": "
           "\"model\"},\"finishReason\": \"STOP\",\"index\": 0}],\"responseId\": \"e\"}\r\n\r\n"});
  ASSERT_FALSE(result.error) << result.error->message;
  const std::string head =
      R"({"id":"e","object":"chat.completion.chunk","created":1,"model":"my-gemini",)";
  EXPECT_EQ(
      chunks(result.out),
      (std::vector<json::value>{
          json::parse(
              head +
              R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]})"),
          json::parse(head + R"("choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"),
          json::value("[DONE]")}));
}

TEST(GeminiStream, AnErrorEventEndsTheStreamAfterWhatCameBefore) {
  const StreamRun result =
      run(stream_request(false), {read_wire_fixture("gemini/stream_error_event.synthetic.sse")});
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->kind, ErrorKind::unavailable);
  EXPECT_EQ(http_status(*result.error), 503);
  EXPECT_EQ(result.error->message, "The model is overloaded. Please try again later.");
  const auto sent = chunks(result.out);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].at("choices").at(0).at("delta").at("content"), "The answer");
}

}  // namespace
}  // namespace llmux::providers
