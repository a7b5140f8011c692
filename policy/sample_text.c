/* Text in, text out: tokenize prompts, generate, decode, honour stop strings. */
#include "rlhf/policy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/tokenizer.h"

/* What contains_stop needs: the tokenizer to decode with and the stop string. */
typedef struct stop_check {
    const tokenizer *tokenizer;
    const char *stop;
    size_t window; /* tokens to decode: strlen(stop) + 64 (see contains_stop) */
} stop_check;

/* True once the decoded new tokens contain the stop string. Only the tail that could hold
 * it is decoded: every token decodes to at least one byte, so a match of the newest token
 * lies within the last strlen(stop) tokens; 64 more cover a match the previous check could
 * not yet see (a token's bytes completing a character). */
static bool contains_stop(const int *generated, int count, void *user) {
    const stop_check *check = user;
    int from = (size_t)count > check->window ? count - (int)check->window : 0;
    char *text;
    size_t length;
    if (tokenizer_decode(check->tokenizer, generated + from, (size_t)(count - from), &text, &length, NULL) != 0)
        return false;
    /* memmem, not strstr: a token can decode to a NUL byte, which would end a C string early */
    bool found = memmem(text, length, check->stop, strlen(check->stop)) != NULL;
    free(text);
    return found;
}

/* Frees a sample's text and ids and zeroes it (a zeroed sample is fine). */
void policy_text_sample_free(policy_text_sample *sample) {
    free(sample->text);
    free(sample->ids);
    memset(sample, 0, sizeof *sample);
}

/* Each prompt starts a new document: <|endoftext|> first, as between documents in
 * training, so the model knows nothing precedes it. */
int policy_prompt_ids(const struct tokenizer *tok, const char *text, int **ids, int *length, rlhf_error *error) {
    int *text_ids;
    size_t text_length;
    if (tokenizer_encode(tok, text, strlen(text), true, &text_ids, &text_length, error) != 0) return -1;
    int eos = tokenizer_eos_id(tok), offset = eos >= 0 ? 1 : 0;
    *ids = NULL;
    if (text_length >= INT_MAX) {
        rlhf_error_set(error, "a prompt of %zu tokens is more than a sequence can hold", text_length);
        free(text_ids);
        return -1;
    }
    if (rlhf_resize(ids, text_length + 1, sizeof **ids) != 0) {
        rlhf_error_set(error, "out of memory for a prompt of %zu tokens", text_length);
        free(text_ids);
        return -1;
    }
    if (offset) (*ids)[0] = eos;
    memcpy(*ids + offset, text_ids, sizeof(int) * text_length);
    free(text_ids);
    *length = (int)text_length + offset;
    return 0;
}

/* Replaces each NUL byte of the decoded text[0 .. length) by U+FFFD, in a new buffer that
 * takes *text's place. -1 out of memory (*text unchanged). */
static int replace_nul_bytes(char **text, size_t length) {
    size_t nul_count = 0;
    for (size_t i = 0; i < length; i++) nul_count += (*text)[i] == '\0';
    char *replaced = malloc(length + 2 * nul_count + 1), *out = replaced;
    if (!replaced) return -1;
    for (size_t i = 0; i < length; i++) {
        if ((*text)[i] == '\0') {
            memcpy(out, "\xEF\xBF\xBD", 3);
            out += 3;
        } else {
            *out++ = (*text)[i];
        }
    }
    *out = '\0';
    free(*text);
    *text = replaced;
    return 0;
}

/* Decodes ids into a malloc'd text with each NUL byte written as U+FFFD (rlhf/policy.h). */
int policy_decode_text(const struct tokenizer *tok, const int *ids, size_t count, char **text, rlhf_error *error) {
    size_t length;
    if (tokenizer_decode(tok, ids, count, text, &length, error) != 0) return -1;
    if (memchr(*text, '\0', length) && replace_nul_bytes(text, length) != 0) {
        free(*text);
        *text = NULL;
        rlhf_error_set(error, "out of memory decoding %zu tokens", count);
        return -1;
    }
    return 0;
}

/* Prompts in, decoded continuations out, stopping at <|endoftext|> or stop (rlhf/policy.h). */
int policy_sample_texts(gpt_model *model, const struct tokenizer *tok, const char *const *prompts, int count,
                        const policy_sampling *sampling, const char *stop, policy_text_sample *out,
                        rlhf_error *error) {
    memset(out, 0, sizeof *out * (size_t)count);
    /* every id the model can sample must decode: say so now, not partway through a run */
    if (model->config.vocab_size > tokenizer_vocab_size(tok)) {
        rlhf_error_set(error, "the model has %d token ids but its tokenizer only %d: it could sample ids that cannot "
                              "be decoded (give the model its own tokenizer)",
                       model->config.vocab_size, tokenizer_vocab_size(tok));
        return -1;
    }
    int **ids = calloc((size_t)count, sizeof(int *)), *lengths = calloc((size_t)count, sizeof(int));
    int status = -1;
    policy_generation generation = {0};
    if (count > 0 && (!ids || !lengths)) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    for (int i = 0; i < count; i++)
        if (policy_prompt_ids(tok, prompts[i], &ids[i], &lengths[i], error) != 0) goto done;
    policy_sampling settings = *sampling;
    stop_check check = {tok, stop, stop ? strlen(stop) + 64 : 0};
    settings.eos_id = tokenizer_eos_id(tok);
    settings.should_stop = stop && *stop ? contains_stop : NULL;
    settings.user = &check;
    if (policy_generate(model, (const int *const *)ids, lengths, count, &settings, &generation, error) != 0) goto done;
    for (int i = 0; i < count; i++) {
        const int *row = generation.tokens + (size_t)i * generation.max_new_tokens;
        int n = generation.lengths[i];
        policy_text_sample *sample = &out[i];
        if (rlhf_resize(&sample->ids, (size_t)n, sizeof *sample->ids) != 0) {
            rlhf_error_set(error, "out of memory");
            goto done;
        }
        memcpy(sample->ids, row, sizeof(int) * (size_t)n);
        sample->token_count = n;
        sample->stop_reason = generation.stop_reasons[i];
        for (int t = 0; t < n; t++) sample->logprob_sum += generation.logprobs[(size_t)i * generation.max_new_tokens + t];
        int text_tokens = sample->stop_reason == POLICY_STOP_EOS ? n - 1 : n;
        if (policy_decode_text(tok, row, (size_t)text_tokens, &sample->text, error) != 0) goto done;
        if (sample->stop_reason == POLICY_STOP_CALLBACK) {
            char *at = strstr(sample->text, stop);
            if (at) *at = '\0';
        }
    }
    status = 0;
done:
    for (int i = 0; ids && i < count; i++) free(ids[i]);
    free(ids);
    free(lengths);
    policy_generation_free(&generation);
    if (status != 0)
        for (int i = 0; i < count; i++) policy_text_sample_free(&out[i]);
    return status;
}
