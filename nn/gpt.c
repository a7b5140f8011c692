/* The GPT-2 model: parameter table, arenas, forward and backward.
 *
 * Layout follows Hugging Face's GPT-2 exactly (tensor names, Conv1D [in, out] weights), so
 * model directories move between this engine and transformers unchanged. As in llm.c, each
 * layer's forward and backward sit side by side, all parameters live in one arena, all
 * activations in another, and the code here only does pointer arithmetic and backend calls:
 * tensor memory may be on a GPU. Generation with a KV cache is in nn/gpt_cached.c. */
#include "rlhf/nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/gpt_internal.h"

/* ------------------------------------------------------------------ configs */

/* See nn.h: zeroes config and fills a named size; unset token ids are -1. */
int gpt_config_named(gpt_config *config, const char *name, rlhf_error *error) {
    memset(config, 0, sizeof *config);
    config->layer_norm_epsilon = 1e-5f;
    config->bos_token_id = config->eos_token_id = config->pad_token_id = -1;
    if (strcmp(name, "tiny") == 0) {
        /* ~1.9M parameters: trains in seconds on two cores. */
        config->vocab_size = 8192;
        config->n_positions = 256;
        config->n_embd = 128;
        config->n_layer = 4;
        config->n_head = 4;
    } else if (strcmp(name, "gpt2") == 0) {
        /* GPT-2 small, 124M parameters. */
        config->vocab_size = 50257;
        config->n_positions = 1024;
        config->n_embd = 768;
        config->n_layer = 12;
        config->n_head = 12;
        config->bos_token_id = config->eos_token_id = 50256;
    } else {
        rlhf_error_set(error, "unknown model config '%s' (known: tiny, gpt2)", name);
        return -1;
    }
    return 0;
}

/* See nn.h. Also: layer_norm_epsilon > 0 and every dropout probability in [0, 1). */
int gpt_config_validate(const gpt_config *config, rlhf_error *error) {
    if (config->vocab_size <= 0 || config->n_positions <= 0 || config->n_embd <= 0 ||
        config->n_layer <= 0 || config->n_head <= 0) {
        rlhf_error_set(error, "vocab_size, n_positions, n_embd, n_layer and n_head must be positive");
        return -1;
    }
    if (config->n_embd % config->n_head != 0) {
        rlhf_error_set(error, "n_embd (%d) must be divisible by n_head (%d)", config->n_embd,
                       config->n_head);
        return -1;
    }
    if (!(config->layer_norm_epsilon > 0.0f)) {
        rlhf_error_set(error, "layer_norm_epsilon must be positive");
        return -1;
    }
    const float drops[3] = {config->embd_pdrop, config->resid_pdrop, config->attn_pdrop};
    for (int i = 0; i < 3; i++)
        if (!(drops[i] >= 0.0f && drops[i] < 1.0f)) {
            rlhf_error_set(error, "dropout probabilities must be in [0, 1)");
            return -1;
        }
    return 0;
}

/* ------------------------------------------------------------------ parameter table */

