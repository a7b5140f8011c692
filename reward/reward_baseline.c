/* The unigram baseline: a logistic regression on token counts, fitted on the same training
 * pairs as the reward model and scored on the same held-out pairs, so a reward model that
 * does no better than counting words shows it at once.
 *
 * A pair's features are the token counts of the chosen sequence minus those of the
 * rejected one (both hold the same prompt, so only the responses' tokens remain), and the
 * model is P(chosen preferred) = sigmoid(w . x), fitted by minimising the mean logistic loss
 * plus (l2 / 2) |w|^2 with accelerated gradient descent and a backtracking line search. The
 * objective is strictly convex, so the fit is unique and the result does not depend on a
 * seed. The penalty is chosen from a small grid by the loss on every fifth training pair,
 * then the model is refitted on all of them. */
#include "rlhf/reward.h"

#include "rlhf/demo.h" /* DEMO_GOLD_TIE */

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One pair's nonzero count differences. */
typedef struct sparse_pair {
    int *tokens;
    float *counts;
    int nonzeros;
} sparse_pair;

/* log(1 + exp(x)) without overflow. */
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* Fills pair with counts(chosen) - counts(rejected) over [0, vocab_size); `scratch` is a
 * zeroed array of vocab_size floats, left zeroed. Returns -1 when out of memory or when a
 * token lies outside the vocabulary (error set). */
static int pair_features(const reward_example *e, int vocab_size, float *scratch, sparse_pair *pair, rlhf_error *error) {
    int total = e->chosen_length + e->rejected_length, seen = 0;
    int *touched = malloc(sizeof(int) * (size_t)(total > 0 ? total : 1));
    pair->tokens = malloc(sizeof(int) * (size_t)(total > 0 ? total : 1));
    pair->counts = malloc(sizeof(float) * (size_t)(total > 0 ? total : 1));
    pair->nonzeros = 0;
    if (!touched || !pair->tokens || !pair->counts) {
        free(touched);
        rlhf_error_set(error, "out of memory for the unigram baseline");
        return -1;
    }
    for (int side = 0; side < 2; side++) {
        const int *ids = side ? e->rejected : e->chosen;
        int n = side ? e->rejected_length : e->chosen_length;
        for (int t = 0; t < n; t++) {
            if (ids[t] < 0 || ids[t] >= vocab_size) {
                rlhf_error_set(error, "token %d of comparison %lld is outside the vocabulary of %d", ids[t],
                               (long long)e->comparison_id, vocab_size);
                for (int i = 0; i < seen; i++) scratch[touched[i]] = 0;
                free(touched);
                return -1;
            }
            /* a count that went back to zero is listed again; the loop below takes each
             * token once, at its first listing, and zeroes it */
            if (scratch[ids[t]] == 0) touched[seen++] = ids[t];
            scratch[ids[t]] += side ? -1.0f : 1.0f;
        }
    }
    for (int i = 0; i < seen; i++) {
        int token = touched[i];
        if (scratch[token] != 0) {
            pair->tokens[pair->nonzeros] = token;
            pair->counts[pair->nonzeros++] = scratch[token];
        }
        scratch[token] = 0;
    }
    free(touched);
    return 0;
}

/* w . x for one pair. */
static double pair_score(const double *w, const sparse_pair *pair) {
    double s = 0;
    for (int i = 0; i < pair->nonzeros; i++) s += w[pair->tokens[i]] * pair->counts[i];
    return s;
}

/* The objective at w over the pairs listed in `use` (mean logistic loss + l2/2 |w|^2); with
 * gradient non-NULL also its gradient. */
static double objective(const double *w, const sparse_pair *pairs, const long *use, long n, double l2, int vocab_size,
                        double *gradient) {
    double loss = 0, norm = 0;
    for (int v = 0; v < vocab_size; v++) norm += w[v] * w[v];
    if (gradient)
        for (int v = 0; v < vocab_size; v++) gradient[v] = l2 * w[v];
    for (long i = 0; i < n; i++) {
        const sparse_pair *pair = &pairs[use[i]];
        double s = pair_score(w, pair);
        loss += softplus(-s);
        if (gradient) {
            double d = -1.0 / (1.0 + exp(s)) / (double)n; /* d softplus(-s) / ds, over n */
            for (int k = 0; k < pair->nonzeros; k++) gradient[pair->tokens[k]] += d * pair->counts[k];
        }
    }
    return loss / (double)n + 0.5 * l2 * norm;
}

/* Minimises the objective over the listed pairs from w = 0 by Nesterov's accelerated
 * gradient descent (FISTA's momentum, restarted whenever the objective rises) with a
 * backtracking line search, until the gradient's norm at the look-ahead point is below
 * 1e-6 or after 3000 iterations. */
