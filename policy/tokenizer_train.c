/* The BPE trainer: tokenizers' BpeTrainer, merge for merge. The corpus's pre-tokens are
 * counted (on every thread for a long corpus) into unique words; then the most frequent pair
 * is merged again and again, pair counts kept up to date incrementally and candidates waiting
 * in a heap, as BpeTrainer does. */
#include "tokenizer_internal.h"

#include <limits.h>
#include <stdlib.h>

/* The words one heap entry will merge in (Hugging Face's `pos` set). */
typedef struct word_list {
    int *items;
    size_t count, capacity;
} word_list;

/* A candidate merge: a pair, its count when pushed, and the words to merge it in. */
typedef struct candidate {
    int64_t count;
    uint64_t pair;
    int list;
} candidate;

/* Everything one training run keeps; its arrays grow through rlhf_grow, and a growth that
 * fails deep in the merge loop sets out_of_memory, which stops the loop. */
typedef struct trainer {
    /* unique pre-tokens ("words") as token ids, merged in place */
    size_t word_count;
    int *symbols;
    size_t *word_start;
    int *word_length;
    int64_t *frequency;
    /* tokens learned so far */
    int token_count;
    char *token_bytes;
    size_t *token_start, token_start_capacity, bytes_capacity;
    byte_map token_index;
    /* pair counts, candidates, word lists */
    pair_map pair_counts;
    candidate *heap;
    size_t heap_size, heap_capacity;
    word_list *lists;
    int list_count;
    size_t list_capacity;
    int *free_lists;
    int free_count;
    /* this step's new pairs (x, new) and (new, x), by x */
    int *with_left, *with_right;
    uint64_t *step_pairs;
    size_t step_count, step_capacity;
    int new_token;
    /* merges made */
    tokenizer_merge *merges;
    int merge_count;
    size_t merge_capacity;
    bool out_of_memory;
} trainer;

/* Whether candidate a comes out of the heap before b: the larger count, then the smaller
 * pair (left id, then right id), as BpeTrainer's Merge ordering. */
static inline bool candidate_before(const candidate *a, const candidate *b) {
    return a->count != b->count ? a->count > b->count : a->pair < b->pair;
}

/* Adds a candidate to the heap (best first); sets out_of_memory if the heap cannot grow. */
static void candidate_push(trainer *tr, candidate c) {
    if (rlhf_grow(&tr->heap, &tr->heap_capacity, tr->heap_size + 1, sizeof *tr->heap) != 0) {
        tr->out_of_memory = true;
        return;
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
    /* free_lists can hold every list, so list_release never has to grow it */
    size_t needed = (size_t)tr->list_count + 1, capacity = tr->list_capacity, free_capacity = tr->list_capacity;
    if (tr->list_count == INT_MAX || rlhf_grow(&tr->lists, &capacity, needed, sizeof *tr->lists) != 0 ||
        rlhf_grow(&tr->free_lists, &free_capacity, needed, sizeof *tr->free_lists) != 0) {
        tr->out_of_memory = true;
        return -1;
    }
    tr->list_capacity = capacity;
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
        /* most pairs are in a few words: lists start at 4, not at rlhf_grow's 16 */
        size_t capacity = l->capacity ? 2 * l->capacity : 4;
        if (capacity < l->capacity || rlhf_resize(&l->items, capacity, sizeof *l->items) != 0) {
            tr->out_of_memory = true;
            return;
        }
        l->capacity = capacity;
    }
    l->items[l->count++] = word;
}

