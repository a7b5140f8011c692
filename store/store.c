/* The preference store's connection: the helpers every store file shares (errors,
 * transactions, reading rows into arrays), opening, classifying and migrating the file,
 * and the names of choices. The reads and writes live beside it, one file per part of
 * the schema: store_prompts.c, store_completions.c, store_queue.c, store_comparisons.c,
 * store_preferences.c, store_runs.c and store_stats.c. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ helpers */

/* Fills error with "PATH: context: SQLite's last message"; returns -1 so callers can return it. */
int store_fail(store *db, rlhf_error *error, const char *context) {
    rlhf_error_set(error, "%s: %s: %s", db->path, context, sqlite3_errmsg(db->db));
    return -1;
}

/* Fills error with "PATH: context: out of memory"; returns -1. */
int store_out_of_memory(store *db, rlhf_error *error, const char *context) {
    rlhf_error_set(error, "%s: %s: out of memory", db->path, context);
    return -1;
}

/* Prepares sql on the connection; on failure *statement is NULL and error says why. */
int store_prepare(store *db, sqlite3_stmt **statement, const char *sql, rlhf_error *error) {
    if (sqlite3_prepare_v2(db->db, sql, -1, statement, NULL) != SQLITE_OK) {
        *statement = NULL;
        return store_fail(db, error, "preparing a statement");
    }
    return 0;
}

/* Starts a write transaction (BEGIN IMMEDIATE), refusing a store file moved while open. */
int store_begin(store *db, rlhf_error *error) {
    /* A store file deleted or renamed under an open connection would take writes that no
     * one can read again; refuse them instead (labels must never vanish silently). */
    int moved = 0;
    if (sqlite3_file_control(db->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved) {
        rlhf_error_set(error, "%s: the store file was moved or deleted while open; nothing was written", db->path);
        return -1;
    }
    if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(db, error, "starting a transaction");
    return 0;
}

/* Commits the open transaction; on failure rolls it back and fills error. */
int store_commit(store *db, rlhf_error *error) {
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(db, error, "committing");
        store_rollback(db);
        return -1;
    }
    return 0;
}

/* Rolls back the open transaction, if any (safe to call when none is open). */
void store_rollback(store *db) {
    if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A malloc'd copy of a column's text into *text (NULL for SQL NULL); -1 out of memory. */
int store_column_copy(sqlite3_stmt *statement, int column, char **text) {
    *text = NULL;
    if (sqlite3_column_type(statement, column) == SQLITE_NULL) return 0;
    /* SQLite answers NULL for a non-NULL value only when it runs out of memory converting it */
    const unsigned char *value = sqlite3_column_text(statement, column);
    if (value) *text = strdup((const char *)value);
    return *text ? 0 : -1;
}

/* One integer from sql (0 when no row), ?1 bound to parameter unless it is INT64_MIN. */
int store_query_long(store *db, const char *sql, int64_t parameter, long *out, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, sql, error) != 0) return -1;
    if (parameter != INT64_MIN) sqlite3_bind_int64(statement, 1, parameter);
    int rc = sqlite3_step(statement);
    *out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(statement, 0) : 0;
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(db, error, "reading");
    return 0;
}

/* Steps statement to its end into a growing array of reader items, and finalizes it; on
 * failure frees every item and the array (see store_internal.h). */
int store_read_rows(store *db, sqlite3_stmt *statement, const store_row_reader *reader, void *user, void *items,
                    size_t *count, const char *context, rlhf_error *error) {
    char **array = items; /* as bytes: the item type is the reader's */
    size_t capacity = 0;
    int rc, kept = 1;
    *array = NULL;
    *count = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (rlhf_grow(array, &capacity, *count + 1, reader->item_size) != 0) {
            kept = -1;
            break;
        }
        char *item = *array + *count * reader->item_size;
        memset(item, 0, reader->item_size);
        kept = reader->read(statement, item, *count, user);
        if (kept != 0) (*count)++; /* a failed item is counted, so release frees its part */
        if (kept < 0) break;
    }
    if (kept >= 0 && rc == SQLITE_DONE) {
        sqlite3_finalize(statement);
        return 0;
    }
    if (kept < 0) store_out_of_memory(db, error, context);
    else store_fail(db, error, context);
    sqlite3_finalize(statement);
    for (size_t i = 0; reader->release && i < *count; i++) reader->release(*array + i * reader->item_size);
    free(*array);
    *array = NULL;
    *count = 0;
    return -1;
}

