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

TEST(PercentDecoding, ReplacesEachEscapeByItsByte) {
  EXPECT_EQ(percent_decoded("us.meta%3A0%2Fx%20y%C3%A9"), "us.meta:0/x y\xC3\xA9");
  EXPECT_EQ(percent_decoded("%2f%2F"), "//");
  EXPECT_EQ(percent_decoded("a+b"), "a+b");
  EXPECT_EQ(percent_decoded(percent_encoded("any text: é/%+")), "any text: é/%+");
}

TEST(PercentDecoding, KeepsAPercentWithoutTwoHexDigits) {
  EXPECT_EQ(percent_decoded("100%"), "100%");
  EXPECT_EQ(percent_decoded("%4"), "%4");
  EXPECT_EQ(percent_decoded("%zz%4g"), "%zz%4g");
  EXPECT_EQ(percent_decoded("%%41"), "%A");
}

}  // namespace
}  // namespace llmux::net
