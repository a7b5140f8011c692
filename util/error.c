/* Error reports: one fixed-size message per error, filled by the function that failed. */
#include "rlhf/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Formats the message into error (cut at its 1023 bytes); a NULL error is allowed. */
void rlhf_error_set(rlhf_error *error, const char *format, ...) {
    if (!error) return;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}

/* Puts "context: " before the message error holds, keeping the total within its buffer. */
void rlhf_error_prefix(rlhf_error *error, const char *format, ...) {
    if (!error) return;
    char prefix[512];
    va_list args;
    va_start(args, format);
    vsnprintf(prefix, sizeof prefix, format, args);
    va_end(args);
    /* Build "prefix: old" by hand; truncation of a long message is acceptable. */
    char old[sizeof error->message];
    memcpy(old, error->message, sizeof old);
    size_t used = strlen(prefix);
    memcpy(error->message, prefix, used + 1);
    if (used + 2 < sizeof error->message) {
        memcpy(error->message + used, ": ", 3);
        used += 2;
        size_t rest = strnlen(old, sizeof old);
        if (rest > sizeof error->message - 1 - used) rest = sizeof error->message - 1 - used;
        memcpy(error->message + used, old, rest);
        error->message[used + rest] = '\0';
    }
}
