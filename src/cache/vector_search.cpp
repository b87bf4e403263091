#include "cache/vector_search.hpp"

#include "cache/semantic_store.hpp"
#include "telemetry/log.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <utility>
#include <vector>

namespace llmux::cache {

namespace {

Error refused(const redis::Reply& reply) {
  return make_error(ErrorKind::unavailable,
                    "Redis refused a semantic cache command: " + reply.text);
}

Error malformed(std::string_view what) {
  return make_error(ErrorKind::unavailable,
                    "Redis's vector search answered in an unexpected shape: " + std::string(what));
}

std::string key_prefix(std::string_view index_name) { return std::string(index_name) + ":"; }

}  // namespace

namespace vector_search {

redis::Command probe_command() { return redis::Command("COMMAND", "INFO", "FT.SEARCH"); }

bool search_known(const redis::Reply& command_info) {
  return command_info.type == redis::Reply::Type::array && command_info.elements.size() == 1 &&
         command_info.elements.front().type == redis::Reply::Type::array;
}

redis::Command create_index_command(std::string_view index_name, std::size_t dimensions) {
  // HNSW, as the instances' own index (SemanticIndex) when Redis has none.
  return redis::Command("FT.CREATE", index_name, "ON", "HASH", "PREFIX", "1",
                        key_prefix(index_name), "SCHEMA", "scope", "TAG", "vector", "VECTOR",
                        "HNSW", "6", "TYPE", "FLOAT32", "DIM", std::to_string(dimensions),
                        "DISTANCE_METRIC", "COSINE");
}

std::string scope_tag(std::string_view scope) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag;
  tag.reserve(scope.size() * 2);
  for (const char c : scope) {
    const auto byte = static_cast<unsigned char>(c);
    tag.push_back(kHex[byte >> 4]);
    tag.push_back(kHex[byte & 0xf]);
  }
  return tag;
}

redis::Command search_command(std::string_view index_name, std::string_view scope,
                              std::span<const float> vector) {
  const std::string query =
      "@scope:{" + scope_tag(scope) + "}=>[KNN 1 @vector $vector AS distance]";
  return redis::Command("FT.SEARCH", index_name, query, "PARAMS", "2", "vector",
                        vector_bytes(vector), "SORTBY", "distance", "RETURN", "2", "distance",
                        "entry", "LIMIT", "0", "1", "DIALECT", "2");
}

Result<std::optional<SemanticMatch>> match_from_reply(const redis::Reply& reply) {
  if (reply.is_error()) return refused(reply);
  if (reply.type != redis::Reply::Type::array || reply.elements.empty() ||
      reply.elements[0].type != redis::Reply::Type::integer) {
    return malformed("FT.SEARCH's reply is not [total, …]");
  }
  if (reply.elements[0].integer == 0 || reply.elements.size() < 3) {
    return std::optional<SemanticMatch>();
  }
  std::optional<double> distance;
  std::optional<Entry> entry;
  const std::vector<redis::Reply>& fields = reply.elements[2].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].text;
    const std::string& value = fields[i + 1].text;
    if (name == "distance") {
      double parsed = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (error == std::errc() && end == value.data() + value.size()) distance = parsed;
    } else if (name == "entry") {
      entry = decode(value);
    }
  }
  if (!distance) return malformed("no distance");
  if (!entry) return malformed("no entry of llmux's");
  // Redis's cosine distance is 1 - the cosine similarity.
  return std::optional<SemanticMatch>(SemanticMatch{
      .entry = std::make_shared<const Entry>(std::move(*entry)), .similarity = 1 - *distance});
}

std::int64_t documents_in(const redis::Reply& info) {
  for (std::size_t i = 0; i + 1 < info.elements.size(); i += 2) {
    if (info.elements[i].text != "num_docs") continue;
    const redis::Reply& value = info.elements[i + 1];
    if (value.type == redis::Reply::Type::integer) return value.integer;
    double documents = 0;  // a bulk string, "3" (some versions write "3.0")
    std::from_chars(value.text.data(), value.text.data() + value.text.size(), documents);
    return static_cast<std::int64_t>(documents);
  }
  return 0;
}

}  // namespace vector_search

asio::awaitable<Result<bool>> VectorSearch::available() {
  if (available_) co_return *available_;
  auto reply = co_await client_.command(vector_search::probe_command());
  if (!reply) co_return reply.error();
  // A Redis that refuses COMMAND INFO (an ACL) is taken as one without the module: the instances
  // then index the entries themselves, which works on any Redis.
  available_ = vector_search::search_known(*reply);
  telemetry::log_now("info", *available_
                                 ? "semantic cache: Redis has vector search; entries are indexed "
                                   "there (index " +
                                       index_name_ + ")"
                                 : "semantic cache: Redis has no vector search; each instance "
                                   "indexes the entries");
  co_return *available_;
}

asio::awaitable<Result<void>> VectorSearch::ensure_index(std::size_t dimensions) {
  if (index_dimensions_ == dimensions) co_return Result<void>();
  auto reply =
      co_await client_.command(vector_search::create_index_command(index_name_, dimensions));
  if (!reply) co_return reply.error();
  // "Index already exists": another worker or instance made it (for the same embedding model).
  if (reply->is_error() && reply->text.find("already exists") == std::string::npos) {
    co_return refused(*reply);
  }
  index_dimensions_ = dimensions;
  co_return Result<void>();
}

asio::awaitable<Result<std::optional<SemanticMatch>>> VectorSearch::nearest(
    std::string_view scope, std::span<const float> vector) {
  Result<redis::Reply> reply = make_error(ErrorKind::unavailable, "not searched");
  // Twice at most: an index dropped since (another instance's /cache/flushall) is made again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (auto made = co_await ensure_index(vector.size()); !made) co_return made.error();
    reply = co_await client_.command(vector_search::search_command(index_name_, scope, vector));
    if (!reply) co_return reply.error();
    if (!reply->is_error()) break;
    index_dimensions_ = 0;
  }
  co_return vector_search::match_from_reply(*reply);
}

asio::awaitable<Result<void>> VectorSearch::add(std::string_view key, std::string_view scope,
                                                std::span<const float> vector, const Entry& entry,
                                                std::optional<std::int64_t> ttl_ms) {
  if (auto made = co_await ensure_index(vector.size()); !made) co_return made.error();
  const std::string full_key = key_prefix(index_name_) + std::string(key);
  std::vector<redis::Command> commands;
  commands.emplace_back("HSET", full_key, "scope", vector_search::scope_tag(scope), "vector",
                        vector_bytes(vector), "entry", encode(entry));
  // The same request stored again replaces its entry, and its lifetime with it.
  if (ttl_ms) {
    commands.emplace_back("PEXPIRE", full_key, std::to_string(std::max<std::int64_t>(*ttl_ms, 1)));
  } else {
    commands.emplace_back("PERSIST", full_key);
  }
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return refused(reply);
  }
  co_return Result<void>();
}

asio::awaitable<Result<std::int64_t>> VectorSearch::flush() {
  std::vector<redis::Command> commands;
  commands.emplace_back("FT.INFO", index_name_);
  commands.emplace_back("FT.DROPINDEX", index_name_, "DD");  // DD: its hashes too
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  index_dimensions_ = 0;
  // Both refused: there was no index (nothing stored since it was made or dropped).
  if ((*replies)[0].is_error()) co_return std::int64_t{0};
  if ((*replies)[1].is_error()) co_return refused((*replies)[1]);
  co_return vector_search::documents_in((*replies)[0]);
}

}  // namespace llmux::cache
