/* Fuzzes the importers' record validation through their public entry points:
 * store_import_prompts ({"prompt", "id"?, ...}) and store_import_preferences (TRL's
 * {"prompt", "chosen", "rejected"} or Anthropic HH transcripts), each reading the input as a
 * JSON Lines file into a fresh in-memory store. A refused file must leave no rows; an
 * accepted one must have counted every line it kept. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/store.h"

/* How many prompts the store holds. */
static long fuzz_prompt_count(store *db) {
    store_prompt *prompts = NULL;
    int count = 0;
    rlhf_error error = {{0}};
    FUZZ_CHECK(store_list_prompts(db, 0, 0, &prompts, &count, &error) == 0);
    store_prompts_free(prompts, count);
    return count;
}

/* How many comparisons the store holds, whatever their choice. */
static long fuzz_comparison_count(store *db) {
    store_preference *preferences = NULL;
    long count = 0;
    rlhf_error error = {{0}};
    FUZZ_CHECK(store_list_preferences(db, (1u << (STORE_CHOICE_SKIP + 1)) - 1, &preferences, &count, &error) == 0);
    store_preferences_free(preferences, count);
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("input", data, size);
    rlhf_error error = {{0}};
    store *db;
    /* ":memory:" is SQLite's private in-memory database: a fresh store per input, so one
     * input's rows cannot change how the next is read */
    if (store_open(&db, ":memory:", &error) != 0) {
        fprintf(stderr, "rlhf fuzz: cannot open an in-memory store: %s\n", error.message);
        abort();
    }
    store_import_result result;
    int rc = store_import_prompts(db, path, &result, &error);
    if (rc != 0) FUZZ_CHECK(error.message[0] != '\0' && result.imported == 0 && result.duplicates == 0);
    FUZZ_CHECK(result.imported >= 0 && result.duplicates >= 0);
    FUZZ_CHECK(fuzz_prompt_count(db) == result.imported); /* a fresh store: the rows are this file's */
    error.message[0] = '\0';
    long before = fuzz_comparison_count(db);
    rc = store_import_preferences(db, path, "fuzz", &result, &error);
    if (rc != 0) FUZZ_CHECK(error.message[0] != '\0' && result.imported == 0 && result.duplicates == 0);
    FUZZ_CHECK(result.imported >= 0 && result.duplicates >= 0);
    FUZZ_CHECK(fuzz_comparison_count(db) == before + result.imported);
    store_close(db);
    return 0;
}
