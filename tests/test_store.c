/* The preference store: schema and migrations, imports and their errors, the queue and its
 * blindness, comparisons, undo, rankings, export/import, statistics against worked
 * examples, two writers at once, and SIGKILL at random moments. */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rlhf/store.h"
#include "tests/test_support.h"

static char directory[256];

static void setup(void) {
    tests_make_temporary_directory(directory, sizeof directory, "store");
}

static const char *path_in(const char *name) {
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", directory, name);
    return p;
}

static const char *write_file(const char *name, const char *text, size_t length) {
    const char *path = path_in(name);
    FILE *file = fopen(path, "wb");
    fwrite(text, 1, length, file);
    fclose(file);
    return path;
}

static store *open_store(const char *name) {
    store *db;
    rlhf_error error;
    ck_assert_msg(store_open(&db, path_in(name), &error) == 0, "%s", error.message);
    return db;
}

/* A store with P prompts, each with K completions from one model and all pairs queued. */
static store *populated_store(const char *name, int P, int K, int overlap, long *pairs) {
    store *db = open_store(name);
    rlhf_error error;
    char text[64 * 1024];
    size_t length = 0;
    for (int p = 0; p < P; p++) length += (size_t)snprintf(text + length, sizeof text - length, "{\"prompt\": \"prompt %d\"}\n", p);
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, write_file("prompts.jsonl", text, length), &imported, &error), 0);
    int64_t model;
    ck_assert_int_eq(store_add_model(db, "/models/m", "hash-m", &model, &error), 0);
    store_prompt *prompts;
    int count;
    ck_assert_int_eq(store_list_prompts(db, 0, 0, &prompts, &count, &error), 0);
    store_new_completion *rows = calloc((size_t)P * K, sizeof *rows);
    char (*texts)[32] = calloc((size_t)P * K, 32);
    for (int p = 0; p < P; p++)
        for (int k = 0; k < K; k++) {
            snprintf(texts[p * K + k], 32, "answer %d.%d", p, k);
            rows[p * K + k] = (store_new_completion){.prompt_id = prompts[p].id, .text = texts[p * K + k], .token_count = 3};
        }
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = overlap, .seed = 7};
    store_queue_counts counts;
    ck_assert_int_eq(store_add_completions(db, model, rows, P * K, &queue, &counts, &error), 0);
    ck_assert_int_eq(counts.identical, 0);
    *pairs = counts.queued;
    free(rows);
    free(texts);
    store_prompts_free(prompts, count);
    return db;
}

/* Labels the annotator's next pair with choice; returns the pair id (0 if none). */
static int64_t label_next(store *db, int64_t annotator, store_choice choice, int strength) {
    store_pair pair;
    bool found;
    rlhf_error error;
    ck_assert_int_eq(store_next_pair(db, annotator, &pair, &found, &error), 0);
    if (!found) return 0;
    store_label label = {.pair_id = pair.pair_id, .annotator_id = annotator, .choice = choice, .strength = strength,
                         .left_completion_id = pair.left_completion_id, .seconds = 2.5};
    ck_assert_msg(store_add_comparison(db, &label, NULL, &error) == 0, "%s", error.message);
    int64_t id = pair.pair_id;
    store_pair_free(&pair);
    return id;
}

START_TEST(test_new_store_and_future_version) {
    store *db = open_store("new.db");
    store_close(db);
    /* reopening migrates nothing and works */
    db = open_store("new.db");
    store_close(db);
    /* a version-1 store (before the queue's indexes) is migrated to the current version */
    sqlite3 *raw;
    ck_assert_int_eq(sqlite3_open(path_in("new.db"), &raw), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(raw, "DROP INDEX rankings_by_annotator_prompt; DROP INDEX comparisons_by_ranking; "
                                       "ALTER TABLE runs DROP COLUMN pid; ALTER TABLE runs DROP COLUMN host; "
                                       "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    db = open_store("new.db");
    store_close(db);
    ck_assert_int_eq(sqlite3_open(path_in("new.db"), &raw), SQLITE_OK);
    sqlite3_stmt *statement;
    ck_assert_int_eq(sqlite3_prepare_v2(raw, "SELECT (SELECT user_version FROM pragma_user_version), (SELECT COUNT(*) FROM "
                                             "sqlite_master WHERE name IN ('rankings_by_annotator_prompt', "
                                             "'comparisons_by_ranking'))", -1, &statement, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(statement), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(statement, 0), STORE_SCHEMA_VERSION);
    ck_assert_int_eq(sqlite3_column_int(statement, 1), 2);
    sqlite3_finalize(statement);
    sqlite3_close(raw);
    /* user_version lives at byte 60 of the SQLite header (big-endian): make it 99 */
    const char *path = path_in("new.db");
    int fd = open(path, O_RDWR);
    unsigned char version[4] = {0, 0, 0, 99};
    ck_assert_int_eq(pwrite(fd, version, 4, 60), 4);
    close(fd);
    char before[64], after[64], command[700];
    snprintf(command, sizeof command, "cat %s* | md5sum > %s/before", path, directory);
    ck_assert_int_eq(system(command), 0);
    rlhf_error error;
    ck_assert_int_eq(store_open(&db, path, &error), -1);
    ck_assert_msg(strstr(error.message, "schema version 99") && strstr(error.message, "not modified"), "%s", error.message);
    snprintf(command, sizeof command, "cat %s* | md5sum > %s/after", path, directory);
    ck_assert_int_eq(system(command), 0);
    FILE *a = fopen(path_in("before"), "r"), *b = fopen(path_in("after"), "r");
    ck_assert_ptr_nonnull(fgets(before, sizeof before, a));
    ck_assert_ptr_nonnull(fgets(after, sizeof after, b));
    fclose(a);
    fclose(b);
    ck_assert_str_eq(before, after);
    /* a file that is not SQLite */
    write_file("junk.db", "this is not a database, just some text that is long enough..............................."
                          "................................................................................", 170);
    ck_assert_int_eq(store_open(&db, path_in("junk.db"), &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "junk.db"));
}
END_TEST

START_TEST(test_prompt_import_duplicates_and_errors) {
    store *db = open_store("prompts.db");
    rlhf_error error;
    store_import_result result;
    const char *good = "{\"prompt\": \"one\", \"id\": \"p1\", \"topic\": \"x\"}\n\n{\"prompt\": \"two\"}\n{\"prompt\": \"two\"}\n"
                       "{\"prompt\": \"other text\", \"id\": \"p1\"}\n";
    ck_assert_int_eq(store_import_prompts(db, write_file("good.jsonl", good, strlen(good)), &result, &error), 0);
    ck_assert_int_eq(result.imported, 2);
    ck_assert_int_eq(result.duplicates, 2); /* same text, same id */
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"{\"prompt\": \"fine\"}\n{\"prompt\": \"broken\"\n", "line 2"},
        {"{\"prompt\": \"fine\"}\n{\"prompt\": 5}\n", "line 2: \"prompt\" must be a string"},
        {"{\"prompt\": \"fine\"}\n[1]\n", "line 2: expected a JSON object"},
        {"{\"prompt\": \"fine\"}\n\n{\"prompt\": \"bad \xff byte\"}\n", "line 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(store_import_prompts(db, write_file("bad.jsonl", bad[i].text, strlen(bad[i].text)), &result, &error), -1);
        ck_assert_msg(strstr(error.message, bad[i].needle) && strstr(error.message, "bad.jsonl"), "%zu: %s", i, error.message);
    }
    store_stats stats;
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), 0);
    ck_assert_int_eq(stats.prompts, 2); /* nothing of the bad files was written ("fine" included) */
    store_stats_free(&stats);
    /* a very long prompt is fine */
    size_t n = 2 * 1024 * 1024;
    char *huge = malloc(n + 32);
    strcpy(huge, "{\"prompt\": \"");
    memset(huge + 12, 'x', n);
    strcpy(huge + 12 + n, "\"}\n");
    ck_assert_int_eq(store_import_prompts(db, write_file("huge.jsonl", huge, strlen(huge)), &result, &error), 0);
    ck_assert_int_eq(result.imported, 1);
    free(huge);
    store_close(db);
}
END_TEST

