/* Generation with a key/value cache: the cache's memory, and a forward pass that runs only
 * the new positions of each sequence on top of the keys and values cached so far, leaving
 * each row's next-token logits for sampling. As nn/gpt.c, it only does pointer arithmetic
 * and backend calls. */
#include "rlhf/nn.h"

#include <stdlib.h>
#include <string.h>

#include "nn/backend.h"
#include "nn/gpt_internal.h"

/* ------------------------------------------------------------------ KV cache */

/* See nn.h: keys and values for batch_size rows of up to max_len <= n_positions positions
 * on the model's backend, empty; -1 with error set (cache left empty) otherwise. */
int gpt_kv_cache_create(gpt_kv_cache *cache, const gpt_model *model, int batch_size, int max_len,
                        rlhf_error *error) {
    memset(cache, 0, sizeof *cache);
    const gpt_config *c = &model->config;
    if (batch_size <= 0 || max_len <= 0) {
        rlhf_error_set(error, "KV cache needs a positive batch size and length");
        return -1;
    }
    if (max_len > c->n_positions) {
        rlhf_error_set(error, "prompt plus new tokens (%d) exceed the model's n_positions %d", max_len, c->n_positions);
        return -1;
    }
    cache->backend = model->backend;
    cache->batch_size = batch_size;
    cache->max_len = max_len;
    cache->n_layer = c->n_layer;
    cache->n_embd = c->n_embd;
    cache->n_head = c->n_head;
    size_t floats = (size_t)c->n_layer * 2, bytes = 0;
    bool fits = rlhf_size_multiply(floats, (size_t)batch_size * (size_t)max_len, &floats) &&
                rlhf_size_multiply(floats, (size_t)c->n_embd, &floats) && rlhf_size_multiply(floats, sizeof(float), &bytes);
    cache->memory = fits ? model->backend->alloc(bytes) : NULL;
    cache->key_mask = model->backend->alloc(sizeof(int) * (size_t)batch_size * max_len);
    cache->host_mask = calloc((size_t)batch_size * max_len, sizeof(int));
    cache->real_count = calloc((size_t)batch_size, sizeof(int));
    if (!cache->memory || !cache->key_mask || !cache->host_mask || !cache->real_count) {
        rlhf_error_set(error, "out of memory for a KV cache of %.1f MiB (batch %d x %d positions)",
                       (double)c->n_layer * 2.0 * batch_size * max_len * c->n_embd * 4.0 / 1048576.0, batch_size, max_len);
        gpt_kv_cache_destroy(cache);
        return -1;
    }
    return 0;
}

/* Frees the cache's memory and empties it; safe on an empty cache. */
void gpt_kv_cache_destroy(gpt_kv_cache *cache) {
    if (cache->backend) {
        if (cache->memory) cache->backend->free(cache->memory);
        if (cache->key_mask) cache->backend->free(cache->key_mask);
    }
    free(cache->host_mask);
    free(cache->real_count);
    memset(cache, 0, sizeof *cache);
}

/* See nn.h: length 0 and no real tokens; the memory is kept (and overwritten as it refills). */
void gpt_kv_cache_reset(gpt_kv_cache *cache) {
    cache->length = 0;
    memset(cache->host_mask, 0, sizeof(int) * (size_t)cache->batch_size * cache->max_len);
    memset(cache->real_count, 0, sizeof(int) * (size_t)cache->batch_size);
}

/* See nn.h. Every layer reuses layer 0's activation buffers (nothing is kept for backward);
 * the cache gains T positions per row only when every op succeeded. */
