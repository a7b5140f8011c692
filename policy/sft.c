/* Supervised fine-tuning: prompt/response pairs (or chat transcripts) with the loss on
 * response tokens only. */
#include "rlhf/policy.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/tokenizer.h"

/* A growing token sequence with a per-token "scored" flag. */
typedef struct piece_list {
    int *ids;
    unsigned char *scored;
    int length;
    size_t capacity; /* of both arrays */
} piece_list;

/* Makes room for extra more tokens; -1 with error set when out of memory (or past INT_MAX
 * tokens), the list unchanged. */
static int piece_list_reserve(piece_list *list, size_t extra, rlhf_error *error) {
    size_t needed = (size_t)list->length + extra, ids_capacity = list->capacity, scored_capacity = list->capacity;
    if (extra > (size_t)(INT_MAX - list->length) || rlhf_grow(&list->ids, &ids_capacity, needed, sizeof *list->ids) != 0 ||
        rlhf_grow(&list->scored, &scored_capacity, needed, sizeof *list->scored) != 0) {
        rlhf_error_set(error, "out of memory");
        return -1;
    }
    list->capacity = ids_capacity;
    return 0;
}

/* Appends count tokens, every one flagged `scored`; -1 with error set when out of memory. */
static int append_ids(piece_list *list, const int *ids, size_t count, bool scored, rlhf_error *error) {
    if (piece_list_reserve(list, count, error) != 0) return -1;
    for (size_t i = 0; i < count; i++) {
        list->ids[list->length] = ids[i];
        list->scored[list->length++] = scored;
    }
    return 0;
}

/* Tokenizes text and appends it, every token flagged `scored`. */
static int append_text(piece_list *list, const tokenizer *tok, const char *text, bool scored, rlhf_error *error) {
    int *ids;
    size_t count;
    if (tokenizer_encode(tok, text, strlen(text), false, &ids, &count, error) != 0) return -1;
    int status = append_ids(list, ids, count, scored, error);
    free(ids);
    return status;
}

/* Returns the string field, or NULL after setting an error naming the line. */
static const char *string_field(json_t *object, const char *key, const char *path, long line, rlhf_error *error) {
    json_t *value = json_object_get(object, key);
    if (!json_is_string(value)) {
        rlhf_error_set(error, "%s: line %ld: \"%s\" must be a string", path, line, key);
        return NULL;
    }
    return json_string_value(value);
}

/* Renders one JSONL record into tokens (see the README's SFT template). Every example
 * starts as generation starts a prompt: <|endoftext|> first, unscored, when the tokenizer
 * has it (policy_prompt_ids' rule), so a response is trained after exactly the ids that
 * `rlhf sample` and `rlhf generate` (and the reward model) put before it. */
static int render_example(json_t *record, const char *path, long line, const tokenizer *tok, piece_list *list,
                          rlhf_error *error) {
    int eos = tokenizer_eos_id(tok);
    if (!json_is_object(record)) {
        rlhf_error_set(error, "%s: line %ld: expected a JSON object", path, line);
        return -1;
    }
    json_t *messages = json_object_get(record, "messages");
    if (messages) {
        if (!json_is_array(messages) || json_array_size(messages) == 0) {
            rlhf_error_set(error, "%s: line %ld: \"messages\" must be a non-empty array", path, line);
            return -1;
        }
        size_t index;
        json_t *message;
        bool any_assistant = false, last_assistant = false;
        if (eos >= 0 && append_ids(list, &eos, 1, false, error) != 0) return -1;
        json_array_foreach(messages, index, message) {
            const char *role = string_field(message, "role", path, line, error);
            const char *content = role ? string_field(message, "content", path, line, error) : NULL;
            if (!content) return -1;
            const char *header = strcmp(role, "system") == 0 ? "System: "
                                 : strcmp(role, "user") == 0 ? "User: "
                                 : strcmp(role, "assistant") == 0 ? "Assistant: " : NULL;
            if (!header) {
                rlhf_error_set(error, "%s: line %ld: message %zu has role \"%s\" (system, user or assistant)", path,
                               line, index, role);
                return -1;
            }
            last_assistant = strcmp(role, "assistant") == 0;
            any_assistant |= last_assistant;
            if (append_text(list, tok, header, false, error) || append_text(list, tok, content, last_assistant, error))
                return -1;
            if (index + 1 < json_array_size(messages) && append_text(list, tok, "\n\n", false, error)) return -1;
        }
        if (!any_assistant) {
            rlhf_error_set(error, "%s: line %ld: no assistant message to learn from", path, line);
            return -1;
        }
        if (eos >= 0 && append_ids(list, &eos, 1, last_assistant, error) != 0) return -1;
        /* assistant messages that are all empty, none of them last (whose end-of-text would
         * be learned), leave no token to learn from: the same as an empty "response" */
        bool any_scored = false;
        for (int t = 0; t < list->length && !any_scored; t++) any_scored = list->scored[t];
        if (!any_scored) {
            rlhf_error_set(error, "%s: line %ld: every assistant message is empty: nothing to learn from", path, line);
            return -1;
        }
        return 0;
    }
    const char *prompt = string_field(record, "prompt", path, line, error);
    const char *response = prompt ? string_field(record, "response", path, line, error) : NULL;
    if (!response) return -1;
    if (!*response) {
        rlhf_error_set(error, "%s: line %ld: \"response\" is empty", path, line);
        return -1;
    }
    /* the prompt's ids are policy_prompt_ids' own (<|endoftext|> first), unscored */
    int *prompt_ids, prompt_length;
    if (policy_prompt_ids(tok, prompt, &prompt_ids, &prompt_length, error) != 0) return -1;
    int appended = append_ids(list, prompt_ids, (size_t)prompt_length, false, error);
    free(prompt_ids);
    if (appended != 0 || append_text(list, tok, response, true, error)) return -1;
    if (eos >= 0 && append_ids(list, &eos, 1, true, error) != 0) return -1;
    return 0;
}

