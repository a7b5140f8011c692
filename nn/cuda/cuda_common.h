/* Internal to the CUDA backend (compiled by nvcc as C++): the backend's global state, error
 * checks that name the file, line and failing call, the scratch workspace, launch sizes, the
 * dropout mask function shared with the CPU backend, and warp / block reductions.
 *
 * Every op runs on the legacy default stream (kernels, cuBLAS, cudaMemcpy), so ops run in
 * the order they are called and the host only waits where data comes back (download,
 * sum_squares). Nothing here uses atomics: each output element is written by one thread in
 * a fixed order, so runs repeat bit for bit on the same GPU. */
#ifndef RLHF_NN_CUDA_COMMON_H
#define RLHF_NN_CUDA_COMMON_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "nn/backend.h"
#include "nn/backend_math.h"
}
#include "nn/cuda/cuda_backend.h"

/* ------------------------------------------------------------------ state and errors */

/* Everything the backend keeps between calls (one GPU per process). */
struct cuda_backend_state {
    bool ready;                 /* nn_cuda_backend succeeded */
    int device;
    cublasHandle_t blas;
    bool tf32;                  /* TF32 tensor-core math in cuBLAS */
    bool synchronous;           /* RLHF_CUDA_SYNC=1: wait after every kernel to pin faults */
    char *workspace;            /* scratch shared by all ops, grown on demand */
    size_t workspace_bytes;
    long kernel_launches;       /* counted by cuda_check_launch, for rlhf-bench --profile */
    long blas_calls;            /* cuBLAS products issued */
    double blas_flops;          /* and their floating-point operations (2 m n k per product) */
};
extern cuda_backend_state cuda_state;

/* Prints "rlhf: fatal CUDA error at FILE:LINE: CALL: MESSAGE" to stderr and aborts. */
[[noreturn]] void cuda_fatal(const char *file, int line, const char *call, const char *message);

/* Checks a CUDA runtime call. */
#define CUDA_CHECK(call)                                                                   \
    do {                                                                                   \
        cudaError_t cuda_status_ = (call);                                                 \
        if (cuda_status_ != cudaSuccess)                                                   \
            cuda_fatal(__FILE__, __LINE__, #call, cudaGetErrorString(cuda_status_));       \
    } while (0)

/* Checks a cuBLAS call. */
#define CUBLAS_CHECK(call)                                                                 \
    do {                                                                                   \
        cublasStatus_t cublas_status_ = (call);                                            \
        if (cublas_status_ != CUBLAS_STATUS_SUCCESS)                                       \
            cuda_fatal(__FILE__, __LINE__, #call, cublasGetStatusString(cublas_status_));  \
    } while (0)

/* Checks the launch just made (bad configuration, no kernel image for this GPU), and with
 * RLHF_CUDA_SYNC=1 also waits for the kernel so a fault inside it is reported here. */
void cuda_check_launch(const char *kernel, const char *file, int line);
#define LAUNCH_CHECK(kernel) cuda_check_launch(kernel, __FILE__, __LINE__)

/* ------------------------------------------------------------------ workspace */

/* Rounds a byte count up to 256 so pieces carved one after another stay aligned. */
static inline size_t aligned_bytes(size_t bytes) { return (bytes + 255) & ~(size_t)255; }

/* Device scratch of at least bytes, shared by all ops: valid until the next op asks for
 * it (ops run one at a time on one stream). Grows (after a device synchronisation) when a
 * larger size is asked for; running out of device memory here is fatal. */
char *cuda_workspace(size_t bytes);

/* Hands out the next piece of count elements from a workspace cursor. */
template <typename T>
static inline T *take_piece(char **cursor, size_t count) {
    T *piece = reinterpret_cast<T *>(*cursor);
    *cursor += aligned_bytes(count * sizeof(T));
    return piece;
}

/* ------------------------------------------------------------------ launches */

#define ELEMENTWISE_THREADS 256
#define MAX_GRID_BLOCKS (1u << 20)

/* Blocks for a grid-stride loop over n elements (n > 0). */
static inline unsigned int elementwise_blocks(size_t n) {
    size_t blocks = (n + ELEMENTWISE_THREADS - 1) / ELEMENTWISE_THREADS;
    return blocks > MAX_GRID_BLOCKS ? MAX_GRID_BLOCKS : (unsigned int)blocks;
}

/* First index and stride of a grid-stride loop. */
#define GRID_STRIDE_LOOP(i, n)                                                             \
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                \
         i += (size_t)gridDim.x * blockDim.x)

/* cuBLAS compute type for the current TF32 setting. */
static inline cublasComputeType_t gemm_compute_type(void) {
    return cuda_state.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

/* Column-major strided-batched float GEMM, C_i = alpha op(A_i) op(B_i) + beta C_i for
 * i < batch, alpha and beta on the host (see cuda_attention.cu for the row-major mapping). */
void strided_batched_gemm(cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
                          float alpha, const float *a, int lda, long long stride_a, const float *b,
                          int ldb, long long stride_b, float beta, float *c, int ldc,
                          long long stride_c, int batch, const char *file, int line);
#define STRIDED_BATCHED_GEMM(...) strided_batched_gemm(__VA_ARGS__, __FILE__, __LINE__)

/* ------------------------------------------------------------------ dropout masks */

/* The dropout mask and GELU: nn/backend_math.h, shared with the CPU backend so both drop
 * the same elements and compute the same values. */

/* ------------------------------------------------------------------ reductions */

struct sum_op {
    template <typename T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct max_op {
    template <typename T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a > b ? a : b; }
};
struct min_op {
    template <typename T>
    __device__ __forceinline__ T operator()(T a, T b) const { return a < b ? a : b; }
};

/* Combines value across the 32 lanes of a warp; every lane gets the result. All 32 lanes
 * must call it. */
template <typename T, typename Combine>
__device__ __forceinline__ T warp_reduce(T value, Combine combine) {
    for (int offset = 16; offset > 0; offset >>= 1)
        value = combine(value, __shfl_xor_sync(0xffffffffu, value, offset));
    return value;
}

/* Combines value across the whole block (blockDim.x a multiple of 32, at most 1024); every
 * thread gets the result. Every thread of the block must call it (it synchronises). The
 * leading __syncthreads keeps a previous call's readers of the shared slots safe. */
template <typename T, typename Combine>
__device__ T block_reduce(T value, Combine combine, T identity) {
    __shared__ T partial[32];
    __shared__ T result;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    value = warp_reduce(value, combine);
    __syncthreads();
    if (lane == 0) partial[warp] = value;
    __syncthreads();
    if (warp == 0) {
        T combined = lane < warps ? partial[lane] : identity;
        combined = warp_reduce(combined, combine);
        if (lane == 0) result = combined;
    }
    __syncthreads();
    return result;
}

#endif
