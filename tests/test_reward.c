/* The reward model: the loss and its gradient against hand-computed values, the interval
 * and calibration numbers against worked examples, the data split and truncation, the
 * scalar head's initialisation, normalisation, and a tiny model learning a clear rule. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/backend.h"
#include "rlhf/policy.h"
#include "rlhf/reward.h"
#include "rlhf/tokenizer.h"
#include "tests/test_support.h"

START_TEST(test_pair_loss_by_hand) {
    double loss, dc, dr;
    /* d = 1: loss = log(1 + e^-1) = 0.31326169, d loss / d r_chosen = sigmoid(1) - 1 */
    reward_pair_loss(1.0, 0.0, 0.0, false, 0.0, &loss, &dc, &dr);
    ck_assert_double_eq_tol(loss, 0.31326168751822286, 1e-12);
    ck_assert_double_eq_tol(dc, -0.2689414213699951, 1e-12);
    ck_assert_double_eq_tol(dr, 0.2689414213699951, 1e-12);
    /* margin 0.5: d = 0.5 */
    reward_pair_loss(1.0, 0.0, 0.5, false, 0.0, &loss, &dc, &dr);
    ck_assert_double_eq_tol(loss, 0.47407698418010669, 1e-12);
    ck_assert_double_eq_tol(dc, -0.37754066879814541, 1e-12);
    /* a tie pulls towards equal rewards: (0.31326 + 1.31326) / 2, gradient sigmoid(1) - 1/2 */
    reward_pair_loss(1.0, 0.0, 0.0, true, 0.0, &loss, &dc, &dr);
    ck_assert_double_eq_tol(loss, 0.81326168751822286, 1e-12);
    ck_assert_double_eq_tol(dc, 0.2310585786300049, 1e-12);
    ck_assert_double_eq_tol(dr, -0.2310585786300049, 1e-12);
    /* centering 0.01 adds 0.01 (1 + 0)^2 to the loss and 0.02 to both gradients */
    reward_pair_loss(1.0, 0.0, 0.0, false, 0.01, &loss, &dc, &dr);
    ck_assert_double_eq_tol(loss, 0.32326168751822286, 1e-12);
    ck_assert_double_eq_tol(dc, -0.2489414213699951, 1e-12);
    ck_assert_double_eq_tol(dr, 0.2889414213699951, 1e-12);
    /* the gradient against central differences, on awkward values (no overflow at large d) */
    double cases[4][3] = {{0.3, -1.7, 0.0}, {2.0, 2.5, 1.0 / 3.0}, {40.0, -40.0, 0.0}, {-40.0, 40.0, 0.0}};
    for (int c = 0; c < 4; c++)
        for (int tie = 0; tie < 2; tie++) {
            double h = 1e-6, plus, minus, ignored;
            reward_pair_loss(cases[c][0], cases[c][1], cases[c][2], tie, 0.05, &loss, &dc, &dr);
            ck_assert(isfinite(loss));
            reward_pair_loss(cases[c][0] + h, cases[c][1], cases[c][2], tie, 0.05, &plus, &ignored, &ignored);
            reward_pair_loss(cases[c][0] - h, cases[c][1], cases[c][2], tie, 0.05, &minus, &ignored, &ignored);
            ck_assert_double_eq_tol(dc, (plus - minus) / (2 * h), 1e-6 * (1 + fabs(dc)));
            reward_pair_loss(cases[c][0], cases[c][1] + h, cases[c][2], tie, 0.05, &plus, &ignored, &ignored);
            reward_pair_loss(cases[c][0], cases[c][1] - h, cases[c][2], tie, 0.05, &minus, &ignored, &ignored);
            ck_assert_double_eq_tol(dr, (plus - minus) / (2 * h), 1e-6 * (1 + fabs(dr)));
        }
    ck_assert_double_eq_tol(reward_margin_for_strength(3), 2.0 / 3.0, 1e-15);
    ck_assert_double_eq(reward_margin_for_strength(0), 0.0);
}
END_TEST

START_TEST(test_interval_and_calibration_worked_examples) {
    double low, high;
    /* Wilson, 8 of 10 at 95%: 0.4902 - 0.9433 */
    reward_wilson_interval(8, 10, &low, &high);
    ck_assert_double_eq_tol(low, 0.49016, 1e-4);
    ck_assert_double_eq_tol(high, 0.94332, 1e-4);
    /* ECE with bins of 0.05 over [0.5, 1]: 0.55 -> bin 1, 0.65 -> bin 3, 0.95 -> bin 9:
     * 1/4 |1 - 0.55| + 1/4 |0 - 0.65| + 2/4 |1 - 0.95| = 0.1125 + 0.1625 + 0.025 = 0.3 */
    double confidence[4] = {0.55, 0.65, 0.95, 0.95};
    int outcome[4] = {1, 0, 1, 1};
    long count[10];
    double mean_confidence[10], accuracy[10];
    double ece = reward_expected_calibration_error(confidence, outcome, 4, 10, count, mean_confidence, accuracy);
    ck_assert_double_eq_tol(ece, 0.3, 1e-12);
    ck_assert_int_eq(count[1], 1);
    ck_assert_int_eq(count[9], 2);
    ck_assert_double_eq_tol(accuracy[9], 1.0, 1e-12);
    ck_assert(isnan(accuracy[0]));
}
END_TEST

/* ------------------------------------------------------------------ a store with a clear rule */

static char directory[256];
static tokenizer *tok;
static store *db;

/* Prompts "item N"; per prompt two responses made of filler words, one containing "good"
 * and one "bad" at a random place; the rule: "good" is chosen. Labeled through the store. */
static void setup(void) {
    tests_make_temporary_directory(directory, sizeof directory, "reward");
    static const char *filler[8] = {"red", "blue", "tall", "small", "quick", "slow", "round", "flat"};
    char corpus[8192] = "";
    for (int i = 0; i < 30; i++) {
        strcat(corpus, "item good bad ");
        for (int w = 0; w < 8; w++) {
            strcat(corpus, filler[w]);
            strcat(corpus, " ");
        }
    }
    tokenizer_train_options options = {.vocab_size = 300, .min_frequency = 2};
    rlhf_error error;
    ck_assert_int_eq(tokenizer_train(&tok, corpus, strlen(corpus), &options, &error), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/rule.db", directory);
    ck_assert_int_eq(store_open(&db, path, &error), 0);
    snprintf(path, sizeof path, "%s/prompts.jsonl", directory);
    FILE *file = fopen(path, "w");
    for (int p = 0; p < 200; p++) fprintf(file, "{\"prompt\": \"item %d\"}\n", p);
    fclose(file);
    store_import_result imported;
    ck_assert_int_eq(store_import_prompts(db, path, &imported, &error), 0);
    int64_t model;
    ck_assert_int_eq(store_add_model(db, "/models/rule", "rule", &model, &error), 0);
    store_prompt *prompts;
    int count;
    ck_assert_int_eq(store_list_prompts(db, 0, 0, &prompts, &count, &error), 0);
    store_new_completion *rows = calloc(400, sizeof *rows);
    char (*texts)[96] = calloc(400, 96);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 3);
    for (int p = 0; p < count; p++)
        for (int k = 0; k < 2; k++) {
            char *t = texts[2 * p + k];
            int at = (int)(rlhf_rng_next(&rng) % 4);
            t[0] = '\0';
            for (int w = 0; w < 4; w++) {
                strcat(t, " ");
                strcat(t, w == at ? (k == 0 ? "good" : "bad") : filler[rlhf_rng_next(&rng) % 8]);
            }
            rows[2 * p + k] = (store_new_completion){.prompt_id = prompts[p].id, .text = t, .token_count = 4};
        }
    store_queue_options queue = {.pairing = STORE_PAIRS_ALL, .overlap = 1, .seed = 5};
    store_queue_counts counts;
    ck_assert_int_eq(store_add_completions(db, model, rows, 2 * count, &queue, &counts, &error), 0);
    int64_t annotator;
    ck_assert_int_eq(store_annotator(db, "rule", STORE_ANNOTATOR_HUMAN, &annotator, &error), 0);
    for (;;) {
        store_pair pair;
        bool found;
        ck_assert_int_eq(store_next_pair(db, annotator, &pair, &found, &error), 0);
        if (!found) break;
        bool left_good = strstr(pair.left_text, "good") != NULL;
        store_choice choice = left_good == pair.left_is_a ? STORE_CHOICE_A : STORE_CHOICE_B;
        store_label label = {.pair_id = pair.pair_id, .annotator_id = annotator, .choice = choice, .strength = 4,
                             .left_completion_id = pair.left_completion_id};
        ck_assert_int_eq(store_add_comparison(db, &label, NULL, &error), 0);
        store_pair_free(&pair);
    }
    free(rows);
    free(texts);
    store_prompts_free(prompts, count);
}

