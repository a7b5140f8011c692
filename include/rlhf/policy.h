/* policy: the language model as a policy: batched generation with a KV cache, pretraining
 * on a token stream, supervised fine-tuning. The tokenizer is in rlhf/tokenizer.h. */
#ifndef RLHF_POLICY_H
#define RLHF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlhf/nn.h"

typedef struct policy_pretrain_options {
    const char *out_dir;          /* model directory written at checkpoints and at the end */
    gpt_config config;            /* used when starting fresh */
    int batch_size, seq_len;
    int steps;                    /* total optimizer steps */
    nn_lr_schedule schedule;
    nn_adamw_config adamw;
    int eval_every;               /* steps between validation runs (0: only at the end) */
    int eval_windows;             /* validation windows of seq_len tokens per run */
    int save_every;               /* steps between checkpoints (0: only at the end) */
    float validation_fraction;    /* tail of the stream held out */
    uint64_t seed;
    int stop_after;               /* end this run after this many steps, with a checkpoint (0: run to steps) */
    bool resume;                  /* continue from out_dir's model and training state */
} policy_pretrain_options;

/* What the loop reports after each step (val_loss < 0 when not evaluated this step). */
typedef struct policy_pretrain_report {
    int step, steps;
    float train_loss, val_loss, learning_rate, grad_norm;
    double tokens_per_second;
    bool checkpoint_saved;
} policy_pretrain_report;

typedef void (*policy_pretrain_callback)(const policy_pretrain_report *report, void *user);

typedef struct policy_pretrain_result {
    float first_train_loss, final_train_loss, final_val_loss;
    int steps_run, start_step;
    size_t parameter_count;
    long train_tokens, val_tokens;
    double tokens_per_second;
} policy_pretrain_result;

/* Trains a GPT-2 on the token stream ids[0 .. count) (next-token prediction on random
 * windows of seq_len + 1 tokens), holding out the tail for validation, saving the model
 * and its training state to out_dir. With resume, loads both and continues so that the
 * result equals an uninterrupted run with the same options. */
int policy_pretrain(const int *ids, size_t count, const policy_pretrain_options *options,
                    const nn_backend *backend, policy_pretrain_callback callback, void *user,
                    policy_pretrain_result *result, rlhf_error *error);

/* ---------------------------------------------------------------- generation */

typedef struct policy_sampling {
    float temperature;     /* 0 = greedy */
    int top_k;             /* keep the k most likely tokens; 0 = all */
    float top_p;           /* keep the smallest set with this much probability; 1 = all */
    int max_new_tokens;
    uint64_t seed;         /* sequence b draws from its own stream seeded by (seed, b) */
    int eos_id;            /* stop at this token (-1: never) */
    /* Optional: a sequence stops when this returns true for its tokens so far (stop strings). */
    bool (*should_stop)(const int *generated, int count, void *user);
    void *user;
} policy_sampling;

typedef enum policy_stop_reason {
    POLICY_STOP_LENGTH,    /* reached max_new_tokens */
    POLICY_STOP_EOS,       /* sampled eos_id (included in the tokens) */
    POLICY_STOP_CALLBACK,  /* should_stop said so (the completing token is included) */
} policy_stop_reason;

typedef struct policy_generation {
    int batch_size, max_new_tokens;
    int *tokens;           /* [B * max_new_tokens]: row b's first lengths[b] entries are its tokens */
    float *logprobs;       /* [B * max_new_tokens]: log-probability of each sampled token under
                              the distribution it was drawn from (0 for greedy) */
    int *lengths;          /* [B] */
    policy_stop_reason *stop_reasons; /* [B] */
} policy_generation;

/* Continues count prompts (prompts[i] has prompt_lengths[i] ids; an empty prompt starts
 * from eos_id) in one batch: left-padded prefill, then one cached step per new token.
 * Fails if a prompt plus max_new_tokens exceeds the model's n_positions. */
int policy_generate(gpt_model *model, const int *const *prompts, const int *prompt_lengths, int count,
                    const policy_sampling *sampling, policy_generation *out, rlhf_error *error);
void policy_generation_free(policy_generation *generation);

#endif