START_TEST(test_queue_overlap_gold_and_blindness) {
    long pairs;
    store *db = populated_store("queue.db", 4, 3, 2, &pairs);
    ck_assert_int_eq(pairs, 4 * 3); /* 3 pairs per prompt */
    rlhf_error error;
    int64_t ann[3];
    const char *names[3] = {"ann", "bob", "cat"};
    for (int i = 0; i < 3; i++) ck_assert_int_eq(store_annotator(db, names[i], STORE_ANNOTATOR_HUMAN, &ann[i], &error), 0);
    /* the left side is random per pair: over 12 pairs both sides occur */
    int left_is_a = 0;
    for (int i = 0; i < 12; i++) {
        store_pair pair;
        bool found;
        ck_assert_int_eq(store_next_pair(db, ann[0], &pair, &found, &error), 0);
        ck_assert(found);
        left_is_a += pair.left_is_a;
        store_label label = {.pair_id = pair.pair_id, .annotator_id = ann[0], .choice = STORE_CHOICE_TIE,
                             .left_completion_id = pair.left_completion_id};
        ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0);
        store_pair_free(&pair);
    }
    ck_assert(left_is_a > 0 && left_is_a < 12);
    store_queue_progress progress;
    ck_assert_int_eq(store_queue_progress_for(db, ann[0], &progress, &error), 0);
    ck_assert_int_eq(progress.done, 12);
    ck_assert_int_eq(progress.remaining, 0);
    /* overlap 2: bob still sees every pair; after bob, cat sees none */
    for (int i = 0; i < 12; i++) ck_assert(label_next(db, ann[1], STORE_CHOICE_A, 2) != 0);
    ck_assert_int_eq(label_next(db, ann[1], STORE_CHOICE_A, 2), 0);
    ck_assert_int_eq(store_queue_progress_for(db, ann[2], &progress, &error), 0);
    ck_assert_int_eq(progress.remaining, 0);
    /* a gold pair is shown to everyone who has not labeled it */
    ck_assert_int_eq(store_set_gold(db, 5, STORE_CHOICE_B, &error), 0);
    ck_assert_int_eq(store_queue_progress_for(db, ann[2], &progress, &error), 0);
    ck_assert_int_eq(progress.remaining, 1);
    ck_assert_int_eq(label_next(db, ann[2], STORE_CHOICE_B, 4), 5);
    store_close(db);
}
END_TEST

START_TEST(test_comparison_validation_undo_and_rankings) {
    long pairs;
    store *db = populated_store("labels.db", 2, 3, 1, &pairs);
    rlhf_error error;
    int64_t ann;
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    ck_assert_int_eq(store_annotator(db, "", STORE_ANNOTATOR_HUMAN, &ann, &error), -1);
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    store_pair pair;
    bool found;
    ck_assert_int_eq(store_next_pair(db, ann, &pair, &found, &error), 0);
    const char *flags[2] = {"unsafe", "gibberish"}, *unknown[1] = {"boring"};
    store_label label = {.pair_id = pair.pair_id, .annotator_id = ann, .choice = STORE_CHOICE_TIE, .strength = 2,
                         .left_completion_id = pair.left_completion_id, .seconds = 4.0};
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), -1); /* strength on a tie */
    ck_assert_ptr_nonnull(strstr(error.message, "strength"));
    label.choice = STORE_CHOICE_A;
    label.strength = 5;
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), -1);
    label.strength = 3;
    label.flags = unknown;
    label.flag_count = 1;
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "boring"));
    label.flags = flags;
    label.flag_count = 2;
    label.left_completion_id = 9999;
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), -1);
    label.left_completion_id = pair.left_completion_id;
    label.rationale = "clearer";
    int64_t label_id;
    ck_assert_int_eq(store_add_comparison(db, &label, &label_id, &error), 0);
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 1); /* twice: nothing written */
    ck_assert_ptr_nonnull(strstr(error.message, "annotator 'ann' has already labeled"));
    /* the row holds everything the label said */
    store_comparison_row *rows;
    long row_count;
    ck_assert_int_eq(store_list_comparisons(db, ann, &rows, &row_count, &error), 0);
    ck_assert_int_eq(row_count, 1);
    ck_assert_int_eq(rows[0].pair_id, pair.pair_id);
    ck_assert_int_eq(rows[0].choice, STORE_CHOICE_A);
    ck_assert_int_eq(rows[0].strength, 3);
    ck_assert_str_eq(rows[0].flags_json, "[\"unsafe\",\"gibberish\"]");
    ck_assert_str_eq(rows[0].rationale, "clearer");
    ck_assert_int_eq(rows[0].left_completion_id, pair.left_completion_id);
    ck_assert_double_eq(rows[0].seconds, 4.0);
    ck_assert_ptr_nonnull(rows[0].created_at);
    store_comparison_rows_free(rows, row_count);
    /* the pair left the queue; undo brings it back */
    store_pair next;
    ck_assert_int_eq(store_next_pair(db, ann, &next, &found, &error), 0);
    ck_assert_int_ne(next.pair_id, pair.pair_id);
    store_pair_free(&next);
    bool undone;
    int64_t other;
    ck_assert_int_eq(store_annotator(db, "other", STORE_ANNOTATOR_HUMAN, &other, &error), 0);
    ck_assert_int_eq(store_undo_label(db, other, label_id, false, &undone, &error), 0);
    ck_assert(!undone); /* another annotator's undo deletes nothing */
    ck_assert_int_eq(store_undo_label(db, ann, label_id, true, &undone, &error), 0);
    ck_assert(!undone); /* a comparison id is not a ranking id */
    ck_assert_int_eq(store_undo_label(db, ann, label_id, false, &undone, &error), 0);
    ck_assert(undone);
    ck_assert_int_eq(store_undo_label(db, ann, label_id, false, &undone, &error), 0);
    ck_assert(!undone); /* gone already */
    ck_assert_int_eq(store_next_pair(db, ann, &next, &found, &error), 0);
    ck_assert_int_eq(next.pair_id, pair.pair_id);
    store_pair_free(&next);
    /* flags come from the store and can be changed */
    char **kinds;
    int kind_count;
    ck_assert_int_eq(store_flag_kinds(db, &kinds, &kind_count, &error), 0);
    ck_assert_int_eq(kind_count, 4);
    ck_assert_str_eq(kinds[1], "factually wrong");
    store_strings_free(kinds, kind_count);
    const char *project[2] = {"off topic", "boring"};
    ck_assert_int_eq(store_set_flag_kinds(db, project, 2, &error), 0);
    label.flags = unknown;
    label.flag_count = 1;
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0);
    /* a ranking of three completions: one ranking row, three implied a-wins comparisons */
    store_ranking_task task;
    ck_assert_int_eq(store_next_ranking_task(db, ann, &task, &found, &error), 0);
    ck_assert(found);
    ck_assert_int_eq(task.count, 3);
    int64_t order[3] = {task.completion_ids[2], task.completion_ids[0], task.completion_ids[1]};
    int64_t twice[3] = {order[0], order[0], order[1]};
    ck_assert_int_eq(store_add_ranking(db, ann, task.prompt_id, twice, 3, 9.0, NULL, &error), -1);
    int64_t ranking_id;
    ck_assert_int_eq(store_add_ranking(db, ann, task.prompt_id, order, 3, 9.0, &ranking_id, &error), 0);
    store_preference *prefs;
    long count;
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &prefs, &count, &error), 0);
    ck_assert_int_eq(count, 4); /* the relabeled pair and the three implied pairs */
    ck_assert_str_eq(prefs[1].chosen, task.texts[2]);
    ck_assert_str_eq(prefs[1].rejected, task.texts[0]);
    ck_assert_str_eq(prefs[3].chosen, task.texts[0]);
    ck_assert_str_eq(prefs[3].rejected, task.texts[1]);
    store_preferences_free(prefs, count);
    /* undo removes the whole ranking, and an implied comparison alone cannot be undone */
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &prefs, &count, &error), 0);
    ck_assert_int_eq(store_undo_label(db, ann, prefs[3].comparison_id, false, &undone, &error), 0);
    ck_assert(!undone);
    store_preferences_free(prefs, count);
    ck_assert_int_eq(store_undo_label(db, ann, ranking_id, true, &undone, &error), 0);
    ck_assert(undone);
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &prefs, &count, &error), 0);
    ck_assert_int_eq(count, 1);
    store_preferences_free(prefs, count);
    store_ranking_task_free(&task);
    store_pair_free(&pair);
    store_close(db);
}
END_TEST

