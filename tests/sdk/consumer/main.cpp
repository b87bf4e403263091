// A program built against the installed llmux package: a direct call, a call through a config's
// router, a stream, and an awaited acompletion, against the OpenAI base URL given as its argument
// (the mock upstream). Exits non-zero, saying why, when an answer is not what it should be.
#include <sdk/asio.hpp>
#include <sdk/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

bool is_chat_completion(const llmux::Result<llmux::sdk::Completion>& answer) {
  return answer && answer->body.find("\"chat.completion\"") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer <OpenAI base URL>\n");
    return 2;
  }
  const std::string base = argv[1];
  const std::string direct_body =
      R"({"model": "openai/gpt-4o-mini", "api_base": ")" + base +
      R"(", "api_key": "sk-consumer", "messages": [{"role": "user", "content": "Hi"}])";
  using llmux::api::Endpoint;

  llmux::sdk::Client direct;
  auto answer = direct.call(Endpoint::chat_completions, direct_body + "}");
  check(is_chat_completion(answer), "a direct call answers with a chat completion");
  check(answer && answer->summary.cost > 0, "the call has a cost from the price map");

  auto stream =
      direct.open_stream(Endpoint::chat_completions, direct_body + R"(, "stream": true})");
  int chunks = 0;
  while (stream) {
    auto chunk = stream->next();
    if (!chunk || !*chunk) {
      check(static_cast<bool>(chunk), "the stream ends without an error");
      break;
    }
    ++chunks;
  }
  check(chunks > 1, "the stream yields its chunks");

  auto configured = llmux::sdk::Client::from_config(
      "model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o-mini, "
      "api_base: " +
      base + ", api_key: sk-config}\n");
  check(static_cast<bool>(configured), "a config's YAML builds a client");
  if (configured) {
    auto routed =
        configured->call(Endpoint::chat_completions,
                         R"({"model": "gpt", "messages": [{"role": "user", "content": "Hi"}]})");
    check(is_chat_completion(routed) && routed->summary.served_group == "gpt",
          "the config's router serves its model group");
  }

  boost::asio::io_context io;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        auto awaited = co_await llmux::sdk::acompletion(direct, direct_body + "}");
        check(is_chat_completion(awaited), "an awaited acompletion answers");
        auto refused =
            co_await llmux::sdk::acompletion(direct, R"({"model": "openai/gpt-4o-mini"})");
        check(!refused && refused.error().kind == llmux::ErrorKind::invalid_request,
              "a body without messages is an invalid_request error");
      },
      boost::asio::detached);
  io.run();
  return failures == 0 ? 0 : 1;
}
