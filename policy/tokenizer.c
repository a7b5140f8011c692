/* The GPT-2 byte-level BPE tokenizer (include/rlhf/tokenizer.h): Hugging Face files in and
 * out, pre-tokenizing with PCRE2, encoding by merge rank, decoding, and a trainer that
 * repeats tokenizers' BpeTrainer merge for merge.
 *
 * Ids, tokens and merges live in flat arrays; every lookup (pair -> merge, bytes -> token,
 * pre-token -> ids, pair -> count) is an open-addressing hash table, so encoding and training
 * never scan the vocabulary. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "rlhf/tokenizer.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <omp.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Byte b's id among the 256 byte tokens in GPT-2's (and Hugging Face's) order, which sorts
 * them by their character: the 188 printable bytes ascending, then the other 68. */
static int byte_rank(int b) {
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

/* Converts a vocab.json / merges.txt spelling (length bytes of UTF-8 at name) to the bytes it
 * stands for, written to out (room for length bytes). Returns the byte count, or -1 if the
 * spelling has a character outside the alphabet (or is not UTF-8). */
static long name_to_bytes(const char *name, size_t length, char *out) {
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

/* Writes the alphabet spelling of length bytes to out (room for 2 * length + 1) with a NUL;
 * returns its length. */
static size_t bytes_to_name(const char *bytes, size_t length, char *out) {
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

/* ------------------------------------------------------------------ hash tables */

/* splitmix64's finaliser: a cheap, well-spread 64-bit mix. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Hash of n bytes, eight at a time; never 0 (0 marks an empty slot). */
static uint64_t hash_bytes(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ULL * (n + 1);
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = mix64(h ^ word);
        p += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, n);
    h = mix64(h ^ tail);
    return h ? h : 1;
}

/* The key of the token pair (left, right), and its two halves; ordering keys orders pairs
 * by left id, then right id. */
static inline uint64_t pair_key(int left, int right) { return (uint64_t)(uint32_t)left << 32 | (uint32_t)right; }
static inline int pair_left(uint64_t key) { return (int)(key >> 32); }
static inline int pair_right(uint64_t key) { return (int)(uint32_t)key; }

#define EMPTY_PAIR UINT64_MAX /* no pair of ids below 2^31 has this key */

/* Pair key -> 64-bit value, open addressing with linear probing, at most half full. */
typedef struct pair_map {
    uint64_t *keys;
    int64_t *values;
    size_t capacity, count;
} pair_map;

/* Makes an empty map with room for expected keys. */
static int pair_map_init(pair_map *map, size_t expected) {
    size_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    map->keys = malloc(capacity * sizeof *map->keys);
    map->values = malloc(capacity * sizeof *map->values);
    map->capacity = capacity;
    map->count = 0;
    if (!map->keys || !map->values) return -1;
    memset(map->keys, 0xff, capacity * sizeof *map->keys);
    return 0;
}

/* Frees the table (the map may be zeroed or half made). */
static void pair_map_free(pair_map *map) {
    free(map->keys);
    free(map->values);
    memset(map, 0, sizeof *map);
}

/* The slot holding key, or the empty slot where it would go. */
static inline size_t pair_map_slot(const pair_map *map, uint64_t key) {
    size_t mask = map->capacity - 1, i = mix64(key) & mask;
    while (map->keys[i] != key && map->keys[i] != EMPTY_PAIR) i = (i + 1) & mask;
    return i;
}

/* The value stored for key, or NULL. */
static inline const int64_t *pair_map_get(const pair_map *map, uint64_t key) {
    size_t i = pair_map_slot(map, key);
    return map->keys[i] == key ? &map->values[i] : NULL;
}

/* Doubles the table. */
static int pair_map_grow(pair_map *map) {
    pair_map bigger;
    if (pair_map_init(&bigger, map->capacity) != 0) {
        pair_map_free(&bigger);
        return -1;
    }
    for (size_t i = 0; i < map->capacity; i++)
        if (map->keys[i] != EMPTY_PAIR) {
            size_t j = pair_map_slot(&bigger, map->keys[i]);
            bigger.keys[j] = map->keys[i];
            bigger.values[j] = map->values[i];
        }
    bigger.count = map->count;
    pair_map_free(map);
    *map = bigger;
    return 0;
}

/* The value slot of key, inserted holding initial if absent; NULL when out of memory. The
 * pointer is good until the next insertion. */
static int64_t *pair_map_insert(pair_map *map, uint64_t key, int64_t initial) {
    if (2 * (map->count + 1) > map->capacity && pair_map_grow(map) != 0) return NULL;
    size_t i = pair_map_slot(map, key);
    if (map->keys[i] == EMPTY_PAIR) {
        map->keys[i] = key;
        map->values[i] = initial;
        map->count++;
    }
    return &map->values[i];
}

/* Byte string -> two 64-bit values, the keys copied into an arena of the map's own. */
typedef struct byte_slot {
    uint64_t hash;  /* 0: empty */
    size_t offset;  /* key in the arena */
    size_t length;
    int64_t value[2];
} byte_slot;

typedef struct byte_map {
    byte_slot *slots;
    size_t capacity, count;
    char *arena;
    size_t arena_used, arena_capacity;
} byte_map;

/* Makes an empty map with room for expected keys. */
static int byte_map_init(byte_map *map, size_t expected) {
    memset(map, 0, sizeof *map);
    size_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    map->slots = calloc(capacity, sizeof *map->slots);
    map->capacity = capacity;
    map->arena_capacity = 4096;
    map->arena = malloc(map->arena_capacity);
    return map->slots && map->arena ? 0 : -1;
}

/* Frees the table and its keys (the map may be zeroed or half made). */
static void byte_map_free(byte_map *map) {
    free(map->slots);
    free(map->arena);
    memset(map, 0, sizeof *map);
}

/* The key of a used slot. */
static inline const char *byte_map_key(const byte_map *map, const byte_slot *slot) { return map->arena + slot->offset; }

/* The slot holding the key (with its hash), or the empty slot where it would go. */
static inline byte_slot *byte_map_slot(const byte_map *map, const void *key, size_t length, uint64_t hash) {
    size_t mask = map->capacity - 1, i = hash & mask;
    for (;;) {
        byte_slot *slot = &map->slots[i];
        if (slot->hash == 0) return slot;
        if (slot->hash == hash && slot->length == length && memcmp(map->arena + slot->offset, key, length) == 0)
            return slot;
        i = (i + 1) & mask;
    }
}

/* The slot of key, or NULL. */
static inline const byte_slot *byte_map_get(const byte_map *map, const void *key, size_t length) {
    const byte_slot *slot = byte_map_slot(map, key, length, hash_bytes(key, length));
    return slot->hash ? slot : NULL;
}

/* Doubles the table (keys stay in the arena). */
static int byte_map_grow(byte_map *map) {
    size_t capacity = map->capacity * 2;
    byte_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < map->capacity; i++) {
        byte_slot *slot = &map->slots[i];
        if (!slot->hash) continue;
        size_t j = slot->hash & (capacity - 1);
        while (slots[j].hash) j = (j + 1) & (capacity - 1);
        slots[j] = *slot;
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return 0;
}

/* The slot of key, inserted with zero values if absent (*inserted says which); NULL when out
 * of memory. The pointer is good until the next insertion. */
static byte_slot *byte_map_insert(byte_map *map, const void *key, size_t length, uint64_t hash, bool *inserted) {
    byte_slot *slot = byte_map_slot(map, key, length, hash);
    if (inserted) *inserted = false;
    if (slot->hash) return slot;
    if (2 * (map->count + 1) > map->capacity) {
        if (byte_map_grow(map) != 0) return NULL;
        slot = byte_map_slot(map, key, length, hash);
    }
    if (map->arena_used + length > map->arena_capacity) {
        size_t capacity = map->arena_capacity;
        while (map->arena_used + length > capacity) capacity *= 2;
        char *arena = realloc(map->arena, capacity);
        if (!arena) return NULL;
        map->arena = arena;
        map->arena_capacity = capacity;
    }
    memcpy(map->arena + map->arena_used, key, length);
    slot->hash = hash;
    slot->offset = map->arena_used;
    slot->length = length;
    slot->value[0] = slot->value[1] = 0;
    map->arena_used += length;
    map->count++;
    if (inserted) *inserted = true;
    return slot;
}

/* A growable array of ints. */
typedef struct int_vector {
    int *items;
    size_t count, capacity;
} int_vector;

/* Makes room for extra more items. */
static int int_vector_reserve(int_vector *vector, size_t extra) {
    if (vector->count + extra <= vector->capacity) return 0;
    size_t capacity = vector->capacity ? vector->capacity : 64;
    while (capacity < vector->count + extra) capacity *= 2;
    int *items = realloc(vector->items, capacity * sizeof *items);
    if (!items) return -1;
    vector->items = items;
    vector->capacity = capacity;
    return 0;
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

/* Compiles the pattern (UTF and Unicode properties; JIT where available). */
static pcre2_code *compile_pretokenizer(rlhf_error *error) {
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

/* Walks the pre-tokens of a text, one window (cut at safe places) at a time. A window of
 * valid UTF-8 is matched in place. Otherwise the matcher sees a stand-in where every byte
 * that is not part of a well-formed character is U+FFFD, and origin maps stand-in offsets
 * back to the window; windows keep that copy small whatever the text's length. */
typedef struct scanner {
    const pcre2_code *regex;
    pcre2_match_data *match;
    const char *text;
    size_t length;
    size_t window_start, window_end;
    const unsigned char *subject; /* the window, or its stand-in */
    size_t subject_length, offset;
    bool substituted;
    unsigned char *stand_in;
    size_t *origin;
    size_t stand_in_capacity;
} scanner;

/* Moves the scanner to the window after the current one. */
static int scanner_next_window(scanner *s, rlhf_error *error) {
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
    if (3 * length + 1 > s->stand_in_capacity) {
        free(s->stand_in);
        free(s->origin);
        s->stand_in_capacity = 3 * length + 1;
        s->stand_in = malloc(s->stand_in_capacity);
        s->origin = malloc(s->stand_in_capacity * sizeof *s->origin);
        if (!s->stand_in || !s->origin) {
            rlhf_error_set(error, "out of memory pre-tokenizing %zu bytes", length);
            return -1;
        }
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

/* Frees what the scanner allocated. */
static void scanner_end(scanner *s) {
    free(s->stand_in);
    free(s->origin);
}

/* Starts a scan of length bytes of text with the caller's match data (freed again on failure). */
static int scanner_start(scanner *s, const pcre2_code *regex, pcre2_match_data *match, const char *text,
                         size_t length, rlhf_error *error) {
    memset(s, 0, sizeof *s);
    s->regex = regex;
    s->match = match;
    s->text = text;
    s->length = length;
    if (scanner_next_window(s, error) == 0) return 0;
    scanner_end(s);
    return -1;
}

/* The next pre-token: sets *end (offset in the text; it starts where the last one ended) and
 * returns 1; 0 when the text is used up; -1 on a matcher error. */
static int scanner_next(scanner *s, size_t *end, rlhf_error *error) {
    while (s->offset >= s->subject_length) {
        if (s->window_end >= s->length) return 0;
        if (scanner_next_window(s, error) != 0) return -1;
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

/* ------------------------------------------------------------------ the tokenizer */

struct tokenizer {
    int vocab_size;
    char *bytes;           /* every token's bytes, back to back */
    size_t *starts;        /* token i is bytes[starts[i] .. starts[i + 1]) */
    char *names;           /* every token's vocab.json spelling, NUL-terminated, back to back */
    size_t *name_starts;
    byte_map index;        /* token bytes -> id (value[0]) */
    int byte_ids[256];     /* the token of each single byte */
    int eos_id;
    int merge_count;
    int *merge_left, *merge_right, *merge_result; /* by rank */
    pair_map merges;       /* (left, right) -> rank << 32 | result */
    pcre2_code *regex;
};

void tokenizer_free(tokenizer *t) {
    if (!t) return;
    free(t->bytes);
    free(t->starts);
    free(t->names);
    free(t->name_starts);
    byte_map_free(&t->index);
    free(t->merge_left);
    free(t->merge_right);
    free(t->merge_result);
    pair_map_free(&t->merges);
    if (t->regex) pcre2_code_free(t->regex);
    free(t);
}

/* Makes a tokenizer of vocab_size tokens, taking ownership of bytes and starts (token i is
 * bytes[starts[i] .. starts[i + 1])). Builds the spellings, the bytes -> id index and the
 * byte tokens, finds <|endoftext|>, compiles the pre-tokenizer. Fails (freeing everything)
 * if two tokens have the same bytes or a byte has no token. Merges are added afterwards. */
static tokenizer *tokenizer_create(int vocab_size, char *bytes, size_t *starts, rlhf_error *error) {
    tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        free(bytes);
        free(starts);
        rlhf_error_set(error, "out of memory");
        return NULL;
    }
    t->vocab_size = vocab_size;
    t->bytes = bytes;
    t->starts = starts;
    t->eos_id = -1;
    size_t total = starts[vocab_size];
    t->names = malloc(2 * total + (size_t)vocab_size + 1);
    t->name_starts = malloc(((size_t)vocab_size + 1) * sizeof *t->name_starts);
    if (!t->names || !t->name_starts || byte_map_init(&t->index, (size_t)vocab_size) != 0 ||
        pair_map_init(&t->merges, (size_t)vocab_size) != 0) {
        rlhf_error_set(error, "out of memory");
        goto fail;
    }
    size_t used = 0;
    for (int id = 0; id < vocab_size; id++) {
        t->name_starts[id] = used;
        used += bytes_to_name(bytes + starts[id], starts[id + 1] - starts[id], t->names + used) + 1;
    }
    t->name_starts[vocab_size] = used;
    for (int b = 0; b < 256; b++) t->byte_ids[b] = -1;
    for (int id = 0; id < vocab_size; id++) {
        const char *token = bytes + starts[id];
        size_t length = starts[id + 1] - starts[id];
        bool inserted;
        byte_slot *slot = byte_map_insert(&t->index, token, length, hash_bytes(token, length), &inserted);
        if (!slot) {
            rlhf_error_set(error, "out of memory");
            goto fail;
        }
        if (!inserted) {
            rlhf_error_set(error, "tokens %d and %d are the same bytes (\"%s\")", (int)slot->value[0], id,
                           t->names + t->name_starts[id]);
            goto fail;
        }
        slot->value[0] = id;
        if (length == 1) t->byte_ids[(unsigned char)token[0]] = id;
        if (length == strlen(TOKENIZER_END_OF_TEXT) && memcmp(token, TOKENIZER_END_OF_TEXT, length) == 0) t->eos_id = id;
    }
    for (int b = 0; b < 256; b++)
        if (t->byte_ids[b] < 0) {
            char name[3];
            char byte = (char)b;
            bytes_to_name(&byte, 1, name);
            rlhf_error_set(error, "no token for byte 0x%02x (\"%s\"); a byte-level vocabulary needs all 256", b, name);
            goto fail;
        }
    t->regex = compile_pretokenizer(error);
    if (!t->regex) goto fail;
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

/* Appends the merge (left, right) -> result as the lowest-priority one so far. A pair merged
 * before keeps only this later rank, as Hugging Face's merge tables do. */
static int tokenizer_add_merge(tokenizer *t, int left, int right, int result, int *capacity) {
    if (t->merge_count == *capacity) {
        int grown = *capacity ? 2 * *capacity : 1024;
        int *l = realloc(t->merge_left, (size_t)grown * sizeof *l);
        if (l) t->merge_left = l;
        int *r = realloc(t->merge_right, (size_t)grown * sizeof *r);
        if (r) t->merge_right = r;
        int *m = realloc(t->merge_result, (size_t)grown * sizeof *m);
        if (m) t->merge_result = m;
        if (!l || !r || !m) return -1;
        *capacity = grown;
    }
    int64_t *slot = pair_map_insert(&t->merges, pair_key(left, right), -1);
    if (!slot) return -1;
    if (*slot >= 0) t->merge_left[*slot >> 32] = -1; /* superseded */
    int rank = t->merge_count++;
    t->merge_left[rank] = left;
    t->merge_right[rank] = right;
    t->merge_result[rank] = result;
    *slot = (int64_t)rank << 32 | (uint32_t)result;
    return 0;
}

/* Drops superseded merges and renumbers the ranks 0..merge_count-1 in order. */
static void tokenizer_compact_merges(tokenizer *t) {
    int kept = 0;
    for (int rank = 0; rank < t->merge_count; rank++) {
        if (t->merge_left[rank] < 0) continue;
        t->merge_left[kept] = t->merge_left[rank];
        t->merge_right[kept] = t->merge_right[rank];
        t->merge_result[kept] = t->merge_result[rank];
        size_t slot = pair_map_slot(&t->merges, pair_key(t->merge_left[kept], t->merge_right[kept]));
        t->merges.values[slot] = (int64_t)kept << 32 | (uint32_t)t->merge_result[kept];
        kept++;
    }
    t->merge_count = kept;
}

/* The id of the token with these bytes, or -1. */
static int token_id(const tokenizer *t, const char *bytes, size_t length) {
    const byte_slot *slot = byte_map_get(&t->index, bytes, length);
    return slot ? (int)slot->value[0] : -1;
}

/* The merge of the pair (left, right): sets *rank and *result and returns true, or false. */
static inline bool find_merge(const tokenizer *t, int left, int right, int *rank, int *result) {
    const int64_t *value = pair_map_get(&t->merges, pair_key(left, right));
    if (!value) return false;
    *rank = (int)(*value >> 32);
    *result = (int)(uint32_t)*value;
    return true;
}

/* The public accessors (include/rlhf/tokenizer.h says what they return). */
int tokenizer_vocab_size(const tokenizer *t) { return t->vocab_size; }
int tokenizer_eos_id(const tokenizer *t) { return t->eos_id; }
int tokenizer_merge_count(const tokenizer *t) { return t->merge_count; }

const char *tokenizer_token_bytes(const tokenizer *t, int id, size_t *length) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    if (length) *length = t->starts[id + 1] - t->starts[id];
    return t->bytes + t->starts[id];
}

const char *tokenizer_token_name(const tokenizer *t, int id) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    return t->names + t->name_starts[id];
}

/* ------------------------------------------------------------------ loading */

/* Reads the JSON file at path (duplicate keys refused; flags adds jansson's decoding flags);
 * errors name the file and line. */
static json_t *read_json_file(const char *path, size_t flags, rlhf_error *error) {
    char *text = NULL;
    size_t size = 0;
    if (rlhf_read_file(path, &text, &size, error) != 0) return NULL;
    json_error_t json_error;
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES | flags, &json_error);
    free(text);
    if (!root) rlhf_error_set(error, "%s: line %d: not valid JSON: %s", path, json_error.line, json_error.text);
    return root;
}

/* Turns a vocabulary object (token spelling -> id, ids exactly 0..n-1: vocab.json, or
 * tokenizer.json's model.vocab) into token bytes by id (ownership to the caller). Errors
 * begin with path, which names where the object was read. */
static int vocab_from_object(json_t *root, const char *path, int *vocab_size, char **bytes_out, size_t **starts_out,
                             rlhf_error *error) {
    if (!json_is_object(root) || json_object_size(root) == 0 || json_object_size(root) > INT_MAX / 2) {
        rlhf_error_set(error, "%s: not a JSON object of token -> id", path);
        return -1;
    }
    size_t count = json_object_size(root);
    const char **names = calloc(count, sizeof *names);
    size_t *name_lengths = calloc(count, sizeof *name_lengths);
    size_t total = 0;
    int status = -1;
    char *bytes = NULL;
    size_t *starts = NULL;
    if (!names || !name_lengths) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (!json_is_integer(value)) {
            rlhf_error_set(error, "%s: token \"%s\": the id is not an integer (a vocabulary maps tokens to ids)", path, key);
            goto done;
        }
        json_int_t id = json_integer_value(value);
        if (id < 0 || (size_t)id >= count) {
            rlhf_error_set(error, "%s: token \"%s\": id %lld is outside [0, %zu) (ids must be 0..n-1)", path, key,
                           (long long)id, count);
            goto done;
        }
        if (names[id]) {
            rlhf_error_set(error, "%s: id %lld is given to both \"%s\" and \"%s\" (ids must be unique)", path,
                           (long long)id, names[id], key);
            goto done;
        }
        names[id] = key;
        name_lengths[id] = strlen(key);
        total += name_lengths[id];
    }
    bytes = malloc(total + 1);
    starts = malloc((count + 1) * sizeof *starts);
    if (!bytes || !starts) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    size_t used = 0;
    for (size_t id = 0; id < count; id++) {
        starts[id] = used;
        long length = name_to_bytes(names[id], name_lengths[id], bytes + used);
        if (length < 0) {
            rlhf_error_set(error, "%s: token \"%s\" (id %zu) has a character outside GPT-2's byte alphabet", path,
                           names[id], id);
            goto done;
        }
        used += (size_t)length;
    }
    starts[count] = used;
    *vocab_size = (int)count;
    *bytes_out = bytes;
    *starts_out = starts;
    bytes = NULL;
    starts = NULL;
    status = 0;
done:
    free(bytes);
    free(starts);
    free(names);
    free(name_lengths);
    return status;
}

/* Parses vocab.json into token bytes by id (ownership to the caller). */
static int read_vocab(const char *path, int *vocab_size, char **bytes_out, size_t **starts_out, rlhf_error *error) {
    json_t *root = read_json_file(path, 0, error);
    if (!root) return -1;
    int status = vocab_from_object(root, path, vocab_size, bytes_out, starts_out, error);
    json_decref(root);
    return status;
}

/* Where a merge was read: merges.txt's line `number`, or tokenizer.json's model.merges[number]. */
typedef struct merge_origin {
    const char *path;
    bool in_tokenizer_json;
    long number;
} merge_origin;

/* Sets error to detail, prefixed with the merge's origin ("FILE: line N: " or
 * "FILE: model.merges[N]: "). */
static int merge_failed(const merge_origin *origin, const char *detail, rlhf_error *error) {
    if (origin->in_tokenizer_json)
        rlhf_error_set(error, "%s: model.merges[%ld]: %s", origin->path, origin->number, detail);
    else
        rlhf_error_set(error, "%s: line %ld: %s", origin->path, origin->number, detail);
    return -1;
}

/* Adds the merge of two tokens given by their spellings (vocab.json's alphabet) at the next
 * rank. scratch holds at least 2 x (both lengths) bytes. Fails, naming the merge's origin,
 * when either token or the merged one is not in the vocabulary, or memory runs out. */
static int add_named_merge(tokenizer *t, const char *left, size_t left_length, const char *right, size_t right_length,
                           char *scratch, int *capacity, const merge_origin *origin, rlhf_error *error) {
    const char *vocabulary = origin->in_tokenizer_json ? "model.vocab" : "vocab.json";
    char detail[1024];
    const char *names[2] = {left, right};
    size_t name_lengths[2] = {left_length, right_length};
    int ids[2];
    long joined_length = 0;
    for (int side = 0; side < 2; side++) {
        long length_bytes = name_to_bytes(names[side], name_lengths[side], scratch + joined_length);
        ids[side] = length_bytes < 0 ? -1 : token_id(t, scratch + joined_length, (size_t)length_bytes);
        if (ids[side] < 0) {
            snprintf(detail, sizeof detail, "token \"%.*s\" is not in %s", (int)name_lengths[side], names[side],
                     vocabulary);
            return merge_failed(origin, detail, error);
        }
        joined_length += length_bytes;
    }
    int result = token_id(t, scratch, (size_t)joined_length);
    if (result < 0) {
        snprintf(detail, sizeof detail, "merging \"%.*s\" and \"%.*s\" makes \"%.*s%.*s\", which is not in %s",
                 (int)left_length, left, (int)right_length, right, (int)left_length, left, (int)right_length, right,
                 vocabulary);
        return merge_failed(origin, detail, error);
    }
    if (tokenizer_add_merge(t, ids[0], ids[1], result, capacity) != 0) {
        rlhf_error_set(error, "%s: out of memory", origin->path);
        return -1;
    }
    return 0;
}

/* Reads merges.txt into t's merge table; errors name the file and line. */
static int read_merges(tokenizer *t, const char *path, rlhf_error *error) {
    char *text = NULL;
    size_t size = 0;
    if (rlhf_read_file(path, &text, &size, error) != 0) return -1;
    int capacity = 0, status = -1;
    char *scratch = malloc(2 * size + 2);
    if (!scratch) {
        rlhf_error_set(error, "%s: out of memory", path);
        goto done;
    }
    int line_number = 0;
    for (char *line = text; line < text + size;) {
        char *newline = memchr(line, '\n', (size_t)(text + size - line));
        char *line_end = newline ? newline : text + size;
        char *next = newline ? newline + 1 : text + size;
        line_number++;
        if (line_end > line && line_end[-1] == '\r') line_end--;
        size_t length = (size_t)(line_end - line);
        *line_end = '\0';
        if (length >= 8 && memcmp(line, "#version", 8) == 0) {
            line = next;
            continue;
        }
        char *space = memchr(line, ' ', length);
        if (!space || space == line || space + 1 == line_end || memchr(space + 1, ' ', (size_t)(line_end - space - 1))) {
            rlhf_error_set(error, "%s: line %d: expected two tokens separated by one space, got \"%s\"", path,
                           line_number, line);
            goto done;
        }
        *space = '\0';
        merge_origin origin = {path, false, line_number};
        if (add_named_merge(t, line, (size_t)(space - line), space + 1, (size_t)(line_end - space - 1), scratch,
                            &capacity, &origin, error) != 0)
            goto done;
        line = next;
    }
    tokenizer_compact_merges(t);
    status = 0;
done:
    free(scratch);
    free(text);
    return status;
}

/* Whether member key of object is absent, null, false or "" (a setting left at GPT-2's value). */
static bool json_member_unset(json_t *object, const char *key) {
    json_t *value = json_object_get(object, key);
    return !value || json_is_null(value) || json_is_false(value) ||
           (json_is_string(value) && json_string_length(value) == 0);
}

/* Whether member key of object is a string equal to text. */
static bool json_member_is(json_t *object, const char *key, const char *text) {
    json_t *value = json_object_get(object, key);
    return json_is_string(value) && strcmp(json_string_value(value), text) == 0;
}

/* GPT-2's pre-tokenizing regular expression as `tokenizers` spells it in a Split
 * pre-tokenizer (the form transformers' TikTokenConverter writes). */
#define GPT2_SPLIT_PATTERN "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/* What in tokenizer.json's model would make `tokenizers` tokenize otherwise than this file,
 * or NULL. The type may be missing (files from before `tokenizers` wrote it, such as the
 * original GPT-2's). unk_token and byte_fallback are accepted: they act only on a character
 * without a token, and every byte has one here (tokenizer_create checks). ignore_merges is
 * refused: it takes a word found whole in the vocabulary as one token even where the merges
 * would split it otherwise. */
static const char *model_problem(json_t *model) {
    json_t *type = json_object_get(model, "type"), *dropout = json_object_get(model, "dropout");
    if (!json_is_object(model)) return "model: missing (a tokenizer.json has a model object)";
    if (type && !json_member_is(model, "type", "BPE")) return "model.type: only BPE is supported";
    if (dropout && !json_is_null(dropout) && !(json_is_number(dropout) && json_number_value(dropout) == 0.0))
        return "model.dropout: BPE dropout is not supported";
    if (!json_member_unset(model, "continuing_subword_prefix"))
        return "model.continuing_subword_prefix: subword prefixes are not supported";
    if (!json_member_unset(model, "end_of_word_suffix")) return "model.end_of_word_suffix: not supported";
    if (!json_member_unset(model, "ignore_merges")) return "model.ignore_merges: not supported";
    return NULL;
}

/* Whether a ByteLevel pre-tokenizer adds no prefix space and applies GPT-2's expression
 * itself (use_regex true or absent) or not (use_regex false, after a Split that did). */
static bool byte_level_is(json_t *pre, bool use_regex) {
    json_t *regex = json_object_get(pre, "use_regex");
    return json_is_object(pre) && json_member_is(pre, "type", "ByteLevel") && json_member_unset(pre, "add_prefix_space") &&
           (use_regex ? !regex || json_is_true(regex) : json_is_false(regex));
}

/* What in the pre-tokenizer differs from GPT-2's, or NULL: ByteLevel with the expression, or
 * a Sequence of a Split on GPT-2's expression (Isolated) and ByteLevel without it. */
static const char *pre_tokenizer_problem(json_t *pre) {
    if (json_is_object(pre) && json_member_is(pre, "type", "ByteLevel")) {
        if (!json_member_unset(pre, "add_prefix_space")) return "pre_tokenizer.add_prefix_space: must be false, as in GPT-2";
        if (!byte_level_is(pre, true)) return "pre_tokenizer.use_regex: must be true (GPT-2's regular expression)";
        return NULL;
    }
    json_t *parts = json_object_get(pre, "pretokenizers"), *split = json_array_get(parts, 0);
    json_t *pattern = json_object_get(json_object_get(split, "pattern"), "Regex");
    if (json_is_object(pre) && json_member_is(pre, "type", "Sequence") && json_array_size(parts) == 2 &&
        json_member_is(split, "type", "Split") && json_is_string(pattern) &&
        strcmp(json_string_value(pattern), GPT2_SPLIT_PATTERN) == 0 && json_member_is(split, "behavior", "Isolated") &&
        json_member_unset(split, "invert") && byte_level_is(json_array_get(parts, 1), false))
        return NULL;
    return "pre_tokenizer: only GPT-2's (ByteLevel with its regular expression, or a Split on that expression "
           "then ByteLevel) is supported";
}

/* What in the post-processor would add tokens around an encoded text, or NULL. transformers
 * encodes with it (add_special_tokens), so a model trained with, say, a BOS it adds expects
 * that BOS, which rlhf's encoding would not give. ByteLevel (offsets only) and a
 * TemplateProcessing that adds nothing are fine, as is a Sequence of such. */
static const char *post_processor_problem(json_t *post) {
    if (!post || json_is_null(post) || json_member_is(post, "type", "ByteLevel")) return NULL;
    if (json_member_is(post, "type", "TemplateProcessing")) {
        json_t *specials = json_object_get(post, "special_tokens"), *single = json_object_get(post, "single"), *piece;
        size_t index;
        bool adds = json_object_size(specials) > 0 || !json_is_array(single);
        json_array_foreach(single, index, piece) adds |= json_object_get(piece, "Sequence") == NULL;
        return adds ? "post_processor: adds special tokens to every encoded text (TemplateProcessing); rlhf's "
                      "encoding does not"
                    : NULL;
    }
    if (json_member_is(post, "type", "Sequence")) {
        json_t *processors = json_object_get(post, "processors"), *member;
        size_t index;
        if (!json_is_array(processors)) return "post_processor.processors: not an array";
        json_array_foreach(processors, index, member) {
            const char *problem = post_processor_problem(member);
            if (problem) return problem;
        }
        return NULL;
    }
    return "post_processor: only ByteLevel, or a TemplateProcessing that adds no tokens, is supported";
}

/* Checks that a tokenizer.json (the `tokenizers` library's one-file format, which
 * transformers 5 writes instead of vocab.json + merges.txt) describes GPT-2's tokenizer as
 * this file implements it: a BPE model as model_problem accepts, no normalizer (or an empty
 * Sequence of them), GPT-2's pre-tokenizer, a ByteLevel decoder (or none) and a
 * post-processor that adds no tokens. Anything else would tokenize differently, so it is
 * refused by name. */
static int check_tokenizer_json(json_t *root, const char *path, rlhf_error *error) {
    if (!json_is_object(root)) {
        rlhf_error_set(error, "%s: not a JSON object", path);
        return -1;
    }
    json_t *normalizer = json_object_get(root, "normalizer"), *decoder = json_object_get(root, "decoder");
    bool no_normalizer = !normalizer || json_is_null(normalizer) ||
                         (json_member_is(normalizer, "type", "Sequence") &&
                          json_is_array(json_object_get(normalizer, "normalizers")) &&
                          json_array_size(json_object_get(normalizer, "normalizers")) == 0);
    const char *problem = model_problem(json_object_get(root, "model"));
    if (!problem && !no_normalizer) problem = "normalizer: GPT-2's tokenizer has none";
    if (!problem) problem = pre_tokenizer_problem(json_object_get(root, "pre_tokenizer"));
    if (!problem && decoder && !json_is_null(decoder) && !json_member_is(decoder, "type", "ByteLevel"))
        problem = "decoder: only the ByteLevel decoder (or none) is supported";
    if (!problem) problem = post_processor_problem(json_object_get(root, "post_processor"));
    if (problem) {
        rlhf_error_set(error, "%s: %s", path, problem);
        return -1;
    }
    return 0;
}

/* transformers 5 builds a GPT-2 tokenizer's pre-tokenizer from tokenizer_config.json's
 * add_prefix_space, whatever tokenizer.json says: refuses a config (if there is one) that
 * asks for a prefix space. */
static int check_tokenizer_config(const char *path, rlhf_error *error) {
    if (access(path, F_OK) != 0) return 0;
    /* as reals: model_max_length is often 1e30 written out, beyond a 64-bit integer */
    json_t *root = read_json_file(path, JSON_DECODE_INT_AS_REAL, error);
    if (!root) return -1;
    int status = 0;
    if (json_is_true(json_object_get(root, "add_prefix_space"))) {
        rlhf_error_set(error, "%s: add_prefix_space: must be false, as in GPT-2", path);
        status = -1;
    }
    json_decref(root);
    return status;
}

/* Reads tokenizer.json's model.merges into t's merge table: each merge is "left right" (one
 * space; older `tokenizers`) or ["left", "right"] (newer). Errors name the merge's index. */
static int merges_from_array(tokenizer *t, json_t *merges, const char *path, rlhf_error *error) {
    if (!json_is_array(merges)) {
        rlhf_error_set(error, "%s: model.merges: not an array", path);
        return -1;
    }
    int capacity = 0, status = -1;
    char *scratch = NULL;
    size_t scratch_size = 0, index;
    json_t *merge;
    json_array_foreach(merges, index, merge) {
        const char *left = NULL, *right = NULL;
        size_t left_length = 0, right_length = 0;
        const char *text = json_string_value(merge);
        const char *space = text ? strchr(text, ' ') : NULL;
        if (space && space != text && space[1] != '\0' && !strchr(space + 1, ' ')) {
            left = text, left_length = (size_t)(space - text);
            right = space + 1, right_length = strlen(right);
        } else if (json_is_array(merge) && json_array_size(merge) == 2 && json_is_string(json_array_get(merge, 0)) &&
                   json_is_string(json_array_get(merge, 1))) {
            left = json_string_value(json_array_get(merge, 0)), left_length = json_string_length(json_array_get(merge, 0));
            right = json_string_value(json_array_get(merge, 1)), right_length = json_string_length(json_array_get(merge, 1));
        }
        if (!left || left_length == 0 || right_length == 0) {
            rlhf_error_set(error, "%s: model.merges[%zu]: expected \"left right\" or [\"left\", \"right\"]", path, index);
            goto done;
        }
        size_t needed = 2 * (left_length + right_length) + 2;
        if (needed > scratch_size) {
            char *larger = realloc(scratch, needed);
            if (!larger) {
                rlhf_error_set(error, "%s: out of memory", path);
                goto done;
            }
            scratch = larger;
            scratch_size = needed;
        }
        merge_origin origin = {path, true, (long)index};
        if (add_named_merge(t, left, left_length, right, right_length, scratch, &capacity, &origin, error) != 0)
            goto done;
    }
    tokenizer_compact_merges(t);
    status = 0;
done:
    free(scratch);
    return status;
}

/* Checks tokenizer.json's added_tokens: each must already be in model.vocab with the same id,
 * and the only one supported is <|endoftext|> (encoding splits the text at it). Others, such
 * as a "[PAD]" added for a reward model, are refused by name: rlhf would encode their text as
 * ordinary characters. */
static int check_added_tokens(const tokenizer *t, json_t *added, const char *path, rlhf_error *error) {
    if (!added || json_is_null(added)) return 0;
    if (!json_is_array(added)) {
        rlhf_error_set(error, "%s: added_tokens: not an array", path);
        return -1;
    }
    size_t index;
    json_t *entry;
    json_array_foreach(added, index, entry) {
        json_t *id = json_object_get(entry, "id");
        const char *content = json_string_value(json_object_get(entry, "content"));
        if (!json_is_integer(id) || !content) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: expected an object with an integer id and a content", path,
                           index);
            return -1;
        }
        if (strcmp(content, TOKENIZER_END_OF_TEXT) != 0) {
            rlhf_error_set(error,
                           "%s: added_tokens[%zu]: \"%s\" (id %lld): added tokens other than %s are not supported",
                           path, index, content, (long long)json_integer_value(id), TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (!json_member_unset(entry, "lstrip") || !json_member_unset(entry, "rstrip") ||
            !json_member_unset(entry, "single_word")) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s with lstrip, rstrip or single_word set: transformers "
                                  "would then split text around it otherwise than GPT-2", path, index,
                           TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (t->eos_id < 0) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s is not in model.vocab", path, index, TOKENIZER_END_OF_TEXT);
            return -1;
        }
        if (json_integer_value(id) != t->eos_id) {
            rlhf_error_set(error, "%s: added_tokens[%zu]: %s has id %lld, but model.vocab gives it %d", path, index,
                           TOKENIZER_END_OF_TEXT, (long long)json_integer_value(id), t->eos_id);
            return -1;
        }
    }
    return 0;
}

/* Loads a tokenizer from tokenizer.json (see check_tokenizer_json for what is accepted). */
static int read_tokenizer_json(tokenizer **out, const char *path, rlhf_error *error) {
    json_t *root = read_json_file(path, 0, error);
    if (!root) return -1;
    int status = -1, vocab_size;
    char *bytes, where[4200];
    size_t *starts;
    tokenizer *t = NULL;
    if (check_tokenizer_json(root, path, error) != 0) goto done;
    json_t *model = json_object_get(root, "model");
    snprintf(where, sizeof where, "%s: model.vocab", path);
    if (vocab_from_object(json_object_get(model, "vocab"), where, &vocab_size, &bytes, &starts, error) != 0) goto done;
    t = tokenizer_create(vocab_size, bytes, starts, error);
    if (!t) {
        rlhf_error_prefix(error, "%s", where);
        goto done;
    }
    if (check_added_tokens(t, json_object_get(root, "added_tokens"), path, error) != 0 ||
        merges_from_array(t, json_object_get(model, "merges"), path, error) != 0)
        goto done;
    *out = t;
    t = NULL;
    status = 0;
done:
    tokenizer_free(t);
    json_decref(root);
    return status;
}

int tokenizer_load(tokenizer **out, const char *dir, rlhf_error *error) {
    *out = NULL;
    size_t length = strlen(dir) + 16;
    char *vocab_path = malloc(length), *merges_path = malloc(length);
    int status = -1;
    if (!vocab_path || !merges_path) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    snprintf(vocab_path, length, "%s/vocab.json", dir);
    snprintf(merges_path, length, "%s/merges.txt", dir);
    struct stat info;
    if (lstat(vocab_path, &info) != 0 && errno == ENOENT) { /* a dangling link is a vocab.json that fails */
        /* transformers 5 saves a GPT-2 tokenizer as tokenizer.json (+ tokenizer_config.json) only */
        size_t json_length = strlen(dir) + 32;
        char *json_path = malloc(json_length), *config_path = malloc(json_length);
        if (!json_path || !config_path) {
            rlhf_error_set(error, "out of memory");
        } else {
            snprintf(json_path, json_length, "%s/tokenizer.json", dir);
            snprintf(config_path, json_length, "%s/tokenizer_config.json", dir);
            if (lstat(json_path, &info) != 0 && errno == ENOENT)
                rlhf_error_set(error, "%s: no tokenizer there (neither vocab.json + merges.txt nor tokenizer.json)", dir);
            else if (check_tokenizer_config(config_path, error) == 0)
                status = read_tokenizer_json(out, json_path, error);
        }
        free(json_path);
        free(config_path);
        goto done;
    }
    int vocab_size;
    char *bytes;
    size_t *starts;
    if (read_vocab(vocab_path, &vocab_size, &bytes, &starts, error) != 0) goto done;
    tokenizer *t = tokenizer_create(vocab_size, bytes, starts, error);
    if (!t) {
        rlhf_error_prefix(error, "%s", vocab_path);
        goto done;
    }
    if (read_merges(t, merges_path, error) != 0) {
        tokenizer_free(t);
        goto done;
    }
    *out = t;
    status = 0;
done:
    free(vocab_path);
    free(merges_path);
    return status;
}

/* ------------------------------------------------------------------ saving */

/* A growable byte buffer. */
typedef struct text_buffer {
    char *data;
    size_t length, capacity;
    bool failed;
} text_buffer;

/* Appends length bytes; on failure marks the buffer failed and ignores later appends. */
static void buffer_append(text_buffer *buffer, const char *data, size_t length) {
    if (buffer->failed) return;
    if (buffer->length + length > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < buffer->length + length) capacity *= 2;
        char *grown = realloc(buffer->data, capacity);
        if (!grown) {
            buffer->failed = true;
            return;
        }
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->length, data, length);
    buffer->length += length;
}

/* Appends a NUL-terminated string. */
static void buffer_append_string(text_buffer *buffer, const char *text) { buffer_append(buffer, text, strlen(text)); }

/* Appends text as a JSON string the way Python's json.dumps(ensure_ascii=False) writes it:
 * quotes, backslashes and control characters escaped, everything else as is. */
static void buffer_append_json_string(text_buffer *buffer, const char *text) {
    buffer_append(buffer, "\"", 1);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        char escaped[8];
        switch (c) {
        case '"': buffer_append(buffer, "\\\"", 2); break;
        case '\\': buffer_append(buffer, "\\\\", 2); break;
        case '\n': buffer_append(buffer, "\\n", 2); break;
        case '\r': buffer_append(buffer, "\\r", 2); break;
        case '\t': buffer_append(buffer, "\\t", 2); break;
        case '\b': buffer_append(buffer, "\\b", 2); break;
        case '\f': buffer_append(buffer, "\\f", 2); break;
        default:
            if (c < 0x20) {
                snprintf(escaped, sizeof escaped, "\\u%04x", c);
                buffer_append(buffer, escaped, 6);
            } else {
                buffer_append(buffer, p, 1);
            }
        }
    }
    buffer_append(buffer, "\"", 1);
}

/* A token's spelling and id, for sorting vocab.json's keys. */
typedef struct named_id {
    const char *name;
    int id;
} named_id;

/* Orders by spelling: strcmp on UTF-8 is code point order, the order Python sorts keys in. */
static int compare_names(const void *a, const void *b) {
    return strcmp(((const named_id *)a)->name, ((const named_id *)b)->name);
}

int tokenizer_render(const tokenizer *t, char **vocab_json, size_t *vocab_length, char **merges_txt,
                     size_t *merges_length, rlhf_error *error) {
    *vocab_json = *merges_txt = NULL;
    *vocab_length = *merges_length = 0;
    named_id *order = malloc((size_t)t->vocab_size * sizeof *order);
    if (!order) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    for (int id = 0; id < t->vocab_size; id++) order[id] = (named_id){t->names + t->name_starts[id], id};
    qsort(order, (size_t)t->vocab_size, sizeof *order, compare_names);
    text_buffer vocab = {0}, merges = {0};
    buffer_append_string(&vocab, "{\n");
    for (int i = 0; i < t->vocab_size; i++) {
        char number[32];
        buffer_append_string(&vocab, "  ");
        buffer_append_json_string(&vocab, order[i].name);
        snprintf(number, sizeof number, ": %d%s\n", order[i].id, i + 1 < t->vocab_size ? "," : "");
        buffer_append_string(&vocab, number);
    }
    buffer_append_string(&vocab, "}\n");
    free(order);
    buffer_append_string(&merges, "#version: 0.2\n");
    for (int rank = 0; rank < t->merge_count; rank++) {
        buffer_append_string(&merges, t->names + t->name_starts[t->merge_left[rank]]);
        buffer_append(&merges, " ", 1);
        buffer_append_string(&merges, t->names + t->name_starts[t->merge_right[rank]]);
        buffer_append(&merges, "\n", 1);
    }
    if (vocab.failed || merges.failed) {
        free(vocab.data);
        free(merges.data);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    *vocab_json = vocab.data;
    *vocab_length = vocab.length;
    *merges_txt = merges.data;
    *merges_length = merges.length;
    return 0;
}

int tokenizer_save(const tokenizer *t, const char *dir, rlhf_error *error) {
    if (rlhf_make_directory(dir, error) != 0) return -1;
    char *vocab, *merges;
    size_t vocab_length, merges_length;
    if (tokenizer_render(t, &vocab, &vocab_length, &merges, &merges_length, error) != 0) return -1;
    int status = -1;
    size_t length = strlen(dir) + 16;
    char *path = malloc(length);
    if (!path) {
        rlhf_error_set(error, "out of memory");
    } else {
        snprintf(path, length, "%s/vocab.json", dir);
        if (rlhf_write_file_atomic(path, vocab, vocab_length, error) == 0) {
            snprintf(path, length, "%s/merges.txt", dir);
            status = rlhf_write_file_atomic(path, merges, merges_length, error);
        }
    }
    free(path);
    free(vocab);
    free(merges);
    return status;
}

/* ------------------------------------------------------------------ encoding */

#define CACHE_MAX_WORD 256          /* longer pre-tokens are merged every time */
#define CACHE_MAX_ENTRIES (1 << 18) /* and the cache (about 20 MB then) stops growing here */
#define SHORT_WORD 64               /* pre-tokens up to this many bytes merge by scanning */

/* What one encode call keeps between pre-tokens: the output, a pre-token -> ids cache, and
 * scratch space for merging. */
typedef struct encoder {
    const tokenizer *t;
    pcre2_match_data *match;
    int_vector out;
    byte_map cache;     /* value[0]: offset in cached, value[1]: count */
    int_vector cached;
    int *symbols, *ranks, *results, *next, *previous;
    uint64_t *heap;
    size_t scratch_capacity;
} encoder;

/* Sets up an encoder for t with its own match data and an empty cache; on failure what was
 * made is freed by encoder_free. */
static int encoder_init(encoder *e, const tokenizer *t) {
    memset(e, 0, sizeof *e);
    e->t = t;
    e->match = pcre2_match_data_create_from_pattern(t->regex, NULL);
    return e->match && byte_map_init(&e->cache, 1024) == 0 ? 0 : -1;
}

/* Frees an encoder (zeroed or half made is fine). */
static void encoder_free(encoder *e) {
    if (e->match) pcre2_match_data_free(e->match);
    free(e->out.items);
    byte_map_free(&e->cache);
    free(e->cached.items);
    free(e->symbols);
    free(e->ranks);
    free(e->results);
    free(e->next);
    free(e->previous);
    free(e->heap);
}

/* Makes the scratch arrays hold n symbols. */
static int encoder_reserve(encoder *e, size_t n) {
    if (n <= e->scratch_capacity) return 0;
    size_t capacity = e->scratch_capacity ? e->scratch_capacity : 256;
    while (capacity < n) capacity *= 2;
    int **arrays[5] = {&e->symbols, &e->ranks, &e->results, &e->next, &e->previous};
    for (int i = 0; i < 5; i++) {
        int *grown = realloc(*arrays[i], capacity * sizeof(int));
        if (!grown) return -1;
        *arrays[i] = grown;
    }
    uint64_t *heap = realloc(e->heap, 2 * capacity * sizeof *heap);
    if (!heap) return -1;
    e->heap = heap;
    e->scratch_capacity = capacity;
    return 0;
}

/* Applies the merges to symbols[0..n) (one pre-token's byte tokens) by scanning: the pair
 * of lowest rank, leftmost among equals, until no pair has a merge. Returns the new count.
 * O(n^2) comparisons but O(n) table lookups; for short pre-tokens. */
static size_t merge_short(const tokenizer *t, int *symbols, size_t n, int *ranks, int *results) {
    if (n < 2) return n;
    for (size_t i = 0; i + 1 < n; i++)
        if (!find_merge(t, symbols[i], symbols[i + 1], &ranks[i], &results[i])) ranks[i] = INT_MAX;
    for (;;) {
        int best = INT_MAX;
        size_t at = 0;
        for (size_t i = 0; i + 1 < n; i++)
            if (ranks[i] < best) {
                best = ranks[i];
                at = i;
            }
        if (best == INT_MAX) return n;
        symbols[at] = results[at];
        /* symbol at + 1 goes; pairs from at + 1 on move down one */
        memmove(symbols + at + 1, symbols + at + 2, (n - at - 2) * sizeof *symbols);
        if (n >= at + 3) {
            memmove(ranks + at + 1, ranks + at + 2, (n - at - 3) * sizeof *ranks);
            memmove(results + at + 1, results + at + 2, (n - at - 3) * sizeof *results);
        }
        n--;
        if (at > 0 && !find_merge(t, symbols[at - 1], symbols[at], &ranks[at - 1], &results[at - 1]))
            ranks[at - 1] = INT_MAX;
        if (at + 1 < n && !find_merge(t, symbols[at], symbols[at + 1], &ranks[at], &results[at])) ranks[at] = INT_MAX;
    }
}

/* Adds value to a min-heap of (rank << 32 | position) entries, for merge_long; the caller
 * sized the array. */
static void heap_push(uint64_t *heap, size_t *size, uint64_t value) {
    size_t i = (*size)++;
    while (i > 0 && heap[(i - 1) / 2] > value) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = value;
}

/* Removes and returns the smallest entry (the heap is not empty). */
static uint64_t heap_pop(uint64_t *heap, size_t *size) {
    uint64_t top = heap[0], last = heap[--*size];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= *size) break;
        if (child + 1 < *size && heap[child + 1] < heap[child]) child++;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
    }
    if (*size) heap[i] = last;
    return top;
}

/* The same merges as merge_short, in O(n log n): symbols form a linked list and candidate
 * pairs wait in a heap by (rank, position), which is exactly Hugging Face's BPE word merge.
 * An entry whose pair changed since it was pushed is skipped. Returns the new count. */
static size_t merge_long(encoder *e, int *symbols, size_t n) {
    const tokenizer *t = e->t;
    int *next = e->next, *previous = e->previous;
    uint64_t *heap = e->heap;
    size_t heap_size = 0;
    int rank, result;
    for (size_t i = 0; i < n; i++) {
        next[i] = i + 1 < n ? (int)i + 1 : -1;
        previous[i] = (int)i - 1;
        if (i + 1 < n && find_merge(t, symbols[i], symbols[i + 1], &rank, &result))
            heap_push(heap, &heap_size, (uint64_t)rank << 32 | i);
    }
    while (heap_size) {
        uint64_t top = heap_pop(heap, &heap_size);
        int position = (int)(uint32_t)top, wanted = (int)(top >> 32);
        int right = next[position];
        if (symbols[position] < 0 || right < 0) continue;
        if (!find_merge(t, symbols[position], symbols[right], &rank, &result) || rank != wanted) continue;
        symbols[position] = result;
        symbols[right] = -1;
        next[position] = next[right];
        if (next[right] >= 0) previous[next[right]] = position;
        int before = previous[position], after = next[position];
        if (before >= 0 && find_merge(t, symbols[before], symbols[position], &rank, &result))
            heap_push(heap, &heap_size, (uint64_t)rank << 32 | (uint32_t)before);
        if (after >= 0 && find_merge(t, symbols[position], symbols[after], &rank, &result))
            heap_push(heap, &heap_size, (uint64_t)rank << 32 | (uint32_t)position);
    }
    size_t count = 0;
    for (int i = 0; i >= 0; i = next[i]) symbols[count++] = symbols[i];
    return count;
}

/* Appends the ids of one pre-token (length bytes at word). */
static int encode_word(encoder *e, const char *word, size_t length) {
    const tokenizer *t = e->t;
    if (length == 1) {
        if (int_vector_reserve(&e->out, 1) != 0) return -1;
        e->out.items[e->out.count++] = t->byte_ids[(unsigned char)word[0]];
        return 0;
    }
    uint64_t hash = 0;
    if (length <= CACHE_MAX_WORD) {
        hash = hash_bytes(word, length);
        const byte_slot *slot = byte_map_slot(&e->cache, word, length, hash);
        if (slot->hash) {
            size_t count = (size_t)slot->value[1];
            if (int_vector_reserve(&e->out, count) != 0) return -1;
            memcpy(e->out.items + e->out.count, e->cached.items + slot->value[0], count * sizeof(int));
            e->out.count += count;
            return 0;
        }
    }
    if (encoder_reserve(e, length) != 0) return -1;
    for (size_t i = 0; i < length; i++) e->symbols[i] = t->byte_ids[(unsigned char)word[i]];
    size_t count = length <= SHORT_WORD ? merge_short(t, e->symbols, length, e->ranks, e->results)
                                        : merge_long(e, e->symbols, length);
    if (int_vector_reserve(&e->out, count) != 0) return -1;
    memcpy(e->out.items + e->out.count, e->symbols, count * sizeof(int));
    e->out.count += count;
    if (length <= CACHE_MAX_WORD && e->cache.count < CACHE_MAX_ENTRIES) {
        if (int_vector_reserve(&e->cached, count) != 0) return -1;
        byte_slot *slot = byte_map_insert(&e->cache, word, length, hash, NULL);
        if (!slot) return -1;
        slot->value[0] = (int64_t)e->cached.count;
        slot->value[1] = (int64_t)count;
        memcpy(e->cached.items + e->cached.count, e->symbols, count * sizeof(int));
        e->cached.count += count;
    }
    return 0;
}

/* Appends the ids of length bytes of text with no special tokens in it. */
static int encode_plain(encoder *e, const char *text, size_t length, rlhf_error *error) {
    scanner s;
    if (scanner_start(&s, e->t->regex, e->match, text, length, error) != 0) return -1;
    size_t start = 0, end;
    int status;
    while ((status = scanner_next(&s, &end, error)) == 1) {
        if (encode_word(e, text + start, end - start) != 0) {
            rlhf_error_set(error, "out of memory encoding %zu bytes", length);
            status = -1;
            break;
        }
        start = end;
    }
    scanner_end(&s);
    return status;
}

/* Appends the ids of text, cutting out "<|endoftext|>" as the special id when asked. */
static int encode_text(encoder *e, const char *text, size_t length, bool allow_special, rlhf_error *error) {
    const size_t special_length = strlen(TOKENIZER_END_OF_TEXT);
    if (!allow_special || e->t->eos_id < 0) return encode_plain(e, text, length, error);
    size_t start = 0;
    for (;;) {
        const char *found = memmem(text + start, length - start, TOKENIZER_END_OF_TEXT, special_length);
        size_t stop = found ? (size_t)(found - text) : length;
        if (stop > start && encode_plain(e, text + start, stop - start, error) != 0) return -1;
        if (!found) return 0;
        if (int_vector_reserve(&e->out, 1) != 0) {
            rlhf_error_set(error, "out of memory encoding %zu bytes", length);
            return -1;
        }
        e->out.items[e->out.count++] = e->t->eos_id;
        start = stop + special_length;
    }
}

#define PARALLEL_BYTES (1u << 20) /* texts shorter than this are encoded on one thread */

int tokenizer_encode(const tokenizer *t, const char *text, size_t length, bool allow_special, int **ids,
                     size_t *count, rlhf_error *error) {
    *ids = NULL;
    *count = 0;
    int pieces = length >= PARALLEL_BYTES ? omp_get_max_threads() : 1;
    if (pieces < 1) pieces = 1;
    size_t *cuts = malloc(((size_t)pieces + 1) * sizeof *cuts);
    encoder *encoders = calloc((size_t)pieces, sizeof *encoders);
    rlhf_error *errors = calloc((size_t)pieces, sizeof *errors);
    int *status = calloc((size_t)pieces, sizeof *status);
    int result = -1;
    if (!cuts || !encoders || !errors || !status) {
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
    for (int i = 0; i < pieces; i++) {
        if (encoder_init(&encoders[i], t) != 0) {
            rlhf_error_set(&errors[i], "out of memory");
            status[i] = -1;
            continue;
        }
        status[i] = encode_text(&encoders[i], text + cuts[i], cuts[i + 1] - cuts[i], allow_special, &errors[i]);
    }
    size_t total = 0;
    for (int i = 0; i < pieces; i++) {
        if (status[i] != 0) {
            if (error) *error = errors[i];
            goto done;
        }
        total += encoders[i].out.count;
    }
    *ids = malloc((total ? total : 1) * sizeof **ids);
    if (!*ids) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    for (int i = 0; i < pieces; i++) {
        if (!encoders[i].out.count) continue;
        memcpy(*ids + *count, encoders[i].out.items, encoders[i].out.count * sizeof **ids);
        *count += encoders[i].out.count;
    }
    result = 0;
done:
    if (encoders)
        for (int i = 0; i < pieces; i++) encoder_free(&encoders[i]);
    free(cuts);
    free(encoders);
    free(errors);
    free(status);
    return result;
}

int tokenizer_pretokenize(const tokenizer *t, const char *text, size_t length, size_t **ends, size_t *count,
                          rlhf_error *error) {
    *ends = NULL;
    *count = 0;
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(t->regex, NULL);
    size_t capacity = 16;
    size_t *out = malloc(capacity * sizeof *out);
    scanner s;
    if (!match || !out || scanner_start(&s, t->regex, match, text, length, error) != 0) {
        if (match) pcre2_match_data_free(match);
        free(out);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    size_t end, used = 0;
    int status;
    while ((status = scanner_next(&s, &end, error)) == 1) {
        if (used == capacity) {
            size_t *grown = realloc(out, 2 * capacity * sizeof *out);
            if (!grown) {
                rlhf_error_set(error, "out of memory");
                status = -1;
                break;
            }
            out = grown;
            capacity *= 2;
        }
        out[used++] = end;
    }
    scanner_end(&s);
    pcre2_match_data_free(match);
    if (status != 0) {
        free(out);
        return -1;
    }
    *ends = out;
    *count = used;
    return 0;
}

/* ------------------------------------------------------------------ decoding */

int tokenizer_decode(const tokenizer *t, const int *ids, size_t count, char **text, size_t *length,
                     rlhf_error *error) {
    *text = NULL;
    *length = 0;
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (ids[i] < 0 || ids[i] >= t->vocab_size) {
            rlhf_error_set(error, "token id %d (at position %zu) is outside [0, %d)", ids[i], i, t->vocab_size);
            return -1;
        }
        total += t->starts[ids[i] + 1] - t->starts[ids[i]];
    }
    char *out = malloc(total + 1);
    if (!out) {
        rlhf_error_set(error, "out of memory decoding %zu tokens", count);
        return -1;
    }
    size_t used = 0;
    for (size_t i = 0; i < count; i++) {
        size_t size = t->starts[ids[i] + 1] - t->starts[ids[i]];
        memcpy(out + used, t->bytes + t->starts[ids[i]], size);
        used += size;
    }
    out[used] = '\0';
    *text = out;
    *length = used;
    return 0;
}

/* ------------------------------------------------------------------ training */

/* The words one heap entry will merge in (Hugging Face's `pos` set). */
typedef struct word_list {
    int *items;
    int count, capacity;
} word_list;

/* A candidate merge: a pair, its count when pushed, and the words to merge it in. */
typedef struct candidate {
    int64_t count;
    uint64_t pair;
    int list;
} candidate;

typedef struct trainer {
    /* unique pre-tokens ("words") as token ids, merged in place */
    size_t word_count;
    int *symbols;
    size_t *word_start;
    int *word_length;
    int64_t *frequency;
    /* tokens learned so far */
    int token_count, token_capacity;
    char *token_bytes;
    size_t *token_start, bytes_capacity;
    byte_map token_index;
    /* pair counts, candidates, word lists */
    pair_map pair_counts;
    candidate *heap;
    size_t heap_size, heap_capacity;
    word_list *lists;
    int list_count, list_capacity;
    int *free_lists;
    int free_count;
    /* this step's new pairs (x, new) and (new, x), by x */
    int *with_left, *with_right;
    uint64_t *step_pairs;
    size_t step_count, step_capacity;
    int new_token;
    /* merges made */
    int *merge_left, *merge_right, *merge_result;
    int merge_count, merge_capacity;
    bool out_of_memory;
} trainer;

/* Whether candidate a comes out of the heap before b: the larger count, then the smaller
 * pair (left id, then right id), as BpeTrainer's Merge ordering. */
static inline bool candidate_before(const candidate *a, const candidate *b) {
    return a->count != b->count ? a->count > b->count : a->pair < b->pair;
}

/* Adds a candidate to the heap (best first); sets out_of_memory if the heap cannot grow. */
static void candidate_push(trainer *tr, candidate c) {
    if (tr->heap_size == tr->heap_capacity) {
        size_t capacity = tr->heap_capacity ? 2 * tr->heap_capacity : 4096;
        candidate *grown = realloc(tr->heap, capacity * sizeof *grown);
        if (!grown) {
            tr->out_of_memory = true;
            return;
        }
        tr->heap = grown;
        tr->heap_capacity = capacity;
    }
    size_t i = tr->heap_size++;
    while (i > 0 && candidate_before(&c, &tr->heap[(i - 1) / 2])) {
        tr->heap[i] = tr->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    tr->heap[i] = c;
}

/* Removes and returns the best candidate (the heap is not empty). */
static candidate candidate_pop(trainer *tr) {
    candidate top = tr->heap[0], last = tr->heap[--tr->heap_size];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= tr->heap_size) break;
        if (child + 1 < tr->heap_size && candidate_before(&tr->heap[child + 1], &tr->heap[child])) child++;
        if (!candidate_before(&tr->heap[child], &last)) break;
        tr->heap[i] = tr->heap[child];
        i = child;
    }
    if (tr->heap_size) tr->heap[i] = last;
    return top;
}

/* A fresh, empty word list; -1 when out of memory. */
static int list_new(trainer *tr) {
    if (tr->free_count) return tr->free_lists[--tr->free_count];
    if (tr->list_count == tr->list_capacity) {
        int capacity = tr->list_capacity ? 2 * tr->list_capacity : 4096;
        word_list *grown = realloc(tr->lists, (size_t)capacity * sizeof *grown);
        int *free_grown = realloc(tr->free_lists, (size_t)capacity * sizeof *free_grown);
        if (grown) tr->lists = grown;
        if (free_grown) tr->free_lists = free_grown;
        if (!grown || !free_grown) {
            tr->out_of_memory = true;
            return -1;
        }
        tr->list_capacity = capacity;
    }
    tr->lists[tr->list_count] = (word_list){0};
    return tr->list_count++;
}

/* Returns a list's memory for reuse. */
static void list_release(trainer *tr, int list) {
    free(tr->lists[list].items);
    tr->lists[list] = (word_list){0};
    tr->free_lists[tr->free_count++] = list;
}

/* Adds word to a list unless it was the last one added (a word's changes come together). */
static void list_add(trainer *tr, int list, int word) {
    word_list *l = &tr->lists[list];
    if (l->count && l->items[l->count - 1] == word) return;
    if (l->count == l->capacity) {
        int capacity = l->capacity ? 2 * l->capacity : 4;
        int *grown = realloc(l->items, (size_t)capacity * sizeof *grown);
        if (!grown) {
            tr->out_of_memory = true;
            return;
        }
        l->items = grown;
        l->capacity = capacity;
    }
    l->items[l->count++] = word;
}

/* Adds a token with these bytes; returns its id or -1 when out of memory. */
static int trainer_add_token(trainer *tr, const char *bytes, size_t length) {
    if (tr->token_count == tr->token_capacity) {
        int capacity = 2 * tr->token_capacity;
        size_t *grown = realloc(tr->token_start, ((size_t)capacity + 1) * sizeof *grown);
        if (!grown) return -1;
        tr->token_start = grown;
        tr->token_capacity = capacity;
    }
    size_t used = tr->token_start[tr->token_count];
    if (used + length > tr->bytes_capacity) {
        size_t capacity = 2 * tr->bytes_capacity + length;
        char *grown = realloc(tr->token_bytes, capacity);
        if (!grown) return -1;
        tr->token_bytes = grown;
        tr->bytes_capacity = capacity;
    }
    byte_slot *slot = byte_map_insert(&tr->token_index, bytes, length, hash_bytes(bytes, length), NULL);
    if (!slot) return -1;
    memmove(tr->token_bytes + used, bytes, length);
    int id = tr->token_count++;
    slot->value[0] = id;
    tr->token_start[tr->token_count] = used + length;
    return id;
}

/* Records that the pair's count changed by delta occurrences in word (of frequency
 * frequency); a pair that gained occurrences this step remembers the word. */
static void trainer_change(trainer *tr, int left, int right, int delta, int word) {
    int64_t *count = pair_map_insert(&tr->pair_counts, pair_key(left, right), 0);
    if (!count) {
        tr->out_of_memory = true;
        return;
    }
    *count += delta * tr->frequency[word];
    if (delta < 0) return;
    /* every new pair has the new token on one side; (new, new) is filed under with_left */
    int *slot = right == tr->new_token ? &tr->with_left[left] : &tr->with_right[right];
    if (*slot < 0) {
        *slot = list_new(tr);
        if (*slot < 0) return;
        if (tr->step_count == tr->step_capacity) {
            size_t capacity = tr->step_capacity ? 2 * tr->step_capacity : 1024;
            uint64_t *grown = realloc(tr->step_pairs, capacity * sizeof *grown);
            if (!grown) {
                tr->out_of_memory = true;
                return;
            }
            tr->step_pairs = grown;
            tr->step_capacity = capacity;
        }
        tr->step_pairs[tr->step_count++] = pair_key(left, right);
    }
    list_add(tr, *slot, word);
}

/* Merges every (a, b) in word into replacement, left to right, and reports the pair counts
 * that change: BpeTrainer's Word::merge, done in place. */
static void trainer_merge_word(trainer *tr, int word, int a, int b, int replacement) {
    int *s = tr->symbols + tr->word_start[word];
    int n = tr->word_length[word], kept = 0;
    for (int read = 0; read < n;) {
        if (read + 1 < n && s[read] == a && s[read + 1] == b) {
            if (kept > 0) {
                trainer_change(tr, s[kept - 1], a, -1, word);
                trainer_change(tr, s[kept - 1], replacement, 1, word);
            }
            s[kept++] = replacement;
            read += 2;
            if (read < n) {
                trainer_change(tr, b, s[read], -1, word);
                trainer_change(tr, replacement, s[read], 1, word);
            }
        } else {
            s[kept++] = s[read++];
        }
    }
    tr->word_length[word] = kept;
}

/* Counts the pre-tokens of length bytes of corpus into words (value[0] += 1 each), cutting
 * documents at "<|endoftext|>". */
static int count_words_in(const pcre2_code *regex, const char *corpus, size_t length, byte_map *words,
                          rlhf_error *error) {
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(regex, NULL);
    if (!match) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    const size_t special_length = strlen(TOKENIZER_END_OF_TEXT);
    int status = 0;
    for (size_t start = 0; start < length && status == 0;) {
        const char *found = memmem(corpus + start, length - start, TOKENIZER_END_OF_TEXT, special_length);
        size_t stop = found ? (size_t)(found - corpus) : length;
        scanner s;
        if (scanner_start(&s, regex, match, corpus + start, stop - start, error) != 0) {
            status = -1;
            break;
        }
        size_t from = 0, end;
        const char *document = corpus + start;
        while ((status = scanner_next(&s, &end, error)) == 1) {
            byte_slot *slot = byte_map_insert(words, document + from, end - from,
                                              hash_bytes(document + from, end - from), NULL);
            if (!slot) {
                rlhf_error_set(error, "out of memory counting words");
                status = -1;
                break;
            }
            slot->value[0]++;
            from = end;
        }
        scanner_end(&s);
        start = found ? stop + special_length : length;
    }
    pcre2_match_data_free(match);
    return status;
}

/* Counts the corpus's pre-tokens on every thread (pieces cut at safe places) into words. */
static int count_words(const pcre2_code *regex, const char *corpus, size_t length, byte_map *words,
                       rlhf_error *error) {
    int pieces = length >= PARALLEL_BYTES ? omp_get_max_threads() : 1;
    if (pieces < 1) pieces = 1;
    size_t *cuts = malloc(((size_t)pieces + 1) * sizeof *cuts);
    byte_map *maps = calloc((size_t)pieces, sizeof *maps);
    rlhf_error *errors = calloc((size_t)pieces, sizeof *errors);
    int *status = calloc((size_t)pieces, sizeof *status);
    int result = -1;
    if (!cuts || !maps || !errors || !status) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    cuts[0] = 0;
    for (int i = 1; i < pieces; i++) {
        size_t at = length / (size_t)pieces * (size_t)i;
        cuts[i] = safe_cut(corpus, length, at > cuts[i - 1] ? at : cuts[i - 1]);
    }
    cuts[pieces] = length;
    #pragma omp parallel for schedule(static, 1) num_threads(pieces) if (pieces > 1)
    for (int i = 0; i < pieces; i++) {
        byte_map *map = i == 0 ? words : &maps[i];
        if (i > 0 && byte_map_init(map, 1 << 16) != 0) {
            rlhf_error_set(&errors[i], "out of memory");
            status[i] = -1;
            continue;
        }
        status[i] = count_words_in(regex, corpus + cuts[i], cuts[i + 1] - cuts[i], map, &errors[i]);
    }
    for (int i = 0; i < pieces; i++)
        if (status[i] != 0) {
            if (error) *error = errors[i];
            goto done;
        }
    for (int i = 1; i < pieces; i++)
        for (size_t k = 0; k < maps[i].capacity; k++) {
            const byte_slot *from = &maps[i].slots[k];
            if (!from->hash) continue;
            byte_slot *to = byte_map_insert(words, byte_map_key(&maps[i], from), from->length, from->hash, NULL);
            if (!to) {
                rlhf_error_set(error, "out of memory counting words");
                goto done;
            }
            to->value[0] += from->value[0];
        }
    result = 0;
done:
    if (maps)
        for (int i = 1; i < pieces; i++) byte_map_free(&maps[i]);
    free(cuts);
    free(maps);
    free(errors);
    free(status);
    return result;
}

/* Frees everything the trainer holds (zeroed or half set up is fine). */
static void trainer_free(trainer *tr) {
    free(tr->symbols);
    free(tr->word_start);
    free(tr->word_length);
    free(tr->frequency);
    free(tr->token_bytes);
    free(tr->token_start);
    byte_map_free(&tr->token_index);
    pair_map_free(&tr->pair_counts);
    free(tr->heap);
    for (int i = 0; i < tr->list_count; i++) free(tr->lists[i].items);
    free(tr->lists);
    free(tr->free_lists);
    free(tr->with_left);
    free(tr->with_right);
    free(tr->step_pairs);
    free(tr->merge_left);
    free(tr->merge_right);
    free(tr->merge_result);
}

/* A unique pre-token and how often it occurs. */
typedef struct counted_word {
    const char *bytes;
    size_t length;
    int64_t frequency;
} counted_word;

/* Orders words by their bytes (a prefix first). */
static int compare_words(const void *a, const void *b) {
    const counted_word *x = a, *y = b;
    int order = memcmp(x->bytes, y->bytes, x->length < y->length ? x->length : y->length);
    return order ? order : (x->length > y->length) - (x->length < y->length);
}

/* Lays the unique words out as byte-token ids and sets up tokens, pair counts and the first
 * candidates (every pair with the words it occurs in). */
static int trainer_setup(trainer *tr, const byte_map *words, int vocab_size) {
    tr->word_count = words->count;
    size_t total = 0;
    for (size_t k = 0; k < words->capacity; k++)
        if (words->slots[k].hash) total += words->slots[k].length;
    tr->symbols = malloc((total + 1) * sizeof *tr->symbols);
    tr->word_start = malloc((tr->word_count + 1) * sizeof *tr->word_start);
    tr->word_length = malloc((tr->word_count + 1) * sizeof *tr->word_length);
    tr->frequency = malloc((tr->word_count + 1) * sizeof *tr->frequency);
    tr->token_capacity = 512;
    tr->bytes_capacity = 4096;
    tr->token_bytes = malloc(tr->bytes_capacity);
    tr->token_start = malloc(((size_t)tr->token_capacity + 1) * sizeof *tr->token_start);
    tr->with_left = malloc((size_t)vocab_size * sizeof *tr->with_left);
    tr->with_right = malloc((size_t)vocab_size * sizeof *tr->with_right);
    if (!tr->symbols || !tr->word_start || !tr->word_length || !tr->frequency || !tr->token_bytes ||
        !tr->token_start || !tr->with_left || !tr->with_right || byte_map_init(&tr->token_index, (size_t)vocab_size) != 0 ||
        pair_map_init(&tr->pair_counts, 1 << 16) != 0)
        return -1;
    for (int id = 0; id < vocab_size; id++) tr->with_left[id] = tr->with_right[id] = -1;
    /* the 256 byte tokens, in GPT-2's order */
    tr->token_start[0] = 0;
    for (int rank = 0; rank < 256; rank++)
        for (int b = 0; b < 256; b++)
            if (byte_rank(b) == rank) {
                char byte = (char)b;
                if (trainer_add_token(tr, &byte, 1) != rank) return -1;
            }
    int byte_ids[256];
    for (int b = 0; b < 256; b++) byte_ids[b] = byte_rank(b);
    /* words in byte order, so that nothing depends on how the counting was split up */
    counted_word *order = malloc((tr->word_count + 1) * sizeof *order);
    if (!order) return -1;
    size_t word = 0;
    for (size_t k = 0; k < words->capacity; k++)
        if (words->slots[k].hash)
            order[word++] = (counted_word){byte_map_key(words, &words->slots[k]), words->slots[k].length,
                                           words->slots[k].value[0]};
    qsort(order, tr->word_count, sizeof *order, compare_words);
    size_t used = 0;
    for (word = 0; word < tr->word_count; word++) {
        const unsigned char *bytes = (const unsigned char *)order[word].bytes;
        tr->word_start[word] = used;
        tr->word_length[word] = (int)order[word].length;
        tr->frequency[word] = order[word].frequency;
        for (size_t i = 0; i < order[word].length; i++) tr->symbols[used++] = byte_ids[bytes[i]];
    }
    free(order);
    /* every pair's count and the words it is in */
    pair_map lists;
    if (pair_map_init(&lists, 1 << 16) != 0) return -1;
    for (size_t w = 0; w < tr->word_count && !tr->out_of_memory; w++) {
        const int *s = tr->symbols + tr->word_start[w];
        for (int i = 0; i + 1 < tr->word_length[w]; i++) {
            uint64_t key = pair_key(s[i], s[i + 1]);
            int64_t *count = pair_map_insert(&tr->pair_counts, key, 0);
            int64_t *list = pair_map_insert(&lists, key, -1);
            if (!count || !list) {
                tr->out_of_memory = true;
                break;
            }
            *count += tr->frequency[w];
            if (*list < 0) *list = list_new(tr);
            if (*list >= 0) list_add(tr, (int)*list, (int)w);
        }
    }
    for (size_t k = 0; k < lists.capacity && !tr->out_of_memory; k++)
        if (lists.keys[k] != EMPTY_PAIR && lists.values[k] >= 0)
            candidate_push(tr, (candidate){*pair_map_get(&tr->pair_counts, lists.keys[k]), lists.keys[k],
                                           (int)lists.values[k]});
    pair_map_free(&lists);
    return tr->out_of_memory ? -1 : 0;
}

/* Appends the merge (left, right) -> result to the list made so far (a pair merged twice is
 * kept at its last place when the tokenizer is built, as Hugging Face's merge map keeps it). */
static int trainer_record_merge(trainer *tr, int left, int right, int result) {
    if (tr->merge_count == tr->merge_capacity) {
        int capacity = tr->merge_capacity ? 2 * tr->merge_capacity : 1024;
        int *l = realloc(tr->merge_left, (size_t)capacity * sizeof *l);
        if (l) tr->merge_left = l;
        int *r = realloc(tr->merge_right, (size_t)capacity * sizeof *r);
        if (r) tr->merge_right = r;
        int *m = realloc(tr->merge_result, (size_t)capacity * sizeof *m);
        if (m) tr->merge_result = m;
        if (!l || !r || !m) return -1;
        tr->merge_capacity = capacity;
    }
    tr->merge_left[tr->merge_count] = left;
    tr->merge_right[tr->merge_count] = right;
    tr->merge_result[tr->merge_count] = result;
    tr->merge_count++;
    return 0;
}

/* BpeTrainer's merge loop: take the best candidate; if its count is stale, put it back with
 * the current one; stop below min_frequency or at the vocabulary size; else make the token
 * (or find it, when another pair already spelled it), merge the pair in the candidate's words
 * and push one candidate per pair that gained occurrences, with the words it gained them in. */
static int trainer_run(trainer *tr, int target_tokens, int64_t min_frequency) {
    char *joined = NULL;
    size_t joined_capacity = 0;
    while (tr->token_count < target_tokens && tr->heap_size > 0 && !tr->out_of_memory) {
        candidate top = candidate_pop(tr);
        int64_t current = *pair_map_get(&tr->pair_counts, top.pair);
        if (top.count != current) {
            top.count = current;
            candidate_push(tr, top);
            continue;
        }
        if (top.count < 1 || top.count < min_frequency) break;
        int left = pair_left(top.pair), right = pair_right(top.pair);
        size_t left_length = tr->token_start[left + 1] - tr->token_start[left];
        size_t right_length = tr->token_start[right + 1] - tr->token_start[right];
        if (left_length + right_length > joined_capacity) {
            joined_capacity = 2 * (left_length + right_length);
            char *grown = realloc(joined, joined_capacity);
            if (!grown) {
                free(joined);
                return -1;
            }
            joined = grown;
        }
        memcpy(joined, tr->token_bytes + tr->token_start[left], left_length);
        memcpy(joined + left_length, tr->token_bytes + tr->token_start[right], right_length);
        const byte_slot *existing = byte_map_get(&tr->token_index, joined, left_length + right_length);
        int new_token = existing ? (int)existing->value[0] : trainer_add_token(tr, joined, left_length + right_length);
        if (new_token < 0 || trainer_record_merge(tr, left, right, new_token) != 0) {
            free(joined);
            return -1;
        }
        tr->new_token = new_token;
        /* (the lists array may move while merging makes new lists; the items stay put) */
        const int *words = tr->lists[top.list].items;
        int word_count = tr->lists[top.list].count;
        for (int i = 0; i < word_count; i++) trainer_merge_word(tr, words[i], left, right, new_token);
        list_release(tr, top.list);
        for (size_t i = 0; i < tr->step_count; i++) {
            uint64_t key = tr->step_pairs[i];
            int *slot = pair_right(key) == new_token ? &tr->with_left[pair_left(key)] : &tr->with_right[pair_right(key)];
            int64_t count = *pair_map_get(&tr->pair_counts, key);
            if (count > 0) candidate_push(tr, (candidate){count, key, *slot});
            else list_release(tr, *slot);
            *slot = -1;
        }
        tr->step_count = 0;
    }
    free(joined);
    return tr->out_of_memory ? -1 : 0;
}

int tokenizer_train(tokenizer **out, const char *corpus, size_t length, const tokenizer_train_options *options,
                    rlhf_error *error) {
    *out = NULL;
    if (!options || options->vocab_size < 257 || options->vocab_size > (1 << 30)) {
        rlhf_error_set(error, "tokenizer training: vocab_size must be at least 257 (256 bytes and <|endoftext|>), got %d",
                       options ? options->vocab_size : 0);
        return -1;
    }
    int64_t min_frequency = options->min_frequency > 0 ? options->min_frequency : 2;
    rlhf_error local;
    if (!error) error = &local;
    pcre2_code *regex = compile_pretokenizer(error);
    if (!regex) return -1;
    byte_map words;
    trainer tr = {0};
    int status = -1;
    if (byte_map_init(&words, 1 << 16) != 0) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    if (count_words(regex, corpus, length, &words, error) != 0) goto done;
    /* +1 leaves room in the per-token arrays for the special token's id */
    if (trainer_setup(&tr, &words, options->vocab_size + 1) != 0 ||
        trainer_run(&tr, options->vocab_size - 1, min_frequency) != 0) {
        rlhf_error_set(error, "out of memory training the tokenizer");
        goto done;
    }
    /* the special token last; the corpus was cut at every "<|endoftext|>", so no merge spells it */
    if (!byte_map_get(&tr.token_index, TOKENIZER_END_OF_TEXT, strlen(TOKENIZER_END_OF_TEXT)) &&
        trainer_add_token(&tr, TOKENIZER_END_OF_TEXT, strlen(TOKENIZER_END_OF_TEXT)) < 0) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    tokenizer *t = tokenizer_create(tr.token_count, tr.token_bytes, tr.token_start, error);
    tr.token_bytes = NULL;
    tr.token_start = NULL;
    if (!t) goto done;
    int capacity = 0;
    for (int i = 0; i < tr.merge_count; i++)
        if (tokenizer_add_merge(t, tr.merge_left[i], tr.merge_right[i], tr.merge_result[i], &capacity) != 0) {
            rlhf_error_set(error, "out of memory");
            tokenizer_free(t);
            goto done;
        }
    tokenizer_compact_merges(t);
    *out = t;
    status = 0;
done:
    byte_map_free(&words);
    trainer_free(&tr);
    pcre2_code_free(regex);
    return status;
}
