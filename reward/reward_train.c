/* Reward model training (Bradley-Terry on pairs), scoring, and reward normalisation. */
#include "rlhf/reward.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reward/reward_internal.h"
#include "rlhf/tokenizer.h"

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

void reward_pair_loss(double r_chosen, double r_rejected, double margin, bool tie, double center, double *loss,
                      double *d_chosen, double *d_rejected) {
    if (tie) {
        double d = r_chosen - r_rejected;
        *loss = 0.5 * softplus(-d) + 0.5 * softplus(d);
        *d_chosen = sigmoid(d) - 0.5;
        *d_rejected = -*d_chosen;
    } else {
        double d = r_chosen - r_rejected - margin;
        *loss = softplus(-d);             /* -log sigmoid(d) */
        *d_chosen = sigmoid(d) - 1.0;     /* = -sigmoid(-d) */
        *d_rejected = -*d_chosen;
    }
    double sum = r_chosen + r_rejected;
    *loss += center * sum * sum;
    *d_chosen += 2.0 * center * sum;
    *d_rejected += 2.0 * center * sum;
}

int reward_score_sequences(gpt_model *model, const int *const *sequences, const int *lengths, int count,
                           int batch_size, float *rewards, rlhf_error *error) {
    int longest = 1;
    for (int i = 0; i < count; i++) longest = lengths[i] > longest ? lengths[i] : longest;
    int B = batch_size < count ? batch_size : count;
    if (count == 0) return 0;
    if (gpt_reserve(model, B, longest, false, error) != 0) return -1;
    int *tokens = malloc(sizeof(int) * (size_t)B * longest), *mask = malloc(sizeof(int) * (size_t)B * longest);
    int status = 0;
    for (int first = 0; first < count && status == 0; first += B) {
        int rows = count - first < B ? count - first : B, T = 1;
        for (int r = 0; r < rows; r++) T = lengths[first + r] > T ? lengths[first + r] : T;
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < T; t++) {
                tokens[r * T + t] = t < lengths[first + r] ? sequences[first + r][t] : 0;
                mask[r * T + t] = t < lengths[first + r];
            }
        gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .attention_mask = mask, .want_values = true};
        gpt_outputs out = {.last_values = rewards + first};
        status = gpt_forward(model, &batch, &out, error);
    }
    free(tokens);
    free(mask);
    return status;
}

int reward_score_text(gpt_model *model, const struct tokenizer *tok, const char *prompt, const char *response,
                      float *reward, rlhf_error *error) {
    int *sequence, length;
    /* the same input and cutting rule as training */
    if (reward_build_sequence(tok, prompt, response, model->config.n_positions, &sequence, &length, NULL, NULL, error))
        return -1;
    const int *start = sequence;
    int status = reward_score_sequences(model, &start, &length, 1, 1, reward, error);
    free(sequence);
    return status;
}

/* ------------------------------------------------------------------ training */

/* Forward and backward of one batch of pairs; returns the mean loss and counts correct
 * (chosen scored higher) decided pairs. */
static int train_batch(gpt_model *model, const reward_dataset *data, const long *indices, int pairs,
                       const reward_train_options *options, int *tokens, int *mask, float *d_values, float *rewards,
                       double *loss, int *correct, int *decided, rlhf_error *error) {
    int rows = 2 * pairs, T = 1;
    for (int p = 0; p < pairs; p++) {
        const reward_example *e = &data->examples[indices[p]];
        T = e->chosen_length > T ? e->chosen_length : T;
        T = e->rejected_length > T ? e->rejected_length : T;
    }
    int *last = malloc(sizeof(int) * (size_t)rows);
    for (int p = 0; p < pairs; p++) {
        const reward_example *e = &data->examples[indices[p]];
        for (int side = 0; side < 2; side++) {
            const int *ids = side ? e->rejected : e->chosen;
            int n = side ? e->rejected_length : e->chosen_length, r = 2 * p + side;
            for (int t = 0; t < T; t++) {
                tokens[r * T + t] = t < n ? ids[t] : 0;
                mask[r * T + t] = t < n;
            }
        }
    }
    gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .attention_mask = mask, .want_values = true};
    gpt_outputs out = {.last_values = rewards, .last_index = last};
    if (gpt_forward(model, &batch, &out, error) != 0) {
        free(last);
        return -1;
    }
    memset(d_values, 0, sizeof(float) * (size_t)rows * T);
    *loss = 0;
    for (int p = 0; p < pairs; p++) {
        const reward_example *e = &data->examples[indices[p]];
        double margin = options->margin_from_strength && !e->tie ? reward_margin_for_strength(e->strength) : 0.0;
        double l, dc, dr;
        reward_pair_loss(rewards[2 * p], rewards[2 * p + 1], margin, e->tie, options->center, &l, &dc, &dr);
        *loss += l / pairs;
        d_values[(2 * p) * T + last[2 * p]] = (float)(dc / pairs);
        d_values[(2 * p + 1) * T + last[2 * p + 1]] = (float)(dr / pairs);
        if (!e->tie) {
            (*decided)++;
            *correct += rewards[2 * p] > rewards[2 * p + 1];
        }
    }
    free(last);
    return gpt_backward(model, NULL, d_values, error);
}

