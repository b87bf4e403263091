-- Spend per UTC day, as LiteLLM's LiteLLM_DailyUserSpend / _DailyTeamSpend / _DailyEndUserSpend /
-- _DailyTagSpend keep it: one row per (user, team, end user or tag) × date × key × model group ×
-- upstream model × provider, added to in the transaction that writes the calls' spend-log rows
-- (and without them, under disable_spend_logs). The routes that sum spend read these few rows, so
-- they still count calls whose log rows the retention deleted. A call without a user, team or end
-- user is counted under '' (every call has a user, team and end-user row; a NULL would make each
-- call a row of its own, since NULLs never conflict in a unique key); a call has a tag row per tag.
CREATE TABLE llmux_daily_user_spend (
  user_id TEXT NOT NULL,
  date TEXT NOT NULL,                  -- YYYY-MM-DD (UTC) of the call's start
  api_key TEXT NOT NULL,               -- the key's SHA-256 ('' for the master key)
  model_group TEXT NOT NULL,
  model TEXT NOT NULL,                 -- the upstream model
  custom_llm_provider TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  api_requests BIGINT NOT NULL DEFAULT 0,
  successful_requests BIGINT NOT NULL DEFAULT 0,
  failed_requests BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, date, api_key, model_group, model, custom_llm_provider)
);
CREATE INDEX llmux_daily_user_spend_date ON llmux_daily_user_spend (date);

CREATE TABLE llmux_daily_team_spend (
  team_id TEXT NOT NULL,
  date TEXT NOT NULL,
  api_key TEXT NOT NULL,
  model_group TEXT NOT NULL,
  model TEXT NOT NULL,
  custom_llm_provider TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  api_requests BIGINT NOT NULL DEFAULT 0,
  successful_requests BIGINT NOT NULL DEFAULT 0,
  failed_requests BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (team_id, date, api_key, model_group, model, custom_llm_provider)
);
CREATE INDEX llmux_daily_team_spend_date ON llmux_daily_team_spend (date);

CREATE TABLE llmux_daily_end_user_spend (
  end_user_id TEXT NOT NULL,
  date TEXT NOT NULL,
  api_key TEXT NOT NULL,
  model_group TEXT NOT NULL,
  model TEXT NOT NULL,
  custom_llm_provider TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  api_requests BIGINT NOT NULL DEFAULT 0,
  successful_requests BIGINT NOT NULL DEFAULT 0,
  failed_requests BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (end_user_id, date, api_key, model_group, model, custom_llm_provider)
);
CREATE INDEX llmux_daily_end_user_spend_date ON llmux_daily_end_user_spend (date);

CREATE TABLE llmux_daily_tag_spend (
  tag TEXT NOT NULL,
  date TEXT NOT NULL,
  api_key TEXT NOT NULL,
  model_group TEXT NOT NULL,
  model TEXT NOT NULL,
  custom_llm_provider TEXT NOT NULL,
  prompt_tokens BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  spend DOUBLE PRECISION NOT NULL DEFAULT 0,
  api_requests BIGINT NOT NULL DEFAULT 0,
  successful_requests BIGINT NOT NULL DEFAULT 0,
  failed_requests BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tag, date, api_key, model_group, model, custom_llm_provider)
);
CREATE INDEX llmux_daily_tag_spend_date ON llmux_daily_tag_spend (date);

-- The spend log written so far, summed into the user, team and end-user tables (its tags are a
-- JSON list each engine reads differently: the tag table counts calls from this version on).
-- UTC_DATE(x) is a Unix-milliseconds column's UTC date in each engine's words (migrations.cpp).
INSERT INTO llmux_daily_user_spend (user_id, date, api_key, model_group, model, custom_llm_provider,
  prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests)
SELECT COALESCE(user_id, ''), UTC_DATE(start_time), api_key, model_group, model, custom_llm_provider,
  SUM(prompt_tokens), SUM(completion_tokens), SUM(spend), COUNT(*),
  SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'success' THEN 0 ELSE 1 END)
FROM llmux_spend_logs GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO llmux_daily_team_spend (team_id, date, api_key, model_group, model, custom_llm_provider,
  prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests)
SELECT COALESCE(team_id, ''), UTC_DATE(start_time), api_key, model_group, model, custom_llm_provider,
  SUM(prompt_tokens), SUM(completion_tokens), SUM(spend), COUNT(*),
  SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'success' THEN 0 ELSE 1 END)
FROM llmux_spend_logs GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO llmux_daily_end_user_spend (end_user_id, date, api_key, model_group, model, custom_llm_provider,
  prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests)
SELECT COALESCE(end_user, ''), UTC_DATE(start_time), api_key, model_group, model, custom_llm_provider,
  SUM(prompt_tokens), SUM(completion_tokens), SUM(spend), COUNT(*),
  SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'success' THEN 0 ELSE 1 END)
FROM llmux_spend_logs GROUP BY 1, 2, 3, 4, 5, 6;
