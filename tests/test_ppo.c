/* The arithmetic of a PPO update against hand-worked values: the KL estimators, the
 * KL-penalised token rewards, GAE, whitening, the clipped policy and value losses (values,
 * statistics and gradients, the gradients also against finite differences), explained
 * variance and the adaptive KL controller. The hand-worked numbers are in the comments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <string.h>

#include "nn/backend.h"
#include "rlhf/policy.h"
#include "rlhf/ppo.h"
#include "rlhf/util.h"
#include "tests/test_support.h"

START_TEST(test_kl_estimators) {
    /* log pi = -1, log pi_ref = -1.5: logr = -0.5, k1 = 0.5, k3 = e^-0.5 - 1 + 0.5 = 0.10653066 */
    ck_assert_double_eq_tol(ppo_kl_estimate(PPO_KL_K1, -1.0, -1.5), 0.5, 1e-15);
    ck_assert_double_eq_tol(ppo_kl_estimate(PPO_KL_K3, -1.0, -1.5), 0.1065306597126334, 1e-15);
    /* equal log-probs: both exactly 0 */
    ck_assert(ppo_kl_estimate(PPO_KL_K1, -2.25, -2.25) == 0.0);
    ck_assert(ppo_kl_estimate(PPO_KL_K3, -2.25, -2.25) == 0.0);
    /* k1 can go negative, k3 never does: logr = +0.5 gives -0.5 and e^0.5 - 1 - 0.5 */
    ck_assert_double_eq_tol(ppo_kl_estimate(PPO_KL_K1, -1.5, -1.0), -0.5, 1e-15);
    ck_assert_double_eq_tol(ppo_kl_estimate(PPO_KL_K3, -1.5, -1.0), 0.1487212707001282, 1e-15);
    ppo_kl_estimator estimator;
    ck_assert_int_eq(ppo_kl_estimator_parse("k3", &estimator), 0);
    ck_assert_int_eq(estimator, PPO_KL_K3);
    ck_assert_int_eq(ppo_kl_estimator_parse("k2", &estimator), -1);
}
END_TEST

START_TEST(test_token_rewards) {
    /* Two rows of 3 positions, lengths 3 and 1, beta 0.1, k1:
     * row 0: kl = 0.5, 0, -0.25 -> rewards -0.05, 0, 0.025 + score 2 = 2.025
     * row 1: kl = -0.5 -> reward 0.05 + score -1 = -0.95; padding 0 */
    const float logprobs[6] = {-1.0f, -2.0f, -0.5f, -1.0f, -7.0f, -7.0f};
    const float reference[6] = {-1.5f, -2.0f, -0.25f, -0.5f, -1.0f, -1.0f};
    const float scores[2] = {2.0f, -1.0f};
    const int lengths[2] = {3, 1};
    float rewards[6], kl[6];
    ppo_token_rewards(logprobs, reference, lengths, 2, 3, scores, 0.1, PPO_KL_K1, rewards, kl);
    const float want_rewards[6] = {-0.05f, 0.0f, 2.025f, -0.95f, 0.0f, 0.0f};
    const float want_kl[6] = {0.5f, 0.0f, -0.25f, -0.5f, 0.0f, 0.0f};
    for (int i = 0; i < 6; i++) {
        ck_assert_float_eq_tol(rewards[i], want_rewards[i], 1e-6f);
        ck_assert_float_eq_tol(kl[i], want_kl[i], 1e-7f);
    }
}
END_TEST

