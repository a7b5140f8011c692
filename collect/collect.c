/* Sampling into the labeling queue, and the scripted annotator. */
#include "rlhf/collect.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/demo.h"
#include "rlhf/reward_model.h"
#include "rlhf/tokenizer.h"

/* FNV-1a over model_dir's config.json then model.safetensors, as 16 hex digits: the id a
 * model's completions are stored under. */
int collect_model_hash(const char *model_dir, char hash[17], rlhf_error *error) {
    uint64_t h = RLHF_FNV1A_START;
    const char *files[2] = {"config.json", "model.safetensors"};
    for (int f = 0; f < 2; f++) {
        char path[4096], *bytes;
        size_t size;
        if (rlhf_path_join(path, sizeof path, model_dir, files[f], error) != 0) return -1;
        if (rlhf_read_file(path, &bytes, &size, error) != 0) return -1;
        h = rlhf_fnv1a(h, bytes, size);
        free(bytes);
    }
    snprintf(hash, 17, "%016llx", (unsigned long long)h);
    return 0;
}

/* Refuses sampling settings generation cannot honour, naming the command-line option. */
int collect_check_sampling(const policy_sampling *sampling, int n_positions, rlhf_error *error) {
    if (!(isfinite(sampling->temperature) && sampling->temperature >= 0)) {
        rlhf_error_set(error, "--temperature %g: must be a finite number >= 0 (0: greedy)", (double)sampling->temperature);
        return -1;
    }
    if (sampling->top_k < 0) {
        rlhf_error_set(error, "--top-k %d: must be >= 0 (0: all tokens)", sampling->top_k);
        return -1;
    }
    if (!(isfinite(sampling->top_p) && sampling->top_p > 0 && sampling->top_p <= 1)) {
        rlhf_error_set(error, "--top-p %g: must be in (0, 1] (1: all tokens)", (double)sampling->top_p);
        return -1;
    }
    if (sampling->max_new_tokens < 1) {
        rlhf_error_set(error, "--max-new-tokens %d: must be at least 1", sampling->max_new_tokens);
        return -1;
    }
    if (n_positions > 0 && sampling->max_new_tokens > n_positions - 1) {
        rlhf_error_set(error, "--max-new-tokens %d exceeds the model's %d positions (at most %d new tokens after the "
                              "<|endoftext|> every prompt starts with)",
                       sampling->max_new_tokens, n_positions, n_positions - 1);
        return -1;
    }
    return 0;
}

/* Frees the skipped-prompt list of a result (also after a failed collect_generate). */
void collect_generate_result_free(collect_generate_result *result) {
    for (int i = 0; i < result->skipped_count; i++) free(result->skipped[i].external_id);
    free(result->skipped);
    result->skipped = NULL;
    result->skipped_count = 0;
}

/* The prompts to sample, in id order: those without completions from the model (model_id
 * 0: every prompt), at most limit of them (0: all) among those that fit the context with
 * max_new_tokens more; the others go to result->skipped. Counts tokens with
 * policy_prompt_ids, as generation will. Writes nothing. */
static int plan_prompts(store *db, const struct tokenizer *tokenizer, int64_t model_id, int n_positions,
                        const collect_generate_options *options, store_prompt **todo, int *todo_count,
                        collect_generate_result *result, rlhf_error *error) {
    store_prompt *prompts;
    int count;
    *todo = NULL;
    *todo_count = 0;
    if (store_list_prompts(db, model_id, 0, &prompts, &count, error) != 0) return -1;
    int kept = 0, i = 0;
    size_t skipped_capacity = (size_t)result->skipped_count;
    for (; i < count && (options->prompt_limit <= 0 || kept < options->prompt_limit); i++) {
        int *ids, length;
        if (policy_prompt_ids(tokenizer, prompts[i].text, &ids, &length, error) != 0) {
            rlhf_error_prefix(error, "prompt %lld", (long long)prompts[i].id);
            store_prompts_free(prompts, count);
            return -1;
        }
        free(ids);
        long tokens = length;
        if (tokens + options->sampling.max_new_tokens > n_positions) {
            if (rlhf_grow(&result->skipped, &skipped_capacity, (size_t)result->skipped_count + 1,
                          sizeof *result->skipped) != 0) {
                rlhf_error_set(error, "out of memory listing the prompts too long for the model");
                store_prompts_free(prompts, count);
                return -1;
            }
            collect_skipped_prompt *skipped = &result->skipped[result->skipped_count++];
            skipped->id = prompts[i].id;
            skipped->external_id = prompts[i].external_id;
            prompts[i].external_id = NULL;
            skipped->tokens = tokens > INT32_MAX ? INT32_MAX : (int)tokens;
            continue;
        }
        /* keep it: move it down to the next kept place */
        if (kept != i) {
            store_prompt moved = prompts[kept];
            prompts[kept] = prompts[i];
            prompts[i] = moved;
        }
        kept++;
    }
    /* the ones after the kept prefix (skipped or beyond the limit) are freed now */
    for (int j = kept; j < count; j++) {
        free(prompts[j].text);
        free(prompts[j].external_id);
        prompts[j].text = prompts[j].external_id = NULL;
    }
    *todo = prompts;
    *todo_count = kept;
    return 0;
}

