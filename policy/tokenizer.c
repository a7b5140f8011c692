/* The GPT-2 byte-level BPE tokenizer (include/rlhf/tokenizer.h): making one from its tokens,
 * its merge table, the accessors and decoding. Loading and saving are in tokenizer_files.c,
 * encoding in tokenizer_encode.c, training in tokenizer_train.c (tokenizer_internal.h lists
 * them all). */
#include "tokenizer_internal.h"

#include <stdlib.h>

/* Frees t and all it owns (NULL is fine). */
void tokenizer_free(tokenizer *t) {
    if (!t) return;
    free(t->bytes);
    free(t->starts);
    free(t->names);
    free(t->name_starts);
    byte_map_free(&t->index);
    free(t->merge_by_rank);
    pair_map_free(&t->merges);
    if (t->regex) pcre2_code_free(t->regex);
    free(t);
}

/* Builds a tokenizer around its tokens' bytes (taken over, freed on failure); no merges yet. */
tokenizer *tokenizer_create(int vocab_size, char *bytes, size_t *starts, rlhf_error *error) {
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
        used += tokenizer_bytes_to_name(bytes + starts[id], starts[id + 1] - starts[id], t->names + used) + 1;
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
            tokenizer_bytes_to_name(&byte, 1, name);
            rlhf_error_set(error, "no token for byte 0x%02x (\"%s\"); a byte-level vocabulary needs all 256", b, name);
            goto fail;
        }
    t->regex = tokenizer_compile_pattern(error);
    if (!t->regex) goto fail;
    return t;
fail:
    tokenizer_free(t);
    return NULL;
}

/* Appends a merge at the next rank, marking an earlier merge of the same pair superseded. */
int tokenizer_add_merge(tokenizer *t, int left, int right, int result) {
    if (rlhf_grow(&t->merge_by_rank, &t->merge_capacity, (size_t)t->merge_count + 1, sizeof *t->merge_by_rank) != 0)
        return -1;
    int64_t *slot = pair_map_insert(&t->merges, pair_key(left, right), -1);
    if (!slot) return -1;
    if (*slot >= 0) t->merge_by_rank[*slot >> 32].left = -1; /* superseded */
    int rank = t->merge_count++;
    t->merge_by_rank[rank] = (tokenizer_merge){left, right, result};
    *slot = (int64_t)rank << 32 | (uint32_t)result;
    return 0;
}

/* Removes superseded merges so the ranks run 0..merge_count-1 again. */
void tokenizer_compact_merges(tokenizer *t) {
    int kept = 0;
    for (int rank = 0; rank < t->merge_count; rank++) {
        tokenizer_merge merge = t->merge_by_rank[rank];
        if (merge.left < 0) continue;
        t->merge_by_rank[kept] = merge;
        size_t slot = pair_map_slot(&t->merges, pair_key(merge.left, merge.right));
        t->merges.values[slot] = (int64_t)kept << 32 | (uint32_t)merge.result;
        kept++;
    }
    t->merge_count = kept;
}

/* The public accessors (include/rlhf/tokenizer.h says what they return). */
int tokenizer_vocab_size(const tokenizer *t) { return t->vocab_size; }
int tokenizer_eos_id(const tokenizer *t) { return t->eos_id; }
int tokenizer_merge_count(const tokenizer *t) { return t->merge_count; }

/* Token id's bytes (not NUL-terminated) and their length; NULL when id is out of range. */
const char *tokenizer_token_bytes(const tokenizer *t, int id, size_t *length) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    if (length) *length = t->starts[id + 1] - t->starts[id];
    return t->bytes + t->starts[id];
}

/* Token id's vocab.json spelling; NULL when id is out of range. */
const char *tokenizer_token_name(const tokenizer *t, int id) {
    if (id < 0 || id >= t->vocab_size) return NULL;
    return t->names + t->name_starts[id];
}

/* ------------------------------------------------------------------ decoding */

/* Concatenates the ids' bytes (rlhf/tokenizer.h); an id out of range is an error. */
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