/* Appends one tensor to the table and advances the running offset. */
static void add_tensor(gpt_tensor *table, int *count, size_t *offset, const char *name, int rows,
                       int cols, bool decay) {
    gpt_tensor *t = &table[(*count)++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = cols > 0 ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols > 0 ? cols : 0;
    t->count = (size_t)rows * (size_t)(cols > 0 ? cols : 1);
    t->offset = *offset;
    t->decay = decay;
    *offset += t->count;
}

/* Builds the table in Hugging Face order: wte, wpe, h.N.*, ln_f, score. */
static void build_tensor_table(gpt_model *model) {
    const gpt_config *c = &model->config;
    int C = c->n_embd;
    size_t offset = 0;
    int count = 0;
    gpt_tensor *table = model->tensors;
    add_tensor(table, &count, &offset, "wte.weight", c->vocab_size, C, false);
    add_tensor(table, &count, &offset, "wpe.weight", c->n_positions, C, false);
    char name[48];
    for (int l = 0; l < c->n_layer; l++) {
#define LAYER_TENSOR(suffix, rows, cols, decay)                 \
        snprintf(name, sizeof name, "h.%d." suffix, l);         \
        add_tensor(table, &count, &offset, name, rows, cols, decay)
        LAYER_TENSOR("ln_1.weight", C, 0, false);
        LAYER_TENSOR("ln_1.bias", C, 0, false);
        LAYER_TENSOR("attn.c_attn.weight", C, 3 * C, true);
        LAYER_TENSOR("attn.c_attn.bias", 3 * C, 0, false);
        LAYER_TENSOR("attn.c_proj.weight", C, C, true);
        LAYER_TENSOR("attn.c_proj.bias", C, 0, false);
        LAYER_TENSOR("ln_2.weight", C, 0, false);
        LAYER_TENSOR("ln_2.bias", C, 0, false);
        LAYER_TENSOR("mlp.c_fc.weight", C, 4 * C, true);
        LAYER_TENSOR("mlp.c_fc.bias", 4 * C, 0, false);
        LAYER_TENSOR("mlp.c_proj.weight", 4 * C, C, true);
        LAYER_TENSOR("mlp.c_proj.bias", C, 0, false);
#undef LAYER_TENSOR
    }
    add_tensor(table, &count, &offset, "ln_f.weight", C, 0, false);
    add_tensor(table, &count, &offset, "ln_f.bias", C, 0, false);
    if (c->has_score_head) add_tensor(table, &count, &offset, "score.weight", 1, C, true);
    model->tensor_count = count;
    model->parameter_count = offset;
}

/* Points every field of tensors at its place in arena, following the table's order. */
static void bind_tensors(const gpt_model *model, float *arena, gpt_tensors *tensors) {
    const gpt_tensor *t = model->tensors;
    int i = 0;
    tensors->wte = arena + t[i++].offset;
    tensors->wpe = arena + t[i++].offset;
    for (int l = 0; l < model->config.n_layer; l++) {
        gpt_layer_tensors *layer = &tensors->layers[l];
        float **fields[12] = {
            &layer->ln_1_weight, &layer->ln_1_bias, &layer->attn_c_attn_weight,
            &layer->attn_c_attn_bias, &layer->attn_c_proj_weight, &layer->attn_c_proj_bias,
            &layer->ln_2_weight, &layer->ln_2_bias, &layer->mlp_c_fc_weight,
            &layer->mlp_c_fc_bias, &layer->mlp_c_proj_weight, &layer->mlp_c_proj_bias};
        for (int f = 0; f < 12; f++) *fields[f] = arena + t[i++].offset;
    }
    tensors->ln_f_weight = arena + t[i++].offset;
    tensors->ln_f_bias = arena + t[i++].offset;
    tensors->score_weight = model->config.has_score_head ? arena + t[i++].offset : NULL;
}

/* See nn.h: the parameter table and a zeroed parameter arena on backend; no activations or
 * gradients until gpt_reserve. On failure model is left empty (safe to destroy). */
int gpt_create(gpt_model *model, const gpt_config *config, const nn_backend *backend,
               rlhf_error *error) {
    memset(model, 0, sizeof *model);
    if (gpt_config_validate(config, error) != 0) return -1;
    model->config = *config;
    model->backend = backend;
    int max_tensors = 4 + 12 * config->n_layer + 1;
    model->tensors = calloc((size_t)max_tensors, sizeof *model->tensors);
    model->params.layers = calloc((size_t)config->n_layer, sizeof(gpt_layer_tensors));
    model->grads.layers = calloc((size_t)config->n_layer, sizeof(gpt_layer_tensors));
    model->acts.layers = calloc((size_t)config->n_layer, sizeof(gpt_layer_activations));
    if (!model->tensors || !model->params.layers || !model->grads.layers || !model->acts.layers) {
        rlhf_error_set(error, "out of memory creating the model");
        gpt_destroy(model);
        return -1;
    }
    build_tensor_table(model);
    model->parameters = backend->alloc(model->parameter_count * sizeof(float));
    if (!model->parameters) {
        rlhf_error_set(error, "out of memory: %zu parameters (%.1f MiB)", model->parameter_count,
                       model->parameter_count * 4.0 / 1048576.0);
        gpt_destroy(model);
        return -1;
    }
    bind_tensors(model, model->parameters, &model->params);
    model->temperature = 1.0f;
    return 0;
}

/* Frees every arena and table of model and empties it; safe on an empty model. */
void gpt_destroy(gpt_model *model) {
    if (model->backend) {
        if (model->parameters) model->backend->free(model->parameters);
        if (model->gradients) model->backend->free(model->gradients);
        if (model->activation_arena) model->backend->free(model->activation_arena);
        if (model->scored_logits) model->backend->free(model->scored_logits);
    }
    free(model->tensors);
    free(model->params.layers);
    free(model->grads.layers);
    free(model->acts.layers);
    memset(model, 0, sizeof *model);
}

/* See nn.h. The parameters move to a new arena one tensor longer (score.weight last); on
 * failure the model is unchanged. */
int gpt_add_score_head(gpt_model *model, uint64_t seed, rlhf_error *error) {
    if (model->config.has_score_head) return 0;
    if (model->gradients) {
        rlhf_error_set(error, "add the scalar head before reserving for training");
        return -1;
    }
    const nn_backend *backend = model->backend;
    size_t old_count = model->parameter_count;
    model->config.has_score_head = true;
    build_tensor_table(model); /* score.weight is appended after every existing tensor */
    float *arena = backend->alloc(model->parameter_count * sizeof(float));
    float *host = malloc(model->parameter_count * sizeof(float));
    if (!arena || !host) {
        if (arena) backend->free(arena);
        free(host);
        model->config.has_score_head = false;
        build_tensor_table(model);
        rlhf_error_set(error, "out of memory adding a scalar head");
        return -1;
    }
    backend->download(host, model->parameters, old_count * sizeof(float));
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed);
    float std = 1.0f / sqrtf(model->config.n_embd + 1.0f);
    for (size_t i = old_count; i < model->parameter_count; i++) host[i] = std * (float)rlhf_rng_normal(&rng);
    backend->upload(arena, host, model->parameter_count * sizeof(float));
    free(host);
    backend->free(model->parameters);
    model->parameters = arena;
    bind_tensors(model, model->parameters, &model->params);
    return 0;
}

