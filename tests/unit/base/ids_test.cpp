#include "base/ids.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace llmux {
namespace {

bool is_lower_hex(char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f'); }

TEST(MakeUuid, IsAVersion4Rfc4122Uuid) {
  for (int i = 0; i < 1000; ++i) {
    const std::string uuid = make_uuid();
    SCOPED_TRACE(uuid);
    ASSERT_EQ(uuid.size(), 36u);
    for (std::size_t at = 0; at < uuid.size(); ++at) {
      if (at == 8 || at == 13 || at == 18 || at == 23) {
        ASSERT_EQ(uuid[at], '-');
      } else {
        ASSERT_TRUE(is_lower_hex(uuid[at])) << "at " << at;
      }
    }
    EXPECT_EQ(uuid[14], '4');                                 // version
    EXPECT_NE(std::string_view("89ab").find(uuid[19]), std::string_view::npos);  // variant 10xx
  }
}

TEST(MakeUuid, UniqueAcrossManyCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(make_uuid()).second);
}

TEST(MakeObjectId, PrefixThen24HexDigits) {
  const std::string id = make_object_id("chatcmpl-");
  ASSERT_EQ(id.size(), 9u + 24u);
  EXPECT_TRUE(id.starts_with("chatcmpl-"));
  for (char c : id.substr(9)) EXPECT_TRUE(is_lower_hex(c)) << id;
  EXPECT_EQ(make_object_id("").size(), 24u);
}

TEST(MakeObjectId, UniqueAcrossManyCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(make_object_id("cmpl-")).second);
}

}  // namespace
}  // namespace llmux
