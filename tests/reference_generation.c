/* The greedy-generation fixture check shared by the generation and CUDA tests (see
 * reference.h). In a file of its own because it needs the policy module, which the engine's
 * tests, linking the nn library alone, do not have. */
#include "tests/reference.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "rlhf/policy.h"

int greedy_fixture_mismatches(const nn_backend *backend, const char *fixtures_dir, policy_generation *out,
                              int *eos_id, rlhf_error *error) {
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/gpt2/lm_small", fixtures_dir);
    snprintf(path, sizeof path, "%s/generate.json", dir);
    gpt_model loaded, *model = &loaded;
    if (gpt_load(model, dir, backend, error) != 0) return -1;
    json_t *root = json_load_file(path, 0, NULL);
    json_t *prompts = json_object_get(root, "prompts"), *greedy = json_object_get(root, "greedy");
    if (!json_is_array(prompts) || !json_is_array(greedy)) {
        rlhf_error_set(error, "%s: no \"prompts\" and \"greedy\" arrays", path);
        json_decref(root);
        gpt_destroy(model);
        return -1;
    }
    int count = (int)json_array_size(prompts);
    int **ids = calloc((size_t)count, sizeof(int *)), *lengths = calloc((size_t)count, sizeof(int));
    for (int i = 0; i < count; i++) {
        json_t *prompt = json_array_get(prompts, (size_t)i);
        lengths[i] = (int)json_array_size(prompt);
        ids[i] = malloc(sizeof(int) * (size_t)(lengths[i] ? lengths[i] : 1));
        for (int t = 0; t < lengths[i]; t++) ids[i][t] = (int)json_integer_value(json_array_get(prompt, (size_t)t));
    }
    *eos_id = (int)json_integer_value(json_object_get(root, "eos_token_id"));
    policy_sampling sampling = {.temperature = 0.0f, .top_p = 1.0f, .seed = 1, .eos_id = *eos_id,
                                .max_new_tokens = (int)json_integer_value(json_object_get(root, "max_new_tokens"))};
    int mismatches = policy_generate(model, (const int *const *)ids, lengths, count, &sampling, out, error) == 0 ? 0 : -1;
    for (int i = 0; i < count && mismatches >= 0; i++) {
        json_t *expected = json_array_get(greedy, (size_t)i);
        int n = (int)json_array_size(expected);
        mismatches += abs(out->lengths[i] - n);
        for (int t = 0; t < out->lengths[i] && t < n; t++)
            mismatches += out->tokens[(size_t)i * out->max_new_tokens + t] != (int)json_integer_value(json_array_get(expected, (size_t)t));
    }
    for (int i = 0; i < count; i++) free(ids[i]);
    free(ids);
    free(lengths);
    json_decref(root);
    gpt_destroy(model);
    return mismatches;
}
