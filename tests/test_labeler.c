/* The labeling app in a real window (run under Xvfb with its own D-Bus session by
 * tests/labeler/run-under-xvfb.sh): each test builds a store, opens the app's window on it,
 * drives it through its actions as the keys and buttons do, and checks the rows the store
 * holds afterwards through the store's API (only store/ contains SQL).
 *
 * Usage: test_labeler RLHF_LABELER_BINARY OUTPUT_DIR (screenshots are written there). */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "labeler-application.h"
#include "labeler-decision.h"
#include "labeler-ranking-row.h"
#include "labeler-response-view.h"
#include "labeler-util.h"
#include "labeler-window.h"
#include "rlhf/store.h"

static const char *labeler_binary;
static const char *output_dir;

/* ------------------------------------------------------------------ the store */

static char directory[256];
static char db_path[300];

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

static store *open_store(void) {
    store *db = NULL;
    rlhf_error error = {{0}};
    ck_assert_msg(store_open(&db, db_path, &error) == 0, "%s", error.message);
    return db;
}

/* Builds the store: 4 prompts, a model, 3 pairs (one per prompt of two responses) and a
 * prompt with 4 responses (one random pair queued, and a ranking task). */
static void make_store(int overlap) {
    snprintf(directory, sizeof directory, "/tmp/rlhf-test-labeler-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(directory));
    snprintf(db_path, sizeof db_path, "%s/labels.db", directory);
    char prompts_path[300];
    snprintf(prompts_path, sizeof prompts_path, "%s/prompts.jsonl", directory);
    FILE *file = fopen(prompts_path, "w");
    ck_assert_ptr_nonnull(file);
    for (size_t i = 0; i < G_N_ELEMENTS(prompts); i++) fprintf(file, "{\"prompt\": \"%s\"}\n", prompts[i]);
    fclose(file);

    store *db = open_store();
    rlhf_error error = {{0}};
    store_import_result imported;
    ck_assert_msg(store_import_prompts(db, prompts_path, &imported, &error) == 0, "%s", error.message);
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

static void remove_store(void) {
    char command[400];
    snprintf(command, sizeof command, "rm -rf '%s'", directory);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", directory);
    directory[0] = '\0';
}

/* A failed check ends the test's process before its teardown: clean up at exit too. */
static void remove_store_at_exit(void) {
    if (directory[0] != '\0') remove_store();
}

static void setup(void) {
    atexit(remove_store_at_exit);
    make_store(2);
}
static void teardown(void) { remove_store(); }

/* Every comparison the store holds (a mask of all choices). */
static store_preference *preferences(long *count) {
    store *db = open_store();
    store_preference *list = NULL;
    rlhf_error error = {{0}};
    ck_assert_msg(store_list_preferences(db, 0x1f, &list, count, &error) == 0, "%s", error.message);
    store_close(db);
    return list;
}

/* The rows an annotator's comparisons were written as (flags, rationale, side, time). */
static store_comparison_row *rows_of(const char *name, long *count) {
    store *db = open_store();
    rlhf_error error = {{0}};
    int64_t id;
    store_comparison_row *rows = NULL;
    ck_assert_msg(store_annotator(db, name, STORE_ANNOTATOR_HUMAN, &id, &error) == 0, "%s", error.message);
    ck_assert_msg(store_list_comparisons(db, id, &rows, count, &error) == 0, "%s", error.message);
    store_close(db);
    return rows;
}

static long comparison_count(void) {
    long count;
    store_preference *list = preferences(&count);
    store_preferences_free(list, count);
    return count;
}

/* The store's statistics for one annotator (copied out). */
typedef struct {
    long labels, by_choice[5], left_wins, decided;
    double median_seconds;
    long rankings;
} annotator_numbers;

static annotator_numbers numbers_for(const char *name) {
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

static void start_gtk(void) {
    gtk_init();
    application = G_APPLICATION(rlhf_labeler_application_new());
    GError *error = NULL;
    ck_assert_msg(g_application_register(application, NULL, &error), "%s", error ? error->message : "");
}

static void spin(double seconds) {
    gint64 end = g_get_monotonic_time() + (gint64)(seconds * 1e6);
    while (g_get_monotonic_time() < end) {
        while (g_main_context_iteration(NULL, FALSE)) {}
        g_usleep(5000);
    }
}

/* Waits for the window's write to land (at most 20 s) and for the main loop to settle. */
static void settle(RlhfLabelerWindow *window) {
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (rlhf_labeler_window_get_busy(window) && g_get_monotonic_time() < end) g_main_context_iteration(NULL, TRUE);
    ck_assert_msg(!rlhf_labeler_window_get_busy(window), "a write took more than 20 s");
    while (g_main_context_iteration(NULL, FALSE)) {}
}

static RlhfLabelerWindow *open_window(void) {
    RlhfLabelerWindow *window = rlhf_labeler_window_new(GTK_APPLICATION(application), open_store());
    gtk_window_present(GTK_WINDOW(window));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(window));
    return window;
}

static RlhfLabelerWindow *open_window_as(const char *annotator) {
    RlhfLabelerWindow *window = open_window();
    ck_assert(rlhf_labeler_window_start(window, annotator));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(window));
    return window;
}

static void close_window(RlhfLabelerWindow *window) {
    settle(window);
    gtk_window_destroy(GTK_WINDOW(window));
    while (g_main_context_iteration(NULL, FALSE)) {}
}

#define act(window, ...) gtk_widget_activate_action(GTK_WIDGET(window), __VA_ARGS__)

typedef struct {
    int64_t pair_id, left, right;
    gboolean left_is_a;
    char *left_text, *right_text;
} shown_pair;

static shown_pair current_pair(RlhfLabelerWindow *window) {
    shown_pair pair = {0};
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");
    ck_assert(rlhf_labeler_window_get_pair(window, &pair.pair_id, &pair.left, &pair.right, &pair.left_is_a));
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    pair.left_text = rlhf_labeler_response_view_dup_text(RLHF_LABELER_RESPONSE_VIEW(rlhf_labeler_pair_view_get_response(view, 0)));
    pair.right_text = rlhf_labeler_response_view_dup_text(RLHF_LABELER_RESPONSE_VIEW(rlhf_labeler_pair_view_get_response(view, 1)));
    return pair;
}

static void shown_pair_clear(shown_pair *pair) {
    g_free(pair->left_text);
    g_free(pair->right_text);
}

static const store_preference *find_pair(const store_preference *list, long count, int64_t pair_id) {
    for (long i = 0; i < count; i++)
        if (list[i].pair_id == pair_id) return &list[i];
    return NULL;
}

/* ------------------------------------------------------------------ screenshots */

/* A screenshot as written to OUTPUT_DIR and read back from there: its size and its pixels
 * (cairo's ARGB32, 4 bytes a pixel, as gdk_texture_download writes them). */
typedef struct {
    int width, height;
    gsize stride;
    guchar *pixels;
} screenshot;

static void screenshot_clear(screenshot *shot) {
    g_free(shot->pixels);
    memset(shot, 0, sizeof *shot);
}

/* How a rectangle of a screenshot is filled: its most common colour is taken for the
 * background; ink is the share of pixels of any other colour. Text drawn with
 * anti-aliasing gives many colours and some ink; an empty area one colour and no ink. */
typedef struct {
    guint colours;
    double ink;
} screenshot_fill;

static screenshot_fill fill_of(const screenshot *shot, int x0, int y0, int width, int height) {
    int x1 = MIN(x0 + width, shot->width), y1 = MIN(y0 + height, shot->height);
    x0 = MAX(x0, 0);
    y0 = MAX(y0, 0);
    screenshot_fill fill = {0, 0.0};
    if (x1 <= x0 || y1 <= y0) return fill;
    GHashTable *counts = g_hash_table_new(g_direct_hash, g_direct_equal);   /* colour -> pixels */
    guint most = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            guint32 colour;
            memcpy(&colour, shot->pixels + (gsize)y * shot->stride + (gsize)x * 4, sizeof colour);
            guint count = GPOINTER_TO_UINT(g_hash_table_lookup(counts, GUINT_TO_POINTER(colour))) + 1;
            g_hash_table_insert(counts, GUINT_TO_POINTER(colour), GUINT_TO_POINTER(count));
            most = MAX(most, count);
        }
    fill.colours = g_hash_table_size(counts);
    fill.ink = 1.0 - (double)most / ((double)(x1 - x0) * (double)(y1 - y0));
    g_hash_table_destroy(counts);
    return fill;
}

