/* rlhf rm train | eval | score: the reward model. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    {"epochs", "N", "passes over the training pairs", "2"},
    {"batch-pairs", "N", "pairs per step (two sequences each)", "8"},
    {"lr", "RATE", "peak learning rate", "1e-4"},
    {"schedule", "KIND", "constant, linear or cosine", "linear"},
    {"warmup", "N", "warm-up steps", "10"},
    {"weight-decay", "W", "AdamW weight decay (matrices only)", "0.0"},
    {"grad-clip", "NORM", "clip the global gradient norm (0: off)", "1.0"},
    {"max-length", "N", "tokens per sequence (prompts are cut from the left)", "256"},
    {"margin-from-strength", NULL, "subtract a margin by strength (Llama 2: 0, 1/3, 2/3, 1)", NULL},
    {"center", "C", "reward centering coefficient (TRL's center_rewards_coefficient)", "0"},
    {"ties", "MODE", "skip: leave ties out; equal: train them towards equal rewards", "skip"},
    {"val-percent", "P", "prompts held out for validation, with all their pairs (by a hash of the prompt)", "10"},
    {"norm-samples", "N", "reference-policy samples for reward normalisation (0: none)", "64"},
    {"norm-temperature", "T", "sampling temperature for those samples", "1.0"},
    {"seed", "N", "random seed (head initialisation, pair order, samples)", "1"},
    {"resume", NULL, "continue from the last epoch checkpoint in --out", NULL},
    {"device", "NAME", "auto, cpu or cuda", "auto"},
    {"json", NULL, "print one JSON object with the result on stdout", NULL},
    {0},
};

static const cli_command train_command = {
    "rm train", "rm train --db FILE --model DIR --out DIR [--epochs N] [--lr RATE] [...]",
    "Trains a reward model (the model's trunk and a new scalar head, score.weight) on the store's\n"
    "comparisons with -log sigmoid(r_chosen - r_rejected - margin): skips and both-bad are left\n"
    "out, rankings give their implied pairs. Writes metrics to the store as a run, a checkpoint\n"
    "per epoch, and reward_normalization.json fitted on samples from the reference policy.",
    train_options,
};

typedef struct printer {
    bool json;
    cli_progress progress;
} printer;

static void on_step(const reward_train_report *r, void *user) {
    printer *p = user;
    char detail[96];
    snprintf(detail, sizeof detail, "loss %.3f acc %.2f", r->loss, r->running_accuracy);
    cli_progress_update(&p->progress, r->step, detail);
    if (p->json || r->val_loss < 0) return;
    if (p->progress.enabled) fputc('\n', stderr);
    printf("epoch %d  step %d/%d  loss %.4f  train accuracy %.3f  val loss %.4f  val accuracy %.3f  lr %.2e\n", r->epoch,
           r->step, r->steps, r->loss, r->running_accuracy, r->val_loss, r->val_accuracy, r->learning_rate);
    fflush(stdout);
}

/* Writes dir/reward_training.json: what evaluation needs to rebuild the same split. */
static int save_training_settings(const char *dir, const reward_data_options *data, long long run_id, rlhf_error *error) {
    char path[4096];
    snprintf(path, sizeof path, "%s/reward_training.json", dir);
    json_t *root = json_pack("{s:i, s:i, s:b, s:I}", "val_percent", data->validation_percent, "max_length",
                             data->max_length, "ties_as_equal", data->ties_as_equal, "run_id", (json_int_t)run_id);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    int status = rlhf_write_file_atomic(path, text, strlen(text), error);
    free(text);
    return status;
}

