/* The CUDA backend: every op of nn/backend.h on device memory, with the same semantics as
 * nn/cpu/cpu_backend.c. This file holds initialisation, memory, the matrix products
 * (cuBLAS), embedding, LayerNorm, GELU, the elementwise ops, dropout, log-probs, the
 * gradient norm, AdamW and the table; attention is in cuda_attention.cu and token sampling
 * in cuda_sampling.cu.
 *
 * Row-major to cuBLAS: the engine's tensors are row-major; cuBLAS is column-major. A
 * row-major [R, K] buffer with leading dimension K is, read column-major, its transpose
 * [K, R]. So the row-major product C = A . B is computed as the column-major C^T = B^T . A^T:
 * pass B where cuBLAS expects its first operand and A as the second, swap m and n, and keep
 * every leading dimension as the row length of the row-major buffer. Each call below says
 * which row-major product it computes.
 *
 * Reductions over rows (LayerNorm's weight and bias gradients, the bias gradient of a
 * matmul) go through per-chunk partial sums and a second pass in a fixed order instead of
 * atomics, and the embedding gradient walks each token's occurrences in order, so results
 * repeat bit for bit. */
#include "nn/cuda/cuda_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cuda_backend_state cuda_state;

/* ------------------------------------------------------------------ errors and workspace */

void cuda_fatal(const char *file, int line, const char *call, const char *message) {
    fprintf(stderr, "rlhf: fatal CUDA error at %s:%d: %s: %s\n", file, line, call, message);
    fflush(stderr);
    abort();
}

/* See cuda_common.h: checks the last launch, and waits for it under RLHF_CUDA_SYNC=1. */
void cuda_check_launch(const char *kernel, const char *file, int line) {
    cuda_state.kernel_launches++;
    cudaError_t status = cudaGetLastError();
    if (status != cudaSuccess) cuda_fatal(file, line, kernel, cudaGetErrorString(status));
    if (cuda_state.synchronous) {
        status = cudaDeviceSynchronize();
        if (status != cudaSuccess) cuda_fatal(file, line, kernel, cudaGetErrorString(status));
    }
}

/* See cuda_common.h: the shared scratch buffer, grown (after a synchronisation) on demand. */
char *cuda_workspace(size_t bytes) {
    if (bytes <= cuda_state.workspace_bytes) return cuda_state.workspace;
    /* queued kernels may still use the old buffer: wait before freeing it */
    CUDA_CHECK(cudaDeviceSynchronize());
    if (cuda_state.workspace) CUDA_CHECK(cudaFree(cuda_state.workspace));
    cuda_state.workspace = NULL;
    cuda_state.workspace_bytes = 0;
    size_t grown = aligned_bytes(bytes + bytes / 4); /* headroom: fewer regrowths */
    CUDA_CHECK(cudaMalloc((void **)&cuda_state.workspace, grown));
    cuda_state.workspace_bytes = grown;
    return cuda_state.workspace;
}

/* See cuda_common.h: one checked cublasGemmStridedBatchedEx call in float32 (or TF32). */
void strided_batched_gemm(cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
                          float alpha, const float *a, int lda, long long stride_a, const float *b,
                          int ldb, long long stride_b, float beta, float *c, int ldc,
                          long long stride_c, int batch, const char *file, int line) {
    if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return;
    cuda_state.blas_calls++;
    cuda_state.blas_flops += 2.0 * m * n * (double)k * batch;
    cublasStatus_t status = cublasGemmStridedBatchedEx(
        cuda_state.blas, op_a, op_b, m, n, k, &alpha, a, CUDA_R_32F, lda, stride_a, b, CUDA_R_32F, ldb,
        stride_b, &beta, c, CUDA_R_32F, ldc, stride_c, batch, gemm_compute_type(), CUBLAS_GEMM_DEFAULT);
    if (status != CUBLAS_STATUS_SUCCESS)
        cuda_fatal(file, line, "cublasGemmStridedBatchedEx", cublasGetStatusString(status));
}

/* Plain column-major float GEMM (cublasSgemm; TF32 follows the handle's math mode). */
static void gemm(cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    cuda_state.blas_calls++;
    cuda_state.blas_flops += 2.0 * m * n * (double)k;
    CUBLAS_CHECK(cublasSgemm(cuda_state.blas, op_a, op_b, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc));
}

/* ------------------------------------------------------------------ memory */

/* cudaMalloc + cudaMemset: zeroed device memory, or NULL when the device is out of memory
 * (the failed allocation's error is cleared so later checks do not trip on it). */
static void *cuda_alloc(size_t bytes) {
    void *memory = NULL;
    size_t rounded = aligned_bytes(bytes ? bytes : 1);
    if (cudaMalloc(&memory, rounded) != cudaSuccess) {
        (void)cudaGetLastError();
        return NULL;
    }
    CUDA_CHECK(cudaMemset(memory, 0, rounded));
    return memory;
}

/* cudaFree (which waits for queued work). */
static void cuda_free(void *memory) {
    if (memory) CUDA_CHECK(cudaFree(memory));
}

/* Host to device copy; returns once the host buffer may be reused. */
static void cuda_upload(void *device_destination, const void *host_source, size_t bytes) {
    if (bytes) CUDA_CHECK(cudaMemcpy(device_destination, host_source, bytes, cudaMemcpyHostToDevice));
}

/* Device to host copy; waits for the work queued before it. */
static void cuda_download(void *host_destination, const void *device_source, size_t bytes) {
    if (bytes) CUDA_CHECK(cudaMemcpy(host_destination, device_source, bytes, cudaMemcpyDeviceToHost));
}

/* x[0..n) = 0 (all-zero bits are 0.0f). */
static void cuda_zero(float *x, size_t n) {
    if (n) CUDA_CHECK(cudaMemsetAsync(x, 0, n * sizeof(float), 0));
}

/* destination[0..n) = source[0..n), device to device. */
static void cuda_copy(float *destination, const float *source, size_t n) {
    if (n && destination != source)
        CUDA_CHECK(cudaMemcpyAsync(destination, source, n * sizeof(float), cudaMemcpyDeviceToDevice, 0));
}

/* ------------------------------------------------------------------ embedding */

