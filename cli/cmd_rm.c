/* rlhf rm train | eval | score: the reward model. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlhf/collect.h"
#include "rlhf/policy.h"
#include "rlhf/report.h"
#include "rlhf/reward.h"
#include "rlhf/tokenizer.h"

static const cli_option train_options[] = {
    {"db", "FILE", "the store with the comparisons", NULL},
    {"model", "DIR", "policy/SFT model directory: the trunk, and the reference policy for normalisation", NULL},
    {"out", "DIR", "reward model directory to write (GPT2ForSequenceClassification)", NULL},
    {"epochs", "N", "passes over the training pairs (at most: --patience may stop sooner)", "2"},
    {"eval-every", "N", "validate every N steps as well as at each epoch's end (0: epoch ends only)", "0"},
    {"keep", "best|last", "what --out holds at the end: the weights with the lowest validation loss, or the last (best without a validation set is last)", "best"},
    {"patience", "N", "stop after N validations in a row without a lower validation loss (0: never)", "0"},
    {"batch-pairs", "N", "pairs per step (two sequences each)", "8"},
    {"lr", "RATE", "peak learning rate", "1e-4"},
    {"schedule", "constant|linear|cosine", "learning-rate schedule after the warm-up", "linear"},
    {"warmup", "N", "warm-up steps", "10"},
    {"weight-decay", "W", "AdamW weight decay (matrices only)", "0.0"},
    {"grad-clip", "NORM", "clip the global gradient norm (0: off)", "1.0"},
    {"max-length", "N", "tokens per sequence (prompts are cut from the left)", "256"},
    {"margin-from-strength", NULL, "subtract a margin by strength (Llama 2: 0, 1/3, 2/3, 1)", NULL},
    {"center", "C", "reward centering coefficient (TRL's center_rewards_coefficient), at least 0", "0"},
    {"ties", "skip|equal", "skip: leave ties out; equal: train them towards equal rewards", "skip"},
    {"val-percent", "P", "prompts held out for validation (0-90), with all their pairs (by a hash of the prompt); 0: none (\"no validation set\", JSON null)", "10"},
    {"norm-samples", "N", "reference-policy samples for reward normalisation, one per stored prompt: 0 (none) or at least 2; more than the store's prompts uses them all and says so", "64"},
    {"norm-temperature", "T", "sampling temperature for those samples (above 0)", "1.0"},
    {"seed", "N", "random seed (head initialisation, pair order, samples)", "1"},
    {"resume", NULL, "continue from the last epoch checkpoint in --out up to --epochs in all; a run cut off after its last checkpoint (fitting the normalisation, writing the tokenizer or settings) is completed; a finished one is an error", NULL},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object with the result on stdout", NULL},
    {0},
};

static const cli_command train_command = {
    "rm train", "rm train --db FILE --model DIR --out DIR [--epochs N] [--lr RATE] [...]",
    "Trains a reward model (the model's trunk and a new scalar head, score.weight) on the store's\n"
    "comparisons with -log sigmoid(r_chosen - r_rejected - margin): skips and both-bad are left\n"
    "out, rankings give their implied pairs. Writes metrics to the store as a run, a checkpoint\n"
    "per epoch, and reward_normalization.json fitted on samples from the reference policy.\n"
    "Options, training pairs and prompts for normalisation are checked before the run is\n"
    "recorded or anything written. A loss that becomes non-finite stops training (exit 1): the\n"
    "run is marked failed, and only checkpoints of epochs completed before it stay in --out.",
    train_options,
};


typedef struct printer {
    bool json;
    cli_progress progress;
} printer;

/* Advances the progress bar; at each epoch's end prints the epoch's line (not with --json). */
static void on_step(const reward_train_report *r, void *user) {
    printer *p = user;
    char detail[96];
    snprintf(detail, sizeof detail, "loss %.3f acc %.2f", r->loss, r->running_accuracy);
    cli_progress_update(&p->progress, r->step, detail);
    if (p->json || !(r->epoch_end || r->evaluated)) return;
    if (p->progress.enabled) fputc('\n', stderr);
    printf("epoch %d  step %d/%d  loss %.4f  train accuracy %.3f", r->epoch, r->step, r->steps, r->loss,
           r->running_accuracy);
    if (isnan(r->val_loss)) printf("  no validation set");
    else if (isnan(r->val_accuracy)) printf("  val loss %.4f  (validation pairs are all ties)", r->val_loss);
    else printf("  val loss %.4f  val accuracy %.3f", r->val_loss, r->val_accuracy);
    printf("  lr %.2e%s%s\n", r->learning_rate, r->best ? "  (best so far)" : "",
           r->stopping ? "  -- patience ran out: stopping" : "");
    fflush(stdout);
}

