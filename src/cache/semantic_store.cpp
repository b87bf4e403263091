#include "cache/semantic_store.hpp"

#include <bit>
#include <charconv>

namespace llmux::cache {

namespace {

Error reply_error(const redis::Reply& reply) {
  return make_error(ErrorKind::unavailable,
                    "Redis refused a semantic cache command: " + reply.text);
}

std::int64_t parse_millis(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// One XRANGE element: [id, [field, value, field, value, …]].
std::optional<SemanticRecord> record_from(const redis::Reply& item) {
  if (item.elements.size() != 2 || !item.elements[0].is_string()) return std::nullopt;
  SemanticRecord record{.id = item.elements[0].text};
  const std::vector<redis::Reply>& fields = item.elements[1].elements;
  bool has_vector = false;
  bool has_entry = false;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].text;
    const std::string& value = fields[i + 1].text;
    if (name == "scope") {
      record.scope = value;
    } else if (name == "vector") {
      auto vector = vector_from_bytes(value);
      if (!vector) return std::nullopt;
      record.vector = std::move(*vector);
      has_vector = true;
    } else if (name == "expires") {
      record.expires_at_ms = parse_millis(value);
    } else if (name == "entry") {
      auto entry = decode(value);
      if (!entry) return std::nullopt;
      record.entry = std::move(*entry);
      has_entry = true;
    }
  }
  if (!has_vector || !has_entry) return std::nullopt;
  return record;
}

}  // namespace

std::string vector_bytes(std::span<const float> vector) {
  std::string bytes;
  bytes.reserve(vector.size() * 4);
  for (const float x : vector) {
    const auto bits = std::bit_cast<std::uint32_t>(x);
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>(bits >> shift));
  }
  return bytes;
}

std::optional<std::vector<float>> vector_from_bytes(std::string_view bytes) {
  if (bytes.size() % 4 != 0) return std::nullopt;
  std::vector<float> vector(bytes.size() / 4);
  for (std::size_t i = 0; i < vector.size(); ++i) {
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b)
      bits |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i * 4 + b])) << (8 * b);
    vector[i] = std::bit_cast<float>(bits);
  }
  return vector;
}

asio::awaitable<Result<std::string>> SemanticStore::append(const SemanticRecord& record) {
  std::vector<redis::Command> commands;
  commands.emplace_back("XADD", kStream, "MAXLEN", std::to_string(max_entries_), "*", "scope",
                        record.scope, "vector", vector_bytes(record.vector), "expires",
                        std::to_string(record.expires_at_ms), "entry", encode(record.entry));
  commands.emplace_back("PUBLISH", kChannel, kAdded);
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return reply_error(reply);
  }
  co_return replies->front().text;
}

asio::awaitable<Result<std::vector<SemanticRecord>>> SemanticStore::read_after(
    std::string_view last_id, std::size_t count) {
  // "(" makes the start exclusive (Redis 6.2 and later).
  const std::string start = last_id.empty() ? "-" : "(" + std::string(last_id);
  redis::Command command("XRANGE", kStream, start, "+", "COUNT", std::to_string(count));
  auto reply = co_await client_.command(std::move(command));
  if (!reply) co_return reply.error();
  if (reply->is_error()) co_return reply_error(*reply);
  std::vector<SemanticRecord> records;
  for (const redis::Reply& item : reply->elements) {
    if (auto record = record_from(item)) {
      records.push_back(std::move(*record));
    } else if (!item.elements.empty()) {
      // Not ours, but it moves the reader on.
      records.push_back(SemanticRecord{.id = item.elements[0].text});
    }
  }
  co_return records;
}

asio::awaitable<Result<std::int64_t>> SemanticStore::flush() {
  std::vector<redis::Command> commands;
  commands.emplace_back("XLEN", kStream);
  commands.emplace_back("UNLINK", kStream);
  commands.emplace_back("PUBLISH", kChannel, kFlushed);
  auto replies = co_await client_.batch(std::move(commands));
  if (!replies) co_return replies.error();
  for (const redis::Reply& reply : *replies) {
    if (reply.is_error()) co_return reply_error(reply);
  }
  co_return replies->front().integer;
}

}  // namespace llmux::cache
