#include "server/client_limits.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace llmux::server
