/* The CPU backend: every op of nn/backend.h on host memory. Matrix products (including the
 * two inside attention) go through cblas sgemm; the rest are plain loops parallelised with
 * OpenMP, written so that each output element is computed by exactly one thread in a fixed
 * order, which keeps runs bit-for-bit repeatable for a given thread count. */
#include "nn/backend.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* glibc's libmvec has vector versions of these (4 ulp); <math.h> announces them only
 * under -ffast-math, so announce them here and keep IEEE semantics everywhere else. The
 * loops over them are marked `omp simd`, which is what lets GCC call the vector forms. */
float expf(float) __attribute__((simd("notinbranch")));
float tanhf(float) __attribute__((simd("notinbranch")));

#include "nn/backend_math.h" /* after the simd declarations its GELU uses */

/* Columns per task when a loop is split over columns (gradient sums over rows). */
#define COLUMN_BLOCK 64

/* ------------------------------------------------------------------ op failures */

/* The op that last failed on this thread (it could not get host memory for its scratch),
 * until cpu_take_failure reports it. Thread-local: the ops allocate before their parallel
 * regions, on the thread that called them, so two threads running models never mix up
 * their failures. */
static _Thread_local const char *failed_op = NULL;

/* Reports and clears this thread's op failure (see nn_backend.take_failure). */
static int cpu_take_failure(rlhf_error *error) {
    if (!failed_op) return 0;
    rlhf_error_set(error, "out of memory for the scratch of the CPU backend's %s", failed_op);
    failed_op = NULL;
    return -1;
}

/* The scratch the parallel ops share: replaced by a larger block when an op needs more, never
 * shrunk, so a training step or a decode step allocates nothing once the largest shape has
 * been seen (a fresh multi-megabyte block per call would be mapped and faulted in every
 * time). One per calling thread, like failed_op; the ops that use it do not nest. */
static _Thread_local float *scratch_floats = NULL;
static _Thread_local size_t scratch_capacity = 0;

/* The threads a parallel region over `rows` independent rows uses: no more than it has rows,
 * so a scratch sized for the team holds no piece a thread never takes. */
static int team_for(int rows) {
    int threads = omp_get_max_threads();
    return rows < 1 ? 1 : rows < threads ? rows : threads;
}

/* `each` floats for each of the team's threads (thread i takes the floats from i * each; the
 * region must run with num_threads(team)), from the shared scratch, replaced by a larger
 * block before the region (its old contents are dead: nothing is copied) so no thread
 * allocates inside it. NULL, with the failure recorded for op, on overflow or out of memory. */
static float *thread_scratch(size_t each, int team, const char *op) {
    size_t floats, bytes;
    if (!rlhf_size_multiply(each, (size_t)team, &floats) || !rlhf_size_multiply(floats, sizeof(float), &bytes)) {
        failed_op = op;
        return NULL;
    }
    if (floats > scratch_capacity) {
        free(scratch_floats);
        scratch_floats = malloc(bytes);
        scratch_capacity = scratch_floats ? floats : 0;
        if (!scratch_floats) {
            failed_op = op;
            return NULL;
        }
    }
    return scratch_floats;
}

/* This thread's piece of a thread_scratch of `each` floats. */
static float *my_scratch(float *scratch, size_t each) { return scratch + (size_t)omp_get_thread_num() * each; }

/* ------------------------------------------------------------------ memory */

/* Zeroed, 64-byte aligned host memory (for vector loads), or NULL. */
static void *cpu_alloc(size_t bytes) {
    void *memory = NULL;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded == 0) rounded = 64;
    if (posix_memalign(&memory, 64, rounded) != 0) return NULL;
    memset(memory, 0, rounded);
    return memory;
}

/* Frees memory from cpu_alloc (NULL is fine). */
static void cpu_free(void *memory) { free(memory); }

/* Host to "device": a plain copy of bytes (none when 0, so NULL pointers are allowed then). */
static void cpu_upload(void *destination, const void *source, size_t bytes) {
    if (bytes) memcpy(destination, source, bytes);
}

/* "Device" to host: a plain copy of bytes, as cpu_upload. */
static void cpu_download(void *destination, const void *source, size_t bytes) {
    if (bytes) memcpy(destination, source, bytes);
}

/* x[0, n) = 0, in parallel only when large enough to pay for it. */
static void cpu_zero(float *x, size_t n) {
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) x[i] = 0.0f;
}

