/* Causal multi-head attention on the GPU: training forward and backward, and the cached
 * (KV cache) form used in generation. Same semantics as nn/cpu/cpu_backend.c: keys whose
 * key_mask is 0 get no weight, a query that sees no key outputs zeros, dropout on the
 * probabilities uses the shared (seed, index) mask, and probs keeps the undropped softmax.
 *
 * Layout and batching. qkv is [B, T, 3C]: the q, k and v of head h sit at column offsets
 * h*hs, C + h*hs and 2C + h*hs of each row. The per-(sequence, head) products cannot be one
 * strided batch over those interleaved rows (stepping the head moves hs floats, stepping the
 * sequence moves T*3C), so q, k and v are first copied into head-major [B, NH, T, hs]
 * buffers in the workspace (one cheap pass, llm.c's choice), every product is then one
 * cublasGemmStridedBatchedEx call over all B*NH pairs with uniform strides, and the result
 * is copied back into [B, T, C]. Memory is O(T^2) per pair, as the interface stores probs.
 *
 * Row-major products through column-major cuBLAS (see cuda_backend.cu): a row-major [R, K]
 * buffer with leading dimension K reads column-major as its [K, R] transpose. With Q, K, V,
 * dO head-major [T, hs] (ld hs) and P, dP, dS row-major [T, T] (ld T) per pair:
 *   S  = scale Q K^T   : S^T  = K Q^T        -> gemm(T, N, m=T,  n=T, k=hs, A=K,  B=Q)
 *   O  = P V           : O^T  = V^T P^T      -> gemm(N, N, m=hs, n=T, k=T,  A=V,  B=P)
 *   dV = P^T dO        : dV^T = dO^T P       -> gemm(N, T, m=hs, n=T, k=T,  A=dO, B=P)
 *   dP = dO V^T        : dP^T = V dO^T       -> gemm(T, N, m=T,  n=T, k=hs, A=V,  B=dO)
 *   dQ = scale dS K    : dQ^T = K^T dS^T     -> gemm(N, N, m=hs, n=T, k=T,  A=K,  B=dS)
 *   dK = scale dS^T Q  : dK^T = Q^T dS       -> gemm(N, T, m=hs, n=T, k=T,  A=Q,  B=dS)
 * Each product runs in blocks of 128 query (or key) rows that skip the zeros causality puts
 * above the diagonal (see "causal products" below). The cached form is the same with the
 * key/value cache ([B, NH, max_len, hs], pair stride max_len*hs) in place of K and V and
 * score rows of past + T keys, and a decode step (T = 1) is one fused kernel. */
#include "nn/cuda/cuda_common.h"

/* Dropped-out copies of the probabilities are made this many floats at a time in the
 * forward pass (64 MiB), so the workspace stays bounded at long sequences. */
#define DROPOUT_CHUNK_FLOATS ((size_t)1 << 24)
#define SOFTMAX_ROWS_PER_BLOCK 8 /* one warp per row */

/* ------------------------------------------------------------------ layout kernels */

/* The index in a head-major [B, NH, length, hs] tensor of sequence b, position t and column
 * c of the row-major [B, T, C] layout (head c / hs, offset c % hs within it). */
__device__ __forceinline__ size_t head_major_index(size_t b, int t, int c, int NH, int hs, int length) {
    return ((b * NH + c / hs) * length + t) * (size_t)hs + c % hs;
}

/* The inverse for element i of a head-major [B, NH, T, hs] tensor: returns its row b * T + t
 * of the row-major layout and writes its column h * hs + d there into *column. */
__device__ __forceinline__ size_t row_major_of_head_major(size_t i, int T, int NH, int hs, int *column) {
    int d = (int)(i % hs);
    size_t rest = i / hs;
    int t = (int)(rest % T);
    rest /= T;
    int h = (int)(rest % NH);
    *column = h * hs + d;
    return (rest / NH) * T + t;
}

