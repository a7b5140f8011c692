/* The preference store: opening and migrating the file, and every read and write the
 * labeling path, the generators and the trainers need. */
#include "store/store_internal.h"

#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ helpers */

static void sweep_dead_runs(store *db);

int store_fail(store *db, rlhf_error *error, const char *context) {
    rlhf_error_set(error, "%s: %s: %s", db->path, context, sqlite3_errmsg(db->db));
    return -1;
}

int store_prepare(store *db, sqlite3_stmt **statement, const char *sql, rlhf_error *error) {
    if (sqlite3_prepare_v2(db->db, sql, -1, statement, NULL) != SQLITE_OK) {
        *statement = NULL;
        return store_fail(db, error, "preparing a statement");
    }
    return 0;
}

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

int store_commit(store *db, rlhf_error *error) {
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(db, error, "committing");
        store_rollback(db);
        return -1;
    }
    return 0;
}

void store_rollback(store *db) {
    if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

char *store_column_text(sqlite3_stmt *statement, int column) {
    const unsigned char *text = sqlite3_column_text(statement, column);
    return text ? strdup((const char *)text) : NULL;
}

/* Runs one statement that returns a single integer (COUNT(*) and the like). */
static int query_long(store *db, const char *sql, int64_t parameter, long *out, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, sql, error) != 0) return -1;
    if (parameter != INT64_MIN) sqlite3_bind_int64(statement, 1, parameter);
    int rc = sqlite3_step(statement);
    *out = rc == SQLITE_ROW ? (long)sqlite3_column_int64(statement, 0) : 0;
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(db, error, "reading");
    return 0;
}

/* FNV-1a of a text, as 16 hex digits: how prompts are recognised as duplicates. */
static void text_hash(const char *text, char out[17]) {
    uint64_t hash = rlhf_fnv1a(RLHF_FNV1A_START, text, strlen(text));
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
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
    if (query_long(db, "PRAGMA user_version", INT64_MIN, &version, error) != 0) return -1;
    if (version > store_migration_count) return refuse_newer_schema(db, version, error);
    while (version < store_migration_count) {
        if (store_begin(db, error) != 0) return -1;
        if (query_long(db, "PRAGMA user_version", INT64_MIN, &version, error) != 0) {
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

/* Whether the open file is an rlhf store, a new (empty) database, or someone else's: an
 * SQLite file with tables but no schema version of ours, or a version without our tables.
 * Reads only; *version gets PRAGMA user_version. */
typedef enum store_file_kind { STORE_FILE_EMPTY, STORE_FILE_OURS, STORE_FILE_FOREIGN } store_file_kind;

static int classify_file(store *db, long *version, store_file_kind *kind, rlhf_error *error) {
    long tables, ours;
    if (query_long(db, "PRAGMA user_version", INT64_MIN, version, error) != 0 ||
        query_long(db, "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!'", INT64_MIN,
                   &tables, error) != 0 ||
        query_long(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
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
    db->path = strdup(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    /* A name starting with "file:" is a plain file here, not an SQLite URI (this SQLite may
     * be built to read URIs everywhere): "./file:x" opens exactly the file stat saw. */
    size_t name_size = strlen(path) + 3;
    char *open_name = malloc(name_size);
    snprintf(open_name, name_size, "%s%s", strncmp(path, "file:", 5) == 0 ? "./" : "", path);
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
    sweep_dead_runs(db); /* so every reader sees a dead process's run as interrupted */
    *out = db;
    return 0;
}

int store_open(store **out, const char *path, rlhf_error *error) { return open_store(out, path, true, error); }

int store_open_existing(store **out, const char *path, rlhf_error *error) {
    return open_store(out, path, false, error);
}

void store_close(store *db) {
    if (!db) return;
    if (db->db) sqlite3_close_v2(db->db);
    free(db->path);
    free(db);
}

const char *store_path(const store *db) { return db->path; }

int store_integrity_check(store *db, bool *ok, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "PRAGMA integrity_check", error) != 0) return -1;
    int rc = sqlite3_step(statement);
    *ok = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(statement, 0), "ok") == 0;
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW ? 0 : store_fail(db, error, "integrity check");
}

/* ------------------------------------------------------------------ choices */

static const char *const choice_names[] = {"a", "b", "tie", "both-bad", "skip"};

const char *store_choice_name(store_choice choice) {
    return choice >= STORE_CHOICE_A && choice <= STORE_CHOICE_SKIP ? choice_names[choice] : "?";
}

int store_choice_parse(const char *text, store_choice *choice) {
    for (int i = 0; i < 5; i++)
        if (strcmp(text, choice_names[i]) == 0) {
            *choice = (store_choice)i;
            return 0;
        }
    return -1;
}

const char *store_strength_name(int strength) {
    static const char *const names[] = {"", "negligibly", "slightly", "better", "significantly"};
    return strength >= 1 && strength <= 4 ? names[strength] : "";
}

/* ------------------------------------------------------------------ prompts */

/* The id of the prompt matching one lookup (*found false when none). */
static int find_prompt(store *db, const char *sql, const char *first, const char *second, int64_t *id, bool *found,
                       rlhf_error *error) {
    sqlite3_stmt *statement;
    *found = false;
    if (store_prepare(db, &statement, sql, error) != 0) return -1;
    sqlite3_bind_text(statement, 1, first, -1, SQLITE_STATIC);
    if (second) sqlite3_bind_text(statement, 2, second, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(statement, 0);
        *found = true;
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(db, error, "looking up a prompt");
}

/* Inserts a prompt unless one with its external id, or with its text (whatever its id),
 * is known. *id gets the new or existing row; *inserted says which. */
static int insert_prompt(store *db, const char *text, const char *external_id, const char *metadata, int64_t *id,
                         bool *inserted, rlhf_error *error) {
    char hash[17];
    text_hash(text, hash);
    bool found = false;
    *inserted = false;
    if (external_id &&
        find_prompt(db, "SELECT id FROM prompts WHERE external_id = ?1", external_id, NULL, id, &found, error) != 0)
        return -1;
    if (!found && find_prompt(db, "SELECT id FROM prompts WHERE text_hash = ?1 AND text = ?2 ORDER BY id LIMIT 1", hash,
                              text, id, &found, error) != 0)
        return -1;
    if (found) return 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "INSERT INTO prompts (external_id, text, text_hash, metadata) VALUES (?1, ?2, ?3, ?4)", error) != 0)
        return -1;
    if (external_id) sqlite3_bind_text(statement, 1, external_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 3, hash, -1, SQLITE_STATIC);
    if (metadata) sqlite3_bind_text(statement, 4, metadata, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "inserting a prompt");
    *id = sqlite3_last_insert_rowid(db->db);
    *inserted = true;
    return 0;
}

int store_find_or_add_prompt(store *db, const char *text, int64_t *id, rlhf_error *error) {
    bool inserted;
    return insert_prompt(db, text, NULL, NULL, id, &inserted, error);
}

typedef struct prompt_import {
    store *db;
    const char *path;
    store_import_result *result;
} prompt_import;

static int import_prompt_line(long line, json_t *object, void *user, rlhf_error *error) {
    prompt_import *import = user;
    json_t *prompt = json_object_get(object, "prompt"), *id = json_object_get(object, "id");
    if (!json_is_string(prompt)) {
        rlhf_error_set(error, "%s: line %ld: \"prompt\" must be a string", import->path, line);
        return -1;
    }
    if (id && !json_is_string(id) && !json_is_integer(id)) {
        rlhf_error_set(error, "%s: line %ld: \"id\" must be a string or an integer", import->path, line);
        return -1;
    }
    char id_text[64];
    const char *external_id = NULL;
    if (json_is_string(id)) external_id = json_string_value(id);
    else if (json_is_integer(id)) {
        snprintf(id_text, sizeof id_text, "%lld", (long long)json_integer_value(id));
        external_id = id_text;
    }
    /* everything else on the line is kept as metadata */
    json_t *metadata = json_deep_copy(object);
    json_object_del(metadata, "prompt");
    json_object_del(metadata, "id");
    char *metadata_text = json_object_size(metadata) ? json_dumps(metadata, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(metadata);
    int64_t row;
    bool inserted;
    int status = insert_prompt(import->db, json_string_value(prompt), external_id, metadata_text, &row, &inserted, error);
    free(metadata_text);
    if (status != 0) return -1;
    if (inserted) import->result->imported++;
    else import->result->duplicates++;
    return 0;
}

int store_import_prompts(store *db, const char *path, store_import_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    if (store_begin(db, error) != 0) return -1;
    prompt_import import = {db, path, result};
    if (rlhf_read_jsonl(path, import_prompt_line, &import, error) != 0) {
        store_rollback(db);
        memset(result, 0, sizeof *result);
        return -1;
    }
    return store_commit(db, error);
}

int store_list_prompts(store *db, int64_t without_model_id, int limit, store_prompt **prompts, int *count,
                       rlhf_error *error) {
    *prompts = NULL;
    *count = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "SELECT id, text, external_id FROM prompts p WHERE ?1 <= 0 OR NOT EXISTS "
                      "(SELECT 1 FROM completions c WHERE c.prompt_id = p.id AND c.model_id = ?1) "
                      "ORDER BY id LIMIT ?2", error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, without_model_id);
    sqlite3_bind_int64(statement, 2, limit > 0 ? limit : -1);
    int capacity = 0, rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            *prompts = realloc(*prompts, sizeof **prompts * (size_t)capacity);
        }
        (*prompts)[*count].id = sqlite3_column_int64(statement, 0);
        (*prompts)[*count].text = store_column_text(statement, 1);
        (*prompts)[(*count)++].external_id = store_column_text(statement, 2);
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        store_prompts_free(*prompts, *count);
        *prompts = NULL;
        *count = 0;
        return store_fail(db, error, "listing prompts");
    }
    return 0;
}

