/* Reward model training (Bradley-Terry on pairs), scoring, and reward normalisation. */
#include "rlhf/reward.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rlhf/tokenizer.h"

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
/* 1 / (1 + exp(-x)) without overflow. */
static double sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x)); }

/* Bradley-Terry loss of one pair and its derivatives in r_chosen, r_rejected, with d = r_c - r_r:
 * decided: loss = -log sigmoid(d - m) = softplus(-(d - m)), dloss/dr_c = sigmoid(d - m) - 1 = -dloss/dr_r;
 * tie: loss = (softplus(-d) + softplus(d)) / 2, dloss/dr_c = sigmoid(d) - 1/2 = -dloss/dr_r;
 * plus the centring term center * (r_c + r_r)^2, whose derivative 2 center (r_c + r_r) adds to both. */
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

/* The scalar head's value at the last token of each sequence into rewards[0 .. count), in
 * batches of batch_size right-padded rows. */
int reward_score_sequences(gpt_model *model, const int *const *sequences, const int *lengths, int count,
                           int batch_size, float *rewards, rlhf_error *error) {
    int longest = 1;
    for (int i = 0; i < count; i++) longest = lengths[i] > longest ? lengths[i] : longest;
    int B = batch_size < count ? batch_size : count;
    if (count == 0) return 0;
    if (gpt_reserve(model, B, longest, false, error) != 0) return -1;
    int *tokens = malloc(sizeof(int) * (size_t)B * longest), *mask = malloc(sizeof(int) * (size_t)B * longest);
    int status = 0;
    if (!tokens || !mask) {
        rlhf_error_set(error, "out of memory scoring %d sequences", count);
        status = -1;
    }
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

/* The reward of one prompt and response, built and cut as training builds them. */
int reward_score_text(gpt_model *model, const struct tokenizer *tok, const char *prompt, const char *response,
                      float *reward, rlhf_error *error) {
    int *sequence, length;
    /* the same input and cutting rule as training */
    if (reward_build_sequence(tok, prompt, response, model->config.n_positions, model->config.pad_token_id, &sequence,
                              &length, NULL, NULL, error))
        return -1;
    const int *start = sequence;
    int status = reward_score_sequences(model, &start, &length, 1, 1, reward, error);
    free(sequence);
    return status;
}

/* ------------------------------------------------------------------ training */

/* Forward and backward of one batch of pairs (rows 2p chosen, 2p + 1 rejected) into the
 * model's gradients: *loss = mean Bradley-Terry loss, whose derivative is put at each row's
 * last token; counts correct (chosen scored higher) decided pairs. The buffers hold
 * 2 * pairs rows of the longest sequence. */
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
    if (!last) {
        rlhf_error_set(error, "out of memory for a batch of %d pairs", pairs);
        return -1;
    }
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

/* See reward.h: a stopped or finished training is refused unless it is to be completed. */
int reward_check_resumable(const char *dir, int done, int stopped_at, int epochs, bool complete_finished,
                           rlhf_error *error) {
    if (complete_finished) return 0;
    if (stopped_at > 0) {
        rlhf_error_set(error, "the checkpoint in %s stopped early at step %d (--patience), so there is nothing to "
                       "resume; train again without --resume to change the settings", dir, stopped_at);
        return -1;
    }
    if (done >= epochs) {
        rlhf_error_set(error, "the checkpoint in %s has already trained %d epoch%s, so --epochs %d (the total) leaves "
                       "nothing to do; give --epochs above %d to train further", dir, done, done == 1 ? "" : "s",
                       epochs, done);
        return -1;
    }
    return 0;
}

/* See reward.h: both sides of every selected pair scored, chosen at 2k, rejected at 2k + 1. */
int reward_score_pairs(gpt_model *model, const reward_dataset *data, bool validation_only, int batch_size,
                       float **rewards, long *pair_count, rlhf_error *error) {
    long n = 0;
    for (long i = 0; i < data->count; i++) n += !validation_only || data->examples[i].validation;
    *rewards = NULL;
    *pair_count = n;
    if (n == 0) return 0;
    if (n > INT_MAX / 2) {
        rlhf_error_set(error, "%ld pairs are more than one scoring pass takes", n);
        return -1;
    }
    const int **sequences = malloc(sizeof(int *) * (size_t)(2 * n));
    int *lengths = malloc(sizeof(int) * (size_t)(2 * n));
    float *scores = malloc(sizeof(float) * (size_t)(2 * n));
    int status = 0;
    if (!sequences || !lengths || !scores) {
        rlhf_error_set(error, "out of memory scoring %ld pairs", n);
        status = -1;
    }
    long k = 0;
    for (long i = 0; status == 0 && i < data->count; i++) {
        const reward_example *e = &data->examples[i];
        if (validation_only && !e->validation) continue;
        sequences[2 * k] = e->chosen;
        lengths[2 * k] = e->chosen_length;
        sequences[2 * k + 1] = e->rejected;
        lengths[2 * k + 1] = e->rejected_length;
        k++;
    }
    if (status == 0) status = reward_score_sequences(model, sequences, lengths, (int)(2 * n), batch_size, scores, error);
    free(sequences);
    free(lengths);
    if (status != 0) {
        free(scores);
        return -1;
    }
    *rewards = scores;
    return 0;
}

/* Validation loss (plain Bradley-Terry, ties as equal) and accuracy on decided pairs; NAN
 * when there are no validation pairs (accuracy also when all of them are ties). */
static int validate(gpt_model *model, const reward_dataset *data, int batch_pairs, float *loss, float *accuracy,
                    rlhf_error *error) {
    float *rewards;
    long n;
    *loss = *accuracy = NAN;
    if (reward_score_pairs(model, data, true, 2 * batch_pairs, &rewards, &n, error) != 0) return -1;
    if (n == 0) return 0;
    double total = 0;
    long correct = 0, decided = 0, k = 0;
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
    *accuracy = decided ? (float)correct / decided : NAN;
    free(rewards);
    return 0;
}

/* The examples not held out for validation. */
long reward_training_pair_count(const reward_dataset *data) {
    long count = 0;
    for (long i = 0; i < data->count; i++) count += !data->examples[i].validation;
    return count;
}

/* An integer metadata value of a reward checkpoint, 0 when absent (checkpoints written
 * before the key existed), or -1 (error set) when malformed. */
static int metadata_count(const safetensors_file *state, const char *key, int *value, rlhf_error *error) {
    *value = 0;
    return safetensors_metadata_count(state, key, value, error) < 0 ? -1 : 0;
}

/* The epochs a reward checkpoint's training state records, or -1 (error set). */
static int epoch_of(const safetensors_file *state, int *epoch, rlhf_error *error) {
    if (!safetensors_metadata(state, "epoch")) {
        rlhf_error_set(error, "%s: no epoch count (not a reward model checkpoint?)", state->path);
        return -1;
    }
    return metadata_count(state, "epoch", epoch, error);
}

/* Reads dir/training_state.safetensors' epoch count, early-stop step and run id (0 when absent). */
int reward_checkpoint_epoch(const char *dir, int *epoch, int *stopped_at, int64_t *run_id, rlhf_error *error) {
    char path[4096];
    if (rlhf_path_join(path, sizeof path, dir, "training_state.safetensors", error) != 0) return -1;
    safetensors_file state;
    if (safetensors_open(&state, path, error) != 0) return -1;
    int stopped = 0;
    int status = epoch_of(&state, epoch, error) || metadata_count(&state, "stopped_at", &stopped, error) ? -1 : 0;
    if (status == 0 && stopped_at) *stopped_at = stopped;
    if (status == 0 && run_id) { /* absent in checkpoints from before runs were resumed: 0 */
        const char *run = safetensors_metadata(&state, "run_id");
        long long id = run ? strtoll(run, NULL, 10) : 0;
        *run_id = id > 0 ? id : 0;
    }
    safetensors_close(&state);
    return status;
}

/* The lowest validation loss seen and where, carried across a resume in the checkpoint's
 * metadata and, with keep best, its weights in host memory and reward_best.safetensors. */
typedef struct best_tracker {
    int step;               /* 0: no validation yet */
    float loss, accuracy;
    int since;              /* validations since the best one */
    int evaluations;
    float *weights;         /* keep best: a host copy of the best weights (NULL otherwise) */
    bool unsaved;           /* weights changed since reward_best.safetensors was written */
} best_tracker;

/* out_dir/reward_best.safetensors into path; -1 (error set) when it does not fit. */
static int best_path(const char *dir, char path[4096], rlhf_error *error) {
    return rlhf_path_join(path, 4096, dir, "reward_best.safetensors", error);
}

/* Removes the training state and best-weights copy a run left in dir (missing ones are no
 * error): a new training into dir does this first, so a kill before its first checkpoint
 * cannot leave the old run's state beside the new run's mark for --resume to "complete". */
int reward_remove_checkpoint(const char *dir, rlhf_error *error) {
    char state[4096], best[4096];
    if (rlhf_path_join(state, sizeof state, dir, "training_state.safetensors", error) != 0 ||
        best_path(dir, best, error) != 0)
        return -1;
    return rlhf_remove_file(state, error) || rlhf_remove_file(best, error) ? -1 : 0;
}

/* Writes the best weights to reward_best.safetensors (atomically), with their step. */
static int save_best(const best_tracker *best, const gpt_model *model, const char *dir, rlhf_error *error) {
    char path[4096], step[32];
    if (best_path(dir, path, error) != 0) return -1;
    snprintf(step, sizeof step, "%d", best->step);
    safetensors_writer writer;
    safetensors_writer_init(&writer);
    int64_t shape[1] = {(int64_t)model->parameter_count};
    safetensors_writer_set_metadata(&writer, "step", step);
    safetensors_writer_add(&writer, "parameters", SAFETENSORS_F32, 1, shape, best->weights);
    int status = safetensors_writer_save(&writer, path, error);
    safetensors_writer_free(&writer);
    return status;
}

/* Reads reward_best.safetensors into best->weights after a resume; the file must hold the
 * step the checkpoint names as best and as many parameters as the model. */
static int load_best(best_tracker *best, const gpt_model *model, const char *dir, rlhf_error *error) {
    char path[4096];
    if (best_path(dir, path, error) != 0) return -1;
    safetensors_file file;
    if (safetensors_open(&file, path, error) != 0) return -1;
    const safetensors_tensor *tensor = safetensors_find(&file, "parameters");
    int step = 0;
    int status = metadata_count(&file, "step", &step, error);
    if (status == 0 && (!tensor || tensor->count != model->parameter_count || step != best->step)) {
        rlhf_error_set(error, "%s: does not hold the best weights the checkpoint names (step %d)", path, best->step);
        status = -1;
    }
    if (status == 0) status = safetensors_read_f32(&file, tensor, best->weights, error);
    safetensors_close(&file);
    return status;
}

/* Saves the epoch (or early-stop) checkpoint: the model, the optimizer with the epoch and
 * the best-so-far bookkeeping, and the best weights when they changed. kept_best records
 * that the model saved is the best weights put in place of the last at the end, so a run
 * cut off after that is completed without a second swap. */
static int save_checkpoint(const gpt_model *model, const nn_adamw *optimizer, const char *dir, int epoch, int stopped_at,
                           best_tracker *best, int64_t run_id, bool kept_best, rlhf_error *error) {
    char epoch_text[16], best_step[16], best_loss[32], best_accuracy[32], since[16], evaluations[16], stopped[16];
    char run[24];
    snprintf(run, sizeof run, "%lld", (long long)run_id);
    snprintf(epoch_text, sizeof epoch_text, "%d", epoch);
    snprintf(best_step, sizeof best_step, "%d", best->step);
    snprintf(best_loss, sizeof best_loss, "%.9g", best->loss);
    snprintf(best_accuracy, sizeof best_accuracy, "%.9g", best->accuracy);
    snprintf(since, sizeof since, "%d", best->since);
    snprintf(evaluations, sizeof evaluations, "%d", best->evaluations);
    snprintf(stopped, sizeof stopped, "%d", stopped_at);
    const char *keys[9] = {"epoch", "best_step", "best_val_loss", "best_val_accuracy", "since_best", "evaluations",
                           "stopped_at", "run_id", "kept_best"};
    const char *values[9] = {epoch_text, best_step, best_loss, best_accuracy, since, evaluations, stopped, run,
                             kept_best ? "1" : "0"};
    /* the model first (it makes the directory), the state that names the best step last */
    if (gpt_save(model, dir, error) != 0) return -1;
    if (best->weights && best->unsaved && best->step > 0) {
        if (save_best(best, model, dir, error) != 0) return -1;
        best->unsaved = false;
    }
    return nn_training_state_save(optimizer, model, dir, keys, values, 9, error);
}

/* Restores the best-so-far bookkeeping from a checkpoint's metadata (absent keys: none). */
static int restore_best(const safetensors_file *state, best_tracker *best, rlhf_error *error) {
    if (metadata_count(state, "best_step", &best->step, error) || metadata_count(state, "since_best", &best->since, error) ||
        metadata_count(state, "evaluations", &best->evaluations, error))
        return -1;
    const char *loss = safetensors_metadata(state, "best_val_loss"), *accuracy = safetensors_metadata(state, "best_val_accuracy");
    best->loss = loss ? strtof(loss, NULL) : NAN;
    best->accuracy = accuracy ? strtof(accuracy, NULL) : NAN;
    if (best->step > 0 && !isfinite(best->loss)) {
        rlhf_error_set(error, "%s: \"best_val_loss\" is not a finite number", state->path);
        return -1;
    }
    return 0;
}

/* Validates, logs the validation metrics, and updates the best-so-far bookkeeping (and the
 * copy of the best weights); report's val fields and flags are set. */
static int evaluate_step(gpt_model *model, const reward_dataset *data, const reward_train_options *options, int step,
                         best_tracker *best, reward_train_report *report, rlhf_error *error) {
    if (validate(model, data, options->batch_pairs, &report->val_loss, &report->val_accuracy, error) != 0) return -1;
    report->evaluated = true;
    if (isnan(report->val_loss)) return 0; /* no validation set */
    if (!nn_training_value_finite(report->val_loss, "validation loss", step, error)) return -1;
    best->evaluations++;
    if (options->db && options->run_id) {
        store_log_metric(options->db, options->run_id, step, "val/loss", report->val_loss, NULL);
        if (!isnan(report->val_accuracy))
            store_log_metric(options->db, options->run_id, step, "val/accuracy", report->val_accuracy, NULL);
    }
    if (best->step == 0 || report->val_loss < best->loss) {
        best->step = step;
        best->loss = report->val_loss;
        best->accuracy = report->val_accuracy;
        best->since = 0;
        report->best = true;
        if (best->weights) {
            gpt_read_parameters(model, best->weights, false);
            best->unsaved = true;
        }
    } else {
        best->since++;
    }
    report->stopping = options->patience > 0 && best->since >= options->patience;
    return 0;
}

/* Trains the scalar head and trunk on the training pairs by Bradley-Terry with AdamW, epoch by
 * epoch in a (seed, epoch) shuffle, validating, early stopping and keeping the best weights as
 * options say, checkpointing into out_dir at each epoch's end (resumable with options->resume). */
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
    result->val_loss = result->val_accuracy = result->best_val_loss = result->best_val_accuracy = NAN;
    int P = options->batch_pairs;
    int *tokens = malloc(sizeof(int) * (size_t)2 * P * longest), *mask = malloc(sizeof(int) * (size_t)2 * P * longest);
    float *d_values = malloc(sizeof(float) * (size_t)2 * P * longest), *rewards = malloc(sizeof(float) * (size_t)2 * P);
    /* keep best needs a validation set to say what best is */
    bool keep_best = options->keep == REWARD_KEEP_BEST && result->val_pairs > 0;
    best_tracker best = {.loss = NAN, .accuracy = NAN};
    if (keep_best) best.weights = malloc(sizeof(float) * model->parameter_count);
    nn_adamw optimizer = {0};
    int status = -1;
    if (!train || !tokens || !mask || !d_values || !rewards || (keep_best && !best.weights)) {
        rlhf_error_set(error, "out of memory for reward-model training");
        goto done;
    }
    if (train_count == 0) {
        rlhf_error_set(error, "no training pairs (%ld comparisons in all, %ld held out)", data->count, result->val_pairs);
        goto done;
    }
    if (gpt_reserve(model, 2 * P, longest, true, error) != 0 || nn_adamw_create(&optimizer, model, &options->adamw, error))
        goto done;
    int steps_per_epoch = (int)((train_count + P - 1) / P);
    nn_lr_schedule schedule = options->schedule;
    schedule.total_steps = steps_per_epoch * options->epochs;
    int start_epoch = 0, kept_already = 0;
    bool finished = false; /* complete_finished: the checkpoint's training is over */
    if (options->resume) {
        safetensors_file state;
        if (nn_training_state_load(&optimizer, model, options->out_dir, &state, error) != 0) goto done;
        int stopped_at = 0;
        /* kept_best: the best weights already replaced the last ones (absent: not yet) */
        int read = epoch_of(&state, &start_epoch, error) || metadata_count(&state, "stopped_at", &stopped_at, error) ||
                   metadata_count(&state, "kept_best", &kept_already, error) || restore_best(&state, &best, error);
        safetensors_close(&state);
        if (read != 0) goto done;
        finished = stopped_at > 0 || start_epoch >= options->epochs;
        if (reward_check_resumable(options->out_dir, start_epoch, stopped_at, options->epochs,
                                   options->complete_finished, error) != 0)
            goto done;
        /* the best weights so far: the model's own when the end of that training already put
         * them in place (kept_best; a run that goes on from there writes their side copy
         * again), none needed when a finished training's last step was the best, else the
         * side copy */
        int last_step = stopped_at > 0 ? stopped_at : start_epoch * steps_per_epoch;
        if (keep_best && best.step > 0 && kept_already) {
            gpt_read_parameters(model, best.weights, false);
            best.unsaved = !finished;
        } else if (keep_best && best.step > 0 && !(finished && best.step == last_step) &&
                   load_best(&best, model, options->out_dir, error) != 0) {
            goto done;
        }
        if (finished) {
            result->stopped_at = stopped_at;
            result->completed_only = true;
        }
    }
    result->start_epoch = start_epoch;
    double start_time = rlhf_seconds();
    long pairs_trained = 0;
    int step = result->stopped_at > 0 ? result->stopped_at : start_epoch * steps_per_epoch;
    bool stopped = finished;
    for (int epoch = start_epoch; epoch < options->epochs && !stopped; epoch++) {
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
        for (long first = 0; first < train_count && !stopped; first += P, step++) {
            int pairs = (int)(train_count - first < P ? train_count - first : P);
            double loss;
            gpt_zero_grad(model);
            if (train_batch(model, data, train + first, pairs, options, tokens, mask, d_values, rewards, &loss, &correct,
                            &decided, error) != 0)
                goto done;
            if (!nn_training_value_finite(loss, "loss", step + 1, error)) goto done; /* before a checkpoint has it */
            float lr = nn_lr_at(&schedule, step);
            if (!nn_training_value_finite(nn_adamw_step(&optimizer, model, lr), "the gradient", step + 1, error))
                goto done;
            pairs_trained += pairs;
            result->final_loss = (float)loss;
            bool last = first + P >= train_count;
            reward_train_report report = {.step = step + 1, .steps = schedule.total_steps, .epoch = epoch + 1,
                                          .epoch_end = last, .loss = (float)loss,
                                          .running_accuracy = decided ? (float)correct / decided : 0,
                                          .val_loss = NAN, .val_accuracy = NAN, .learning_rate = lr};
            if (options->db && options->run_id) {
                store_log_metric(options->db, options->run_id, step + 1, "train/loss", loss, NULL);
                store_log_metric(options->db, options->run_id, step + 1, "train/learning_rate", lr, NULL);
                if (last)
                    store_log_metric(options->db, options->run_id, step + 1, "train/accuracy", report.running_accuracy, NULL);
            }
            bool scheduled = options->eval_every > 0 && (step + 1) % options->eval_every == 0;
            if ((last || scheduled) && evaluate_step(model, data, options, step + 1, &best, &report, error) != 0) goto done;
            if (report.evaluated) {
                result->val_loss = report.val_loss;
                result->val_accuracy = report.val_accuracy;
            }
            stopped = report.stopping;
            /* checkpoint at each epoch's end, and where early stopping ends the run */
            if ((last || stopped) &&
                save_checkpoint(model, &optimizer, options->out_dir, stopped ? options->epochs : epoch + 1,
                                stopped ? step + 1 : 0, &best, options->run_id, false, error) != 0)
                goto done;
            if (stopped) result->stopped_at = step + 1;
            if (callback) callback(&report, user);
        }
    }
    result->steps = step;
    result->evaluations = best.evaluations;
    result->best_step = best.step;
    result->best_val_loss = best.step ? best.loss : NAN;
    result->best_val_accuracy = best.step ? best.accuracy : NAN;
    /* keep best: the best weights replace the last ones in the model and in out_dir, with
     * the training state re-saved beside them (its fingerprint names the weights) */
    if (keep_best && best.step > 0 && best.step != step) {
        /* (a finished run whose end already kept them, completed now: out_dir holds them) */
        if (!(finished && kept_already)) {
            gpt_write_parameters(model, best.weights);
            best.unsaved = false; /* the model directory now holds them */
            if (save_checkpoint(model, &optimizer, options->out_dir, options->epochs, result->stopped_at, &best,
                                options->run_id, true, error) != 0)
                goto done;
        }
        result->kept_best = true;
        result->val_loss = best.loss;
        result->val_accuracy = best.accuracy;
    }
    if (keep_best) { /* out_dir's model is the kept one now: the side copy has done its work */
        char path[4096];
        if (best_path(options->out_dir, path, error) != 0 || rlhf_remove_file(path, error) != 0) goto done;
    }
    double elapsed = rlhf_seconds() - start_time;
    result->pairs_per_second = elapsed > 0 ? pairs_trained / elapsed : 0;
    status = 0;
done:
    nn_adamw_destroy(&optimizer);
    free(best.weights);
    free(train);
    free(tokens);
    free(mask);
    free(d_values);
    free(rewards);
    return status;
}