static void teardown(void) {
    store_close(db);
    tokenizer_free(tok);
}

START_TEST(test_split_is_fixed_and_sequences_are_built) {
    reward_data_options options = {.max_length = 64, .validation_percent = 20};
    reward_dataset a, b;
    rlhf_error error;
    ck_assert_int_eq(reward_load_dataset(db, tok, &options, &a, &error), 0);
    ck_assert_int_eq(reward_load_dataset(db, tok, &options, &b, &error), 0);
    ck_assert_int_eq(a.count, 200);
    long held_out = 0;
    for (long i = 0; i < a.count; i++) {
        ck_assert_int_eq(a.examples[i].validation, b.examples[i].validation);
        held_out += a.examples[i].validation;
        /* [eos] prompt response [eos]; "good" always on the chosen side */
        ck_assert_int_eq(a.examples[i].chosen[0], tokenizer_eos_id(tok));
        ck_assert_int_eq(a.examples[i].chosen[a.examples[i].chosen_length - 1], tokenizer_eos_id(tok));
        ck_assert_ptr_nonnull(strstr(a.examples[i].chosen_text, "good"));
    }
    ck_assert(held_out > 20 && held_out < 60); /* 20% of 200, give or take the hash */
    reward_dataset_free(&a);
    reward_dataset_free(&b);
    /* sequences longer than max_length lose prompt tokens first, and are counted */
    options.max_length = 5;
    ck_assert_int_eq(reward_load_dataset(db, tok, &options, &a, &error), 0);
    ck_assert_int_eq(a.count, 200);
    ck_assert_int_gt(a.truncated_prompts, 0);
    for (long i = 0; i < a.count; i++) ck_assert_int_le(a.examples[i].chosen_length, 5);
    reward_dataset_free(&a);
    /* a model whose config sets pad_token_id (Hugging Face reward models use pad = eos):
     * trailing padding is dropped, so the reward is read at the response's last token,
     * where GPT2ForSequenceClassification reads it; nothing else changes */
    gpt_model padded;
    gpt_config config = {.vocab_size = tokenizer_vocab_size(tok), .n_positions = 32, .n_embd = 8, .n_layer = 1,
                         .n_head = 2, .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1,
                         .pad_token_id = tokenizer_eos_id(tok)};
    ck_assert_msg(gpt_create(&padded, &config, nn_cpu_backend(), &error) == 0, "%s", error.message);
    options.max_length = 64;
    reward_data_options_for_model(&options, &padded);
    ck_assert(options.drop_padding);
    ck_assert_int_eq(reward_load_dataset(db, tok, &options, &a, &error), 0);
    ck_assert_int_eq(reward_load_dataset(db, tok, &(reward_data_options){.max_length = 64, .validation_percent = 20}, &b,
                                         &error), 0);
    ck_assert_int_eq(a.count, b.count);
    for (long i = 0; i < a.count; i++) {
        ck_assert_int_eq(a.examples[i].chosen_length, b.examples[i].chosen_length - 1);
        ck_assert_mem_eq(a.examples[i].chosen, b.examples[i].chosen, sizeof(int) * (size_t)a.examples[i].chosen_length);
        ck_assert_int_ne(a.examples[i].chosen[a.examples[i].chosen_length - 1], tokenizer_eos_id(tok));
        ck_assert_int_eq(a.examples[i].rejected_length, b.examples[i].rejected_length - 1);
        ck_assert_mem_eq(a.examples[i].rejected, b.examples[i].rejected,
                         sizeof(int) * (size_t)a.examples[i].rejected_length);
        ck_assert_int_eq(a.examples[i].validation, b.examples[i].validation);
    }
    reward_dataset_free(&a);
    reward_dataset_free(&b);
    gpt_destroy(&padded);
}
END_TEST

/* A small random GPT (width `width`, `layers` layers, two heads, 32 positions, the test
 * tokenizer's vocabulary) with a scalar head on the CPU: the reward models of these tests. */
static void create_reward_model(gpt_model *model, int width, int layers) {
    gpt_config config = {.vocab_size = tokenizer_vocab_size(tok), .n_positions = 32, .n_embd = width, .n_layer = layers,
                         .n_head = 2, .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1, .pad_token_id = -1};
    rlhf_error error;
    ck_assert_msg(gpt_create(model, &config, nn_cpu_backend(), &error) == 0, "%s", error.message);
    gpt_init_random(model, 11, NULL);
    ck_assert_msg(gpt_add_score_head(model, 12, &error) == 0, "%s", error.message);
}

