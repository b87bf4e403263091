#include "base/ids.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <set>
#include <string>

namespace llmux {
namespace {

bool is_lower_hex(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
}

// Hyphens at 8, 13, 18 and 23, lower-case hex elsewhere, the given version and RFC 4122's variant.
void expect_uuid_shape(const std::string& uuid, char version) {
  SCOPED_TRACE(uuid);
  ASSERT_EQ(uuid.size(), 36u);
  for (std::size_t at = 0; at < uuid.size(); ++at) {
    if (at == 8 || at == 13 || at == 18 || at == 23) {
      ASSERT_EQ(uuid[at], '-');
    } else {
      ASSERT_TRUE(is_lower_hex(uuid[at])) << "at " << at;
    }
  }
  EXPECT_EQ(uuid[14], version);
  EXPECT_NE(std::string_view("89ab").find(uuid[19]), std::string_view::npos);  // variant 10xx
}

TEST(MakeUuid, IsAVersion4Rfc4122Uuid) {
  for (int i = 0; i < 1000; ++i) expect_uuid_shape(make_uuid(), '4');
}

TEST(MakeTimeOrderedUuid, IsAVersion7UuidThatStartsWithTheTimeInMilliseconds) {
  const auto millis = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  for (int i = 0; i < 1000; ++i) {
    const auto before = millis();
    const std::string uuid = make_time_ordered_uuid();
    const auto after = millis();
    expect_uuid_shape(uuid, '7');
    const auto stamped = std::stoll(uuid.substr(0, 8) + uuid.substr(9, 4), nullptr, 16);
    EXPECT_GE(stamped, before);
    EXPECT_LE(stamped, after);
  }
}

TEST(MakeTimeOrderedUuid, StartsWithTheMillisecondsOfTheGivenTime) {
  const std::chrono::system_clock::time_point at(std::chrono::milliseconds(0x0123'4567'89ab));
  const std::string uuid = make_time_ordered_uuid(at);
  expect_uuid_shape(uuid, '7');
  EXPECT_EQ(uuid.substr(0, 13), "01234567-89ab");
}

// Whatever their random bits, including where the time carries into the first group.
TEST(MakeTimeOrderedUuid, LaterMillisecondsSortLater) {
  using std::chrono::milliseconds;
  for (const auto millis : {milliseconds(1'700'000'000'000), milliseconds(0x0001'ffff'ffff)}) {
    const std::chrono::system_clock::time_point at(millis);
    for (int i = 0; i < 1000; ++i) {
      const std::string earlier = make_time_ordered_uuid(at);
      const std::string later = make_time_ordered_uuid(at + milliseconds(1));
      ASSERT_LT(earlier, later) << "at " << millis.count() << " ms";
    }
  }
}

TEST(MakeTimeOrderedUuid, UniqueAcrossManyCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(seen.insert(make_time_ordered_uuid()).second);
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
