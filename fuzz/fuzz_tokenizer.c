/* Fuzzes the tokenizer loader's vocab.json + merges.txt path (policy/tokenizer.c:
 * tokenizer_load). The input is split at its first NUL byte: vocab.json before it (JSON
 * allows no raw NUL anyway), merges.txt after it (which may hold more NULs); without a NUL
 * the whole input is vocab.json and merges.txt is empty. A tokenizer that loads is checked
 * by encoding its own merges.txt and decoding it back. */
#include <stdint.h>

#include "fuzz/fuzz_tokenizer_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, '\0', size);
    size_t vocab_size = nul ? (size_t)(nul - data) : size;
    const uint8_t *merges = nul ? nul + 1 : data + size;
    size_t merges_size = (size_t)(data + size - merges);
    fuzz_write(fuzz_path(0, "vocab.json"), data, vocab_size);
    fuzz_write(fuzz_path(1, "merges.txt"), merges, merges_size);
    fuzz_load_and_check_tokenizer((const char *)merges, merges_size);
    return 0;
}
