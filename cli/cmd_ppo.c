/* rlhf ppo: PPO of a policy against a reward model, held near the starting policy by a KL
 * penalty, on the store's prompts; evaluated before and after on the prompts rm train held
 * out. */
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
#include "rlhf/ppo.h"
#include "rlhf/reward.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"db", "FILE", "the store: its prompts, and the run's metrics", NULL},
    {"policy", "DIR", "the starting policy (also the frozen reference)", NULL},
    {"reward", "DIR", "the reward model (rm train's output, with reward_normalization.json)", NULL},
    {"out", "DIR", "where the trained policy goes (the value model in DIR/value)", NULL},
    {"value", "DIR", "the value model to start from (default: the reward model)", NULL},
    {"steps", "N", "PPO iterations", "100"},
    {"batch", "N", "prompts (responses) per iteration", "64"},
    {"max-new-tokens", "N", "response length limit", "48"},
    {"temperature", "T", "sampling temperature, also used for every log-prob", "0.7"},
    {"kl-coef", "BETA", "KL penalty coefficient (the start, with --target-kl)", "0.05"},
    {"target-kl", "NATS", "adapt beta towards this KL per response (Ziegler's controller; 0: fixed beta)", "0"},
    {"kl-horizon", "N", "the adaptive controller's horizon in episodes", "10000"},
    {"kl-estimator", "k1|k3", "per-token KL estimate in the reward", "k1"},
    {"lr", "RATE", "policy learning rate (linear decay to 0)", "1e-5"},
    {"value-lr", "RATE", "value model learning rate (linear decay to 0)", "1e-5"},
    {"ppo-epochs", "N", "passes over each batch", "4"},
    {"minibatches", "N", "pieces each pass is cut into", "4"},
    {"clip", "C", "policy ratio clip", "0.2"},
    {"value-clip", "C", "value clip", "0.2"},
    {"gamma", "G", "discount", "1.0"},
    {"lambda", "L", "GAE lambda", "0.95"},
    {"missing-eos-penalty", "P", "added to the score of a response that never ended", "-1.0"},
    {"eval-prompts", "N", "held-out prompts to evaluate on, before and after", "128"},
    {"eval-every", "N", "also evaluate every N steps (0: before and after only)", "0"},
    {"gold", "NAME", "also report the scripted annotator NAME's gold score (the demo: sentiment)", NULL},
    {"save-every", "N", "checkpoint --out every N steps (0: only at the end)", "25"},
    {"stop-after", "N", "end this run after N steps with a checkpoint (continue later with --resume)", "0"},
    {"resume", NULL, "continue the run checkpointed in --out (the same options; --steps is the total)", NULL},
    {"seed", "N", "random seed (sampling, prompt order)", "1"},
    {"device", "auto|cpu|cuda", "where the models run (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object with the result on stdout", NULL},
    {0},
};

static const cli_command command = {
    "ppo", "ppo --db FILE --policy DIR --reward DIR --out DIR [--steps N] [--batch N] [--kl-coef B] [...]",
    "PPO with a KL penalty: each iteration samples a response to --batch of the store's prompts\n"
    "(those rm train did not hold out), scores them with the reward model (normalised, minus a\n"
    "penalty when a response never ended), penalises each token by beta times its KL to the\n"
    "frozen starting policy, and takes clipped policy and value updates (GAE, whitened\n"
    "advantages). The held-out prompts are evaluated before and after: the reward model's\n"
    "score, the KL to the reference, the response length and, with --gold, the gold score.",
    options,
};

/* The reward model and its normalisation as ppo_iteration's score callback. */
typedef struct reward_scorer {
    gpt_model *model;
    reward_normalization normalization;
    bool normalized;
    int eos_id;
} reward_scorer;

/* ppo_iteration's score callback: the reward model's (normalised when it has a normalisation) scores
 * of the responses. */
static int score_with_reward_model(const int *const *prompts, const int *prompt_lengths, const int *const *responses,
                                   const int *response_lengths, int count, float *scores, void *user,
                                   rlhf_error *error) {
    reward_scorer *scorer = user;
    return reward_score_responses(scorer->model, scorer->normalized ? &scorer->normalization : NULL, prompts,
                                  prompt_lengths, responses, response_lengths, count, scorer->eos_id, 64, scores,
                                  error);
}

enum { EVALUATION_SAMPLES = 3 };

/* What an evaluation on the held-out prompts measured. */
typedef struct evaluation {
    double score, kl, length, gold;   /* means over responses; gold NAN without --gold */
    char *samples[EVALUATION_SAMPLES]; /* the first responses' texts (NULL past the count) */
} evaluation;

