/* Plain double-precision reference implementations of every layer, written for clarity
 * only. Tests compare the engine's float kernels against them, and take finite-difference
 * gradients of them in double precision. */
#ifndef RLHF_TESTS_REFERENCE_H
#define RLHF_TESTS_REFERENCE_H

#include <stddef.h>

#include "rlhf/nn.h"

void reference_embedding(double *out, const int *tokens, const int *positions, const double *wte,
                         const double *wpe, int N, int C);
void reference_layernorm(double *out, const double *inp, const double *weight, const double *bias,
                         int N, int C, double epsilon);
/* out[N,OC] = inp[N,C] W (+ bias), W [C,OC] or [OC,C] by layout. */
void reference_matmul(double *out, const double *inp, const double *weight, const double *bias,
                      int N, int C, int OC, nn_weight_layout layout);
/* dropout_multipliers [B,NH,T,T] (or NULL) scale each attention weight after the softmax. */
void reference_attention(double *out, const double *qkv, const int *key_mask, int B, int T, int C,
                         int NH, const float *dropout_multipliers);
void reference_gelu(double *out, const double *inp, size_t n);
/* log_softmax(logits / temperature)[target], 0 where target < 0. */
/* Entropy of softmax(logits[n] / temperature) per row, straight from -sum p log p; 0 where
 * targets[n] < 0. */
void reference_target_entropies(double *entropies, const double *logits, const int *targets, int N, int V,
                                 double temperature);
void reference_target_logprobs(double *logprobs, const double *logits, const int *targets, int N,
                               int V, double temperature);

/* A whole GPT-2 in double, parameters in the engine's arena layout (model->tensors). Returns
 * the objective sum_n w_logprob[n] * logprob[n] + sum_n w_value[n] * value[n] and, if the
 * pointers are non-NULL, the log-probs, values [N] and logits [N,V]. */
double reference_gpt_objective(const gpt_model *layout, const double *params, const int *tokens,
                               const int *attention_mask, const int *targets, int B, int T,
                               double temperature, const double *w_logprob, const double *w_value,
                               double *logprobs, double *values, double *logits);

/* Loads the fixture model fixtures_dir/gpt2/lm_small on backend, runs greedy generation on
 * the prompts of its generate.json (written by tests/fixtures/make_gpt2_fixture.py from
 * Hugging Face's generate) and returns how many tokens differ from Hugging Face's (a length
 * difference counts each missing or extra token), or -1 when loading (error says why), the
 * fixture or generation fails. out receives the generation (free it with
 * policy_generation_free) and *eos_id the fixture's end-of-text id. */
struct policy_generation;
int greedy_fixture_mismatches(const nn_backend *backend, const char *fixtures_dir, struct policy_generation *out,
                              int *eos_id, rlhf_error *error);

/* Largest |a - b| over the largest |b| (a float array against a double one). */
double relative_error(const float *a, const double *b, size_t n);
double relative_error_float(const float *a, const float *b, size_t n);

/* Fills x with normal(0, std) values from a fixed seed. */
void random_fill(float *x, size_t n, float std, unsigned long long seed);
void to_double(double *out, const float *in, size_t n);

#endif