START_TEST(test_tiny_reward_model_learns_a_clear_rule) {
    /* 2 layers, width 32, from scratch: held-out accuracy at least 0.95 within 60 steps of
     * 16 pairs (a word decides the preference; a bag-of-words model would get it). */
    reward_data_options data_options = {.max_length = 32, .validation_percent = 20};
    reward_dataset data;
    rlhf_error error;
    ck_assert_int_eq(reward_load_dataset(db, tok, &data_options, &data, &error), 0);
    gpt_model model;
    create_reward_model(&model, 32, 2);
    char out[400];
    snprintf(out, sizeof out, "%s/rm", directory);
    reward_train_options options = {.out_dir = out, .epochs = 6, .batch_pairs = 16, .adamw = nn_adamw_defaults(),
                                    .seed = 1, .schedule = {.kind = NN_LR_CONSTANT, .peak = 3e-3f, .warmup_steps = 5}};
    reward_train_result result;
    ck_assert_msg(reward_train(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    ck_assert_int_le(result.steps, 60);
    reward_evaluation ev;
    ck_assert_int_eq(reward_evaluate(&model, &data, true, 16, NULL, NULL, &ev, &error), 0);
    ck_assert_msg(ev.accuracy >= 0.95, "held-out accuracy %.3f after %d steps", ev.accuracy, result.steps);
    ck_assert_double_eq_tol(ev.accuracy, result.val_accuracy, 1e-6);
    ck_assert_int_eq(ev.by_annotator[0].pairs, ev.pairs);
    ck_assert_int_eq(ev.by_strength[4].pairs, ev.pairs);
    ck_assert_int_eq(ev.single.pairs, ev.pairs);
    reward_evaluation_free(&ev);
    /* the saved directory is a sequence-classification model that scores the same */
    gpt_model loaded;
    ck_assert_int_eq(gpt_load(&loaded, out, nn_cpu_backend(), &error), 0);
    ck_assert(loaded.config.has_score_head);
    float a, b;
    ck_assert_int_eq(reward_score_text(&model, tok, "item 1", " red good flat", &a, &error), 0);
    ck_assert_int_eq(reward_score_text(&loaded, tok, "item 1", " red good flat", &b, &error), 0);
    ck_assert_float_eq(a, b);
    ck_assert_int_eq(reward_score_text(&loaded, tok, "item 1", " red bad flat", &b, &error), 0);
    ck_assert_float_gt(a, b);
    /* normalisation: mean 0 and std 1 on the texts it was fitted on */
    const char *prompts[4] = {"item 1", "item 2", "item 3", "item 4"};
    const char *responses[4] = {" good red", " bad blue", " tall good", " flat bad slow"};
    reward_normalization n;
    ck_assert_int_eq(reward_fit_normalization(&loaded, tok, prompts, responses, 4, &n, &error), 0);
    double sum = 0, sum_squares = 0;
    for (int i = 0; i < 4; i++) {
        float r;
        ck_assert_int_eq(reward_score_text(&loaded, tok, prompts[i], responses[i], &r, &error), 0);
        double z = n.gain * r + n.bias;
        sum += z;
        sum_squares += z * z;
    }
    ck_assert_double_eq_tol(sum / 4, 0.0, 1e-5);
    ck_assert_double_eq_tol(sum_squares / 4, 1.0, 1e-5);
    ck_assert_int_eq(reward_save_normalization(&n, out, &error), 0);
    reward_normalization back;
    ck_assert_int_eq(reward_load_normalization(&back, out, &error), 0);
    ck_assert_double_eq_tol(back.gain, n.gain, 1e-9 * fabs(n.gain));
    gpt_destroy(&loaded);
    gpt_destroy(&model);
    reward_dataset_free(&data);
}
END_TEST

START_TEST(test_diverging_training_stops_without_a_model) {
    /* A learning rate of 1e30 blows the model up within a step or two: training stops with
     * the step named, and nothing is written to out_dir. */
    reward_data_options data_options = {.max_length = 32, .validation_percent = 20};
    reward_dataset data;
    rlhf_error error;
    ck_assert_int_eq(reward_load_dataset(db, tok, &data_options, &data, &error), 0);
    ck_assert_int_gt(reward_training_pair_count(&data), 0);
    gpt_model model;
    create_reward_model(&model, 16, 1);
    char out[400];
    snprintf(out, sizeof out, "%s/diverged", directory);
    reward_train_options options = {.out_dir = out, .epochs = 1, .batch_pairs = 16, .adamw = nn_adamw_defaults(),
                                    .seed = 1, .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e30f}};
    options.adamw.max_grad_norm = 0;
    reward_train_result result;
    ck_assert_int_eq(reward_train(&model, &data, &options, NULL, NULL, &result, &error), -1);
    ck_assert_msg(strstr(error.message, "non-finite at step") != NULL, "%s", error.message);
    ck_assert_int_ne(access(out, F_OK), 0);
    gpt_destroy(&model);
    reward_dataset_free(&data);
}
END_TEST

START_TEST(test_no_validation_set_is_nan) {
    /* --val-percent 0: the validation numbers are NAN (no validation set), not -1 */
    reward_data_options data_options = {.max_length = 32, .validation_percent = 0};
    reward_dataset data;
    rlhf_error error;
    ck_assert_int_eq(reward_load_dataset(db, tok, &data_options, &data, &error), 0);
    ck_assert_int_eq(reward_training_pair_count(&data), data.count);
    gpt_model model;
    create_reward_model(&model, 16, 1);
    char out[400];
    snprintf(out, sizeof out, "%s/no-validation", directory);
    reward_train_options options = {.out_dir = out, .epochs = 1, .batch_pairs = 64, .adamw = nn_adamw_defaults(),
                                    .seed = 1, .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e-3f}};
    reward_train_result result;
    ck_assert_msg(reward_train(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    ck_assert_int_eq(result.val_pairs, 0);
    ck_assert(isnan(result.val_loss) && isnan(result.val_accuracy));
    /* a finished checkpoint is refused on resume rather than "trained" for 0 steps */
    int epoch = -1;
    ck_assert_int_eq(reward_checkpoint_epoch(out, &epoch, NULL, NULL, &error), 0);
    ck_assert_int_eq(epoch, 1);
    options.resume = true;
    ck_assert_int_eq(reward_train(&model, &data, &options, NULL, NULL, &result, &error), -1);
    ck_assert_msg(strstr(error.message, "leaves nothing to do") != NULL, "%s", error.message);
    gpt_destroy(&model);
    reward_dataset_free(&data);
}
END_TEST

/* An empty dataset with room for capacity examples and the named annotators (count of
 * them, index = annotator), for tests that build their examples by hand. */
static void hand_dataset(reward_dataset *data, int capacity, const char *const *annotators, int count) {
    *data = (reward_dataset){0};
    data->examples = calloc((size_t)capacity, sizeof *data->examples);
    data->annotators = malloc(sizeof(char *) * (size_t)count);
    ck_assert(data->examples && data->annotators);
    for (int i = 0; i < count; i++) data->annotators[i] = strdup(annotators[i]);
    data->annotator_count = count;
}

/* Appends a pair of token lists (and their texts) to data: one example of the baseline test. */
static void add_pair(reward_dataset *data, const int *chosen, int chosen_length, const int *rejected,
                     int rejected_length, const char *chosen_text, const char *rejected_text, bool tie, bool validation) {
    reward_example *e = &data->examples[data->count++];
    e->chosen = malloc(sizeof(int) * (size_t)chosen_length);
    e->rejected = malloc(sizeof(int) * (size_t)rejected_length);
    memcpy(e->chosen, chosen, sizeof(int) * (size_t)chosen_length);
    memcpy(e->rejected, rejected, sizeof(int) * (size_t)rejected_length);
    e->chosen_length = chosen_length;
    e->rejected_length = rejected_length;
    e->chosen_text = strdup(chosen_text);
    e->rejected_text = strdup(rejected_text);
    e->tie = tie;
    e->validation = validation;
    e->agreement = -1;
}

/* Gold score of the baseline test's texts: +1 for each A or C, -1 for each B or D. */
static double letter_gold(const char *text, void *user) {
    (void)user;
    double score = 0;
    for (const char *c = text; *c; c++) score += *c == 'A' || *c == 'C' ? 1 : *c == 'B' || *c == 'D' ? -1 : 0;
    return score;
}

START_TEST(test_unigram_baseline_worked_example) {
    /* Tokens 0 (the prompt, on both sides), A = 1, B = 2, C = 3, D = 4. Training: A beats B
     * three times and loses once, C beats D twice, and three ties whose "chosen" side holds
     * DDD against C: were ties fitted as decided they would turn C below D. So the fit has
     * w_A > w_B and w_C > w_D, and on held-out pairs:
     *   A over B: right;  B over A: wrong;  C over D: right;  AB over BA: score 0, wrong
     *   (the chosen side must score strictly higher, as for the model);  AC over BD: right;
     *   a held-out tie: not scored.  Accuracy 3/5.
     * Gold (+1 per A or C, -1 per B or D) orders AB/BA as a tie (left out) and agrees with
     * the baseline's order on the other four: gold agreement 4/4, though the label of
     * "B over A" disagrees with both. Over every pair: the 6 decided training pairs (5
     * right) and the 5 held-out ones (3 right): 8/11. */
    reward_dataset data;
    const char *hand[1] = {"hand"};
    hand_dataset(&data, 16, hand, 1);
    const int a[2] = {0, 1}, b[2] = {0, 2}, c[2] = {0, 3}, d[2] = {0, 4}, ddd[4] = {0, 4, 4, 4};
    const int ab[3] = {0, 1, 2}, ba[3] = {0, 2, 1}, ac[3] = {0, 1, 3}, bd[3] = {0, 2, 4};
    for (int i = 0; i < 3; i++) add_pair(&data, a, 2, b, 2, "A", "B", false, false);
    add_pair(&data, b, 2, a, 2, "B", "A", false, false);
    for (int i = 0; i < 2; i++) add_pair(&data, c, 2, d, 2, "C", "D", false, false);
    for (int i = 0; i < 3; i++) add_pair(&data, ddd, 4, c, 2, "DDD", "C", true, false);
    add_pair(&data, a, 2, b, 2, "A", "B", false, true);
    add_pair(&data, b, 2, a, 2, "B", "A", false, true);
    add_pair(&data, c, 2, d, 2, "C", "D", false, true);
    add_pair(&data, ab, 3, ba, 3, "AB", "BA", false, true);
    add_pair(&data, ac, 3, bd, 3, "AC", "BD", false, true);
    add_pair(&data, ddd, 4, c, 2, "DDD", "C", true, true);
    reward_unigram_baseline baseline;
    rlhf_error error;
    ck_assert_msg(reward_fit_unigram_baseline(&data, 5, true, letter_gold, NULL, &baseline, &error) == 0, "%s",
                  error.message);
    ck_assert_int_eq(baseline.train_pairs, 6);
    ck_assert_int_eq(baseline.pairs, 5);
    ck_assert_double_eq_tol(baseline.accuracy, 3.0 / 5.0, 1e-12);
    double low, high;
    reward_wilson_interval(3, 5, &low, &high);
    ck_assert_double_eq_tol(baseline.accuracy_low, low, 1e-12);
    ck_assert_double_eq_tol(baseline.accuracy_high, high, 1e-12);
    ck_assert_int_eq(baseline.gold_pairs, 4);
    ck_assert_double_eq_tol(baseline.gold_accuracy, 1.0, 1e-12);
    ck_assert(baseline.l2 == 1e-5 || baseline.l2 == 1e-4 || baseline.l2 == 1e-3 || baseline.l2 == 1e-2 ||
              baseline.l2 == 1e-1);
    ck_assert_msg(reward_fit_unigram_baseline(&data, 5, false, NULL, NULL, &baseline, &error) == 0, "%s", error.message);
    ck_assert_int_eq(baseline.pairs, 11);
    ck_assert_double_eq_tol(baseline.accuracy, 8.0 / 11.0, 1e-12);
    ck_assert_int_eq(baseline.gold_pairs, 0);
    ck_assert(isnan(baseline.gold_accuracy));
    /* a token outside the vocabulary is an error naming it */
    ck_assert_int_eq(reward_fit_unigram_baseline(&data, 4, true, NULL, NULL, &baseline, &error), -1);
    ck_assert_msg(strstr(error.message, "token 4") != NULL, "%s", error.message);
    reward_dataset_free(&data);
}
END_TEST

START_TEST(test_unigram_baseline_reaches_the_optimum) {
    /* A over B three times, B over A once (the prompt, token 0, is on both sides and
     * cancels). By symmetry the optimum has w_A = -w_B = u/2, so the objective is
     *   (3 softplus(-u) + softplus(u)) / 4 + l2 u^2 / 4,
     * stationary where (-3 sigmoid(-u) + sigmoid(u)) / 4 + l2 u / 2 = 0 (u = ln 3 at l2 = 0).
     * With four training pairs no fifth checks the penalty, so l2 is the default 1e-4.
     * The held-out pairs (A over B, B over A) then have mean loss
     *   (softplus(-u) + softplus(u)) / 2.
     * The fit stops at a gradient norm of 1e-6; the curvature near u is about 0.19, so u is
     * within ~1e-5 and the loss (slope below 1) too. A wrong sign in the gradient fits
     * another point (the optimiser follows a function that is not the objective's slope). */
    reward_dataset data;
    const char *hand[1] = {"hand"};
    hand_dataset(&data, 8, hand, 1);
    const int a[2] = {0, 1}, b[2] = {0, 2};
    for (int i = 0; i < 3; i++) add_pair(&data, a, 2, b, 2, "A", "B", false, false);
    add_pair(&data, b, 2, a, 2, "B", "A", false, false);
    add_pair(&data, a, 2, b, 2, "A", "B", false, true);
    add_pair(&data, b, 2, a, 2, "B", "A", false, true);
    reward_unigram_baseline baseline;
    rlhf_error error;
    ck_assert_msg(reward_fit_unigram_baseline(&data, 3, true, NULL, NULL, &baseline, &error) == 0, "%s", error.message);
    ck_assert(baseline.l2 == 1e-4);
    double low = 0, high = 2; /* the stationarity condition rises with u: bisect it */
    for (int i = 0; i < 200; i++) {
        double u = 0.5 * (low + high);
        double slope = (-3.0 / (1.0 + exp(u)) + 1.0 / (1.0 + exp(-u))) / 4.0 + baseline.l2 * u / 2.0;
        if (slope < 0) low = u;
        else high = u;
    }
    double u = 0.5 * (low + high);
    ck_assert_double_eq_tol(u, log(3.0), 1e-3); /* the penalty moves it little */
    double expected = (log1p(exp(-u)) + log1p(exp(u))) / 2.0;
    ck_assert_double_eq_tol(baseline.loss, expected, 1e-5);
    ck_assert_int_eq(baseline.pairs, 2);
    ck_assert_double_eq_tol(baseline.accuracy, 0.5, 1e-12);
    reward_dataset_free(&data);
}
END_TEST

/* Gold score of the evaluation test's texts: the number each text spells. */
static double number_gold(const char *text, void *user) {
    (void)user;
    return strtod(text, NULL);
}

/* Appends one example with its annotator, strength and agreement to data (no tokens: the
 * evaluation test gives the rewards itself). */
static void add_judged_example(reward_dataset *data, int annotator, int strength, int agreement, bool tie,
                               const char *chosen_text, const char *rejected_text, bool validation) {
    const int token[1] = {0};
    add_pair(data, token, 1, token, 1, chosen_text, rejected_text, tie, validation);
    reward_example *e = &data->examples[data->count - 1];
    e->annotator = annotator;
    e->strength = strength;
    e->agreement = agreement;
}

START_TEST(test_evaluation_figures_worked_by_hand) {
    /* Six held-out examples and one training example (left out: validation only). Rewards
     * (chosen, rejected), the gold score each text spells, and what each figure counts:
     *   1 ann0 strength 4 agreed     ( 2.0, 0.0)  gold 0.9 vs 0.1 (gap 0.8, bin 3)  right, gold agrees
     *   2 ann0 strength 2 disagreed  ( 1.0, 0.5)  gold 0.3 vs 0.5 (gap 0.2, bin 1)  right, gold not
     *   3 ann1 strength 4 single     (-1.0, 0.5)  gold 0.45 vs 0.4 (gap 0.05, bin 0) wrong, gold not
     *   4 ann1 strength 1 agreed tie ( 0.3, 0.1)  not scored (mean reward only)
     *   5 ann1 strength 3 agreed     ( 0.2,-0.2)  gold 0.7 vs 0.7: a gold tie, left out of gold
     *   6 ann0 strength 4 disagreed  ( 0.1, 0.9)  gold 0.6 vs 0.2 (gap 0.4, bin 2)  wrong, gold not
     * Accuracy 3/5; ann0 2/3, ann1 1/2; strength 4 1/3, 2 1/1, 3 1/1; agreed 2/2,
     * disagreed 1/2, single 0/1. Margins 2, 0.5, -1.5, 0.4, -0.8: mean 0.12. Mean reward
     * 4.4 / 12. Gold: 4 pairs, the model agrees on 1; the labels chose the higher gold
     * score on 1, 3 and 6: 3/4. Confidence is sigmoid(|margin|) (the side the model
     * prefers, even when it is wrong): 0.8808, 0.6225, 0.8176, 0.5987, 0.6900 in bins 7, 2,
     * 6, 1, 3 (bin = (confidence - 0.5) * 20), each one pair, so
     *   ECE = (0.1192 + 0.3775 + 0.8176 + 0.4013 + 0.6900) / 5. */
    reward_dataset data;
    const char *annotators[2] = {"ann0", "ann1"};
    hand_dataset(&data, 8, annotators, 2);
    data.annotator_agreement = 0.625;
    add_judged_example(&data, 0, 4, 1, false, "0.0", "0.0", false); /* training: not evaluated */
    add_judged_example(&data, 0, 4, 1, false, "0.9", "0.1", true);
    add_judged_example(&data, 0, 2, 0, false, "0.3", "0.5", true);
    add_judged_example(&data, 1, 4, -1, false, "0.45", "0.4", true);
    add_judged_example(&data, 1, 1, 1, true, "0.2", "0.2", true);
    add_judged_example(&data, 1, 3, 1, false, "0.7", "0.7", true);
    add_judged_example(&data, 0, 4, 0, false, "0.6", "0.2", true);
    const float rewards[12] = {2.0f, 0.0f, 1.0f, 0.5f, -1.0f, 0.5f, 0.3f, 0.1f, 0.2f, -0.2f, 0.1f, 0.9f};
    reward_evaluation ev;
    rlhf_error error;
    ck_assert_msg(reward_evaluate_rewards(&data, true, rewards, number_gold, NULL, &ev, &error) == 0, "%s",
                  error.message);
    ck_assert_int_eq(ev.pairs, 5);
    ck_assert_double_eq_tol(ev.accuracy, 3.0 / 5.0, 1e-12);
    double low, high;
    reward_wilson_interval(3, 5, &low, &high);
    ck_assert_double_eq_tol(ev.accuracy_low, low, 1e-12);
    ck_assert_double_eq_tol(ev.accuracy_high, high, 1e-12);
    ck_assert_int_eq(ev.by_annotator[0].pairs, 3);
    ck_assert_int_eq(ev.by_annotator[0].correct, 2);
    ck_assert_int_eq(ev.by_annotator[1].pairs, 2);
    ck_assert_int_eq(ev.by_annotator[1].correct, 1);
    const long strength_pairs[5] = {0, 0, 1, 1, 3}, strength_correct[5] = {0, 0, 1, 1, 1};
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(ev.by_strength[k].pairs, strength_pairs[k]);
        ck_assert_int_eq(ev.by_strength[k].correct, strength_correct[k]);
    }
    ck_assert(ev.agreed.pairs == 2 && ev.agreed.correct == 2);
    ck_assert(ev.disagreed.pairs == 2 && ev.disagreed.correct == 1);
    ck_assert(ev.single.pairs == 1 && ev.single.correct == 0);
    ck_assert_double_eq_tol(ev.annotator_agreement, 0.625, 1e-12);
    /* margins and Bradley-Terry losses softplus(-margin), with 1.96 standard errors */
    const double margins[5] = {2.0, 0.5, -1.5, 0.4, -0.8};
    double loss_sum = 0, margin_sum = 0, losses[5];
    for (int i = 0; i < 5; i++) {
        losses[i] = log1p(exp(-margins[i]));
        loss_sum += losses[i];
        margin_sum += margins[i];
    }
    double loss_mean = loss_sum / 5, squares = 0;
    for (int i = 0; i < 5; i++) squares += (losses[i] - loss_mean) * (losses[i] - loss_mean);
    ck_assert_double_eq_tol(ev.loss, loss_mean, 1e-6);
    ck_assert_double_eq_tol(ev.loss_half_width, 1.96 * sqrt(squares / 4 / 5), 1e-6);
    ck_assert_double_eq_tol(ev.margin, 0.12, 1e-6);
    ck_assert_double_eq_tol(margin_sum / 5, 0.12, 1e-12);
    ck_assert_double_eq_tol(ev.mean_reward, 4.4 / 12.0, 1e-6);
    /* calibration: one pair in each of bins 7, 2, 6, 1, 3 */
    const int bins[5] = {7, 2, 6, 1, 3}, outcome[5] = {1, 1, 0, 1, 0};
    double ece = 0;
    for (int i = 0; i < 5; i++) {
        double confidence = 1.0 / (1.0 + exp(-fabs(margins[i])));
        ck_assert_int_eq(ev.bin_count[bins[i]], 1);
        ck_assert_double_eq_tol(ev.bin_confidence[bins[i]], confidence, 1e-6);
        ck_assert_double_eq_tol(ev.bin_accuracy[bins[i]], outcome[i], 1e-12);
        ece += fabs(outcome[i] - confidence) / 5;
    }
    ck_assert_double_eq_tol(ece, (0.119203 + 0.377541 + 0.817574 + 0.401312 + 0.689974) / 5, 1e-6);
    ck_assert_double_eq_tol(ev.ece, ece, 1e-6);
    /* gold: four pairs, gap bins 3, 1, 0, 2 */
    ck_assert_int_eq(ev.gold_pairs, 4);
    ck_assert_double_eq_tol(ev.gold_accuracy, 0.25, 1e-12);
    reward_wilson_interval(1, 4, &low, &high);
    ck_assert_double_eq_tol(ev.gold_accuracy_low, low, 1e-12);
    ck_assert_double_eq_tol(ev.gold_accuracy_high, high, 1e-12);
    ck_assert_double_eq_tol(ev.label_gold_accuracy, 0.75, 1e-12);
    const long gap_correct[4] = {0, 1, 0, 1}, gap_gold_correct[4] = {0, 0, 0, 1};
    for (int b = 0; b < REWARD_GOLD_GAP_BINS; b++) {
        ck_assert_int_eq(ev.by_gold_gap[b].pairs, 1);
        ck_assert_int_eq(ev.by_gold_gap[b].correct, gap_correct[b]);
        ck_assert_int_eq(ev.by_gold_gap[b].gold_correct, gap_gold_correct[b]);
    }
    reward_evaluation_free(&ev);
    /* every example (the training one too: rewards for all seven). The training pair's two
     * sides score the same: not right, since the chosen side must score strictly higher */
    const float all_rewards[14] = {0.7f, 0.7f, 2.0f, 0.0f, 1.0f, 0.5f, -1.0f, 0.5f, 0.3f, 0.1f, 0.2f, -0.2f, 0.1f, 0.9f};
    ck_assert_int_eq(reward_evaluate_rewards(&data, false, all_rewards, NULL, NULL, &ev, &error), 0);
    ck_assert_int_eq(ev.pairs, 6);
    ck_assert_double_eq_tol(ev.accuracy, 3.0 / 6.0, 1e-12);
    ck_assert(isnan(ev.gold_accuracy) && isnan(ev.label_gold_accuracy) && ev.gold_pairs == 0);
    reward_evaluation_free(&ev);
    reward_dataset_free(&data);
}
END_TEST

/* The sentiment test's words: a response is 4 units, each a filler word, a sentiment word
 * (+1 or -1), or "not" before a sentiment word (its sign flipped). */
static const char *sentiment_positive[3] = {"good", "great", "lovely"};
static const char *sentiment_negative[3] = {"bad", "awful", "dull"};
static const char *sentiment_filler[4] = {"red", "blue", "tall", "flat"};

/* Writes a random response into text and returns its gold score (the sum of its units). */
static int sentiment_response(rlhf_rng *rng, char *text) {
    int score = 0;
    text[0] = '\0';
    for (int unit = 0; unit < 4; unit++) {
        int kind = (int)(rlhf_rng_next(rng) % 4); /* filler, positive, negative, negated */
        const char *word;
        if (kind == 0) {
            word = sentiment_filler[rlhf_rng_next(rng) % 4];
        } else {
            bool positive = kind == 1 || (kind == 3 && rlhf_rng_next(rng) % 2);
            word = positive ? sentiment_positive[rlhf_rng_next(rng) % 3] : sentiment_negative[rlhf_rng_next(rng) % 3];
            int sign = positive ? 1 : -1;
            if (kind == 3) {
                strcat(text, " not");
                sign = -sign;
            }
            score += sign;
        }
        strcat(text, " ");
        strcat(text, word);
    }
    return score;
}

START_TEST(test_reward_model_learns_sentiment_with_negation) {
    /* A sentiment-like rule: the response whose units sum higher is chosen, "not" flipping
     * the word after it. Counting words cannot express the flip ("not good" and "not bad"
     * hold the same "not"), so the unigram baseline stays far below the transformer.
     * 2,500 labeled pairs of random responses (ties left out), one in five held out; a
     * 2-layer, width-48 model from scratch, 10 epochs at 3e-3 keeping the best validation
     * loss. Measured held-out accuracy with data seeds 2024 (this test), 7 and 99: 0.990,
     * 0.910, 0.896 (the baseline 0.614, 0.624, 0.574); required: at least 0.85, and 0.15
     * above the baseline. */
    char corpus[4096] = "";
    for (int i = 0; i < 20; i++) strcat(corpus, "review not good great lovely bad awful dull red blue tall flat ");
    tokenizer *words;
    tokenizer_train_options tokenizer_options = {.vocab_size = 280, .min_frequency = 2};
    rlhf_error error;
    ck_assert_int_eq(tokenizer_train(&words, corpus, strlen(corpus), &tokenizer_options, &error), 0);
    reward_dataset data;
    const char *rule[1] = {"rule"};
    hand_dataset(&data, 2500, rule, 1);
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 2024);
    while (data.count < 2500) {
        char first[96], second[96];
        int a = sentiment_response(&rng, first), b = sentiment_response(&rng, second);
        if (a == b) continue;
        reward_example *e = &data.examples[data.count];
        const char *chosen = a > b ? first : second, *rejected = a > b ? second : first;
        ck_assert_int_eq(reward_build_sequence(words, "review", chosen, 32, -1, &e->chosen, &e->chosen_length, NULL,
                                               NULL, &error), 0);
        ck_assert_int_eq(reward_build_sequence(words, "review", rejected, 32, -1, &e->rejected, &e->rejected_length,
                                               NULL, NULL, &error), 0);
        e->chosen_text = strdup(chosen);
        e->rejected_text = strdup(rejected);
        e->agreement = -1;
        e->validation = data.count % 5 == 0;
        data.count++;
    }
    gpt_config config = {.vocab_size = tokenizer_vocab_size(words), .n_positions = 32, .n_embd = 48, .n_layer = 2,
                         .n_head = 4, .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1,
                         .pad_token_id = -1};
    gpt_model model;
    ck_assert_int_eq(gpt_create(&model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(&model, 5, NULL);
    ck_assert_int_eq(gpt_add_score_head(&model, 6, &error), 0);
    char out[400];
    snprintf(out, sizeof out, "%s/sentiment", directory);
    reward_train_options options = {.out_dir = out, .epochs = 10, .batch_pairs = 16, .adamw = nn_adamw_defaults(),
                                    .seed = 1, .eval_every = 25, .keep = REWARD_KEEP_BEST,
                                    .schedule = {.kind = NN_LR_LINEAR, .peak = 3e-3f, .warmup_steps = 20}};
    reward_train_result result;
    ck_assert_msg(reward_train(&model, &data, &options, NULL, NULL, &result, &error) == 0, "%s", error.message);
    reward_evaluation ev;
    ck_assert_int_eq(reward_evaluate(&model, &data, true, 32, NULL, NULL, &ev, &error), 0);
    reward_unigram_baseline baseline;
    ck_assert_int_eq(reward_fit_unigram_baseline(&data, config.vocab_size, true, NULL, NULL, &baseline, &error), 0);
    fprintf(stderr, "sentiment with negation: held-out accuracy %.3f on %ld pairs, unigram baseline %.3f\n", ev.accuracy,
            ev.pairs, baseline.accuracy);
    ck_assert_int_eq(ev.pairs, 500);
    ck_assert_msg(ev.accuracy >= 0.85, "held-out accuracy %.3f", ev.accuracy);
    ck_assert_msg(ev.accuracy >= baseline.accuracy + 0.15, "model %.3f, unigram baseline %.3f", ev.accuracy,
                  baseline.accuracy);
    reward_evaluation_free(&ev);
    gpt_destroy(&model);
    reward_dataset_free(&data);
    tokenizer_free(words);
}
END_TEST

/* A dataset whose labels are coin flips over random token sequences: whatever a model
 * learns of its training pairs is memorised, so the validation loss rises after the first
 * steps, and the best weights and early stopping have something to find. One pair in five
 * is held out. */
static void random_label_dataset(reward_dataset *data, int pairs) {
    memset(data, 0, sizeof *data);
    data->examples = calloc((size_t)pairs, sizeof *data->examples);
    data->annotators = malloc(sizeof(char *));
    data->annotators[0] = strdup("coin");
    data->annotator_count = 1;
    data->annotator_agreement = NAN;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 77);
    int vocabulary = tokenizer_vocab_size(tok);
    for (int i = 0; i < pairs; i++) {
        reward_example *e = &data->examples[i];
        e->chosen_length = 6 + (int)(rlhf_rng_next(&rng) % 5);
        e->rejected_length = 6 + (int)(rlhf_rng_next(&rng) % 5);
        e->chosen = malloc(sizeof(int) * (size_t)e->chosen_length);
        e->rejected = malloc(sizeof(int) * (size_t)e->rejected_length);
        for (int t = 0; t < e->chosen_length; t++) e->chosen[t] = (int)(rlhf_rng_next(&rng) % (uint64_t)vocabulary);
        for (int t = 0; t < e->rejected_length; t++) e->rejected[t] = (int)(rlhf_rng_next(&rng) % (uint64_t)vocabulary);
        e->chosen_text = strdup("chosen");
        e->rejected_text = strdup("rejected");
        e->agreement = -1;
        e->validation = i % 5 == 0;
        data->count++;
    }
}

/* What the callback saw of each validation, for the checks below. */
typedef struct validation_log {
    int count, steps[512];
    float losses[512];
} validation_log;

static void record_validation(const reward_train_report *report, void *user) {
    validation_log *log = user;
    if (!report->evaluated || log->count >= 512) return;
    log->steps[log->count] = report->step;
    log->losses[log->count++] = report->val_loss;
}

/* The validation loss of the model as it is (reward_evaluate's mean loss on held-out pairs). */
static double held_out_loss(gpt_model *model, const reward_dataset *data) {
    reward_evaluation ev;
    rlhf_error error;
    ck_assert_msg(reward_evaluate(model, data, true, 16, NULL, NULL, &ev, &error) == 0, "%s", error.message);
    double loss = ev.loss;
    reward_evaluation_free(&ev);
    return loss;
}

START_TEST(test_generated_responses_score_as_their_texts) {
    /* PPO scores responses from the token ids generation made. Where those ids are the
     * text's own encoding, the reward equals reward_score_text's: a response that ended
     * with <|endoftext|> and the same one cut short (the marker is appended) alike, in one
     * padded batch (1e-5: the same float32 model, other paddings). The normalisation is
     * applied as gain * r + bias. For a model with pad = eos the reward is read at the last
     * response token, as reward_score_text reads it for that model. */
    const char *texts[3] = {" good red", " bad blue flat", ""};
    int eos = tokenizer_eos_id(tok);
    rlhf_error error;
    for (int padded = 0; padded < 2; padded++) {
        gpt_model model;
        create_reward_model(&model, 16, 1);
        model.config.pad_token_id = padded ? eos : -1;
        int *prompt_ids[3], *response_ids[3], prompt_lengths[3], response_lengths[3];
        for (int i = 0; i < 3; i++) {
            ck_assert_int_eq(policy_prompt_ids(tok, "item 7", &prompt_ids[i], &prompt_lengths[i], &error), 0);
            int *encoded;
            size_t n;
            ck_assert_int_eq(tokenizer_encode(tok, texts[i], strlen(texts[i]), false, &encoded, &n, &error), 0);
            /* row 0 ended with <|endoftext|>; rows 1 and 2 stopped without it */
            response_ids[i] = malloc(sizeof(int) * (n + 1));
            memcpy(response_ids[i], encoded, sizeof(int) * n);
            if (i == 0) response_ids[i][n++] = eos;
            response_lengths[i] = (int)n;
            free(encoded);
        }
        float scores[3], normalized[3];
        ck_assert_msg(reward_score_responses(&model, NULL, (const int *const *)prompt_ids, prompt_lengths,
                                             (const int *const *)response_ids, response_lengths, 3, eos, 8, scores,
                                             &error) == 0, "%s", error.message);
        reward_normalization n = {.gain = 2.0, .bias = -0.5};
        ck_assert_int_eq(reward_score_responses(&model, &n, (const int *const *)prompt_ids, prompt_lengths,
                                                (const int *const *)response_ids, response_lengths, 3, eos, 2,
                                                normalized, &error), 0);
        for (int i = 0; i < 3; i++) {
            float alone;
            ck_assert_int_eq(reward_score_text(&model, tok, "item 7", texts[i], &alone, &error), 0);
            ck_assert_float_eq_tol(scores[i], alone, 1e-5f * (1.0f + fabsf(alone)));
            ck_assert_float_eq_tol(normalized[i], 2.0f * scores[i] - 0.5f, 1e-5f * (1.0f + fabsf(scores[i])));
            free(prompt_ids[i]);
            free(response_ids[i]);
        }
        gpt_destroy(&model);
    }
}
END_TEST

START_TEST(test_best_checkpoint_and_early_stopping) {
    /* Validation every step on coin-flip labels, where the validation loss soon rises: the
     * run stops at the first validation that makes `patience` in a row without a new lowest
     * loss, and --out holds the weights of the lowest one (keep best) or the last (keep
     * last); both worked out here from the losses the callback reported. */
    reward_dataset data;
    rlhf_error error;
    random_label_dataset(&data, 200);
    for (int keep = 0; keep < 2; keep++) {
        gpt_model model;
        create_reward_model(&model, 16, 1);
        char out[400];
        snprintf(out, sizeof out, "%s/keep-%s", directory, keep == 0 ? "best" : "last");
        reward_train_options options = {.out_dir = out, .epochs = 8, .batch_pairs = 8, .adamw = nn_adamw_defaults(),
                                        .seed = 1, .eval_every = 1, .patience = 3,
                                        .keep = keep == 0 ? REWARD_KEEP_BEST : REWARD_KEEP_LAST,
                                        .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e-2f}};
        validation_log log = {0};
        reward_train_result result;
        ck_assert_msg(reward_train(&model, &data, &options, record_validation, &log, &result, &error) == 0, "%s",
                      error.message);
        /* the stopping rule, replayed on the reported losses */
        int best = 0, since = 0, stop = 0;
        for (int i = 0; i < log.count; i++) {
            ck_assert_int_eq(log.steps[i], i + 1); /* every step validated */
            if (i == 0 || log.losses[i] < log.losses[best]) {
                best = i;
                since = 0;
            } else if (++since == 3) {
                stop = log.steps[i];
                break;
            }
        }
        ck_assert_msg(stop > 0, "the loss never went 3 validations without a new lowest in %d", log.count);
        ck_assert_int_eq(result.stopped_at, stop);
        ck_assert_int_eq(result.steps, stop);
        ck_assert_int_eq(log.steps[log.count - 1], stop); /* nothing ran after the stop */
        ck_assert_int_eq(result.best_step, log.steps[best]);
        ck_assert_int_eq(result.evaluations, log.count);
        ck_assert_float_eq(result.best_val_loss, log.losses[best]);
        ck_assert_int_eq(result.kept_best, keep == 0);
        /* the model and --out hold the kept weights: their held-out loss is the one reported
         * at the kept step (float32 sums over the same pairs: 1e-5 relative) */
        float kept = keep == 0 ? log.losses[best] : log.losses[log.count - 1];
        ck_assert_double_eq_tol(held_out_loss(&model, &data), kept, 1e-5 * kept);
        gpt_model loaded;
        ck_assert_int_eq(gpt_load(&loaded, out, nn_cpu_backend(), &error), 0);
        ck_assert_double_eq_tol(held_out_loss(&loaded, &data), kept, 1e-5 * kept);
        gpt_destroy(&loaded);
        char path[600];
        snprintf(path, sizeof path, "%s/reward_best.safetensors", out);
        ck_assert_int_ne(access(path, F_OK), 0); /* the side copy is gone once --out holds the kept weights */
        /* a run that stopped early has nothing to resume */
        int epoch = 0, stopped_at = 0;
        ck_assert_int_eq(reward_checkpoint_epoch(out, &epoch, &stopped_at, NULL, &error), 0);
        ck_assert_int_eq(stopped_at, stop);
        options.resume = true;
        gpt_model resumed;
        ck_assert_int_eq(gpt_load(&resumed, out, nn_cpu_backend(), &error), 0);
        ck_assert_int_eq(reward_train(&resumed, &data, &options, NULL, NULL, &result, &error), -1);
        ck_assert_msg(strstr(error.message, "stopped early at step") != NULL, "%s", error.message);
        gpt_destroy(&resumed);
        gpt_destroy(&model);
    }
    reward_dataset_free(&data);
}
END_TEST

