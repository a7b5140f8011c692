/* What every Check suite's main shares. */
#ifndef RLHF_TESTS_SUPPORT_H
#define RLHF_TESTS_SUPPORT_H

#include <check.h>

/* Runs the suite (forking per test, Check's default) and returns the exit status. */
static inline int tests_run_suite(Suite *suite) {
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

#endif