void store_prompts_free(store_prompt *prompts, int count) {
    for (int i = 0; i < count; i++) {
        free(prompts[i].text);
        free(prompts[i].external_id);
    }
    free(prompts);
}

/* ------------------------------------------------------------------ models and completions */

int store_add_model(store *db, const char *path, const char *content_hash, int64_t *model_id, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "INSERT INTO models (path, content_hash) VALUES (?1, ?2) "
                      "ON CONFLICT (content_hash) DO UPDATE SET path = path RETURNING id", error) != 0)
        return -1;
    sqlite3_bind_text(statement, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, content_hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) *model_id = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW ? 0 : store_fail(db, error, "registering a model");
}

int store_find_model(store *db, const char *content_hash, int64_t *model_id, rlhf_error *error) {
    *model_id = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT id FROM models WHERE content_hash = ?1", error) != 0) return -1;
    sqlite3_bind_text(statement, 1, content_hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) *model_id = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(db, error, "looking up a model");
}

/* Inserts a pair with a randomly chosen left side. */
static int insert_pair(store *db, int64_t prompt_id, int64_t a, int64_t b, int overlap, rlhf_rng *rng,
                       rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "INSERT INTO pairs (prompt_id, completion_a, completion_b, left_completion_id, overlap) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)", error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, prompt_id);
    sqlite3_bind_int64(statement, 2, a);
    sqlite3_bind_int64(statement, 3, b);
    sqlite3_bind_int64(statement, 4, rlhf_rng_next(rng) & 1 ? a : b);
    sqlite3_bind_int(statement, 5, overlap);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "queueing a pair");
}

/* Whether two new completions are the same text. */
static bool same_text(const store_new_completion *a, const store_new_completion *b) {
    return strcmp(a->text, b->text) == 0;
}

