/* Backend selection for --device auto|cpu|cuda. */
#include "rlhf/nn.h"

#include <string.h>

#include "nn/backend.h"

#ifdef RLHF_HAVE_CUDA
const nn_backend *nn_cuda_backend(rlhf_error *error);
#endif

const char *nn_backend_name(const nn_backend *backend) { return backend->name; }

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
#else
        if (strcmp(name, "cuda") == 0) {
            rlhf_error_set(error, "--device cuda: this build has no CUDA backend (the CUDA backend is not implemented yet)");
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
