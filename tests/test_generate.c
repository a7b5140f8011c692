/* Generation: the cached forward against full recomputation, greedy parity with Hugging
 * Face's generate, repeatable seeds, the sampler's distribution, top-k / top-p, stops. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"
#include "tests/reference.h"
#include "tests/test_support.h"

static const nn_backend *be;

static void setup(void) { be = nn_cpu_backend(); }

static gpt_config small_config(void) {
    gpt_config c = {.vocab_size = 29, .n_positions = 24, .n_embd = 16, .n_layer = 2, .n_head = 4,
                    .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1, .pad_token_id = -1};
    return c;
}

/* N(0, 0.3) parameters (LayerNorm weights near 1) so logits vary from step to step. */
static void make_model(gpt_model *model, unsigned long long seed) {
    gpt_config config = small_config();
    rlhf_error error;
    ck_assert_int_eq(gpt_create(model, &config, be, &error), 0);
    float *host = malloc(sizeof(float) * model->parameter_count);
    random_fill(host, model->parameter_count, 0.3f, seed);
    for (int i = 0; i < model->tensor_count; i++)
        if (strstr(model->tensors[i].name, "ln_") && strstr(model->tensors[i].name, "weight"))
            for (size_t k = 0; k < model->tensors[i].count; k++) host[model->tensors[i].offset + k] += 1.0f;
    gpt_write_parameters(model, host);
    free(host);
}

/* Logits at the last position of each left-padded row, from a full (uncached) forward. */
static void full_forward_last_logits(gpt_model *model, const int *tokens, const int *mask, int B, int T, float *out) {
    rlhf_error error;
    gpt_model *m = model;
    ck_assert_int_eq(gpt_reserve(m, B, T, false, &error), 0);
    gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .attention_mask = mask, .want_logits = true};
    ck_assert_int_eq(gpt_forward(m, &batch, NULL, &error), 0);
    int V = model->config.vocab_size;
    float *logits = malloc(sizeof(float) * B * T * V);
    gpt_copy_logits(m, logits);
    for (int b = 0; b < B; b++) memcpy(out + b * V, logits + ((size_t)b * T + T - 1) * V, sizeof(float) * V);
    free(logits);
}

START_TEST(test_cached_logits_equal_full_recomputation) {
    gpt_model model;
    rlhf_error error;
    make_model(&model, 3);
    int B = 3, V = 29, prompt = 5, steps = 6, T = prompt + steps;
    /* rows: prompt lengths 5, 2 and 4, left-padded to 5 */
    int lengths[3] = {5, 2, 4};
    int *tokens = calloc((size_t)B * T, sizeof(int)), *mask = calloc((size_t)B * T, sizeof(int));
    for (int b = 0; b < B; b++)
        for (int t = prompt - lengths[b]; t < prompt; t++) {
            tokens[b * T + t] = (b * 7 + t * 3) % V;
            mask[b * T + t] = 1;
        }
    gpt_kv_cache cache;
    ck_assert_int_eq(gpt_reserve(&model, B, T, false, &error), 0);
    ck_assert_int_eq(gpt_kv_cache_create(&cache, &model, B, T, &error), 0);
    int *chunk = malloc(sizeof(int) * B * prompt), *chunk_mask = malloc(sizeof(int) * B * prompt);
    for (int b = 0; b < B; b++) {
        memcpy(chunk + b * prompt, tokens + b * T, sizeof(int) * prompt);
        memcpy(chunk_mask + b * prompt, mask + b * T, sizeof(int) * prompt);
    }
    ck_assert_int_eq(gpt_forward_cached(&model, &cache, chunk, chunk_mask, prompt, &error), 0);
    float *cached = malloc(sizeof(float) * B * V), *full = malloc(sizeof(float) * B * V);
    int *next = malloc(sizeof(int) * B);
    for (int step = 0; step <= steps; step++) {
        int length = prompt + step;
        gpt_copy_next_logits(&model, B, cached);
        /* the same sequences, recomputed from scratch as a [B, length] batch */
        int *prefix = malloc(sizeof(int) * B * length), *prefix_mask = malloc(sizeof(int) * B * length);
        for (int b = 0; b < B; b++) {
            memcpy(prefix + b * length, tokens + b * T, sizeof(int) * length);
            memcpy(prefix_mask + b * length, mask + b * T, sizeof(int) * length);
        }
        full_forward_last_logits(&model, prefix, prefix_mask, B, length, full);
        /* float32 sums in another order: within 1e-5 of the largest logit */
        ck_assert_msg(relative_error_float(cached, full, (size_t)B * V) <= 1e-5, "step %d: %g", step,
                      relative_error_float(cached, full, (size_t)B * V));
        free(prefix);
        free(prefix_mask);
        if (step == steps) break;
        for (int b = 0; b < B; b++) { /* feed a fixed token stream, real for every row */
            next[b] = (step * 5 + b) % V;
            tokens[b * T + length] = next[b];
            mask[b * T + length] = 1;
        }
        ck_assert_int_eq(gpt_forward_cached(&model, &cache, next, NULL, 1, &error), 0);
    }
    free(tokens); free(mask); free(chunk); free(chunk_mask); free(cached); free(full); free(next);
    gpt_kv_cache_destroy(&cache);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_greedy_matches_hugging_face_generate) {
    rlhf_error error;
    policy_generation out;
    int eos;
    int different = greedy_fixture_mismatches(be, tests_fixtures_dir(), &out, &eos, &error);
    ck_assert_msg(different >= 0, "%s", error.message);
    ck_assert_int_eq(different, 0);
    for (int i = 0; i < out.batch_size; i++) {
        int last = out.tokens[i * out.max_new_tokens + out.lengths[i] - 1];
        ck_assert_int_eq(out.stop_reasons[i], last == eos ? POLICY_STOP_EOS : POLICY_STOP_LENGTH);
    }
    policy_generation_free(&out);
}
END_TEST

