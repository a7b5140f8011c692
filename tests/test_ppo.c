/* The arithmetic of a PPO update against hand-worked values: the KL estimators, the
 * KL-penalised token rewards, GAE, whitening, the clipped policy and value losses (values,
 * statistics and gradients, the gradients also against finite differences), explained
 * variance and the adaptive KL controller. The hand-worked numbers are in the comments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

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
    /* clip 0.2, three tokens (V, V_old, R):
     *   (1.0, 0.5, 1.0): V_clip = 0.7; 0 vs 0.09: clipped larger and clipped -> 0.5 * 0.09, gradient 0
     *   (0.6, 0.5, 0.0): inside the band, V_clip = V: 0.36 both -> 0.18, gradient (0.6 - 0) / 3
     *   (0.0, 0.5, 0.2): V_clip = 0.3; 0.04 vs 0.01 -> 0.02, gradient (0 - 0.2) / 3
     * loss (0.045 + 0.18 + 0.02) / 3 = 0.0816667, clip fraction 1/3 */
    const float values[3] = {1.0f, 0.6f, 0.0f}, old[3] = {0.5f, 0.5f, 0.5f}, returns[3] = {1.0f, 0.0f, 0.2f};
    const int lengths[1] = {3};
    ppo_loss_stats stats;
    float gradient[3];
    ppo_value_loss(values, old, returns, lengths, 1, 3, 0.2, &stats, gradient);
    ck_assert_double_eq_tol(stats.loss, 0.245 / 3.0, 1e-7);
    ck_assert_double_eq_tol(stats.clip_fraction, 1.0 / 3.0, 1e-12);
    ck_assert_float_eq_tol(gradient[0], 0.0f, 1e-7f);
    ck_assert_float_eq_tol(gradient[1], 0.2f, 1e-7f);
    ck_assert_float_eq_tol(gradient[2], (float)(-0.2 / 3.0), 1e-7f);
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
     * then KL 5.4: error -0.1, beta (1 - 0.1 * 64 / 10000) */
    ppo_kl_controller controller = {.beta = 0.1, .target = 6.0, .horizon = 10000.0};
    ppo_kl_controller_update(&controller, 9.0, 64);
    ck_assert_double_eq_tol(controller.beta, 0.100128, 1e-15);
    ppo_kl_controller_update(&controller, 5.4, 64);
    ck_assert_double_eq_tol(controller.beta, 0.100128 * 0.99936, 1e-15);
    ppo_kl_controller fixed = {.beta = 0.05};
    ppo_kl_controller_update(&fixed, 100.0, 64);
    ck_assert(fixed.beta == 0.05);
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
    return tests_run_suite(suite);
}
