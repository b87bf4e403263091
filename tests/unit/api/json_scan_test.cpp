#include "api/json_scan.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

namespace llmux::api {
namespace {

namespace json = boost::json;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::filesystem::path openai_fixtures() {
  return std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire" / "openai";
}

bool scans(std::string_view text) {
  AnswerLayout layout;
  return scan_answer(text, layout);
}

// Checks every span of `layout` against a full parse of `text`: each present member's span
// parses to the member's value, and each absent member is absent.
void expect_layout_matches_parse(std::string_view text, const AnswerLayout& layout) {
  const json::object object = json::parse(text).as_object();
  const std::pair<std::string_view, Span> members[] = {{"model", layout.model},
                                                       {"usage", layout.usage},
                                                       {"choices", layout.choices},
                                                       {"error", layout.error}};
  for (const auto& [key, span] : members) {
    SCOPED_TRACE(std::string(key));
    if (const auto* value = object.if_contains(key)) {
      ASSERT_FALSE(span.empty());
      EXPECT_EQ(json::parse(span.in(text)), *value);
    } else {
      EXPECT_TRUE(span.empty());
    }
  }
}

TEST(ScanAnswer, RecordedChatCompletion) {
  const std::string text = read_file(openai_fixtures() / "chat_completion.json");
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("gpt-5.4")");
  EXPECT_TRUE(layout.error.empty());
  expect_layout_matches_parse(text, layout);
}

TEST(ScanAnswer, EveryRecordedJsonAndStreamEvent) {
  std::size_t documents = 0;
  for (const auto& file : std::filesystem::directory_iterator(openai_fixtures())) {
    // The chat answers and chunks: the Responses API's objects are read another way.
    if (file.path().filename().string().starts_with("responses")) continue;
    const std::string text = read_file(file.path());
    std::vector<std::string> pieces;
    if (file.path().extension() == ".json") {
      pieces.push_back(text);
    } else {
      // One event per "data: " line; the recordings hold one-line events only.
      std::istringstream lines(text);
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("data: {")) pieces.push_back(line.substr(6));
      }
    }
    for (const std::string& piece : pieces) {
      SCOPED_TRACE(file.path().filename().string() + ": " + piece.substr(0, 80));
      AnswerLayout layout;
      ASSERT_TRUE(scan_answer(piece, layout));
      expect_layout_matches_parse(piece, layout);
      ++documents;
    }
  }
  EXPECT_GE(documents, 66u);  // 3 answers and 63 stream chunks
}

TEST(ScanAnswer, OnlyTopLevelMembersCount) {
  constexpr std::string_view text =
      R"({"choices":[{"model":"inner","usage":{"x":1},"error":"no"}],"data":{"model":"deep"},"model":"outer"})";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("outer")");
  EXPECT_TRUE(layout.usage.empty());
  EXPECT_TRUE(layout.error.empty());
  expect_layout_matches_parse(text, layout);
}

TEST(ScanAnswer, WhitespaceAroundAndInside) {
  constexpr std::string_view text =
      " \r\n\t{ \"model\" :\n\"m\" , \"usage\":null ,\"choices\" : [ ] }\n\n";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  EXPECT_EQ(layout.model.in(text), R"("m")");
  EXPECT_EQ(layout.usage.in(text), "null");
  EXPECT_EQ(layout.choices.in(text), "[ ]");
  EXPECT_TRUE(is_empty_array(text, layout.choices));
}

TEST(ScanAnswer, KeysAreMatchedAsWritten) {
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(R"({"mod\u0065l":"x","Model":"y"})", layout));
  EXPECT_TRUE(layout.model.empty());
}

TEST(ScanAnswer, NotAnObject) {
  for (std::string_view text : {"[]", "[1,2]", R"("model")", "42", "null", "true", "", "   "}) {
    EXPECT_FALSE(scans(text)) << text;
  }
}