static int fit(const sparse_pair *pairs, const long *use, long n, double l2, int vocab_size, double *w,
               rlhf_error *error) {
    size_t bytes = sizeof(double) * (size_t)vocab_size;
    double *gradient = malloc(bytes), *ahead = malloc(bytes), *next = malloc(bytes);
    if (!gradient || !ahead || !next) {
        free(gradient);
        free(ahead);
        free(next);
        rlhf_error_set(error, "out of memory for the unigram baseline");
        return -1;
    }
    memset(w, 0, bytes);
    memcpy(ahead, w, bytes);
    double step = 1.0, momentum = 1.0;
    double value = objective(w, pairs, use, n, l2, vocab_size, NULL);
    for (int iteration = 0; iteration < 3000; iteration++) {
        double ahead_value = objective(ahead, pairs, use, n, l2, vocab_size, gradient), squared = 0;
        for (int v = 0; v < vocab_size; v++) squared += gradient[v] * gradient[v];
        if (sqrt(squared) < 1e-6) {
            memcpy(w, ahead, bytes);
            break;
        }
        double next_value;
        for (;;) { /* Armijo: accept when the objective falls by at least half the linear prediction */
            for (int v = 0; v < vocab_size; v++) next[v] = ahead[v] - step * gradient[v];
            next_value = objective(next, pairs, use, n, l2, vocab_size, NULL);
            if (next_value <= ahead_value - 0.5 * step * squared || step < 1e-12) break;
            step *= 0.5;
        }
        if (next_value > value) { /* momentum overshot: restart from the last point */
            momentum = 1.0;
            memcpy(ahead, w, bytes);
            continue;
        }
        double following = (1.0 + sqrt(1.0 + 4.0 * momentum * momentum)) / 2.0, weight = (momentum - 1.0) / following;
        for (int v = 0; v < vocab_size; v++) {
            ahead[v] = next[v] + weight * (next[v] - w[v]);
            w[v] = next[v];
        }
        momentum = following;
        value = next_value;
        step *= 1.5; /* try a longer step next time */
    }
    free(gradient);
    free(ahead);
    free(next);
    return 0;
}

/* Fits the unigram baseline on the decided training pairs (penalty picked on every fifth) and
 * fills baseline with its accuracy (and gold agreement) on the evaluated pairs. */
int reward_fit_unigram_baseline(const reward_dataset *data, int vocab_size, bool validation_only,
                                reward_gold_scorer gold, void *gold_user, reward_unigram_baseline *baseline,
                                rlhf_error *error) {
    memset(baseline, 0, sizeof *baseline);
    baseline->accuracy = baseline->accuracy_low = baseline->accuracy_high = baseline->loss = NAN;
    baseline->gold_accuracy = baseline->gold_accuracy_low = baseline->gold_accuracy_high = NAN;
    if (vocab_size < 1) {
        rlhf_error_set(error, "the unigram baseline needs a vocabulary");
        return -1;
    }
    long count = data->count;
    sparse_pair *pairs = calloc((size_t)(count > 0 ? count : 1), sizeof *pairs);
    float *scratch = calloc((size_t)vocab_size, sizeof(float));
    long *train = malloc(sizeof(long) * (size_t)(count > 0 ? count : 1));
    long *inner_train = malloc(sizeof(long) * (size_t)(count > 0 ? count : 1));
    long *inner_check = malloc(sizeof(long) * (size_t)(count > 0 ? count : 1));
    double *w = malloc(sizeof(double) * (size_t)vocab_size);
    int status = 0;
    if (!pairs || !scratch || !train || !inner_train || !inner_check || !w) {
        rlhf_error_set(error, "out of memory for the unigram baseline");
        status = -1;
    }
    long n_train = 0, n_inner = 0, n_check = 0;
    for (long i = 0; i < count && status == 0; i++) {
        const reward_example *e = &data->examples[i];
        status = pair_features(e, vocab_size, scratch, &pairs[i], error);
        if (status != 0 || e->validation || e->tie) continue;
        train[n_train] = i;
        /* every fifth training pair checks the penalty */
        if (n_train % 5 == 4) inner_check[n_check++] = i;
        else inner_train[n_inner++] = i;
        n_train++;
    }
    if (status == 0 && n_train < 2) {
        rlhf_error_set(error, "the unigram baseline needs at least two decided training pairs (%ld)", n_train);
        status = -1;
    }
    /* the penalty with the lowest loss on the pairs left out of the inner fit */
    static const double penalties[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
    double chosen = penalties[1], best_loss = INFINITY;
    for (int p = 0; status == 0 && n_check > 0 && n_inner > 0 && p < (int)(sizeof penalties / sizeof *penalties); p++) {
        status = fit(pairs, inner_train, n_inner, penalties[p], vocab_size, w, error);
        double loss = status == 0 ? objective(w, pairs, inner_check, n_check, 0.0, vocab_size, NULL) : INFINITY;
        if (loss < best_loss) {
            best_loss = loss;
            chosen = penalties[p];
        }
    }
    if (status == 0) status = fit(pairs, train, n_train, chosen, vocab_size, w, error);
    if (status == 0) {
        baseline->train_pairs = n_train;
        baseline->l2 = chosen;
        long correct = 0, gold_correct = 0;
        double loss_sum = 0;
        for (long i = 0; i < count; i++) {
            const reward_example *e = &data->examples[i];
            if ((validation_only && !e->validation) || e->tie) continue;
            /* the same rule as the reward model's accuracy: the chosen side strictly higher */
            double s = pair_score(w, &pairs[i]);
            baseline->pairs++;
            correct += s > 0;
            loss_sum += softplus(-s);
            if (gold) {
                double gc = gold(e->chosen_text, gold_user), gr = gold(e->rejected_text, gold_user);
                if (fabs(gc - gr) > DEMO_GOLD_TIE) {
                    baseline->gold_pairs++;
                    gold_correct += (s > 0) == (gc > gr);
                }
            }
        }
        if (baseline->pairs) {
            baseline->accuracy = (double)correct / baseline->pairs;
            baseline->loss = loss_sum / (double)baseline->pairs;
        }
        reward_wilson_interval(correct, baseline->pairs, &baseline->accuracy_low, &baseline->accuracy_high);
        if (baseline->gold_pairs) baseline->gold_accuracy = (double)gold_correct / baseline->gold_pairs;
        reward_wilson_interval(gold_correct, baseline->gold_pairs, &baseline->gold_accuracy_low,
                               &baseline->gold_accuracy_high);
    }
    for (long i = 0; pairs && i < count; i++) {
        free(pairs[i].tokens);
        free(pairs[i].counts);
    }
    free(pairs);
    free(scratch);
    free(train);
    free(inner_train);
    free(inner_check);
    free(w);
    return status;
}
