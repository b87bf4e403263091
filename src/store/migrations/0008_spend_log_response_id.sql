-- The id the client saw in its answer (the body's "id": chatcmpl-…, msg_…, resp_…), which
-- LiteLLM's spend log keeps as its request_id: /spend/logs?request_id= finds a call by it as well
-- as by llmux's call id. That id is random: an index on it (or on a hash of it) takes each new
-- row to a random page of a B-tree as large as the log, and the retention's deletes to as many
-- random pages again. This index keeps the log's order instead, in 16 buckets of a 32-bit hash of
-- the id (response_bucket, response_key: written by the store, store.cpp): a new row goes at the
-- end of its bucket and the retention deletes from their starts, so a batch of calls touches a
-- few pages; a lookup reads the hashes of its bucket (a sixteenth of the log, from the index
-- alone) and compares response_id on the rows of its hash. Calls without an id (failures,
-- embeddings, rows of older versions) have none of the three and are not in the index.
-- Measured: docs/PERFORMANCE.md, "Finding a call by its answer's id".
ALTER TABLE llmux_spend_logs ADD COLUMN response_id TEXT;
ALTER TABLE llmux_spend_logs ADD COLUMN response_key BIGINT;
ALTER TABLE llmux_spend_logs ADD COLUMN response_bucket BIGINT;
CREATE INDEX llmux_spend_logs_response ON llmux_spend_logs (response_bucket, id, response_key)
  WHERE response_bucket IS NOT NULL;
