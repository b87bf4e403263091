#include "server/request_memory.hpp"

#include <gtest/gtest.h>

#include <string>

namespace llmux::server {
namespace {

TEST(RequestMemory, TakesWhatFitsUnderTheLimitAndNothingElse) {
  RequestMemory memory(100);
  EXPECT_TRUE(memory.try_take(60));
  EXPECT_FALSE(memory.try_take(41)) << "60 + 41 is past the limit";
  EXPECT_EQ(memory.in_use(), 60u) << "a refused take takes nothing";
  EXPECT_TRUE(memory.try_take(40));
  EXPECT_FALSE(memory.try_take(1));
  memory.give_back(100);
  EXPECT_EQ(memory.in_use(), 0u);
}

TEST(BodyBuffer, StorageGrowsWithWhatArrivedNotWithTheDeclaredLength) {
  RequestMemory memory(1 << 30);
  BodyBytes body;
  constexpr std::size_t kDeclared = 50u << 20;
  {
    BodyBuffer buffer(body, memory);
    ASSERT_TRUE(buffer.append("{", kDeclared));
    EXPECT_EQ(body.capacity(), BodyBuffer::kFirstBytes);
    EXPECT_EQ(memory.in_use(), BodyBuffer::kFirstBytes) << "what the storage holds is taken";
    // Reads that fill the storage double it, from the size received.
    for (std::size_t received = 1; received < 100'000;) {
      std::size_t room = 0;
      char* space = buffer.prepare(room, kDeclared);
      ASSERT_NE(space, nullptr);
      ASSERT_GT(room, 0u);
      std::fill(space, space + room, 'x');
      buffer.commit(room);
      received += room;
      EXPECT_LE(body.capacity(), 2 * received) << "never more than twice what arrived";
      EXPECT_EQ(memory.in_use(), body.capacity());
    }
  }
  EXPECT_EQ(memory.in_use(), 0u) << "given back when the body is whole";
  EXPECT_EQ(body.view(), "{" + std::string(body.size() - 1, 'x')) << "the bytes stay with the body";
}

TEST(BodyBuffer, NeverGrowsPastTheLargestSizeTheBodyMayHave) {
  RequestMemory memory(1 << 30);
  BodyBytes body;
  BodyBuffer buffer(body, memory);
  ASSERT_TRUE(buffer.append(std::string(3500, 'a'), 5000));
  std::size_t room = 0;
  ASSERT_NE(buffer.prepare(room, 5000), nullptr);
  EXPECT_EQ(room, 1500u) << "twice what arrived would be 7000";
  EXPECT_EQ(body.capacity(), 5000u);
  EXPECT_EQ(memory.in_use(), 5000u);
}

TEST(BodyBuffer, AGrowthPastTheLimitIsRefusedAndChangesNothing) {
  RequestMemory memory(10'000);
  ASSERT_TRUE(memory.try_take(4'000));  // another body's
  BodyBytes body;
  {
    BodyBuffer buffer(body, memory);
    ASSERT_TRUE(buffer.append(std::string(4000, 'a'), 1 << 20));
    EXPECT_EQ(memory.in_use(), 4'000u + BodyBuffer::kFirstBytes);
    std::size_t room = 0;
    EXPECT_EQ(buffer.prepare(room, 1 << 20), nullptr)
        << "8000 bytes of storage would pass the limit";
    EXPECT_EQ(room, 0u);
    EXPECT_FALSE(buffer.append(std::string(200, 'b'), 1 << 20));
    EXPECT_EQ(body.view(), std::string(4000, 'a'));
    EXPECT_EQ(memory.in_use(), 4'000u + BodyBuffer::kFirstBytes);
  }
  EXPECT_EQ(memory.in_use(), 4'000u);
}

TEST(BodyBytes, KeepsItsBytesFromTheHeapIntoAMappingAndAsTheMappingGrows) {
  RequestMemory memory(1 << 30);
  BodyBytes body;
  BodyBuffer buffer(body, memory);
  std::string expected;
  for (std::size_t step = 0; expected.size() < 4 * BodyBytes::kLargestOnHeap; ++step) {
    const std::string piece(777, static_cast<char>('a' + step % 26));
    ASSERT_TRUE(buffer.append(piece, 1 << 20));
    expected += piece;
  }
  EXPECT_GT(body.capacity(), 2 * BodyBytes::kLargestOnHeap);
  EXPECT_EQ(body.view(), expected);
}

}  // namespace
}  // namespace llmux::server
