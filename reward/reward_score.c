/* Scoring a policy's generated responses from their token ids, as PPO does each step. */
#include <stdlib.h>
#include <string.h>

#include "rlhf/reward_model.h"

/* Scores generated responses as training read them: prompt (its leading eos kept, the rest cut
 * from the start to fit n_positions) + response + eos unless it ended with one; trailing padding
 * dropped; each score then gain * r + bias when normalization is given. */
int reward_score_responses(gpt_model *model, const reward_normalization *normalization, const int *const *prompts,
                           const int *prompt_lengths, const int *const *responses, const int *response_lengths,
                           int count, int eos_id, int batch_size, float *scores, rlhf_error *error) {
    if (!model->config.has_score_head) {
        rlhf_error_set(error, "the model has no scalar head");
        return -1;
    }
    int limit = model->config.n_positions, pad = model->config.pad_token_id;
    int **sequences = calloc((size_t)(count > 0 ? count : 1), sizeof *sequences);
    int *lengths = calloc((size_t)(count > 0 ? count : 1), sizeof(int));
    int status = sequences && lengths ? 0 : -1;
    if (status != 0) rlhf_error_set(error, "out of memory scoring %d responses", count);
    for (int i = 0; i < count && status == 0; i++) {
        int P = prompt_lengths[i], R = response_lengths[i];
        bool ended = R > 0 && responses[i][R - 1] == eos_id;
        int tail = eos_id >= 0 && !ended; /* the final marker training read the reward at */
        int total = P + R + tail, cut = total > limit ? total - limit : 0;
        if (P < 1 || R < 0 || cut > P - 1) {
            rlhf_error_set(error, "response %d: %d prompt and %d response tokens cannot be scored in %d positions", i, P,
                           R, limit);
            status = -1;
            break;
        }
        int *sequence = malloc(sizeof(int) * (size_t)(total - cut));
        if (!sequence) {
            rlhf_error_set(error, "out of memory scoring %d responses", count);
            status = -1;
            break;
        }
        /* the first prompt token (<|endoftext|>) stays; the cut comes from after it */
        int at = 0;
        sequence[at++] = prompts[i][0];
        memcpy(sequence + at, prompts[i] + 1 + cut, sizeof(int) * (size_t)(P - 1 - cut));
        at += P - 1 - cut;
        memcpy(sequence + at, responses[i], sizeof(int) * (size_t)R);
        at += R;
        if (tail) sequence[at++] = eos_id;
        /* read where transformers reads a model with a pad token: its last non-pad token */
        while (pad >= 0 && at > 1 && sequence[at - 1] == pad) at--;
        sequences[i] = sequence;
        lengths[i] = at;
    }
    if (status == 0)
        status = reward_score_sequences(model, (const int *const *)sequences, lengths, count, batch_size, scores, error);
    if (status == 0 && normalization)
        for (int i = 0; i < count; i++) scores[i] = (float)(normalization->gain * scores[i] + normalization->bias);
    for (int i = 0; sequences && i < count; i++) free(sequences[i]);
    free(sequences);
    free(lengths);
    return status;
}
