#include "cache/redis_store.hpp"

namespace llmux::cache {

namespace {

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

}  // namespace llmux::cache
