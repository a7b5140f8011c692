/* The labeler's controls: the start page, the flags the store offers, the key bindings and
 * accessible labels, and real key presses sent through the X server. */
#include "labeler_support.h"

#include <stdio.h>
#include <string.h>

#include <gdk/x11/gdkx.h>

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

/* A shortcut as "TRIGGER=ACTIONARGUMENTS" (e.g. "<Control>z=action(labeler.undo)"); g_free it. */
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

/* Keys: every binding the README and the shortcuts window promise is installed; every
 * control has an accessible label; monospace toggles. */
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

/* g_child_watch_add callback: stores the child's wait status in the int data points to. */
static void child_exited(GPid pid, int status, gpointer data) {
    (void)pid;
    *(int *)data = status;
}

/* Types keys (xdotool's names, space separated) into the window through the X server, then
 * lets what they do land; fails the test if xdotool fails or takes over 20 s. */
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

/* Real key presses, sent to the window through the X server by xdotool: the keys the
 * window shows are the keys that work (digits, arrows, Escape, Enter, Ctrl+1, Ctrl+L,
 * Ctrl+Z, Alt+Down), and a digit typed in the rationale stays text. */
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

/* Adds this file's tests to the window test case. */
void labeler_add_controls_tests(TCase *window) {
    tcase_add_test(window, test_start_page);
    tcase_add_test(window, test_flags_come_from_the_store);
    tcase_add_test(window, test_key_bindings_and_accessibility);
    tcase_add_test(window, test_real_key_presses);
}
