/* rlhf-bench: times the engine.
 *
 * `rlhf-bench train` runs full training steps (forward, backward, AdamW) on random tokens and
 * reports tokens/s, achieved GFLOP/s (llm.c's 6N + 6LCT FLOPs per token), the device's
 * matrix-product ceiling measured in the same run (OpenBLAS sgemm on the CPU, cuBLAS SGEMM
 * on a GPU), and memory. On a GPU it also reports model FLOPs utilisation: achieved FLOP/s
 * over the card's published peak for the math in use (FP32, or TF32 with RLHF_TF32=1).
 *
 * `rlhf-bench generate` times policy_generate: B random prompts of the same length, greedy
 * (or sampled) continuation of a fixed number of new tokens with the KV cache, end-of-text
 * disabled so every row produces all of them; tokens/s counts new tokens.
 *
 * `rlhf-bench rm` times reward-model training steps: B pairs (2B sequences of T random
 * tokens) through the scalar head, the Bradley-Terry loss, backward and AdamW; pairs/s. */
#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "rlhf/nn.h"
#include "rlhf/policy.h"
#include "rlhf/ppo.h"
#include "rlhf/reward.h"
#ifdef RLHF_HAVE_CUDA
#include "nn/cuda/cuda_backend.h"
#endif

void openblas_set_num_threads(int num_threads);

/* Prints the command line of both benchmarks. */
static void usage(FILE *stream) {
    fprintf(stream,
            "usage: rlhf-bench train [--config tiny|gpt2] [-B N] [-T N] [--steps N] [--threads N]\n"
            "                        [--ceiling-size N] [--device auto|cpu|cuda] [--profile] [--json]\n"
            "       rlhf-bench generate [--config tiny|gpt2] [-B N] [--prompt-len N] [--new-tokens N]\n"
            "                        [--repeats N] [--temperature T] [--threads N]\n"
            "                        [--device auto|cpu|cuda] [--profile] [--json]\n"
            "       rlhf-bench rm [--config tiny|gpt2] [-B PAIRS] [-T N] [--steps N] [--threads N]\n"
            "                        [--device auto|cpu|cuda] [--json]\n"
            "       rlhf-bench products [--config tiny|gpt2] [-B N] [--repeats N] [--threads N] [--json]\n"
            "       rlhf-bench ppo [--config tiny|gpt2] [-B N] [--prompt-len N] [--new-tokens N] [--steps N]\n"
            "                        [--threads N] [--ceiling-size N] [--device auto|cpu|cuda] [--json]\n\n"
            "train: times full training steps (forward, backward, AdamW) and the matrix-product\n"
            "ceiling (SGEMM at M = N = K = --ceiling-size; default 8192 on a GPU, 2048 on the CPU).\n"
            "generate: times batched generation with the KV cache (greedy by default).\n"
            "products: times alone, with OpenBLAS on the CPU, each matrix product of one decode step\n"
            "at batch B (a layer's four and the tied LM head), best of --repeats with warm caches.\n"
            "ppo: times PPO iterations (a rollout of B responses of --new-tokens tokens after prompts\n"
            "of --prompt-len random tokens; the old policy, reference, reward and value forwards;\n"
            "4 epochs of 4 minibatches of policy and value updates) on random models, split into\n"
            "generation, scoring and update, with the update's GFLOP/s against the ceiling; one untimed\n"
            "warm-up iteration first.\n"
            "On CUDA, RLHF_TF32=1 lets the matrix products use TF32 tensor cores, and --profile then\n"
            "times every backend op on the GPU (more steps, or one more generate call, each op\n"
            "waited for) and prints where the time goes on stderr.\n");
}

/* Prints the out-of-memory error every benchmark ends with when an allocation fails;
 * returns the exit status (1). */
static int out_of_memory(void) {
    fprintf(stderr, "rlhf-bench: error: out of memory\n");
    return 1;
}

/* Best-of-three sgemm GFLOP/s at M = N = K = size: the most this machine's BLAS gives,
 * the ceiling the engine is compared against. Exits (status 1) when out of memory: a
 * benchmark without its ceiling has nothing honest to print. */
