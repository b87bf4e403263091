#include "base/secret_mask.hpp"

#include <gtest/gtest.h>

namespace llmux {
namespace {

TEST(SecretMask, MasksEveryOccurrenceOfEachSecret) {
  SecretMask mask;
  mask.add("sk-upstream-0123456789");
  mask.add("sk-client-abcdefgh");
  std::string text =
      "key sk-upstream-0123456789 and sk-client-abcdefgh, again sk-upstream-0123456789.";
  mask.apply(text);
  EXPECT_EQ(text, "key [redacted] and [redacted], again [redacted].");
}

TEST(SecretMask, AContainedSecretDoesNotLeaveTheRestOfALongerOne) {
  SecretMask mask;
  mask.add("abcdefgh");
  mask.add("abcdefgh-and-more");
  std::string text = "x abcdefgh-and-more y abcdefgh z";
  mask.apply(text);
  EXPECT_EQ(text, "x [redacted] y [redacted] z");
}

TEST(SecretMask, ShortSecretsAreIgnored) {
  SecretMask mask;
  mask.add("");
  mask.add("a");
  mask.add("1234567");  // below kMinSecretBytes
  std::string text = "a 1234567 apple";
  mask.apply(text);
  EXPECT_EQ(text, "a 1234567 apple");
}

TEST(SecretMask, AnyBearerTokenIsMaskedEvenWhenUnknown) {
  const SecretMask mask;
  std::string text =
      R"(Incorrect header: "Authorization: Bearer ya29.c.unknown-token", BEARER xyz; bearer )";
  mask.apply(text);
  EXPECT_EQ(text,
            R"(Incorrect header: "Authorization: Bearer [redacted]", BEARER [redacted]; bearer )");
  std::string twice = text;
  mask.apply(twice);
  EXPECT_EQ(twice, text);  // idempotent
}

TEST(SecretMask, AnErrorsUpstreamChosenTextsAreMasked) {
  SecretMask mask;
  mask.add("sk-operator-secret");
  Error error = make_error(ErrorKind::unauthenticated, "bad key sk-operator-secret",
                           "sk-operator-secret", "code-sk-operator-secret");
  error.type = "sk-operator-secret";
  mask.apply(error);
  EXPECT_EQ(error.message, "bad key [redacted]");
  EXPECT_EQ(error.param, "[redacted]");
  EXPECT_EQ(error.code, "code-[redacted]");
  EXPECT_EQ(error.type, "[redacted]");
}

}  // namespace
}  // namespace llmux