START_TEST(test_export_and_import_preferences) {
    long pairs;
    store *db = populated_store("export.db", 3, 2, 1, &pairs);
    rlhf_error error;
    int64_t ann;
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    label_next(db, ann, STORE_CHOICE_B, 1);
    label_next(db, ann, STORE_CHOICE_TIE, 0);
    label_next(db, ann, STORE_CHOICE_SKIP, 0);
    store_export_result result;
    const char *out = path_in("prefs.jsonl");
    ck_assert_int_eq(store_export_preferences(db, out, &result, &error), 0);
    ck_assert_int_eq(result.written, 1);
    ck_assert_int_eq(result.ties, 1);
    ck_assert_int_eq(result.skips, 1);
    char *text;
    size_t size;
    ck_assert_int_eq(rlhf_read_file(out, &text, &size, &error), 0);
    ck_assert_str_eq(text, "{\"prompt\":\"prompt 0\",\"chosen\":\"answer 0.1\",\"rejected\":\"answer 0.0\"}\n");
    free(text);
    /* import: TRL lines and an Anthropic HH line */
    const char *lines =
        "{\"prompt\": \"Say hi\", \"chosen\": \"hi!\", \"rejected\": \"no.\"}\n"
        "{\"chosen\": \"\\n\\nHuman: Hello?\\n\\nAssistant: Hi there.\", \"rejected\": \"\\n\\nHuman: Hello?\\n\\nAssistant: Go away.\"}\n";
    store_import_result imported;
    ck_assert_int_eq(store_import_preferences(db, write_file("in.jsonl", lines, strlen(lines)), "import:test", &imported, &error), 0);
    ck_assert_int_eq(imported.imported, 2);
    /* the same file again: nothing doubles */
    ck_assert_int_eq(store_import_preferences(db, path_in("in.jsonl"), "import:test", &imported, &error), 0);
    ck_assert_int_eq(imported.imported, 0);
    ck_assert_int_eq(imported.duplicates, 2);
    store_preference *prefs;
    long count;
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &prefs, &count, &error), 0);
    ck_assert_int_eq(count, 2);
    ck_assert_str_eq(prefs[1].prompt, "\n\nHuman: Hello?\n\nAssistant:");
    ck_assert_str_eq(prefs[1].chosen, " Hi there.");
    ck_assert_str_eq(prefs[1].rejected, " Go away.");
    ck_assert_str_eq(prefs[1].annotator, "import:test");
    store_preferences_free(prefs, count);
    const char *bad = "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n{\"chosen\": \"x\", \"rejected\": \"y\"}\n";
    ck_assert_int_eq(store_import_preferences(db, write_file("bad.jsonl", bad, strlen(bad)), "import:bad", &imported, &error), -1);
    ck_assert_msg(strstr(error.message, "bad.jsonl: line 2"), "%s", error.message);
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &prefs, &count, &error), 0);
    ck_assert_int_eq(count, 2); /* line 1 of the bad file was not kept */
    store_preferences_free(prefs, count);
    store_close(db);
}
END_TEST

/* Labels pairs in order: annotator `who` gives choices[i] to the i-th pair its queue offers;
 * with by_side, choices[i] is A for "the left side" and B for "the right side", turned into
 * a/b through the pair's shown order. */
static void label_in_order(store *db, int64_t who, const store_choice *choices, int count, bool by_side,
                           int64_t *pair_ids, int64_t *left_ids) {
    rlhf_error error;
    for (int i = 0; i < count; i++) {
        store_pair pair;
        bool found;
        ck_assert_int_eq(store_next_pair(db, who, &pair, &found, &error), 0);
        ck_assert(found);
        store_choice c = choices[i];
        if (by_side && (c == STORE_CHOICE_A || c == STORE_CHOICE_B))
            c = (c == STORE_CHOICE_A) == pair.left_is_a ? STORE_CHOICE_A : STORE_CHOICE_B;
        store_label label = {.pair_id = pair.pair_id, .annotator_id = who, .choice = c,
                             .left_completion_id = pair.left_completion_id, .seconds = 1.0};
        ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0);
        if (pair_ids) pair_ids[i] = pair.pair_id;
        if (left_ids) left_ids[i] = pair.left_completion_id;
        store_pair_free(&pair);
    }
}

/* Figures a one-word slip in the statistics would change (issue 20's surviving mutants):
 * agreement in all four categories, both-bad included, and a left side that wins 3 of 4.
 *   Z: a, both-bad, both-bad, b; W: a, both-bad, tie, b. Agreement 3/4.
 *   Cohen: marginals Z (a 1, b 1, tie 0, bad 2), W (a 1, b 1, tie 1, bad 1):
 *   p_e = (1 + 1 + 0 + 2) / 16 = 1/4, kappa = (3/4 - 1/4) / (3/4) = 2/3 (leaving both-bad
 *   out of the observed agreement would give 1/3).
 *   Fleiss (2 raters): P = 3/4; p = (2, 2, 1, 3) / 8: P_e = 18/64,
 *   kappa = (48/64 - 18/64) / (46/64) = 15/23.
 *   Position: V labels four pairs of another store left, left, left, right: left-win rate 3/4
 *   (the right side's share, 1/4, is what a flipped comparison would report). */
