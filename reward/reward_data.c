/* The reward model's data: comparisons from the store, tokenized and split. */
#include "rlhf/reward.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/tokenizer.h"

/* The Bradley-Terry margin m for a label of this strength (0..4; anything else: 0), as in
 * loss = -log sigmoid(r_chosen - r_rejected - m). */
double reward_margin_for_strength(int strength) {
    static const double margins[5] = {0.0, 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0};
    return strength >= 0 && strength <= 4 ? margins[strength] : 0.0;
}

/* FNV-1a of a text. */
static uint64_t text_hash(const char *text) { return rlhf_fnv1a(RLHF_FNV1A_START, text, strlen(text)); }

/* splitmix64's finaliser: mixes a hash well enough to take it modulo 100 for the split. */
static uint64_t mix(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Whether the prompt falls in the held-out validation_percent: mix(FNV-1a(prompt)) % 100. */
bool reward_prompt_held_out(const char *prompt, int validation_percent) {
    return mix(text_hash(prompt)) % 100 < (uint64_t)validation_percent;
}

/* [eos] prompt response [eos] as a malloc'd sequence of at most max_length ids, cutting the
 * prompt from its start first, then the leading eos, then the response's end; trailing
 * pad_token_id (>= 0) dropped. Counts cuts into *cut_prompts / *cut_responses (may be NULL). */
int reward_build_sequence(const tokenizer *tok, const char *prompt, const char *response, int max_length,
                          int pad_token_id, int **out, int *length, long *cut_prompts, long *cut_responses,
                          rlhf_error *error) {
    int *p, *r;
    size_t np, nr;
    if (tokenizer_encode(tok, prompt, strlen(prompt), false, &p, &np, error) != 0) return -1;
    if (tokenizer_encode(tok, response, strlen(response), false, &r, &nr, error) != 0) {
        free(p);
        return -1;
    }
    int eos = tokenizer_eos_id(tok);
    int head = eos >= 0, tail = eos >= 0;
    long total = head + (long)np + (long)nr + tail;
    size_t keep_prompt = np, keep_response = nr;
    if (total > max_length) {
        long excess = total - max_length;
        size_t from_prompt = (size_t)excess < np ? (size_t)excess : np;
        keep_prompt = np - from_prompt;
        excess -= (long)from_prompt;
        if (from_prompt > 0 && cut_prompts) (*cut_prompts)++;
        if (excess > 0) { /* the response alone does not fit: drop the leading eos, then cut the response */
            if (head) excess--;
            head = 0;
            if (excess > 0) {
                keep_response = nr - (size_t)excess;
                if (cut_responses) (*cut_responses)++;
            }
        }
    }
    int n = head + (int)keep_prompt + (int)keep_response + tail;
    int *sequence = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (!sequence) {
        free(p);
        free(r);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    int at = 0;
    if (head) sequence[at++] = eos;
    memcpy(sequence + at, p + (np - keep_prompt), sizeof(int) * keep_prompt);
    at += (int)keep_prompt;
    memcpy(sequence + at, r, sizeof(int) * keep_response);
    at += (int)keep_response;
    if (tail) sequence[at++] = eos;
    free(p);
    free(r);
    while (pad_token_id >= 0 && n > 1 && sequence[n - 1] == pad_token_id) n--;
    *out = sequence;
    *length = n;
    return 0;
}

/* Drops trailing padding when the model's config names a pad token (as transformers reads). */
void reward_data_options_for_model(reward_data_options *options, const gpt_model *model) {
    options->drop_padding = model->config.pad_token_id >= 0;
    options->pad_token_id = model->config.pad_token_id;
}

/* Index of name in the list, appending a copy if new; -1 with error set when out of memory
 * (the list is left as it was). */
static int annotator_index(reward_dataset *data, const char *name, rlhf_error *error) {
    for (int i = 0; i < data->annotator_count; i++)
        if (strcmp(data->annotators[i], name) == 0) return i;
    char *copy = strdup(name);
    if (!copy || rlhf_resize(&data->annotators, (size_t)data->annotator_count + 1, sizeof *data->annotators) != 0) {
        free(copy);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    data->annotators[data->annotator_count] = copy;
    return data->annotator_count++;
}

/* qsort order of store_preference pointers by pair id. */
static int compare_by_pair(const void *a, const void *b) {
    const store_preference *x = *(store_preference *const *)a, *y = *(store_preference *const *)b;
    return x->pair_id < y->pair_id ? -1 : x->pair_id > y->pair_id;
}

/* Every stored comparison that is not a skip, both-bad or (unless ties_as_equal) a tie, as a
 * tokenized example split by prompt hash, with per-pair annotator agreement. On failure data
 * is freed and zeroed. */
int reward_load_dataset(store *db, const struct tokenizer *tok, const reward_data_options *options,
                        reward_dataset *data, rlhf_error *error) {
    memset(data, 0, sizeof *data);
    data->annotator_agreement = NAN;
    store_preference *all;
    long count;
    if (store_list_preferences(db, 0x1f, &all, &count, error) != 0) return -1;
    /* Agreement per queued pair: group the non-skip labels by pair. */
    store_preference **order = malloc(sizeof *order * (size_t)(count + 1));
    int *agreement = malloc(sizeof(int) * (size_t)(count + 1)); /* by index into all */
    if (!order || !agreement) {
        free(order);
        free(agreement);
        store_preferences_free(all, count);
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    for (long i = 0; i < count; i++) order[i] = &all[i];
    qsort(order, (size_t)count, sizeof *order, compare_by_pair);
    long agreeing = 0, compared = 0;
    for (long first = 0; first < count;) {
        long end = first;
        while (end < count && order[end]->pair_id == order[first]->pair_id) end++;
        int raters = 0;
        bool same = true;
        store_choice seen = STORE_CHOICE_SKIP;
        for (long i = first; i < end; i++) {
            if (order[i]->choice == STORE_CHOICE_SKIP) continue;
            if (raters > 0 && order[i]->choice != seen) same = false;
            seen = order[i]->choice;
            raters++;
        }
        if (order[first]->pair_id != 0)
            for (long i = first; i < end; i++)
                for (long j = i + 1; j < end; j++) {
                    if (order[i]->choice == STORE_CHOICE_SKIP || order[j]->choice == STORE_CHOICE_SKIP) continue;
                    compared++;
                    agreeing += order[i]->choice == order[j]->choice;
                }
        for (long i = first; i < end; i++)
            agreement[order[i] - all] = order[first]->pair_id == 0 || raters < 2 ? -1 : same ? 1 : 0;
        first = end;
    }
    free(order);
    data->agreement_pairs = compared;
    data->annotator_agreement = compared ? (double)agreeing / compared : NAN;

    data->examples = calloc((size_t)(count > 0 ? count : 1), sizeof *data->examples);
    int status = 0;
    if (!data->examples) {
        rlhf_error_set(error, "out of memory");
        status = -1;
    }
    for (long i = 0; i < count && status == 0; i++) {
        store_preference *p = &all[i];
        if (p->choice == STORE_CHOICE_SKIP) { data->left_out_skips++; continue; }
        if (p->choice == STORE_CHOICE_BOTH_BAD) { data->left_out_both_bad++; continue; }
        if (p->choice == STORE_CHOICE_TIE && !options->ties_as_equal) { data->left_out_ties++; continue; }
        reward_example *e = &data->examples[data->count];
        e->comparison_id = p->comparison_id;
        e->pair_id = p->pair_id;
        e->tie = p->choice == STORE_CHOICE_TIE;
        e->strength = p->strength;
        e->annotator = annotator_index(data, p->annotator, error);
        if (e->annotator < 0) {
            status = -1;
            break;
        }
        e->agreement = agreement[i];
        /* Split by prompt, not by comparison: the labels of one pair by several annotators and
         * the pairs of one ranking share texts, and must all fall on the same side. */
        e->validation = reward_prompt_held_out(p->prompt, options->validation_percent);
        int pad = options->drop_padding ? options->pad_token_id : -1;
        status = reward_build_sequence(tok, p->prompt, p->chosen, options->max_length, pad, &e->chosen,
                                       &e->chosen_length, &data->truncated_prompts, &data->truncated_responses, error);
        if (status == 0)
            status = reward_build_sequence(tok, p->prompt, p->rejected, options->max_length, pad,
                                           &e->rejected, &e->rejected_length, &data->truncated_prompts,
                                           &data->truncated_responses, error);
        if (status == 0) {
            e->chosen_text = strdup(p->chosen);
            e->rejected_text = strdup(p->rejected);
            if (!e->chosen_text || !e->rejected_text) {
                rlhf_error_set(error, "out of memory");
                status = -1;
            }
        }
        data->count++; /* even a half-built example, so reward_dataset_free frees its parts */
    }
    free(agreement);
    store_preferences_free(all, count);
    if (status != 0) reward_dataset_free(data);
    return status;
}

/* Frees every example's sequences and texts and the annotator names; leaves data zeroed. */
void reward_dataset_free(reward_dataset *data) {
    for (long i = 0; i < data->count; i++) {
        free(data->examples[i].chosen);
        free(data->examples[i].rejected);
        free(data->examples[i].chosen_text);
        free(data->examples[i].rejected_text);
    }
    for (int i = 0; i < data->annotator_count; i++) free(data->annotators[i]);
    free(data->annotators);
    free(data->examples);
    memset(data, 0, sizeof *data);
}
