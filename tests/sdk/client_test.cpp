// sdk::Client against the mock upstream on loopback: direct calls (no config) and calls through a
// config's router, whole and streamed, in several provider dialects; retries, fallbacks, errors
// as values, and a stream dropped by its reader stopping the upstream call.
#include "sdk/client.hpp"
#include "../unit/providers/google_key.hpp"
#include "mock_upstream.hpp"
#include "sdk/asio.hpp"

#include "config/load.hpp"

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

namespace llmux::sdk {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::MockUpstream;

std::string read_fixture(const std::string& path) {
  std::ifstream file(std::string(LLMUX_FIXTURES_DIR) + "/wire/" + path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The text a client assembles from a recorded OpenAI stream's content deltas.
std::string fixture_stream_text(const std::string& path) {
  std::string text;
  std::istringstream events(read_fixture(path));
  for (std::string line; std::getline(events, line);) {
    if (!line.starts_with("data: {")) continue;
    const auto chunk = json::parse(line.substr(6));
    const auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) continue;
    if (const auto* content = choices[0].at("delta").as_object().if_contains("content");
        content && content->is_string())
      text += content->as_string();
  }
  return text;
}

std::string chat_body(std::string_view model, json::object extra = {}) {
  json::object body{{"model", model},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}};
  for (auto& [key, value] : extra) body[key] = value;
  return json::serialize(body);
}

std::string content_of(const Completion& completion) {
  const auto answer = json::parse(completion.body);
  return std::string(answer.at("choices").at(0).at("message").at("content").as_string());
}

// Every chunk of a stream, until its end or its error.
struct Drained {
  std::string text;
  std::size_t chunks = 0;
  std::optional<Error> error;
};

Drained drain(ChunkStream& stream) {
  Drained drained;
  for (;;) {
    auto item = stream.next();
    if (!item) {
      drained.error = item.error();
      return drained;
    }
    if (!*item) return drained;
    ++drained.chunks;
    const auto chunk = json::parse(**item);
    const auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) continue;
    if (const auto* content = choices[0].at("delta").as_object().if_contains("content");
        content && content->is_string())
      drained.text += content->as_string();
  }
}

class SdkClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mock_ = new MockUpstream(); }
  static void TearDownTestSuite() {
    delete mock_;
    mock_ = nullptr;
  }
  static std::string api_base() { return mock_->url() + "/v1"; }
  static json::object direct(std::string key = "sk-caller-key") {
    return {{"api_base", api_base()}, {"api_key", key}};
  }
  // A client whose config lists `models` (YAML list items) under model_list, `settings` after;
  // $BASE stands for the mock's OpenAI base URL, $MOCK for its root.
  static std::unique_ptr<Client> configured(const std::string& models,
                                            const std::string& settings = "") {
    std::string yaml = "model_list:\n" + models + settings;
    for (auto at = yaml.find("$BASE"); at != std::string::npos; at = yaml.find("$BASE"))
      yaml.replace(at, 5, api_base());
    for (auto at = yaml.find("$MOCK"); at != std::string::npos; at = yaml.find("$MOCK"))
      yaml.replace(at, 5, mock_->url());
    return std::make_unique<Client>(config::load_string(yaml, "test.yaml"));
  }

  static MockUpstream* mock_;
};

MockUpstream* SdkClient::mock_ = nullptr;