/* destination[0, n) = source[0, n); the two must not overlap. */
static void cpu_copy(float *destination, const float *source, size_t n) {
    #pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++) destination[i] = source[i];
}

/* ------------------------------------------------------------------ embedding */

/* out[n,:] = wte[tokens[n],:] + wpe[positions[n],:]; ids are trusted (the model checked them). */
static void cpu_embedding_forward(float *out, const int *tokens, const int *positions,
                                  const float *wte, const float *wpe, int N, int C) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *token_row = wte + (size_t)tokens[n] * C;
        const float *position_row = wpe + (size_t)positions[n] * C;
        float *out_row = out + (size_t)n * C;
        for (int c = 0; c < C; c++) out_row[c] = token_row[c] + position_row[c];
    }
}

/* out = wte[token] + wpe[position] is a row lookup, so the gradient scatters back:
 * dwte[tokens[n],:] += dout[n,:] and dwpe[positions[n],:] += dout[n,:]. Rows of dwte/dwpe are
 * shared by repeated tokens, so threads split the columns instead (no two write one element). */
static void cpu_embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                                   const int *positions, int N, int C) {
    #pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += COLUMN_BLOCK) {
        int c1 = c0 + COLUMN_BLOCK < C ? c0 + COLUMN_BLOCK : C;
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * C;
            float *token_row = dwte + (size_t)tokens[n] * C;
            float *position_row = dwpe + (size_t)positions[n] * C;
            for (int c = c0; c < c1; c++) {
                token_row[c] += d[c];
                position_row[c] += d[c];
            }
        }
    }
}

/* ------------------------------------------------------------------ layernorm */

/* LayerNorm of one row x [C] into y, saving its mean and rstd. */
static void layernorm_row(float *y, float *mean, float *rstd, const float *x, const float *weight,
                          const float *bias, int C, float epsilon) {
    float sum = 0.0f;
    #pragma omp simd reduction(+ : sum)
    for (int c = 0; c < C; c++) sum += x[c];
    float m = sum / C;
    float variance = 0.0f;
    #pragma omp simd reduction(+ : variance)
    for (int c = 0; c < C; c++) variance += (x[c] - m) * (x[c] - m);
    float s = 1.0f / sqrtf(variance / C + epsilon);
    for (int c = 0; c < C; c++) y[c] = (x[c] - m) * s * weight[c] + bias[c];
    *mean = m;
    *rstd = s;
}

/* LayerNorm of each of N rows of inp [N,C]; keeps each row's mean and rstd for backward. */
static void cpu_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                                  const float *weight, const float *bias, int N, int C,
                                  float epsilon) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        layernorm_row(out + (size_t)n * C, &mean[n], &rstd[n], inp + (size_t)n * C, weight, bias, C, epsilon);
}

/* sum = a + b row by row, each row normalised while it is in cache. */
static void cpu_residual_layernorm_forward(float *sum, float *out, float *mean, float *rstd, const float *a,
                                           const float *b, const float *weight, const float *bias, int N,
                                           int C, float epsilon) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        size_t row = (size_t)n * C;
        #pragma omp simd
        for (int c = 0; c < C; c++) sum[row + c] = a[row + c] + b[row + c];
        layernorm_row(out + row, &mean[n], &rstd[n], sum + row, weight, bias, C, epsilon);
    }
}

/* For y = xhat * w + b with xhat = (x - mean) * rstd, per row (as llm.c's layernorm_backward):
 *     dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * w,
 *     dw += sum over rows of dy * xhat,  db += sum over rows of dy.
 * (The two means come from differentiating through mean and rstd, which depend on every x
 * of the row.) Rows run in parallel for dx; dw and db are split by columns across threads. */
static void cpu_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                   const float *inp, const float *weight, const float *mean,
                                   const float *rstd, int N, int C) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        const float *d = dout + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        float g_mean = 0.0f, g_xhat_mean = 0.0f;
        #pragma omp simd reduction(+ : g_mean, g_xhat_mean)
        for (int c = 0; c < C; c++) {
            float g = d[c] * weight[c];
            g_mean += g;
            g_xhat_mean += g * (x[c] - m) * s;
        }
        g_mean /= C;
        g_xhat_mean /= C;
        float *dx = dinp + (size_t)n * C;
        for (int c = 0; c < C; c++) {
            float xhat = (x[c] - m) * s;
            dx[c] += s * (d[c] * weight[c] - g_mean - xhat * g_xhat_mean);
        }
    }
    #pragma omp parallel for schedule(static)
    for (int c0 = 0; c0 < C; c0 += COLUMN_BLOCK) {
        int c1 = c0 + COLUMN_BLOCK < C ? c0 + COLUMN_BLOCK : C;
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C;
            const float *d = dout + (size_t)n * C;
            float m = mean[n], s = rstd[n];
            for (int c = c0; c < c1; c++) {
                dweight[c] += d[c] * (x[c] - m) * s;
                dbias[c] += d[c];
            }
        }
    }
}

