/* rlhf generate: sample K completions per stored prompt and queue their pairs. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rlhf/collect.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"db", "FILE", "the store", NULL},
    {"model", "DIR", "the policy's model directory (with its tokenizer)", NULL},
    {"per-prompt", "K", "completions per prompt", "2"},
    {"pairs", "all|random", "all: every pair of a prompt's completions; random: one random pair", "all"},
    {"select", "random|uncertain", "random: pairs as --pairs says; uncertain: of each prompt's pairs, the one the --reward model is least sure of (smallest reward gap; needs --per-prompt 3 or more)", "random"},
    {"reward", "DIR", "the reward model --select uncertain asks (its tokenizer must be the policy's)", NULL},
    {"overlap", "N", "distinct annotators each pair needs", "1"},
    {"limit", "N", "prompts to use at most (0: every prompt without completions from this model)", "0"},
    {"batch-prompts", "N", "prompts per generation batch", "8"},
    {"max-new-tokens", "N", "new tokens at most per completion", "64"},
    {"temperature", "T", "sampling temperature", "0.8"},
    {"top-k", "K", "sample from the K most likely tokens (0: all)", "0"},
    {"top-p", "P", "nucleus sampling mass (1: all)", "1.0"},
    {"seed", "N", "random seed (sampling, pair choice and which side is shown first)", "1"},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "generate", "generate --db FILE --model DIR --per-prompt K [--pairs all|random] [--select random|uncertain --reward DIR] [...]",
    "Samples K completions for each stored prompt that has none from this model yet, records the\n"
    "model by content hash, and queues pairs of each prompt's completions for labeling, with the\n"
    "side each is shown on drawn at random and recorded. Options and every prompt's length are\n"
    "checked before anything is written: a prompt whose tokens plus --max-new-tokens exceed the\n"
    "model's positions is skipped with a warning naming it (counted as \"skipped\" in --json),\n"
    "and is tried again by later runs (with a smaller --max-new-tokens it may fit). Two\n"
    "completions with the same text are never queued as a pair (counted as \"identical_pairs\").",
    options,
};

/* collect_generate's progress callback: advances the bar (user) to done prompts. */
static void on_progress(int done, int total, void *user) {
    cli_progress_update(user, done, "prompts");
    (void)total;
}