TEST_F(SdkClient, DirectCallAnswersWithTheUpstreamsCompletion) {
  Client client;
  auto completion =
      client.call(api::Endpoint::chat_completions, chat_body("openai/gpt-4o-mini", direct()));
  ASSERT_TRUE(completion) << completion.error().message;
  const auto fixture = json::parse(read_fixture("openai/chat_completion.json"));
  EXPECT_EQ(content_of(*completion),
            fixture.at("choices").at(0).at("message").at("content").as_string());
  EXPECT_EQ(json::parse(completion->body).at("model").as_string(), "openai/gpt-4o-mini");
  EXPECT_EQ(completion->summary.usage.total_tokens,
            fixture.at("usage").at("total_tokens").as_int64());
  EXPECT_GT(completion->summary.cost, 0);  // gpt-4o-mini is in the price map

  const auto requests = mock_->requests().at("requests").as_array();
  const auto& last = requests.back().as_object();
  EXPECT_EQ(last.at("path").as_string(), "/v1/chat/completions");
  EXPECT_EQ(last.at("headers").at("authorization").as_string(), "Bearer sk-caller-key");
  EXPECT_EQ(last.at("body").at("model").as_string(), "gpt-4o-mini");
  EXPECT_FALSE(last.at("body").as_object().contains("api_base"));
}

TEST_F(SdkClient, DirectStreamYieldsEveryChunkThenTheEnd) {
  Client client;
  auto stream = client.open_stream(
      api::Endpoint::chat_completions,
      chat_body("openai/gpt-4o-mini", {{"api_base", api_base()},
                                       {"api_key", "sk-caller-key"},
                                       {"stream", true},
                                       {"stream_options", json::object{{"include_usage", true}}}}));
  ASSERT_TRUE(stream) << stream.error().message;
  const Drained drained = drain(*stream);
  EXPECT_FALSE(drained.error);
  EXPECT_EQ(drained.text, fixture_stream_text("openai/chat_completion_stream.sse"));
  EXPECT_GT(drained.chunks, 2u);
  EXPECT_GT(stream->summary().usage.total_tokens, 0);
  auto after_end = stream->next();
  ASSERT_TRUE(after_end);
  EXPECT_FALSE(*after_end);
}

TEST_F(SdkClient, UpstreamFailuresAreErrorValuesOfTheirKind) {
  Client client;
  const std::pair<const char*, ErrorKind> cases[] = {
      {"openai/mock-error-429", ErrorKind::rate_limited},
      {"openai/mock-error-401", ErrorKind::unauthenticated},
      {"openai/mock-context-window-exceeded", ErrorKind::context_window_exceeded},
      {"openai/mock-error-503", ErrorKind::unavailable},
  };
  for (const auto& [model, kind] : cases) {
    auto completion =
        client.call(api::Endpoint::chat_completions, chat_body(model, direct("sk-secret-caller")));
    ASSERT_FALSE(completion) << model;
    EXPECT_EQ(completion.error().kind, kind) << model << ": " << completion.error().message;
    EXPECT_EQ(completion.error().message.find("sk-secret-caller"), std::string::npos);
  }
}

TEST_F(SdkClient, AStreamFailingBeforeItsFirstChunkIsTheOpeningsError) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  auto stream =
      client.open_stream(api::Endpoint::chat_completions, chat_body("openai/mock-error-429", body));
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().kind, ErrorKind::rate_limited);
}

TEST_F(SdkClient, AStreamCutAfterItsFirstChunksEndsWithAnError) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  auto stream = client.open_stream(api::Endpoint::chat_completions,
                                   chat_body("openai/mock-stream-cut-after-2", body));
  ASSERT_TRUE(stream) << stream.error().message;
  const Drained drained = drain(*stream);
  EXPECT_EQ(drained.chunks, 2u);
  ASSERT_TRUE(drained.error);
}

TEST_F(SdkClient, BadInputIsAnInvalidRequestBeforeAnyUpstreamCall) {
  Client client;
  auto no_messages = client.call(api::Endpoint::chat_completions, R"({"model":"openai/x"})");
  ASSERT_FALSE(no_messages);
  EXPECT_EQ(no_messages.error().kind, ErrorKind::invalid_request);
  auto not_json = client.call(api::Endpoint::chat_completions, "{");
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().kind, ErrorKind::invalid_request);
  auto unknown_provider =
      client.call(api::Endpoint::chat_completions, chat_body("nowhere/model", direct()));
  ASSERT_FALSE(unknown_provider);
  // A streamed body handed to call() (and the reverse) is refused, not half answered.
  auto streamed = direct();
  streamed["stream"] = true;
  auto mismatch = client.call(api::Endpoint::chat_completions, chat_body("openai/x", streamed));
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().param, "stream");
}