/* See nn.h. The draws follow the table's order, so a seed gives the same weights on every
 * backend. -1 (parameters unchanged) when the host has no memory for a staging copy. */
int gpt_init_random(gpt_model *model, uint64_t seed, rlhf_error *error) {
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed);
    float *host = calloc(model->parameter_count, sizeof(float));
    if (!host) {
        rlhf_error_set(error, "out of memory initialising a model of %zu parameters", model->parameter_count);
        return -1;
    }
    float projection_std = 0.02f / sqrtf(2.0f * model->config.n_layer);
    for (int i = 0; i < model->tensor_count; i++) {
        const gpt_tensor *t = &model->tensors[i];
        float *p = host + t->offset;
        const char *name = t->name;
        size_t length = strlen(name);
        bool is_layernorm_weight = strstr(name, "ln_") && strcmp(name + length - 6, "weight") == 0;
        if (is_layernorm_weight) {
            for (size_t k = 0; k < t->count; k++) p[k] = 1.0f;
        } else if (t->ndim == 1) {
            /* biases start at zero (already) */
        } else {
            float std = 0.02f;
            if (strstr(name, "c_proj.weight")) std = projection_std;
            if (strcmp(name, "score.weight") == 0) std = 1.0f / sqrtf(model->config.n_embd + 1.0f);
            for (size_t k = 0; k < t->count; k++) p[k] = std * (float)rlhf_rng_normal(&rng);
        }
    }
    gpt_write_parameters(model, host);
    free(host);
    return 0;
}

/* ------------------------------------------------------------------ activations */

/* Lays out (or, with arena NULL, just sizes) the activation arena for at most B rows, N
 * positions and `cells` attention cells per head. Returns the number of floats needed.
 * Ints share the arena (same 4-byte size). */
static size_t layout_activations(gpt_model *model, float *arena, int B, size_t N, size_t cells, bool training) {
    const gpt_config *c = &model->config;
    size_t C = c->n_embd, V = c->vocab_size;
    size_t attention = cells * (size_t)c->n_head;
    size_t used = 0;
    gpt_activations *a = &model->acts;
#define TAKE(field, n) do { field = arena ? arena + used : NULL; used += ((n) + 15) & ~(size_t)15; } while (0)
#define TAKE_INT(field, n) do { field = arena ? (int *)(arena + used) : NULL; used += ((n) + 15) & ~(size_t)15; } while (0)
    TAKE(a->encoded, N * C);
    for (int l = 0; l < c->n_layer; l++) {
        gpt_layer_activations *la = &a->layers[l];
        TAKE(la->ln_1, N * C);
        TAKE(la->ln_1_mean, N);
        TAKE(la->ln_1_rstd, N);
        TAKE(la->qkv, N * 3 * C);
        TAKE(la->attn_probs, attention);
        TAKE(la->attn_out, N * C);
        TAKE(la->attn_proj, N * C);
        TAKE(la->residual_2, N * C);
        TAKE(la->ln_2, N * C);
        TAKE(la->ln_2_mean, N);
        TAKE(la->ln_2_rstd, N);
        TAKE(la->fc, N * 4 * C);
        TAKE(la->fc_gelu, N * 4 * C);
        TAKE(la->mlp_proj, N * C);
        TAKE(la->residual_3, N * C);
    }
    TAKE(a->ln_f, N * C);
    TAKE(a->ln_f_mean, N);
    TAKE(a->ln_f_rstd, N);
    /* a reward or value model rarely runs its LM head, and at GPT-2's vocabulary N x V
     * logits are most of the arena: for it they wait for gpt_ensure_logits */
    if (c->has_score_head) a->logits = NULL;
    else TAKE(a->logits, N * V);
    TAKE(a->logprobs, N);
    TAKE(a->entropies, N);
    TAKE(a->values, N);
    TAKE(a->last_hidden, (size_t)B * C);
    TAKE_INT(a->rows, (size_t)B);
    if (training) {
        TAKE(a->d_residual, N * C);
        TAKE(a->d_branch, N * C);
        TAKE(a->d_ln, N * C);
        TAKE(a->d_qkv, N * 3 * C);
        TAKE(a->d_fc, N * 4 * C);
        TAKE(a->d_fc_gelu, N * 4 * C);
        TAKE(a->d_attn_scratch, attention);
        TAKE(a->d_logprobs, N);
        TAKE(a->d_values, N);
    } else {
        a->d_residual = a->d_branch = a->d_ln = a->d_qkv = a->d_fc = a->d_fc_gelu = NULL;
        a->d_attn_scratch = a->d_logprobs = a->d_values = NULL;
    }
    TAKE_INT(a->tokens, N);
    TAKE_INT(a->positions, N);
    TAKE_INT(a->targets, N);
    TAKE_INT(a->key_mask, N);
#undef TAKE
#undef TAKE_INT
    return used;
}