/* Samples responses to stored prompts from the reference policy and fits the normalisation. */
static int fit_normalization(store *db, const char *policy_dir, const nn_backend *backend, gpt_model *reward_model,
                             const tokenizer *tok, int samples, float temperature, uint64_t seed,
                             reward_normalization *normalization, rlhf_error *error) {
    store_prompt *prompts;
    int count;
    if (store_list_prompts(db, 0, samples, &prompts, &count, error) != 0) return -1;
    if (count < 2) {
        store_prompts_free(prompts, count);
        rlhf_error_set(error, "normalisation needs at least two stored prompts (use --norm-samples 0 to skip it)");
        return -1;
    }
    gpt_model policy;
    if (gpt_load(&policy, policy_dir, backend, error) != 0) {
        store_prompts_free(prompts, count);
        return -1;
    }
    const char **texts = malloc(sizeof(char *) * (size_t)count);
    const char **responses = malloc(sizeof(char *) * (size_t)count);
    for (int i = 0; i < count; i++) texts[i] = prompts[i].text;
    policy_text_sample *out = calloc((size_t)count, sizeof *out);
    policy_sampling sampling = {.temperature = temperature, .top_p = 1.0f, .max_new_tokens = 64, .seed = seed};
    int status = policy_sample_texts(&policy, tok, texts, count, &sampling, NULL, out, error);
    gpt_destroy(&policy);
    if (status == 0) {
        for (int i = 0; i < count; i++) responses[i] = out[i].text;
        status = reward_fit_normalization(reward_model, tok, texts, responses, count, normalization, error);
        for (int i = 0; i < count; i++) policy_text_sample_free(&out[i]);
    }
    free(out);
    free(texts);
    free(responses);
    store_prompts_free(prompts, count);
    return status;
}

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
        cli_int(&args, "max-length", &d.max_length) || cli_float(&args, "center", &center) ||
        cli_int(&args, "val-percent", &d.validation_percent) || cli_int(&args, "norm-samples", &norm_samples) ||
        cli_float(&args, "norm-temperature", &norm_temperature) || cli_long(&args, "seed", &seed))
        return 2;
    if (nn_lr_kind_parse(cli_string(&args, "schedule"), &o.schedule.kind, &error) != 0) return cli_usage_error("rm train: %s", error.message);
    const char *ties = cli_string(&args, "ties");
    if (strcmp(ties, "skip") && strcmp(ties, "equal")) return cli_usage_error("rm train: --ties is skip or equal");
    d.ties_as_equal = strcmp(ties, "equal") == 0;
    if (o.epochs <= 0 || o.batch_pairs <= 0 || d.max_length < 4 || d.validation_percent < 0 || d.validation_percent > 90)
        return cli_usage_error("rm train: need --epochs, --batch-pairs > 0, --max-length >= 4, 0 <= --val-percent <= 90");
    o.center = center;
    o.seed = (uint64_t)seed;
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    store *db;
    tokenizer *tok;
    if (store_open(&db, db_path, &error) != 0) return cli_fail("%s", error.message);
    if (tokenizer_load(&tok, model_dir, &error) != 0) {
        store_close(db);
        return cli_fail("%s", error.message);
    }
    gpt_model model;
    reward_dataset data = {0};
    int status = gpt_load(&model, o.resume ? out_dir : model_dir, backend, &error);
    bool loaded = status == 0;
    if (status == 0) status = gpt_add_score_head(&model, (uint64_t)seed, &error);
    if (status == 0 && d.max_length > model.config.n_positions) d.max_length = model.config.n_positions;
    if (status == 0) status = reward_load_dataset(db, tok, &d, &data, &error);
    printer p = {.json = cli_flag(&args, "json")};
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
        char *config = json_dumps(settings, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(settings);
        status = store_begin_run(db, "rm", config, &run_id, &error);
        free(config);
        o.db = db;
        o.run_id = run_id;
    }
    if (status == 0) {
        cli_progress_start(&p.progress, (long)o.epochs * ((data.count + o.batch_pairs - 1) / o.batch_pairs));
        status = reward_train(&model, &data, &o, on_step, &p, &result, &error);
        cli_progress_finish(&p.progress);
    }
    if (status == 0) status = tokenizer_save(tok, out_dir, &error);
    if (status == 0) status = save_training_settings(out_dir, &d, (long long)run_id, &error);
    if (status == 0 && norm_samples > 0) {
        status = fit_normalization(db, model_dir, backend, &model, tok, norm_samples, norm_temperature, (uint64_t)seed,
                                   &normalization, &error);
        if (status == 0) status = reward_save_normalization(&normalization, out_dir, &error);
    }
    if (run_id) store_finish_run(db, run_id, status == 0 ? "finished" : "failed", NULL);
    if (status == 0 && p.json)
        printf("{\"train_pairs\": %ld, \"val_pairs\": %ld, \"start_epoch\": %d, \"steps\": %d, \"val_loss\": %.6g, \"val_accuracy\": %.6g, "
               "\"pairs_per_s\": %.2f, \"run_id\": %lld, \"normalization\": {\"gain\": %.6g, \"bias\": %.6g, \"samples\": %d}, "
               "\"truncated\": %ld, \"device\": \"%s\"}\n",
               result.train_pairs, result.val_pairs, result.start_epoch, result.steps, result.val_loss, result.val_accuracy,
               result.pairs_per_second, (long long)run_id, normalization.gain, normalization.bias, normalization.samples,
               data.truncated_prompts + data.truncated_responses, device);
    else if (status == 0)
        printf("trained on %ld pairs (%ld held out) for %d steps at %.1f pairs/s: validation accuracy %.3f, loss %.4f; "
               "run %lld; saved %s%s\n",
               result.train_pairs, result.val_pairs, result.steps, result.pairs_per_second, result.val_accuracy,
               result.val_loss, (long long)run_id, out_dir, norm_samples > 0 ? " with reward_normalization.json" : "");
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
    {"split", "NAME", "val (pairs held out in training) or all", "val"},
    {"plot", "FILE.png", "also draw the reliability diagram (and, beside it, FILE-curves.png of the training run)", NULL},
    {"batch-size", "N", "sequences per forward pass", "16"},
    {"device", "NAME", "auto, cpu or cuda", "auto"},
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

static json_t *group_json(const reward_group_accuracy *g) {
    return json_pack("{s:I, s:o}", "pairs", (json_int_t)g->pairs, "accuracy",
                     g->pairs ? json_real((double)g->correct / g->pairs) : json_null());
}

static json_t *number(double x) { return isnan(x) ? json_null() : json_real(x); }