/* out[n, c] = wte[tokens[n], c] + wpe[positions[n], c]; one thread per element. */
__global__ void embedding_forward_kernel(float *out, const int *tokens, const int *positions,
                                         const float *wte, const float *wpe, int N, int C) {
    size_t total = (size_t)N * C;
    GRID_STRIDE_LOOP(i, total) {
        size_t n = i / C, c = i % C;
        out[i] = wte[(size_t)tokens[n] * C + c] + wpe[(size_t)positions[n] * C + c];
    }
}

/* The embedding_forward op (nn/backend.h). */
static void cuda_embedding_forward(float *out, const int *tokens, const int *positions, const float *wte,
                                   const float *wpe, int N, int C) {
    size_t total = (size_t)N * C;
    if (total == 0) return;
    embedding_forward_kernel<<<elementwise_blocks(total), ELEMENTWISE_THREADS>>>(out, tokens, positions, wte, wpe,
                                                                                 N, C);
    LAUNCH_CHECK("embedding_forward_kernel");
}

/* For each row n: next[n] is the next row with the same id (-1 if none) and first[n] is 1
 * when no earlier row has it. O(N) per thread, O(N^2) in all: ids are few (B x T). */
__global__ void link_equal_ids_kernel(int *next, int *first, const int *ids, int N) {
    int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= N) return;
    int id = ids[n];
    int is_first = 1;
    for (int m = 0; m < n; m++)
        if (ids[m] == id) {
            is_first = 0;
            break;
        }
    int following = -1;
    for (int m = n + 1; m < N; m++)
        if (ids[m] == id) {
            following = m;
            break;
        }
    next[n] = following;
    first[n] = is_first;
}

/* table[ids[n], c] += dout[m, c] for every row m with that id, in increasing m: one thread
 * per (first occurrence, column) walks the chain, so each table row is written by one
 * thread in the CPU backend's order (bit-identical sums). Grid (N, column blocks). */
__global__ void accumulate_rows_by_id_kernel(float *table, const float *dout, const int *ids, const int *next,
                                             const int *first, int N, int C) {
    int n = blockIdx.x;
    int c = blockIdx.y * blockDim.x + threadIdx.x;
    if (n >= N || c >= C || !first[n]) return;
    float *destination = table + (size_t)ids[n] * C + c;
    float sum = *destination;
    for (int m = n; m >= 0; m = next[m]) sum += dout[(size_t)m * C + c];
    *destination = sum;
}

/* The embedding_backward op: links equal token ids and equal positions, then sums each
 * id's rows in order into its table row (no atomics; bit-identical to the CPU). */
static void cuda_embedding_backward(float *dwte, float *dwpe, const float *dout, const int *tokens,
                                    const int *positions, int N, int C) {
    if (N <= 0 || C <= 0) return;
    char *cursor = cuda_workspace(4 * aligned_bytes(sizeof(int) * (size_t)N));
    int *token_next = take_piece<int>(&cursor, N), *token_first = take_piece<int>(&cursor, N);
    int *position_next = take_piece<int>(&cursor, N), *position_first = take_piece<int>(&cursor, N);
    int link_blocks = (N + 255) / 256;
    link_equal_ids_kernel<<<link_blocks, 256>>>(token_next, token_first, tokens, N);
    LAUNCH_CHECK("link_equal_ids_kernel");
    link_equal_ids_kernel<<<link_blocks, 256>>>(position_next, position_first, positions, N);
    LAUNCH_CHECK("link_equal_ids_kernel");
    dim3 grid((unsigned int)N, (unsigned int)((C + 255) / 256));
    accumulate_rows_by_id_kernel<<<grid, 256>>>(dwte, dout, tokens, token_next, token_first, N, C);
    LAUNCH_CHECK("accumulate_rows_by_id_kernel");
    accumulate_rows_by_id_kernel<<<grid, 256>>>(dwpe, dout, positions, position_next, position_first, N, C);
    LAUNCH_CHECK("accumulate_rows_by_id_kernel");
}

/* ------------------------------------------------------------------ column sums */

#define COLUMN_TILE 32
#define ROW_LANES 8

/* Partial column sums over one chunk of rows: partial_bias[chunk, c] = sum of dout[n, c],
 * and with the normalised input (LayerNorm) partial_weight[chunk, c] = sum of
 * dout[n, c] * (inp[n, c] - mean[n]) * rstd[n]. Block (32 columns, 8 row lanes); each lane
 * sums every 8th row of the chunk, then lane sums are added in lane order. */
template <bool WITH_NORMALISED>
__global__ void column_partial_sums_kernel(float *partial_weight, float *partial_bias, const float *dout,
                                           const float *inp, const float *mean, const float *rstd, int N,
                                           int C, int rows_per_chunk) {
    __shared__ float weight_sums[ROW_LANES][COLUMN_TILE + 1];
    __shared__ float bias_sums[ROW_LANES][COLUMN_TILE + 1];
    int c = blockIdx.x * COLUMN_TILE + threadIdx.x;
    int chunk = blockIdx.y;
    int begin = chunk * rows_per_chunk;
    int end = begin + rows_per_chunk < N ? begin + rows_per_chunk : N;
    float weight_sum = 0.0f, bias_sum = 0.0f;
    if (c < C)
        for (int n = begin + (int)threadIdx.y; n < end; n += ROW_LANES) {
            size_t at = (size_t)n * C + c;
            float d = dout[at];
            if (WITH_NORMALISED) weight_sum += d * (inp[at] - mean[n]) * rstd[n];
            bias_sum += d;
        }
    weight_sums[threadIdx.y][threadIdx.x] = weight_sum;
    bias_sums[threadIdx.y][threadIdx.x] = bias_sum;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        float weight_total = 0.0f, bias_total = 0.0f;
        for (int lane = 0; lane < ROW_LANES; lane++) {
            weight_total += weight_sums[lane][threadIdx.x];
            bias_total += bias_sums[lane][threadIdx.x];
        }
        if (WITH_NORMALISED) partial_weight[(size_t)chunk * C + c] = weight_total;
        partial_bias[(size_t)chunk * C + c] = bias_total;
    }
}

/* destination[c] += sum over chunks of partial[chunk, c], chunks in order. */
__global__ void column_finish_kernel(float *destination, const float *partial, int chunks, int C) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float total = 0.0f;
    for (int chunk = 0; chunk < chunks; chunk++) total += partial[(size_t)chunk * C + c];
    destination[c] += total;
}