/* ------------------------------------------------------------------ matmul */

/* out[N,OC] = inp[N,C] . W (+ bias), W stored [C,OC] (Conv1D) or [OC,C] (Linear); one
 * sgemm, with the bias broadcast into out first and added by beta = 1. */
static void cpu_matmul_forward(float *out, const float *inp, const float *weight,
                               const float *bias, int N, int C, int OC, nn_weight_layout layout) {
    float beta = 0.0f;
    if (bias) {
        #pragma omp parallel for schedule(static)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, sizeof(float) * OC);
        beta = 1.0f;
    }
    if (layout == NN_WEIGHT_IN_OUT)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OC, C, 1.0f, inp, C, weight, OC,
                    beta, out, OC);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, OC, C, 1.0f, inp, C, weight, C,
                    beta, out, OC);
}

/* For out = inp . W + bias (llm.c's matmul_backward): dinp += dout . W^T, dW += inp^T . dout
 * (for W stored [OC,C]: dW += dout^T . inp), dbias += the column sums of dout. dinp and dbias
 * may be NULL. */
static void cpu_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                                const float *inp, const float *weight, int N, int C, int OC,
                                nn_weight_layout layout) {
    if (layout == NN_WEIGHT_IN_OUT) {
        if (dinp) /* dinp[N,C] += dout[N,OC] . W[C,OC]^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, C, OC, 1.0f, dout, OC, weight,
                        OC, 1.0f, dinp, C);
        /* dW[C,OC] += inp^T . dout */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, C, OC, N, 1.0f, inp, C, dout, OC,
                    1.0f, dweight, OC);
    } else {
        if (dinp) /* dinp[N,C] += dout[N,OC] . W[OC,C] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, OC, 1.0f, dout, OC,
                        weight, C, 1.0f, dinp, C);
        /* dW[OC,C] += dout^T . inp */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, OC, C, N, 1.0f, dout, OC, inp, C,
                    1.0f, dweight, C);
    }
    if (dbias) {
        #pragma omp parallel for schedule(static)
        for (int c0 = 0; c0 < OC; c0 += COLUMN_BLOCK) {
            int c1 = c0 + COLUMN_BLOCK < OC ? c0 + COLUMN_BLOCK : OC;
            for (int n = 0; n < N; n++) {
                const float *d = dout + (size_t)n * OC;
                for (int c = c0; c < c1; c++) dbias[c] += d[c];
            }
        }
    }
}

/* ------------------------------------------------------------------ attention */

/* Each (sequence, head) pair is independent: threads take whole pairs and call sgemm on
 * them (OpenBLAS runs single-threaded inside an OpenMP region), so attention costs two
 * T x T x hs products forward and four backward, never O(T^3). */
/* Turns one row of attention scores into probabilities over keys [0, last] whose mask entry
 * is 1 (the rest, and everything after last, become 0). A row with no visible key becomes
 * all zeros, so its query outputs zeros. */
static void masked_softmax_row(float *row, const int *mask, int last, int length) {
    float max_score = -INFINITY;
    for (int j = 0; j <= last; j++)
        if (mask[j] && row[j] > max_score) max_score = row[j];
    if (max_score == -INFINITY) {
        memset(row, 0, sizeof(float) * length);
        return;
    }
    float sum = 0.0f;
    #pragma omp simd reduction(+ : sum)
    for (int j = 0; j <= last; j++) {
        /* a select, not a multiply by the mask: a masked score far above max_score would
         * overflow expf to inf, and inf x 0 is NaN */
        float e = mask[j] ? expf(row[j] - max_score) : 0.0f;
        row[j] = e;
        sum += e;
    }
    float inverse = 1.0f / sum;
    for (int j = 0; j <= last; j++) row[j] *= inverse;
    for (int j = last + 1; j < length; j++) row[j] = 0.0f;
}

