/* Fuzzes the JSON Lines reader (util/jsonl.c: rlhf_read_jsonl), which every importer reads
 * through. The visitor checks what the reader promises it: line numbers that only grow, a
 * JSON object per call, and strings that are valid UTF-8. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/util.h"

typedef struct visit_state {
    long last_line;
    long objects;
} visit_state;

/* Walks one line's object; visitors may fail, so every 7th object stops the reading with an
 * error the way an importer's validation would. */
static int visit_line(long line, json_t *object, void *user, rlhf_error *error) {
    visit_state *state = user;
    FUZZ_CHECK(line > state->last_line);
    FUZZ_CHECK(json_is_object(object));
    state->last_line = line;
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value) {
        FUZZ_CHECK(rlhf_utf8_valid(key, strlen(key)));
        if (json_is_string(value))
            FUZZ_CHECK(rlhf_utf8_valid(json_string_value(value), json_string_length(value)));
    }
    if (++state->objects % 7 == 0) {
        rlhf_error_set(error, "line %ld: refused by the visitor", line);
        return -1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("input", data, size);
    visit_state state = {0, 0};
    rlhf_error error = {{0}};
    if (rlhf_read_jsonl(path, visit_line, &state, &error) != 0) FUZZ_CHECK(error.message[0] != '\0');
    return 0;
}
