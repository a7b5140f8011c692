/* Comparisons and rankings: the flag kinds, recording one label, taking one back, listing
 * an annotator's rows, and rankings of K completions with their implied pairs. */
#include "store/store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ comparisons */

/* Frees the string an item of a char * array points to. */
static void release_string(void *item) { free(*(char **)item); }

/* The first column's text as one string of an array (store_read_rows reader). */
static int read_string(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index, (void)user;
    return store_column_copy(statement, 0, item) == 0 ? 1 : -1;
}

static const store_row_reader string_rows = {sizeof(char *), read_string, release_string};

/* The flag names annotators can set, in their order; *names is freed by store_strings_free. */
int store_flag_kinds(store *db, char ***names, int *count, rlhf_error *error) {
    size_t read;
    int status = store_select_rows(db, "SELECT name FROM flag_kinds ORDER BY position, name", INT64_MIN, &string_rows,
                                   NULL, names, &read, "reading flag kinds", error);
    *count = (int)read;
    return status;
}

/* Replaces the flag kinds with names, in that order, in one transaction. */
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
    for (int i = 0; i < count; i++) release_string(&strings[i]);
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
        const char *stored = sqlite3_step(statement) == SQLITE_ROW ? (const char *)sqlite3_column_text(statement, 0) : NULL;
        if (stored) snprintf(name, sizeof name, "%s", stored);
        sqlite3_finalize(statement);
    }
    rlhf_error_set(error, "annotator '%s' has already labeled pair %lld", name, (long long)label->pair_id);
}

/* Records one label durably: 0, 1 when this annotator already labeled the pair (nothing
 * written), -1 when refused or the write fails. */
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

/* Deletes annotator_id's comparison (or with ranking, ranking) label_id; *undone false when
 * they have no such row. */
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

/* One comparisons row as a store_comparison_row (store_read_rows reader). */
static int read_comparison(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index, (void)user;
    store_comparison_row *row = item;
    row->id = sqlite3_column_int64(statement, 0);
    row->pair_id = sqlite3_column_int64(statement, 1); /* NULL reads as 0 */
    row->ranking_id = sqlite3_column_int64(statement, 2);
    row->completion_a = sqlite3_column_int64(statement, 3);
    row->completion_b = sqlite3_column_int64(statement, 4);
    row->left_completion_id = sqlite3_column_int64(statement, 5);
    if (store_choice_parse((const char *)sqlite3_column_text(statement, 6), &row->choice) != 0)
        row->choice = STORE_CHOICE_SKIP;
    row->strength = sqlite3_column_int(statement, 7);
    row->seconds = sqlite3_column_double(statement, 10);
    if (store_column_copy(statement, 8, &row->flags_json) != 0 || store_column_copy(statement, 9, &row->rationale) != 0 ||
        store_column_copy(statement, 11, &row->created_at) != 0)
        return -1;
    return 1;
}

/* Frees what one store_comparison_row owns. */
static void release_comparison(void *item) {
    store_comparison_row *row = item;
    free(row->flags_json);
    free(row->rationale);
    free(row->created_at);
}

static const store_row_reader comparison_rows = {sizeof(store_comparison_row), read_comparison, release_comparison};

/* Every comparison of annotator_id, oldest first, as stored. */
int store_list_comparisons(store *db, int64_t annotator_id, store_comparison_row **rows, long *count,
                           rlhf_error *error) {
    size_t read;
    int status = store_select_rows(db,
                                   "SELECT id, pair_id, ranking_id, completion_a, completion_b, left_completion_id, "
                                   "choice, strength, flags, rationale, seconds, created_at FROM comparisons "
                                   "WHERE annotator_id = ?1 ORDER BY id",
                                   annotator_id, &comparison_rows, NULL, rows, &read, "listing comparisons", error);
    *count = (long)read;
    return status;
}

void store_comparison_rows_free(store_comparison_row *rows, long count) {
    for (long i = 0; i < count; i++) release_comparison(&rows[i]);
    free(rows);
}

/* ------------------------------------------------------------------ rankings */

/* Stores a ranking of count >= 2 distinct completions of prompt_id, best first, with its
 * implied pairs as comparisons, in one transaction. */
int store_add_ranking(store *db, int64_t annotator_id, int64_t prompt_id, const int64_t *best_first, int count,
                      double seconds, int64_t *ranking_id, rlhf_error *error) {
    if (count < 2) {
        rlhf_error_set(error, "a ranking needs at least two completions");
        return -1;
    }
    json_t *order = json_array();
    bool built = order != NULL;
    for (int i = 0; i < count && built; i++) built = json_array_append_new(order, json_integer(best_first[i])) == 0;
    char *order_text = built ? json_dumps(order, JSON_COMPACT) : NULL;
    json_decref(order);
    if (!order_text) return store_out_of_memory(db, error, "recording a ranking");
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

/* What reading a ranking task's completions needs beside the texts array. */
typedef struct ranking_task_read {
    store_ranking_task *task;
    size_t id_capacity;
} ranking_task_read;

/* One row (id, text, prompt text) of a ranking task: the text is the item, the id goes to
 * task->completion_ids[index] and the prompt, once, to task->prompt (store_read_rows reader). */
static int read_ranking_completion(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    ranking_task_read *reading = user;
    store_ranking_task *task = reading->task;
    if (rlhf_grow(&task->completion_ids, &reading->id_capacity, index + 1, sizeof *task->completion_ids) != 0 ||
        (!task->prompt && store_column_copy(statement, 2, &task->prompt) != 0))
        return -1;
    task->completion_ids[index] = sqlite3_column_int64(statement, 0);
    return store_column_copy(statement, 1, item) == 0 ? 1 : -1;
}

static const store_row_reader ranking_completion_rows = {sizeof(char *), read_ranking_completion, release_string};

/* The oldest prompt with 3 or more completions from one model that annotator_id has not
 * ranked, with those completions in id order; *found false when there is none. */
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
    ranking_task_read reading = {task, 0};
    size_t read;
    if (store_read_rows(db, statement, &ranking_completion_rows, &reading, &task->texts, &read,
                        "reading a ranking task", error) != 0) {
        store_ranking_task_free(task); /* the texts are gone already; count is 0 */
        return -1;
    }
    task->count = (int)read;
    task->prompt_id = prompt_id;
    *found = true;
    return 0;
}

void store_ranking_task_free(store_ranking_task *task) {
    for (int i = 0; i < task->count; i++) free(task->texts[i]);
    free(task->texts);
    free(task->completion_ids);
    free(task->prompt);
    memset(task, 0, sizeof *task);
}