/* dbias[c] += sum_n dout[n, c] and, when dweight is non-NULL (LayerNorm), dweight[c] +=
 * sum_n dout[n, c] * xhat[n, c] with xhat = (inp - mean) * rstd. */
static void column_sums(float *dweight, float *dbias, const float *dout, const float *inp, const float *mean,
                        const float *rstd, int N, int C) {
    if (N <= 0 || C <= 0) return;
    int rows_per_chunk = (N + 2047) / 2048;
    if (rows_per_chunk < 64) rows_per_chunk = 64;
    int chunks = (N + rows_per_chunk - 1) / rows_per_chunk;
    char *cursor = cuda_workspace(2 * aligned_bytes(sizeof(float) * (size_t)chunks * C));
    float *partial_weight = take_piece<float>(&cursor, (size_t)chunks * C);
    float *partial_bias = take_piece<float>(&cursor, (size_t)chunks * C);
    dim3 grid((unsigned int)((C + COLUMN_TILE - 1) / COLUMN_TILE), (unsigned int)chunks);
    dim3 block(COLUMN_TILE, ROW_LANES);
    if (dweight)
        column_partial_sums_kernel<true><<<grid, block>>>(partial_weight, partial_bias, dout, inp, mean, rstd, N, C,
                                                          rows_per_chunk);
    else
        column_partial_sums_kernel<false><<<grid, block>>>(partial_weight, partial_bias, dout, inp, mean, rstd, N,
                                                           C, rows_per_chunk);
    LAUNCH_CHECK("column_partial_sums_kernel");
    int finish_blocks = (C + 255) / 256;
    if (dweight) {
        column_finish_kernel<<<finish_blocks, 256>>>(dweight, partial_weight, chunks, C);
        LAUNCH_CHECK("column_finish_kernel");
    }
    column_finish_kernel<<<finish_blocks, 256>>>(dbias, partial_bias, chunks, C);
    LAUNCH_CHECK("column_finish_kernel");
}

/* ------------------------------------------------------------------ layernorm */

#define ROWS_PER_BLOCK 8 /* one warp per row, 8 warps per block */

/* One warp per row: mean, then variance around it (two passes, as the CPU), then
 * out = (x - mean) * rstd * weight + bias. */
__global__ void layernorm_forward_kernel(float *out, float *mean, float *rstd, const float *inp,
                                         const float *weight, const float *bias, int N, int C, float epsilon,
                                         float *residual_sum, const float *residual_a, const float *residual_b) {
    int row = blockIdx.x * ROWS_PER_BLOCK + (int)(threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= N) return; /* the whole warp leaves together */
    const float *x = inp + (size_t)row * C;
    float sum = 0.0f;
    if (residual_sum) { /* x = a + b first, written by the lane that reads it back below */
        size_t at = (size_t)row * C;
        for (int c = lane; c < C; c += 32) {
            float value = residual_a[at + c] + residual_b[at + c];
            residual_sum[at + c] = value;
            sum += value;
        }
    } else {
        for (int c = lane; c < C; c += 32) sum += x[c];
    }
    float m = warp_reduce(sum, sum_op()) / C;
    float variance = 0.0f;
    for (int c = lane; c < C; c += 32) variance += (x[c] - m) * (x[c] - m);
    variance = warp_reduce(variance, sum_op());
    float s = 1.0f / sqrtf(variance / C + epsilon);
    float *y = out + (size_t)row * C;
    for (int c = lane; c < C; c += 32) y[c] = (x[c] - m) * s * weight[c] + bias[c];
    if (lane == 0) {
        mean[row] = m;
        rstd[row] = s;
    }
}

/* The layernorm_forward op: one warp per row. */
static void cuda_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                                   const float *bias, int N, int C, float epsilon) {
    if (N <= 0 || C <= 0) return;
    layernorm_forward_kernel<<<(N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, 32 * ROWS_PER_BLOCK>>>(
        out, mean, rstd, inp, weight, bias, N, C, epsilon, NULL, NULL, NULL);
    LAUNCH_CHECK("layernorm_forward_kernel");
}

/* The residual_layernorm_forward op: the same kernel, forming each row of sum = a + b as it
 * goes and normalising that. */
static void cuda_residual_layernorm_forward(float *sum, float *out, float *mean, float *rstd, const float *a,
                                            const float *b, const float *weight, const float *bias, int N, int C,
                                            float epsilon) {
    if (N <= 0 || C <= 0) return;
    layernorm_forward_kernel<<<(N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, 32 * ROWS_PER_BLOCK>>>(
        out, mean, rstd, sum, weight, bias, N, C, epsilon, sum, a, b);
    LAUNCH_CHECK("layernorm_forward_kernel (residual)");
}

/* One warp per row: dinp += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * weight. */
__global__ void layernorm_backward_input_kernel(float *dinp, const float *dout, const float *inp,
                                                const float *weight, const float *mean, const float *rstd, int N,
                                                int C) {
    int row = blockIdx.x * ROWS_PER_BLOCK + (int)(threadIdx.x >> 5);
    int lane = threadIdx.x & 31;
    if (row >= N) return;
    const float *x = inp + (size_t)row * C;
    const float *d = dout + (size_t)row * C;
    float m = mean[row], s = rstd[row];
    float g_mean = 0.0f, g_xhat_mean = 0.0f;
    for (int c = lane; c < C; c += 32) {
        float g = d[c] * weight[c];
        g_mean += g;
        g_xhat_mean += g * (x[c] - m) * s;
    }
    g_mean = warp_reduce(g_mean, sum_op()) / C;
    g_xhat_mean = warp_reduce(g_xhat_mean, sum_op()) / C;
    float *dx = dinp + (size_t)row * C;
    for (int c = lane; c < C; c += 32) {
        float xhat = (x[c] - m) * s;
        dx[c] += s * (d[c] * weight[c] - g_mean - xhat * g_xhat_mean);
    }
}

/* The layernorm_backward op: dinp by rows (a warp each), dweight += sum over rows of
 * dout * xhat and dbias += sum over rows of dout by columns. */
static void cuda_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                    const float *weight, const float *mean, const float *rstd, int N, int C) {
    if (N <= 0 || C <= 0) return;
    layernorm_backward_input_kernel<<<(N + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK, 32 * ROWS_PER_BLOCK>>>(
        dinp, dout, inp, weight, mean, rstd, N, C);
    LAUNCH_CHECK("layernorm_backward_input_kernel");
    column_sums(dweight, dbias, dout, inp, mean, rstd, N, C);
}

/* ------------------------------------------------------------------ matmul */

/* out[n, :] = bias for every row (the GEMM then adds inp . W with beta = 1, as the CPU). */
__global__ void fill_rows_kernel(float *out, const float *bias, int N, int OC) {
    size_t total = (size_t)N * OC;
    GRID_STRIDE_LOOP(i, total) out[i] = bias[i % OC];
}

/* The matmul_forward op: bias rows first, then one cuBLAS product adding into them. */
static void cuda_matmul_forward(float *out, const float *inp, const float *weight, const float *bias, int N, int C,
                                int OC, nn_weight_layout layout) {
    if (N <= 0 || OC <= 0) return;
    float beta = 0.0f;
    if (bias) {
        fill_rows_kernel<<<elementwise_blocks((size_t)N * OC), ELEMENTWISE_THREADS>>>(out, bias, N, OC);
        LAUNCH_CHECK("fill_rows_kernel");
        beta = 1.0f;
    } else if (C <= 0) {
        CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * (size_t)N * OC, 0));
    }
    if (layout == NN_WEIGHT_IN_OUT) /* out[N,OC] = inp[N,C] . W[C,OC]  ==  out^T = W^T . inp^T */
        gemm(CUBLAS_OP_N, CUBLAS_OP_N, OC, N, C, 1.0f, weight, OC, inp, C, beta, out, OC);
    else /* out[N,OC] = inp[N,C] . W[OC,C]^T  ==  out^T = W . inp^T */
        gemm(CUBLAS_OP_T, CUBLAS_OP_N, OC, N, C, 1.0f, weight, C, inp, C, beta, out, OC);
}

