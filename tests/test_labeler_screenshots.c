/* Screenshots of the labeler's window (the start page, the labeling view with a decision half
 * made, ranking, and the shortcuts window) on a store with realistic texts, written to
 * OUTPUT_DIR (the README shows labeler.png) and checked: each PNG is written, has the
 * widget's size and is not blank, each part that should show something has something drawn
 * where it lies, and the texts on screen are the store's rows. */
#include "labeler_support.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

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

/* Replaces the test's store with one of realistic texts for the screenshots: a pair of
 * hostel reviews and four summaries of a film review to rank, each queued for 2 annotators. */
static void make_showcase_store(void) {
    remove_store();
    store_import_result imported;
    store *db = open_new_store(
        "{\"prompt\": \"Write a short review of the Lighthouse Hostel for someone planning a work trip.\"}\n"
        "{\"prompt\": \"Sum up this review in one sentence: 'The film drags in the middle, but the ending is "
        "wonderful and the score is lovely.'\"}\n", &imported);
    rlhf_error error = {{0}};
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

/* Adds this file's tests to the window test case. */
void labeler_add_screenshot_tests(TCase *window) {
    tcase_add_test(window, test_screenshots);
}
