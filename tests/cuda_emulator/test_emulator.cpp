/* Tests of the CUDA emulator itself (tests/cuda_emulator/emulator.cpp): the checks that
 * make cuda_emulated worth running must fire. Host code that dereferences device memory,
 * a kernel that writes past its allocation, a copy in the wrong direction and threads
 * waiting at different barriers each stop the program (SIGABRT, checked by Check in a forked child);
 * the legitimate paths around them (kernels, copies, memset, reuse of freed memory) work. */
#include <check.h>
#include <signal.h>

#include "cuda_runtime.h"

/* A device buffer of n floats holding 0, 1, ..., n - 1 (copied from the host). */
static float *device_iota(int n) {
    float *device = NULL;
    ck_assert_int_eq(cudaMalloc(&device, sizeof(float) * n), cudaSuccess);
    float *host = (float *)malloc(sizeof(float) * n);
    for (int i = 0; i < n; i++) host[i] = (float)i;
    ck_assert_int_eq(cudaMemcpy(device, host, sizeof(float) * n, cudaMemcpyHostToDevice), cudaSuccess);
    free(host);
    return device;
}

START_TEST(test_kernels_copies_and_reuse_work) {
    const int n = 5000; /* more than one page, less than a fault window */
    float *x = device_iota(n);
    emulator_launch(dim3((n + 255) / 256), dim3(256), [=]() {
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n) x[i] = 2.0f * x[i] + 1.0f;
    });
    float *back = (float *)malloc(sizeof(float) * n);
    ck_assert_int_eq(cudaMemcpy(back, x, sizeof(float) * n, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int i = 0; i < n; i++) ck_assert_float_eq(back[i], 2.0f * i + 1.0f);
    ck_assert_int_eq(cudaFree(x), cudaSuccess);

    /* freed pages come back from the pool filled with 0xff bytes (NaN), not old values */
    float *again = NULL;
    ck_assert_int_eq(cudaMalloc(&again, sizeof(float) * n), cudaSuccess);
    ck_assert_int_eq(cudaMemcpy(back, again, sizeof(float) * n, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int i = 0; i < n; i++) ck_assert(isnan(back[i]));
    ck_assert_int_eq(cudaMemset(again, 0, sizeof(float) * n), cudaSuccess);
    ck_assert_int_eq(cudaMemcpy(back, again, sizeof(float) * n, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int i = 0; i < n; i++) ck_assert_float_eq(back[i], 0.0f);
    cudaFree(again);
    free(back);
}
END_TEST

/* The pool is closed again after a call: a host read between two kernels stops. */
START_TEST(test_host_read_of_device_memory_stops) {
    float *x = device_iota(16);
    emulator_launch(dim3(1), dim3(16), [=]() { x[threadIdx.x] += 1.0f; });
    volatile float value = x[3]; /* a GPU run crashes here */
    (void)value;
}
END_TEST

START_TEST(test_host_write_of_device_memory_stops) {
    float *x = device_iota(16);
    x[0] = 1.0f;
}
END_TEST

/* A kernel that writes one float past a page-sized allocation lands on its guard page, not
 * on the allocation made right after it. */
START_TEST(test_kernel_write_outside_allocations_stops) {
    float *x = device_iota(1024);
    float *next = device_iota(1024);
    ck_assert_ptr_ne(next, NULL);
    emulator_launch(dim3(1), dim3(1), [=]() { x[1024] = 0.0f; });
}
END_TEST

START_TEST(test_copy_in_the_wrong_direction_stops) {
    float *x = device_iota(4);
    float host[4];
    cudaMemcpy(host, x, sizeof host, cudaMemcpyHostToDevice);
}
END_TEST

/* Lane 0 waits at the block barrier while the other 31 lanes of its warp wait at a
 * shuffle: neither can complete, a hang on a GPU. */
START_TEST(test_mismatched_barriers_stop) {
    emulator_launch(dim3(1), dim3(32), []() {
        if (threadIdx.x == 0) {
            __syncthreads();
        } else {
            (void)__shfl_xor_sync(0xffffffffu, 1.0f, 1);
        }
    });
}
END_TEST

int main(void) {
    Suite *suite = suite_create("cuda_emulator");
    TCase *works = tcase_create("works");
    tcase_add_test(works, test_kernels_copies_and_reuse_work);
    suite_add_tcase(suite, works);
    TCase *stops = tcase_create("stops");
    tcase_add_test_raise_signal(stops, test_host_read_of_device_memory_stops, SIGABRT);
    tcase_add_test_raise_signal(stops, test_host_write_of_device_memory_stops, SIGABRT);
    tcase_add_test_raise_signal(stops, test_kernel_write_outside_allocations_stops, SIGABRT);
    tcase_add_test_raise_signal(stops, test_copy_in_the_wrong_direction_stops, SIGABRT);
    tcase_add_test_raise_signal(stops, test_mismatched_barriers_stop, SIGABRT);
    suite_add_tcase(suite, stops);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