START_TEST(test_statistics_every_category_and_side) {
    long pairs;
    rlhf_error error;
    store *db = populated_store("stats4.db", 4, 2, 2, &pairs);
    int64_t z, w;
    ck_assert_int_eq(store_annotator(db, "Z", STORE_ANNOTATOR_HUMAN, &z, &error), 0);
    ck_assert_int_eq(store_annotator(db, "W", STORE_ANNOTATOR_HUMAN, &w, &error), 0);
    store_choice zs[4] = {STORE_CHOICE_A, STORE_CHOICE_BOTH_BAD, STORE_CHOICE_BOTH_BAD, STORE_CHOICE_B};
    store_choice ws[4] = {STORE_CHOICE_A, STORE_CHOICE_BOTH_BAD, STORE_CHOICE_TIE, STORE_CHOICE_B};
    int64_t pair_ids[4], w_pair_ids[4];
    label_in_order(db, z, zs, 4, false, pair_ids, NULL);
    label_in_order(db, w, ws, 4, false, w_pair_ids, NULL);
    for (int i = 0; i < 4; i++) ck_assert(w_pair_ids[i] == pair_ids[i]); /* both labeled the same pairs in turn */
    /* gold: a on the first pair (both right), tie on the third (Z said both-bad: wrong; W
     * right), a on the fourth (both said b: wrong). Z 1 of 3, W 2 of 3. */
    ck_assert_int_eq(store_set_gold(db, pair_ids[0], STORE_CHOICE_A, &error), 0);
    ck_assert_int_eq(store_set_gold(db, pair_ids[2], STORE_CHOICE_TIE, &error), 0);
    ck_assert_int_eq(store_set_gold(db, pair_ids[3], STORE_CHOICE_A, &error), 0);
    store_stats s;
    ck_assert_int_eq(store_compute_stats(db, &s, &error), 0);
    ck_assert_int_eq(s.annotator_count, 2);
    ck_assert_str_eq(s.annotators[0].name, "Z");
    ck_assert_int_eq(s.annotators[0].gold_seen, 3);
    ck_assert_int_eq(s.annotators[0].gold_correct, 1);
    ck_assert_int_eq(s.annotators[1].gold_seen, 3);
    ck_assert_int_eq(s.annotators[1].gold_correct, 2);
    ck_assert_int_eq(s.annotators[0].by_choice[STORE_CHOICE_BOTH_BAD], 2);
    ck_assert_int_eq(s.annotators[1].by_choice[STORE_CHOICE_TIE], 1);
    ck_assert_int_eq(s.by_choice[STORE_CHOICE_A], 2);
    ck_assert_int_eq(s.by_choice[STORE_CHOICE_B], 2);
    ck_assert_int_eq(s.by_choice[STORE_CHOICE_TIE], 1);
    ck_assert_int_eq(s.by_choice[STORE_CHOICE_BOTH_BAD], 3);
    ck_assert_int_eq(s.overlap_pairs, 4);
    ck_assert_double_eq_tol(s.percent_agreement, 0.75, 1e-12);
    ck_assert_int_eq(s.agreement_count, 1);
    ck_assert_double_eq_tol(s.agreements[0].kappa, 2.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(s.fleiss_kappa, 15.0 / 23.0, 1e-12);
    store_stats_free(&s);
    store_close(db);

    db = populated_store("sides.db", 4, 2, 1, &pairs);
    int64_t v;
    ck_assert_int_eq(store_annotator(db, "V", STORE_ANNOTATOR_HUMAN, &v, &error), 0);
    store_choice sides[4] = {STORE_CHOICE_A, STORE_CHOICE_A, STORE_CHOICE_A, STORE_CHOICE_B}; /* left, left, left, right */
    int64_t v_pairs[4], v_left[4];
    label_in_order(db, v, sides, 4, true, v_pairs, v_left);
    /* U skips V's first pair, which has a gold answer: a skip is no answer to grade, and a
     * pair one annotator decided is no overlap */
    int64_t u;
    ck_assert_int_eq(store_annotator(db, "U", STORE_ANNOTATOR_HUMAN, &u, &error), 0);
    ck_assert_int_eq(store_set_gold(db, v_pairs[0], STORE_CHOICE_A, &error), 0);
    store_label skip = {.pair_id = v_pairs[0], .annotator_id = u, .choice = STORE_CHOICE_SKIP,
                        .left_completion_id = v_left[0], .seconds = 1.0};
    ck_assert_msg(store_add_comparison(db, &skip, NULL, &error) == 0, "%s", error.message);
    ck_assert_int_eq(store_compute_stats(db, &s, &error), 0);
    ck_assert_double_eq_tol(s.left_win_rate, 0.75, 1e-12);
    ck_assert_int_eq(s.annotator_count, 2);
    ck_assert_str_eq(s.annotators[0].name, "V");
    ck_assert_int_eq(s.annotators[0].left_wins, 3);
    ck_assert_int_eq(s.annotators[0].decided, 4);
    ck_assert_int_eq(s.annotators[0].gold_seen, 1);
    ck_assert_int_eq(s.annotators[1].gold_seen, 0);
    ck_assert_int_eq(s.annotators[1].by_choice[STORE_CHOICE_SKIP], 1);
    ck_assert_int_eq(s.overlap_pairs, 0);
    store_stats_free(&s);
    store_close(db);
}
END_TEST

START_TEST(test_statistics_against_worked_examples) {
    /* Four pairs labeled by X and Y: X a, a, b, tie; Y a, b, b, tie.
     * Agreement 3/4. Cohen: marginals X (a 2, b 1, tie 1), Y (a 1, b 2, tie 1):
     * p_e = (2*1 + 1*2 + 1*1) / 16 = 5/16, kappa = (3/4 - 5/16) / (11/16) = 7/11.
     * Fleiss (2 raters): P = (1 + 0 + 1 + 1) / 4 = 3/4; p = (3/8, 3/8, 2/8):
     * P_e = 22/64, kappa = (3/4 - 22/64) / (42/64) = 26/42. */
    long pairs;
    store *db = populated_store("stats.db", 4, 2, 2, &pairs);
    rlhf_error error;
    int64_t x, y;
    ck_assert_int_eq(store_annotator(db, "X", STORE_ANNOTATOR_HUMAN, &x, &error), 0);
    ck_assert_int_eq(store_annotator(db, "Y", STORE_ANNOTATOR_HUMAN, &y, &error), 0);
    ck_assert_int_eq(store_set_gold(db, 3, STORE_CHOICE_B, &error), 0);
    store_choice xs[4] = {STORE_CHOICE_A, STORE_CHOICE_A, STORE_CHOICE_B, STORE_CHOICE_TIE};
    store_choice ys[4] = {STORE_CHOICE_A, STORE_CHOICE_B, STORE_CHOICE_B, STORE_CHOICE_TIE};
    int left_wins = 0, decided = 0;
    for (int i = 0; i < 4; i++) {
        for (int who = 0; who < 2; who++) {
            store_pair pair;
            bool found;
            ck_assert_int_eq(store_next_pair(db, who ? y : x, &pair, &found, &error), 0);
            store_choice c = who ? ys[i] : xs[i];
            store_label label = {.pair_id = pair.pair_id, .annotator_id = who ? y : x, .choice = c,
                                 .left_completion_id = pair.left_completion_id, .seconds = who ? 2.0 + i : 10.0 * (i + 1)};
            if (c == STORE_CHOICE_A || c == STORE_CHOICE_B) {
                decided++;
                left_wins += (c == STORE_CHOICE_A) == pair.left_is_a;
            }
            ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0);
            store_pair_free(&pair);
        }
    }
    store_stats s;
    ck_assert_int_eq(store_compute_stats(db, &s, &error), 0);
    ck_assert_int_eq(s.comparisons, 8);
    ck_assert_int_eq(s.queue_needed, 8);
    ck_assert_int_eq(s.queue_done, 8);
    ck_assert_int_eq(s.by_choice[STORE_CHOICE_A], 3);
    ck_assert_int_eq(s.overlap_pairs, 4);
    ck_assert_double_eq_tol(s.percent_agreement, 0.75, 1e-12);
    ck_assert_int_eq(s.agreement_count, 1);
    ck_assert_double_eq_tol(s.agreements[0].kappa, 7.0 / 11.0, 1e-12);
    ck_assert_int_eq(s.fleiss_raters, 2);
    ck_assert_int_eq(s.fleiss_items, 4);
    ck_assert_double_eq_tol(s.fleiss_kappa, 26.0 / 42.0, 1e-12);
    ck_assert_double_eq_tol(s.left_win_rate, (double)left_wins / decided, 1e-12);
    /* X's seconds 10, 20, 30, 40 -> median 25; Y's 2..5 -> 3.5; all -> (5 + 10) / 2 */
    ck_assert_double_eq_tol(s.annotators[0].median_seconds, 25.0, 1e-12);
    ck_assert_double_eq_tol(s.annotators[1].median_seconds, 3.5, 1e-12);
    ck_assert_double_eq_tol(s.median_seconds, 7.5, 1e-12);
    /* gold pair 3 (answer b): X chose b there, Y chose b */
    ck_assert_int_eq(s.annotators[0].gold_seen, 1);
    ck_assert_int_eq(s.annotators[0].gold_correct, 1);
    store_stats_free(&s);
    store_close(db);
}
END_TEST

