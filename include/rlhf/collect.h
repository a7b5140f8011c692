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

typedef struct collect_generate_options {
    const char *model_dir;
    int per_prompt;             /* K completions per prompt (>= 2 to queue pairs) */
    int prompt_limit;           /* prompts to use at most (0: all that lack completions from this model) */
    int batch_prompts;          /* prompts per generation batch (each contributes K rows) */
    policy_sampling sampling;   /* temperature, top-k, top-p, max_new_tokens, seed */
    store_queue_options queue;  /* pairing, overlap, seed */
} collect_generate_options;

typedef struct collect_generate_result {
    int prompts;
    long completions, pairs;
    int64_t model_id;
} collect_generate_result;

typedef void (*collect_progress)(int prompts_done, int prompts_total, void *user);

/* Samples K completions for each stored prompt that has none from this model yet and
 * queues their pairs (one transaction per batch, so an interrupted run keeps whole batches). */
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
