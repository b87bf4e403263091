#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::auth {
namespace {

using namespace std::string_view_literals;

TEST(PresentedKey, AuthorizationBearerInAnyCase) {
  for (std::string_view value :
       {"Bearer sk-1234", "bearer sk-1234", "BEARER sk-1234", "bEaReR sk-1234"}) {
    EXPECT_EQ(presented_key({.authorization = value}), "sk-1234") << value;
  }
}

TEST(PresentedKey, SurroundingSpacesAreTrimmed) {
  EXPECT_EQ(presented_key({.authorization = "Bearer   sk-1234  "}), "sk-1234");
  EXPECT_EQ(presented_key({.x_api_key = " sk-1234 "}), "sk-1234");
}

TEST(PresentedKey, LitellmHeaderTakesABareKeyOrABearer) {
  EXPECT_EQ(presented_key({.x_litellm_api_key = "sk-bare"}), "sk-bare");
  EXPECT_EQ(presented_key({.x_litellm_api_key = "Bearer sk-bearer"}), "sk-bearer");
  EXPECT_EQ(presented_key({.x_litellm_api_key = "bearer sk-bearer"}), "sk-bearer");
}

TEST(PresentedKey, EachVendorHeaderAlone) {
  EXPECT_EQ(presented_key({.api_key = "azure-key"}), "azure-key");
  EXPECT_EQ(presented_key({.x_api_key = "anthropic-key"}), "anthropic-key");
  EXPECT_EQ(presented_key({.x_goog_api_key = "google-key"}), "google-key");
}

TEST(PresentedKey, NothingPresented) {
  EXPECT_EQ(presented_key({}), "");
  EXPECT_EQ(presented_key({.authorization = "Bearer "}), "");
  EXPECT_EQ(presented_key({.authorization = "Bearer    ", .x_api_key = "  "}), "");
}

TEST(PresentedKey, AnEmptyHeaderGivesWayToTheNext) {
  EXPECT_EQ(presented_key({.authorization = "Bearer ", .api_key = "azure-key"}), "azure-key");
  EXPECT_EQ(presented_key({.x_api_key = "", .x_goog_api_key = "google-key"}), "google-key");
}

TEST(PresentedKey, VendorHeaderPrecedence) {
  // As LiteLLM's get_api_key: Authorization, then api-key (Azure), x-api-key (Anthropic),
  // x-goog-api-key (Google).
  EXPECT_EQ(presented_key({.authorization = "Bearer from-auth",
                           .api_key = "from-azure",
                           .x_api_key = "from-anthropic",
                           .x_goog_api_key = "from-google"}),
            "from-auth");
  EXPECT_EQ(presented_key({.api_key = "from-azure",
                           .x_api_key = "from-anthropic",
                           .x_goog_api_key = "from-google"}),
            "from-azure");
  EXPECT_EQ(presented_key({.x_api_key = "from-anthropic", .x_goog_api_key = "from-google"}),
            "from-anthropic");
}

TEST(PresentedKey, LitellmHeaderComesBeforeAuthorization) {
  EXPECT_EQ(presented_key(
                {.authorization = "Bearer upstream-oauth-token", .x_litellm_api_key = "sk-master"}),
            "sk-master");
}

TEST(Authenticator, AcceptsOnlyTheExactKey) {
  const Authenticator authenticator("sk-master-1234");
  EXPECT_FALSE(authenticator.is_open());
  EXPECT_TRUE(authenticator.accepts("sk-master-1234"));
  for (std::string_view wrong :
       {""sv, "sk-master-123"sv, "sk-master-12345"sv, "sk-master-1234 "sv, "SK-MASTER-1234"sv,
        "sk-master-1235"sv, "s"sv, "sk-master-1234\0"sv, "other"sv}) {
    EXPECT_FALSE(authenticator.accepts(wrong)) << wrong;
  }
}

TEST(Authenticator, WorksWithPresentedKey) {
  const Authenticator authenticator("sk-master-1234");
  EXPECT_TRUE(authenticator.accepts(presented_key({.authorization = "Bearer sk-master-1234"})));
  EXPECT_TRUE(authenticator.accepts(presented_key({.x_goog_api_key = "sk-master-1234"})));
  EXPECT_FALSE(authenticator.accepts(presented_key({})));
}

TEST(Authenticator, OpenWithoutAMasterKey) {
  const Authenticator authenticator("");
  EXPECT_TRUE(authenticator.is_open());
  EXPECT_TRUE(authenticator.accepts(""));
  EXPECT_TRUE(authenticator.accepts("anything"));
}

}  // namespace
}  // namespace llmux::auth