/* Validation loss (plain Bradley-Terry, ties as equal) and accuracy on decided pairs. */
static int validate(gpt_model *model, const reward_dataset *data, int batch_pairs, float *loss, float *accuracy,
                    rlhf_error *error) {
    long n = 0;
    for (long i = 0; i < data->count; i++) n += data->examples[i].validation;
    *loss = *accuracy = -1.0f;
    if (n == 0) return 0;
    const int **sequences = malloc(sizeof(int *) * (size_t)(2 * n));
    int *lengths = malloc(sizeof(int) * (size_t)(2 * n));
    float *rewards = malloc(sizeof(float) * (size_t)(2 * n));
    long k = 0;
    for (long i = 0; i < data->count; i++) {
        const reward_example *e = &data->examples[i];
        if (!e->validation) continue;
        sequences[2 * k] = e->chosen;
        lengths[2 * k] = e->chosen_length;
        sequences[2 * k + 1] = e->rejected;
        lengths[2 * k + 1] = e->rejected_length;
        k++;
    }
    int status = reward_score_sequences(model, sequences, lengths, (int)(2 * n), 2 * batch_pairs, rewards, error);
    if (status == 0) {
        double total = 0;
        long correct = 0, decided = 0;
        k = 0;
        for (long i = 0; i < data->count; i++) {
            const reward_example *e = &data->examples[i];
            if (!e->validation) continue;
            double l, dc, dr;
            reward_pair_loss(rewards[2 * k], rewards[2 * k + 1], 0.0, e->tie, 0.0, &l, &dc, &dr);
            total += l;
            if (!e->tie) {
                decided++;
                correct += rewards[2 * k] > rewards[2 * k + 1];
            }
            k++;
        }
        *loss = (float)(total / n);
        *accuracy = decided ? (float)correct / decided : -1.0f;
    }
    free(sequences);
    free(lengths);
    free(rewards);
    return status;
}

int reward_train(gpt_model *model, const reward_dataset *data, const reward_train_options *options,
                 reward_train_callback callback, void *user, reward_train_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    if (!model->config.has_score_head) {
        rlhf_error_set(error, "the model has no scalar head");
        return -1;
    }
    long *train = malloc(sizeof(long) * (size_t)(data->count + 1));
    long train_count = 0;
    int longest = 2;
    for (long i = 0; i < data->count; i++) {
        const reward_example *e = &data->examples[i];
        if (e->validation) result->val_pairs++;
        else train[train_count++] = i;
        longest = e->chosen_length > longest ? e->chosen_length : longest;
        longest = e->rejected_length > longest ? e->rejected_length : longest;
    }
    result->train_pairs = train_count;
    int P = options->batch_pairs;
    int *tokens = malloc(sizeof(int) * (size_t)2 * P * longest), *mask = malloc(sizeof(int) * (size_t)2 * P * longest);
    float *d_values = malloc(sizeof(float) * (size_t)2 * P * longest), *rewards = malloc(sizeof(float) * (size_t)2 * P);
    nn_adamw optimizer = {0};
    int status = -1;
    if (train_count == 0) {
        rlhf_error_set(error, "no training pairs (%ld comparisons in all, %ld held out)", data->count, result->val_pairs);
        goto done;
    }
    if (gpt_reserve(model, 2 * P, longest, true, error) != 0 || nn_adamw_create(&optimizer, model, &options->adamw, error))
        goto done;
    int steps_per_epoch = (int)((train_count + P - 1) / P);
    nn_lr_schedule schedule = options->schedule;
    schedule.total_steps = steps_per_epoch * options->epochs;
    int start_epoch = 0;
    if (options->resume) {
        safetensors_file state;
        if (nn_training_state_load(&optimizer, model, options->out_dir, &state, error) != 0) goto done;
        const char *epoch = safetensors_metadata(&state, "epoch");
        start_epoch = epoch ? atoi(epoch) : 0;
        safetensors_close(&state);
    }
    result->start_epoch = start_epoch;
    double start_time = rlhf_seconds();
    long pairs_trained = 0;
    int step = start_epoch * steps_per_epoch;
    for (int epoch = start_epoch; epoch < options->epochs; epoch++) {
        rlhf_rng rng; /* the order of an epoch depends only on (seed, epoch): resumable */
        rlhf_rng_seed(&rng, options->seed * 1000003ULL + (uint64_t)epoch);
        train_count = 0; /* start each epoch's shuffle from the data's own order */
        for (long i = 0; i < data->count; i++)
            if (!data->examples[i].validation) train[train_count++] = i;
        for (long i = train_count - 1; i > 0; i--) {
            long j = (long)(rlhf_rng_next(&rng) % (uint64_t)(i + 1)), swap = train[i];
            train[i] = train[j];
            train[j] = swap;
        }
        int correct = 0, decided = 0;
        double epoch_loss = 0;
        int epoch_steps = 0;
        for (long first = 0; first < train_count; first += P, step++) {
            int pairs = (int)(train_count - first < P ? train_count - first : P);
            double loss;
            gpt_zero_grad(model);
            if (train_batch(model, data, train + first, pairs, options, tokens, mask, d_values, rewards, &loss, &correct,
                            &decided, error) != 0)
                goto done;
            float lr = nn_lr_at(&schedule, step);
            nn_adamw_step(&optimizer, model, lr);
            pairs_trained += pairs;
            epoch_loss += loss;
            epoch_steps++;
            result->final_loss = (float)loss;
            reward_train_report report = {.step = step + 1, .steps = schedule.total_steps, .epoch = epoch + 1,
                                          .loss = (float)loss, .running_accuracy = decided ? (float)correct / decided : 0,
                                          .val_loss = -1, .val_accuracy = -1, .learning_rate = lr};
            bool last = first + P >= train_count;
            if (last && validate(model, data, P, &report.val_loss, &report.val_accuracy, error) != 0) goto done;
            if (options->db && options->run_id) {
                store_log_metric(options->db, options->run_id, step + 1, "train/loss", loss, NULL);
                store_log_metric(options->db, options->run_id, step + 1, "train/learning_rate", lr, NULL);
                if (last) {
                    store_log_metric(options->db, options->run_id, step + 1, "train/accuracy", report.running_accuracy, NULL);
                    if (report.val_loss >= 0) {
                        store_log_metric(options->db, options->run_id, step + 1, "val/loss", report.val_loss, NULL);
                        store_log_metric(options->db, options->run_id, step + 1, "val/accuracy", report.val_accuracy, NULL);
                    }
                }
            }
            if (last) {
                result->val_loss = report.val_loss;
                result->val_accuracy = report.val_accuracy;
                /* checkpoint at each epoch's end */
                char epoch_text[16];
                snprintf(epoch_text, sizeof epoch_text, "%d", epoch + 1);
                const char *keys[1] = {"epoch"}, *values[1] = {epoch_text};
                if (gpt_save(model, options->out_dir, error) != 0 ||
                    nn_training_state_save(&optimizer, model, options->out_dir, keys, values, 1, error) != 0)
                    goto done;
            }
            if (callback) callback(&report, user);
        }
        (void)epoch_loss;
        (void)epoch_steps;
    }
    result->steps = step;
    double elapsed = rlhf_seconds() - start_time;
    result->pairs_per_second = elapsed > 0 ? pairs_trained / elapsed : 0;
    status = 0;
done:
    nn_adamw_destroy(&optimizer);
    free(train);
    free(tokens);
    free(mask);
    free(d_values);
    free(rewards);
    return status;
}