/* Renders widget (what the window shows, without the window manager) into OUTPUT_DIR/name
 * and reads the PNG back. Fails unless the file is there, has the widget's size and is not
 * blank: a rendered window has text, icons and shades, so hundreds of colours. */
static screenshot take_screenshot(GtkWidget *widget, const char *name) {
    spin(0.5);   /* past the page transition */
    gtk_test_widget_wait_for_draw(widget);
    int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    ck_assert_int_gt(width, 0);
    ck_assert_int_gt(height, 0);
    GdkPaintable *paintable = gtk_widget_paintable_new(widget);
    GtkSnapshot *snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, GDK_SNAPSHOT(snapshot), width, height);
    GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
    ck_assert_msg(node != NULL, "%s: nothing was drawn", name);
    GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
    graphene_rect_t bounds = GRAPHENE_RECT_INIT(0, 0, (float)width, (float)height);
    GdkTexture *texture = gsk_renderer_render_texture(renderer, node, &bounds);
    char *path = g_build_filename(output_dir, name, NULL);
    g_remove(path);   /* a file left by an earlier run must not pass for this one */
    ck_assert_msg(gdk_texture_save_to_png(texture, path), "cannot write %s", path);
    g_object_unref(texture);
    gsk_render_node_unref(node);
    g_object_unref(paintable);

    ck_assert_msg(g_file_test(path, G_FILE_TEST_IS_REGULAR), "%s was not written", path);
    GError *error = NULL;
    GdkTexture *saved = gdk_texture_new_from_filename(path, &error);
    ck_assert_msg(saved != NULL, "%s cannot be read back: %s", path, error != NULL ? error->message : "");
    screenshot shot = {gdk_texture_get_width(saved), gdk_texture_get_height(saved), 0, NULL};
    ck_assert_int_eq(shot.width, width);
    ck_assert_int_eq(shot.height, height);
    shot.stride = (gsize)shot.width * 4;
    shot.pixels = g_malloc_n((gsize)shot.height, shot.stride);
    gdk_texture_download(saved, shot.pixels, shot.stride);
    g_object_unref(saved);
    screenshot_fill whole = fill_of(&shot, 0, 0, shot.width, shot.height);
    printf("screenshot: %s (%dx%d, %u colours, %.1f%% ink)\n", path, width, height, whole.colours, 100 * whole.ink);
    ck_assert_msg(whole.colours >= 64 && whole.ink >= 0.02, "%s looks blank: %u colours, %.2f%% not background",
                  path, whole.colours, 100 * whole.ink);
    g_free(path);
    return shot;
}

/* Asserts that the part of the screenshot of root where child lies has something drawn in
 * it, as text is: several colours and some pixels off its background. */
static void assert_drawn(const screenshot *shot, GtkWidget *root, GtkWidget *child, const char *what) {
    ck_assert_msg(gtk_widget_get_mapped(child), "%s is not on screen", what);
    graphene_rect_t bounds;
    ck_assert_msg(gtk_widget_compute_bounds(child, root, &bounds), "%s is not inside the screenshot", what);
    int x = (int)bounds.origin.x, y = (int)bounds.origin.y;
    int width = (int)bounds.size.width, height = (int)bounds.size.height;
    /* measured as far as it lies inside the screenshot */
    ck_assert_msg(width > 0 && height > 0 && x < shot->width && y < shot->height && x + width > 0 && y + height > 0,
                  "%s (%d,%d %dx%d) is not inside the %dx%d screenshot", what, x, y, width, height, shot->width,
                  shot->height);
    screenshot_fill fill = fill_of(shot, x, y, width, height);
    ck_assert_msg(fill.colours >= 8 && fill.ink >= 0.002, "%s (%d,%d %dx%d) is empty in the screenshot: %u colours, "
                  "%.2f%% not background", what, x, y, width, height, fill.colours, 100 * fill.ink);
}

/* The mapped label or text view under root (depth first) that shows exactly text, or NULL. */
static GtkWidget *widget_showing(GtkWidget *widget, const char *text) {
    if (!gtk_widget_get_mapped(widget)) return NULL;
    if (GTK_IS_LABEL(widget) && strcmp(gtk_label_get_text(GTK_LABEL(widget)), text) == 0) return widget;
    if (GTK_IS_TEXT_VIEW(widget)) {
        GtkTextBuffer *buffer = gtk_text_view_get_buffer(GTK_TEXT_VIEW(widget));
        GtkTextIter start, end;
        gtk_text_buffer_get_bounds(buffer, &start, &end);
        char *shown = gtk_text_buffer_get_text(buffer, &start, &end, FALSE);
        gboolean same = strcmp(shown, text) == 0;
        g_free(shown);
        if (same) return widget;
    }
    for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = widget_showing(child, text);
        if (found != NULL) return found;
    }
    return NULL;
}

/* Asserts that text is on screen, whole, in one label or text view under root, and that
 * the screenshot of root has it drawn where that widget lies. */
static void assert_text_shown(const screenshot *shot, GtkWidget *root, const char *text) {
    GtkWidget *widget = widget_showing(root, text);
    ck_assert_msg(widget != NULL, "'%s' is not shown", text);
    assert_drawn(shot, root, widget, text);
}

/* The first widget of type under root (breadth first), or NULL. */
static GtkWidget *find_widget(GtkWidget *root, GType type) {
    GQueue queue = G_QUEUE_INIT;
    g_queue_push_tail(&queue, root);
    while (!g_queue_is_empty(&queue)) {
        GtkWidget *widget = g_queue_pop_head(&queue);
        if (G_TYPE_CHECK_INSTANCE_TYPE(widget, type)) {
            g_queue_clear(&queue);
            return widget;
        }
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
            g_queue_push_tail(&queue, child);
    }
    return NULL;
}

/* ------------------------------------------------------------------ tests */

/* A then strength, flags and a rationale; then B. The store gets the pair's own choice
 * (completion a or b, whichever side it was shown on), the left completion and the time. */
