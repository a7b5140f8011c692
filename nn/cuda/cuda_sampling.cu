/* Token sampling on the GPU, so generation never copies logits to the host: one block per
 * row of logits [B, V] draws one token (temperature, top-k, top-p, or greedy) with the
 * host's uniform random number, and only the token id and its log-probability come back.
 *
 * It is the CPU backend's algorithm (nn/cpu/cpu_backend.c) step for step, parallel over the
 * vocabulary inside the block, so both backends pick the same tokens:
 *   greedy   the first maximum (block arg-max, ties to the lowest index, as torch.argmax);
 *   scaling  (logit - max) / T, which is <= 0: exp never overflows and any finite T > 0
 *            works (a tiny T tends to greedy with log-prob 0; logit * 1/T would overflow
 *            to inf and inf - inf gives NaN);
 *   top-k    the k-th largest raw logit (dividing by T > 0 keeps the order) found by
 *            bisection over the value range (64 halvings, each a block-wide count), then
 *            snapped to an actual element; no sort;
 *   top-p    the nucleus threshold found by bisection over probability (40 halvings, each a
 *            block-wide sum in double), snapped to an actual probability; no sort;
 *   drawing  the inverse CDF in index order: each thread sums a contiguous slice of the
 *            vocabulary, an exclusive scan of the slice sums gives each slice's start, and
 *            the lowest index where the running sum passes the uniform is chosen.
 * Comparisons and the bisections see the same floats as the CPU: (logit - max) times
 * nn_inverse_temperature(T) is the same IEEE roundings on both (one shared definition in
 * nn/backend_math.h; no fast math),
 * and exp is taken in double and rounded once, which agrees with glibc's expf except in
 * vanishingly rare cases. Only the order of the double sums differs (in the 16th digit), so
 * a uniform would have to fall within ~1e-16 of a cumulative boundary for the backends to
 * pick different tokens.
 * The kept probabilities live in a [B, V] workspace (201 KiB a row for GPT-2). */
#include "nn/cuda/cuda_common.h"

#include <limits.h>

#define SAMPLE_THREADS 512

/* The smallest element of x[0..V) that is >= threshold over all threads: block-wide. */
__device__ float block_smallest_at_least(const float *x, int V, float threshold, float identity) {
    float smallest = identity;
    for (int i = threadIdx.x; i < V; i += blockDim.x)
        if (x[i] >= threshold && x[i] < smallest) smallest = x[i];
    return block_reduce(smallest, min_op(), identity);
}

/* The k-th largest value of x (ties at it all kept), by bisection as the CPU's kth_largest. */
__device__ float block_kth_largest(const float *x, int V, int k) {
    float low = INFINITY, high = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        low = x[i] < low ? x[i] : low;
        high = x[i] > high ? x[i] : high;
    }
    low = block_reduce(low, min_op(), INFINITY);
    high = block_reduce(high, max_op(), -INFINITY);
    /* low and high are the same in every thread, so every branch below is block-uniform */
    for (int iteration = 0; iteration < 64 && low < high; iteration++) {
        float middle = low + (high - low) * 0.5f;
        if (middle <= low || middle >= high) break;
        int count = 0;
        for (int i = threadIdx.x; i < V; i += blockDim.x) count += x[i] >= middle;
        count = block_reduce(count, sum_op(), 0);
        if (count >= k) low = middle;
        else high = middle;
    }
    return block_smallest_at_least(x, V, low, INFINITY);
}

/* The nucleus threshold of probabilities p: the largest tau whose kept mass (p >= tau)
 * reaches top_p, by bisection as the CPU's nucleus_threshold. */
__device__ float block_nucleus_threshold(const float *p, int V, float top_p) {
    float low = 0.0f, high = 1.0f;
    for (int iteration = 0; iteration < 40; iteration++) {
        float middle = 0.5f * (low + high);
        double mass = 0.0;
        for (int i = threadIdx.x; i < V; i += blockDim.x) mass += p[i] >= middle ? p[i] : 0.0f;
        mass = block_reduce(mass, sum_op(), 0.0);
        if (mass >= top_p) low = middle;
        else high = middle;
    }
    return block_smallest_at_least(p, V, low, 1.0f);
}

/* Exclusive prefix sum of value over the threads of the block, in thread order. Every
 * thread must call it. */
__device__ double block_exclusive_scan(double value) {
    __shared__ double warp_totals[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    double inclusive = value;
    for (int offset = 1; offset < 32; offset <<= 1) {
        double below = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane >= offset) inclusive += below;
    }
    double exclusive = __shfl_up_sync(0xffffffffu, inclusive, 1);
    if (lane == 0) exclusive = 0.0;
    __syncthreads();
    if (lane == 31) warp_totals[warp] = inclusive;
    __syncthreads();
    if (warp == 0) {
        double running = lane < warps ? warp_totals[lane] : 0.0;
        for (int offset = 1; offset < 32; offset <<= 1) {
            double below = __shfl_up_sync(0xffffffffu, running, offset);
            if (lane >= offset) running += below;
        }
        double start = __shfl_up_sync(0xffffffffu, running, 1); /* exclusive start of each warp */
        if (lane < warps) warp_totals[lane] = lane == 0 ? 0.0 : start;
    }
    __syncthreads();
    return warp_totals[warp] + exclusive;
}

