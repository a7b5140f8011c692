/* CPU-vs-CUDA parity. Every op of the backend interface runs on fresh random inputs on both
 * backends and the results are compared; then whole training steps (forward, backward with
 * dropout, padding and both heads, AdamW with clipping) of small GPTs and of GPT-2's shapes,
 * greedy and sampled generation through policy_generate, and Hugging Face's greedy tokens on
 * the GPU. The case "large" (tag "large") repeats the heavy ops and a training step at the
 * shapes tests/gpu/run.sh benchmarks.
 *
 * The same file runs on a GPU (test "cuda", built with nvcc) and on the CPU emulator of
 * tests/cuda_emulator/ (test "cuda_emulated", without the large case).
 *
 * The error of a tensor is the largest |cuda - cpu| over the largest |cpu| (a value finite,
 * or NaN, on one side only counts as infinite). Tolerances:
 *   - 1e-5 for float32 ops: both sides are float32 with sums in different orders, and CUDA's
 *     expf / tanhf / logf are within 2 ulp of glibc's;
 *   - 1e-6 where the arithmetic is the same operation for operation (embedding, dropout,
 *     gather, add, AdamW, memory): expected 0, printed so a reader sees it;
 *   - 1e-4 for column sums over more than 10000 rows (float rounding grows like sqrt(N));
 *   - 1e-4 for gradients of a whole model (a dozen float32 ops deep), and 1e-3 of a learning
 *     rate for the parameters after one AdamW step (see compare_update);
 *   - 5e-3 for products in TF32 (inputs rounded to a 10-bit mantissa: 2^-11 relative each
 *     when rounded to nearest, 2^-10 when truncated),
 *     and 5e-3 for a TF32 training step's loss and gradient norm;
 *   - sampled tokens must be identical: the sampler is the CPU's algorithm on the same
 *     probabilities (see nn/cuda/cuda_sampling.cu), so on the same logits only a ~1e-16
 *     coincidence could differ; in generation the logits themselves differ by ~1e-6, so a
 *     draw that close to a boundary could (about 1e-6 per draw).
 * Each comparison prints one line (name, error, tolerance), so the GPU run's log is the table.
 *
 * Inputs are fresh on every run: the seed comes from the clock unless RLHF_TEST_SEED is
 * set, and it is printed so a failure can be replayed. Without a usable GPU the test checks
 * that --device cuda fails with a clear message and --device auto falls back to the CPU,
 * prints "SKIP: no usable CUDA device (reason)" and exits 77, meson's skip code. Tests run
 * in this process (check's no-fork mode) because a CUDA context does not survive fork. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nn/backend.h"
#include "nn/cuda/cuda_backend.h"
#include "rlhf/policy.h"
#include "tests/test_support.h"
#include "tests/reference.h"

#define FLOAT_TOLERANCE 1e-5
#define EXACT_TOLERANCE 1e-6
#define MODEL_GRADIENT_TOLERANCE 1e-4
#define TF32_TOLERANCE 5e-3
#define TF32_STEP_TOLERANCE 5e-3

static const nn_backend *cpu, *gpu;
static unsigned long long run_seed;

/* Every test starts with TF32 off (a failed TF32 test may have left it on). */
static void setup(void) { nn_cuda_set_tf32(false); }

/* A seed for one input of one test, different on every run. */
static unsigned long long seed_for(int salt) { return run_seed * 1000003ULL + (unsigned long long)salt; }

/* n normal(0, std) floats from this run's seed and salt (malloc'd). */
static float *random_floats(size_t n, float std, int salt) {
    float *x = malloc(sizeof(float) * (n ? n : 1));
    random_fill(x, n, std, seed_for(salt));
    return x;
}

/* A malloc'd copy of x[0..n). */
static float *copy_floats(const float *x, size_t n) {
    float *y = malloc(sizeof(float) * (n ? n : 1));
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* Device copies of host arrays, and host copies of device arrays. */
static float *to_device(const float *host, size_t n) {
    float *device = gpu->alloc(sizeof(float) * n);
    ck_assert_ptr_nonnull(device);
    gpu->upload(device, host, sizeof(float) * n);
    return device;
}

/* A device copy of n host ints. */
static int *ints_to_device(const int *host, size_t n) {
    int *device = gpu->alloc(sizeof(int) * n);
    ck_assert_ptr_nonnull(device);
    gpu->upload(device, host, sizeof(int) * n);
    return device;
}

/* A malloc'd host copy of n device floats. */
static float *to_host(const float *device, size_t n) {
    float *host = malloc(sizeof(float) * (n ? n : 1));
    gpu->download(host, device, sizeof(float) * n);
    return host;
}

/* Largest |a - b| over the largest |b|; infinite when one side is finite where the other
 * is not, or NaN where the other is not (a kernel that reads memory nobody wrote shows up
 * so: device memory is not zeroed, and the CUDA emulator fills it with NaN). */
static double parity_error(const float *a, const float *b, size_t n) {
    double max_difference = 0, max_reference = 0;
    for (size_t i = 0; i < n; i++) {
        if (isfinite(b[i]) != isfinite(a[i]) || isnan(b[i]) != isnan(a[i])) return INFINITY;
        if (!isfinite(b[i])) {
            if (!isnan(b[i]) && a[i] != b[i]) return INFINITY; /* infinities of opposite sign */
            continue;
        }
        double difference = fabs((double)a[i] - (double)b[i]);
        if (difference > max_difference) max_difference = difference;
        if (fabs((double)b[i]) > max_reference) max_reference = fabs((double)b[i]);
    }
    return max_reference > 0 ? max_difference / max_reference : max_difference;
}

/* Prints one line of the parity table and fails the test when error exceeds tolerance. */
static void report(const char *what, double error, double tolerance) {
    printf("  %-58s %10.3e  (tolerance %.0e)\n", what, error, tolerance);
    fflush(stdout);
    ck_assert_msg(error <= tolerance, "%s: error %g exceeds %g (RLHF_TEST_SEED=%llu)", what, error, tolerance,
                  run_seed);
}

/* Downloads n floats of device memory and compares them with the CPU's result. */
static void compare(const char *what, const float *device, const float *cpu_result, size_t n, double tolerance) {
    float *host = to_host(device, n);
    report(what, parity_error(host, cpu_result, n), tolerance);
    free(host);
}

/* ------------------------------------------------------------------ memory, elementwise */

START_TEST(test_memory) {
    size_t n = 1000;
    float *device = gpu->alloc(sizeof(float) * n);
    ck_assert_ptr_nonnull(device);
    float *zeros = calloc(n, sizeof(float));
    compare("alloc returns zeroed memory", device, zeros, n, 0.0);
    float *x = random_floats(n, 1, 1);
    gpu->upload(device, x, sizeof(float) * n);
    compare("upload then download", device, x, n, 0.0);
    float *other = gpu->alloc(sizeof(float) * n);
    gpu->copy(other, device, n);
    compare("copy", other, x, n, 0.0);
    gpu->zero(device, n);
    compare("zero", device, zeros, n, 0.0);
    void *empty = gpu->alloc(0);
    ck_assert_ptr_nonnull(empty);
    gpu->free(empty);
    gpu->free(device);
    gpu->free(other);
    free(zeros);
    free(x);
}
END_TEST

START_TEST(test_elementwise) {
    size_t n = 100003;
    float *a = random_floats(n, 2.5f, 10), *b = random_floats(n, 1, 11), *start = random_floats(n, 1, 12);
    float *device_a = to_device(a, n), *device_b = to_device(b, n), *device_out = to_device(start, n);
    float *expected = copy_floats(start, n);

    cpu->gelu_forward(expected, a, n);
    gpu->gelu_forward(device_out, device_a, n);
    compare("gelu_forward", device_out, expected, n, FLOAT_TOLERANCE);

    memcpy(expected, start, sizeof(float) * n);
    gpu->upload(device_out, start, sizeof(float) * n);
    cpu->gelu_backward(expected, a, b, n);
    gpu->gelu_backward(device_out, device_a, device_b, n);
    compare("gelu_backward (adds into dinp)", device_out, expected, n, FLOAT_TOLERANCE);

    cpu->add(expected, a, b, n);
    gpu->add(device_out, device_a, device_b, n);
    compare("add", device_out, expected, n, EXACT_TOLERANCE);

    cpu->accumulate(expected, a, n);
    gpu->accumulate(device_out, device_a, n);
    compare("accumulate", device_out, expected, n, EXACT_TOLERANCE);

    cpu->scale(expected, 0.37f, n);
    gpu->scale(device_out, 0.37f, n);
    compare("scale", device_out, expected, n, EXACT_TOLERANCE);

    /* dropout: the same elements dropped on both backends, bit for bit */
    uint64_t seed = seed_for(13);
    cpu->dropout(expected, n, 0.3f, seed);
    gpu->dropout(device_out, n, 0.3f, seed);
    float *dropped = to_host(device_out, n);
    size_t different_masks = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        different_masks += (dropped[i] == 0.0f) != (expected[i] == 0.0f);
        zeros += expected[i] == 0.0f;
    }
    report("dropout: elements whose mask differs", (double)different_masks, 0.0);
    report("dropout: values", parity_error(dropped, expected, n), EXACT_TOLERANCE);
    ck_assert(zeros > n / 5 && zeros < n * 2 / 5); /* p = 0.3 */
    gpu->dropout(device_out, n, 0.0f, seed); /* p = 0 leaves the tensor alone */
    compare("dropout with p = 0 is the identity", device_out, expected, n, 0.0);

    free(a); free(b); free(start); free(expected); free(dropped);
    gpu->free(device_a); gpu->free(device_b); gpu->free(device_out);
}
END_TEST

START_TEST(test_sum_squares_and_adamw) {
    /* one block; one partial block; some hundred blocks; more blocks than the partial sums hold */
    size_t sizes[] = {1, 255, 1000, 100003, 3000017};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        float *x = random_floats(n, 1, 20 + (int)i);
        float *device_x = to_device(x, n);
        double expected = cpu->sum_squares(x, n), got = gpu->sum_squares(device_x, n);
        char label[64];
        snprintf(label, sizeof label, "sum_squares (%zu elements)", n);
        report(label, fabs(got - expected) / expected, 1e-6);
        gpu->free(device_x);
        free(x);
    }

    size_t n = 100003;
    float *param = random_floats(n, 1, 26), *grad = random_floats(n, 0.1f, 27);
    float *m = calloc(n, sizeof(float)), *v = calloc(n, sizeof(float));
    float *device_param = to_device(param, n), *device_grad = to_device(grad, n);
    float *device_m = to_device(m, n), *device_v = to_device(v, n);
    for (int step = 1; step <= 3; step++) {
        float bias_correction1 = 1.0f - powf(0.9f, (float)step), bias_correction2 = 1.0f - powf(0.999f, (float)step);
        cpu->adamw_update(param, grad, m, v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, bias_correction1,
                          bias_correction2, 0.7f);
        gpu->adamw_update(device_param, device_grad, device_m, device_v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f,
                          bias_correction1, bias_correction2, 0.7f);
    }
    compare("adamw_update x3: parameters", device_param, param, n, EXACT_TOLERANCE);
    compare("adamw_update x3: first moments", device_m, m, n, EXACT_TOLERANCE);
    compare("adamw_update x3: second moments", device_v, v, n, EXACT_TOLERANCE);
    free(param); free(grad); free(m); free(v);
    gpu->free(device_param); gpu->free(device_grad); gpu->free(device_m); gpu->free(device_v);
}
END_TEST

