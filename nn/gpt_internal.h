/* Internal to nn/: what the model's two source files (nn/gpt.c, nn/gpt_cached.c) share. */
#ifndef RLHF_NN_GPT_INTERNAL_H
#define RLHF_NN_GPT_INTERNAL_H

#include <stdbool.h>

#include "nn/backend.h"
#include "rlhf/nn.h"

/* Whether a B x T batch fits the reserved arena (rows, positions and attention cells). */
bool gpt_batch_fits(const gpt_model *model, int B, int T);

/* Gives a scalar-head model its max_tokens x V logits the first time a forward runs the LM
 * head (the activation layout leaves them out of its arena). 0, or -1 with error set. */
int gpt_ensure_logits(gpt_model *model, rlhf_error *error);

/* sum = a + b at the end of layer l (N rows), normalised in the same pass by the LayerNorm
 * that reads it next: the next layer's ln_1 into next's buffers, or ln_f after the last
 * layer. */
void gpt_residual_then_next_layernorm(gpt_model *model, int l, float *sum, const float *a, const float *b, int N,
                                      gpt_layer_activations *next);

/* The failure of a backend op since the last check (see nn_backend.take_failure): -1 with
 * error set, or 0. error may be NULL, to clear a failure that is not the caller's. */
static inline int gpt_backend_check(const nn_backend *backend, rlhf_error *error) {
    return backend->take_failure ? backend->take_failure(error) : 0;
}

#endif
