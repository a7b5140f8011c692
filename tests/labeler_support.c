/* The labeler tests' shared fixtures and helpers (declared in labeler_support.h): the
 * store each test starts from, the window opened on it and driven, the rows read back. */
#include "labeler_support.h"
#include "tests/test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the store */

static char directory[256];   /* the test's store folder; empty when there is none */
char db_path[300];

/* Prompts: three compared in pairs, one with four responses for ranking. */
static const char *const prompts[] = {
    "We booked the Lighthouse Hostel for a work trip and",
    "Our book club picked Glass Bridge this month and",
    "Sproutbase is a note-taking app for phones and tablets.",
    "Write one sentence about the Harbor Diner.",
};

static const char *const pair_texts[3][2] = {
    {" it was a treat. The dining room exceeded my expectations and the parking was first-rate.",
     " we found it solid. The bar was shoddy, but the hosts were fine and the check-in was quick."},
    {" it is remarkably unsatisfying. I dislike the lettering and the ending drags.",
     " it is charming. The ending is believable and the audiobook narration is lovely."},
    {" It is a bit of a chore. The sync in particular is slow.",
     " It is delightful: fast, tidy, and the search finds everything."},
};

static const char *const ranking_texts[4] = {
    "The Harbor Diner serves the best pancakes in town.",
    "The Harbor Diner is fine.",
    "Harbor Diner diner diner.",
    "The Harbor Diner has slow service and cold coffee.",
};

/* Opens the test's store; fails the test if it cannot. The caller closes it. */
store *open_store(void) {
    store *db = NULL;
    rlhf_error error = {{0}};
    ck_assert_msg(store_open(&db, db_path, &error) == 0, "%s", error.message);
    return db;
}

/* Makes a fresh folder in the run's folder for the test's store (db_path, removed by
 * remove_store, or at the test process's exit), writes prompts_jsonl there as
 * prompts.jsonl, opens the store and imports those prompts (their count in *imported). Returns the open store; the caller closes it. */
store *open_new_store(const char *prompts_jsonl, store_import_result *imported) {
    tests_make_temporary_directory(directory, sizeof directory, "labeler-store");
    snprintf(db_path, sizeof db_path, "%s/labels.db", directory);
    char prompts_path[300];
    snprintf(prompts_path, sizeof prompts_path, "%s/prompts.jsonl", directory);
    FILE *file = fopen(prompts_path, "w");
    ck_assert_ptr_nonnull(file);
    fputs(prompts_jsonl, file);
    fclose(file);
    store *db = open_store();
    rlhf_error error = {{0}};
    ck_assert_msg(store_import_prompts(db, prompts_path, imported, &error) == 0, "%s", error.message);
    return db;
}

/* Builds the store: 4 prompts, a model, 3 pairs (one per prompt of two responses) and a
 * prompt with 4 responses (one random pair queued, and a ranking task). */
void make_store(int overlap) {
    GString *jsonl = g_string_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(prompts); i++)
        g_string_append_printf(jsonl, "{\"prompt\": \"%s\"}\n", prompts[i]);
    store_import_result imported;
    store *db = open_new_store(jsonl->str, &imported);
    g_string_free(jsonl, TRUE);
    rlhf_error error = {{0}};
    ck_assert_int_eq(imported.imported, 4);
    store_prompt *listed;
    int prompt_count;
    ck_assert_msg(store_list_prompts(db, 0, 0, &listed, &prompt_count, &error) == 0, "%s", error.message);
    ck_assert_int_eq(prompt_count, 4);
    int64_t model;
    ck_assert_msg(store_add_model(db, "/models/tiny", "hash-tiny", &model, &error) == 0, "%s", error.message);

    store_new_completion pairs[6];
    for (int p = 0; p < 3; p++)
        for (int k = 0; k < 2; k++)
            pairs[2 * p + k] = (store_new_completion){listed[p].id, pair_texts[p][k], 12, "{\"temperature\": 0.8}", 0};
    store_queue_options all = {.pairing = STORE_PAIRS_ALL, .overlap = overlap, .seed = 7};
    store_queue_counts queued;
    ck_assert_msg(store_add_completions(db, model, pairs, 6, &all, &queued, &error) == 0, "%s", error.message);
    ck_assert_int_eq(queued.queued, 3);
    store_new_completion four[4];
    for (int k = 0; k < 4; k++) four[k] = (store_new_completion){listed[3].id, ranking_texts[k], 10, "{}", 0};
    store_queue_options random_pair = {.pairing = STORE_PAIRS_RANDOM, .overlap = overlap, .seed = 11};
    ck_assert_msg(store_add_completions(db, model, four, 4, &random_pair, &queued, &error) == 0, "%s", error.message);
    ck_assert_int_eq(queued.queued, 1);
    store_prompts_free(listed, prompt_count);
    store_close(db);
}

