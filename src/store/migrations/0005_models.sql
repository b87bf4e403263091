-- Models added through the API (POST /model/new, general_settings.store_model_in_db): served
-- beside the config's model_list by every instance on this database. litellm_params and
-- model_info are JSON objects as the client sent them (model_info.id is model_id).
CREATE TABLE llmux_models (
  model_id TEXT PRIMARY KEY,
  model_name TEXT NOT NULL,
  litellm_params TEXT NOT NULL,
  model_info TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
