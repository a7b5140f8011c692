/* The plots: nice ticks and their labels on worked ranges (and the rule they follow on
 * random ones), the moving average on a worked sequence, which series share a panel, axis
 * labels, and figures of one and of two runs drawn from a real store (a PNG of the size the
 * layout gives, the runs' colours in the plot area, nothing left beside it). */
#include <cairo.h>
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlhf/report.h"
#include "rlhf/store.h"
#include "tests/test_support.h"

static char directory[256];

/* A fresh scratch folder for each test. */
static void setup(void) { tests_make_temporary_directory(directory, sizeof directory, "report"); }

/* directory/name (one of four rotating buffers). */
static const char *path_in(const char *name) {
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", directory, name);
    return p;
}

/* Asserts report_nice_ticks(lo, hi, most, integers) gives exactly the count values and the
 * labels listed. */
static void check_ticks(double lo, double hi, int most, bool integers, double step, int count, const double *values,
                        const char *const *labels) {
    report_ticks ticks;
    ck_assert_int_eq(report_nice_ticks(lo, hi, most, integers, &ticks), 0);
    ck_assert_double_eq(ticks.step, step);
    ck_assert_int_eq(ticks.count, count);
    for (int i = 0; i < count; i++) {
        ck_assert_msg(ticks.values[i] == values[i], "[%g, %g]: tick %d is %.17g, expected %.17g", lo, hi, i,
                      ticks.values[i], values[i]);
        char label[32];
        report_tick_label(&ticks, i, label, sizeof label);
        ck_assert_str_eq(label, labels[i]);
    }
}

