/* ppo: proximal policy optimisation of the policy against the reward model, held near a
 * frozen reference by a KL penalty (OpenAI's lm-human-preferences; "The N+ Implementation
 * Details of RLHF with PPO", Huang et al. 2024).
 *
 * This header holds the arithmetic of one PPO update, on rows of response tokens: B rows of
 * T positions, row b's first lengths[b] positions valid (the response, up to and including
 * its <|endoftext|> when it ended), the rest padding that no sum ever counts. Every
 * function is plain loops over float arrays, checked against hand-worked values in
 * tests/test_ppo.c. */
#ifndef RLHF_PPO_H
#define RLHF_PPO_H

#include <stdbool.h>
#include <stdint.h>

#include "rlhf/nn.h"

/* ---------------------------------------------------------------- KL penalty */

/* Per-token estimators of KL(policy || reference) from one sampled token, with
 * logr = log pi_ref(a) - log pi(a) (Schulman, "Approximating KL divergence", 2020):
 * k1 = -logr (unbiased, can be negative), k3 = (exp(logr) - 1) - logr (unbiased, >= 0). */
typedef enum ppo_kl_estimator { PPO_KL_K1, PPO_KL_K3 } ppo_kl_estimator;

/* Parses "k1" or "k3"; -1 for anything else. */
int ppo_kl_estimator_parse(const char *text, ppo_kl_estimator *estimator);

/* The estimate for one token. */
double ppo_kl_estimate(ppo_kl_estimator estimator, double logprob, double reference_logprob);

/* Per-token rewards of B x T response tokens (padding 0): -beta * kl_t at every valid
 * token, plus score[b] at row b's last valid token. kl (may be NULL) gets the per-token
 * estimates (padding 0). A row with length 0 gets nothing. */
void ppo_token_rewards(const float *logprobs, const float *reference_logprobs, const int *lengths, int B, int T,
                       const float *scores, double beta, ppo_kl_estimator estimator, float *rewards, float *kl);

/* ---------------------------------------------------------------- advantages */

/* Generalised advantage estimation per row, backwards over its valid tokens:
 * delta_t = r_t + gamma V_{t+1} - V_t (V past the last valid token is 0),
 * A_t = delta_t + gamma lambda A_{t+1}; returns_t = A_t + V_t. Padding gets 0. */
void ppo_gae(const float *rewards, const float *values, const int *lengths, int B, int T, double gamma, double lambda,
             float *advantages, float *returns);

/* Whitens the valid entries of x in place: (x - mean) / sqrt(var + 1e-8) with the masked
 * mean and the unbiased masked variance (as TRL's masked_whiten); with keep_mean the mean
 * is added back (for rewards). Padding is left as it is. Fewer than two valid entries:
 * nothing changes. */
void ppo_whiten(float *x, const int *lengths, int B, int T, bool keep_mean);

/* ---------------------------------------------------------------- losses */

/* What a clipped loss reports besides its value. */
typedef struct ppo_loss_stats {
    double loss;          /* masked mean over valid tokens */
    double clip_fraction; /* share of valid tokens where the clipped term was the larger */
    double approx_kl;     /* policy only: 0.5 mean (log pi_new - log pi_old)^2 */
    double ratio_mean, ratio_var; /* policy only: of pi_new / pi_old over valid tokens */
    long tokens;          /* valid tokens counted */
} ppo_loss_stats;

/* The clipped policy loss, mean over valid tokens of max(-A rho, -A clip(rho, 1 - c, 1 + c))
 * with rho = exp(logprobs - old_logprobs); d_logprobs (may be NULL) gets its gradient with
 * respect to logprobs (0 at padding and where the clipped term is the larger and clipped). */
void ppo_policy_loss(const float *logprobs, const float *old_logprobs, const float *advantages, const int *lengths,
                     int B, int T, double clip, ppo_loss_stats *stats, float *d_logprobs);

/* The clipped value loss, 0.5 mean over valid tokens of max((V - R)^2, (V_clip - R)^2) with
 * V_clip = V_old + clip(V - V_old, -c, c); d_values (may be NULL) gets its gradient with
 * respect to values. */
void ppo_value_loss(const float *values, const float *old_values, const float *returns, const int *lengths, int B,
                    int T, double clip, ppo_loss_stats *stats, float *d_values);

