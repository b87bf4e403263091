#include "store/migrations.hpp"

#include <chrono>

namespace llmux::store {

int migrate(Database& database) {
  database.execute_script(
      "CREATE TABLE IF NOT EXISTS llmux_schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at BIGINT NOT NULL)");
  const auto rows = database.query("SELECT COALESCE(MAX(version), 0) FROM llmux_schema_migrations");
  const std::int64_t current = rows.empty() ? 0 : rows.front().integer(0);
  int applied = 0;
  for (const Migration& migration : kMigrations) {
    if (migration.version <= current) continue;
    in_transaction(database, [&] {
      database.execute_script(migration.sql);
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      database.query("INSERT INTO llmux_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                     {std::int64_t{migration.version}, std::string(migration.name), std::int64_t{now}});
    });
    ++applied;
  }
  return applied;
}

}  // namespace llmux::store
