/* Encoding: each pre-token's bytes start as byte tokens and are merged by rank, lowest
 * first, leftmost among equals (by scanning for short pre-tokens, with a heap for long ones),
 * with a per-call cache of the pre-tokens already seen. */
#include "tokenizer_internal.h"

#include <limits.h>
#include <stdlib.h>

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

/* Makes the scratch arrays hold n symbols (the heap twice that); -1 when out of memory,
 * with scratch_capacity still true of every array. */
static int encoder_reserve(encoder *e, size_t n) {
    if (n <= e->scratch_capacity) return 0;
    size_t capacity = e->scratch_capacity;
    if (rlhf_grow(&e->symbols, &capacity, n, sizeof *e->symbols) != 0) return -1;
    int **others[4] = {&e->ranks, &e->results, &e->next, &e->previous};
    for (int i = 0; i < 4; i++)
        if (rlhf_resize(others[i], capacity, sizeof(int)) != 0) return -1;
    if (rlhf_resize(&e->heap, capacity, 2 * sizeof *e->heap) != 0) return -1;
    e->scratch_capacity = capacity;
    return 0;
}

/* Applies the merges to symbols[0..n) (one pre-token's byte tokens) by scanning: the pair
 * of lowest rank, leftmost among equals, until no pair has a merge. Returns the new count.
 * O(n^2) comparisons but O(n) table lookups; for short pre-tokens. */
static size_t merge_short(const tokenizer *t, int *symbols, size_t n, int *ranks, int *results) {
    if (n < 2) return n;
    for (size_t i = 0; i + 1 < n; i++)
        if (!tokenizer_find_merge(t, symbols[i], symbols[i + 1], &ranks[i], &results[i])) ranks[i] = INT_MAX;
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
        if (at > 0 && !tokenizer_find_merge(t, symbols[at - 1], symbols[at], &ranks[at - 1], &results[at - 1]))
            ranks[at - 1] = INT_MAX;
        if (at + 1 < n && !tokenizer_find_merge(t, symbols[at], symbols[at + 1], &ranks[at], &results[at])) ranks[at] = INT_MAX;
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
        if (i + 1 < n && tokenizer_find_merge(t, symbols[i], symbols[i + 1], &rank, &result))
            heap_push(heap, &heap_size, (uint64_t)rank << 32 | i);
    }
    while (heap_size) {
        uint64_t top = heap_pop(heap, &heap_size);
        int position = (int)(uint32_t)top, wanted = (int)(top >> 32);
        int right = next[position];
        if (symbols[position] < 0 || right < 0) continue;
        if (!tokenizer_find_merge(t, symbols[position], symbols[right], &rank, &result) || rank != wanted) continue;
        symbols[position] = result;
        symbols[right] = -1;
        next[position] = next[right];
        if (next[right] >= 0) previous[next[right]] = position;
        int before = previous[position], after = next[position];
        if (before >= 0 && tokenizer_find_merge(t, symbols[before], symbols[position], &rank, &result))
            heap_push(heap, &heap_size, (uint64_t)rank << 32 | (uint32_t)before);
        if (after >= 0 && tokenizer_find_merge(t, symbols[position], symbols[after], &rank, &result))
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
    pretoken_scanner s;
    if (pretoken_scan_start(&s, e->t->regex, e->match, text, length, error) != 0) return -1;
    size_t start = 0, end;
    int status;
    while ((status = pretoken_scan_next(&s, &end, error)) == 1) {
        if (encode_word(e, text + start, end - start) != 0) {
            rlhf_error_set(error, "out of memory encoding %zu bytes", length);
            status = -1;
            break;
        }
        start = end;
    }
    pretoken_scan_end(&s);
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

/* What the pieces of one tokenizer_encode call share: each piece has its own encoder. */
typedef struct encode_job {
    const tokenizer *t;
    bool allow_special;
    encoder *encoders;
} encode_job;

/* Encodes one piece of the text into its own encoder (a tokenizer_piece_work). */
static int encode_piece(int piece, const char *text, size_t length, void *user, rlhf_error *error) {
    encode_job *job = user;
    if (encoder_init(&job->encoders[piece], job->t) != 0) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    return encode_text(&job->encoders[piece], text, length, job->allow_special, error);
}

/* Encodes text (rlhf/tokenizer.h), long texts in pieces on every thread, the pieces' ids
 * joined in order. */
int tokenizer_encode(const tokenizer *t, const char *text, size_t length, bool allow_special, int **ids,
                     size_t *count, rlhf_error *error) {
    *ids = NULL;
    *count = 0;
    int pieces = tokenizer_piece_count(length);
    encode_job job = {t, allow_special, calloc((size_t)pieces, sizeof *job.encoders)};
    int result = -1;
    if (!job.encoders) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    if (tokenizer_for_each_piece(text, length, pieces, encode_piece, &job, error) != 0) goto done;
    size_t total = 0;
    for (int i = 0; i < pieces; i++) total += job.encoders[i].out.count;
    if (rlhf_resize(ids, total, sizeof **ids) != 0) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    for (int i = 0; i < pieces; i++) {
        if (!job.encoders[i].out.count) continue;
        memcpy(*ids + *count, job.encoders[i].out.items, job.encoders[i].out.count * sizeof **ids);
        *count += job.encoders[i].out.count;
    }
    result = 0;
done:
    for (int i = 0; i < pieces; i++) encoder_free(&job.encoders[i]);
    free(job.encoders);
    return result;
}