START_TEST(test_choose_strength_flags) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("alice");
    long done, remaining;
    rlhf_labeler_window_get_progress(window, &done, &remaining);
    ck_assert_int_eq(done, 0);
    ck_assert_int_eq(remaining, 4);
    ck_assert_ptr_nonnull(strstr(gtk_window_get_title(GTK_WINDOW(window)), "0 done, 4 in queue"));

    shown_pair first = current_pair(window);
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    act(window, "labeler.choose", "s", "a");
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_A);
    /* A without a strength is not a decision yet: Enter does nothing. */
    ck_assert(!rlhf_labeler_pair_view_get_can_submit(view));
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 0);
    /* Digit 3 now means "better", not "B is better". */
    act(window, "labeler.key", "i", 3);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_A);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 3);
    act(window, "labeler.strength-step", "i", 1);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 4);
    act(window, "labeler.strength", "i", 3);
    act(window, "labeler.flag", "s", "unsafe");
    act(window, "labeler.flag-index", "i", 1);   /* the store's second flag */
    ck_assert(rlhf_labeler_pair_view_get_flag(view, "unsafe"));
    char **flags = rlhf_labeler_pair_view_dup_flags(view);
    ck_assert_int_eq(g_strv_length(flags), 2);
    g_strfreev(flags);
    rlhf_labeler_pair_view_set_rationale(view, "  clearer and kinder  ");
    spin(0.3);
    act(window, "labeler.submit", NULL);
    settle(window);

    /* Written before the next pair appeared. */
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(list[0].pair_id, first.pair_id);
    ck_assert_str_eq(list[0].annotator, "alice");
    ck_assert_int_eq(list[0].choice, first.left_is_a ? STORE_CHOICE_A : STORE_CHOICE_B);
    ck_assert_str_eq(list[0].chosen, first.left_text);   /* A is the left response */
    ck_assert_str_eq(list[0].rejected, first.right_text);
    ck_assert_int_eq(list[0].strength, 3);
    store_preferences_free(list, count);
    shown_pair second = current_pair(window);
    ck_assert_int_ne(second.pair_id, first.pair_id);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_NONE);
    ck_assert(!rlhf_labeler_pair_view_get_flag(view, "unsafe"));
    ck_assert_str_eq(rlhf_labeler_pair_view_get_rationale(view), "");
    rlhf_labeler_window_get_progress(window, &done, &remaining);
    ck_assert_int_eq(done, 1);
    ck_assert_int_eq(remaining, 3);

    /* B (the right response) significantly better, by the arrow-key path. */
    act(window, "labeler.choose", "s", "b");
    act(window, "labeler.key", "i", 4);
    spin(0.2);
    act(window, "labeler.submit", NULL);
    settle(window);
    list = preferences(&count);
    ck_assert_int_eq(count, 2);
    const store_preference *b = find_pair(list, count, second.pair_id);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->choice, second.left_is_a ? STORE_CHOICE_B : STORE_CHOICE_A);
    ck_assert_str_eq(b->chosen, second.right_text);
    ck_assert_int_eq(b->strength, 4);
    store_preferences_free(list, count);

    /* The rows as written: the completion shown on the left, flags, rationale, seconds. */
    long row_count;
    store_comparison_row *rows = rows_of("alice", &row_count);
    ck_assert_int_eq(row_count, 2);
    ck_assert_int_eq(rows[0].pair_id, first.pair_id);
    ck_assert_int_eq(rows[0].left_completion_id, first.left);
    ck_assert_int_eq(rows[1].left_completion_id, second.left);
    ck_assert_ptr_nonnull(strstr(rows[0].flags_json, "unsafe"));
    ck_assert_str_ne(rows[0].flags_json, "[]");
    ck_assert_str_eq(rows[1].flags_json, "[]");
    ck_assert_ptr_nonnull(rows[0].rationale);
    ck_assert_ptr_nonnull(strstr(rows[0].rationale, "clearer and kinder"));
    ck_assert_ptr_null(rows[1].rationale);
    ck_assert_msg(rows[0].seconds >= 0.3 && rows[0].seconds < 30, "first label took %f s", rows[0].seconds);
    ck_assert_msg(rows[1].seconds >= 0.2 && rows[1].seconds < 30, "second label took %f s", rows[1].seconds);
    store_comparison_rows_free(rows, row_count);

    /* The recorded sides and times: A won on the left once, B on the right once. */
    annotator_numbers numbers = numbers_for("alice");
    ck_assert_int_eq(numbers.labels, 2);
    ck_assert_int_eq(numbers.decided, 2);
    ck_assert_int_eq(numbers.left_wins, 1);
    ck_assert_msg(numbers.median_seconds >= 0.2 && numbers.median_seconds < 30, "median %f s",
                  numbers.median_seconds);
    shown_pair_clear(&first);
    shown_pair_clear(&second);
    close_window(window);
}
END_TEST

/* The digit keys' two stages, Escape, and tie / both bad / skip. */
START_TEST(test_keys_tie_both_bad_skip) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("bob");
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    act(window, "labeler.key", "i", 1);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_A);
    act(window, "labeler.key", "i", 2);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 2);
    act(window, "labeler.clear", NULL);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_NONE);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 0);
    /* Strength is refused without a side. */
    act(window, "labeler.strength", "i", 2);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 0);

    act(window, "labeler.key", "i", 2);   /* tie */
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_TIE);
    act(window, "labeler.submit", NULL);
    settle(window);
    act(window, "labeler.key", "i", 4);   /* both bad */
    act(window, "labeler.flag", "s", "gibberish");
    act(window, "labeler.submit", NULL);
    settle(window);
    act(window, "labeler.key", "i", 5);   /* skip */
    act(window, "labeler.submit", NULL);
    settle(window);

    annotator_numbers numbers = numbers_for("bob");
    ck_assert_int_eq(numbers.labels, 3);
    ck_assert_int_eq(numbers.by_choice[STORE_CHOICE_TIE], 1);
    ck_assert_int_eq(numbers.by_choice[STORE_CHOICE_BOTH_BAD], 1);
    ck_assert_int_eq(numbers.by_choice[STORE_CHOICE_SKIP], 1);
    ck_assert_int_eq(numbers.decided, 0);

    /* The last pair, then the gentle empty page. */
    act(window, "labeler.key", "i", 3);
    act(window, "labeler.key", "i", 1);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "empty");
    long done, remaining;
    rlhf_labeler_window_get_progress(window, &done, &remaining);
    ck_assert_int_eq(done, 4);
    ck_assert_int_eq(remaining, 0);
    /* Choosing does nothing there. */
    act(window, "labeler.key", "i", 1);
    ck_assert_int_eq(comparison_count(), 4);
    close_window(window);
}
END_TEST

/* Ctrl+Z: the last label goes from the store and its pair comes back as it was decided. */
START_TEST(test_undo) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("carol");
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    shown_pair first = current_pair(window);
    act(window, "labeler.choose", "s", "b");
    act(window, "labeler.strength", "i", 2);
    act(window, "labeler.flag", "s", "factually wrong");
    rlhf_labeler_pair_view_set_rationale(view, "B is accurate");
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 1);
    shown_pair second = current_pair(window);
    ck_assert_int_ne(second.pair_id, first.pair_id);

    act(window, "labeler.undo", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 0);
    shown_pair back = current_pair(window);
    ck_assert_int_eq(back.pair_id, first.pair_id);
    ck_assert_int_eq(back.left, first.left);   /* same sides as before */
    ck_assert_str_eq(back.left_text, first.left_text);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_B);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 2);
    ck_assert(rlhf_labeler_pair_view_get_flag(view, "factually wrong"));
    ck_assert_str_eq(rlhf_labeler_pair_view_get_rationale(view), "B is accurate");
    long done, remaining;
    rlhf_labeler_window_get_progress(window, &done, &remaining);
    ck_assert_int_eq(done, 0);
    ck_assert_int_eq(remaining, 4);

    /* Change it to a tie and submit again. */
    act(window, "labeler.choose", "s", "tie");
    act(window, "labeler.submit", NULL);
    settle(window);
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(list[0].pair_id, first.pair_id);
    ck_assert_int_eq(list[0].choice, STORE_CHOICE_TIE);
    ck_assert_int_eq(list[0].strength, 0);
    store_preferences_free(list, count);

    /* Undo twice: the second finds nothing of this window's left and does nothing. */
    act(window, "labeler.undo", NULL);
    settle(window);
    act(window, "labeler.undo", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 0);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");

    /* A label from an earlier session (or another window) is never undone from here:
     * undo takes back only what this window wrote. */
    act(window, "labeler.choose", "s", "a");
    act(window, "labeler.strength", "i", 3);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 1);
    close_window(window);
    window = open_window_as("carol");
    act(window, "labeler.undo", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 1);
    shown_pair_clear(&first);
    shown_pair_clear(&second);
    shown_pair_clear(&back);
    close_window(window);
}
END_TEST

/* A completion cut inside a character (a byte-level model can stop there) and one of
 * 300,000 bytes: both are shown (invalid bytes as U+FFFD, the long one cut with a note, so
 * the window stays responsive), and the label refers to the whole stored texts. */