/* ------------------------------------------------------------------ normalisation */

/* From the rewards r of count samples: mean, std = sqrt(max(E[r^2] - mean^2, 1e-12)), and the
 * affine map gain = 1 / std, bias = -mean / std that gives them mean 0 and std 1. */
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
    if (!isfinite(mean) || !isfinite(variance)) {
        rlhf_error_set(error, "normalisation: the rewards of the samples are not finite");
        return -1;
    }
    double std = sqrt(variance > 1e-12 ? variance : 1e-12);
    normalization->mean = mean;
    normalization->std = std;
    normalization->gain = 1.0 / std;
    normalization->bias = -mean / std;
    normalization->samples = count;
    return 0;
}

/* Sets *value from root[key] when it is a finite number (integer or real); otherwise sets
 * an error naming path and key and returns -1. */
static int finite_field(json_t *root, const char *key, const char *path, double *value, rlhf_error *error) {
    json_t *field = json_object_get(root, key);
    if (!field) {
        rlhf_error_set(error, "%s: missing \"%s\"", path, key);
        return -1;
    }
    if (!json_is_number(field) || !isfinite(json_number_value(field))) {
        rlhf_error_set(error, "%s: \"%s\" must be a finite number", path, key);
        return -1;
    }
    *value = json_number_value(field);
    return 0;
}

