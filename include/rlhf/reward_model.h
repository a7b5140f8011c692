/* reward_model: a trained reward model as the later stages use it: scoring token sequences
 * and texts, scoring a policy's generated responses from their token ids, and the
 * normalisation fitted on the reference policy's samples. It needs only the engine (no
 * store), so PPO and other programs can score without the training half (rlhf/reward.h). */
#ifndef RLHF_REWARD_MODEL_H
#define RLHF_REWARD_MODEL_H

#include <stdbool.h>

#include "rlhf/nn.h"

struct tokenizer;
struct reward_normalization;

/* Builds the reward model's input, [<|endoftext|>] prompt response [<|endoftext|>], within
 * max_length tokens: prompt tokens are cut from the left first, then the leading marker,
 * then the response from the right (the final marker, where the reward is read, stays).
 * With pad_token_id >= 0 (the model's config.json sets one, as Hugging Face reward models
 * with pad = eos do) trailing pad tokens are dropped, keeping at least one token, so the
 * reward is read at the last token that is not padding: where transformers'
 * GPT2ForSequenceClassification reads it. The counters (may be NULL) count sequences
 * whose prompt or response was cut. *out is malloc'd. */
int reward_build_sequence(const struct tokenizer *tokenizer, const char *prompt, const char *response, int max_length,
                          int pad_token_id, int **out, int *length, long *cut_prompts, long *cut_responses,
                          rlhf_error *error);

/* ---------------------------------------------------------------- scoring */

/* Rewards of token sequences (batch of up to batch_size), at each sequence's last token. */
int reward_score_sequences(gpt_model *model, const int *const *sequences, const int *lengths, int count,
                           int batch_size, float *rewards, rlhf_error *error);
/* The reward of one prompt/response text pair. */
int reward_score_text(gpt_model *model, const struct tokenizer *tokenizer, const char *prompt, const char *response,
                      float *reward, rlhf_error *error);

/* The normalised rewards of generated responses, scored from their token ids as
 * generation made them: row i is prompts[i] (as policy_generate takes it, starting with
 * <|endoftext|>) followed by responses[i]; a response that did not end with eos_id gets it
 * appended, so the reward is read at the final <|endoftext|> as in training (or, when the
 * model's config sets pad_token_id, at the last token that is not padding). A row longer
 * than the model's positions loses prompt tokens from the left after the first.
 * scores[i] = gain * reward + bias (normalization NULL: the raw reward). */
int reward_score_responses(gpt_model *model, const struct reward_normalization *normalization,
                           const int *const *prompts, const int *prompt_lengths, const int *const *responses,
                           const int *response_lengths, int count, int eos_id, int batch_size, float *scores,
                           rlhf_error *error);

/* ---------------------------------------------------------------- normalisation */

typedef struct reward_normalization {
    double gain, bias;       /* normalised = gain * reward + bias */
    double mean, std;        /* of the raw rewards it was fitted on */
    int samples;
} reward_normalization;

/* Fits gain and bias so rewards of the given responses have mean 0 and std 1 (as OpenAI's
 * lm-human-preferences does on samples from the reference policy). Fails on a non-finite
 * reward. */
int reward_fit_normalization(gpt_model *model, const struct tokenizer *tokenizer, const char *const *prompts,
                             const char *const *responses, int count, reward_normalization *normalization,
                             rlhf_error *error);
/* dir/reward_normalization.json. Saving refuses non-finite values (or std <= 0). Loading
 * returns 0 when read, 1 (error set, nothing else changed) when the file does not exist,
 * and -1 when it is unreadable or any field is missing, not a number or out of range
 * (gain and std finite and > 0, bias and mean finite, samples an integer >= 2), the error
 * naming the file and the field. */
int reward_save_normalization(const reward_normalization *normalization, const char *dir, rlhf_error *error);
int reward_load_normalization(reward_normalization *normalization, const char *dir, rlhf_error *error);
/* Removes dir's reward_normalization.json if there is one: a model about to be trained
 * into dir no longer matches it (called before training writes anything there). */
int reward_remove_normalization(const char *dir, rlhf_error *error);

#endif
