#include "redis/resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace llmux::redis {
namespace {

using namespace std::string_literals;
using Type = Reply::Type;

Reply simple(std::string text) { return Reply{.type = Type::simple, .text = std::move(text)}; }
Reply error(std::string text) { return Reply{.type = Type::error, .text = std::move(text)}; }
Reply bulk(std::string text) { return Reply{.type = Type::bulk, .text = std::move(text)}; }
Reply integer(std::int64_t value) { return Reply{.type = Type::integer, .integer = value}; }
Reply array(std::vector<Reply> elements) {
  return Reply{.type = Type::array, .elements = std::move(elements)};
}
Reply null() { return Reply{}; }

// Feeds `pieces` in turn; fails the test on a parse error.
std::vector<Reply> parse(const std::vector<std::string_view>& pieces, ParserLimits limits = {}) {
  ReplyParser parser(limits);
  std::vector<Reply> replies;
  for (const auto piece : pieces) {
    auto fed = parser.feed(piece, replies);
    EXPECT_TRUE(fed) << (fed ? "" : fed.error().message);
  }
  return replies;
}

std::vector<Reply> parse(std::string_view bytes) {
  return parse(std::vector<std::string_view>{bytes});
}

// The message of the error `bytes` end in, fed whole.
std::string parse_error(std::string_view bytes, ParserLimits limits = {}) {
  ReplyParser parser(limits);
  std::vector<Reply> replies;
  auto fed = parser.feed(bytes, replies);
  return fed ? std::string("no error") : fed.error().message;
}

TEST(Command, EncodesAnArrayOfBulkStrings) {
  EXPECT_EQ(Command({"SET", "key", "value"}).wire(),
            "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  EXPECT_EQ(Command({"PING"}).wire(), "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(Command({"SET", "", "x"}).wire(), "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\nx\r\n");
  const std::vector<std::string> owned{"INCRBY", "counter", "3"};
  EXPECT_EQ(Command(owned).wire(), Command({"INCRBY", "counter", "3"}).wire());
}

TEST(Command, IsBinarySafe) {
  const std::string value = "a\r\nb\0c$*"s;
  EXPECT_EQ(Command({"SET", "k", value}).wire(),
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$8\r\na\r\nb\0c$*\r\n"s);
  // A command is itself a RESP array of bulk strings: the parser reads back every byte.
  const std::string long_value(70000, '\n');
  const auto replies = parse(Command({"SET", value, long_value}).wire());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], array({bulk("SET"), bulk(value), bulk(long_value)}));
}

TEST(ReplyParser, ReadsEveryRespTwoType) {
  EXPECT_EQ(parse("+OK\r\n"), std::vector{simple("OK")});
  EXPECT_EQ(parse("-WRONGTYPE Operation against a key\r\n"),
            std::vector{error("WRONGTYPE Operation against a key")});
  EXPECT_EQ(parse(":42\r\n:-7\r\n:9223372036854775807\r\n"),
            (std::vector{integer(42), integer(-7), integer(INT64_MAX)}));
  EXPECT_EQ(parse("$5\r\nhello\r\n$0\r\n\r\n"), (std::vector{bulk("hello"), bulk("")}));
  EXPECT_EQ(parse("$-1\r\n*-1\r\n"), (std::vector{null(), null()}));
  EXPECT_EQ(parse("*0\r\n"), std::vector{array({})});
  EXPECT_EQ(parse("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n$-1\r\n"),
            std::vector{array({integer(1), array({bulk("a"), array({})}), null()})});
}

TEST(ReplyParser, ReadsRespThreeTypesAsTheirNearestRespTwoType) {
  EXPECT_EQ(parse("_\r\n"), std::vector{null()});
  EXPECT_EQ(parse("#t\r\n#f\r\n"), (std::vector{integer(1), integer(0)}));
  EXPECT_EQ(parse(",3.25\r\n(12345678901234567890\r\n"),
            (std::vector{simple("3.25"), simple("12345678901234567890")}));
  EXPECT_EQ(parse("!9\r\nERR oops!\r\n"), std::vector{error("ERR oops!")});
  EXPECT_EQ(parse("=9\r\ntxt:hello\r\n"), std::vector{bulk("hello")});
  EXPECT_EQ(parse("%1\r\n+key\r\n:1\r\n~2\r\n:1\r\n:2\r\n>2\r\n+message\r\n+hi\r\n"),
            (std::vector{array({simple("key"), integer(1)}), array({integer(1), integer(2)}),
                         array({simple("message"), simple("hi")})}));
  EXPECT_NE(parse_error("|1\r\n+a\r\n+b\r\n+OK\r\n"), "no error");  // attributes are refused
}

// Every kind of reply, one after another, binary bytes and nesting included.
const std::string kStream =
    "+OK\r\n-ERR bad\r\n:-12\r\n$6\r\na\r\n\0b\n\r\n$-1\r\n*-1\r\n*0\r\n"
    "*2\r\n*2\r\n$3\r\nfoo\r\n:1\r\n*1\r\n$0\r\n\r\n#t\r\n_\r\n%1\r\n+k\r\n=8\r\ntxt:a\r\nb\r\n"s;

TEST(ReplyParser, ReadsTheSameRepliesWhereverTheBytesAreSplit) {
  const auto whole = parse(kStream);
  ASSERT_EQ(whole.size(), 11u);
  EXPECT_EQ(whole[3], bulk(std::string("a\r\n\0b\n", 6)));
  EXPECT_EQ(whole[10], array({simple("k"), bulk("a\r\nb")}));
  for (std::size_t split = 0; split <= kStream.size(); ++split) {
    const std::string_view stream = kStream;
    EXPECT_EQ(parse({stream.substr(0, split), stream.substr(split)}), whole)
        << "split at " << split;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t at = 0; at < kStream.size(); ++at)
    bytes.push_back(std::string_view(kStream).substr(at, 1));
  EXPECT_EQ(parse(bytes), whole);
}

TEST(ReplyParser, HandsOutEachReplyAsSoonAsItIsComplete) {
  ReplyParser parser;
  std::vector<Reply> replies;
  ASSERT_TRUE(parser.feed("+OK\r\n*2\r\n:1\r\n", replies));
  EXPECT_EQ(replies, std::vector{simple("OK")});
  ASSERT_TRUE(parser.feed(":2\r\n$3\r\nab", replies));
  EXPECT_EQ(replies, (std::vector{simple("OK"), array({integer(1), integer(2)})}));
  ASSERT_TRUE(parser.feed("c\r\n", replies));
  EXPECT_EQ(replies.back(), bulk("abc"));
}

TEST(ReplyParser, RefusesMalformedRepliesAndStaysFailed) {
  for (const std::string_view bytes :
       {"?what\r\n", "+OK\n", "+OK\rx\n", ":12a\r\n", ":\r\n", ":99999999999999999999\r\n",
        "$3\r\nabcd\r\n", "$-2\r\n", "$x\r\n", "*-2\r\n", "#x\r\n", "_x\r\n"}) {
    EXPECT_NE(parse_error(bytes), "no error") << bytes;
  }
  ReplyParser parser;
  std::vector<Reply> replies;
  EXPECT_FALSE(parser.feed("*1\r\n?\r\n", replies));
  const auto after = parser.feed("+OK\r\n", replies);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().kind, ErrorKind::unavailable);
  EXPECT_TRUE(replies.empty());
}