/* Sets *value from root[key] when it is an integer in [minimum, maximum]; otherwise sets an
 * error naming path and key and returns -1. */
static int integer_field(json_t *root, const char *key, const char *path, long long minimum, long long maximum,
                         long long *value, rlhf_error *error) {
    json_t *field = json_object_get(root, key);
    if (!field) {
        rlhf_error_set(error, "%s: missing \"%s\"", path, key);
        return -1;
    }
    if (!json_is_integer(field) || json_integer_value(field) < minimum || json_integer_value(field) > maximum) {
        rlhf_error_set(error, "%s: \"%s\" must be an integer from %lld to %lld", path, key, minimum, maximum);
        return -1;
    }
    *value = json_integer_value(field);
    return 0;
}

/* Reads path as a JSON object into *root. Returns 1 (error set) when the file does not
 * exist, -1 when it is not a readable JSON object, 0 otherwise. */
static int load_object(const char *path, json_t **root, rlhf_error *error) {
    if (access(path, F_OK) != 0) {
        rlhf_error_set(error, "%s does not exist", path);
        return 1;
    }
    json_error_t json_error;
    *root = json_load_file(path, 0, &json_error);
    if (!*root) {
        rlhf_error_set(error, "%s: line %d: %s", path, json_error.line, json_error.text);
        return -1;
    }
    if (!json_is_object(*root)) {
        rlhf_error_set(error, "%s: expected a JSON object", path);
        json_decref(*root);
        return -1;
    }
    return 0;
}