/* The sampling settings stored with a completion, as JSON (malloc'd; NULL and an error out
 * of memory): enough to draw it again, since row r of a batch samples from the stream
 * (seed, r) of the batch's seed (README: Sampling). */
static char *settings_for(const policy_sampling *sampling, int row, rlhf_error *error) {
    json_t *settings = json_pack("{s:f, s:i, s:f, s:i, s:I, s:i}", "temperature", (double)sampling->temperature,
                                 "top_k", sampling->top_k, "top_p", (double)sampling->top_p, "max_new_tokens",
                                 sampling->max_new_tokens, "seed", (json_int_t)sampling->seed, "stream", row);
    char *text = settings ? json_dumps(settings, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(settings);
    if (!text) rlhf_error_set(error, "cannot write the sampling settings as JSON");
    return text;
}

/* rows[r].score = the reward model's reward of completion r after its prompt, scored as
 * training and `rm score` read it (reward_build_sequence), in batches. */
static int score_completions(gpt_model *reward, const struct tokenizer *tokenizer, const char *const *prompts,
                             store_new_completion *rows, int count, rlhf_error *error) {
    int **sequences = calloc((size_t)count, sizeof(int *)), *lengths = calloc((size_t)count, sizeof(int));
    float *rewards = calloc((size_t)count, sizeof(float));
    int status = sequences && lengths && rewards ? 0 : -1;
    if (status != 0) rlhf_error_set(error, "out of memory scoring %d completions", count);
    for (int r = 0; status == 0 && r < count; r++)
        status = reward_build_sequence(tokenizer, prompts[r], rows[r].text, reward->config.n_positions,
                                       reward->config.pad_token_id, &sequences[r], &lengths[r], NULL, NULL, error);
    if (status == 0)
        status = reward_score_sequences(reward, (const int *const *)sequences, lengths, count, 64, rewards, error);
    for (int r = 0; status == 0 && r < count; r++) rows[r].score = rewards[r];
    for (int r = 0; sequences && r < count; r++) free(sequences[r]);
    free(sequences);
    free(lengths);
    free(rewards);
    return status;
}

/* Samples per_prompt completions for each planned prompt, a batch of prompts at a time, and
 * stores each batch with its queued pairs in one transaction (the first registers the model);
 * a failure leaves the batches before it committed and says so in result. */
int collect_generate(store *db, gpt_model *model, const struct tokenizer *tokenizer,
                     const collect_generate_options *options, collect_progress progress, void *user,
                     collect_generate_result *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    int K = options->per_prompt;
    if (K < 1 || options->batch_prompts < 1 || options->prompt_limit < 0 || options->queue.overlap < 1) {
        rlhf_error_set(error, "need at least one completion per prompt, one prompt per batch, an overlap of at least 1 "
                              "and a prompt limit >= 0");
        return -1;
    }
    if (collect_check_sampling(&options->sampling, model->config.n_positions, error) != 0) return -1;
    if (options->queue.pairing == STORE_PAIRS_CLOSEST && (!options->select_reward || K < 3)) {
        rlhf_error_set(error, "choosing the pair a reward model is least sure of needs the reward model and at least 3 "
                              "completions a prompt (with 2 there is one pair to choose)");
        return -1;
    }
    char hash[17];
    if (collect_model_hash(options->model_dir, hash, error) != 0 ||
        store_find_model(db, hash, &result->model_id, error) != 0)
        return -1;
    store_prompt *prompts;
    int prompt_count;
    if (plan_prompts(db, tokenizer, result->model_id, model->config.n_positions, options, &prompts, &prompt_count,
                     result, error) != 0)
        return -1;
    int B = options->batch_prompts;
    const char **texts = calloc((size_t)B * K, sizeof *texts); /* calloc checks the product */
    policy_text_sample *samples = calloc((size_t)B * K, sizeof *samples);
    store_new_completion *rows = calloc((size_t)B * K, sizeof *rows);
    int status = 0;
    if (!texts || !samples || !rows) {
        rlhf_error_set(error, "out of memory for a batch of %d prompts of %d completions", B, K);
        status = -1;
    }
    for (int first = 0; first < prompt_count && status == 0; first += B) {
        int n = prompt_count - first < B ? prompt_count - first : B;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < K; k++) texts[i * K + k] = prompts[first + i].text;
        policy_sampling sampling = options->sampling;
        sampling.seed = options->sampling.seed + (uint64_t)first; /* each batch its own streams */
        status = policy_sample_texts(model, tokenizer, texts, n * K, &sampling, NULL, samples, error);
        if (status == 0) {
            for (int r = 0; r < n * K && status == 0; r++) {
                rows[r].prompt_id = prompts[first + r / K].id;
                rows[r].text = samples[r].text;
                rows[r].token_count = samples[r].token_count;
                rows[r].sampling_json = settings_for(&sampling, r, error);
                if (!rows[r].sampling_json) status = -1;
            }
            if (status == 0 && options->queue.pairing == STORE_PAIRS_CLOSEST)
                status = score_completions(options->select_reward, tokenizer, texts, rows, n * K, error);
            store_queue_options queue = options->queue;
            queue.seed = options->queue.seed + (uint64_t)first;
            queue.new_prompts_only = true; /* another generate run may have sampled some meanwhile */
            store_queue_counts counts = {0};
            /* the first batch registers the model in its own transaction */
            if (status == 0)
                status = result->model_id
                             ? store_add_completions(db, result->model_id, rows, n * K, &queue, &counts, error)
                             : store_add_model_completions(db, options->model_dir, hash, &result->model_id, rows,
                                                           n * K, &queue, &counts, error);
            for (int r = 0; r < n * K; r++) {
                policy_text_sample_free(&samples[r]);
                free((char *)rows[r].sampling_json);
                rows[r].sampling_json = NULL;
            }
            if (status == 0) {
                result->prompts += n - (int)counts.prompts_left_out;
                result->completions += (long)(n - counts.prompts_left_out) * K;
                result->taken_by_another_run += (int)counts.prompts_left_out;
                result->pairs += counts.queued;
                result->identical_pairs += counts.identical;
            }
        }
        if (status != 0) {
            rlhf_error_prefix(error, "prompts %lld to %lld", (long long)prompts[first].id,
                              (long long)prompts[first + n - 1].id);
            break;
        }
        if (progress) progress(first + n, prompt_count, user);
    }
    free(texts);
    free(samples);
    free(rows);
    store_prompts_free(prompts, prompt_count);
    return status;
}