/* ------------------------------------------------------------------ normalisation */

int reward_fit_normalization(gpt_model *model, const struct tokenizer *tok, const char *const *prompts,
                             const char *const *responses, int count, reward_normalization *normalization,
                             rlhf_error *error) {
    if (count < 2) {
        rlhf_error_set(error, "normalisation needs at least two samples");
        return -1;
    }
    double sum = 0, sum_squares = 0;
    for (int i = 0; i < count; i++) {
        float r;
        if (reward_score_text(model, tok, prompts[i], responses[i], &r, error) != 0) return -1;
        sum += r;
        sum_squares += (double)r * r;
    }
    double mean = sum / count, variance = sum_squares / count - mean * mean;
    double std = sqrt(variance > 1e-12 ? variance : 1e-12);
    normalization->mean = mean;
    normalization->std = std;
    normalization->gain = 1.0 / std;
    normalization->bias = -mean / std;
    normalization->samples = count;
    return 0;
}

int reward_save_normalization(const reward_normalization *n, const char *dir, rlhf_error *error) {
    char path[4096];
    snprintf(path, sizeof path, "%s/reward_normalization.json", dir);
    json_t *root = json_pack("{s:f, s:f, s:f, s:f, s:i, s:s}", "gain", n->gain, "bias", n->bias, "mean", n->mean, "std",
                             n->std, "samples", n->samples, "note",
                             "normalised reward = gain * reward + bias: mean 0, std 1 on reference-policy samples");
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    int status = rlhf_write_file_atomic(path, text, strlen(text), error);
    free(text);
    return status;
}

int reward_load_normalization(reward_normalization *n, const char *dir, rlhf_error *error) {
    char path[4096];
    snprintf(path, sizeof path, "%s/reward_normalization.json", dir);
    json_error_t json_error;
    json_t *root = json_load_file(path, 0, &json_error);
    if (!root) {
        rlhf_error_set(error, "%s: %s", path, json_error.text);
        return -1;
    }
    int samples = 0;
    int status = json_unpack(root, "{s:F, s:F, s:F, s:F, s:i}", "gain", &n->gain, "bias", &n->bias, "mean", &n->mean,
                             "std", &n->std, "samples", &samples);
    json_decref(root);
    if (status != 0) {
        rlhf_error_set(error, "%s: needs numbers gain, bias, mean, std and samples", path);
        return -1;
    }
    n->samples = samples;
    return 0;
}
