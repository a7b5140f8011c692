/* Log-probabilities and entropies of given responses after given prompts, in one forward:
 * what PPO needs for the old policy, the reference and each update, computed on the same
 * rows generation samples from. */
#include <stdlib.h>
#include <string.h>

#include "rlhf/policy.h"

/* The longest prompt + response of rows (at least 1): the T of their forward. */
int policy_sequence_length(const policy_sequences *rows) {
    int T = 1;
    for (int i = 0; i < rows->count; i++) {
        int length = rows->prompt_lengths[i] + rows->response_lengths[i];
        T = length > T ? length : T;
    }
    return T;
}

/* Places per-response-token values at their positions in the B x T forward, zeros elsewhere. */
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

/* The host side of one scoring forward of rows: the B x T tokens, mask and targets, and one
 * float per position for the result (two when `second`, for entropies). */
typedef struct scoring_buffers {
    int *tokens, *mask, *targets;
    float *first, *second;
} scoring_buffers;

/* Frees what scoring_prepare allocated (a zeroed or half-made one is fine). */
static void scoring_buffers_free(scoring_buffers *buffers) {
    free(buffers->tokens);
    free(buffers->mask);
    free(buffers->targets);
    free(buffers->first);
    free(buffers->second);
}

/* Allocates the buffers for rows (T = policy_sequence_length(rows)), lays the rows out in them
 * and reserves the model for B x T; -1 with error set on a bad row or out of memory. The
 * caller frees the buffers with scoring_buffers_free either way. */
static int scoring_prepare(scoring_buffers *buffers, gpt_model *model, const policy_sequences *rows, int max_response,
                           int T, bool second, rlhf_error *error) {
    memset(buffers, 0, sizeof *buffers);
    int B = rows->count;
    size_t cells;
    if (!rlhf_size_multiply((size_t)B, (size_t)T, &cells) || rlhf_resize(&buffers->tokens, cells, sizeof(int)) != 0 ||
        rlhf_resize(&buffers->mask, cells, sizeof(int)) != 0 || rlhf_resize(&buffers->targets, cells, sizeof(int)) != 0 ||
        rlhf_resize(&buffers->first, cells, sizeof(float)) != 0 ||
        (second && rlhf_resize(&buffers->second, cells, sizeof(float)) != 0)) {
        rlhf_error_set(error, "out of memory scoring %d sequences of %d tokens", B, T);
        return -1;
    }
    if (layout_rows(model, rows, max_response, T, buffers->tokens, buffers->mask, buffers->targets, error) != 0) return -1;
    return gpt_reserve(model, B, T, false, error);
}

/* The value head's estimate before each response token of rows (0 past a response's end). */
int policy_sequence_values(gpt_model *model, const policy_sequences *rows, int max_response, float *values,
                           rlhf_error *error) {
    if (!model->config.has_score_head) {
        rlhf_error_set(error, "a value model needs a scalar head");
        return -1;
    }
    int B = rows->count, T = policy_sequence_length(rows);
    scoring_buffers buffers;
    int status = scoring_prepare(&buffers, model, rows, max_response, T, false, error);
    if (status == 0) {
        gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = buffers.tokens, .attention_mask = buffers.mask,
                           .want_values = true};
        gpt_outputs out = {.values = buffers.first};
        status = gpt_forward(model, &batch, &out, error);
    }
    for (int i = 0; status == 0 && i < B; i++)
        for (int t = 0; t < max_response; t++)
            values[i * max_response + t] =
                t < rows->response_lengths[i] ? buffers.first[i * T + rows->prompt_lengths[i] - 1 + t] : 0.0f;
    scoring_buffers_free(&buffers);
    return status;
}

/* Log-probs (and, if asked, entropies) of each response token of rows, in one forward. */
int policy_sequence_logprobs(gpt_model *model, const policy_sequences *rows, int max_response, float temperature,
                             float *logprobs, float *entropies, rlhf_error *error) {
    int B = rows->count, T = policy_sequence_length(rows);
    scoring_buffers buffers;
    int status = scoring_prepare(&buffers, model, rows, max_response, T, entropies != NULL, error);
    if (status == 0) {
        gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = buffers.tokens, .attention_mask = buffers.mask,
                           .targets = buffers.targets, .temperature = temperature};
        gpt_outputs out = {.target_logprobs = buffers.first, .target_entropies = buffers.second};
        status = gpt_forward(model, &batch, &out, error);
    }
    /* position P - 1 + t of row i predicts response token t */
    for (int i = 0; status == 0 && i < B; i++) {
        int P = rows->prompt_lengths[i], R = rows->response_lengths[i];
        for (int t = 0; t < max_response; t++) {
            int at = i * T + P - 1 + t;
            logprobs[i * max_response + t] = t < R ? buffers.first[at] : 0.0f;
            if (entropies) entropies[i * max_response + t] = t < R ? buffers.second[at] : 0.0f;
        }
    }
    scoring_buffers_free(&buffers);
    return status;
}