/* The three prompts of the generation tests, of lengths 3, 1 and 4. */
static const int prompt_0[3] = {1, 2, 3}, prompt_1[1] = {7}, prompt_2[4] = {4, 4, 5, 9};
static const int *const three_prompts[3] = {prompt_0, prompt_1, prompt_2};
static const int three_lengths[3] = {3, 1, 4};

/* Generates from the three prompts with the given sampling and returns the generation. */
static void generate(gpt_model *model, const policy_sampling *sampling, policy_generation *out) {
    rlhf_error error;
    ck_assert_msg(policy_generate(model, three_prompts, three_lengths, 3, sampling, out, &error) == 0, "%s",
                  error.message);
}

START_TEST(test_seed_makes_sampling_repeatable) {
    gpt_model model;
    make_model(&model, 4);
    policy_sampling sampling = {.temperature = 1.0f, .top_p = 1.0f, .max_new_tokens = 12, .seed = 42, .eos_id = -1};
    policy_generation a, b, c;
    generate(&model, &sampling, &a);
    generate(&model, &sampling, &b);
    sampling.seed = 43;
    generate(&model, &sampling, &c);
    ck_assert_mem_eq(a.tokens, b.tokens, sizeof(int) * 3 * 12);
    ck_assert_mem_eq(a.logprobs, b.logprobs, sizeof(float) * 3 * 12);
    ck_assert(memcmp(a.tokens, c.tokens, sizeof(int) * 3 * 12) != 0);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(a.lengths[i], 12);
    policy_generation_free(&a);
    policy_generation_free(&b);
    policy_generation_free(&c);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_sampled_logprobs_match_the_model) {
    /* With temperature T and no truncation, each returned log-prob is log_softmax(logits/T)
     * of the chosen token, as a full forward with that temperature computes it. */
    gpt_model model;
    rlhf_error error;
    make_model(&model, 5);
    policy_sampling sampling = {.temperature = 0.7f, .top_p = 1.0f, .max_new_tokens = 8, .seed = 9, .eos_id = -1};
    policy_generation out;
    generate(&model, &sampling, &out);
    const int *const *prompts = three_prompts;
    const int *lengths = three_lengths;
    for (int b = 0; b < 3; b++) {
        int T = lengths[b] + 8;
        int *tokens = malloc(sizeof(int) * T), *targets = malloc(sizeof(int) * T);
        float *logprobs = malloc(sizeof(float) * T);
        memcpy(tokens, prompts[b], sizeof(int) * lengths[b]);
        memcpy(tokens + lengths[b], out.tokens + b * 8, sizeof(int) * 8);
        for (int t = 0; t < T; t++) targets[t] = t + 1 < T && t + 1 >= lengths[b] ? tokens[t + 1] : -1;
        ck_assert_int_eq(gpt_reserve(&model, 1, T, false, &error), 0);
        gpt_batch batch = {.batch_size = 1, .seq_len = T, .tokens = tokens, .targets = targets, .temperature = 0.7f};
        gpt_outputs outputs = {.target_logprobs = logprobs};
        ck_assert_int_eq(gpt_forward(&model, &batch, &outputs, &error), 0);
        for (int i = 0; i < 8; i++)
            ck_assert_float_eq_tol(out.logprobs[b * 8 + i], logprobs[lengths[b] - 1 + i], 1e-5f);
        free(tokens);
        free(targets);
        free(logprobs);
    }
    policy_generation_free(&out);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_sequence_logprobs_match_generation) {
    /* The rows PPO scores: prompts of different lengths with responses of different
     * lengths (one empty), all in one right-padded forward, give each sampled token the
     * log-prob generation drew it with (temperature 0.7, no truncation), to 1e-5 (the
     * same float32 model on other paddings); past a response's end, 0. Each entropy equals
     * -sum p log p of softmax(logits / 0.7) at that position, from a separate forward of
     * the row alone (1e-5). */
    gpt_model model;
    rlhf_error error;
    make_model(&model, 6);
    policy_sampling sampling = {.temperature = 0.7f, .top_p = 1.0f, .max_new_tokens = 8, .seed = 3, .eos_id = -1};
    policy_generation out;
    generate(&model, &sampling, &out);
    const int *const *prompts = three_prompts;
    const int *prompt_lengths = three_lengths;
    int response_lengths[3] = {8, 5, 0};
    const int *responses[3] = {out.tokens, out.tokens + 8, out.tokens + 16};
    policy_sequences rows = {.prompts = prompts, .prompt_lengths = prompt_lengths, .responses = responses,
                             .response_lengths = response_lengths, .count = 3};
    ck_assert_int_eq(policy_sequence_length(&rows), 11);
    float logprobs[24], entropies[24];
    ck_assert_msg(policy_sequence_logprobs(&model, &rows, 8, 0.7f, logprobs, entropies, &error) == 0, "%s",
                  error.message);
    int V = model.config.vocab_size;
    for (int b = 0; b < 3; b++) {
        for (int t = 0; t < 8; t++) {
            if (t >= response_lengths[b]) {
                ck_assert(logprobs[b * 8 + t] == 0.0f && entropies[b * 8 + t] == 0.0f);
                continue;
            }
            ck_assert_float_eq_tol(logprobs[b * 8 + t], out.logprobs[b * 8 + t], 1e-5f);
        }
        if (response_lengths[b] == 0) continue;
        /* the row alone, unpadded: its logits at each response position */
        int T = prompt_lengths[b] + response_lengths[b];
        int tokens[16];
        memcpy(tokens, prompts[b], sizeof(int) * (size_t)prompt_lengths[b]);
        memcpy(tokens + prompt_lengths[b], responses[b], sizeof(int) * (size_t)response_lengths[b]);
        ck_assert_int_eq(gpt_reserve(&model, 1, T, false, &error), 0);
        gpt_batch batch = {.batch_size = 1, .seq_len = T, .tokens = tokens, .want_logits = true};
        ck_assert_int_eq(gpt_forward(&model, &batch, NULL, &error), 0);
        float *logits = malloc(sizeof(float) * (size_t)T * (size_t)V);
        gpt_copy_logits(&model, logits);
        for (int t = 0; t < response_lengths[b]; t++) {
            const float *z = logits + (size_t)(prompt_lengths[b] - 1 + t) * (size_t)V;
            double top = -INFINITY, sum = 0, entropy = 0;
            for (int v = 0; v < V; v++) top = z[v] / 0.7 > top ? z[v] / 0.7 : top;
            for (int v = 0; v < V; v++) sum += exp(z[v] / 0.7 - top);
            for (int v = 0; v < V; v++) {
                double p = exp(z[v] / 0.7 - top) / sum;
                entropy -= p * log(p);
            }
            ck_assert_float_eq_tol(entropies[b * 8 + t], (float)entropy, 1e-5f);
        }
        free(logits);
    }
    /* a response longer than max_response is refused, naming the row */
    response_lengths[1] = 9;
    ck_assert_int_eq(policy_sequence_logprobs(&model, &rows, 8, 0.7f, logprobs, NULL, &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "row 1"));
    policy_generation_free(&out);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_sequence_values_read_the_state_before_each_token) {
    /* A value model (a scalar head on the trunk) over the same padded rows: entry t of a row
     * is the head at the position before response token t, as a forward of the row alone
     * gives it (1e-5), and 0 past the response. */
    gpt_model model;
    rlhf_error error;
    make_model(&model, 7);
    ck_assert_int_eq(gpt_add_score_head(&model, 8, &error), 0);
    int p0[2] = {1, 2}, p1[4] = {3, 4, 5, 6}, r0[5] = {7, 8, 9, 10, 11}, r1[2] = {12, 13};
    const int *prompts[2] = {p0, p1}, *responses[2] = {r0, r1};
    int prompt_lengths[2] = {2, 4}, response_lengths[2] = {5, 2};
    policy_sequences rows = {.prompts = prompts, .prompt_lengths = prompt_lengths, .responses = responses,
                             .response_lengths = response_lengths, .count = 2};
    float values[10];
    ck_assert_msg(policy_sequence_values(&model, &rows, 5, values, &error) == 0, "%s", error.message);
    for (int b = 0; b < 2; b++) {
        int T = prompt_lengths[b] + response_lengths[b], tokens[8];
        memcpy(tokens, prompts[b], sizeof(int) * (size_t)prompt_lengths[b]);
        memcpy(tokens + prompt_lengths[b], responses[b], sizeof(int) * (size_t)response_lengths[b]);
        float alone[8];
        ck_assert_int_eq(gpt_reserve(&model, 1, T, false, &error), 0);
        gpt_batch batch = {.batch_size = 1, .seq_len = T, .tokens = tokens, .want_values = true};
        gpt_outputs out = {.values = alone};
        ck_assert_int_eq(gpt_forward(&model, &batch, &out, &error), 0);
        for (int t = 0; t < 5; t++) {
            if (t < response_lengths[b])
                ck_assert_float_eq_tol(values[b * 5 + t], alone[prompt_lengths[b] - 1 + t], 1e-5f);
            else
                ck_assert(values[b * 5 + t] == 0.0f);
        }
    }
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_sampler_follows_the_distribution) {
    /* 20000 draws from fixed logits: each token's frequency is within 5 standard errors of
     * its probability; top-k and top-p keep exactly the expected sets. */
    int V = 6, draws = 20000;
    float logits[6] = {1.0f, 2.0f, 0.5f, -1.0f, 2.0f, 0.0f};
    double p[6], sum = 0;
    for (int i = 0; i < V; i++) sum += p[i] = exp(logits[i]);
    for (int i = 0; i < V; i++) p[i] /= sum;
    float *many = malloc(sizeof(float) * V * draws), *uniforms = malloc(sizeof(float) * draws);
    float *logprobs = malloc(sizeof(float) * draws);
    int *tokens = malloc(sizeof(int) * draws);
    for (int d = 0; d < draws; d++) memcpy(many + d * V, logits, sizeof logits);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 1);
    for (int d = 0; d < draws; d++) uniforms[d] = (float)rlhf_rng_uniform(&rng);
    be->sample_tokens(tokens, logprobs, many, uniforms, draws, V, 1.0f, 0, 1.0f);
    int counts[6] = {0};
    for (int d = 0; d < draws; d++) {
        counts[tokens[d]]++;
        ck_assert_float_eq_tol(logprobs[d], (float)log(p[tokens[d]]), 1e-5f);
    }
    for (int i = 0; i < V; i++) {
        double standard_error = sqrt(p[i] * (1 - p[i]) / draws);
        ck_assert_double_le(fabs(counts[i] / (double)draws - p[i]), 5 * standard_error);
    }
    /* top-k 2: the two tied largest logits (1 and 4), each with probability 1/2 */
    be->sample_tokens(tokens, logprobs, many, uniforms, draws, V, 1.0f, 2, 1.0f);
    for (int d = 0; d < draws; d++) {
        ck_assert(tokens[d] == 1 || tokens[d] == 4);
        ck_assert_float_eq_tol(logprobs[d], logf(0.5f), 1e-6f);
    }
    /* top-p 0.8: probabilities are .360 .360 .132 .080 .049 .018 (tokens 1, 4, 0, 2, 5, 3);
     * the smallest set reaching 0.8 is {1, 4, 0} (.720 < .8 <= .853). */
    be->sample_tokens(tokens, logprobs, many, uniforms, draws, V, 1.0f, 0, 0.8f);
    double kept = p[0] + p[1] + p[4];
    for (int d = 0; d < draws; d++) {
        ck_assert(tokens[d] == 0 || tokens[d] == 1 || tokens[d] == 4);
        ck_assert_float_eq_tol(logprobs[d], (float)log(p[tokens[d]] / kept), 1e-5f);
    }
    /* greedy takes the first maximum, log-prob 0 */
    be->sample_tokens(tokens, logprobs, many, uniforms, 1, V, 0.0f, 0, 1.0f);
    ck_assert_int_eq(tokens[0], 1);
    ck_assert_float_eq(logprobs[0], 0.0f);
    free(many); free(uniforms); free(logprobs); free(tokens);
}
END_TEST