static double sgemm_ceiling(int size) {
    float *a = malloc(sizeof(float) * size * size), *b = malloc(sizeof(float) * size * size);
    float *c = malloc(sizeof(float) * size * size);
    if (!a || !b || !c) {
        free(a);
        free(b);
        free(c);
        exit(out_of_memory());
    }
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

/* What the benchmarks say about the device they ran on. */
typedef struct device_report {
    bool on_gpu;
    char gpu_name[256];
    bool tf32;
    double peak_gflops;    /* published peak for the math in use; 0 when unknown or CPU */
} device_report;

/* Fills report for the chosen backend ("cpu" or "cuda"). */
static void describe_device(const char *chosen, device_report *report) {
    memset(report, 0, sizeof *report);
    snprintf(report->gpu_name, sizeof report->gpu_name, "-");
#ifdef RLHF_HAVE_CUDA
    if (strcmp(chosen, "cuda") == 0) {
        nn_cuda_device_info info;
        rlhf_error error;
        report->on_gpu = true;
        report->tf32 = nn_cuda_tf32_enabled();
        if (nn_cuda_device_describe(&info, &error) == 0) {
            snprintf(report->gpu_name, sizeof report->gpu_name, "%s", info.name);
            report->peak_gflops = 1e3 * (report->tf32 ? info.peak_tf32_tflops : info.peak_fp32_tflops);
        }
    }
#else
    (void)chosen;
#endif
}

/* Waits for queued device work, so host timers measure it (nothing to do on the CPU). */
static void device_synchronize(const device_report *report) {
#ifdef RLHF_HAVE_CUDA
    if (report->on_gpu) nn_cuda_synchronize();
#else
    (void)report;
#endif
}

/* The matrix-product ceiling of the device at M = N = K = size (0: the default, 8192 on a
 * GPU, 2048 on the CPU): cuBLAS SGEMM with the current TF32 setting, or OpenBLAS sgemm. */
static double device_ceiling(const device_report *report, int size) {
#ifdef RLHF_HAVE_CUDA
    if (report->on_gpu) return nn_cuda_sgemm_ceiling(size > 0 ? size : 8192);
#else
    (void)report;
#endif
    return sgemm_ceiling(size > 0 ? size : 2048);
}

/* Prints the per-op GPU times of the last profile on stderr: per unit (a training step or a
 * token step, `units` of them profiled), with each op's share, and the sum against the
 * unprofiled run's wall time per unit (the difference is launch and host overhead). */
static void print_profile(const char *unit, double units, double wall_ms_per_unit) {
#ifdef RLHF_HAVE_CUDA
    nn_cuda_op_time times[64];
    int count = nn_cuda_profile_read(times, 64);
    if (count > 64) count = 64;
    double total = 0;
    for (int i = 0; i < count; i++) total += times[i].milliseconds;
    fprintf(stderr, "profile: GPU time per %s over %.0f profiled %ss (each op waited for)\n", unit, units, unit);
    fprintf(stderr, "  %-26s %10s %10s %7s\n", "op", "calls", "ms", "share");
    for (int i = 0; i < count; i++)
        fprintf(stderr, "  %-26s %10.1f %10.3f %6.1f%%\n", times[i].op, times[i].calls / units,
                times[i].milliseconds / units, total > 0 ? 100.0 * times[i].milliseconds / total : 0.0);
    fprintf(stderr, "  %-26s %10s %10.3f  (unprofiled wall time %.3f ms: %.3f ms of launch and host overhead)\n",
            "all ops", "", total / units, wall_ms_per_unit, wall_ms_per_unit - total / units);
    long launches = 0, blas_calls = 0;
    double blas_flops = 0;
    nn_cuda_profile_counts(&launches, &blas_calls, &blas_flops);
    fprintf(stderr, "  per %s: %.1f kernel launches and %.1f cuBLAS products of %.3f GFLOP\n", unit,
            launches / units, blas_calls / units, blas_flops / units / 1e9);
#else
    (void)unit, (void)units, (void)wall_ms_per_unit;
#endif
}

/* Turns op profiling on or off (only called on a GPU). */
static void set_profiling(bool on) {
#ifdef RLHF_HAVE_CUDA
    if (on) nn_cuda_profile_start();
    else nn_cuda_profile_stop();
#else
    (void)on;
#endif
}

/* The options of both benchmarks (each uses its own subset). */
typedef struct bench_options {
    const char *config_name, *device;
    int B, T, steps, threads, prompt_len, new_tokens, repeats;
    int ceiling_size; /* 0: device_ceiling's default */
    bool profile;     /* --profile: per-op GPU time after the timed run */
    float temperature;
    bool json;
} bench_options;

/* Reads text as a whole integer for option name, within [minimum, maximum]. Prints the
 * error (naming the option) and returns -1 otherwise: "2x", "1.5" and "" are refused. */
static int bench_integer(const char *name, const char *text, long minimum, long maximum, int *out) {
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end || value < minimum || value > maximum) {
        fprintf(stderr, "rlhf-bench: error: %s must be an integer in [%ld, %ld], got '%s'\n", name, minimum, maximum,
                text);
        return -1;
    }
    *out = (int)value;
    return 0;
}

/* Reads argv into options. Returns 0, 1 after --help, or 2 (usage error, message printed
 * naming the option). Every value is parsed whole and range-checked. */
