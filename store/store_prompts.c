/* Prompts: importing JSONL files of prompts (recognising duplicates by id and by text),
 * adding one prompt by text, and listing them. */
#include "store/store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a of a text, as 16 hex digits: how prompts are recognised as duplicates. */
static void text_hash(const char *text, char out[17]) {
    uint64_t hash = rlhf_fnv1a(RLHF_FNV1A_START, text, strlen(text));
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
}

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

/* The id of the prompt with this text (by store_import_prompts's duplicate rule), added if new. */
int store_find_or_add_prompt(store *db, const char *text, int64_t *id, rlhf_error *error) {
    bool inserted;
    return insert_prompt(db, text, NULL, NULL, id, &inserted, error);
}

/* What store_import_prompts passes to each line. */
typedef struct prompt_import {
    store *db;
    const char *path;
    store_import_result *result;
} prompt_import;

/* Imports one line of a prompts file (rlhf_read_jsonl visitor; user is a prompt_import),
 * counting it as imported or duplicate. */
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
    bool lost = !metadata || (json_object_size(metadata) && !metadata_text);
    json_decref(metadata);
    if (lost) {
        rlhf_error_set(error, "%s: line %ld: out of memory", import->path, line);
        return -1;
    }
    int64_t row;
    bool inserted;
    int status = insert_prompt(import->db, json_string_value(prompt), external_id, metadata_text, &row, &inserted, error);
    free(metadata_text);
    if (status != 0) return -1;
    if (inserted) import->result->imported++;
    else import->result->duplicates++;
    return 0;
}

/* Imports a JSONL file of prompts in one transaction; a bad line fails the whole file. */
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

/* One row (id, text, external_id) as a store_prompt (store_read_rows reader). */
static int read_prompt(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index, (void)user;
    store_prompt *prompt = item;
    prompt->id = sqlite3_column_int64(statement, 0);
    if (store_column_copy(statement, 1, &prompt->text) != 0 || store_column_copy(statement, 2, &prompt->external_id) != 0)
        return -1;
    return 1;
}

/* Frees what one store_prompt owns. */
static void release_prompt(void *item) {
    store_prompt *prompt = item;
    free(prompt->text);
    free(prompt->external_id);
}

static const store_row_reader prompt_rows = {sizeof(store_prompt), read_prompt, release_prompt};

/* Prompts in id order, at most limit (0: all), leaving out those with completions from
 * without_model_id when it is positive. */
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
    size_t read;
    int status = store_read_rows(db, statement, &prompt_rows, NULL, prompts, &read, "listing prompts", error);
    *count = (int)read;
    return status;
}

void store_prompts_free(store_prompt *prompts, int count) {
    for (int i = 0; i < count; i++) release_prompt(&prompts[i]);
    free(prompts);
}
