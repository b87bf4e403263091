// How an instance learns the semantic cache entries other instances stored (docs/CACHING.md):
// it reads the stream of entries (SemanticStore) from its start when it subscribes to the
// cache's channel, and again from the last record it read whenever the channel says a record was
// added, adding each to the process's SemanticIndex. Messages published while the subscription is
// down are lost, so every (re)subscription reads again from the last record. A read that fails
// (Redis away, or the reader's client still waiting out its reconnect backoff when the
// subscription is back already) is tried again after a backoff of its own until one succeeds:
// an announcement heard or a subscription renewed while the reader could not read is not lost.
// "flushed" on the channel (another instance's /cache/flushall) clears the index.
#pragma once

#include "cache/semantic_index.hpp"
#include "cache/semantic_store.hpp"
#include "redis/subscriber.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace llmux::cache {

class SemanticFeed {
 public:
  // Runs on `io`, reading with `reader` (a client on the same io_context); a failed read is tried
  // again after options.backoff_min, doubling up to options.backoff_max.
  SemanticFeed(asio::io_context& io, const redis::Options& options, redis::Client& reader,
               SemanticIndex& index, std::size_t max_entries);

 private:
  void heard(const redis::Message& message);
  void read_new();
  asio::awaitable<void> read_until_current();

  asio::io_context& io_;
  SemanticStore store_;
  SemanticIndex& index_;
  std::string last_id_;  // the last record read
  bool reading_ = false;
  bool read_again_ = false;    // a record was announced while reading
  std::uint64_t flushes_ = 0;  // "flushed" messages heard
  asio::steady_timer retry_;   // after a failed read, the next one
  const std::chrono::milliseconds retry_min_;
  const std::chrono::milliseconds retry_max_;
  redis::Subscriber subscriber_;  // last: its callbacks use the members above
};

}  // namespace llmux::cache
