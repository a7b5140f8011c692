/* rlhf-bench: times the engine. `rlhf-bench train` runs full training steps (forward,
 * backward, AdamW) on random tokens and reports tokens/s, achieved GFLOP/s (llm.c's
 * 6N + 6LCT FLOPs per token), the machine's sgemm ceiling measured in the same run, and
 * peak memory. */
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "rlhf/nn.h"

void openblas_set_num_threads(int num_threads);

static void usage(FILE *stream) {
    fprintf(stream,
            "usage: rlhf-bench train [--config tiny|gpt2] [-B N] [-T N] [--steps N] [--threads N]\n"
            "                        [--device auto|cpu|cuda] [--json]\n\n"
            "Times full training steps (forward, backward, AdamW) and the sgemm ceiling.\n");
}

/* Best-of-three sgemm GFLOP/s at M = N = K = size: the most this machine's BLAS gives,
 * the ceiling the engine is compared against. */
static double sgemm_ceiling(int size) {
    float *a = malloc(sizeof(float) * size * size), *b = malloc(sizeof(float) * size * size);
    float *c = malloc(sizeof(float) * size * size);
    for (long i = 0; i < (long)size * size; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    double best = 0;
    for (int repeat = 0; repeat < 4; repeat++) {
        double start = rlhf_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, size, size, size, 1.0f, a, size, b, size, 0.0f, c, size);
        double elapsed = rlhf_seconds() - start;
        double gflops = 2.0 * size * size * (double)size / elapsed / 1e9;
        if (repeat > 0 && gflops > best) best = gflops; /* the first call warms up threads */
    }
    free(a);
    free(b);
    free(c);
    return best;
}

static int bench_train(int argc, char **argv) {
    const char *config_name = "tiny", *device = "cpu";
    int B = 4, T = 64, steps = 5, threads = 2;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--json") == 0) json = true;
        else if (strcmp(arg, "--help") == 0) { usage(stdout); return 0; }
        else if (!value) { fprintf(stderr, "rlhf-bench: error: %s needs a value\n", arg); return 2; }
        else if (strcmp(arg, "--config") == 0) { config_name = value; i++; }
        else if (strcmp(arg, "-B") == 0) { B = atoi(value); i++; }
        else if (strcmp(arg, "-T") == 0) { T = atoi(value); i++; }
        else if (strcmp(arg, "--steps") == 0) { steps = atoi(value); i++; }
        else if (strcmp(arg, "--threads") == 0) { threads = atoi(value); i++; }
        else if (strcmp(arg, "--device") == 0) { device = value; i++; }
        else { fprintf(stderr, "rlhf-bench: error: unknown option %s\n", arg); return 2; }
    }
    if (B <= 0 || T <= 0 || steps <= 0 || threads <= 0) {
        fprintf(stderr, "rlhf-bench: error: -B, -T, --steps and --threads must be positive\n");
        return 2;
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    rlhf_error error;
    const char *chosen;
    const nn_backend *backend = nn_backend_select(device, &chosen, &error);
    gpt_config config;
    gpt_model model;
    nn_adamw optimizer;
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.weight_decay = 0.1f;
    if (!backend || gpt_config_named(&config, config_name, &error) != 0 ||
        gpt_create(&model, &config, backend, &error) != 0 || gpt_reserve(&model, B, T, true, &error) != 0 ||
        nn_adamw_create(&optimizer, &model, &adamw, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        return 1;
    }
    gpt_init_random(&model, 1);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 2);
    int *tokens = malloc(sizeof(int) * B * T), *targets = malloc(sizeof(int) * B * T);
    for (int i = 0; i < B * T; i++) tokens[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    for (int i = 0; i < B * T; i++) targets[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .targets = targets};
    gpt_outputs out = {0};
    double forward_time = 0, backward_time = 0, optimizer_time = 0;
    float loss = 0;
    for (int step = -1; step < steps; step++) { /* step -1 warms up caches and threads */
        double t0 = rlhf_seconds();
        gpt_zero_grad(&model);
        if (gpt_forward(&model, &batch, &out, &error) != 0) break;
        double t1 = rlhf_seconds();
        if (gpt_backward_loss(&model, &error) != 0) break;
        double t2 = rlhf_seconds();
        nn_adamw_step(&optimizer, &model, 1e-4f);
        double t3 = rlhf_seconds();
        loss = out.loss;
        if (step >= 0) {
            forward_time += t1 - t0;
            backward_time += t2 - t1;
            optimizer_time += t3 - t2;
        }
    }
    double step_time = (forward_time + backward_time + optimizer_time) / steps;
    double tokens_per_s = (double)B * T / step_time;
    double flops_per_token = gpt_training_flops_per_token(&config, model.parameter_count, T);
    double gflops = tokens_per_s * flops_per_token / 1e9;
    double ceiling = sgemm_ceiling(2048);
    gpt_memory memory = gpt_memory_use(&model);
    struct utsname machine;
    uname(&machine);
    if (json) {
        printf("{\"config\": \"%s\", \"B\": %d, \"T\": %d, \"steps\": %d, \"threads\": %d, \"device\": \"%s\", "
               "\"parameters\": %zu, \"tokens_per_s\": %.2f, \"ms_per_step\": %.1f, \"forward_ms\": %.1f, "
               "\"backward_ms\": %.1f, \"optimizer_ms\": %.1f, \"gflops\": %.2f, \"ceiling_gflops\": %.2f, "
               "\"fraction_of_ceiling\": %.3f, \"peak_rss_mb\": %.1f, \"arena_mb\": %.1f, \"loss\": %.4f, \"machine\": \"%s\"}\n",
               config_name, B, T, steps, threads, chosen, model.parameter_count, tokens_per_s, 1e3 * step_time,
               1e3 * forward_time / steps, 1e3 * backward_time / steps, 1e3 * optimizer_time / steps, gflops, ceiling,
               gflops / ceiling, rlhf_peak_rss_mb(),
               (memory.parameters * 4.0 + memory.activations) / 1048576.0, loss, machine.machine);
    } else {
        printf("config %s  B=%d T=%d  %zu parameters  %d threads  %s\n", config_name, B, T, model.parameter_count,
               threads, chosen);
        printf("step %.1f ms (forward %.1f, backward %.1f, adamw %.1f)\n", 1e3 * step_time, 1e3 * forward_time / steps,
               1e3 * backward_time / steps, 1e3 * optimizer_time / steps);
        printf("%.1f tokens/s  %.1f GFLOP/s  sgemm ceiling %.1f GFLOP/s  achieved/ceiling %.0f%%\n", tokens_per_s,
               gflops, ceiling, 100.0 * gflops / ceiling);
        printf("memory: parameters+gradients+adam %.1f MiB, activations %.1f MiB, peak RSS %.1f MiB\n",
               memory.parameters * 4.0 / 1048576.0, memory.activations / 1048576.0, rlhf_peak_rss_mb());
    }
    free(tokens);
    free(targets);
    nn_adamw_destroy(&optimizer);
    gpt_destroy(&model);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "train") == 0) return bench_train(argc - 2, argv + 2);
    fprintf(stderr, "rlhf-bench: error: unknown benchmark '%s' (train)\n", argv[1]);
    return 2;
}
