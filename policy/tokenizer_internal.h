/* Shared between the tokenizer's source files only (the public interface is
 * include/rlhf/tokenizer.h):
 *   tokenizer.c           the tokenizer itself: making one, its merge table, accessors, decoding
 *   tokenizer_maps.c      the hash tables and the growable int array everything else uses
 *   tokenizer_text.c      GPT-2's byte alphabet, UTF-8, the pre-tokenizer and the cutting of a
 *                         text into per-thread pieces
 *   tokenizer_files.c     loading vocab.json + merges.txt or tokenizer.json, saving
 *   tokenizer_encode.c    encoding by merge rank
 *   tokenizer_train.c     the BPE trainer
 *
 * Ids, tokens and merges live in flat arrays; every lookup (pair -> merge, bytes -> token,
 * pre-token -> ids, pair -> count) is an open-addressing hash table, so encoding and training
 * never scan the vocabulary. The lookups on the hot paths are inline here. */
#ifndef RLHF_TOKENIZER_INTERNAL_H
#define RLHF_TOKENIZER_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rlhf/tokenizer.h"

/* ------------------------------------------------------------------ byte alphabet (tokenizer_text.c) */

/* Byte b's id among the 256 byte tokens in GPT-2's (and Hugging Face's) order, which sorts
 * them by their character: the 188 printable bytes ascending, then the other 68. */
int tokenizer_byte_rank(int b);
/* Converts a vocab.json / merges.txt spelling (length bytes of UTF-8 at name) to the bytes it
 * stands for, written to out (room for length bytes). Returns the byte count, or -1 if the
 * spelling has a character outside the alphabet (or is not UTF-8). */
long tokenizer_name_to_bytes(const char *name, size_t length, char *out);
/* Writes the alphabet spelling of length bytes to out (room for 2 * length + 1) with a NUL;
 * returns its length. */
size_t tokenizer_bytes_to_name(const char *bytes, size_t length, char *out);

