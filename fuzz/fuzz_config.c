/* Fuzzes config.json parsing (nn/model_dir.c: gpt_config_load). An accepted config must
 * survive the round trip every checkpoint makes: gpt_config_save, then gpt_config_load of
 * the saved file, gives the same config. */
#include <stdint.h>

#include "fuzz/fuzz_support.h"
#include "rlhf/nn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_input("config.json", data, size);
    rlhf_error error = {{0}};
    gpt_config config, reloaded;
    if (gpt_config_load(&config, path, &error) != 0) {
        FUZZ_CHECK(error.message[0] != '\0');
        return 0;
    }
    const char *saved = fuzz_path(1, "saved.json");
    if (gpt_config_save(&config, saved, &error) != 0 || gpt_config_load(&reloaded, saved, &error) != 0) {
        fprintf(stderr, "rlhf fuzz: an accepted config does not survive saving: %s\n", error.message);
        abort();
    }
    FUZZ_CHECK(reloaded.vocab_size == config.vocab_size && reloaded.n_positions == config.n_positions);
    FUZZ_CHECK(reloaded.n_embd == config.n_embd && reloaded.n_layer == config.n_layer);
    FUZZ_CHECK(reloaded.n_head == config.n_head && reloaded.has_score_head == config.has_score_head);
    FUZZ_CHECK(reloaded.layer_norm_epsilon == config.layer_norm_epsilon);
    FUZZ_CHECK(reloaded.embd_pdrop == config.embd_pdrop && reloaded.resid_pdrop == config.resid_pdrop &&
               reloaded.attn_pdrop == config.attn_pdrop);
    FUZZ_CHECK(reloaded.bos_token_id == config.bos_token_id && reloaded.eos_token_id == config.eos_token_id &&
               reloaded.pad_token_id == config.pad_token_id);
    return 0;
}
