/* Model directories in the Hugging Face GPT-2 layout: config.json + model.safetensors
 * (+ training_state.safetensors for resuming). Loading checks the whole file against the
 * config before anything is kept; saving replaces each file atomically. */
#include "rlhf/nn.h"

#include <errno.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/backend.h"

/* ------------------------------------------------------------------ config.json */

/* Reads an integer field; missing is an error when required, else leaves *out alone. */
static int read_int_field(json_t *root, const char *path, const char *key, int *out, bool required,
                          rlhf_error *error) {
    json_t *value = json_object_get(root, key);
    if (!value || json_is_null(value)) {
        if (required) {
            rlhf_error_set(error, "%s: missing field '%s'", path, key);
            return -1;
        }
        return 0;
    }
    if (!json_is_integer(value)) {
        rlhf_error_set(error, "%s: field '%s' must be an integer", path, key);
        return -1;
    }
    if (json_integer_value(value) < -1 || json_integer_value(value) > 100000000) {
        rlhf_error_set(error, "%s: field '%s' is %lld, outside the range this engine takes (-1 to 100000000)", path, key,
                       (long long)json_integer_value(value));
        return -1;
    }
    *out = (int)json_integer_value(value);
    return 0;
}

/* Reads a number field into a float; a missing or null field leaves *out alone. A number beyond a float's
 * range is refused: it would become infinity, which gpt_config_save cannot write back. */
static int read_float_field(json_t *root, const char *path, const char *key, float *out, rlhf_error *error) {
    json_t *value = json_object_get(root, key);
    if (!value || json_is_null(value)) return 0;
    if (!json_is_number(value)) {
        rlhf_error_set(error, "%s: field '%s' must be a number", path, key);
        return -1;
    }
    double number = json_number_value(value);
    if (!(fabs(number) <= FLT_MAX)) {
        rlhf_error_set(error, "%s: field '%s' is %g, beyond the range of a 32-bit float", path, key, number);
        return -1;
    }
    *out = (float)number;
    return 0;
}

/* Fails if a boolean option this engine does not implement is set to the other value. */
static int require_bool_field(json_t *root, const char *path, const char *key, bool expected,
                              rlhf_error *error) {
    json_t *value = json_object_get(root, key);
    if (!value || json_is_null(value)) return 0;
    if (!json_is_boolean(value) || json_boolean_value(value) != expected) {
        rlhf_error_set(error, "%s: field '%s' must be %s (the other setting is not supported)", path,
                       key, expected ? "true" : "false");
        return -1;
    }
    return 0;
}

/* See nn.h. Refuses options this engine does not implement (another activation, untied
 * embeddings, n_inner other than 4 * n_embd, more than one label) instead of ignoring them. */
