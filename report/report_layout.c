/* The pieces of a training-curve figure that involve no drawing: nice tick values and their
 * labels, the moving average drawn over training series, which series share a panel, and
 * the axis label of a metric. Kept apart from report.c so tests check them on worked
 * examples. */
#include "rlhf/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tries 1, 2, 5 times rising powers of ten and takes the first step that fits. */
int report_nice_ticks(double lo, double hi, int most, bool integers, report_ticks *ticks) {
    memset(ticks, 0, sizeof *ticks);
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo) || most < 2 || most > REPORT_MAX_TICKS) return -1;
    static const int multipliers[3] = {1, 2, 5};
    /* a decade below span / most: the first candidates give too many ticks, and the search
     * climbs 1, 2, 5, 10, ... until they fit (10^(exponent + 2) always does) */
    int exponent = (int)floor(log10((hi - lo) / most)) - 1;
    if (integers && exponent < 0) exponent = 0;
    for (int decade = 0; decade < 4; decade++, exponent++) {
        double power = pow(10.0, abs(exponent));
        for (int m = 0; m < 3; m++) {
            double step = exponent < 0 ? multipliers[m] / power : multipliers[m] * power;
            if (integers && step < 1) continue;
            /* the tolerance keeps a bound that is a multiple of step (0.3 / 0.1) a tick */
            double first = ceil(lo / step - 1e-9), last = floor(hi / step + 1e-9);
            if (fabs(first) > 1e15 || fabs(last) > 1e15) return -1; /* no exact multiples left */
            if (last - first + 1 > most) continue;
            ticks->step = step;
            ticks->count = last >= first ? (int)(last - first) + 1 : 0;
            ticks->decimals = exponent < 0 ? -exponent : 0;
            for (int i = 0; i < ticks->count; i++) {
                /* an integer numerator over an exact power of ten rounds once: 3 / 10 is 0.3 */
                double numerator = (double)((long long)first + i) * multipliers[m];
                ticks->values[i] = exponent < 0 ? numerator / power : numerator * power;
            }
            double largest = 0;
            if (ticks->count > 0) largest = fmax(fabs(ticks->values[0]), fabs(ticks->values[ticks->count - 1]));
            ticks->scientific = largest >= 1e6 || (largest > 0 && largest < 1e-2);
            return 0;
        }
    }
    return -1;
}

/* Fixed-point with the ticks' decimals, or %.3e trimmed of zeros and the exponent's sign
 * and padding. */
void report_tick_label(const report_ticks *ticks, int index, char *text, size_t size) {
    double value = ticks->values[index];
    if (!ticks->scientific) {
        snprintf(text, size, "%.*f", ticks->decimals, value);
        return;
    }
    if (value == 0) {
        snprintf(text, size, "0");
        return;
    }
    /* "1.500e-04" -> mantissa "1.5", exponent "-4" */
    char printed[32];
    snprintf(printed, sizeof printed, "%.3e", value);
    char *e = strchr(printed, 'e');
    if (!e) {
        snprintf(text, size, "%s", printed);
        return;
    }
    *e = '\0';
    char *end = e - 1;
    while (*end == '0') *end-- = '\0';
    if (*end == '.') *end = '\0';
    const char *power = e + 1;
    bool negative = *power == '-';
    if (*power == '-' || *power == '+') power++;
    while (*power == '0' && power[1]) power++;
    snprintf(text, size, "%se%s%s", printed, negative ? "-" : "", power);
}

/* TensorBoard's smoothing, debiased as Adam's moments are (the start is not pulled to 0). */
void report_smooth_ema(const double *values, long count, double weight, double *smoothed) {
    if (!(weight > 0 && weight < 1)) { /* 0: no smoothing; 1 or more would never move */
        if (smoothed != values) memmove(smoothed, values, sizeof *values * (size_t)count);
        return;
    }
    double average = 0;
    long averaged = 0;
    for (long k = 0; k < count; k++) {
        double value = values[k];
        if (!isfinite(value)) {
            smoothed[k] = value;
            continue;
        }
        average = average * weight + (1 - weight) * value;
        averaged++;
        smoothed[k] = average / (1 - pow(weight, (double)averaged));
    }
}

/* The part of name after prefix, or NULL when name does not start with prefix. */
static const char *after_prefix(const char *name, const char *prefix) {
    size_t length = strlen(prefix);
    return strncmp(name, prefix, length) == 0 && name[length] ? name + length : NULL;
}

/* The metric of a validation series ("loss" for val/loss or eval/loss), or NULL. */
static const char *validation_metric(const char *name) {
    const char *metric = after_prefix(name, "val/");
    return metric ? metric : after_prefix(name, "eval/");
}

/* Whether some run logged train/metric. */
static bool some_run_trains(const report_run *runs, int run_count, const char *metric) {
    for (int r = 0; r < run_count; r++)
        for (int i = 0; i < runs[r].count; i++) {
            const char *trained = after_prefix(runs[r].series[i].name, "train/");
            if (trained && strcmp(trained, metric) == 0) return true;
        }
    return false;
}

