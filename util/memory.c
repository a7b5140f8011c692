/* Memory and sizes: the one checked growth helper every growing array uses, overflow-checked
 * size arithmetic for sizes computed from input, and the path join that fails on truncation.
 * The rule these serve: no allocation goes unchecked, no size computed from a file can wrap,
 * and no path is silently cut short. */
#include "rlhf/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Multiplies a by b into *product; false (product untouched) when the result would not fit
 * in a size_t. */
bool rlhf_size_multiply(size_t a, size_t b, size_t *product) {
    if (a != 0 && b > SIZE_MAX / a) return false;
    *product = a * b;
    return true;
}

/* Resizes the array *items to count elements of element_size bytes. On overflow or out of
 * memory returns -1 and leaves *items as it was (still valid, still owned by the caller). */
int rlhf_resize(void *items, size_t count, size_t element_size) {
    void **pointer = items;
    size_t bytes;
    if (!rlhf_size_multiply(count, element_size, &bytes)) return -1;
    void *resized = realloc(*pointer, bytes ? bytes : 1);
    if (!resized) return -1;
    *pointer = resized;
    return 0;
}

/* Makes the array *items (of *capacity elements) hold at least needed elements, doubling the
 * capacity (at least 16) so n appends cost O(n). Returns 0, or -1 on overflow or out of
 * memory with *items and *capacity unchanged. */
int rlhf_grow(void *items, size_t *capacity, size_t needed, size_t element_size) {
    if (needed <= *capacity) return 0;
    size_t grown = *capacity < 16 ? 16 : *capacity;
    while (grown < needed) {
        if (grown > SIZE_MAX / 2) {
            grown = needed;
            break;
        }
        grown *= 2;
    }
    if (rlhf_resize(items, grown, element_size) != 0) return -1;
    *capacity = grown;
    return 0;
}

/* Joins directory and name with one '/' into out (of out_size bytes). Returns -1 with error
 * set naming both when the result would not fit, so no path is ever silently truncated. */
int rlhf_path_join(char *out, size_t out_size, const char *directory, const char *name, rlhf_error *error) {
    size_t length = strlen(directory);
    const char *separator = length > 0 && directory[length - 1] == '/' ? "" : "/";
    int written = snprintf(out, out_size, "%s%s%s", directory, separator, name);
    if (written < 0 || (size_t)written >= out_size) {
        if (out_size > 0) out[0] = '\0';
        /* a directory long enough for this would push the cause out of the message: show its
         * start and end */
        if (length > 200)
            rlhf_error_set(error, "%.100s...%s%s%s: path longer than %zu bytes", directory, directory + length - 60,
                           separator, name, out_size - 1);
        else
            rlhf_error_set(error, "%s%s%s: path longer than %zu bytes", directory, separator, name, out_size - 1);
        return -1;
    }
    return 0;
}