/* store_add_completions, and with model_path non-NULL also registering the model (path,
 * content hash) in the same transaction, *model_id getting its id. */
static int add_completions(store *db, const char *model_path, const char *content_hash, int64_t *model_id,
                           const store_new_completion *completions, int count, const store_queue_options *queue,
                           store_queue_counts *counts, rlhf_error *error) {
    memset(counts, 0, sizeof *counts);
    if (queue->overlap < 1) {
        rlhf_error_set(error, "overlap must be at least 1");
        return -1;
    }
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(count > 0 ? count : 1));
    bool *left_out = calloc((size_t)(count > 0 ? count : 1), sizeof(bool));
    rlhf_rng rng;
    rlhf_rng_seed(&rng, queue->seed);
    if (store_begin(db, error) != 0) {
        free(ids);
        free(left_out);
        return -1;
    }
    if (model_path && store_add_model(db, model_path, content_hash, model_id, error) != 0) goto fail;
    sqlite3_stmt *statement;
    /* Checked under the write lock: a prompt another run has sampled since this one
     * planned its work gets no second set of completions. */
    if (queue->new_prompts_only) {
        if (store_prepare(db, &statement, "SELECT 1 FROM completions WHERE prompt_id = ?1 AND model_id = ?2 LIMIT 1",
                          error) != 0)
            goto fail;
        for (int i = 0; i < count; i++) {
            if (i > 0 && completions[i].prompt_id == completions[i - 1].prompt_id) {
                left_out[i] = left_out[i - 1];
                continue;
            }
            sqlite3_reset(statement);
            sqlite3_bind_int64(statement, 1, completions[i].prompt_id);
            sqlite3_bind_int64(statement, 2, *model_id);
            int rc = sqlite3_step(statement);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                sqlite3_finalize(statement);
                store_fail(db, error, "looking for earlier completions");
                goto fail;
            }
            left_out[i] = rc == SQLITE_ROW;
            counts->prompts_left_out += left_out[i];
        }
        sqlite3_finalize(statement);
    }
    if (store_prepare(db, &statement,
                      "INSERT INTO completions (prompt_id, model_id, text, token_count, sampling) VALUES (?1, ?2, ?3, ?4, ?5)",
                      error) != 0)
        goto fail;
    for (int i = 0; i < count; i++) {
        if (left_out[i]) continue;
        sqlite3_reset(statement);
        sqlite3_bind_int64(statement, 1, completions[i].prompt_id);
        sqlite3_bind_int64(statement, 2, *model_id);
        sqlite3_bind_text(statement, 3, completions[i].text, -1, SQLITE_STATIC);
        sqlite3_bind_int(statement, 4, completions[i].token_count);
        if (completions[i].sampling_json) sqlite3_bind_text(statement, 5, completions[i].sampling_json, -1, SQLITE_STATIC);
        else sqlite3_bind_null(statement, 5);
        if (sqlite3_step(statement) != SQLITE_DONE) {
            sqlite3_finalize(statement);
            store_fail(db, error, "inserting a completion");
            goto fail;
        }
        ids[i] = sqlite3_last_insert_rowid(db->db);
    }
    sqlite3_finalize(statement);
    /* Pairs within each prompt's run of completions. */
    for (int first = 0; first < count;) {
        int end = first;
        while (end < count && completions[end].prompt_id == completions[first].prompt_id) end++;
        int k = end - first;
        if (k >= 2 && !left_out[first]) {
            if (queue->pairing == STORE_PAIRS_ALL) {
                for (int i = first; i < end; i++)
                    for (int j = i + 1; j < end; j++) {
                        if (same_text(&completions[i], &completions[j])) {
                            counts->identical++;
                            continue;
                        }
                        if (insert_pair(db, completions[first].prompt_id, ids[i], ids[j], queue->overlap, &rng, error))
                            goto fail;
                        counts->queued++;
                    }
            } else if (queue->pairing == STORE_PAIRS_CLOSEST) {
                int best_i = -1, best_j = -1;
                double best_gap = INFINITY;
                for (int i = first; i < end; i++)
                    for (int j = i + 1; j < end; j++) {
                        double gap = fabs(completions[i].score - completions[j].score);
                        if (!same_text(&completions[i], &completions[j]) && gap < best_gap) {
                            best_gap = gap;
                            best_i = i;
                            best_j = j;
                        }
                    }
                if (best_i < 0) {
                    counts->identical++; /* every completion of the prompt has the same text */
                } else {
                    if (insert_pair(db, completions[first].prompt_id, ids[best_i], ids[best_j], queue->overlap, &rng,
                                    error))
                        goto fail;
                    counts->queued++;
                }
            } else {
                int i = first + (int)(rlhf_rng_next(&rng) % (uint64_t)k);
                int j = first + (int)(rlhf_rng_next(&rng) % (uint64_t)(k - 1));
                if (j >= i) j++;
                if (same_text(&completions[i], &completions[j])) {
                    /* draw j again among the completions whose text differs from i's; none
                     * means every completion of the prompt has the same text */
                    int different = 0;
                    for (int c = first; c < end; c++) different += !same_text(&completions[i], &completions[c]);
                    if (different > 0) {
                        int pick = (int)(rlhf_rng_next(&rng) % (uint64_t)different);
                        for (j = first;; j++) /* the pick-th of them */
                            if (!same_text(&completions[i], &completions[j]) && pick-- == 0) break;
                    }
                }
                if (same_text(&completions[i], &completions[j])) {
                    counts->identical++;
                } else {
                    if (insert_pair(db, completions[first].prompt_id, ids[i], ids[j], queue->overlap, &rng, error))
                        goto fail;
                    counts->queued++;
                }
            }
        }
        first = end;
    }
    free(ids);
    free(left_out);
    return store_commit(db, error);
