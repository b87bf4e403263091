#include "net/percent_encoding.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::net {
namespace {

TEST(PercentEncoding, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encoded("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encoded("us.meta:0/x y\xC3\xA9"), "us.meta%3A0%2Fx%20y%C3%A9");
  EXPECT_EQ(percent_encoded("/model/a:b", /*keep_slash=*/true), "/model/a%3Ab");
  std::string out = "prefix=";
  append_percent_encoded(out, "a+b&c");
  EXPECT_EQ(out, "prefix=a%2Bb%26c");
}

}  // namespace
}  // namespace llmux::net