int gpt_forward_cached(gpt_model *model, gpt_kv_cache *cache, const int *tokens,
                       const int *attention_mask, int T, rlhf_error *error) {
    const nn_backend *be = model->backend;
    const gpt_config *c = &model->config;
    int B = cache->batch_size, C = c->n_embd, V = c->vocab_size, NH = c->n_head, L = c->n_layer;
    int past = cache->length;
    size_t N = (size_t)B * T;
    if (T <= 0 || past + T > cache->max_len) {
        rlhf_error_set(error, "KV cache holds %d of %d positions; %d more do not fit", past, cache->max_len, T);
        return -1;
    }
    if (!gpt_batch_fits(model, B, T)) {
        rlhf_error_set(error, "cached forward of %d x %d exceeds the reserved %d rows and %zu positions", B, T,
                       model->max_batch, model->max_tokens);
        return -1;
    }
    if (gpt_ensure_logits(model, error) != 0) return -1;
    int *host = calloc(N * 2 + (size_t)B, sizeof(int));
    if (!host) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    int *ids = host, *positions = host + N, *rows = host + 2 * N;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            size_t n = (size_t)b * T + t;
            int real = attention_mask ? attention_mask[n] != 0 : 1;
            if (real && (tokens[n] < 0 || tokens[n] >= V)) {
                rlhf_error_set(error, "token id %d at batch row %d is outside the vocabulary of %d", tokens[n], b, V);
                free(host);
                return -1;
            }
            ids[n] = real ? tokens[n] : 0;
            positions[n] = real ? cache->real_count[b] : 1;
            if (positions[n] >= c->n_positions) positions[n] = c->n_positions - 1;
            cache->real_count[b] += real;
            cache->host_mask[(size_t)b * cache->max_len + past + t] = real;
        }
    for (int b = 0; b < B; b++) rows[b] = b * T + T - 1;
    gpt_activations *a = &model->acts;
    be->upload(a->tokens, ids, sizeof(int) * N);
    be->upload(a->positions, positions, sizeof(int) * N);
    be->upload(a->rows, rows, sizeof(int) * B);
    be->upload(cache->key_mask, cache->host_mask, sizeof(int) * (size_t)B * cache->max_len);
    free(host);
    gpt_backend_check(be, NULL); /* a failure left over from a direct op call is not this pass's */

    /* Inference only: every layer reuses layer 0's buffers; the residual stream moves
     * from `encoded` into residual_3 and stays there. */
    const gpt_tensors *p = &model->params;
    gpt_layer_activations *la = &a->layers[0];
    size_t layer_floats = (size_t)2 * B * cache->max_len * C;
    be->embedding_forward(a->encoded, a->tokens, a->positions, p->wte, p->wpe, (int)N, C);
    const float *x = a->encoded;
    /* residual adds fused with the LayerNorm after them, as in gpt_forward (n_layer >= 1) */
    be->layernorm_forward(la->ln_1, la->ln_1_mean, la->ln_1_rstd, x, p->layers[0].ln_1_weight,
                          p->layers[0].ln_1_bias, (int)N, C, c->layer_norm_epsilon);
    for (int l = 0; l < L; l++) {
        const gpt_layer_tensors *w = &p->layers[l];
        float *keys = cache->memory + (size_t)l * layer_floats;
        float *values = keys + layer_floats / 2;
        be->matmul_forward(la->qkv, la->ln_1, w->attn_c_attn_weight, w->attn_c_attn_bias, (int)N, C, 3 * C,
                           NN_WEIGHT_IN_OUT);
        be->attention_cached(la->attn_out, la->qkv, keys, values, cache->key_mask, B, T, past, cache->max_len, C, NH);
        be->matmul_forward(la->attn_proj, la->attn_out, w->attn_c_proj_weight, w->attn_c_proj_bias, (int)N, C, C,
                           NN_WEIGHT_IN_OUT);
        be->residual_layernorm_forward(la->residual_2, la->ln_2, la->ln_2_mean, la->ln_2_rstd, x, la->attn_proj,
                                       w->ln_2_weight, w->ln_2_bias, (int)N, C, c->layer_norm_epsilon);
        be->matmul_forward(la->fc, la->ln_2, w->mlp_c_fc_weight, w->mlp_c_fc_bias, (int)N, C, 4 * C, NN_WEIGHT_IN_OUT);
        be->gelu_forward(la->fc_gelu, la->fc, N * 4 * C);
        be->matmul_forward(la->mlp_proj, la->fc_gelu, w->mlp_c_proj_weight, w->mlp_c_proj_bias, (int)N, 4 * C, C,
                           NN_WEIGHT_IN_OUT);
        /* (every layer uses layer 0's buffers here, so "the next layer's" ln_1 is la's own) */
        gpt_residual_then_next_layernorm(model, l, la->residual_3, la->residual_2, la->mlp_proj, (int)N, la);
        x = la->residual_3;
    }
    /* The LM head only on each row's last new position: B rows, not B x T. */
    be->gather_rows(a->last_hidden, a->ln_f, a->rows, B, C);
    be->matmul_forward(a->logits, a->last_hidden, p->wte, NULL, B, C, V, NN_WEIGHT_OUT_IN);
    if (gpt_backend_check(be, error) != 0) return -1; /* (the cache must be reset: see nn.h) */
    cache->length += T;
    model->have_logits = false; /* acts.logits holds [B, V] next-token logits, not a training forward's */
    return 0;
}

/* See nn.h: [B, V] from the last gpt_forward_cached (B its cache's batch size). */
void gpt_copy_next_logits(const gpt_model *model, int B, float *host) {
    model->backend->download(host, model->acts.logits, sizeof(float) * (size_t)B * model->config.vocab_size);
}

/* See nn.h. uniforms, tokens and log-probs travel through small backend buffers (values,
 * targets and logprobs of the activations, which a cached forward leaves unused). */
int gpt_sample_next(gpt_model *model, int B, const float *uniforms, float temperature, int top_k,
                    float top_p, int *tokens, float *logprobs, rlhf_error *error) {
    const nn_backend *be = model->backend;
    gpt_activations *a = &model->acts;
    gpt_backend_check(be, NULL); /* a failure left over from a direct op call is not this draw's */
    be->upload(a->values, uniforms, sizeof(float) * B);
    be->sample_tokens(a->targets, a->logprobs, a->logits, a->values, B, model->config.vocab_size, temperature,
                      top_k, top_p);
    be->download(tokens, a->targets, sizeof(int) * B);
    be->download(logprobs, a->logprobs, sizeof(float) * B);
    return gpt_backend_check(be, error);
}
