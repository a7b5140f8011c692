/* collect: the data-collection half of the loop, joining the policy, the store and the demo
 * task: sampling completions of stored prompts into the labeling queue, and the scripted
 * annotator that labels the queue with the demo's gold preference. */
#ifndef RLHF_COLLECT_H
#define RLHF_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "rlhf/nn.h"
#include "rlhf/policy.h"
#include "rlhf/store.h"

/* FNV-1a (64-bit, hex) of a model directory's config.json and model.safetensors: which
 * model wrote a completion, by content. */
int collect_model_hash(const char *model_dir, char hash[17], rlhf_error *error);

/* Checks sampling settings as rlhf generate and rlhf sample both take them: temperature a
 * finite number >= 0, top_k >= 0, top_p in (0, 1], max_new_tokens >= 1 and, when
 * n_positions > 0 (the model's context), at most n_positions - 1, since every prompt starts
 * with <|endoftext|>. The messages name the command-line options (--temperature, ...). */
int collect_check_sampling(const policy_sampling *sampling, int n_positions, rlhf_error *error);

typedef struct collect_generate_options {
    const char *model_dir;
    int per_prompt;             /* K completions per prompt (>= 2 to queue pairs) */
    int prompt_limit;           /* prompts to use at most (0: all that lack completions from this model;
                                   prompts skipped for length do not count) */
    int batch_prompts;          /* prompts per generation batch (each contributes K rows) */
    policy_sampling sampling;   /* temperature, top-k, top-p, max_new_tokens, seed */
    store_queue_options queue;  /* pairing, overlap, seed */
    /* STORE_PAIRS_CLOSEST: the reward model that scores each completion (with its
     * tokenizer, the policy's), so the pair it is least sure of is queued */
    gpt_model *select_reward;
} collect_generate_options;

/* A stored prompt too long for the model's context with max_new_tokens more. */
typedef struct collect_skipped_prompt {
    int64_t id;                 /* its row in the store */
    char *external_id;          /* the "id" it was imported with (NULL when none) */
    int tokens;                 /* its length, <|endoftext|> included */
} collect_skipped_prompt;

typedef struct collect_generate_result {
    int prompts;
    long completions, pairs;
    long identical_pairs;       /* pairs not queued: both completions the same text */
    int64_t model_id;           /* 0 when the model is not registered (nothing to sample) */
    int skipped_count;          /* prompts left out because they cannot fit */
    int taken_by_another_run;   /* prompts another generate run sampled first: nothing added */
    collect_skipped_prompt *skipped;
} collect_generate_result;

/* Frees the result's list of skipped prompts. */
void collect_generate_result_free(collect_generate_result *result);

typedef void (*collect_progress)(int prompts_done, int prompts_total, void *user);

/* Samples K completions for each stored prompt that has none from this model yet and
 * queues their pairs (one transaction per batch, so an interrupted run keeps whole batches).
 * Everything is checked before the first write: the options, and every prompt's length; a
 * prompt whose tokens plus max_new_tokens exceed the model's positions is skipped and listed
 * in result->skipped (free the result with collect_generate_result_free, also after a
 * failure, when result->prompts says how many prompts' batches were committed). The model
 * is registered with the first batch, so a run that writes nothing leaves no row. */
int collect_generate(store *db, gpt_model *model, const struct tokenizer *tokenizer,
                     const collect_generate_options *options, collect_progress progress, void *user,
                     collect_generate_result *result, rlhf_error *error);

typedef struct collect_oracle_options {
    const char *name;      /* the scorer: "sentiment" (the demo's gold score) */
    double noise;          /* Bradley-Terry temperature; 0 = always the higher gold score */
    long limit;            /* pairs to label at most (0: the whole queue) */
    uint64_t seed;
} collect_oracle_options;

typedef struct collect_oracle_result {
    long labeled, a, b, ties;
    int64_t annotator_id;
} collect_oracle_result;

/* Labels the queue as annotator "oracle:NAME" through the same store calls as the app:
 * for each pair, P(left wins) = sigmoid((gold_left - gold_right) / noise) (T = 0: the higher
 * score wins, equal scores tie); strength from the score gap (< 0.1 negligibly, < 0.3
 * slightly, < 0.6 better, else significantly). */
int collect_oracle_label(store *db, const collect_oracle_options *options, collect_oracle_result *result,
                         rlhf_error *error);

/* The gold score of a text under a named oracle (NAN and an error for an unknown name). */
int collect_oracle_score(const char *name, const char *text, double *score, rlhf_error *error);

#endif