/* The matmul_backward op: two cuBLAS products accumulating (beta = 1) into dinp and dW,
 * dinp += dout . W^T and dW += inp^T . dout (dW += dout^T . inp for W stored [OC,C]),
 * and the bias gradient as column sums of dout. With C = 0 the products are empty (gemm
 * skips them) but dbias still gets its sums, as on the CPU. */
static void cuda_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                 const float *weight, int N, int C, int OC, nn_weight_layout layout) {
    if (N <= 0 || OC <= 0) return;
    if (layout == NN_WEIGHT_IN_OUT) {
        if (dinp) /* dinp[N,C] += dout[N,OC] . W[C,OC]^T  ==  dinp^T += W . dout^T */
            gemm(CUBLAS_OP_T, CUBLAS_OP_N, C, N, OC, 1.0f, weight, OC, dout, OC, 1.0f, dinp, C);
        /* dW[C,OC] += inp^T . dout  ==  dW^T += dout^T . inp */
        gemm(CUBLAS_OP_N, CUBLAS_OP_T, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, OC);
    } else {
        if (dinp) /* dinp[N,C] += dout[N,OC] . W[OC,C]  ==  dinp^T += W^T . dout^T */
            gemm(CUBLAS_OP_N, CUBLAS_OP_N, C, N, OC, 1.0f, weight, C, dout, OC, 1.0f, dinp, C);
        /* dW[OC,C] += dout^T . inp  ==  dW^T += inp^T . dout */
        gemm(CUBLAS_OP_N, CUBLAS_OP_T, C, OC, N, 1.0f, inp, C, dout, OC, 1.0f, dweight, C);
    }
    if (dbias) column_sums(NULL, dbias, dout, NULL, NULL, NULL, N, OC);
}

/* ------------------------------------------------------------------ gather */

/* out[i, :] = inp[rows[i], :] */
__global__ void gather_rows_kernel(float *out, const float *inp, const int *rows, int count, int C) {
    size_t total = (size_t)count * C;
    GRID_STRIDE_LOOP(i, total) out[i] = inp[(size_t)rows[i / C] * C + i % C];
}

/* The gather_rows op (rows is device memory). */
static void cuda_gather_rows(float *out, const float *inp, const int *rows, int count, int C) {
    size_t total = (size_t)count * C;
    if (count <= 0 || C <= 0) return;
    gather_rows_kernel<<<elementwise_blocks(total), ELEMENTWISE_THREADS>>>(out, inp, rows, count, C);
    LAUNCH_CHECK("gather_rows_kernel");
}

/* ------------------------------------------------------------------ GELU and elementwise */

/* out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
__global__ void gelu_forward_kernel(float *out, const float *inp, size_t n) {
    GRID_STRIDE_LOOP(i, n) {
        out[i] = nn_gelu(inp[i]);
    }
}

/* dinp += gelu'(inp) * dout, with gelu(x) = 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3):
 * gelu'(x) = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2). */
__global__ void gelu_backward_kernel(float *dinp, const float *inp, const float *dout, size_t n) {
    GRID_STRIDE_LOOP(i, n) {
        dinp[i] += nn_gelu_derivative(inp[i]) * dout[i];
    }
}

/* out = a + b */
__global__ void add_kernel(float *out, const float *a, const float *b, size_t n) {
    GRID_STRIDE_LOOP(i, n) out[i] = a[i] + b[i];
}

/* destination += source */
__global__ void accumulate_kernel(float *destination, const float *source, size_t n) {
    GRID_STRIDE_LOOP(i, n) destination[i] += source[i];
}

/* x *= factor */
__global__ void scale_kernel(float *x, float factor, size_t n) {
    GRID_STRIDE_LOOP(i, n) x[i] *= factor;
}

/* x[i] *= the dropout multiplier of element i (the CPU backend's mask, bit for bit). */
__global__ void dropout_kernel(float *x, size_t n, uint64_t seed, uint32_t threshold, float keep_scale) {
    GRID_STRIDE_LOOP(i, n) x[i] *= nn_dropout_multiplier(seed, i, threshold, keep_scale);
}

/* The gelu_forward op. */
static void cuda_gelu_forward(float *out, const float *inp, size_t n) {
    if (n == 0) return;
    gelu_forward_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(out, inp, n);
    LAUNCH_CHECK("gelu_forward_kernel");
}

