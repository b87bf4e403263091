#include "providers/wire/sse.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace llmux::providers::wire {

// Found by argument-dependent lookup, so it must live in SseEvent's namespace.
void PrintTo(const SseEvent& e, std::ostream* os) {
  *os << "{event=\"" << e.event << "\" data=\"" << e.data << "\" id=\"" << e.id << "\"}";
}

namespace {

using namespace std::string_view_literals;

// Feeds each piece in turn, then finishes; fails the test if any feed reports an error.
std::vector<SseEvent> parse_pieces(const std::vector<std::string_view>& pieces) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (std::string_view piece : pieces) EXPECT_TRUE(parser.feed(piece, events));
  parser.finish(events);
  return events;
}

std::vector<SseEvent> parse(std::string_view text) { return parse_pieces({text}); }

SseEvent data_event(std::string data) { return SseEvent{"", std::move(data), ""}; }

TEST(SseParser, DataLineEndsWithBlankLine) {
  EXPECT_EQ(parse("data: {\"a\":1}\n\n"), std::vector{data_event("{\"a\":1}")});
}

TEST(SseParser, AcceptsEveryLineEnding) {
  const std::vector expected{data_event("x"), data_event("y"), data_event("z")};
  EXPECT_EQ(parse("data: x\r\n\r\ndata: y\r\rdata: z\n\n"), expected);
  EXPECT_EQ(parse("data: x\r\ndata: y\r\n\r\n"), std::vector{data_event("x\ny")});
}

TEST(SseParser, LineEndsFoundWhereverTheCarriageReturnsAre) {
  const std::vector expected{data_event("x"), data_event("y"), data_event("z"), data_event("w"),
                             data_event("v")};
  EXPECT_EQ(parse("data: x\n\ndata: y\n\ndata: z\r\rdata: w\n\ndata: v\r\n\r\n"), expected);
  EXPECT_EQ(parse("\r\n\rdata: x\n\n\n\rdata: y\r\n\ndata: z\n\rdata: w\r\rdata: v\n\r"), expected);
}

TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnd) {
  // Were the '\n' after a trailing '\r' read as a line of its own, it would dispatch "x" early.
  EXPECT_EQ(parse_pieces({"data: x\r", "\ndata: y\r", "\n\r", "\n"}),
            std::vector{data_event("x\ny")});
  // A '\r' at the end of a feed followed by something else is a complete line end on its own.
  EXPECT_EQ(parse_pieces({"data: x\r", "\rdata: y\r", "", "\r"}),
            (std::vector{data_event("x"), data_event("y")}));
}

TEST(SseParser, EmptyLineWithNothingBufferedIsIgnored) {
  EXPECT_EQ(parse("\n\n\r\n\ndata: x\n\n\n\n"), std::vector{data_event("x")});
  EXPECT_TRUE(parse("\n\n\n").empty());
}

TEST(SseParser, CommentsAreIgnored) {
  EXPECT_EQ(parse(": OPENROUTER PROCESSING\n\ndata: x\n: inside\n\n"),
            std::vector{data_event("x")});
  EXPECT_TRUE(parse(":\n\n").empty());
}

TEST(SseParser, StripsExactlyOneLeadingSpace) {
  EXPECT_EQ(parse("data:x\n\n"), std::vector{data_event("x")});
  EXPECT_EQ(parse("data:  x \n\n"), std::vector{data_event(" x ")});
  EXPECT_EQ(parse("data:\tx\n\n"), std::vector{data_event("\tx")});
  // Only the first colon separates; the rest belongs to the value.
  EXPECT_EQ(parse("data: a: b:c\n\n"), std::vector{data_event("a: b:c")});
}

TEST(SseParser, ReadsEventAndIdFields) {
  EXPECT_EQ(parse("event: message_start\nid: 7\ndata: {}\n\n"),
            std::vector{(SseEvent{"message_start", "{}", "7"})});
}

TEST(SseParser, IdCarriesOverToLaterEvents) {
  EXPECT_EQ(parse("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"),
            (std::vector{SseEvent{"", "a", "1"}, SseEvent{"", "b", "1"}, SseEvent{"", "c", ""}}));
}

TEST(SseParser, IdWithNulIsIgnored) {
  EXPECT_EQ(parse("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n"sv),
            (std::vector{SseEvent{"", "a", "1"}, SseEvent{"", "b", "1"}}));
}

TEST(SseParser, RetryAndUnknownFieldsAreIgnored) {
  EXPECT_EQ(parse("retry: 1000\nfoo: bar\ndata: x\n\n"), std::vector{data_event("x")});
  // A block of only ignored fields dispatches nothing.
  EXPECT_TRUE(parse("retry: 1000\n\nfoo: bar\n\n").empty());
}

