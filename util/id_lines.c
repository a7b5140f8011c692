/* Reading token-id files: one sequence a line, ids separated by whitespace. */
#include "rlhf/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Reads path's lines of space-separated ids into lines, checking each id against
 * vocab_size; errors name the file and line. */
int rlhf_id_lines_read(rlhf_id_lines *lines, const char *path, int vocab_size, rlhf_error *error) {
    memset(lines, 0, sizeof *lines);
    char *text;
    size_t size;
    if (rlhf_read_file(path, &text, &size, error) != 0) return -1;
    size_t capacity = 0, line_capacity = 0;
    if (rlhf_grow(&lines->starts, &line_capacity, 1, sizeof *lines->starts) != 0) goto out_of_memory;
    lines->starts[0] = 0;
    char *p = text;
    long line_number = 0;
    while (p < text + size) {
        line_number++;
        char *end = memchr(p, '\n', (size_t)(text + size - p));
        if (!end) end = text + size;
        *end = '\0';
        size_t before = lines->total;
        char *q = p;
        while (*q) {
            while (*q && isspace((unsigned char)*q)) q++;
            if (!*q) break;
            char *number_end;
            errno = 0;
            long id = strtol(q, &number_end, 10);
            if (number_end == q || errno || (*number_end && !isspace((unsigned char)*number_end))) {
                rlhf_error_set(error, "%s: line %ld: '%.20s' is not a token id", path, line_number, q);
                goto fail;
            }
            /* with no vocabulary size, INT_MAX bounds the ids: they are stored as int */
            if (id < 0 || id >= (vocab_size > 0 ? vocab_size : (long)INT_MAX + 1)) {
                rlhf_error_set(error, "%s: line %ld: token id %ld is outside [0, %ld)", path, line_number, id,
                               vocab_size > 0 ? (long)vocab_size : (long)INT_MAX + 1);
                goto fail;
            }
            if (rlhf_grow(&lines->ids, &capacity, lines->total + 1, sizeof *lines->ids) != 0) goto out_of_memory;
            lines->ids[lines->total++] = (int)id;
            q = number_end;
        }
        if (lines->total > before) {
            if (rlhf_grow(&lines->starts, &line_capacity, lines->count + 2, sizeof *lines->starts) != 0)
                goto out_of_memory;
            lines->starts[++lines->count] = lines->total;
        }
        p = end + 1;
    }
    free(text);
    if (lines->count == 0) {
        rlhf_error_set(error, "%s: no token ids", path);
        rlhf_id_lines_free(lines);
        return -1;
    }
    return 0;
out_of_memory:
    rlhf_error_set(error, "%s: out of memory", path);
fail:
    free(text);
    rlhf_id_lines_free(lines);
    return -1;
}

/* Frees what rlhf_id_lines_read allocated and empties lines. */
void rlhf_id_lines_free(rlhf_id_lines *lines) {
    free(lines->ids);
    free(lines->starts);
    memset(lines, 0, sizeof *lines);
}
