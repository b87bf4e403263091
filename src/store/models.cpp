#include "store/store.hpp"

namespace llmux::store {

namespace {

constexpr std::string_view kModelColumns =
    "model_id, model_name, litellm_params, model_info, created_at, updated_at";

ModelRecord model_from(const Row& row) {
  return ModelRecord{.model_id = row.text(0),
                     .model_name = row.text(1),
                     .litellm_params = row.text(2),
                     .model_info = row.text(3),
                     .created_at = row.integer(4),
                     .updated_at = row.integer(5)};
}

}  // namespace

std::vector<ModelRecord> Store::all_models() {
  std::vector<ModelRecord> models;
  for (const Row& row : database_->query("SELECT " + std::string(kModelColumns) +
                                         " FROM llmux_models ORDER BY created_at, model_id")) {
    models.push_back(model_from(row));
  }
  return models;
}

std::optional<ModelRecord> Store::find_model(const std::string& model_id) {
  const auto rows = database_->query(
      "SELECT " + std::string(kModelColumns) + " FROM llmux_models WHERE model_id = ?", {model_id});
  if (rows.empty()) return std::nullopt;
  return model_from(rows.front());
}

void Store::insert_model(const ModelRecord& model) {
  database_->query(
      "INSERT INTO llmux_models (" + std::string(kModelColumns) + ") VALUES (?, ?, ?, ?, ?, ?)",
      {model.model_id, model.model_name, model.litellm_params, model.model_info, model.created_at,
       model.updated_at});
}

bool Store::update_model(const ModelRecord& model) {
  database_->query(
      "UPDATE llmux_models SET model_name = ?, litellm_params = ?, model_info = ?, updated_at = ? "
      "WHERE model_id = ?",
      {model.model_name, model.litellm_params, model.model_info, model.updated_at, model.model_id});
  return database_->changed_rows() > 0;
}

bool Store::delete_model(const std::string& model_id) {
  database_->query("DELETE FROM llmux_models WHERE model_id = ?", {model_id});
  return database_->changed_rows() > 0;
}

}  // namespace llmux::store