/* Where the callback copies the checkpoint at the first epoch's end: an interrupted run. */
typedef struct checkpoint_copy {
    const char *from, *to;
    int epoch;   /* copy at this epoch's end (0: the first) */
    bool copied;
} checkpoint_copy;

/* Training callback: copies the checkpoint in copy->from to copy->to at the end of epoch
 * copy->epoch (what a kill right after that epoch's checkpoint leaves). */
static void copy_first_epoch(const reward_train_report *report, void *user) {
    checkpoint_copy *copy = user;
    if (!report->epoch_end || report->epoch != (copy->epoch ? copy->epoch : 1)) return;
    const char *names[4] = {"config.json", "model.safetensors", "training_state.safetensors", "reward_best.safetensors"};
    rlhf_error error;
    ck_assert_int_eq(rlhf_make_directory(copy->to, &error), 0);
    for (int i = 0; i < 4; i++) {
        char from[600], to[600], *data;
        size_t size;
        snprintf(from, sizeof from, "%s/%s", copy->from, names[i]);
        snprintf(to, sizeof to, "%s/%s", copy->to, names[i]);
        ck_assert_msg(rlhf_read_file(from, &data, &size, &error) == 0, "%s", error.message);
        ck_assert_int_eq(rlhf_write_file_atomic(to, data, size, &error), 0);
        free(data);
    }
    copy->copied = true;
}

