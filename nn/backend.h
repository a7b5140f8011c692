/* The compute backend interface: every operation the transformer runs on tensor memory.
 *
 * Model code (nn/gpt.c, nn/adamw.c) never reads or writes tensor memory itself; it computes
 * pointers into the arenas and calls these operations. The CPU backend (nn/cpu/) implements
 * them with cblas and OpenMP; the CUDA backend (nn/cuda/) is a second implementation of the
 * same table, where every pointer is device memory.
 *
 * Conventions, for every op:
 * - Shapes are row-major. N is the number of rows (batch x time), C a width.
 * - Forward ops overwrite their outputs.
 * - Backward ops ADD into every gradient they produce (inputs' and weights' gradients), so
 *   one buffer can collect gradients from several uses and from several micro-batches;
 *   callers zero gradient buffers when a new accumulation begins.
 */
#ifndef RLHF_NN_BACKEND_H
#define RLHF_NN_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "rlhf/nn.h"

struct nn_backend {
    const char *name;

    /* Memory. alloc returns zeroed memory or NULL. */
    void *(*alloc)(size_t bytes);
    void (*free)(void *memory);
    void (*upload)(void *device_destination, const void *host_source, size_t bytes);
    void (*download)(void *host_destination, const void *device_source, size_t bytes);
    void (*zero)(float *x, size_t n);
    void (*copy)(float *destination, const float *source, size_t n);

    /* out[n,:] = wte[tokens[n],:] + wpe[positions[n],:] */
    void (*embedding_forward)(float *out, const int *tokens, const int *positions,
                              const float *wte, const float *wpe, int N, int C);
    void (*embedding_backward)(float *dwte, float *dwpe, const float *dout, const int *tokens,
                               const int *positions, int N, int C);

    /* out = (inp - mean) * rstd * weight + bias per row; saves mean and rstd [N]. */
    void (*layernorm_forward)(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, int N, int C, float epsilon);
    /* sum = a + b, then out = layernorm_forward(sum): a residual add and the LayerNorm that
     * reads it in one pass (one launch instead of two on a GPU); the same values as the
     * two ops one after the other. */
    void (*residual_layernorm_forward)(float *sum, float *out, float *mean, float *rstd, const float *a,
                                       const float *b, const float *weight, const float *bias, int N, int C,
                                       float epsilon);
    void (*layernorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, int N, int C);

    /* out[N,OC] = inp[N,C] . W + bias, where W is stored [C,OC] (NN_WEIGHT_IN_OUT, Hugging
     * Face Conv1D) or [OC,C] (NN_WEIGHT_OUT_IN, nn.Linear and the tied embedding). bias may
     * be NULL; in backward dbias may be NULL and dinp may be NULL (input needs no gradient). */
    void (*matmul_forward)(float *out, const float *inp, const float *weight, const float *bias,
                           int N, int C, int OC, nn_weight_layout layout);
    void (*matmul_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, int N, int C, int OC,
                            nn_weight_layout layout);

    /* Causal multi-head attention. qkv [B,T,3C] holds q, k, v for each position; key_mask
     * [B,T] is 1 for real tokens and 0 for padding (keys that are padding get no weight;
     * a query with no visible key outputs zeros). probs [B,NH,T,T] keeps the softmax for
     * backward. out [B,T,C]. scratch is [B,NH,T,T] for backward's use. With dropout > 0
     * the probabilities are dropped out (as Hugging Face's attn_dropout) with a mask that
     * is a function of (seed, index into probs), like the dropout op; probs keeps the
     * undropped softmax, and backward regenerates the mask from the same seed. */
    void (*attention_forward)(float *out, float *probs, const float *qkv, const int *key_mask,
                              int B, int T, int C, int NH, float dropout, uint64_t seed);
    void (*attention_backward)(float *dqkv, float *scratch, const float *dout, const float *qkv,
                               const float *probs, int B, int T, int C, int NH, float dropout,
                               uint64_t seed);

