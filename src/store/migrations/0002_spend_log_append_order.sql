-- The spend log is written at every request, so each row must be cheap to add. Rows now get an
-- integer id the database assigns (SQLite's rowid; a PostgreSQL identity), so they are appended
-- at the end of the table instead of at a random page of a text key's index; user and team are
-- indexed only where set (most keys have neither or one of them). Rows of version 1 are copied
-- in time order. AUTO_ID is the one word the two engines spell differently (see migrations.cpp).
CREATE TABLE llmux_spend_logs_v2 (
  id AUTO_ID,
  request_id TEXT NOT NULL,
  call_type TEXT NOT NULL,
  api_key TEXT NOT NULL,               -- the key's SHA-256 ('' for the master key)
  spend DOUBLE PRECISION NOT NULL,
  prompt_tokens BIGINT NOT NULL,
  completion_tokens BIGINT NOT NULL,
  total_tokens BIGINT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT NOT NULL,
  completion_start_time BIGINT,
  model TEXT NOT NULL,                 -- the upstream model
  model_group TEXT NOT NULL,
  model_id TEXT NOT NULL,              -- the deployment
  custom_llm_provider TEXT NOT NULL,
  user_id TEXT,
  team_id TEXT,
  end_user TEXT,
  status TEXT NOT NULL,
  cache_hit BIGINT NOT NULL DEFAULT 0,
  request_tags TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  messages TEXT,
  response TEXT
);
INSERT INTO llmux_spend_logs_v2 (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens,
  total_tokens, start_time, end_time, completion_start_time, model, model_group, model_id, custom_llm_provider,
  user_id, team_id, end_user, status, cache_hit, request_tags, metadata, messages, response)
SELECT request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, start_time,
  end_time, completion_start_time, model, model_group, model_id, custom_llm_provider, user_id, team_id, end_user,
  status, cache_hit, request_tags, metadata, messages, response
FROM llmux_spend_logs ORDER BY start_time, id;
DROP TABLE llmux_spend_logs;
ALTER TABLE llmux_spend_logs_v2 RENAME TO llmux_spend_logs;
-- Each filter of /spend/logs with the page order (newest first, id breaks ties): a page is read
-- straight from an index, never sorted, however many rows there are.
CREATE INDEX llmux_spend_logs_time ON llmux_spend_logs (start_time, id);
CREATE INDEX llmux_spend_logs_key ON llmux_spend_logs (api_key, start_time, id);
CREATE INDEX llmux_spend_logs_user ON llmux_spend_logs (user_id, start_time, id) WHERE user_id IS NOT NULL;
CREATE INDEX llmux_spend_logs_team ON llmux_spend_logs (team_id, start_time, id) WHERE team_id IS NOT NULL;
CREATE INDEX llmux_spend_logs_request ON llmux_spend_logs (request_id);