/* ------------------------------------------------------------------ embedding, layernorm */

START_TEST(test_embedding) {
    int V = 50, P = 40, N = 300, C = 70;
    int *tokens = malloc(sizeof(int) * N), *positions = malloc(sizeof(int) * N);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(30));
    for (int n = 0; n < N; n++) { /* many repeats, which the backward must accumulate */
        tokens[n] = (int)(rlhf_rng_next(&rng) % V);
        positions[n] = (int)(rlhf_rng_next(&rng) % P);
    }
    float *wte = random_floats((size_t)V * C, 1, 31), *wpe = random_floats((size_t)P * C, 1, 32);
    float *out = malloc(sizeof(float) * N * C);
    int *device_tokens = ints_to_device(tokens, N), *device_positions = ints_to_device(positions, N);
    float *device_wte = to_device(wte, (size_t)V * C), *device_wpe = to_device(wpe, (size_t)P * C);
    float *device_out = gpu->alloc(sizeof(float) * N * C);
    cpu->embedding_forward(out, tokens, positions, wte, wpe, N, C);
    gpu->embedding_forward(device_out, device_tokens, device_positions, device_wte, device_wpe, N, C);
    compare("embedding_forward", device_out, out, (size_t)N * C, EXACT_TOLERANCE);

    float *dout = random_floats((size_t)N * C, 1, 33);
    float *device_dout = to_device(dout, (size_t)N * C);
    /* gradients start from random values: backward adds */
    cpu->embedding_backward(wte, wpe, dout, tokens, positions, N, C);
    gpu->embedding_backward(device_wte, device_wpe, device_dout, device_tokens, device_positions, N, C);
    compare("embedding_backward: dwte (repeated tokens)", device_wte, wte, (size_t)V * C, EXACT_TOLERANCE);
    compare("embedding_backward: dwpe", device_wpe, wpe, (size_t)P * C, EXACT_TOLERANCE);
    free(tokens); free(positions); free(wte); free(wpe); free(out); free(dout);
    gpu->free(device_tokens); gpu->free(device_positions); gpu->free(device_wte); gpu->free(device_wpe);
    gpu->free(device_out); gpu->free(device_dout);
}
END_TEST

/* LayerNorm forward and backward of N rows of C on both backends. dweight and dbias are
 * float sums over N rows taken in different orders, whose rounding error grows like
 * sqrt(N) * 6e-8: 2e-5 at N = 140000, so long sums get 1e-4. */
static void check_layernorm(int N, int C) {
    size_t NC = (size_t)N * C;
    double sum_tolerance = N > 10000 ? 1e-4 : FLOAT_TOLERANCE;
    char label[96];
    float *inp = random_floats(NC, 2, 40), *weight = random_floats(C, 1, 41), *bias = random_floats(C, 1, 42);
    for (size_t i = 0; i < NC; i++) inp[i] += 0.5f;
    float *out = malloc(sizeof(float) * NC), *mean = malloc(sizeof(float) * N), *rstd = malloc(sizeof(float) * N);
    float *device_inp = to_device(inp, NC), *device_weight = to_device(weight, C), *device_bias = to_device(bias, C);
    float *device_out = gpu->alloc(sizeof(float) * NC), *device_mean = gpu->alloc(sizeof(float) * N);
    float *device_rstd = gpu->alloc(sizeof(float) * N);
    cpu->layernorm_forward(out, mean, rstd, inp, weight, bias, N, C, 1e-5f);
    gpu->layernorm_forward(device_out, device_mean, device_rstd, device_inp, device_weight, device_bias, N, C, 1e-5f);
    snprintf(label, sizeof label, "layernorm_forward N %d C %d: out", N, C);
    compare(label, device_out, out, NC, FLOAT_TOLERANCE);
    snprintf(label, sizeof label, "layernorm_forward N %d C %d: mean", N, C);
    compare(label, device_mean, mean, N, FLOAT_TOLERANCE);
    snprintf(label, sizeof label, "layernorm_forward N %d C %d: rstd", N, C);
    compare(label, device_rstd, rstd, N, FLOAT_TOLERANCE);

    /* the fused residual form: inp = a + b formed on the way; on the CPU it must equal the
     * two ops one after the other exactly, on CUDA match the CPU like the plain form */
    {
        float *a = random_floats(NC, 1, 47), *b = malloc(sizeof(float) * NC);
        for (size_t i = 0; i < NC; i++) b[i] = inp[i] - a[i];
        float *sum = malloc(sizeof(float) * NC), *fused = malloc(sizeof(float) * NC), *added = malloc(sizeof(float) * NC);
        float *fused_mean = malloc(sizeof(float) * N), *fused_rstd = malloc(sizeof(float) * N);
        float *plain = malloc(sizeof(float) * NC), *plain_mean = malloc(sizeof(float) * N), *plain_rstd = malloc(sizeof(float) * N);
        cpu->residual_layernorm_forward(sum, fused, fused_mean, fused_rstd, a, b, weight, bias, N, C, 1e-5f);
        cpu->add(added, a, b, NC);
        cpu->layernorm_forward(plain, plain_mean, plain_rstd, added, weight, bias, N, C, 1e-5f);
        ck_assert(memcmp(sum, added, sizeof(float) * NC) == 0 && memcmp(fused, plain, sizeof(float) * NC) == 0 &&
                  memcmp(fused_mean, plain_mean, sizeof(float) * N) == 0 &&
                  memcmp(fused_rstd, plain_rstd, sizeof(float) * N) == 0);
        float *device_a = to_device(a, NC), *device_b = to_device(b, NC), *device_sum = gpu->alloc(sizeof(float) * NC);
        gpu->residual_layernorm_forward(device_sum, device_out, device_mean, device_rstd, device_a, device_b,
                                        device_weight, device_bias, N, C, 1e-5f);
        snprintf(label, sizeof label, "residual_layernorm_forward N %d C %d: sum", N, C);
        compare(label, device_sum, sum, NC, 0.0);
        snprintf(label, sizeof label, "residual_layernorm_forward N %d C %d: out", N, C);
        compare(label, device_out, fused, NC, FLOAT_TOLERANCE);
        snprintf(label, sizeof label, "residual_layernorm_forward N %d C %d: mean, rstd", N, C);
        compare(label, device_mean, fused_mean, N, FLOAT_TOLERANCE);
        compare(label, device_rstd, fused_rstd, N, FLOAT_TOLERANCE);
        free(a), free(b), free(sum), free(fused), free(added), free(fused_mean), free(fused_rstd);
        free(plain), free(plain_mean), free(plain_rstd);
        gpu->free(device_a), gpu->free(device_b), gpu->free(device_sum);
        /* the backward below needs the plain form's mean and rstd of inp on the device again */
        gpu->layernorm_forward(device_out, device_mean, device_rstd, device_inp, device_weight, device_bias, N, C,
                               1e-5f);
    }

    float *dout = random_floats(NC, 1, 43), *dinp = random_floats(NC, 1, 44);
    float *dweight = random_floats(C, 1, 45), *dbias = random_floats(C, 1, 46);
    float *device_dout = to_device(dout, NC), *device_dinp = to_device(dinp, NC);
    float *device_dweight = to_device(dweight, C), *device_dbias = to_device(dbias, C);
    cpu->layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C);
    gpu->layernorm_backward(device_dinp, device_dweight, device_dbias, device_dout, device_inp, device_weight,
                            device_mean, device_rstd, N, C);
    snprintf(label, sizeof label, "layernorm_backward N %d C %d: dinp", N, C);
    compare(label, device_dinp, dinp, NC, FLOAT_TOLERANCE);
    snprintf(label, sizeof label, "layernorm_backward N %d C %d: dweight", N, C);
    compare(label, device_dweight, dweight, C, sum_tolerance);
    snprintf(label, sizeof label, "layernorm_backward N %d C %d: dbias", N, C);
    compare(label, device_dbias, dbias, C, sum_tolerance);
    free(inp); free(weight); free(bias); free(out); free(mean); free(rstd);
    free(dout); free(dinp); free(dweight); free(dbias);
    gpu->free(device_inp); gpu->free(device_weight); gpu->free(device_bias); gpu->free(device_out);
    gpu->free(device_mean); gpu->free(device_rstd); gpu->free(device_dout); gpu->free(device_dinp);
    gpu->free(device_dweight); gpu->free(device_dbias);
}

START_TEST(test_layernorm) {
    check_layernorm(300, 300); /* several row chunks and a width that is not a multiple of 32 */
}
END_TEST

/* ------------------------------------------------------------------ matmul */

/* Forward and backward of one matmul shape on both backends (gradients accumulate onto
 * random starting values). */
static void check_matmul(int N, int C, int OC, nn_weight_layout layout, bool with_bias, bool with_dinp,
                         double tolerance, int salt) {
    char label[128];
    const char *layout_name = layout == NN_WEIGHT_IN_OUT ? "[in,out]" : "[out,in]";
    size_t n_inp = (size_t)N * C, n_weight = (size_t)C * OC, n_out = (size_t)N * OC;
    float *inp = random_floats(n_inp, 1, salt), *weight = random_floats(n_weight, 0.5f, salt + 1);
    float *bias = with_bias ? random_floats(OC, 0.5f, salt + 2) : NULL;
    float *out = malloc(sizeof(float) * n_out);
    float *device_inp = to_device(inp, n_inp), *device_weight = to_device(weight, n_weight);
    float *device_bias = with_bias ? to_device(bias, OC) : NULL, *device_out = gpu->alloc(sizeof(float) * n_out);
    cpu->matmul_forward(out, inp, weight, bias, N, C, OC, layout);
    gpu->matmul_forward(device_out, device_inp, device_weight, device_bias, N, C, OC, layout);
    snprintf(label, sizeof label, "matmul_forward %s %dx%dx%d%s%s", layout_name, N, C, OC, with_bias ? " +bias" : "",
             nn_cuda_tf32_enabled() ? " TF32" : "");
    compare(label, device_out, out, n_out, tolerance);

    float *dout = random_floats(n_out, 1, salt + 3), *dinp = random_floats(n_inp, 1, salt + 4);
    float *dweight = random_floats(n_weight, 1, salt + 5), *dbias = random_floats(OC, 1, salt + 6);
    float *device_dout = to_device(dout, n_out), *device_dinp = to_device(dinp, n_inp);
    float *device_dweight = to_device(dweight, n_weight), *device_dbias = to_device(dbias, OC);
    cpu->matmul_backward(with_dinp ? dinp : NULL, dweight, with_bias ? dbias : NULL, dout, inp, weight, N, C, OC,
                         layout);
    gpu->matmul_backward(with_dinp ? device_dinp : NULL, device_dweight, with_bias ? device_dbias : NULL, device_dout,
                         device_inp, device_weight, N, C, OC, layout);
    snprintf(label, sizeof label, "matmul_backward %s %dx%dx%d: dinp%s", layout_name, N, C, OC,
             with_dinp ? "" : " (NULL: untouched)");
    compare(label, device_dinp, dinp, n_inp, tolerance);
    snprintf(label, sizeof label, "matmul_backward %s %dx%dx%d: dweight", layout_name, N, C, OC);
    compare(label, device_dweight, dweight, n_weight, tolerance);
    snprintf(label, sizeof label, "matmul_backward %s %dx%dx%d: dbias%s", layout_name, N, C, OC,
             with_bias ? "" : " (NULL: untouched)");
    compare(label, device_dbias, dbias, OC, tolerance);
    free(inp); free(weight); free(bias); free(out); free(dout); free(dinp); free(dweight); free(dbias);
    gpu->free(device_inp); gpu->free(device_weight); gpu->free(device_bias); gpu->free(device_out);
    gpu->free(device_dout); gpu->free(device_dinp); gpu->free(device_dweight); gpu->free(device_dbias);
}

