/* Backend selection for --device auto|cpu|cuda. */
#include "rlhf/nn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "nn/backend.h"

#ifdef RLHF_HAVE_CUDA
#include "nn/cuda/cuda_backend.h"

/* Says once per process, on stderr, that --device auto fell back to the CPU and why. This
 * is the one place a module prints: the fallback is not an error (selection succeeds), the
 * selection interface has no channel for notices, and the user must learn why a GPU machine
 * trains on the CPU. Commands print the chosen device themselves. */
static void announce_cpu_fallback(const char *reason) {
    static bool announced = false;
    if (announced) return;
    announced = true;
    fprintf(stderr, "rlhf: --device auto: %s; using the CPU\n", reason);
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
        backend = nn_cuda_backend(&cuda_error);
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
