/* What every Check suite's main shares. */
#ifndef RLHF_TESTS_SUPPORT_H
#define RLHF_TESTS_SUPPORT_H

#include <check.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The folder of the committed fixtures: $RLHF_FIXTURES_DIR when set (tests/gpu/run.sh sets
 * it when it runs binaries built on another machine, whose compiled-in path does not
 * exist there), else the tests/fixtures path the build compiled in. */
#ifdef FIXTURES_DIR
static inline const char *tests_fixtures_dir(void) {
    const char *overridden = getenv("RLHF_FIXTURES_DIR");
    return overridden && *overridden ? overridden : FIXTURES_DIR;
}
#endif

/* nftw callback of tests_remove_tree: removes one entry (children come before parents). */
static inline int tests_remove_entry(const char *path, const struct stat *info, int kind, struct FTW *walk) {
    (void)info, (void)kind, (void)walk;
    return remove(path);
}

/* Removes path and everything under it, without following symbolic links; a path that
 * does not exist is not an error. */
static inline void tests_remove_tree(const char *path) {
    nftw(path, tests_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The folders tests_make_temporary_directory made in this process, removed at its exit. */
static char tests_temporary_directories[16][256];
static int tests_temporary_directory_count;

/* atexit handler: removes every folder this process made with tests_make_temporary_directory. */
static inline void tests_remove_temporary_directories(void) {
    for (int i = 0; i < tests_temporary_directory_count; i++) tests_remove_tree(tests_temporary_directories[i]);
    tests_temporary_directory_count = 0;
}

/* The environment variable that names the folder holding every temporary folder of one
 * suite run: tests_run_suite sets it for the tests' processes, so every source file of a
 * suite sees it, and removes the folder once the run is over. */
#define TESTS_RUN_ROOT_VARIABLE "RLHF_TESTS_RUN_ROOT"

/* Makes a fresh folder NAME-XXXXXX in the run's folder (or /tmp/rlhf-test-NAME-XXXXXX outside
 * a run), writes its path into buffer (size bytes, at least 64) and removes it with all in it
 * when the process exits. Check runs each test in a process of its own; a passing test's
 * folders go at its exit, and since a failed check ends the process with _exit (no atexit
 * handlers), a failing test's go with the run's folder. */
static inline void tests_make_temporary_directory(char *buffer, size_t size, const char *name) {
    const char *run_root = getenv(TESTS_RUN_ROOT_VARIABLE);
    int length = run_root && *run_root ? snprintf(buffer, size, "%s/%s-XXXXXX", run_root, name)
                                       : snprintf(buffer, size, "/tmp/rlhf-test-%s-XXXXXX", name);
    ck_assert(length > 0 && (size_t)length < size);
    ck_assert_ptr_nonnull(mkdtemp(buffer));
    ck_assert_int_lt(tests_temporary_directory_count, 16);
    if (tests_temporary_directory_count == 0) atexit(tests_remove_temporary_directories);
    snprintf(tests_temporary_directories[tests_temporary_directory_count++], sizeof tests_temporary_directories[0], "%s",
             buffer);
}

/* Runs the suite (forking per test, Check's default) inside a folder of its own for the
 * tests' temporary folders, removes that folder, and returns the exit status. */
static inline int tests_run_suite(Suite *suite) {
    char run_root[] = "/tmp/rlhf-test-run-XXXXXX";
    bool have_root = mkdtemp(run_root) != NULL; /* without it each folder goes in /tmp itself */
    if (have_root) setenv(TESTS_RUN_ROOT_VARIABLE, run_root, 1);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    if (have_root) {
        tests_remove_tree(run_root);
        unsetenv(TESTS_RUN_ROOT_VARIABLE);
    }
    return failed == 0 ? 0 : 1;
}

#endif