int gpt_config_load(gpt_config *config, const char *path, rlhf_error *error) {
    memset(config, 0, sizeof *config);
    config->layer_norm_epsilon = 1e-5f;
    config->bos_token_id = config->eos_token_id = config->pad_token_id = -1;
    json_error_t json_error;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        if (json_error.line > 0) /* a parse error; otherwise the file could not be read at all */
            rlhf_error_set(error, "%s: line %d: %s", path, json_error.line, json_error.text);
        else /* jansson's text names the path: "unable to open PATH: REASON" */
            rlhf_error_set(error, "%s", json_error.text);
        return -1;
    }
    int status = -1;
    if (!json_is_object(root)) {
        rlhf_error_set(error, "%s: not a JSON object", path);
        goto done;
    }
    json_t *model_type = json_object_get(root, "model_type");
    if (model_type && (!json_is_string(model_type) || strcmp(json_string_value(model_type), "gpt2") != 0)) {
        rlhf_error_set(error, "%s: model_type must be \"gpt2\"", path);
        goto done;
    }
    /* n_ctx is the older name of n_positions. */
    config->n_positions = 0;
    if (read_int_field(root, path, "vocab_size", &config->vocab_size, true, error) ||
        read_int_field(root, path, "n_ctx", &config->n_positions, false, error) ||
        read_int_field(root, path, "n_positions", &config->n_positions, config->n_positions == 0, error) ||
        read_int_field(root, path, "n_embd", &config->n_embd, true, error) ||
        read_int_field(root, path, "n_layer", &config->n_layer, true, error) ||
        read_int_field(root, path, "n_head", &config->n_head, true, error) ||
        read_int_field(root, path, "bos_token_id", &config->bos_token_id, false, error) ||
        read_int_field(root, path, "eos_token_id", &config->eos_token_id, false, error) ||
        read_int_field(root, path, "pad_token_id", &config->pad_token_id, false, error) ||
        read_float_field(root, path, "layer_norm_epsilon", &config->layer_norm_epsilon, error) ||
        read_float_field(root, path, "embd_pdrop", &config->embd_pdrop, error) ||
        read_float_field(root, path, "resid_pdrop", &config->resid_pdrop, error) ||
        read_float_field(root, path, "attn_pdrop", &config->attn_pdrop, error) ||
        require_bool_field(root, path, "scale_attn_weights", true, error) ||
        require_bool_field(root, path, "scale_attn_by_inverse_layer_idx", false, error) ||
        require_bool_field(root, path, "reorder_and_upcast_attn", false, error) ||
        require_bool_field(root, path, "tie_word_embeddings", true, error))
        goto done;
    json_t *activation = json_object_get(root, "activation_function");
    if (activation && !json_is_null(activation)) {
        const char *name = json_is_string(activation) ? json_string_value(activation) : "";
        if (strcmp(name, "gelu_new") != 0 && strcmp(name, "gelu_pytorch_tanh") != 0) {
            rlhf_error_set(error, "%s: activation_function '%s' is not supported (gelu_new only)", path, name);
            goto done;
        }
    }
    int n_inner = -1;
    if (read_int_field(root, path, "n_inner", &n_inner, false, error)) goto done;
    if (n_inner != -1 && n_inner != 4 * config->n_embd) {
        rlhf_error_set(error, "%s: n_inner must be 4 * n_embd", path);
        goto done;
    }
    json_t *architectures = json_object_get(root, "architectures");
    size_t index;
    json_t *architecture;
    json_array_foreach(architectures, index, architecture)
        if (json_is_string(architecture) &&
            strcmp(json_string_value(architecture), "GPT2ForSequenceClassification") == 0)
            config->has_score_head = true;
    if (config->has_score_head) {
        int num_labels = 1;
        json_t *id2label = json_object_get(root, "id2label");
        if (read_int_field(root, path, "num_labels", &num_labels, false, error)) goto done;
        if (json_is_object(id2label)) num_labels = (int)json_object_size(id2label);
        if (num_labels != 1) {
            rlhf_error_set(error, "%s: a scalar head needs num_labels 1, not %d", path, num_labels);
            goto done;
        }
    }
    if (gpt_config_validate(config, error) != 0) {
        rlhf_error_prefix(error, "%s", path);
        goto done;
    }
    status = 0;
done:
    json_decref(root);
    return status;
}

/* See nn.h: the keys transformers writes for GPT2LMHeadModel (or, with a scalar head,
 * GPT2ForSequenceClassification), indented, with a final newline, written atomically. */
