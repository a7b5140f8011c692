/* Models and their completions: registering a model by content hash, adding a batch of
 * completions, and queueing pairs of each prompt's completions for labeling (all pairs,
 * one random pair, or the pair whose scores are closest). */
#include "store/store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The id of the model with this content hash, registered (with path) when new. */
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

/* The id of the model with this content hash; *model_id 0 when none (writes nothing). */
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

/* Queues the pair (a, b) of prompt_id with a left side drawn from rng. */
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
    size_t items = count > 0 ? (size_t)count : 1;
    int64_t *ids = calloc(items, sizeof *ids);
    bool *left_out = calloc(items, sizeof *left_out);
    if (!ids || !left_out) {
        free(ids);
        free(left_out);
        store_out_of_memory(db, error, "adding completions");
        return -1;
    }
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

/* Adds completions from model_id and queues their pairs, in one transaction. */
int store_add_completions(store *db, int64_t model_id, const store_new_completion *completions, int count,
                          const store_queue_options *queue, store_queue_counts *counts, rlhf_error *error) {
    return add_completions(db, NULL, NULL, &model_id, completions, count, queue, counts, error);
}

/* store_add_completions, registering the model in the same transaction. */
int store_add_model_completions(store *db, const char *model_path, const char *content_hash, int64_t *model_id,
                                const store_new_completion *completions, int count, const store_queue_options *queue,
                                store_queue_counts *counts, rlhf_error *error) {
    return add_completions(db, model_path, content_hash, model_id, completions, count, queue, counts, error);
}