/* See nn.h. Gradients are allocated once, at the first training reserve; the activation
 * arena is reallocated (its contents lost) only when the request does not fit. */
int gpt_reserve(gpt_model *model, int max_batch, int max_seq_len, bool training,
                rlhf_error *error) {
    const nn_backend *backend = model->backend;
    if (max_batch <= 0 || max_seq_len <= 0) {
        rlhf_error_set(error, "batch size and sequence length must be positive");
        return -1;
    }
    if (max_seq_len > model->config.n_positions) {
        rlhf_error_set(error, "sequence length %d exceeds the model's n_positions %d", max_seq_len,
                       model->config.n_positions);
        return -1;
    }
    if (training && !model->gradients) {
        model->gradients = backend->alloc(model->parameter_count * sizeof(float));
        if (!model->gradients) {
            rlhf_error_set(error, "out of memory for gradients (%.1f MiB)",
                           model->parameter_count * 4.0 / 1048576.0);
            return -1;
        }
        bind_tensors(model, model->gradients, &model->grads);
    }
    bool want_training = training || model->reserved_for_training;
    size_t tokens = (size_t)max_batch * (size_t)max_seq_len, cells = tokens * (size_t)max_seq_len;
    if (model->activation_arena && max_batch <= model->max_batch && tokens <= model->max_tokens &&
        cells <= model->max_attention && want_training == model->reserved_for_training)
        return 0;
    if (model->activation_arena) {
        /* grow to cover both the old and the new request */
        if (model->max_batch > max_batch) max_batch = model->max_batch;
        if (model->max_tokens > tokens) tokens = model->max_tokens;
        if (model->max_attention > cells) cells = model->max_attention;
        backend->free(model->activation_arena);
        model->activation_arena = NULL;
        if (model->scored_logits) backend->free(model->scored_logits);
        model->scored_logits = NULL;
    }
    size_t floats = layout_activations(model, NULL, max_batch, tokens, cells, want_training);
    model->activation_arena = backend->alloc(floats * sizeof(float));
    if (!model->activation_arena) {
        rlhf_error_set(error, "out of memory for activations: %.1f MiB for batch %d x %d",
                       floats * 4.0 / 1048576.0, max_batch, max_seq_len);
        return -1;
    }
    layout_activations(model, model->activation_arena, max_batch, tokens, cells, want_training);
    model->activation_bytes = floats * sizeof(float);
    model->max_batch = max_batch;
    model->max_tokens = tokens;
    model->max_attention = cells;
    model->reserved_for_training = want_training;
    return 0;
}

/* See nn/gpt_internal.h. */
bool gpt_batch_fits(const gpt_model *model, int B, int T) {
    size_t tokens = (size_t)B * (size_t)T;
    return model->activation_arena && B <= model->max_batch && tokens <= model->max_tokens &&
           tokens * (size_t)T <= model->max_attention;
}

/* See nn/gpt_internal.h. */
int gpt_ensure_logits(gpt_model *model, rlhf_error *error) {
    if (model->acts.logits) return 0;
    size_t bytes = sizeof(float) * model->max_tokens * model->config.vocab_size;
    model->scored_logits = model->backend->alloc(bytes);
    if (!model->scored_logits) {
        rlhf_error_set(error, "out of memory for logits: %.1f MiB", bytes / 1048576.0);
        return -1;
    }
    model->acts.logits = model->scored_logits;
    model->activation_bytes += bytes;
    return 0;
}

/* See nn.h: bytes held now by the parameter, gradient and activation arenas. */
gpt_memory gpt_memory_use(const gpt_model *model) {
    gpt_memory memory = {
        .parameters = model->parameter_count * sizeof(float),
        .gradients = model->gradients ? model->parameter_count * sizeof(float) : 0,
        .activations = model->activation_bytes,
    };
    return memory;
}

/* ------------------------------------------------------------------ tensor access */

/* The table entry named name (Hugging Face name, no "transformer." prefix), or NULL. */
const gpt_tensor *gpt_find_tensor(const gpt_model *model, const char *name) {
    for (int i = 0; i < model->tensor_count; i++)
        if (strcmp(model->tensors[i].name, name) == 0) return &model->tensors[i];
    return NULL;
}

/* Copies tensor (its parameters, or its gradients when gradient) into host[tensor->count]. */
void gpt_read_tensor(const gpt_model *model, const gpt_tensor *tensor, float *host, bool gradient) {
    const float *arena = gradient ? model->gradients : model->parameters;
    model->backend->download(host, arena + tensor->offset, tensor->count * sizeof(float));
}

