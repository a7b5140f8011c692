/* Reward model evaluation: accuracy with its uncertainty, calibration, accuracy by group,
 * the annotator-agreement ceiling, and agreement with an oracle's gold scores. */
#include "rlhf/reward.h"

#include "rlhf/demo.h" /* DEMO_GOLD_TIE */

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double reward_gold_gap_edges[REWARD_GOLD_GAP_BINS + 1] = {0.0, 0.1, 0.3, 0.6, INFINITY};

/* The 95% Wilson score interval of k successes in n trials: (p + z^2/2n -+ z sqrt(p(1-p)/n +
 * z^2/4n^2)) / (1 + z^2/n), z = 1.96; NaN both when n is 0. */
void reward_wilson_interval(long k, long n, double *low, double *high) {
    if (n == 0) {
        *low = *high = NAN;
        return;
    }
    const double z = 1.959963984540054;
    double p = (double)k / n, denominator = 1 + z * z / n;
    double centre = (p + z * z / (2.0 * n)) / denominator;
    double half = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
    *low = centre - half;
    *high = centre + half;
}

/* ECE = sum_b |b|/n |accuracy_b - confidence_b| over bins equally wide on confidence [0.5, 1];
 * fills the per-bin count, mean confidence and accuracy (NaN for an empty bin). NaN when n is 0. */
double reward_expected_calibration_error(const double *confidences, const int *outcomes, long n, int bins,
                                         long *bin_count, double *bin_confidence, double *bin_accuracy) {
    for (int b = 0; b < bins; b++) {
        bin_count[b] = 0;
        bin_confidence[b] = bin_accuracy[b] = 0;
    }
    for (long i = 0; i < n; i++) {
        int b = (int)((confidences[i] - 0.5) * 2.0 * bins);
        b = b < 0 ? 0 : b >= bins ? bins - 1 : b;
        bin_count[b]++;
        bin_confidence[b] += confidences[i];
        bin_accuracy[b] += outcomes[i];
    }
    double ece = 0;
    for (int b = 0; b < bins; b++) {
        if (bin_count[b] == 0) {
            bin_confidence[b] = bin_accuracy[b] = NAN;
            continue;
        }
        bin_confidence[b] /= bin_count[b];
        bin_accuracy[b] /= bin_count[b];
        ece += (double)bin_count[b] / n * fabs(bin_accuracy[b] - bin_confidence[b]);
    }
    return n ? ece : NAN;
}

/* mean +- 1.96 standard errors of x[0..n) */
static void mean_interval(const double *x, long n, double *mean, double *half_width) {
    double sum = 0, sum_squares = 0;
    for (long i = 0; i < n; i++) sum += x[i];
    *mean = n ? sum / n : NAN;
    for (long i = 0; i < n; i++) sum_squares += (x[i] - *mean) * (x[i] - *mean);
    *half_width = n > 1 ? 1.96 * sqrt(sum_squares / (n - 1) / n) : NAN;
}

/* Fills ev from the given rewards of every (validation_only: every held-out) pair: accuracy
 * with its interval, loss, margin, calibration, accuracy by group and, when gold is given,
 * by gold gap. */
