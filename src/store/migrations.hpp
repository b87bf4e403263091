// The schema's versioned migrations (src/store/migrations/NNNN_*.sql, embedded at build time)
// and the step that brings a database up to date at startup.
#pragma once

#include "store/database.hpp"

#include <vector>

namespace llmux::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

extern const std::vector<Migration> kMigrations;

// Applies, each in its own transaction, the migrations newer than the database's version;
// returns how many ran. Throws DatabaseError.
int migrate(Database& database);

}  // namespace llmux::store