/* Copies host[tensor->count] into tensor's parameters. */
void gpt_write_tensor(gpt_model *model, const gpt_tensor *tensor, const float *host) {
    model->backend->upload(model->parameters + tensor->offset, host, tensor->count * sizeof(float));
}

/* Copies the whole parameter (or gradient) arena into host[parameter_count]. */
void gpt_read_parameters(const gpt_model *model, float *host, bool gradient) {
    const float *arena = gradient ? model->gradients : model->parameters;
    model->backend->download(host, arena, model->parameter_count * sizeof(float));
}

/* Copies host[parameter_count] over the whole parameter arena. */
void gpt_write_parameters(gpt_model *model, const float *host) {
    model->backend->upload(model->parameters, host, model->parameter_count * sizeof(float));
}

/* ------------------------------------------------------------------ batches */

/* See nn.h: cumsum(mask) - 1 at real tokens, 1 at padding (a NULL mask is all real). */
void gpt_position_ids(const int *attention_mask, int B, int T, int *positions) {
    for (int b = 0; b < B; b++) {
        int seen = 0;
        for (int t = 0; t < T; t++) {
            int real = attention_mask ? attention_mask[b * T + t] != 0 : 1;
            seen += real;
            positions[b * T + t] = real ? seen - 1 : 1;
        }
    }
}

/* See nn.h: the last t with mask 1 in each row (T - 1 for a NULL mask), -1 for none. */
void gpt_last_token_index(const int *attention_mask, int B, int T, int *last_index) {
    for (int b = 0; b < B; b++) {
        last_index[b] = -1;
        for (int t = T - 1; t >= 0; t--)
            if (!attention_mask || attention_mask[b * T + t]) {
                last_index[b] = t;
                break;
            }
    }
}

/* See nn.h: 6N for the matmuls forward and backward plus 6 L C T for attention. */
double gpt_training_flops_per_token(const gpt_config *config, size_t parameter_count, int seq_len) {
    return 6.0 * (double)parameter_count +
           6.0 * config->n_layer * (double)config->n_embd * (double)seq_len;
}

/* Dropout seeds: one stream per forward, separate per site, so backward can regenerate
 * the same masks. */
static uint64_t dropout_site_seed(const gpt_model *model, int layer, int site) {
    return model->dropout_seed * 1000003ULL + (uint64_t)layer * 16 + (uint64_t)site;
}

/* ------------------------------------------------------------------ forward */

/* See nn/gpt_internal.h. */
void gpt_residual_then_next_layernorm(gpt_model *model, int l, float *sum, const float *a, const float *b, int N,
                                      gpt_layer_activations *next) {
    const gpt_config *c = &model->config;
    gpt_activations *acts = &model->acts;
    const gpt_tensors *p = &model->params;
    if (l + 1 < c->n_layer)
        model->backend->residual_layernorm_forward(sum, next->ln_1, next->ln_1_mean, next->ln_1_rstd, a, b,
                                                   p->layers[l + 1].ln_1_weight, p->layers[l + 1].ln_1_bias, N,
                                                   c->n_embd, c->layer_norm_epsilon);
    else
        model->backend->residual_layernorm_forward(sum, acts->ln_f, acts->ln_f_mean, acts->ln_f_rstd, a, b,
                                                   p->ln_f_weight, p->ln_f_bias, N, c->n_embd,
                                                   c->layer_norm_epsilon);
}

/* See nn.h. Validates the batch (token ids in the vocabulary where the mask is 1, targets
 * below V) before any op runs, then runs embedding, the layers and the heads that were asked
 * for; keeps what backward needs. -1 with error set on a bad batch or a failed op. */