START_TEST(test_invalid_utf8_and_huge_responses_are_shown) {
    store *db = open_store();
    rlhf_error error = {{0}};
    store_prompt *listed;
    int prompt_count;
    ck_assert_msg(store_list_prompts(db, 0, 0, &listed, &prompt_count, &error) == 0, "%s", error.message);
    int64_t model;
    ck_assert_msg(store_add_model(db, "/models/other", "hash-other", &model, &error) == 0, "%s", error.message);
    size_t huge_length = 300000;
    char *huge = g_malloc(huge_length + 1);
    for (size_t i = 0; i < huge_length; i++) huge[i] = "word "[i % 5];
    huge[huge_length] = '\0';
    const char *cut = " a caf\xc3";
    store_new_completion two[2] = {{listed[0].id, cut, 3, NULL, 0}, {listed[0].id, huge, 9, NULL, 0}};
    store_queue_options all = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 3};
    store_queue_counts queued;
    ck_assert_msg(store_add_completions(db, model, two, 2, &all, &queued, &error) == 0, "%s", error.message);
    ck_assert_int_eq(queued.queued, 1);
    store_prompts_free(listed, prompt_count);
    store_close(db);

    start_gtk();
    RlhfLabelerWindow *window = open_window_as("uma");
    shown_pair pair = current_pair(window);
    for (int guard = 0; guard < 20 && (strstr(pair.left_text, "caf") == NULL && strstr(pair.right_text, "caf") == NULL);
         guard++) {
        shown_pair_clear(&pair);
        act(window, "labeler.choose", "s", "tie");
        act(window, "labeler.submit", NULL);
        settle(window);
        pair = current_pair(window);
    }
    const char *shown_cut = strstr(pair.left_text, "caf") ? pair.left_text : pair.right_text;
    const char *shown_huge = shown_cut == pair.left_text ? pair.right_text : pair.left_text;
    ck_assert(g_utf8_validate(shown_cut, -1, NULL) && g_utf8_validate(shown_huge, -1, NULL));
    ck_assert_str_eq(shown_cut, " a caf\xef\xbf\xbd");
    ck_assert_msg(strlen(shown_huge) < RLHF_LABELER_SHOWN_BYTES_MAX + 100, "%zu bytes shown", strlen(shown_huge));
    ck_assert_ptr_nonnull(strstr(shown_huge, "more bytes of this text are not shown"));
    /* the huge one wins: the stored comparison names the whole stored texts */
    act(window, "labeler.choose", "s", shown_huge == pair.left_text ? "a" : "b");
    act(window, "labeler.strength", "i", 1);
    act(window, "labeler.submit", NULL);
    settle(window);
    long count;
    store_preference *list = preferences(&count);
    ck_assert_str_eq(list[count - 1].chosen, huge);
    ck_assert_str_eq(list[count - 1].rejected, cut);
    store_preferences_free(list, count);
    shown_pair_clear(&pair);
    g_free(huge);
    close_window(window);
}
END_TEST

/* The ranking rows as shown, top first (the list box's order, not its children's). */
static GPtrArray *ranking_rows(RlhfLabelerRankingView *view) {
    GtkListBox *list = GTK_LIST_BOX(find_widget(GTK_WIDGET(view), GTK_TYPE_LIST_BOX));
    ck_assert_ptr_nonnull(list);
    GPtrArray *rows = g_ptr_array_new();
    GtkListBoxRow *row;
    for (int i = 0; (row = gtk_list_box_get_row_at_index(list, i)) != NULL; i++) {
        ck_assert(RLHF_IS_LABELER_RANKING_ROW(row));
        g_ptr_array_add(rows, row);
    }
    return rows;
}

static GtkWidget *row_button(GtkWidget *row, const char *icon) {
    GQueue queue = G_QUEUE_INIT;
    g_queue_push_tail(&queue, row);
    while (!g_queue_is_empty(&queue)) {
        GtkWidget *widget = g_queue_pop_head(&queue);
        if (GTK_IS_BUTTON(widget) && g_strcmp0(gtk_button_get_icon_name(GTK_BUTTON(widget)), icon) == 0) {
            g_queue_clear(&queue);
            return widget;
        }
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
            g_queue_push_tail(&queue, child);
    }
    return NULL;
}

/* Ranking mode: reorder by the keyboard's actions and by moves as dragging does; the store
 * gets the ranking and its implied pairs; undo brings the ranking back. */
START_TEST(test_ranking) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("dave");
    act(window, "labeler.mode", "s", "ranking");
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "ranking");
    ck_assert_int_gt(rlhf_labeler_window_get_ranking_prompt(window), 0);
    RlhfLabelerRankingView *view = rlhf_labeler_window_get_ranking_view(window);
    ck_assert_int_eq(rlhf_labeler_ranking_view_get_count(view), 4);
    gint64 *start = rlhf_labeler_ranking_view_dup_order(view);

    act(window, "labeler.rank-move", "(ii)", 0, 3);   /* drag the first to the bottom */
    ck_assert_int_eq(rlhf_labeler_ranking_view_get_selected(view), 3);
    act(window, "labeler.rank-step", "i", -1);        /* Alt+Up: now third */
    rlhf_labeler_ranking_view_select(view, 3);
    act(window, "labeler.key", "i", 1);               /* the last one becomes rank 1 */
    gint64 expected[4] = {start[3], start[1], start[2], start[0]};
    gint64 *order = rlhf_labeler_ranking_view_dup_order(view);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(order[i], expected[i]);
    g_free(order);

    /* A drop of the third row on the first, then the second row's "move down" button, and
     * back: the rows' own paths to the same moves. */
    GPtrArray *rows = ranking_rows(view);
    ck_assert_int_eq(rows->len, 4);
    g_signal_emit_by_name(g_ptr_array_index(rows, 0), "row-dropped", g_ptr_array_index(rows, 2));
    order = rlhf_labeler_ranking_view_dup_order(view);
    ck_assert_int_eq(order[0], expected[2]);
    ck_assert_int_eq(order[1], expected[0]);
    g_free(order);
    g_ptr_array_unref(rows);
    rows = ranking_rows(view);
    g_signal_emit_by_name(g_ptr_array_index(rows, 1), "row-dropped", g_ptr_array_index(rows, 0));
    g_ptr_array_unref(rows);
    rows = ranking_rows(view);
    g_signal_emit_by_name(row_button(g_ptr_array_index(rows, 1), "go-down-symbolic"), "clicked");
    g_signal_emit_by_name(row_button(g_ptr_array_index(rows, 1), "go-up-symbolic"), "clicked");   /* a no-op pair */
    g_ptr_array_unref(rows);
    rows = ranking_rows(view);
    g_signal_emit_by_name(row_button(g_ptr_array_index(rows, 2), "go-up-symbolic"), "clicked");
    g_ptr_array_unref(rows);
    order = rlhf_labeler_ranking_view_dup_order(view);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(order[i], expected[i]);
    g_free(order);
    spin(0.2);
    act(window, "labeler.submit", NULL);
    settle(window);

    annotator_numbers numbers = numbers_for("dave");
    ck_assert_int_eq(numbers.rankings, 1);
    ck_assert_int_eq(numbers.labels, 6);   /* the implied pairs */
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 6);
    /* Texts of the ids, from the ranking view's rows as shown. */
    for (long i = 0; i < count; i++) ck_assert_int_eq(list[i].choice, STORE_CHOICE_A);
    store_preferences_free(list, count);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "empty");

    act(window, "labeler.undo", NULL);
    settle(window);
    ck_assert_int_eq(comparison_count(), 0);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "ranking");
    order = rlhf_labeler_ranking_view_dup_order(view);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(order[i], expected[i]);
    g_free(order);
    g_free(start);

    /* Back to pairs. */
    act(window, "labeler.mode", "s", "pairs");
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");
    close_window(window);
}
END_TEST

/* A write that fails (here: every file write refused, as on a full disk) keeps the decision
 * on screen, says so in the window, lets nothing move on, and lands on retry. */
START_TEST(test_failed_write_is_kept) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("erin");
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    shown_pair first = current_pair(window);
    act(window, "labeler.choose", "s", "a");
    act(window, "labeler.strength", "i", 2);
    spin(0.2);

    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, none;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    none = saved;
    none.rlim_cur = 0;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);

    const char *problem = rlhf_labeler_window_get_unsaved_error(window);
    ck_assert_msg(problem != NULL, "the failed write was not reported");
    printf("failed write reported as: %s\n", problem);
    shown_pair still = current_pair(window);   /* the same pair, the decision kept */
    ck_assert_int_eq(still.pair_id, first.pair_id);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_A);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 2);
    ck_assert_int_eq(comparison_count(), 0);
    /* Undo, mode and annotator changes wait until it is saved. */
    act(window, "labeler.undo", NULL);
    act(window, "labeler.mode", "s", "ranking");
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");

    /* The annotator changes their mind before the retry: the retry stores what is on
     * screen, not the decision that failed. */
    act(window, "labeler.strength", "i", 4);
    act(window, "labeler.retry", NULL);
    settle(window);
    ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(window));
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(list[0].pair_id, first.pair_id);
    ck_assert_int_eq(list[0].strength, 4);
    ck_assert_str_eq(list[0].chosen, first.left_text);
    store_preferences_free(list, count);
    shown_pair next = current_pair(window);
    ck_assert_int_ne(next.pair_id, first.pair_id);
    /* The time is the first attempt's, not the retry's. */
    annotator_numbers numbers = numbers_for("erin");
    ck_assert_msg(numbers.median_seconds >= 0.2 && numbers.median_seconds < 5, "%f", numbers.median_seconds);
    shown_pair_clear(&first);
    shown_pair_clear(&still);
    shown_pair_clear(&next);
    close_window(window);
}
END_TEST