/* Frees an evaluation's sample texts. */
static void evaluation_free(evaluation *e) {
    for (int i = 0; i < EVALUATION_SAMPLES; i++) free(e->samples[i]);
    memset(e->samples, 0, sizeof e->samples);
}

/* Samples one response to each held-out prompt (fixed seed), and measures it. */
static int evaluate(gpt_model *policy, gpt_model *reference, reward_scorer *scorer, const tokenizer *tok,
                    const int *const *prompts, const int *prompt_lengths, int count, const ppo_settings *settings,
                    const char *gold, evaluation *result, rlhf_error *error) {
    memset(result, 0, sizeof *result);
    result->gold = NAN;
    int width = settings->max_new_tokens;
    policy_sampling sampling = {.temperature = settings->temperature, .top_p = 1.0f, .max_new_tokens = width,
                                .seed = 20240, .eos_id = settings->eos_id};
    policy_generation generation;
    if (policy_generate(policy, prompts, prompt_lengths, count, &sampling, &generation, error) != 0) return -1;
    const int **responses = malloc(sizeof(int *) * (size_t)count);
    float *scores = malloc(sizeof(float) * (size_t)count), *mine = malloc(sizeof(float) * (size_t)count * width);
    float *theirs = malloc(sizeof(float) * (size_t)count * width);
    int status = responses && scores && mine && theirs ? 0 : -1;
    if (status != 0) rlhf_error_set(error, "out of memory evaluating %d prompts", count);
    for (int i = 0; status == 0 && i < count; i++) responses[i] = generation.tokens + (size_t)i * width;
    policy_sequences rows = {.prompts = prompts, .prompt_lengths = prompt_lengths, .responses = responses,
                             .response_lengths = generation.lengths, .count = count};
    if (status == 0)
        status = score_with_reward_model(prompts, prompt_lengths, responses, generation.lengths, count, scores, scorer,
                                         error) ||
                         policy_sequence_logprobs(policy, &rows, width, settings->temperature, mine, NULL, error) ||
                         policy_sequence_logprobs(reference, &rows, width, settings->temperature, theirs, NULL, error)
                     ? -1
                     : 0;
    double gold_sum = 0;
    for (int i = 0; status == 0 && i < count; i++) {
        int n = generation.lengths[i];
        result->score += scores[i];
        result->length += n;
        for (int t = 0; t < n; t++) result->kl += ppo_kl_estimate(PPO_KL_K1, mine[i * width + t], theirs[i * width + t]);
        /* the text, without the end-of-text token */
        int text_tokens = n > 0 && responses[i][n - 1] == settings->eos_id ? n - 1 : n;
        char *text;
        if (policy_decode_text(tok, responses[i], (size_t)text_tokens, &text, error) != 0) {
            status = -1;
            break;
        }
        if (gold) {
            double value;
            if (collect_oracle_score(gold, text, &value, error) != 0) {
                free(text);
                status = -1;
                break;
            }
            gold_sum += value;
        }
        if (i < EVALUATION_SAMPLES) result->samples[i] = text;
        else free(text);
    }
    if (status == 0) {
        result->score /= count;
        result->kl /= count;
        result->length /= count;
        if (gold) result->gold = gold_sum / count;
    }
    policy_generation_free(&generation);
    free(responses);
    free(scores);
    free(mine);
    free(theirs);
    return status;
}

/* An evaluation as {score, kl, length, gold, samples} (null for what was not measured). */
static json_t *evaluation_json(const evaluation *e) {
    json_t *samples = json_array();
    for (int i = 0; i < EVALUATION_SAMPLES && e->samples[i]; i++) json_array_append_new(samples, rlhf_json_text(e->samples[i]));
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "score", cli_json_number(e->score), "kl", cli_json_number(e->kl),
                     "length", cli_json_number(e->length), "gold", cli_json_number(e->gold), "samples", samples);
}

/* What every evaluation of a run shares: the models, the held-out prompts, the settings,
 * and where the results go (the store run, and the terminal unless --json). */
typedef struct evaluation_setup {
    gpt_model *policy, *reference;
    reward_scorer *scorer;
    const tokenizer *tok;
    const int *const *prompts;
    const int *prompt_lengths;
    int count;
    const ppo_settings *settings;
    const char *gold;
    store *db;
    int64_t run;
    bool json;
} evaluation_setup;

/* Evaluates the policy at step (0: before training), logs the figures under eval/ names
 * and, unless --json, prints them as "WHEN: ..." with the samples. */