/* rlhf generate: samples --per-prompt completions a prompt into the store and queues their pairs. */
int cmd_generate(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db"), *model_dir = cli_require(&args, "model");
    if (!path || !model_dir) return 2;
    collect_generate_options o = {.model_dir = model_dir};
    long seed;
    if (cli_int(&args, "per-prompt", &o.per_prompt) || cli_int(&args, "overlap", &o.queue.overlap) ||
        cli_int(&args, "limit", &o.prompt_limit) || cli_int(&args, "batch-prompts", &o.batch_prompts) ||
        cli_int(&args, "max-new-tokens", &o.sampling.max_new_tokens) ||
        cli_float(&args, "temperature", &o.sampling.temperature) || cli_int(&args, "top-k", &o.sampling.top_k) ||
        cli_float(&args, "top-p", &o.sampling.top_p) || cli_long(&args, "seed", &seed))
        return 2;
    /* all or random: cli_parse refused the rest */
    o.queue.pairing = strcmp(cli_string(&args, "pairs"), "random") == 0 ? STORE_PAIRS_RANDOM : STORE_PAIRS_ALL;
    if (o.per_prompt < 2) return cli_usage_error("generate: --per-prompt %d: need at least 2 (a pair)", o.per_prompt);
    if (o.queue.overlap < 1) return cli_usage_error("generate: --overlap %d: must be at least 1", o.queue.overlap);
    if (o.batch_prompts < 1) return cli_usage_error("generate: --batch-prompts %d: must be at least 1", o.batch_prompts);
    if (o.prompt_limit < 0) return cli_usage_error("generate: --limit %d: must be >= 0 (0: all)", o.prompt_limit);
    /* random or uncertain: cli_parse refused the rest */
    bool uncertain = strcmp(cli_string(&args, "select"), "uncertain") == 0;
    const char *reward_dir = cli_string(&args, "reward");
    if (uncertain && !reward_dir) return cli_usage_error("generate: --select uncertain needs --reward DIR");
    if (!uncertain && reward_dir) return cli_usage_error("generate: --reward is for --select uncertain");
    if (uncertain && cli_flag(&args, "pairs"))
        return cli_usage_error("generate: --select uncertain queues one pair a prompt; leave out --pairs");
    if (uncertain && o.per_prompt < 3)
        return cli_usage_error("generate: --select uncertain: --per-prompt %d gives one pair to choose from; give 3 "
                               "or more", o.per_prompt);
    if (uncertain) o.queue.pairing = STORE_PAIRS_CLOSEST;
    /* all pairs grow as K^2: a typo in --per-prompt must not queue millions of pairs */
    long pairs_each = (long)o.per_prompt * (o.per_prompt - 1) / 2;
    if (o.queue.pairing == STORE_PAIRS_ALL && pairs_each > 10000)
        return cli_usage_error("generate: --per-prompt %d with --pairs all would queue %ld pairs a prompt (at most "
                               "10000); use --pairs random or --select uncertain, or fewer completions",
                               o.per_prompt, pairs_each);
    rlhf_error error;
    /* the same checks as rlhf sample; collect_generate checks the context length against
     * the model before it writes anything */
    if (collect_check_sampling(&o.sampling, 0, &error) != 0) return cli_usage_error("generate: %s", error.message);
    o.sampling.seed = o.queue.seed = (uint64_t)seed;
    const char *device;
    store *db;
    tokenizer *tok;
    gpt_model model;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    if (cli_load_model(model_dir, cli_string(&args, "device"), &tok, &model, &device) != 0) {
        store_close(db);
        return 1;
    }
    gpt_model reward = {0};
    if (uncertain) {
        int loaded = gpt_load(&reward, reward_dir, model.backend, &error);
        if (loaded == 0 && !reward.config.has_score_head)
            rlhf_error_set(&error, "--reward %s: not a reward model (no score.weight)", reward_dir), loaded = -1;
        else if (loaded == 0 && reward.config.vocab_size != model.config.vocab_size)
            rlhf_error_set(&error, "--reward %s: its vocabulary of %d tokens is not the policy's %d", reward_dir,
                           reward.config.vocab_size, model.config.vocab_size), loaded = -1;
        if (loaded != 0) {
            gpt_destroy(&reward);
            gpt_destroy(&model);
            tokenizer_free(tok);
            store_close(db);
            return cli_fail("generate: %s", error.message);
        }
        o.select_reward = &reward;
    }
    bool json = cli_flag(&args, "json");
    if (!json) fprintf(stderr, "rlhf: device %s\n", device);
    cli_progress progress;
    cli_progress_start(&progress, o.prompt_limit > 0 ? o.prompt_limit : 1);
    collect_generate_result result;
    int status = collect_generate(db, &model, tok, &o, on_progress, &progress, &result, &error);
    cli_progress_finish(&progress);
    int positions = model.config.n_positions;
    if (uncertain) gpt_destroy(&reward);
    gpt_destroy(&model);
    tokenizer_free(tok);
    store_close(db);
    /* one warning per skipped prompt, the first 20 of them */
    for (int i = 0; i < result.skipped_count && i < 20; i++) {
        const collect_skipped_prompt *skipped = &result.skipped[i];
        char name[160] = "";
        if (skipped->external_id) snprintf(name, sizeof name, " (id \"%.120s\")", skipped->external_id);
        fprintf(stderr, "rlhf: warning: generate: skipped prompt %lld%s: its %d tokens plus --max-new-tokens %d exceed "
                        "the model's %d positions\n",
                (long long)skipped->id, name, skipped->tokens, o.sampling.max_new_tokens, positions);
    }
    if (result.skipped_count > 20)
        fprintf(stderr, "rlhf: warning: generate: and %d more prompts skipped for their length\n", result.skipped_count - 20);
    if (status != 0) {
        if (result.prompts > 0)
            cli_fail("generate: %s (the %ld completions and %ld pairs of the %d prompts before were committed; "
                     "running generate again continues with the rest)",
                     error.message, result.completions, result.pairs, result.prompts);
        else
            cli_fail("generate: %s (nothing was written)", error.message);
        collect_generate_result_free(&result);
        return 1;
    }
    if (json) {
        char model_id[32] = "null";
        if (result.model_id) snprintf(model_id, sizeof model_id, "%lld", (long long)result.model_id);
        printf("{\"prompts\": %d, \"completions\": %ld, \"pairs\": %ld, \"skipped\": %d, \"identical_pairs\": %ld, "
               "\"taken_by_another_run\": %d, \"model_id\": %s, \"device\": \"%s\"}\n",
               result.prompts, result.completions, result.pairs, result.skipped_count, result.identical_pairs,
               result.taken_by_another_run, model_id, device);
    } else {
        printf("sampled %ld completions for %d prompts and queued %ld pairs", result.completions, result.prompts,
               result.pairs);
        if (result.identical_pairs)
            printf(" (%ld pairs of identical completions left out)", result.identical_pairs);
        if (result.skipped_count) printf("; skipped %d prompts too long for the model's context", result.skipped_count);
        if (result.taken_by_another_run)
            printf("; %d prompts were sampled meanwhile by another generate run (theirs kept)", result.taken_by_another_run);
        printf("\n");
    }
    collect_generate_result_free(&result);
    return 0;
}
