/* Fuzzes the SFT data reader (policy/sft.c: policy_sft_load), the importer of
 * {"prompt", "response"} and {"messages": [...]} JSON Lines, with the tokenizer of
 * tests/fixtures/tokenizer (loaded once per process) and two length limits: 3, which
 * truncates nearly every example, and 24. An accepted file must give examples of 2 to
 * max_length tokens, every id in the vocabulary, every scored flag 0 or 1 and at least
 * one set, and truncation counts no larger than the example count. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"

static tokenizer *fixture_tokenizer;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    rlhf_error error = {{0}};
    if (tokenizer_load(&fixture_tokenizer, FIXTURES_DIR "/tokenizer", &error) != 0) {
        fprintf(stderr, "rlhf fuzz: cannot load the fixture tokenizer: %s\n", error.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("input", data, size);
    static const int max_lengths[2] = {3, 24};
    int vocab_size = tokenizer_vocab_size(fixture_tokenizer);
    for (int i = 0; i < 2; i++) {
        rlhf_error error = {{0}};
        policy_sft_data examples;
        if (policy_sft_load(path, fixture_tokenizer, max_lengths[i], &examples, &error) != 0) {
            FUZZ_CHECK(error.message[0] != '\0');
            continue;
        }
        FUZZ_CHECK(examples.count > 0);
        FUZZ_CHECK(examples.truncated_prompts >= 0 && examples.truncated_prompts <= examples.count);
        FUZZ_CHECK(examples.truncated_responses >= 0 && examples.truncated_responses <= examples.count);
        for (int e = 0; e < examples.count; e++) {
            FUZZ_CHECK(examples.lengths[e] >= 2 && examples.lengths[e] <= max_lengths[i]);
            int scored = 0;
            for (int t = 0; t < examples.lengths[e]; t++) {
                FUZZ_CHECK(examples.ids[e][t] >= 0 && examples.ids[e][t] < vocab_size);
                FUZZ_CHECK(examples.scored[e][t] <= 1);
                scored += examples.scored[e][t];
            }
            /* every accepted example has something to learn (truncation keeps at least one
             * scored token at any length of 2 or more) */
            FUZZ_CHECK(scored > 0);
        }
        policy_sft_data_free(&examples);
    }
    return 0;
}
