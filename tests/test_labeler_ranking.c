/* The labeler's window, ranking: the responses of one prompt put in order by the keyboard's
 * actions, by drops as dragging makes them and by the rows' buttons; the store gets the
 * ranking and the pairs it implies, and undo brings the ranking back. */
#include "labeler_support.h"

/* find_first_widget's test for a button showing the icon named data. */
static gboolean is_button_with_icon(GtkWidget *widget, const void *data) {
    return GTK_IS_BUTTON(widget) && g_strcmp0(gtk_button_get_icon_name(GTK_BUTTON(widget)), data) == 0;
}

/* The button of a ranking row that shows icon, or NULL. */
static GtkWidget *row_button(GtkWidget *row, const char *icon) {
    return find_first_widget(row, is_button_with_icon, icon);
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
    /* a ranking's implied pairs are stored winner first */
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

/* Adds this file's tests to the window test case. */
void labeler_add_ranking_tests(TCase *window) {
    tcase_add_test(window, test_ranking);
}