/* Multiplies the final LayerNorm's weight and bias by factor, so every logit is factor times
 * larger: the small model's logits (a few units) become GPT-2's scale (tens). */
static void scale_logits(gpt_model *model, float factor) {
    float *host = malloc(sizeof(float) * model->parameter_count);
    gpt_read_parameters(model, host, false);
    for (int i = 0; i < model->tensor_count; i++)
        if (strncmp(model->tensors[i].name, "ln_f.", 5) == 0)
            for (size_t k = 0; k < model->tensors[i].count; k++) host[model->tensors[i].offset + k] *= factor;
    gpt_write_parameters(model, host);
    free(host);
}

START_TEST(test_tiny_temperature_generates_greedily) {
    /* T -> 0+ is greedy: at T = 1e-30, 1e-37 (logit / T overflows float) and 1e-40 (a
     * denormal: 1 / T is inf), with and without top-k / top-p, generation gives the greedy
     * tokens, each with a finite log-prob ~0 (NaN made every draw the last id, log-prob NaN). */
    gpt_model model;
    make_model(&model, 7);
    scale_logits(&model, 20.0f);
    policy_sampling greedy = {.temperature = 0.0f, .top_p = 1.0f, .max_new_tokens = 12, .seed = 5, .eos_id = -1};
    policy_generation expected;
    generate(&model, &greedy, &expected);
    const float temperatures[3] = {1e-30f, 1e-37f, 1e-40f};
    for (int t = 0; t < 3; t++)
        for (int truncated = 0; truncated < 2; truncated++) {
            policy_sampling tiny = greedy;
            tiny.temperature = temperatures[t];
            tiny.top_k = truncated ? 5 : 0;
            tiny.top_p = truncated ? 0.9f : 1.0f;
            policy_generation out;
            generate(&model, &tiny, &out);
            for (int b = 0; b < 3; b++) {
                ck_assert_int_eq(out.lengths[b], expected.lengths[b]);
                for (int i = 0; i < out.lengths[b]; i++) {
                    int index = b * 12 + i;
                    ck_assert_msg(out.tokens[index] == expected.tokens[index], "T %g row %d step %d: %d, greedy %d",
                                  (double)temperatures[t], b, i, out.tokens[index], expected.tokens[index]);
                    ck_assert_msg(isfinite(out.logprobs[index]) && fabsf(out.logprobs[index]) <= 1e-6f,
                                  "T %g row %d step %d: log-prob %g", (double)temperatures[t], b, i,
                                  (double)out.logprobs[index]);
                }
            }
            policy_generation_free(&out);
        }
    policy_generation_free(&expected);
    gpt_destroy(&model);
}
END_TEST