fail:
    store_rollback(db);
    free(ids);
    free(left_out);
    memset(counts, 0, sizeof *counts);
    return -1;
}

int store_add_completions(store *db, int64_t model_id, const store_new_completion *completions, int count,
                          const store_queue_options *queue, store_queue_counts *counts, rlhf_error *error) {
    return add_completions(db, NULL, NULL, &model_id, completions, count, queue, counts, error);
}

int store_add_model_completions(store *db, const char *model_path, const char *content_hash, int64_t *model_id,
                                const store_new_completion *completions, int count, const store_queue_options *queue,
                                store_queue_counts *counts, rlhf_error *error) {
    return add_completions(db, model_path, content_hash, model_id, completions, count, queue, counts, error);
}

/* ------------------------------------------------------------------ annotators and queue */

int store_annotator(store *db, const char *name, store_annotator_kind kind, int64_t *annotator_id, rlhf_error *error) {
    size_t length = strlen(name);
    bool printable = length >= 1 && length <= STORE_ANNOTATOR_NAME_MAX;
    for (size_t i = 0; i < length && printable; i++) printable = (unsigned char)name[i] >= 0x20 && name[i] != 0x7f;
    if (!printable || !rlhf_utf8_valid(name, length)) {
        rlhf_error_set(error, "annotator name must be 1 to 64 printable characters (bytes) of valid UTF-8");
        return -1;
    }
    static const char *const kinds[] = {"human", "oracle", "import"};
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "INSERT INTO annotators (name, kind) VALUES (?1, ?2) "
                      "ON CONFLICT (name) DO UPDATE SET name = name RETURNING id, kind", error) != 0)
        return -1;
    sqlite3_bind_text(statement, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, kinds[kind], -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    char existing_kind[16] = "";
    if (rc == SQLITE_ROW) {
        *annotator_id = sqlite3_column_int64(statement, 0);
        snprintf(existing_kind, sizeof existing_kind, "%s", (const char *)sqlite3_column_text(statement, 1));
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW) return store_fail(db, error, "adding an annotator");
    /* One name, one kind: a person's labels, an oracle's and an import's never mix (undo
     * takes back an annotator's last label, statistics compare annotators). */
    if (strcmp(existing_kind, kinds[kind]) != 0) {
        rlhf_error_set(error, "annotator '%s' already exists as %s annotator; give these labels another name", name,
                       strcmp(existing_kind, "human") == 0    ? "a human"
                       : strcmp(existing_kind, "oracle") == 0 ? "an oracle"
                                                              : "an import");
        return -1;
    }
    return 0;
}

int store_list_annotators(store *db, store_annotator_info **annotators, int *count, rlhf_error *error) {
    *annotators = NULL;
    *count = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "SELECT a.id, a.name, (SELECT COUNT(*) FROM comparisons c WHERE c.annotator_id = a.id) "
                      "FROM annotators a ORDER BY a.name", error) != 0)
        return -1;
    int capacity = 0, rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 16;
            *annotators = realloc(*annotators, sizeof **annotators * (size_t)capacity);
        }
        store_annotator_info *a = &(*annotators)[(*count)++];
        a->id = sqlite3_column_int64(statement, 0);
        a->name = store_column_text(statement, 1);
        a->labels = (long)sqlite3_column_int64(statement, 2);
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "listing annotators");
}

void store_annotators_free(store_annotator_info *annotators, int count) {
    for (int i = 0; i < count; i++) free(annotators[i].name);
    free(annotators);
}

/* The pairs an annotator may still label: not labeled by them, not already compared by them
 * inside a ranking of the prompt (a ranking implies every pair of its completions), and
 * either gold (every annotator sees gold pairs) or still short of their overlap, which
 * skips do not fill (a skipped pair still needs its labels). Counting other annotators'
 * rows reads none of their choices, so labels stay blind. The ranking test is one index
 * lookup (rankings_by_annotator_prompt, then comparisons_by_ranking) per pair. */
#define OPEN_PAIRS_FOR_ANNOTATOR                                                              \
    "FROM pairs p WHERE NOT EXISTS (SELECT 1 FROM comparisons c WHERE c.pair_id = p.id "       \
    "AND c.annotator_id = ?1) AND NOT EXISTS (SELECT 1 FROM rankings r JOIN comparisons c ON " \
    "c.ranking_id = r.id WHERE r.annotator_id = ?1 AND r.prompt_id = p.prompt_id AND "         \
    "c.completion_a IN (p.completion_a, p.completion_b) AND "                                  \
    "c.completion_b IN (p.completion_a, p.completion_b)) AND (p.gold_choice IS NOT NULL OR "   \
    STORE_PAIR_LABELS " < p.overlap)"

int store_next_pair(store *db, int64_t annotator_id, store_pair *pair, bool *found, rlhf_error *error) {
    return store_next_pair_after(db, annotator_id, 0, pair, found, error);
}

int store_next_pair_after(store *db, int64_t annotator_id, int64_t after_pair_id, store_pair *pair, bool *found,
                          rlhf_error *error) {
    memset(pair, 0, sizeof *pair);
    *found = false;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "SELECT q.id, q.prompt_id, pr.text, q.completion_a, q.completion_b, q.left_completion_id, "
                      "ca.text, cb.text "
                      "FROM pairs q JOIN prompts pr ON pr.id = q.prompt_id "
                      "JOIN completions ca ON ca.id = q.completion_a JOIN completions cb ON cb.id = q.completion_b "
                      /* a scalar subquery in id order stops at the first open pair (an IN
                       * list would build the whole queue on every call) */
                      "WHERE q.id = (SELECT p.id " OPEN_PAIRS_FOR_ANNOTATOR " AND p.id > ?2 ORDER BY p.id LIMIT 1)",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, annotator_id);
    sqlite3_bind_int64(statement, 2, after_pair_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        int64_t a = sqlite3_column_int64(statement, 3), b = sqlite3_column_int64(statement, 4);
        int64_t left = sqlite3_column_int64(statement, 5);
        pair->pair_id = sqlite3_column_int64(statement, 0);
        pair->prompt_id = sqlite3_column_int64(statement, 1);
        pair->prompt = store_column_text(statement, 2);
        pair->left_is_a = left == a;
        pair->left_completion_id = left;
        pair->right_completion_id = left == a ? b : a;
        pair->left_text = store_column_text(statement, left == a ? 6 : 7);
        pair->right_text = store_column_text(statement, left == a ? 7 : 6);
        *found = true;
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(db, error, "reading the queue");
}