TEST_F(SdkClient, TheConfigsRouterRetriesAndFallsBack) {
  auto client = configured(R"(
  - model_name: flaky
    litellm_params: {model: openai/mock-fail-first-1@sdk-retry, api_base: $BASE, api_key: sk-op}
  - model_name: broken
    litellm_params: {model: openai/mock-error-500, api_base: $BASE, api_key: sk-op}
  - model_name: good
    litellm_params: {model: openai/gpt-4o-mini, api_base: $BASE, api_key: sk-op}
)",
                           R"(
router_settings:
  num_retries: 1
  retry_after: 0
  fallbacks: [{broken: [good]}]
)");
  auto retried =
      client->call(api::Endpoint::chat_completions, chat_body("flaky", {{"num_retries", 1}}));
  ASSERT_TRUE(retried) << retried.error().message;
  EXPECT_EQ(retried->summary.retries, 1);

  auto fell_back = client->call(api::Endpoint::chat_completions, chat_body("broken"));
  ASSERT_TRUE(fell_back) << fell_back.error().message;
  EXPECT_EQ(fell_back->summary.served_group, "good");
  EXPECT_EQ(fell_back->summary.fallbacks, 1);
  EXPECT_EQ(json::parse(fell_back->body).at("model").as_string(), "good");

  auto unknown = client->call(api::Endpoint::chat_completions, chat_body("nobody-serves-this"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "model_not_found");
}

TEST_F(SdkClient, OtherProviderDialectsAreTranslated) {
  auto client = configured(R"(
  - model_name: claude
    litellm_params: {model: anthropic/claude-made-up-for-tests, api_base: $MOCK, api_key: sk-op}
  - model_name: llama
    litellm_params: {model: ollama_chat/llama3.2, api_base: $MOCK}
)");
  auto claude = client->call(api::Endpoint::chat_completions, chat_body("claude"));
  ASSERT_TRUE(claude) << claude.error().message;
  const auto message = json::parse(read_fixture("anthropic/message.json"));
  EXPECT_EQ(content_of(*claude), message.at("content").at(0).at("text").as_string());

  auto llama = client->call(api::Endpoint::chat_completions, chat_body("llama"));
  ASSERT_TRUE(llama) << llama.error().message;
  const auto chat = json::parse(read_fixture("ollama/chat.synthetic.json"));
  EXPECT_EQ(content_of(*llama), chat.at("message").at("content").as_string());

  auto streamed =
      client->open_stream(api::Endpoint::chat_completions, chat_body("claude", {{"stream", true}}));
  ASSERT_TRUE(streamed) << streamed.error().message;
  const Drained drained = drain(*streamed);
  EXPECT_FALSE(drained.error);
  EXPECT_FALSE(drained.text.empty());
}