/* Stops a sequence once it holds three tokens (a stand-in for a stop string). */
static bool stop_at_three(const int *generated, int count, void *user) {
    (void)generated;
    (void)user;
    return count == 3;
}

START_TEST(test_decoded_text_keeps_what_follows_a_nul_byte) {
    /* "a", byte 0, "b": the byte-level tokenizer encodes the NUL as its own token, decode
     * gives it back, and policy_decode_text writes U+FFFD there and keeps the "b" after it
     * (a C string of the raw decode would end at the "a"). */
    tokenizer *tok;
    rlhf_error error;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/tokenizer", tests_fixtures_dir());
    ck_assert_msg(tokenizer_load(&tok, dir, &error) == 0, "%s", error.message);
    int *ids;
    size_t count;
    ck_assert_int_eq(tokenizer_encode(tok, "a\0b", 3, false, &ids, &count, &error), 0);
    char *raw, *text;
    size_t raw_length;
    ck_assert_int_eq(tokenizer_decode(tok, ids, count, &raw, &raw_length, &error), 0);
    ck_assert_uint_eq(raw_length, 3);
    ck_assert_int_eq(memcmp(raw, "a\0b", 3), 0);
    ck_assert_int_eq(policy_decode_text(tok, ids, count, &text, &error), 0);
    ck_assert_str_eq(text, "a\xEF\xBF\xBD" "b");
    free(raw);
    free(text);
    free(ids);
    tokenizer_free(tok);
}
END_TEST

