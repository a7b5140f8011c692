/* What the labeler's window tests share (tests/test_labeler*.c, one Check suite `labeler`):
 * a store in a fresh folder with pairs and a ranking task, a window of the app opened on it
 * and driven through its actions, and the rows read back through the store's API. */
#ifndef RLHF_TESTS_LABELER_SUPPORT_H
#define RLHF_TESTS_LABELER_SUPPORT_H

#include <check.h>
#include <stdint.h>

#include <gtk/gtk.h>

#include "labeler-application.h"
#include "labeler-decision.h"
#include "labeler-ranking-row.h"
#include "labeler-response-view.h"
#include "labeler-util.h"
#include "labeler-window.h"
#include "rlhf/store.h"

/* ------------------------------------------------------------------ the program's arguments */

extern const char *labeler_binary;   /* the rlhf-labeler program (test_program runs it) */
extern const char *output_dir;       /* where the screenshots are written */

/* ------------------------------------------------------------------ the store */

extern char db_path[300];   /* the store file of the running test */

/* Opens the test's store; fails the test if it cannot. The caller closes it. */
store *open_store(void);

/* Makes a fresh folder in the run's folder (tests_make_temporary_directory) for the test's store (db_path, removed by remove_store),
 * writes prompts_jsonl there as prompts.jsonl, opens the store and imports those prompts
 * (their count in *imported). Returns the open store; the caller closes it. */
store *open_new_store(const char *prompts_jsonl, store_import_result *imported);

/* Builds the store: 4 prompts, a model, 3 pairs (one per prompt of two responses) and a
 * prompt with 4 responses (one random pair queued, and a ranking task), each pair queued
 * for overlap annotators. */
void make_store(int overlap);

/* Removes the test's store folder and all in it. */
void remove_store(void);

/* The window test case's fixture: a store made with make_store(2), removed afterwards. */
void setup(void);
void teardown(void);

/* Every comparison the store holds (a mask of all choices); free with store_preferences_free. */
store_preference *preferences(long *count);

/* The rows an annotator's comparisons were written as (flags, rationale, side, time); free
 * with store_comparison_rows_free. */
store_comparison_row *rows_of(const char *name, long *count);

/* How many comparisons the store holds. */
long comparison_count(void);

/* The store's statistics for one annotator (copied out). */
typedef struct {
    long labels, by_choice[5], left_wins, decided;
    double median_seconds;
    long rankings;
} annotator_numbers;

/* The store's statistics for the annotator called name (zeros but rankings if none). */
annotator_numbers numbers_for(const char *name);

/* ------------------------------------------------------------------ the window */

/* Initialises GTK and registers the app (once per test: each runs in its own process). */
void start_gtk(void);

/* Runs the main loop for seconds, whatever comes or not. */
void spin(double seconds);

/* Waits for the window's write to land (at most 20 s) and for the main loop to settle. */
void settle(RlhfLabelerWindow *window);

/* A window of the app on the test's store, shown and drawn, on its start page. */
RlhfLabelerWindow *open_window(void);

/* A window of the app on the test's store, labeling as annotator. */
RlhfLabelerWindow *open_window_as(const char *annotator);

/* Lets the window's write land, then destroys the window. */
void close_window(RlhfLabelerWindow *window);

/* Activates one of the window's actions, as its keys and buttons do. */
#define act(window, ...) gtk_widget_activate_action(GTK_WIDGET(window), __VA_ARGS__)

/* The pair a window shows: its ids, sides and texts as shown. */
typedef struct {
    int64_t pair_id, left, right;
    gboolean left_is_a;
    char *left_text, *right_text;
} shown_pair;

/* The pair on screen; fails the test unless the window is on its pairs page. Free its
 * texts with shown_pair_clear. */
shown_pair current_pair(RlhfLabelerWindow *window);

/* Frees the texts of a pair current_pair returned. */
void shown_pair_clear(shown_pair *pair);

/* The comparison of pair_id in list, or NULL. */
const store_preference *find_pair(const store_preference *list, long count, int64_t pair_id);

/* The first widget under root, root included (breadth first), for which matches(widget, data)
 * is true, or NULL. */
GtkWidget *find_first_widget(GtkWidget *root, gboolean (*matches)(GtkWidget *widget, const void *data),
                             const void *data);

/* The ranking rows as shown, top first (the list box's order, not its children's); free
 * with g_ptr_array_unref. */
GPtrArray *ranking_rows(RlhfLabelerRankingView *view);

/* ------------------------------------------------------------------ the tests, by file */

void labeler_add_labeling_tests(TCase *window);     /* test_labeler_labeling.c */
void labeler_add_ranking_tests(TCase *window);      /* test_labeler_ranking.c */
void labeler_add_saving_tests(TCase *window);       /* test_labeler_saving.c */
void labeler_add_controls_tests(TCase *window);     /* test_labeler_controls.c */
void labeler_add_screenshot_tests(TCase *window);   /* test_labeler_screenshots.c */

#endif