/* Cuts an example to max_length (at least 2) tokens. leading is 1 when the example starts
 * with the unscored <|endoftext|> of render_example, else 0. The context before the first
 * scored token loses tokens from the left first, but just after that <|endoftext|>, which
 * stays first: a prompt cut to its last words reaches generation as <|endoftext|> and
 * those words (policy_prompt_ids of the cut text), so training sees the same, and the
 * first response token always has a token to be predicted from. At least one context
 * token after it (the one the response follows) is kept while there is room for it and
 * a response token; a response still too long is then cut on the right. */
static void fit_example(piece_list *list, int leading, int max_length, policy_sft_data *data) {
    if (list->length <= max_length) return;
    int first_scored = 0;
    while (first_scored < list->length && !list->scored[first_scored]) first_scored++;
    int context = first_scored - leading, response = list->length - first_scored;
    int keep = max_length - leading - response; /* context tokens that fit beside the whole response */
    int at_least = context > 0 && max_length - leading >= 2 ? 1 : 0;
    if (keep < at_least) keep = at_least;
    int cut = context - keep;
    if (cut > 0) {
        int tail = list->length - leading - cut;
        memmove(list->ids + leading, list->ids + leading + cut, sizeof(int) * tail);
        memmove(list->scored + leading, list->scored + leading + cut, tail);
        list->length -= cut;
        data->truncated_prompts++;
    }
    if (list->length > max_length) {
        list->length = max_length;
        data->truncated_responses++;
    }
}

/* What the JSONL visitor needs to render and keep each example. */
typedef struct sft_loader {
    const char *path;
    const tokenizer *tok;
    int max_length;
    size_t capacity; /* of each of data's arrays */
    policy_sft_data *data;
} sft_loader;

/* Makes room in data's four arrays for one more example; -1 when out of memory (the arrays
 * that grew keep their old contents, capacity stays true of all four). */
static int sft_loader_reserve(sft_loader *loader) {
    policy_sft_data *data = loader->data;
    size_t needed = (size_t)data->count + 1;
    size_t capacities[4] = {loader->capacity, loader->capacity, loader->capacity, loader->capacity};
    if (data->count == INT_MAX || rlhf_grow(&data->ids, &capacities[0], needed, sizeof *data->ids) != 0 ||
        rlhf_grow(&data->scored, &capacities[1], needed, sizeof *data->scored) != 0 ||
        rlhf_grow(&data->lengths, &capacities[2], needed, sizeof *data->lengths) != 0 ||
        rlhf_grow(&data->hashes, &capacities[3], needed, sizeof *data->hashes) != 0)
        return -1;
    loader->capacity = capacities[0];
    return 0;
}

/* Renders, fits and keeps one line's example; the split hash is of the line's canonical
 * JSON, so it does not depend on the line's position or formatting. */