TEST(ScanAnswer, MalformedStructureIsRefused) {
  const std::vector<std::string_view> malformed = {
      "{",
      R"({"a":1)",
      R"({"a":})",
      R"({"a" 1})",
      R"({"a":1,})",
      "{,}",
      R"({a:1})",
      R"({'a':1})",
      R"({"a":1}})",
      R"({"a":1} {"b":2})",
      R"({"a":[1,]})",
      R"({"a":[1 2]})",
      R"({"a":tru})",
      R"({"a":nul})",
      R"({"a":falsey})",
      R"({"a":"unterminated})",
      "{\"a\":\"raw\ttab\"}",
      "{\"a\":\"raw\nnewline\"}",
      R"({"a":-})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":1e})",
      R"({"a":+1})",
      R"({"a":NaN})",
      R"({"a":{"b":}})",
      R"({"a":"x"} trailing)",
  };
  for (std::string_view text : malformed) {
    SCOPED_TRACE(text);
    json::error_code ec;
    (void)json::parse(text, ec);
    EXPECT_TRUE(ec) << "the test's own premise: boost::json refuses it";
    EXPECT_FALSE(scans(text));
  }
}

TEST(ScanAnswer, MalformedTokensAreRefused) {
  for (std::string_view text : {R"({"a":"\q"})", R"({"a":"\u12"})", R"({"a":"\u12zz"})",
                                R"({"a":"\x41"})", R"({"a":01})", R"({"a":-01.5})"}) {
    SCOPED_TRACE(text);
    json::error_code ec;
    (void)json::parse(text, ec);
    EXPECT_TRUE(ec) << "the test's own premise: boost::json refuses it";
    EXPECT_FALSE(scans(text));
  }
}

TEST(ScanAnswer, ValidTokens) {
  for (std::string_view text :
       {R"({"a":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"})", R"({"a":-0})", R"({"a":0.5e-10})",
        R"({"a":1E+3})", R"({"a":[true,false,null,{},[],""]})", "{}", "{ }"}) {
    EXPECT_TRUE(scans(text)) << text;
  }
}

TEST(ScanAnswer, EveryStrictPrefixOfAnAnswerIsRefused) {
  const std::string text = read_file(openai_fixtures() / "chat_completion.json");
  const std::size_t closing = text.rfind('}');
  for (std::size_t size = 0; size <= closing; ++size) {
    ASSERT_FALSE(scans(std::string_view(text).substr(0, size))) << "prefix of " << size << " bytes";
  }
  EXPECT_TRUE(scans(std::string_view(text).substr(0, closing + 1)));
}

TEST(ScanAnswer, NestingIsBoundedWithoutCrashing) {
  auto nested = [](int depth) {
    return R"({"a":)" + std::string(depth, '[') + std::string(depth, ']') + "}";
  };
  EXPECT_TRUE(scans(nested(100)));
  EXPECT_FALSE(scans(nested(100000)));  // refused, not a stack overflow
}

TEST(ForEachMember, VisitsEveryMemberInOrder) {
  constexpr std::string_view text = R"({"a":1, "b" : {"c":[2]} ,"d":"e"})";
  std::vector<std::pair<std::string, std::string>> seen;
  ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
    seen.emplace_back(key, value.in(text));
  }));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"a", "1"}, {"b", R"({"c":[2]})"}, {"d", R"("e")"}}));
  EXPECT_FALSE(for_each_member(text, Span{1, text.size()}, [](std::string_view, Span) {}));
}

TEST(ForEachElement, VisitsEveryElementAsWritten) {
  const std::string_view text = R"({"v": [ 0.046870765519996804 , {"a":[1]},"s" ,[] ], "e":[ ]})";
  std::vector<std::string_view> elements;
  bool found = false;
  ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
    if (key != "v") return;
    found =
        for_each_element(text, value, [&](Span element) { elements.push_back(element.in(text)); });
  }));
  EXPECT_TRUE(found);
  EXPECT_EQ(elements, (std::vector<std::string_view>{"0.046870765519996804", R"({"a":[1]})",
                                                     R"("s")", "[]"}));
  int visits = 0;
  EXPECT_TRUE(for_each_element("[ ]", Span{0, 3}, [&](Span) { ++visits; }));
  EXPECT_EQ(visits, 0);
  for (const std::string_view bad : {"[1,]", "[1 2]", "[1", "{}", "[,1]"}) {
    EXPECT_FALSE(for_each_element(bad, Span{0, bad.size()}, [](Span) {})) << bad;
  }
}