TEST_F(SdkClient, GeminiBedrockCohereAndAzureDialectsAreTranslated) {
  // The mock checks Bedrock's SigV4 signature against the credentials it knows.
  auto client = configured(R"(
  - model_name: gemini
    litellm_params: {model: gemini/gemini-2.5-flash, api_base: $MOCK, api_key: sk-gemini}
  - model_name: bedrock
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_bedrock_runtime_endpoint: $MOCK
      aws_region_name: eu-central-1
      aws_access_key_id: AKIDLLMUXTESTLONG
      aws_secret_access_key: bedrock-test-secret/Long+Term-9f3k
  - model_name: cohere
    litellm_params: {model: cohere_chat/command-a-03-2025, api_base: $MOCK, api_key: sk-cohere}
  - model_name: azure
    litellm_params: {model: azure/gpt-4o-prod, api_base: $MOCK, api_key: sk-azure, api_version: "2024-10-21"}
  - model_name: gemini-429
    litellm_params: {model: gemini/mock-error-429, api_base: $MOCK, api_key: sk-gemini}
)");
  const auto gemini = json::parse(read_fixture("gemini/generate_content.json"));
  const auto cohere = json::parse(read_fixture("cohere/chat.synthetic.json"));
  const auto azure = json::parse(read_fixture("azure/chat_completion.synthetic.json"));
  const std::pair<std::string, std::string> expected[] = {
      {"gemini",
       std::string(
           gemini.at("candidates").at(0).at("content").at("parts").at(0).at("text").as_string())},
      {"bedrock", "Hello world"},  // the mock's Converse answer (dialects/bedrock.mjs)
      {"cohere", std::string(cohere.at("message").at("content").at(0).at("text").as_string())},
      {"azure", std::string(azure.at("choices").at(0).at("message").at("content").as_string())},
  };
  for (const auto& [model, content] : expected) {
    SCOPED_TRACE(model);
    auto whole = client->call(api::Endpoint::chat_completions, chat_body(model));
    ASSERT_TRUE(whole) << whole.error().message;
    EXPECT_EQ(content_of(*whole), content);
    EXPECT_EQ(whole->summary.served_group, model);

    auto streamed =
        client->open_stream(api::Endpoint::chat_completions, chat_body(model, {{"stream", true}}));
    ASSERT_TRUE(streamed) << streamed.error().message;
    const Drained drained = drain(*streamed);
    EXPECT_FALSE(drained.error) << drained.error->message;
    EXPECT_GT(drained.chunks, 1u);
    EXPECT_FALSE(drained.text.empty());
  }

  auto limited = client->call(api::Endpoint::chat_completions, chat_body("gemini-429"));
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().kind, ErrorKind::rate_limited);
}

// A Vertex AI deployment with a service account: the client fetches the account's OAuth token
// from the key's token endpoint (the mock's, which verifies the signed assertion) before its
// first call and calls Vertex with it, whole and streamed. An account the endpoint refuses makes
// its deployment's calls fail as unauthenticated, naming no secret; a token endpoint that is down,
// as unavailable.
TEST_F(SdkClient, VertexDeploymentsCallWithTheirServiceAccountsToken) {
  const auto& key = providers::test_support::key_pair();
  const std::string token_uri = mock_->url() + "/token";
  const std::string trusted = "sdk-vertex@llmux-test-project.iam.gserviceaccount.com";
  mock_->trust_service_account(trusted, key.public_pem(), token_uri);
  const auto deployment = [&](std::string_view name, std::string_view client_email,
                              std::string_view token_endpoint) {
    const json::object key_file{
        {"type", "service_account"},     {"project_id", "llmux-test-project"},
        {"private_key_id", "sdk-key-1"}, {"private_key", key.private_pem()},
        {"client_email", client_email},  {"token_uri", token_endpoint}};
    return json::object{{"model_name", name},
                        {"litellm_params",
                         {{"model", "vertex_ai/gemini-2.5-flash"},
                          {"api_base", mock_->url()},
                          {"vertex_project", "llmux-test-project"},
                          {"vertex_location", "europe-west4"},
                          {"vertex_credentials", json::serialize(key_file)}}}};
  };
  // JSON is YAML: the key file's text is a string in the config.
  auto client = Client::from_config(json::serialize(
      json::object{{"model_list",
                    {deployment("vertex", trusted, token_uri),
                     deployment("vertex-refused",
                                "unknown@llmux-test-project.iam.gserviceaccount.com", token_uri),
                     // Nothing listens on port 1: the token endpoint is down.
                     deployment("vertex-unreachable", trusted, "http://127.0.0.1:1/token")}}}));
  ASSERT_TRUE(client) << client.error().message;

  const auto gemini = json::parse(read_fixture("gemini/generate_content.json"));
  auto whole = client->call(api::Endpoint::chat_completions, chat_body("vertex"));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(content_of(*whole),
            gemini.at("candidates").at(0).at("content").at("parts").at(0).at("text").as_string());
  const auto requests = mock_->requests().at("requests").as_array();
  const auto vertex_call = std::find_if(requests.rbegin(), requests.rend(), [](const auto& r) {
    return r.as_object().contains("dialect") && r.at("dialect") == "vertex";
  });
  ASSERT_NE(vertex_call, requests.rend());
  EXPECT_TRUE(
      vertex_call->at("headers").at("authorization").as_string().starts_with("Bearer ya29.mock-"));

  auto streamed =
      client->open_stream(api::Endpoint::chat_completions, chat_body("vertex", {{"stream", true}}));
  ASSERT_TRUE(streamed) << streamed.error().message;
  const Drained drained = drain(*streamed);
  EXPECT_FALSE(drained.error) << drained.error->message;
  EXPECT_FALSE(drained.text.empty());

  auto refused = client->call(api::Endpoint::chat_completions, chat_body("vertex-refused"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::unauthenticated) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("PRIVATE KEY"), std::string::npos);

  auto unreachable = client->call(api::Endpoint::chat_completions, chat_body("vertex-unreachable"));
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().kind, ErrorKind::unavailable) << unreachable.error().message;

  // Not done: Vertex AI's settings given with a direct call (no config) are refused as
  // parameters the provider does not take; no token is fetched for them.
  Client direct_calls;
  auto direct_vertex = direct_calls.call(
      api::Endpoint::chat_completions,
      chat_body("vertex_ai/gemini-2.5-flash",
                deployment("d", trusted, token_uri).at("litellm_params").as_object()));
  ASSERT_FALSE(direct_vertex);
  EXPECT_EQ(direct_vertex.error().kind, ErrorKind::unsupported_params)
      << direct_vertex.error().message;
}