/* The gelu_backward op (adds into dinp). */
static void cuda_gelu_backward(float *dinp, const float *inp, const float *dout, size_t n) {
    if (n == 0) return;
    gelu_backward_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(dinp, inp, dout, n);
    LAUNCH_CHECK("gelu_backward_kernel");
}

/* The add op. */
static void cuda_add(float *out, const float *a, const float *b, size_t n) {
    if (n == 0) return;
    add_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(out, a, b, n);
    LAUNCH_CHECK("add_kernel");
}

/* The accumulate op. */
static void cuda_accumulate(float *destination, const float *source, size_t n) {
    if (n == 0) return;
    accumulate_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(destination, source, n);
    LAUNCH_CHECK("accumulate_kernel");
}

/* The scale op. */
static void cuda_scale(float *x, float factor, size_t n) {
    if (n == 0) return;
    scale_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(x, factor, n);
    LAUNCH_CHECK("scale_kernel");
}

/* The dropout op: the CPU backend's (seed, index) mask; p <= 0 leaves x alone. */
static void cuda_dropout(float *x, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f || n == 0) return;
    dropout_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(x, n, seed, nn_dropout_threshold(p),
                                                                   1.0f / (1.0f - p));
    LAUNCH_CHECK("dropout_kernel");
}

/* ------------------------------------------------------------------ log-probs */

#define LOGPROB_THREADS 256

/* The maximum of row (to *max_logit) and log(sum_i exp((row_i - max) / temperature)), computed
 * by the whole block as the CPU's row_shifted_log_normaliser: the scaled logits are <= 0 and
 * the maximum's is 0, so the sum is in [1, V] and its log finite for any finite T > 0 (max / T
 * alone would overflow at a tiny T); the sum kept in double as on the CPU (so neither side's
 * rounding grows with V). */
__device__ float row_shifted_log_normaliser(const float *row, int V, float inverse, float *max_logit) {
    float max_value = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) max_value = row[i] > max_value ? row[i] : max_value;
    max_value = block_reduce(max_value, max_op(), -INFINITY);
    double sum = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) sum += expf((row[i] - max_value) * inverse);
    sum = block_reduce(sum, sum_op(), 0.0);
    *max_logit = max_value;
    return (float)log(sum);
}

/* One block per row: logprobs[n] = log_softmax(logits[n] / T)[targets[n]] = (logit - max) / T -
 * log sum exp((row - max) / T), 0 when the target is < 0. */
__global__ void target_logprobs_kernel(float *logprobs, const float *logits, const int *targets, int V,
                                       float temperature) {
    int n = blockIdx.x;
    int target = targets[n];
    if (target < 0) { /* the whole block leaves before any synchronisation */
        if (threadIdx.x == 0) logprobs[n] = 0.0f;
        return;
    }
    const float *row = logits + (size_t)n * V;
    float max_logit;
    float inverse = nn_inverse_temperature(temperature);
    float log_normaliser = row_shifted_log_normaliser(row, V, inverse, &max_logit);
    if (threadIdx.x == 0) logprobs[n] = (row[target] - max_logit) * inverse - log_normaliser;
}

/* One block per row: the row becomes d(sum_n dlogprobs[n] logprobs[n]) / d logits, i.e.
 * (onehot - softmax) * dlogprobs[n] / T in that order, as the CPU (a tiny T gives 0 where
 * onehot - softmax is 0, never 0 * inf = NaN); zero for unscored rows. The normaliser's
 * reads finish (block_reduce synchronises) before any thread overwrites the row. */
__global__ void target_logprobs_backward_kernel(float *logits, const float *dlogprobs, const int *targets, int V,
                                                float temperature) {
    int n = blockIdx.x;
    float *row = logits + (size_t)n * V;
    int target = targets[n];
    float weight = dlogprobs[n];
    if (target < 0 || weight == 0.0f) {
        for (int i = threadIdx.x; i < V; i += blockDim.x) row[i] = 0.0f;
        return;
    }
    float max_logit;
    float inverse = nn_inverse_temperature(temperature);
    float log_normaliser = row_shifted_log_normaliser(row, V, inverse, &max_logit);
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float softmax = expf((row[i] - max_logit) * inverse - log_normaliser);
        row[i] = ((i == target ? 1.0f : 0.0f) - softmax) * weight * inverse;
    }
}

/* The target_logprobs op: one block per row of logits. */
static void cuda_target_logprobs(float *logprobs, const float *logits, const int *targets, int N, int V,
                                 float temperature) {
    if (N <= 0 || V <= 0) return;
    target_logprobs_kernel<<<N, LOGPROB_THREADS>>>(logprobs, logits, targets, V, temperature);
    LAUNCH_CHECK("target_logprobs_kernel");
}

/* The target_logprobs_backward op: one block per row, in place. */
static void cuda_target_logprobs_backward(float *logits, const float *dlogprobs, const int *targets, int N, int V,
                                          float temperature) {
    if (N <= 0 || V <= 0) return;
    target_logprobs_backward_kernel<<<N, LOGPROB_THREADS>>>(logits, dlogprobs, targets, V, temperature);
    LAUNCH_CHECK("target_logprobs_backward_kernel");
}

/* One block per row: entropies[n] = H(softmax(logits[n] / T)) = log Z - sum_i exp(s_i) s_i / Z
 * over s_i = (logit_i - max) / T, both sums in double as on the CPU; 0 when the target is < 0.
 * A tiny T sends s to -inf where exp(s) is 0, and such terms add 0 (not 0 * -inf). */
__global__ void target_entropies_kernel(float *entropies, const float *logits, const int *targets, int V,
                                        float temperature) {
    int n = blockIdx.x;
    if (targets[n] < 0) { /* the whole block leaves before any synchronisation */
        if (threadIdx.x == 0) entropies[n] = 0.0f;
        return;
    }
    const float *row = logits + (size_t)n * V;
    float inverse = nn_inverse_temperature(temperature);
    float max_value = -INFINITY;
    for (int i = threadIdx.x; i < V; i += blockDim.x) max_value = row[i] > max_value ? row[i] : max_value;
    max_value = block_reduce(max_value, max_op(), -INFINITY);
    double sum = 0.0, weighted = 0.0;
    for (int i = threadIdx.x; i < V; i += blockDim.x) {
        float shifted = (row[i] - max_value) * inverse, p = expf(shifted);
        sum += p;
        weighted += p > 0.0f ? p * shifted : 0.0f;
    }
    sum = block_reduce(sum, sum_op(), 0.0);
    weighted = block_reduce(weighted, sum_op(), 0.0);
    if (threadIdx.x == 0) entropies[n] = (float)(log(sum) - weighted / sum);
}