/* Samples responses to the given prompts from the reference policy and fits the normalisation. */
static int fit_normalization(const store_prompt *prompts, int count, const char *policy_dir, const nn_backend *backend,
                             gpt_model *reward_model, const tokenizer *tok, float temperature, uint64_t seed,
                             reward_normalization *normalization, rlhf_error *error) {
    gpt_model policy;
    if (gpt_load(&policy, policy_dir, backend, error) != 0) return -1;
    const char **texts = calloc((size_t)count, sizeof *texts);
    const char **responses = calloc((size_t)count, sizeof *responses);
    policy_text_sample *out = calloc((size_t)count, sizeof *out);
    int status = 0;
    if (!texts || !responses || !out) {
        rlhf_error_set(error, "out of memory for %d normalisation samples", count);
        status = -1;
    }
    for (int i = 0; status == 0 && i < count; i++) texts[i] = prompts[i].text;
    policy_sampling sampling = {.temperature = temperature, .top_p = 1.0f, .max_new_tokens = 64, .seed = seed};
    if (status == 0) status = policy_sample_texts(&policy, tok, texts, count, &sampling, NULL, out, error);
    gpt_destroy(&policy);
    if (status == 0) {
        for (int i = 0; i < count; i++) responses[i] = out[i].text;
        status = reward_fit_normalization(reward_model, tok, texts, responses, count, normalization, error);
        for (int i = 0; i < count; i++) policy_text_sample_free(&out[i]);
    }
    free(out);
    free(texts);
    free(responses);
    return status;
}

/* rlhf rm train: trains a reward model on the store's preferences into --out, with optional
 * normalisation; returns the exit status. */