int gpt_forward(gpt_model *model, const gpt_batch *batch, gpt_outputs *outputs, rlhf_error *error) {
    const nn_backend *be = model->backend;
    const gpt_config *c = &model->config;
    int B = batch->batch_size, T = batch->seq_len, C = c->n_embd, V = c->vocab_size;
    int NH = c->n_head, L = c->n_layer;
    size_t N = (size_t)B * T;
    if (B <= 0 || T <= 0) {
        rlhf_error_set(error, "empty batch (%d x %d)", B, T);
        return -1;
    }
    if (!gpt_batch_fits(model, B, T)) {
        rlhf_error_set(error, "batch %d x %d exceeds the reserved %d rows and %zu positions", B, T, model->max_batch,
                       model->max_tokens);
        return -1;
    }
    if (batch->want_values && !c->has_score_head) {
        rlhf_error_set(error, "the model has no scalar head (score.weight)");
        return -1;
    }
    if ((batch->targets || batch->want_logits) && gpt_ensure_logits(model, error) != 0) return -1;
    /* Validate and stage the integer inputs on the host, then upload them in one go each. */
    int *host = calloc(N * 4, sizeof(int));
    if (!host) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    int *tokens = host, *positions = host + N, *targets = host + 2 * N, *key_mask = host + 3 * N;
    int target_count = 0;
    for (size_t n = 0; n < N; n++) {
        int token = batch->tokens[n];
        key_mask[n] = batch->attention_mask ? batch->attention_mask[n] != 0 : 1;
        if (token < 0 || token >= V) {
            if (key_mask[n]) {
                rlhf_error_set(error, "token id %d at batch row %zu, position %zu is outside the vocabulary of %d",
                               token, n / T, n % T, V);
                free(host);
                return -1;
            }
            token = 0; /* padding may carry any id; the model never looks at it */
        }
        tokens[n] = token;
        int target = batch->targets ? batch->targets[n] : -1;
        if (target >= V) {
            rlhf_error_set(error, "target id %d at batch row %zu, position %zu is outside the vocabulary of %d",
                           target, n / T, n % T, V);
            free(host);
            return -1;
        }
        targets[n] = target < 0 ? -1 : target;
        target_count += target >= 0;
    }
    gpt_position_ids(key_mask, B, T, positions);
    for (size_t n = 0; n < N; n++)
        if (positions[n] >= c->n_positions) positions[n] = c->n_positions - 1;
    gpt_activations *a = &model->acts;
    be->upload(a->tokens, tokens, sizeof(int) * N);
    be->upload(a->positions, positions, sizeof(int) * N);
    be->upload(a->targets, targets, sizeof(int) * N);
    be->upload(a->key_mask, key_mask, sizeof(int) * N);
    free(host);
    gpt_backend_check(be, NULL); /* a failure left over from a direct op call is not this pass's */

    model->batch_size = B;
    model->seq_len = T;
    model->target_count = target_count;
    model->temperature = batch->temperature > 0.0f ? batch->temperature : 1.0f;
    model->dropout_seed = ++model->forward_count;
    bool dropout = model->training;
    const gpt_tensors *p = &model->params;

    be->embedding_forward(a->encoded, a->tokens, a->positions, p->wte, p->wpe, (int)N, C);
    if (dropout) be->dropout(a->encoded, N * C, c->embd_pdrop, dropout_site_seed(model, L, 0));
    /* Each residual add is fused with the LayerNorm that reads it (residual_layernorm_forward):
     * ln_2 of the same layer, then ln_1 of the next layer (ln_f after the last); only the
     * first ln_1 stands alone. */
    const float *residual = a->encoded; /* n_layer >= 1: gpt_config_validate */
    be->layernorm_forward(a->layers[0].ln_1, a->layers[0].ln_1_mean, a->layers[0].ln_1_rstd, residual,
                          p->layers[0].ln_1_weight, p->layers[0].ln_1_bias, (int)N, C, c->layer_norm_epsilon);
    for (int l = 0; l < L; l++) {
        const gpt_layer_tensors *w = &p->layers[l];
        gpt_layer_activations *la = &a->layers[l];
        be->matmul_forward(la->qkv, la->ln_1, w->attn_c_attn_weight, w->attn_c_attn_bias, (int)N, C,
                           3 * C, NN_WEIGHT_IN_OUT);
        be->attention_forward(la->attn_out, la->attn_probs, la->qkv, a->key_mask, B, T, C, NH,
                              dropout ? c->attn_pdrop : 0.0f, dropout_site_seed(model, l, 3));
        be->matmul_forward(la->attn_proj, la->attn_out, w->attn_c_proj_weight, w->attn_c_proj_bias,
                           (int)N, C, C, NN_WEIGHT_IN_OUT);
        if (dropout) be->dropout(la->attn_proj, N * C, c->resid_pdrop, dropout_site_seed(model, l, 1));
        be->residual_layernorm_forward(la->residual_2, la->ln_2, la->ln_2_mean, la->ln_2_rstd, residual,
                                       la->attn_proj, w->ln_2_weight, w->ln_2_bias, (int)N, C,
                                       c->layer_norm_epsilon);
        be->matmul_forward(la->fc, la->ln_2, w->mlp_c_fc_weight, w->mlp_c_fc_bias, (int)N, C, 4 * C,
                           NN_WEIGHT_IN_OUT);
        be->gelu_forward(la->fc_gelu, la->fc, N * 4 * C);
        be->matmul_forward(la->mlp_proj, la->fc_gelu, w->mlp_c_proj_weight, w->mlp_c_proj_bias,
                           (int)N, 4 * C, C, NN_WEIGHT_IN_OUT);
        if (dropout) be->dropout(la->mlp_proj, N * C, c->resid_pdrop, dropout_site_seed(model, l, 2));
        gpt_residual_then_next_layernorm(model, l, la->residual_3, la->residual_2, la->mlp_proj, (int)N,
                                         &a->layers[l + 1 < L ? l + 1 : l]);
        residual = la->residual_3;
    }
    if (gpt_backend_check(be, error) != 0) {
        model->have_logits = model->have_values = false; /* nothing of this pass may be used */
        return -1;
    }

    /* Heads: the LM head (tied to wte) only when logits or log-probs are wanted, since at
     * a large vocabulary it is the most expensive matmul. */
    model->have_logits = batch->targets != NULL || batch->want_logits;
    model->have_values = batch->want_values;
    float loss = 0.0f;
    if (model->have_logits) {
        be->matmul_forward(a->logits, a->ln_f, p->wte, NULL, (int)N, C, V, NN_WEIGHT_OUT_IN);
        be->target_logprobs(a->logprobs, a->logits, a->targets, (int)N, V, model->temperature);
        float *logprobs = malloc(sizeof(float) * N);
        if (!logprobs) {
            rlhf_error_set(error, "out of memory");
            return -1;
        }
        be->download(logprobs, a->logprobs, sizeof(float) * N);
        double sum = 0.0;
        for (size_t n = 0; n < N; n++) sum += logprobs[n];
        loss = target_count > 0 ? (float)(-sum / target_count) : 0.0f;
        if (outputs && outputs->target_logprobs) memcpy(outputs->target_logprobs, logprobs, sizeof(float) * N);
        free(logprobs);
        if (outputs && outputs->target_entropies && batch->targets) {
            be->target_entropies(a->entropies, a->logits, a->targets, (int)N, V, model->temperature);
            be->download(outputs->target_entropies, a->entropies, sizeof(float) * N);
        }
    }
    if (model->have_values) {
        be->matmul_forward(a->values, a->ln_f, p->score_weight, NULL, (int)N, C, 1, NN_WEIGHT_OUT_IN);
        if (outputs && (outputs->values || outputs->last_values)) {
            float *values = malloc(sizeof(float) * N);
            int *last = malloc(sizeof(int) * B);
            if (!values || !last) {
                free(values);
                free(last);
                rlhf_error_set(error, "out of memory");
                return -1;
            }
            be->download(values, a->values, sizeof(float) * N);
            if (outputs->values) memcpy(outputs->values, values, sizeof(float) * N);
            gpt_last_token_index(batch->attention_mask, B, T, last);
            if (outputs->last_values)
                for (int b = 0; b < B; b++) outputs->last_values[b] = last[b] >= 0 ? values[b * T + last[b]] : 0.0f;
            free(values);
            free(last);
        }
    }
    if (outputs) {
        outputs->loss = loss;
        outputs->target_count = target_count;
        if (outputs->last_index) gpt_last_token_index(batch->attention_mask, B, T, outputs->last_index);
    }
    return 0;
}

