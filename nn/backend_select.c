/* Backend selection for --device auto|cpu|cuda. */
#include "rlhf/nn.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/backend.h"

#ifdef RLHF_HAVE_CUDA
/* The CUDA backend is linked into the programs that call it directly (rlhf-bench, the GPU
 * tests, the emulated builds); the rlhf command and the labeling app leave it out and load
 * it from librlhf-cuda.so only when a device is asked for and an NVIDIA driver is there, so
 * that a run on the CPU never maps the CUDA runtime and cuBLAS (about 220 MB). The weak
 * reference is the backend when it is linked in, NULL otherwise. */
extern const nn_backend *nn_cuda_backend(rlhf_error *error) __attribute__((weak));

typedef const nn_backend *(*cuda_backend_function)(rlhf_error *error);

/* Says once per process, on stderr, that --device auto fell back to the CPU and why: one
 * short line when the machine has no NVIDIA driver at all (the usual CPU machine), the whole
 * reason when a driver is there but the GPU cannot be used. This is the one place a module
 * prints: the fallback is not an error (selection succeeds), the selection interface has no
 * channel for notices, and the user must learn why a GPU machine trains on the CPU. Commands
 * print the chosen device themselves. */
static void announce_cpu_fallback(const char *reason) {
    static bool announced = false;
    if (announced) return;
    announced = true;
    if (strstr(reason, "no NVIDIA driver")) fprintf(stderr, "rlhf: --device auto: no NVIDIA driver; using the CPU\n");
    else fprintf(stderr, "rlhf: --device auto: %s; using the CPU\n", reason);
}

/* Tries to dlopen the module at dir/name; on failure keeps why (dlerror's text, or that the
 * path is too long: a cut one could name another library) in reason. */
static void *open_module(const char *dir, const char *name, char *reason, size_t size) {
    char path[PATH_MAX + 64];
    if (rlhf_path_join(path, sizeof path, dir, name, NULL) != 0) {
        snprintf(reason, size, "the path to %s is too long", name);
        return NULL;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) snprintf(reason, size, "%s", dlerror());
    return handle;
}

/* The CUDA backend from librlhf-cuda.so: $RLHF_CUDA_MODULE, else beside the program, in
 * ../lib/rlhf from it (installed), or where this build put it. NULL with error set when the
 * machine has no driver or the module cannot be loaded. */
static const nn_backend *load_cuda_backend(rlhf_error *error) {
    static cuda_backend_function entry = NULL;
    if (!entry) {
        /* the driver library first: without it nothing of CUDA is loaded */
        void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
        if (!driver) {
            rlhf_error_set(error, "no usable CUDA device (no NVIDIA driver: libcuda.so.1 is not installed)");
            return NULL;
        }
        char reason[512] = "not found", program[PATH_MAX];
        void *module = NULL;
        const char *chosen = getenv("RLHF_CUDA_MODULE");
        if (chosen && *chosen) {
            module = dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
            if (!module) snprintf(reason, sizeof reason, "%s", dlerror());
        } else {
            ssize_t length = readlink("/proc/self/exe", program, sizeof program);
            if (length > 0 && (size_t)length < sizeof program) { /* (a full buffer may be a cut path) */
                program[length] = '\0';
                char *slash = strrchr(program, '/');
                if (slash) *slash = '\0';
                char up[PATH_MAX + 16];
                module = open_module(program, "librlhf-cuda.so", reason, sizeof reason);
                if (!module && rlhf_path_join(up, sizeof up, program, "../lib/rlhf", NULL) == 0)
                    module = open_module(up, "librlhf-cuda.so", reason, sizeof reason);
            }
#ifdef RLHF_CUDA_MODULE_DIR
            if (!module) module = open_module(RLHF_CUDA_MODULE_DIR, "librlhf-cuda.so", reason, sizeof reason);
#endif
        }
        if (module) entry = (cuda_backend_function)(uintptr_t)dlsym(module, "nn_cuda_backend");
        if (!entry) {
            rlhf_error_set(error, "no usable CUDA device (the CUDA backend, librlhf-cuda.so, cannot be loaded: %s)",
                           module ? "it lacks nn_cuda_backend" : reason);
            return NULL;
        }
    }
    return entry(error);
}
#endif

/* The backend's name ("cpu" or "cuda"). */
const char *nn_backend_name(const nn_backend *backend) { return backend->name; }

/* "cpu" is always the CPU backend; "cuda" is the CUDA backend or an error saying why it is
 * unusable; "auto" is CUDA when a GPU is usable, else the CPU (with one line on stderr when
 * this build has CUDA but the machine cannot use it). */
const nn_backend *nn_backend_select(const char *name, const char **chosen_name, rlhf_error *error) {
    const nn_backend *backend = NULL;
    if (strcmp(name, "cpu") == 0) {
        backend = nn_cpu_backend();
    } else if (strcmp(name, "cuda") == 0 || strcmp(name, "auto") == 0) {
#ifdef RLHF_HAVE_CUDA
        rlhf_error cuda_error;
        backend = nn_cuda_backend ? nn_cuda_backend(&cuda_error) : load_cuda_backend(&cuda_error);
        if (!backend && strcmp(name, "cuda") == 0) {
            rlhf_error_set(error, "--device cuda: %s", cuda_error.message);
            return NULL;
        }
        if (!backend) announce_cpu_fallback(cuda_error.message);
#else
        if (strcmp(name, "cuda") == 0) {
            rlhf_error_set(error, "--device cuda: this build has no CUDA backend (nvcc was not found when it was "
                                  "configured; see meson_options.txt, option cuda)");
            return NULL;
        }
#endif
        if (!backend) backend = nn_cpu_backend();
    } else {
        rlhf_error_set(error, "unknown device '%s' (auto, cpu, cuda)", name);
        return NULL;
    }
    if (chosen_name) *chosen_name = backend->name;
    return backend;
}
