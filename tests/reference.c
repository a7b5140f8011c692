/* Double-precision references (see reference.h). Deliberately naive: one loop nest per
 * formula, no reuse, no tricks. */
#include "tests/reference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "rlhf/util.h"

void reference_embedding(double *out, const int *tokens, const int *positions, const double *wte,
                         const double *wpe, int N, int C) {
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) out[n * C + c] = wte[tokens[n] * C + c] + wpe[positions[n] * C + c];
}

void reference_layernorm(double *out, const double *inp, const double *weight, const double *bias,
                         int N, int C, double epsilon) {
    for (int n = 0; n < N; n++) {
        const double *x = inp + (size_t)n * C;
        double mean = 0, variance = 0;
        for (int c = 0; c < C; c++) mean += x[c] / C;
        for (int c = 0; c < C; c++) variance += (x[c] - mean) * (x[c] - mean) / C;
        for (int c = 0; c < C; c++)
            out[n * C + c] = (x[c] - mean) / sqrt(variance + epsilon) * weight[c] + bias[c];
    }
}

void reference_matmul(double *out, const double *inp, const double *weight, const double *bias,
                      int N, int C, int OC, nn_weight_layout layout) {
    for (int n = 0; n < N; n++)
        for (int o = 0; o < OC; o++) {
            double sum = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++)
                sum += inp[n * C + c] * (layout == NN_WEIGHT_IN_OUT ? weight[c * OC + o] : weight[o * C + c]);
            out[n * OC + o] = sum;
        }
}

void reference_attention(double *out, const double *qkv, const int *key_mask, int B, int T, int C,
                         int NH, const float *dropout_multipliers) {
    int hs = C / NH;
    double *weights = malloc(sizeof(double) * T);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const double *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double max_score = -INFINITY;
                for (int j = 0; j <= t; j++) {
                    weights[j] = -INFINITY;
                    if (!key_mask[b * T + j]) continue;
                    const double *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * hs;
                    double score = 0;
                    for (int i = 0; i < hs; i++) score += q[i] * k[i];
                    weights[j] = score / sqrt((double)hs);
                    if (weights[j] > max_score) max_score = weights[j];
                }
                double *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0;
                if (max_score == -INFINITY) continue;
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    weights[j] = key_mask[b * T + j] ? exp(weights[j] - max_score) : 0.0;
                    sum += weights[j];
                }
                for (int j = 0; j <= t; j++) {
                    const double *v = qkv + ((size_t)b * T + j) * 3 * C + 2 * C + h * hs;
                    double multiplier = dropout_multipliers ? dropout_multipliers[(((size_t)b * NH + h) * T + t) * T + j] : 1.0;
                    for (int i = 0; i < hs; i++) o[i] += weights[j] / sum * multiplier * v[i];
                }
            }
    free(weights);
}

void reference_gelu(double *out, const double *inp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        out[i] = 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    }
}

void reference_target_entropies(double *entropies, const double *logits, const int *targets, int N, int V,
                                 double temperature) {
    double *p = malloc(sizeof(double) * (size_t)V);
    for (int n = 0; n < N; n++) {
        entropies[n] = 0;
        if (targets[n] < 0) continue;
        const double *row = logits + (size_t)n * V;
        double max_value = -INFINITY, sum = 0;
        for (int v = 0; v < V; v++) max_value = fmax(max_value, row[v] / temperature);
        for (int v = 0; v < V; v++) sum += p[v] = exp(row[v] / temperature - max_value);
        for (int v = 0; v < V; v++) /* -sum p log p, term by term */
            if (p[v] > 0) entropies[n] -= p[v] / sum * log(p[v] / sum);
    }
    free(p);
}

void reference_target_logprobs(double *logprobs, const double *logits, const int *targets, int N,
                               int V, double temperature) {
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) {
            logprobs[n] = 0;
            continue;
        }
        const double *row = logits + (size_t)n * V;
        double max_value = -INFINITY, sum = 0;
        for (int v = 0; v < V; v++) max_value = fmax(max_value, row[v] / temperature);
        for (int v = 0; v < V; v++) sum += exp(row[v] / temperature - max_value);
        logprobs[n] = row[targets[n]] / temperature - max_value - log(sum);
    }
}