START_TEST(test_gae) {
    /* One row, rewards 0, 0, 1, values 0.5, 0.2, 0.4, then one padding position.
     * gamma 1, lambda 0.95:
     *   t2: delta = 1 - 0.4 = 0.6, A = 0.6, R = 1.0
     *   t1: delta = 0.4 - 0.2 = 0.2, A = 0.2 + 0.95 * 0.6 = 0.77, R = 0.97
     *   t0: delta = 0.2 - 0.5 = -0.3, A = -0.3 + 0.95 * 0.77 = 0.4315, R = 0.9315
     * gamma 0.9, lambda 0.5:
     *   t2: A = 0.6;  t1: delta = 0.36 - 0.2 = 0.16, A = 0.16 + 0.45 * 0.6 = 0.43
     *   t0: delta = 0.18 - 0.5 = -0.32, A = -0.32 + 0.45 * 0.43 = -0.1265 */
    const float rewards[4] = {0.0f, 0.0f, 1.0f, 5.0f}, values[4] = {0.5f, 0.2f, 0.4f, 9.0f};
    const int lengths[1] = {3};
    float advantages[4], returns[4];
    ppo_gae(rewards, values, lengths, 1, 4, 1.0, 0.95, advantages, returns);
    const float want_a[4] = {0.4315f, 0.77f, 0.6f, 0.0f}, want_r[4] = {0.9315f, 0.97f, 1.0f, 0.0f};
    for (int i = 0; i < 4; i++) {
        ck_assert_float_eq_tol(advantages[i], want_a[i], 1e-6f);
        ck_assert_float_eq_tol(returns[i], want_r[i], 1e-6f);
    }
    ppo_gae(rewards, values, lengths, 1, 4, 0.9, 0.5, advantages, returns);
    ck_assert_float_eq_tol(advantages[0], -0.1265f, 1e-6f);
    ck_assert_float_eq_tol(advantages[1], 0.43f, 1e-6f);
    ck_assert_float_eq_tol(advantages[2], 0.6f, 1e-6f);
}
END_TEST

START_TEST(test_whiten) {
    /* valid 1, 2, 3, 4 (padding 99): mean 2.5, unbiased variance (2.25 + 0.25 + 0.25 + 2.25) / 3
     * = 5/3, so the whitened values are (x - 2.5) / sqrt(5/3 + 1e-8) */
    float x[5] = {1.0f, 2.0f, 3.0f, 4.0f, 99.0f};
    const int lengths[1] = {4};
    ppo_whiten(x, lengths, 1, 5, false);
    double scale = 1.0 / sqrt(5.0 / 3.0 + 1e-8);
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(x[i], (float)((i + 1 - 2.5) * scale), 1e-6f);
    ck_assert_float_eq(x[4], 99.0f);
    float y[5] = {1.0f, 2.0f, 3.0f, 4.0f, 99.0f};
    ppo_whiten(y, lengths, 1, 5, true);
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(y[i], (float)((i + 1 - 2.5) * scale + 2.5), 1e-6f);
}
END_TEST

START_TEST(test_policy_loss) {
    /* clip 0.2; four tokens, one each way:
     *   ratio 1.5, A = +1: -1.5 vs clipped -1.2: the clipped is larger -> -1.2, gradient 0
     *   ratio 0.5, A = +1: -0.5 vs -0.8 -> -0.5, gradient -A rho / n = -0.5 / 4
     *   ratio 1.5, A = -1:  1.5 vs 1.2 -> 1.5, gradient 1.5 / 4
     *   ratio 0.5, A = -1:  0.5 vs 0.8: clipped larger -> 0.8, gradient 0
     * loss (-1.2 - 0.5 + 1.5 + 0.8) / 4 = 0.15; clip fraction 2/4;
     * approx KL 0.5 mean(ln 1.5^2, ln 0.5^2, ...) = 0.5 (0.16440195 + 0.48045301) / 2 = 0.16121374;
     * ratio mean 1, variance 1.25 - 1 = 0.25. A fifth position is padding. */
    const float old[5] = {-1.0f, -1.0f, -2.0f, -2.0f, 0.0f};
    const float now[5] = {(float)(-1.0 + log(1.5)), (float)(-1.0 + log(0.5)), (float)(-2.0 + log(1.5)),
                          (float)(-2.0 + log(0.5)), 3.0f};
    const float advantages[5] = {1.0f, 1.0f, -1.0f, -1.0f, 8.0f};
    const int lengths[1] = {4};
    ppo_loss_stats stats;
    float gradient[5];
    ppo_policy_loss(now, old, advantages, lengths, 1, 5, 0.2, &stats, gradient);
    ck_assert_int_eq(stats.tokens, 4);
    ck_assert_double_eq_tol(stats.loss, 0.15, 1e-6);
    ck_assert_double_eq_tol(stats.clip_fraction, 0.5, 1e-12);
    ck_assert_double_eq_tol(stats.approx_kl, 0.16121374, 1e-6);
    ck_assert_double_eq_tol(stats.ratio_mean, 1.0, 1e-6);
    ck_assert_double_eq_tol(stats.ratio_var, 0.25, 1e-6);
    const float want[5] = {0.0f, -0.125f, 0.375f, 0.0f, 0.0f};
    for (int i = 0; i < 5; i++) ck_assert_float_eq_tol(gradient[i], want[i], 1e-6f);
    /* ratio exactly 1 everywhere (the first epoch, policy = old): loss = -mean(A), nothing clipped */
    ppo_policy_loss(old, old, advantages, lengths, 1, 5, 0.2, &stats, NULL);
    ck_assert_double_eq_tol(stats.loss, 0.0, 1e-12);
    ck_assert(stats.clip_fraction == 0.0 && stats.approx_kl == 0.0 && stats.ratio_mean == 1.0);
}
END_TEST