START_TEST(test_matmul) {
    check_matmul(70, 130, 97, NN_WEIGHT_IN_OUT, true, true, FLOAT_TOLERANCE, 50);
    check_matmul(70, 130, 97, NN_WEIGHT_OUT_IN, false, true, FLOAT_TOLERANCE, 60);
    check_matmul(70, 130, 97, NN_WEIGHT_OUT_IN, true, false, FLOAT_TOLERANCE, 70);
    check_matmul(33, 48, 1, NN_WEIGHT_OUT_IN, false, true, FLOAT_TOLERANCE, 80); /* the scalar head */
    check_matmul(257, 768, 2304, NN_WEIGHT_IN_OUT, true, true, FLOAT_TOLERANCE, 90); /* GPT-2's c_attn */
}
END_TEST

START_TEST(test_matmul_tf32) {
    nn_cuda_set_tf32(true);
    check_matmul(257, 768, 2304, NN_WEIGHT_IN_OUT, true, true, TF32_TOLERANCE, 100);
    check_matmul(129, 768, 1000, NN_WEIGHT_OUT_IN, false, true, TF32_TOLERANCE, 110);
    nn_cuda_set_tf32(false);
}
END_TEST

START_TEST(test_gather_rows) {
    int rows_in = 20, C = 75, count = 7;
    int rows[7] = {19, 0, 3, 3, 12, 7, 1};
    float *inp = random_floats((size_t)rows_in * C, 1, 120), *out = malloc(sizeof(float) * count * C);
    float *device_inp = to_device(inp, (size_t)rows_in * C), *device_out = gpu->alloc(sizeof(float) * count * C);
    int *device_rows = ints_to_device(rows, count);
    cpu->gather_rows(out, inp, rows, count, C);
    gpu->gather_rows(device_out, device_inp, device_rows, count, C);
    compare("gather_rows", device_out, out, (size_t)count * C, 0.0);
    free(inp); free(out);
    gpu->free(device_inp); gpu->free(device_out); gpu->free(device_rows);
}
END_TEST

/* ------------------------------------------------------------------ attention */

/* Attention forward and backward on both backends. Row 0 is left-padded (its first queries
 * see no key), row 1 right-padded, row 2 has a hole, row 3 is all
 * padding, the rest are full. */
static void check_attention(int B, int T, int C, int NH, float dropout, int salt) {
    char label[128];
    int *mask = malloc(sizeof(int) * B * T);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int real = 1;
            if (b == 0 && t < T / 6 + 1) real = 0;
            if (b == 1 && t >= T - T / 8 - 1) real = 0;
            if (b == 2 && t >= T / 3 && t < T / 3 + 3) real = 0;
            if (b == 3) real = 0; /* a sequence that is all padding: every output row is zero */
            mask[b * T + t] = real;
        }
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C, n_probs = (size_t)B * NH * T * T;
    uint64_t seed = seed_for(salt);
    float *qkv = random_floats(n_qkv, 1, salt + 1), *out = malloc(sizeof(float) * n_out);
    float *probs = malloc(sizeof(float) * n_probs), *scratch = malloc(sizeof(float) * n_probs);
    float *device_qkv = to_device(qkv, n_qkv), *device_out = gpu->alloc(sizeof(float) * n_out);
    float *device_probs = gpu->alloc(sizeof(float) * n_probs), *device_scratch = gpu->alloc(sizeof(float) * n_probs);
    ck_assert_ptr_nonnull(device_out);
    ck_assert_ptr_nonnull(device_probs);
    ck_assert_ptr_nonnull(device_scratch);
    int *device_mask = ints_to_device(mask, (size_t)B * T);
    cpu->attention_forward(out, probs, qkv, mask, B, T, C, NH, dropout, seed);
    gpu->attention_forward(device_out, device_probs, device_qkv, device_mask, B, T, C, NH, dropout, seed);
    snprintf(label, sizeof label, "attention_forward B%d T%d C%d NH%d dropout %.1f: out", B, T, C, NH, dropout);
    compare(label, device_out, out, n_out, FLOAT_TOLERANCE);
    snprintf(label, sizeof label, "attention_forward B%d T%d C%d NH%d dropout %.1f: probs", B, T, C, NH, dropout);
    compare(label, device_probs, probs, n_probs, FLOAT_TOLERANCE);

    float *dout = random_floats(n_out, 1, salt + 2), *dqkv = random_floats(n_qkv, 1, salt + 3);
    float *device_dout = to_device(dout, n_out), *device_dqkv = to_device(dqkv, n_qkv);
    cpu->attention_backward(dqkv, scratch, dout, qkv, probs, B, T, C, NH, dropout, seed);
    gpu->attention_backward(device_dqkv, device_scratch, device_dout, device_qkv, device_probs, B, T, C, NH, dropout,
                            seed);
    snprintf(label, sizeof label, "attention_backward B%d T%d C%d NH%d dropout %.1f: dqkv", B, T, C, NH, dropout);
    compare(label, device_dqkv, dqkv, n_qkv, FLOAT_TOLERANCE);
    free(mask); free(qkv); free(out); free(probs); free(scratch); free(dout); free(dqkv);
    gpu->free(device_qkv); gpu->free(device_out); gpu->free(device_probs); gpu->free(device_scratch);
    gpu->free(device_mask); gpu->free(device_dout); gpu->free(device_dqkv);
}

START_TEST(test_attention) {
    check_attention(3, 37, 48, 4, 0.0f, 200);
    check_attention(4, 64, 96, 12, 0.0f, 210);
    /* three causal blocks of the CUDA products (128, 128, 44 rows) */
    check_attention(2, 300, 96, 12, 0.0f, 215);
}
END_TEST

START_TEST(test_attention_dropout) {
    check_attention(3, 37, 48, 4, 0.2f, 220);
    /* 48 pairs of 600 x 600 probabilities exceed one 2^24-float chunk of dropped copies */
    check_attention(4, 600, 96, 12, 0.1f, 230);
}
END_TEST


/* Key-mask rules for check_cached_steps: whether sequence b's position p is a real token. */
typedef int (*cached_mask_rule)(int b, int position);

/* Fills a [B, max_len] cache on both backends with `count` calls of steps[i] positions each
 * (a prompt, then decode steps) under mask rule `visible`, comparing the output and both
 * caches after every call. */
static void check_cached_steps(int B, int NH, int C, int max_len, const int *steps, int count,
                               cached_mask_rule visible, int salt) {
    int hs = C / NH;
    size_t cache_floats = (size_t)B * NH * max_len * hs;
    float *keys = calloc(cache_floats, sizeof(float)), *values = calloc(cache_floats, sizeof(float));
    float *device_keys = gpu->alloc(sizeof(float) * cache_floats), *device_values = gpu->alloc(sizeof(float) * cache_floats);
    int *mask = calloc((size_t)B * max_len, sizeof(int));
    int *device_mask = gpu->alloc(sizeof(int) * B * max_len);
    int past = 0;
    for (int s = 0; s < count; s++) {
        int T = steps[s];
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) mask[b * max_len + past + t] = visible(b, past + t);
        gpu->upload(device_mask, mask, sizeof(int) * B * max_len);
        size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
        float *qkv = random_floats(n_qkv, 1, salt + s), *out = malloc(sizeof(float) * n_out);
        float *device_qkv = to_device(qkv, n_qkv), *device_out = gpu->alloc(sizeof(float) * n_out);
        cpu->attention_cached(out, qkv, keys, values, mask, B, T, past, max_len, C, NH);
        gpu->attention_cached(device_out, device_qkv, device_keys, device_values, device_mask, B, T, past, max_len, C,
                              NH);
        char label[96];
        snprintf(label, sizeof label, "attention_cached C %d past %d + %d: out", C, past, T);
        compare(label, device_out, out, n_out, FLOAT_TOLERANCE);
        snprintf(label, sizeof label, "attention_cached C %d past %d + %d: caches", C, past, T);
        compare(label, device_keys, keys, cache_floats, 0.0);
        compare(label, device_values, values, cache_floats, 0.0);
        past += T;
        free(qkv); free(out);
        gpu->free(device_qkv); gpu->free(device_out);
    }
    free(keys); free(values); free(mask);
    gpu->free(device_keys); gpu->free(device_values); gpu->free(device_mask);
}

/* Row 0 left-padded by 5; row 1 all real; row 2 nothing visible until position 298, where
 * its query sees only its own key (then one more). */
static int decode_mask(int b, int position) {
    if (b == 0) return position >= 5;
    if (b == 2) return position >= 298;
    return 1;
}

/* Every position real. */
static int all_visible(int b, int position) {
    (void)b, (void)position;
    return 1;
}

/* Decode steps (T = 1, the fused kernel on CUDA) at GPT-2's head shape, past the block's
 * 128 threads, with padding and a query that sees no key; and the cache lengths either side
 * of the fused kernel's 2048-key limit (past 2047 fused, past 2048 the general path). */
/* The small case's padding: row 0 left-padded by 2, row 2 with holes at 2 (in the prompt),
 * 6 (a finished row's decode step) and 8. */
static int small_cache_mask(int b, int position) {
    if (b == 0) return position >= 2;
    if (b == 2) return position != 2 && position != 6 && position != 8;
    return 1;
}

/* A prompt of 6, one decode step, then 3 more positions: the three calls fill the cache
 * exactly. */
START_TEST(test_attention_cached) {
    int steps[3] = {6, 1, 3};
    check_cached_steps(3, 4, 32, 10, steps, 3, small_cache_mask, 300);
}
END_TEST

START_TEST(test_attention_cached_decode) {
    int gpt2_steps[4] = {297, 1, 1, 1};
    check_cached_steps(3, 12, 768, 300, gpt2_steps, 4, decode_mask, 310);
    int long_steps[3] = {2047, 1, 1};
    check_cached_steps(1, 2, 16, 2049, long_steps, 3, all_visible, 320);
}
END_TEST

/* The backend promises runs that repeat bit for bit on one GPU (no atomics): attention
 * forward and backward, twice on the same inputs, must agree exactly. */