/* Whether the file at path holds exactly these bytes. */
static bool file_equals(const char *path, const char *bytes, size_t size) {
    char *text;
    size_t length;
    rlhf_error error;
    if (rlhf_read_file(path, &text, &length, &error) != 0) return false;
    bool same = length == size && memcmp(text, bytes, size) == 0;
    free(text);
    return same;
}

START_TEST(test_only_init_creates_and_foreign_files_are_refused) {
    rlhf_error error;
    store *db;
    /* a mistyped path: refused with the way out, and no file appears */
    const char *typo = path_in("typo.db");
    ck_assert_int_eq(store_open_existing(&db, typo, &error), -1);
    ck_assert_msg(strstr(error.message, "typo.db: no such store (create it with rlhf init --db "), "%s", error.message);
    ck_assert_int_ne(access(typo, F_OK), 0);
    /* an empty file is no store either; store_open (init) makes it one, then both open it */
    write_file("empty.db", "", 0);
    ck_assert_int_eq(store_open_existing(&db, path_in("empty.db"), &error), -1);
    ck_assert_msg(strstr(error.message, "rlhf init"), "%s", error.message);
    store_close(open_store("empty.db"));
    ck_assert_msg(store_open_existing(&db, path_in("empty.db"), &error) == 0, "%s", error.message);
    store_close(db);
    /* someone else's SQLite database (tables of its own, user_version 0, or a version but
     * none of our tables): refused by init and the rest, its bytes unchanged */
    const char *setups[2] = {"CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');",
                             "CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;"};
    for (int i = 0; i < 2; i++) {
        const char *path = path_in(i ? "foreign2.db" : "foreign1.db");
        sqlite3 *other;
        ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(other, setups[i], NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(other);
        char *before;
        size_t size;
        ck_assert_int_eq(rlhf_read_file(path, &before, &size, &error), 0);
        ck_assert_int_eq(store_open(&db, path, &error), -1);
        ck_assert_msg(strstr(error.message, "not an rlhf store") && strstr(error.message, "not modified"), "%s",
                      error.message);
        ck_assert_int_eq(store_open_existing(&db, path, &error), -1);
        ck_assert(file_equals(path, before, size));
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", path);
        ck_assert_int_ne(access(wal, F_OK), 0);
        free(before);
    }
}
END_TEST

START_TEST(test_same_text_is_a_duplicate_whatever_the_id) {
    store *db = open_store("same-text.db");
    rlhf_error error;
    store_import_result result;
    const char *first = "{\"prompt\": \"The hotel was\", \"id\": \"a\"}\n{\"prompt\": \"The hotel was\", \"id\": \"b\"}\n";
    ck_assert_int_eq(store_import_prompts(db, write_file("p1.jsonl", first, strlen(first)), &result, &error), 0);
    ck_assert_int_eq(result.imported, 1);
    ck_assert_int_eq(result.duplicates, 1);
    const char *second = "{\"prompt\": \"The hotel was\", \"id\": \"c\"}\n{\"prompt\": \"The hotel was\"}\n"
                         "{\"prompt\": \"A new one\", \"id\": \"d\"}\n";
    ck_assert_int_eq(store_import_prompts(db, write_file("p2.jsonl", second, strlen(second)), &result, &error), 0);
    ck_assert_int_eq(result.imported, 1);
    ck_assert_int_eq(result.duplicates, 2);
    store_prompt *prompts;
    int count;
    ck_assert_int_eq(store_list_prompts(db, 0, 0, &prompts, &count, &error), 0);
    ck_assert_int_eq(count, 2);
    ck_assert_str_eq(prompts[0].external_id, "a");
    ck_assert_str_eq(prompts[1].external_id, "d");
    store_prompts_free(prompts, count);
    store_close(db);
}
END_TEST

START_TEST(test_invalid_utf8_round_trips_through_export) {
    /* U+FFFD for each maximal ill-formed subsequence, as Python's errors="replace" */
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"caf\xc3", "caf\xef\xbf\xbd"},
        {"\xe2\x82" "A", "\xef\xbf\xbd" "A"},
        {"\xf0\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf1\x80\x80\xe2\x82\xac", "\xef\xbf\xbd\xe2\x82\xac"},
        {"ok \xe2\x82\xac", "ok \xe2\x82\xac"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *repaired = rlhf_utf8_repair(cases[i].in, strlen(cases[i].in), NULL);
        ck_assert_msg(strcmp(repaired, cases[i].out) == 0, "case %zu", i);
        ck_assert(rlhf_utf8_valid(repaired, strlen(repaired)));
        /* the validator agrees: only inputs that needed no repair are valid */
        ck_assert_msg(rlhf_utf8_valid(cases[i].in, strlen(cases[i].in)) == (strcmp(cases[i].in, cases[i].out) == 0),
                      "case %zu", i);
        free(repaired);
    }
    /* a completion cut inside a character, labeled and exported: every line keeps its keys */
    store *db = open_store("utf8.db");
    rlhf_error error;
    const char *prompts = "{\"prompt\": \"Price:\"}\n";
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, write_file("utf8-prompts.jsonl", prompts, strlen(prompts)), &imported, &error), 0);
    int64_t model, ann;
    ck_assert_int_eq(store_add_model(db, "/models/m", "hash-m", &model, &error), 0);
    store_new_completion rows[4] = {{1, " 5 \xe2\x82", 2, NULL, 0}, {1, " free", 1, NULL, 0}, {1, " \xff", 1, NULL, 0}, {1, " \xfe", 1, NULL, 0}};
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 3};
    store_queue_counts counts;
    ck_assert_int_eq(store_add_completions(db, model, rows, 4, &queue, &counts, &error), 0);
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    for (int i = 0; i < 6; i++) label_next(db, ann, STORE_CHOICE_A, 2);
    store_export_result exported;
    const char *out = path_in("utf8-prefs.jsonl");
    ck_assert_int_eq(store_export_preferences(db, out, &exported, &error), 0);
    /* " \xff" against " \xfe" are the same text once repaired: left out, counted */
    ck_assert_int_eq(exported.written, 5);
    ck_assert_int_eq(exported.identical, 1);
    char *text;
    size_t size;
    ck_assert_int_eq(rlhf_read_file(out, &text, &size, &error), 0);
    long lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++)
        ck_assert_msg(strstr(line, "\"chosen\":") && strstr(line, "\"rejected\":"), "%s", line);
    ck_assert_int_eq(lines, 5);
    free(text);
    /* and the file imports again */
    ck_assert_msg(store_import_preferences(db, out, "import:utf8", &imported, &error) == 0, "%s", error.message);
    /* " \xff" and " \xfe" repaired alike make two lines repeats: a file's repeated lines are
     * all kept (as when two annotators agreed), and a second import of it adds nothing */
    ck_assert_int_eq(imported.imported, 5);
    ck_assert_int_eq(imported.duplicates, 0);
    ck_assert_msg(store_import_preferences(db, out, "import:utf8", &imported, &error) == 0, "%s", error.message);
    ck_assert_int_eq(imported.imported, 0);
    ck_assert_int_eq(imported.duplicates, 5);
    store_preference *preferences;
    long count;
    ck_assert_int_eq(store_list_preferences(db, 1u << STORE_CHOICE_A, &preferences, &count, &error), 0);
    bool found = false;
    for (long i = 0; i < count; i++)
        found |= strcmp(preferences[i].annotator, "import:utf8") == 0 &&
                 (strcmp(preferences[i].chosen, " 5 \xef\xbf\xbd") == 0 || strcmp(preferences[i].rejected, " 5 \xef\xbf\xbd") == 0);
    ck_assert(found);
    store_preferences_free(preferences, count);
    /* names become JSON too: an annotator name must be valid UTF-8 */
    ck_assert_int_eq(store_annotator(db, "bad \xc3", STORE_ANNOTATOR_HUMAN, &ann, &error), -1);
    store_close(db);
}
END_TEST

