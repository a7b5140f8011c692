/* report: plots as PNG files (cairo): training curves of a run and the reward model's
 * reliability diagram. */
#ifndef RLHF_REPORT_H
#define RLHF_REPORT_H

#include "rlhf/store.h"
#include "rlhf/util.h"

/* One panel per metric of the run (loss, accuracy, ...), step on the x axis. */
int report_curves_png(const char *title, const store_metric_series *series, int count, const char *path,
                      rlhf_error *error);

/* Reliability diagram: per bin over confidence [0.5, 1], the accuracy against the mean
 * confidence (the diagonal is perfect calibration), bar widths by bin size. */
int report_reliability_png(const char *title, const long *bin_count, const double *bin_confidence,
                           const double *bin_accuracy, int bins, double ece, const char *path, rlhf_error *error);

#endif