START_TEST(test_repeatable) {
    int B = 2, T = 64, C = 96, NH = 12;
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C, n_probs = (size_t)B * NH * T * T;
    int *mask = malloc(sizeof(int) * B * T);
    for (int i = 0; i < B * T; i++) mask[i] = 1;
    float *qkv = random_floats(n_qkv, 1, 260), *dout = random_floats(n_out, 1, 261);
    float *device_qkv = to_device(qkv, n_qkv), *device_dout = to_device(dout, n_out);
    int *device_mask = ints_to_device(mask, (size_t)B * T);
    float *results[2][2];
    for (int run = 0; run < 2; run++) {
        float *device_out = gpu->alloc(sizeof(float) * n_out), *device_probs = gpu->alloc(sizeof(float) * n_probs);
        float *device_scratch = gpu->alloc(sizeof(float) * n_probs), *device_dqkv = gpu->alloc(sizeof(float) * n_qkv);
        gpu->zero(device_dqkv, n_qkv);
        gpu->attention_forward(device_out, device_probs, device_qkv, device_mask, B, T, C, NH, 0.1f, seed_for(262));
        gpu->attention_backward(device_dqkv, device_scratch, device_dout, device_qkv, device_probs, B, T, C, NH, 0.1f,
                                seed_for(262));
        results[run][0] = to_host(device_out, n_out);
        results[run][1] = to_host(device_dqkv, n_qkv);
        gpu->free(device_out); gpu->free(device_probs); gpu->free(device_scratch); gpu->free(device_dqkv);
    }
    report("attention_forward twice: out, bits differing", memcmp(results[0][0], results[1][0], sizeof(float) * n_out) != 0, 0.0);
    report("attention_backward twice: dqkv, bits differing", memcmp(results[0][1], results[1][1], sizeof(float) * n_qkv) != 0,
           0.0);
    for (int run = 0; run < 2; run++) free(results[run][0]), free(results[run][1]);
    free(mask); free(qkv); free(dout);
    gpu->free(device_qkv); gpu->free(device_dout); gpu->free(device_mask);
}
END_TEST

/* ------------------------------------------------------------------ log-probs, sampling */

/* target_logprobs and its backward for N rows of GPT-2's vocabulary on both backends. */
static void check_logprobs(int N, float temperature, int salt) {
    int V = 50257;
    size_t NV = (size_t)N * V;
    float *logits = random_floats(NV, 3, salt), *logprobs = malloc(sizeof(float) * N);
    int *targets = malloc(sizeof(int) * N);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(salt + 1));
    for (int n = 0; n < N; n++) targets[n] = n % 5 == 1 ? -1 : (int)(rlhf_rng_next(&rng) % V);
    float *device_logits = to_device(logits, NV), *device_logprobs = gpu->alloc(sizeof(float) * N);
    int *device_targets = ints_to_device(targets, N);
    cpu->target_logprobs(logprobs, logits, targets, N, V, temperature);
    gpu->target_logprobs(device_logprobs, device_logits, device_targets, N, V, temperature);
    char label[96];
    snprintf(label, sizeof label, "target_logprobs N %d V %d temperature %.1f", N, V, temperature);
    compare(label, device_logprobs, logprobs, N, FLOAT_TOLERANCE);
    cpu->target_entropies(logprobs, logits, targets, N, V, temperature);
    gpu->target_entropies(device_logprobs, device_logits, device_targets, N, V, temperature);
    snprintf(label, sizeof label, "target_entropies N %d V %d temperature %.1f", N, V, temperature);
    compare(label, device_logprobs, logprobs, N, FLOAT_TOLERANCE);

    float *dlogprobs = random_floats(N, 1, salt + 2);
    dlogprobs[3] = 0.0f; /* a zero weight clears its row */
    float *device_dlogprobs = to_device(dlogprobs, N);
    cpu->target_logprobs_backward(logits, dlogprobs, targets, N, V, temperature);
    gpu->target_logprobs_backward(device_logits, device_dlogprobs, device_targets, N, V, temperature);
    snprintf(label, sizeof label, "target_logprobs_backward N %d V %d temperature %.1f", N, V, temperature);
    compare(label, device_logits, logits, NV, FLOAT_TOLERANCE);
    free(logits); free(logprobs); free(targets); free(dlogprobs);
    gpu->free(device_logits); gpu->free(device_logprobs); gpu->free(device_targets); gpu->free(device_dlogprobs);
}

START_TEST(test_target_logprobs) {
    check_logprobs(37, 1.0f, 400);
    check_logprobs(37, 0.7f, 410);
}
END_TEST

/* Samples B rows on both backends with one setting; tokens must be identical. */
static void check_sampling(const float *logits, const float *device_logits, int B, int V, float temperature,
                           int top_k, float top_p, int salt) {
    float *uniforms = malloc(sizeof(float) * B), *logprobs = malloc(sizeof(float) * B);
    int *tokens = malloc(sizeof(int) * B), *gpu_tokens = malloc(sizeof(int) * B);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(salt));
    for (int b = 0; b < B; b++) uniforms[b] = (float)rlhf_rng_uniform(&rng);
    float *device_uniforms = to_device(uniforms, B), *device_logprobs = gpu->alloc(sizeof(float) * B);
    int *device_tokens = gpu->alloc(sizeof(int) * B);
    cpu->sample_tokens(tokens, logprobs, logits, uniforms, B, V, temperature, top_k, top_p);
    gpu->sample_tokens(device_tokens, device_logprobs, device_logits, device_uniforms, B, V, temperature, top_k, top_p);
    gpu->download(gpu_tokens, device_tokens, sizeof(int) * B);
    int different = 0;
    for (int b = 0; b < B; b++) different += tokens[b] != gpu_tokens[b];
    char label[128];
    snprintf(label, sizeof label, "sample_tokens V %d T %.1f top-k %d top-p %.2f: tokens differing", V, temperature,
             top_k, top_p);
    report(label, different, 0.0);
    snprintf(label, sizeof label, "sample_tokens V %d T %.1f top-k %d top-p %.2f: log-probs", V, temperature, top_k,
             top_p);
    compare(label, device_logprobs, logprobs, B, FLOAT_TOLERANCE);
    free(uniforms); free(logprobs); free(tokens); free(gpu_tokens);
    gpu->free(device_uniforms); gpu->free(device_logprobs); gpu->free(device_tokens);
}

START_TEST(test_sampling) {
    int B = 64, V = 1000;
    float *logits = random_floats((size_t)B * V, 3, 500);
    /* row 0 has its maximum twice: greedy must take the first, as torch.argmax */
    logits[3] = logits[700] = 50.0f;
    float *device_logits = to_device(logits, (size_t)B * V);
    check_sampling(logits, device_logits, B, V, 0.0f, 0, 1.0f, 501);
    check_sampling(logits, device_logits, B, V, 1.0f, 0, 1.0f, 502);
    check_sampling(logits, device_logits, B, V, 0.7f, 0, 1.0f, 503);
    check_sampling(logits, device_logits, B, V, 1.0f, 20, 1.0f, 504);
    check_sampling(logits, device_logits, B, V, 1.3f, 0, 0.9f, 505);
    check_sampling(logits, device_logits, B, V, 0.8f, 50, 0.7f, 506);
    check_sampling(logits, device_logits, B, V, 1.0f, 1, 1.0f, 507);
    check_sampling(logits, device_logits, B, V, 0.8f, V + 5, 1.0f, 508); /* top-k of V or more: off */
    check_sampling(logits, device_logits, B, V, 1.0f, 0, 0.0f, 509);     /* top-p of 0: off */
    int first = -1;
    int *device_tokens = gpu->alloc(sizeof(int) * B);
    float *device_logprobs = gpu->alloc(sizeof(float) * B), *device_uniforms = gpu->alloc(sizeof(float) * B);
    gpu->sample_tokens(device_tokens, device_logprobs, device_logits, device_uniforms, B, V, 0.0f, 0, 1.0f);
    gpu->download(&first, device_tokens, sizeof(int));
    report("sample_tokens greedy with a tied maximum: index - 3", abs(first - 3), 0.0);
    gpu->free(device_tokens); gpu->free(device_logprobs); gpu->free(device_uniforms);
    gpu->free(device_logits);
    free(logits);

    B = 8;
    V = 50257;
    logits = random_floats((size_t)B * V, 2, 510);
    device_logits = to_device(logits, (size_t)B * V);
    check_sampling(logits, device_logits, B, V, 0.0f, 0, 1.0f, 511);
    check_sampling(logits, device_logits, B, V, 0.9f, 40, 0.95f, 512);
    check_sampling(logits, device_logits, B, V, 1.0f, 0, 1.0f, 513);
    gpu->free(device_logits);
    free(logits);
}
END_TEST

/* Tiny temperatures on rows of GPT-2's vocabulary at GPT-2's logit scale (around -100, one
 * clear maximum at -60 per row): 1e-30, 1e-37 (logit / T overflows float) and 1e-40 (a
 * denormal, counted as the smallest normal float since 1 / T would be inf). The GPU's sampler must pick every row's maximum with a
 * finite log-prob ~0 (the limit T -> 0+ is greedy), its target log-probs must be ~0 for the
 * maximum and never NaN, its gradient never NaN, and each must equal the CPU's. Parity alone
 * would not do: NaN on both sides counts as agreement. */
