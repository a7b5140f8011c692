/* The labeling app in a real window (run under Xvfb with its own D-Bus session by
 * tests/labeler/run-under-xvfb.sh): each test builds a store, opens the app's window on it,
 * drives it through its actions as the keys and buttons do, and checks the rows the store
 * holds afterwards through the store's API (only store/ contains SQL).
 *
 * One Check suite, `labeler`, in one program built from these files:
 *   labeler_support.{h,c}          the store, the window and the rows read back
 *   test_labeler_labeling.c        choosing, strength, flags, undo, unusual texts
 *   test_labeler_ranking.c         ranking mode
 *   test_labeler_saving.c          writes that fail or race: retry, moved store, two windows
 *   test_labeler_controls.c        start page, flags offered, key bindings, real key presses
 *   test_labeler_screenshots.c     the screenshots and what they show
 *   test_labeler.c (this file)     the program itself, the suite and main
 *
 * Usage: test_labeler RLHF_LABELER_BINARY OUTPUT_DIR (screenshots are written there). */
#include "labeler_support.h"
#include "tests/test_support.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *labeler_binary;
const char *output_dir;

/* Starts rlhf-labeler on the test's store as annotator, without waiting for it. */
static GPid spawn_labeler(const char *annotator) {
    const char *argv[] = {labeler_binary, "--db", db_path, "--annotator", annotator, NULL};
    GPid pid;
    GError *error = NULL;
    ck_assert_msg(g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error), "%s",
                  error ? error->message : "");
    return pid;
}

/* Runs rlhf-labeler with arguments (shell words) to its end; returns its exit status (-1 if
 * killed) and, in *output (g_free it), what it wrote to stdout then stderr. */
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

/* The program itself: options, errors, and two copies running on one store at once. */
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

/* The one suite, `labeler`: a test case of window tests, each on a fresh store (setup),
 * in the order the files add them. */
static Suite *labeler_suite(void) {
    Suite *suite = suite_create("labeler");
    TCase *window = tcase_create("window");
    tcase_add_checked_fixture(window, setup, teardown);
    tcase_set_timeout(window, 60);
    labeler_add_labeling_tests(window);
    labeler_add_ranking_tests(window);
    labeler_add_saving_tests(window);
    labeler_add_controls_tests(window);
    labeler_add_screenshot_tests(window);
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
    return tests_run_suite(labeler_suite());
}