/* Explained variance of the value predictions over valid tokens: 1 - Var(R - V) / Var(R)
 * (NAN when the returns do not vary). */
double ppo_explained_variance(const float *values, const float *returns, const int *lengths, int B, int T);

/* ---------------------------------------------------------------- KL controller */

/* beta fixed, or adapted by Ziegler et al.'s proportional controller: after a batch of
 * n episodes with mean KL kl, error = clip(kl / target - 1, -0.2, 0.2) and
 * beta <- beta (1 + error n / horizon). */
typedef struct ppo_kl_controller {
    double beta;
    double target;   /* 0: fixed beta */
    double horizon;
} ppo_kl_controller;

/* Updates controller->beta after a batch (nothing when the target is 0). */
void ppo_kl_controller_update(ppo_kl_controller *controller, double kl, int episodes);

/* ---------------------------------------------------------------- one PPO iteration */

/* Scores count finished responses (token ids as generated, after their prompts) into
 * scores: the CLI's is the reward model with its normalisation (reward_score_responses);
 * tests use scripted rules. ppo_iteration calls it a minibatch of rows at a time. Returns
 * 0, or -1 with error set. */
typedef int (*ppo_score_function)(const int *const *prompts, const int *prompt_lengths, const int *const *responses,
                                  const int *response_lengths, int count, float *scores, void *user,
                                  rlhf_error *error);

typedef struct ppo_settings {
    float temperature;        /* sampling and every log-prob (0.7) */
    int max_new_tokens;       /* response length limit */
    int eos_id;               /* ends a response (-1: never) */
    double missing_eos_penalty; /* added to the score of a response that never ended (-1) */
    ppo_kl_estimator kl_estimator;
    double gamma, lambda;     /* GAE (1, 0.95) */
    double clip_policy, clip_value; /* 0.2, 0.2 */
    double value_coefficient; /* reported total = policy loss + this * value loss (0.1) */
    int ppo_epochs, minibatches; /* passes over a batch, and the pieces each pass is cut into (4, 4) */
    float policy_lr, value_lr;
    bool whiten_rewards;      /* whiten the token rewards before GAE (off) */
} ppo_settings;

/* The defaults the N+ implementation details and TRL use. */
ppo_settings ppo_settings_defaults(void);

/* The four models of PPO and the two optimizers. policy and value are trained; reference
 * is the frozen starting policy; the reward comes from score. */
typedef struct ppo_models {
    gpt_model *policy, *reference, *value;
    nn_adamw *policy_optimizer, *value_optimizer;
    ppo_score_function score;
    void *score_user;
} ppo_models;

/* What one iteration measured: means over the batch (per response, or per valid token
 * where it says so), under TRL's names in the CLI's log. */
typedef struct ppo_iteration_stats {
    double score;             /* objective/scores: mean score (penalty included) */
    double kl;                /* objective/kl: mean over responses of the summed per-token KL */
    double non_score_reward;  /* objective/non_score_reward: mean summed -beta kl */
    double entropy;           /* objective/entropy: mean summed entropy of the sampling distributions */
    double policy_loss, value_loss, clip_fraction, value_clip_fraction, approx_kl; /* over updates */
    double ratio_mean, ratio_var, explained_variance;
    double response_length, eos_fraction;
    double beta;              /* the KL coefficient used */
    double seconds_generate, seconds_score, seconds_update;
} ppo_iteration_stats;

/* One PPO iteration on count prompts: sample a response to each from the policy, score it,
 * compute the KL-penalised token rewards against the reference, the values and GAE
 * advantages (whitened), then settings->ppo_epochs passes of clipped policy and value
 * updates over settings->minibatches shuffled pieces of the batch. seed fixes the sampling
 * and the shuffles. The controller's beta is used and then updated with the batch's KL.
 * On failure (a non-finite loss names the iteration's update) the models may have taken
 * some updates: the caller keeps its last checkpoint. */
int ppo_iteration(const ppo_models *models, const ppo_settings *settings, ppo_kl_controller *controller,
                  const int *const *prompts, const int *prompt_lengths, int count, uint64_t seed,
                  ppo_iteration_stats *stats, rlhf_error *error);

#endif