START_TEST(test_tiny_temperature) {
    enum { B = 6 };
    int V = 50257;
    size_t BV = (size_t)B * V;
    float *logits = random_floats(BV, 3, 520);
    int peaks[B], targets[B], tokens[B], gpu_tokens[B];
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(521));
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < V; i++) logits[(size_t)b * V + i] -= 100.0f;
        peaks[b] = (int)(rlhf_rng_next(&rng) % V);
        logits[(size_t)b * V + peaks[b]] = -60.0f;
        /* even rows score their maximum, odd rows another token */
        targets[b] = b % 2 == 0 ? peaks[b] : (peaks[b] + 1 + (int)(rlhf_rng_next(&rng) % (V - 1))) % V;
    }
    float uniforms[B], logprobs[B], gpu_logprobs[B], dlogprobs[B];
    for (int b = 0; b < B; b++) {
        uniforms[b] = b == B - 1 ? 0.9999f : (float)rlhf_rng_uniform(&rng);
        dlogprobs[b] = 0.5f + (float)b;
    }
    float *device_logits = to_device(logits, BV), *device_uniforms = to_device(uniforms, B);
    float *device_dlogprobs = to_device(dlogprobs, B), *device_logprobs = gpu->alloc(sizeof(float) * B);
    int *device_tokens = gpu->alloc(sizeof(int) * B), *device_targets = ints_to_device(targets, B);
    float *gradient = malloc(sizeof(float) * BV), *device_gradient = gpu->alloc(sizeof(float) * BV);
    const float temperatures[3] = {1e-30f, 1e-37f, 1e-40f};
    const int top_ks[2] = {0, 40};
    const float top_ps[2] = {1.0f, 0.9f};
    char label[128];
    for (int t = 0; t < 3; t++) {
        float T = temperatures[t];
        for (int setting = 0; setting < 2; setting++) {
            cpu->sample_tokens(tokens, logprobs, logits, uniforms, B, V, T, top_ks[setting], top_ps[setting]);
            gpu->sample_tokens(device_tokens, device_logprobs, device_logits, device_uniforms, B, V, T,
                               top_ks[setting], top_ps[setting]);
            gpu->download(gpu_tokens, device_tokens, sizeof(int) * B);
            gpu->download(gpu_logprobs, device_logprobs, sizeof(float) * B);
            int not_greedy = 0, different = 0;
            double worst_logprob = 0;
            for (int b = 0; b < B; b++) {
                not_greedy += gpu_tokens[b] != peaks[b];
                different += gpu_tokens[b] != tokens[b];
                double magnitude = isfinite(gpu_logprobs[b]) ? fabs(gpu_logprobs[b]) : INFINITY;
                if (magnitude > worst_logprob) worst_logprob = magnitude;
            }
            snprintf(label, sizeof label, "sample_tokens T %.3g top-k %d top-p %.2f: not the maximum", (double)T,
                     top_ks[setting], top_ps[setting]);
            report(label, not_greedy, 0.0);
            snprintf(label, sizeof label, "sample_tokens T %.3g top-k %d top-p %.2f: tokens differing", (double)T,
                     top_ks[setting], top_ps[setting]);
            report(label, different, 0.0);
            snprintf(label, sizeof label, "sample_tokens T %.3g top-k %d top-p %.2f: largest |log-prob|", (double)T,
                     top_ks[setting], top_ps[setting]);
            report(label, worst_logprob, 1e-6);
            snprintf(label, sizeof label, "sample_tokens T %.3g top-k %d top-p %.2f: log-probs", (double)T,
                     top_ks[setting], top_ps[setting]);
            compare(label, device_logprobs, logprobs, B, FLOAT_TOLERANCE);
        }

        cpu->target_logprobs(logprobs, logits, targets, B, V, T);
        gpu->target_logprobs(device_logprobs, device_logits, device_targets, B, V, T);
        gpu->download(gpu_logprobs, device_logprobs, sizeof(float) * B);
        double worst_of_maxima = 0;
        int nan_count = 0;
        for (int b = 0; b < B; b++) {
            nan_count += isnan(gpu_logprobs[b]);
            double magnitude = isfinite(gpu_logprobs[b]) ? fabs(gpu_logprobs[b]) : INFINITY;
            if (b % 2 == 0 && magnitude > worst_of_maxima) worst_of_maxima = magnitude;
        }
        snprintf(label, sizeof label, "target_logprobs T %.3g: largest |log-prob| of a maximum", (double)T);
        report(label, worst_of_maxima, 1e-6);
        snprintf(label, sizeof label, "target_logprobs T %.3g: NaN log-probs", (double)T);
        report(label, nan_count, 0.0);
        snprintf(label, sizeof label, "target_logprobs T %.3g", (double)T);
        compare(label, device_logprobs, logprobs, B, FLOAT_TOLERANCE);

        memcpy(gradient, logits, sizeof(float) * BV);
        gpu->copy(device_gradient, device_logits, BV);
        cpu->target_logprobs_backward(gradient, dlogprobs, targets, B, V, T);
        gpu->target_logprobs_backward(device_gradient, device_dlogprobs, device_targets, B, V, T);
        float *gpu_gradient = to_host(device_gradient, BV);
        nan_count = 0;
        for (size_t i = 0; i < BV; i++) nan_count += isnan(gpu_gradient[i]);
        free(gpu_gradient);
        snprintf(label, sizeof label, "target_logprobs_backward T %.3g: NaN gradients", (double)T);
        report(label, nan_count, 0.0);
        snprintf(label, sizeof label, "target_logprobs_backward T %.3g", (double)T);
        compare(label, device_gradient, gradient, BV, FLOAT_TOLERANCE);
    }
    free(logits); free(gradient);
    gpu->free(device_logits); gpu->free(device_uniforms); gpu->free(device_dlogprobs); gpu->free(device_logprobs);
    gpu->free(device_tokens); gpu->free(device_targets); gpu->free(device_gradient);
}
END_TEST

/* ------------------------------------------------------------------ whole models */

static gpt_config small_config(bool score_head, float dropout) {
    gpt_config c = {.vocab_size = 61, .n_positions = 40, .n_embd = 48, .n_layer = 2, .n_head = 4,
                    .layer_norm_epsilon = 1e-5f, .embd_pdrop = dropout, .resid_pdrop = dropout,
                    .attn_pdrop = dropout, .has_score_head = score_head, .bos_token_id = -1, .eos_token_id = -1,
                    .pad_token_id = -1};
    return c;
}

/* Compares every parameter (or gradient) tensor of the two models and reports the worst. */
static void compare_models(const char *what, const gpt_model *on_cpu, const gpt_model *on_gpu, bool gradient,
                           double tolerance) {
    size_t count = on_cpu->parameter_count;
    float *expected = malloc(sizeof(float) * count), *got = malloc(sizeof(float) * count);
    gpt_read_parameters(on_cpu, expected, gradient);
    gpt_read_parameters(on_gpu, got, gradient);
    double worst = 0;
    const char *worst_name = "-";
    for (int i = 0; i < on_cpu->tensor_count; i++) {
        const gpt_tensor *t = &on_cpu->tensors[i];
        double error = parity_error(got + t->offset, expected + t->offset, t->count);
        if (error > worst || isnan(error)) {
            worst = error;
            worst_name = t->name;
        }
    }
    char label[160];
    snprintf(label, sizeof label, "%s (worst tensor: %s)", what, worst_name);
    report(label, worst, tolerance);
    free(expected);
    free(got);
}

/* After one AdamW step from the same parameters: the largest |p_cuda - p_cpu| in units of the
 * learning rate. AdamW's first step moves an element by lr * g / (|g| + epsilon) (g clipped),
 * about +-lr whatever the size of g, so where g is near zero the step's direction and size
 * follow rounding error: an element whose exact gradient is 0 (the attention key bias; the
 * softmax ignores a constant added to every score) moves in a direction chosen by rounding
 * noise, differently on each backend. Compared are the elements whose clipped gradient is at
 * least 100 epsilon and 1e-3 of its tensor's largest, where a float32 gradient error of 1e-6
 * of that largest changes the step by at most ~1e-5 lr; the others are counted. */
static void compare_update(const char *what, const gpt_model *on_cpu, const gpt_model *on_gpu, const float *gradient,
                           float grad_scale, float epsilon, float learning_rate, double tolerance) {
    size_t count = on_cpu->parameter_count, skipped = 0;
    float *expected = malloc(sizeof(float) * count), *got = malloc(sizeof(float) * count);
    gpt_read_parameters(on_cpu, expected, false);
    gpt_read_parameters(on_gpu, got, false);
    double worst = 0;
    for (int i = 0; i < on_cpu->tensor_count; i++) {
        const gpt_tensor *t = &on_cpu->tensors[i];
        double largest = 0;
        for (size_t k = 0; k < t->count; k++)
            if (fabs(gradient[t->offset + k]) > largest) largest = fabs(gradient[t->offset + k]);
        for (size_t k = 0; k < t->count; k++) {
            size_t at = t->offset + k;
            double g = fabs(gradient[at]);
            if (!isfinite(got[at])) worst = INFINITY;
            if (g * grad_scale < 100.0 * epsilon || g < 1e-3 * largest) {
                skipped += g != 0.0;
                continue;
            }
            double difference = fabs((double)got[at] - (double)expected[at]) / learning_rate;
            if (difference > worst) worst = difference;
        }
    }
    char label[200];
    snprintf(label, sizeof label, "%s, in learning rates (%zu near-zero gradients left out)", what, skipped);
    report(label, worst, tolerance);
    free(expected);
    free(got);
}

/* Relative difference of two scalars. */
static double scalar_error(double got, double expected) {
    if (!isfinite(got)) return INFINITY;
    return fabs(got - expected) / (fabs(expected) > 1e-30 ? fabs(expected) : 1.0);
}

/* One full training step (forward with both heads over a padded batch, backward of
 * log-probs and values, AdamW with clipping and weight decay) and then two more plain
 * steps, on both backends from the same initial parameters. */
static void check_training_step(const char *name, gpt_config config, int B, int T, bool dropout, bool tf32, int salt) {
    gpt_model on_cpu, on_gpu;
    nn_adamw adam_cpu, adam_gpu;
    rlhf_error error;
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.weight_decay = 0.1f;
    adamw.max_grad_norm = 1.0f;
    ck_assert_msg(gpt_create(&on_cpu, &config, cpu, &error) == 0, "%s", error.message);
    ck_assert_msg(gpt_create(&on_gpu, &config, gpu, &error) == 0, "%s", error.message);
    ck_assert_msg(gpt_reserve(&on_cpu, B, T, true, &error) == 0, "%s", error.message);
    ck_assert_msg(gpt_reserve(&on_gpu, B, T, true, &error) == 0, "%s", error.message);
    ck_assert_int_eq(nn_adamw_create(&adam_cpu, &on_cpu, &adamw, &error), 0);
    ck_assert_int_eq(nn_adamw_create(&adam_gpu, &on_gpu, &adamw, &error), 0);
    gpt_init_random(&on_cpu, seed_for(salt), NULL);
    gpt_init_random(&on_gpu, seed_for(salt), NULL);
    on_cpu.training = on_gpu.training = dropout;
    nn_cuda_set_tf32(tf32);
    double step_tolerance = tf32 ? TF32_STEP_TOLERANCE : FLOAT_TOLERANCE;

    size_t N = (size_t)B * T;
    int V = config.vocab_size;
    int *tokens = malloc(sizeof(int) * N), *mask = malloc(sizeof(int) * N), *targets = malloc(sizeof(int) * N);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(salt + 1));
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t n = (size_t)b * T + t;
            tokens[n] = (int)(rlhf_rng_next(&rng) % (uint64_t)V);
            mask[n] = !((b == 0 && t < 3) || (b == 1 && t >= T - 2)); /* left and right padding */
        }
    for (size_t n = 0; n < N; n++) {
        bool next_real = (n + 1) % T != 0 && mask[n] && mask[n + 1];
        targets[n] = next_real ? tokens[n + 1] : -1;
    }
    bool values = config.has_score_head;
    gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .attention_mask = mask, .targets = targets,
                       .want_values = values};
    float *logprobs_cpu = malloc(sizeof(float) * N), *logprobs_gpu = malloc(sizeof(float) * N);
    float *values_cpu = calloc(N, sizeof(float)), *values_gpu = calloc(N, sizeof(float));
    gpt_outputs out_cpu = {.target_logprobs = logprobs_cpu, .values = values ? values_cpu : NULL};
    gpt_outputs out_gpu = {.target_logprobs = logprobs_gpu, .values = values ? values_gpu : NULL};
    gpt_zero_grad(&on_cpu);
    gpt_zero_grad(&on_gpu);
    ck_assert_msg(gpt_forward(&on_cpu, &batch, &out_cpu, &error) == 0, "%s", error.message);
    ck_assert_msg(gpt_forward(&on_gpu, &batch, &out_gpu, &error) == 0, "%s", error.message);
    char label[160];
    snprintf(label, sizeof label, "%s step 1: loss %.6f", name, out_cpu.loss);
    report(label, scalar_error(out_gpu.loss, out_cpu.loss), step_tolerance);
    snprintf(label, sizeof label, "%s step 1: target log-probs", name);
    report(label, parity_error(logprobs_gpu, logprobs_cpu, N), step_tolerance);
    if (values) {
        snprintf(label, sizeof label, "%s step 1: values", name);
        report(label, parity_error(values_gpu, values_cpu, N), step_tolerance);
    }

    /* backward of  -mean log-prob + sum w_n value_n  */
    float *d_logprobs = malloc(sizeof(float) * N), *d_values = random_floats(N, 0.1f, salt + 2);
    for (size_t n = 0; n < N; n++) d_logprobs[n] = -1.0f / (float)out_cpu.target_count;
    ck_assert_int_eq(gpt_backward(&on_cpu, d_logprobs, values ? d_values : NULL, &error), 0);
    ck_assert_int_eq(gpt_backward(&on_gpu, d_logprobs, values ? d_values : NULL, &error), 0);
    float *gradient = malloc(sizeof(float) * on_cpu.parameter_count);
    gpt_read_parameters(&on_cpu, gradient, true);
    if (!tf32) {
        snprintf(label, sizeof label, "%s step 1: gradients", name);
        compare_models(label, &on_cpu, &on_gpu, true, MODEL_GRADIENT_TOLERANCE);
    }
    float norm_cpu = nn_adamw_step(&adam_cpu, &on_cpu, 1e-3f), norm_gpu = nn_adamw_step(&adam_gpu, &on_gpu, 1e-3f);
    snprintf(label, sizeof label, "%s step 1: gradient norm %.4f", name, norm_cpu);
    report(label, scalar_error(norm_gpu, norm_cpu), tf32 ? TF32_STEP_TOLERANCE : MODEL_GRADIENT_TOLERANCE);
    if (!tf32) {
        snprintf(label, sizeof label, "%s step 1: AdamW update", name);
        float grad_scale = norm_cpu > adamw.max_grad_norm ? adamw.max_grad_norm / (norm_cpu + 1e-6f) : 1.0f;
        compare_update(label, &on_cpu, &on_gpu, gradient, grad_scale, adamw.epsilon, 1e-3f, 1e-3);
    }
    free(gradient);
    /* two more steps of the language-model loss */
    gpt_batch plain = batch;
    plain.want_values = false;
    for (int step = 2; step <= 3; step++) {
        gpt_zero_grad(&on_cpu);
        gpt_zero_grad(&on_gpu);
        ck_assert_int_eq(gpt_forward(&on_cpu, &plain, &out_cpu, &error), 0);
        ck_assert_int_eq(gpt_forward(&on_gpu, &plain, &out_gpu, &error), 0);
        ck_assert_int_eq(gpt_backward_loss(&on_cpu, &error), 0);
        ck_assert_int_eq(gpt_backward_loss(&on_gpu, &error), 0);
        nn_adamw_step(&adam_cpu, &on_cpu, 1e-3f);
        nn_adamw_step(&adam_gpu, &on_gpu, 1e-3f);
    }
    snprintf(label, sizeof label, "%s step 3: loss %.6f", name, out_cpu.loss);
    report(label, scalar_error(out_gpu.loss, out_cpu.loss), tf32 ? TF32_STEP_TOLERANCE : MODEL_GRADIENT_TOLERANCE);
    nn_cuda_set_tf32(false);
    free(tokens); free(mask); free(targets); free(logprobs_cpu); free(logprobs_gpu); free(values_cpu);
    free(values_gpu); free(d_logprobs); free(d_values);
    nn_adamw_destroy(&adam_cpu);
    nn_adamw_destroy(&adam_gpu);
    gpt_destroy(&on_cpu);
    gpt_destroy(&on_gpu);
}

