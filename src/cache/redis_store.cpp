#include "cache/redis_store.hpp"

namespace llmux::cache {

namespace {

// Keys SCAN is asked for at a time, and UNLINKed together.
constexpr std::string_view kScanBatch = "256";

std::string redis_key(std::string_view key) {
  std::string full(RedisStore::kPrefix);
  full += key;
  return full;
}

// A Redis error reply where a value was expected.
Error reply_error(const redis::Reply& reply) {
  return make_error(ErrorKind::unavailable, "Redis refused a cache command: " + reply.text);
}

Result<redis::Reply> checked(Result<redis::Reply> reply) {
  if (reply && reply->is_error()) return reply_error(*reply);
  return reply;
}

}  // namespace

asio::awaitable<Result<std::vector<std::optional<Entry>>>> RedisStore::get(
    const std::vector<std::string>& keys) {
  std::vector<std::string> arguments{"MGET"};
  for (const std::string& key : keys) arguments.push_back(redis_key(key));
  redis::Command command(arguments);
  auto reply = checked(co_await client_.command(std::move(command)));
  if (!reply) co_return reply.error();
  std::vector<std::optional<Entry>> entries;
  entries.reserve(keys.size());
  for (const redis::Reply& value : reply->elements)
    entries.push_back(value.is_string() ? decode(value.text) : std::nullopt);
  entries.resize(keys.size());
  co_return entries;
}

asio::awaitable<Result<void>> RedisStore::put(std::vector<std::pair<std::string, Entry>> entries,
                                              std::optional<std::int64_t> ttl_ms) {
  std::vector<redis::Command> commands;
  const std::string ttl_text = ttl_ms ? std::to_string(std::max<std::int64_t>(1, *ttl_ms)) : "";
  for (auto& [key, entry] : entries) {
    std::string full = redis_key(key);
    const std::string value = encode(entry);
    if (ttl_ms) {
      commands.emplace_back("SET", full, value, "PX", ttl_text);
    } else {
      commands.emplace_back("SET", full, value);
    }
  }
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return reply_error(reply);
  }
  co_return Result<void>();
}

asio::awaitable<Result<std::int64_t>> RedisStore::erase(const std::vector<std::string>& keys) {
  if (keys.empty()) co_return std::int64_t{0};
  std::vector<std::string> arguments{"DEL"};
  for (const std::string& key : keys) arguments.push_back(redis_key(key));
  redis::Command command(arguments);
  auto reply = checked(co_await client_.command(std::move(command)));
  if (!reply) co_return reply.error();
  co_return reply->integer;
}

asio::awaitable<Result<std::int64_t>> RedisStore::flush() {
  const std::string pattern = std::string(kPrefix) + "*";
  std::string cursor = "0";
  std::int64_t deleted = 0;
  do {
    redis::Command scan("SCAN", cursor, "MATCH", pattern, "COUNT", kScanBatch);
    auto reply = checked(co_await client_.command(std::move(scan)));
    if (!reply) co_return reply.error();
    if (reply->elements.size() != 2 || !reply->elements[0].is_string())
      co_return make_error(ErrorKind::unavailable, "Redis answered SCAN with something else.");
    cursor = reply->elements[0].text;
    const std::vector<redis::Reply>& keys = reply->elements[1].elements;
    if (keys.empty()) continue;
    std::vector<std::string> arguments{"UNLINK"};
    for (const redis::Reply& key : keys) arguments.push_back(key.text);
    redis::Command unlink(arguments);
    auto unlinked = checked(co_await client_.command(std::move(unlink)));
    if (!unlinked) co_return unlinked.error();
    deleted += unlinked->integer;
  } while (cursor != "0");
  co_return deleted;
}

asio::awaitable<Result<std::string>> RedisStore::check() {
  std::vector<redis::Command> commands;
  commands.emplace_back("PING");
  commands.emplace_back("SET", redis_key("llmux-ping"), "ok", "PX", "1");
  commands.emplace_back("INFO", "server");
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return reply_error(reply);
  }
  constexpr std::string_view kVersion = "redis_version:";
  const std::string& info = replies->back().text;
  const std::size_t at = info.find(kVersion);
  if (at == std::string::npos) co_return std::string();
  const std::size_t start = at + kVersion.size();
  co_return info.substr(start, info.find_first_of("\r\n", start) - start);
}

}  // namespace llmux::cache
