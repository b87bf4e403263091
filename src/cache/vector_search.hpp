// The semantic cache on a Redis that has vector search (the search module: Redis Stack, Redis 8),
// as LiteLLM's redis-semantic uses it (docs/CACHING.md). Redis indexes the entries itself: each
// is a hash under "<index>:" holding its scope (a TAG), its vector (a VECTOR field, float32 bytes,
// cosine distance) and the entry (`encode`); a lookup is one FT.SEARCH for the nearest vector
// among the entries of the request's scope (a KNN 1 query filtered by the tag). A Redis without
// the module keeps the entries in a stream that each instance indexes (SemanticStore,
// SemanticFeed): which of the two a worker uses is asked once (`available`).
//
// The index is made by the first lookup or store that needs it, with the dimension of that
// vector (FT.CREATE ... DIM n); an index that exists already is used as it is.
#pragma once

#include "cache/entry.hpp"
#include "cache/semantic_index.hpp"
#include "redis/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace llmux::cache {

namespace asio = boost::asio;

class VectorSearch {
 public:
  // `index_name`: cache_params.redis_semantic_cache_index_name.
  VectorSearch(redis::Client& client, std::string index_name)
      : client_(client), index_name_(std::move(index_name)) {}

  // Whether Redis has vector search (COMMAND INFO FT.SEARCH), asked once and remembered; an
  // error while Redis does not answer (asked again next time).
  asio::awaitable<Result<bool>> available();
  // The entry of `scope` nearest to `vector` and its cosine similarity; nullopt when the scope
  // has none.
  asio::awaitable<Result<std::optional<SemanticMatch>>> nearest(std::string_view scope,
                                                                std::span<const float> vector);
  // Stores the entry under "<index>:<key>", living `ttl_ms` when given (else until deleted).
  asio::awaitable<Result<void>> add(std::string_view key, std::string_view scope,
                                    std::span<const float> vector, const Entry& entry,
                                    std::optional<std::int64_t> ttl_ms);
  // Drops the index and its entries; how many entries it had.
  asio::awaitable<Result<std::int64_t>> flush();

 private:
  asio::awaitable<Result<void>> ensure_index(std::size_t dimensions);

  redis::Client& client_;
  const std::string index_name_;
  std::optional<bool> available_;
  std::size_t index_dimensions_ = 0;  // 0: not made (or not known to exist) yet
};

// The commands and replies above, as Redis's search module reads and writes them (pure: the
// unit tests check them against its documented shapes).
namespace vector_search {

redis::Command probe_command();
// True when COMMAND INFO knows FT.SEARCH (an array for it, not a null).
bool search_known(const redis::Reply& command_info);
redis::Command create_index_command(std::string_view index_name, std::size_t dimensions);
// The TAG value an entry's scope is stored and looked up as: its bytes in hex, so no character
// needs escaping in a query, none is a tag separator, and case matters.
std::string scope_tag(std::string_view scope);
redis::Command search_command(std::string_view index_name, std::string_view scope,
                              std::span<const float> vector);
// FT.SEARCH's reply in RESP2: [total, key, [field, value, …]]; nullopt when it found nothing,
// an error for another shape or an entry that is not ours.
Result<std::optional<SemanticMatch>> match_from_reply(const redis::Reply& reply);
// FT.INFO's num_docs (a flat array of names and values).
std::int64_t documents_in(const redis::Reply& info);

}  // namespace vector_search

}  // namespace llmux::cache
