// Moves a LiteLLM proxy's database into llmux's store: its virtual keys (stored as SHA-256 by
// both, so the keys clients hold keep working), teams, users, end users with their budgets and
// spend, the models it kept in its database (store_model_in_db; their credentials stay encrypted
// as LiteLLM wrote them, which llmux reads with the same key), and optionally its spend log.
// Reads the tables by the names and columns of LiteLLM's Prisma schema
// (LiteLLM_VerificationToken, LiteLLM_TeamTable, LiteLLM_UserTable, LiteLLM_EndUserTable,
// LiteLLM_BudgetTable, LiteLLM_ProxyModelTable, LiteLLM_Daily{User,Team,EndUser,Tag}Spend,
// LiteLLM_SpendLogs); a column an older LiteLLM did not have reads as empty. Idempotent: a record
// llmux already has is left as it is.
#pragma once

#include "store/database.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace llmux::store {

struct LitellmImportOptions {
  bool spend_logs = false;  // also copy LiteLLM_SpendLogs rows
};

struct ImportCount {
  std::int64_t imported = 0;
  std::int64_t already_present = 0;  // llmux had it (an earlier import, or made in llmux)
  std::int64_t skipped = 0;          // could not be imported; `notes` says why
};

struct LitellmImportSummary {
  // daily_spend: rows of llmux's daily tables (user, team, end user, tag) from LiteLLM's.
  ImportCount keys, teams, users, end_users, models, daily_spend, spend_logs;
  // What was changed or left out on the way, one line each; never a key or other secret.
  std::vector<std::string> notes;
};

// `litellm` is LiteLLM's PostgreSQL database; `llmux` the destination. Everything is written in
// one transaction: a failure (DatabaseError) leaves the destination as it was.
LitellmImportSummary import_litellm(Database& litellm, Store& llmux,
                                    const LitellmImportOptions& options);

// The summary as the command prints it: a line per record type, then the notes.
std::string summary_text(const LitellmImportSummary& summary);

}  // namespace llmux::store