TEST(ScanAnswer, FindsANonNullFinishReasonInAnyChoice) {
  auto has_reason = [](std::string_view choices) {
    const std::string text = R"({"choices":)" + std::string(choices) + "}";
    AnswerLayout layout;
    EXPECT_TRUE(scan_answer(text, layout)) << text;
    return layout.finish_reason;
  };
  EXPECT_FALSE(has_reason("[]"));
  EXPECT_FALSE(has_reason(R"([{"index":0,"finish_reason":null}])"));
  EXPECT_FALSE(
      has_reason(R"([{"index":0,"delta":{"finish_reason":"stop"}}])"));  // not the choice's own
  EXPECT_TRUE(has_reason(R"([{"index":0,"finish_reason":"stop"}])"));
  EXPECT_TRUE(
      has_reason(R"([{"index":0,"finish_reason":null},{"index":1,"finish_reason":"length"}])"));
  EXPECT_TRUE(has_reason(R"([ 1, "x", {"finish_reason" : "tool_calls"} ])"));
  EXPECT_FALSE(has_reason("null"));
  EXPECT_FALSE(has_reason(R"({"finish_reason":"stop"})"));
  // Only under "choices": the same shape under another key does not count.
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(R"({"other":[{"finish_reason":"stop"}]})", layout));
  EXPECT_FALSE(layout.finish_reason);
}

TEST(IsEmptyArray, OnlyAnEmptyArray) {
  auto empty = [](std::string_view value) { return is_empty_array(value, Span{0, value.size()}); };
  EXPECT_TRUE(empty("[]"));
  EXPECT_TRUE(empty("[ \n\t ]"));
  EXPECT_FALSE(empty("[1]"));
  EXPECT_FALSE(empty("[{}]"));
  EXPECT_FALSE(empty("{}"));
  EXPECT_FALSE(empty("null"));
  EXPECT_FALSE(empty(""));
}

TEST(AppendSpliced, ReplacesExactlyTheSpan) {
  constexpr std::string_view text = R"({"model":"gpt-4o","n":1.50})";
  AnswerLayout layout;
  ASSERT_TRUE(scan_answer(text, layout));
  std::string out = "prefix:";
  append_spliced(out, text, layout.model, R"("mine")");
  EXPECT_EQ(out, R"(prefix:{"model":"mine","n":1.50})");  // every other byte as it was
}

// The "data: {…}" events of a recorded stream, in order.
std::vector<std::string> stream_chunks(const std::filesystem::path& path) {
  std::vector<std::string> chunks;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("data: {")) chunks.push_back(line.substr(6));
  }
  return chunks;
}

std::vector<std::filesystem::path> recorded_streams() {
  const auto wire = std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire";
  return {wire / "openai" / "chat_completion_stream.sse",
          wire / "openai" / "chat_completion_stream_tool_calls.sse",
          wire / "openai" / "chat_completion_stream_logprobs.sse",
          wire / "azure" / "chat_completion_stream.synthetic.sse",
          wire / "azure" / "chat_completion_stream_content_filter.synthetic.sse"};
}

bool same_layout(const AnswerLayout& a, const AnswerLayout& b) {
  auto same = [](Span x, Span y) { return x.begin == y.begin && x.end == y.end; };
  return same(a.model, b.model) && same(a.usage, b.usage) && same(a.choices, b.choices) &&
         same(a.error, b.error) && a.finish_reason == b.finish_reason;
}

// Scans `text` with `chunks` and with scan_answer: both must agree on validity and layout.
void expect_as_scan_answer(ChunkScanner& chunks, std::string_view text) {
  AnswerLayout expected;
  AnswerLayout layout;
  const bool whole = scan_answer(text, expected);
  ASSERT_EQ(chunks.scan(text, layout), whole) << text;
  if (whole) {
    EXPECT_TRUE(same_layout(layout, expected)) << text;
  }
}