/* The normalisation file of a reward model directory into path; -1 (error set) when it does
 * not fit. */
static int normalization_path(const char *dir, char path[4096], rlhf_error *error) {
    return rlhf_path_join(path, 4096, dir, "reward_normalization.json", error);
}

/* Removes dir/reward_normalization.json if there (a model trained anew must not keep it). */
int reward_remove_normalization(const char *dir, rlhf_error *error) {
    char path[4096];
    if (normalization_path(dir, path, error) != 0) return -1;
    if (rlhf_remove_file(path, error) != 0) {
        rlhf_error_prefix(error, "the earlier model's normalisation");
        return -1;
    }
    return 0;
}

/* Writes n to dir/reward_normalization.json atomically; refuses a non-finite or non-positive one. */
int reward_save_normalization(const reward_normalization *n, const char *dir, rlhf_error *error) {
    char path[4096];
    if (normalization_path(dir, path, error) != 0) return -1;
    if (!(isfinite(n->gain) && n->gain > 0 && isfinite(n->bias) && isfinite(n->mean) && isfinite(n->std) && n->std > 0)) {
        rlhf_error_set(error, "%s: not written: the normalisation is not finite (gain %g, bias %g)", path, n->gain,
                       n->bias);
        return -1;
    }
    json_t *root = json_pack("{s:f, s:f, s:f, s:f, s:i, s:s}", "gain", n->gain, "bias", n->bias, "mean", n->mean, "std",
                             n->std, "samples", n->samples, "note",
                             "normalised reward = gain * reward + bias: mean 0, std 1 on reference-policy samples");
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text) {
        rlhf_error_set(error, "%s: could not format the normalisation", path);
        return -1;
    }
    int status = rlhf_write_file_atomic(path, text, strlen(text), error);
    free(text);
    return status;
}