/* Two completions with the same text are never queued as a pair: "all" leaves such pairs
 * out, "random" moves to a pair of different texts, and a prompt whose completions are all
 * one text gets none; the counts say so. */
START_TEST(test_identical_completions_are_not_paired) {
    store *db = open_store("identical-pairs.db");
    rlhf_error error;
    const char *prompts = "{\"prompt\": \"p1\"}\n{\"prompt\": \"p2\"}\n{\"prompt\": \"p3\"}\n";
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, write_file("ip.jsonl", prompts, strlen(prompts)), &imported, &error), 0);
    int64_t model;
    ck_assert_int_eq(store_add_model(db, "/models/m", "hash-m", &model, &error), 0);
    /* prompt 1: same, same, other (all pairs: 1 identical, 2 queued) */
    store_new_completion all_rows[3] = {{1, "same", 1, NULL, 0}, {1, "same", 1, NULL, 0}, {1, "other", 1, NULL, 0}};
    store_queue_options all = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 5};
    store_queue_counts counts;
    ck_assert_int_eq(store_add_completions(db, model, all_rows, 3, &all, &counts, &error), 0);
    ck_assert_int_eq(counts.queued, 2);
    ck_assert_int_eq(counts.identical, 1);
    /* prompt 2: for every seed, the random pair is one of different texts */
    for (uint64_t seed = 0; seed < 8; seed++) {
        store_new_completion random_rows[3] = {{2, "x", 1, NULL, 0}, {2, "x", 1, NULL, 0}, {2, "y", 1, NULL, 0}};
        store_queue_options random_pair = {.pairing = STORE_PAIRS_RANDOM, .overlap = 1, .seed = seed};
        ck_assert_int_eq(store_add_completions(db, model, random_rows, 3, &random_pair, &counts, &error), 0);
        ck_assert_int_eq(counts.queued, 1);
        ck_assert_int_eq(counts.identical, 0);
    }
    /* prompt 3: all one text: no pair */
    store_new_completion one_text[3] = {{3, "z", 1, NULL, 0}, {3, "z", 1, NULL, 0}, {3, "z", 1, NULL, 0}};
    store_queue_options random_pair = {.pairing = STORE_PAIRS_RANDOM, .overlap = 1, .seed = 1};
    ck_assert_int_eq(store_add_completions(db, model, one_text, 3, &random_pair, &counts, &error), 0);
    ck_assert_int_eq(counts.queued, 0);
    ck_assert_int_eq(counts.identical, 1);
    /* prompt 1 again, closest scores: of 0.9, 0.1, 0.15 and 0.16 the pair (0.15, 0.16) is the
     * one a reward model is least sure of; the identical texts at distance 0 are passed over */
    store_new_completion scored[5] = {{1, "a", 1, NULL, 0.9}, {1, "b", 1, NULL, 0.1}, {1, "c", 1, NULL, 0.15},
                                      {1, "d", 1, NULL, 0.16}, {1, "d", 1, NULL, 0.16}};
    store_queue_options closest = {.pairing = STORE_PAIRS_CLOSEST, .overlap = 1, .seed = 2};
    ck_assert_int_eq(store_add_completions(db, model, scored, 5, &closest, &counts, &error), 0);
    ck_assert_int_eq(counts.queued, 1);
    ck_assert_int_eq(counts.identical, 0);
    /* no queued pair anywhere joins two equal texts */
    sqlite3 *raw;
    ck_assert_int_eq(sqlite3_open(store_path(db), &raw), SQLITE_OK);
    sqlite3_stmt *statement;
    ck_assert_int_eq(sqlite3_prepare_v2(raw,
                                        "SELECT count(*), sum(a.text = b.text) FROM pairs p JOIN completions a ON "
                                        "a.id = p.completion_a JOIN completions b ON b.id = p.completion_b",
                                        -1, &statement, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(statement), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(statement, 0), 2 + 8 + 1);
    ck_assert_int_eq(sqlite3_column_int(statement, 1), 0);
    sqlite3_finalize(statement);
    /* the closest pair is c and d */
    ck_assert_int_eq(sqlite3_prepare_v2(raw,
                                        "SELECT min(a.text, b.text) || max(a.text, b.text) FROM pairs p JOIN completions "
                                        "a ON a.id = p.completion_a JOIN completions b ON b.id = p.completion_b "
                                        "ORDER BY p.id DESC LIMIT 1",
                                        -1, &statement, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(statement), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(statement, 0), "cd");
    sqlite3_finalize(statement);
    sqlite3_close(raw);
    store_close(db);
}
END_TEST

/* Another generate run sampled a prompt between this run's planning and its write: with
 * new_prompts_only its completions are left out, under the write lock, and counted. */
START_TEST(test_new_prompts_only_leaves_out_sampled_prompts) {
    store *db = open_store("new-prompts.db");
    rlhf_error error;
    const char *prompts = "{\"prompt\": \"p1\"}\n{\"prompt\": \"p2\"}\n";
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, write_file("np.jsonl", prompts, strlen(prompts)), &imported, &error), 0);
    int64_t model;
    ck_assert_int_eq(store_add_model(db, "/models/m", "hash-m", &model, &error), 0);
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 5, .new_prompts_only = true};
    store_queue_counts counts;
    store_new_completion first_run[2] = {{1, "one", 1, NULL, 0}, {1, "two", 1, NULL, 0}};
    ck_assert_int_eq(store_add_completions(db, model, first_run, 2, &queue, &counts, &error), 0);
    ck_assert_int_eq(counts.queued, 1);
    ck_assert_int_eq(counts.prompts_left_out, 0);
    /* the second run planned both prompts before the first wrote prompt 1 */
    store_new_completion second_run[4] = {{1, "three", 1, NULL, 0}, {1, "four", 1, NULL, 0}, {2, "five", 1, NULL, 0}, {2, "six", 1, NULL, 0}};
    ck_assert_int_eq(store_add_completions(db, model, second_run, 4, &queue, &counts, &error), 0);
    ck_assert_int_eq(counts.prompts_left_out, 1);
    ck_assert_int_eq(counts.queued, 1);
    store_stats stats;
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), 0);
    ck_assert_int_eq(stats.completions, 4);
    ck_assert_int_eq(stats.pairs, 2);
    store_stats_free(&stats);
    /* without the option the same rows are added (callers that mean to add more) */
    queue.new_prompts_only = false;
    ck_assert_int_eq(store_add_completions(db, model, second_run, 2, &queue, &counts, &error), 0);
    ck_assert_int_eq(counts.prompts_left_out, 0);
    ck_assert_int_eq(counts.queued, 1);
    store_close(db);
}
END_TEST

