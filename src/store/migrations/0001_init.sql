-- Keys, users, teams, end users, tags and the spend log. Written once for both engines:
-- TEXT, BIGINT and DOUBLE PRECISION mean the same in SQLite and PostgreSQL; booleans are 0/1;
-- times are Unix milliseconds; lists and maps are JSON text. Column names follow LiteLLM's.

CREATE TABLE llmux_keys (
  token TEXT PRIMARY KEY,              -- SHA-256 of the key, hex (the key itself is never stored)
  key_name TEXT NOT NULL,              -- "sk-...abcd": enough to recognise a key, not to use it
  key_alias TEXT,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_budget DOUBLE PRECISION,
  soft_budget DOUBLE PRECISION,
  budget_duration TEXT,
  budget_reset_at BIGINT,
  expires BIGINT,
  models TEXT NOT NULL DEFAULT '[]',
  aliases TEXT NOT NULL DEFAULT '{}',
  metadata TEXT NOT NULL DEFAULT '{}',
  model_max_budget TEXT NOT NULL DEFAULT '{}',
  model_spend TEXT NOT NULL DEFAULT '{}',
  tags TEXT NOT NULL DEFAULT '[]',
  tpm_limit BIGINT,
  rpm_limit BIGINT,
  max_parallel_requests BIGINT,
  user_id TEXT,
  team_id TEXT,
  blocked BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX llmux_keys_alias ON llmux_keys (key_alias);
CREATE INDEX llmux_keys_user ON llmux_keys (user_id);
CREATE INDEX llmux_keys_team ON llmux_keys (team_id);

CREATE TABLE llmux_users (
  user_id TEXT PRIMARY KEY,
  user_email TEXT,
  user_role TEXT NOT NULL DEFAULT 'internal_user',
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_budget DOUBLE PRECISION,
  budget_duration TEXT,
  budget_reset_at BIGINT,
  models TEXT NOT NULL DEFAULT '[]',
  tpm_limit BIGINT,
  rpm_limit BIGINT,
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE llmux_teams (
  team_id TEXT PRIMARY KEY,
  team_alias TEXT,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_budget DOUBLE PRECISION,
  budget_duration TEXT,
  budget_reset_at BIGINT,
  models TEXT NOT NULL DEFAULT '[]',
  tpm_limit BIGINT,
  rpm_limit BIGINT,
  max_parallel_requests BIGINT,
  members_with_roles TEXT NOT NULL DEFAULT '[]',
  metadata TEXT NOT NULL DEFAULT '{}',
  blocked BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE llmux_end_users (
  user_id TEXT PRIMARY KEY,
  alias TEXT,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  max_budget DOUBLE PRECISION,
  budget_duration TEXT,
  budget_reset_at BIGINT,
  blocked BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);

CREATE TABLE llmux_tags (
  tag TEXT PRIMARY KEY,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0
);

CREATE TABLE llmux_spend_logs (
  id TEXT PRIMARY KEY,                 -- ours, unique even when a client reuses x-request-id
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
-- Each filter of /spend/logs with the page order (newest first, id breaks ties): a page is read
-- straight from an index, never sorted, however many rows there are.
CREATE INDEX llmux_spend_logs_time ON llmux_spend_logs (start_time, id);
CREATE INDEX llmux_spend_logs_key ON llmux_spend_logs (api_key, start_time, id);
CREATE INDEX llmux_spend_logs_user ON llmux_spend_logs (user_id, start_time, id);
CREATE INDEX llmux_spend_logs_team ON llmux_spend_logs (team_id, start_time, id);
CREATE INDEX llmux_spend_logs_request ON llmux_spend_logs (request_id);

-- Batches already written: a retried batch whose first COMMIT did land is not counted twice.
CREATE TABLE llmux_spend_batches (
  batch_id TEXT PRIMARY KEY,
  written_at BIGINT NOT NULL
);