TEST(ChunkScanner, RecordedStreamsAsScanAnswerButResumed) {
  for (const auto& path : recorded_streams()) {
    SCOPED_TRACE(path.filename().string());
    const std::vector<std::string> chunks = stream_chunks(path);
    ASSERT_GE(chunks.size(), 3u);
    ChunkScanner scanner;
    std::size_t resumed = 0;
    for (const std::string& chunk : chunks) {
      expect_as_scan_answer(scanner, chunk);
      if (scanner.last_resumed_at() > 0) ++resumed;
    }
    // Only a chunk whose shape changed (the first, Azure's filter results) is scanned whole.
    EXPECT_GE(resumed + 2, chunks.size());
  }
}

TEST(ChunkScanner, ResumesAtTheLastKeyOfTheSharedPrefix) {
  constexpr std::string_view first =
      R"({"id":"c1","model":"gpt","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]})";
  constexpr std::string_view second =
      R"({"id":"c1","model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})";
  ChunkScanner scanner;
  AnswerLayout layout;
  ASSERT_TRUE(scanner.scan(first, layout));
  EXPECT_EQ(scanner.last_resumed_at(), 0u);
  EXPECT_FALSE(layout.finish_reason);
  ASSERT_TRUE(scanner.scan(second, layout));
  EXPECT_EQ(scanner.last_resumed_at(), second.find(R"("choices")"));
  EXPECT_EQ(layout.model.in(second), R"("gpt")");  // taken over from the first chunk's scan
  EXPECT_TRUE(layout.finish_reason);
  // A different id: nothing to take over, the chunk is scanned whole and remembered instead.
  constexpr std::string_view other = R"({"id":"c2","model":"gpt","choices":[]})";
  ASSERT_TRUE(scanner.scan(other, layout));
  EXPECT_EQ(scanner.last_resumed_at(), 0u);
  EXPECT_EQ(layout.model.in(other), R"("gpt")");
  EXPECT_TRUE(is_empty_array(other, layout.choices));
  ASSERT_TRUE(scanner.scan(other, layout));
  EXPECT_EQ(scanner.last_resumed_at(), other.size());  // the same chunk again: nothing to scan
  EXPECT_EQ(layout.model.in(other), R"("gpt")");
}

TEST(ChunkScanner, ScansOnlyTheOneStringThatChanged) {
  constexpr std::string_view first =
      R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":"a"},"finish_reason":null}],"usage":null})";
  constexpr std::string_view longer =
      R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":"b\"c\u00e9"},"finish_reason":null}],"usage":null})";
  constexpr std::string_view shorter =
      R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":""},"finish_reason":null}],"usage":null})";
  constexpr std::string_view renamed =
      R"({"id":"c1","model":"gpt-4o","choices":[{"delta":{"content":"a"},"finish_reason":null}],"usage":null})";
  ChunkScanner scanner;
  AnswerLayout layout;
  ASSERT_TRUE(scanner.scan(first, layout));
  for (std::string_view chunk : {longer, shorter, renamed}) {
    SCOPED_TRACE(chunk);
    AnswerLayout expected;
    ASSERT_TRUE(scan_answer(chunk, expected));
    ASSERT_TRUE(scanner.scan(chunk, layout));
    EXPECT_EQ(scanner.last_resumed_at(),
              chunk == renamed ? chunk.find(R"("gpt)") : chunk.find(R"("content")") + 10);
    EXPECT_TRUE(same_layout(layout, expected));
    EXPECT_EQ(layout.usage.in(chunk), "null");
    EXPECT_EQ(layout.choices.in(chunk).front(), '[');
    EXPECT_EQ(layout.choices.in(chunk).back(), ']');
  }
  // A change that makes the string end early, or run on, or leaves it invalid: no shortcut, the
  // answer is scan_answer's.
  for (
      std::string_view chunk :
      {R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":"a","x":"b"},"finish_reason":null}],"usage":null})",
       R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":"a\"},"finish_reason":null}],"usage":null})",
       R"({"id":"c1","model":"gpt","choices":[{"delta":{"content":"\x"},"finish_reason":null}],"usage":null})",
       "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"delta\":{\"content\":\"\xe9\"},\"finish_"
       "reason\":null}],\"usage\":null}",
       "{\"id\":\"c1\",\"model\":\"gpt\",\"choices\":[{\"delta\":{\"content\":\"\n\"},\"finish_"
       "reason\":null}],\"usage\":null}"}) {
    SCOPED_TRACE(chunk);
    expect_as_scan_answer(scanner, chunk);
    ASSERT_TRUE(scanner.scan(first, layout));
  }
}