void store_pair_free(store_pair *pair) {
    free(pair->prompt);
    free(pair->left_text);
    free(pair->right_text);
    memset(pair, 0, sizeof *pair);
}

int store_queue_progress_for(store *db, int64_t annotator_id, store_queue_progress *progress, rlhf_error *error) {
    /* done counts queued pairs labeled, not the implied pairs of rankings */
    if (query_long(db, "SELECT COUNT(*) FROM comparisons WHERE annotator_id = ?1 AND pair_id IS NOT NULL",
                   annotator_id, &progress->done, error) ||
        query_long(db, "SELECT COUNT(*) " OPEN_PAIRS_FOR_ANNOTATOR, annotator_id, &progress->remaining, error))
        return -1;
    return 0;
}

int store_set_gold(store *db, int64_t pair_id, store_choice answer, rlhf_error *error) {
    if (answer > STORE_CHOICE_TIE) {
        rlhf_error_set(error, "a gold answer is a, b or tie");
        return -1;
    }
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "UPDATE pairs SET gold_choice = ?2 WHERE id = ?1", error) != 0) return -1;
    sqlite3_bind_int64(statement, 1, pair_id);
    sqlite3_bind_text(statement, 2, store_choice_name(answer), -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "setting a gold answer");
    if (sqlite3_changes(db->db) != 1) {
        rlhf_error_set(error, "%s: no pair %lld", db->path, (long long)pair_id);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ comparisons */

int store_flag_kinds(store *db, char ***names, int *count, rlhf_error *error) {
    *names = NULL;
    *count = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT name FROM flag_kinds ORDER BY position, name", error) != 0) return -1;
    int capacity = 0, rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            *names = realloc(*names, sizeof(char *) * (size_t)capacity);
        }
        (*names)[(*count)++] = store_column_text(statement, 0);
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "reading flag kinds");
}

