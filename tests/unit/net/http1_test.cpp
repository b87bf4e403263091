#include "net/http1.hpp"

#include "base/utc_time.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace llmux::net::http1 {
namespace {

ResponseHead parsed_head(std::string_view text, ParseResult expected = ParseResult::done) {
  ResponseHead head;
  std::size_t head_bytes = 0;
  EXPECT_EQ(parse_response_head(text, head, head_bytes), expected) << text;
  if (expected == ParseResult::done) {
    EXPECT_EQ(text.substr(head_bytes), "BODY");
  }
  return head;
}

TEST(ParseResponseHead, ReadsStatusFramingAndRetryAfter) {
  auto head = parsed_head(
      "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
      "retry-after:  7 \r\nContent-Length: 12\r\n\r\nBODY");
  EXPECT_EQ(head.status, 429);
  EXPECT_EQ(head.framing, BodyFraming::length);
  EXPECT_EQ(head.content_length, 12u);
  ASSERT_TRUE(head.retry_after);
  EXPECT_EQ(head.retry_after->count(), 7);
  EXPECT_TRUE(head.keep_alive);

  head = parsed_head(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 5\r\n\r\nBODY");
  EXPECT_EQ(head.framing, BodyFraming::chunked);  // chunked wins over a length
  head = parsed_head("HTTP/1.1 200\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\nBODY");
  EXPECT_EQ(head.framing, BodyFraming::until_close);  // no length: the body runs to the close
  EXPECT_FALSE(head.keep_alive);
  ASSERT_TRUE(head.retry_after);  // a date already past: no delay
  EXPECT_EQ(head.retry_after->count(), 0);
  head = parsed_head("HTTP/1.1 503\r\nRetry-After: soon\r\nContent-Length: 4\r\n\r\nBODY");
  EXPECT_FALSE(head.retry_after);
  head = parsed_head("HTTP/1.1 204 No Content\r\n\r\nBODY");
  EXPECT_EQ(head.framing, BodyFraming::none);
  EXPECT_TRUE(head.keep_alive);
  head = parsed_head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nBODY");
  EXPECT_EQ(head.framing, BodyFraming::none);
}

TEST(ParseResponseHead, ARetryAfterDateIsTheDelayUntilIt) {
  const std::time_t in_two_minutes =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + 120;
  const ResponseHead head = parsed_head("HTTP/1.1 503 Slow Down\r\nRetry-After: " +
                                        utc_text(in_two_minutes, "%a, %d %b %Y %H:%M:%S GMT") +
                                        "\r\nContent-Length: 4\r\n\r\nBODY");
  ASSERT_TRUE(head.retry_after);
  // Read a moment later than the date was written: the second may have turned.
  EXPECT_GE(head.retry_after->count(), 119);
  EXPECT_LE(head.retry_after->count(), 120);
}

TEST(ParseHttpDate, ReadsTheImfFixdateFormOnly) {
  using namespace std::chrono;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            sys_days(year(1994) / November / 6) + hours(8) + minutes(49) + seconds(37));
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 23:59:60 GMT"),
            sys_days(year(2024) / February / 29) + hours(24));  // a leap second
  for (std::string_view invalid :
       {"Sunday, 06-Nov-94 08:49:37 GMT",  // RFC 850's form
        "Sun Nov  6 08:49:37 1994",        // asctime's
        "Sun, 6 Nov 1994 08:49:37 GMT",    // one-digit day
        "Sun, 06 Nov 1994 08:49:37 GMT ",  // trailing space
        "Sun, 06 Nov 1994 08:49:37 UTC",   // not GMT
        "Sun, 31 Nov 1994 08:49:37 GMT",   // no such day
        "Sun, 06 Nov 1994 24:00:00 GMT",   // no such hour
        "Sun, 06 ovD 1994 08:49:37 GMT",   // not a month, though within the list's text
        "Snu, 06 Nov 1994 08:49:37 GMT",   // not a day
        "Sun, 06 Nov +994 08:49:37 GMT"}) {
    EXPECT_FALSE(parse_http_date(invalid)) << invalid;
  }
}