TEST_F(SdkClient, CallsRunConcurrentlyOnTheClientsLoop) {
  Client client;
  std::vector<std::future<Result<Completion>>> answers;
  for (int i = 0; i < 8; ++i) {
    auto promise = std::make_shared<std::promise<Result<Completion>>>();
    answers.push_back(promise->get_future());
    client.call_async(
        api::Endpoint::chat_completions, chat_body("openai/gpt-4o-mini", direct()),
        [promise](Result<Completion> result) { promise->set_value(std::move(result)); });
  }
  for (auto& answer : answers) {
    auto completion = answer.get();
    ASSERT_TRUE(completion) << completion.error().message;
  }
}

TEST_F(SdkClient, AStreamDroppedByItsReaderStopsTheUpstreamCall) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  // 100 chunks 50 ms apart: the reader leaves after the first.
  auto stream = client.open_stream(api::Endpoint::chat_completions,
                                   chat_body("openai/mock-stream-slow-50@sdk-drop", body));
  ASSERT_TRUE(stream) << stream.error().message;
  { ChunkStream dropped = std::move(*stream); }
  // The mock records the abandoned response when its connection closes (the test's timeout
  // bounds the wait when it never does).
  const auto aborted = mock_->wait_for_abort("mock-stream-slow-50@sdk-drop");
  EXPECT_EQ(aborted.at("path").as_string(), "/v1/chat/completions");
}

TEST_F(SdkClient, PendingCallCancelStopsTheUpstreamCall) {
  Client client;
  std::promise<Result<Completion>> answered;
  // The mock waits 30 s before its first byte; the caller gives up at once.
  auto pending = client.call_async(
      api::Endpoint::chat_completions,
      chat_body("openai/mock-slow-first-byte-30000@sdk-cancel", direct()),
      [&answered](Result<Completion> result) { answered.set_value(std::move(result)); });
  mock_->wait_for_request("mock-slow-first-byte-30000@sdk-cancel");
  pending.cancel();
  const auto result = answered.get_future().get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "cancelled");
  mock_->wait_for_abort("mock-slow-first-byte-30000@sdk-cancel");
}