/* Where a metric's panel goes: loss first, accuracy next, learning rates last. */
static int panel_rank(const char *metric) {
    const char *tail = strrchr(metric, '/');
    tail = tail ? tail + 1 : metric;
    if (strcmp(metric, "loss") == 0) return 0;
    if (strcmp(metric, "accuracy") == 0) return 1;
    if (strcmp(tail, "learning_rate") == 0 || strcmp(tail, "lr") == 0) return 3;
    return 2;
}

/* The panel of (metric, grouped) among panels[0 .. *count), added (with no series) when
 * there is none yet. grouped panels hold train/metric and val/metric; the others one name. */
static report_panel *panel_for(report_panel *panels, int *count, const char *metric, bool grouped) {
    for (int p = 0; p < *count; p++)
        if (panels[p].grouped == grouped && strcmp(panels[p].metric, metric) == 0) return &panels[p];
    report_panel *panel = &panels[(*count)++];
    panel->metric = metric;
    panel->grouped = grouped;
    for (int r = 0; r < REPORT_MAX_RUNS; r++) panel->train[r] = panel->val[r] = -1;
    return panel;
}

/* One pass over every run's series, placing each in its panel (made when first needed),
 * then a stable sort by rank. */
int report_group_panels(const report_run *runs, int run_count, report_panel **panels, int *count,
                        rlhf_error *error) {
    *panels = NULL;
    *count = 0;
    if (run_count > REPORT_MAX_RUNS) {
        rlhf_error_set(error, "%d runs: one figure overlays at most %d", run_count, REPORT_MAX_RUNS);
        return -1;
    }
    size_t total = 0;
    for (int r = 0; r < run_count; r++) total += runs[r].count > 0 ? (size_t)runs[r].count : 0;
    /* at most one panel per series; +1 keeps malloc's answer meaningful for no series */
    report_panel *list = malloc(sizeof *list * (total + 1));
    if (!list) {
        rlhf_error_set(error, "out of memory grouping %zu series into panels", total);
        return -1;
    }
    int made = 0;
    for (int r = 0; r < run_count; r++)
        for (int i = 0; i < runs[r].count; i++) {
            const char *name = runs[r].series[i].name;
            const char *trained = after_prefix(name, "train/"), *validated = validation_metric(name);
            report_panel *panel = NULL;
            if (trained) {
                panel = panel_for(list, &made, trained, true);
                if (panel->train[r] < 0) {
                    panel->train[r] = i;
                    continue;
                }
            } else if (validated && some_run_trains(runs, run_count, validated)) {
                panel = panel_for(list, &made, validated, true);
                if (panel->val[r] < 0) { /* val/loss and eval/loss both: the second alone */
                    panel->val[r] = i;
                    continue;
                }
            }
            /* a name of its own: drawn as a line in a panel titled by the whole name */
            panel = panel_for(list, &made, name, false);
            panel->train[r] = i;
        }
    /* stable insertion sort by rank: equal ranks keep the runs' order */
    for (int p = 1; p < made; p++) {
        report_panel moving = list[p];
        int q = p;
        while (q > 0 && panel_rank(list[q - 1].metric) > panel_rank(moving.metric)) {
            list[q] = list[q - 1];
            q--;
        }
        list[q] = moving;
    }
    *panels = list;
    *count = made;
    return 0;
}

/* A table of known names, else the name with '_' as spaces. */
void report_axis_label(const char *metric, char *text, size_t size) {
    /* the names train/X and val/X use, and TRL's PPO names (DESIGN.md: plots carry over) */
    static const char *const labels[][2] = {
        {"loss", "loss (nats)"},
        {"accuracy", "accuracy"},
        {"learning_rate", "learning rate"},
        {"lr", "learning rate"},
        {"perplexity", "perplexity"},
        {"grad_norm", "gradient norm"},
        {"objective/kl", "KL divergence (nats)"},
        {"objective/entropy", "entropy (nats)"},
        {"objective/scores", "reward model score"},
        {"objective/rlhf_reward", "RLHF reward"},
        {"objective/non_score_reward", "KL penalty (reward)"},
        {"loss/policy_avg", "policy loss"},
        {"loss/value_avg", "value loss"},
        {"policy/clipfrac_avg", "clip fraction"},
        {"policy/approxkl_avg", "approximate KL (nats)"},
        {"policy/entropy_avg", "entropy (nats)"},
        {"val/clipfrac_avg", "value clip fraction"},
        {"val/ratio", "probability ratio"},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(metric, labels[i][0]) == 0) {
            snprintf(text, size, "%s", labels[i][1]);
            return;
        }
    snprintf(text, size, "%s", metric);
    for (char *c = text; *c; c++)
        if (*c == '_') *c = ' ';
}
