#include "providers/wire/aws_event_stream.hpp"

#include "support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::providers::wire {
namespace {

using test_support::read_wire_fixture;
using ::testing::HasSubstr;

// others.md §4.5: built to the layout and decoded by botocore's EventStreamBuffer.
std::string test_vector() {
  const unsigned char bytes[] = {
      0x00, 0x00, 0x00, 0x94, 0x00, 0x00, 0x00, 0x57, 0xb4, 0xab, 0x9a, 0xee, 0x0b, 0x3a, 0x65,
      0x76, 0x65, 0x6e, 0x74, 0x2d, 0x74, 0x79, 0x70, 0x65, 0x07, 0x00, 0x11, 0x63, 0x6f, 0x6e,
      0x74, 0x65, 0x6e, 0x74, 0x42, 0x6c, 0x6f, 0x63, 0x6b, 0x44, 0x65, 0x6c, 0x74, 0x61, 0x0d,
      0x3a, 0x63, 0x6f, 0x6e, 0x74, 0x65, 0x6e, 0x74, 0x2d, 0x74, 0x79, 0x70, 0x65, 0x07, 0x00,
      0x10, 0x61, 0x70, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x2f, 0x6a, 0x73,
      0x6f, 0x6e, 0x0d, 0x3a, 0x6d, 0x65, 0x73, 0x73, 0x61, 0x67, 0x65, 0x2d, 0x74, 0x79, 0x70,
      0x65, 0x07, 0x00, 0x05, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x7b, 0x22, 0x63, 0x6f, 0x6e, 0x74,
      0x65, 0x6e, 0x74, 0x42, 0x6c, 0x6f, 0x63, 0x6b, 0x49, 0x6e, 0x64, 0x65, 0x78, 0x22, 0x3a,
      0x30, 0x2c, 0x22, 0x64, 0x65, 0x6c, 0x74, 0x61, 0x22, 0x3a, 0x7b, 0x22, 0x74, 0x65, 0x78,
      0x74, 0x22, 0x3a, 0x22, 0x48, 0x69, 0x22, 0x7d, 0x7d, 0x1f, 0x94, 0x46, 0x57};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

const EventStreamMessage kVectorMessage{
    .message_type = "event",
    .event_type = "contentBlockDelta",
    .payload = R"({"contentBlockIndex":0,"delta":{"text":"Hi"}})"};

std::vector<EventStreamMessage> decode_all(const std::vector<std::string_view>& pieces) {
  EventStreamDecoder decoder;
  std::vector<EventStreamMessage> out;
  for (auto piece : pieces) {
    auto fed = decoder.feed(piece, out);
    if (!fed) throw std::runtime_error(fed.error().message);
  }
  EXPECT_FALSE(decoder.has_partial_message());
  return out;
}

TEST(AwsEventStream, TheTestVectorDecodes) {
  EXPECT_EQ(decode_all({test_vector()}), std::vector{kVectorMessage});
}

TEST(AwsEventStream, EncodingReproducesTheTestVectorByteForByte) {
  EXPECT_EQ(encode_event_stream_message({{":event-type", "contentBlockDelta"},
                                         {":content-type", "application/json"},
                                         {":message-type", "event"}},
                                        kVectorMessage.payload),
            test_vector());
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u) << "the IEEE check value";
}

TEST(AwsEventStream, FixturesDecodeTheSameAtEverySplit) {
  for (const char* name : {"bedrock/converse_stream_text.synthetic.eventstream",
                           "bedrock/converse_stream_tool_use.synthetic.eventstream",
                           "bedrock/converse_stream_throttling.synthetic.eventstream"}) {
    SCOPED_TRACE(name);
    const std::string bytes = read_wire_fixture(name);
    const auto whole = decode_all({bytes});
    ASSERT_FALSE(whole.empty());
    for (std::size_t at = 0; at <= bytes.size(); ++at) {
      ASSERT_EQ(
          decode_all({std::string_view(bytes).substr(0, at), std::string_view(bytes).substr(at)}),
          whole)
          << "split at " << at;
    }
    std::vector<std::string_view> single_bytes;
    for (std::size_t i = 0; i < bytes.size(); ++i)
      single_bytes.push_back(std::string_view(bytes).substr(i, 1));
    EXPECT_EQ(decode_all(single_bytes), whole);
  }
}

TEST(AwsEventStream, TheTextStreamsEventsInOrder) {
  const auto messages =
      decode_all({read_wire_fixture("bedrock/converse_stream_text.synthetic.eventstream")});
  std::vector<std::string> types;
  for (const auto& message : messages) {
    EXPECT_EQ(message.message_type, "event");
    types.push_back(message.event_type);
  }
  EXPECT_EQ(types,
            (std::vector<std::string>{"messageStart", "contentBlockDelta", "contentBlockDelta",
                                      "contentBlockStop", "messageStop", "metadata"}));
}

TEST(AwsEventStream, AnExceptionFrameCarriesItsType) {
  const auto messages =
      decode_all({read_wire_fixture("bedrock/converse_stream_throttling.synthetic.eventstream")});
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].message_type, "exception");
  EXPECT_EQ(messages[0].exception_type, "throttlingException");
  EXPECT_THAT(messages[0].payload, HasSubstr("\"message\""));
}

TEST(AwsEventStream, CorruptCrcsAreRefusedForGood) {
  for (std::size_t flip :
       {std::size_t{9}, std::size_t{100}, std::size_t{147}}) {  // prelude CRC, payload, message CRC
    SCOPED_TRACE(flip);
    std::string bytes = test_vector();
    bytes[flip] = static_cast<char>(bytes[flip] ^ 0x01);
    EventStreamDecoder decoder;
    std::vector<EventStreamMessage> out;
    const auto fed = decoder.feed(bytes, out);
    ASSERT_FALSE(fed);
    EXPECT_EQ(fed.error().kind, ErrorKind::upstream_failed);
    EXPECT_THAT(fed.error().message, HasSubstr("CRC"));
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(decoder.feed(test_vector(), out)) << "framing once lost stays lost";
  }
}

TEST(AwsEventStream, ImpossibleLengthsAndOversizedMessagesAreRefused) {
  // A prelude with a valid CRC claiming 8 bytes in all.
  std::string tiny = encode_event_stream_message({}, "");
  tiny[3] = 8;
  const std::uint32_t crc = crc32(std::string_view(tiny).substr(0, 8));
  for (int i = 0; i < 4; ++i) tiny[8 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xFF);
  std::vector<EventStreamMessage> out;
  EXPECT_FALSE(EventStreamDecoder().feed(tiny, out));

  EventStreamDecoder small(/*max_message_bytes=*/100);
  EXPECT_FALSE(small.feed(test_vector(), out)) << "148 bytes is over a 100-byte limit";
}

TEST(AwsEventStream, ACutMessageIsPartial) {
  EventStreamDecoder decoder;
  std::vector<EventStreamMessage> out;
  ASSERT_TRUE(decoder.feed(std::string_view(test_vector()).substr(0, 60), out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(decoder.has_partial_message());
}

}  // namespace
}  // namespace llmux::providers::wire
