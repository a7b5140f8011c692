/* One PPO iteration: rollouts from the policy, their scores, the KL-penalised token rewards
 * against the frozen reference, values and GAE advantages, then clipped policy and value
 * updates over shuffled minibatches (the loop of OpenAI's lm-human-preferences and of "The
 * N+ Implementation Details of RLHF with PPO"). Response arrays are count x max_new_tokens,
 * row i valid in its first lengths[i] entries. */
#include "rlhf/ppo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/policy.h"

/* The settings ppo.h documents as defaults (the ones rlhf ppo starts from). */
ppo_settings ppo_settings_defaults(void) {
    return (ppo_settings){.temperature = 0.7f, .max_new_tokens = 48, .eos_id = -1, .missing_eos_penalty = -1.0,
                          .kl_estimator = PPO_KL_K1, .gamma = 1.0, .lambda = 0.95, .clip_policy = 0.2,
                          .clip_value = 0.2, .value_coefficient = 0.1, .ppo_epochs = 4, .minibatches = 4,
                          .policy_lr = 1e-5f, .value_lr = 1e-5f, .whiten_rewards = false};
}

/* The scratch of one iteration, all count x max_new_tokens unless said. */
typedef struct rollout {
    int count, width;
    int *lengths;                          /* [count] */
    float *scores;                         /* [count] */
    float *logprobs, *reference, *values, *rewards, *advantages, *returns, *kl, *entropies;
    /* a minibatch's gathered rows and the model-layout gradients */
    float *batch_new, *batch_old, *batch_advantages, *batch_returns, *batch_values, *batch_gradient, *model_gradient;
    int *batch_lengths, *batch_prompt_lengths;
    const int **batch_prompts, **batch_responses, **responses;
} rollout;

/* Frees what rollout_alloc allocated. */
static void rollout_free(rollout *r) {
    void *blocks[] = {r->lengths, r->scores, r->logprobs, r->reference, r->values, r->rewards, r->advantages,
                      r->returns, r->kl, r->entropies, r->batch_new, r->batch_old, r->batch_advantages,
                      r->batch_returns, r->batch_values, r->batch_gradient, r->model_gradient, r->batch_lengths,
                      r->batch_prompt_lengths, (void *)r->batch_prompts, (void *)r->batch_responses,
                      (void *)r->responses};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++) free(blocks[i]);
    memset(r, 0, sizeof *r);
}

/* Allocates every array of an iteration for count rows of width tokens whose longest
 * prompt + response takes at most positions tokens. */
static int rollout_alloc(rollout *r, int count, int width, int positions, rlhf_error *error) {
    memset(r, 0, sizeof *r);
    r->count = count;
    r->width = width;
    size_t cells = (size_t)count * (size_t)width, model_cells = (size_t)count * (size_t)positions;
    r->lengths = calloc((size_t)count, sizeof(int));
    r->scores = calloc((size_t)count, sizeof(float));
    float **arrays[] = {&r->logprobs, &r->reference, &r->values, &r->rewards, &r->advantages, &r->returns, &r->kl,
                        &r->entropies, &r->batch_new, &r->batch_old, &r->batch_advantages, &r->batch_returns,
                        &r->batch_values, &r->batch_gradient};
    bool ok = r->lengths && r->scores;
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) ok = ok && (*arrays[i] = calloc(cells, sizeof(float)));
    r->model_gradient = calloc(model_cells, sizeof(float));
    r->batch_lengths = calloc((size_t)count, sizeof(int));
    r->batch_prompt_lengths = calloc((size_t)count, sizeof(int));
    r->batch_prompts = calloc((size_t)count, sizeof(int *));
    r->batch_responses = calloc((size_t)count, sizeof(int *));
    r->responses = calloc((size_t)count, sizeof(int *));
    ok = ok && r->model_gradient && r->batch_lengths && r->batch_prompt_lengths && r->batch_prompts &&
         r->batch_responses && r->responses;
    if (!ok) {
        rollout_free(r);
        rlhf_error_set(error, "out of memory for a PPO batch of %d responses of %d tokens", count, width);
        return -1;
    }
    return 0;
}

