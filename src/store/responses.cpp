#include "store/store.hpp"

namespace llmux::store {

void Store::save_response(const StoredResponse& response, Millis now) {
  in_transaction(*database_, [&] {
    database_->query("DELETE FROM llmux_responses WHERE expires_at <= ?", {now});
    database_->query(
        "INSERT INTO llmux_responses (response_id, api_key, created_at, expires_at, input_items, "
        "response) VALUES (?, ?, ?, ?, ?, ?)",
        {response.response_id, response.api_key, response.created_at, response.expires_at,
         response.input_items, response.response});
  });
}

std::optional<StoredResponse> Store::find_response(const std::string& response_id,
                                                   const std::string& api_key, Millis now) {
  const auto rows = database_->query(
      "SELECT created_at, expires_at, input_items, response FROM llmux_responses WHERE "
      "response_id = ? AND api_key = ? AND expires_at > ?",
      {response_id, api_key, now});
  if (rows.empty()) return std::nullopt;
  const Row& row = rows.front();
  return StoredResponse{.response_id = response_id,
                        .api_key = api_key,
                        .created_at = row.integer(0),
                        .expires_at = row.integer(1),
                        .input_items = row.text(2),
                        .response = row.text(3)};
}

bool Store::delete_response(const std::string& response_id, const std::string& api_key) {
  database_->query("DELETE FROM llmux_responses WHERE response_id = ? AND api_key = ?",
                   {response_id, api_key});
  return database_->changed_rows() > 0;
}

}  // namespace llmux::store