TEST(ParseResponseHead, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(parsed_head("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 1\r\n\r\nBODY")
                   .keep_alive);
  EXPECT_FALSE(parsed_head("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nBODY").keep_alive);
  EXPECT_TRUE(
      parsed_head("HTTP/1.0 200 OK\r\nConnection: foo, keep-alive\r\nContent-Length: 1\r\n\r\nBODY")
          .keep_alive);
}

TEST(ParseResponseHead, WaitsForTheBlankLine) {
  ResponseHead head;
  std::size_t head_bytes = 0;
  EXPECT_EQ(parse_response_head("", head, head_bytes), ParseResult::incomplete);
  EXPECT_EQ(parse_response_head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r", head, head_bytes),
            ParseResult::incomplete);
}

TEST(ParseResponseHead, RefusesWhatIsNotHttp) {
  for (const std::string_view text :
       {"HTTP/2 200 OK\r\n\r\nBODY", "HTTP/1.1 20 OK\r\n\r\nBODY", "HTTP/1.1 2000 OK\r\n\r\nBODY",
        "HTTP/1.1 abc OK\r\n\r\nBODY", "SSH-2.0-OpenSSH\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\nBODY", "HTTP/1.1 200 OK\r\n folded: x\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nBODY",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nBODY"}) {
    parsed_head(text, ParseResult::malformed);
  }
}

TEST(FindHeadEnd, IsJustPastTheBlankLine) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody"), 27u);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), std::string_view::npos);
}

TEST(ParseRequestHead, ReadsLineFieldsAndFraming) {
  RequestHead head;
  const std::string_view text =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: h\r\nAuthorization:  Bearer sk-1 \r\n"
      "Content-Length: 42\r\nExpect: 100-continue\r\nX-Empty:\r\n\r\n";
  ASSERT_EQ(parse_request_head(text, head), "");
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/v1/chat/completions?x=1");
  EXPECT_EQ(head.minor_version, 1);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.framing, BodyFraming::length);
  EXPECT_EQ(head.content_length, 42u);
  EXPECT_TRUE(head.expect_continue);
  ASSERT_EQ(head.fields.size(), 5u);
  EXPECT_EQ(head.fields[1].first, "Authorization");
  EXPECT_EQ(head.fields[1].second, "Bearer sk-1");
  EXPECT_EQ(head.fields[4].second, "");

  ASSERT_EQ(parse_request_head(
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", head),
            "");
  EXPECT_EQ(head.framing, BodyFraming::chunked);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);  // nothing left from the request before
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\n\r\n", head), "");
  EXPECT_EQ(head.framing, BodyFraming::none);
  EXPECT_FALSE(head.keep_alive);
  EXPECT_TRUE(head.fields.empty());
  ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", head), "");
  EXPECT_TRUE(head.keep_alive);
}

TEST(ParseRequestHead, RefusesMalformedAndAmbiguousHeads) {
  for (const std::string_view text :
       {"GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET / x HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n", "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
    RequestHead head;
    EXPECT_NE(parse_request_head(text, head), "") << text;
  }
}

// Every byte value at every position of a long value and target (the check goes 16 bytes at a
// time): control bytes and DEL are refused, tabs only in values, spaces only in values.
TEST(ParseRequestHead, EveryRefusedByteIsFoundWherever) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool value_ok =
        (byte >= 0x20 || byte == '\t') && byte != 0x7f && byte != '\r' && byte != '\n';
    const bool target_ok = byte > 0x20 && byte != 0x7f;
    for (std::size_t at = 0; at < 40; at += 7) {
      std::string value(40, 'v');
      value[at] = c;
      std::string target = "/" + std::string(40, 't');
      target[at + 1] = c;
      RequestHead head;
      const std::string with_value = "GET / HTTP/1.1\r\nX-A: " + value + "z\r\n\r\n";
      if (byte != '\r' && byte != '\n') {
        EXPECT_EQ(parse_request_head(with_value, head).empty(), value_ok)
            << "value byte " << byte << " at " << at;
      }
      if (byte != ' ' && byte != '\r' && byte != '\n') {
        const std::string with_target = "GET " + target + " HTTP/1.1\r\n\r\n";
        EXPECT_EQ(parse_request_head(with_target, head).empty(), target_ok)
            << "target byte " << byte << " at " << at;
      }
    }
  }
}