/* Copies rows `rows[0..m)` of a count x width array into the first m rows of out. */
static void gather(const float *all, const int *rows, int m, int width, float *out) {
    for (int i = 0; i < m; i++) memcpy(out + (size_t)i * width, all + (size_t)rows[i] * width, sizeof(float) * width);
}

/* Sums of a count x width array's valid entries per row, averaged over rows. */
static double mean_row_sum(const float *x, const int *lengths, int count, int width) {
    double total = 0;
    for (int i = 0; i < count; i++)
        for (int t = 0; t < lengths[i]; t++) total += x[(size_t)i * width + t];
    return count ? total / count : 0.0;
}

/* Whether a loss or gradient norm of an update is finite; if not, says which (the caller
 * prefixes the epoch and minibatch, and the command the step). */
static bool update_value_finite(double value, const char *what, rlhf_error *error) {
    if (isfinite(value)) return true;
    rlhf_error_set(error, "%s became non-finite (learning rate too high?)", what);
    return false;
}

/* The policy and value updates of one minibatch (rows `members[0..m)` of the rollout);
 * adds the losses and statistics into stats' accumulators. */
static int update_minibatch(const ppo_models *models, const ppo_settings *settings, rollout *r,
                            const int *const *prompts, const int *prompt_lengths, const int *members, int m,
                            ppo_iteration_stats *sums, rlhf_error *error) {
    for (int i = 0; i < m; i++) {
        r->batch_prompts[i] = prompts[members[i]];
        r->batch_prompt_lengths[i] = prompt_lengths[members[i]];
        r->batch_responses[i] = r->responses[members[i]];
        r->batch_lengths[i] = r->lengths[members[i]];
    }
    policy_sequences rows = {.prompts = r->batch_prompts, .prompt_lengths = r->batch_prompt_lengths,
                             .responses = r->batch_responses, .response_lengths = r->batch_lengths, .count = m};
    int width = r->width;
    ppo_loss_stats policy_stats, value_stats;
    /* policy: the clipped surrogate on the new log-probs */
    gather(r->logprobs, members, m, width, r->batch_old);
    gather(r->advantages, members, m, width, r->batch_advantages);
    gpt_zero_grad(models->policy);
    if (policy_sequence_logprobs(models->policy, &rows, width, settings->temperature, r->batch_new, NULL, error) != 0)
        return -1;
    ppo_policy_loss(r->batch_new, r->batch_old, r->batch_advantages, r->batch_lengths, m, width, settings->clip_policy,
                    &policy_stats, r->batch_gradient);
    if (!update_value_finite(policy_stats.loss, "the policy loss", error)) return -1;
    policy_sequence_scatter(&rows, width, r->batch_gradient, r->model_gradient);
    if (gpt_backward(models->policy, r->model_gradient, NULL, error) != 0) return -1;
    if (!update_value_finite(nn_adamw_step(models->policy_optimizer, models->policy, settings->policy_lr),
                             "the policy gradient", error))
        return -1;
    /* value: the clipped squared error against the returns */
    gather(r->values, members, m, width, r->batch_old);
    gather(r->returns, members, m, width, r->batch_returns);
    gpt_zero_grad(models->value);
    if (policy_sequence_values(models->value, &rows, width, r->batch_values, error) != 0) return -1;
    ppo_value_loss(r->batch_values, r->batch_old, r->batch_returns, r->batch_lengths, m, width, settings->clip_value,
                   &value_stats, r->batch_gradient);
    if (!update_value_finite(value_stats.loss, "the value loss", error)) return -1;
    policy_sequence_scatter(&rows, width, r->batch_gradient, r->model_gradient);
    if (gpt_backward(models->value, NULL, r->model_gradient, error) != 0) return -1;
    if (!update_value_finite(nn_adamw_step(models->value_optimizer, models->value, settings->value_lr),
                             "the value gradient", error))
        return -1;
    sums->policy_loss += policy_stats.loss;
    sums->value_loss += value_stats.loss;
    sums->clip_fraction += policy_stats.clip_fraction;
    sums->value_clip_fraction += value_stats.clip_fraction;
    sums->approx_kl += policy_stats.approx_kl;
    sums->ratio_mean += policy_stats.ratio_mean;
    sums->ratio_var += policy_stats.ratio_var;
    return 0;
}

