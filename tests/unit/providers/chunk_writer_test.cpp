#include "providers/chunk_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::providers {
namespace {

TEST(ChunkWriter, WritesOpenAiChunks) {
  const ChunkWriter chunks("chatcmpl-1", 1735689600, "my \"model\"");
  const std::string head =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1735689600,"model":"my \"model\"","choices":[)";
  std::string out;
  chunks.write(out, R"({"role":"assistant","content":""})");
  chunks.write_content(out, "a\nb");
  chunks.write_tool_arguments(out, 2, R"({"x":1})");
  chunks.write(out, "{}", "stop");
  chunks.write_usage(out, R"({"total_tokens":3})");
  EXPECT_EQ(
      out,
      head +
          R"({"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})"
          "\n\n" +
          head +
          R"({"index":0,"delta":{"content":"a\nb"},"finish_reason":null}]})"
          "\n\n" +
          head +
          R"({"index":0,"delta":{"tool_calls":[{"index":2,"function":{"arguments":"{\"x\":1}"}}]},"finish_reason":null}]})"
          "\n\n" +
          head +
          R"({"index":0,"delta":{},"finish_reason":"stop"}]})"
          "\n\n" +
          head +
          R"(],"usage":{"total_tokens":3}})"
          "\n\n");
}

}  // namespace
}  // namespace llmux::providers