/* Reads dir/reward_normalization.json into *n: 1 (error set) when there is none, -1 when it is
 * malformed (n untouched then). */
int reward_load_normalization(reward_normalization *n, const char *dir, rlhf_error *error) {
    char path[4096];
    if (normalization_path(dir, path, error) != 0) return -1;
    json_t *root;
    int status = load_object(path, &root, error);
    if (status != 0) return status;
    reward_normalization read = {0};
    long long samples = 0;
    status = finite_field(root, "gain", path, &read.gain, error) || finite_field(root, "bias", path, &read.bias, error) ||
                     finite_field(root, "mean", path, &read.mean, error) || finite_field(root, "std", path, &read.std, error) ||
                     integer_field(root, "samples", path, 2, 2147483647LL, &samples, error)
                 ? -1
                 : 0;
    json_decref(root);
    if (status == 0 && (read.gain <= 0 || read.std <= 0)) {
        rlhf_error_set(error, "%s: \"%s\" must be above 0", path, read.gain <= 0 ? "gain" : "std");
        status = -1;
    }
    if (status == 0) {
        read.samples = (int)samples;
        *n = read;
    }
    return status;
}

/* Writes dir/reward_training.json (split, length, ties and run id) atomically. */
int reward_save_training_settings(const reward_data_options *options, int64_t run_id, const char *dir,
                                  rlhf_error *error) {
    char path[4096];
    if (rlhf_path_join(path, sizeof path, dir, "reward_training.json", error) != 0) return -1;
    json_t *root = json_pack("{s:i, s:i, s:b, s:I}", "val_percent", options->validation_percent, "max_length",
                             options->max_length, "ties_as_equal", options->ties_as_equal, "run_id", (json_int_t)run_id);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text) {
        rlhf_error_set(error, "%s: could not format the training settings", path);
        return -1;
    }
    int status = rlhf_write_file_atomic(path, text, strlen(text), error);
    free(text);
    return status;
}

