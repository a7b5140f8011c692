/* The CUDA runtime as the CPU emulator of tests/cuda_emulator/ provides it: just the types,
 * calls and device intrinsics that nn/cuda/ uses, so that the backend's kernels compile as
 * plain C++ and run on the CPU (see emulator.cpp for how threads, barriers and warps are
 * emulated). This header stands in for the real <cuda_runtime.h> only in the
 * test_cuda_emulated build, where it comes first on the include path. */
#ifndef RLHF_CUDA_EMULATOR_RUNTIME_H
#define RLHF_CUDA_EMULATOR_RUNTIME_H

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

/* Kernels and device functions are ordinary functions; shared memory is a static variable,
 * which is right because the emulator runs one block at a time. */
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 {
    unsigned int x, y, z;
};
extern uint3 threadIdx;
extern dim3 blockIdx, blockDim, gridDim;

/* A kernel launch `kernel<<<grid, block>>>(arguments);` is rewritten by
 * rewrite_launches.py into emulator_launch(grid, block, [=]() { kernel(arguments); }). */
void emulator_launch(dim3 grid, dim3 block, std::function<void()> body);
void __syncthreads();
uint64_t emulator_shuffle(uint64_t bits, int source_lane);
int emulator_lane();

/* Moves a value of up to 8 bytes between the lanes of a warp through emulator_shuffle. */
template <typename T> T emulator_shuffle_value(T value, int source_lane) {
    static_assert(sizeof(T) <= 8, "shuffle of a value over 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &value, sizeof(T));
    bits = emulator_shuffle(bits, source_lane);
    T out;
    memcpy(&out, &bits, sizeof(T));
    return out;
}
/* __shfl_xor_sync: the value of lane (this lane ^ lane_mask); every lane of the warp must call. */
template <typename T> T __shfl_xor_sync(unsigned int, T value, int lane_mask) {
    return emulator_shuffle_value(value, emulator_lane() ^ lane_mask);
}
/* __shfl_up_sync: the value of lane (this lane - delta), or this lane's own below lane 0. */
template <typename T> T __shfl_up_sync(unsigned int, T value, unsigned int delta) {
    int source = emulator_lane() - (int)delta;
    return emulator_shuffle_value(value, source >= 0 ? source : emulator_lane());
}

typedef enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInsufficientDriver = 35,
} cudaError_t;
typedef enum cudaMemcpyKind {
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
} cudaMemcpyKind;
typedef void *cudaStream_t;
typedef struct emulator_event *cudaEvent_t;
enum cudaDeviceAttr { cudaDevAttrClockRate = 13 };
struct cudaDeviceProp {
    char name[256];
    int major, minor, multiProcessorCount;
    size_t totalGlobalMem;
};

const char *cudaGetErrorString(cudaError_t error);
cudaError_t cudaGetLastError();
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaMalloc(void **pointer, size_t bytes);
cudaError_t cudaFree(void *pointer);
cudaError_t cudaMemset(void *pointer, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void *pointer, int value, size_t bytes, cudaStream_t stream = 0);
cudaError_t cudaMemcpy(void *destination, const void *source, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *destination, const void *source, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = 0);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *properties, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attribute, int device);
cudaError_t cudaEventCreate(cudaEvent_t *event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float *milliseconds, cudaEvent_t start, cudaEvent_t stop);
template <typename T> cudaError_t cudaMalloc(T **pointer, size_t bytes) { return cudaMalloc((void **)pointer, bytes); }

/* Whether [pointer, pointer + bytes) lies inside one live cudaMalloc allocation (the
 * emulated cuBLAS checks its operands with it). */
bool emulator_is_device_range(const void *pointer, size_t bytes);

#endif