    /* Attention for inference with a key/value cache. key_cache and value_cache are
     * [B, NH, max_len, hs]; positions [0, past) already hold earlier keys and values. The
     * T new positions' keys and values (from qkv [B,T,3C]) are first written at
     * [past, past + T), then each new query t attends causally to cache positions
     * [0, past + t] whose key_mask [B, max_len] entry is 1. out [B,T,C]. */
    void (*attention_cached)(float *out, const float *qkv, float *key_cache, float *value_cache,
                             const int *key_mask, int B, int T, int past, int max_len, int C,
                             int NH);

    /* out[i,:] = inp[rows[i],:] for i < count (rows of width C). */
    void (*gather_rows)(float *out, const float *inp, const int *rows, int count, int C);

    /* Draws one token per row of logits [B,V] from softmax(logits / temperature) restricted
     * to the top_k most likely tokens (0: all) and to the smallest set whose probability
     * reaches top_p (1: all), using uniforms[b] in [0, 1) as the random number, so the host
     * owns the RNG and every backend draws the same tokens. temperature 0 means greedy.
     * logprobs[b] is the chosen token's log-probability under that (renormalised)
     * distribution (0 for greedy). tokens and logprobs are backend memory. */
    void (*sample_tokens)(int *tokens, float *logprobs, const float *logits,
                          const float *uniforms, int B, int V, float temperature, int top_k,
                          float top_p);

    /* GELU, tanh form (Hugging Face "gelu_new"). */
    void (*gelu_forward)(float *out, const float *inp, size_t n);
    void (*gelu_backward)(float *dinp, const float *inp, const float *dout, size_t n);

    /* out = a + b */
    void (*add)(float *out, const float *a, const float *b, size_t n);
    /* destination += source */
    void (*accumulate)(float *destination, const float *source, size_t n);
    /* x *= factor */
    void (*scale)(float *x, float factor, size_t n);

    /* Inverted dropout in place: each element is zeroed with probability p or scaled by
     * 1/(1-p). The mask is a pure function of (seed, index), so backward (the same call on
     * the gradient) regenerates it instead of storing it. */
    void (*dropout)(float *x, size_t n, float p, uint64_t seed);

    /* logprobs[n] = log_softmax(logits[n,:] / temperature)[targets[n]]; 0 where
     * targets[n] < 0. */
    void (*target_logprobs)(float *logprobs, const float *logits, const int *targets, int N,
                            int V, float temperature);
    /* entropies[n] = H(softmax(logits[n,:] / temperature)) = log Z - sum_i p_i z_i over the
     * scaled logits z; 0 where targets[n] < 0 (PPO's entropy statistic, computed where the
     * logits are instead of copying N x V floats to the host). */
    void (*target_entropies)(float *entropies, const float *logits, const int *targets, int N,
                             int V, float temperature);
    /* Overwrites logits [N,V] with the gradient of sum_n dlogprobs[n] * logprobs[n] with
     * respect to them (rows whose target is < 0 become zero). */
    void (*target_logprobs_backward)(float *logits, const float *dlogprobs, const int *targets,
                                     int N, int V, float temperature);

    /* Sum of squares, accumulated in double and returned to the host. */
    double (*sum_squares)(const float *x, size_t n);

    /* One AdamW step on n parameters (Loshchilov and Hutter): the gradient is first
     * multiplied by grad_scale (clipping), weight decay is decoupled, and
     * bias_correction1/2 are 1 - beta^t. */
    void (*adamw_update)(float *param, const float *grad, float *m, float *v, size_t n,
                         float learning_rate, float beta1, float beta2, float epsilon,
                         float weight_decay, float bias_correction1, float bias_correction2,
                         float grad_scale);

    /* Reports, and clears, the failure of an op that ran on the calling thread since the last
     * call: -1 with error set, or 0. Ops return nothing (a GPU runs them after they return),
     * so one that can fail records it here and leaves its main output zeroed (out, or the
     * tokens; attention_forward's probs are then not written); the model checks
     * after each pass and returns the error. The CPU backend's attention_forward (with
     * dropout), attention_cached and sample_tokens fail only when the host has no memory
     * for their scratch. NULL for a backend whose ops cannot fail this way (CUDA's device
     * errors are fatal instead). */
    int (*take_failure)(rlhf_error *error);
};

/* The CPU backend (nn/cpu/cpu_backend.c). */
const nn_backend *nn_cpu_backend(void);

#endif
