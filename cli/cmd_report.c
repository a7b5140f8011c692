/* rlhf report: plots of one run's curves, or of several runs overlaid. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlhf/report.h"
#include "rlhf/store.h"

static const cli_option options[] = {
    {"db", "FILE", "the store", NULL},
    {"run", "ID", "a run (rm train prints its id); repeat it or list ids (3,4) to overlay runs", NULL},
    {"out", "FILE.png", "the picture to write", NULL},
    {"all", NULL, "PPO runs: every metric (by default the ones to read first: score, KL, gold score, entropy, clip fraction, value loss, response length)", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "report", "report --db FILE --run ID [--run ID ...] --out FILE.png [--all] [--json]",
    "Draws every metric a run logged to the store against its step into a PNG, one panel per\n"
    "metric: train/X and val/X share a panel (the raw training series faint, its moving average\n"
    "over it, validation points as dots). Several runs are overlaid, one colour each. PPO runs\n"
    "show the metrics to read first (--all: every one), and beside FILE.png, as\n"
    "FILE-overoptimisation.png, the gold score and the reward model's score of each evaluation\n"
    "against sqrt(KL): proxy reward up while gold falls is over-optimisation.",
    options,
};

/* The runs of one figure, as read from the store. */
typedef struct report_runs {
    long ids[REPORT_MAX_RUNS];
    int count;
    char *kinds[REPORT_MAX_RUNS];
    store_metric_series *series[REPORT_MAX_RUNS];
    int series_counts[REPORT_MAX_RUNS];
    char labels[REPORT_MAX_RUNS][96];
} report_runs;

/* Reads the run ids of every --run (each "3" or "3,4") into runs->ids. Prints the error and
 * returns the exit status (2, a misused command line) on a bad, repeated or extra id. */
static int parse_run_ids(const cli_args *args, report_runs *runs) {
    const char *values[64];
    int given = cli_strings(args, "run", values, 64);
    if (given > 64) return cli_usage_error("report: too many --run options (%d)", given);
    runs->count = 0;
    for (int v = 0; v < given; v++)
        for (const char *at = values[v];;) {
            char *end;
            errno = 0;
            long id = strtol(at, &end, 10);
            if (errno || end == at || (*end && *end != ','))
                return cli_usage_error("report: --run expects run ids (as 3 or 3,4), got '%s'", values[v]);
            for (int r = 0; r < runs->count; r++)
                if (runs->ids[r] == id) return cli_usage_error("report: run %ld is given twice", id);
            if (runs->count == REPORT_MAX_RUNS)
                return cli_usage_error("report: one figure overlays at most %d runs", REPORT_MAX_RUNS);
            runs->ids[runs->count++] = id;
            if (!*end) break;
            at = end + 1;
        }
    return 0;
}

/* Frees what load_runs read. */
static void free_runs(report_runs *runs) {
    for (int r = 0; r < runs->count; r++) {
        store_metric_series_free(runs->series[r], runs->series_counts[r]);
        free(runs->kinds[r]);
    }
}

/* Reads every run's kind and metrics from the store at path and labels it "run ID (kind)".
 * Prints the error (naming a run id the store lacks) and returns 1 on failure. */
static int load_runs(const char *path, report_runs *runs) {
    store *db;
    rlhf_error error;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    for (int r = 0; r < runs->count; r++) {
        if (store_run_metrics(db, runs->ids[r], &runs->kinds[r], &runs->series[r], &runs->series_counts[r], &error) != 0) {
            runs->count = r; /* what is read so far, for free_runs */
            store_close(db);
            return cli_fail("report: %s", error.message);
        }
        snprintf(runs->labels[r], sizeof runs->labels[r], "run %ld (%s)", runs->ids[r], runs->kinds[r]);
    }
    store_close(db);
    return 0;
}

/* The metrics of a PPO run a reader looks at first, in panel order. */
static const char *const ppo_panels[] = {"objective/scores", "objective/kl",       "eval/gold",
                                         "objective/entropy", "policy/clipfrac_avg", "loss/value_avg",
                                         "response_length/mean"};

/* Keeps, in out (room for every series), the series of a PPO run named in ppo_panels, in
 * that order (shallow copies: the run still owns them). Returns how many. */
static int ppo_selection(const store_metric_series *series, int count, store_metric_series *out) {
    int kept = 0;
    for (size_t p = 0; p < sizeof ppo_panels / sizeof *ppo_panels; p++)
        for (int i = 0; i < count; i++)
            if (strcmp(series[i].name, ppo_panels[p]) == 0) out[kept++] = series[i];
    return kept;
}