/* Copies the T x T probabilities of pair bh into dropped, with the dropout mask applied. */
static void drop_probabilities(float *dropped, const float *p, int bh, int T, float dropout, uint64_t seed) {
    uint32_t threshold = nn_dropout_threshold(dropout);
    float keep_scale = 1.0f / (1.0f - dropout);
    size_t base = (size_t)bh * T * T;
    for (size_t i = 0; i < (size_t)T * T; i++) dropped[i] = p[i] * nn_dropout_multiplier(seed, base + i, threshold, keep_scale);
}

/* probs = masked causal softmax(scale Q K^T) per (sequence, head), out = dropout(probs) V.
 * With dropout, each thread's dropped copy of probs lives in one thread_scratch; if that
 * cannot be had, out is zeroed and the failure recorded (cpu_take_failure). */
static void cpu_attention_forward(float *out, float *probs, const float *qkv, const int *key_mask,
                                  int B, int T, int C, int NH, float dropout, uint64_t seed) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    size_t cells = (size_t)T * T;
    float *dropped = NULL;
    int team = team_for(B * NH);
    if (dropout > 0.0f && !(dropped = thread_scratch(cells, team, "attention_forward"))) {
        memset(out, 0, sizeof(float) * (size_t)B * T * C);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(team)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *q = qkv + (size_t)b * T * 3 * C + h * hs;
        const float *k = q + C;
        const float *v = q + 2 * C;
        float *p = probs + (size_t)bh * T * T;
        const int *mask = key_mask + (size_t)b * T;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, 3 * C, k, 3 * C,
                    0.0f, p, T);
        for (int t = 0; t < T; t++) masked_softmax_row(p + (size_t)t * T, mask, t, T);
        float *weights = p;
        if (dropped) {
            weights = my_scratch(dropped, cells);
            drop_probabilities(weights, p, bh, T, dropout, seed);
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, weights, T, v, 3 * C,
                    0.0f, out + (size_t)b * T * C + h * hs, C);
    }
}

/* Backward of cpu_attention_forward, per (sequence, head), with S = scale Q K^T, P = masked
 * softmax(S), W = dropout(P) and O = W V:
 *     dV += W^T dO,   dW = dO V^T,   dP = dropout mask applied to dW,
 *     dS = P * (dP - rowsum(P * dP))   (softmax backward, row by row),
 *     dQ += scale dS K,   dK += scale dS^T Q.
 * scratch [B,NH,T,T] holds first the dropped W, then dP / dS: no memory of its own. */
static void cpu_attention_backward(float *dqkv, float *scratch, const float *dout,
                                   const float *qkv, const float *probs, int B, int T, int C,
                                   int NH, float dropout, uint64_t seed) {
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for schedule(static)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *q = qkv + (size_t)b * T * 3 * C + h * hs;
        const float *k = q + C;
        const float *v = q + 2 * C;
        float *dq = dqkv + (size_t)b * T * 3 * C + h * hs;
        float *dk = dq + C;
        float *dv = dq + 2 * C;
        const float *p = probs + (size_t)bh * T * T;
        const float *d_out = dout + (size_t)b * T * C + h * hs;
        float *ds = scratch + (size_t)bh * T * T;
        /* O = W V with W = P as used forward (dropped out, if dropout is on): dV += W^T . dO.
         * The dropped copy of P is built in ds, which dP overwrites next, so backward needs
         * no memory of its own. */
        const float *weights = p;
        if (dropout > 0.0f) {
            drop_probabilities(ds, p, bh, T, dropout, seed);
            weights = ds;
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, weights, T, d_out, C, 1.0f,
                    dv, 3 * C);
        /* dW = dO . V^T, and dP = dW passed back through the same dropout mask */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, d_out, C, v, 3 * C,
                    0.0f, ds, T);
        if (dropout > 0.0f) {
            uint32_t threshold = nn_dropout_threshold(dropout);
            float keep_scale = 1.0f / (1.0f - dropout);
            size_t base = (size_t)bh * T * T;
            for (size_t i = 0; i < (size_t)T * T; i++) ds[i] *= nn_dropout_multiplier(seed, base + i, threshold, keep_scale);
        }
        /* softmax backward, for P = softmax(S) row by row: dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik)
         * (masked and future entries have P = 0 and get dS = 0) */
        for (int t = 0; t < T; t++) {
            const float *p_row = p + (size_t)t * T;
            float *row = ds + (size_t)t * T;
            float dot = 0.0f;
            #pragma omp simd reduction(+ : dot)
            for (int j = 0; j <= t; j++) dot += p_row[j] * row[j];
            for (int j = 0; j <= t; j++) row[j] = p_row[j] * (row[j] - dot);
            for (int j = t + 1; j < T; j++) row[j] = 0.0f;
        }
        /* S = scale Q K^T: dQ += scale dS . K, dK += scale dS^T . Q */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, scale, ds, T, k, 3 * C,
                    1.0f, dq, 3 * C);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, scale, ds, T, q, 3 * C, 1.0f,
                    dk, 3 * C);
    }
}