START_TEST(test_best_weights_survive_a_resume) {
    /* Keep best across an interruption: a two-epoch run whose checkpoint after epoch 1 is
     * copied aside (what a kill after that epoch leaves), then resumed from the copy. The
     * best weights so far travel in reward_best.safetensors, so the resumed run keeps the
     * same weights and reports the same best step and validations as the unbroken one. */
    reward_dataset data;
    rlhf_error error;
    random_label_dataset(&data, 200);
    char out[400], interrupted[400];
    snprintf(out, sizeof out, "%s/resume-best", directory);
    snprintf(interrupted, sizeof interrupted, "%s/resume-best-after-epoch-1", directory);
    reward_train_options options = {.out_dir = out, .epochs = 3, .batch_pairs = 8, .adamw = nn_adamw_defaults(),
                                    .seed = 1, .eval_every = 2, .keep = REWARD_KEEP_BEST,
                                    .schedule = {.kind = NN_LR_CONSTANT, .peak = 1e-2f}};
    gpt_model model;
    create_reward_model(&model, 16, 1);
    checkpoint_copy copy = {.from = out, .to = interrupted};
    reward_train_result whole = {0}, resumed = {0};
    ck_assert_msg(reward_train(&model, &data, &options, copy_first_epoch, &copy, &whole, &error) == 0, "%s", error.message);
    ck_assert(copy.copied);
    ck_assert_msg(whole.kept_best, "the best step %d was the last (%d): the test shows nothing", whole.best_step, whole.steps);
    ck_assert_int_le(whole.best_step, whole.steps / options.epochs); /* found in the first epoch, before the interruption */
    float *kept = malloc(sizeof(float) * model.parameter_count), *again = malloc(sizeof(float) * model.parameter_count);
    gpt_read_parameters(&model, kept, false);
    gpt_model second;
    ck_assert_int_eq(gpt_load(&second, interrupted, nn_cpu_backend(), &error), 0);
    options.out_dir = interrupted;
    options.resume = true;
    ck_assert_msg(reward_train(&second, &data, &options, NULL, NULL, &resumed, &error) == 0, "%s", error.message);
    ck_assert_int_eq(resumed.start_epoch, 1);
    ck_assert_int_eq(resumed.best_step, whole.best_step);
    ck_assert_float_eq(resumed.best_val_loss, whole.best_val_loss);
    ck_assert_int_eq(resumed.evaluations, whole.evaluations);
    ck_assert(resumed.kept_best);
    gpt_read_parameters(&second, again, false);
    ck_assert_mem_eq(kept, again, sizeof(float) * model.parameter_count);
    gpt_destroy(&second);
    free(again);
    gpt_destroy(&model);

    /* Cut off after the last epoch's checkpoint, before the best weights replaced the last
     * ones: --resume refuses such a checkpoint (nothing to train) unless told to complete it,
     * and completing it runs no step and puts the same best weights in place. Completing it
     * again (the best already in place, its side copy gone) changes nothing. */
    char cut[400];
    snprintf(cut, sizeof cut, "%s/resume-best-cut", directory);
    options.out_dir = out;
    options.resume = false;
    create_reward_model(&model, 16, 1);
    copy = (checkpoint_copy){.from = out, .to = cut, .epoch = 3};
    ck_assert_msg(reward_train(&model, &data, &options, copy_first_epoch, &copy, &whole, &error) == 0, "%s", error.message);
    ck_assert(copy.copied && whole.kept_best);
    gpt_destroy(&model);
    ck_assert_int_eq(gpt_load_checkpoint(&second, cut, nn_cpu_backend(), &error), 0);
    options.out_dir = cut;
    options.resume = true;
    ck_assert_int_eq(reward_train(&second, &data, &options, NULL, NULL, &resumed, &error), -1);
    ck_assert_msg(strstr(error.message, "leaves nothing to do"), "%s", error.message);
    options.complete_finished = true;
    char weights_path[600];
    snprintf(weights_path, sizeof weights_path, "%s/model.safetensors", cut);
    ino_t first_weights = 0; /* the file the first completion wrote (an atomic replace: a new inode) */
    for (int round = 0; round < 2; round++) {
        ck_assert_msg(reward_train(&second, &data, &options, NULL, NULL, &resumed, &error) == 0, "%s", error.message);
        ck_assert(resumed.completed_only && resumed.kept_best);
        struct stat weights_file;
        ck_assert_int_eq(stat(weights_path, &weights_file), 0);
        if (round == 0) first_weights = weights_file.st_ino;
        else ck_assert_msg(weights_file.st_ino == first_weights, "completing again rewrote model.safetensors");
        ck_assert_int_eq(resumed.steps, whole.steps);
        ck_assert_int_eq(resumed.best_step, whole.best_step);
        again = malloc(sizeof(float) * second.parameter_count);
        gpt_read_parameters(&second, again, false);
        ck_assert_mem_eq(kept, again, sizeof(float) * second.parameter_count);
        free(again);
        char side[600];
        snprintf(side, sizeof side, "%s/reward_best.safetensors", cut);
        ck_assert_int_ne(access(side, F_OK), 0);
        gpt_destroy(&second);
        ck_assert_int_eq(gpt_load_checkpoint(&second, cut, nn_cpu_backend(), &error), 0);
        again = malloc(sizeof(float) * second.parameter_count);
        gpt_read_parameters(&second, again, false);
        ck_assert_mem_eq(kept, again, sizeof(float) * second.parameter_count); /* and on disk */
        free(again);
    }
    /* Training on past the kept weights (two more epochs): the best so far start as the
     * model's own (their side copy is gone), and what the folder keeps at the end has the
     * validation loss the run reports for it. */
    options.epochs = 5;
    options.complete_finished = false;
    ck_assert_msg(reward_train(&second, &data, &options, NULL, NULL, &resumed, &error) == 0, "%s", error.message);
    ck_assert(!resumed.completed_only);
    ck_assert_int_eq(resumed.start_epoch, 3);
    gpt_destroy(&second);
    ck_assert_int_eq(gpt_load_checkpoint(&second, cut, nn_cpu_backend(), &error), 0);
    double kept_loss = held_out_loss(&second, &data);
    ck_assert_msg(fabs(kept_loss - (resumed.kept_best ? resumed.best_val_loss : resumed.val_loss)) < 1e-4,
                  "the folder's weights have validation loss %g; the run reported %g (kept %s)", kept_loss,
                  resumed.kept_best ? resumed.best_val_loss : resumed.val_loss, resumed.kept_best ? "best" : "last");
    ck_assert_float_le(resumed.best_val_loss, whole.best_val_loss); /* never worse than the best it started from */
    free(kept);
    gpt_destroy(&second);
    reward_dataset_free(&data);
}
END_TEST