TEST(ChunkScanner, EdgeCasesAgreeWithScanAnswer) {
  const std::vector<std::vector<std::string_view>> sequences = {
      // model missing, then present, then missing again
      {R"({"id":"x","choices":[]})", R"({"id":"x","model":"m","choices":[]})",
       R"({"id":"x","choices":[{"finish_reason":"stop"}]})"},
      // escaped strings in the shared part and where the chunks differ
      {R"({"id":"a\"b\\","model":"m\u00e9","choices":[{"delta":{"content":"\n"}}]})",
       R"({"id":"a\"b\\","model":"m\u00e9","choices":[{"delta":{"content":"\"\\"}}]})",
       R"({"id":"a\"b\\","model":"m\u00e9","choices":[{"delta":{"content":"\q"}}]})",
       R"({"id":"a\"b\\","model":"m\u00e9","choices":[{"delta":{"content":"\u00"}}]})"},
      // usage null, then an object, then usage before choices
      {R"({"id":"u","usage":null,"choices":[{"finish_reason":null}]})",
       R"({"id":"u","usage":null,"choices":[]})",
       R"({"id":"u","usage":{"prompt_tokens":1},"choices":[]})",
       R"({"id":"u","choices":[],"usage":{"total_tokens":2}})"},
      // the same key twice: the last one counts, as in scan_answer
      {R"({"model":"a","id":"d","model":"b"})",
       R"({"model":"a","id":"d","model":"c","error":null})",
       R"({"model":"a","id":"d","error":{"message":"x"}})"},
      // the shared prefix ends at a key, then the chunk ends, is cut, or goes on with garbage
      {R"({"id":"t","choices":[]})", R"({"id":"t",)", R"({"id":"t","choices")",
       R"({"id":"t","choices":[]}x)", R"({"id":"t","choices":[]} )", R"({"id":"t","choices":[]}{})",
       R"({"id":"t","choices":[],})", R"({"id":"t"})"},
      // an empty object after chunks with members, whitespace before a key the remembered chunk did
      // not have
      {R"({"id":"e","choices":[]})", "{}", R"({"id":"e","choices":[]})", "{ }",
       R"({"id":"e","choices":[]})", R"({"id":"e", "choices":[]})", R"({"id":"e",})",
       R"({"id":"e", })", R"({"id":"e","choices":[]})", R"({"id":"e"} )"},
      // whitespace between members is part of the shared bytes
      {R"({ "id" : "w" , "model" : "m" , "choices" : [ ] })",
       R"({ "id" : "w" , "model" : "m" , "choices" : [ 1 ] })",
       R"({ "id" : "w" ,"model" : "m" , "choices" : [ ] })"},
      // invalid bytes in the part before the resumed key, then valid chunks again
      {R"({"id":"v","choices":[]})", "{\"id\":\"v\x01\",\"choices\":[]}",
       R"({"id":"v","choices":[]})", "{\"id\":\"v\",\"choices\":[\"\xff\"]}",
       R"({"id":"v","choices":[]})"},
      // not objects at all
      {R"({"id":"n","choices":[]})", "[]", "", "null", R"({"id":"n","choices":[]})"},
  };
  for (const auto& sequence : sequences) {
    ChunkScanner scanner;
    for (std::string_view chunk : sequence) expect_as_scan_answer(scanner, chunk);
  }
}