static int evaluate_at(const evaluation_setup *setup, int step, const char *when, evaluation *result,
                       rlhf_error *error) {
    if (evaluate(setup->policy, setup->reference, setup->scorer, setup->tok, setup->prompts, setup->prompt_lengths,
                 setup->count, setup->settings, setup->gold, result, error) != 0)
        return -1;
    store_log_metric(setup->db, setup->run, step, "eval/score", result->score, NULL);
    store_log_metric(setup->db, setup->run, step, "eval/kl", result->kl, NULL);
    store_log_metric(setup->db, setup->run, step, "eval/length", result->length, NULL);
    if (!isnan(result->gold)) store_log_metric(setup->db, setup->run, step, "eval/gold", result->gold, NULL);
    if (setup->json) return 0;
    printf("%s: reward-model score %.3f  KL %.3f nats  length %.1f", when, result->score, result->kl, result->length);
    if (!isnan(result->gold)) printf("  gold %.3f", result->gold);
    printf("\n");
    for (int i = 0; i < EVALUATION_SAMPLES && result->samples[i]; i++) printf("  sample: %s\n", result->samples[i]);
    return 0;
}

/* Logs one iteration's statistics under TRL's names. */
static void log_iteration(store *db, int64_t run, int step, const ppo_iteration_stats *s, float lr) {
    struct {
        const char *name;
        double value;
    } metrics[] = {
        {"objective/scores", s->score},          {"objective/kl", s->kl},
        {"objective/non_score_reward", s->non_score_reward}, {"objective/rlhf_reward", s->score + s->non_score_reward},
        {"objective/entropy", s->entropy},       {"policy/approxkl_avg", s->approx_kl},
        {"policy/clipfrac_avg", s->clip_fraction}, {"loss/policy_avg", s->policy_loss},
        {"loss/value_avg", s->value_loss},       {"val/clipfrac_avg", s->value_clip_fraction},
        {"val/ratio", s->ratio_mean},            {"val/ratio_var", s->ratio_var},
        {"val/num_eos_tokens", s->eos_fraction}, {"val/explained_variance", s->explained_variance},
        {"lr", lr},                              {"beta", s->beta},
        {"response_length/mean", s->response_length}, {"timing_s/gen", s->seconds_generate},
        {"timing_s/score", s->seconds_score},    {"timing_s/update", s->seconds_update},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++)
        if (isfinite(metrics[i].value)) store_log_metric(db, run, step, metrics[i].name, metrics[i].value, NULL);
}

/* Where a run is: saved in --out's training_state.safetensors beside the policy (the value
 * model's optimizer in --out/value's), so --resume continues it bit for bit on the CPU. */
typedef struct ppo_position {
    int step;          /* steps done */
    double beta;       /* the controller's coefficient */
    int pass, next;    /* prompt order: pass number (its shuffle) and the next prompt in it */
    bool finished;     /* the run reached --steps */
    int64_t run;       /* the store's run id, taken up again on resume (0: none recorded) */
} ppo_position;

/* Saves policy, value model and both optimizers, with the position, into out_dir (the
 * value model in out_dir/value). The policy's state file is written last: a checkpoint is
 * only taken up on resume once its training_state names the weights beside it (their
 * fingerprint), so a kill in between leaves the previous state refused, not half-read. */
static int save_checkpoint(const char *out_dir, const char *value_dir, const tokenizer *tok, const gpt_model *policy,
                           const nn_adamw *policy_optimizer, const gpt_model *value, const nn_adamw *value_optimizer,
                           const ppo_position *at, rlhf_error *error) {
    char step[16], beta[40], pass[16], next[16], finished[4], run[24];
    snprintf(run, sizeof run, "%lld", (long long)at->run);
    snprintf(step, sizeof step, "%d", at->step);
    snprintf(beta, sizeof beta, "%.17g", at->beta);
    snprintf(pass, sizeof pass, "%d", at->pass);
    snprintf(next, sizeof next, "%d", at->next);
    snprintf(finished, sizeof finished, "%d", at->finished ? 1 : 0);
    const char *keys[6] = {"ppo_step", "beta", "prompt_pass", "prompt_next", "finished", "run_id"};
    const char *values[6] = {step, beta, pass, next, finished, run};
    if (gpt_save(value, value_dir, error) || tokenizer_save(tok, value_dir, error) ||
        nn_training_state_save(value_optimizer, value, value_dir, keys, values, 1, error))
        return -1;
    if (gpt_save(policy, out_dir, error) || tokenizer_save(tok, out_dir, error) ||
        nn_training_state_save(policy_optimizer, policy, out_dir, keys, values, 6, error))
        return -1;
    return 0;
}

/* An integer metadata value a PPO checkpoint must have, or -1 (error set). */
static int metadata_int(const safetensors_file *state, const char *key, int *value, rlhf_error *error) {
    int read = safetensors_metadata_count(state, key, value, error);
    if (read == 1) rlhf_error_set(error, "%s: no \"%s\" (not a PPO checkpoint?)", state->path, key);
    return read == 0 ? 0 : -1;
}