START_TEST(test_generation_stops) {
    gpt_model model;
    make_model(&model, 6);
    policy_sampling sampling = {.temperature = 0.0f, .top_p = 1.0f, .max_new_tokens = 10, .eos_id = -1,
                                .should_stop = stop_at_three};
    policy_generation out;
    generate(&model, &sampling, &out);
    for (int b = 0; b < 3; b++) {
        ck_assert_int_eq(out.lengths[b], 3);
        ck_assert_int_eq(out.stop_reasons[b], POLICY_STOP_CALLBACK);
    }
    /* make the first greedy token of row 0 the end-of-text token: it stops at once */
    int first = out.tokens[0];
    policy_generation_free(&out);
    sampling.should_stop = NULL;
    sampling.eos_id = first;
    generate(&model, &sampling, &out);
    ck_assert_int_eq(out.lengths[0], 1);
    ck_assert_int_eq(out.stop_reasons[0], POLICY_STOP_EOS);
    policy_generation_free(&out);
    /* a prompt that does not fit with its new tokens is refused */
    sampling.max_new_tokens = 30;
    policy_generation too_long;
    int prompt[2] = {1, 2};
    const int *prompts[1] = {prompt};
    int lengths[1] = {2};
    rlhf_error error;
    ck_assert_int_eq(policy_generate(&model, prompts, lengths, 1, &sampling, &too_long, &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "exceeds the model's 24 positions"));
    gpt_destroy(&model);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("generate");
    TCase *tc = tcase_create("cpu");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cached_logits_equal_full_recomputation);
    tcase_add_test(tc, test_greedy_matches_hugging_face_generate);
    tcase_add_test(tc, test_seed_makes_sampling_repeatable);
    tcase_add_test(tc, test_sampled_logprobs_match_the_model);
    tcase_add_test(tc, test_sequence_logprobs_match_generation);
    tcase_add_test(tc, test_sequence_values_read_the_state_before_each_token);
    tcase_add_test(tc, test_sampler_follows_the_distribution);
    tcase_add_test(tc, test_tiny_temperature_generates_greedily);
    tcase_add_test(tc, test_generation_stops);
    tcase_add_test(tc, test_decoded_text_keeps_what_follows_a_nul_byte);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