/* See nn.h: the [B, T, V] logits of the last gpt_forward that ran the LM head. */
void gpt_copy_logits(const gpt_model *model, float *host) {
    size_t N = (size_t)model->batch_size * model->seq_len;
    model->backend->download(host, model->acts.logits, sizeof(float) * N * model->config.vocab_size);
}

/* ------------------------------------------------------------------ backward */

/* Zeroes the gradient arena (nothing before the first training reserve). */
void gpt_zero_grad(gpt_model *model) {
    if (model->gradients) model->backend->zero(model->gradients, model->parameter_count);
}

/* See nn.h. Backward mirrors gpt_forward layer by layer (llm.c's order), regenerating the
 * dropout masks from the forward's seeds; the logits are overwritten by their gradient, so a
 * second backward needs a new forward. */
int gpt_backward(gpt_model *model, const float *d_logprobs, const float *d_values, rlhf_error *error) {
    const nn_backend *be = model->backend;
    const gpt_config *c = &model->config;
    int B = model->batch_size, T = model->seq_len, C = c->n_embd, V = c->vocab_size;
    int NH = c->n_head, L = c->n_layer;
    size_t N = (size_t)B * T;
    if (!model->reserved_for_training || !model->gradients) {
        rlhf_error_set(error, "backward needs gpt_reserve(..., training = true) first");
        return -1;
    }
    if (d_logprobs && !model->have_logits) {
        rlhf_error_set(error, "backward through log-probs needs a forward with targets");
        return -1;
    }
    if (d_values && !model->have_values) {
        rlhf_error_set(error, "backward through values needs a forward with want_values");
        return -1;
    }
    gpt_activations *a = &model->acts;
    const gpt_tensors *p = &model->params;
    gpt_tensors *g = &model->grads;
    bool dropout = model->training;

    /* Gradient of the objective at the final LayerNorm's output, from both heads. */
    be->zero(a->d_ln, N * C);
    if (d_logprobs) {
        be->upload(a->d_logprobs, d_logprobs, sizeof(float) * N);
        be->target_logprobs_backward(a->logits, a->d_logprobs, a->targets, (int)N, V, model->temperature);
        be->matmul_backward(a->d_ln, g->wte, NULL, a->logits, a->ln_f, p->wte, (int)N, C, V,
                            NN_WEIGHT_OUT_IN);
        model->have_logits = false; /* logits now hold their gradient */
    }
    if (d_values) {
        be->upload(a->d_values, d_values, sizeof(float) * N);
        be->matmul_backward(a->d_ln, g->score_weight, NULL, a->d_values, a->ln_f, p->score_weight,
                            (int)N, C, 1, NN_WEIGHT_OUT_IN);
    }
    const float *last_residual = L > 0 ? a->layers[L - 1].residual_3 : a->encoded;
    be->zero(a->d_residual, N * C);
    be->layernorm_backward(a->d_residual, g->ln_f_weight, g->ln_f_bias, a->d_ln, last_residual,
                           p->ln_f_weight, a->ln_f_mean, a->ln_f_rstd, (int)N, C);

    /* d_residual carries the gradient of the residual stream down through the layers; each
     * branch's gradient is built in scratch and added back into it. */
    for (int l = L - 1; l >= 0; l--) {
        const gpt_layer_tensors *w = &p->layers[l];
        gpt_layer_tensors *gw = &g->layers[l];
        gpt_layer_activations *la = &a->layers[l];
        const float *residual_in = l > 0 ? a->layers[l - 1].residual_3 : a->encoded;

        /* MLP branch: residual_3 = residual_2 + dropout(c_proj(gelu(c_fc(ln_2(residual_2))))) */
        be->copy(a->d_branch, a->d_residual, N * C);
        if (dropout) be->dropout(a->d_branch, N * C, c->resid_pdrop, dropout_site_seed(model, l, 2));
        be->zero(a->d_fc_gelu, N * 4 * C);
        be->matmul_backward(a->d_fc_gelu, gw->mlp_c_proj_weight, gw->mlp_c_proj_bias, a->d_branch,
                            la->fc_gelu, w->mlp_c_proj_weight, (int)N, 4 * C, C, NN_WEIGHT_IN_OUT);
        be->zero(a->d_fc, N * 4 * C);
        be->gelu_backward(a->d_fc, la->fc, a->d_fc_gelu, N * 4 * C);
        be->zero(a->d_ln, N * C);
        be->matmul_backward(a->d_ln, gw->mlp_c_fc_weight, gw->mlp_c_fc_bias, a->d_fc, la->ln_2,
                            w->mlp_c_fc_weight, (int)N, C, 4 * C, NN_WEIGHT_IN_OUT);
        be->layernorm_backward(a->d_residual, gw->ln_2_weight, gw->ln_2_bias, a->d_ln,
                               la->residual_2, w->ln_2_weight, la->ln_2_mean, la->ln_2_rstd, (int)N, C);

        /* Attention branch: residual_2 = residual_in + dropout(c_proj(attn(c_attn(ln_1(residual_in))))) */
        be->copy(a->d_branch, a->d_residual, N * C);
        if (dropout) be->dropout(a->d_branch, N * C, c->resid_pdrop, dropout_site_seed(model, l, 1));
        be->zero(a->d_ln, N * C); /* reused as d(attn_out) */
        be->matmul_backward(a->d_ln, gw->attn_c_proj_weight, gw->attn_c_proj_bias, a->d_branch,
                            la->attn_out, w->attn_c_proj_weight, (int)N, C, C, NN_WEIGHT_IN_OUT);
        be->zero(a->d_qkv, N * 3 * C);
        be->attention_backward(a->d_qkv, a->d_attn_scratch, a->d_ln, la->qkv, la->attn_probs, B, T, C, NH,
                               dropout ? c->attn_pdrop : 0.0f, dropout_site_seed(model, l, 3));
        be->zero(a->d_ln, N * C);
        be->matmul_backward(a->d_ln, gw->attn_c_attn_weight, gw->attn_c_attn_bias, a->d_qkv, la->ln_1,
                            w->attn_c_attn_weight, (int)N, C, 3 * C, NN_WEIGHT_IN_OUT);
        be->layernorm_backward(a->d_residual, gw->ln_1_weight, gw->ln_1_bias, a->d_ln, residual_in,
                               w->ln_1_weight, la->ln_1_mean, la->ln_1_rstd, (int)N, C);
    }
    if (dropout) be->dropout(a->d_residual, N * C, c->embd_pdrop, dropout_site_seed(model, L, 0));
    be->embedding_backward(g->wte, g->wpe, a->d_residual, a->tokens, a->positions, (int)N, C);
    return 0; /* no backward op can fail (take_failure): their scratch is the arena's */
}

/* See nn.h: d loss / d logprob = -1 / target_count at every scored position (loss is
 * the mean of -logprob over them). */
int gpt_backward_loss(gpt_model *model, rlhf_error *error) {
    size_t N = (size_t)model->batch_size * model->seq_len;
    if (model->target_count == 0) {
        rlhf_error_set(error, "the last forward scored no targets");
        return -1;
    }
    float *d_logprobs = malloc(sizeof(float) * N);
    if (!d_logprobs) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    /* loss = -(1/count) sum logprob over scored targets; unscored rows are skipped by the
     * backend whatever their weight. */
    for (size_t n = 0; n < N; n++) d_logprobs[n] = -1.0f / (float)model->target_count;
    int status = gpt_backward(model, d_logprobs, NULL, error);
    free(d_logprobs);
    return status;
}
