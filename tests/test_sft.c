/* Supervised fine-tuning: JSONL parsing and its errors, the chat template's scored tokens,
 * examples laid out as generation sees a prompt, truncation, the token file, a fine-tune
 * that learns its responses in the context sampling gives them, and an unusable output
 * directory refused before training. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/backend.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"
#include "tests/test_support.h"

static tokenizer *tok;
static char directory[256];

/* A tokenizer trained on a small text that covers the test's words. */
static void setup(void) {
    const char *text = "User: what is the colour of the sky? Assistant: the sky is blue.\n\n"
                       "System: be brief. User: name a fruit. Assistant: an apple.\n"
                       "prompt response apple banana cherry red green blue yellow <|endoftext|>";
    char corpus[4096] = "";
    for (int i = 0; i < 20; i++) strcat(corpus, text);
    tokenizer_train_options options = {.vocab_size = 300, .min_frequency = 2};
    rlhf_error error;
    ck_assert_msg(tokenizer_train(&tok, corpus, strlen(corpus), &options, &error) == 0, "%s", error.message);
    tests_make_temporary_directory(directory, sizeof directory, "sft");
}

static void teardown(void) { tokenizer_free(tok); }

/* Writes text to directory/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    FILE *file = fopen(path, "w");
    fputs(text, file);
    fclose(file);
    return path;
}

/* Decodes the scored tokens of example i. */
static char *scored_text(const policy_sft_data *data, int i) {
    int *ids = malloc(sizeof(int) * data->lengths[i]);
    size_t count = 0, length;
    for (int t = 0; t < data->lengths[i]; t++)
        if (data->scored[i][t]) ids[count++] = data->ids[i][t];
    char *text;
    ck_assert_int_eq(tokenizer_decode(tok, ids, count, &text, &length, NULL), 0);
    free(ids);
    return text;
}

/* Loads the examples of path (max_length 32) and makes a random model (width, layers, two
 * heads, 32 positions, the test tokenizer's vocabulary) initialised from seed. */