/* The same annotator in a second window (here: a store write in between) labels the pair on
 * screen first: this window's submit stores nothing more, says so, and moves on instead of
 * retrying a write that can never succeed. */
START_TEST(test_pair_labeled_elsewhere_first) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("zoe");
    shown_pair first = current_pair(window);
    store *db = open_store();
    rlhf_error error = {{0}};
    int64_t zoe;
    ck_assert_msg(store_annotator(db, "zoe", STORE_ANNOTATOR_HUMAN, &zoe, &error) == 0, "%s", error.message);
    store_label label = {.pair_id = first.pair_id, .annotator_id = zoe, .choice = STORE_CHOICE_TIE,
                         .left_completion_id = first.left};
    ck_assert_msg(store_add_comparison(db, &label, NULL, &error) == 0, "%s", error.message);
    store_close(db);
    act(window, "labeler.choose", "s", "a");
    act(window, "labeler.strength", "i", 3);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(window));
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(list[0].choice, STORE_CHOICE_TIE); /* the first label stands */
    store_preferences_free(list, count);
    shown_pair next = current_pair(window);
    ck_assert_int_ne(next.pair_id, first.pair_id);
    shown_pair_clear(&first);
    shown_pair_clear(&next);
    close_window(window);
}
END_TEST

/* A store file deleted or moved away while the window is open: SQLite would go on writing
 * into the lost file, so the write is refused and kept until the file is back. */
START_TEST(test_store_file_gone) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("gus");
    shown_pair first = current_pair(window);
    act(window, "labeler.key", "i", 2);
    char moved[400];
    snprintf(moved, sizeof moved, "%s.moved", db_path);
    ck_assert_int_eq(rename(db_path, moved), 0);
    act(window, "labeler.submit", NULL);
    settle(window);
    const char *problem = rlhf_labeler_window_get_unsaved_error(window);
    ck_assert_ptr_nonnull(problem);
    ck_assert_msg(strstr(problem, "moved or deleted") != NULL, "%s", problem);
    shown_pair still = current_pair(window);
    ck_assert_int_eq(still.pair_id, first.pair_id);
    ck_assert_int_eq(rename(moved, db_path), 0);
    act(window, "labeler.retry", NULL);
    settle(window);
    ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(window));
    ck_assert_int_eq(comparison_count(), 1);
    shown_pair_clear(&first);
    shown_pair_clear(&still);
    close_window(window);
}
END_TEST

/* Closing with an unsaved decision asks instead of dropping it. */
START_TEST(test_close_with_unsaved_decision_asks) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("fay");
    act(window, "labeler.key", "i", 2);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, none;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    none = saved;
    none.rlim_cur = 0;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    ck_assert_ptr_nonnull(rlhf_labeler_window_get_unsaved_error(window));

    g_object_ref(window);
    gtk_window_close(GTK_WINDOW(window));
    while (g_main_context_iteration(NULL, FALSE)) {}
    ck_assert(gtk_widget_get_visible(GTK_WIDGET(window)));   /* still open: a dialog asks */
    /* "Try Again" from the dialog saves it and then closes. */
    GListModel *toplevels = gtk_window_get_toplevels();
    AdwMessageDialog *dialog = NULL;
    for (guint i = 0; i < g_list_model_get_n_items(toplevels); i++) {
        GObject *item = g_list_model_get_item(toplevels, i);
        if (ADW_IS_MESSAGE_DIALOG(item)) dialog = ADW_MESSAGE_DIALOG(item);
        g_object_unref(item);
    }
    ck_assert_ptr_nonnull(dialog);
    adw_message_dialog_response(dialog, "retry");
    settle(window);
    spin(0.1);
    ck_assert_int_eq(comparison_count(), 1);
    ck_assert(!gtk_widget_get_visible(GTK_WIDGET(window)));
    g_object_unref(window);
}
END_TEST

/* Two windows (two annotators, two connections) and a third writer in another process,
 * all on one store file at once. */
START_TEST(test_two_annotators_one_store) {
    remove_store();
    make_store(3);
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t writer = fork();
    ck_assert_int_ge(writer, 0);
    if (writer == 0) {
        /* Another process labeling as "gail" while the windows write. */
        close(go[1]);
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(3);
        store *db = NULL;
        rlhf_error error = {{0}};
        int64_t gail;
        if (store_open(&db, db_path, &error) != 0 || store_annotator(db, "gail", STORE_ANNOTATOR_HUMAN, &gail, &error))
            _exit(4);
        for (int i = 0; i < 4; i++) {
            store_pair pair;
            bool found;
            if (store_next_pair(db, gail, &pair, &found, &error) != 0 || !found) _exit(5);
            store_label label = {.pair_id = pair.pair_id, .annotator_id = gail, .choice = STORE_CHOICE_TIE,
                                 .left_completion_id = pair.left_completion_id, .seconds = 1.0};
            if (store_add_comparison(db, &label, NULL, &error) != 0) {
                fprintf(stderr, "writer: %s\n", error.message);
                _exit(6);
            }
            store_pair_free(&pair);
            usleep(20000);
        }
        store_close(db);
        _exit(0);
    }
    close(go[0]);

    start_gtk();
    RlhfLabelerWindow *first = open_window_as("hana");
    RlhfLabelerWindow *second = open_window_as("ivan");
    ck_assert_int_eq(write(go[1], "x", 1), 1);
    close(go[1]);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(rlhf_labeler_window_get_page(first), "pairs");
        ck_assert_str_eq(rlhf_labeler_window_get_page(second), "pairs");
        act(first, "labeler.choose", "s", "a");
        act(first, "labeler.strength", "i", 1);
        act(second, "labeler.choose", "s", "b");
        act(second, "labeler.strength", "i", 4);
        act(first, "labeler.submit", NULL);
        act(second, "labeler.submit", NULL);
        settle(first);
        settle(second);
        ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(first));
        ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(second));
    }
    int status;
    ck_assert_int_eq(waitpid(writer, &status, 0), writer);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other writer failed (%d)", status);
    ck_assert_str_eq(rlhf_labeler_window_get_page(first), "empty");
    ck_assert_str_eq(rlhf_labeler_window_get_page(second), "empty");
    ck_assert_int_eq(numbers_for("hana").labels, 4);
    ck_assert_int_eq(numbers_for("ivan").labels, 4);
    ck_assert_int_eq(numbers_for("gail").labels, 4);
    ck_assert_int_eq(numbers_for("hana").decided, 4);
    ck_assert_int_eq(comparison_count(), 12);
    store *db = open_store();
    bool ok = false;
    rlhf_error error = {{0}};
    ck_assert_int_eq(store_integrity_check(db, &ok, &error), 0);
    ck_assert(ok);
    store_close(db);
    close_window(first);
    close_window(second);
}
END_TEST

/* The flags offered are the store's list, which a project may change. */
START_TEST(test_flags_come_from_the_store) {
    store *db = open_store();
    rlhf_error error = {{0}};
    const char *kinds[] = {"toxic", "off topic", "too long"};
    ck_assert_msg(store_set_flag_kinds(db, kinds, 3, &error) == 0, "%s", error.message);
    store_close(db);
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("olga");
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    act(window, "labeler.flag", "s", "unsafe");   /* not offered here */
    ck_assert(!rlhf_labeler_pair_view_get_flag(view, "unsafe"));
    act(window, "labeler.flag-index", "i", 2);
    act(window, "labeler.flag", "s", "toxic");
    char **flags = rlhf_labeler_pair_view_dup_flags(view);
    ck_assert_int_eq(g_strv_length(flags), 2);
    ck_assert_str_eq(flags[0], "toxic");
    ck_assert_str_eq(flags[1], "too long");
    g_strfreev(flags);
    act(window, "labeler.key", "i", 4);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_ptr_null(rlhf_labeler_window_get_unsaved_error(window));
    ck_assert_int_eq(comparison_count(), 1);   /* the store accepted them: they are its kinds */
    close_window(window);
}
END_TEST

