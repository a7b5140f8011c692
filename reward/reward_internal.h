/* Shared between the reward module's source files only. */
#ifndef RLHF_REWARD_INTERNAL_H
#define RLHF_REWARD_INTERNAL_H

#include "rlhf/reward.h"

/* Builds the reward model's input, [<|endoftext|>] prompt response [<|endoftext|>], within
 * max_length tokens: prompt tokens are cut from the left first, then the leading marker,
 * then the response from the right (the final marker, where the reward is read, stays).
 * With pad_token_id >= 0 (the model's config.json sets one, as Hugging Face reward models
 * with pad = eos do) trailing pad tokens are dropped, keeping at least one token, so the
 * reward is read at the last token that is not padding: where transformers'
 * GPT2ForSequenceClassification reads it. The counters (may be NULL) count sequences
 * whose prompt or response was cut. */
int reward_build_sequence(const struct tokenizer *tokenizer, const char *prompt, const char *response, int max_length,
                          int pad_token_id, int **out, int *length, long *cut_prompts, long *cut_responses,
                          rlhf_error *error);

#endif