int store_set_flag_kinds(store *db, const char *const *names, int count, rlhf_error *error) {
    /* flags are stored as a JSON array of these names, so they must be valid UTF-8 */
    for (int i = 0; i < count; i++)
        if (!*names[i] || !rlhf_utf8_valid(names[i], strlen(names[i]))) {
            rlhf_error_set(error, "flag %d: a flag name must be non-empty, valid UTF-8", i + 1);
            return -1;
        }
    if (store_begin(db, error) != 0) return -1;
    sqlite3_stmt *statement = NULL;
    if (sqlite3_exec(db->db, "DELETE FROM flag_kinds", NULL, NULL, NULL) != SQLITE_OK ||
        store_prepare(db, &statement, "INSERT INTO flag_kinds (name, position) VALUES (?1, ?2)", error) != 0)
        goto fail;
    for (int i = 0; i < count; i++) {
        sqlite3_reset(statement);
        sqlite3_bind_text(statement, 1, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_int(statement, 2, i + 1);
        if (sqlite3_step(statement) != SQLITE_DONE) goto fail;
    }
    sqlite3_finalize(statement);
    return store_commit(db, error);
fail:
    if (statement) sqlite3_finalize(statement);
    store_fail(db, error, "setting flag kinds");
    store_rollback(db);
    return -1;
}

void store_strings_free(char **strings, int count) {
    for (int i = 0; i < count; i++) free(strings[i]);
    free(strings);
}

/* Checks every flag is a known kind and renders them as a JSON array. */
static int flags_json(store *db, const char *const *flags, int count, char **json, rlhf_error *error) {
    char **kinds;
    int kind_count;
    if (store_flag_kinds(db, &kinds, &kind_count, error) != 0) return -1;
    json_t *array = json_array();
    int status = 0;
    for (int i = 0; i < count && status == 0; i++) {
        bool known = false;
        for (int k = 0; k < kind_count; k++) known |= strcmp(flags[i], kinds[k]) == 0;
        if (!known) {
            rlhf_error_set(error, "unknown flag '%s'", flags[i]);
            status = -1;
        }
        if (status == 0 && json_array_append_new(array, rlhf_json_text(flags[i])) != 0) {
            rlhf_error_set(error, "flag '%s' cannot be written as JSON", flags[i]);
            status = -1;
        }
    }
    store_strings_free(kinds, kind_count);
    *json = status == 0 ? json_dumps(array, JSON_COMPACT) : NULL;
    json_decref(array);
    if (status == 0 && !*json) {
        rlhf_error_set(error, "out of memory writing flags");
        status = -1;
    }
    return status;
}

/* The message for a pair its annotator has already labeled (named by name: ids mean
 * nothing to a person). */
static void already_labeled(store *db, const store_label *label, rlhf_error *error) {
    sqlite3_stmt *statement;
    char name[STORE_ANNOTATOR_NAME_MAX + 1] = "?";
    if (sqlite3_prepare_v2(db->db, "SELECT name FROM annotators WHERE id = ?1", -1, &statement, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(statement, 1, label->annotator_id);
        if (sqlite3_step(statement) == SQLITE_ROW)
            snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(statement, 0));
        sqlite3_finalize(statement);
    }
    rlhf_error_set(error, "annotator '%s' has already labeled pair %lld", name, (long long)label->pair_id);
}

int store_add_comparison(store *db, const store_label *label, int64_t *comparison_id, rlhf_error *error) {
    bool decided = label->choice == STORE_CHOICE_A || label->choice == STORE_CHOICE_B;
    if (label->choice < STORE_CHOICE_A || label->choice > STORE_CHOICE_SKIP) {
        rlhf_error_set(error, "unknown choice");
        return -1;
    }
    if (label->strength != 0 && (!decided || label->strength < 1 || label->strength > 4)) {
        rlhf_error_set(error, "strength %d: only an a or b choice takes a strength, from 1 to 4", label->strength);
        return -1;
    }
    char *flags;
    if (flags_json(db, label->flags, label->flag_count, &flags, error) != 0) return -1;
    if (store_begin(db, error) != 0) {
        free(flags);
        return -1;
    }
    sqlite3_stmt *statement;
    int64_t a = 0, b = 0;
    if (store_prepare(db, &statement, "SELECT completion_a, completion_b FROM pairs WHERE id = ?1", error) != 0) goto fail;
    sqlite3_bind_int64(statement, 1, label->pair_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) {
        a = sqlite3_column_int64(statement, 0);
        b = sqlite3_column_int64(statement, 1);
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW) {
        rlhf_error_set(error, "%s: no pair %lld", db->path, (long long)label->pair_id);
        goto fail;
    }
    if (label->left_completion_id != a && label->left_completion_id != b) {
        rlhf_error_set(error, "completion %lld shown on the left is not in pair %lld", (long long)label->left_completion_id,
                       (long long)label->pair_id);
        goto fail;
    }
    if (store_prepare(db, &statement,
                      "INSERT INTO comparisons (pair_id, completion_a, completion_b, annotator_id, choice, strength, "
                      "flags, rationale, left_completion_id, seconds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                      error) != 0)
        goto fail;
    sqlite3_bind_int64(statement, 1, label->pair_id);
    sqlite3_bind_int64(statement, 2, a);
    sqlite3_bind_int64(statement, 3, b);
    sqlite3_bind_int64(statement, 4, label->annotator_id);
    sqlite3_bind_text(statement, 5, store_choice_name(label->choice), -1, SQLITE_STATIC);
    if (label->strength) sqlite3_bind_int(statement, 6, label->strength);
    sqlite3_bind_text(statement, 7, flags, -1, SQLITE_STATIC);
    if (label->rationale && *label->rationale) sqlite3_bind_text(statement, 8, label->rationale, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 9, label->left_completion_id);
    sqlite3_bind_double(statement, 10, label->seconds);
    rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_UNIQUE) {
            already_labeled(db, label, error);
            free(flags);
            store_rollback(db);
            return 1;
        }
        store_fail(db, error, "recording a comparison");
        goto fail;
    }
    if (comparison_id) *comparison_id = sqlite3_last_insert_rowid(db->db);
    free(flags);
    return store_commit(db, error);
fail:
    free(flags);
    store_rollback(db);
    return -1;
}

int store_undo_label(store *db, int64_t annotator_id, int64_t label_id, bool ranking, bool *undone,
                     rlhf_error *error) {
    *undone = false;
    if (store_begin(db, error) != 0) return -1;
    sqlite3_stmt *statement;
    /* only that annotator's row: an id from elsewhere deletes nothing */
    const char *sql = ranking ? "DELETE FROM rankings WHERE id = ?1 AND annotator_id = ?2"
                              : "DELETE FROM comparisons WHERE id = ?1 AND annotator_id = ?2 AND ranking_id IS NULL";
    if (store_prepare(db, &statement, sql, error) != 0) {
        store_rollback(db);
        return -1;
    }
    sqlite3_bind_int64(statement, 1, label_id);
    sqlite3_bind_int64(statement, 2, annotator_id);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        store_fail(db, error, "undoing a label");
        store_rollback(db);
        return -1;
    }
    *undone = sqlite3_changes(db->db) > 0;
    return store_commit(db, error);
}

int store_list_comparisons(store *db, int64_t annotator_id, store_comparison_row **rows, long *count,
                           rlhf_error *error) {
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "SELECT id, pair_id, ranking_id, completion_a, completion_b, left_completion_id, choice, strength, "
                      "flags, rationale, seconds, created_at FROM comparisons WHERE annotator_id = ?1 ORDER BY id",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, annotator_id);
    long capacity = 0;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 32;
            *rows = realloc(*rows, sizeof **rows * (size_t)capacity);
        }
        store_comparison_row *r = &(*rows)[(*count)++];
        r->id = sqlite3_column_int64(statement, 0);
        r->pair_id = sqlite3_column_int64(statement, 1); /* NULL reads as 0 */
        r->ranking_id = sqlite3_column_int64(statement, 2);
        r->completion_a = sqlite3_column_int64(statement, 3);
        r->completion_b = sqlite3_column_int64(statement, 4);
        r->left_completion_id = sqlite3_column_int64(statement, 5);
        if (store_choice_parse((const char *)sqlite3_column_text(statement, 6), &r->choice) != 0) r->choice = STORE_CHOICE_SKIP;
        r->strength = sqlite3_column_int(statement, 7);
        r->flags_json = store_column_text(statement, 8);
        r->rationale = store_column_text(statement, 9);
        r->seconds = sqlite3_column_double(statement, 10);
        r->created_at = store_column_text(statement, 11);
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        store_comparison_rows_free(*rows, *count);
        *rows = NULL;
        *count = 0;
        return store_fail(db, error, "listing comparisons");
    }
    return 0;
}

void store_comparison_rows_free(store_comparison_row *rows, long count) {
    for (long i = 0; i < count; i++) {
        free(rows[i].flags_json);
        free(rows[i].rationale);
        free(rows[i].created_at);
    }
    free(rows);
}