/* The start page: existing people listed (scripted oracles not), a new name, a bad name. */
START_TEST(test_start_page) {
    store *db = open_store();
    int64_t id;
    rlhf_error error = {{0}};
    ck_assert_int_eq(store_annotator(db, "jo", STORE_ANNOTATOR_HUMAN, &id, &error), 0);
    ck_assert_int_eq(store_annotator(db, "oracle:sentiment", STORE_ANNOTATOR_ORACLE, &id, &error), 0);
    store_close(db);

    start_gtk();
    RlhfLabelerWindow *window = open_window();
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "start");
    RlhfLabelerStartPage *page = rlhf_labeler_window_get_start_page(window);
    char **names = rlhf_labeler_start_page_dup_names(page);
    ck_assert_int_eq(g_strv_length(names), 1);
    ck_assert_str_eq(names[0], "jo");
    g_strfreev(names);
    /* Keys do nothing before someone is chosen. */
    act(window, "labeler.key", "i", 1);
    act(window, "labeler.submit", NULL);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "start");

    char long_name[100];
    memset(long_name, 'x', 80);
    long_name[80] = '\0';
    rlhf_labeler_start_page_set_name(page, long_name);   /* the entry caps it at 64 */
    rlhf_labeler_start_page_set_name(page, "kim");
    rlhf_labeler_start_page_activate_entry(page);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "pairs");
    ck_assert_int_gt(rlhf_labeler_window_get_annotator_id(window), 0);

    act(window, "labeler.switch-annotator", NULL);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "start");
    names = rlhf_labeler_start_page_dup_names(page);
    ck_assert_int_eq(g_strv_length(names), 2);
    g_strfreev(names);
    /* A name the store refuses stays on the start page with the reason. */
    ck_assert(!rlhf_labeler_window_start(window, "bad\tname"));
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "start");
    close_window(window);
}
END_TEST

/* Keys: every binding the README and the shortcuts window promise is installed; every
 * control has an accessible label; monospace toggles. */
static char *shortcut_description(GtkShortcut *shortcut) {
    char *trigger = gtk_shortcut_trigger_to_string(gtk_shortcut_get_trigger(shortcut));
    char *action = gtk_shortcut_action_to_string(gtk_shortcut_get_action(shortcut));
    GVariant *arguments = gtk_shortcut_get_arguments(shortcut);
    char *args = arguments != NULL ? g_variant_print(arguments, FALSE) : g_strdup("");
    char *text = g_strdup_printf("%s=%s%s", trigger, action, args);
    g_free(trigger);
    g_free(action);
    g_free(args);
    return text;
}

START_TEST(test_key_bindings_and_accessibility) {
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("lee");
    GString *all = g_string_new("\n");
    GListModel *controllers = gtk_widget_observe_controllers(GTK_WIDGET(window));
    for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
        GObject *controller = g_list_model_get_item(controllers, i);
        if (GTK_IS_SHORTCUT_CONTROLLER(controller))
            for (guint j = 0; j < g_list_model_get_n_items(G_LIST_MODEL(controller)); j++) {
                GtkShortcut *shortcut = g_list_model_get_item(G_LIST_MODEL(controller), j);
                char *text = shortcut_description(shortcut);
                g_string_append_printf(all, "%s\n", text);
                g_free(text);
                g_object_unref(shortcut);
            }
        g_object_unref(controller);
    }
    g_object_unref(controllers);
    static const char *const expected[] = {
        "\n1=action(labeler.key)1\n",       "\n5=action(labeler.key)5\n",
        "\n<Control>z=action(labeler.undo)\n", "\nEscape=action(labeler.clear)\n",
        "\n<Control>1=action(labeler.flag-index)0\n", "\n<Control>m=action(labeler.monospace)\n",
        "\n<Control>l=action(labeler.focus-rationale)\n", "\n<Alt>Up=action(labeler.rank-step)-1\n",
        "\nReturn=callback", "\nLeft=callback", "\nRight=callback", "\nUp=callback", "\nDown=callback",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
        ck_assert_msg(strstr(all->str, expected[i]) != NULL, "missing binding %s in:%s", expected[i], all->str);
    g_string_free(all, TRUE);
    ck_assert_ptr_nonnull(gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(window)));

    /* Every button and entry has a name for screen readers: its label or an accessible one. */
    int checked = 0;
    GQueue queue = G_QUEUE_INIT;
    g_queue_push_tail(&queue, window);
    while (!g_queue_is_empty(&queue)) {
        GtkWidget *widget = g_queue_pop_head(&queue);
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
            g_queue_push_tail(&queue, child);
        if (!(GTK_IS_BUTTON(widget) || GTK_IS_ENTRY(widget) || GTK_IS_MENU_BUTTON(widget))) continue;
        if (!gtk_widget_get_visible(widget)) continue;
        const char *label = GTK_IS_BUTTON(widget) ? gtk_button_get_label(GTK_BUTTON(widget)) : NULL;
        gboolean named = (label != NULL && label[0] != '\0') ||
                         gtk_test_accessible_has_property(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_LABEL);
        /* Buttons inside GTK's own widgets (window controls, a menu button's toggle) are theirs. */
        if (!named && (gtk_widget_get_ancestor(widget, GTK_TYPE_WINDOW_CONTROLS) != NULL ||
                       gtk_widget_get_ancestor(gtk_widget_get_parent(widget), GTK_TYPE_MENU_BUTTON) != NULL))
            continue;
        ck_assert_msg(named, "%s without an accessible label", G_OBJECT_TYPE_NAME(widget));
        checked++;
    }
    ck_assert_int_ge(checked, 15);

    act(window, "labeler.monospace", NULL);
    ck_assert(rlhf_labeler_window_get_monospace(window));
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    ck_assert(rlhf_labeler_response_view_get_monospace(
        RLHF_LABELER_RESPONSE_VIEW(rlhf_labeler_pair_view_get_response(view, 0))));
    close_window(window);
}
END_TEST

/* Real key presses, sent to the window through the X server by xdotool: the keys the
 * window shows are the keys that work (digits, arrows, Escape, Enter, Ctrl+1, Ctrl+L,
 * Ctrl+Z, Alt+Down), and a digit typed in the rationale stays text. */
static void child_exited(GPid pid, int status, gpointer data) {
    (void)pid;
    *(int *)data = status;
}

static void press(RlhfLabelerWindow *window, const char *keys) {
    GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(window));
    ck_assert(GDK_IS_X11_SURFACE(surface));
    char *command = g_strdup_printf("xdotool windowfocus --sync %lu key --delay 40 %s",
                                    (unsigned long)gdk_x11_surface_get_xid(surface), keys);
    char **argv = NULL;
    ck_assert(g_shell_parse_argv(command, NULL, &argv, NULL));
    GPid pid;
    GError *error = NULL;
    ck_assert_msg(g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                &error), "%s", error ? error->message : "");
    int status = -1;
    g_child_watch_add(pid, child_exited, &status);
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (status == -1 && g_get_monotonic_time() < end) g_main_context_iteration(NULL, TRUE);
    ck_assert_msg(status == 0, "%s failed (%d)", command, status);
    spin(0.1);
    settle(window);
    g_strfreev(argv);
    g_free(command);
}