int gpt_config_save(const gpt_config *config, const char *path, rlhf_error *error) {
    json_t *root = json_object();
    if (!root) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    json_t *architectures = json_array();
    json_array_append_new(architectures, json_string(config->has_score_head ? "GPT2ForSequenceClassification"
                                                                            : "GPT2LMHeadModel"));
    json_object_set_new(root, "architectures", architectures);
    json_object_set_new(root, "model_type", json_string("gpt2"));
    json_object_set_new(root, "vocab_size", json_integer(config->vocab_size));
    json_object_set_new(root, "n_positions", json_integer(config->n_positions));
    json_object_set_new(root, "n_embd", json_integer(config->n_embd));
    json_object_set_new(root, "n_layer", json_integer(config->n_layer));
    json_object_set_new(root, "n_head", json_integer(config->n_head));
    json_object_set_new(root, "n_inner", json_null());
    json_object_set_new(root, "activation_function", json_string("gelu_new"));
    json_object_set_new(root, "layer_norm_epsilon", json_real(config->layer_norm_epsilon));
    json_object_set_new(root, "embd_pdrop", json_real(config->embd_pdrop));
    json_object_set_new(root, "resid_pdrop", json_real(config->resid_pdrop));
    json_object_set_new(root, "attn_pdrop", json_real(config->attn_pdrop));
    json_object_set_new(root, "initializer_range", json_real(0.02));
    json_object_set_new(root, "scale_attn_weights", json_true());
    json_object_set_new(root, "tie_word_embeddings", json_true());
    json_object_set_new(root, "use_cache", json_true());
    /* Unset ids are written as null: transformers would otherwise assume GPT-2's 50256. */
    const char *id_keys[3] = {"bos_token_id", "eos_token_id", "pad_token_id"};
    const int ids[3] = {config->bos_token_id, config->eos_token_id, config->pad_token_id};
    for (int i = 0; i < 3; i++)
        json_object_set_new(root, id_keys[i], ids[i] >= 0 ? json_integer(ids[i]) : json_null());
    if (config->has_score_head) {
        json_object_set_new(root, "num_labels", json_integer(1));
        json_t *id2label = json_object(), *label2id = json_object();
        json_object_set_new(id2label, "0", json_string("LABEL_0"));
        json_object_set_new(label2id, "LABEL_0", json_integer(0));
        json_object_set_new(root, "id2label", id2label);
        json_object_set_new(root, "label2id", label2id);
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    size_t length = text ? strlen(text) : 0;
    if (!text || rlhf_resize(&text, length + 2, 1) != 0) {
        free(text);
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    text[length] = '\n';
    text[length + 1] = '\0';
    int status = rlhf_write_file_atomic(path, text, length + 1, error);
    free(text);
    return status;
}

/* ------------------------------------------------------------------ model.safetensors */

/* Tensors a Hugging Face checkpoint may carry that this engine recomputes or ties. */
static bool is_ignorable_buffer(const char *name) {
    size_t n = strlen(name);
    return (n > 9 && strcmp(name + n - 9, ".attn.bias") == 0) ||
           (n > 16 && strcmp(name + n - 16, ".attn.masked_bias") == 0);
}

/* Strips the "transformer." prefix that GPT2LMHeadModel.save_pretrained writes. */
static const char *canonical_name(const char *name) {
    return strncmp(name, "transformer.", 12) == 0 ? name + 12 : name;
}

/* The tensor of file whose name, without a "transformer." prefix, is name; or NULL. */
static const safetensors_tensor *find_canonical(const safetensors_file *file, const char *name) {
    for (int i = 0; i < file->tensor_count; i++)
        if (strcmp(canonical_name(file->tensors[i].name), name) == 0) return &file->tensors[i];
    return NULL;
}

/* See nn.h: gpt_load_checkpoint after refusing a directory marked unfinished. */
int gpt_load(gpt_model *model, const char *dir, const nn_backend *backend, rlhf_error *error) {
    memset(model, 0, sizeof *model);
    if (nn_run_check_finished(dir, error) != 0) return -1;
    return gpt_load_checkpoint(model, dir, backend, error);
}

/* See nn.h. The model is built as a candidate and handed over only when every tensor of
 * the file is known, every tensor the config implies is there with its shape, every value
 * is finite and an lm_head.weight (if any) equals wte; on failure model stays empty. */
int gpt_load_checkpoint(gpt_model *model, const char *dir, const nn_backend *backend, rlhf_error *error) {
    memset(model, 0, sizeof *model);
    char config_path[4096], weights_path[4096];
    if (rlhf_path_join(config_path, sizeof config_path, dir, "config.json", error) != 0 ||
        rlhf_path_join(weights_path, sizeof weights_path, dir, "model.safetensors", error) != 0)
        return -1;
    gpt_config config;
    if (gpt_config_load(&config, config_path, error) != 0) return -1;
    safetensors_file file;
    if (safetensors_open(&file, weights_path, error) != 0) {
        /* transformers splits a large save into shards with an index beside them (joined
         * only here: a folder whose weights' path fits must load even if the index's does not) */
        char index_path[4096];
        if (access(weights_path, F_OK) != 0 &&
            rlhf_path_join(index_path, sizeof index_path, dir, "model.safetensors.index.json", NULL) == 0 &&
            access(index_path, F_OK) == 0)
            rlhf_error_set(error, "%s: a sharded checkpoint (%s); rlhf reads one model.safetensors: save it again with "
                                  "save_pretrained(..., max_shard_size=\"100GB\")",
                           dir, index_path);
        return -1;
    }
    if (find_canonical(&file, "score.weight")) config.has_score_head = true;

    gpt_model candidate;
    float *host = NULL;
    if (gpt_create(&candidate, &config, backend, error) != 0) {
        rlhf_error_prefix(error, "%s", config_path);
        safetensors_close(&file);
        return -1;
    }
    /* Every tensor in the file must be one we know (or a buffer we may ignore). */
    for (int i = 0; i < file.tensor_count; i++) {
        const char *name = canonical_name(file.tensors[i].name);
        if (is_ignorable_buffer(name) || strcmp(name, "lm_head.weight") == 0) continue;
        if (!gpt_find_tensor(&candidate, name)) {
            rlhf_error_set(error, "%s: unexpected tensor '%s' for a GPT-2 with %d layers", weights_path,
                           file.tensors[i].name, config.n_layer);
            goto fail;
        }
    }
    host = malloc(candidate.parameter_count * sizeof(float));
    if (!host) {
        rlhf_error_set(error, "%s: out of memory", weights_path);
        goto fail;
    }
    /* Every tensor the config implies must be there with the right shape. */
    for (int i = 0; i < candidate.tensor_count; i++) {
        const gpt_tensor *t = &candidate.tensors[i];
        const safetensors_tensor *st = find_canonical(&file, t->name);
        if (!st) {
            rlhf_error_set(error, "%s: missing tensor '%s'", weights_path, t->name);
            goto fail;
        }
        bool shape_ok = st->ndim == t->ndim && st->shape[0] == t->shape[0] &&
                        (t->ndim == 1 || st->shape[1] == t->shape[1]);
        if (!shape_ok) {
            char shape[64];
            if (st->ndim == 2) snprintf(shape, sizeof shape, "[%lld, %lld]", (long long)st->shape[0], (long long)st->shape[1]);
            else if (st->ndim == 1) snprintf(shape, sizeof shape, "[%lld]", (long long)st->shape[0]);
            else snprintf(shape, sizeof shape, "%d dimensions", st->ndim);
            if (t->ndim == 2)
                rlhf_error_set(error, "%s: tensor '%s' has shape %s but config.json implies [%d, %d]",
                               weights_path, t->name, shape, t->shape[0], t->shape[1]);
            else
                rlhf_error_set(error, "%s: tensor '%s' has shape %s but config.json implies [%d]",
                               weights_path, t->name, shape, t->shape[0]);
            goto fail;
        }
        if (safetensors_read_f32(&file, st, host + t->offset, error) != 0) goto fail;
        for (size_t k = 0; k < t->count; k++)
            if (!(host[t->offset + k] == host[t->offset + k]) || host[t->offset + k] > 3e38f ||
                host[t->offset + k] < -3e38f) {
                rlhf_error_set(error, "%s: tensor '%s' holds a non-finite value at index %zu",
                               weights_path, t->name, k);
                goto fail;
            }
    }
    /* An untied LM head would silently be replaced by wte; refuse it instead. */
    const safetensors_tensor *lm_head = find_canonical(&file, "lm_head.weight");
    if (lm_head) {
        const gpt_tensor *wte = gpt_find_tensor(&candidate, "wte.weight");
        float *copy = malloc(wte->count * sizeof(float));
        if (!copy) {
            rlhf_error_set(error, "%s: out of memory comparing lm_head.weight with wte.weight", weights_path);
            goto fail;
        }
        bool tied = lm_head->count == wte->count && safetensors_read_f32(&file, lm_head, copy, NULL) == 0 &&
                    memcmp(copy, host + wte->offset, wte->count * sizeof(float)) == 0;
        free(copy);
        if (!tied) {
            rlhf_error_set(error, "%s: lm_head.weight differs from wte.weight; only tied LM heads are supported",
                           weights_path);
            goto fail;
        }
    }
    gpt_write_parameters(&candidate, host);
    free(host);
    safetensors_close(&file);
    *model = candidate;
    return 0;
fail:
    free(host);
    gpt_destroy(&candidate);
    safetensors_close(&file);
    return -1;
}

/* See nn.h. Weights first, config last: a directory whose config.json is present is complete. */
int gpt_save(const gpt_model *model, const char *dir, rlhf_error *error) {
    char config_path[4096], weights_path[4096];
    if (rlhf_path_join(config_path, sizeof config_path, dir, "config.json", error) != 0 ||
        rlhf_path_join(weights_path, sizeof weights_path, dir, "model.safetensors", error) != 0)
        return -1;
    if (rlhf_make_directory(dir, error) != 0) return -1;
    float *host = malloc(model->parameter_count * sizeof(float));
    if (!host) {
        rlhf_error_set(error, "out of memory saving %s", weights_path);
        return -1;
    }
    gpt_read_parameters(model, host, false);
    safetensors_writer writer;
    safetensors_writer_init(&writer);
    safetensors_writer_set_metadata(&writer, "format", "pt");
    for (int i = 0; i < model->tensor_count; i++) {
        const gpt_tensor *t = &model->tensors[i];
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        safetensors_writer_add(&writer, t->name, SAFETENSORS_F32, t->ndim, shape, host + t->offset);
    }
    int status = safetensors_writer_save(&writer, weights_path, error); /* (reports a failed add) */
    if (status == 0) status = gpt_config_save(&model->config, config_path, error);
    safetensors_writer_free(&writer);
    free(host);
    return status;
}

/* ------------------------------------------------------------------ training state */

/* The FNV-1a hash of the model's parameters (float32 bytes, in arena order) as 16 hex
 * digits: a training state records the weights it belongs to, since the two files are
 * replaced one after the other and a run can stop between them. */
static int parameter_fingerprint(const gpt_model *model, char out[17], rlhf_error *error) {
    float *host = malloc(model->parameter_count * sizeof(float));
    if (!host) {
        rlhf_error_set(error, "out of memory reading the parameters");
        return -1;
    }
    gpt_read_parameters(model, host, false);
    uint64_t hash = rlhf_fnv1a(RLHF_FNV1A_START, host, model->parameter_count * sizeof(float));
    free(host);
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
    return 0;
}

/* See nn.h. The metadata also records adamw_step, parameter_count and weights_fnv1a (the
 * fingerprint of the model's current parameters, which the load checks). */
int nn_training_state_save(const nn_adamw *optimizer, const gpt_model *model, const char *dir,
                           const char *const *keys, const char *const *values, int count,
                           rlhf_error *error) {
    char path[4096];
    if (rlhf_path_join(path, sizeof path, dir, "training_state.safetensors", error) != 0) return -1;
    if (rlhf_make_directory(dir, error) != 0) return -1;
    size_t n = model->parameter_count;
    float *host = malloc(2 * n * sizeof(float));
    if (!host) {
        rlhf_error_set(error, "out of memory saving %s", path);
        return -1;
    }
    model->backend->download(host, optimizer->m, 2 * n * sizeof(float));
    safetensors_writer writer;
    safetensors_writer_init(&writer);
    char text[64];
    snprintf(text, sizeof text, "%ld", optimizer->step);
    safetensors_writer_set_metadata(&writer, "adamw_step", text);
    snprintf(text, sizeof text, "%zu", n);
    safetensors_writer_set_metadata(&writer, "parameter_count", text);
    char fingerprint[17];
    if (parameter_fingerprint(model, fingerprint, error) != 0) {
        safetensors_writer_free(&writer);
        free(host);
        return -1;
    }
    safetensors_writer_set_metadata(&writer, "weights_fnv1a", fingerprint);
    for (int i = 0; i < count; i++) safetensors_writer_set_metadata(&writer, keys[i], values[i]);
    int64_t shape[1] = {(int64_t)n};
    safetensors_writer_add(&writer, "adamw.m", SAFETENSORS_F32, 1, shape, host);
    safetensors_writer_add(&writer, "adamw.v", SAFETENSORS_F32, 1, shape, host + n);
    int status = safetensors_writer_save(&writer, path, error); /* (reports a failed add) */
    safetensors_writer_free(&writer);
    free(host);
    return status;
}

/* See nn.h. Refuses a state sized for another model, one whose weights fingerprint differs
 * from the model's parameters, and moments that are not finite (or a negative second
 * moment); on failure state is closed and the optimizer unchanged. */
int nn_training_state_load(nn_adamw *optimizer, const gpt_model *model, const char *dir,
                           safetensors_file *state, rlhf_error *error) {
    char path[4096];
    memset(state, 0, sizeof *state);
    if (rlhf_path_join(path, sizeof path, dir, "training_state.safetensors", error) != 0) return -1;
    if (safetensors_open(state, path, error) != 0) return -1;
    size_t n = model->parameter_count;
    const safetensors_tensor *m = safetensors_find(state, "adamw.m");
    const safetensors_tensor *v = safetensors_find(state, "adamw.v");
    const char *step = safetensors_metadata(state, "adamw_step");
    if (!m || !v || !step || m->count != n || v->count != n) {
        rlhf_error_set(error, "%s: missing adamw.m / adamw.v / adamw_step, or sized for another model", path);
        safetensors_close(state);
        return -1;
    }
    char *end;
    errno = 0;
    long step_value = strtol(step, &end, 10);
    if (errno || end == step || *end || step_value < 0) {
        rlhf_error_set(error, "%s: \"adamw_step\" is not a non-negative integer ('%s')", path, step);
        safetensors_close(state);
        return -1;
    }
    /* the state must belong to the weights beside it: a run stopped between writing
     * model.safetensors and this file, or another command (sft, rm train) writing the
     * model since, would otherwise resume moments and step from another point */
    /* (a state written before fingerprints existed cannot be checked and is taken as is) */
    const char *saved_fingerprint = safetensors_metadata(state, "weights_fnv1a");
    char fingerprint[17];
    if (saved_fingerprint && parameter_fingerprint(model, fingerprint, error) != 0) {
        safetensors_close(state);
        return -1;
    }
    if (saved_fingerprint && strcmp(saved_fingerprint, fingerprint) != 0) {
        rlhf_error_set(error, "%s: belongs to other weights than model.safetensors beside it (a run stopped between "
                              "saving the two, or another command wrote the model since); cannot resume from it "
                              "(train again without --resume, from scratch or from the saved model)", path);
        safetensors_close(state);
        return -1;
    }
    float *host = malloc(2 * n * sizeof(float));
    if (!host) rlhf_error_set(error, "%s: out of memory for the moments of %zu parameters", path, n);
    if (!host || safetensors_read_f32(state, m, host, error) || safetensors_read_f32(state, v, host + n, error)) {
        free(host);
        safetensors_close(state);
        return -1;
    }
    /* moments a damaged file made non-finite (or a negative second moment) would surface
     * steps later as a "non-finite loss"; refuse them here, by name */
    for (size_t i = 0; i < 2 * n; i++)
        if (!isfinite(host[i]) || (i >= n && host[i] < 0.0f)) {
            rlhf_error_set(error, "%s: %s[%zu] is %g; the training state is damaged", path, i < n ? "adamw.m" : "adamw.v",
                           i < n ? i : i - n, (double)host[i]);
            free(host);
            safetensors_close(state);
            return -1;
        }
    model->backend->upload(optimizer->m, host, 2 * n * sizeof(float));
    optimizer->step = step_value;
    free(host);
    return 0;
}

/* ------------------------------------------------------------------ unfinished runs */

#define UNFINISHED_FILE "unfinished.json"

/* dir/unfinished.json into path; -1 with error set when it does not fit (never a cut path,
 * which could name, and remove, another file). */
static int unfinished_path(const char *dir, char *path, size_t size, rlhf_error *error) {
    return rlhf_path_join(path, size, dir, UNFINISHED_FILE, error);
}

/* See nn.h. output->dir keeps dir (refused when longer than it holds, so finish and abandon
 * never act on a cut path); created and was_unfinished are recorded before the mark is written. */
int nn_run_begin(nn_run_output *output, const char *dir, const char *command, bool resumable, rlhf_error *error) {
    memset(output, 0, sizeof *output);
    char path[4096];
    size_t length = strlen(dir);
    if (length >= sizeof output->dir) {
        rlhf_error_set(error, "%s: path longer than %zu bytes", dir, sizeof output->dir - 1);
        return -1;
    }
    if (unfinished_path(dir, path, sizeof path, error) != 0) return -1;
    memcpy(output->dir, dir, length + 1);
    struct stat info;
    output->created = stat(dir, &info) != 0;
    output->was_unfinished = access(path, F_OK) == 0;
    if (rlhf_make_directory(dir, error) != 0) return -1;
    json_t *root = json_pack("{s:s, s:b, s:s}", "command", command, "resumable", resumable, "note",
                             "an unfinished training run: rlhf refuses to load this directory as a model until the "
                             "run finishes (with --resume where the command has it, or trained again)");
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    if (!text) {
        rlhf_error_set(error, "%s: out of memory", path);
        return -1;
    }
    int status = rlhf_write_file_atomic(path, text, strlen(text), error);
    free(text);
    return status;
}

/* Removes dir's mark, durably. */
static int remove_mark(const char *dir, rlhf_error *error) {
    char path[4096];
    if (unfinished_path(dir, path, sizeof path, error) != 0) return -1;
    return rlhf_remove_file(path, error);
}

/* See nn.h: removes the mark. */
int nn_run_finish(const nn_run_output *output, rlhf_error *error) { return remove_mark(output->dir, error); }

/* Whether dir holds no entry but its mark. */
static bool holds_only_mark(const char *dir) {
    DIR *listing = opendir(dir);
    if (!listing) return false;
    bool only = true;
    for (struct dirent *entry; only && (entry = readdir(listing));)
        only = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
               strcmp(entry->d_name, UNFINISHED_FILE) == 0;
    closedir(listing);
    return only;
}

/* See nn.h. Removes only the mark and a directory that nothing else is in (rmdir fails on
 * any other), never other files. */
void nn_run_abandon(const nn_run_output *output, bool wrote) {
    if (output->dir[0] == '\0' || output->was_unfinished) return;
    if (output->created && holds_only_mark(output->dir)) {
        if (remove_mark(output->dir, NULL) == 0) rmdir(output->dir);
        return;
    }
    if (!wrote) remove_mark(output->dir, NULL);
}

/* See nn.h: the unfinished mark is there (a dir too long to name it has none). */
bool nn_run_is_unfinished(const char *dir) {
    char path[4096];
    return unfinished_path(dir, path, sizeof path, NULL) == 0 && access(path, F_OK) == 0;
}

/* See nn.h. A mark that cannot be read or parsed still refuses the directory, naming "rlhf". */
int nn_run_check_finished(const char *dir, rlhf_error *error) {
    char path[4096];
    if (unfinished_path(dir, path, sizeof path, error) != 0) return -1;
    if (access(path, F_OK) != 0) return 0;
    char *text = NULL;
    size_t size = 0;
    const char *command = "rlhf";
    json_t *root = NULL;
    if (rlhf_read_file(path, &text, &size, NULL) == 0) root = json_loads(text, 0, NULL);
    if (json_is_string(json_object_get(root, "command"))) command = json_string_value(json_object_get(root, "command"));
    if (json_is_true(json_object_get(root, "resumable")))
        rlhf_error_set(error, "%s: an unfinished `%s` run (%s is there), not a finished model: continue it with `%s "
                              "... --resume`, or train it again",
                       dir, command, UNFINISHED_FILE, command);
    else
        rlhf_error_set(error, "%s: an unfinished `%s` run (%s is there), not a finished model: run it again", dir,
                       command, UNFINISHED_FILE);
    json_decref(root);
    free(text);
    return -1;
}