TEST(SseParser, JoinsDataLinesWithNewline) {
  EXPECT_EQ(parse("data: a\ndata:\ndata: c\n\n"), std::vector{data_event("a\n\nc")});
}

TEST(SseParser, LineWithoutColonIsFieldWithEmptyValue) {
  EXPECT_EQ(parse("data\ndata\n\n"), std::vector{data_event("\n")});
  EXPECT_EQ(parse("event\ndata: x\n\n"), std::vector{data_event("x")});
  EXPECT_TRUE(parse("ping\n\n").empty());  // unknown field
}

TEST(SseParser, EventWithoutDataIsDelivered) {
  EXPECT_EQ(parse("event: ping\n\n"), std::vector{(SseEvent{"ping", "", ""})});
}

TEST(SseParser, FinishDeliversEventWithoutBlankLine) {
  EXPECT_EQ(parse("data: a\n\ndata: b"), (std::vector{data_event("a"), data_event("b")}));
  EXPECT_EQ(parse("data: a\ndata: b\n"), std::vector{data_event("a\nb")});
  EXPECT_EQ(parse("event: ping"), std::vector{(SseEvent{"ping", "", ""})});
}

TEST(SseParser, FieldsDoNotLeakIntoTheNextEvent) {
  EXPECT_EQ(parse("event: a\ndata: 1\n\ndata: 2\n\n"),
            (std::vector{SseEvent{"a", "1", ""}, data_event("2")}));
}

TEST(SseParser, FailsOnceAnUnfinishedLineExceedsTheLimit) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.feed("data: 0123456789", events));  // 16 bytes: at the limit
  EXPECT_FALSE(parser.feed("x", events));
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.feed("\n\n", events));  // stays failed
  parser.finish(events);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, FailsWhenACompleteLineExceedsTheLimit) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.feed("data: 0123456789x\n\n", events));
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, FailsWhenAnEventOfShortLinesExceedsTheLimit) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.feed("data: 012345\ndata: 0123\n\n", events));  // 11 bytes of event
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(parser.feed("data: 012345\ndata: 0123\n", events));
  EXPECT_TRUE(parser.feed("data: 0123\n", events));  // 16 bytes of data: at the limit
  EXPECT_FALSE(parser.feed("data:\n", events));      // the joining '\n' makes 17
  EXPECT_EQ(events.size(), 1u);
}

TEST(SseParser, AnUnfinishedLineCountsWithTheEventItBelongsTo) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.feed("data: 0123456789\n", events));  // 10 bytes of event
  EXPECT_FALSE(parser.feed("data: 0123456", events))
      << "10 + 13 bytes held: past the limit before the line ends";
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, LimitAppliesPerEvent) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(parser.feed("data: 0123456789\n\n", events));
  EXPECT_EQ(events.size(), 100u);
}

// The sink's view of each event, copied as it arrives, and whether its data pointed into `fed`.
struct ViewRecorder final : SseEventSink {
  void dispatch(const SseEventView& event) override {
    events.push_back(
        SseEvent{std::string(event.event), std::string(event.data), std::string(event.id)});
    in_fed.push_back(!event.data.empty() && event.data.data() >= fed.data() &&
                     event.data.data() + event.data.size() <= fed.data() + fed.size());
  }
  std::string_view fed;
  std::vector<SseEvent> events;
  std::vector<bool> in_fed;
};

TEST(SseParser, WholeEventsAreHandedOverWithoutCopyingTheirData) {
  SseParser parser;
  ViewRecorder sink;
  const std::string bytes = "data: {\"a\":1}\n\nevent: e\ndata: x\n\n";
  sink.fed = bytes;
  ASSERT_TRUE(parser.feed(bytes, sink));
  EXPECT_EQ(sink.events, (std::vector{data_event("{\"a\":1}"), SseEvent{"e", "x", ""}}));
  EXPECT_EQ(sink.in_fed, (std::vector{true, true}));
}

// An event whose blank line comes in a later read: its data must outlive the bytes of the read
// that carried it (the network buffer is reused).
TEST(SseParser, DataOutlivesTheReadThatCarriedIt) {
  SseParser parser;
  ViewRecorder sink;
  std::string buffer = "data: first\ndata: second";
  ASSERT_TRUE(parser.feed(buffer, sink));
  buffer.assign(buffer.size(), '#');
  ASSERT_TRUE(parser.feed("\n", sink));  // ends the line "data: second"
  buffer = "\n";
  ASSERT_TRUE(parser.feed(buffer, sink));
  std::string third = "data: third\n";
  ASSERT_TRUE(parser.feed(third, sink));
  third.assign(third.size(), '#');
  ASSERT_TRUE(parser.feed("\ndata: fourth", sink));
  parser.finish(sink);
  EXPECT_EQ(sink.events,
            (std::vector{data_event("first\nsecond"), data_event("third"), data_event("fourth")}));
}

