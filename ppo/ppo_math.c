/* The arithmetic of a PPO update for language models: KL-penalised per-token rewards, GAE,
 * whitening, the clipped policy and value losses with their gradients, and the adaptive KL
 * controller. Plain loops over B rows of T response positions, row b valid in its first
 * lengths[b] positions; sums are in double. */
#include "rlhf/ppo.h"

#include <math.h>
#include <string.h>

/* "k1" or "k3" into *estimator; -1 (estimator untouched) for anything else. */
int ppo_kl_estimator_parse(const char *text, ppo_kl_estimator *estimator) {
    if (strcmp(text, "k1") == 0) *estimator = PPO_KL_K1;
    else if (strcmp(text, "k3") == 0) *estimator = PPO_KL_K3;
    else return -1;
    return 0;
}

/* One token's estimate of KL(pi || pi_ref) from a sample of pi, with logr = log pi_ref - log pi:
 * k1 = -logr (unbiased, can be negative), k3 = (exp(logr) - 1) - logr (unbiased, >= 0). */
double ppo_kl_estimate(ppo_kl_estimator estimator, double logprob, double reference_logprob) {
    double logr = reference_logprob - logprob;
    /* expm1 keeps k3 exact for the small log-ratios that are the common case */
    return estimator == PPO_KL_K1 ? -logr : expm1(logr) - logr;
}

/* Per-token rewards r_t = -beta * KL_t, plus the sequence's score at its last valid token
 * (t = lengths[b] - 1); 0 past a row's length. kl (may be NULL) gets each KL_t. */
void ppo_token_rewards(const float *logprobs, const float *reference_logprobs, const int *lengths, int B, int T,
                       const float *scores, double beta, ppo_kl_estimator estimator, float *rewards, float *kl) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int i = b * T + t;
            double estimate = t < lengths[b] ? ppo_kl_estimate(estimator, logprobs[i], reference_logprobs[i]) : 0.0;
            double reward = t < lengths[b] ? -beta * estimate : 0.0;
            if (t == lengths[b] - 1) reward += scores[b];
            rewards[i] = (float)reward;
            if (kl) kl[i] = (float)estimate;
        }
}

/* Generalised advantage estimation, backwards over each row's valid positions from V = A = 0
 * beyond its end: delta_t = r_t + gamma V_{t+1} - V_t, A_t = delta_t + gamma lambda A_{t+1},
 * returns R_t = A_t + V_t; both 0 past a row's length. */
void ppo_gae(const float *rewards, const float *values, const int *lengths, int B, int T, double gamma, double lambda,
             float *advantages, float *returns) {
    for (int b = 0; b < B; b++) {
        double next_value = 0.0, next_advantage = 0.0;
        for (int t = T - 1; t >= 0; t--) {
            int i = b * T + t;
            if (t >= lengths[b]) {
                advantages[i] = returns[i] = 0.0f;
                continue;
            }
            double delta = rewards[i] + gamma * next_value - values[i];
            double advantage = delta + gamma * lambda * next_advantage;
            advantages[i] = (float)advantage;
            returns[i] = (float)(advantage + values[i]);
            next_value = values[i];
            next_advantage = advantage;
        }
    }
}

/* Whitens the valid entries in place: x <- (x - mean) / sqrt(var + 1e-8), var the unbiased
 * (n - 1) variance, adding the mean back when keep_mean; untouched when fewer than 2 entries. */
void ppo_whiten(float *x, const int *lengths, int B, int T, bool keep_mean) {
    double sum = 0;
    long n = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++, n++) sum += x[b * T + t];
    if (n < 2) return;
    double mean = sum / (double)n, squares = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) squares += (x[b * T + t] - mean) * (x[b * T + t] - mean);
    double scale = 1.0 / sqrt(squares / (double)(n - 1) + 1e-8);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) {
            double whitened = (x[b * T + t] - mean) * scale;
            x[b * T + t] = (float)(keep_mean ? whitened + mean : whitened);
        }
}

/* The number of valid positions. */
static long valid_tokens(const int *lengths, int B) {
    long n = 0;
    for (int b = 0; b < B; b++) n += lengths[b];
    return n;
}

/* The clipped surrogate, averaged over valid tokens: with rho = exp(log pi - log pi_old),
 * L = mean max(-A rho, -A clip(rho, 1 - eps, 1 + eps)); dL/dlog pi = -A rho / n where the
 * unclipped term is the larger, else 0. Also the clip fraction, approx KL k2 = mean (log rho)^2 / 2,
 * and rho's mean and variance. d_logprobs may be NULL. */