/* Adds a token with these bytes; returns its id or -1 when out of memory. */
static int trainer_add_token(trainer *tr, const char *bytes, size_t length) {
    /* token_start[0] is set by trainer_setup; the new token's end goes to [token_count + 1] */
    if (rlhf_grow(&tr->token_start, &tr->token_start_capacity, (size_t)tr->token_count + 2, sizeof *tr->token_start) != 0)
        return -1;
    size_t used = tr->token_start[tr->token_count];
    if (rlhf_grow(&tr->token_bytes, &tr->bytes_capacity, used + length, 1) != 0) return -1;
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
        if (rlhf_grow(&tr->step_pairs, &tr->step_capacity, tr->step_count + 1, sizeof *tr->step_pairs) != 0) {
            tr->out_of_memory = true;
            return;
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
        pretoken_scanner s;
        if (pretoken_scan_start(&s, regex, match, corpus + start, stop - start, error) != 0) {
            status = -1;
            break;
        }
        size_t from = 0, end;
        const char *document = corpus + start;
        while ((status = pretoken_scan_next(&s, &end, error)) == 1) {
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
        pretoken_scan_end(&s);
        start = found ? stop + special_length : length;
    }
    pcre2_match_data_free(match);
    return status;
}

/* What the pieces of one count_words call share: piece 0 counts into words, piece i > 0
 * into maps[i], merged into words afterwards. */
typedef struct count_job {
    const pcre2_code *regex;
    byte_map *words;
    byte_map *maps;
} count_job;

/* Counts one piece's pre-tokens into its own map (a tokenizer_piece_work). */
static int count_piece(int piece, const char *text, size_t length, void *user, rlhf_error *error) {
    count_job *job = user;
    byte_map *map = piece == 0 ? job->words : &job->maps[piece];
    if (piece > 0 && byte_map_init(map, 1 << 16) != 0) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    return count_words_in(job->regex, text, length, map, error);
}

/* Counts the corpus's pre-tokens on every thread (pieces cut at safe places) into words. */
static int count_words(const pcre2_code *regex, const char *corpus, size_t length, byte_map *words,
                       rlhf_error *error) {
    int pieces = tokenizer_piece_count(length);
    count_job job = {regex, words, calloc((size_t)pieces, sizeof *job.maps)};
    int result = -1;
    if (!job.maps) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    if (tokenizer_for_each_piece(corpus, length, pieces, count_piece, &job, error) != 0) goto done;
    for (int i = 1; i < pieces; i++)
        for (size_t k = 0; k < job.maps[i].capacity; k++) {
            const byte_slot *from = &job.maps[i].slots[k];
            if (!from->hash) continue;
            byte_slot *to = byte_map_insert(words, byte_map_key(&job.maps[i], from), from->length, from->hash, NULL);
            if (!to) {
                rlhf_error_set(error, "out of memory counting words");
                goto done;
            }
            to->value[0] += from->value[0];
        }
    result = 0;
done:
    for (int i = 1; i < pieces; i++) byte_map_free(&job.maps[i]);
    free(job.maps);
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
    free(tr->merges);
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
    size_t words_plus_one = tr->word_count + 1;
    if (rlhf_resize(&tr->symbols, total + 1, sizeof *tr->symbols) != 0 ||
        rlhf_resize(&tr->word_start, words_plus_one, sizeof *tr->word_start) != 0 ||
        rlhf_resize(&tr->word_length, words_plus_one, sizeof *tr->word_length) != 0 ||
        rlhf_resize(&tr->frequency, words_plus_one, sizeof *tr->frequency) != 0 ||
        rlhf_grow(&tr->token_bytes, &tr->bytes_capacity, 4096, 1) != 0 ||
        rlhf_grow(&tr->token_start, &tr->token_start_capacity, 513, sizeof *tr->token_start) != 0 ||
        rlhf_resize(&tr->with_left, (size_t)vocab_size, sizeof *tr->with_left) != 0 ||
        rlhf_resize(&tr->with_right, (size_t)vocab_size, sizeof *tr->with_right) != 0 ||
        byte_map_init(&tr->token_index, (size_t)vocab_size) != 0 || pair_map_init(&tr->pair_counts, 1 << 16) != 0)
        return -1;
    for (int id = 0; id < vocab_size; id++) tr->with_left[id] = tr->with_right[id] = -1;
    /* the 256 byte tokens, in GPT-2's order */
    tr->token_start[0] = 0;
    for (int rank = 0; rank < 256; rank++)
        for (int b = 0; b < 256; b++)
            if (tokenizer_byte_rank(b) == rank) {
                char byte = (char)b;
                if (trainer_add_token(tr, &byte, 1) != rank) return -1;
            }
    int byte_ids[256];
    for (int b = 0; b < 256; b++) byte_ids[b] = tokenizer_byte_rank(b);
    /* words in byte order, so that nothing depends on how the counting was split up */
    counted_word *order = NULL;
    if (rlhf_resize(&order, words_plus_one, sizeof *order) != 0) return -1;
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
    if (pair_map_init(&lists, 1 << 16) != 0) {
        pair_map_free(&lists);
        return -1;
    }
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
    if (rlhf_grow(&tr->merges, &tr->merge_capacity, (size_t)tr->merge_count + 1, sizeof *tr->merges) != 0) return -1;
    tr->merges[tr->merge_count++] = (tokenizer_merge){left, right, result};
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
        if (rlhf_grow(&joined, &joined_capacity, left_length + right_length, 1) != 0) {
            free(joined);
            return -1;
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
        size_t word_count = tr->lists[top.list].count;
        for (size_t i = 0; i < word_count; i++) trainer_merge_word(tr, words[i], left, right, new_token);
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

/* Counts the corpus's words, runs BpeTrainer's merges, adds <|endoftext|> last (rlhf/tokenizer.h). */
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
    pcre2_code *regex = tokenizer_compile_pattern(error);
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
    for (int i = 0; i < tr.merge_count; i++)
        if (tokenizer_add_merge(t, tr.merges[i].left, tr.merges[i].right, tr.merges[i].result) != 0) {
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