// Feeds `wire` to a decoder `step` bytes at a time, as a socket would deliver it, keeping the
// bytes a step did not consume; returns the body, or "<malformed>".
std::string decode_all(BodyFraming framing, std::uint64_t length, std::string_view wire,
                       std::size_t step, bool closed_at_end = false) {
  BodyDecoder decoder(framing, length);
  std::string buffered;
  std::string body;
  std::size_t fed = 0;
  while (!decoder.done()) {
    if (fed == wire.size()) {
      if (closed_at_end && decoder.finish_at_close()) break;
      return "<incomplete>";
    }
    const std::size_t take = std::min(step, wire.size() - fed);
    buffered.append(wire.substr(fed, take));
    fed += take;
    const auto result = decoder.decode(buffered.data(), buffered.size());
    if (!result) return "<malformed>";
    EXPECT_LE(result->produced, result->consumed);
    body.append(buffered.data(), result->produced);
    buffered.erase(0, result->consumed);
  }
  EXPECT_EQ(fed, wire.size()) << "bytes after the end of the body";
  return body;
}

TEST(BodyDecoder, RemovesChunkFramingInPlaceWhateverTheSplit) {
  const std::string_view wire =
      "5\r\nhello\r\n1;ext=\"a;b\"\r\n,\r\nA \r\n world 123\r\n0\r\nX-Trailer: yes\r\n\r\n";
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    EXPECT_EQ(decode_all(BodyFraming::chunked, 0, wire, step), "hello, world 123")
        << "step " << step;
  }
}

TEST(BodyDecoder, StopsAtTheLengthAndAtTheClose) {
  EXPECT_EQ(decode_all(BodyFraming::length, 5, "hello", 2), "hello");
  EXPECT_EQ(decode_all(BodyFraming::length, 5, "hel", 2), "<incomplete>");
  EXPECT_EQ(decode_all(BodyFraming::until_close, 0, "all of it", 4, true), "all of it");
  EXPECT_EQ(decode_all(BodyFraming::chunked, 0, "5\r\nhel", 3, true),
            "<incomplete>");  // a close cuts it
}

TEST(BodyDecoder, RefusesBrokenChunks) {
  for (const std::string_view wire :
       {"x\r\nhello\r\n0\r\n\r\n", "5\r\nhelloXY0\r\n\r\n", "5\nhello\r\n0\r\n\r\n",
        "5 junk\r\nhello\r\n0\r\n\r\n", "fffffffffffffffff\r\n"}) {
    EXPECT_EQ(decode_all(BodyFraming::chunked, 0, wire, wire.size()), "<malformed>") << wire;
  }
  // A chunk-size line that never ends is refused once it is longer than any real one.
  const std::string endless = "5" + std::string(5000, ' ');
  EXPECT_EQ(decode_all(BodyFraming::chunked, 0, endless, endless.size()), "<malformed>");
}

TEST(ReadBuffer, CompactsGrowsAndReleases) {
  ReadBuffer buffer(8);
  std::size_t free_bytes = 0;
  char* space = buffer.prepare(free_bytes, 32);
  ASSERT_EQ(free_bytes, 8u);
  std::memcpy(space, "abcdefgh", 8);
  buffer.commit(8);
  buffer.consume(6);
  space = buffer.prepare(free_bytes, 32);  // "gh" moves to the front
  EXPECT_EQ(buffer.pending(), "gh");
  EXPECT_EQ(free_bytes, 6u);
  std::memcpy(space, "ijklmn", 6);
  buffer.commit(6);
  space = buffer.prepare(free_bytes, 32);  // full: doubles
  EXPECT_EQ(free_bytes, 8u);
  EXPECT_EQ(buffer.pending(), "ghijklmn");
  buffer.commit(free_bytes);
  buffer.prepare(free_bytes, 32);
  buffer.commit(free_bytes);
  buffer.prepare(free_bytes, 32);
  EXPECT_EQ(free_bytes, 0u);  // at its largest and full
  buffer.release_if_empty();
  EXPECT_EQ(buffer.pending().size(), 32u);  // kept: bytes are pending
  buffer.consume(32);
  buffer.release_if_empty();
  EXPECT_TRUE(buffer.empty());
  buffer.prepare(free_bytes, 32);
  EXPECT_EQ(free_bytes, 8u);  // allocated again at the initial size
}

}  // namespace
}  // namespace llmux::net::http1