static int parse_options(int argc, char **argv, bench_options *options) {
    static const struct {
        const char *name;
        long minimum, maximum;
        size_t offset;
    } integers[] = {
        {"-B", 1, 65536, offsetof(bench_options, B)},
        {"-T", 1, 1 << 20, offsetof(bench_options, T)},
        {"--steps", 1, 1000000, offsetof(bench_options, steps)},
        {"--threads", 1, 4096, offsetof(bench_options, threads)},
        {"--ceiling-size", 1, 32768, offsetof(bench_options, ceiling_size)},
        {"--prompt-len", 1, 1 << 20, offsetof(bench_options, prompt_len)},
        {"--new-tokens", 1, 1 << 20, offsetof(bench_options, new_tokens)},
        {"--repeats", 1, 1000000, offsetof(bench_options, repeats)},
    };
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--json") == 0) { options->json = true; continue; }
        if (strcmp(arg, "--profile") == 0) { options->profile = true; continue; }
        if (strcmp(arg, "--help") == 0) { usage(stdout); return 1; }
        size_t integer = 0;
        while (integer < sizeof integers / sizeof integers[0] && strcmp(arg, integers[integer].name) != 0) integer++;
        bool known = integer < sizeof integers / sizeof integers[0] || strcmp(arg, "--config") == 0 ||
                     strcmp(arg, "--device") == 0 || strcmp(arg, "--temperature") == 0;
        if (!known) {
            fprintf(stderr, "rlhf-bench: error: unknown %s '%s' (see rlhf-bench --help)\n",
                    arg[0] == '-' ? "option" : "argument", arg);
            return 2;
        }
        if (i + 1 >= argc) { fprintf(stderr, "rlhf-bench: error: %s needs a value\n", arg); return 2; }
        const char *value = argv[++i];
        if (integer < sizeof integers / sizeof integers[0]) {
            int *field = (int *)((char *)options + integers[integer].offset);
            if (bench_integer(arg, value, integers[integer].minimum, integers[integer].maximum, field) != 0) return 2;
        } else if (strcmp(arg, "--config") == 0) {
            if (strcmp(value, "tiny") != 0 && strcmp(value, "gpt2") != 0) {
                fprintf(stderr, "rlhf-bench: error: --config must be one of tiny, gpt2; got '%s'\n", value);
                return 2;
            }
            options->config_name = value;
        } else if (strcmp(arg, "--device") == 0) {
            if (strcmp(value, "auto") != 0 && strcmp(value, "cpu") != 0 && strcmp(value, "cuda") != 0) {
                fprintf(stderr, "rlhf-bench: error: --device must be one of auto, cpu, cuda; got '%s'\n", value);
                return 2;
            }
            options->device = value;
        } else { /* --temperature: a finite number >= 0 (it is printed in the JSON) */
            char *end;
            errno = 0;
            float temperature = strtof(value, &end);
            if ((errno && errno != ERANGE) || end == value || *end || !isfinite(temperature) || temperature < 0) {
                fprintf(stderr, "rlhf-bench: error: --temperature must be a finite number >= 0, got '%s'\n", value);
                return 2;
            }
            options->temperature = temperature;
        }
    }
    return 0;
}

/* What every benchmark starts with: the thread count, the backend, and a randomly
 * initialised model of the named config (with a scalar head if asked). Prints the error. */