/* Inference attention over a key/value cache (see nn/backend.h). Each (sequence, head)
 * pair copies its new keys and values into the cache, then scores its T queries against
 * the past + T cached keys with one sgemm, and mixes the values with another. */
static void cpu_attention_cached(float *out, const float *qkv, float *key_cache, float *value_cache,
                                 const int *key_mask, int B, int T, int past, int max_len, int C,
                                 int NH) {
    int hs = C / NH, total = past + T;
    float scale = 1.0f / sqrtf((float)hs);
    size_t each = (size_t)T * total; /* one query block's scores */
    int team = team_for(B * NH);
    float *scores_scratch = thread_scratch(each, team, "attention_cached");
    if (!scores_scratch) {
        memset(out, 0, sizeof(float) * (size_t)B * T * C);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(team)
    for (int bh = 0; bh < B * NH; bh++) {
        int b = bh / NH, h = bh % NH;
        float *keys = key_cache + (size_t)bh * max_len * hs;
        float *values = value_cache + (size_t)bh * max_len * hs;
        for (int t = 0; t < T; t++) {
            const float *row = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
            memcpy(keys + (size_t)(past + t) * hs, row + C, sizeof(float) * hs);
            memcpy(values + (size_t)(past + t) * hs, row + 2 * C, sizeof(float) * hs);
        }
        const int *mask = key_mask + (size_t)b * max_len;
        float *scores = my_scratch(scores_scratch, each);
        const float *q = qkv + (size_t)b * T * 3 * C + h * hs;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, total, hs, scale, q, 3 * C, keys, hs, 0.0f,
                    scores, total);
        /* query t sits at cache position past + t and sees positions up to it */
        for (int t = 0; t < T; t++) masked_softmax_row(scores + (size_t)t * total, mask, past + t, total);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, total, 1.0f, scores, total, values, hs,
                    0.0f, out + (size_t)b * T * C + h * hs, C);
    }
}

/* out[i,:] = inp[rows[i],:] for the count rows of width C (a handful: serial). */
static void cpu_gather_rows(float *out, const float *inp, const int *rows, int count, int C) {
    for (int i = 0; i < count; i++) memcpy(out + (size_t)i * C, inp + (size_t)rows[i] * C, sizeof(float) * C);
}

/* ------------------------------------------------------------------ sampling */

/* Smallest value threshold such that at least k entries of x are >= it: the k-th largest
 * value (ties at it all count as kept, as with torch.topk followed by masking). Found by
 * bisection over the value range, then snapped to an actual element. */
static float kth_largest(const float *x, int V, int k) {
    float low = INFINITY, high = -INFINITY;
    for (int i = 0; i < V; i++) {
        low = x[i] < low ? x[i] : low;
        high = x[i] > high ? x[i] : high;
    }
    /* invariant: count(x >= low) >= k; count(x >= above) < k for any above > high */
    for (int iteration = 0; iteration < 64 && low < high; iteration++) {
        float middle = low + (high - low) * 0.5f;
        if (middle <= low || middle >= high) break;
        int count = 0;
        for (int i = 0; i < V; i++) count += x[i] >= middle;
        if (count >= k) low = middle;
        else high = middle;
    }
    /* snap to the smallest element >= low so that the threshold is a real value */
    float threshold = INFINITY;
    for (int i = 0; i < V; i++)
        if (x[i] >= low && x[i] < threshold) threshold = x[i];
    return threshold;
}

/* Largest probability threshold tau such that the entries of p >= tau carry at least
 * top_p of the mass: the nucleus of top-p sampling, found by bisection (no sort). */
