/* What every Check suite's main shares. */
#ifndef RLHF_TESTS_SUPPORT_H
#define RLHF_TESTS_SUPPORT_H

#include <check.h>
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

/* Runs the suite (forking per test, Check's default) and returns the exit status. */
static inline int tests_run_suite(Suite *suite) {
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

#endif