// More members and strings than the scanner records: changes past the records are scanned the
// long way, with the same answers.
TEST(ChunkScanner, ChunksWithMoreMembersThanItRecords) {
  const std::size_t members = ChunkScanner::kMaxResumes + ChunkScanner::kMaxStrings + 8;
  auto chunk = [&](std::size_t changed, std::string_view value) {
    std::string text = "{";
    for (std::size_t i = 0; i < members; ++i) {
      if (i > 0) text += ',';
      text += "\"k" + std::to_string(i) + "\":\"" + std::string(i == changed ? value : "v") + "\"";
    }
    return text + R"(,"model":"m","choices":[]})";
  };
  ChunkScanner scanner;
  for (const std::size_t changed :
       {members, members - 1, std::size_t{1}, ChunkScanner::kMaxStrings, members - 2}) {
    for (std::string_view value : {"v", "longer value", "", "\\\"", "\x01"}) {
      SCOPED_TRACE(std::to_string(changed) + ": " + std::string(value));
      expect_as_scan_answer(scanner, chunk(changed, value));
    }
  }
}

// Random edits of recorded chunks (a byte changed, inserted or removed; chunks of several streams
// interleaved): the resumed scan says what a whole scan says, every time.
TEST(ChunkScanner, RandomEditsAgreeWithScanAnswer) {
  std::vector<std::string> chunks;
  for (const auto& path : recorded_streams()) {
    for (auto& chunk : stream_chunks(path)) chunks.push_back(std::move(chunk));
  }
  std::mt19937 random(7);
  constexpr std::string_view kBytes = "{}[]\",:\\ 0a-e.ntu\x01\xc3\xa9";
  ChunkScanner scanner;
  std::size_t valid = 0;
  std::size_t string_shortcuts = 0;  // chunks that took the one-string shortcut
  for (int round = 0; round < 50000; ++round) {
    // Mostly the next chunk of one stream, sometimes a jump: the remembered prefix changes.
    const std::size_t index = random() % 8 == 0 ? random() % chunks.size()
                                                : static_cast<std::size_t>(round) % chunks.size();
    std::string chunk = chunks[index];
    if (random() % 2 == 0) {
      const std::size_t at = random() % chunk.size();
      const char byte = kBytes[random() % kBytes.size()];
      switch (random() % 3) {
        case 0: chunk[at] = byte; break;
        case 1: chunk.insert(chunk.begin() + static_cast<std::ptrdiff_t>(at), byte); break;
        default: chunk.erase(at, 1); break;
      }
    }
    SCOPED_TRACE("round " + std::to_string(round));
    expect_as_scan_answer(scanner, chunk);
    if (HasFatalFailure()) return;
    AnswerLayout layout;
    if (scan_answer(chunk, layout)) ++valid;
    const std::size_t resumed_at = scanner.last_resumed_at();
    if (resumed_at > 0 && resumed_at < chunk.size() && chunk[resumed_at - 1] == ':')
      ++string_shortcuts;
  }
  EXPECT_GT(valid, 25000u);  // both kinds were tried
  EXPECT_GT(string_shortcuts, 5000u);
}

// The same random edits, each scanned whole: scan_answer accepts exactly what boost::json parses
// as an object.
TEST(ScanAnswer, RandomEditsAgreeWithBoostJson) {
  std::vector<std::string> documents;
  for (const auto& path : recorded_streams()) {
    for (auto& chunk : stream_chunks(path)) documents.push_back(std::move(chunk));
  }
  documents.push_back(read_file(openai_fixtures() / "chat_completion.json"));
  documents.push_back(read_file(openai_fixtures() / "chat_completion_tool_calls.json"));
  std::mt19937 random(5);
  constexpr std::string_view kBytes = "{}[]\",:\\ 0a-e.ntuE+/\x01\x7f\xc3\xa9\xed\xa0\xf4\x90";
  std::size_t accepted = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string text = documents[random() % documents.size()];
    for (auto edits = 1 + random() % 2; edits > 0; --edits) {
      const std::size_t at = random() % text.size();
      const char byte = kBytes[random() % kBytes.size()];
      switch (random() % 3) {
        case 0: text[at] = byte; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), byte); break;
        default: text.erase(at, 1); break;
      }
    }
    json::error_code ec;
    const json::value parsed = json::parse(text, ec);
    const bool boost_accepts = !ec && parsed.is_object();
    ASSERT_EQ(scans(text), boost_accepts) << text;
    if (!boost_accepts) continue;
    ++accepted;
    // A well-formed object is split by for_each_member_of_valid as for_each_member splits it.
    std::vector<std::pair<std::string_view, std::string_view>> checked, split;
    ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
      checked.emplace_back(key, value.in(text));
    }));
    for_each_member_of_valid(
        text, [&](std::string_view key, Span value) { split.emplace_back(key, value.in(text)); });
    ASSERT_EQ(split, checked) << text;
  }
  EXPECT_GT(accepted, 3000u);
}