START_TEST(test_nice_ticks_on_worked_ranges) {
    /* [0, 1], at most 6: 0.1 gives 11 ticks, 0.2 gives 6 */
    check_ticks(0, 1, 6, false, 0.2, 6, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0},
                (const char *[]){"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
    /* accuracies: 0.02 gives 28..41 (14 ticks), 0.05 gives 11..16 (6) */
    check_ticks(0.55, 0.83, 6, false, 0.05, 6, (double[]){0.55, 0.6, 0.65, 0.7, 0.75, 0.8},
                (const char *[]){"0.55", "0.60", "0.65", "0.70", "0.75", "0.80"});
    /* steps 1..30 padded by 2%: integer steps only; 2 gives 15 ticks, 5 gives 6 */
    check_ticks(0.42, 30.58, 7, true, 5, 6, (double[]){5, 10, 15, 20, 25, 30},
                (const char *[]){"5", "10", "15", "20", "25", "30"});
    /* a sign change: 0.5 gives 8 ticks, 1 gives -2..1 */
    check_ticks(-2.3, 1.7, 5, false, 1, 4, (double[]){-2, -1, 0, 1}, (const char *[]){"-2", "-1", "0", "1"});
    /* a learning rate: 5e-5 gives 0..6 (7 ticks), 1e-4 gives 4; 3e-4 / 1e-4 is 2.9999999999999996
     * in floating point and still a tick; small values are labelled 1e-4, not 0.0001 */
    check_ticks(0, 3e-4, 6, false, 1e-4, 4, (double[]){0, 1e-4, 2e-4, 3e-4}, (const char *[]){"0", "1e-4", "2e-4", "3e-4"});
    check_ticks(1.2e-5, 4.1e-5, 4, false, 1e-5, 3, (double[]){2e-5, 3e-5, 4e-5}, (const char *[]){"2e-5", "3e-5", "4e-5"});
    /* a long run: 5e5 gives 0..5, labelled short */
    check_ticks(0, 2.5e6, 6, true, 5e5, 6, (double[]){0, 5e5, 1e6, 1.5e6, 2e6, 2.5e6},
                (const char *[]){"0", "5e5", "1e6", "1.5e6", "2e6", "2.5e6"});
    /* tenths that are not exact in binary come out as the literals: 0.3, not 0.30000000000000004 */
    check_ticks(0.25, 0.75, 6, false, 0.1, 5, (double[]){0.3, 0.4, 0.5, 0.6, 0.7},
                (const char *[]){"0.3", "0.4", "0.5", "0.6", "0.7"});
    /* a bad range is refused */
    report_ticks ticks;
    ck_assert_int_eq(report_nice_ticks(1, 1, 6, false, &ticks), -1);
    ck_assert_int_eq(report_nice_ticks(2, 1, 6, false, &ticks), -1);
    ck_assert_int_eq(report_nice_ticks(NAN, 1, 6, false, &ticks), -1);
    ck_assert_int_eq(report_nice_ticks(0, INFINITY, 6, false, &ticks), -1);
    ck_assert_int_eq(report_nice_ticks(0, 1, 1, false, &ticks), -1);
    ck_assert_int_eq(report_nice_ticks(0, 1, REPORT_MAX_TICKS + 1, false, &ticks), -1);
}
END_TEST

/* The 1-2-5 step just below step (0.5 below 1, 2 below 5, 1 below 2). */
static double smaller_step(double step) {
    double power = pow(10, floor(log10(step) + 1e-9)), leading = step / power;
    return leading > 4 ? 2 * power : leading > 1.5 ? power : 0.5 * power;
}

START_TEST(test_nice_ticks_follow_the_rule_on_random_ranges) {
    rlhf_rng rng;
    rlhf_rng_seed(&rng, 15);
    for (int trial = 0; trial < 2000; trial++) {
        double scale = pow(10, floor(rlhf_rng_uniform(&rng) * 16) - 8);
        double lo = (rlhf_rng_uniform(&rng) * 2 - 1) * scale, hi = lo + (0.01 + rlhf_rng_uniform(&rng)) * scale;
        int most = 2 + (int)(rlhf_rng_uniform(&rng) * 9);
        report_ticks ticks;
        ck_assert_int_eq(report_nice_ticks(lo, hi, most, false, &ticks), 0);
        ck_assert_int_le(ticks.count, most);
        for (int i = 0; i < ticks.count; i++) {
            double slack = 1e-9 * ticks.step;
            ck_assert_msg(ticks.values[i] >= lo - slack && ticks.values[i] <= hi + slack, "tick %.17g outside [%g, %g]",
                          ticks.values[i], lo, hi);
            double multiple = ticks.values[i] / ticks.step;
            ck_assert_double_eq_tol(multiple, round(multiple), 1e-6);
            if (i > 0) ck_assert_double_eq_tol(ticks.values[i] - ticks.values[i - 1], ticks.step, 1e-9 * ticks.step);
        }
        /* the smallest such step: the next smaller one puts more than `most` ticks in */
        double finer = smaller_step(ticks.step);
        double fits = floor(hi / finer + 1e-9) - ceil(lo / finer - 1e-9) + 1;
        ck_assert_msg(fits > most, "[%g, %g] at most %d: step %g, but %g fits %g ticks", lo, hi, most, ticks.step, finer,
                      fits);
    }
}
END_TEST

START_TEST(test_smoothing_on_a_worked_sequence) {
    /* weight 0.6 over 1, 0, 0, 1: averages 0.4, 0.24, 0.144, 0.4864 over debiasing weights
     * 0.4, 0.64, 0.784, 0.8704: 1, 3/8, 9/49, 19/34 */
    double values[4] = {1, 0, 0, 1}, smoothed[4];
    report_smooth_ema(values, 4, 0.6, smoothed);
    const double expected[4] = {1, 3.0 / 8, 9.0 / 49, 19.0 / 34};
    for (int k = 0; k < 4; k++) ck_assert_double_eq_tol(smoothed[k], expected[k], 1e-14);
    /* non-finite values pass through and stay out of the average: 2, then (0.48 + 1.6) / 0.64 */
    double gaps[4] = {NAN, 2, INFINITY, 4};
    report_smooth_ema(gaps, 4, 0.6, gaps); /* in place */
    ck_assert(isnan(gaps[0]));
    ck_assert_double_eq_tol(gaps[1], 2, 1e-14);
    ck_assert(isinf(gaps[2]));
    ck_assert_double_eq_tol(gaps[3], 3.25, 1e-14);
    /* weight 0 leaves the series as it is; a constant series stays constant */
    double same[3] = {5, -1, 7}, copy[3];
    report_smooth_ema(same, 3, 0, copy);
    for (int k = 0; k < 3; k++) ck_assert_double_eq(copy[k], same[k]);
    double flat[5] = {0.7, 0.7, 0.7, 0.7, 0.7};
    double flat_smoothed[5];
    report_smooth_ema(flat, 5, REPORT_SMOOTHING, flat_smoothed);
    for (int k = 0; k < 5; k++) ck_assert_double_eq_tol(flat_smoothed[k], 0.7, 1e-14);
}
END_TEST

/* A series with a name and no points (grouping reads names only). */
#define NAMED(text) {.name = (char *)(text), .count = 0, .steps = NULL, .values = NULL}

START_TEST(test_train_and_val_share_a_panel) {
    /* names in the order store_run_metrics gives them (sorted) */
    const store_metric_series reward[5] = {NAMED("train/accuracy"), NAMED("train/learning_rate"), NAMED("train/loss"),
                                           NAMED("val/accuracy"), NAMED("val/loss")};
    const store_metric_series ppo[5] = {NAMED("eval/loss"), NAMED("objective/kl"), NAMED("train/loss"),
                                        NAMED("val/clipfrac_avg"), NAMED("val/loss")};
    const report_run runs[2] = {{"run 1 (rm)", reward, 5}, {"run 2 (ppo)", ppo, 5}};
    report_panel *panels;
    int count;
    rlhf_error error;
    ck_assert_int_eq(report_group_panels(runs, 2, &panels, &count, &error), 0);
    /* loss first, accuracy next, the rest as listed, learning rates last; val/clipfrac_avg
     * (TRL's value-function statistic) has no train/ partner and stands alone; run 2 logged
     * both eval/loss and val/loss: the first takes the validation place, the second a panel */
    const struct {
        const char *metric;
        bool grouped;
        int train[2], val[2];
    } expected[] = {
        {"loss", true, {2, 2}, {4, 0}},
        {"accuracy", true, {0, -1}, {3, -1}},
        {"objective/kl", false, {-1, 1}, {-1, -1}},
        {"val/clipfrac_avg", false, {-1, 3}, {-1, -1}},
        {"val/loss", false, {-1, 4}, {-1, -1}},
        {"learning_rate", true, {1, -1}, {-1, -1}},
    };
    ck_assert_int_eq(count, (int)(sizeof expected / sizeof expected[0]));
    for (int p = 0; p < count; p++) {
        ck_assert_str_eq(panels[p].metric, expected[p].metric);
        ck_assert_int_eq(panels[p].grouped, expected[p].grouped);
        for (int r = 0; r < 2; r++) {
            ck_assert_int_eq(panels[p].train[r], expected[p].train[r]);
            ck_assert_int_eq(panels[p].val[r], expected[p].val[r]);
        }
        for (int r = 2; r < REPORT_MAX_RUNS; r++) {
            ck_assert_int_eq(panels[p].train[r], -1);
            ck_assert_int_eq(panels[p].val[r], -1);
        }
    }
    free(panels);
    /* a val/ series alone in a figure is a series of its own */
    const store_metric_series lonely[1] = {NAMED("val/loss")};
    const report_run alone = {NULL, lonely, 1};
    ck_assert_int_eq(report_group_panels(&alone, 1, &panels, &count, &error), 0);
    ck_assert_int_eq(count, 1);
    ck_assert_str_eq(panels[0].metric, "val/loss");
    ck_assert(!panels[0].grouped);
    ck_assert_int_eq(panels[0].train[0], 0);
    free(panels);
    /* more runs than colours */
    report_run many[REPORT_MAX_RUNS + 1];
    for (int r = 0; r <= REPORT_MAX_RUNS; r++) many[r] = runs[0];
    ck_assert_int_eq(report_group_panels(many, REPORT_MAX_RUNS + 1, &panels, &count, &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "at most 10"));
}
END_TEST

START_TEST(test_axis_labels_name_metric_and_unit) {
    const char *cases[][2] = {{"loss", "loss (nats)"},
                              {"accuracy", "accuracy"},
                              {"learning_rate", "learning rate"},
                              {"objective/kl", "KL divergence (nats)"},
                              {"objective/scores", "reward model score"},
                              {"loss/value_avg", "value loss"},
                              {"policy/clipfrac_avg", "clip fraction"},
                              {"my_custom_metric", "my custom metric"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char label[64];
        report_axis_label(cases[i][0], label, sizeof label);
        ck_assert_str_eq(label, cases[i][1]);
    }
}
END_TEST

/* Logs a reward-model-like run: 60 steps of train/loss (falling, with a saw-tooth for noise)
 * and train/learning_rate, and at each of 3 epoch ends train/accuracy, val/loss and
 * val/accuracy; with_kl adds a PPO-style objective/kl. Returns the run id. */
static int64_t log_run(store *db, double speed, bool with_kl) {
    rlhf_error error;
    int64_t run;
    ck_assert_msg(store_begin_run(db, "rm", "{}", &run, &error) == 0, "%s", error.message);
    for (long step = 1; step <= 60; step++) {
        double loss = 0.3 + 0.4 * exp(-speed * step / 60.0) + 0.05 * ((step * 7) % 5 - 2);
        ck_assert_int_eq(store_log_metric(db, run, step, "train/loss", loss, &error), 0);
        ck_assert_int_eq(store_log_metric(db, run, step, "train/learning_rate", 1e-4 * (1 - step / 60.0), &error), 0);
        if (with_kl) ck_assert_int_eq(store_log_metric(db, run, step, "objective/kl", 0.01 * step, &error), 0);
        if (step % 20 == 0) {
            ck_assert_int_eq(store_log_metric(db, run, step, "train/accuracy", 0.6 + step / 600.0, &error), 0);
            ck_assert_int_eq(store_log_metric(db, run, step, "val/loss", loss + 0.1, &error), 0);
            ck_assert_int_eq(store_log_metric(db, run, step, "val/accuracy", 0.55 + step / 600.0, &error), 0);
        }
    }
    ck_assert_int_eq(store_finish_run(db, run, "finished", &error), 0);
    return run;
}

/* How many pixels in the rectangle are close to colour (r, g, b) (0..255): drawn data. */
static long pixels_near(cairo_surface_t *image, int left, int top, int width, int height, int r, int g, int b) {
    const unsigned char *data = cairo_image_surface_get_data(image);
    int stride = cairo_image_surface_get_stride(image);
    long near = 0;
    for (int y = top; y < top + height; y++)
        for (int x = left; x < left + width; x++) {
            uint32_t pixel = *(const uint32_t *)(data + (size_t)y * stride + (size_t)x * 4);
            int pr = (pixel >> 16) & 255, pg = (pixel >> 8) & 255, pb = pixel & 255;
            near += abs(pr - r) < 30 && abs(pg - g) < 30 && abs(pb - b) < 30;
        }
    return near;
}

/* Loads path as a PNG and checks its size. Returns the image (caller destroys it). */
static cairo_surface_t *load_png(const char *path, int width, int height) {
    cairo_surface_t *image = cairo_image_surface_create_from_png(path);
    ck_assert_msg(cairo_surface_status(image) == CAIRO_STATUS_SUCCESS, "%s: %s", path,
                  cairo_status_to_string(cairo_surface_status(image)));
    ck_assert_int_eq(cairo_image_surface_get_width(image), width);
    ck_assert_int_eq(cairo_image_surface_get_height(image), height);
    cairo_surface_flush(image);
    return image;
}

/* The names in directory, sorted and joined by spaces. */
static void directory_listing(char *text, size_t size) {
    struct dirent **entries;
    int count = scandir(directory, &entries, NULL, alphasort);
    ck_assert_int_ge(count, 0);
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (entries[i]->d_name[0] != '.' && used < size)
            used += (size_t)snprintf(text + used, size - used, "%s%s", used ? " " : "", entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
}

START_TEST(test_figures_of_one_and_two_runs_from_a_store) {
    rlhf_error error;
    store *db;
    ck_assert_msg(store_open(&db, path_in("runs.db"), &error) == 0, "%s", error.message);
    int64_t ids[2] = {log_run(db, 2.0, false), log_run(db, 1.0, true)};
    char *kinds[2];
    store_metric_series *series[2];
    int counts[2];
    for (int r = 0; r < 2; r++)
        ck_assert_msg(store_run_metrics(db, ids[r], &kinds[r], &series[r], &counts[r], &error) == 0, "%s", error.message);
    store_close(db);
    ck_assert_int_eq(counts[0], 5);
    ck_assert_int_eq(counts[1], 6);

    /* one run: panels loss, accuracy, learning_rate abreast, each cell 508 x 330 pixels
     * (plot area 400 x 240), an 18-pixel margin: 18 + 3 * 508 + 18 = 1560 wide; 18 margin,
     * 34 title and one 22-pixel legend row above, 9 below: 18 + 34 + 22 + 330 + 9 = 413 high */
    const char *one = path_in("one.png");
    ck_assert_msg(report_curves_png("reward model training", series[0], counts[0], one, &error) == 0, "%s", error.message);
    cairo_surface_t *image = load_png(one, 1560, 413);
    /* the first plot area: left 18 + 86, top 18 + 34 + 22 + 34; inside it the run's blue */
    long blue = pixels_near(image, 104, 108, 400, 240, 31, 119, 180);
    ck_assert_msg(blue > 500, "only %ld blue pixels in the loss panel", blue);
    long orange = pixels_near(image, 104, 108, 400, 240, 255, 127, 14);
    ck_assert_int_eq(orange, 0);
    cairo_surface_destroy(image);

    /* two runs: run 2 adds objective/kl, so 4 panels, two abreast: 18 + 2 * 508 + 18 = 1052
     * wide, 18 + 34 + 22 + 2 * 330 + 9 = 743 high; both colours in the loss panel, only run
     * 2's in the objective/kl panel (the third, bottom left) */
    const char *two = path_in("two.png");
    const report_run runs[2] = {{"run 1 (rm)", series[0], counts[0]}, {"run 2 (rm)", series[1], counts[1]}};
    ck_assert_msg(report_runs_png("training curves", runs, 2, two, &error) == 0, "%s", error.message);
    image = load_png(two, 1052, 743);
    ck_assert_int_gt(pixels_near(image, 104, 108, 400, 240, 31, 119, 180), 300);
    ck_assert_int_gt(pixels_near(image, 104, 108, 400, 240, 255, 127, 14), 300);
    ck_assert_int_gt(pixels_near(image, 104, 108 + 330, 400, 240, 255, 127, 14), 300);
    ck_assert_int_eq(pixels_near(image, 104, 108 + 330, 400, 240, 31, 119, 180), 0);
    cairo_surface_destroy(image);

    /* written whole by a rename: nothing else is left in the folder */
    char listing[256];
    directory_listing(listing, sizeof listing);
    ck_assert_str_eq(listing, "one.png runs.db two.png");

    /* a run without metrics, or a folder that does not exist: an error, and no file */
    const report_run empty[2] = {runs[0], {"run 9 (rm)", series[1], 0}};
    ck_assert_int_eq(report_runs_png("t", empty, 2, path_in("empty.png"), &error), -1);
    ck_assert_ptr_nonnull(strstr(error.message, "run 9 (rm)"));
    ck_assert_int_eq(report_curves_png("t", series[0], counts[0], path_in("missing/x.png"), &error), -1);
    directory_listing(listing, sizeof listing);
    ck_assert_str_eq(listing, "one.png runs.db two.png");
    for (int r = 0; r < 2; r++) {
        store_metric_series_free(series[r], counts[r]);
        free(kinds[r]);
    }
}
END_TEST

/* Runs every test of the suite, each in its own process. */
int main(void) {
    Suite *suite = suite_create("report");
    TCase *tc = tcase_create("plots");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_nice_ticks_on_worked_ranges);
    tcase_add_test(tc, test_nice_ticks_follow_the_rule_on_random_ranges);
    tcase_add_test(tc, test_smoothing_on_a_worked_sequence);
    tcase_add_test(tc, test_train_and_val_share_a_panel);
    tcase_add_test(tc, test_axis_labels_name_metric_and_unit);
    tcase_add_test(tc, test_figures_of_one_and_two_runs_from_a_store);
    suite_add_tcase(suite, tc);
    return tests_run_suite(suite);
}