/* The named oracle's gold score of text; only "sentiment" (demo_sentiment_score) exists. */
int collect_oracle_score(const char *name, const char *text, double *score, rlhf_error *error) {
    if (strcmp(name, "sentiment") != 0) {
        rlhf_error_set(error, "unknown oracle '%s' (known: sentiment)", name);
        *score = NAN;
        return -1;
    }
    *score = demo_sentiment_score(text, strlen(text));
    return 0;
}

/* Labels every queued pair the oracle has not labeled, in pair order (at most limit), as
 * annotator "oracle:NAME": at noise 0 the higher gold score wins (within DEMO_GOLD_TIE a tie),
 * else left wins with probability sigmoid(gap / noise); the strength grows with |gap|. */
int collect_oracle_label(store *db, const collect_oracle_options *options, collect_oracle_result *result,
                         rlhf_error *error) {
    memset(result, 0, sizeof *result);
    double unused;
    if (collect_oracle_score(options->name, "", &unused, error) != 0) return -1;
    char annotator[96];
    snprintf(annotator, sizeof annotator, "oracle:%s", options->name);
    if (store_annotator(db, annotator, STORE_ANNOTATOR_ORACLE, &result->annotator_id, error) != 0) return -1;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, options->seed);
    int64_t last_pair = 0; /* the queue is walked in pair order, each pair once */
    while (options->limit <= 0 || result->labeled < options->limit) {
        store_pair pair;
        bool found;
        if (store_next_pair_after(db, result->annotator_id, last_pair, &pair, &found, error) != 0) return -1;
        if (!found) break;
        last_pair = pair.pair_id;
        double left, right;
        collect_oracle_score(options->name, pair.left_text, &left, NULL);
        collect_oracle_score(options->name, pair.right_text, &right, NULL);
        double gap = left - right;
        /* Bradley-Terry: like a person, sometimes inconsistent when the gap is small */
        int left_wins;
        /* at noise 0 scores within float rounding tie, as rm eval's gold agreement counts them */
        if (options->noise <= 0) left_wins = gap > DEMO_GOLD_TIE ? 1 : gap < -DEMO_GOLD_TIE ? 0 : -1;
        else left_wins = rlhf_rng_uniform(&rng) < 1.0 / (1.0 + exp(-gap / options->noise));
        store_choice choice = STORE_CHOICE_TIE;
        if (left_wins >= 0) choice = (left_wins == 1) == pair.left_is_a ? STORE_CHOICE_A : STORE_CHOICE_B;
        double size = fabs(gap);
        int strength = choice == STORE_CHOICE_TIE ? 0 : size < 0.1 ? 1 : size < 0.3 ? 2 : size < 0.6 ? 3 : 4;
        store_label label = {.pair_id = pair.pair_id, .annotator_id = result->annotator_id, .choice = choice,
                             .strength = strength, .left_completion_id = pair.left_completion_id, .seconds = 0.0};
        int status = store_add_comparison(db, &label, NULL, error);
        store_pair_free(&pair);
        if (status == 1) continue; /* another run of this oracle labeled it meanwhile */
        if (status != 0) return -1;
        result->labeled++;
        result->a += choice == STORE_CHOICE_A;
        result->b += choice == STORE_CHOICE_B;
        result->ties += choice == STORE_CHOICE_TIE;
    }
    return 0;
}