int reward_evaluate_rewards(const reward_dataset *data, bool validation_only, const float *rewards,
                            reward_gold_scorer gold, void *gold_user, reward_evaluation *ev, rlhf_error *error) {
    memset(ev, 0, sizeof *ev);
    ev->annotator_agreement = data->annotator_agreement;
    ev->accuracy = ev->accuracy_low = ev->accuracy_high = ev->loss = ev->margin = NAN;
    ev->gold_accuracy = ev->gold_accuracy_low = ev->gold_accuracy_high = ev->label_gold_accuracy = NAN;
    long n = 0;
    for (long i = 0; i < data->count; i++) n += !validation_only || data->examples[i].validation;
    if (n == 0) {
        rlhf_error_set(error, "no %spairs to evaluate", validation_only ? "validation " : "");
        return -1;
    }
    ev->by_annotator = calloc((size_t)data->annotator_count + 1, sizeof *ev->by_annotator);
    double *losses = malloc(sizeof(double) * (size_t)n), *margins = malloc(sizeof(double) * (size_t)n);
    double *confidences = malloc(sizeof(double) * (size_t)n);
    int *outcomes = malloc(sizeof(int) * (size_t)n);
    if (!ev->by_annotator || !losses || !margins || !confidences || !outcomes) {
        free(losses);
        free(margins);
        free(confidences);
        free(outcomes);
        reward_evaluation_free(ev);
        rlhf_error_set(error, "out of memory evaluating %ld pairs", n);
        return -1;
    }
    long decided = 0, correct = 0, gold_correct = 0, label_gold_correct = 0, k = 0;
    double reward_sum = 0;
    for (long i = 0; i < data->count; i++) {
        const reward_example *e = &data->examples[i];
        if (validation_only && !e->validation) continue;
        double rc = rewards[2 * k], rr = rewards[2 * k + 1];
        k++;
        reward_sum += rc + rr;
        if (e->tie) continue;
        double l, dc, dr;
        reward_pair_loss(rc, rr, 0.0, false, 0.0, &l, &dc, &dr);
        losses[decided] = l;
        margins[decided] = rc - rr;
        int right = rc > rr;
        /* the model's confidence in the side it scores higher, whichever that is */
        confidences[decided] = 1.0 / (1.0 + exp(-fabs(rc - rr)));
        outcomes[decided] = right;
        decided++;
        correct += right;
        reward_group_accuracy *groups[4] = {&ev->by_annotator[e->annotator], &ev->by_strength[e->strength],
                                            e->agreement < 0 ? &ev->single : e->agreement ? &ev->agreed : &ev->disagreed,
                                            NULL};
        for (int g = 0; groups[g]; g++) {
            groups[g]->pairs++;
            groups[g]->correct += right;
        }
        if (gold) {
            double gc = gold(e->chosen_text, gold_user), gr = gold(e->rejected_text, gold_user);
            /* equal gold scores give no order to agree with; scores of different texts
             * that differ only by float rounding (~1e-16) are equal too */
            double gap = fabs(gc - gr);
            if (gap > DEMO_GOLD_TIE) {
                int agrees = (rc > rr) == (gc > gr);
                ev->gold_pairs++;
                gold_correct += agrees;
                label_gold_correct += gc > gr; /* the label chose the higher gold score */
                int b = 0;
                while (b < REWARD_GOLD_GAP_BINS - 1 && gap >= reward_gold_gap_edges[b + 1]) b++;
                ev->by_gold_gap[b].pairs++;
                ev->by_gold_gap[b].correct += right;
                ev->by_gold_gap[b].gold_correct += agrees;
            }
        }
    }
    ev->pairs = decided;
    ev->accuracy = decided ? (double)correct / decided : NAN;
    reward_wilson_interval(correct, decided, &ev->accuracy_low, &ev->accuracy_high);
    mean_interval(losses, decided, &ev->loss, &ev->loss_half_width);
    mean_interval(margins, decided, &ev->margin, &ev->margin_half_width);
    ev->mean_reward = reward_sum / (2.0 * n);
    ev->ece = reward_expected_calibration_error(confidences, outcomes, decided, REWARD_CALIBRATION_BINS, ev->bin_count,
                                                ev->bin_confidence, ev->bin_accuracy);
    if (ev->gold_pairs) ev->gold_accuracy = (double)gold_correct / ev->gold_pairs;
    if (ev->gold_pairs) ev->label_gold_accuracy = (double)label_gold_correct / ev->gold_pairs;
    reward_wilson_interval(gold_correct, ev->gold_pairs, &ev->gold_accuracy_low, &ev->gold_accuracy_high);
    free(losses);
    free(margins);
    free(confidences);
    free(outcomes);
    return 0;
}

/* Scores every selected pair's two sides with the model and evaluates those rewards. */
int reward_evaluate(gpt_model *model, const reward_dataset *data, bool validation_only, int batch_size,
                    reward_gold_scorer gold, void *gold_user, reward_evaluation *ev, rlhf_error *error) {
    memset(ev, 0, sizeof *ev);
    float *rewards;
    long n;
    if (reward_score_pairs(model, data, validation_only, batch_size, &rewards, &n, error) != 0) return -1;
    /* (no pairs: rewards is NULL and reward_evaluate_rewards says so) */
    int status = reward_evaluate_rewards(data, validation_only, rewards, gold, gold_user, ev, error);
    free(rewards);
    return status;
}

/* Frees what reward_evaluate allocated (safe to call twice, or after a failure). */
void reward_evaluation_free(reward_evaluation *evaluation) {
    free(evaluation->by_annotator);
    evaluation->by_annotator = NULL;
}