double reference_gpt_objective(const gpt_model *layout, const double *params, const int *tokens,
                               const int *attention_mask, const int *targets, int B, int T,
                               double temperature, const double *w_logprob, const double *w_value,
                               double *logprobs_out, double *values_out, double *logits_out) {
    const gpt_config *cfg = &layout->config;
    int C = cfg->n_embd, V = cfg->vocab_size, N = B * T;
    int *positions = malloc(sizeof(int) * N), *mask = malloc(sizeof(int) * N);
    for (int n = 0; n < N; n++) mask[n] = attention_mask ? attention_mask[n] != 0 : 1;
    gpt_position_ids(mask, B, T, positions);
#define P(name) (params + gpt_find_tensor(layout, name)->offset)
    double *x = malloc(sizeof(double) * N * C), *ln = malloc(sizeof(double) * N * C);
    double *qkv = malloc(sizeof(double) * N * 3 * C), *att = malloc(sizeof(double) * N * C);
    double *proj = malloc(sizeof(double) * N * C), *fc = malloc(sizeof(double) * N * 4 * C);
    double *gelu = malloc(sizeof(double) * N * 4 * C);
    double *logits = calloc((size_t)N * V, sizeof(double)), *logprobs = calloc((size_t)N, sizeof(double));
    double *values = malloc(sizeof(double) * N);
    reference_embedding(x, tokens, positions, P("wte.weight"), P("wpe.weight"), N, C);
    char name[64];
    for (int l = 0; l < cfg->n_layer; l++) {
#define LP(suffix) (snprintf(name, sizeof name, "h.%d.%s", l, suffix), P(name))
        reference_layernorm(ln, x, LP("ln_1.weight"), LP("ln_1.bias"), N, C, cfg->layer_norm_epsilon);
        reference_matmul(qkv, ln, LP("attn.c_attn.weight"), LP("attn.c_attn.bias"), N, C, 3 * C, NN_WEIGHT_IN_OUT);
        reference_attention(att, qkv, mask, B, T, C, cfg->n_head, NULL);
        reference_matmul(proj, att, LP("attn.c_proj.weight"), LP("attn.c_proj.bias"), N, C, C, NN_WEIGHT_IN_OUT);
        for (int i = 0; i < N * C; i++) x[i] += proj[i];
        reference_layernorm(ln, x, LP("ln_2.weight"), LP("ln_2.bias"), N, C, cfg->layer_norm_epsilon);
        reference_matmul(fc, ln, LP("mlp.c_fc.weight"), LP("mlp.c_fc.bias"), N, C, 4 * C, NN_WEIGHT_IN_OUT);
        reference_gelu(gelu, fc, (size_t)N * 4 * C);
        reference_matmul(proj, gelu, LP("mlp.c_proj.weight"), LP("mlp.c_proj.bias"), N, 4 * C, C, NN_WEIGHT_IN_OUT);
        for (int i = 0; i < N * C; i++) x[i] += proj[i];
#undef LP
    }
    reference_layernorm(ln, x, P("ln_f.weight"), P("ln_f.bias"), N, C, cfg->layer_norm_epsilon);
    reference_matmul(logits, ln, P("wte.weight"), NULL, N, C, V, NN_WEIGHT_OUT_IN);
    int *no_targets = NULL;
    if (!targets) {
        no_targets = malloc(sizeof(int) * N);
        for (int n = 0; n < N; n++) no_targets[n] = -1;
    }
    reference_target_logprobs(logprobs, logits, targets ? targets : no_targets, N, V, temperature);
    double objective = 0;
    for (int n = 0; n < N; n++) objective += w_logprob ? w_logprob[n] * logprobs[n] : 0.0;
    if (cfg->has_score_head) {
        reference_matmul(values, ln, P("score.weight"), NULL, N, C, 1, NN_WEIGHT_OUT_IN);
        for (int n = 0; n < N; n++) objective += w_value ? w_value[n] * values[n] : 0.0;
        if (values_out) memcpy(values_out, values, sizeof(double) * N);
    }
#undef P
    if (logprobs_out) memcpy(logprobs_out, logprobs, sizeof(double) * N);
    if (logits_out) memcpy(logits_out, logits, sizeof(double) * N * V);
    free(no_targets);
    free(positions);
    free(mask);
    free(x);
    free(ln);
    free(qkv);
    free(att);
    free(proj);
    free(fc);
    free(gelu);
    free(logits);
    free(logprobs);
    free(values);
    return objective;
}

double relative_error(const float *a, const double *b, size_t n) {
    double max_difference = 0, max_reference = 0;
    for (size_t i = 0; i < n; i++) {
        max_difference = fmax(max_difference, fabs((double)a[i] - b[i]));
        max_reference = fmax(max_reference, fabs(b[i]));
    }
    return max_reference > 0 ? max_difference / max_reference : max_difference;
}

double relative_error_float(const float *a, const float *b, size_t n) {
    double max_difference = 0, max_reference = 0;
    for (size_t i = 0; i < n; i++) {
        max_difference = fmax(max_difference, fabs((double)a[i] - (double)b[i]));
        max_reference = fmax(max_reference, fabs((double)b[i]));
    }
    return max_reference > 0 ? max_difference / max_reference : max_difference;
}

void random_fill(float *x, size_t n, float std, unsigned long long seed) {
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) x[i] = std * (float)rlhf_rng_normal(&rng);
}

void to_double(double *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = in[i];
}