/* The target_entropies op: one block per row of logits. */
static void cuda_target_entropies(float *entropies, const float *logits, const int *targets, int N, int V,
                                  float temperature) {
    if (N <= 0 || V <= 0) return;
    target_entropies_kernel<<<N, LOGPROB_THREADS>>>(entropies, logits, targets, V, temperature);
    LAUNCH_CHECK("target_entropies_kernel");
}

/* ------------------------------------------------------------------ gradient norm, AdamW */

#define SUM_SQUARES_BLOCKS 1024

/* partial[block] = sum of x[i]^2 (in double) over the block's grid-stride share. */
__global__ void sum_squares_kernel(double *partial, const float *x, size_t n) {
    double local = 0.0;
    GRID_STRIDE_LOOP(i, n) {
        double value = x[i];
        local += value * value;
    }
    local = block_reduce(local, sum_op(), 0.0);
    if (threadIdx.x == 0) partial[blockIdx.x] = local;
}

/* result[0] = sum of partial[0..count), one block. */
__global__ void sum_partials_kernel(double *result, const double *partial, int count) {
    double local = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) local += partial[i];
    local = block_reduce(local, sum_op(), 0.0);
    if (threadIdx.x == 0) result[0] = local;
}

/* The sum of squares, reduced on the device in a fixed order; one double crosses to the host. */
static double cuda_sum_squares(const float *x, size_t n) {
    if (n == 0) return 0.0;
    unsigned int blocks = elementwise_blocks(n);
    if (blocks > SUM_SQUARES_BLOCKS) blocks = SUM_SQUARES_BLOCKS;
    /* two pieces, each rounded up to 256 bytes by take_piece */
    char *cursor = cuda_workspace(aligned_bytes(sizeof(double) * blocks) + aligned_bytes(sizeof(double)));
    double *partial = take_piece<double>(&cursor, blocks);
    double *result = take_piece<double>(&cursor, 1);
    sum_squares_kernel<<<blocks, ELEMENTWISE_THREADS>>>(partial, x, n);
    LAUNCH_CHECK("sum_squares_kernel");
    sum_partials_kernel<<<1, 1024>>>(result, partial, (int)blocks);
    LAUNCH_CHECK("sum_partials_kernel");
    double total = 0.0;
    CUDA_CHECK(cudaMemcpy(&total, result, sizeof total, cudaMemcpyDeviceToHost));
    return total;
}

/* One AdamW step per element, the CPU backend's arithmetic operation for operation (the
 * build turns off FMA contraction, so results match it bit for bit). */
__global__ void adamw_kernel(float *param, const float *grad, float *m, float *v, size_t n, float learning_rate,
                             float beta1, float beta2, float epsilon, float weight_decay, float bias_correction1,
                             float bias_correction2, float grad_scale) {
    GRID_STRIDE_LOOP(i, n) {
        nn_adamw_element(param, grad, m, v, i, learning_rate, beta1, beta2, epsilon, weight_decay, bias_correction1,
                         bias_correction2, grad_scale);
    }
}

/* The adamw_update op: one thread per parameter (grid-stride). */
static void cuda_adamw_update(float *param, const float *grad, float *m, float *v, size_t n, float learning_rate,
                              float beta1, float beta2, float epsilon, float weight_decay, float bias_correction1,
                              float bias_correction2, float grad_scale) {
    if (n == 0) return;
    adamw_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(param, grad, m, v, n, learning_rate, beta1, beta2,
                                                                 epsilon, weight_decay, bias_correction1,
                                                                 bias_correction2, grad_scale);
    LAUNCH_CHECK("adamw_kernel");
}

/* ------------------------------------------------------------------ the table */

/* Defined in cuda_attention.cu and cuda_sampling.cu. */
void cuda_attention_forward(float *out, float *probs, const float *qkv, const int *key_mask, int B, int T, int C,
                            int NH, float dropout, uint64_t seed);
void cuda_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *probs,
                             int B, int T, int C, int NH, float dropout, uint64_t seed);
void cuda_attention_cached(float *out, const float *qkv, float *key_cache, float *value_cache, const int *key_mask,
                           int B, int T, int past, int max_len, int C, int NH);
void cuda_sample_tokens(int *tokens, float *logprobs, const float *logits, const float *uniforms, int B, int V,
                        float temperature, int top_k, float top_p);

static nn_backend cuda_table;

/* ------------------------------------------------------------------ op profiling */

/* What nn_cuda_profile_read reports, one entry per op name (see cuda_backend.h). */
#define PROFILE_MAX_OPS 64
static nn_cuda_op_time profile_times[PROFILE_MAX_OPS];
static int profile_op_count;
/* The backend's launch and product counters at nn_cuda_profile_start, then (after stop)
 * what was issued in between. */
struct profile_counters {
    long kernel_launches, blas_calls;
    double blas_flops;
};
static profile_counters profile_at_start, profile_issued;
static cudaEvent_t profile_start_event, profile_stop_event;

/* The entry for op (a string literal: compared by address, then by text), added if new. */
static nn_cuda_op_time *profile_entry(const char *op) {
    for (int i = 0; i < profile_op_count; i++)
        if (profile_times[i].op == op || strcmp(profile_times[i].op, op) == 0) return &profile_times[i];
    if (profile_op_count == PROFILE_MAX_OPS) return NULL;
    nn_cuda_op_time *entry = &profile_times[profile_op_count++];
    entry->op = op;
    entry->calls = 0;
    entry->milliseconds = 0.0;
    return entry;
}

/* Times one op call on the GPU: an event before, one after, and a wait for the second. */
struct profile_scope {
    const char *op;
    explicit profile_scope(const char *name) : op(name) { CUDA_CHECK(cudaEventRecord(profile_start_event, 0)); }
    ~profile_scope() {
        CUDA_CHECK(cudaEventRecord(profile_stop_event, 0));
        CUDA_CHECK(cudaEventSynchronize(profile_stop_event));
        float milliseconds = 0.0f;
        CUDA_CHECK(cudaEventElapsedTime(&milliseconds, profile_start_event, profile_stop_event));
        nn_cuda_op_time *entry = profile_entry(op);
        if (entry) {
            entry->calls++;
            entry->milliseconds += milliseconds;
        }
    }
};