TEST_F(SdkClient, PendingCallCancelStopsAStreamBeingOpened) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  std::promise<Result<ChunkStream>> opened;
  auto pending = client.open_stream_async(
      api::Endpoint::chat_completions,
      chat_body("openai/mock-slow-first-byte-30000@sdk-cancel-open", body),
      [&opened](Result<ChunkStream> result) { opened.set_value(std::move(result)); });
  mock_->wait_for_request("mock-slow-first-byte-30000@sdk-cancel-open");
  pending.cancel();
  const auto result = opened.get_future().get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "cancelled");
  mock_->wait_for_abort("mock-slow-first-byte-30000@sdk-cancel-open");
}

TEST_F(SdkClient, ACancelledStartedStreamEndsWithTheCancellation) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  std::promise<Result<ChunkStream>> opened;
  // 100 chunks 50 ms apart: cancelled after the first.
  auto pending = client.open_stream_async(
      api::Endpoint::chat_completions,
      chat_body("openai/mock-stream-slow-50@sdk-cancel-started", body),
      [&opened](Result<ChunkStream> result) { opened.set_value(std::move(result)); });
  auto stream = opened.get_future().get();
  ASSERT_TRUE(stream) << stream.error().message;
  pending.cancel();
  const Drained drained = drain(*stream);
  ASSERT_TRUE(drained.error);
  EXPECT_EQ(drained.error->code, "cancelled");
  EXPECT_LT(drained.chunks, 100u);
  mock_->wait_for_abort("mock-stream-slow-50@sdk-cancel-started");
}

TEST_F(SdkClient, FromConfigBuildsTheRouterOrNamesTheConfigsProblem) {
  auto client = Client::from_config(
      "model_list:\n  - model_name: gpt\n    litellm_params: {model: "
      "openai/gpt-4o-mini, api_base: " +
      api_base() + ", api_key: sk-config}\n");
  ASSERT_TRUE(client) << client.error().message;
  auto completion = client->call(api::Endpoint::chat_completions, chat_body("gpt"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->summary.served_group, "gpt");

  auto broken = Client::from_config("model_list: 12\n", "broken.yaml");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, ErrorKind::invalid_request);
  EXPECT_NE(broken.error().message.find("broken.yaml"), std::string::npos)
      << broken.error().message;
}

// The Asio operations of sdk/asio.hpp, awaited in coroutines on the test's own io_context.
class SdkAsio : public SdkClient {
 protected:
  // Runs `task` on a fresh io_context on this thread until it is done.
  template <class Task>
  void run(Task task) {
    asio::io_context io;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(task), [&failure](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
  }
};

TEST_F(SdkAsio, AcompletionResumesOnTheCallersExecutorWithTheAnswer) {
  Client client;
  run([&]() -> asio::awaitable<void> {
    const auto caller = std::this_thread::get_id();
    auto completion = co_await acompletion(client, chat_body("openai/gpt-4o-mini", direct()));
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_TRUE(completion) << completion.error().message;
    if (!completion) co_return;
    const auto fixture = json::parse(read_fixture("openai/chat_completion.json"));
    EXPECT_EQ(content_of(*completion),
              fixture.at("choices").at(0).at("message").at("content").as_string());
    auto refused = co_await acompletion(client, R"({"model": "openai/gpt-4o-mini"})");
    EXPECT_FALSE(refused);
    if (!refused) {
      EXPECT_EQ(refused.error().kind, ErrorKind::invalid_request);
    }
  });
}

TEST_F(SdkAsio, AStreamIsReadChunkByChunkWithAsyncNext) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  run([&]() -> asio::awaitable<void> {
    const auto caller = std::this_thread::get_id();
    auto stream =
        co_await async_open_stream(client, api::Endpoint::chat_completions,
                                   chat_body("openai/gpt-4o-mini", body), asio::use_awaitable);
    EXPECT_TRUE(stream) << stream.error().message;
    if (!stream) co_return;
    std::string text;
    std::size_t chunks = 0;
    for (;;) {
      auto item = co_await async_next(*stream, asio::use_awaitable);
      EXPECT_EQ(std::this_thread::get_id(), caller);
      EXPECT_TRUE(item) << item.error().message;
      if (!item || !*item) break;
      ++chunks;
      const auto chunk = json::parse(**item);
      const auto& choices = chunk.at("choices").as_array();
      if (choices.empty()) continue;
      if (const auto* content = choices[0].at("delta").as_object().if_contains("content");
          content && content->is_string())
        text += content->as_string();
    }
    EXPECT_GT(chunks, 1u);
    EXPECT_EQ(text, fixture_stream_text("openai/chat_completion_stream.sse"));
  });
}