TEST(ReplyParser, EnforcesItsLimits) {
  const ParserLimits limits{
      .max_bulk_bytes = 10, .max_reply_bytes = 64, .max_elements = 5, .max_depth = 2};
  // A bulk string's declared length is refused before its bytes arrive.
  EXPECT_NE(parse_error("$11\r\n", limits), "no error");
  EXPECT_EQ(parse({"$10\r\n0123456789\r\n"}, limits), std::vector{bulk("0123456789")});
  EXPECT_NE(parse_error("+" + std::string(70, 'a'), limits), "no error");  // a line with no end yet
  std::string four_bulks = "*4\r\n";
  for (int at = 0; at < 4; ++at) four_bulks += "$10\r\n0123456789\r\n";
  EXPECT_NE(parse_error(four_bulks, limits), "no error");  // 72 bytes in all
  EXPECT_NE(parse_error("*6\r\n", limits), "no error");
  EXPECT_NE(parse_error("*2\r\n*4\r\n", limits), "no error");  // 2 + 4 elements
  EXPECT_NE(parse_error("%3\r\n", limits), "no error");        // 3 pairs: 6 elements
  // A map's pair count whose double overflows (found by fuzz_redis_resp under UBSan).
  EXPECT_EQ(parse_error("%9169391369154525412\r\n", {}),
            "Redis sent a reply that cannot be read: a reply has more than " +
                std::to_string(ParserLimits{}.max_elements) + " elements.");
  EXPECT_EQ(parse({"*1\r\n*1\r\n:1\r\n"}, limits), std::vector{array({array({integer(1)})})});
  EXPECT_NE(parse_error("*1\r\n*1\r\n*1\r\n:1\r\n", limits), "no error");
  // The limits are per reply: many replies together may be larger.
  std::string many;
  for (int at = 0; at < 20; ++at) many += "*2\r\n$10\r\n0123456789\r\n:1\r\n";
  EXPECT_EQ(parse({many}, limits).size(), 20u);
}

TEST(ReplyParser, SaysWhatIsWrongInItsError) {
  EXPECT_EQ(parse_error("$11\r\n", {.max_bulk_bytes = 10}),
            "Redis sent a reply that cannot be read: a bulk string is longer than 10 bytes.");
}

}  // namespace
}  // namespace llmux::redis