TEST(SseParser, SecondDataLineJoinsADataLineLeftInPlace) {
  EXPECT_EQ(parse("data: a\ndata: b\n\ndata: c\n\n"),
            (std::vector{data_event("a\nb"), data_event("c")}));
  EXPECT_EQ(parse_pieces({"data: a\nda", "ta: b\n", "\n"}), std::vector{data_event("a\nb")});
}

TEST(AppendDataEvent, UsesOpenAiFraming) {
  std::string out = "x";
  append_data_event(out, "{\"a\":1}");
  append_data_event(out, "[DONE]");
  EXPECT_EQ(out, "xdata: {\"a\":1}\n\ndata: [DONE]\n\n");
}

TEST(AppendDataEvent, LineBreaksBecomeDataLinesAndParseBack) {
  std::string out;
  append_data_event(out, "a\nb\r\nc\rd\n");
  EXPECT_EQ(out, "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
  EXPECT_EQ(parse(out), std::vector{data_event("a\nb\nc\nd\n")});
  out.clear();
  append_data_event(out, "");
  EXPECT_EQ(out, "data: \n\n");
  EXPECT_EQ(parse(out), std::vector{data_event("")});
}

// --- Recorded upstream streams -------------------------------------------------------------------

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path wire_dir() { return std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire"; }

std::vector<std::filesystem::path> sse_fixtures() {
  std::vector<std::filesystem::path> files;
  for (const char* provider : {"openai", "anthropic", "gemini"}) {
    for (const auto& entry : std::filesystem::directory_iterator(wire_dir() / provider)) {
      if (entry.path().extension() == ".sse") files.push_back(entry.path());
    }
  }
  return files;
}

TEST(SseFixtures, AllFound) { EXPECT_GE(sse_fixtures().size(), 9u); }

TEST(SseFixtures, SameEventsHoweverTheBytesAreSplit) {
  for (const auto& path : sse_fixtures()) {
    SCOPED_TRACE(path.string());
    const std::string text = read_file(path);
    ASSERT_FALSE(text.empty());
    const std::vector<SseEvent> whole = parse(text);
    ASSERT_FALSE(whole.empty());
    for (const SseEvent& e : whole) {
      // Every recorded event carries one JSON document (or OpenAI's terminator).
      if (e.data == "[DONE]") continue;
      boost::system::error_code ec;
      boost::json::parse(e.data, ec);
      EXPECT_FALSE(ec) << e.data;
    }
    const std::string_view view = text;
    for (std::size_t at = 0; at <= text.size(); ++at) {
      ASSERT_EQ(parse_pieces({view.substr(0, at), view.substr(at)}), whole) << "split at " << at;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < text.size(); ++i) bytes.push_back(view.substr(i, 1));
    ASSERT_EQ(parse_pieces(bytes), whole) << "one byte at a time";
  }
}

TEST(SseFixtures, OpenAiTextStreamIs33ChunksThenDone) {
  const auto events = parse(read_file(wire_dir() / "openai/chat_completion_stream.sse"));
  ASSERT_EQ(events.size(), 34u);
  for (std::size_t i = 0; i < 33; ++i) {
    EXPECT_EQ(events[i].event, "");
    EXPECT_EQ(boost::json::parse(events[i].data).at("object"), "chat.completion.chunk");
  }
  EXPECT_EQ(events.back().data, "[DONE]");
}

TEST(SseFixtures, AnthropicEventNamesMatchPayloadTypes) {
  const auto events = parse(read_file(wire_dir() / "anthropic/message_stream.sse"));
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.front().event, "message_start");
  EXPECT_EQ(events.back().event, "message_stop");
  for (const SseEvent& e : events)
    EXPECT_EQ(boost::json::parse(e.data).at("type"), e.event.c_str());
}

TEST(SseFixtures, GeminiCrLfStreamsParse) {
  const auto two = parse(read_file(wire_dir() / "gemini/stream_generate_content.sse"));
  ASSERT_EQ(two.size(), 2u);
  for (const SseEvent& e : two) {
    EXPECT_EQ(e.data.find('\r'), std::string::npos);
    EXPECT_TRUE(boost::json::parse(e.data).as_object().contains("candidates"));
  }
  EXPECT_EQ(parse(read_file(wire_dir() / "gemini/stream_generate_content_single_event.sse")).size(),
            1u);
  EXPECT_EQ(
      parse(read_file(wire_dir() / "gemini/stream_generate_content_function_call.sse")).size(), 1u);
}

}  // namespace
}  // namespace llmux::providers::wire