static int open_model(const bench_options *o, bool score_head, gpt_model *model, const char **chosen,
                      device_report *device) {
    omp_set_num_threads(o->threads);
    openblas_set_num_threads(o->threads);
    rlhf_error error;
    gpt_config config;
    const nn_backend *backend = nn_backend_select(o->device, chosen, &error);
    if (!backend || gpt_config_named(&config, o->config_name, &error) != 0 ||
        gpt_create(model, &config, backend, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        return 1;
    }
    if (score_head && gpt_add_score_head(model, 1, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        gpt_destroy(model);
        return 1;
    }
    if (gpt_init_random(model, 1, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        gpt_destroy(model);
        return 1;
    }
    describe_device(*chosen, device);
    if (o->profile && !device->on_gpu) {
        fprintf(stderr, "rlhf-bench: error: --profile times the CUDA backend's ops: it needs --device cuda "
                        "(on the CPU, use perf)\n");
        gpt_destroy(model);
        return 1;
    }
    return 0;
}

/* rlhf-bench train: warm-up step, timed steps, ceiling, report (text or one JSON line). */
static int bench_train(const bench_options *o) {
    int B = o->B, T = o->T, steps = o->steps;
    rlhf_error error;
    const char *chosen;
    gpt_model model;
    device_report device;
    if (open_model(o, false, &model, &chosen, &device) != 0) return 1;
    const gpt_config config = model.config;
    nn_adamw optimizer;
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.weight_decay = 0.1f;
    if (gpt_reserve(&model, B, T, true, &error) != 0 || nn_adamw_create(&optimizer, &model, &adamw, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        gpt_destroy(&model);
        return 1;
    }
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 2);
    int *tokens = malloc(sizeof(int) * B * T), *targets = malloc(sizeof(int) * B * T);
    if (!tokens || !targets) {
        free(tokens);
        free(targets);
        nn_adamw_destroy(&optimizer);
        gpt_destroy(&model);
        return out_of_memory();
    }
    for (int i = 0; i < B * T; i++) tokens[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    for (int i = 0; i < B * T; i++) targets[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .targets = targets};
    gpt_outputs out = {0};
    double forward_time = 0, backward_time = 0, optimizer_time = 0;
    float loss = 0;
    int status = 0;
    /* step -1 warms up caches and threads; with --profile, `steps` more steps are profiled */
    int last_step = o->profile ? 2 * steps : steps;
    for (int step = -1; step < last_step && status == 0; step++) {
        if (o->profile && step == steps) set_profiling(true);
        device_synchronize(&device);
        double t0 = rlhf_seconds();
        gpt_zero_grad(&model);
        status = gpt_forward(&model, &batch, &out, &error);
        if (status != 0) break;
        device_synchronize(&device);
        double t1 = rlhf_seconds();
        status = gpt_backward_loss(&model, &error);
        if (status != 0) break;
        device_synchronize(&device);
        double t2 = rlhf_seconds();
        nn_adamw_step(&optimizer, &model, 1e-4f);
        device_synchronize(&device);
        double t3 = rlhf_seconds();
        if (step >= steps) continue; /* a profiled step */
        loss = out.loss;
        if (step >= 0) {
            forward_time += t1 - t0;
            backward_time += t2 - t1;
            optimizer_time += t3 - t2;
        }
    }
    if (status != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        free(tokens);
        free(targets);
        nn_adamw_destroy(&optimizer);
        gpt_destroy(&model);
        return 1;
    }
    double step_time = (forward_time + backward_time + optimizer_time) / steps;
    if (o->profile) {
        set_profiling(false);
        print_profile("step", steps, 1e3 * step_time);
    }
    double tokens_per_s = (double)B * T / step_time;
    double flops_per_token = gpt_training_flops_per_token(&config, model.parameter_count, T);
    double gflops = tokens_per_s * flops_per_token / 1e9;
    double ceiling = device_ceiling(&device, o->ceiling_size);
    double mfu = device.peak_gflops > 0 ? gflops / device.peak_gflops : 0.0;
    gpt_memory memory = gpt_memory_use(&model);
    double arena_mb = (memory.parameters * 4.0 + memory.activations) / 1048576.0;
    struct utsname machine;
    uname(&machine);
    if (o->json) {
        printf("{\"bench\": \"train\", \"config\": \"%s\", \"B\": %d, \"T\": %d, \"steps\": %d, \"threads\": %d, "
               "\"blas_core\": \"%s\", \"device\": \"%s\", \"gpu\": \"%s\", \"tf32\": %s, \"parameters\": %zu, \"tokens_per_s\": %.2f, "
               "\"ms_per_step\": %.1f, \"forward_ms\": %.1f, \"backward_ms\": %.1f, \"optimizer_ms\": %.1f, "
               "\"gflops\": %.2f, \"ceiling_gflops\": %.2f, \"fraction_of_ceiling\": %.3f, \"peak_gflops\": %.1f, "
               "\"mfu\": %.4f, \"peak_rss_mb\": %.1f, \"arena_mb\": %.1f, \"loss\": %.4f, \"machine\": \"%s\"}\n",
               o->config_name, B, T, steps, o->threads, nn_cpu_blas_core(), chosen, device.gpu_name, device.tf32 ? "true" : "false",
               model.parameter_count, tokens_per_s, 1e3 * step_time, 1e3 * forward_time / steps,
               1e3 * backward_time / steps, 1e3 * optimizer_time / steps, gflops, ceiling, gflops / ceiling,
               device.peak_gflops, mfu, rlhf_peak_rss_mb(), arena_mb, loss, machine.machine);
    } else {
        printf("config %s  B=%d T=%d  %zu parameters  %d threads (OpenBLAS %s)  %s%s%s%s\n", o->config_name, B, T,
               model.parameter_count, o->threads, nn_cpu_blas_core(), chosen, device.on_gpu ? " (" : "",
               device.on_gpu ? device.gpu_name : "", device.on_gpu ? (device.tf32 ? ", TF32)" : ", FP32)") : "");
        printf("step %.1f ms (forward %.1f, backward %.1f, adamw %.1f)\n", 1e3 * step_time, 1e3 * forward_time / steps,
               1e3 * backward_time / steps, 1e3 * optimizer_time / steps);
        printf("%.1f tokens/s  %.1f GFLOP/s  %s ceiling %.1f GFLOP/s  achieved/ceiling %.0f%%\n", tokens_per_s, gflops,
               device.on_gpu ? "cuBLAS SGEMM" : "sgemm", ceiling, 100.0 * gflops / ceiling);
        if (device.on_gpu)
            printf("model FLOPs utilisation %.1f%% of the card's %.1f TFLOP/s %s peak\n", 100.0 * mfu,
                   device.peak_gflops / 1e3, device.tf32 ? "TF32" : "FP32");
        printf("memory: parameters+gradients+adam %.1f MiB, activations %.1f MiB, peak RSS %.1f MiB\n",
               memory.parameters * 4.0 / 1048576.0, memory.activations / 1048576.0, rlhf_peak_rss_mb());
    }
    free(tokens);
    free(targets);
    nn_adamw_destroy(&optimizer);
    gpt_destroy(&model);
    return 0;
}

/* rlhf-bench generate: random prompts, one warm-up policy_generate, timed repeats, report. */
static int bench_generate(const bench_options *o) {
    int B = o->B, prompt_len = o->prompt_len, new_tokens = o->new_tokens;
    rlhf_error error;
    const char *chosen;
    gpt_model model;
    device_report device;
    if (open_model(o, false, &model, &chosen, &device) != 0) return 1;
    const gpt_config config = model.config;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 2);
    int *ids = malloc(sizeof(int) * B * prompt_len), *lengths = malloc(sizeof(int) * B);
    const int **prompts = malloc(sizeof(int *) * B);
    if (!ids || !lengths || !prompts) {
        free(ids);
        free(lengths);
        free(prompts);
        gpt_destroy(&model);
        return out_of_memory();
    }
    for (int i = 0; i < B * prompt_len; i++) ids[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    for (int b = 0; b < B; b++) {
        prompts[b] = ids + (size_t)b * prompt_len;
        lengths[b] = prompt_len;
    }
    policy_sampling sampling = {.temperature = o->temperature, .top_k = 0, .top_p = 1.0f,
                                .max_new_tokens = new_tokens, .seed = 3, .eos_id = -1};
    policy_generation out;
    double first_time = 0, total_time = 0;
    int status = 0, produced = 0;
    /* repeat -1 warms up; with --profile, one more call is profiled */
    int last_repeat = o->profile ? o->repeats + 1 : o->repeats;
    for (int repeat = -1; repeat < last_repeat && status == 0; repeat++) {
        if (repeat == o->repeats) set_profiling(true);
        device_synchronize(&device);
        double start = rlhf_seconds();
        status = policy_generate(&model, prompts, lengths, B, &sampling, &out, &error);
        if (status != 0) break;
        device_synchronize(&device);
        double elapsed = rlhf_seconds() - start;
        if (repeat < 0) first_time = elapsed;
        else if (repeat < o->repeats) total_time += elapsed;
        produced = 0;
        for (int b = 0; b < B; b++) produced += out.lengths[b];
        policy_generation_free(&out);
    }
    free(ids);
    free(lengths);
    free(prompts);
    if (status != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        gpt_destroy(&model);
        return 1;
    }
    double seconds = total_time / o->repeats;
    if (o->profile && status == 0) {
        set_profiling(false);
        print_profile("token step", new_tokens, 1e3 * seconds / new_tokens);
    }
    double tokens_per_s = produced / seconds;
    if (o->json) {
        printf("{\"bench\": \"generate\", \"config\": \"%s\", \"B\": %d, \"prompt_len\": %d, \"new_tokens\": %d, "
               "\"repeats\": %d, \"temperature\": %g, \"threads\": %d, \"blas_core\": \"%s\", \"device\": \"%s\", \"gpu\": \"%s\", "
               "\"tf32\": %s, \"tokens_generated\": %d, \"tokens_per_s\": %.1f, \"ms_per_generate\": %.2f, "
               "\"ms_per_token_step\": %.3f, \"first_call_ms\": %.1f, \"peak_rss_mb\": %.1f}\n",
               o->config_name, B, prompt_len, new_tokens, o->repeats, o->temperature, o->threads, nn_cpu_blas_core(), chosen,
               device.gpu_name, device.tf32 ? "true" : "false", produced, tokens_per_s, 1e3 * seconds,
               1e3 * seconds / new_tokens, 1e3 * first_time, rlhf_peak_rss_mb());
    } else {
        printf("config %s  %zu parameters  %s%s%s%s  %d prompts of %d tokens, %d new tokens each (%s)\n",
               o->config_name, model.parameter_count, chosen, device.on_gpu ? " (" : "",
               device.on_gpu ? device.gpu_name : "", device.on_gpu ? ")" : "", B, prompt_len, new_tokens,
               o->temperature > 0 ? "sampled" : "greedy");
        printf("%.1f new tokens/s  %.2f ms per generate call  %.3f ms per token step  (first call %.1f ms)\n",
               tokens_per_s, 1e3 * seconds, 1e3 * seconds / new_tokens, 1e3 * first_time);
    }
    gpt_destroy(&model);
    return 0;
}

/* rlhf-bench rm: reward-model training steps on random pairs; pairs/s. */
static int bench_reward(const bench_options *o) {
    int P = o->B, T = o->T, rows = 2 * o->B;
    rlhf_error error;
    const char *chosen;
    gpt_model model;
    device_report report;
    if (open_model(o, true, &model, &chosen, &report) != 0) return 1;
    const gpt_config config = model.config;
    nn_adamw optimizer;
    nn_adamw_config adamw = nn_adamw_defaults();
    if (gpt_reserve(&model, rows, T, true, &error) != 0 || nn_adamw_create(&optimizer, &model, &adamw, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        gpt_destroy(&model);
        return 1;
    }
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 3);
    int *tokens = malloc(sizeof(int) * (size_t)rows * T), *last = malloc(sizeof(int) * (size_t)rows);
    float *rewards = malloc(sizeof(float) * (size_t)rows), *d_values = calloc((size_t)rows * T, sizeof(float));
    int status = 0;
    if (!tokens || !last || !rewards || !d_values) {
        rlhf_error_set(&error, "out of memory");
        status = -1;
    }
    for (int i = 0; status == 0 && i < rows * T; i++)
        tokens[i] = (int)(rlhf_rng_next(&rng) % (uint64_t)config.vocab_size);
    gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .want_values = true};
    double elapsed = 0;
    for (int step = -1; step < o->steps && status == 0; step++) { /* step -1 warms up */
        double start = rlhf_seconds();
        gpt_outputs out = {.last_values = rewards, .last_index = last};
        gpt_zero_grad(&model);
        if (gpt_forward(&model, &batch, &out, &error) != 0) {
            status = -1;
            break;
        }
        for (int p = 0; p < P; p++) {
            double loss, dc, dr;
            reward_pair_loss(rewards[2 * p], rewards[2 * p + 1], 0.0, false, 0.0, &loss, &dc, &dr);
            d_values[(2 * p) * T + last[2 * p]] = (float)(dc / P);
            d_values[(2 * p + 1) * T + last[2 * p + 1]] = (float)(dr / P);
        }
        if (gpt_backward(&model, NULL, d_values, &error) != 0) {
            status = -1;
            break;
        }
        nn_adamw_step(&optimizer, &model, 1e-5f);
        device_synchronize(&report);
        if (step >= 0) elapsed += rlhf_seconds() - start;
    }
    double pairs_per_s = (double)P * o->steps / elapsed;
    if (status != 0) /* a failed step measured nothing */
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
    else if (o->json)
        printf("{\"benchmark\": \"rm\", \"config\": \"%s\", \"pairs_per_step\": %d, \"T\": %d, \"device\": \"%s\", "
               "\"threads\": %d, \"blas_core\": \"%s\", \"pairs_per_s\": %.2f, \"ms_per_step\": %.1f}\n",
               o->config_name, P, T, chosen, o->threads, nn_cpu_blas_core(), pairs_per_s, 1e3 * elapsed / o->steps);
    else
        printf("reward model %s  %d pairs x %d tokens  %s  %d threads: %.1f pairs/s (%.1f ms a step)\n", o->config_name, P,
               T, chosen, o->threads, pairs_per_s, 1e3 * elapsed / o->steps);
    free(tokens);
    free(last);
    free(rewards);
    free(d_values);
    nn_adamw_destroy(&optimizer);
    gpt_destroy(&model);
    return status == 0 ? 0 : 1;
}

/* The reward of the ppo benchmark: a random reward model (the same size as the policy)
 * scoring the responses, so scoring costs what it does in a real run. */
static int bench_score(const int *const *prompts, const int *prompt_lengths, const int *const *responses,
                       const int *response_lengths, int count, float *scores, void *user, rlhf_error *error) {
    return reward_score_responses(user, NULL, prompts, prompt_lengths, responses, response_lengths, count, -1, count,
                                  scores, error);
}

/* rlhf-bench ppo: whole PPO iterations on random models (policy, reference, reward and
 * value model of one config), timed by phase as ppo_iteration reports them. */
static int bench_ppo(const bench_options *o) {
    int B = o->B;
    const char *chosen;
    device_report report;
    gpt_model policy, reference, reward, value;
    if (open_model(o, false, &policy, &chosen, &report) != 0) return 1;
    if (open_model(o, false, &reference, &chosen, &report) != 0 || open_model(o, true, &reward, &chosen, &report) != 0 ||
        open_model(o, true, &value, &chosen, &report) != 0)
        return 1;
    rlhf_error error;
    nn_adamw policy_optimizer, value_optimizer;
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.epsilon = 1e-5f;
    if (nn_adamw_create(&policy_optimizer, &policy, &adamw, &error) != 0 ||
        nn_adamw_create(&value_optimizer, &value, &adamw, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        return 1;
    }
    int *prompt_ids = malloc(sizeof(int) * (size_t)B * o->prompt_len), *lengths = malloc(sizeof(int) * (size_t)B);
    const int **prompts = malloc(sizeof(int *) * (size_t)B);
    int status = 0;
    if (!prompt_ids || !lengths || !prompts) {
        rlhf_error_set(&error, "out of memory");
        status = -1;
    }
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 5);
    for (int i = 0; status == 0 && i < B; i++) {
        for (int t = 0; t < o->prompt_len; t++)
            prompt_ids[i * o->prompt_len + t] = (int)(rlhf_rng_next(&rng) % (uint64_t)policy.config.vocab_size);
        prompts[i] = prompt_ids + i * o->prompt_len;
        lengths[i] = o->prompt_len;
    }
    ppo_settings settings = ppo_settings_defaults();
    settings.max_new_tokens = o->new_tokens;
    settings.eos_id = -1; /* every response runs to its full length */
    ppo_models models = {.policy = &policy, .reference = &reference, .value = &value,
                         .policy_optimizer = &policy_optimizer, .value_optimizer = &value_optimizer,
                         .score = bench_score, .score_user = &reward};
    ppo_kl_controller controller = {.beta = 0.05};
    double generate = 0, score = 0, update = 0;
    for (int step = -1; step < o->steps && status == 0; step++) { /* step -1 warms up */
        ppo_iteration_stats stats;
        status = ppo_iteration(&models, &settings, &controller, prompts, lengths, B, (uint64_t)step + 2, &stats, &error);
        device_synchronize(&report);
        if (status == 0 && step >= 0) {
            generate += stats.seconds_generate;
            score += stats.seconds_score;
            update += stats.seconds_update;
        }
    }
    if (status != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
    } else {
        double n = o->steps, total = (generate + score + update) / n;
        /* The update's arithmetic: every epoch runs the policy (with its LM head) and the value
         * model (whose tied embedding is only looked up, so no 6VC per token) forward and
         * backward over all B rows of prompt + response tokens, every row full length here. */
        int T = o->prompt_len + o->new_tokens;
        double head = 6.0 * policy.config.vocab_size * (double)policy.config.n_embd;
        double update_flops = (double)settings.ppo_epochs * B * T *
                              (2.0 * gpt_training_flops_per_token(&policy.config, policy.parameter_count, T) - head);
        double update_gflops = update_flops / (update / n) / 1e9;
        double device_memory = 0.0; /* MiB in use on the GPU after the iterations (arenas persist) */
#ifdef RLHF_HAVE_CUDA
        if (report.on_gpu) device_memory = nn_cuda_memory_in_use_mb();
#endif
        double ceiling = device_ceiling(&report, o->ceiling_size);
        if (o->json)
            printf("{\"bench\": \"ppo\", \"config\": \"%s\", \"B\": %d, \"prompt_len\": %d, \"new_tokens\": %d, "
                   "\"ppo_epochs\": %d, \"minibatches\": %d, \"device\": \"%s\", \"threads\": %d, \"blas_core\": \"%s\", "
                   "\"s_per_iteration\": %.4f, \"generate_s\": %.4f, \"score_s\": %.4f, \"update_s\": %.4f, "
                   "\"update_gflops\": %.2f, \"ceiling_gflops\": %.2f, \"update_fraction_of_ceiling\": %.3f, "
                   "\"peak_rss_mb\": %.1f, \"device_memory_mb\": %.1f}\n",
                   o->config_name, B, o->prompt_len, o->new_tokens, settings.ppo_epochs, settings.minibatches, chosen,
                   o->threads, nn_cpu_blas_core(), total, generate / n, score / n, update / n, update_gflops, ceiling,
                   update_gflops / ceiling, rlhf_peak_rss_mb(), device_memory);
        else
            printf("ppo %s  %d responses of %d tokens after %d  %s  %d threads: %.3f s an iteration (generation %.3f, "
                   "scoring %.3f, update %.3f); update %.1f GFLOP/s, %.0f%% of the %s ceiling %.1f GFLOP/s; "
                   "peak RSS %.0f MiB\n",
                   o->config_name, B, o->new_tokens, o->prompt_len, chosen, o->threads, total, generate / n, score / n,
                   update / n, update_gflops, 100.0 * update_gflops / ceiling, report.on_gpu ? "cuBLAS SGEMM" : "sgemm",
                   ceiling, rlhf_peak_rss_mb());
    }
    free(prompt_ids);
    free(lengths);
    free(prompts);
    nn_adamw_destroy(&policy_optimizer);
    nn_adamw_destroy(&value_optimizer);
    gpt_destroy(&policy);
    gpt_destroy(&reference);
    gpt_destroy(&reward);
    gpt_destroy(&value);
    return status == 0 ? 0 : 1;
}

/* One decode step's matrix products at M = B rows, each timed alone on the CPU with warm
 * caches (best of o->repeats after a warm-up call): a layer's four products with GPT-2's
 * [in, out] weights, then the tied LM head against wte [V, C] (read transposed). What a
 * generate token step would cost if its products ran at these speeds and nothing else took
 * time: the floor to compare `rlhf-bench generate`'s ms per token step with. */
static int bench_products(const bench_options *o) {
    gpt_config config;
    rlhf_error error;
    if (gpt_config_named(&config, o->config_name, &error) != 0) {
        fprintf(stderr, "rlhf-bench: error: %s\n", error.message);
        return 1;
    }
    omp_set_num_threads(o->threads);
    openblas_set_num_threads(o->threads);
    int C = config.n_embd, V = config.vocab_size, M = o->B;
    static const char *const names[] = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj", "lm_head (wte^T)"};
    int inputs[] = {C, C, C, 4 * C, C}, outputs[] = {3 * C, C, 4 * C, C, V};
    double milliseconds[5], step_ms = 0;
    for (int p = 0; p < 5; p++) {
        int K = inputs[p], N = outputs[p];
        float *x = malloc(sizeof(float) * M * K), *w = malloc(sizeof(float) * K * N), *y = malloc(sizeof(float) * M * N);
        if (!x || !w || !y) {
            free(x), free(w), free(y);
            return out_of_memory();
        }
        for (long i = 0; i < (long)M * K; i++) x[i] = (float)(i % 13) * 0.01f;
        for (long i = 0; i < (long)K * N; i++) w[i] = (float)(i % 11) * 0.01f;
        double best = 1e30;
        for (int repeat = 0; repeat <= o->repeats; repeat++) {
            double start = rlhf_seconds();
            if (p < 4) /* y = x w, w [K, N] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, x, K, w, N, 0.0f, y, N);
            else /* y = x wte^T, wte [N, K] */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
            double elapsed = rlhf_seconds() - start;
            if (repeat > 0 && elapsed < best) best = elapsed; /* the first call warms up */
        }
        milliseconds[p] = 1e3 * best;
        step_ms += (p < 4 ? config.n_layer : 1) * milliseconds[p];
        free(x), free(w), free(y);
    }
    if (o->json) {
        printf("{\"bench\": \"products\", \"config\": \"%s\", \"B\": %d, \"threads\": %d, \"blas_core\": \"%s\"",
               o->config_name, M, o->threads, nn_cpu_blas_core());
        static const char *const keys[] = {"attn_c_attn", "attn_c_proj", "mlp_c_fc", "mlp_c_proj", "lm_head"};
        for (int p = 0; p < 5; p++) printf(", \"%s_ms\": %.3f", keys[p], milliseconds[p]);
        printf(", \"step_ms\": %.2f}\n", step_ms);
    } else {
        printf("config %s  %d rows  %d threads (OpenBLAS %s)  best of %d, warm caches\n", o->config_name, M, o->threads,
               nn_cpu_blas_core(), o->repeats);
        for (int p = 0; p < 5; p++) {
            int K = inputs[p], N = outputs[p];
            printf("%-16s %5d x %5d x %5d  %8.3f ms  %6.1f GFLOP/s\n", names[p], M, N, K, milliseconds[p],
                   2.0 * M * N * (double)K / (milliseconds[p] / 1e3) / 1e9);
        }
        printf("a token step's products (%d layers x 4 + the LM head): %.2f ms\n", config.n_layer, step_ms);
    }
    return 0;
}

/* Dispatches to the benchmark named by the first argument. */
int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        if (argc < 2) fprintf(stderr, "rlhf-bench: error: missing BENCHMARK (train, generate, rm, products, ppo)\n");
        return argc < 2 ? 2 : 0;
    }
    bool train = strcmp(argv[1], "train") == 0, generate = strcmp(argv[1], "generate") == 0;
    bool reward = strcmp(argv[1], "rm") == 0, products = strcmp(argv[1], "products") == 0;
    bool ppo = strcmp(argv[1], "ppo") == 0;
    if (!train && !generate && !reward && !products && !ppo) {
        fprintf(stderr, "rlhf-bench: error: unknown benchmark '%s' (train, generate, rm, products, ppo)\n", argv[1]);
        return 2;
    }
    /* products: a decode step's batch (64 rows) and best of 20 */
    /* ppo: a rollout batch of 64 responses of 48 tokens, 3 timed iterations */
    bench_options options = {.config_name = "tiny", .device = "cpu", .B = train ? 4 : products || ppo ? 64 : 8, .T = 64,
                             .steps = ppo ? 3 : 5, .threads = 2, .prompt_len = 16, .new_tokens = ppo ? 48 : 32,
                             .repeats = products ? 20 : 3, .temperature = 0.0f};
    int parsed = parse_options(argc - 2, argv + 2, &options);
    if (parsed != 0) return parsed == 1 ? 0 : 2;
    if ((reward || products || ppo) && options.profile) {
        fprintf(stderr, "rlhf-bench: error: --profile is for train and generate\n");
        return 2;
    }
    if (products && strcmp(options.device, "cpu") != 0) {
        fprintf(stderr, "rlhf-bench: error: products times OpenBLAS on the CPU (--device cpu)\n");
        return 2;
    }
    if (products) return bench_products(&options);
    if (ppo) return bench_ppo(&options);
    return train ? bench_train(&options) : generate ? bench_generate(&options) : bench_reward(&options);
}