TEST(ForEachMemberOfValid, SplitsWhatForEachMemberSplits) {
  for (std::string_view text :
       {R"({})", R"( { } )", R"({"a":1})",
        " {\n \"a\" :\t-1.5e+3 , \"b\":[ {\"c\":\"]}\\\"\"} ],\"d\":{}}\n",
        R"({"k\"ey":"v\\","n":null,"t":true,"f":false,"s":"\u00e9{[","arr":[[],[1,[2]],"]"]})",
        "{\"m\":\"\xc3\xa9\",\"z\":0}"}) {
    SCOPED_TRACE(text);
    std::vector<std::pair<std::string_view, std::string_view>> checked, split;
    ASSERT_TRUE(for_each_member(text, Span{0, text.size()}, [&](std::string_view key, Span value) {
      checked.emplace_back(key, value.in(text));
    }));
    for_each_member_of_valid(
        text, [&](std::string_view key, Span value) { split.emplace_back(key, value.in(text)); });
    EXPECT_EQ(split, checked);
  }
  // Text that is not well-formed: no promise about the spans, but nothing outside the text.
  for (std::string_view text : {"", "{", R"({"a)", R"({"a":)", R"({"a":"x)", R"({"a":[{"b":)",
                                R"({"a":1,)", "[1]", R"({"a\)"}) {
    for_each_member_of_valid(text, [&](std::string_view key, Span value) {
      EXPECT_LE(key.data() + key.size(), text.data() + text.size()) << text;
      EXPECT_LE(value.end, text.size()) << text;
      EXPECT_LE(value.begin, value.end) << text;
    });
  }
}

TEST(ForEachElementOfValid, SplitsWhatForEachElementSplits) {
  for (std::string_view text :
       {"[]", " [ ] ", "[1]", R"([ 0.5 , {"a":[1,"]"]},"s\"]" ,[], null,true ])",
        "[\n {\"index\":0,\"delta\":{\"content\":\"},{\"}} ,\t[[]] ]"}) {
    SCOPED_TRACE(text);
    std::vector<std::string_view> checked, split;
    ASSERT_TRUE(for_each_element(text, Span{0, text.size()},
                                 [&](Span element) { checked.push_back(element.in(text)); }));
    for_each_element_of_valid(text, Span{0, text.size()},
                              [&](Span element) { split.push_back(element.in(text)); });
    EXPECT_EQ(split, checked);
  }
  // An array inside a larger text: its span bounds it.
  constexpr std::string_view member = R"({"choices":[{"i":0},{"i":1}],"usage":[9]})";
  std::vector<std::string_view> choices;
  for_each_element_of_valid(member, Span{11, 28},
                            [&](Span element) { choices.push_back(element.in(member)); });
  EXPECT_EQ(choices, (std::vector<std::string_view>{R"({"i":0})", R"({"i":1})"}));
  // Text that is not well-formed: no promise about the spans, but none empty or outside it.
  for (std::string_view text : {"", "[", "[,1]", "[1,", R"(["a)", "[{", "[1 2]", "{}", "[}"}) {
    for_each_element_of_valid(text, Span{0, text.size() + 5}, [&](Span element) {
      EXPECT_LT(element.begin, element.end) << text;
      EXPECT_LE(element.end, text.size()) << text;
    });
  }
}

// Random text in one string of chunks that are otherwise the same (quotes, escapes, control
// bytes, broken UTF-8 included): the string shortcut says what a whole scan says.
TEST(ChunkScanner, RandomStringChangesAgreeWithScanAnswer) {
  std::mt19937 random(11);
  constexpr std::string_view kPieces[] = {"a",     " ",    "\"", "\\", "\\n",      "\\u00e9",
                                          "\\u12", "\\x",  "\n", "\t", "\xc3\xa9", "\xc3",
                                          "\xa9",  "\xff", "}",  "]",  ",",        ":"};
  ChunkScanner scanner;
  std::size_t valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string chunk = R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"content":")";
    for (auto pieces = random() % 6; pieces > 0; --pieces)
      chunk += kPieces[random() % std::size(kPieces)];
    chunk += R"("},"finish_reason":null}],"usage":null})";
    SCOPED_TRACE("round " + std::to_string(round));
    expect_as_scan_answer(scanner, chunk);
    if (HasFatalFailure()) return;
    AnswerLayout layout;
    if (scan_answer(chunk, layout)) ++valid;
  }
  EXPECT_GT(valid, 2000u);
  EXPECT_LT(valid, 18000u);
}