START_TEST(test_training_step_small) {
    check_training_step("small GPT, dropout 0.1, score head", small_config(true, 0.1f), 3, 17, true, false, 600);
}
END_TEST

START_TEST(test_training_step_tiny) {
    gpt_config config;
    rlhf_error error;
    ck_assert_int_eq(gpt_config_named(&config, "tiny", &error), 0);
    check_training_step("tiny config (V 8192)", config, 4, 64, false, false, 610);
}
END_TEST

START_TEST(test_training_step_gpt2) {
    gpt_config config;
    rlhf_error error;
    ck_assert_int_eq(gpt_config_named(&config, "gpt2", &error), 0);
    check_training_step("gpt2 config (124M)", config, 2, 64, false, false, 620);
}
END_TEST

START_TEST(test_training_step_tf32) {
    gpt_config config;
    rlhf_error error;
    ck_assert_int_eq(gpt_config_named(&config, "tiny", &error), 0);
    check_training_step("tiny config in TF32", config, 4, 64, false, true, 630);
}
END_TEST

/* The same random model (N(0, 0.3) weights, LayerNorm weights near 1, so logits spread)
 * on both backends. */
static void make_model_pair(gpt_model *on_cpu, gpt_model *on_gpu, const gpt_config *config, int salt) {
    rlhf_error error;
    ck_assert_int_eq(gpt_create(on_cpu, config, cpu, &error), 0);
    ck_assert_int_eq(gpt_create(on_gpu, config, gpu, &error), 0);
    float *host = random_floats(on_cpu->parameter_count, 0.3f, salt);
    for (int i = 0; i < on_cpu->tensor_count; i++)
        if (strstr(on_cpu->tensors[i].name, "ln_") && strstr(on_cpu->tensors[i].name, "weight"))
            for (size_t k = 0; k < on_cpu->tensors[i].count; k++) host[on_cpu->tensors[i].offset + k] += 1.0f;
    gpt_write_parameters(on_cpu, host);
    gpt_write_parameters(on_gpu, host);
    free(host);
}

/* The model's logits for the token after prompt + generated[0..t), from a full forward pass
 * of that one sequence (malloc'd, vocab_size floats). */
static float *next_token_logits(gpt_model *model, const int *prompt, int prompt_length, const int *generated, int t) {
    int T = prompt_length + t, V = model->config.vocab_size;
    int *tokens = malloc(sizeof(int) * T);
    memcpy(tokens, prompt, sizeof(int) * prompt_length);
    memcpy(tokens + prompt_length, generated, sizeof(int) * t);
    rlhf_error error;
    ck_assert_msg(gpt_reserve(model, 1, T, false, &error) == 0, "%s", error.message);
    gpt_batch batch = {.batch_size = 1, .seq_len = T, .tokens = tokens, .want_logits = true};
    ck_assert_msg(gpt_forward(model, &batch, NULL, &error) == 0, "%s", error.message);
    float *logits = malloc(sizeof(float) * T * V), *last = malloc(sizeof(float) * V);
    gpt_copy_logits(model, logits);
    memcpy(last, logits + (size_t)(T - 1) * V, sizeof(float) * V);
    free(tokens);
    free(logits);
    return last;
}

/* The token the CPU's sampler draws from one row of logits at uniform u. */
static int cpu_draw(const float *logits, int V, float u, const policy_sampling *sampling) {
    float *row = copy_floats(logits, (size_t)V), logprob;
    int token;
    cpu->sample_tokens(&token, &logprob, row, &u, 1, V, sampling->temperature, sampling->top_k, sampling->top_p);
    free(row);
    return token;
}

/* How far the rounding rules below move a uniform or top_p: none, then 1e-6, 1e-5 and 1e-4
 * either way. */
static const float rounding_offsets[] = {0.0f, -1e-6f, 1e-6f, -1e-5f, 1e-5f, -1e-4f, 1e-4f};
enum { OFFSETS = sizeof rounding_offsets / sizeof rounding_offsets[0] };

/* Whether float rounding can decide the CPU's sampler between tokens a and b, given one row
 * of logits and the row's uniform u: whether it draws both, either at the uniforms u,
 * u +- 1e-6, u +- 1e-5 and u +- 1e-4 (u lies within 1e-4 of their border in its cumulative
 * probabilities), or at u from the logits nudged by up to 1e-4 x max(1, |logit|) in 16
 * seeded ways (a token at the top-k or top-p edge moves in or out of the kept set, and the
 * rescaling then moves every border). The backends' logits differ by about 1e-6, so a part
 * either way explains is a near tie; a part neither explains is a bug. */
static bool sampler_could_draw_either(const float *logits, int V, float u, int a, int b,
                                      const policy_sampling *sampling) {
    enum { NUDGES = 16, DRAWS = OFFSETS + NUDGES };
    float *rows = malloc(sizeof(float) * DRAWS * V), uniforms[DRAWS], logprobs[DRAWS];
    int drawn[DRAWS];
    rlhf_rng nudge;
    rlhf_rng_seed(&nudge, 0x6e75646765ULL);
    for (int d = 0; d < DRAWS; d++) {
        float *row = rows + (size_t)d * V;
        memcpy(row, logits, sizeof(float) * V);
        uniforms[d] = fminf(fmaxf(u + (d < OFFSETS ? rounding_offsets[d] : 0.0f), 0.0f), 0.99999994f);
        if (d >= OFFSETS)
            for (int v = 0; v < V; v++)
                row[v] += (float)(2.0 * rlhf_rng_uniform(&nudge) - 1.0) * 1e-4f * fmaxf(1.0f, fabsf(row[v]));
    }
    cpu->sample_tokens(drawn, logprobs, rows, uniforms, DRAWS, V, sampling->temperature, sampling->top_k,
                       sampling->top_p);
    free(rows);
    bool drew_a = false, drew_b = false;
    for (int d = 0; d < DRAWS; d++) {
        drew_a |= drawn[d] == a;
        drew_b |= drawn[d] == b;
    }
    return drew_a && drew_b;
}

/* Row `row`'s uniform at new token t: the (t + 1)-th draw of its stream, as policy_generate
 * drew it. */
static float row_uniform(const policy_sampling *sampling, int row, int t) {
    rlhf_rng stream;
    policy_sampling_stream(&stream, sampling->seed, row);
    float u = 0.0f;
    for (int step = 0; step <= t; step++) u = (float)rlhf_rng_uniform(&stream);
    return u;
}

/* Whether the CPU and CUDA generations may rightly part at new token t of row `row` (CPU
 * drew a, CUDA drew b after the same prefix): a draw that float rounding decides either way.
 * The CPU scores the shared prefix again with a full forward pass. Greedy: a and b must be
 * within 1e-4 of each other in its logits. Sampled: with the row's own uniform u at step t
 * (drawn again from its stream), sampler_could_draw_either must find that rounding decides
 * between a and b (u at their border, or a token at the top-k/top-p edge). */
static bool near_tie(gpt_model *model, const int *prompt, int prompt_length, const int *generated, int t, int a, int b,
                     const policy_sampling *sampling, int row) {
    int V = model->config.vocab_size;
    float *last = next_token_logits(model, prompt, prompt_length, generated, t);
    bool tie = false;
    if (sampling->temperature <= 0.0f) {
        tie = fabsf(last[a] - last[b]) <= 1e-4f * fmaxf(1.0f, fabsf(last[a]));
    } else {
        tie = sampler_could_draw_either(last, V, row_uniform(sampling, row, t), a, b, sampling);
    }
    free(last);
    return tie;
}

/* Orders indices by their logits, highest first (qsort has no context argument). */
static const float *sorting_logits;
static int by_logit_descending(const void *x, const void *y) {
    float a = sorting_logits[*(const int *)x], b = sorting_logits[*(const int *)y];
    return (a < b) - (a > b);
}

/* Whether the CPU's sampler, given one row of logits and uniform u, gives `token` both
 * log-probs a and b (each within 1e-4 x max(1, |log-prob|)) when rounding moves the edge of
 * the kept set: with top_p moved by up to 1e-4 (a token whose probability sits at the
 * nucleus edge is kept on one side only), and with each pair of logits within 1e-5 x
 * max(1, |logit|) of each other made equal (ties at the top-k or nucleus threshold are all
 * kept, so a tie one backend rounds into and the other not keeps one token more). A
 * different kept set rescales every kept token's probability by a different mass. */
