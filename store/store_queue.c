/* Annotators and the labeling queue: adding and listing annotators, the next pair an
 * annotator may label (blind to other annotators' choices), their progress, gold pairs. */
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The id of the annotator named name, added as kind when new; refused when the name is not
 * 1..STORE_ANNOTATOR_NAME_MAX printable bytes of UTF-8, or is taken by another kind. */
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
        const char *stored = (const char *)sqlite3_column_text(statement, 1);
        if (stored) snprintf(existing_kind, sizeof existing_kind, "%s", stored);
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

/* One row (id, name, label count) as a store_annotator_info (store_read_rows reader). */
static int read_annotator(sqlite3_stmt *statement, void *item, size_t index, void *user) {
    (void)index, (void)user;
    store_annotator_info *annotator = item;
    annotator->id = sqlite3_column_int64(statement, 0);
    annotator->labels = (long)sqlite3_column_int64(statement, 2);
    return store_column_copy(statement, 1, &annotator->name) == 0 ? 1 : -1;
}

/* Frees what one store_annotator_info owns. */
static void release_annotator(void *item) { free(((store_annotator_info *)item)->name); }

static const store_row_reader annotator_rows = {sizeof(store_annotator_info), read_annotator, release_annotator};

/* Every annotator by name, with how many comparisons each has made. */
int store_list_annotators(store *db, store_annotator_info **annotators, int *count, rlhf_error *error) {
    size_t read;
    int status = store_select_rows(db,
                                   "SELECT a.id, a.name, (SELECT COUNT(*) FROM comparisons c WHERE c.annotator_id = a.id) "
                                   "FROM annotators a ORDER BY a.name",
                                   INT64_MIN, &annotator_rows, NULL, annotators, &read, "listing annotators", error);
    *count = (int)read;
    return status;
}

void store_annotators_free(store_annotator_info *annotators, int count) {
    for (int i = 0; i < count; i++) release_annotator(&annotators[i]);
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

/* The oldest open pair for annotator_id (store_next_pair_after from the start). */
int store_next_pair(store *db, int64_t annotator_id, store_pair *pair, bool *found, rlhf_error *error) {
    return store_next_pair_after(db, annotator_id, 0, pair, found, error);
}

/* The first pair above after_pair_id that annotator_id may still label, shown in its
 * stored left/right order; *found false when there is none. */
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
    bool copied = true;
    if (rc == SQLITE_ROW) {
        int64_t a = sqlite3_column_int64(statement, 3), b = sqlite3_column_int64(statement, 4);
        int64_t left = sqlite3_column_int64(statement, 5);
        pair->pair_id = sqlite3_column_int64(statement, 0);
        pair->prompt_id = sqlite3_column_int64(statement, 1);
        pair->left_is_a = left == a;
        pair->left_completion_id = left;
        pair->right_completion_id = left == a ? b : a;
        copied = store_column_copy(statement, 2, &pair->prompt) == 0 &&
                 store_column_copy(statement, left == a ? 6 : 7, &pair->left_text) == 0 &&
                 store_column_copy(statement, left == a ? 7 : 6, &pair->right_text) == 0;
        *found = copied;
    }
    sqlite3_finalize(statement);
    if (!copied) {
        store_pair_free(pair);
        return store_out_of_memory(db, error, "reading the queue");
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(db, error, "reading the queue");
}

void store_pair_free(store_pair *pair) {
    free(pair->prompt);
    free(pair->left_text);
    free(pair->right_text);
    memset(pair, 0, sizeof *pair);
}

/* How many queued pairs annotator_id has labeled and how many they could still label. */
int store_queue_progress_for(store *db, int64_t annotator_id, store_queue_progress *progress, rlhf_error *error) {
    /* done counts queued pairs labeled, not the implied pairs of rankings */
    if (store_query_long(db, "SELECT COUNT(*) FROM comparisons WHERE annotator_id = ?1 AND pair_id IS NOT NULL",
                   annotator_id, &progress->done, error) ||
        store_query_long(db, "SELECT COUNT(*) " OPEN_PAIRS_FOR_ANNOTATOR, annotator_id, &progress->remaining, error))
        return -1;
    return 0;
}

/* Marks pair_id as gold with answer a, b or tie; fails for another answer or no such pair. */
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

