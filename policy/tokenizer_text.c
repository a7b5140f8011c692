/* GPT-2's byte alphabet (how vocab.json spells bytes), UTF-8, and pre-tokenizing: the
 * regular expression, the scanner that walks a text's pre-tokens, and the cutting of a long
 * text into pieces that threads pre-tokenize on their own with the same result. */
#include "tokenizer_internal.h"

#include <omp.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ byte alphabet */

/* Whether GPT-2's bytes_to_unicode lets byte b stand for itself (printable Latin-1). */
static bool byte_is_printable(int b) {
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

/* The character GPT-2 spells byte b with: b itself when printable, else U+0100 plus the
 * number of non-printable bytes below b (so space is U+0120 'Ġ', newline U+010A 'Ċ'). */
static int byte_codepoint(int b) {
    if (byte_is_printable(b)) return b;
    if (b <= 32) return 256 + b;
    if (b <= 160) return 256 + 33 + (b - 127);
    return 256 + 67; /* 173, the soft hyphen */
}

/* The byte a character of the alphabet stands for; -1 for any other character. */
static int codepoint_byte(uint32_t c) {
    if (c < 256) return byte_is_printable((int)c) ? (int)c : -1;
    if (c < 256 + 33) return (int)c - 256;
    if (c < 256 + 67) return (int)c - 256 - 33 + 127;
    if (c == 256 + 67) return 173;
    return -1;
}

/* Byte b's id among the 256 byte tokens, in GPT-2's order. */
int tokenizer_byte_rank(int b) {
    int c = byte_codepoint(b);
    if (c >= 256) return 188 + (c - 256);
    if (b <= 126) return b - 33;
    if (b <= 172) return 94 + (b - 161);
    return 106 + (b - 174);
}

/* Length of the well-formed UTF-8 character at p (n bytes available), 0 if the bytes there
 * do not start one (stray continuation byte, overlong form, surrogate, past U+10FFFF or
 * truncated), by the same rules as Python's decoder. */
static size_t utf8_char_length(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[2] & 0xC0) != 0x80) return 0;
        unsigned char low = c == 0xE0 ? 0xA0 : 0x80, high = c == 0xED ? 0x9F : 0xBF;
        return p[1] >= low && p[1] <= high ? 3 : 0;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        unsigned char low = c == 0xF0 ? 0x90 : 0x80, high = c == 0xF4 ? 0x8F : 0xBF;
        return p[1] >= low && p[1] <= high ? 4 : 0;
    }
    return 0;
}

