/* Shared between the store's source files only. */
#ifndef RLHF_STORE_INTERNAL_H
#define RLHF_STORE_INTERNAL_H

#include <sqlite3.h>

#include "rlhf/store.h"

struct store {
    sqlite3 *db;
    char *path;
};

/* store_migrations[i] takes the schema from version i to i + 1. */
extern const char *const store_migrations[];
extern const int store_migration_count;

/* Prepares sql; on failure fills error with SQLite's message. */
int store_prepare(store *db, sqlite3_stmt **statement, const char *sql, rlhf_error *error);
/* Sets error from the connection's last message, with context. Returns -1. */
int store_fail(store *db, rlhf_error *error, const char *context);
/* SQL for the labels that fill queued pair p's overlap: its comparisons other than skips
 * (a skipped pair still needs its labels). Used by the queue and by the statistics. */
#define STORE_PAIR_LABELS "(SELECT COUNT(*) FROM comparisons c WHERE c.pair_id = p.id AND c.choice != 'skip')"

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to the busy timeout) / COMMIT /
 * ROLLBACK. */
int store_begin(store *db, rlhf_error *error);
int store_commit(store *db, rlhf_error *error);
void store_rollback(store *db);
/* The prompt with this text, added if new. */
int store_find_or_add_prompt(store *db, const char *text, int64_t *id, rlhf_error *error);
/* Duplicates a column's text (NULL stays NULL). */
char *store_column_text(sqlite3_stmt *statement, int column);

#endif