static float nucleus_threshold(const float *p, int V, float top_p) {
    float low = 0.0f, high = 1.0f;
    for (int iteration = 0; iteration < 40; iteration++) {
        float middle = 0.5f * (low + high);
        double mass = 0.0;
        for (int i = 0; i < V; i++) mass += p[i] >= middle ? p[i] : 0.0f;
        if (mass >= top_p) low = middle;
        else high = middle;
    }
    /* snap down to the smallest probability still kept */
    float threshold = 1.0f;
    for (int i = 0; i < V; i++)
        if (p[i] >= low && p[i] < threshold) threshold = p[i];
    return threshold;
}

/* Draws one token per row from softmax(logits / temperature), truncated to top-k then top-p,
 * by the inverse CDF at uniforms[b]; temperature <= 0 is greedy. Any finite temperature > 0
 * works: the scaled logit of token i is (logit_i - max) / T, computed as (logit_i - max) *
 * nn_inverse_temperature(T), which is <= 0, so exp never overflows (the maximum gets exp(0)
 * = 1, far tokens underflow to 0) and a tiny T tends to greedy with log-prob 0 instead of
 * inf - inf = NaN (below the smallest normal float T counts as that, where 1/T is finite).
 * Top-k is decided on the raw logits: dividing by T > 0 keeps their order, and it cannot
 * merge distinct logits into ties as the scaled values (all -inf at a tiny T) can. */
static void cpu_sample_tokens(int *tokens, float *logprobs, const float *logits, const float *uniforms,
                              int B, int V, float temperature, int top_k, float top_p) {
    /* each thread's probabilities [V] (greedy needs none); without them every row gets
     * token 0 and the failure is recorded */
    float *probabilities = NULL;
    int team = team_for(B);
    if (temperature > 0.0f && !(probabilities = thread_scratch((size_t)V, team, "sample_tokens"))) {
        memset(tokens, 0, sizeof(int) * (size_t)B);
        memset(logprobs, 0, sizeof(float) * (size_t)B);
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(team)
    for (int b = 0; b < B; b++) {
        const float *row = logits + (size_t)b * V;
        if (temperature <= 0.0f) { /* greedy: the first maximum, as torch.argmax */
            int best = 0;
            for (int i = 1; i < V; i++)
                if (row[i] > row[best]) best = i;
            tokens[b] = best;
            logprobs[b] = 0.0f;
            continue;
        }
        float *p = my_scratch(probabilities, (size_t)V);
        float max_logit = -INFINITY;
        for (int i = 0; i < V; i++) max_logit = row[i] > max_logit ? row[i] : max_logit;
        float cut = -INFINITY; /* logits below cut are excluded */
        if (top_k > 0 && top_k < V) cut = kth_largest(row, V, top_k);
        float inverse = nn_inverse_temperature(temperature);
        double sum = 0.0;
        for (int i = 0; i < V; i++) {
            p[i] = row[i] >= cut ? expf((row[i] - max_logit) * inverse) : 0.0f;
            sum += p[i];
        }
        for (int i = 0; i < V; i++) p[i] = (float)(p[i] / sum);
        if (top_p > 0.0f && top_p < 1.0f) {
            float tau = nucleus_threshold(p, V, top_p);
            sum = 0.0;
            for (int i = 0; i < V; i++) {
                if (p[i] < tau) p[i] = 0.0f;
                sum += p[i];
            }
            for (int i = 0; i < V; i++) p[i] = (float)(p[i] / sum);
        }
        /* inverse CDF in index order */
        double target = uniforms[b], cumulative = 0.0;
        int chosen = -1, last_kept = 0;
        for (int i = 0; i < V; i++) {
            if (p[i] <= 0.0f) continue;
            last_kept = i;
            cumulative += p[i];
            if (cumulative > target) {
                chosen = i;
                break;
            }
        }
        if (chosen < 0) chosen = last_kept; /* rounding left the total just under target */
        tokens[b] = chosen;
        logprobs[b] = logf(p[chosen]);
    }
}

/* ------------------------------------------------------------------ GELU */

/* out = GELU(inp), tanh form (nn_gelu). */
static void cpu_gelu_forward(float *out, const float *inp, size_t n) {
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        out[i] = nn_gelu(inp[i]);
    }
}

/* dinp += GELU'(inp) * dout, for GELU(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3):
 *     GELU'(x) = 0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
 * (nn_gelu_derivative, shared with CUDA). */
static void cpu_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        dinp[i] += nn_gelu_derivative(inp[i]) * dout[i];
    }
}