/* Removes the test's store folder and all in it. */
void remove_store(void) {
    tests_remove_tree(directory);
    directory[0] = '\0';
}

/* The window test case's fixture: a fresh store with make_store(2), removed afterwards (a
 * failing test's, which never reaches its teardown, with the run's folder). */
void setup(void) { make_store(2); }
void teardown(void) { remove_store(); }

/* Every comparison the store holds (a mask of all choices); free with store_preferences_free. */
store_preference *preferences(long *count) {
    store *db = open_store();
    store_preference *list = NULL;
    rlhf_error error = {{0}};
    ck_assert_msg(store_list_preferences(db, 0x1f, &list, count, &error) == 0, "%s", error.message);
    store_close(db);
    return list;
}

/* The rows an annotator's comparisons were written as (flags, rationale, side, time). */
store_comparison_row *rows_of(const char *name, long *count) {
    store *db = open_store();
    rlhf_error error = {{0}};
    int64_t id;
    store_comparison_row *rows = NULL;
    ck_assert_msg(store_annotator(db, name, STORE_ANNOTATOR_HUMAN, &id, &error) == 0, "%s", error.message);
    ck_assert_msg(store_list_comparisons(db, id, &rows, count, &error) == 0, "%s", error.message);
    store_close(db);
    return rows;
}

/* How many comparisons the store holds. */
long comparison_count(void) {
    long count;
    store_preference *list = preferences(&count);
    store_preferences_free(list, count);
    return count;
}

/* The store's statistics for the annotator called name (zeros but rankings if none). */
annotator_numbers numbers_for(const char *name) {
    store *db = open_store();
    store_stats stats;
    rlhf_error error = {{0}};
    ck_assert_msg(store_compute_stats(db, &stats, &error) == 0, "%s", error.message);
    annotator_numbers numbers = {0};
    numbers.rankings = stats.rankings;
    for (int i = 0; i < stats.annotator_count; i++)
        if (strcmp(stats.annotators[i].name, name) == 0) {
            numbers.labels = stats.annotators[i].labels;
            memcpy(numbers.by_choice, stats.annotators[i].by_choice, sizeof numbers.by_choice);
            numbers.left_wins = stats.annotators[i].left_wins;
            numbers.decided = stats.annotators[i].decided;
            numbers.median_seconds = stats.annotators[i].median_seconds;
        }
    store_stats_free(&stats);
    store_close(db);
    return numbers;
}

/* ------------------------------------------------------------------ the window */

static GApplication *application;

/* Initialises GTK and registers the app (once per test: each runs in its own process). */
void start_gtk(void) {
    gtk_init();
    application = G_APPLICATION(rlhf_labeler_application_new());
    GError *error = NULL;
    ck_assert_msg(g_application_register(application, NULL, &error), "%s", error ? error->message : "");
}

/* Runs the main loop for seconds, whatever comes or not. */
void spin(double seconds) {
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * 1e6);
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE)) {}
        g_usleep(5000);
    }
}