void ppo_policy_loss(const float *logprobs, const float *old_logprobs, const float *advantages, const int *lengths,
                     int B, int T, double clip, ppo_loss_stats *stats, float *d_logprobs) {
    memset(stats, 0, sizeof *stats);
    long n = valid_tokens(lengths, B);
    if (d_logprobs) memset(d_logprobs, 0, sizeof(float) * (size_t)B * (size_t)T);
    if (n == 0) return;
    double loss = 0, clipped = 0, approx_kl = 0, ratio_sum = 0, ratio_squares = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) {
            int i = b * T + t;
            double log_ratio = (double)logprobs[i] - old_logprobs[i], ratio = exp(log_ratio), a = advantages[i];
            double bounded = ratio < 1.0 - clip ? 1.0 - clip : ratio > 1.0 + clip ? 1.0 + clip : ratio;
            double unclipped_term = -a * ratio, clipped_term = -a * bounded;
            bool clipped_larger = clipped_term > unclipped_term;
            loss += clipped_larger ? clipped_term : unclipped_term;
            clipped += clipped_larger;
            approx_kl += 0.5 * log_ratio * log_ratio;
            ratio_sum += ratio;
            ratio_squares += ratio * ratio;
            /* d(-A rho)/d log pi = -A rho; the clipped term is constant where it is larger */
            if (d_logprobs && !clipped_larger) d_logprobs[i] = (float)(-a * ratio / (double)n);
        }
    stats->tokens = n;
    stats->loss = loss / (double)n;
    stats->clip_fraction = clipped / (double)n;
    stats->approx_kl = approx_kl / (double)n;
    stats->ratio_mean = ratio_sum / (double)n;
    stats->ratio_var = ratio_squares / (double)n - stats->ratio_mean * stats->ratio_mean;
}

/* The clipped value loss, averaged over valid tokens: with V_clip = V_old + clip(V - V_old, -eps,
 * eps), L = mean 0.5 max((V - R)^2, (V_clip - R)^2), and its gradient in V (d_values may be NULL). */
void ppo_value_loss(const float *values, const float *old_values, const float *returns, const int *lengths, int B,
                    int T, double clip, ppo_loss_stats *stats, float *d_values) {
    memset(stats, 0, sizeof *stats);
    long n = valid_tokens(lengths, B);
    if (d_values) memset(d_values, 0, sizeof(float) * (size_t)B * (size_t)T);
    if (n == 0) return;
    double loss = 0, clipped = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) {
            int i = b * T + t;
            double v = values[i], old = old_values[i], r = returns[i], step = v - old;
            bool inside = step >= -clip && step <= clip;
            double v_clipped = old + (inside ? step : step < 0 ? -clip : clip);
            double unclipped_term = (v - r) * (v - r), clipped_term = (v_clipped - r) * (v_clipped - r);
            bool clipped_larger = clipped_term > unclipped_term;
            loss += 0.5 * (clipped_larger ? clipped_term : unclipped_term);
            clipped += clipped_larger;
            /* 0.5 d(x - R)^2/dV = (x - R) dx/dV, with dV_clip/dV = 1 inside the band, 0 outside */
            if (d_values) {
                double gradient = clipped_larger ? (inside ? v_clipped - r : 0.0) : v - r;
                d_values[i] = (float)(gradient / (double)n);
            }
        }
    stats->tokens = n;
    stats->loss = loss / (double)n;
    stats->clip_fraction = clipped / (double)n;
}

/* 1 - Var(R - V) / Var(R) over valid tokens; NaN when fewer than 2 or Var(R) is 0. */
double ppo_explained_variance(const float *values, const float *returns, const int *lengths, int B, int T) {
    long n = valid_tokens(lengths, B);
    if (n < 2) return NAN;
    double sum_r = 0, sum_d = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) {
            sum_r += returns[b * T + t];
            sum_d += returns[b * T + t] - values[b * T + t];
        }
    double mean_r = sum_r / (double)n, mean_d = sum_d / (double)n, var_r = 0, var_d = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < lengths[b]; t++) {
            double r = returns[b * T + t] - mean_r, d = returns[b * T + t] - values[b * T + t] - mean_d;
            var_r += r * r;
            var_d += d * d;
        }
    return var_r > 0 ? 1.0 - var_d / var_r : NAN;
}

/* The adaptive KL controller of Ziegler et al.: e = clip(KL / target - 1, -0.2, 0.2),
 * beta <- beta (1 + e * episodes / horizon); a fixed beta when target <= 0. */
void ppo_kl_controller_update(ppo_kl_controller *controller, double kl, int episodes) {
    if (controller->target <= 0) return;
    double error = kl / controller->target - 1.0;
    error = error < -0.2 ? -0.2 : error > 0.2 ? 0.2 : error;
    controller->beta *= 1.0 + error * (double)episodes / controller->horizon;
}
