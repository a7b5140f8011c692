/* Fuzzes the importers' record validation through their public entry points:
 * store_import_prompts ({"prompt", "id"?, ...}) and store_import_preferences (TRL's
 * {"prompt", "chosen", "rejected"} or Anthropic HH transcripts), each reading the input as a
 * JSON Lines file into a fresh in-memory store. A refused file must leave no rows; an
 * accepted one must have counted every line it kept. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/store.h"

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
    if (store_import_prompts(db, path, &result, &error) == 0) {
        FUZZ_CHECK(result.imported >= 0 && result.duplicates >= 0);
    } else {
        FUZZ_CHECK(error.message[0] != '\0');
        FUZZ_CHECK(result.imported == 0 && result.duplicates == 0);
    }
    error.message[0] = '\0';
    if (store_import_preferences(db, path, "fuzz", &result, &error) == 0) {
        FUZZ_CHECK(result.imported >= 0 && result.duplicates >= 0);
    } else {
        FUZZ_CHECK(error.message[0] != '\0');
        FUZZ_CHECK(result.imported == 0 && result.duplicates == 0);
    }
    store_close(db);
    return 0;
}