/* q, k, v [B, NH, T, hs] = the three parts of qkv [B, T, 3C]; one thread per element of q. */
__global__ void split_qkv_heads_kernel(float *q, float *k, float *v, const float *qkv, int B, int T, int C,
                                       int NH) {
    int hs = C / NH;
    size_t total = (size_t)B * T * C;
    GRID_STRIDE_LOOP(i, total) {
        int column;
        size_t source = row_major_of_head_major(i, T, NH, hs, &column) * 3 * (size_t)C + column;
        q[i] = qkv[source];
        k[i] = qkv[source + C];
        v[i] = qkv[source + 2 * (size_t)C];
    }
}

/* heads [B, NH, T, hs] = x [B, T, C]; one thread per element of heads. */
__global__ void split_heads_kernel(float *heads, const float *x, int B, int T, int C, int NH) {
    int hs = C / NH;
    size_t total = (size_t)B * T * C;
    GRID_STRIDE_LOOP(i, total) {
        int column;
        heads[i] = x[row_major_of_head_major(i, T, NH, hs, &column) * C + column];
    }
}

/* out [B, T, C] = heads [B, NH, T, hs]; one thread per element of out (overwrites). */
__global__ void merge_heads_kernel(float *out, const float *heads, int B, int T, int C, int NH) {
    int hs = C / NH;
    size_t total = (size_t)B * T * C;
    GRID_STRIDE_LOOP(i, total) {
        size_t bt = i / C;
        out[i] = heads[head_major_index(bt / T, (int)(bt % T), (int)(i % C), NH, hs, T)];
    }
}

/* dqkv [B, T, 3C] += dq, dk, dv [B, NH, T, hs]; one thread per (row, column of C), each
 * element of dqkv written by exactly one thread. */
__global__ void add_merged_qkv_kernel(float *dqkv, const float *dq, const float *dk, const float *dv, int B, int T,
                                      int C, int NH) {
    int hs = C / NH;
    size_t total = (size_t)B * T * C;
    GRID_STRIDE_LOOP(i, total) {
        int c = (int)(i % C);
        size_t bt = i / C;
        size_t source = head_major_index(bt / T, (int)(bt % T), c, NH, hs, T);
        float *row = dqkv + bt * 3 * (size_t)C;
        row[c] += dq[source];
        row[C + c] += dk[source];
        row[2 * C + c] += dv[source];
    }
}

/* The T new positions of qkv [B, T, 3C]: their queries go to q [B, NH, T, hs], their keys and
 * values into the caches [B, NH, max_len, hs] at positions past .. past + T - 1. */
__global__ void store_new_positions_kernel(float *q, float *key_cache, float *value_cache, const float *qkv, int B,
                                           int T, int C, int NH, int past, int max_len) {
    int hs = C / NH;
    size_t total = (size_t)B * T * C;
    GRID_STRIDE_LOOP(i, total) {
        int c = (int)(i % C);
        size_t bt = i / C, b = bt / T;
        int t = (int)(bt % T);
        const float *row = qkv + bt * 3 * (size_t)C;
        q[head_major_index(b, t, c, NH, hs, T)] = row[c];
        size_t cached = head_major_index(b, past + t, c, NH, hs, max_len);
        key_cache[cached] = row[C + c];
        value_cache[cached] = row[2 * C + c];
    }
}

/* ------------------------------------------------------------------ softmax kernels */

/* One warp per score row, in place. Rows are [pairs * queries, row_length]; row r is query
 * t = r % queries of pair r / queries (sequence b = pair / NH), which may see keys
 * 0 .. past + t whose key_mask[b * mask_stride + j] is set. Visible keys get the softmax of
 * their scores, all others 0; a row with no visible key becomes all zeros. */