static int load_line(long line, json_t *record, void *user, rlhf_error *error) {
    sft_loader *loader = user;
    policy_sft_data *data = loader->data;
    piece_list list = {0};
    if (render_example(record, loader->path, line, loader->tok, &list, error) != 0) {
        free(list.ids);
        free(list.scored);
        return -1;
    }
    if (list.length < 2) {
        rlhf_error_set(error, "%s: line %ld: too short to train on (%d tokens)", loader->path, line, list.length);
        free(list.ids);
        free(list.scored);
        return -1;
    }
    fit_example(&list, tokenizer_eos_id(loader->tok) >= 0, loader->max_length, data);
    char *canonical = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canonical || sft_loader_reserve(loader) != 0) {
        rlhf_error_set(error, "%s: line %ld: out of memory", loader->path, line);
        free(canonical);
        free(list.ids);
        free(list.scored);
        return -1;
    }
    data->ids[data->count] = list.ids;
    data->scored[data->count] = list.scored;
    data->lengths[data->count] = list.length;
    data->hashes[data->count++] = rlhf_fnv1a(RLHF_FNV1A_START, canonical, strlen(canonical));
    free(canonical);
    return 0;
}

/* Reads, renders and fits every example of a JSONL file; any bad line fails the whole file. */
int policy_sft_load(const char *path, const struct tokenizer *tok, int max_length, policy_sft_data *data,
                    rlhf_error *error) {
    memset(data, 0, sizeof *data);
    if (max_length < 2) {
        rlhf_error_set(error, "%s: max_length %d leaves no room for a token and its successor (at least 2)", path,
                       max_length);
        return -1;
    }
    sft_loader loader = {path, tok, max_length, 0, data};
    int status = rlhf_read_jsonl(path, load_line, &loader, error);
    if (status == 0 && data->count == 0) {
        rlhf_error_set(error, "%s: no examples", path);
        status = -1;
    }
    if (status != 0) policy_sft_data_free(data);
    return status;
}

/* Frees every example and the arrays, and zeroes data (a zeroed one is fine). */
void policy_sft_data_free(policy_sft_data *data) {
    for (int i = 0; i < data->count; i++) {
        free(data->ids[i]);
        free(data->scored[i]);
    }
    free(data->ids);
    free(data->scored);
    free(data->lengths);
    free(data->hashes);
    memset(data, 0, sizeof *data);
}

/* Builds a right-padded batch of the given examples: tokens, mask and response targets. */
static int fill_batch(const policy_sft_data *data, const int *examples, int rows, int *tokens, int *mask,
                      int *targets) {
    int T = 2;
    for (int r = 0; r < rows; r++) T = data->lengths[examples[r]] > T ? data->lengths[examples[r]] : T;
    for (int r = 0; r < rows; r++) {
        int e = examples[r], n = data->lengths[e];
        for (int t = 0; t < T; t++) {
            int at = r * T + t;
            tokens[at] = t < n ? data->ids[e][t] : 0;
            mask[at] = t < n;
            targets[at] = t + 1 < n && data->scored[e][t + 1] ? data->ids[e][t + 1] : -1;
        }
    }
    return T;
}

/* Mean response-token loss over the listed examples into *loss. Fails (error set) when a
 * forward pass fails or the loss is not finite at `step` (0: before training). */
static int evaluate(gpt_model *model, const policy_sft_data *data, const int *examples, int count, int B,
                    int *tokens, int *mask, int *targets, int step, float *loss, rlhf_error *error) {
    double total = 0;
    long scored = 0;
    for (int first = 0; first < count; first += B) {
        int rows = count - first < B ? count - first : B;
        int T = fill_batch(data, examples + first, rows, tokens, mask, targets);
        gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .attention_mask = mask, .targets = targets};
        gpt_outputs out = {0};
        if (gpt_forward(model, &batch, &out, error) != 0) return -1;
        total += (double)out.loss * out.target_count;
        scored += out.target_count;
    }
    *loss = scored ? (float)(total / scored) : NAN;
    if (scored && !nn_training_value_finite(*loss, "validation loss", step, error)) return -1;
    return 0;
}

/* Fine-tunes model on data's training split (loss on response tokens only), evaluating the
 * held-out split at each epoch's end, and saves it to options->out_dir (rlhf/policy.h). */
