/* Fuzzes the tokenizer loader's tokenizer.json path (policy/tokenizer.c: tokenizer_load on
 * a folder without vocab.json). The input is split at its first NUL byte: tokenizer.json
 * before it, tokenizer_config.json after it (absent when the input has no NUL). A tokenizer
 * that loads is checked by encoding the input's bytes and decoding them back. */
#include <stdint.h>

#include "fuzz/fuzz_tokenizer_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, '\0', size);
    size_t json_size = nul ? (size_t)(nul - data) : size;
    fuzz_write(fuzz_path(0, "tokenizer.json"), data, json_size);
    const char *config_path = fuzz_path(1, "tokenizer_config.json");
    if (nul) fuzz_write(config_path, nul + 1, (size_t)(data + size - nul - 1));
    else unlink(config_path);
    fuzz_load_and_check_tokenizer((const char *)data, size);
    return 0;
}
