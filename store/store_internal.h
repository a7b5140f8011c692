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
/* Sets error to "PATH: context: out of memory". Returns -1. */
int store_out_of_memory(store *db, rlhf_error *error, const char *context);
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
/* Copies a column's text into *text (malloc'd; NULL for an SQL NULL). -1 only when out of
 * memory, *text then NULL. */
int store_column_copy(sqlite3_stmt *statement, int column, char **text);
/* Runs sql, which returns one integer (COUNT(*) and the like), into *out (0 when it returns
 * no row); parameter is bound to ?1 unless it is INT64_MIN. */
int store_query_long(store *db, const char *sql, int64_t parameter, long *out, rlhf_error *error);
/* Marks interrupted the runs this host's dead processes left 'running' (store_runs.c).
 * Best effort: writes nothing when the store cannot be written. */
void store_sweep_dead_runs(store *db);

/* ------------------------------------------------------------------ reading rows into arrays */

/* How one kind of row becomes one array item, for store_read_rows. read fills the zeroed
 * item (the index-th of the array) from the statement's current row and returns 1 to keep
 * it, 0 to leave the row out (having allocated nothing), or -1 when out of memory (what it
 * did allocate stays in the item, for release). release frees what an item owns (not the
 * item itself); NULL when items own nothing. */
typedef struct store_row_reader {
    size_t item_size;
    int (*read)(sqlite3_stmt *statement, void *item, size_t index, void *user);
    void (*release)(void *item);
} store_row_reader;

/* Steps the prepared, bound statement to its end, appending one item per kept row to the
 * array at items (a T **, NULL with *count 0 at the start), growing it with rlhf_grow, and
 * finalizes the statement. On a failed step ("PATH: context: ...") or out of memory,
 * releases every item, frees the array, sets *items NULL and *count 0, and returns -1. */
int store_read_rows(store *db, sqlite3_stmt *statement, const store_row_reader *reader, void *user, void *items,
                    size_t *count, const char *context, rlhf_error *error);
/* store_read_rows over sql, prepared here with ?1 bound to parameter unless it is
 * INT64_MIN; *items is NULL and *count 0 on every failure, a failed prepare included. */
int store_select_rows(store *db, const char *sql, int64_t parameter, const store_row_reader *reader, void *user,
                      void *items, size_t *count, const char *context, rlhf_error *error);

#endif