/* Whether all n bytes at p are well-formed UTF-8 (ASCII eight bytes at a time). */
static bool utf8_valid(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t word;
            memcpy(&word, p + i, 8);
            if (!(word & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        size_t length = utf8_char_length(p + i, n - i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

/* The code point of the well-formed character of the given length at p. */
static uint32_t utf8_decode(const unsigned char *p, size_t length) {
    if (length == 1) return p[0];
    if (length == 2) return (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
    if (length == 3) return (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 | (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
}

/* A vocab.json spelling's bytes into out; -1 for a character outside the alphabet. */
long tokenizer_name_to_bytes(const char *name, size_t length, char *out) {
    const unsigned char *p = (const unsigned char *)name;
    long count = 0;
    for (size_t i = 0; i < length;) {
        size_t character = utf8_char_length(p + i, length - i);
        if (character == 0) return -1;
        int b = codepoint_byte(utf8_decode(p + i, character));
        if (b < 0) return -1;
        out[count++] = (char)b;
        i += character;
    }
    return count;
}

/* Bytes to their vocab.json spelling (out has room for 2 x length + 1), NUL-terminated. */
size_t tokenizer_bytes_to_name(const char *bytes, size_t length, char *out) {
    size_t used = 0;
    for (size_t i = 0; i < length; i++) {
        int c = byte_codepoint((unsigned char)bytes[i]);
        if (c < 0x80) {
            out[used++] = (char)c;
        } else {
            out[used++] = (char)(0xC0 | c >> 6);
            out[used++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[used] = '\0';
    return used;
}

/* ------------------------------------------------------------------ the pre-tokenizer */

/* GPT-2's pattern with the character classes of Hugging Face tokenizers (Oniguruma):
 * whitespace is \t..\r, U+0085 and the Z categories (PCRE2's \s also takes U+180E, which is
 * a format character since Unicode 6.3), and letters and digits include those Unicode 15.0 to
 * 16.0 added, which PCRE2 10.42 (Unicode 14) still calls unassigned. Listing them is
 * harmless where PCRE2 already knows them. The other-symbols class is the complement of the
 * three, so every character lands in exactly the class it has in tokenizers. */
#define NEW_LETTERS                                                                                  \
    "\\x{1C89}-\\x{1C8A}\\x{A7CB}-\\x{A7CD}\\x{A7DA}-\\x{A7DC}\\x{105C0}-\\x{105F3}"                 \
    "\\x{10D4A}-\\x{10D65}\\x{10D6F}-\\x{10D85}\\x{10EC2}-\\x{10EC4}\\x{1123F}-\\x{11240}"           \
    "\\x{11380}-\\x{11389}\\x{1138B}\\x{1138E}\\x{11390}-\\x{113B5}\\x{113B7}\\x{113D1}"             \
    "\\x{113D3}\\x{11BC0}-\\x{11BE0}\\x{11F02}\\x{11F04}-\\x{11F10}\\x{11F12}-\\x{11F33}"            \
    "\\x{1342F}\\x{13441}-\\x{13446}\\x{13460}-\\x{143FA}\\x{16100}-\\x{1611D}"                      \
    "\\x{16D40}-\\x{16D6C}\\x{18CFF}\\x{1B132}\\x{1B155}\\x{1DF25}-\\x{1DF2A}"                       \
    "\\x{1E030}-\\x{1E06D}\\x{1E4D0}-\\x{1E4EB}\\x{1E5D0}-\\x{1E5ED}\\x{1E5F0}\\x{2B739}"            \
    "\\x{2EBF0}-\\x{2EE5D}\\x{31350}-\\x{323AF}"
#define NEW_NUMBERS                                                                                  \
    "\\x{10D40}-\\x{10D49}\\x{116D0}-\\x{116E3}\\x{11BF0}-\\x{11BF9}\\x{11F50}-\\x{11F59}"           \
    "\\x{16130}-\\x{16139}\\x{16D70}-\\x{16D79}\\x{1CCF0}-\\x{1CCF9}\\x{1D2C0}-\\x{1D2D3}"           \
    "\\x{1E4F0}-\\x{1E4F9}\\x{1E5F1}-\\x{1E5FA}"
#define LETTERS "\\p{L}" NEW_LETTERS
#define NUMBERS "\\p{N}" NEW_NUMBERS
#define SPACES "\\t-\\r\\x{85}\\p{Z}"

static const char pretokenize_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d"
    "| ?[" LETTERS "]+"
    "| ?[" NUMBERS "]+"
    "| ?[^" SPACES LETTERS NUMBERS "]+"
    "|[" SPACES "]+(?![^" SPACES "])"
    "|[" SPACES "]+";

/* Compiles pretokenize_pattern (UTF, Unicode properties, JIT); NULL with error set on failure. */
pcre2_code *tokenizer_compile_pattern(rlhf_error *error) {
    int code;
    PCRE2_SIZE offset;
    pcre2_code *regex = pcre2_compile((PCRE2_SPTR)pretokenize_pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                                      &code, &offset, NULL);
    if (!regex) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(code, message, sizeof message);
        rlhf_error_set(error, "pre-tokenizer pattern does not compile at offset %zu: %s", (size_t)offset, message);
        return NULL;
    }
    pcre2_jit_compile(regex, PCRE2_JIT_COMPLETE); /* without JIT, pcre2_match interprets */
    return regex;
}

/* Where to cut text near offset at so that both sides pre-tokenize exactly as the whole:
 * just before a space that follows a printable ASCII character. Every pre-token ends there
 * (no alternative of the pattern runs from a non-space into a space) and "<|endoftext|>"
 * has no space in it. Returns length if there is no such place from at on. */
static size_t safe_cut(const char *text, size_t length, size_t at) {
    if (at == 0) at = 1;
    for (size_t i = at; i < length; i++)
        if (text[i] == ' ' && text[i - 1] > ' ' && text[i - 1] < 0x7F) return i;
    return length;
}

#define SCAN_WINDOW (1u << 20) /* text is matched a window of about this many bytes at a time */

/* Moves the scanner to the window after the current one (there is one): matched in place
 * when it is valid UTF-8, else through the stand-in. -1 with error set when out of memory. */
static int scan_next_window(pretoken_scanner *s, rlhf_error *error) {
    size_t start = s->window_end;
    size_t end = s->length - start > SCAN_WINDOW ? safe_cut(s->text, s->length, start + SCAN_WINDOW) : s->length;
    const unsigned char *bytes = (const unsigned char *)s->text + start;
    size_t length = end - start;
    s->window_start = start;
    s->window_end = end;
    s->offset = 0;
    s->substituted = !utf8_valid(bytes, length);
    if (!s->substituted) {
        s->subject = bytes;
        s->subject_length = length;
        return 0;
    }
    /* each byte becomes at most 3 (U+FFFD is EF BF BD); a window is about SCAN_WINDOW bytes */
    size_t needed = 3 * length + 1;
    if (needed > s->stand_in_capacity) {
        if (rlhf_resize(&s->stand_in, needed, sizeof *s->stand_in) != 0 ||
            rlhf_resize(&s->origin, needed, sizeof *s->origin) != 0) {
            rlhf_error_set(error, "out of memory pre-tokenizing %zu bytes", length);
            return -1;
        }
        s->stand_in_capacity = needed;
    }
    size_t used = 0;
    for (size_t i = 0; i < length;) {
        size_t character = utf8_char_length(bytes + i, length - i);
        if (character) {
            for (size_t k = 0; k < character; k++) {
                s->origin[used] = i + k;
                s->stand_in[used++] = bytes[i + k];
            }
            i += character;
        } else {
            static const unsigned char replacement[3] = {0xEF, 0xBF, 0xBD};
            for (size_t k = 0; k < 3; k++) {
                s->origin[used] = i;
                s->stand_in[used++] = replacement[k];
            }
            i++;
        }
    }
    s->origin[used] = length;
    s->subject = s->stand_in;
    s->subject_length = used;
    return 0;
}

/* Frees the scanner's stand-in buffers (the match data stays the caller's). */
void pretoken_scan_end(pretoken_scanner *s) {
    free(s->stand_in);
    free(s->origin);
}

/* Starts at the first window of text; on failure frees what it made. */
int pretoken_scan_start(pretoken_scanner *s, const pcre2_code *regex, pcre2_match_data *match, const char *text,
                        size_t length, rlhf_error *error) {
    memset(s, 0, sizeof *s);
    s->regex = regex;
    s->match = match;
    s->text = text;
    s->length = length;
    if (scan_next_window(s, error) == 0) return 0;
    pretoken_scan_end(s);
    return -1;
}

/* Advances past the next pre-token: 1 and its end, 0 at the end of the text, -1 on error. */
int pretoken_scan_next(pretoken_scanner *s, size_t *end, rlhf_error *error) {
    while (s->offset >= s->subject_length) {
        if (s->window_end >= s->length) return 0;
        if (scan_next_window(s, error) != 0) return -1;
    }
    int status = pcre2_match(s->regex, s->subject, s->subject_length, s->offset, PCRE2_NO_UTF_CHECK, s->match, NULL);
    size_t stop;
    if (status == PCRE2_ERROR_NOMATCH) {
        stop = s->subject_length; /* cannot happen: every character is in one of the classes */
    } else if (status < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(status, message, sizeof message);
        rlhf_error_set(error, "pre-tokenizer: %s", message);
        return -1;
    } else {
        PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(s->match);
        /* Text the pattern skipped would be a pre-token of its own, as Hugging Face's
         * isolated split keeps it; the pattern matches at every character, so it never does. */
        stop = ovector[0] > s->offset ? ovector[0] : ovector[1];
        if (stop <= s->offset) { /* an empty match, which the pattern cannot make */
            size_t character = utf8_char_length(s->subject + s->offset, s->subject_length - s->offset);
            stop = s->offset + (character ? character : 1);
        }
    }
    s->offset = stop;
    *end = s->window_start + (s->substituted ? s->origin[stop] : stop);
    return 1;
}

#define PARALLEL_BYTES (1u << 20) /* texts shorter than this are handled on one thread */

/* One piece per OpenMP thread from PARALLEL_BYTES on, else one. */
int tokenizer_piece_count(size_t length) {
    int pieces = length >= PARALLEL_BYTES ? omp_get_max_threads() : 1;
    return pieces < 1 ? 1 : pieces;
}

/* Cuts text at safe places into pieces and runs work on each on its own thread; first failure wins. */
int tokenizer_for_each_piece(const char *text, size_t length, int pieces, tokenizer_piece_work work, void *user,
                             rlhf_error *error) {
    size_t *cuts = NULL;
    rlhf_error *errors = calloc((size_t)pieces, sizeof *errors);
    int *status = calloc((size_t)pieces, sizeof *status);
    int result = -1;
    if (!errors || !status || rlhf_resize(&cuts, (size_t)pieces + 1, sizeof *cuts) != 0) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    cuts[0] = 0;
    for (int i = 1; i < pieces; i++) {
        size_t at = length / (size_t)pieces * (size_t)i;
        cuts[i] = safe_cut(text, length, at > cuts[i - 1] ? at : cuts[i - 1]);
    }
    cuts[pieces] = length;
    #pragma omp parallel for schedule(static, 1) num_threads(pieces) if (pieces > 1)
    for (int i = 0; i < pieces; i++) status[i] = work(i, text + cuts[i], cuts[i + 1] - cuts[i], user, &errors[i]);
    for (int i = 0; i < pieces; i++)
        if (status[i] != 0) {
            if (error) *error = errors[i];
            goto done;
        }
    result = 0;
done:
    free(cuts);
    free(errors);
    free(status);
    return result;
}

/* The public pre-tokenizer (rlhf/tokenizer.h): every pre-token's end offset, for tests and
 * diagnostics. */
int tokenizer_pretokenize(const tokenizer *t, const char *text, size_t length, size_t **ends, size_t *count,
                          rlhf_error *error) {
    *ends = NULL;
    *count = 0;
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(t->regex, NULL);
    size_t capacity = 0;
    size_t *out = NULL;
    pretoken_scanner s;
    if (!match || rlhf_grow(&out, &capacity, 16, sizeof *out) != 0 ||
        pretoken_scan_start(&s, t->regex, match, text, length, error) != 0) {
        if (match) pcre2_match_data_free(match);
        free(out);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    size_t end, used = 0;
    int status;
    while ((status = pretoken_scan_next(&s, &end, error)) == 1) {
        if (rlhf_grow(&out, &capacity, used + 1, sizeof *out) != 0) {
            rlhf_error_set(error, "out of memory");
            status = -1;
            break;
        }
        out[used++] = end;
    }
    pretoken_scan_end(&s);
    pcre2_match_data_free(match);
    if (status != 0) {
        free(out);
        return -1;
    }
    *ends = out;
    *count = used;
    return 0;
}