TEST(AnswerId, TheTopLevelIdOfARecordedAnswer) {
  EXPECT_EQ(answer_id(read_file(openai_fixtures() / "chat_completion.json")),
            "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
  EXPECT_EQ(answer_id(R"( { "object" : "chat.completion", "usage": {"id": 1}, "id" : "c-2" } )"),
            "c-2");
}

TEST(AnswerId, TheIdOfAMessageOrResponseMember) {
  EXPECT_EQ(answer_id(R"({"type":"message_start","message":{"id":"msg_1","type":"message"}})"),
            "msg_1");
  EXPECT_EQ(
      answer_id(R"({"type":"response.created","sequence_number":0,"response":{"id":"resp_7"}})"),
      "resp_7");
  // A message's own message is not looked into.
  EXPECT_EQ(answer_id(R"({"message":{"message":{"id":"deep"}}})"), "");
}

TEST(AnswerId, NoneBeforeTheFirstArrayNorOfAnotherType) {
  EXPECT_EQ(answer_id(R"({"object":"list","data":[{"id":"in-data"}],"id":"late"})"), "");
  EXPECT_EQ(answer_id(R"({"id":42})"), "");
  EXPECT_EQ(answer_id(R"({"id":"with\"escape"})"), "");
  EXPECT_EQ(answer_id(R"({"id":")" + std::string(kMaxAnswerIdBytes + 1, 'x') + R"("})"), "");
  EXPECT_EQ(answer_id(R"({"id":")" + std::string(kMaxAnswerIdBytes, 'x') + R"("})"),
            std::string(kMaxAnswerIdBytes, 'x'));
  EXPECT_EQ(answer_id(""), "");
  EXPECT_EQ(answer_id("[]"), "");
  EXPECT_EQ(answer_id(R"({"id")"), "");  // cut short
  EXPECT_EQ(answer_id(R"({"id":"abc)"), "");
}

TEST(AnswerId, OfAStreamsFirstEvent) {
  const auto wire = std::filesystem::path(LLMUX_FIXTURES_DIR) / "wire";
  EXPECT_EQ(stream_answer_id(read_file(wire / "openai" / "chat_completion_stream.sse")),
            "chatcmpl-ABfw031mOJeYCSHe4yI2ZjOA6kMJL");
  EXPECT_EQ(stream_answer_id(read_file(wire / "anthropic" / "message_stream.sse")),
            "msg_013nnniYDrJDocdy5nrMU7cH");
  EXPECT_EQ(stream_answer_id(read_file(wire / "openai" / "responses_stream.synthetic.sse")),
            "resp_A");
  EXPECT_EQ(stream_answer_id("data:{\"id\":\"tight\"}"), "tight");
  EXPECT_EQ(stream_answer_id(": comment\n\ndata: [DONE]\n\n"), "");
  EXPECT_EQ(stream_answer_id("event: ping\n"), "");
}

}  // namespace
}  // namespace llmux::api
