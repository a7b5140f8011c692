/* Fuzzes the safetensors reader (nn/safetensors.c: safetensors_open) and what callers do
 * with an accepted file: look every tensor up by name and convert it. An accepted file must
 * keep its promises: every tensor's bytes inside the data section, sized by its shape. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("input", data, size);
    rlhf_error error = {{0}};
    safetensors_file file;
    if (safetensors_open(&file, path, &error) != 0) {
        FUZZ_CHECK(error.message[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(file.data_offset <= file.size);
    for (int i = 0; i < file.tensor_count; i++) {
        const safetensors_tensor *tensor = &file.tensors[i];
        FUZZ_CHECK(tensor->begin <= tensor->end && tensor->end <= file.size - file.data_offset);
        FUZZ_CHECK(safetensors_find(&file, tensor->name) != NULL);
        /* the input is at most a few kB, so count is small for any accepted tensor */
        float *floats = malloc((tensor->count ? tensor->count : 1) * sizeof *floats);
        int *ints = malloc((tensor->count ? tensor->count : 1) * sizeof *ints);
        FUZZ_CHECK(floats && ints);
        (void)safetensors_read_f32(&file, tensor, floats, &error);
        (void)safetensors_read_i32(&file, tensor, ints, &error);
        free(floats);
        free(ints);
    }
    int step = 0;
    (void)safetensors_metadata_count(&file, "step", &step, &error);
    (void)safetensors_metadata(&file, "format");
    safetensors_close(&file);
    return 0;
}
