/* AdamW (decoupled weight decay), global-norm gradient clipping and learning-rate
 * schedules. The moments live in one backend arena of 2 x parameter_count floats. */
#include "rlhf/nn.h"

#include <math.h>
#include <string.h>

#include "nn/backend.h"

/* See nn.h: false, with error naming what and the step, unless value is finite. */
bool nn_training_value_finite(double value, const char *what, int step, rlhf_error *error) {
    if (isfinite(value)) return true;
    if (step > 0) rlhf_error_set(error, "%s became non-finite at step %d (learning rate too high?)", what, step);
    else rlhf_error_set(error, "%s became non-finite before training (learning rate too high?)", what);
    return false;
}

nn_adamw_config nn_adamw_defaults(void) {
    nn_adamw_config config = {
        .beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-8f, .weight_decay = 0.0f,
        .decay_all = false, .max_grad_norm = 1.0f,
    };
    return config;
}

/* See nn.h: zeroed moments on the model's backend, bound to this model (nn_adamw_check). */
int nn_adamw_create(nn_adamw *optimizer, const gpt_model *model, const nn_adamw_config *config,
                    rlhf_error *error) {
    memset(optimizer, 0, sizeof *optimizer);
    optimizer->config = *config;
    optimizer->backend = model->backend;
    optimizer->model = model;
    optimizer->count = model->parameter_count;
    optimizer->m = model->backend->alloc(2 * model->parameter_count * sizeof(float));
    if (!optimizer->m) {
        rlhf_error_set(error, "out of memory for optimizer state (%.1f MiB)",
                       2.0 * model->parameter_count * 4.0 / 1048576.0);
        return -1;
    }
    optimizer->v = optimizer->m + model->parameter_count;
    return 0;
}

void nn_adamw_destroy(nn_adamw *optimizer) {
    if (optimizer->backend && optimizer->m) optimizer->backend->free(optimizer->m);
    memset(optimizer, 0, sizeof *optimizer);
}

/* sqrt of the sum of squared gradients over the whole gradient arena (reserved for training). */
float gpt_grad_norm(const gpt_model *model) {
    return (float)sqrt(model->backend->sum_squares(model->gradients, model->parameter_count));
}

/* See nn.h: the same model object with as many parameters, and moments allocated. */
int nn_adamw_check(const nn_adamw *optimizer, const gpt_model *model, rlhf_error *error) {
    if (optimizer->model == model && optimizer->count == model->parameter_count && optimizer->m) return 0;
    rlhf_error_set(error, "the optimizer was created for another model (%zu parameters) than the one it is asked to "
                          "update (%zu parameters)", optimizer->count, model->parameter_count);
    return -1;
}

/* See nn.h. Clipping scales the gradient by max_grad_norm / (norm + 1e-6) when the norm
 * exceeds it; step counts from 1 in the bias corrections 1 - beta^step. */
float nn_adamw_step(nn_adamw *optimizer, gpt_model *model, float learning_rate) {
    if (nn_adamw_check(optimizer, model, NULL) != 0) return NAN;
    const nn_adamw_config *c = &optimizer->config;
    float norm = gpt_grad_norm(model);
    float grad_scale = 1.0f;
    if (c->max_grad_norm > 0.0f && norm > c->max_grad_norm) grad_scale = c->max_grad_norm / (norm + 1e-6f);
    optimizer->step++;
    float bias_correction1 = 1.0f - powf(c->beta1, (float)optimizer->step);
    float bias_correction2 = 1.0f - powf(c->beta2, (float)optimizer->step);
    /* One call per tensor, so each gets its own weight decay (none for biases, LayerNorm
     * and embeddings unless decay_all). */
    for (int i = 0; i < model->tensor_count; i++) {
        const gpt_tensor *t = &model->tensors[i];
        float decay = (t->decay || c->decay_all) ? c->weight_decay : 0.0f;
        model->backend->adamw_update(model->parameters + t->offset, model->gradients + t->offset,
                                     optimizer->m + t->offset, optimizer->v + t->offset, t->count,
                                     learning_rate, c->beta1, c->beta2, c->epsilon, decay,
                                     bias_correction1, bias_correction2, grad_scale);
    }
    return norm;
}

/* See nn.h: the schedule named text, or -1 naming the three known. */
int nn_lr_kind_parse(const char *text, nn_lr_kind *kind, rlhf_error *error) {
    if (strcmp(text, "constant") == 0) *kind = NN_LR_CONSTANT;
    else if (strcmp(text, "linear") == 0) *kind = NN_LR_LINEAR;
    else if (strcmp(text, "cosine") == 0) *kind = NN_LR_COSINE;
    else {
        rlhf_error_set(error, "unknown learning-rate schedule '%s' (constant, linear, cosine)", text);
        return -1;
    }
    return 0;
}

/* See nn.h: warm-up (step + 1) / warmup_steps * peak, then peak, or a linear or cosine
 * decay to final_fraction * peak over the steps after warm-up (held there past total_steps). */
float nn_lr_at(const nn_lr_schedule *schedule, int step) {
    float peak = schedule->peak;
    if (step < schedule->warmup_steps) return peak * (float)(step + 1) / (float)schedule->warmup_steps;
    if (schedule->kind == NN_LR_CONSTANT) return peak;
    int decay_steps = schedule->total_steps - schedule->warmup_steps;
    if (decay_steps <= 0) return peak;
    float progress = (float)(step - schedule->warmup_steps) / (float)decay_steps;
    if (progress > 1.0f) progress = 1.0f;
    float floor = peak * schedule->final_fraction;
    float shape = schedule->kind == NN_LR_LINEAR ? 1.0f - progress
                                                 : 0.5f * (1.0f + cosf(3.14159265358979f * progress));
    return floor + (peak - floor) * shape;
}
