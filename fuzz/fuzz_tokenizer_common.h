/* What both tokenizer harnesses do with a tokenizer that loaded: the promises
 * include/rlhf/tokenizer.h makes for every tokenizer, checked on a text the input chose. */
#ifndef RLHF_FUZZ_TOKENIZER_COMMON_H
#define RLHF_FUZZ_TOKENIZER_COMMON_H

#include "fuzz/fuzz_support.h"
#include "rlhf/tokenizer.h"

/* Loads the tokenizer the harness wrote into this process's folder. One that is refused
 * must say why; one that loads must keep these promises: decode(encode(text)) == text for
 * any bytes, with and without special tokens; every id in range; the token names and bytes
 * of every id there; rendering works. */
static void fuzz_load_and_check_tokenizer(const char *text, size_t length) {
    rlhf_error error = {{0}};
    tokenizer *t;
    fuzz_make_folder();
    if (tokenizer_load(&t, fuzz_folder, &error) != 0) {
        FUZZ_CHECK(error.message[0] != '\0');
        return;
    }
    int vocab_size = tokenizer_vocab_size(t);
    FUZZ_CHECK(vocab_size >= 256);
    FUZZ_CHECK(tokenizer_eos_id(t) >= -1 && tokenizer_eos_id(t) < vocab_size);
    for (int id = 0; id < vocab_size; id++) {
        size_t token_length;
        FUZZ_CHECK(tokenizer_token_bytes(t, id, &token_length) != NULL);
        FUZZ_CHECK(tokenizer_token_name(t, id) != NULL);
    }
    for (int special = 0; special < 2; special++) {
        int *ids;
        size_t count;
        FUZZ_CHECK(tokenizer_encode(t, text, length, special, &ids, &count, &error) == 0);
        for (size_t i = 0; i < count; i++) FUZZ_CHECK(ids[i] >= 0 && ids[i] < vocab_size);
        char *decoded;
        size_t decoded_length;
        FUZZ_CHECK(tokenizer_decode(t, ids, count, &decoded, &decoded_length, &error) == 0);
        FUZZ_CHECK(decoded_length == length && memcmp(decoded, text, length) == 0);
        free(decoded);
        free(ids);
    }
    char *vocab_json, *merges_txt;
    size_t vocab_length, merges_length;
    FUZZ_CHECK(tokenizer_render(t, &vocab_json, &vocab_length, &merges_txt, &merges_length, &error) == 0);
    free(vocab_json);
    free(merges_txt);
    tokenizer_free(t);
}

#endif
