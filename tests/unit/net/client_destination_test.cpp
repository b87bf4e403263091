#include "net/client_destination.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace llmux::net {
namespace {

namespace ip = boost::asio::ip;

std::optional<std::string_view> kind(std::string_view address) {
  return special_address_kind(ip::make_address(address));
}

TEST(SpecialAddressKind, PublicAddressesAreNotSpecial) {
  for (std::string_view address :
       {"8.8.8.8", "1.1.1.1", "104.18.6.192", "100.63.255.255", "100.128.0.1", "172.15.255.255",
        "172.32.0.1", "192.169.0.1", "2606:4700::1111", "2a00:1450:4001:80b::200e",
        "2001:4860:4860::8888"}) {
    EXPECT_EQ(kind(address), std::nullopt) << address;
  }
}

TEST(SpecialAddressKind, EachSpecialRange) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"::1", "loopback"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"100.64.0.1", "private"},
      {"100.127.255.255", "private"},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"fec0::1", "private"},
      {"169.254.1.1", "link-local"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"169.254.169.254", "cloud metadata"},
      {"fd00:ec2::254", "cloud metadata"},
      {"100.100.100.200", "cloud metadata"},
      {"168.63.129.16", "cloud metadata"},
      {"169.254.170.2", "cloud metadata"},
      {"192.0.0.192", "cloud metadata"},
      {"0.0.0.0", "unspecified"},
      {"0.1.2.3", "unspecified"},
      {"::", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"ff02::1", "multicast"},
      {"255.255.255.255", "reserved"},
      {"240.0.0.1", "reserved"},
      {"192.0.2.1", "reserved"},
      {"198.18.0.1", "reserved"},
      {"2001:db8::1", "reserved"},
      {"2001::1", "reserved"},
      {"100::1", "reserved"},
      {"::127.0.0.1", "reserved"},
      {"4000::1", "reserved"},
  };
  for (const auto& [address, expected] : cases) EXPECT_EQ(kind(address), expected) << address;
}

TEST(SpecialAddressKind, Ipv4InsideIpv6IsJudgedAsIpv4) {
  EXPECT_EQ(kind("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(kind("::ffff:7f00:1"), "loopback");
  EXPECT_EQ(kind("::ffff:169.254.169.254"), "cloud metadata");
  EXPECT_EQ(kind("::ffff:10.0.0.1"), "private");
  EXPECT_EQ(kind("64:ff9b::10.0.0.1"), "private");  // NAT64
  EXPECT_EQ(kind("64:ff9b::7f00:1"), "loopback");
  EXPECT_EQ(kind("64:ff9b:1::1"), "private");     // local-use NAT64
  EXPECT_EQ(kind("2002:7f00:1::1"), "loopback");  // 6to4
  EXPECT_EQ(kind("2002:a9fe:a9fe::1"), "cloud metadata");
  EXPECT_EQ(kind("::ffff:8.8.8.8"), std::nullopt);
  EXPECT_EQ(kind("64:ff9b::8.8.8.8"), std::nullopt);
}

TEST(IsHttpUrl, AcceptsWhatTheClientCanDial) {
  for (std::string_view url :
       {"http://example.com", "https://api.example.com/v1", "http://127.0.0.1:8080/v1",
        "http://[::1]:4000/v1", "https://h/v1?api-version=1"}) {
    EXPECT_TRUE(is_http_url(url)) << url;
  }
}

TEST(IsHttpUrl, RefusesOtherSchemesAndMalformedUrls) {
  for (std::string_view url :
       {"file:///etc/passwd", "gopher://h/", "ftp://h/", "HTTP://h/", "http://", "http:///v1",
        "example.com/v1", "http://h/v1\r\nX-Injected: 1", "http://h/v1\n", "http://h /v1",
        "http://[v1.x]/", "http://h\t/", ""}) {
    EXPECT_FALSE(is_http_url(url)) << url;
  }
}

TEST(DestinationPolicy, NothingListedPermitsPublicAddressesOnly) {
  const DestinationPolicy policy;
  EXPECT_TRUE(policy.permits("api.example.com", ip::make_address("93.184.216.34")));
  EXPECT_TRUE(policy.permits("2606:4700::1111", ip::make_address("2606:4700::1111")));
  EXPECT_FALSE(policy.permits("localhost", ip::make_address("127.0.0.1")));
  EXPECT_FALSE(policy.permits("evil.example.com",
                              ip::make_address("10.0.0.7")));  // a name that resolves inside
  EXPECT_FALSE(policy.permits("::ffff:127.0.0.1", ip::make_address("::ffff:127.0.0.1")));
  EXPECT_FALSE(policy.permits("169.254.169.254", ip::make_address("169.254.169.254")));
}

TEST(DestinationPolicy, ListedNamesAddressesAndRanges) {
  DestinationPolicy policy;
  for (std::string_view entry : {"LLM.Internal.", "127.0.0.1", "[::1]", "10.0.0.0/8", "fd00::/8"}) {
    ASSERT_TRUE(policy.allow(entry)) << entry;
  }
  // A listed name may resolve anywhere; another name resolving to the same address may not.
  EXPECT_TRUE(policy.permits("llm.internal", ip::make_address("192.168.5.5")));
  EXPECT_TRUE(policy.permits("llm.internal.", ip::make_address("192.168.5.5")));
  EXPECT_FALSE(policy.permits("other.internal", ip::make_address("192.168.5.5")));
  EXPECT_TRUE(policy.permits("127.0.0.1", ip::make_address("127.0.0.1")));
  EXPECT_TRUE(policy.permits("2130706433",
                             ip::make_address("127.0.0.1")));  // the address is what is listed
  EXPECT_TRUE(policy.permits("::ffff:127.0.0.1", ip::make_address("::ffff:127.0.0.1")));
  EXPECT_FALSE(policy.permits("127.0.0.2", ip::make_address("127.0.0.2")));
  EXPECT_TRUE(policy.permits("::1", ip::make_address("::1")));
  EXPECT_TRUE(policy.permits("10.200.3.4", ip::make_address("10.200.3.4")));
  EXPECT_FALSE(policy.permits("11.0.0.1", ip::make_address("172.16.0.1")));
  EXPECT_TRUE(policy.permits("fd00:ec2::254",
                             ip::make_address("fd00:ec2::254")));  // the operator listed fd00::/8
  EXPECT_FALSE(policy.permits("fc00::1", ip::make_address("fc00::1")));
}

TEST(DestinationPolicy, BadEntriesAreRefused) {
  DestinationPolicy policy;
  for (std::string_view entry : {"", "10.0.0.0/33", "10.0.0.0/", "/8", "fd00::/129", "10.0.0.0/8x",
                                 "http://h", "h:80", "bad name", "[::1"}) {
    auto allowed = policy.allow(entry);
    ASSERT_FALSE(allowed) << entry;
    EXPECT_THAT(allowed.error().message,
                ::testing::HasSubstr("is not a host name, an IP address or a CIDR range"));
  }
}

TEST(DestinationRefused, Is400NamingTheField) {
  const Error error = destination_refused("base_url");
  EXPECT_EQ(http_status(error), 400);
  EXPECT_EQ(error.param, "base_url");
  EXPECT_EQ(error.code, "destination_not_allowed");
  EXPECT_EQ(error_type(error), "invalid_request_error");
  EXPECT_THAT(error.message, ::testing::HasSubstr("allowed_client_api_base_hosts"));
}

}  // namespace
}  // namespace llmux::net
