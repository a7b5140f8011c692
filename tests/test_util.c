/* util: the checked growth helper, overflow-checked sizes and the path join that refuses to
 * truncate (the C habits DESIGN.md asks every module to follow rest on these three). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/util.h"
#include "tests/test_support.h"

#if defined(__SANITIZE_ADDRESS__)
/* In a sanitizer build, an allocation the allocator cannot satisfy returns NULL (as malloc
 * does) instead of aborting, so the out-of-memory paths below can be tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

START_TEST(test_size_multiply_refuses_overflow) {
    size_t product = 7;
    ck_assert(rlhf_size_multiply(0, SIZE_MAX, &product));
    ck_assert_uint_eq(product, 0);
    ck_assert(rlhf_size_multiply(SIZE_MAX / 3, 3, &product));
    ck_assert_uint_eq(product, SIZE_MAX / 3 * 3);
    product = 7;
    ck_assert(!rlhf_size_multiply(SIZE_MAX / 3 + 1, 3, &product));
    ck_assert_uint_eq(product, 7); /* untouched on overflow */
    ck_assert(!rlhf_size_multiply((size_t)1 << 32, (size_t)1 << 32, &product));
}
END_TEST

START_TEST(test_grow_keeps_contents_and_fails_cleanly) {
    int *items = NULL;
    size_t capacity = 0;
    for (size_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(rlhf_grow(&items, &capacity, i + 1, sizeof *items), 0);
        ck_assert_uint_ge(capacity, i + 1);
        items[i] = (int)(i * 3);
    }
    /* doubling from 16: 16, 32, ..., 1024 */
    ck_assert_uint_eq(capacity, 1024);
    for (size_t i = 0; i < 1000; i++) ck_assert_int_eq(items[i], (int)(i * 3));
    /* a request whose byte count overflows fails and leaves the array as it was */
    int *before = items;
    ck_assert_int_eq(rlhf_grow(&items, &capacity, SIZE_MAX / 2, sizeof *items), -1);
    ck_assert_ptr_eq(items, before);
    ck_assert_uint_eq(capacity, 1024);
    ck_assert_int_eq(items[999], 2997);
    /* so does one the allocator cannot satisfy (2^62 bytes) */
    ck_assert_int_eq(rlhf_resize(&items, (size_t)1 << 60, sizeof *items), -1);
    ck_assert_ptr_eq(items, before);
    free(items);
}
END_TEST

START_TEST(test_path_join_refuses_truncation) {
    char path[16];
    rlhf_error error = {{0}};
    ck_assert_int_eq(rlhf_path_join(path, sizeof path, "dir", "file.json", &error), 0);
    ck_assert_str_eq(path, "dir/file.json");
    ck_assert_int_eq(rlhf_path_join(path, sizeof path, "dir/", "file.json", &error), 0);
    ck_assert_str_eq(path, "dir/file.json");
    /* 15 characters fit in 16 bytes; 16 do not */
    ck_assert_int_eq(rlhf_path_join(path, sizeof path, "abcde", "123456789", &error), 0);
    ck_assert_str_eq(path, "abcde/123456789");
    ck_assert_int_eq(rlhf_path_join(path, sizeof path, "abcdef", "123456789", &error), -1);
    ck_assert_str_eq(path, "");
    ck_assert_msg(strstr(error.message, "abcdef/123456789: path longer than 15 bytes"), "%s", error.message);
    /* a very long directory: its start and end, and the cause, all in the message */
    char directory[3000], long_path[4096];
    memset(directory, 'd', sizeof directory - 1);
    directory[sizeof directory - 1] = '\0';
    directory[0] = '/';
    memcpy(directory + sizeof directory - 5, "tail", 4);
    ck_assert_int_eq(rlhf_path_join(long_path, 2000, directory, "model.safetensors", &error), -1);
    ck_assert_msg(strncmp(error.message, "/ddd", 4) == 0 && strstr(error.message, "...d") &&
                      strstr(error.message, "dtail/model.safetensors: path longer than 1999 bytes"),
                  "%s", error.message);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("util");
    TCase *tc = tcase_create("memory");
    tcase_add_test(tc, test_size_multiply_refuses_overflow);
    tcase_add_test(tc, test_grow_keeps_contents_and_fails_cleanly);
    tcase_add_test(tc, test_path_join_refuses_truncation);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
