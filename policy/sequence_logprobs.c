/* Log-probabilities and entropies of given responses after given prompts, in one forward:
 * what PPO needs for the old policy, the reference and each update, computed on the same
 * rows generation samples from. */
#include <stdlib.h>
#include <string.h>

#include "rlhf/policy.h"

int policy_sequence_length(const policy_sequences *rows) {
    int T = 1;
    for (int i = 0; i < rows->count; i++) {
        int length = rows->prompt_lengths[i] + rows->response_lengths[i];
        T = length > T ? length : T;
    }
    return T;
}

void policy_sequence_scatter(const policy_sequences *rows, int max_response, const float *per_token,
                             float *model_layout) {
    int T = policy_sequence_length(rows);
    memset(model_layout, 0, sizeof(float) * (size_t)rows->count * (size_t)T);
    for (int i = 0; i < rows->count; i++)
        for (int t = 0; t < rows->response_lengths[i]; t++)
            model_layout[(size_t)i * T + rows->prompt_lengths[i] - 1 + t] = per_token[(size_t)i * max_response + t];
}

/* Checks rows against max_response and the model's positions, and fills the right-padded
 * B x T tokens, mask and targets (position t's target is token t + 1 where that is a
 * response token, else -1) of their forward. */
static int layout_rows(const gpt_model *model, const policy_sequences *rows, int max_response, int T, int *tokens,
                       int *mask, int *targets, rlhf_error *error) {
    for (int i = 0; i < rows->count; i++) {
        if (rows->prompt_lengths[i] < 1 || rows->response_lengths[i] < 0 || rows->response_lengths[i] > max_response) {
            rlhf_error_set(error, "row %d: a prompt needs at least one token and a response at most %d (got %d and %d)",
                           i, max_response, rows->prompt_lengths[i], rows->response_lengths[i]);
            return -1;
        }
    }
    if (T > model->config.n_positions) {
        rlhf_error_set(error, "a prompt and its response take %d tokens; the model has %d positions", T,
                       model->config.n_positions);
        return -1;
    }
    for (int i = 0; i < rows->count; i++) {
        int P = rows->prompt_lengths[i], R = rows->response_lengths[i];
        for (int t = 0; t < T; t++) {
            int at = i * T + t;
            tokens[at] = t < P ? rows->prompts[i][t] : t < P + R ? rows->responses[i][t - P] : 0;
            mask[at] = t < P + R;
            /* position t predicts token t + 1: the response's tokens are the targets of
             * positions P - 1 ... P + R - 2 */
            targets[at] = t >= P - 1 && t < P + R - 1 ? rows->responses[i][t - P + 1] : -1;
        }
    }
    return 0;
}

int policy_sequence_values(gpt_model *model, const policy_sequences *rows, int max_response, float *values,
                           rlhf_error *error) {
    if (!model->config.has_score_head) {
        rlhf_error_set(error, "a value model needs a scalar head");
        return -1;
    }
    int B = rows->count, T = policy_sequence_length(rows);
    size_t cells = (size_t)B * (size_t)T;
    int *tokens = malloc(sizeof(int) * cells), *mask = malloc(sizeof(int) * cells), *targets = malloc(sizeof(int) * cells);
    float *all = malloc(sizeof(float) * cells);
    int status = -1;
    if (!tokens || !mask || !targets || !all) rlhf_error_set(error, "out of memory for %d sequences of %d tokens", B, T);
    else if (layout_rows(model, rows, max_response, T, tokens, mask, targets, error) == 0 &&
             gpt_reserve(model, B, T, false, error) == 0) {
        gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .attention_mask = mask, .want_values = true};
        gpt_outputs out = {.values = all};
        status = gpt_forward(model, &batch, &out, error);
        for (int i = 0; status == 0 && i < B; i++)
            for (int t = 0; t < max_response; t++)
                values[i * max_response + t] = t < rows->response_lengths[i] ? all[i * T + rows->prompt_lengths[i] - 1 + t]
                                                                             : 0.0f;
    }
    free(tokens);
    free(mask);
    free(targets);
    free(all);
    return status;
}

int policy_sequence_logprobs(gpt_model *model, const policy_sequences *rows, int max_response, float temperature,
                             float *logprobs, float *entropies, rlhf_error *error) {
    int B = rows->count, T = policy_sequence_length(rows);
    size_t cells = (size_t)B * (size_t)T;
    int *tokens = malloc(sizeof(int) * cells), *mask = malloc(sizeof(int) * cells), *targets = malloc(sizeof(int) * cells);
    float *target_logprobs = malloc(sizeof(float) * cells);
    float *target_entropies = entropies ? malloc(sizeof(float) * cells) : NULL;
    int status = -1;
    if (!tokens || !mask || !targets || !target_logprobs || (entropies && !target_entropies)) {
        rlhf_error_set(error, "out of memory scoring %d sequences of %d tokens", B, T);
        goto done;
    }
    if (layout_rows(model, rows, max_response, T, tokens, mask, targets, error) != 0) goto done;
    if (gpt_reserve(model, B, T, false, error) != 0) goto done;
    gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .attention_mask = mask, .targets = targets,
                       .temperature = temperature};
    gpt_outputs out = {.target_logprobs = target_logprobs, .target_entropies = target_entropies};
    if (gpt_forward(model, &batch, &out, error) != 0) goto done;
    /* position P - 1 + t of row i predicts response token t */
    for (int i = 0; i < B; i++) {
        int P = rows->prompt_lengths[i], R = rows->response_lengths[i];
        for (int t = 0; t < max_response; t++) {
            int at = i * T + P - 1 + t;
            logprobs[i * max_response + t] = t < R ? target_logprobs[at] : 0.0f;
            if (entropies) entropies[i * max_response + t] = t < R ? target_entropies[at] : 0.0f;
        }
    }
    status = 0;
done:
    free(tokens);
    free(mask);
    free(targets);
    free(target_logprobs);
    free(target_entropies);
    return status;
}