/* Prints what was drawn: one JSON object (the first run as "run", every run in "runs") or a
 * line. Returns the exit status. */
static int print_result(const report_runs *runs, const char *out, const char *second, bool json) {
    int metrics = 0;
    for (int r = 0; r < runs->count; r++) metrics += runs->series_counts[r];
    if (!json) {
        if (runs->count == 1) printf("wrote %s (%d metrics)\n", out, metrics);
        else printf("wrote %s (%d runs, %d metrics)\n", out, runs->count, metrics);
        if (second) printf("wrote %s\n", second);
        return 0;
    }
    json_t *list = json_array();
    for (int r = 0; list && r < runs->count; r++)
        if (json_array_append_new(list, json_pack("{s:I, s:o, s:i}", "id", (json_int_t)runs->ids[r], "kind",
                                                  rlhf_json_text(runs->kinds[r]), "metrics", runs->series_counts[r])) != 0) {
            json_decref(list);
            list = NULL;
        }
    json_t *root = list ? json_pack("{s:I, s:o, s:o, s:i, s:o}", "run", (json_int_t)runs->ids[0], "runs", list, "out",
                                    rlhf_json_text(out), "metrics", metrics, "overoptimisation",
                                    second ? rlhf_json_text(second) : json_null())
                        : NULL;
    char *text = root ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    if (!text) return cli_fail("report: out of memory");
    puts(text);
    free(text);
    return 0;
}

/* Parses the options and run ids, reads the runs, draws them and says what was written. */
int cmd_report(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db"), *out = cli_require(&args, "out");
    if (!path || !out || !cli_require(&args, "run")) return 2;
    report_runs runs = {0};
    int status = parse_run_ids(&args, &runs);
    if (status != 0) return status;
    if (load_runs(path, &runs) != 0) {
        free_runs(&runs);
        return 1;
    }
    report_run figure[REPORT_MAX_RUNS], whole[REPORT_MAX_RUNS];
    store_metric_series *selected[REPORT_MAX_RUNS] = {0};
    bool all_ppo = true;
    for (int r = 0; r < runs.count; r++) {
        whole[r] = (report_run){.label = runs.labels[r], .series = runs.series[r], .count = runs.series_counts[r]};
        figure[r] = whole[r];
        all_ppo = all_ppo && strcmp(runs.kinds[r], "ppo") == 0;
    }
    /* PPO logs two dozen series: by default the ones to read first */
    for (int r = 0; all_ppo && !cli_flag(&args, "all") && r < runs.count; r++) {
        selected[r] = calloc((size_t)runs.series_counts[r] + 1, sizeof **selected);
        if (!selected[r]) {
            for (int q = 0; q < r; q++) free(selected[q]);
            free_runs(&runs);
            return cli_fail("out of memory");
        }
        int kept = ppo_selection(runs.series[r], runs.series_counts[r], selected[r]);
        if (kept > 0) figure[r].series = selected[r], figure[r].count = kept;
    }
    char title[160];
    if (runs.count == 1) {
        snprintf(title, sizeof title, "%s", runs.labels[0]);
    } else {
        size_t used = (size_t)snprintf(title, sizeof title, "training curves: runs");
        for (int r = 0; r < runs.count && used < sizeof title; r++)
            used += (size_t)snprintf(title + used, sizeof title - used, "%s %ld", r ? "," : "", runs.ids[r]);
    }
    rlhf_error error;
    status = report_runs_png(title, figure, runs.count, out, &error);
    /* PPO runs that evaluated: the over-optimisation picture beside the curves */
    char second[4200];
    bool evaluated = false;
    for (int r = 0; all_ppo && r < runs.count; r++)
        for (int i = 0; i < runs.series_counts[r]; i++) evaluated |= strcmp(runs.series[r][i].name, "eval/kl") == 0;
    if (status == 0 && evaluated) {
        /* FILE.png -> FILE-overoptimisation.png */
        char heading[200];
        snprintf(heading, sizeof heading, "%s: scores against KL on held-out prompts", title);
        status = cli_png_sibling(second, sizeof second, out, "-overoptimisation.png", &error);
        if (status == 0) status = report_overoptimisation_png(heading, whole, runs.count, second, &error);
    }
    if (status == 0) status = print_result(&runs, out, evaluated ? second : NULL, cli_flag(&args, "json"));
    else status = cli_fail("report: %s", error.message);
    for (int r = 0; r < runs.count; r++) free(selected[r]);
    free_runs(&runs);
    return status;
}
