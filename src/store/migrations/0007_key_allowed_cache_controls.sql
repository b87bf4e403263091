-- A key's allowed_cache_controls (LiteLLM's): the cache controls its requests may set; empty: any.
ALTER TABLE llmux_keys ADD COLUMN allowed_cache_controls TEXT NOT NULL DEFAULT '[]';