/* One block per row b: draws a token from softmax(row / temperature), truncated to top-k then
 * top-p, by the inverse CDF at uniforms[b], as the CPU's cpu_sample_tokens; temperature <= 0
 * is greedy. work is a [B, V] scratch for the row's probabilities. */
__global__ void sample_tokens_kernel(int *tokens, float *logprobs, const float *logits, const float *uniforms,
                                     float *work, int V, float temperature, int top_k, float top_p) {
    int b = blockIdx.x;
    const float *row = logits + (size_t)b * V;
    if (temperature <= 0.0f) { /* greedy: the first maximum, log-prob 0 */
        float best = -INFINITY;
        int best_index = INT_MAX;
        for (int i = threadIdx.x; i < V; i += blockDim.x)
            if (row[i] > best || best_index == INT_MAX) { /* a thread's scan is in index order */
                best = row[i];
                best_index = i;
            }
        float maximum = block_reduce(best, max_op(), -INFINITY);
        int chosen = block_reduce(best == maximum ? best_index : INT_MAX, min_op(), INT_MAX);
        if (threadIdx.x == 0) {
            tokens[b] = chosen == INT_MAX ? 0 : chosen;
            logprobs[b] = 0.0f;
        }
        return;
    }
    float *p = work + (size_t)b * V;
    float max_logit = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) max_logit = row[i] > max_logit ? row[i] : max_logit;
    max_logit = block_reduce(max_logit, max_op(), -INFINITY);
    float cut = -INFINITY; /* logits below cut are excluded */
    if (top_k > 0 && top_k < V) cut = block_kth_largest(row, V, top_k);
    float inverse = nn_inverse_temperature(temperature);
    double sum = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        /* exp in double, rounded once: the correctly rounded expf in all but the rarest
         * cases, as glibc's expf (0.502 ulp), so both backends see the same probabilities
         * and the top-p set and the draw cannot tip over a boundary differently */
        float e = row[i] >= cut ? (float)exp((double)((row[i] - max_logit) * inverse)) : 0.0f;
        p[i] = e;
        sum += e;
    }
    sum = block_reduce(sum, sum_op(), 0.0);
    for (int i = threadIdx.x; i < V; i += blockDim.x) p[i] = (float)(p[i] / sum);
    if (top_p > 0.0f && top_p < 1.0f) {
        __syncthreads(); /* every normalised p visible before the bisection reads them all */
        float tau = block_nucleus_threshold(p, V, top_p);
        double kept = 0.0;
        for (int i = threadIdx.x; i < V; i += blockDim.x) {
            if (p[i] < tau) p[i] = 0.0f;
            kept += p[i];
        }
        kept = block_reduce(kept, sum_op(), 0.0);
        for (int i = threadIdx.x; i < V; i += blockDim.x) p[i] = (float)(p[i] / kept);
    }
    __syncthreads(); /* the draw below reads slices that other threads wrote */

    /* inverse CDF in index order over contiguous slices */
    int slice = (V + (int)blockDim.x - 1) / (int)blockDim.x;
    int begin = (int)threadIdx.x * slice;
    int end = begin + slice < V ? begin + slice : V;
    double slice_sum = 0.0;
    int last_kept = -1;
    for (int i = begin; i < end; i++)
        if (p[i] > 0.0f) {
            slice_sum += p[i];
            last_kept = i;
        }
    double cumulative = block_exclusive_scan(slice_sum);
    double target = uniforms[b];
    int found = INT_MAX;
    for (int i = begin; i < end; i++) {
        if (p[i] <= 0.0f) continue;
        cumulative += p[i];
        if (cumulative > target) {
            found = i;
            break;
        }
    }
    int chosen = block_reduce(found, min_op(), INT_MAX);
    if (chosen == INT_MAX) { /* rounding left the total just under target: the last kept token */
        chosen = block_reduce(last_kept, max_op(), -1);
        if (chosen < 0) chosen = 0;
    }
    if (threadIdx.x == 0) {
        tokens[b] = chosen;
        logprobs[b] = logf(p[chosen]);
    }
}

/* The sample_tokens op: one block per row; the [B, V] probabilities live in the workspace
 * (not needed for greedy). */
void cuda_sample_tokens(int *tokens, float *logprobs, const float *logits, const float *uniforms, int B, int V,
                        float temperature, int top_k, float top_p) {
    if (B <= 0 || V <= 0) return;
    float *work = NULL;
    if (temperature > 0.0f) {
        char *cursor = cuda_workspace(aligned_bytes(sizeof(float) * (size_t)B * V));
        work = take_piece<float>(&cursor, (size_t)B * V);
    }
    sample_tokens_kernel<<<B, SAMPLE_THREADS>>>(tokens, logprobs, logits, uniforms, work, V, temperature, top_k,
                                                top_p);
    LAUNCH_CHECK("sample_tokens_kernel");
}