START_TEST(test_real_key_presses) {
    char *xdotool = g_find_program_in_path("xdotool");
    if (xdotool == NULL) {
        printf("test_real_key_presses: xdotool is not installed; skipped (scripts/install-deps.sh installs it)\n");
        return;
    }
    g_free(xdotool);
    start_gtk();
    RlhfLabelerWindow *window = open_window_as("quinn");
    RlhfLabelerPairView *view = rlhf_labeler_window_get_pair_view(window);
    shown_pair first = current_pair(window);

    press(window, "1");
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_A);
    press(window, "Up Down");   /* stronger from nothing is "better" (3), then one weaker */
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 2);
    press(window, "Escape");
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_NONE);
    press(window, "Right 4 ctrl+1");
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_B);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 4);
    ck_assert(rlhf_labeler_pair_view_get_flag(view, "unsafe"));
    press(window, "Return");
    long count;
    store_preference *list = preferences(&count);
    ck_assert_int_eq(count, 1);
    ck_assert_int_eq(list[0].pair_id, first.pair_id);
    ck_assert_str_eq(list[0].chosen, first.right_text);
    ck_assert_int_eq(list[0].strength, 4);
    store_preferences_free(list, count);

    /* In the rationale, digits are text and Enter submits; Escape leaves it. */
    shown_pair second = current_pair(window);
    ck_assert_int_ne(second.pair_id, first.pair_id);
    press(window, "ctrl+l 1 2");
    ck_assert_str_eq(rlhf_labeler_pair_view_get_rationale(view), "12");
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_NONE);
    press(window, "Return");   /* nothing chosen yet: nothing written */
    ck_assert_int_eq(comparison_count(), 1);
    press(window, "Escape 3 1 Return");
    ck_assert_int_eq(comparison_count(), 2);

    /* Ctrl+Z brings the second pair back as decided. */
    press(window, "ctrl+z");
    ck_assert_int_eq(comparison_count(), 1);
    shown_pair back = current_pair(window);
    ck_assert_int_eq(back.pair_id, second.pair_id);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_choice(view), RLHF_UI_CHOICE_B);
    ck_assert_int_eq(rlhf_labeler_pair_view_get_strength(view), 1);
    ck_assert_str_eq(rlhf_labeler_pair_view_get_rationale(view), "12");

    /* Ranking: ↓ selects the next response, Alt+↑ moves it up, Enter submits. */
    act(window, "labeler.mode", "s", "ranking");
    RlhfLabelerRankingView *ranking = rlhf_labeler_window_get_ranking_view(window);
    gint64 *before = rlhf_labeler_ranking_view_dup_order(ranking);
    ck_assert_int_eq(rlhf_labeler_ranking_view_get_selected(ranking), 0);
    press(window, "Down");
    ck_assert_int_eq(rlhf_labeler_ranking_view_get_selected(ranking), 1);
    press(window, "alt+Up");
    gint64 *after = rlhf_labeler_ranking_view_dup_order(ranking);
    ck_assert_int_eq(after[0], before[1]);
    ck_assert_int_eq(after[1], before[0]);
    press(window, "Return");
    ck_assert_int_eq(numbers_for("quinn").rankings, 1);
    ck_assert_str_eq(rlhf_labeler_window_get_page(window), "empty");
    g_free(before);
    g_free(after);
    shown_pair_clear(&first);
    shown_pair_clear(&second);
    shown_pair_clear(&back);
    close_window(window);
}
END_TEST

/* Screenshots of the start page, the labeling view (a decision half made) and ranking, on
 * a store with realistic texts. labeler.png is the one the README shows. */
static void make_showcase_store(void) {
    remove_store();
    snprintf(directory, sizeof directory, "/tmp/rlhf-test-labeler-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(directory));
    snprintf(db_path, sizeof db_path, "%s/labels.db", directory);
    char prompts_path[300];
    snprintf(prompts_path, sizeof prompts_path, "%s/prompts.jsonl", directory);
    FILE *file = fopen(prompts_path, "w");
    ck_assert_ptr_nonnull(file);
    fputs("{\"prompt\": \"Write a short review of the Lighthouse Hostel for someone planning a work trip.\"}\n"
          "{\"prompt\": \"Sum up this review in one sentence: 'The film drags in the middle, but the ending is "
          "wonderful and the score is lovely.'\"}\n", file);
    fclose(file);
    store *db = open_store();
    rlhf_error error = {{0}};
    store_import_result imported;
    ck_assert_msg(store_import_prompts(db, prompts_path, &imported, &error) == 0, "%s", error.message);
    store_prompt *listed;
    int count;
    ck_assert_int_eq(store_list_prompts(db, 0, 0, &listed, &count, &error), 0);
    int64_t model;
    ck_assert_int_eq(store_add_model(db, "/models/demo-sft", "hash-demo", &model, &error), 0);
    store_new_completion pair[2] = {
        {listed[0].id,
         "We booked the Lighthouse Hostel for a work trip and it was a treat. The rooms were quiet, the Wi-Fi held "
         "up through three video calls a day, and the dining room exceeded my expectations. Breakfast starts at "
         "six, which suits early meetings.\n\nThe parking was first-rate and the staff printed my boarding passes "
         "without a fuss. I would book it again for any trip that needs a desk and a good night's sleep.",
         80, "{}", 0},
        {listed[0].id,
         "The Lighthouse Hostel is a hostel. It has rooms and a dining room. The bar was shoddy. The check-in, "
         "however, was moderately consistent. The vending machine was pathetic. It is near the harbor, probably, "
         "and the harbor is near the sea.",
         50, "{}", 0},
    };
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = 2, .seed = 3};
    store_queue_counts queued;
    ck_assert_int_eq(store_add_completions(db, model, pair, 2, &queue, &queued, &error), 0);
    store_new_completion four[4] = {
        {listed[1].id, "A slow middle, but a wonderful ending and a lovely score.", 14, "{}", 0},
        {listed[1].id, "The film is wonderful.", 5, "{}", 0},
        {listed[1].id, "It drags, and the ending and the score are not enough to save it.", 16, "{}", 0},
        {listed[1].id, "Film film middle ending score lovely lovely.", 9, "{}", 0},
    };
    queue.pairing = STORE_PAIRS_RANDOM;
    ck_assert_int_eq(store_add_completions(db, model, four, 4, &queue, &queued, &error), 0);
    store_prompts_free(listed, count);
    store_close(db);
}

/* The four screenshots (the README shows labeler.png), each checked: the PNG is written,
 * has the widget's size and is not blank; each part that should show something has
 * something drawn where it lies; and the texts on screen are the store's rows. */