/* Reads dir/reward_training.json into options and *run_id (0 when absent): 1 (error set) when
 * there is no such file, -1 when it is malformed (outputs untouched then). */
int reward_load_training_settings(reward_data_options *options, int64_t *run_id, const char *dir, rlhf_error *error) {
    char path[4096];
    if (rlhf_path_join(path, sizeof path, dir, "reward_training.json", error) != 0) return -1;
    json_t *root;
    int status = load_object(path, &root, error);
    if (status != 0) return status;
    long long percent, length, run = 0;
    json_t *ties = json_object_get(root, "ties_as_equal");
    status = integer_field(root, "val_percent", path, 0, 90, &percent, error) ||
                     integer_field(root, "max_length", path, 4, 1 << 30, &length, error)
                 ? -1
                 : 0;
    if (status == 0 && !json_is_boolean(ties)) {
        rlhf_error_set(error, "%s: %s \"ties_as_equal\" (true or false)", path, ties ? "expected a boolean for" : "missing");
        status = -1;
    }
    if (status == 0 && json_object_get(root, "run_id") && integer_field(root, "run_id", path, 0, INT64_MAX, &run, error))
        status = -1;
    if (status == 0) {
        options->validation_percent = (int)percent;
        options->max_length = (int)length;
        options->ties_as_equal = json_is_true(ties);
        *run_id = run;
    }
    json_decref(root);
    return status;
}