/* ------------------------------------------------------------------ rankings */

int store_add_ranking(store *db, int64_t annotator_id, int64_t prompt_id, const int64_t *best_first, int count,
                      double seconds, int64_t *ranking_id, rlhf_error *error) {
    if (count < 2) {
        rlhf_error_set(error, "a ranking needs at least two completions");
        return -1;
    }
    json_t *order = json_array();
    for (int i = 0; i < count; i++) json_array_append_new(order, json_integer(best_first[i]));
    char *order_text = json_dumps(order, JSON_COMPACT);
    json_decref(order);
    if (store_begin(db, error) != 0) {
        free(order_text);
        return -1;
    }
    sqlite3_stmt *statement;
    /* every completion must belong to the prompt, once */
    for (int i = 0; i < count; i++) {
        long matches;
        for (int j = 0; j < i; j++)
            if (best_first[j] == best_first[i]) {
                rlhf_error_set(error, "completion %lld is ranked twice", (long long)best_first[i]);
                goto fail;
            }
        if (store_prepare(db, &statement, "SELECT COUNT(*) FROM completions WHERE id = ?1 AND prompt_id = ?2", error))
            goto fail;
        sqlite3_bind_int64(statement, 1, best_first[i]);
        sqlite3_bind_int64(statement, 2, prompt_id);
        matches = sqlite3_step(statement) == SQLITE_ROW ? (long)sqlite3_column_int64(statement, 0) : 0;
        sqlite3_finalize(statement);
        if (matches != 1) {
            rlhf_error_set(error, "completion %lld is not a completion of prompt %lld", (long long)best_first[i],
                           (long long)prompt_id);
            goto fail;
        }
    }
    if (store_prepare(db, &statement,
                      "INSERT INTO rankings (prompt_id, annotator_id, best_first, seconds) VALUES (?1, ?2, ?3, ?4)", error))
        goto fail;
    sqlite3_bind_int64(statement, 1, prompt_id);
    sqlite3_bind_int64(statement, 2, annotator_id);
    sqlite3_bind_text(statement, 3, order_text, -1, SQLITE_STATIC);
    sqlite3_bind_double(statement, 4, seconds);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
        store_fail(db, error, "recording a ranking");
        goto fail;
    }
    int64_t ranking = sqlite3_last_insert_rowid(db->db);
    /* implied pairs: every higher-ranked completion beats every lower one */
    if (store_prepare(db, &statement,
                      "INSERT INTO comparisons (ranking_id, completion_a, completion_b, annotator_id, choice, seconds) "
                      "VALUES (?1, ?2, ?3, ?4, 'a', ?5)", error))
        goto fail;
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++) {
            sqlite3_reset(statement);
            sqlite3_bind_int64(statement, 1, ranking);
            sqlite3_bind_int64(statement, 2, best_first[i]);
            sqlite3_bind_int64(statement, 3, best_first[j]);
            sqlite3_bind_int64(statement, 4, annotator_id);
            sqlite3_bind_double(statement, 5, seconds / (count * (count - 1) / 2));
            if (sqlite3_step(statement) != SQLITE_DONE) {
                sqlite3_finalize(statement);
                store_fail(db, error, "recording a ranking's pairs");
                goto fail;
            }
        }
    sqlite3_finalize(statement);
    if (ranking_id) *ranking_id = ranking;
    free(order_text);
    return store_commit(db, error);
fail:
    free(order_text);
    store_rollback(db);
    return -1;
}

int store_next_ranking_task(store *db, int64_t annotator_id, store_ranking_task *task, bool *found, rlhf_error *error) {
    memset(task, 0, sizeof *task);
    *found = false;
    sqlite3_stmt *statement;
    /* the oldest prompt with 3+ completions from one model that this annotator has not ranked */
    if (store_prepare(db, &statement,
                      "SELECT c.prompt_id, c.model_id FROM completions c WHERE NOT EXISTS "
                      "(SELECT 1 FROM rankings r WHERE r.prompt_id = c.prompt_id AND r.annotator_id = ?1) "
                      "GROUP BY c.prompt_id, c.model_id HAVING COUNT(*) >= 3 ORDER BY c.prompt_id LIMIT 1", error))
        return -1;
    sqlite3_bind_int64(statement, 1, annotator_id);
    int rc = sqlite3_step(statement);
    int64_t prompt_id = 0, model_id = 0;
    if (rc == SQLITE_ROW) {
        prompt_id = sqlite3_column_int64(statement, 0);
        model_id = sqlite3_column_int64(statement, 1);
    }
    sqlite3_finalize(statement);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(db, error, "finding a ranking task");
    if (store_prepare(db, &statement,
                      "SELECT c.id, c.text, p.text FROM completions c JOIN prompts p ON p.id = c.prompt_id "
                      "WHERE c.prompt_id = ?1 AND c.model_id = ?2 ORDER BY c.id", error))
        return -1;
    sqlite3_bind_int64(statement, 1, prompt_id);
    sqlite3_bind_int64(statement, 2, model_id);
    int capacity = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        if (task->count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            task->completion_ids = realloc(task->completion_ids, sizeof(int64_t) * (size_t)capacity);
            task->texts = realloc(task->texts, sizeof(char *) * (size_t)capacity);
        }
        if (!task->prompt) task->prompt = store_column_text(statement, 2);
        task->completion_ids[task->count] = sqlite3_column_int64(statement, 0);
        task->texts[task->count++] = store_column_text(statement, 1);
    }
    sqlite3_finalize(statement);
    task->prompt_id = prompt_id;
    *found = true;
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "reading a ranking task");
}

void store_ranking_task_free(store_ranking_task *task) {
    for (int i = 0; i < task->count; i++) free(task->texts[i]);
    free(task->texts);
    free(task->completion_ids);
    free(task->prompt);
    memset(task, 0, sizeof *task);
}