/* Writes text to directory/sub/name (sub created) and returns the directory. */
static const char *side_file(const char *sub, const char *name, const char *text) {
    static char dir[400];
    char path[600];
    snprintf(dir, sizeof dir, "%s/%s", directory, sub);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen(path, "w");
    fputs(text, file);
    fclose(file);
    return dir;
}

START_TEST(test_side_files_are_checked) {
    rlhf_error error;
    reward_normalization n = {.gain = 7};
    /* a missing normalisation is "none" (1); a damaged one names the file and the field */
    char missing[400];
    snprintf(missing, sizeof missing, "%s/nothing-here", directory);
    ck_assert_int_eq(reward_load_normalization(&n, missing, &error), 1);
    ck_assert_double_eq(n.gain, 7);
    const char *dir = side_file("norm-bad", "reward_normalization.json", "{\"gain\": \"x\"}");
    ck_assert_int_eq(reward_load_normalization(&n, dir, &error), -1);
    ck_assert_msg(strstr(error.message, "reward_normalization.json: \"gain\"") != NULL, "%s", error.message);
    dir = side_file("norm-bad", "reward_normalization.json",
                    "{\"gain\": 2, \"bias\": 1, \"mean\": 0.5, \"std\": 0.5, \"samples\": 1}");
    ck_assert_int_eq(reward_load_normalization(&n, dir, &error), -1);
    ck_assert_msg(strstr(error.message, "\"samples\"") != NULL, "%s", error.message);
    dir = side_file("norm-good", "reward_normalization.json",
                    "{\"gain\": 2, \"bias\": 1, \"mean\": -0.5, \"std\": 0.5, \"samples\": 8}");
    ck_assert_int_eq(reward_load_normalization(&n, dir, &error), 0);
    ck_assert_double_eq(n.gain, 2);
    ck_assert_int_eq(n.samples, 8);
    /* a non-finite normalisation is never written */
    reward_normalization bad = {.gain = NAN, .bias = NAN, .mean = NAN, .std = NAN, .samples = 4};
    dir = side_file("norm-nan", "other.txt", "");
    ck_assert_int_eq(reward_save_normalization(&bad, dir, &error), -1);
    char path[600];
    snprintf(path, sizeof path, "%s/reward_normalization.json", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    /* training settings: round trip, missing file (1), each bad field named */
    reward_data_options options = {.max_length = 48, .validation_percent = 15, .ties_as_equal = true}, back = {0};
    int64_t run = 0;
    dir = side_file("settings", "other.txt", "");
    ck_assert_int_eq(reward_save_training_settings(&options, 42, dir, &error), 0);
    ck_assert_int_eq(reward_load_training_settings(&back, &run, dir, &error), 0);
    ck_assert_int_eq(back.max_length, 48);
    ck_assert_int_eq(back.validation_percent, 15);
    ck_assert(back.ties_as_equal);
    ck_assert_int_eq(run, 42);
    ck_assert_int_eq(reward_load_training_settings(&back, &run, missing, &error), 1);
    const char *cases[][2] = {
        {"{\"val_percent\": 500, \"max_length\": 64, \"ties_as_equal\": false}", "\"val_percent\""},
        {"{\"val_percent\": \"ten\", \"max_length\": 64, \"ties_as_equal\": false}", "\"val_percent\""},
        {"{}", "missing \"val_percent\""},
        {"{\"val_percent\": 10, \"max_length\": 2, \"ties_as_equal\": false}", "\"max_length\""},
        {"{\"val_percent\": 10, \"max_length\": 64, \"ties_as_equal\": 1}", "\"ties_as_equal\""},
        {"{\"val_percent\": 10, \"max_length\": 64, \"ties_as_equal\": false, \"run_id\": -3}", "\"run_id\""},
        {"[1, 2]", "expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dir = side_file("settings-bad", "reward_training.json", cases[i][0]);
        ck_assert_int_eq(reward_load_training_settings(&back, &run, dir, &error), -1);
        ck_assert_msg(strstr(error.message, "reward_training.json") && strstr(error.message, cases[i][1]),
                      "case %zu: %s", i, error.message);
    }
}
END_TEST

START_TEST(test_score_head_keeps_the_trunk) {
    gpt_config config = {.vocab_size = 50, .n_positions = 16, .n_embd = 64, .n_layer = 1, .n_head = 2,
                         .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1, .pad_token_id = -1};
    gpt_model model;
    rlhf_error error;
    ck_assert_int_eq(gpt_create(&model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(&model, 2, NULL);
    size_t before = model.parameter_count;
    float *old = malloc(sizeof(float) * before);
    gpt_read_parameters(&model, old, false);
    ck_assert_int_eq(gpt_add_score_head(&model, 3, &error), 0);
    ck_assert_uint_eq(model.parameter_count, before + 64);
    float *now = malloc(sizeof(float) * model.parameter_count);
    gpt_read_parameters(&model, now, false);
    ck_assert_mem_eq(now, old, sizeof(float) * before);
    double sum_squares = 0;
    for (int i = 0; i < 64; i++) sum_squares += (double)now[before + i] * now[before + i];
    /* std 1/sqrt(65) = 0.124; 64 draws put the sample std within about 25% of it */
    ck_assert_double_eq_tol(sqrt(sum_squares / 64), 1.0 / sqrt(65.0), 0.25 / sqrt(65.0));
    free(old);
    free(now);
    gpt_destroy(&model);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("reward");
    TCase *math_case = tcase_create("math");
    tcase_add_test(math_case, test_pair_loss_by_hand);
    tcase_add_test(math_case, test_interval_and_calibration_worked_examples);
    tcase_add_test(math_case, test_score_head_keeps_the_trunk);
    tcase_add_test(math_case, test_unigram_baseline_worked_example);
    tcase_add_test(math_case, test_unigram_baseline_reaches_the_optimum);
    tcase_add_test(math_case, test_evaluation_figures_worked_by_hand);
    suite_add_tcase(suite, math_case);
    TCase *data_case = tcase_create("data");
    tcase_add_checked_fixture(data_case, setup, teardown);
    tcase_set_timeout(data_case, 300);
    tcase_add_test(data_case, test_split_is_fixed_and_sequences_are_built);
    tcase_add_test(data_case, test_tiny_reward_model_learns_a_clear_rule);
    tcase_add_test(data_case, test_diverging_training_stops_without_a_model);
    tcase_add_test(data_case, test_no_validation_set_is_nan);
    tcase_add_test(data_case, test_reward_model_learns_sentiment_with_negation);
    tcase_add_test(data_case, test_generated_responses_score_as_their_texts);
    tcase_add_test(data_case, test_best_checkpoint_and_early_stopping);
    tcase_add_test(data_case, test_best_weights_survive_a_resume);
    tcase_add_test(data_case, test_side_files_are_checked);
    suite_add_tcase(suite, data_case);
    return tests_run_suite(suite);
}
