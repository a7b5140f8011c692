/* Batched generation with a KV cache: prompts of different lengths are left-padded into
 * one prefill, then each step feeds one token per sequence through the cached forward and
 * samples the next on the backend, so only token ids and a few numbers cross to the host. */
#include "rlhf/policy.h"

#include <stdlib.h>
#include <string.h>

/* Frees a generation's arrays and zeroes it (a zeroed one is fine). */
void policy_generation_free(policy_generation *generation) {
    free(generation->tokens);
    free(generation->logprobs);
    free(generation->lengths);
    free(generation->stop_reasons);
    memset(generation, 0, sizeof *generation);
}

/* Row row's own random stream: the same (seed, row) always draws the same uniforms. */
void policy_sampling_stream(rlhf_rng *stream, uint64_t seed, int row) {
    rlhf_rng_seed(stream, seed * 0x9e3779b97f4a7c15ULL + (uint64_t)row + 1);
}

/* Samples up to max_new_tokens per prompt in one left-padded batch through the KV cache
 * (rlhf/policy.h); on failure out is left empty. */
int policy_generate(gpt_model *model, const int *const *prompts, const int *prompt_lengths, int count,
                    const policy_sampling *sampling, policy_generation *out, rlhf_error *error) {
    memset(out, 0, sizeof *out);
    int B = count, new_tokens = sampling->max_new_tokens;
    if (B <= 0 || new_tokens <= 0) {
        rlhf_error_set(error, "generation needs at least one prompt and one new token");
        return -1;
    }
    /* An empty prompt starts from <|endoftext|>, GPT-2's document boundary. */
    int longest = 1;
    for (int b = 0; b < B; b++) {
        int length = prompt_lengths[b];
        if (length == 0 && sampling->eos_id < 0) {
            rlhf_error_set(error, "prompt %d is empty and the model has no end-of-text token to start from", b);
            return -1;
        }
        if (length > longest) longest = length;
    }
    int max_len = longest + new_tokens;
    if (max_len > model->config.n_positions) {
        rlhf_error_set(error, "the longest prompt (%d tokens) plus %d new tokens exceeds the model's %d positions",
                       longest, new_tokens, model->config.n_positions);
        return -1;
    }
    gpt_kv_cache cache;
    if (gpt_reserve(model, B, longest, false, error) != 0 || gpt_kv_cache_create(&cache, model, B, max_len, error) != 0)
        return -1;
    out->batch_size = B;
    out->max_new_tokens = new_tokens;
    out->tokens = calloc((size_t)B * new_tokens, sizeof(int));
    out->logprobs = calloc((size_t)B * new_tokens, sizeof(float));
    out->lengths = calloc((size_t)B, sizeof(int));
    out->stop_reasons = calloc((size_t)B, sizeof(policy_stop_reason));
    int *tokens = calloc((size_t)B * longest, sizeof(int)), *mask = calloc((size_t)B * longest, sizeof(int));
    int *sampled = calloc((size_t)B, sizeof(int)), *active = calloc((size_t)B, sizeof(int));
    float *uniforms = calloc((size_t)B, sizeof(float)), *logprobs = calloc((size_t)B, sizeof(float));
    rlhf_rng *streams = calloc((size_t)B, sizeof(rlhf_rng));
    int status = -1;
    if (!out->tokens || !out->logprobs || !out->lengths || !out->stop_reasons || !tokens || !mask || !sampled ||
        !active || !uniforms || !logprobs || !streams) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    /* left padding: row b's prompt ends at position longest - 1 */
    for (int b = 0; b < B; b++) {
        int length = prompt_lengths[b];
        const int *prompt = length > 0 ? prompts[b] : &sampling->eos_id;
        if (length == 0) length = 1;
        for (int t = 0; t < length; t++) {
            tokens[b * longest + longest - length + t] = prompt[t];
            mask[b * longest + longest - length + t] = 1;
        }
        active[b] = 1;
        policy_sampling_stream(&streams[b], sampling->seed, b);
    }
    if (gpt_forward_cached(model, &cache, tokens, mask, longest, error) != 0) goto done;
    for (int step = 0; step < new_tokens; step++) {
        for (int b = 0; b < B; b++) uniforms[b] = (float)rlhf_rng_uniform(&streams[b]);
        if (gpt_sample_next(model, B, uniforms, sampling->temperature, sampling->top_k,
                            sampling->top_p > 0.0f ? sampling->top_p : 1.0f, sampled, logprobs, error) != 0)
            goto done;
        int still_active = 0;
        for (int b = 0; b < B; b++) {
            if (!active[b]) continue;
            int *row = out->tokens + (size_t)b * new_tokens;
            row[out->lengths[b]] = sampled[b];
            out->logprobs[(size_t)b * new_tokens + out->lengths[b]] = logprobs[b];
            out->lengths[b]++;
            if (sampled[b] == sampling->eos_id) {
                out->stop_reasons[b] = POLICY_STOP_EOS;
                active[b] = 0;
            } else if (sampling->should_stop && sampling->should_stop(row, out->lengths[b], sampling->user)) {
                out->stop_reasons[b] = POLICY_STOP_CALLBACK;
                active[b] = 0;
            } else if (out->lengths[b] == new_tokens) {
                out->stop_reasons[b] = POLICY_STOP_LENGTH;
                active[b] = 0;
            }
            still_active += active[b];
        }
        if (!still_active) break;
        /* finished rows feed a masked placeholder that no later query can see */
        for (int b = 0; b < B; b++) {
            tokens[b] = active[b] ? sampled[b] : 0;
            mask[b] = active[b];
        }
        if (gpt_forward_cached(model, &cache, tokens, mask, 1, error) != 0) goto done;
    }
    status = 0;
done:
    free(tokens);
    free(mask);
    free(sampled);
    free(active);
    free(uniforms);
    free(logprobs);
    free(streams);
    gpt_kv_cache_destroy(&cache);
    if (status != 0) policy_generation_free(out);
    return status;
}
