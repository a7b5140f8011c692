/* Pretraining: next-token prediction on random windows of a token stream, with a held-out
 * validation tail, checkpoints and exact resume. */
#include "rlhf/policy.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fills tokens/targets [B, T] with B windows starting at random offsets of stream. */
static void sample_batch(const int *stream, size_t length, int B, int T, rlhf_rng *rng, int *tokens,
                         int *targets) {
    for (int b = 0; b < B; b++) {
        size_t start = (size_t)(rlhf_rng_uniform(rng) * (double)(length - (size_t)T));
        for (int t = 0; t < T; t++) {
            tokens[b * T + t] = stream[start + t];
            targets[b * T + t] = stream[start + t + 1];
        }
    }
}

/* Makes *tokens and *targets hold a B x T batch each; -1 with error set when out of memory
 * (what was allocated is the caller's to free). */
static int allocate_batch(int B, int T, int **tokens, int **targets, rlhf_error *error) {
    size_t cells;
    if (!rlhf_size_multiply((size_t)B, (size_t)T, &cells) || rlhf_resize(tokens, cells, sizeof **tokens) != 0 ||
        rlhf_resize(targets, cells, sizeof **targets) != 0) {
        rlhf_error_set(error, "out of memory for a batch of %d x %d tokens", B, T);
        return -1;
    }
    return 0;
}

/* Mean loss on the first `windows` consecutive windows of the validation stream (the model
 * reserved for B x T); training mode is off during it and restored after. */
static int validation_loss(gpt_model *model, const int *stream, size_t length, int B, int T,
                           int windows, float *loss, rlhf_error *error) {
    int *tokens = NULL, *targets = NULL;
    if (allocate_batch(B, T, &tokens, &targets, error) != 0) {
        free(tokens);
        free(targets);
        return -1;
    }
    double total = 0.0;
    long count = 0;
    int available = (int)((length - 1) / (size_t)T);
    if (windows > available) windows = available;
    int status = 0;
    bool was_training = model->training;
    model->training = false;
    for (int first = 0; first < windows && status == 0; first += B) {
        int rows = windows - first < B ? windows - first : B;
        for (int b = 0; b < rows; b++)
            for (int t = 0; t < T; t++) {
                size_t at = (size_t)(first + b) * T + t;
                tokens[b * T + t] = stream[at];
                targets[b * T + t] = stream[at + 1];
            }
        gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .targets = targets};
        gpt_outputs out = {0};
        status = gpt_forward(model, &batch, &out, error);
        total += (double)out.loss * out.target_count;
        count += out.target_count;
    }
    model->training = was_training;
    free(tokens);
    free(targets);
    *loss = count > 0 ? (float)(total / count) : NAN;
    return status;
}

/* Saves the model and the state needed to resume exactly: moments, step, data RNG,
 * dropout counter, and the batch shape (a resume must use the same one). */
static int save_checkpoint(const gpt_model *model, const nn_adamw *optimizer, const rlhf_rng *rng,
                           int step, const policy_pretrain_options *options, rlhf_error *error) {
    if (gpt_save(model, options->out_dir, error) != 0) return -1;
    char step_text[32], rng_text[96], forward_text[32], batch_text[32], length_text[32];
    snprintf(step_text, sizeof step_text, "%d", step);
    snprintf(rng_text, sizeof rng_text, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, rng->state[0],
             rng->state[1], rng->state[2], rng->state[3]);
    snprintf(forward_text, sizeof forward_text, "%" PRIu64, model->forward_count);
    snprintf(batch_text, sizeof batch_text, "%d", options->batch_size);
    snprintf(length_text, sizeof length_text, "%d", options->seq_len);
    const char *keys[] = {"step", "data_rng", "forward_count", "batch_size", "seq_len"};
    const char *values[] = {step_text, rng_text, forward_text, batch_text, length_text};
    return nn_training_state_save(optimizer, model, options->out_dir, keys, values, 5, error);
}

