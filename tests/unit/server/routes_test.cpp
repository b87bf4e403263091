#include "server/routes.hpp"

#include <gtest/gtest.h>

namespace llmux::server {
namespace {

TEST(RoutePath, DropsTheQueryTheTrailingSlashesAndTheV1Prefix) {
  EXPECT_EQ(Routes::route_path("/v1/chat/completions"), "/chat/completions");
  EXPECT_EQ(Routes::route_path("/chat/completions/?x=1"), "/chat/completions");
  EXPECT_EQ(Routes::route_path("/v1"), "");
  EXPECT_EQ(Routes::route_path("/"), "/");
  // Found by the server_routes fuzz target: one trailing '/' was dropped, not two.
  EXPECT_EQ(Routes::route_path("/v1/models/openai%2Fgpt-4//"), "/models/openai%2Fgpt-4");
  EXPECT_EQ(Routes::route_path("/models///?a=b"), "/models");
  EXPECT_EQ(Routes::route_path("//"), "/");
}

}  // namespace
}  // namespace llmux::server
