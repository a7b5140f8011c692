/* policy: the language model as a policy. For now: pretraining on a stream of token ids.
 * (Tokenizer, generation and SFT arrive with the policy issue.) */
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

#endif