static int rm_eval(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&eval_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *db_path = cli_require(&args, "db"), *model_dir = cli_require(&args, "model");
    int batch_size;
    if (!db_path || !model_dir || cli_int(&args, "batch-size", &batch_size)) return 2;
    const char *split = cli_string(&args, "split");
    if (strcmp(split, "val") && strcmp(split, "all")) return cli_usage_error("rm eval: --split is val or all");
    rlhf_error error;
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    /* the split and lengths the model was trained with */
    reward_data_options d = {.max_length = 256, .validation_percent = 10};
    long long run_id = 0;
    char settings_path[4096];
    snprintf(settings_path, sizeof settings_path, "%s/reward_training.json", model_dir);
    json_t *settings = json_load_file(settings_path, 0, NULL);
    if (settings) {
        int ties = 0;
        json_unpack(settings, "{s?i, s?i, s?b, s?I}", "val_percent", &d.validation_percent, "max_length", &d.max_length,
                    "ties_as_equal", &ties, "run_id", &run_id);
        d.ties_as_equal = ties;
        json_decref(settings);
    } else if (strcmp(split, "val") == 0) {
        return cli_fail("rm eval: %s is missing, so the validation split is unknown (use --split all)", settings_path);
    }
    store *db;
    tokenizer *tok;
    gpt_model model;
    if (store_open(&db, db_path, &error) != 0) return cli_fail("%s", error.message);
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
    int status = reward_load_dataset(db, tok, &d, &data, &error);
    /* the oracle, if one labeled, provides gold scores */
    char *oracle = NULL;
    for (int i = 0; status == 0 && i < data.annotator_count && !oracle; i++)
        if (strncmp(data.annotators[i], "oracle:", 7) == 0) oracle = data.annotators[i] + 7;
    if (status == 0)
        status = reward_evaluate(&model, &data, strcmp(split, "val") == 0, batch_size, oracle ? gold_score : NULL, oracle,
                                 &ev, &error);
    const char *plot = cli_string(&args, "plot");
    if (status == 0 && plot) {
        status = report_reliability_png("reward model calibration", ev.bin_count, ev.bin_confidence, ev.bin_accuracy,
                                        REWARD_CALIBRATION_BINS, ev.ece, plot, &error);
        if (status == 0 && run_id) {
            char *kind;
            store_metric_series *series;
            int count;
            char curves[4200];
            snprintf(curves, sizeof curves, "%.*s-curves.png", (int)(strlen(plot) > 4 ? strlen(plot) - 4 : strlen(plot)), plot);
            if (store_run_metrics(db, run_id, &kind, &series, &count, &error) == 0) {
                status = report_curves_png("reward model training", series, count, curves, &error);
                store_metric_series_free(series, count);
                free(kind);
            }
        }
    }
    if (status == 0) {
        json_t *root = json_object();
        json_object_set_new(root, "split", json_string(split));
        json_object_set_new(root, "pairs", json_integer(ev.pairs));
        json_object_set_new(root, "accuracy", number(ev.accuracy));
        json_object_set_new(root, "accuracy_95", json_pack("[oo]", number(ev.accuracy_low), number(ev.accuracy_high)));
        json_object_set_new(root, "loss", number(ev.loss));
        json_object_set_new(root, "loss_95_half_width", number(ev.loss_half_width));
        json_object_set_new(root, "mean_margin", number(ev.margin));
        json_object_set_new(root, "margin_95_half_width", number(ev.margin_half_width));
        json_object_set_new(root, "mean_reward", number(ev.mean_reward));
        json_object_set_new(root, "ece", number(ev.ece));
        json_t *bins = json_array();
        for (int b = 0; b < REWARD_CALIBRATION_BINS; b++)
            json_array_append_new(bins, json_pack("{s:f, s:f, s:I, s:o, s:o}", "from", 0.5 + 0.05 * b, "to", 0.55 + 0.05 * b,
                                                  "pairs", (json_int_t)ev.bin_count[b], "confidence",
                                                  number(ev.bin_confidence[b]), "accuracy", number(ev.bin_accuracy[b])));
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
        json_object_set_new(root, "agreement_ceiling", number(ev.annotator_agreement));
        json_object_set_new(root, "gold_pairs", json_integer(ev.gold_pairs));
        json_object_set_new(root, "gold_accuracy", number(ev.gold_accuracy));
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
            if (ev.gold_pairs) printf("agreement with the oracle's gold scores: %.3f on %ld pairs\n", ev.gold_accuracy, ev.gold_pairs);
            if (plot) printf("wrote %s\n", plot);
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
    {"device", "NAME", "auto, cpu or cuda", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command score_command = {
    "rm score", "rm score --model DIR --prompt TEXT --response TEXT [--json]",
    "The reward of one response (and, when the model has reward_normalization.json, the\n"
    "normalised reward).",
    score_options,
};

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
    reward_normalization n;
    bool normalized = status == 0 && reward_load_normalization(&n, model_dir, NULL) == 0;
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

int cmd_rm(int argc, char **argv) { return cli_dispatch("rm", "The reward model.", rm_members, 3, argc, argv); }