// Starts an operation (`start(slot token)`) on a model the mock holds back for 30 s, emits the
// slot's cancellation once the mock has the request, and returns the error the operation gave.
template <class Value, class Start>
Error cancelled_through_slot(const MockUpstream& mock, std::string_view model, Start start) {
  asio::io_context io;
  asio::cancellation_signal cancel;
  std::optional<Value> result;
  start(asio::bind_cancellation_slot(cancel.slot(), asio::bind_executor(io, [&result](Value value) {
                                       result = std::move(value);
                                     })));
  std::thread canceller([&] {
    mock.wait_for_request(model);
    asio::post(io, [&cancel] { cancel.emit(asio::cancellation_type::terminal); });
  });
  io.run();
  canceller.join();
  EXPECT_TRUE(result && !*result);
  return result && !*result ? result->error() : Error{};
}

TEST_F(SdkAsio, ACancelledOperationClosesItsUpstreamConnection) {
  Client client;
  const auto call = cancelled_through_slot<Result<Completion>>(
      *mock_, "mock-slow-first-byte-30000@sdk-asio-call", [&](auto token) {
        async_call(client, api::Endpoint::chat_completions,
                   chat_body("openai/mock-slow-first-byte-30000@sdk-asio-call", direct()), token);
      });
  EXPECT_EQ(call.code, "cancelled");
  mock_->wait_for_abort("mock-slow-first-byte-30000@sdk-asio-call");

  auto body = direct();
  body["stream"] = true;
  const auto opening = cancelled_through_slot<Result<ChunkStream>>(
      *mock_, "mock-slow-first-byte-30000@sdk-asio-open", [&](auto token) {
        async_open_stream(client, api::Endpoint::chat_completions,
                          chat_body("openai/mock-slow-first-byte-30000@sdk-asio-open", body),
                          token);
      });
  EXPECT_EQ(opening.code, "cancelled");
  mock_->wait_for_abort("mock-slow-first-byte-30000@sdk-asio-open");
}

// A pending async_next cancelled through its slot completes with the cancellation at once and
// stops the stream: the mock, holding the stream open after two chunks, sees its client leave,
// and the stream itself ends with the cancellation.
TEST_F(SdkAsio, ACancelledAsyncNextStopsTheStream) {
  Client client;
  auto body = direct();
  body["stream"] = true;
  const std::string model = "mock-stall-after-2@sdk-asio-next";
  auto stream = client.open_stream(api::Endpoint::chat_completions,
                                   chat_body("openai/" + model, std::move(body)));
  ASSERT_TRUE(stream) << stream.error().message;
  for (int i = 0; i < 2; ++i) {
    auto chunk = stream->next();
    ASSERT_TRUE(chunk && *chunk);
  }
  asio::io_context io;
  asio::cancellation_signal cancel;
  std::optional<Result<std::optional<std::string>>> next;
  // Nothing more arrives: the operation is pending when the cancellation is emitted.
  async_next(*stream, asio::bind_cancellation_slot(
                          cancel.slot(),
                          asio::bind_executor(io, [&next](auto item) { next = std::move(item); })));
  asio::post(io, [&cancel] { cancel.emit(asio::cancellation_type::terminal); });
  io.run();
  ASSERT_TRUE(next);
  ASSERT_FALSE(*next);
  EXPECT_EQ(next->error().code, "cancelled");
  mock_->wait_for_abort(model);
  auto after = stream->next();
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, "cancelled");
}

}  // namespace
}  // namespace llmux::sdk