/* Loads the checkpoint of a run: the policy's and value model's optimizer moments (each
 * checked against the weights beside it) and the position. */
static int load_checkpoint(const char *out_dir, const char *value_dir, gpt_model *policy, nn_adamw *policy_optimizer,
                           gpt_model *value, nn_adamw *value_optimizer, ppo_position *at, rlhf_error *error) {
    safetensors_file state;
    if (nn_training_state_load(value_optimizer, value, value_dir, &state, error) != 0) return -1;
    int value_step = -1;
    int status = metadata_int(&state, "ppo_step", &value_step, error);
    safetensors_close(&state);
    if (status != 0 || nn_training_state_load(policy_optimizer, policy, out_dir, &state, error) != 0) return -1;
    int finished = 0;
    status = metadata_int(&state, "ppo_step", &at->step, error) || metadata_int(&state, "prompt_pass", &at->pass, error) ||
                     metadata_int(&state, "prompt_next", &at->next, error) ||
                     metadata_int(&state, "finished", &finished, error)
                 ? -1
                 : 0;
    const char *beta = safetensors_metadata(&state, "beta");
    char *end = NULL;
    at->beta = beta ? strtod(beta, &end) : NAN;
    if (status == 0 && (!beta || end == beta || *end || !isfinite(at->beta) || at->beta < 0)) {
        rlhf_error_set(error, "%s: \"beta\" is missing or not a number", state.path);
        status = -1;
    }
    if (status == 0 && value_step != at->step) {
        rlhf_error_set(error, "%s holds step %d and %s step %d: a run stopped between saving the two; train again "
                       "without --resume", value_dir, value_step, out_dir, at->step);
        status = -1;
    }
    at->finished = finished != 0;
    const char *run = safetensors_metadata(&state, "run_id"); /* absent in older checkpoints */
    at->run = run ? strtoll(run, NULL, 10) : 0;
    safetensors_close(&state);
    return status;
}

/* Puts the training prompts of pass `pass` in their order: the stored order shuffled by a
 * stream of (seed, pass), so a resumed run takes the same prompts as an unbroken one. */
static void order_pass(int *train, const int *stored_order, int count, uint64_t seed, int pass) {
    memcpy(train, stored_order, sizeof(int) * (size_t)count);
    rlhf_rng order;
    rlhf_rng_seed(&order, seed * 7919 + 3 + (uint64_t)pass * 1000003ULL);
    for (int k = count - 1; k > 0; k--) {
        int j = (int)(rlhf_rng_next(&order) % (uint64_t)(k + 1)), swap = train[k];
        train[k] = train[j];
        train[j] = swap;
    }
}

/* rlhf ppo: loads the four models, splits the store's prompts as rm train did, runs --steps PPO
 * iterations with checkpoints and evaluations, saves --out. */