/* Prepares sql, binds parameter to ?1 unless it is INT64_MIN, and reads its rows as
 * store_read_rows does; the array is empty after any failure. */
int store_select_rows(store *db, const char *sql, int64_t parameter, const store_row_reader *reader, void *user,
                      void *items, size_t *count, const char *context, rlhf_error *error) {
    *(void **)items = NULL;
    *count = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, sql, error) != 0) return -1;
    if (parameter != INT64_MIN) sqlite3_bind_int64(statement, 1, parameter);
    return store_read_rows(db, statement, reader, user, items, count, context, error);
}

/* ------------------------------------------------------------------ open and migrate */

/* The message for a store of a newer schema than this rlhf knows. */
static int refuse_newer_schema(store *db, long version, rlhf_error *error) {
    rlhf_error_set(error, "%s: the store has schema version %ld but this rlhf knows only up to %d; "
                          "use a newer rlhf (the file was not modified)",
                   db->path, version, store_migration_count);
    return -1;
}

/* Applies the migrations the file lacks, one transaction each; refuses a file from a newer
 * version untouched. The version is read again under the write lock, so two processes
 * opening one old store at once apply each migration once. */
static int migrate(store *db, rlhf_error *error) {
    long version;
    if (store_query_long(db, "PRAGMA user_version", INT64_MIN, &version, error) != 0) return -1;
    if (version > store_migration_count) return refuse_newer_schema(db, version, error);
    while (version < store_migration_count) {
        if (store_begin(db, error) != 0) return -1;
        if (store_query_long(db, "PRAGMA user_version", INT64_MIN, &version, error) != 0) {
            store_rollback(db);
            return -1;
        }
        if (version >= store_migration_count) { /* another process migrated it meanwhile */
            store_rollback(db);
            return version > store_migration_count ? refuse_newer_schema(db, version, error) : 0;
        }
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %ld", version + 1);
        if (sqlite3_exec(db->db, store_migrations[version], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
            store_fail(db, error, "migrating the schema");
            store_rollback(db);
            return -1;
        }
        if (store_commit(db, error) != 0) return -1;
        version++;
    }
    return 0;
}

typedef enum store_file_kind { STORE_FILE_EMPTY, STORE_FILE_OURS, STORE_FILE_FOREIGN } store_file_kind;

/* Whether the open file is an rlhf store, a new (empty) database, or someone else's: an
 * SQLite file with tables but no schema version of ours, or a version without our tables.
 * Reads only; *version gets PRAGMA user_version. */
static int classify_file(store *db, long *version, store_file_kind *kind, rlhf_error *error) {
    long tables, ours;
    if (store_query_long(db, "PRAGMA user_version", INT64_MIN, version, error) != 0 ||
        store_query_long(db, "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'",
                         INT64_MIN, &tables, error) != 0 ||
        store_query_long(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('prompts', 'models', 'completions', 'pairs', 'comparisons', 'annotators')",
                         INT64_MIN, &ours, error) != 0)
        return -1;
    if (*version == 0 && tables == 0) *kind = STORE_FILE_EMPTY;
    else if (*version >= 1 && ours == 6) *kind = STORE_FILE_OURS;
    else *kind = STORE_FILE_FOREIGN;
    return 0;
}

/* Opens path; creates and initialises it only when create is true. Every refusal happens
 * before the first write, so a refused file keeps its bytes. */
static int open_store(store **out, const char *path, bool create, rlhf_error *error) {
    *out = NULL;
    if (error) error->message[0] = '\0';
    struct stat info;
    if (!create && stat(path, &info) != 0 && errno == ENOENT) {
        rlhf_error_set(error, "%s: no such store (create it with rlhf init --db %s)", path, path);
        return -1;
    }
    /* a device, a FIFO or a folder is no store, and SQLite must not put its journal or WAL
     * beside one: refused before SQLite sees the path */
    if (stat(path, &info) == 0 && !S_ISREG(info.st_mode)) {
        rlhf_error_set(error, "%s: not a regular file (a store is an SQLite file; give a file path)", path);
        return -1;
    }
    store *db = calloc(1, sizeof *db);
    /* A name starting with "file:" is a plain file here, not an SQLite URI (this SQLite may
     * be built to read URIs everywhere): "./file:x" opens exactly the file stat saw. */
    size_t name_size = strlen(path) + 3;
    char *open_name = malloc(name_size);
    if (db) db->path = strdup(path);
    if (!db || !db->path || !open_name) {
        rlhf_error_set(error, "%s: cannot open: out of memory", path);
        free(open_name);
        store_close(db);
        return -1;
    }
    snprintf(open_name, name_size, "%s%s", strncmp(path, "file:", 5) == 0 ? "./" : "", path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int open_status = sqlite3_open_v2(open_name, &db->db, flags, NULL);
    free(open_name);
    if (open_status != SQLITE_OK) {
        rlhf_error_set(error, "%s: cannot open: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
        store_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->db, 10000);
    /* A file that is not SQLite fails at the first read; say so plainly. */
    long version;
    store_file_kind kind;
    if (classify_file(db, &version, &kind, error) != 0) {
        int code = sqlite3_errcode(db->db);
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            rlhf_error_set(error, "%s: not an rlhf store (%s)", path, sqlite3_errmsg(db->db));
        else if (code == SQLITE_CANTOPEN || code == SQLITE_READONLY || code == SQLITE_IOERR)
            rlhf_error_set(error, "%s: cannot read the store (%s); SQLite needs to write in its folder (the "
                                  "-wal and -shm files beside it)", path, sqlite3_errmsg(db->db));
        else
            rlhf_error_set(error, "%s: cannot read the store (%s)", path, sqlite3_errmsg(db->db));
        store_close(db);
        return -1;
    }
    if (version > store_migration_count) { /* refused before any write */
        refuse_newer_schema(db, version, error);
        store_close(db);
        return -1;
    }
    if (kind == STORE_FILE_FOREIGN) {
        rlhf_error_set(error, "%s: an SQLite database but not an rlhf store (it has tables of its own and no rlhf "
                              "schema); the file was not modified", path);
        store_close(db);
        return -1;
    }
    if (kind == STORE_FILE_EMPTY && !create) {
        rlhf_error_set(error, "%s: not an rlhf store yet (an empty file; create it with rlhf init --db %s)", path, path);
        store_close(db);
        return -1;
    }
    /* WAL lets readers and one writer share the file; synchronous NORMAL is durable across
     * application crashes in WAL mode, FULL also across power loss, which labels deserve. */
    if (sqlite3_exec(db->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                     NULL, NULL, NULL) != SQLITE_OK ||
        migrate(db, error) != 0) {
        if (!error || !error->message[0]) store_fail(db, error, "setting up");
        store_close(db);
        return -1;
    }
    store_sweep_dead_runs(db); /* so every reader sees a dead process's run as interrupted */
    *out = db;
    return 0;
}

/* Opens the store at path, creating and initialising it when there is no file. */
int store_open(store **out, const char *path, rlhf_error *error) { return open_store(out, path, true, error); }

/* Opens the store at path; never creates one (every command but init). */
int store_open_existing(store **out, const char *path, rlhf_error *error) {
    return open_store(out, path, false, error);
}

/* Closes the connection and frees db; NULL and a half-opened db are fine. */
void store_close(store *db) {
    if (!db) return;
    if (db->db) sqlite3_close_v2(db->db);
    free(db->path);
    free(db);
}

const char *store_path(const store *db) { return db->path; }

/* PRAGMA integrity_check; *ok when SQLite answers "ok". */
int store_integrity_check(store *db, bool *ok, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "PRAGMA integrity_check", error) != 0) return -1;
    int rc = sqlite3_step(statement);
    const char *answer = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(statement, 0) : NULL;
    *ok = answer && strcmp(answer, "ok") == 0;
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW ? 0 : store_fail(db, error, "integrity check");
}

/* ------------------------------------------------------------------ choices */

static const char *const choice_names[] = {"a", "b", "tie", "both-bad", "skip"};

/* The name of a choice; "?" for a value outside the enum. */
const char *store_choice_name(store_choice choice) {
    return choice >= STORE_CHOICE_A && choice <= STORE_CHOICE_SKIP ? choice_names[choice] : "?";
}

/* The choice named text ("a", "b", "tie", "both-bad", "skip"); -1 for any other text. */
int store_choice_parse(const char *text, store_choice *choice) {
    if (!text) return -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(text, choice_names[i]) == 0) {
            *choice = (store_choice)i;
            return 0;
        }
    return -1;
}

/* The word for a strength 1..4 ("negligibly" .. "significantly"); "" for any other. */
const char *store_strength_name(int strength) {
    static const char *const names[] = {"", "negligibly", "slightly", "better", "significantly"};
    return strength >= 1 && strength <= 4 ? names[strength] : "";
}