/* A skip does not use up a pair's overlap, and a pair whose two completions an annotator
 * already ordered in a ranking is not queued for them again. */
START_TEST(test_skips_and_rankings_in_the_queue) {
    long pairs;
    store *db = populated_store("queue-rules.db", 1, 3, 1, &pairs);
    ck_assert_int_eq(pairs, 3);
    rlhf_error error;
    int64_t ann, bob, fay;
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    ck_assert_int_eq(store_annotator(db, "bob", STORE_ANNOTATOR_HUMAN, &bob, &error), 0);
    ck_assert_int_eq(store_annotator(db, "fay", STORE_ANNOTATOR_HUMAN, &fay, &error), 0);
    int64_t skipped = label_next(db, ann, STORE_CHOICE_SKIP, 0);
    store_queue_progress progress;
    ck_assert_int_eq(store_queue_progress_for(db, bob, &progress, &error), 0);
    ck_assert_int_eq(progress.remaining, 3); /* the skipped pair still needs a label */
    ck_assert_int_eq(label_next(db, bob, STORE_CHOICE_A, 1), skipped);
    ck_assert_int_eq(store_queue_progress_for(db, fay, &progress, &error), 0);
    ck_assert_int_eq(progress.remaining, 2);
    store_stats stats;
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), 0);
    ck_assert_int_eq(stats.queue_done, 1); /* bob's label, not ann's skip */
    store_stats_free(&stats);
    /* fay ranks the prompt's three completions: no pair of them is queued for her */
    store_ranking_task task;
    bool found;
    ck_assert_int_eq(store_next_ranking_task(db, fay, &task, &found, &error), 0);
    ck_assert(found);
    ck_assert_int_eq(store_add_ranking(db, fay, task.prompt_id, task.completion_ids, task.count, 3.0, NULL, &error), 0);
    ck_assert_int_eq(store_queue_progress_for(db, fay, &progress, &error), 0);
    ck_assert_int_eq(progress.remaining, 0);
    store_pair pair;
    ck_assert_int_eq(store_next_pair(db, fay, &pair, &found, &error), 0);
    ck_assert(!found);
    store_ranking_task_free(&task);
    store_close(db);
}
END_TEST

/* A store damaged where a count does not look (the overflow pages of a long rationale):
 * statistics fail with the reason instead of printing figures from part of the rows. */
START_TEST(test_statistics_refuse_a_damaged_store) {
    long pairs;
    store *db = populated_store("damaged.db", 4, 3, 1, &pairs);
    rlhf_error error;
    int64_t annotator;
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &annotator, &error), 0);
    char rationale[12000]; /* three pages: reading the columns after it follows the overflow chain */
    memset(rationale, 'Q', sizeof rationale - 1);
    rationale[sizeof rationale - 1] = '\0';
    for (int i = 0; i < 3; i++) {
        store_pair pair;
        bool found;
        ck_assert_int_eq(store_next_pair(db, annotator, &pair, &found, &error), 0);
        ck_assert(found);
        store_label label = {.pair_id = pair.pair_id, .annotator_id = annotator, .choice = STORE_CHOICE_TIE,
                             .rationale = rationale, .left_completion_id = pair.left_completion_id};
        ck_assert_msg(store_add_comparison(db, &label, NULL, &error) == 0, "%s", error.message);
        store_pair_free(&pair);
    }
    store_stats stats;
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), 0);
    ck_assert_int_eq(stats.comparisons, 3);
    store_stats_free(&stats);
    store_close(db); /* the last connection checkpoints the WAL into the file */
    /* overwrite the overflow pages: they start with a 4-byte next-page number, then text */
    char *bytes;
    size_t size;
    ck_assert_int_eq(rlhf_read_file(path_in("damaged.db"), &bytes, &size, &error), 0);
    size_t page_size = ((size_t)(unsigned char)bytes[16] << 8) | (unsigned char)bytes[17];
    int damaged = 0;
    for (size_t page = 0; page + page_size <= size; page += page_size) {
        bool overflow = true;
        for (size_t i = 4; i < 200 && overflow; i++) overflow = bytes[page + i] == 'Q';
        if (overflow) {
            memset(bytes + page, 0xff, page_size);
            damaged++;
        }
    }
    ck_assert_int_gt(damaged, 0);
    write_file("damaged.db", bytes, size);
    free(bytes);
    db = open_store("damaged.db");
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), -1);
    ck_assert_msg(strstr(error.message, "reading comparisons") != NULL, "%s", error.message);
    ck_assert_int_eq(stats.annotator_count, 0); /* nothing half-filled is handed back */
    store_close(db);
}
END_TEST

START_TEST(test_import_refuses_identical_chosen_and_rejected) {
    store *db = open_store("identical.db");
    rlhf_error error;
    store_import_result imported;
    const char *lines = "{\"prompt\": \"Say hi\", \"chosen\": \"hi!\", \"rejected\": \"no.\"}\n"
                        "{\"prompt\": \"Say hi\", \"chosen\": \"same\", \"rejected\": \"same\"}\n";
    ck_assert_int_eq(store_import_preferences(db, write_file("same.jsonl", lines, strlen(lines)), "import:same", &imported,
                                              &error), -1);
    ck_assert_msg(strstr(error.message, "same.jsonl: line 2") && strstr(error.message, "same text"), "%s", error.message);
    store_stats stats;
    ck_assert_int_eq(store_compute_stats(db, &stats, &error), 0);
    ck_assert_int_eq(stats.prompts + stats.completions + stats.comparisons + stats.annotator_count, 0);
    store_stats_free(&stats);
    store_close(db);
}
END_TEST

START_TEST(test_failed_completions_leave_no_model) {
    store *db = open_store("model-rows.db");
    rlhf_error error;
    int64_t model = 0;
    ck_assert_int_eq(store_find_model(db, "hash-x", &model, &error), 0);
    ck_assert_int_eq(model, 0);
    /* prompt 42 does not exist: the completion is refused and the model row goes with it */
    store_new_completion rows[2] = {{42, "a", 1, NULL, 0}, {42, "b", 1, NULL, 0}};
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 1};
    store_queue_counts counts;
    ck_assert_int_eq(store_add_model_completions(db, "/models/x", "hash-x", &model, rows, 2, &queue, &counts, &error), -1);
    ck_assert_int_eq(store_find_model(db, "hash-x", &model, &error), 0);
    ck_assert_int_eq(model, 0);
    const char *prompts = "{\"prompt\": \"p\"}\n";
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, write_file("mp.jsonl", prompts, strlen(prompts)), &imported, &error), 0);
    rows[0].prompt_id = rows[1].prompt_id = 1;
    ck_assert_int_eq(store_add_model_completions(db, "/models/x", "hash-x", &model, rows, 2, &queue, &counts, &error), 0);
    ck_assert_int_eq(counts.queued, 1);
    int64_t found;
    ck_assert_int_eq(store_find_model(db, "hash-x", &found, &error), 0);
    ck_assert_int_eq(found, model);
    ck_assert_int_gt(found, 0);
    store_close(db);
}
END_TEST