/* ------------------------------------------------------------------ elementwise */

/* out = a + b, elementwise (out may be a or b). */
static void cpu_add(float *out, const float *a, const float *b, size_t n) {
    #pragma omp parallel for simd schedule(static) if (n > 16384)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* destination += source, elementwise. */
static void cpu_accumulate(float *destination, const float *source, size_t n) {
    #pragma omp parallel for simd schedule(static) if (n > 16384)
    for (size_t i = 0; i < n; i++) destination[i] += source[i];
}

/* x *= factor, elementwise. */
static void cpu_scale(float *x, float factor, size_t n) {
    #pragma omp parallel for simd schedule(static) if (n > 16384)
    for (size_t i = 0; i < n; i++) x[i] *= factor;
}

/* Inverted dropout in place: x_i *= m_i / (1 - p) with m_i in {0, 1} a pure function of
 * (seed, i). Being linear in x, the same call is its own backward: dx = dy * m / (1 - p). */
static void cpu_dropout(float *x, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f) return;
    float keep_scale = 1.0f / (1.0f - p);
    uint32_t threshold = nn_dropout_threshold(p);
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) x[i] *= nn_dropout_multiplier(seed, i, threshold, keep_scale);
}

/* ------------------------------------------------------------------ log-probs */

/* The maximum of row, and log(sum_i exp((row_i - max) / temperature)): the log of the softmax
 * normaliser of row / temperature once max / temperature is taken out of it. The scaled
 * logits (row_i - max) / temperature are <= 0 and the maximum's is exactly 0, so the sum is
 * in [1, V] and its log finite for any finite temperature > 0 (a tiny one sends the others
 * to -inf, whose exp is 0; max / temperature alone would overflow). The sum of the V
 * exponentials is kept in double: in float its rounding error grows with V (about sqrt(V) *
 * 6e-8 relative, 1.3e-5 over GPT-2's 50257 tokens, more when the loop is not vectorised)
 * and would pass straight into every log-prob and gradient. */
static float row_shifted_log_normaliser(const float *row, int V, float inverse, float *max_logit) {
    float max_value = -INFINITY;
    #pragma omp simd reduction(max : max_value)
    for (int i = 0; i < V; i++) max_value = row[i] > max_value ? row[i] : max_value;
    double sum = 0.0;
    #pragma omp simd reduction(+ : sum)
    for (int i = 0; i < V; i++) sum += expf((row[i] - max_value) * inverse);
    *max_logit = max_value;
    return (float)log(sum);
}

/* logprobs[n] = log_softmax(logits[n] / temperature)[targets[n]] = (logit - max) / T - log
 * sum exp((row - max) / T), finite for any finite T > 0 as long as the target's scaled logit
 * is (a tiny T gives ~0 for the maximum and -inf for a token below it); 0 for targets < 0. */
static void cpu_target_logprobs(float *logprobs, const float *logits, const int *targets, int N,
                                int V, float temperature) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) {
            logprobs[n] = 0.0f;
            continue;
        }
        const float *row = logits + (size_t)n * V;
        float max_logit, inverse = nn_inverse_temperature(temperature);
        float log_normaliser = row_shifted_log_normaliser(row, V, inverse, &max_logit);
        logprobs[n] = (row[targets[n]] - max_logit) * inverse - log_normaliser;
    }
}

/* entropies[n] = -sum_i p_i log p_i with p = softmax(row / T): with s_i = (row_i - max) / T
 * <= 0 and Z = sum_i exp(s_i) in [1, V], log p_i = s_i - log Z, so H = log Z - sum_i exp(s_i)
 * s_i / Z; both sums in double, as the normaliser's. 0 for targets < 0. */
static void cpu_target_entropies(float *entropies, const float *logits, const int *targets, int N, int V,
                                 float temperature) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        if (targets[n] < 0) {
            entropies[n] = 0.0f;
            continue;
        }
        const float *row = logits + (size_t)n * V;
        float max_value = -INFINITY, inverse = nn_inverse_temperature(temperature);
        #pragma omp simd reduction(max : max_value)
        for (int i = 0; i < V; i++) max_value = row[i] > max_value ? row[i] : max_value;
        double sum = 0.0, weighted = 0.0;
        #pragma omp simd reduction(+ : sum, weighted)
        for (int i = 0; i < V; i++) {
            float shifted = (row[i] - max_value) * inverse, p = expf(shifted);
            sum += p;
            weighted += p > 0.0f ? p * shifted : 0.0f; /* a tiny T makes s = -inf: 0 * -inf is 0 here */
        }
        entropies[n] = (float)(log(sum) - weighted / sum);
    }
}