/* One PPO iteration on count prompts: sample, score, KL-penalised token rewards, GAE with
 * whitened advantages, then ppo_epochs of shuffled minibatch updates of policy and value; fills
 * stats and updates the KL controller. The models and optimizers change only by the updates. */
int ppo_iteration(const ppo_models *models, const ppo_settings *settings, ppo_kl_controller *controller,
                  const int *const *prompts, const int *prompt_lengths, int count, uint64_t seed,
                  ppo_iteration_stats *stats, rlhf_error *error) {
    memset(stats, 0, sizeof *stats);
    if (count < 1 || settings->minibatches < 1 || settings->minibatches > count || settings->ppo_epochs < 1) {
        rlhf_error_set(error, "a PPO batch of %d responses cannot be cut into %d minibatches", count,
                       settings->minibatches);
        return -1;
    }
    if (nn_adamw_check(models->policy_optimizer, models->policy, error) != 0 ||
        nn_adamw_check(models->value_optimizer, models->value, error) != 0)
        return -1;
    int width = settings->max_new_tokens, positions = 1;
    for (int i = 0; i < count; i++)
        positions = prompt_lengths[i] + width > positions ? prompt_lengths[i] + width : positions;
    rollout r;
    if (rollout_alloc(&r, count, width, positions, error) != 0) return -1;
    policy_generation generation = {0};
    int *members = malloc(sizeof(int) * (size_t)count);
    int status = -1;
    if (!members) {
        rlhf_error_set(error, "out of memory for a PPO batch of %d responses", count);
        goto done;
    }
    /* ---- rollouts */
    double start = rlhf_seconds();
    policy_sampling sampling = {.temperature = settings->temperature, .top_p = 1.0f, .max_new_tokens = width,
                                .seed = seed, .eos_id = settings->eos_id};
    if (policy_generate(models->policy, prompts, prompt_lengths, count, &sampling, &generation, error) != 0) goto done;
    long ended = 0;
    for (int i = 0; i < count; i++) {
        r.lengths[i] = generation.lengths[i];
        r.responses[i] = generation.tokens + (size_t)i * width;
        ended += generation.stop_reasons[i] == POLICY_STOP_EOS;
    }
    stats->seconds_generate = rlhf_seconds() - start;
    /* ---- scores, and the old policy's, the reference's and the value model's view */
    start = rlhf_seconds();
    /* The reward model's scores, and the old log-probs from the same padded forward the
     * updates run, not from the sampler's KV-cache steps: the first minibatch's ratios are
     * then 1 up to rounding of one row in another batch, and that forward gives the
     * entropies too. The forwards go a minibatch of rows at a time, so no model needs
     * activations for more rows than an update has (TRL's local_rollout_forward_batch_size). */
    int chunk = (count + settings->minibatches - 1) / settings->minibatches;
    for (int first = 0; first < count; first += chunk) {
        size_t at = (size_t)first * width;
        policy_sequences rows = {.prompts = prompts + first, .prompt_lengths = prompt_lengths + first,
                                 .responses = r.responses + first, .response_lengths = r.lengths + first,
                                 .count = count - first < chunk ? count - first : chunk};
        if (models->score(rows.prompts, rows.prompt_lengths, rows.responses, rows.response_lengths, rows.count,
                          r.scores + first, models->score_user, error) ||
            policy_sequence_logprobs(models->policy, &rows, width, settings->temperature, r.logprobs + at,
                                     r.entropies + at, error) ||
            policy_sequence_logprobs(models->reference, &rows, width, settings->temperature, r.reference + at, NULL,
                                     error) ||
            policy_sequence_values(models->value, &rows, width, r.values + at, error))
            goto done;
    }
    for (int i = 0; i < count; i++) {
        if (!isfinite(r.scores[i])) {
            rlhf_error_set(error, "the score of response %d is not finite", i);
            goto done;
        }
        if (settings->eos_id >= 0 && generation.stop_reasons[i] != POLICY_STOP_EOS)
            r.scores[i] += (float)settings->missing_eos_penalty;
    }
    double beta = controller->beta;
    ppo_token_rewards(r.logprobs, r.reference, r.lengths, count, width, r.scores, beta, settings->kl_estimator,
                      r.rewards, r.kl);
    if (settings->whiten_rewards) ppo_whiten(r.rewards, r.lengths, count, width, true);
    ppo_gae(r.rewards, r.values, r.lengths, count, width, settings->gamma, settings->lambda, r.advantages, r.returns);
    stats->explained_variance = ppo_explained_variance(r.values, r.returns, r.lengths, count, width);
    ppo_whiten(r.advantages, r.lengths, count, width, false);
    stats->seconds_score = rlhf_seconds() - start;
    /* ---- updates: every epoch a new shuffle, cut into minibatches */
    start = rlhf_seconds();
    if (gpt_reserve(models->policy, chunk, positions, true, error) != 0 ||
        gpt_reserve(models->value, chunk, positions, true, error) != 0)
        goto done;
    rlhf_rng rng;
    rlhf_rng_seed(&rng, seed * 0x9e3779b97f4a7c15ULL + 17);
    ppo_iteration_stats sums = {0};
    int updates = 0;
    for (int epoch = 0; epoch < settings->ppo_epochs; epoch++) {
        for (int i = 0; i < count; i++) members[i] = i;
        for (int i = count - 1; i > 0; i--) {
            int j = (int)(rlhf_rng_next(&rng) % (uint64_t)(i + 1)), swap = members[i];
            members[i] = members[j];
            members[j] = swap;
        }
        for (int piece = 0; piece < settings->minibatches; piece++) {
            int first = (int)((long)count * piece / settings->minibatches);
            int last = (int)((long)count * (piece + 1) / settings->minibatches);
            if (update_minibatch(models, settings, &r, prompts, prompt_lengths, members + first, last - first, &sums,
                                 error) != 0) {
                rlhf_error_prefix(error, "PPO epoch %d, minibatch %d", epoch + 1, piece + 1);
                goto done;
            }
            updates++;
        }
    }
    stats->seconds_update = rlhf_seconds() - start;
    stats->policy_loss = sums.policy_loss / updates;
    stats->value_loss = sums.value_loss / updates;
    stats->clip_fraction = sums.clip_fraction / updates;
    stats->value_clip_fraction = sums.value_clip_fraction / updates;
    stats->approx_kl = sums.approx_kl / updates;
    stats->ratio_mean = sums.ratio_mean / updates;
    stats->ratio_var = sums.ratio_var / updates;
    /* ---- what the batch looked like, and the controller */
    double score_sum = 0, length_sum = 0;
    for (int i = 0; i < count; i++) {
        score_sum += r.scores[i];
        length_sum += r.lengths[i];
    }
    stats->score = score_sum / count;
    stats->kl = mean_row_sum(r.kl, r.lengths, count, width);
    stats->non_score_reward = -beta * stats->kl;
    stats->entropy = mean_row_sum(r.entropies, r.lengths, count, width);
    stats->response_length = length_sum / count;
    stats->eos_fraction = (double)ended / count;
    stats->beta = beta;
    ppo_kl_controller_update(controller, stats->kl, count);
    status = 0;
done:
    policy_generation_free(&generation);
    free(members);
    rollout_free(&r);
    return status;
}