int cmd_ppo(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *db_path = cli_require(&args, "db"), *policy_dir = cli_require(&args, "policy");
    const char *reward_dir = cli_require(&args, "reward"), *out_dir = cli_require(&args, "out");
    if (!db_path || !policy_dir || !reward_dir || !out_dir) return 2;
    const char *value_dir = cli_string(&args, "value") ? cli_string(&args, "value") : reward_dir;
    const char *gold = cli_string(&args, "gold");
    ppo_settings settings = ppo_settings_defaults();
    int steps, batch, eval_count, eval_every, save_every, stop_after;
    long seed;
    float beta, target, horizon, clip, value_clip, gamma, lambda, penalty;
    if (cli_int(&args, "steps", &steps) || cli_int(&args, "batch", &batch) ||
        cli_int(&args, "max-new-tokens", &settings.max_new_tokens) ||
        cli_float(&args, "temperature", &settings.temperature) || cli_float(&args, "kl-coef", &beta) ||
        cli_float(&args, "target-kl", &target) || cli_float(&args, "kl-horizon", &horizon) ||
        cli_float(&args, "lr", &settings.policy_lr) || cli_float(&args, "value-lr", &settings.value_lr) ||
        cli_int(&args, "ppo-epochs", &settings.ppo_epochs) || cli_int(&args, "minibatches", &settings.minibatches) ||
        cli_float(&args, "clip", &clip) || cli_float(&args, "value-clip", &value_clip) ||
        cli_float(&args, "gamma", &gamma) || cli_float(&args, "lambda", &lambda) ||
        cli_float(&args, "missing-eos-penalty", &penalty) || cli_int(&args, "eval-prompts", &eval_count) ||
        cli_int(&args, "eval-every", &eval_every) || cli_int(&args, "save-every", &save_every) ||
        cli_int(&args, "stop-after", &stop_after) ||
        cli_long(&args, "seed", &seed))
        return 2;
    if (steps < 1) return cli_refuse("ppo", "steps", "at least 1", steps);
    if (batch < 1) return cli_refuse("ppo", "batch", "at least 1", batch);
    if (settings.max_new_tokens < 1) return cli_refuse("ppo", "max-new-tokens", "at least 1", settings.max_new_tokens);
    if (!(settings.temperature > 0)) return cli_refuse("ppo", "temperature", "above 0", settings.temperature);
    if (!(beta >= 0)) return cli_refuse("ppo", "kl-coef", "at least 0", beta);
    if (!(target >= 0)) return cli_refuse("ppo", "target-kl", "at least 0 (0: fixed beta)", target);
    if (!(horizon > 0)) return cli_refuse("ppo", "kl-horizon", "above 0", horizon);
    if (!(settings.policy_lr >= 0)) return cli_refuse("ppo", "lr", "at least 0", settings.policy_lr);
    if (!(settings.value_lr >= 0)) return cli_refuse("ppo", "value-lr", "at least 0", settings.value_lr);
    if (settings.ppo_epochs < 1) return cli_refuse("ppo", "ppo-epochs", "at least 1", settings.ppo_epochs);
    if (settings.minibatches < 1 || settings.minibatches > batch)
        return cli_refuse("ppo", "minibatches", "from 1 to --batch", settings.minibatches);
    if (!(clip > 0)) return cli_refuse("ppo", "clip", "above 0", clip);
    if (!(value_clip > 0)) return cli_refuse("ppo", "value-clip", "above 0", value_clip);
    if (!(gamma >= 0 && gamma <= 1)) return cli_refuse("ppo", "gamma", "from 0 to 1", gamma);
    if (!(lambda >= 0 && lambda <= 1)) return cli_refuse("ppo", "lambda", "from 0 to 1", lambda);
    if (eval_count < 0) return cli_refuse("ppo", "eval-prompts", "at least 0", eval_count);
    if (eval_every < 0) return cli_refuse("ppo", "eval-every", "at least 0 (0: before and after only)", eval_every);
    if (save_every < 0) return cli_refuse("ppo", "save-every", "at least 0 (0: only at the end)", save_every);
    if (stop_after < 0) return cli_refuse("ppo", "stop-after", "at least 0 (0: run to --steps)", stop_after);
    bool resume = cli_flag(&args, "resume");
    if (ppo_kl_estimator_parse(cli_string(&args, "kl-estimator"), &settings.kl_estimator) != 0)
        return cli_usage_error("ppo: --kl-estimator must be k1 or k3");
    settings.clip_policy = clip;
    settings.clip_value = value_clip;
    settings.gamma = gamma;
    settings.lambda = lambda;
    settings.missing_eos_penalty = penalty;
    rlhf_error error;
    double unused;
    if (gold && collect_oracle_score(gold, "", &unused, &error) != 0) return cli_usage_error("ppo: --gold: %s", error.message);
    struct stat policy_info, out_info;
    if (stat(policy_dir, &policy_info) == 0 && stat(out_dir, &out_info) == 0 && policy_info.st_ino == out_info.st_ino &&
        policy_info.st_dev == out_info.st_dev)
        return cli_usage_error("ppo: --out %s is the --policy directory, which stays the reference", out_dir);
    if (rlhf_check_output_directory(out_dir, &error) != 0) return cli_fail("ppo: %s", error.message);

    /* ---- the models */
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    tokenizer *tok = NULL;
    gpt_model policy = {0}, reference = {0}, reward = {0}, value = {0};
    nn_adamw policy_optimizer = {0}, value_optimizer = {0};
    store *db = NULL;
    store_prompt *stored = NULL;
    int stored_count = 0, train_count = 0, eval_used = 0;
    int **prompt_ids = NULL, *prompt_lengths = NULL, *train = NULL, *held_out = NULL;
    const int **batch_prompts = NULL, **eval_prompts = NULL;
    int *batch_lengths = NULL, *eval_lengths = NULL;
    int64_t run = 0;
    evaluation before = {0}, after = {0};
    ppo_iteration_stats stats = {0};
    reward_scorer scorer = {0};
    reward_data_options split = {.validation_percent = 10};
    int64_t unused_run;
    char value_out[4200];
    int status = rlhf_path_join(value_out, sizeof value_out, out_dir, "value", &error);
    if (status == 0) status = tokenizer_load(&tok, policy_dir, &error);
    if (status == 0)
        status = resume ? gpt_load_checkpoint(&policy, out_dir, backend, &error)
                        : gpt_load(&policy, policy_dir, backend, &error);
    if (status == 0) status = gpt_load(&reference, policy_dir, backend, &error);
    if (status == 0) status = gpt_load(&reward, reward_dir, backend, &error);
    if (status == 0 && !reward.config.has_score_head) {
        rlhf_error_set(&error, "%s: not a reward model (no score.weight)", reward_dir);
        status = -1;
    }
    if (status == 0)
        status = resume ? gpt_load_checkpoint(&value, value_out, backend, &error)
                        : gpt_load(&value, value_dir, backend, &error);
    if (status == 0 && !value.config.has_score_head) {
        rlhf_error_set(&error, "%s: a value model needs a scalar head (score.weight)", value_dir);
        status = -1;
    }
    if (status == 0 && policy.config.has_score_head) {
        rlhf_error_set(&error, "%s: the policy is a reward model (it has score.weight)", policy_dir);
        status = -1;
    }
    if (status == 0) {
        int read = reward_load_normalization(&scorer.normalization, reward_dir, &error);
        if (read < 0) status = -1;
        else if (read > 0) fprintf(stderr, "rlhf: %s has no reward_normalization.json: PPO uses the raw reward\n", reward_dir);
        scorer.normalized = read == 0;
    }
    if (status == 0 && reward_load_training_settings(&split, &unused_run, reward_dir, &error) > 0)
        fprintf(stderr, "rlhf: %s has no reward_training.json: holding out 10%% of the prompts for evaluation\n",
                reward_dir);
    scorer.model = &reward;
    scorer.eos_id = settings.eos_id = status == 0 ? tokenizer_eos_id(tok) : -1;
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.epsilon = 1e-5f; /* as the N+ implementation details use */
    if (status == 0) status = nn_adamw_create(&policy_optimizer, &policy, &adamw, &error);
    if (status == 0) status = nn_adamw_create(&value_optimizer, &value, &adamw, &error);
    ppo_position at = {.beta = beta};
    if (status == 0 && resume) {
        status = load_checkpoint(out_dir, value_out, &policy, &policy_optimizer, &value, &value_optimizer, &at, &error);
        if (status == 0 && (at.finished || at.step >= steps)) {
            rlhf_error_set(&error, "the run in %s has already done %d steps%s, so --steps %d (the total) leaves nothing "
                           "to do", out_dir, at.step, at.finished ? " and finished" : "", steps);
            status = -1;
        }
        if (status != 0) rlhf_error_prefix(&error, "--resume");
    }

    /* ---- the prompts: rm train's training split to train on, its held-out split to evaluate */
    if (status == 0) status = store_open_existing(&db, db_path, &error);
    if (status == 0) status = store_list_prompts(db, 0, 0, &stored, &stored_count, &error);
    if (status == 0) {
        prompt_ids = calloc((size_t)stored_count + 1, sizeof(int *));
        prompt_lengths = calloc((size_t)stored_count + 1, sizeof(int));
        train = calloc((size_t)stored_count + 1, sizeof(int));
        held_out = calloc((size_t)stored_count + 1, sizeof(int));
        batch_prompts = calloc((size_t)batch, sizeof(int *));
        batch_lengths = calloc((size_t)batch, sizeof(int));
        if (!prompt_ids || !prompt_lengths || !train || !held_out || !batch_prompts || !batch_lengths) {
            rlhf_error_set(&error, "out of memory for %d prompts", stored_count);
            status = -1;
        }
    }
    int skipped = 0;
    for (int i = 0; status == 0 && i < stored_count; i++) {
        status = policy_prompt_ids(tok, stored[i].text, &prompt_ids[i], &prompt_lengths[i], &error);
        if (status != 0) break;
        if (prompt_lengths[i] + settings.max_new_tokens > policy.config.n_positions) {
            skipped++;
            continue;
        }
        if (reward_prompt_held_out(stored[i].text, split.validation_percent)) held_out[eval_used++] = i;
        else train[train_count++] = i;
    }
    if (status == 0 && train_count == 0) {
        rlhf_error_set(&error, "%s has no prompts to train on (%d stored, %d held out, %d too long)", db_path,
                       stored_count, eval_used, skipped);
        status = -1;
    }
    if (status == 0 && skipped)
        fprintf(stderr, "rlhf: %d prompts do not fit %d positions with %d new tokens: left out\n", skipped,
                policy.config.n_positions, settings.max_new_tokens);
    eval_used = eval_used < eval_count ? eval_used : eval_count;
    int *stored_order = status == 0 ? malloc(sizeof(int) * (size_t)(train_count + 1)) : NULL;
    if (stored_order) memcpy(stored_order, train, sizeof(int) * (size_t)train_count);
    else if (status == 0) {
        rlhf_error_set(&error, "out of memory for %d prompts", train_count);
        status = -1;
    }
    if (status == 0 && eval_used > 0) {
        eval_prompts = calloc((size_t)eval_used, sizeof(int *));
        eval_lengths = calloc((size_t)eval_used, sizeof(int));
        if (!eval_prompts || !eval_lengths) {
            rlhf_error_set(&error, "out of memory for %d prompts", eval_used);
            status = -1;
        }
        for (int i = 0; status == 0 && i < eval_used; i++) {
            eval_prompts[i] = prompt_ids[held_out[i]];
            eval_lengths[i] = prompt_lengths[held_out[i]];
        }
    }

    /* ---- the run */
    bool json = cli_flag(&args, "json");
    if (status == 0) {
        /* built by jansson, so a long or quoted directory name cannot cut or break it */
        json_t *settings_json = json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:f}", "policy", policy_dir, "reward",
                                          reward_dir, "steps", steps, "batch", batch, "kl_coef", (double)beta,
                                          "target_kl", (double)target, "lr", (double)settings.policy_lr,
                                          "temperature", (double)settings.temperature);
        char *config = settings_json ? json_dumps(settings_json, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
        json_decref(settings_json);
        if (!config) {
            rlhf_error_set(&error, "out of memory");
            status = -1;
        }
        /* a resumed run takes its run id back, so one training is one series of metrics */
        int resumed = status == 0 && resume && at.run > 0 ? store_resume_run(db, at.run, "ppo", &error) : 1;
        if (resumed < 0) status = -1;
        else if (resumed == 0) run = at.run;
        else if (status == 0) {
            if (resume && at.run > 0)
                fprintf(stderr, "rlhf: %s has no run %lld of this training; recording a new run\n", db_path,
                                (long long)at.run);
            status = store_begin_run(db, "ppo", config, &run, &error);
        }
        free(config);
        at.run = run;
    }
    /* from here --out changes: until --steps are done neither it nor its value model is a
     * finished model */
    nn_run_output policy_output = {0}, value_output = {0};
    bool saved = false; /* whether this run has written a checkpoint into --out */
    if (status == 0) status = nn_run_begin(&policy_output, out_dir, "rlhf ppo", true, &error);
    if (status == 0) status = nn_run_begin(&value_output, value_out, "rlhf ppo", true, &error);
    if (status == 0 && !json)
        fprintf(stderr, "rlhf: device %s; %d prompts to train on, %d held out for evaluation%s\n", device, train_count,
                eval_used, resume ? "; resuming" : "");
    evaluation_setup evaluations = {.policy = &policy, .reference = &reference, .scorer = &scorer, .tok = tok,
                                    .prompts = eval_prompts, .prompt_lengths = eval_lengths, .count = eval_used,
                                    .settings = &settings, .gold = gold, .db = db, .run = run, .json = json};
    if (status == 0 && eval_used > 0 && !resume) status = evaluate_at(&evaluations, 0, "before", &before, &error);
    ppo_models models = {.policy = &policy, .reference = &reference, .value = &value,
                         .policy_optimizer = &policy_optimizer, .value_optimizer = &value_optimizer,
                         .score = score_with_reward_model, .score_user = &scorer};
    ppo_kl_controller controller = {.beta = at.beta, .target = target, .horizon = horizon};
    if (status == 0) order_pass(train, stored_order, train_count, (uint64_t)seed, at.pass);
    int end_step = stop_after > 0 && at.step + stop_after < steps ? at.step + stop_after : steps;
    /* the step lines are the progress on a terminal; a bar on stderr when stdout goes
     * elsewhere (a file) or holds only the JSON */
    cli_progress progress;
    cli_progress_start(&progress, steps);
    progress.enabled = progress.enabled && (json || !isatty(STDOUT_FILENO));
    float policy_peak = settings.policy_lr, value_peak = settings.value_lr;
    for (int step = at.step; status == 0 && step < end_step; step++) {
        for (int i = 0; i < batch; i++) {
            if (at.next == train_count) { /* a new pass in a new order */
                order_pass(train, stored_order, train_count, (uint64_t)seed, ++at.pass);
                at.next = 0;
            }
            batch_prompts[i] = prompt_ids[train[at.next]];
            batch_lengths[i] = prompt_lengths[train[at.next++]];
        }
        double remaining = 1.0 - (double)step / steps; /* linear decay, as the N+ details anneal */
        settings.policy_lr = (float)(policy_peak * remaining);
        settings.value_lr = (float)(value_peak * remaining);
        status = ppo_iteration(&models, &settings, &controller, batch_prompts, batch_lengths, batch,
                               (uint64_t)seed * 1000003ULL + (uint64_t)step, &stats, &error);
        if (status != 0) {
            rlhf_error_prefix(&error, "step %d", step + 1);
            break;
        }
        log_iteration(db, run, step + 1, &stats, settings.policy_lr);
        at.step = step + 1;
        at.beta = controller.beta;
        if (save_every > 0 && at.step % save_every == 0 && at.step < end_step) {
            saved = true;
            if (save_checkpoint(out_dir, value_out, tok, &policy, &policy_optimizer, &value, &value_optimizer, &at,
                                &error) != 0) {
                status = -1;
                break;
            }
        }
        char detail[96];
        snprintf(detail, sizeof detail, "score %.3f KL %.3f", stats.score, stats.kl);
        cli_progress_update(&progress, step + 1, detail);
        if (!json)
            printf("step %3d/%d  score %.3f  KL %.3f  beta %.4f  entropy %.2f  length %.1f  policy loss %.4f  value loss "
                   "%.4f  clip %.3f  (%.1f s: %.1f generate, %.1f score, %.1f update)\n",
                   step + 1, steps, stats.score, stats.kl, stats.beta, stats.entropy, stats.response_length,
                   stats.policy_loss, stats.value_loss, stats.clip_fraction,
                   stats.seconds_generate + stats.seconds_score + stats.seconds_update, stats.seconds_generate,
                   stats.seconds_score, stats.seconds_update);
        fflush(stdout);
        if (eval_every > 0 && eval_used > 0 && at.step % eval_every == 0 && at.step < end_step) {
            evaluation during;
            char when[32];
            snprintf(when, sizeof when, "step %d", at.step);
            status = evaluate_at(&evaluations, at.step, when, &during, &error);
            evaluation_free(&during);
        }
    }
    cli_progress_finish(&progress);
    if (status == 0 && eval_used > 0) status = evaluate_at(&evaluations, at.step, "after", &after, &error);
    /* ---- the trained policy (a policy directory) and the value model beside it, with the
     * state a --resume continues from (finished once --steps are done) */
    at.finished = at.step >= steps;
    if (status == 0) {
        saved = true;
        status = save_checkpoint(out_dir, value_out, tok, &policy, &policy_optimizer, &value, &value_optimizer, &at,
                                 &error);
    }
    if (status == 0 && at.finished) status = nn_run_finish(&value_output, &error);
    if (status == 0 && at.finished) status = nn_run_finish(&policy_output, &error);
    if (status != 0) { /* the value model's folder first: it sits inside --out */
        nn_run_abandon(&value_output, saved);
        nn_run_abandon(&policy_output, saved);
    }
    if (run) store_finish_run(db, run, status == 0 ? "finished" : "failed", NULL);
    if (status == 0 && json) {
        json_t *root = json_pack("{s:I, s:i, s:o, s:o, s:o, s:s}", "run", (json_int_t)run, "steps", at.step, "kl",
                                 cli_json_number(stats.kl), "score", cli_json_number(stats.score), "beta",
                                 cli_json_number(stats.beta), "out", out_dir);
        json_object_set_new(root, "eval_before", eval_used && !resume ? evaluation_json(&before) : json_null());
        json_object_set_new(root, "finished", json_boolean(at.finished));
        json_object_set_new(root, "eval_after", eval_used ? evaluation_json(&after) : json_null());
        char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (text) puts(text);
        free(text);
        json_decref(root);
        if (!text) {
            rlhf_error_set(&error, "out of memory");
            status = -1;
        }
    } else if (status == 0) {
        printf("%s %d of %d steps; run %lld; saved the policy to %s and the value model to %s%s\n",
               at.finished ? "trained" : "stopped after", at.step, steps, (long long)run, out_dir, value_out,
               at.finished ? "" : " (continue with --resume)");
    }
    evaluation_free(&before);
    evaluation_free(&after);
    for (int i = 0; prompt_ids && i < stored_count; i++) free(prompt_ids[i]);
    free(prompt_ids);
    free(prompt_lengths);
    free(train);
    free(stored_order);
    free(held_out);
    free(batch_prompts);
    free(batch_lengths);
    free(eval_prompts);
    free(eval_lengths);
    store_prompts_free(stored, stored_count);
    if (db) store_close(db);
    nn_adamw_destroy(&policy_optimizer);
    nn_adamw_destroy(&value_optimizer);
    if (policy.parameters) gpt_destroy(&policy);
    if (reference.parameters) gpt_destroy(&reference);
    if (reward.parameters) gpt_destroy(&reward);
    if (value.parameters) gpt_destroy(&value);
    tokenizer_free(tok);
    return status == 0 ? 0 : cli_fail("ppo: %s", error.message);
}
