/* The labeler's window, labeling pairs: a side, a strength, flags and a rationale as the keys
 * and buttons set them, tie / both bad / skip, undo, and texts no window should choke on;
 * each checked against the rows the store holds afterwards. */
#include "labeler_support.h"

#include <string.h>

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

/* Adds this file's tests to the window test case. */
void labeler_add_labeling_tests(TCase *window) {
    tcase_add_test(window, test_choose_strength_flags);
    tcase_add_test(window, test_keys_tie_both_bad_skip);
    tcase_add_test(window, test_undo);
    tcase_add_test(window, test_invalid_utf8_and_huge_responses_are_shown);
}
