// The semantic cache's entries on Redis (`type: redis-semantic`, docs/CACHING.md), over one
// worker's client. Redis here needs no vector search: it keeps the entries, each instance indexes
// them in its own SemanticIndex.
//
// Every entry is a record of one stream, "llmux:cache:semantic" (under the cache's prefix, so
// /cache/flushall of an exact cache would take it too): its scope, its vector (float32 bytes),
// its expiry (Unix ms, 0 for none) and the entry (`encode`). A record is appended with XADD,
// trimmed to max_entries (MAXLEN: the oldest go), and announced with PUBLISH on kChannel in the
// same write, so every instance's SemanticFeed reads what it has not seen.
#pragma once

#include "cache/entry.hpp"
#include "redis/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::cache {

namespace asio = boost::asio;

struct SemanticRecord {
  std::string id;  // the stream's id, given by Redis when appended
  std::string scope;
  std::vector<float> vector;
  Entry entry;
  std::int64_t expires_at_ms = 0;  // 0: no expiry
};

class SemanticStore {
 public:
  static constexpr std::string_view kStream = "llmux:cache:semantic";
  static constexpr std::string_view kChannel = "llmux:cache:semantic:changed";
  // What kChannel carries: a record was appended, or the stream was deleted.
  static constexpr std::string_view kAdded = "added";
  static constexpr std::string_view kFlushed = "flushed";

  SemanticStore(redis::Client& client, std::size_t max_entries)
      : client_(client), max_entries_(max_entries) {}

  // Appends the record and announces it; the id Redis gave it.
  asio::awaitable<Result<std::string>> append(const SemanticRecord& record);
  // Up to `count` records after `last_id` ("" reads from the first), oldest first. A record that
  // is not one of ours (other fields) comes with its id alone, so that the reader moves past it.
  asio::awaitable<Result<std::vector<SemanticRecord>>> read_after(std::string_view last_id,
                                                                  std::size_t count);
  // Deletes the stream and announces it; how many records it had.
  asio::awaitable<Result<std::int64_t>> flush();

 private:
  redis::Client& client_;
  std::size_t max_entries_;
};

// A vector as the bytes a record holds (IEEE float32, little-endian) and back; nullopt for a
// length that is not whole floats.
std::string vector_bytes(std::span<const float> vector);
std::optional<std::vector<float>> vector_from_bytes(std::string_view bytes);

}  // namespace llmux::cache
