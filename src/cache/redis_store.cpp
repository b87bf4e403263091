#include "cache/redis_store.hpp"

#include <charconv>

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

asio::awaitable<Result<RedisStore::ServerReport>> RedisStore::report() {
  std::vector<redis::Command> commands;
  commands.emplace_back("CLIENT", "LIST");
  commands.emplace_back("INFO");
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return reply_error(reply);
  }
  co_return ServerReport{.clients = std::move((*replies)[0].text),
                         .info = std::move((*replies)[1].text)};
}

namespace {

// Lines of Redis's text answers, without their CR.
template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) visit(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

// A value of INFO as redis-py reads it: a whole number, a decimal number, or the text.
boost::json::value info_value(std::string_view text) {
  std::int64_t whole = 0;
  const char* end = text.data() + text.size();
  if (auto [at, ec] = std::from_chars(text.data(), end, whole); ec == std::errc() && at == end)
    return whole;
  double decimal = 0;
  if (auto [at, ec] = std::from_chars(text.data(), end, decimal); ec == std::errc() && at == end)
    return decimal;
  return boost::json::string(text);
}

}  // namespace

boost::json::array parse_client_list(std::string_view text) {
  boost::json::array clients;
  for_each_line(text, [&](std::string_view line) {
    boost::json::object client;
    while (!line.empty()) {
      const std::size_t space = line.find(' ');
      const std::string_view field = line.substr(0, space);
      const std::size_t equals = field.find('=');
      if (equals != std::string_view::npos)
        client[field.substr(0, equals)] = field.substr(equals + 1);
      if (space == std::string_view::npos) break;
      line.remove_prefix(space + 1);
    }
    clients.push_back(std::move(client));
  });
  return clients;
}

boost::json::object parse_info(std::string_view text) {
  boost::json::object info;
  for_each_line(text, [&](std::string_view line) {
    if (line.front() == '#') return;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view value = line.substr(colon + 1);
    // "keys=1,expires=0" (a database, a command's stats): an object, when every part is k=v.
    if (value.find('=') != std::string_view::npos) {
      boost::json::object parts;
      bool all_pairs = true;
      std::string_view rest = value;
      while (!rest.empty() && all_pairs) {
        const std::size_t comma = rest.find(',');
        const std::string_view part = rest.substr(0, comma);
        const std::size_t equals = part.find('=');
        all_pairs = equals != std::string_view::npos;
        if (all_pairs) parts[part.substr(0, equals)] = info_value(part.substr(equals + 1));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      if (all_pairs) {
        info[line.substr(0, colon)] = std::move(parts);
        return;
      }
    }
    info[line.substr(0, colon)] = info_value(value);
  });
  return info;
}

}  // namespace llmux::cache