static void examples_and_a_model(const char *path, int width, int layers, uint64_t seed, policy_sft_data *data,
                                 gpt_model *model) {
    rlhf_error error;
    ck_assert_int_eq(policy_sft_load(path, tok, 32, data, &error), 0);
    gpt_config config = {.vocab_size = tokenizer_vocab_size(tok), .n_positions = 32, .n_embd = width, .n_layer = layers,
                         .n_head = 2, .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1,
                         .pad_token_id = -1};
    ck_assert_int_eq(gpt_create(model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(model, seed, NULL);
}

/* Two examples and a small random model (1 layer, width 16) for the runs that must stop. */
static void two_examples_and_a_model(policy_sft_data *data, gpt_model *model) {
    const char *path = write_file("few.jsonl", "{\"prompt\": \"red\", \"response\": \" cherry\"}\n"
                                               "{\"prompt\": \"blue\", \"response\": \" banana\"}\n");
    examples_and_a_model(path, 16, 1, 3, data, model);
}

START_TEST(test_only_responses_are_scored) {
    const char *path = write_file("pairs.jsonl",
                                  "{\"prompt\": \"name a fruit.\", \"response\": \" an apple.\"}\n"
                                  "\n"
                                  "{\"messages\": [{\"role\": \"system\", \"content\": \"be brief.\"},"
                                  " {\"role\": \"user\", \"content\": \"what is the colour of the sky?\"},"
                                  " {\"role\": \"assistant\", \"content\": \"the sky is blue.\"}]}\n");
    policy_sft_data data;
    rlhf_error error;
    ck_assert_msg(policy_sft_load(path, tok, 128, &data, &error) == 0, "%s", error.message);
    ck_assert_int_eq(data.count, 2);
    char *first = scored_text(&data, 0), *second = scored_text(&data, 1);
    ck_assert_str_eq(first, " an apple.<|endoftext|>");
    ck_assert_str_eq(second, "the sky is blue.<|endoftext|>");
    /* the full rendering of the chat example follows the documented template, after the
     * <|endoftext|> that every prompt starts with at generation time (unscored) */
    char *all;
    size_t length;
    ck_assert_int_eq(tokenizer_decode(tok, data.ids[1], (size_t)data.lengths[1], &all, &length, NULL), 0);
    ck_assert_str_eq(all, "<|endoftext|>System: be brief.\n\nUser: what is the colour of the sky?\n\nAssistant: the sky is blue.<|endoftext|>");
    ck_assert_int_eq(data.ids[1][0], tokenizer_eos_id(tok));
    ck_assert_int_eq(data.scored[1][0], 0);
    free(first);
    free(second);
    free(all);
    policy_sft_data_free(&data);
}
END_TEST

/* Encodes text as ordinary text (no special tokens), as SFT encodes a response. */
static int *encode_text(const char *text, size_t *count) {
    int *ids;
    ck_assert_int_eq(tokenizer_encode(tok, text, strlen(text), false, &ids, count, NULL), 0);
    return ids;
}

START_TEST(test_long_examples_lose_their_prompt_first) {
    /* The prompt loses tokens from the left, but the leading <|endoftext|> stays first: a
     * prompt cut to its last words is seen at generation time as <|endoftext|> and those
     * words. At least one prompt token is kept beside the response while there is room. */
    const char *prompt = "red green blue yellow red green blue yellow red green";
    char text[256];
    snprintf(text, sizeof text, "{\"prompt\": \"%s\", \"response\": \" apple\"}\n", prompt);
    const char *path = write_file("long.jsonl", text);
    int eos = tokenizer_eos_id(tok), *prompt_ids, prompt_length;
    ck_assert_int_eq(policy_prompt_ids(tok, prompt, &prompt_ids, &prompt_length, NULL), 0);
    size_t response_count;
    int *response_ids = encode_text(" apple", &response_count);
    ck_assert_uint_eq(response_count, 1); /* " apple" is one token of this vocabulary */
    policy_sft_data data;
    rlhf_error error;
    ck_assert_int_eq(policy_sft_load(path, tok, 5, &data, &error), 0);
    ck_assert_int_eq(data.lengths[0], 5);
    ck_assert_int_eq(data.truncated_prompts, 1);
    ck_assert_int_eq(data.truncated_responses, 0);
    /* <|endoftext|>, the prompt's last two tokens, " apple", <|endoftext|> */
    int expected[5] = {eos, prompt_ids[prompt_length - 2], prompt_ids[prompt_length - 1], response_ids[0], eos};
    unsigned char expected_scored[5] = {0, 0, 0, 1, 1};
    ck_assert_mem_eq(data.ids[0], expected, sizeof expected);
    ck_assert_mem_eq(data.scored[0], expected_scored, sizeof expected_scored);
    char *scored = scored_text(&data, 0);
    ck_assert_str_eq(scored, " apple<|endoftext|>"); /* the response survives whole */
    free(scored);
    policy_sft_data_free(&data);

    /* three tokens: <|endoftext|>, the prompt's last token and the response's first (the
     * old rule, one prompt token to condition on, still holds); two: <|endoftext|> alone
     * is the context the response's first token is predicted from */
    ck_assert_int_eq(policy_sft_load(path, tok, 3, &data, &error), 0);
    int three[3] = {eos, prompt_ids[prompt_length - 1], response_ids[0]};
    ck_assert_int_eq(data.lengths[0], 3);
    ck_assert_mem_eq(data.ids[0], three, sizeof three);
    ck_assert_int_eq(data.truncated_responses, 1);
    policy_sft_data_free(&data);
    ck_assert_int_eq(policy_sft_load(path, tok, 2, &data, &error), 0);
    int two[2] = {eos, response_ids[0]};
    unsigned char two_scored[2] = {0, 1};
    ck_assert_int_eq(data.lengths[0], 2);
    ck_assert_mem_eq(data.ids[0], two, sizeof two);
    ck_assert_mem_eq(data.scored[0], two_scored, sizeof two_scored);
    policy_sft_data_free(&data);
    ck_assert_int_eq(policy_sft_load(path, tok, 1, &data, &error), -1);
    ck_assert_msg(strstr(error.message, "long.jsonl") && strstr(error.message, "max_length 1"), "%s", error.message);

    /* a response too long to fit keeps <|endoftext|> and the prompt's last token, then is cut on the right */
    const char *long_response = " apple banana cherry red green blue yellow apple banana cherry";
    snprintf(text, sizeof text, "{\"prompt\": \"%s\", \"response\": \"%s\"}\n", prompt, long_response);
    path = write_file("long.jsonl", text);
    free(response_ids);
    response_ids = encode_text(long_response, &response_count);
    ck_assert_uint_gt(response_count, 4);
    ck_assert_int_eq(policy_sft_load(path, tok, 6, &data, &error), 0);
    ck_assert_int_eq(data.lengths[0], 6);
    ck_assert_int_eq(data.truncated_prompts, 1);
    ck_assert_int_eq(data.truncated_responses, 1);
    int cut[6] = {eos, prompt_ids[prompt_length - 1], response_ids[0], response_ids[1], response_ids[2], response_ids[3]};
    ck_assert_mem_eq(data.ids[0], cut, sizeof cut);
    policy_sft_data_free(&data);
    free(prompt_ids);
    free(response_ids);
}
END_TEST

START_TEST(test_examples_start_as_generation_starts) {
    /* SFT trains each response in the context generation gives it: the example is exactly
     * policy_prompt_ids(prompt) (<|endoftext|> first), the response's ids and <|endoftext|>,
     * with only the response and the final <|endoftext|> scored. */
    const char *prompt = "name a fruit.", *response = " an apple.";
    const char *path = write_file("pair.jsonl", "{\"prompt\": \"name a fruit.\", \"response\": \" an apple.\"}\n");
    int eos = tokenizer_eos_id(tok), *prompt_ids, prompt_length;
    ck_assert_int_ge(eos, 0);
    ck_assert_int_eq(policy_prompt_ids(tok, prompt, &prompt_ids, &prompt_length, NULL), 0);
    ck_assert_int_eq(prompt_ids[0], eos);
    size_t response_count;
    int *response_ids = encode_text(response, &response_count);
    int length = prompt_length + (int)response_count + 1;
    int *expected = malloc(sizeof(int) * length);
    unsigned char *expected_scored = malloc(length);
    memcpy(expected, prompt_ids, sizeof(int) * prompt_length);
    memcpy(expected + prompt_length, response_ids, sizeof(int) * response_count);
    expected[length - 1] = eos;
    for (int t = 0; t < length; t++) expected_scored[t] = t >= prompt_length;
    policy_sft_data data;
    rlhf_error error;
    ck_assert_msg(policy_sft_load(path, tok, 64, &data, &error) == 0, "%s", error.message);
    ck_assert_int_eq(data.lengths[0], length);
    ck_assert_mem_eq(data.ids[0], expected, sizeof(int) * length);
    ck_assert_mem_eq(data.scored[0], expected_scored, length);
    ck_assert_int_eq(data.truncated_prompts + data.truncated_responses, 0);
    policy_sft_data_free(&data);
    /* an empty prompt is the empty prompt of generation: <|endoftext|> alone, and the
     * response's first token is trained from it */
    path = write_file("pair.jsonl", "{\"prompt\": \"\", \"response\": \" an apple.\"}\n");
    ck_assert_msg(policy_sft_load(path, tok, 64, &data, &error) == 0, "%s", error.message);
    ck_assert_int_eq(data.lengths[0], (int)response_count + 2);
    ck_assert_int_eq(data.ids[0][0], eos);
    ck_assert_int_eq(data.scored[0][0], 0);
    ck_assert_mem_eq(data.ids[0] + 1, response_ids, sizeof(int) * response_count);
    policy_sft_data_free(&data);
    free(prompt_ids);
    free(response_ids);
    free(expected);
    free(expected_scored);
}
END_TEST

START_TEST(test_malformed_lines_name_the_line) {
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\"\n", "line 2"},
        {"{\"prompt\": \"a\", \"response\": \"b\"}\n\n{\"prompt\": 3, \"response\": \"b\"}\n", "line 3: \"prompt\" must be a string"},
        {"{\"prompt\": \"a\", \"response\": \"\"}\n", "line 1: \"response\" is empty"},
        {"[1, 2]\n", "line 1: expected a JSON object"},
        {"{\"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}\n", "role \"robot\""},
        {"{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}\n", "no assistant message"},
        /* found by fuzz_sft (fuzz/findings/sft): an empty assistant message, not the last */
        {"{\"messages\": [{\"role\": \"assistant\", \"content\": \"\"}, {\"role\": \"user\", \"content\": \"and?\"}]}\n",
         "line 1: every assistant message is empty: nothing to learn from"},
        {"\n\n", "no examples"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_file("bad.jsonl", cases[i].text);
        policy_sft_data data;
        rlhf_error error;
        ck_assert_int_eq(policy_sft_load(path, tok, 64, &data, &error), -1);
        ck_assert_msg(strstr(error.message, cases[i].needle) && strstr(error.message, "bad.jsonl"),
                      "case %zu: '%s' lacks '%s'", i, error.message, cases[i].needle);
        ck_assert_int_eq(data.count, 0);
    }
}
END_TEST

START_TEST(test_fine_tuning_learns_the_responses) {
    /* Each colour prompt maps to one fruit; after a few epochs the response loss on the
     * same pairs falls well below its starting value. */
    char text[4096] = "";
    const char *colours[4] = {"red", "green", "blue", "yellow"}, *fruits[4] = {" cherry", " apple", " banana", " banana"};
    for (int repeat = 0; repeat < 8; repeat++)
        for (int i = 0; i < 4; i++) {
            char line[128];
            snprintf(line, sizeof line, "{\"prompt\": \"%s\", \"response\": \"%s\"}\n", colours[i], fruits[i]);
            strcat(text, line);
        }
    const char *path = write_file("fruit.jsonl", text);
    policy_sft_data data;
    rlhf_error error;
    gpt_model model;
    examples_and_a_model(path, 32, 2, 3, &data, &model);
    char out[600];
    snprintf(out, sizeof out, "%s/sft-model", directory);
    policy_sft_options options = {.out_dir = out, .epochs = 30, .batch_size = 8, .adamw = nn_adamw_defaults(),
                                  .validation_fraction = 0.0f, .seed = 1,
                                  .schedule = {.kind = NN_LR_CONSTANT, .peak = 3e-3f}};
    policy_sft_result result;
    ck_assert_msg(policy_sft(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    ck_assert_int_eq(result.train_examples, 32);
    ck_assert_int_eq(result.steps, 30 * 4);
    /* two response tokens per example: the fruit word and <|endoftext|> (or more pieces) */
    ck_assert_int_ge(result.response_tokens, 64);
    /* the colour determines the fruit, so the loss approaches zero; random init starts near ln V */
    ck_assert_msg(result.final_train_loss < 0.05f, "final loss %g", result.final_train_loss);
    char config_path[700];
    snprintf(config_path, sizeof config_path, "%s/config.json", out);
    ck_assert_int_eq(access(config_path, F_OK), 0);
    gpt_destroy(&model);
    policy_sft_data_free(&data);
}
END_TEST

/* Mean negative log-probability of the response and the final <|endoftext|> after
 * policy_prompt_ids(prompt): how likely generation (`rlhf sample`) is to produce it. */
static float generation_response_nll(gpt_model *model, const char *prompt, const char *response) {
    int eos = tokenizer_eos_id(tok), *prompt_ids, prompt_length;
    ck_assert_int_eq(policy_prompt_ids(tok, prompt, &prompt_ids, &prompt_length, NULL), 0);
    size_t response_count;
    int *response_ids = encode_text(response, &response_count);
    int length = prompt_length + (int)response_count + 1;
    int *tokens = malloc(sizeof(int) * length), *targets = malloc(sizeof(int) * length);
    memcpy(tokens, prompt_ids, sizeof(int) * prompt_length);
    memcpy(tokens + prompt_length, response_ids, sizeof(int) * response_count);
    tokens[length - 1] = eos;
    for (int t = 0; t < length; t++) targets[t] = t + 1 < length && t + 1 >= prompt_length ? tokens[t + 1] : -1;
    rlhf_error error;
    ck_assert_msg(gpt_reserve(model, 1, length, false, &error) == 0, "%s", error.message);
    gpt_batch batch = {.batch_size = 1, .seq_len = length, .tokens = tokens, .targets = targets};
    gpt_outputs out = {0};
    ck_assert_msg(gpt_forward(model, &batch, &out, &error) == 0, "%s", error.message);
    ck_assert_int_eq(out.target_count, (int)response_count + 1);
    free(prompt_ids);
    free(response_ids);
    free(tokens);
    free(targets);
    return out.loss;
}

START_TEST(test_fine_tuning_learns_the_response_where_generation_asks_for_it) {
    /* After a short fine-tune on one example, the response is likely after the ids
     * generation starts from (policy_prompt_ids: <|endoftext|> first), not only in some
     * other context: the two are the same sequence. */
    const char *prompt = "name a fruit.", *response = " an apple.";
    const char *path = write_file("one.jsonl", "{\"prompt\": \"name a fruit.\", \"response\": \" an apple.\"}\n");
    policy_sft_data data;
    rlhf_error error;
    gpt_model model;
    examples_and_a_model(path, 32, 2, 5, &data, &model);
    float before = generation_response_nll(&model, prompt, response);
    char out[600];
    snprintf(out, sizeof out, "%s/one-model", directory);
    policy_sft_options options = {.out_dir = out, .epochs = 100, .batch_size = 1, .adamw = nn_adamw_defaults(),
                                  .validation_fraction = 0.0f, .seed = 1,
                                  .schedule = {.kind = NN_LR_CONSTANT, .peak = 3e-3f}};
    policy_sft_result result;
    ck_assert_msg(policy_sft(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    float after = generation_response_nll(&model, prompt, response);
    fprintf(stderr, "response NLL after policy_prompt_ids: %.4f before fine-tuning, %.4f after (last training loss %.4f)\n",
            before, after, result.final_train_loss);
    ck_assert_msg(before > 3.0f, "untrained NLL %g", before); /* random init: near ln V */
    ck_assert_msg(after < 0.1f, "NLL after fine-tuning %g (before %g)", after, before);
    /* the context trained is the context asked: its NLL is the training loss, not far above it */
    ck_assert_msg(after < result.final_train_loss + 0.05f, "NLL %g, last training loss %g", after,
                  result.final_train_loss);
    gpt_destroy(&model);
    policy_sft_data_free(&data);
}
END_TEST

/* Counts the steps a run reports. */
static void count_steps(const policy_sft_report *report, void *user) {
    (void)report;
    (*(int *)user)++;
}

START_TEST(test_unusable_output_directory_is_refused_before_training) {
    /* An output path that is a regular file, runs through one or (for a user permissions
     * bind) lies in a read-only folder is refused before the first step, naming the path,
     * and nothing is written; a fresh nested path is made when the model is saved. */
    policy_sft_data data;
    rlhf_error error;
    gpt_model model;
    two_examples_and_a_model(&data, &model);
    char taken[600], through[700], locked[600], below[700], fresh[700], config_path[800];
    snprintf(taken, sizeof taken, "%s", write_file("taken", "not a directory\n"));
    snprintf(through, sizeof through, "%s/model", taken);
    snprintf(locked, sizeof locked, "%s/locked", directory);
    snprintf(below, sizeof below, "%s/model", locked);
    snprintf(fresh, sizeof fresh, "%s/runs/sft/one", directory);
    policy_sft_options options = {.out_dir = taken, .epochs = 1, .batch_size = 1, .adamw = nn_adamw_defaults(),
                                  .validation_fraction = 0.0f, .seed = 1,
                                  .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e-3f}};
    policy_sft_result result;
    int steps = 0;
    ck_assert_int_eq(policy_sft(&model, &data, &options, count_steps, &steps, &result, &error), -1);
    ck_assert_msg(strstr(error.message, taken) && strstr(error.message, "exists and is not a directory"), "%s",
                  error.message);
    ck_assert_int_eq(steps, 0);
    options.out_dir = through;
    ck_assert_int_eq(policy_sft(&model, &data, &options, count_steps, &steps, &result, &error), -1);
    ck_assert_msg(strstr(error.message, through) && strstr(error.message, "is not a directory"), "%s", error.message);
    ck_assert_int_eq(steps, 0);
    struct stat info;
    ck_assert_int_eq(stat(taken, &info), 0);
    ck_assert(S_ISREG(info.st_mode) && info.st_size == 16); /* the file is as it was */
    if (geteuid() != 0) { /* permissions do not bind root */
        ck_assert_int_eq(mkdir(locked, 0555), 0);
        options.out_dir = below;
        ck_assert_int_eq(policy_sft(&model, &data, &options, count_steps, &steps, &result, &error), -1);
        ck_assert_msg(strstr(error.message, below) != NULL, "%s", error.message);
        ck_assert_int_eq(steps, 0);
        chmod(locked, 0755);
    }
    options.out_dir = fresh;
    ck_assert_msg(policy_sft(&model, &data, &options, count_steps, &steps, &result, &error) == 0, "%s", error.message);
    ck_assert_int_eq(steps, 2);
    snprintf(config_path, sizeof config_path, "%s/config.json", fresh);
    ck_assert_int_eq(access(config_path, F_OK), 0);
    ck_assert_msg(policy_sft(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    gpt_destroy(&model);
    policy_sft_data_free(&data);
}
END_TEST

START_TEST(test_bad_runs_write_nothing) {
    /* A diverging learning rate stops with the step named; a reward model (scalar head) is
     * refused as a starting point; neither writes out_dir. Without held-out examples the
     * validation losses are NAN, not a sentinel. */
    policy_sft_data data;
    rlhf_error error;
    gpt_model model;
    two_examples_and_a_model(&data, &model);
    char out[600];
    snprintf(out, sizeof out, "%s/diverged", directory);
    policy_sft_options options = {.out_dir = out, .epochs = 4, .batch_size = 1, .adamw = nn_adamw_defaults(),
                                  .validation_fraction = 0.0f, .seed = 1,
                                  .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e30f}};
    options.adamw.max_grad_norm = 0;
    policy_sft_result result;
    ck_assert_int_eq(policy_sft(&model, &data, &options, NULL, NULL, &result, &error), -1);
    ck_assert_msg(strstr(error.message, "non-finite at step") != NULL, "%s", error.message);
    ck_assert_int_ne(access(out, F_OK), 0);
    gpt_config config = model.config;
    gpt_destroy(&model);

    ck_assert_int_eq(gpt_create(&model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(&model, 3, NULL);
    ck_assert_int_eq(gpt_add_score_head(&model, 4, &error), 0);
    options.schedule.peak = 1e-3f;
    ck_assert_int_eq(policy_sft(&model, &data, &options, NULL, NULL, &result, &error), -1);
    ck_assert_msg(strstr(error.message, "reward model") != NULL, "%s", error.message);
    ck_assert_int_ne(access(out, F_OK), 0);
    gpt_destroy(&model);

    ck_assert_int_eq(gpt_create(&model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(&model, 3, NULL);
    options.epochs = 1;
    ck_assert_msg(policy_sft(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    ck_assert_int_eq(result.val_examples, 0);
    ck_assert(isnan(result.first_val_loss) && isnan(result.final_val_loss));
    gpt_destroy(&model);
    policy_sft_data_free(&data);
}
END_TEST

START_TEST(test_token_file_is_built_once) {
    const char *corpus = write_file("corpus.txt", "red apple<|endoftext|>green apple<|endoftext|>");
    char tokens[600];
    snprintf(tokens, sizeof tokens, "%s/corpus.tokens", directory);
    bool reused = true;
    rlhf_error error;
    ck_assert_int_eq(policy_token_file_build(corpus, tok, tokens, &reused, &error), 0);
    ck_assert(!reused);
    ck_assert_int_eq(policy_token_file_build(corpus, tok, tokens, &reused, &error), 0);
    ck_assert(reused);
    policy_token_file file;
    ck_assert_int_eq(policy_token_file_open(&file, tokens, &error), 0);
    int *expected;
    size_t count;
    ck_assert_int_eq(tokenizer_encode(tok, "red apple<|endoftext|>green apple<|endoftext|>", 46, true, &expected, &count, NULL), 0);
    ck_assert_uint_eq(file.count, count);
    ck_assert_mem_eq(file.ids, expected, sizeof(int) * count);
    ck_assert_int_eq(file.ids[count - 1], tokenizer_eos_id(tok));
    free(expected);
    policy_token_file_close(&file);
    /* another tokenizer needs other ids: rebuilt */
    tokenizer *other;
    tokenizer_train_options options = {.vocab_size = 270, .min_frequency = 2};
    const char *text = "red apple green apple red apple green apple red apple";
    ck_assert_int_eq(tokenizer_train(&other, text, strlen(text), &options, &error), 0);
    ck_assert_int_eq(policy_token_file_build(corpus, other, tokens, &reused, &error), 0);
    ck_assert(!reused);
    ck_assert_int_eq(policy_token_file_build(corpus, tok, tokens, &reused, &error), 0);
    ck_assert(!reused);
    tokenizer_free(other);
    /* a changed corpus is tokenized again */
    write_file("corpus.txt", "blue apple<|endoftext|>");
    ck_assert_int_eq(policy_token_file_build(corpus, tok, tokens, &reused, &error), 0);
    ck_assert(!reused);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("sft");
    TCase *tc = tcase_create("policy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_only_responses_are_scored);
    tcase_add_test(tc, test_long_examples_lose_their_prompt_first);
    tcase_add_test(tc, test_examples_start_as_generation_starts);
    tcase_add_test(tc, test_malformed_lines_name_the_line);
    tcase_add_test(tc, test_fine_tuning_learns_the_responses);
    tcase_add_test(tc, test_token_file_is_built_once);
    tcase_add_test(tc, test_bad_runs_write_nothing);
    tcase_add_test(tc, test_fine_tuning_learns_the_response_where_generation_asks_for_it);
    tcase_add_test(tc, test_unusable_output_directory_is_refused_before_training);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
