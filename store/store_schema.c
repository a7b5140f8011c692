/* The store's schema and its migrations, in order. Migration N takes a store from
 * user_version N - 1 to N; store_open applies the missing ones in one transaction each. */
#include "store/store_internal.h"

/* Version 1: the whole first schema. */
static const char *const migration_1 =
    "CREATE TABLE prompts ("
    "  id INTEGER PRIMARY KEY,"
    "  external_id TEXT UNIQUE,"
    "  text TEXT NOT NULL,"
    "  text_hash TEXT NOT NULL,"
    "  metadata TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX prompts_by_text_hash ON prompts(text_hash);"
    "CREATE TABLE models ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL,"
    "  content_hash TEXT NOT NULL UNIQUE,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE TABLE completions ("
    "  id INTEGER PRIMARY KEY,"
    "  prompt_id INTEGER NOT NULL REFERENCES prompts(id),"
    "  model_id INTEGER NOT NULL REFERENCES models(id),"
    "  text TEXT NOT NULL,"
    "  token_count INTEGER NOT NULL,"
    "  sampling TEXT,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX completions_by_prompt ON completions(prompt_id, model_id);"
    "CREATE TABLE annotators ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('human', 'oracle', 'import')),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE TABLE pairs ("
    "  id INTEGER PRIMARY KEY,"
    "  prompt_id INTEGER NOT NULL REFERENCES prompts(id),"
    "  completion_a INTEGER NOT NULL REFERENCES completions(id),"
    "  completion_b INTEGER NOT NULL REFERENCES completions(id),"
    "  left_completion_id INTEGER NOT NULL,"
    "  overlap INTEGER NOT NULL CHECK (overlap >= 1),"
    "  gold_choice TEXT CHECK (gold_choice IN ('a', 'b', 'tie')),"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    "  CHECK (completion_a != completion_b),"
    "  CHECK (left_completion_id IN (completion_a, completion_b)));"
    "CREATE TABLE rankings ("
    "  id INTEGER PRIMARY KEY,"
    "  prompt_id INTEGER NOT NULL REFERENCES prompts(id),"
    "  annotator_id INTEGER NOT NULL REFERENCES annotators(id),"
    "  best_first TEXT NOT NULL,"
    "  seconds REAL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE TABLE comparisons ("
    "  id INTEGER PRIMARY KEY,"
    "  pair_id INTEGER REFERENCES pairs(id),"
    "  ranking_id INTEGER REFERENCES rankings(id) ON DELETE CASCADE,"
    "  completion_a INTEGER NOT NULL REFERENCES completions(id),"
    "  completion_b INTEGER NOT NULL REFERENCES completions(id),"
    "  annotator_id INTEGER NOT NULL REFERENCES annotators(id),"
    "  choice TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both-bad', 'skip')),"
    "  strength INTEGER CHECK (strength BETWEEN 1 AND 4),"
    "  flags TEXT NOT NULL DEFAULT '[]',"
    "  rationale TEXT,"
    "  left_completion_id INTEGER,"
    "  seconds REAL,"
    "  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    "  UNIQUE (pair_id, annotator_id));"
    "CREATE INDEX comparisons_by_annotator ON comparisons(annotator_id, id);"
    "CREATE INDEX comparisons_by_pair ON comparisons(pair_id);"
    "CREATE TABLE flag_kinds ("
    "  name TEXT PRIMARY KEY,"
    "  position INTEGER NOT NULL);"
    "INSERT INTO flag_kinds (name, position) VALUES"
    "  ('unsafe', 1), ('factually wrong', 2), ('ignores the prompt', 3), ('gibberish', 4);"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  config TEXT,"
    "  status TEXT NOT NULL DEFAULT 'running',"
    "  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),"
    "  finished_at TEXT);"
    "CREATE TABLE metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  step INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value REAL NOT NULL,"
    "  PRIMARY KEY (run_id, name, step));";

/* Version 2: indexes for the queue's ranking test (a pair an annotator ordered in a ranking
 * leaves their queue) and for deleting a ranking's comparisons; without them every queued
 * pair scanned every ranking (42 s instead of 5 s to label 3,829 pairs once 256 prompts
 * had been ranked). */
static const char migration_2[] =
    "CREATE INDEX rankings_by_annotator_prompt ON rankings(annotator_id, prompt_id);"
    "CREATE INDEX comparisons_by_ranking ON comparisons(ranking_id);";

/* Version 3: which process runs a run (its pid on which host), so a run left 'running' by a
 * process that died is seen and marked 'interrupted', and a resumed run takes its id back. */
static const char migration_3[] =
    "ALTER TABLE runs ADD COLUMN pid INTEGER;"
    "ALTER TABLE runs ADD COLUMN host TEXT;";

const char *const store_migrations[] = {migration_1, migration_2, migration_3};
const int store_migration_count = sizeof store_migrations / sizeof store_migrations[0];
