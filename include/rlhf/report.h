/* report: plots as PNG files (cairo): training curves of one run or of several overlaid,
 * and the reward model's reliability diagram. Files are written atomically. */
#ifndef RLHF_REPORT_H
#define RLHF_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "rlhf/store.h"
#include "rlhf/util.h"

/* ---------------------------------------------------------------- training curves */

/* The most runs one figure overlays: one colour each (matplotlib's ten "tab10" colours). */
#define REPORT_MAX_RUNS 10

/* One run to draw: label names it in the figure's legend and errors ("run 3 (rm)"; NULL for
 * none), series are its metrics as store_run_metrics returns them (the caller owns them). */
typedef struct report_run {
    const char *label;
    const store_metric_series *series;
    int count;
} report_run;

/* Training curves of runs[0 .. run_count) in one PNG: one panel per metric, step on the x
 * axis, the metric (and its unit) on the y axis, nice round ticks on both. train/X and val/X
 * share the panel of metric X: the raw training series faint, an exponential moving average
 * over it (TensorBoard's smoothing, weight REPORT_SMOOTHING), the validation points as dots.
 * Each run has its own colour; with several runs a legend names them by label. Fails (and
 * writes nothing) when a run has no metrics, there are more than REPORT_MAX_RUNS runs, or the
 * file cannot be written; the file is replaced atomically. */
int report_runs_png(const char *title, const report_run *runs, int run_count, const char *path, rlhf_error *error);

/* The over-optimisation picture of PPO runs (Gao, Schulman and Hilton, 2022): across each
 * run's evaluations (its eval/kl, eval/gold and eval/score series, matched by step), the gold
 * score and the reward model's score against sqrt(KL to the reference), two panels, a line
 * per run. Fails (writing nothing) when no run has eval/kl with either score. */
int report_overoptimisation_png(const char *title, const report_run *runs, int run_count, const char *path,
                                rlhf_error *error);

/* The one-run case of report_runs_png (the run needs no label). */
int report_curves_png(const char *title, const store_metric_series *series, int count, const char *path,
                      rlhf_error *error);

/* ---------------------------------------------------------------- the pieces of a plot */

/* Weight of the exponential moving average drawn over training series (TensorBoard's
 * default smoothing slider is 0.6). */
#define REPORT_SMOOTHING 0.6
/* Training series shorter than this are drawn as they are (with markers), not smoothed: an
 * average over a handful of per-epoch points would only lag behind them. */
#define REPORT_SMOOTH_MIN_POINTS 10
#define REPORT_MAX_TICKS 16

/* Tick marks of an axis over [lo, hi]: multiples of step, which is 1, 2 or 5 times a power
 * of ten. */
typedef struct report_ticks {
    double step;
    int count;                        /* ticks inside [lo, hi] */
    double values[REPORT_MAX_TICKS];  /* ascending */
    int decimals;                     /* digits after the point that write every tick exactly */
    bool scientific;                  /* labels as 5e-5 (values below 0.01, or 1e6 and above) */
} report_ticks;

/* The ticks with the smallest 1-2-5 step that puts at most `most` ticks (2 .. REPORT_MAX_TICKS)
 * inside [lo, hi] (lo < hi, both finite); integers: the step is at least 1 (training steps).
 * Tick values are exact decimals (0.3, not 0.30000000000000004). Returns -1 on a bad range. */
int report_nice_ticks(double lo, double hi, int most, bool integers, report_ticks *ticks);

/* The label of ticks->values[index] into text: fixed with ticks->decimals digits ("0.25",
 * "150"), or short scientific ("5e-5", "1.5e6"); 0 is always "0" in scientific labels. */
void report_tick_label(const report_ticks *ticks, int index, char *text, size_t size);

/* Exponential moving average as TensorBoard draws it: s = w * s + (1 - w) * value, divided by
 * the debiasing 1 - w^n after n finite values, so the first point is the first value and the
 * start is not pulled toward 0. Non-finite values are passed through and left out of the
 * average. values and smoothed may be the same array. */
void report_smooth_ema(const double *values, long count, double weight, double *smoothed);

/* One panel of a figure: a metric and, for each run, which of its series go in. */
typedef struct report_panel {
    const char *metric;         /* "loss" for train/loss + val/loss; else the whole name
                                 * ("objective/kl"); points into a run's series name */
    bool grouped;               /* holds train/metric and val/metric (else the one name) */
    int train[REPORT_MAX_RUNS]; /* per run: index of the series drawn as a line, or -1 */
    int val[REPORT_MAX_RUNS];   /* per run: index of the validation series (dots), or -1 */
} report_panel;

/* Groups the runs' series into panels: train/X and val/X of every run share metric X's
 * panel when some run logged train/X (a val/X without any train/X, such as TRL's
 * val/clipfrac_avg of the value function, is a series of its own); every other name is a
 * panel of its own. Panels come loss first, then accuracy, the rest in the order the runs
 * list them (store_run_metrics sorts by name), learning rates last. *panels (free with
 * free()) gets *count panels. Fails on too many runs or no memory. */
int report_group_panels(const report_run *runs, int run_count, report_panel **panels, int *count,
                        rlhf_error *error);

/* The y-axis label of a panel's metric, with its unit where it has one: "loss (nats)",
 * "accuracy", "learning rate", "KL divergence (nats)", ...; an unknown metric is its name
 * with '_' as spaces. */
void report_axis_label(const char *metric, char *text, size_t size);

/* ---------------------------------------------------------------- calibration */

/* Reliability diagram: per bin over confidence [0.5, 1], the accuracy against the mean
 * confidence (the diagonal is perfect calibration), bar widths by bin size. */
int report_reliability_png(const char *title, const long *bin_count, const double *bin_confidence,
                           const double *bin_accuracy, int bins, double ece, const char *path, rlhf_error *error);

#endif
