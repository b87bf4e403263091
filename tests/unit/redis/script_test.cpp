#include "redis/client.hpp"

#include <gtest/gtest.h>

namespace llmux::redis {
namespace {

TEST(Script, IsNamedByTheSha1OfItsBody) {
  // FIPS 180's test vector for "abc"; a script copied shares its body.
  const Script script("abc");
  EXPECT_EQ(script.sha1(), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Script("return 1").sha1(), Script(std::string("return 1")).sha1());
  EXPECT_NE(Script("return 1").sha1(), Script("return 2").sha1());
  const Script copy = script;
  EXPECT_EQ(&copy.body(), &script.body());
}

}  // namespace
}  // namespace llmux::redis