/* profiled_op<f>::call has f's signature and runs f inside a profile_scope named name: the
 * table points at it instead of f while profiling is on. One template for every op. */
template <auto Op> struct profiled_op;
template <typename Result, typename... Arguments, Result (*Op)(Arguments...)>
struct profiled_op<Op> {
    static const char *name;
    static Result call(Arguments... arguments) {
        profile_scope scope(name);
        return Op(arguments...);
    }
};
template <typename Result, typename... Arguments, Result (*Op)(Arguments...)>
const char *profiled_op<Op>::name = NULL;

/* Points every field of the table at this backend's ops, or with profiling at their timed
 * forms (profiled_op). */
static void fill_table(nn_backend *table, bool profiling) {
    memset(table, 0, sizeof *table);
    table->name = "cuda";
#define SET_OP(field, function)                                                           \
    do {                                                                                  \
        profiled_op<function>::name = #field;                                             \
        table->field = profiling ? profiled_op<function>::call : function;                \
    } while (0)
    SET_OP(alloc, cuda_alloc);
    SET_OP(free, cuda_free);
    SET_OP(upload, cuda_upload);
    SET_OP(download, cuda_download);
    SET_OP(zero, cuda_zero);
    SET_OP(copy, cuda_copy);
    SET_OP(embedding_forward, cuda_embedding_forward);
    SET_OP(embedding_backward, cuda_embedding_backward);
    SET_OP(layernorm_forward, cuda_layernorm_forward);
    SET_OP(residual_layernorm_forward, cuda_residual_layernorm_forward);
    SET_OP(layernorm_backward, cuda_layernorm_backward);
    SET_OP(matmul_forward, cuda_matmul_forward);
    SET_OP(matmul_backward, cuda_matmul_backward);
    SET_OP(attention_forward, cuda_attention_forward);
    SET_OP(attention_backward, cuda_attention_backward);
    SET_OP(attention_cached, cuda_attention_cached);
    SET_OP(gather_rows, cuda_gather_rows);
    SET_OP(sample_tokens, cuda_sample_tokens);
    SET_OP(gelu_forward, cuda_gelu_forward);
    SET_OP(gelu_backward, cuda_gelu_backward);
    SET_OP(add, cuda_add);
    SET_OP(accumulate, cuda_accumulate);
    SET_OP(scale, cuda_scale);
    SET_OP(dropout, cuda_dropout);
    SET_OP(target_logprobs, cuda_target_logprobs);
    SET_OP(target_logprobs_backward, cuda_target_logprobs_backward);
    SET_OP(target_entropies, cuda_target_entropies);
    SET_OP(sum_squares, cuda_sum_squares);
    SET_OP(adamw_update, cuda_adamw_update);
#undef SET_OP
}

/* See cuda_backend.h. The table is swapped in place: models hold a pointer to it. */
extern "C" void nn_cuda_profile_start(void) {
    if (!cuda_state.ready) return;
    if (!profile_start_event) {
        CUDA_CHECK(cudaEventCreate(&profile_start_event));
        CUDA_CHECK(cudaEventCreate(&profile_stop_event));
    }
    CUDA_CHECK(cudaDeviceSynchronize()); /* earlier queued work is not charged to the first op */
    profile_op_count = 0;
    profile_at_start = {cuda_state.kernel_launches, cuda_state.blas_calls, cuda_state.blas_flops};
    fill_table(&cuda_table, true);
}

/* See cuda_backend.h. */
extern "C" void nn_cuda_profile_stop(void) {
    if (!cuda_state.ready) return;
    fill_table(&cuda_table, false);
    profile_issued = {cuda_state.kernel_launches - profile_at_start.kernel_launches,
                      cuda_state.blas_calls - profile_at_start.blas_calls,
                      cuda_state.blas_flops - profile_at_start.blas_flops};
}

/* See cuda_backend.h. */
extern "C" void nn_cuda_profile_counts(long *kernel_launches, long *blas_calls, double *blas_flops) {
    *kernel_launches = profile_issued.kernel_launches;
    *blas_calls = profile_issued.blas_calls;
    *blas_flops = profile_issued.blas_flops;
}

