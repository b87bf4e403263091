#include "store/store.hpp"
#include "support.hpp"

#include <gtest/gtest.h>

namespace llmux::store {
namespace {

StoredResponse response_of(const std::string& id, const std::string& api_key, Millis expires_at) {
  return {.response_id = id,
          .api_key = api_key,
          .created_at = 1000,
          .expires_at = expires_at,
          .input_items = R"([{"type":"message","role":"user","content":"hi"}])",
          .response = R"({"id":")" + id + R"(","object":"response"})"};
}

TEST_F(StoreTest, StoredResponseIsReadAndDeletedOnlyByItsOwner) {
  Store store(open_sqlite(path()));
  store.save_response(response_of("resp_a", "owner", 5000), 1000);

  const auto found = store.find_response("resp_a", "owner", 2000);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->response, R"({"id":"resp_a","object":"response"})");
  EXPECT_EQ(found->input_items, R"([{"type":"message","role":"user","content":"hi"}])");
  EXPECT_EQ(found->expires_at, 5000);

  EXPECT_FALSE(store.find_response("resp_a", "other", 2000));
  EXPECT_FALSE(store.find_response("resp_a", "", 2000));  // the master key is an owner too
  EXPECT_FALSE(store.delete_response("resp_a", "other"));
  EXPECT_TRUE(store.find_response("resp_a", "owner", 2000));

  EXPECT_TRUE(store.delete_response("resp_a", "owner"));
  EXPECT_FALSE(store.find_response("resp_a", "owner", 2000));
  EXPECT_FALSE(store.delete_response("resp_a", "owner"));
}

TEST_F(StoreTest, ExpiredResponsesAreNotFoundAndGoWithTheNextSave) {
  Store store(open_sqlite(path()));
  store.save_response(response_of("resp_old", "owner", 5000), 1000);
  EXPECT_FALSE(store.find_response("resp_old", "owner", 5000));

  store.save_response(response_of("resp_new", "owner", 9000), 5000);
  const auto rows = store.database().query("SELECT response_id FROM llmux_responses");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.front().text(0), "resp_new");
}

}  // namespace
}  // namespace llmux::store