/* Labels everything left for `name`, one decision per transaction; writes each pair id to
 * fd after its commit returns (the acknowledgement). */
static void label_all(const char *path, const char *name, int fd) {
    store *db;
    rlhf_error error;
    if (store_open(&db, path, &error) != 0) _exit(3);
    int64_t ann;
    if (store_annotator(db, name, STORE_ANNOTATOR_HUMAN, &ann, &error) != 0) _exit(4);
    for (;;) {
        store_pair pair;
        bool found;
        if (store_next_pair(db, ann, &pair, &found, &error) != 0) _exit(5);
        if (!found) break;
        store_label label = {.pair_id = pair.pair_id, .annotator_id = ann, .choice = STORE_CHOICE_A, .strength = 1,
                             .left_completion_id = pair.left_completion_id, .seconds = 1.0};
        if (store_add_comparison(db, &label, NULL, &error) != 0) _exit(6);
        if (fd >= 0 && write(fd, &pair.pair_id, sizeof pair.pair_id) != sizeof pair.pair_id) _exit(7);
        store_pair_free(&pair);
    }
    store_close(db);
    _exit(0);
}

START_TEST(test_moved_store_refuses_writes) {
    long pairs;
    store *db = populated_store("moving.db", 2, 2, 1, &pairs);
    rlhf_error error;
    int64_t ann;
    ck_assert_int_eq(store_annotator(db, "ann", STORE_ANNOTATOR_HUMAN, &ann, &error), 0);
    store_pair pair;
    bool found;
    ck_assert_int_eq(store_next_pair(db, ann, &pair, &found, &error), 0);
    char moved[600];
    snprintf(moved, sizeof moved, "%s.elsewhere", path_in("moving.db"));
    ck_assert_int_eq(rename(path_in("moving.db"), moved), 0);
    store_label label = {.pair_id = pair.pair_id, .annotator_id = ann, .choice = STORE_CHOICE_A, .strength = 1,
                         .left_completion_id = pair.left_completion_id};
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), -1);
    ck_assert_msg(strstr(error.message, "moved or deleted"), "%s", error.message);
    ck_assert_int_eq(rename(moved, path_in("moving.db")), 0);
    ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0); /* back in place: the label lands */
    store_pair_free(&pair);
    store_close(db);
}
END_TEST

START_TEST(test_two_writers_at_once) {
    long pairs;
    store *db = populated_store("two.db", 20, 3, 2, &pairs); /* 60 pairs, each wanted twice */
    store_close(db);
    pid_t children[2];
    const char *names[2] = {"left-hand", "right-hand"};
    for (int i = 0; i < 2; i++)
        if ((children[i] = fork()) == 0) label_all(path_in("two.db"), names[i], -1);
    for (int i = 0; i < 2; i++) {
        int status;
        waitpid(children[i], &status, 0);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (%d)", i, status);
    }
    db = open_store("two.db");
    store_stats s;
    rlhf_error error;
    ck_assert_int_eq(store_compute_stats(db, &s, &error), 0);
    ck_assert_int_eq(s.comparisons, 2 * pairs); /* every label of both writers */
    ck_assert_int_eq(s.annotators[0].labels, pairs);
    ck_assert_int_eq(s.annotators[1].labels, pairs);
    store_stats_free(&s);
    store_close(db);
}
END_TEST

START_TEST(test_sigkill_loses_no_acknowledged_label) {
    srand((unsigned)time(NULL));
    int killed_mid_write = 0;
    for (int round = 0; round < 6; round++) {
        char name[32];
        snprintf(name, sizeof name, "kill%d.db", round);
        long pairs;
        store *db = populated_store(name, 40, 3, 1, &pairs);
        store_close(db);
        int channel[2];
        ck_assert_int_eq(pipe(channel), 0);
        pid_t child = fork();
        if (child == 0) {
            close(channel[0]);
            label_all(path_in(name), "victim", channel[1]);
        }
        close(channel[1]);
        /* once the first label is acknowledged, kill somewhere in the middle of the rest */
        int64_t acknowledged[200];
        long count = read(channel[0], &acknowledged[0], sizeof(int64_t)) == sizeof(int64_t);
        usleep((useconds_t)(rand() % 5000));
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        while (count < 200 && read(channel[0], &acknowledged[count], sizeof(int64_t)) == sizeof(int64_t)) count++;
        close(channel[0]);
        db = open_store(name);
        rlhf_error error;
        bool ok;
        ck_assert_int_eq(store_integrity_check(db, &ok, &error), 0);
        ck_assert(ok);
        int64_t victim;
        ck_assert_int_eq(store_annotator(db, "victim", STORE_ANNOTATOR_HUMAN, &victim, &error), 0);
        store_preference *prefs;
        long stored;
        ck_assert_int_eq(store_list_preferences(db, 0x1f, &prefs, &stored, &error), 0);
        ck_assert_int_ge(stored, count); /* every acknowledged label is there (maybe one more) */
        ck_assert_int_le(stored, count + 1);
        store_preferences_free(prefs, stored);
        store_queue_progress progress;
        ck_assert_int_eq(store_queue_progress_for(db, victim, &progress, &error), 0);
        ck_assert_int_eq(progress.done + progress.remaining, pairs);
        killed_mid_write += count > 0 && progress.remaining > 0;
        store_close(db);
    }
    ck_assert_msg(killed_mid_write > 0, "no kill landed while labels were being written");
}
END_TEST

int main(void) {
    Suite *suite = suite_create("store");
    TCase *tc = tcase_create("sqlite");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_new_store_and_future_version);
    tcase_add_test(tc, test_prompt_import_duplicates_and_errors);
    tcase_add_test(tc, test_queue_overlap_gold_and_blindness);
    tcase_add_test(tc, test_comparison_validation_undo_and_rankings);
    tcase_add_test(tc, test_export_and_import_preferences);
    tcase_add_test(tc, test_statistics_against_worked_examples);
    tcase_add_test(tc, test_statistics_every_category_and_side);
    tcase_add_test(tc, test_only_init_creates_and_foreign_files_are_refused);
    tcase_add_test(tc, test_same_text_is_a_duplicate_whatever_the_id);
    tcase_add_test(tc, test_invalid_utf8_round_trips_through_export);
    tcase_add_test(tc, test_import_refuses_identical_chosen_and_rejected);
    tcase_add_test(tc, test_identical_completions_are_not_paired);
    tcase_add_test(tc, test_new_prompts_only_leaves_out_sampled_prompts);
    tcase_add_test(tc, test_statistics_refuse_a_damaged_store);
    tcase_add_test(tc, test_skips_and_rankings_in_the_queue);
    tcase_add_test(tc, test_failed_completions_leave_no_model);
    tcase_add_test(tc, test_moved_store_refuses_writes);
    tcase_add_test(tc, test_two_writers_at_once);
    tcase_add_test(tc, test_sigkill_loses_no_acknowledged_label);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
