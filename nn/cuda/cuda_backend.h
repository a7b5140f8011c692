/* The CUDA backend (nn/cuda/): the compute backend interface of nn/backend.h on one NVIDIA
 * GPU, plus the few extras that tests and benchmarks need (TF32 switch, device description,
 * the cuBLAS ceiling, a synchronisation point for timing).
 *
 * Everything here is compiled only when the build found nvcc (RLHF_HAVE_CUDA is then
 * defined for every C file). The library links libcudart and libcublas either way, but
 * nothing touches the driver until nn_cuda_backend is called, so binaries start and run on
 * the CPU on machines without a GPU or without a driver.
 *
 * Errors: nn_cuda_backend reports "no usable CUDA device (...)" through rlhf_error. The ops
 * of the table have no error channel (the interface returns void), so a failing CUDA or
 * cuBLAS call inside an op prints the file, line, call and CUDA's error string to stderr and
 * aborts: after a device fault the CUDA context is unusable, and carrying on would train on
 * garbage. Kernel launches are checked at once; faults inside a kernel surface at the next
 * synchronising call, or at the launch itself with RLHF_CUDA_SYNC=1 (synchronise after
 * every kernel, for debugging). alloc returns NULL when the device is out of memory. */
#ifndef RLHF_NN_CUDA_BACKEND_H
#define RLHF_NN_CUDA_BACKEND_H

#include <stdbool.h>

#include "rlhf/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The CUDA backend on device 0 (honouring CUDA_VISIBLE_DEVICES), initialised on the first
 * call. Returns NULL with "no usable CUDA device (reason)" in error when there is no driver,
 * no GPU, or the GPU cannot be used. TF32 tensor-core math for the matrix products is off
 * unless the environment variable RLHF_TF32=1 is set at that first call. */
const nn_backend *nn_cuda_backend(rlhf_error *error);

/* Switches TF32 tensor-core math for every cuBLAS product (matmul and attention) on or off.
 * TF32 keeps float32 storage and range but rounds the products' inputs to a 10-bit mantissa
 * (relative error about 1e-3 instead of 1e-6). Requires nn_cuda_backend to have succeeded. */
void nn_cuda_set_tf32(bool enabled);
bool nn_cuda_tf32_enabled(void);

/* What the benchmarks print about the GPU. Peaks are dense (no sparsity) TFLOP/s from the
 * card's published figures when the name is known (H100, H200, A100), else FP32 is computed
 * from the SM count and clock and TF32 is 0 (unknown). */
typedef struct nn_cuda_device_info {
    char name[256];
    int compute_major, compute_minor;
    int multiprocessors;
    double memory_gib;
    double peak_fp32_tflops;
    double peak_tf32_tflops;
} nn_cuda_device_info;

/* Fills info for the backend's device. Returns -1 with error set when CUDA is unusable. */
int nn_cuda_device_describe(nn_cuda_device_info *info, rlhf_error *error);

/* Best-of-five cuBLAS SGEMM GFLOP/s at M = N = K = size with the current TF32 setting: the
 * most the card's matrix units give, the ceiling the engine is compared against. */
double nn_cuda_sgemm_ceiling(int size);

/* MiB of the device's memory in use now (by every process and context on it, as
 * nvidia-smi counts), 0 when CUDA is unusable. */
double nn_cuda_memory_in_use_mb(void);

/* Waits until all queued device work has finished (ops are asynchronous; timing needs this). */
void nn_cuda_synchronize(void);

/* Per-op GPU time, for rlhf-bench --profile: where a training step or a token step spends
 * its time. While profiling is on, every op of the table records CUDA events around itself
 * and waits for the second one, so the op times are the GPU's own but the profiled run is
 * slower than a normal one (the host no longer runs ahead); the difference between a normal
 * run's wall time and the sum of the op times is launch and host overhead. */
typedef struct nn_cuda_op_time {
    const char *op;      /* the nn_backend field name, e.g. "matmul_forward" */
    long calls;
    double milliseconds; /* GPU time, summed over the calls */
} nn_cuda_op_time;

/* Clears the counts and turns profiling on (requires nn_cuda_backend to have succeeded). */
void nn_cuda_profile_start(void);
/* Turns profiling off; the counts stay until the next start. */
void nn_cuda_profile_stop(void);
/* Copies up to capacity op times into times, most time first; returns the number of ops
 * that were called while profiling. */
int nn_cuda_profile_read(nn_cuda_op_time *times, int capacity);
/* The kernel launches and cuBLAS products (and the products' floating-point operations)
 * issued between the last start and stop. */
void nn_cuda_profile_counts(long *kernel_launches, long *blas_calls, double *blas_flops);

#ifdef __cplusplus
}
#endif

#endif