int policy_sft(gpt_model *model, const policy_sft_data *data, const policy_sft_options *options,
               policy_sft_callback callback, void *user, policy_sft_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    int B = options->batch_size, longest = 2;
    int *train = NULL, *val = NULL, *tokens = NULL, *mask = NULL, *targets = NULL;
    nn_adamw optimizer = {0};
    int status = -1;
    if (rlhf_resize(&train, (size_t)data->count, sizeof *train) != 0 ||
        rlhf_resize(&val, (size_t)data->count, sizeof *val) != 0) {
        rlhf_error_set(error, "out of memory");
        goto done;
    }
    int train_count = 0, val_count = 0;
    uint64_t cut = (uint64_t)(options->validation_fraction * 1000.0f);
    for (int i = 0; i < data->count; i++) {
        if (data->hashes[i] % 1000 < cut && data->count > 1) val[val_count++] = i;
        else train[train_count++] = i;
        longest = data->lengths[i] > longest ? data->lengths[i] : longest;
        for (int t = 1; t < data->lengths[i]; t++) result->response_tokens += data->scored[i][t];
    }
    size_t cells;
    if (!rlhf_size_multiply((size_t)B, (size_t)longest, &cells) || rlhf_resize(&tokens, cells, sizeof *tokens) != 0 ||
        rlhf_resize(&mask, cells, sizeof *mask) != 0 || rlhf_resize(&targets, cells, sizeof *targets) != 0) {
        rlhf_error_set(error, "out of memory for batches of %d examples of %d tokens", B, longest);
        goto done;
    }
    if (model->config.has_score_head) {
        rlhf_error_set(error, "the model has a scalar head (a reward model); fine-tuning starts from a language model");
        goto done;
    }
    /* an output path the save would refuse (a file, a path through one, an unwritable
     * parent) fails now, creating nothing, not after the whole run */
    if (rlhf_check_output_directory(options->out_dir, error) != 0) goto done;
    if (train_count == 0) {
        rlhf_error_set(error, "no training examples left after holding out validation");
        goto done;
    }
    if (gpt_reserve(model, B, longest, true, error) != 0 || nn_adamw_create(&optimizer, model, &options->adamw, error) != 0)
        goto done;
    int steps_per_epoch = (train_count + B - 1) / B;
    nn_lr_schedule schedule = options->schedule;
    schedule.total_steps = steps_per_epoch * options->epochs;
    result->train_examples = train_count;
    result->val_examples = val_count;
    result->first_val_loss = result->final_val_loss = NAN;
    if (val_count > 0 &&
        evaluate(model, data, val, val_count, B, tokens, mask, targets, 0, &result->first_val_loss, error))
        goto done;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, options->seed);
    int step = 0;
    for (int epoch = 0; epoch < options->epochs; epoch++) {
        for (int i = train_count - 1; i > 0; i--) { /* Fisher-Yates shuffle per epoch */
            int j = (int)(rlhf_rng_next(&rng) % (uint64_t)(i + 1));
            int swap = train[i];
            train[i] = train[j];
            train[j] = swap;
        }
        for (int first = 0; first < train_count; first += B, step++) {
            int rows = train_count - first < B ? train_count - first : B;
            int T = fill_batch(data, train + first, rows, tokens, mask, targets);
            gpt_batch batch = {.batch_size = rows, .seq_len = T, .tokens = tokens, .attention_mask = mask, .targets = targets};
            gpt_outputs out = {0};
            gpt_zero_grad(model);
            if (gpt_forward(model, &batch, &out, error) != 0) goto done;
            if (out.target_count > 0 && !nn_training_value_finite(out.loss, "loss", step + 1, error)) goto done;
            if (out.target_count > 0 && gpt_backward_loss(model, error) != 0) goto done;
            float lr = nn_lr_at(&schedule, step);
            if (out.target_count > 0 &&
                !nn_training_value_finite(nn_adamw_step(&optimizer, model, lr), "the gradient", step + 1, error))
                goto done;
            result->final_train_loss = out.loss;
            policy_sft_report report = {.step = step + 1, .steps = schedule.total_steps, .epoch = epoch + 1,
                                        .train_loss = out.loss, .val_loss = -1.0f, .learning_rate = lr};
            bool epoch_end = first + B >= train_count;
            if (epoch_end && val_count > 0) {
                if (evaluate(model, data, val, val_count, B, tokens, mask, targets, step + 1, &report.val_loss, error))
                    goto done;
                result->final_val_loss = report.val_loss;
            }
            if (callback) callback(&report, user);
        }
    }
    result->steps = step;
    status = gpt_save(model, options->out_dir, error);
done:
    nn_adamw_destroy(&optimizer);
    free(train);
    free(val);
    free(tokens);
    free(mask);
    free(targets);
    return status;
}
