#include "server/client_limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::server {
namespace {

namespace ip = boost::asio::ip;
using std::chrono::milliseconds;

const ip::address kClient = ip::make_address("192.0.2.1");
const ip::address kOther = ip::make_address("192.0.2.2");

TEST(ClientLimits, NothingIsLimitedByDefault) {
  ClientLimits limits({});
  EXPECT_FALSE(limits.any());
}

TEST(ClientLimits, ConnectionsAreCountedPerAddressAndGivenBack) {
  ClientLimits limits({.max_connections = 2});
  EXPECT_TRUE(limits.try_open(kClient));
  EXPECT_TRUE(limits.try_open(kClient));
  EXPECT_FALSE(limits.try_open(kClient)) << "a third connection from one address";
  EXPECT_TRUE(limits.try_open(kOther)) << "another address has its own count";
  limits.close(kClient);
  EXPECT_TRUE(limits.try_open(kClient)) << "a closed connection gives its place back";
  EXPECT_FALSE(limits.try_open(kClient));
}

TEST(ClientLimits, AnIpv4ClientOfADualStackListenerIsTheSameClient) {
  ClientLimits limits({.max_connections = 1});
  EXPECT_TRUE(limits.try_open(kClient));
  EXPECT_FALSE(limits.try_open(ip::make_address("::ffff:192.0.2.1")));
}

TEST(ClientLimits, RequestsSpendABurstThatRefillsAtTheRate) {
  ClientLimits limits({.requests_per_second = 10, .burst = 3});
  const auto start = ClientLimits::Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.try_request(kClient, start)) << i;
  EXPECT_FALSE(limits.try_request(kClient, start)) << "the burst is spent";
  EXPECT_TRUE(limits.try_request(kOther, start)) << "another address has its own bucket";
  EXPECT_FALSE(limits.try_request(kClient, start + milliseconds(90))) << "0.9 of a request back";
  EXPECT_TRUE(limits.try_request(kClient, start + milliseconds(110)));
  EXPECT_FALSE(limits.try_request(kClient, start + milliseconds(110)));
  // An idle client refills up to the burst, never past it.
  const auto later = start + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limits.try_request(kClient, later)) << i;
  EXPECT_FALSE(limits.try_request(kClient, later));
}

TEST(ClientLimits, TheBurstIsTheRateUnlessGiven) {
  EXPECT_EQ(ClientLimits({.requests_per_second = 10}).burst(), 10);
  EXPECT_EQ(ClientLimits({.requests_per_second = 0.5}).burst(), 1) << "at least one request";
  EXPECT_EQ(ClientLimits({.requests_per_second = 10, .burst = 20}).burst(), 20);
}

// The client a trusted proxy forwarded `head_text`'s request for, the connection coming from
// kProxy.
const ip::address kProxy = ip::make_address("10.0.0.9");
ip::address forwarded_for(const std::string& head_text) {
  net::http1::RequestHead head;
  EXPECT_EQ(net::http1::parse_request_head(head_text, head), "") << head_text;
  return forwarded_client(head, kProxy);
}

TEST(ForwardedClient, IsTheAddressTheProxyAppendedNotOneTheClientWrote) {
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n"),
            ip::make_address("203.0.113.7"));
  // A client that sends its own X-Forwarded-For gets the proxy's entry appended to it.
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nx-forwarded-for: 1.2.3.4,  203.0.113.7 \r\n\r\n"),
            ip::make_address("203.0.113.7"));
  // Two fields are one list: the last field's last entry.
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n"
                          "X-Forwarded-For: 198.51.100.2\r\n\r\n"),
            ip::make_address("198.51.100.2"));
}

TEST(ForwardedClient, TakesIpv6AndDropsAPort) {
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 2001:db8::1\r\n\r\n"),
            ip::make_address("2001:db8::1"));
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: [2001:db8::1]:443\r\n\r\n"),
            ip::make_address("2001:db8::1"));
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7:41234\r\n\r\n"),
            ip::make_address("203.0.113.7"));
}

TEST(ForwardedClient, IsTheConnectionsAddressWithoutAnAddressToTake) {
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\n\r\n"), kProxy);
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For:\r\n\r\n"), kProxy);
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7, unknown\r\n\r\n"),
            kProxy);
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.7,\r\n\r\n"), kProxy);
  EXPECT_EQ(forwarded_for("GET / HTTP/1.1\r\nX-Forwarded-For: [2001:db8::1\r\n\r\n"), kProxy);
}

}  // namespace
}  // namespace llmux::server