/* ------------------------------------------------------------------ runs and metrics */

/* This machine's name into host (empty when unknown), to tell whose pid a run's is. */
static void this_host(char host[256]) {
    if (gethostname(host, 256) != 0) host[0] = '\0';
    host[255] = '\0';
}

/* Marks interrupted the runs this machine's processes left 'running' and that no longer
 * exist (kill(pid, 0) finds no such process). Runs of other hosts, and any run whose process
 * lives, are left alone. Best effort: a store it cannot write is left as it is. */
static void sweep_dead_runs(store *db) {
    char host[256];
    this_host(host);
    sqlite3_stmt *select, *update;
    if (store_prepare(db, &select, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?1 AND pid > 0",
                      NULL) != 0)
        return;
    if (store_prepare(db, &update,
                      "UPDATE runs SET status = 'interrupted', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                      "WHERE id = ?1 AND status = 'running'",
                      NULL) != 0) {
        sqlite3_finalize(select);
        return;
    }
    sqlite3_bind_text(select, 1, host, -1, SQLITE_STATIC);
    while (sqlite3_step(select) == SQLITE_ROW) {
        pid_t pid = (pid_t)sqlite3_column_int64(select, 1);
        if (kill(pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours to signal) */
        sqlite3_bind_int64(update, 1, sqlite3_column_int64(select, 0));
        sqlite3_step(update);
        sqlite3_reset(update);
    }
    sqlite3_finalize(select);
    sqlite3_finalize(update);
}

int store_begin_run(store *db, const char *kind, const char *config_json, int64_t *run_id, rlhf_error *error) {
    sweep_dead_runs(db);
    char host[256];
    this_host(host);
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "INSERT INTO runs (kind, config, pid, host) VALUES (?1, ?2, ?3, ?4)", error) != 0)
        return -1;
    sqlite3_bind_text(statement, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(statement, 2, config_json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 3, (int64_t)getpid());
    sqlite3_bind_text(statement, 4, host, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "starting a run");
    *run_id = sqlite3_last_insert_rowid(db->db);
    return 0;
}

int store_resume_run(store *db, int64_t run_id, const char *kind, rlhf_error *error) {
    sweep_dead_runs(db);
    char host[256];
    this_host(host);
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "UPDATE runs SET status = 'running', finished_at = NULL, pid = ?3, host = ?4 "
                      "WHERE id = ?1 AND kind = ?2 AND status != 'running'",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_text(statement, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(statement, 3, (int64_t)getpid());
    sqlite3_bind_text(statement, 4, host, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return store_fail(db, error, "resuming a run");
    if (sqlite3_changes(db->db) == 1) return 0;
    rlhf_error_set(error, "%s: no %s run %lld to resume (another store, or a run still running)", db->path, kind,
                   (long long)run_id);
    return 1;
}

int store_run_status(store *db, int64_t run_id, char **status, rlhf_error *error) {
    sweep_dead_runs(db);
    *status = NULL;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT status FROM runs WHERE id = ?1", error) != 0) return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) *status = store_column_text(statement, 0);
    sqlite3_finalize(statement);
    if (rc == SQLITE_ROW && *status) return 0;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) rlhf_error_set(error, "%s: no run %lld", db->path, (long long)run_id);
    else store_fail(db, error, "reading a run");
    return -1;
}

int store_log_metric(store *db, int64_t run_id, long step, const char *name, double value, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?1, ?2, ?3, ?4)",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_int64(statement, 2, step);
    sqlite3_bind_text(statement, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_double(statement, 4, value);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "logging a metric");
}

int store_finish_run(store *db, int64_t run_id, const char *status, rlhf_error *error) {
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement,
                      "UPDATE runs SET status = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_text(statement, 2, status, -1, SQLITE_STATIC);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "finishing a run");
}

int store_run_metrics(store *db, int64_t run_id, char **kind, store_metric_series **series, int *count,
                      rlhf_error *error) {
    *series = NULL;
    *count = 0;
    *kind = NULL;
    sqlite3_stmt *statement;
    if (store_prepare(db, &statement, "SELECT kind FROM runs WHERE id = ?1", error) != 0) return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    if (sqlite3_step(statement) == SQLITE_ROW) *kind = store_column_text(statement, 0);
    sqlite3_finalize(statement);
    if (!*kind) {
        rlhf_error_set(error, "%s: no run %lld", db->path, (long long)run_id);
        return -1;
    }
    if (store_prepare(db, &statement, "SELECT name, step, value FROM metrics WHERE run_id = ?1 ORDER BY name, step",
                      error) != 0)
        return -1;
    sqlite3_bind_int64(statement, 1, run_id);
    int rc;
    long capacity = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(statement, 0);
        if (*count == 0 || strcmp((*series)[*count - 1].name, name) != 0) {
            *series = realloc(*series, sizeof **series * (size_t)(*count + 1));
            store_metric_series *s = &(*series)[(*count)++];
            memset(s, 0, sizeof *s);
            s->name = strdup(name);
            capacity = 0;
        }
        store_metric_series *s = &(*series)[*count - 1];
        if (s->count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            s->steps = realloc(s->steps, sizeof(long) * (size_t)capacity);
            s->values = realloc(s->values, sizeof(double) * (size_t)capacity);
        }
        s->steps[s->count] = (long)sqlite3_column_int64(statement, 1);
        s->values[s->count++] = sqlite3_column_double(statement, 2);
    }
    sqlite3_finalize(statement);
    return rc == SQLITE_DONE ? 0 : store_fail(db, error, "reading metrics");
}

void store_metric_series_free(store_metric_series *series, int count) {
    for (int i = 0; i < count; i++) {
        free(series[i].name);
        free(series[i].steps);
        free(series[i].values);
    }
    free(series);
}