__global__ void masked_softmax_kernel(float *scores, const int *key_mask, int rows, int queries, int row_length,
                                      int past, int NH, int mask_stride) {
    int r = blockIdx.x * SOFTMAX_ROWS_PER_BLOCK + (int)(threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (r >= rows) return; /* the whole warp leaves together */
    int t = r % queries;
    int b = (r / queries) / NH;
    float *row = scores + (size_t)r * row_length;
    const int *mask = key_mask + (size_t)b * mask_stride;
    int last = past + t; /* last key this query may see; < row_length */
    float max_score = -INFINITY;
    for (int j = lane; j <= last; j += 32)
        if (mask[j] && row[j] > max_score) max_score = row[j];
    max_score = warp_reduce(max_score, max_op());
    if (max_score == -INFINITY) {
        for (int j = lane; j < row_length; j += 32) row[j] = 0.0f;
        return;
    }
    float sum = 0.0f;
    for (int j = lane; j <= last; j += 32) {
        float e = mask[j] ? expf(row[j] - max_score) : 0.0f;
        row[j] = e; /* each lane rewrites only its own entries */
        sum += e;
    }
    sum = warp_reduce(sum, sum_op());
    float inverse = 1.0f / sum;
    for (int j = lane; j <= last; j += 32) row[j] *= inverse;
    for (int j = last + 1 + lane; j < row_length; j += 32) row[j] = 0.0f;
}

/* dropped[i] = probs[base + i] * its dropout multiplier (index base + i into probs). */
__global__ void drop_probabilities_kernel(float *dropped, const float *probs, size_t base, size_t count,
                                          uint64_t seed, uint32_t threshold, float keep_scale) {
    GRID_STRIDE_LOOP(i, count) dropped[i] = probs[base + i] * nn_dropout_multiplier(seed, base + i, threshold, keep_scale);
}

/* One warp per row of [pairs * T, T], in place on ds: dP first passes back through the
 * dropout mask (when dropout), then dS = P * (dP - sum_j P dP) for j <= t, 0 above. */
__global__ void softmax_backward_kernel(float *ds, const float *probs, int rows, int T, bool dropout, uint64_t seed,
                                        uint32_t threshold, float keep_scale) {
    int r = blockIdx.x * SOFTMAX_ROWS_PER_BLOCK + (int)(threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (r >= rows) return;
    int t = r % T;
    size_t base = (size_t)r * T;
    float *d = ds + base;
    const float *p = probs + base;
    float dot = 0.0f;
    for (int j = lane; j <= t; j += 32) {
        float dp = d[j];
        if (dropout) dp *= nn_dropout_multiplier(seed, base + j, threshold, keep_scale);
        d[j] = dp;
        dot += p[j] * dp;
    }
    dot = warp_reduce(dot, sum_op());
    for (int j = lane; j <= t; j += 32) d[j] = p[j] * (d[j] - dot);
    for (int j = t + 1 + lane; j < T; j += 32) d[j] = 0.0f;
}

/* Blocks for one warp per row. */
static unsigned int softmax_blocks(size_t rows) {
    return (unsigned int)((rows + SOFTMAX_ROWS_PER_BLOCK - 1) / SOFTMAX_ROWS_PER_BLOCK);
}

/* ------------------------------------------------------------------ causal products */

/* The products skip what causality makes zero: weights (probabilities, dropped-out weights,
 * score gradients) are lower triangular, so query rows [first, first + CAUSAL_BLOCK) need
 * keys 0 .. first + CAUSAL_BLOCK - 1 only, and key rows [first, ...) get contributions from
 * queries first .. T - 1 only. With blocks of 128 rows the products at T = 1024 do 56% of
 * the full square's work (9/16 of it in eight blocks); the terms left out were exact zeros,
 * so only cuBLAS's summation order changes. A sequence of at most 128 is one block. */
#define CAUSAL_BLOCK 128

/* square [pairs][T, T] = alpha X Y^T for the entries on and below the diagonal (and the
 * rest of each diagonal block) with X, Y [pairs][T, hs]: S = scale Q K^T, and dP = dO V^T.
 * Query rows [first, first + rows) take keys 0 .. first + rows - 1; what stays above the
 * diagonal is left for the softmax kernels, which write it as zeros. Column-major:
 * the block's square^T = Y[0:keys] X[block]^T: gemm(T, N, m = keys, n = rows, k = hs, A = Y, B = X). */
static void causal_scores(float *square, const float *x, const float *y, float alpha, int T, int hs, int pairs) {
    long long head_stride = (long long)T * hs, square_stride = (long long)T * T;
    for (int first = 0; first < T; first += CAUSAL_BLOCK) {
        int rows_in_block = T - first < CAUSAL_BLOCK ? T - first : CAUSAL_BLOCK, keys = first + rows_in_block;
        STRIDED_BATCHED_GEMM(CUBLAS_OP_T, CUBLAS_OP_N, keys, rows_in_block, hs, alpha, y, hs, head_stride,
                             x + (size_t)first * hs, hs, head_stride, 0.0f, square + (size_t)first * T, T,
                             square_stride, pairs);
    }
}

/* out [pairs][T, hs] = alpha W V with W [pairs][T, T] lower triangular (row-major, ld T) and
 * V [pairs][T, hs]: O = P V, and dQ = scale dS K. Column-major: out^T = V^T W^T. */
static void causal_weights_times_values(float *out, const float *weights, const float *values, float alpha, int T,
                                        int hs, int pairs) {
    long long head_stride = (long long)T * hs, square_stride = (long long)T * T;
    for (int first = 0; first < T; first += CAUSAL_BLOCK) {
        int rows_in_block = T - first < CAUSAL_BLOCK ? T - first : CAUSAL_BLOCK, keys = first + rows_in_block;
        STRIDED_BATCHED_GEMM(CUBLAS_OP_N, CUBLAS_OP_N, hs, rows_in_block, keys, alpha, values, hs, head_stride,
                             weights + (size_t)first * T, T, square_stride, 0.0f, out + (size_t)first * hs, hs,
                             head_stride, pairs);
    }
}

/* out [pairs][T, hs] = alpha W^T X with W [pairs][T, T] lower triangular and X [pairs][T, hs]:
 * dV = P^T dO, and dK = scale dS^T Q. Key rows [first, first + rows) sum over queries
 * first .. T - 1: out^T[:, block] = X^T[:, first:T] W[first:T, block]. */
static void causal_transposed_weights_times(float *out, const float *weights, const float *x, float alpha, int T,
                                            int hs, int pairs) {
    long long head_stride = (long long)T * hs, square_stride = (long long)T * T;
    for (int first = 0; first < T; first += CAUSAL_BLOCK) {
        int rows_in_block = T - first < CAUSAL_BLOCK ? T - first : CAUSAL_BLOCK, queries = T - first;
        STRIDED_BATCHED_GEMM(CUBLAS_OP_N, CUBLAS_OP_T, hs, rows_in_block, queries, alpha, x + (size_t)first * hs, hs,
                             head_stride, weights + (size_t)first * T + first, T, square_stride, 0.0f,
                             out + (size_t)first * hs, hs, head_stride, pairs);
    }
}

/* ------------------------------------------------------------------ the ops */

/* The attention_forward op (nn/backend.h): split heads, S = scale Q K^T into probs, masked
 * softmax in place, O = P V (P dropped out chunk by chunk when dropout > 0), merge heads. */
void cuda_attention_forward(float *out, float *probs, const float *qkv, const int *key_mask, int B, int T, int C,
                            int NH, float dropout, uint64_t seed) {
    if (B <= 0 || T <= 0 || C <= 0) return;
    int hs = C / NH;
    int pairs = B * NH;
    size_t head_floats = (size_t)B * T * C, square = (size_t)T * T;
    long long head_stride = (long long)T * hs;
    size_t chunk_pairs = 0;
    if (dropout > 0.0f) {
        chunk_pairs = DROPOUT_CHUNK_FLOATS / square;
        if (chunk_pairs < 1) chunk_pairs = 1;
        if (chunk_pairs > (size_t)pairs) chunk_pairs = (size_t)pairs;
    }
    char *cursor = cuda_workspace(4 * aligned_bytes(sizeof(float) * head_floats) +
                                  aligned_bytes(sizeof(float) * chunk_pairs * square));
    float *q = take_piece<float>(&cursor, head_floats), *k = take_piece<float>(&cursor, head_floats);
    float *v = take_piece<float>(&cursor, head_floats), *o = take_piece<float>(&cursor, head_floats);
    float *dropped = take_piece<float>(&cursor, chunk_pairs * square);
    float scale = 1.0f / sqrtf((float)hs);

    split_qkv_heads_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(q, k, v, qkv, B, T, C, NH);
    LAUNCH_CHECK("split_qkv_heads_kernel");
    /* S = scale Q K^T into probs, on and below the diagonal */
    causal_scores(probs, q, k, scale, T, hs, pairs);
    size_t rows = (size_t)pairs * T;
    /* (writes the zeros above the diagonal that the products skipped) */
    masked_softmax_kernel<<<softmax_blocks(rows), 32 * SOFTMAX_ROWS_PER_BLOCK>>>(probs, key_mask, (int)rows, T, T, 0,
                                                                                 NH, T);
    LAUNCH_CHECK("masked_softmax_kernel");
    if (dropout <= 0.0f) {
        /* O = P V */
        causal_weights_times_values(o, probs, v, 1.0f, T, hs, pairs);
    } else {
        uint32_t threshold = nn_dropout_threshold(dropout);
        float keep_scale = 1.0f / (1.0f - dropout);
        for (size_t first = 0; first < (size_t)pairs; first += chunk_pairs) {
            size_t count = (size_t)pairs - first < chunk_pairs ? (size_t)pairs - first : chunk_pairs;
            drop_probabilities_kernel<<<elementwise_blocks(count * square), ELEMENTWISE_THREADS>>>(
                dropped, probs, first * square, count * square, seed, threshold, keep_scale);
            LAUNCH_CHECK("drop_probabilities_kernel");
            /* O = dropout(P) V for pairs first .. first + count - 1 */
            causal_weights_times_values(o + first * head_stride, dropped, v + first * head_stride, 1.0f, T, hs,
                                        (int)count);
        }
    }
    merge_heads_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(out, o, B, T, C, NH);
    LAUNCH_CHECK("merge_heads_kernel");
}

/* The attention_backward op: dV, dP, the softmax backward (through the dropout mask) and dQ,
 * dK per pair in head-major buffers, then added into dqkv. scratch [B,NH,T,T] first holds
 * the dropped-out weights (dropout > 0), then dP and dS. The derivative, as the CPU's: with
 * S = scale Q K^T, P = masked softmax(S), W = dropout(P), O = W V,
 *     dV += W^T dO,  dP = mask(dO V^T),  dS = P * (dP - rowsum(P * dP)),
 *     dQ += scale dS K,  dK += scale dS^T Q. */
void cuda_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *probs,
                             int B, int T, int C, int NH, float dropout, uint64_t seed) {
    if (B <= 0 || T <= 0 || C <= 0) return;
    int hs = C / NH;
    int pairs = B * NH;
    size_t head_floats = (size_t)B * T * C, square = (size_t)T * T;
    char *cursor = cuda_workspace(7 * aligned_bytes(sizeof(float) * head_floats));
    float *q = take_piece<float>(&cursor, head_floats), *k = take_piece<float>(&cursor, head_floats);
    float *v = take_piece<float>(&cursor, head_floats), *d_out = take_piece<float>(&cursor, head_floats);
    float *dq = take_piece<float>(&cursor, head_floats), *dk = take_piece<float>(&cursor, head_floats);
    float *dv = take_piece<float>(&cursor, head_floats);
    float scale = 1.0f / sqrtf((float)hs);
    uint32_t threshold = dropout > 0.0f ? nn_dropout_threshold(dropout) : 0;
    float keep_scale = dropout > 0.0f ? 1.0f / (1.0f - dropout) : 1.0f;

    split_qkv_heads_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(q, k, v, qkv, B, T, C, NH);
    LAUNCH_CHECK("split_qkv_heads_kernel");
    split_heads_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(d_out, dout, B, T, C, NH);
    LAUNCH_CHECK("split_heads_kernel");
    /* dV = W^T dO with W the weights forward used: P, or dropout(P) rebuilt in scratch
     * (which dP overwrites right after). */
    const float *weights = probs;
    if (dropout > 0.0f) {
        drop_probabilities_kernel<<<elementwise_blocks((size_t)pairs * square), ELEMENTWISE_THREADS>>>(
            scratch, probs, 0, (size_t)pairs * square, seed, threshold, keep_scale);
        LAUNCH_CHECK("drop_probabilities_kernel");
        weights = scratch;
    }
    causal_transposed_weights_times(dv, weights, d_out, 1.0f, T, hs, pairs);
    /* dP = dO V^T into scratch, on and below the diagonal (the softmax backward reads no
     * further and writes the zeros above it) */
    causal_scores(scratch, d_out, v, 1.0f, T, hs, pairs);
    size_t rows = (size_t)pairs * T;
    softmax_backward_kernel<<<softmax_blocks(rows), 32 * SOFTMAX_ROWS_PER_BLOCK>>>(
        scratch, probs, (int)rows, T, dropout > 0.0f, seed, threshold, keep_scale);
    LAUNCH_CHECK("softmax_backward_kernel");
    /* dQ = scale dS K, dK = scale dS^T Q */
    causal_weights_times_values(dq, scratch, k, scale, T, hs, pairs);
    causal_transposed_weights_times(dk, scratch, q, scale, T, hs, pairs);
    add_merged_qkv_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(dqkv, dq, dk, dv, B, T, C, NH);
    LAUNCH_CHECK("add_merged_qkv_kernel");
}

/* One decode step (T = 1) of the cached attention, fused into one kernel: block (b, h) stores
 * the new key and value of its head in the cache at position past, scores its query against
 * keys 0 .. past (scale q.k, summed over the head in order), takes the masked softmax (a
 * query that sees no key outputs zeros) and writes the weighted sum of values into out
 * [B, C] at the head's columns. The batched-product path needs five launches per layer for
 * this (store, two products, softmax, merge); generation at batch 64 is bound by launches. */
#define DECODE_THREADS 128
#define DECODE_MAX_KEYS 2048 /* scores in shared memory (8 KiB); longer caches take the general path */
__global__ void decode_attention_kernel(float *out, const float *qkv, float *key_cache, float *value_cache,
                                        const int *key_mask, int C, int NH, int past, int max_len, float scale) {
    __shared__ float query[DECODE_MAX_KEYS]; /* hs <= C floats; C <= DECODE_MAX_KEYS is checked */
    __shared__ float weights[DECODE_MAX_KEYS];
    int b = blockIdx.x / NH, h = blockIdx.x % NH, hs = C / NH, total = past + 1;
    const float *row = qkv + (size_t)b * 3 * C;
    float *keys = key_cache + ((size_t)b * NH + h) * max_len * hs;
    float *values = value_cache + ((size_t)b * NH + h) * max_len * hs;
    const int *mask = key_mask + (size_t)b * max_len;
    for (int d = threadIdx.x; d < hs; d += blockDim.x) {
        query[d] = row[h * hs + d];
        keys[(size_t)past * hs + d] = row[C + h * hs + d];
        values[(size_t)past * hs + d] = row[2 * C + h * hs + d];
    }
    __syncthreads();
    float max_score = -INFINITY;
    for (int j = threadIdx.x; j < total; j += blockDim.x) {
        float score = -INFINITY;
        if (mask[j]) {
            const float *key = keys + (size_t)j * hs;
            float dot = 0.0f;
            for (int d = 0; d < hs; d++) dot += query[d] * key[d];
            score = scale * dot;
            max_score = fmaxf(max_score, score);
        }
        weights[j] = score;
    }
    max_score = block_reduce(max_score, max_op(), -INFINITY);
    if (max_score == -INFINITY) { /* no visible key: zeros, as the masked softmax gives */
        for (int d = threadIdx.x; d < hs; d += blockDim.x) out[(size_t)b * C + h * hs + d] = 0.0f;
        return; /* the whole block leaves together */
    }
    float sum = 0.0f;
    for (int j = threadIdx.x; j < total; j += blockDim.x) {
        float e = mask[j] ? expf(weights[j] - max_score) : 0.0f;
        weights[j] = e;
        sum += e;
    }
    sum = block_reduce(sum, sum_op(), 0.0f); /* its barriers also publish weights */
    float inverse = 1.0f / sum;
    for (int d = threadIdx.x; d < hs; d += blockDim.x) {
        float mixed = 0.0f;
        for (int j = 0; j < total; j++) mixed += weights[j] * inverse * values[(size_t)j * hs + d];
        out[(size_t)b * C + h * hs + d] = mixed;
    }
}

/* The attention_cached op: store the new keys and values in the cache, then score the T new
 * queries against the past + T cached keys and mix the cached values. A decode step (T = 1)
 * is one fused kernel (decode_attention_kernel); longer steps (the prompt) use products. */
void cuda_attention_cached(float *out, const float *qkv, float *key_cache, float *value_cache, const int *key_mask,
                           int B, int T, int past, int max_len, int C, int NH) {
    if (B <= 0 || T <= 0 || C <= 0) return;
    if (T == 1 && past + 1 <= DECODE_MAX_KEYS && C <= DECODE_MAX_KEYS) {
        decode_attention_kernel<<<(unsigned int)(B * NH), DECODE_THREADS>>>(
            out, qkv, key_cache, value_cache, key_mask, C, NH, past, max_len, 1.0f / sqrtf((float)(C / NH)));
        LAUNCH_CHECK("decode_attention_kernel");
        return;
    }
    int hs = C / NH, total = past + T;
    int pairs = B * NH;
    size_t head_floats = (size_t)B * T * C, score_floats = (size_t)pairs * T * total;
    long long head_stride = (long long)T * hs, cache_stride = (long long)max_len * hs;
    long long score_stride = (long long)T * total;
    char *cursor = cuda_workspace(2 * aligned_bytes(sizeof(float) * head_floats) +
                                  aligned_bytes(sizeof(float) * score_floats));
    float *q = take_piece<float>(&cursor, head_floats), *o = take_piece<float>(&cursor, head_floats);
    float *scores = take_piece<float>(&cursor, score_floats);
    float scale = 1.0f / sqrtf((float)hs);

    store_new_positions_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(
        q, key_cache, value_cache, qkv, B, T, C, NH, past, max_len);
    LAUNCH_CHECK("store_new_positions_kernel");
    /* S = scale Q K^T over cache positions 0 .. total - 1 */
    STRIDED_BATCHED_GEMM(CUBLAS_OP_T, CUBLAS_OP_N, total, T, hs, scale, key_cache, hs, cache_stride, q, hs,
                         head_stride, 0.0f, scores, total, score_stride, pairs);
    size_t rows = (size_t)pairs * T;
    masked_softmax_kernel<<<softmax_blocks(rows), 32 * SOFTMAX_ROWS_PER_BLOCK>>>(scores, key_mask, (int)rows, T,
                                                                                  total, past, NH, max_len);
    LAUNCH_CHECK("masked_softmax_kernel");
    /* O = P V */
    STRIDED_BATCHED_GEMM(CUBLAS_OP_N, CUBLAS_OP_N, hs, T, total, 1.0f, value_cache, hs, cache_stride, scores, total,
                         score_stride, 0.0f, o, hs, head_stride, pairs);
    merge_heads_kernel<<<elementwise_blocks(head_floats), ELEMENTWISE_THREADS>>>(out, o, B, T, C, NH);
    LAUNCH_CHECK("merge_heads_kernel");
}