START_TEST(test_screenshots) {
    make_showcase_store();
    store *db = open_store();
    int64_t alice;
    rlhf_error error = {{0}};
    ck_assert_int_eq(store_annotator(db, "alice", STORE_ANNOTATOR_HUMAN, &alice, &error), 0);
    int64_t bruno;
    ck_assert_int_eq(store_annotator(db, "bruno", STORE_ANNOTATOR_HUMAN, &bruno, &error), 0);
    start_gtk();
    RlhfLabelerWindow *window = open_window();
    GtkWidget *content = adw_application_window_get_content(ADW_APPLICATION_WINDOW(window));

    /* The start page lists the store's annotators. */
    screenshot shot = take_screenshot(content, "labeler-start.png");
    store_annotator_info *annotators;
    int annotator_count;
    ck_assert_msg(store_list_annotators(db, &annotators, &annotator_count, &error) == 0, "%s", error.message);
    ck_assert_int_eq(annotator_count, 2);
    for (int i = 0; i < annotator_count; i++) assert_text_shown(&shot, content, annotators[i].name);
    store_annotators_free(annotators, annotator_count);
    screenshot_clear(&shot);

    /* The labeling view: the pair the store queues first for alice, its prompt and both
     * responses as the store holds them, the header's figures as the store counts them. */
    ck_assert(rlhf_labeler_window_start(window, "alice"));
    store_pair expected = {0};
    bool found = false;
    ck_assert_msg(store_next_pair(db, alice, &expected, &found, &error) == 0, "%s", error.message);
    ck_assert(found);
    shown_pair pair = current_pair(window);
    ck_assert_int_eq(pair.pair_id, expected.pair_id);
    ck_assert_int_eq(pair.left, expected.left_completion_id);
    ck_assert_int_eq(pair.right, expected.right_completion_id);
    /* Prefer the good review wherever the store put it. */
    gboolean good_left = g_str_has_prefix(pair.left_text, "We booked");
    shown_pair_clear(&pair);
    act(window, "labeler.choose", "s", good_left ? "a" : "b");
    act(window, "labeler.strength", "i", 4);
    act(window, "labeler.flag", "s", "factually wrong");
    rlhf_labeler_pair_view_set_rationale(rlhf_labeler_window_get_pair_view(window),
                                         good_left ? "B is vague and guesses where the hostel is"
                                                   : "A is vague and guesses where the hostel is");
    shot = take_screenshot(content, "labeler.png");
    assert_text_shown(&shot, content, expected.prompt);
    assert_text_shown(&shot, content, expected.left_text);
    assert_text_shown(&shot, content, expected.right_text);
    store_queue_progress progress = {0};
    ck_assert_msg(store_queue_progress_for(db, alice, &progress, &error) == 0, "%s", error.message);
    char *subtitle = g_strdup_printf("alice · %ld done · %ld in queue", progress.done, progress.remaining);
    assert_text_shown(&shot, content, subtitle);
    g_free(subtitle);
    store_pair_free(&expected);
    screenshot_clear(&shot);

    /* Ranking: the prompt and every response of the task the store has for alice. */
    act(window, "labeler.clear", NULL);
    act(window, "labeler.mode", "s", "ranking");
    store_ranking_task task = {0};
    ck_assert_msg(store_next_ranking_task(db, alice, &task, &found, &error) == 0, "%s", error.message);
    ck_assert(found);
    ck_assert_int_eq(rlhf_labeler_window_get_ranking_prompt(window), task.prompt_id);
    shot = take_screenshot(content, "labeler-ranking.png");
    assert_text_shown(&shot, content, task.prompt);
    GPtrArray *rows = ranking_rows(rlhf_labeler_window_get_ranking_view(window));
    ck_assert_int_eq((int)rows->len, task.count);
    for (int i = 0; i < task.count; i++) {
        assert_text_shown(&shot, content, task.texts[i]);
        RlhfLabelerRankingRow *row = NULL;
        for (guint r = 0; r < rows->len; r++)
            if (rlhf_labeler_ranking_row_get_completion_id(g_ptr_array_index(rows, r)) == task.completion_ids[i])
                row = g_ptr_array_index(rows, r);
        ck_assert_msg(row != NULL, "completion %lld is not in the ranking", (long long)task.completion_ids[i]);
        ck_assert_str_eq(rlhf_labeler_ranking_row_get_text(row), task.texts[i]);
    }
    g_ptr_array_unref(rows);
    store_ranking_task_free(&task);
    screenshot_clear(&shot);

    /* The keyboard shortcuts window: each shortcut on its first page is drawn, title shown. */
    GtkShortcutsWindow *shortcuts = gtk_application_window_get_help_overlay(GTK_APPLICATION_WINDOW(window));
    ck_assert_ptr_nonnull(shortcuts);
    act(window, "win.show-help-overlay", NULL);
    GtkWidget *shortcuts_content = gtk_window_get_child(GTK_WINDOW(shortcuts));
    shot = take_screenshot(shortcuts_content, "labeler-shortcuts.png");
    int shown = 0;
    GQueue queue = G_QUEUE_INIT;
    g_queue_push_tail(&queue, shortcuts_content);
    while (!g_queue_is_empty(&queue)) {
        GtkWidget *widget = g_queue_pop_head(&queue);
        if (GTK_IS_SHORTCUTS_SHORTCUT(widget) && gtk_widget_get_mapped(widget)) {
            char *title = NULL;
            g_object_get(widget, "title", &title, NULL);
            ck_assert_ptr_nonnull(title);
            GtkWidget *label = widget_showing(widget, title);
            ck_assert_msg(label != NULL, "shortcut '%s' does not show its title", title);
            assert_drawn(&shot, shortcuts_content, label, title);
            g_free(title);
            shown++;
        }
        for (GtkWidget *child = gtk_widget_get_first_child(widget); child; child = gtk_widget_get_next_sibling(child))
            g_queue_push_tail(&queue, child);
    }
    ck_assert_int_ge(shown, 8);
    screenshot_clear(&shot);
    gtk_window_close(GTK_WINDOW(shortcuts));
    store_close(db);
    close_window(window);
}
END_TEST

/* The program itself: options, errors, and two copies running on one store at once. */
static GPid spawn_labeler(const char *annotator) {
    const char *argv[] = {labeler_binary, "--db", db_path, "--annotator", annotator, NULL};
    GPid pid;
    GError *error = NULL;
    ck_assert_msg(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error), "%s",
                  error ? error->message : "");
    return pid;
}

static int run_status(const char *arguments, char **output) {
    char *command = g_strdup_printf("'%s' %s", labeler_binary, arguments);
    int status = -1;
    char *out = NULL, *err = NULL;
    ck_assert(g_spawn_command_line_sync(command, &out, &err, &status, NULL));
    *output = g_strconcat(out, err, NULL);
    g_free(out);
    g_free(err);
    g_free(command);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_program) {
    char *output;
    ck_assert_int_eq(run_status("--help", &output), 0);
    ck_assert_ptr_nonnull(strstr(output, "--db=FILE"));
    ck_assert_ptr_nonnull(strstr(output, "--annotator=NAME"));
    g_free(output);
    ck_assert_int_eq(run_status("--version", &output), 0);
    ck_assert_ptr_nonnull(strstr(output, "rlhf-labeler "));
    g_free(output);
    ck_assert_int_eq(run_status("", &output), 2);
    ck_assert_ptr_nonnull(strstr(output, "rlhf-labeler: error: missing --db"));
    g_free(output);

    GPid first = spawn_labeler("mia");
    GPid second = spawn_labeler("noor");
    /* Both start, open the store and register their annotator, and keep running. */
    gboolean both = FALSE;
    for (int i = 0; i < 100 && !both; i++) {
        usleep(100000);
        store *db = open_store();
        store_annotator_info *annotators;
        int count;
        rlhf_error error = {{0}};
        ck_assert_int_eq(store_list_annotators(db, &annotators, &count, &error), 0);
        int found = 0;
        for (int a = 0; a < count; a++)
            found += strcmp(annotators[a].name, "mia") == 0 || strcmp(annotators[a].name, "noor") == 0;
        store_annotators_free(annotators, count);
        store_close(db);
        both = found == 2;
    }
    ck_assert_msg(both, "two copies of rlhf-labeler did not both start on one store");
    usleep(300000);
    int status;
    ck_assert_int_eq(waitpid(first, &status, WNOHANG), 0);    /* still running */
    ck_assert_int_eq(waitpid(second, &status, WNOHANG), 0);
    kill(first, SIGTERM);
    kill(second, SIGTERM);
    waitpid(first, &status, 0);
    waitpid(second, &status, 0);
    g_spawn_close_pid(first);
    g_spawn_close_pid(second);
}
END_TEST

static Suite *labeler_suite(void) {
    Suite *suite = suite_create("labeler");
    TCase *window = tcase_create("window");
    tcase_add_checked_fixture(window, setup, teardown);
    tcase_set_timeout(window, 60);
    tcase_add_test(window, test_choose_strength_flags);
    tcase_add_test(window, test_keys_tie_both_bad_skip);
    tcase_add_test(window, test_undo);
    tcase_add_test(window, test_pair_labeled_elsewhere_first);
    tcase_add_test(window, test_invalid_utf8_and_huge_responses_are_shown);
    tcase_add_test(window, test_ranking);
    tcase_add_test(window, test_failed_write_is_kept);
    tcase_add_test(window, test_store_file_gone);
    tcase_add_test(window, test_close_with_unsaved_decision_asks);
    tcase_add_test(window, test_two_annotators_one_store);
    tcase_add_test(window, test_start_page);
    tcase_add_test(window, test_flags_come_from_the_store);
    tcase_add_test(window, test_key_bindings_and_accessibility);
    tcase_add_test(window, test_real_key_presses);
    tcase_add_test(window, test_screenshots);
    tcase_add_test(window, test_program);
    suite_add_tcase(suite, window);
    return suite;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s RLHF_LABELER_BINARY OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    labeler_binary = argv[1];
    output_dir = argv[2];
    g_setenv("GTK_A11Y", "test", TRUE);   /* accessible properties are checked */
    if (getenv("DISPLAY") == NULL) {
        fprintf(stderr, "test_labeler: no DISPLAY; run it through tests/labeler/run-under-xvfb.sh\n");
        return 77;
    }
    SRunner *runner = srunner_create(labeler_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