/* Checks that out_dir holds a checkpoint these options can continue (rlhf/policy.h). */
int policy_pretrain_check_resume(const policy_pretrain_options *options, rlhf_error *error) {
    const char *dir = options->out_dir;
    char path[PATH_MAX];
    const char *needed[] = {"config.json", "model.safetensors", "training_state.safetensors"};
    for (int i = 0; i < 3; i++) { /* the last leaves path naming the training state */
        if (rlhf_path_join(path, sizeof path, dir, needed[i], error) != 0) return -1;
        if (access(path, F_OK) != 0) {
            rlhf_error_set(error, "--resume: %s has no checkpoint to continue from (%s is missing)", dir, needed[i]);
            return -1;
        }
    }
    safetensors_file state;
    if (safetensors_open(&state, path, error) != 0) return -1;
    int step = -1, batch_size = options->batch_size, seq_len = options->seq_len;
    int status = safetensors_metadata_count(&state, "step", &step, error);
    if (status == 1) {
        rlhf_error_set(error, "%s: training state lacks step", state.path);
        status = -1;
    }
    if (status == 0 && safetensors_metadata_count(&state, "batch_size", &batch_size, error) < 0) status = -1;
    if (status == 0 && safetensors_metadata_count(&state, "seq_len", &seq_len, error) < 0) status = -1;
    if (status == 0 && (batch_size != options->batch_size || seq_len != options->seq_len)) {
        rlhf_error_set(error,
                       "--resume: the checkpoint in %s was trained with --batch-size %d --seq-len %d; resume with the same "
                       "(got --batch-size %d --seq-len %d)",
                       dir, batch_size, seq_len, options->batch_size, options->seq_len);
        status = -1;
    }
    if (status == 0 && step >= options->steps) {
        rlhf_error_set(error,
                       "--resume: the checkpoint in %s has already trained %d steps, so --steps %d (the total) leaves "
                       "nothing to do; give --steps above %d to train further",
                       dir, step, options->steps, step);
        status = -1;
    }
    safetensors_close(&state);
    return status;
}

/* Restores step, RNG and dropout counter from a training state's metadata. */
static int restore_metadata(const safetensors_file *state, int *step, rlhf_rng *rng, gpt_model *model,
                            rlhf_error *error) {
    const char *step_text = safetensors_metadata(state, "step");
    const char *rng_text = safetensors_metadata(state, "data_rng");
    const char *forward_text = safetensors_metadata(state, "forward_count");
    if (!step_text || !rng_text || !forward_text || strlen(rng_text) != 64) {
        rlhf_error_set(error, "%s: training state lacks step, data_rng or forward_count", state->path);
        return -1;
    }
    if (safetensors_metadata_count(state, "step", step, error) != 0) return -1;
    for (int i = 0; i < 4; i++) {
        char part[17], *end;
        memcpy(part, rng_text + 16 * i, 16);
        part[16] = '\0';
        rng->state[i] = strtoull(part, &end, 16);
        if (*end || !isxdigit((unsigned char)part[0])) {
            rlhf_error_set(error, "%s: \"data_rng\" is not 64 hexadecimal digits ('%s')", state->path, rng_text);
            return -1;
        }
    }
    if (!(rng->state[0] | rng->state[1] | rng->state[2] | rng->state[3])) { /* xoshiro's one dead state */
        rlhf_error_set(error, "%s: \"data_rng\" is all zeros, which no run saves", state->path);
        return -1;
    }
    char *end;
    errno = 0;
    model->forward_count = strtoull(forward_text, &end, 10);
    if (errno || end == forward_text || *end || !isdigit((unsigned char)forward_text[0])) {
        rlhf_error_set(error, "%s: \"forward_count\" is not a non-negative integer ('%s')", state->path, forward_text);
        return -1;
    }
    return 0;
}

