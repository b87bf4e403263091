#!/usr/bin/env python3
"""spend-index-shapes.py — what an index for looking calls up by the id in their answer costs the
spend log at scale (issue #19: /spend/logs?request_id= finds a call by its chatcmpl-… id).

    python3 bench/spend-index-shapes.py [ROWS] [SHAPE...]
    PRAGMAS="secure_delete=FAST" python3 bench/spend-index-shapes.py 2000000 none

For each shape, a fresh SQLite database (WAL, synchronous=NORMAL and the default page cache, as
llmux opens it) gets the spend log's table and indexes as the migrations leave them, ROWS rows of
its shape (default 2,000,000; ids of the answers random, as an upstream's are), then the shape's
index. Then, timed in CPU seconds of this process (user + system: SQLite's work, the same Python
around it for every shape):
  insert   ROWS / 10 more rows (at most 100,000), 512 per transaction in statements of 64 (a
           saturated run's lines);
  small    a fifth of that, 16 per transaction (a calm run's);
  delete   the oldest ROWS / 10, 5,000 per statement (the retention's statement);
  lookup   1,000 lookups of a random row by its answer's id.
Shapes: none (no lookup by the answer's id), text (an index on the id's text), hash (an index
on a 32-bit hash of it, the id compared after), bucket (an index on 16 buckets of that hash, each
in the log's order, the hash beside: new rows go at the end of their bucket, the retention's
deletes at its start; a lookup reads the hashes of a sixteenth of the rows).
"""
import os
import sqlite3
import sys
import tempfile
import time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
SHAPES = sys.argv[2:] or ["none", "text", "hash", "bucket"]
MORE = min(100_000, ROWS // 10)  # the rows inserted, and deleted, by the timed phases
# More PRAGMAs for the timed phases (e.g. PRAGMAS="secure_delete=FAST"), after llmux's own.
PRAGMAS = [p for p in os.environ.get("PRAGMAS", "").split(";") if p.strip()]

TABLE = """
CREATE TABLE llmux_spend_logs (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, call_type TEXT NOT NULL, api_key TEXT NOT NULL,
  spend DOUBLE PRECISION NOT NULL, prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL,
  total_tokens BIGINT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT NOT NULL,
  completion_start_time BIGINT, model TEXT NOT NULL, model_group TEXT NOT NULL,
  model_id TEXT NOT NULL, custom_llm_provider TEXT NOT NULL, user_id TEXT, team_id TEXT,
  end_user TEXT, status TEXT NOT NULL, cache_hit BIGINT NOT NULL DEFAULT 0,
  request_tags TEXT NOT NULL DEFAULT '[]', metadata TEXT NOT NULL DEFAULT '{}', messages TEXT,
  response TEXT, response_id TEXT, response_key BIGINT, response_bucket BIGINT);
CREATE INDEX llmux_spend_logs_time ON llmux_spend_logs (start_time, id);
CREATE INDEX llmux_spend_logs_key ON llmux_spend_logs (api_key, start_time, id);
CREATE INDEX llmux_spend_logs_user ON llmux_spend_logs (user_id, start_time, id) WHERE user_id IS NOT NULL;
CREATE INDEX llmux_spend_logs_team ON llmux_spend_logs (team_id, start_time, id) WHERE team_id IS NOT NULL;
CREATE INDEX llmux_spend_logs_request ON llmux_spend_logs (request_id);
"""
SHAPE_INDEX = {
    "none": "",
    "text": "CREATE INDEX llmux_spend_logs_response ON llmux_spend_logs (response_id) "
            "WHERE response_id IS NOT NULL",
    "hash": "CREATE INDEX llmux_spend_logs_response ON llmux_spend_logs (response_key) "
            "WHERE response_key IS NOT NULL",
    "bucket": "CREATE INDEX llmux_spend_logs_response ON llmux_spend_logs "
              "(response_bucket, id, response_key) WHERE response_bucket IS NOT NULL",
}
LOOKUP = {
    "none": None,
    "text": "SELECT id FROM llmux_spend_logs WHERE response_id = ?",
    "hash": "SELECT id FROM llmux_spend_logs WHERE response_key = ? AND response_id = ?",
    "bucket": "SELECT id FROM llmux_spend_logs WHERE response_bucket = ? AND response_key = ? "
              "AND response_id = ?",
}
KEY = "5d41402abc4b2a76b9719d911017c592" * 2


def fnv32(text):
    value = 2166136261
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def row(n):
    response_id = "chatcmpl-" + os.urandom(15).hex()  # random, as an upstream's ids are
    key = fnv32(response_id)
    start = 1_765_000_000_000 + n  # one call a millisecond, in order
    return (f"0193a1b2-{n:012x}-7000-8000-000000000000", "acompletion", KEY, 0.0001, 19, 10, 29,
            start, start + 1, None, "gpt-4o-upstream", "bench-json", "deployment-1", "openai", None,
            None, None, "success", 0, "[]", "{}", None, None, response_id, key, key & 15)


COLUMNS = ("request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens, "
           "start_time, end_time, completion_start_time, model, model_group, model_id, "
           "custom_llm_provider, user_id, team_id, end_user, status, cache_hit, request_tags, "
           "metadata, messages, response, response_id, response_key, response_bucket")


def insert_sql(rows):
    one = "(" + ", ".join("?" * 26) + ")"
    return f"INSERT INTO llmux_spend_logs ({COLUMNS}) VALUES " + ", ".join([one] * rows)


def write(db, first, count, per_transaction):
    statement = insert_sql(min(64, per_transaction))
    rows_per_statement = min(64, per_transaction)
    for start in range(first, first + count, per_transaction):
        db.execute("BEGIN")
        for chunk in range(start, start + per_transaction, rows_per_statement):
            values = []
            for n in range(chunk, chunk + rows_per_statement):
                values.extend(row(n))
            db.execute(statement, values)
        db.execute("COMMIT")


def cpu():
    return time.process_time()  # user + system, every thread of the process


def measure(shape, directory):
    path = os.path.join(directory, f"{shape}.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(TABLE)
    write(db, 0, ROWS, 512)
    if SHAPE_INDEX[shape]:
        db.execute(SHAPE_INDEX[shape])
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for pragma in PRAGMAS:
        db.execute(f"PRAGMA {pragma}")
    figures = {}
    # What the rows cost to make in Python, subtracted below: only SQLite's work is compared.
    before = cpu()
    for n in range(ROWS, ROWS + MORE):
        row(n)
    python_per_row = (cpu() - before) / MORE
    before = cpu()
    write(db, ROWS, MORE, 512)
    figures["insert"] = (cpu() - before) / MORE - python_per_row
    before = cpu()
    write(db, ROWS + MORE, MORE // 5, 16)
    figures["small"] = (cpu() - before) / (MORE // 5) - python_per_row
    before = cpu()
    cutoff = 1_765_000_000_000 + MORE
    while True:
        db.execute("DELETE FROM llmux_spend_logs WHERE id IN (SELECT id FROM llmux_spend_logs WHERE "
                   "start_time < ? ORDER BY start_time LIMIT 5000)", (cutoff,))
        if db.execute("SELECT changes()").fetchone()[0] < 5000:
            break
    figures["delete"] = (cpu() - before) / MORE
    if LOOKUP[shape]:
        ids = [r[0] for r in db.execute(
            "SELECT response_id FROM llmux_spend_logs WHERE id % 1999 = 0 LIMIT 1000")]
        before = cpu()
        for response_id in ids:
            key = fnv32(response_id)
            params = {"text": (response_id,), "hash": (key, response_id),
                      "bucket": (key & 15, key, response_id)}[shape]
            assert db.execute(LOOKUP[shape], params).fetchall()
        figures["lookup"] = (cpu() - before) / len(ids)
    size = os.path.getsize(path)
    db.close()
    os.remove(path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return figures, size


def main():
    with tempfile.TemporaryDirectory(prefix="llmux-index-shapes.") as directory:
        print(f"{ROWS:,} rows; CPU µs per row (insert, small, delete) and per lookup; "
              f"PRAGMAs {PRAGMAS or 'none'}; SQLite {sqlite3.sqlite_version}")
        for shape in SHAPES:
            figures, size = measure(shape, directory)
            cells = "  ".join(f"{name} {value * 1e6:7.1f}" for name, value in figures.items())
            print(f"{shape:<5} {cells}  database {size / 2**20:7.1f} MiB", flush=True)


if __name__ == "__main__":
    main()