static bool kept_set_edge_gives_both(const float *logits, int V, float u, int token, float a, float b,
                                     const policy_sampling *sampling) {
    int *order = malloc(sizeof(int) * V);
    for (int v = 0; v < V; v++) order[v] = v;
    sorting_logits = logits;
    qsort(order, (size_t)V, sizeof(int), by_logit_descending);
    float *row = malloc(sizeof(float) * V);
    bool gives_a = false, gives_b = false;
    for (int variant = 0; variant < OFFSETS + V - 1; variant++) {
        float top_p = variant < OFFSETS ? fminf(sampling->top_p + rounding_offsets[variant], 1.0f) : sampling->top_p;
        int raised = variant < OFFSETS ? -1 : order[variant - OFFSETS + 1]; /* the lower of a near pair */
        float higher = raised < 0 ? 0.0f : logits[order[variant - OFFSETS]];
        if (raised >= 0 && higher - logits[raised] > 1e-5f * fmaxf(1.0f, fabsf(higher))) continue;
        memcpy(row, logits, sizeof(float) * V);
        if (raised >= 0) row[raised] = higher;
        int drawn;
        float logprob;
        cpu->sample_tokens(&drawn, &logprob, row, &u, 1, V, sampling->temperature, sampling->top_k, top_p);
        if (drawn != token) continue;
        gives_a |= fabsf(logprob - a) <= 1e-4f * fmaxf(1.0f, fabsf(a));
        gives_b |= fabsf(logprob - b) <= 1e-4f * fmaxf(1.0f, fabsf(b));
    }
    free(row);
    free(order);
    return gives_a && gives_b;
}

/* Whether the backends may rightly report different log-probs, cpu_logprob and gpu_logprob,
 * for the same token sampled at new token t of row `row`: kept_set_edge_gives_both on the
 * CPU's full forward pass over the shared prefix, with the row's own uniform. */
static bool kept_set_edge(gpt_model *model, const int *prompt, int prompt_length, const int *generated, int t,
                          float cpu_logprob, float gpu_logprob, const policy_sampling *sampling, int row) {
    if (sampling->temperature <= 0.0f) return false;
    float *last = next_token_logits(model, prompt, prompt_length, generated, t);
    bool edge = kept_set_edge_gives_both(last, model->config.vocab_size, row_uniform(sampling, row, t), generated[t], cpu_logprob, gpu_logprob,
                                         sampling);
    free(last);
    return edge;
}

/* policy_generate on both backends from prompts of different lengths: identical tokens,
 * lengths and stop reasons, log-probs within tolerance. */
static void check_generation(const char *name, const gpt_config *config, int count, int new_tokens,
                             const policy_sampling *sampling, int salt) {
    gpt_model on_cpu, on_gpu;
    make_model_pair(&on_cpu, &on_gpu, config, salt);
    int **prompts = malloc(sizeof(int *) * count), *lengths = malloc(sizeof(int) * count);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(salt + 1));
    for (int i = 0; i < count; i++) {
        lengths[i] = 1 + (int)(rlhf_rng_next(&rng) % 8);
        prompts[i] = malloc(sizeof(int) * lengths[i]);
        for (int t = 0; t < lengths[i]; t++) prompts[i][t] = (int)(rlhf_rng_next(&rng) % (uint64_t)config->vocab_size);
    }
    policy_sampling s = *sampling;
    s.max_new_tokens = new_tokens;
    policy_generation out_cpu, out_gpu;
    rlhf_error error;
    ck_assert_msg(policy_generate(&on_cpu, (const int *const *)prompts, lengths, count, &s, &out_cpu, &error) == 0,
                  "%s", error.message);
    ck_assert_msg(policy_generate(&on_gpu, (const int *const *)prompts, lengths, count, &s, &out_gpu, &error) == 0,
                  "%s", error.message);
    /* Row by row up to its first differing token. A row may part at a near tie (at most one
     * row of the batch: a broken sampler or cache parts most rows); after that its tokens
     * and log-probs are not comparable. Likewise one shared token's log-prob may differ where
     * another token sits at the kept set's edge (kept_set_edge). */
    int different = 0, ties = 0, edges = 0, compared = 0;
    float *logprobs_cpu = malloc(sizeof(float) * count * new_tokens), *logprobs_gpu = malloc(sizeof(float) * count * new_tokens);
    for (int i = 0; i < count; i++) {
        int shared = out_cpu.lengths[i] < out_gpu.lengths[i] ? out_cpu.lengths[i] : out_gpu.lengths[i], parted = -1;
        const int *tokens_cpu = out_cpu.tokens + (size_t)i * new_tokens, *tokens_gpu = out_gpu.tokens + (size_t)i * new_tokens;
        for (int t = 0; t < shared && parted < 0; t++)
            if (tokens_cpu[t] != tokens_gpu[t]) parted = t;
        if (parted < 0) {
            different += out_cpu.lengths[i] != out_gpu.lengths[i] || out_cpu.stop_reasons[i] != out_gpu.stop_reasons[i];
        } else if (ties == 0 && near_tie(&on_cpu, prompts[i], lengths[i], tokens_cpu, parted, tokens_cpu[parted],
                                         tokens_gpu[parted], &s, i)) {
            ties++;
            printf("  (row %d parts at new token %d: CPU %d, CUDA %d, a near tie on the CPU's own scores)\n", i,
                   parted, tokens_cpu[parted], tokens_gpu[parted]);
            shared = parted;
        } else {
            different += shared - parted;
            shared = parted;
        }
        for (int t = 0; t < shared; t++) {
            float cpu_logprob = out_cpu.logprobs[(size_t)i * new_tokens + t];
            float gpu_logprob = out_gpu.logprobs[(size_t)i * new_tokens + t];
            if (fabsf(cpu_logprob - gpu_logprob) > 1e-4f * fmaxf(1.0f, fabsf(cpu_logprob)) && edges == 0 &&
                kept_set_edge(&on_cpu, prompts[i], lengths[i], tokens_cpu, t, cpu_logprob, gpu_logprob, &s, i)) {
                edges++;
                printf("  (row %d, new token %d: log-prob CPU %.6f, CUDA %.6f, a token at the kept set's edge)\n", i, t,
                       cpu_logprob, gpu_logprob);
                continue;
            }
            logprobs_cpu[compared] = cpu_logprob;
            logprobs_gpu[compared++] = gpu_logprob;
        }
    }
    char label[160];
    snprintf(label, sizeof label, "%s: tokens differing", name);
    report(label, different, 0.0);
    snprintf(label, sizeof label, "%s: log-probs", name);
    report(label, parity_error(logprobs_gpu, logprobs_cpu, (size_t)compared), 1e-4);
    free(logprobs_cpu);
    free(logprobs_gpu);
    for (int i = 0; i < count; i++) free(prompts[i]);
    free(prompts);
    free(lengths);
    policy_generation_free(&out_cpu);
    policy_generation_free(&out_gpu);
    gpt_destroy(&on_cpu);
    gpt_destroy(&on_gpu);
}

START_TEST(test_generation) {
    gpt_config small = small_config(false, 0.0f), tiny;
    rlhf_error error;
    ck_assert_int_eq(gpt_config_named(&tiny, "tiny", &error), 0);
    policy_sampling greedy = {.temperature = 0.0f, .top_p = 1.0f, .seed = 1, .eos_id = -1};
    policy_sampling sampled = {.temperature = 0.9f, .top_k = 8, .top_p = 0.95f, .seed = seed_for(700), .eos_id = -1};
    policy_sampling plain = {.temperature = 1.0f, .top_p = 1.0f, .seed = seed_for(701), .eos_id = -1};
    check_generation("generate small greedy (4 prompts, 20 new)", &small, 4, 20, &greedy, 710);
    check_generation("generate small T 0.9 top-k 8 top-p 0.95", &small, 4, 20, &sampled, 720);
    check_generation("generate small T 1", &small, 4, 20, &plain, 730);
    check_generation("generate tiny greedy (8 prompts, 24 new)", &tiny, 8, 24, &greedy, 740);
    check_generation("generate tiny T 0.9 top-k 8 top-p 0.95", &tiny, 8, 24, &sampled, 750);
}
END_TEST

/* The rule that lets a sampled row part between the backends (near_tie) must neither miss a
 * real tie nor excuse a broken sampler: the uniform it replays from a row's stream is the one
 * policy_generate drew (the CPU's sampler, fed the full forward pass's logits and that
 * uniform, draws every generated token again; one may part at a border, where the cached and
 * the full forward pass round differently), and it accepts a pair of tokens only within 1e-4
 * of their border in the sampler's cumulative probabilities. The rule that lets one shared
 * token's log-prob differ (kept_set_edge_gives_both) accepts only the rescaling a top-k or
 * nucleus edge gives. CPU only. */
