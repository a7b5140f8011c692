/* The labeler's window when a write does not land as asked: a pair another window labeled
 * first, a write refused (as on a full disk) and kept until a retry, a store file moved away,
 * closing with a decision unsaved, and two windows and another process writing one store. */
#include "labeler_support.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Submits the window's decision while every file write is refused (a file size limit of 0,
 * as on a full disk), waits for the write to fail, and lifts the limit again. */
static void submit_with_file_writes_refused(RlhfLabelerWindow *window) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, none;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    none = saved;
    none.rlim_cur = 0;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &none), 0);
    act(window, "labeler.submit", NULL);
    settle(window);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
}

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

    submit_with_file_writes_refused(window);

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
    submit_with_file_writes_refused(window);
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

/* Adds this file's tests to the window test case. */
void labeler_add_saving_tests(TCase *window) {
    tcase_add_test(window, test_pair_labeled_elsewhere_first);
    tcase_add_test(window, test_failed_write_is_kept);
    tcase_add_test(window, test_store_file_gone);
    tcase_add_test(window, test_close_with_unsaved_decision_asks);
    tcase_add_test(window, test_two_annotators_one_store);
}
