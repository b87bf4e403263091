#include "cache/semantic_feed.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

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
  do {
    read_again_ = false;
    while (true) {
      // Redis away: the next subscription reads from here.
      const std::uint64_t flushes = flushes_;
      auto records = co_await store_.read_after(last_id_, kPage);
      if (!records) break;
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