/* Orders op times by time, most first (qsort). */
static int by_time_descending(const void *a, const void *b) {
    double x = ((const nn_cuda_op_time *)a)->milliseconds, y = ((const nn_cuda_op_time *)b)->milliseconds;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* See cuda_backend.h. */
extern "C" int nn_cuda_profile_read(nn_cuda_op_time *times, int capacity) {
    nn_cuda_op_time sorted[PROFILE_MAX_OPS];
    memcpy(sorted, profile_times, sizeof(nn_cuda_op_time) * profile_op_count);
    qsort(sorted, (size_t)profile_op_count, sizeof sorted[0], by_time_descending);
    int count = profile_op_count < capacity ? profile_op_count : capacity;
    if (count > 0) memcpy(times, sorted, sizeof(nn_cuda_op_time) * count);
    return profile_op_count;
}

/* True when the environment variable name is set to "1". */
static bool environment_flag(const char *name) {
    const char *value = getenv(name);
    return value && strcmp(value, "1") == 0;
}

/* Applies the TF32 setting to the cuBLAS handle (cublasSgemm follows the math mode; the
 * strided-batched products pick their compute type per call). */
static void apply_math_mode(void) {
    CUBLAS_CHECK(cublasSetMathMode(cuda_state.blas,
                                   cuda_state.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

/* See cuda_backend.h: checks for a driver and a GPU, creates the context and the cuBLAS
 * handle once, reads RLHF_TF32 and RLHF_CUDA_SYNC, and returns the table. */
extern "C" const nn_backend *nn_cuda_backend(rlhf_error *error) {
    if (cuda_state.ready) return &cuda_table;
    int count = 0;
    cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess) {
        (void)cudaGetLastError();
        rlhf_error_set(error, "no usable CUDA device (cudaGetDeviceCount: %s%s)", cudaGetErrorString(status),
                       status == cudaErrorInsufficientDriver
                           ? "; no NVIDIA driver is loaded, or it is older than this CUDA runtime"
                           : "");
        return NULL;
    }
    if (count <= 0) {
        rlhf_error_set(error, "no usable CUDA device (the driver reports no GPU)");
        return NULL;
    }
    status = cudaSetDevice(0);
    if (status == cudaSuccess) status = cudaFree(0); /* creates the context now, so failures show here */
    if (status != cudaSuccess) {
        (void)cudaGetLastError();
        rlhf_error_set(error, "no usable CUDA device (device 0: %s)", cudaGetErrorString(status));
        return NULL;
    }
    cublasStatus_t blas_status = cublasCreate(&cuda_state.blas);
    if (blas_status != CUBLAS_STATUS_SUCCESS) {
        rlhf_error_set(error, "no usable CUDA device (cublasCreate: %s)", cublasGetStatusString(blas_status));
        return NULL;
    }
    cuda_state.device = 0;
    cuda_state.tf32 = environment_flag("RLHF_TF32");
    cuda_state.synchronous = environment_flag("RLHF_CUDA_SYNC");
    apply_math_mode();
    fill_table(&cuda_table, false);
    cuda_state.ready = true;
    return &cuda_table;
}

/* See cuda_backend.h. */
extern "C" void nn_cuda_set_tf32(bool enabled) {
    if (!cuda_state.ready) return;
    cuda_state.tf32 = enabled;
    apply_math_mode();
}

/* See cuda_backend.h. */
extern "C" bool nn_cuda_tf32_enabled(void) { return cuda_state.tf32; }

/* See cuda_backend.h. */
extern "C" void nn_cuda_synchronize(void) {
    if (cuda_state.ready) CUDA_CHECK(cudaDeviceSynchronize());
}

/* Published dense peaks (TFLOP/s) of the cards this project is measured on. */
struct known_card {
    const char *name_part;      /* matched against the device name, most specific first */
    double fp32, tf32;
};
static const known_card known_cards[] = {
    {"H100 PCIe", 51.2, 378.0},
    {"H100 NVL", 60.0, 417.5},
    {"H100", 66.9, 494.7}, /* SXM5 */
    {"H200 NVL", 60.0, 417.5},
    {"H200", 66.9, 494.7}, /* SXM */
    {"A100", 19.5, 156.0},
};

/* See cuda_backend.h: name, compute capability, SMs, memory and peak TFLOP/s. */
extern "C" int nn_cuda_device_describe(nn_cuda_device_info *info, rlhf_error *error) {
    memset(info, 0, sizeof *info);
    if (!cuda_state.ready && !nn_cuda_backend(error)) return -1;
    cudaDeviceProp properties;
    CUDA_CHECK(cudaGetDeviceProperties(&properties, cuda_state.device));
    snprintf(info->name, sizeof info->name, "%s", properties.name);
    info->compute_major = properties.major;
    info->compute_minor = properties.minor;
    info->multiprocessors = properties.multiProcessorCount;
    info->memory_gib = properties.totalGlobalMem / 1073741824.0;
    for (size_t i = 0; i < sizeof known_cards / sizeof known_cards[0]; i++)
        if (strstr(properties.name, known_cards[i].name_part)) {
            info->peak_fp32_tflops = known_cards[i].fp32;
            info->peak_tf32_tflops = known_cards[i].tf32;
            return 0;
        }
    /* Unknown card: FP32 lanes per SM (64 on sm_80, 128 on sm_86 and later) x 2 x clock. */
    int clock_khz = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, cuda_state.device));
    int lanes = properties.major == 8 && properties.minor == 0 ? 64 : 128;
    info->peak_fp32_tflops = properties.multiProcessorCount * (double)lanes * 2.0 * clock_khz * 1e3 / 1e12;
    return 0;
}

/* See cuda_backend.h: total less free, from cudaMemGetInfo. */
extern "C" double nn_cuda_memory_in_use_mb(void) {
    size_t free_bytes = 0, total_bytes = 0;
    if (!cuda_state.ready || cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return 0.0;
    return (double)(total_bytes - free_bytes) / 1048576.0;
}

/* x[i] = (i % 7) * 0.1: arbitrary finite inputs for the ceiling measurement. */
__global__ void fill_pattern_kernel(float *x, size_t n) {
    GRID_STRIDE_LOOP(i, n) x[i] = (float)(i % 7) * 0.1f;
}

/* See cuda_backend.h: best of five timed size^3 SGEMMs after one warm-up (cudaEvents). */
extern "C" double nn_cuda_sgemm_ceiling(int size) {
    if (!cuda_state.ready || size <= 0) return 0.0;
    size_t n = (size_t)size * size;
    float *a = NULL, *b = NULL, *c = NULL;
    CUDA_CHECK(cudaMalloc((void **)&a, n * sizeof(float)));
    CUDA_CHECK(cudaMalloc((void **)&b, n * sizeof(float)));
    CUDA_CHECK(cudaMalloc((void **)&c, n * sizeof(float)));
    fill_pattern_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(a, n);
    LAUNCH_CHECK("fill_pattern_kernel");
    fill_pattern_kernel<<<elementwise_blocks(n), ELEMENTWISE_THREADS>>>(b, n);
    LAUNCH_CHECK("fill_pattern_kernel");
    cudaEvent_t start, stop;
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));
    double best = 0.0;
    for (int repeat = 0; repeat < 6; repeat++) { /* the first warms up cuBLAS's kernel choice */
        CUDA_CHECK(cudaEventRecord(start, 0));
        gemm(CUBLAS_OP_N, CUBLAS_OP_N, size, size, size, 1.0f, a, size, b, size, 0.0f, c, size);
        CUDA_CHECK(cudaEventRecord(stop, 0));
        CUDA_CHECK(cudaEventSynchronize(stop));
        float milliseconds = 0.0f;
        CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start, stop));
        double gflops = 2.0 * size * (double)size * size / (milliseconds * 1e-3) / 1e9;
        if (repeat > 0 && gflops > best) best = gflops;
    }
    CUDA_CHECK(cudaEventDestroy(start));
    CUDA_CHECK(cudaEventDestroy(stop));
    CUDA_CHECK(cudaFree(a));
    CUDA_CHECK(cudaFree(b));
    CUDA_CHECK(cudaFree(c));
    return best;
}