START_TEST(test_value_loss) {
    /* clip 0.2, four tokens (V, V_old, R):
     *   (1.0, 0.5, 1.0): V_clip = 0.7; 0 vs 0.09: clipped larger and clipped -> 0.5 * 0.09, gradient 0
     *   (0.6, 0.5, 0.0): inside the band, V_clip = V: 0.36 both -> 0.18, gradient (0.6 - 0) / 4
     *   (0.0, 0.5, 0.2): V_clip = 0.3; 0.04 vs 0.01 -> 0.02, gradient (0 - 0.2) / 4
     *   (0.0, 0.5, -0.5): below the band, V_clip = 0.3; 0.25 vs 0.64: clipped larger -> 0.32,
     *     gradient 0 (a band without its lower bound would take 0.25 and gradient 0.5 / 4)
     * loss (0.045 + 0.18 + 0.02 + 0.32) / 4 = 0.14125, clip fraction 2/4 */
    const float values[4] = {1.0f, 0.6f, 0.0f, 0.0f}, old[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    const float returns[4] = {1.0f, 0.0f, 0.2f, -0.5f};
    const int lengths[1] = {4};
    ppo_loss_stats stats;
    float gradient[4];
    ppo_value_loss(values, old, returns, lengths, 1, 4, 0.2, &stats, gradient);
    ck_assert_double_eq_tol(stats.loss, 0.565 / 4.0, 1e-7);
    ck_assert_double_eq_tol(stats.clip_fraction, 2.0 / 4.0, 1e-12);
    ck_assert_float_eq_tol(gradient[0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(gradient[1], 0.15f, 1e-7f);
    ck_assert_float_eq_tol(gradient[2], -0.05f, 1e-7f);
    ck_assert_float_eq_tol(gradient[3], 0.0f, 1e-7f);
}
END_TEST

START_TEST(test_loss_gradients_against_finite_differences) {
    /* Random rows (two rows, lengths 5 and 3 of 6), central differences with step 1e-3 in
     * double from float inputs: both losses are piecewise quadratic, so away from a kink
     * the difference is exact up to rounding; points within 2e-3 of a kink are skipped. */
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 11);
    const int B = 2, T = 6, lengths[2] = {5, 3};
    float logprobs[12], old[12], advantages[12], values[12], old_values[12], returns[12];
    for (int i = 0; i < 12; i++) {
        old[i] = (float)(-3.0 * rlhf_rng_uniform(&rng));
        logprobs[i] = old[i] + (float)(0.6 * (rlhf_rng_uniform(&rng) - 0.5));
        advantages[i] = (float)rlhf_rng_normal(&rng);
        old_values[i] = (float)rlhf_rng_normal(&rng);
        values[i] = old_values[i] + (float)(0.8 * (rlhf_rng_uniform(&rng) - 0.5));
        returns[i] = (float)rlhf_rng_normal(&rng);
    }
    float d_policy[12], d_value[12];
    ppo_loss_stats stats;
    ppo_policy_loss(logprobs, old, advantages, lengths, B, T, 0.2, &stats, d_policy);
    ppo_value_loss(values, old_values, returns, lengths, B, T, 0.2, &stats, d_value);
    const float h = 1e-3f;
    int checked = 0;
    for (int i = 0; i < 12; i++) {
        float saved = logprobs[i];
        double ratio = exp((double)logprobs[i] - old[i]);
        bool near_kink = fabs(ratio - 0.8) < 3e-3 || fabs(ratio - 1.2) < 3e-3;
        logprobs[i] = saved + h;
        ppo_policy_loss(logprobs, old, advantages, lengths, B, T, 0.2, &stats, NULL);
        double up = stats.loss;
        logprobs[i] = saved - h;
        ppo_policy_loss(logprobs, old, advantages, lengths, B, T, 0.2, &stats, NULL);
        double down = stats.loss;
        logprobs[i] = saved;
        if (!near_kink) {
            ck_assert_msg(fabs((up - down) / (2.0 * h) - d_policy[i]) < 2e-4, "policy gradient %d: %g against %g", i,
                          (up - down) / (2.0 * h), d_policy[i]);
            checked++;
        }
        saved = values[i];
        double step = (double)values[i] - old_values[i];
        near_kink = fabs(fabs(step) - 0.2) < 3e-3;
        values[i] = saved + h;
        ppo_value_loss(values, old_values, returns, lengths, B, T, 0.2, &stats, NULL);
        up = stats.loss;
        values[i] = saved - h;
        ppo_value_loss(values, old_values, returns, lengths, B, T, 0.2, &stats, NULL);
        down = stats.loss;
        values[i] = saved;
        if (!near_kink) {
            ck_assert_msg(fabs((up - down) / (2.0 * h) - d_value[i]) < 2e-4, "value gradient %d: %g against %g", i,
                          (up - down) / (2.0 * h), d_value[i]);
            checked++;
        }
    }
    ck_assert_int_ge(checked, 20);
}
END_TEST

START_TEST(test_explained_variance_and_controller) {
    /* values 1, 2, 3 against returns 1, 2, 4: Var(R) ~ 42/9, Var(R - V) ~ 6/9: 1 - 1/7 */
    const float values[3] = {1.0f, 2.0f, 3.0f}, returns[3] = {1.0f, 2.0f, 4.0f};
    const int lengths[1] = {3};
    ck_assert_double_eq_tol(ppo_explained_variance(values, returns, lengths, 1, 3), 6.0 / 7.0, 1e-12);
    /* Ziegler's controller, target 6, horizon 10000, 64 episodes:
     * KL 9: error 0.5 clipped to 0.2, beta 0.1 (1 + 0.2 * 64 / 10000) = 0.100128
     * then KL 5.4: error -0.1, beta (1 - 0.1 * 64 / 10000) (inside the clip on both sides) */
    ppo_kl_controller controller = {.beta = 0.1, .target = 6.0, .horizon = 10000.0};
    ppo_kl_controller_update(&controller, 9.0, 64);
    ck_assert_double_eq_tol(controller.beta, 0.100128, 1e-15);
    ppo_kl_controller_update(&controller, 5.4, 64);
    ck_assert_double_eq_tol(controller.beta, 0.100128 * 0.99936, 1e-15);
    /* KL 1: error -5/6 clipped to -0.2: beta (1 - 0.2 * 64 / 10000) */
    ppo_kl_controller_update(&controller, 1.0, 64);
    ck_assert_double_eq_tol(controller.beta, 0.100128 * 0.99936 * 0.99872, 1e-15);
    ppo_kl_controller fixed = {.beta = 0.05};
    ppo_kl_controller_update(&fixed, 100.0, 64);
    ck_assert(fixed.beta == 0.05);
}
END_TEST

/* ------------------------------------------------------------------ the loop */

enum { LOOP_VOCAB = 16, LOOP_COUNT = 32, LOOP_LENGTH = 6, LOOP_TARGET = 3 };

/* A small random GPT on the CPU (vocabulary 16, 12 positions, width 16, one layer), with a
 * scalar head when asked: the policy, reference and value model of the loop tests. */
static void make_model(gpt_model *model, uint64_t seed, bool head) {
    gpt_config config = {.vocab_size = LOOP_VOCAB, .n_positions = 12, .n_embd = 16, .n_layer = 1, .n_head = 2,
                         .layer_norm_epsilon = 1e-5f, .bos_token_id = -1, .eos_token_id = -1, .pad_token_id = -1};
    rlhf_error error;
    ck_assert_int_eq(gpt_create(model, &config, nn_cpu_backend(), &error), 0);
    gpt_init_random(model, seed, NULL);
    if (head) ck_assert_int_eq(gpt_add_score_head(model, seed + 1, &error), 0);
}

/* The scripted reward: the share of a response's tokens that are LOOP_TARGET. */
static int share_of_target(const int *const *prompts, const int *prompt_lengths, const int *const *responses,
                           const int *response_lengths, int count, float *scores, void *user, rlhf_error *error) {
    (void)prompts, (void)prompt_lengths, (void)user, (void)error;
    for (int i = 0; i < count; i++) {
        int hits = 0;
        for (int t = 0; t < response_lengths[i]; t++) hits += responses[i][t] == LOOP_TARGET;
        scores[i] = response_lengths[i] ? (float)hits / (float)response_lengths[i] : 0.0f;
    }
    return 0;
}

/* The four models and two optimizers of a loop test; the reference starts equal to the
 * policy. */
typedef struct loop_models {
    gpt_model policy, reference, value;
    nn_adamw policy_optimizer, value_optimizer;
    ppo_models models;
} loop_models;

static void loop_setup(loop_models *m) {
    rlhf_error error;
    make_model(&m->policy, 5, false);
    make_model(&m->reference, 5, false);
    make_model(&m->value, 9, true);
    nn_adamw_config adamw = nn_adamw_defaults();
    adamw.epsilon = 1e-5f;
    ck_assert_int_eq(nn_adamw_create(&m->policy_optimizer, &m->policy, &adamw, &error), 0);
    ck_assert_int_eq(nn_adamw_create(&m->value_optimizer, &m->value, &adamw, &error), 0);
    m->models = (ppo_models){.policy = &m->policy, .reference = &m->reference, .value = &m->value,
                             .policy_optimizer = &m->policy_optimizer, .value_optimizer = &m->value_optimizer,
                             .score = share_of_target};
}

static void loop_teardown(loop_models *m) {
    nn_adamw_destroy(&m->policy_optimizer);
    nn_adamw_destroy(&m->value_optimizer);
    gpt_destroy(&m->policy);
    gpt_destroy(&m->reference);
    gpt_destroy(&m->value);
}

/* Prompts of one token (0) each. */
static int loop_prompt_token = 0;
static const int *loop_prompts[LOOP_COUNT];
static int loop_prompt_lengths[LOOP_COUNT];

static void loop_prompts_setup(void) {
    for (int i = 0; i < LOOP_COUNT; i++) {
        loop_prompts[i] = &loop_prompt_token;
        loop_prompt_lengths[i] = 1;
    }
}

static ppo_settings loop_settings(float lr) {
    ppo_settings settings = ppo_settings_defaults();
    settings.temperature = 1.0f;
    settings.max_new_tokens = LOOP_LENGTH;
    settings.policy_lr = settings.value_lr = lr;
    return settings;
}

/* The clipped policy loss of rows under model's current weights (double-checked: the
 * log-probs from policy_sequence_logprobs at temperature 0.8). */
static double policy_loss_of(gpt_model *model, const policy_sequences *rows, const float *old, const float *advantages,
                             float *logprobs, float *gradient) {
    rlhf_error error;
    ck_assert_int_eq(policy_sequence_logprobs(model, rows, 4, 0.8f, logprobs, NULL, &error), 0);
    ppo_loss_stats stats;
    ppo_policy_loss(logprobs, old, advantages, rows->response_lengths, rows->count, 4, 0.2, &stats, gradient);
    return stats.loss;
}

START_TEST(test_policy_loss_gradient_through_the_model) {
    /* The whole PPO policy loss, from the weights through the model's log-probs (rows of
     * different prompt and response lengths, padded) to the clipped surrogate, against
     * central differences on the 24 parameters with the largest gradients. The old
     * log-probs sit 0.05 from the current ones, inside the clip band, so the loss is smooth
     * there; step 1e-2 on float32 log-probs: agreement within 3% of each gradient. */
    gpt_model model;
    make_model(&model, 21, false);
    rlhf_error error;
    ck_assert_int_eq(gpt_reserve(&model, 3, 8, true, &error), 0);
    int p0[2] = {0, 1}, p1[1] = {0}, p2[3] = {0, 4, 5}, r0[4] = {3, 7, 3, 2}, r1[2] = {9, 3}, r2[3] = {3, 3, 1};
    const int *prompts[3] = {p0, p1, p2}, *responses[3] = {r0, r1, r2};
    int prompt_lengths[3] = {2, 1, 3}, response_lengths[3] = {4, 2, 3};
    policy_sequences rows = {.prompts = prompts, .prompt_lengths = prompt_lengths, .responses = responses,
                             .response_lengths = response_lengths, .count = 3};
    float logprobs[12], old[12], advantages[12], gradient[12], layout[24];
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 4);
    ck_assert_int_eq(policy_sequence_logprobs(&model, &rows, 4, 0.8f, logprobs, NULL, &error), 0);
    for (int i = 0; i < 12; i++) {
        old[i] = logprobs[i] + (rlhf_rng_uniform(&rng) < 0.5 ? 0.05f : -0.05f);
        advantages[i] = (float)(3.0 * rlhf_rng_normal(&rng));
    }
    gpt_zero_grad(&model);
    policy_loss_of(&model, &rows, old, advantages, logprobs, gradient);
    ck_assert_int_eq(policy_sequence_length(&rows), 6);
    policy_sequence_scatter(&rows, 4, gradient, layout);
    ck_assert_int_eq(gpt_backward(&model, layout, NULL, &error), 0);
    size_t n = model.parameter_count;
    float *weights = malloc(sizeof(float) * n), *analytic = malloc(sizeof(float) * n);
    gpt_read_parameters(&model, weights, false);
    gpt_read_parameters(&model, analytic, true);
    for (int k = 0; k < 24; k++) {
        size_t top = 0; /* the largest gradient not yet checked */
        for (size_t i = 1; i < n; i++)
            if (fabsf(analytic[i]) > fabsf(analytic[top])) top = i;
        float saved = weights[top], h = 1e-2f;
        weights[top] = saved + h;
        gpt_write_parameters(&model, weights);
        double up = policy_loss_of(&model, &rows, old, advantages, logprobs, NULL);
        weights[top] = saved - h;
        gpt_write_parameters(&model, weights);
        double down = policy_loss_of(&model, &rows, old, advantages, logprobs, NULL);
        weights[top] = saved;
        gpt_write_parameters(&model, weights);
        double numeric = (up - down) / (2.0 * h);
        ck_assert_msg(fabs(numeric - analytic[top]) <= 0.03 * fabs(analytic[top]),
                      "parameter %zu: finite difference %g, backward %g", top, numeric, analytic[top]);
        analytic[top] = 0.0f;
    }
    free(weights);
    free(analytic);
    gpt_destroy(&model);
}
END_TEST

START_TEST(test_zero_learning_rate_never_moves_the_policy) {
    /* The policy equal to the reference: the batch's KL is exactly 0 (the same rows through
     * the same weights); with learning rate 0 no parameter changes, bit for bit, and every
     * ratio is 1 (to float rounding of one row in another padded batch: 1e-6). */
    loop_prompts_setup();
    loop_models m;
    loop_setup(&m);
    size_t n = m.policy.parameter_count;
    float *before = malloc(sizeof(float) * n), *after = malloc(sizeof(float) * n);
    gpt_read_parameters(&m.policy, before, false);
    ppo_settings settings = loop_settings(0.0f);
    ppo_kl_controller controller = {.beta = 0.05};
    ppo_iteration_stats stats;
    rlhf_error error;
    for (int iteration = 0; iteration < 2; iteration++) {
        ck_assert_msg(ppo_iteration(&m.models, &settings, &controller, loop_prompts, loop_prompt_lengths, LOOP_COUNT,
                                    (uint64_t)iteration + 1, &stats, &error) == 0, "%s", error.message);
        ck_assert(stats.kl == 0.0);
        ck_assert(stats.non_score_reward == 0.0);
        ck_assert_double_eq_tol(stats.ratio_mean, 1.0, 1e-6);
        ck_assert_double_eq_tol(stats.approx_kl, 0.0, 1e-12);
        ck_assert(stats.clip_fraction == 0.0);
        ck_assert(stats.response_length == LOOP_LENGTH);
        ck_assert(stats.entropy > 0.0);
    }
    gpt_read_parameters(&m.policy, after, false);
    ck_assert_mem_eq(before, after, sizeof(float) * n);
    free(before);
    free(after);
    loop_teardown(&m);
}
END_TEST

/* Runs PPO iterations at beta until the mean score passes `goal` or `iterations` ran;
 * returns the statistics of the last iteration run, its count in *ran, and the first
 * iteration's score in *first_score. */
static ppo_iteration_stats run_loop(double beta, int iterations, double goal, int *ran, double *first_score) {
    loop_prompts_setup();
    loop_models m;
    loop_setup(&m);
    ppo_settings settings = loop_settings(3e-3f);
    ppo_kl_controller controller = {.beta = beta};
    ppo_iteration_stats stats;
    rlhf_error error;
    for (*ran = 0; *ran < iterations;) {
        ck_assert_msg(ppo_iteration(&m.models, &settings, &controller, loop_prompts, loop_prompt_lengths, LOOP_COUNT,
                                    (uint64_t)*ran + 1, &stats, &error) == 0, "%s", error.message);
        if (*ran == 0) *first_score = stats.score;
        (*ran)++;
        if (getenv("PPO_TEST_TRACE"))
            fprintf(stderr, "beta %g iteration %d: score %.3f KL %.3f entropy %.3f value loss %.4f clip %.3f\n", beta,
                    *ran, stats.score, stats.kl, stats.entropy, stats.value_loss, stats.clip_fraction);
        if (stats.score > goal) break;
    }
    loop_teardown(&m);
    return stats;
}

START_TEST(test_ppo_learns_a_scripted_preference) {
    /* The reward is the share of token 3 in six sampled tokens (a random policy over 16
     * tokens gives about 1/16). With beta 0.01, PPO lifts the batch's mean score above 0.6
     * within 40 iterations of 32 responses (measured: 0.047 -> 0.693 in 7), at a KL to the
     * reference under 10 nats a response (measured 7.8; all six tokens on one of 16 would
     * be about 16); with beta 1, 40 iterations keep the KL under 1 nat (measured 0.12,
     * the score 0.07). */
    double first;
    int ran;
    ppo_iteration_stats learned = run_loop(0.01, 40, 0.6, &ran, &first);
    fprintf(stderr, "PPO, beta 0.01: score %.3f -> %.3f after %d iterations, KL %.3f nats\n", first, learned.score, ran,
            learned.kl);
    ck_assert_msg(first < 0.2, "the starting policy already scores %.3f", first);
    ck_assert_msg(learned.score > 0.6, "score %.3f after %d iterations", learned.score, ran);
    ck_assert_msg(learned.kl < 10.0, "KL %.3f when the score passed 0.6", learned.kl);
    ppo_iteration_stats held = run_loop(1.0, 40, 2.0, &ran, &first);
    fprintf(stderr, "PPO, beta 1: score %.3f -> %.3f after %d iterations, KL %.3f nats\n", first, held.score, ran,
            held.kl);
    ck_assert_int_eq(ran, 40);
    ck_assert_msg(held.kl < 1.0, "KL %.3f with beta 1", held.kl);
}
END_TEST

int main(void) {
    Suite *suite = suite_create("ppo");
    TCase *math_case = tcase_create("math");
    tcase_add_test(math_case, test_kl_estimators);
    tcase_add_test(math_case, test_token_rewards);
    tcase_add_test(math_case, test_gae);
    tcase_add_test(math_case, test_whiten);
    tcase_add_test(math_case, test_policy_loss);
    tcase_add_test(math_case, test_value_loss);
    tcase_add_test(math_case, test_loss_gradients_against_finite_differences);
    tcase_add_test(math_case, test_explained_variance_and_controller);
    suite_add_tcase(suite, math_case);
    TCase *loop_case = tcase_create("loop");
    tcase_set_timeout(loop_case, 120);
    tcase_add_test(loop_case, test_policy_loss_gradient_through_the_model);
    tcase_add_test(loop_case, test_zero_learning_rate_never_moves_the_policy);
    tcase_add_test(loop_case, test_ppo_learns_a_scripted_preference);
    suite_add_tcase(suite, loop_case);
    return tests_run_suite(suite);
}