START_TEST(test_sampled_near_tie_rule) {
    gpt_config config = small_config(false, 0.0f);
    gpt_model model;
    rlhf_error error;
    ck_assert_int_eq(gpt_create(&model, &config, cpu, &error), 0);
    float *weights = random_floats(model.parameter_count, 0.3f, 760);
    gpt_write_parameters(&model, weights);
    free(weights);
    enum { ROWS = 8, PROMPT = 3 };
    policy_sampling s = {.temperature = 0.9f, .top_p = 0.95f, .top_k = 0, .seed = seed_for(761), .eos_id = -1,
                         .max_new_tokens = 6};
    int prompt_ids[ROWS][PROMPT], lengths[ROWS];
    const int *prompts[ROWS];
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed_for(762));
    for (int r = 0; r < ROWS; r++) {
        for (int t = 0; t < PROMPT; t++) prompt_ids[r][t] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
        prompts[r] = prompt_ids[r];
        lengths[r] = PROMPT;
    }
    policy_generation out;
    ck_assert_msg(policy_generate(&model, prompts, lengths, ROWS, &s, &out, &error) == 0, "%s", error.message);
    int replayed = 0, total = 0;
    for (int r = 0; r < ROWS; r++) {
        rlhf_rng stream;
        policy_sampling_stream(&stream, s.seed, r);
        const int *generated = out.tokens + (size_t)r * s.max_new_tokens;
        for (int t = 0; t < out.lengths[r]; t++) {
            float u = (float)rlhf_rng_uniform(&stream);
            float *logits = next_token_logits(&model, prompts[r], PROMPT, generated, t);
            replayed += cpu_draw(logits, config.vocab_size, u, &s) == generated[t];
            total++;
            free(logits);
        }
    }
    printf("  replayed sampled tokens: %d of %d\n", replayed, total);
    ck_assert_int_eq(total, ROWS * s.max_new_tokens);
    ck_assert_msg(replayed >= total - 1, "only %d of %d sampled tokens replay (RLHF_TEST_SEED=%llu)", replayed, total,
                  run_seed);

    /* a border between two tokens, found by bisection on the uniform, away from 0 and 1; all
     * tokens kept (no top-k or top-p edge for the nudges to move) */
    policy_sampling plain = s;
    plain.top_k = 0;
    plain.top_p = 1.0f;
    int V = config.vocab_size;
    float *logits = random_floats((size_t)V, 1.0f, 763), low = 0.05f, high = low;
    while (high < 0.95f && cpu_draw(logits, V, high, &plain) == cpu_draw(logits, V, low, &plain)) high += 1.0f / 4096;
    ck_assert_msg(high < 0.95f, "no border between tokens found");
    low = high - 1.0f / 4096;
    int a = cpu_draw(logits, V, low, &plain);
    for (int i = 0; i < 40; i++) {
        float middle = 0.5f * (low + high);
        if (cpu_draw(logits, V, middle, &plain) == a) low = middle;
        else high = middle;
    }
    int b = cpu_draw(logits, V, high, &plain), other = 0;
    ck_assert_int_ne(a, b);
    while (other == a || other == b || other == cpu_draw(logits, V, low - 1e-4f, &plain) ||
           other == cpu_draw(logits, V, low + 1e-4f, &plain))
        other++;
    /* the window is 1e-4 wide on either side: accepted inside, refused at 3e-4 (tokens here
     * have shares near 1/61, so nudged logits move the border by about 2e-6) */
    ck_assert_msg(sampler_could_draw_either(logits, V, low, a, b, &plain), "a tie at the border is not accepted");
    ck_assert_msg(sampler_could_draw_either(logits, V, low + 5e-5f, b, a, &plain), "a tie 5e-5 past the border is not accepted");
    ck_assert_msg(sampler_could_draw_either(logits, V, low - 9e-5f, a, b, &plain), "a tie 9e-5 before the border is not accepted");
    ck_assert_msg(!sampler_could_draw_either(logits, V, low - 3e-4f, a, b, &plain), "a part 3e-4 before the border is accepted");
    ck_assert_msg(!sampler_could_draw_either(logits, V, low + 3e-4f, a, b, &plain), "a part 3e-4 after the border is accepted");
    ck_assert_msg(!sampler_could_draw_either(logits, V, low, a, other, &plain), "a token away from the border is accepted");

    /* top-k: when the k-th and (k+1)-th logits are within rounding, the (k+1)-th may be kept
     * on the other backend and move every border; the nudged draws see that */
    policy_sampling top2 = s;
    top2.top_k = 2;
    top2.top_p = 1.0f;
    float edge[4] = {1.0f, 0.5f, 0.5f + 2e-6f, -3.0f}; /* ids 1 and 2 tie for second place */
    int first_pick = cpu_draw(edge, 4, 0.9f, &top2);
    edge[1] += 4e-6f; /* now id 1 is second: kept instead of id 2 */
    int second_pick = cpu_draw(edge, 4, 0.9f, &top2);
    ck_assert_int_ne(first_pick, second_pick);
    edge[1] -= 4e-6f;
    ck_assert_msg(sampler_could_draw_either(edge, 4, 0.9f, first_pick, second_pick, &top2),
                  "a part at the top-k edge is not accepted");
    edge[2] = 0.4f; /* a clear gap: no nudge changes the kept set */
    ck_assert_msg(!sampler_could_draw_either(edge, 4, 0.9f, first_pick, second_pick, &top2),
                  "a part with a clear top-k gap is accepted");

    /* top-p: probabilities 0.6, 0.3, 0.05, 0.05 with top_p 0.9 keep the first two (mass 0.9)
     * or, a rounding later, all four; token 0 (drawn at u 0.1) then has log-prob log(0.6/0.9)
     * or log(0.6). With 0.6, 0.25, 0.1, 0.05 the nucleus (0.95) is clear of the edge. */
    policy_sampling nucleus = s;
    nucleus.top_k = 0;
    nucleus.top_p = 0.9f;
    nucleus.temperature = 1.0f;
    float at_edge[4] = {logf(0.6f), logf(0.3f), logf(0.05f), logf(0.05f)};
    ck_assert_msg(kept_set_edge_gives_both(at_edge, 4, 0.1f, 0, logf(0.6f / 0.9f), logf(0.6f), &nucleus),
                  "a log-prob rescaled at the nucleus edge is not accepted");
    float clear[4] = {logf(0.6f), logf(0.25f), logf(0.1f), logf(0.05f)};
    ck_assert_msg(!kept_set_edge_gives_both(clear, 4, 0.1f, 0, logf(0.6f / 0.95f), logf(0.6f / 0.85f), &nucleus),
                  "a log-prob with a clear nucleus is accepted");
    ck_assert_msg(!kept_set_edge_gives_both(at_edge, 4, 0.1f, 0, logf(0.6f / 0.9f), logf(0.6f / 0.95f), &nucleus),
                  "a log-prob no nucleus gives is accepted");
    /* top-k 2 over logits 2, 1, 1 - 3e-6, -1: a tie for second place, which one backend may
     * round into, keeps three; token 0 then has log-prob 2 - log(e^2 + 2e) instead of
     * 2 - log(e^2 + e). With a clear gap (0.9) only the second is given. */
    policy_sampling top2_all = top2;
    top2_all.temperature = 1.0f;
    float tied[4] = {2.0f, 1.0f, 1.0f - 3e-6f, -1.0f};
    float two = 2.0f - logf(expf(2.0f) + expf(1.0f)), three = 2.0f - logf(expf(2.0f) + 2.0f * expf(1.0f));
    ck_assert_msg(kept_set_edge_gives_both(tied, 4, 0.1f, 0, two, three, &top2_all),
                  "a log-prob rescaled by a tie at the top-k edge is not accepted");
    tied[2] = 0.9f;
    ck_assert_msg(!kept_set_edge_gives_both(tied, 4, 0.1f, 0, two, three, &top2_all),
                  "a log-prob rescaled with a clear top-k gap is accepted");
    free(logits);
    policy_generation_free(&out);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_greedy_matches_hugging_face_generate) {
    rlhf_error error;
    policy_generation out;
    int eos;
    int different = greedy_fixture_mismatches(gpu, tests_fixtures_dir(), &out, &eos, &error);
    ck_assert_msg(different >= 0, "%s", error.message);
    report("Hugging Face generate's greedy tokens on CUDA: differing", different, 0.0);
    policy_generation_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ the benchmark's shapes */

/* The shapes tests/gpu/run.sh benchmarks (GPT-2 124M, T = 1024, 8192 rows of logits), where
 * index arithmetic meets its largest numbers. A case of its own: the CPU emulator skips it
 * (CK_EXCLUDE_TAGS=large), a GPU runs it in seconds. */
START_TEST(test_attention_at_benchmark_size) {
    check_attention(3, 1024, 768, 12, 0.0f, 900);
}
END_TEST

START_TEST(test_logprobs_at_benchmark_size) {
    check_logprobs(8 * 1024, 1.0f, 910); /* B=8 x T=1024 rows of 50257 logits: 1.6 GB */
}
END_TEST

START_TEST(test_layernorm_at_benchmark_size) {
    check_layernorm(8 * 1024, 768);
    check_layernorm(140000, 96); /* more rows than one pass of the column sums takes */
}
END_TEST

START_TEST(test_training_step_at_benchmark_size) {
    gpt_config config;
    rlhf_error error;
    ck_assert_int_eq(gpt_config_named(&config, "gpt2", &error), 0);
    check_training_step("gpt2 config (124M) B 4 T 1024", config, 4, 1024, false, false, 920);
}
END_TEST

START_TEST(test_backend_selection) {
    rlhf_error error;
    const char *chosen = NULL;
    ck_assert_ptr_eq(nn_backend_select("cuda", &chosen, &error), gpu);
    ck_assert_str_eq(chosen, "cuda");
    ck_assert_ptr_eq(nn_backend_select("auto", &chosen, &error), gpu);
    ck_assert_str_eq(chosen, "cuda");
    ck_assert_ptr_eq(nn_backend_select("cpu", &chosen, &error), cpu);
}
END_TEST

/* On a machine without a usable GPU: --device cuda fails clearly and auto falls back. */
static int check_without_gpu(const char *reason) {
    rlhf_error error;
    const char *chosen = NULL;
    if (nn_backend_select("cuda", &chosen, &error) != NULL || !strstr(error.message, "--device cuda: no usable CUDA device")) {
        printf("FAIL: --device cuda did not fail with a clear message\n");
        return 1;
    }
    const nn_backend *fallback = nn_backend_select("auto", &chosen, &error);
    if (!fallback || strcmp(chosen, "cpu") != 0) {
        printf("FAIL: --device auto did not fall back to the CPU\n");
        return 1;
    }
    printf("--device cuda fails with: %s\n", error.message);
    printf("SKIP: %s\n", reason);
    return 77;
}

/* Skips (77) without a usable GPU after checking the fallbacks; otherwise runs the op and
 * model cases in this process and returns 1 when any comparison failed. */
int main(void) {
    rlhf_error error;
    cpu = nn_cpu_backend();
    gpu = nn_cuda_backend(&error);
    if (!gpu) return check_without_gpu(error.message); /* "no usable CUDA device (...)" */
    const char *seed_text = getenv("RLHF_TEST_SEED");
    run_seed = seed_text ? strtoull(seed_text, NULL, 10) : ((unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20));
    nn_cuda_device_info info;
    if (nn_cuda_device_describe(&info, &error) == 0)
        printf("device %s (compute %d.%d, %d SMs, %.0f GiB)\n", info.name, info.compute_major, info.compute_minor,
               info.multiprocessors, info.memory_gib);
    printf("seed %llu (RLHF_TEST_SEED=%llu repeats this run)\n", run_seed, run_seed);
    printf("  %-58s %10s\n", "CPU vs CUDA", "error");
    fflush(stdout);

    Suite *suite = suite_create("cuda");
    TCase *ops = tcase_create("ops");
    tcase_add_checked_fixture(ops, setup, NULL);
    tcase_add_test(ops, test_memory);
    tcase_add_test(ops, test_elementwise);
    tcase_add_test(ops, test_sum_squares_and_adamw);
    tcase_add_test(ops, test_embedding);
    tcase_add_test(ops, test_layernorm);
    tcase_add_test(ops, test_matmul);
    tcase_add_test(ops, test_matmul_tf32);
    tcase_add_test(ops, test_gather_rows);
    tcase_add_test(ops, test_attention);
    tcase_add_test(ops, test_attention_dropout);
    tcase_add_test(ops, test_attention_cached);
    tcase_add_test(ops, test_attention_cached_decode);
    tcase_add_test(ops, test_repeatable);
    tcase_add_test(ops, test_target_logprobs);
    tcase_add_test(ops, test_sampling);
    tcase_add_test(ops, test_tiny_temperature);
    tcase_add_test(ops, test_backend_selection);
    suite_add_tcase(suite, ops);
    TCase *model = tcase_create("model");
    tcase_add_checked_fixture(model, setup, NULL);
    tcase_add_test(model, test_training_step_small);
    tcase_add_test(model, test_training_step_tiny);
    tcase_add_test(model, test_training_step_gpt2);
    tcase_add_test(model, test_training_step_tf32);
    tcase_add_test(model, test_generation);
    tcase_add_test(model, test_sampled_near_tie_rule);
    tcase_add_test(model, test_greedy_matches_hugging_face_generate);
    suite_add_tcase(suite, model);
    TCase *large = tcase_create("large");
    tcase_set_tags(large, "large");
    tcase_add_checked_fixture(large, setup, NULL);
    tcase_add_test(large, test_attention_at_benchmark_size);
    tcase_add_test(large, test_logprobs_at_benchmark_size);
    tcase_add_test(large, test_layernorm_at_benchmark_size);
    tcase_add_test(large, test_training_step_at_benchmark_size);
    suite_add_tcase(suite, large);
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    if (failed) printf("FAILED with RLHF_TEST_SEED=%llu\n", run_seed);
    return failed == 0 ? 0 : 1;
}