/* Waits for the window's write to land (at most 20 s) and for the main loop to settle. */
void settle(RlhfLabelerWindow *window) {
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (rlhf_labeler_window_get_busy(window) && g_get_monotonic_time() < end) g_main_context_iteration(NULL, TRUE);
    ck_assert_msg(!rlhf_labeler_window_get_busy(window), "a write took more than 20 s");
    while (g_main_context_iteration(NULL, FALSE)) {}
}

/* A window of the app on the test's store, shown and drawn, on its start page. */
RlhfLabelerWindow *open_window(void) {
    RlhfLabelerWindow *window = rlhf_labeler_window_new(GTK_APPLICATION(application), open_store());
    gtk_window_present(GTK_WINDOW(window));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(window));
    return window;
}

/* A window of the app on the test's store, labeling as annotator. */
RlhfLabelerWindow *open_window_as(const char *annotator) {
    RlhfLabelerWindow *window = open_window();
    ck_assert(rlhf_labeler_window_start(window, annotator));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(window));
    return window;
}

/* Lets the window's write land, then destroys the window. */
void close_window(RlhfLabelerWindow *window) {
    settle(window);
    gtk_window_destroy(GTK_WINDOW(window));
    while (g_main_context_iteration(NULL, FALSE)) {}
}

/* The pair on screen; fails the test unless the window is on its pairs page. */
shown_pair current_pair(RlhfLabelerWindow *window) {
    shown_pair pair = {0};
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");
    ck_assert(rlhf_labeler_window_get_pair(window, &pair.pair_id, &pair.left, &pair.right, &pair.left_is_a));
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    pair.left_text = rlhf_labeler_response_view_dup_text(RLHF_LABELER_RESPONSE_VIEW(rlhf_labeler_pair_view_get_response(view, 0)));
    pair.right_text = rlhf_labeler_response_view_dup_text(RLHF_LABELER_RESPONSE_VIEW(rlhf_labeler_pair_view_get_response(view, 1)));
    return pair;
}

/* Frees the texts of a pair current_pair returned. */
void shown_pair_clear(shown_pair *pair) {
    g_free(pair->left_text);
    g_free(pair->right_text);
}

/* The comparison of pair_id in list, or NULL. */
const store_preference *find_pair(const store_preference *list, long count, int64_t pair_id) {
    for (long i = 0; i < count; i++)
        if (list[i].pair_id == pair_id) return &list[i];
    return NULL;
}


/* The first widget under root, root included (breadth first), for which matches(widget, data)
 * is true, or NULL. */
GtkWidget *find_first_widget(GtkWidget *root, gboolean (*matches)(GtkWidget *widget, const void *data),
                             const void *data) {
    GQueue queue = G_QUEUE_INIT;
    g_queue_push_tail(&queue, root);
    while (!g_queue_is_empty(&queue)) {
        GtkWidget *widget = g_queue_pop_head(&queue);
        if (matches(widget, data)) {
            g_queue_clear(&queue);
            return widget;
        }
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
            g_queue_push_tail(&queue, child);
    }
    return NULL;
}

/* find_first_widget's test for a list box. */
static gboolean is_list_box(GtkWidget *widget, const void *data) {
    (void)data;
    return GTK_IS_LIST_BOX(widget);
}

/* The ranking rows as shown, top first (the list box's order, not its children's). */
GPtrArray *ranking_rows(RlhfLabelerRankingView *view) {
    GtkListBox *list = GTK_LIST_BOX(find_first_widget(GTK_WIDGET(view), is_list_box, NULL));
    ck_assert_ptr_nonnull(list);
    GPtrArray *rows = g_ptr_array_new();
    GtkListBoxRow *row;
    for (int i = 0; (row = gtk_list_box_get_row_at_index(list, i)) != NULL; i++) {
        ck_assert(RLHF_IS_LABELER_RANKING_ROW(row));
        g_ptr_array_add(rows, row);
    }
    return rows;
}
