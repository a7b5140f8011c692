/* JSON Lines reading, shared by every importer (prompts, preferences, SFT data). */
#include "rlhf/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Reads path whole and parses it line by line (blank lines skipped, a leading byte-order
 * mark dropped), handing each object to visit; the first bad line or failed visit stops it. */
int rlhf_read_jsonl(const char *path, rlhf_jsonl_visitor visit, void *user, rlhf_error *error) {
    char *text;
    size_t size;
    if (rlhf_read_file(path, &text, &size, error) != 0) return -1;
    long line = 0;
    int status = 0;
    /* a UTF-8 byte-order mark, which some editors put first, is not part of the JSON */
    char *first = size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? text + 3 : text;
    for (char *p = first; p < text + size && status == 0;) {
        line++;
        char *end = memchr(p, '\n', (size_t)(text + size - p));
        if (!end) end = text + size;
        size_t length = (size_t)(end - p);
        char *start = p;
        p = end + 1;
        size_t blank = 0;
        while (blank < length && (start[blank] == ' ' || start[blank] == '\t' || start[blank] == '\r')) blank++;
        if (blank == length) continue;
        json_error_t json_error;
        json_t *object = json_loadb(start, length, JSON_REJECT_DUPLICATES, &json_error);
        if (!object && json_error_code(&json_error) == json_error_null_character) { /* jansson names its flag */
            rlhf_error_set(error, "%s: line %ld: column %d: a string holds \\u0000 (a NUL character), which no text "
                           "here can hold", path, line, json_error.column);
            status = -1;
            break;
        }
        if (!object || !json_is_object(object)) {
            rlhf_error_set(error, "%s: line %ld: %s", path, line, object ? "expected a JSON object" : json_error.text);
            json_decref(object);
            status = -1;
            break;
        }
        status = visit(line, object, user, error);
        json_decref(object);
    }
    free(text);
    return status;
}
