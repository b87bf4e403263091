#include "cache/semantic_feed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace llmux::cache {

namespace {

// Records read from the stream in one XRANGE.
constexpr std::size_t kPage = 256;

}  // namespace

SemanticFeed::SemanticFeed(asio::io_context& io, const redis::Options& options,
                           redis::Client& reader, SemanticIndex& index, std::size_t max_entries)
    : io_(io),
      store_(reader, max_entries),
      index_(index),
      retry_(io),
      retry_min_(options.backoff_min),
      retry_max_(options.backoff_max),
      subscriber_(io, options,
                  redis::Subscription{
                      .channels = {std::string(SemanticStore::kChannel)},
                      .on_message = [this](const redis::Message& message) { heard(message); },
                      .on_subscribed = [this] { read_new(); }}) {}

void SemanticFeed::heard(const redis::Message& message) {
  if (message.payload == SemanticStore::kFlushed) {
    index_.clear();
    last_id_.clear();
    ++flushes_;
  }
  read_new();
}

void SemanticFeed::read_new() {
  if (reading_) {
    read_again_ = true;
    return;
  }
  reading_ = true;
  asio::co_spawn(io_, read_until_current(), asio::detached);
}

asio::awaitable<void> SemanticFeed::read_until_current() {
  std::chrono::milliseconds retry_after = retry_min_;
  do {
    read_again_ = false;
    while (true) {
      const std::uint64_t flushes = flushes_;
      auto records = co_await store_.read_after(last_id_, kPage);
      if (!records) {
        // Nothing may announce the records missed meanwhile again: read again from here.
        retry_.expires_after(retry_after);
        retry_after = std::min(retry_after * 2, retry_max_);
        const auto [stopped] = co_await retry_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (stopped) co_return;  // the feed is going away
        continue;
      }
      retry_after = retry_min_;
      if (flushes != flushes_) continue;  // read before a flush: read again from its start
      for (SemanticRecord& record : *records) {
        last_id_ = record.id;
        index_.add(std::move(record.id), std::move(record.scope), record.vector,
                   std::move(record.entry), record.expires_at_ms);
      }
      if (records->size() < kPage) break;
    }
  } while (read_again_);
  reading_ = false;
}

}  // namespace llmux::cache