static int rm_train(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&train_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *db_path = cli_require(&args, "db"), *model_dir = cli_require(&args, "model");
    const char *out_dir = cli_require(&args, "out");
    if (!db_path || !model_dir || !out_dir) return 2;
    reward_train_options o = {.out_dir = out_dir, .adamw = nn_adamw_defaults(), .resume = cli_flag(&args, "resume"),
                              .margin_from_strength = cli_flag(&args, "margin-from-strength")};
    reward_data_options d = {0};
    int norm_samples;
    float center, norm_temperature;
    long seed;
    rlhf_error error;
    if (cli_int(&args, "epochs", &o.epochs) || cli_int(&args, "batch-pairs", &o.batch_pairs) ||
        cli_float(&args, "lr", &o.schedule.peak) || cli_int(&args, "warmup", &o.schedule.warmup_steps) ||
        cli_float(&args, "weight-decay", &o.adamw.weight_decay) || cli_float(&args, "grad-clip", &o.adamw.max_grad_norm) ||
        cli_int(&args, "eval-every", &o.eval_every) || cli_int(&args, "patience", &o.patience) ||
        cli_int(&args, "max-length", &d.max_length) || cli_float(&args, "center", &center) ||
        cli_int(&args, "val-percent", &d.validation_percent) || cli_int(&args, "norm-samples", &norm_samples) ||
        cli_float(&args, "norm-temperature", &norm_temperature) || cli_long(&args, "seed", &seed))
        return 2;
    if (nn_lr_kind_parse(cli_string(&args, "schedule"), &o.schedule.kind, &error) != 0) return cli_usage_error("rm train: %s", error.message);
    const char *ties = cli_string(&args, "ties"); /* skip or equal: cli_parse refused the rest */
    d.ties_as_equal = strcmp(ties, "equal") == 0;
    /* every value is checked before the store or any model is opened */
    if (o.epochs < 1) return cli_refuse("rm train", "epochs", "at least 1", o.epochs);
    if (o.batch_pairs < 1) return cli_refuse("rm train", "batch-pairs", "at least 1", o.batch_pairs);
    if (o.eval_every < 0) return cli_refuse("rm train", "eval-every", "at least 0 (0: at epoch ends only)", o.eval_every);
    if (o.patience < 0) return cli_refuse("rm train", "patience", "at least 0 (0: never stop early)", o.patience);
    o.keep = strcmp(cli_string(&args, "keep"), "last") == 0 ? REWARD_KEEP_LAST : REWARD_KEEP_BEST;
    if (cli_check_optimizer("rm train", &o.schedule, &o.adamw)) return 2;
    if (d.max_length < 4) return cli_refuse("rm train", "max-length", "at least 4", d.max_length);
    if (!(center >= 0)) return cli_refuse("rm train", "center", "at least 0 (0: off)", center);
    if (d.validation_percent < 0 || d.validation_percent > 90)
        return cli_refuse("rm train", "val-percent", "from 0 to 90", d.validation_percent);
    if (norm_samples != 0 && norm_samples < 2) return cli_refuse("rm train", "norm-samples", "0 (no normalisation) or at least 2", norm_samples);
    if (!(norm_temperature > 0)) return cli_refuse("rm train", "norm-temperature", "above 0", norm_temperature);
    o.center = center;
    o.seed = (uint64_t)seed;
    /* --model stays the reference policy (its samples fit the normalisation): the reward
     * model's checkpoints must not overwrite it */
    struct stat model_info, out_info;
    if (stat(model_dir, &model_info) == 0 && stat(out_dir, &out_info) == 0 && model_info.st_dev == out_info.st_dev &&
        model_info.st_ino == out_info.st_ino)
        return cli_usage_error("rm train: --out %s is the --model directory; the reward model goes to a directory of its "
                               "own (the policy stays the reference for normalisation and for PPO)", out_dir);
    if (rlhf_check_output_directory(out_dir, &error) != 0) return cli_fail("rm train: %s", error.message);
    int64_t saved_run = 0; /* a resumed training takes its run id back */
    if (o.resume) { /* a checkpoint that is already done is refused before anything changes */
        int done;
        int stopped_at;
        if (reward_checkpoint_epoch(out_dir, &done, &stopped_at, &saved_run, &error) != 0)
            return cli_fail("rm train: --resume: %s", error.message);
        /* a training that is over but whose folder still carries the unfinished mark was cut
         * off while saving its last files (the tokenizer, the settings, the normalisation):
         * --resume completes it */
        o.complete_finished = nn_run_is_unfinished(out_dir);
        if (reward_check_resumable(out_dir, done, stopped_at, o.epochs, o.complete_finished, &error) != 0)
            return cli_fail("rm train: --resume: %s", error.message);
    }
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    store *db;
    tokenizer *tok;
    if (store_open_existing(&db, db_path, &error) != 0) return cli_fail("%s", error.message);
    if (tokenizer_load(&tok, model_dir, &error) != 0) {
        store_close(db);
        return cli_fail("%s", error.message);
    }
    gpt_model model;
    reward_dataset data = {0};
    store_prompt *prompts = NULL;
    int prompt_count = 0;
    int status = o.resume ? gpt_load_checkpoint(&model, out_dir, backend, &error)
                          : gpt_load(&model, model_dir, backend, &error);
    bool loaded = status == 0;
    if (status == 0) status = gpt_add_score_head(&model, (uint64_t)seed, &error);
    if (status == 0 && d.max_length > model.config.n_positions) d.max_length = model.config.n_positions;
    if (status == 0) reward_data_options_for_model(&d, &model);
    if (status == 0) status = reward_load_dataset(db, tok, &d, &data, &error);
    /* what training and normalisation need is checked before the run is recorded */
    long train_pairs = status == 0 ? reward_training_pair_count(&data) : 0;
    if (status == 0 && train_pairs == 0) {
        if (data.count == 0)
            rlhf_error_set(&error, "no training pairs: %s has no usable comparisons (left out: %ld skips, %ld both-bad, "
                           "%ld ties)", db_path, data.left_out_skips, data.left_out_both_bad, data.left_out_ties);
        else
            rlhf_error_set(&error, "no training pairs: all %ld pairs of %s are held out by --val-percent %d", data.count,
                           db_path, d.validation_percent);
        status = -1;
    }
    if (status == 0 && norm_samples > 0) {
        status = store_list_prompts(db, 0, norm_samples, &prompts, &prompt_count, &error);
        if (status == 0 && prompt_count < 2) {
            rlhf_error_set(&error, "--norm-samples: normalisation samples one response per stored prompt and %s has %d "
                           "(use --norm-samples 0 to skip it)", db_path, prompt_count);
            status = -1;
        }
    }
    printer p = {.json = cli_flag(&args, "json")};
    if (status == 0 && norm_samples > prompt_count)
        fprintf(stderr, "rlhf: --norm-samples %d: %s has %d prompts, so normalisation uses %d samples (one per prompt)\n",
                norm_samples, db_path, prompt_count, prompt_count);
    reward_train_result result = {0};
    reward_normalization normalization = {0};
    int64_t run_id = 0;
    if (status == 0) {
        if (!p.json)
            fprintf(stderr, "rlhf: device %s; %ld pairs (left out: %ld skips, %ld both-bad, %ld ties); %ld sequences cut to fit\n",
                    device, data.count, data.left_out_skips, data.left_out_both_bad, data.left_out_ties,
                    data.truncated_prompts + data.truncated_responses);
        json_t *settings = json_pack("{s:s, s:s, s:i, s:i, s:f, s:b, s:f, s:s, s:i}", "model", model_dir, "out", out_dir,
                                     "epochs", o.epochs, "batch_pairs", o.batch_pairs, "lr", (double)o.schedule.peak,
                                     "margin_from_strength", o.margin_from_strength, "center", o.center, "ties", ties,
                                     "val_percent", d.validation_percent);
        char *config = settings ? json_dumps(settings, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(settings);
        if (!config) {
            rlhf_error_set(&error, "could not format the run's settings");
            status = -1;
        }
        /* a resumed training takes its run id back: one training, one series of metrics */
        int resumed = saved_run > 0 && status == 0 ? store_resume_run(db, saved_run, "rm", &error) : 1;
        if (resumed < 0) status = -1;
        else if (resumed == 0) run_id = saved_run;
        else if (status == 0) {
            if (saved_run > 0)
                fprintf(stderr, "rlhf: %s has no run %lld of this training; recording a new run\n", db_path,
                        (long long)saved_run);
            status = store_begin_run(db, "rm", config, &run_id, &error);
        }
        free(config);
        o.db = db;
        o.run_id = run_id;
    }
    /* from here --out changes: until its last file is written it is no finished model */
    nn_run_output output = {0};
    if (status == 0) status = nn_run_begin(&output, out_dir, "rlhf rm train", true, &error);
    /* a normalisation left by an earlier model in --out no longer applies, whether or not
     * this run fits a new one */
    if (status == 0) status = reward_remove_normalization(out_dir, &error);
    if (status == 0 && !o.resume) status = reward_remove_checkpoint(out_dir, &error);
    if (status == 0) {
        cli_progress_start(&p.progress, (long)o.epochs * ((train_pairs + o.batch_pairs - 1) / o.batch_pairs));
        status = reward_train(&model, &data, &o, on_step, &p, &result, &error);
        cli_progress_finish(&p.progress);
    }
    if (status == 0) status = tokenizer_save(tok, out_dir, &error);
    if (status == 0) status = reward_save_training_settings(&d, run_id, out_dir, &error);
    if (status == 0 && norm_samples > 0) {
        status = fit_normalization(prompts, prompt_count, model_dir, backend, &model, tok, norm_temperature,
                                   (uint64_t)seed, &normalization, &error);
        if (status == 0) status = reward_save_normalization(&normalization, out_dir, &error);
    }
    if (status == 0) status = nn_run_finish(&output, &error);
    else nn_run_abandon(&output, true); /* the old normalisation is gone: the old model is no more */
    if (run_id) store_finish_run(db, run_id, status == 0 ? "finished" : "failed", NULL);
    char val_loss[32], val_accuracy[32];
    if (status == 0 && p.json) {
        char norm[160] = "null";
        if (norm_samples > 0)
            snprintf(norm, sizeof norm, "{\"gain\": %.6g, \"bias\": %.6g, \"samples\": %d, \"requested\": %d}",
                     normalization.gain, normalization.bias, normalization.samples, norm_samples);
        char best_loss[32];
        printf("{\"train_pairs\": %ld, \"val_pairs\": %ld, \"start_epoch\": %d, \"steps\": %d, \"val_loss\": %s, \"val_accuracy\": %s, "
               "\"kept\": \"%s\", \"kept_step\": %d, \"best_step\": %d, \"best_val_loss\": %s, \"evaluations\": %d, "
               "\"stopped_at\": %d, "
               "\"pairs_per_s\": %.2f, \"run_id\": %lld, \"normalization\": %s, \"truncated\": %ld, \"device\": \"%s\", "
               "\"completed_only\": %s}\n",
               result.train_pairs, result.val_pairs, result.start_epoch, result.steps,
               cli_json_number_text(val_loss, result.val_loss), cli_json_number_text(val_accuracy, result.val_accuracy),
               result.kept_best ? "best" : "last", result.kept_best ? result.best_step : result.steps, result.best_step,
               cli_json_number_text(best_loss, result.best_val_loss), result.evaluations, result.stopped_at,
               result.pairs_per_second, (long long)run_id, norm, data.truncated_prompts + data.truncated_responses, device,
               result.completed_only ? "true" : "false");
    } else if (status == 0 && result.completed_only) {
        printf("completed %s: its training had ended (step %d) and was cut off while saving; wrote the rest", out_dir,
               result.steps);
        if (norm_samples > 0) printf(" with reward_normalization.json (%d samples)", normalization.samples);
        printf("; run %lld\n", (long long)run_id);
    } else if (status == 0) {
        printf("trained on %ld pairs (%ld held out) for %d steps at %.1f pairs/s: ", result.train_pairs, result.val_pairs,
               result.steps, result.pairs_per_second);
        if (isnan(result.val_loss)) printf("no validation set");
        else if (isnan(result.val_accuracy)) printf("validation loss %.4f (validation pairs are all ties)", result.val_loss);
        else printf("validation accuracy %.3f, loss %.4f", result.val_accuracy, result.val_loss);
        printf("; run %lld; saved %s", (long long)run_id, out_dir);
        if (norm_samples > 0) printf(" with reward_normalization.json (%d samples)", normalization.samples);
        printf("\n");
        if (result.stopped_at)
            printf("stopped early at step %d: no lower validation loss in %d validations\n", result.stopped_at, o.patience);
        if (result.kept_best)
            printf("kept the best weights: step %d of %d (validation loss %.4f, the lowest of %d validations)\n",
                   result.best_step, result.steps, result.best_val_loss, result.evaluations);
        else if (o.keep == REWARD_KEEP_BEST && result.best_step)
            printf("kept the last weights, step %d: they had the lowest validation loss of %d validations (%.4f)\n",
                   result.steps, result.evaluations, result.best_val_loss);
        else if (o.keep == REWARD_KEEP_BEST)
            printf("kept the last weights, step %d: without a validation set there is no best to keep\n", result.steps);
        else
            printf("kept the last weights, step %d (--keep last)\n", result.steps);
    }
    store_prompts_free(prompts, prompt_count);
    reward_dataset_free(&data);
    if (loaded) gpt_destroy(&model);
    tokenizer_free(tok);
    store_close(db);
    return status == 0 ? 0 : cli_fail("rm train: %s", error.message);
}

/* ------------------------------------------------------------------ eval */

static const cli_option eval_options[] = {
    {"db", "FILE", "the store", NULL},
    {"model", "DIR", "reward model directory", NULL},
    {"split", "val|all", "val (pairs held out in training) or all", "val"},
    {"plot", "FILE.png", "also draw the reliability diagram (and, beside it, FILE-curves.png of the training run; both are listed as written)", NULL},
    {"batch-size", "N", "sequences per forward pass", "16"},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command eval_command = {
    "rm eval", "rm eval --db FILE --model DIR [--split val|all] [--plot F.png] [--json]",
    "Accuracy (share of pairs where the chosen response scores higher) with a 95% interval, loss\n"
    "and mean margin with theirs, expected calibration error with reliability bins, accuracy by\n"
    "annotator, by strength and on pairs where annotators agreed or disagreed, the annotators' own\n"
    "agreement (the ceiling), and agreement with the oracle's gold scores where it labeled.",
    eval_options,
};

/* Gold scores from the oracle named in user. */
static double gold_score(const char *text, void *user) {
    double score = 0;
    collect_oracle_score(user, text, &score, NULL);
    return score;
}

/* A group's {pairs, accuracy} (accuracy null without pairs). */
static json_t *group_json(const reward_group_accuracy *g) {
    return json_pack("{s:I, s:o}", "pairs", (json_int_t)g->pairs, "accuracy",
                     g->pairs ? json_real((double)g->correct / g->pairs) : json_null());
}

/* rlhf rm eval: evaluates a reward model on the store's held-out (or all) pairs, with the unigram
 * baseline and optional plots. */
static int rm_eval(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&eval_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *db_path = cli_require(&args, "db"), *model_dir = cli_require(&args, "model");
    int batch_size;
    if (!db_path || !model_dir || cli_int(&args, "batch-size", &batch_size)) return 2;
    const char *split = cli_string(&args, "split"); /* val or all: cli_parse refused the rest */
    if (batch_size < 1) return cli_refuse("rm eval", "batch-size", "at least 1", batch_size);
    rlhf_error error;
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    /* the split and lengths the model was trained with; without reward_training.json only
     * --split all makes sense, with the default lengths */
    reward_data_options d = {.max_length = 256, .validation_percent = 10};
    int64_t run_id = 0;
    int settings = reward_load_training_settings(&d, &run_id, model_dir, &error);
    if (settings < 0) return cli_fail("rm eval: %s", error.message);
    if (settings > 0 && strcmp(split, "val") == 0)
        return cli_fail("rm eval: %s/reward_training.json is missing, so the validation split is unknown (use --split all)",
                        model_dir);
    store *db;
    tokenizer *tok;
    gpt_model model;
    if (store_open_existing(&db, db_path, &error) != 0) return cli_fail("%s", error.message);
    if (tokenizer_load(&tok, model_dir, &error) != 0) {
        store_close(db);
        return cli_fail("%s", error.message);
    }
    if (gpt_load(&model, model_dir, backend, &error) != 0 || !model.config.has_score_head) {
        if (!error.message[0] || model.parameters) rlhf_error_set(&error, "%s: not a reward model (no score.weight)", model_dir);
        tokenizer_free(tok);
        store_close(db);
        return cli_fail("rm eval: %s", error.message);
    }
    reward_dataset data;
    reward_evaluation ev = {0};
    reward_data_options_for_model(&d, &model);
    int status = reward_load_dataset(db, tok, &d, &data, &error);
    /* the oracle, if one labeled, provides gold scores */
    char *oracle = NULL;
    for (int i = 0; status == 0 && i < data.annotator_count && !oracle; i++)
        if (strncmp(data.annotators[i], "oracle:", 7) == 0) oracle = data.annotators[i] + 7;
    if (status == 0)
        status = reward_evaluate(&model, &data, strcmp(split, "val") == 0, batch_size, oracle ? gold_score : NULL, oracle,
                                 &ev, &error);
    /* the baseline anyone can trust, on the same split: counting tokens */
    reward_unigram_baseline baseline;
    bool have_baseline = false;
    if (status == 0) {
        rlhf_error baseline_error;
        have_baseline = reward_fit_unigram_baseline(&data, model.config.vocab_size, strcmp(split, "val") == 0,
                                                    oracle ? gold_score : NULL, oracle, &baseline, &baseline_error) == 0;
        if (!have_baseline) fprintf(stderr, "rlhf: no unigram baseline: %s\n", baseline_error.message);
    }
    /* --plot F.png draws F.png and F-curves.png (F-curves.png beside a name without .png) */
    const char *plot = cli_string(&args, "plot");
    char curves[4200] = "";
    bool curves_written = false;
    if (status == 0 && plot) {
        status = report_reliability_png("reward model calibration", ev.bin_count, ev.bin_confidence, ev.bin_accuracy,
                                        REWARD_CALIBRATION_BINS, ev.ece, plot, &error);
        if (status == 0) status = cli_png_sibling(curves, sizeof curves, plot, "-curves.png", &error);
        if (status == 0 && !run_id) {
            fprintf(stderr, "rlhf: no training curves: %s/reward_training.json names no run\n", model_dir);
        } else if (status == 0) {
            char *kind;
            store_metric_series *series;
            int count;
            rlhf_error metrics_error;
            if (store_run_metrics(db, run_id, &kind, &series, &count, &metrics_error) == 0) {
                status = report_curves_png("reward model training", series, count, curves, &error);
                curves_written = status == 0;
                store_metric_series_free(series, count);
                free(kind);
            } else { /* the model may have been trained on another store: the diagram still stands */
                fprintf(stderr, "rlhf: no training curves: %s\n", metrics_error.message);
            }
        }
    }
    if (status == 0) {
        json_t *root = json_object();
        json_object_set_new(root, "split", json_string(split));
        json_object_set_new(root, "pairs", json_integer(ev.pairs));
        json_object_set_new(root, "accuracy", cli_json_number(ev.accuracy));
        json_object_set_new(root, "accuracy_95", json_pack("[oo]", cli_json_number(ev.accuracy_low), cli_json_number(ev.accuracy_high)));
        json_object_set_new(root, "loss", cli_json_number(ev.loss));
        json_object_set_new(root, "loss_95_half_width", cli_json_number(ev.loss_half_width));
        json_object_set_new(root, "mean_margin", cli_json_number(ev.margin));
        json_object_set_new(root, "margin_95_half_width", cli_json_number(ev.margin_half_width));
        json_object_set_new(root, "mean_reward", cli_json_number(ev.mean_reward));
        json_object_set_new(root, "ece", cli_json_number(ev.ece));
        json_t *bins = json_array();
        for (int b = 0; b < REWARD_CALIBRATION_BINS; b++)
            json_array_append_new(bins, json_pack("{s:f, s:f, s:I, s:o, s:o}", "from", 0.5 + 0.05 * b, "to", 0.55 + 0.05 * b,
                                                  "pairs", (json_int_t)ev.bin_count[b], "confidence",
                                                  cli_json_number(ev.bin_confidence[b]), "accuracy", cli_json_number(ev.bin_accuracy[b])));
        json_object_set_new(root, "reliability", bins);
        json_t *annotators = json_object(), *strengths = json_object();
        for (int i = 0; i < data.annotator_count; i++)
            json_object_set_new(annotators, data.annotators[i], group_json(&ev.by_annotator[i]));
        for (int s = 0; s <= 4; s++)
            if (ev.by_strength[s].pairs)
                json_object_set_new(strengths, s ? store_strength_name(s) : "unspecified", group_json(&ev.by_strength[s]));
        json_object_set_new(root, "by_annotator", annotators);
        json_object_set_new(root, "by_strength", strengths);
        json_object_set_new(root, "annotators_agreed", group_json(&ev.agreed));
        json_object_set_new(root, "annotators_disagreed", group_json(&ev.disagreed));
        json_object_set_new(root, "single_annotator", group_json(&ev.single));
        json_object_set_new(root, "agreement_ceiling", cli_json_number(ev.annotator_agreement));
        json_object_set_new(root, "gold_pairs", json_integer(ev.gold_pairs));
        json_object_set_new(root, "gold_accuracy", cli_json_number(ev.gold_accuracy));
        json_object_set_new(root, "label_gold_accuracy", cli_json_number(ev.label_gold_accuracy));
        json_object_set_new(root, "gold_accuracy_95", json_pack("[oo]", cli_json_number(ev.gold_accuracy_low),
                                                                cli_json_number(ev.gold_accuracy_high)));
        json_t *gaps = json_array();
        for (int b = 0; b < REWARD_GOLD_GAP_BINS && ev.gold_pairs; b++) {
            const reward_gap_accuracy *g = &ev.by_gold_gap[b];
            json_array_append_new(gaps, json_pack("{s:f, s:o, s:I, s:o, s:o}", "from", reward_gold_gap_edges[b], "to",
                                                  isinf(reward_gold_gap_edges[b + 1]) ? json_null()
                                                                                      : json_real(reward_gold_gap_edges[b + 1]),
                                                  "pairs", (json_int_t)g->pairs, "accuracy",
                                                  g->pairs ? json_real((double)g->correct / g->pairs) : json_null(),
                                                  "gold_accuracy",
                                                  g->pairs ? json_real((double)g->gold_correct / g->pairs) : json_null()));
        }
        json_object_set_new(root, "by_gold_gap", gaps);
        if (have_baseline)
            json_object_set_new(root, "baseline", json_pack("{s:s, s:I, s:f, s:I, s:o, s:o, s:[oo], s:I, s:o, s:[oo]}",
                                                            "kind", "unigram logistic regression", "train_pairs",
                                                            (json_int_t)baseline.train_pairs, "l2", baseline.l2, "pairs",
                                                            (json_int_t)baseline.pairs, "accuracy",
                                                            cli_json_number(baseline.accuracy), "loss",
                                                            cli_json_number(baseline.loss), "accuracy_95",
                                                            cli_json_number(baseline.accuracy_low),
                                                            cli_json_number(baseline.accuracy_high), "gold_pairs",
                                                            (json_int_t)baseline.gold_pairs, "gold_accuracy",
                                                            cli_json_number(baseline.gold_accuracy), "gold_accuracy_95",
                                                            cli_json_number(baseline.gold_accuracy_low),
                                                            cli_json_number(baseline.gold_accuracy_high)));
        else
            json_object_set_new(root, "baseline", json_null());
        json_t *written = json_array();
        if (plot) json_array_append_new(written, json_string(plot));
        if (curves_written) json_array_append_new(written, json_string(curves));
        json_object_set_new(root, "wrote", written);
        if (cli_flag(&args, "json")) {
            char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
            puts(text);
            free(text);
        } else {
            printf("%s split: %ld pairs\n", split, ev.pairs);
            printf("accuracy   %.3f  (95%% interval %.3f - %.3f)", ev.accuracy, ev.accuracy_low, ev.accuracy_high);
            if (!isnan(ev.annotator_agreement))
                printf("   annotators agree with each other %.3f of the time (the ceiling)", ev.annotator_agreement);
            printf("\nloss       %.4f +- %.4f\nmargin     %.4f +- %.4f\nECE        %.4f\n", ev.loss, ev.loss_half_width,
                   ev.margin, ev.margin_half_width, ev.ece);
            for (int i = 0; i < data.annotator_count; i++)
                if (ev.by_annotator[i].pairs)
                    printf("  %-24s accuracy %.3f on %ld pairs\n", data.annotators[i],
                           (double)ev.by_annotator[i].correct / ev.by_annotator[i].pairs, ev.by_annotator[i].pairs);
            for (int s = 1; s <= 4; s++)
                if (ev.by_strength[s].pairs)
                    printf("  strength %-14s accuracy %.3f on %ld pairs\n", store_strength_name(s),
                           (double)ev.by_strength[s].correct / ev.by_strength[s].pairs, ev.by_strength[s].pairs);
            if (ev.agreed.pairs || ev.disagreed.pairs)
                printf("  annotators agreed: %.3f on %ld; disagreed: %.3f on %ld\n",
                       ev.agreed.pairs ? (double)ev.agreed.correct / ev.agreed.pairs : NAN, ev.agreed.pairs,
                       ev.disagreed.pairs ? (double)ev.disagreed.correct / ev.disagreed.pairs : NAN, ev.disagreed.pairs);
            if (ev.gold_pairs) {
                printf("agreement with the oracle's gold scores: %.3f (95%% interval %.3f - %.3f) on %ld pairs (the "
                       "labels themselves: %.3f)\n",
                       ev.gold_accuracy, ev.gold_accuracy_low, ev.gold_accuracy_high, ev.gold_pairs,
                       ev.label_gold_accuracy);
                for (int b = 0; b < REWARD_GOLD_GAP_BINS; b++) {
                    const reward_gap_accuracy *g = &ev.by_gold_gap[b];
                    char range[48];
                    if (isinf(reward_gold_gap_edges[b + 1]))
                        snprintf(range, sizeof range, "%.1f and above", reward_gold_gap_edges[b]);
                    else
                        snprintf(range, sizeof range, "%.1f - %.1f", reward_gold_gap_edges[b], reward_gold_gap_edges[b + 1]);
                    if (g->pairs)
                        printf("  gold gap %-14s accuracy %.3f  gold agreement %.3f  on %ld pairs\n", range,
                               (double)g->correct / g->pairs, (double)g->gold_correct / g->pairs, g->pairs);
                }
            }
            if (have_baseline) {
                printf("unigram baseline (token-count logistic regression, L2 %g, fitted on the same %ld training pairs):\n"
                       "           accuracy %.3f (95%% interval %.3f - %.3f)  loss %.4f",
                       baseline.l2, baseline.train_pairs, baseline.accuracy, baseline.accuracy_low,
                       baseline.accuracy_high, baseline.loss);
                if (baseline.gold_pairs) printf("  gold agreement %.3f", baseline.gold_accuracy);
                printf("\n           the model %s it by %+.3f in accuracy", ev.accuracy > baseline.accuracy ? "beats" : "trails",
                       ev.accuracy - baseline.accuracy);
                if (baseline.gold_pairs && ev.gold_pairs) printf(", %+.3f in gold agreement", ev.gold_accuracy - baseline.gold_accuracy);
                printf("\n");
            }
            if (plot) printf("wrote %s\n", plot);
            if (curves_written) printf("wrote %s\n", curves);
        }
        json_decref(root);
    }
    reward_evaluation_free(&ev);
    if (status == 0 || data.examples) reward_dataset_free(&data);
    gpt_destroy(&model);
    tokenizer_free(tok);
    store_close(db);
    return status == 0 ? 0 : cli_fail("rm eval: %s", error.message);
}

/* ------------------------------------------------------------------ score */

static const cli_option score_options[] = {
    {"model", "DIR", "reward model directory", NULL},
    {"prompt", "TEXT", "the prompt", ""},
    {"response", "TEXT", "the response", NULL},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command score_command = {
    "rm score", "rm score --model DIR --prompt TEXT --response TEXT [--json]",
    "The reward of one response (and, when the model has reward_normalization.json, the\n"
    "normalised reward; a reward_normalization.json that cannot be read is an error).",
    score_options,
};

/* rlhf rm score: prints the reward (normalised when the model has a normalisation) of one prompt and
 * response. */
static int rm_score(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&score_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *model_dir = cli_require(&args, "model"), *response = cli_require(&args, "response");
    if (!model_dir || !response) return 2;
    rlhf_error error;
    const char *device;
    tokenizer *tok;
    gpt_model model;
    if (cli_load_model(model_dir, cli_string(&args, "device"), &tok, &model, &device) != 0) return 1;
    float reward;
    int status = model.config.has_score_head ? reward_score_text(&model, tok, cli_string(&args, "prompt"), response, &reward, &error)
                                             : (rlhf_error_set(&error, "%s: not a reward model (no score.weight)", model_dir), -1);
    /* reward_normalization.json is optional, but a damaged one is an error, not ignored */
    reward_normalization n;
    int normalization = status == 0 ? reward_load_normalization(&n, model_dir, &error) : 1;
    if (normalization < 0) status = -1;
    bool normalized = status == 0 && normalization == 0;
    if (status == 0) {
        if (cli_flag(&args, "json")) {
            printf("{\"reward\": %.6g", reward);
            if (normalized) printf(", \"normalized\": %.6g", n.gain * reward + n.bias);
            printf("}\n");
        } else {
            printf("reward %.4f", reward);
            if (normalized) printf("  normalised %.4f", n.gain * reward + n.bias);
            printf("\n");
        }
    }
    gpt_destroy(&model);
    tokenizer_free(tok);
    return status == 0 ? 0 : cli_fail("rm score: %s", error.message);
}

static const cli_subcommand rm_members[] = {
    {"train", rm_train, "train on the store's comparisons"},
    {"eval", rm_eval, "accuracy, calibration and agreement on held-out pairs"},
    {"score", rm_score, "the reward of one response"},
};

/* rlhf rm train|eval|score. */
int cmd_rm(int argc, char **argv) {
    return cli_dispatch("rm", "The reward model.", rm_members, (int)(sizeof rm_members / sizeof rm_members[0]), argc,
                        argv);
}