/* ------------------------------------------------------------------ hash tables (tokenizer_maps.c) */

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
static inline uint64_t hash_bytes(const void *data, size_t n) {
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

/* Makes an empty map with room for expected keys; -1 when out of memory (free it anyway). */
int pair_map_init(pair_map *map, size_t expected);
/* Frees the table (the map may be zeroed or half made). */
void pair_map_free(pair_map *map);
/* The value slot of key, inserted holding initial if absent; NULL when out of memory. The
 * pointer is good until the next insertion. */
int64_t *pair_map_insert(pair_map *map, uint64_t key, int64_t initial);

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

/* Makes an empty map with room for expected keys; -1 when out of memory (free it anyway). */
int byte_map_init(byte_map *map, size_t expected);
/* Frees the table and its keys (the map may be zeroed or half made). */
void byte_map_free(byte_map *map);
/* The slot of key (whose hash_bytes is hash), inserted with zero values if absent
 * (*inserted, when not NULL, says which); NULL when out of memory. The pointer is good until
 * the next insertion. */
byte_slot *byte_map_insert(byte_map *map, const void *key, size_t length, uint64_t hash, bool *inserted);

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

/* A growable array of ints. */
typedef struct int_vector {
    int *items;
    size_t count, capacity;
} int_vector;

/* Makes room for extra more items; -1 when out of memory (the vector is unchanged). */
int int_vector_reserve(int_vector *vector, size_t extra);

/* ------------------------------------------------------------------ pre-tokenizing (tokenizer_text.c) */

/* Compiles GPT-2's pre-tokenizing pattern with Hugging Face's character classes (UTF and
 * Unicode properties; JIT where available); NULL with error set if PCRE2 refuses it. */
pcre2_code *tokenizer_compile_pattern(rlhf_error *error);

/* Walks the pre-tokens of a text, one window (cut at safe places) at a time. A window of
 * valid UTF-8 is matched in place. Otherwise the matcher sees a stand-in where every byte
 * that is not part of a well-formed character is U+FFFD, and origin maps stand-in offsets
 * back to the window; windows keep that copy small whatever the text's length. */
typedef struct pretoken_scanner {
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
} pretoken_scanner;

/* Starts a scan of length bytes of text with regex (from tokenizer_compile_pattern) and the
 * caller's match data for it; -1 with error set (and nothing left to free) when out of memory. */
int pretoken_scan_start(pretoken_scanner *s, const pcre2_code *regex, pcre2_match_data *match, const char *text,
                        size_t length, rlhf_error *error);
/* The next pre-token: sets *end (offset in the text; it starts where the last one ended) and
 * returns 1; 0 when the text is used up; -1 with error set on a matcher error or out of memory. */
int pretoken_scan_next(pretoken_scanner *s, size_t *end, rlhf_error *error);
/* Frees what the scanner allocated (not the match data, which is the caller's). */
void pretoken_scan_end(pretoken_scanner *s);

/* Work on one piece of a text cut by tokenizer_for_each_piece: text[0 .. length) is piece
 * number piece. Returns 0, or -1 with error set. Runs on its own thread: it may touch only
 * what belongs to its piece. */
typedef int (*tokenizer_piece_work)(int piece, const char *text, size_t length, void *user, rlhf_error *error);

/* How many pieces tokenizer_for_each_piece should cut length bytes into: one per thread for a
 * text of a megabyte or more, else one (threads would cost more than they save). */
int tokenizer_piece_count(size_t length);

/* Cuts length bytes of text into pieces (from tokenizer_piece_count) at places where each side
 * pre-tokenizes exactly as the whole does, and runs work on every piece, one thread a piece.
 * Returns 0, or -1 with error set to the failure of the first piece that failed (or to "out of
 * memory"). */
int tokenizer_for_each_piece(const char *text, size_t length, int pieces, tokenizer_piece_work work, void *user,
                             rlhf_error *error);

/* ------------------------------------------------------------------ the tokenizer (tokenizer.c) */

/* One merge: the pair (left, right) becomes result. */
typedef struct tokenizer_merge {
    int left, right, result;
} tokenizer_merge;

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
    tokenizer_merge *merge_by_rank; /* a superseded merge has left -1 until compacted */
    size_t merge_capacity;
    pair_map merges;       /* (left, right) -> rank << 32 | result */
    pcre2_code *regex;
};

/* Makes a tokenizer of vocab_size tokens, taking ownership of bytes and starts (token i is
 * bytes[starts[i] .. starts[i + 1])). Builds the spellings, the bytes -> id index and the
 * byte tokens, finds <|endoftext|>, compiles the pre-tokenizer. Fails (freeing everything)
 * if two tokens have the same bytes or a byte has no token. Merges are added afterwards. */
tokenizer *tokenizer_create(int vocab_size, char *bytes, size_t *starts, rlhf_error *error);
/* Appends the merge (left, right) -> result as the lowest-priority one so far; -1 when out of
 * memory. A pair merged before keeps only this later rank, as Hugging Face's merge tables do;
 * tokenizer_compact_merges then drops the earlier one. */
int tokenizer_add_merge(tokenizer *t, int left, int right, int result);
/* Drops superseded merges and renumbers the ranks 0..merge_count-1 in order. */
void tokenizer_compact_merges(tokenizer *t);

/* The id of the token with these bytes, or -1. */
static inline int tokenizer_token_id(const tokenizer *t, const char *bytes, size_t length) {
    const byte_slot *slot = byte_map_get(&t->index, bytes, length);
    return slot ? (int)slot->value[0] : -1;
}

/* The merge of the pair (left, right): sets *rank and *result and returns true, or false. */
static inline bool tokenizer_find_merge(const tokenizer *t, int left, int right, int *rank, int *result) {
    const int64_t *value = pair_map_get(&t->merges, pair_key(left, right));
    if (!value) return false;
    *rank = (int)(*value >> 32);
    *result = (int)(uint32_t)*value;
    return true;
}

#endif