/* Trains (or resumes training) a model on ids, checkpointing to options->out_dir (rlhf/policy.h). */
int policy_pretrain(const int *ids, size_t count, const policy_pretrain_options *options,
                    const nn_backend *backend, policy_pretrain_callback callback, void *user,
                    policy_pretrain_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    int B = options->batch_size, T = options->seq_len;
    size_t val_length = (size_t)((double)count * options->validation_fraction);
    size_t train_length = count - val_length;
    if (train_length < (size_t)T + 2 || (val_length > 0 && val_length < (size_t)T + 1)) {
        rlhf_error_set(error, "%zu tokens are too few for windows of %d (train %zu, validation %zu)", count, T,
                       train_length, val_length);
        return -1;
    }
    const int *train = ids, *val = ids + train_length;
    gpt_model model;
    nn_adamw optimizer;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, options->seed);
    int start_step = 0;
    if (options->resume) {
        if (policy_pretrain_check_resume(options, error) != 0) return -1;
        if (gpt_load_checkpoint(&model, options->out_dir, backend, error) != 0) return -1;
    } else {
        if (gpt_create(&model, &options->config, backend, error) != 0) return -1;
        if (gpt_init_random(&model, options->seed, error) != 0) {
            gpt_destroy(&model);
            return -1;
        }
    }
    for (size_t i = 0; i < count; i++)
        if (ids[i] >= model.config.vocab_size) {
            rlhf_error_set(error, "token id %d at position %zu is outside the model's vocabulary of %d", ids[i], i,
                           model.config.vocab_size);
            gpt_destroy(&model);
            return -1;
        }
    if (gpt_reserve(&model, B, T, true, error) != 0 ||
        nn_adamw_create(&optimizer, &model, &options->adamw, error) != 0) {
        gpt_destroy(&model);
        return -1;
    }
    int *tokens = NULL, *targets = NULL, status = -1; /* the batch buffers, freed at the end */
    if (options->resume) {
        safetensors_file state;
        if (nn_training_state_load(&optimizer, &model, options->out_dir, &state, error) != 0) goto done;
        int restored = restore_metadata(&state, &start_step, &rng, &model, error);
        safetensors_close(&state);
        if (restored != 0) goto done;
    }
    model.training = true;
    if (allocate_batch(B, T, &tokens, &targets, error) != 0) goto done;
    result->start_step = start_step;
    result->parameter_count = model.parameter_count;
    result->train_tokens = (long)train_length;
    result->val_tokens = (long)val_length;
    result->final_val_loss = NAN;
    double start_time = rlhf_seconds();
    int end_step = options->steps;
    if (options->stop_after > 0 && start_step + options->stop_after < end_step) end_step = start_step + options->stop_after;
    for (int step = start_step; step < end_step; step++) {
        double step_start = rlhf_seconds();
        sample_batch(train, train_length, B, T, &rng, tokens, targets);
        gpt_batch batch = {.batch_size = B, .seq_len = T, .tokens = tokens, .targets = targets};
        gpt_outputs out = {0};
        gpt_zero_grad(&model);
        if (gpt_forward(&model, &batch, &out, error) != 0) {
            goto done;
        }
        if (!nn_training_value_finite(out.loss, "loss", step + 1, error)) { /* before a checkpoint has it */
            goto done;
        }
        if (gpt_backward_loss(&model, error) != 0) {
            goto done;
        }
        float lr = nn_lr_at(&options->schedule, step);
        float norm = nn_adamw_step(&optimizer, &model, lr);
        if (!nn_training_value_finite(norm, "the gradient", step + 1, error)) {
            goto done;
        }
        policy_pretrain_report report = {.step = step + 1, .steps = options->steps, .train_loss = out.loss,
                                         .val_loss = -1.0f, .learning_rate = lr, .grad_norm = norm};
        report.tokens_per_second = (double)B * T / (rlhf_seconds() - step_start);
        if (step == start_step) result->first_train_loss = out.loss;
        result->final_train_loss = out.loss;
        bool last = step + 1 == options->steps;
        bool evaluate = val_length > 0 && (last || (options->eval_every > 0 && (step + 1) % options->eval_every == 0));
        if (evaluate) {
            if (validation_loss(&model, val, val_length, B, T, options->eval_windows, &report.val_loss, error) != 0) {
                goto done;
            }
            if (!nn_training_value_finite(report.val_loss, "validation loss", step + 1, error)) {
                goto done;
            }
            result->final_val_loss = report.val_loss;
        }
        bool stopping = step + 1 == end_step;
        if (stopping || (options->save_every > 0 && (step + 1) % options->save_every == 0)) {
            if (save_checkpoint(&model, &optimizer, &rng, step + 1, options, error) != 0) {
                goto done;
            }
            report.checkpoint_saved = true;
        }
        result->steps_run++;
        if (callback) callback(&report, user);
    }
    double elapsed = rlhf_seconds() - start_time;
    result->tokens_per_second = elapsed > 0 ? (double)result->steps_run * B * T / elapsed : 0.0;
    status = 0;
done:
    free(tokens);
    free(targets);
    nn_adamw_destroy(&optimizer);
    gpt_destroy(&model);
    return status;
}
