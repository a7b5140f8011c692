/* Shared between the reward module's source files only. */
#ifndef RLHF_REWARD_INTERNAL_H
#define RLHF_REWARD_INTERNAL_H

#include "rlhf/reward.h"

/* Builds the reward model's input, [<|endoftext|>] prompt response [<|endoftext|>], within
 * max_length tokens: prompt tokens are cut from the left first, then the leading marker,
 * then the response from the right (the final marker, where the reward is read, stays).
 * The counters (may be NULL) count sequences whose prompt or response was cut. */
int reward_build_sequence(const struct tokenizer *tokenizer, const char *prompt, const char *response, int max_length,
                          int **out, int *length, long *cut_prompts, long *cut_responses, rlhf_error *error);

#endif
