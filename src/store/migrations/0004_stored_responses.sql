-- The Responses API's stored responses (POST /v1/responses with store: true), kept for
-- GET / DELETE /v1/responses/{id} and previous_response_id. A row belongs to the key that made
-- it (api_key: its SHA-256, "" for the master key) and is gone after expires_at.
CREATE TABLE llmux_responses (
  response_id TEXT PRIMARY KEY,
  api_key TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  input_items TEXT NOT NULL,  -- JSON array: the conversation the response answered
  response TEXT NOT NULL      -- JSON: the response object as the client had it
);
CREATE INDEX llmux_responses_expiry ON llmux_responses (expires_at);
