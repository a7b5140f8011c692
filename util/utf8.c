/* UTF-8 checking and repair, for text that reaches JSON: a byte-level BPE model can emit
 * part of a character, and jansson refuses such strings (json_string returns NULL). */
#include "rlhf/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at bytes[0 .. available), or, when it is
 * ill-formed, minus the length of its maximal subpart (at least 1): the bytes that one
 * U+FFFD replaces, as Unicode recommends and Python's errors="replace" does. Assumes
 * available >= 1. */
static long sequence_length(const unsigned char *bytes, size_t available) {
    unsigned char lead = bytes[0];
    if (lead < 0x80) return 1;
    int length;
    unsigned char low = 0x80, high = 0xbf; /* the range of the second byte */
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;        /* no overlong forms */
        else if (lead == 0xed) high = 0x9f;  /* no surrogates */
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;        /* no overlong forms */
        else if (lead == 0xf4) high = 0x8f;  /* nothing above U+10FFFF */
    } else {
        return -1;                           /* a continuation byte, C0, C1 or F5..FF */
    }
    for (int i = 1; i < length; i++) {
        unsigned char lower = i == 1 ? low : 0x80, upper = i == 1 ? high : 0xbf;
        if ((size_t)i >= available || bytes[i] < lower || bytes[i] > upper) return -i;
    }
    return length;
}

/* Walks text sequence by sequence (sequence_length); false at the first ill-formed one. */
bool rlhf_utf8_valid(const char *text, size_t length) {
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t at = 0; at < length;) {
        long n = sequence_length(bytes + at, length - at);
        if (n < 0) return false;
        at += (size_t)n;
    }
    return true;
}

/* Copies text, writing U+FFFD for each maximal ill-formed subpart (at most 3 bytes of output
 * per input byte). */
char *rlhf_utf8_repair(const char *text, size_t length, size_t *repaired_length) {
    const unsigned char *bytes = (const unsigned char *)text;
    /* each replaced byte grows to at most 3 (U+FFFD is EF BF BD) */
    char *out = malloc(3 * length + 1);
    if (!out) return NULL;
    size_t written = 0;
    for (size_t at = 0; at < length;) {
        long n = sequence_length(bytes + at, length - at);
        if (n > 0) {
            memcpy(out + written, bytes + at, (size_t)n);
            written += (size_t)n;
            at += (size_t)n;
        } else {
            memcpy(out + written, "\xef\xbf\xbd", 3);
            written += 3;
            at += (size_t)-n;
        }
    }
    out[written] = '\0';
    if (repaired_length) *repaired_length = written;
    return out;
}

/* json_stringn of the text, repaired first when it is not valid UTF-8. */
json_t *rlhf_json_text(const char *text) {
    if (!text) return json_null();
    size_t length = strlen(text);
    if (rlhf_utf8_valid(text, length)) return json_stringn(text, length);
    size_t repaired_length;
    char *repaired = rlhf_utf8_repair(text, length, &repaired_length);
    if (!repaired) return NULL;
    json_t *string = json_stringn(repaired, repaired_length);
    free(repaired);
    return string;
}
