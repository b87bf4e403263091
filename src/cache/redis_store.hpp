// The response cache on Redis (`type: redis` and `redis-semantic`), over one worker's client:
// every instance on the same Redis reads what any of them stored. An entry lives under
// "llmux:cache:<cache key>" (the prefix keeps the cache's keys apart from other state on the same
// Redis, so /cache/flushall deletes only them), with Redis's own expiry. Failures are values: the
// caller goes upstream when Redis is away.
#pragma once

#include "cache/entry.hpp"
#include "redis/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmux::cache {

namespace asio = boost::asio;

class RedisStore {
 public:
  static constexpr std::string_view kPrefix = "llmux:cache:";

  explicit RedisStore(redis::Client& client) : client_(client) {}

  // The entries under `keys`, in order (nullopt: none, or not an entry of ours). One MGET.
  asio::awaitable<Result<std::vector<std::optional<Entry>>>> get(
      const std::vector<std::string>& keys);
  // Stores entries (one write): each until `ttl_ms` from now (nullopt: no expiry).
  asio::awaitable<Result<void>> put(std::vector<std::pair<std::string, Entry>> entries,
                                    std::optional<std::int64_t> ttl_ms);
  // Deletes the entries under `keys` (one DEL); how many there were.
  asio::awaitable<Result<std::int64_t>> erase(const std::vector<std::string>& keys);
  // Deletes every entry of the cache, and nothing else on that Redis: SCAN for the prefix, UNLINK
  // in batches. How many there were.
  asio::awaitable<Result<std::int64_t>> flush();
  // Redis answers PING and takes a write (a probe entry that expires at once); its version, as
  // INFO server states it ("" when it does not).
  asio::awaitable<Result<std::string>> check();
  // CLIENT LIST and INFO, as Redis writes them (one write).
  struct ServerReport {
    std::string clients;
    std::string info;
  };
  asio::awaitable<Result<ServerReport>> report();
  const redis::Options& options() const { return client_.options(); }

 private:
  redis::Client& client_;
};

// CLIENT LIST's lines as objects ("id=3 addr=… name=…": each field a string), as redis-py's
// client_list() gives them.
boost::json::array parse_client_list(std::string_view text);
// INFO's "field:value" lines as one object (its "# Section" lines left out), as redis-py's info()
// gives it: a whole number or a decimal one as a number, "k=v,k=v" (db0, cmdstat_…) as an object,
// anything else as a string.
boost::json::object parse_info(std::string_view text);

}  // namespace llmux::cache
