-- A user's max_parallel_requests, enforced like a team's on every key of the user.
ALTER TABLE llmux_users ADD COLUMN max_parallel_requests BIGINT;