/* The log-softmax backward (cross-entropy's, with the sign of a log-prob: for the loss
 * -logp it is dlogits = softmax - onehot, as in llm.c's crossentropy_softmax_backward):
 * d logp(target) / d logit_i = (onehot_i - softmax_i) / temperature, times dlogprobs[n], in
 * that order: a tiny T then gives 0 where onehot - softmax is 0 (every token, when the
 * target is the maximum) and +-inf only where the true gradient is that large, never
 * 0 * inf = NaN as a factor dlogprobs / T that overflowed would. */
static void cpu_target_logprobs_backward(float *logits, const float *dlogprobs, const int *targets,
                                         int N, int V, float temperature) {
    #pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *row = logits + (size_t)n * V;
        if (targets[n] < 0 || dlogprobs[n] == 0.0f) {
            memset(row, 0, sizeof(float) * V);
            continue;
        }
        float max_logit, inverse = nn_inverse_temperature(temperature);
        float log_normaliser = row_shifted_log_normaliser(row, V, inverse, &max_logit);
        float weight = dlogprobs[n];
        int target = targets[n];
        #pragma omp simd
        for (int i = 0; i < V; i++) {
            float softmax = expf((row[i] - max_logit) * inverse - log_normaliser);
            row[i] = ((i == target ? 1.0f : 0.0f) - softmax) * weight * inverse;
        }
    }
}

/* ------------------------------------------------------------------ optimizer */

/* sum x_i^2 in double: float partial sums over blocks of 4096, added in double. */
static double cpu_sum_squares(const float *x, size_t n) {
    double total = 0.0;
    #pragma omp parallel for schedule(static) reduction(+ : total)
    for (size_t i0 = 0; i0 < n; i0 += 4096) {
        size_t i1 = i0 + 4096 < n ? i0 + 4096 : n;
        float partial = 0.0f;
        #pragma omp simd reduction(+ : partial)
        for (size_t i = i0; i < i1; i++) partial += x[i] * x[i];
        total += partial;
    }
    return total;
}

/* One AdamW step on n parameters (nn_adamw_element, shared with CUDA, for each). */
static void cpu_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                             float learning_rate, float beta1, float beta2, float epsilon,
                             float weight_decay, float bias_correction1, float bias_correction2,
                             float grad_scale) {
    #pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; i++) {
        nn_adamw_element(param, grad, m, v, i, learning_rate, beta1, beta2, epsilon, weight_decay, bias_correction1,
                         bias_correction2, grad_scale);
    }
}

/* ------------------------------------------------------------------ the table */

static const nn_backend cpu_backend = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_upload,
    .download = cpu_download,
    .zero = cpu_zero,
    .copy = cpu_copy,
    .embedding_forward = cpu_embedding_forward,
    .embedding_backward = cpu_embedding_backward,
    .layernorm_forward = cpu_layernorm_forward,
    .residual_layernorm_forward = cpu_residual_layernorm_forward,
    .layernorm_backward = cpu_layernorm_backward,
    .matmul_forward = cpu_matmul_forward,
    .matmul_backward = cpu_matmul_backward,
    .attention_forward = cpu_attention_forward,
    .attention_backward = cpu_attention_backward,
    .attention_cached = cpu_attention_cached,
    .gather_rows = cpu_gather_rows,
    .sample_tokens = cpu_sample_tokens,
    .gelu_forward = cpu_gelu_forward,
    .gelu_backward = cpu_gelu_backward,
    .add = cpu_add,
    .accumulate = cpu_accumulate,
    .scale = cpu_scale,
    .dropout = cpu_dropout,
    .target_logprobs = cpu_target_logprobs,
    .target_logprobs_backward = cpu_target_logprobs_backward,
    .target_entropies = cpu_target_entropies,
    .sum_squares = cpu_sum_squares,
    .adamw_update = cpu_adamw_update,
    .take_failure = cpu_take_failure,
};

/* The CPU backend's table (always usable). */
const nn_backend *nn_cpu_backend(void) { return &cpu_backend; }

/* The name OpenBLAS gives the kernels sgemm runs on here (openblas_get_corename). */
const char *nn_cpu_blas_core(void) { return openblas_get_corename(); }
