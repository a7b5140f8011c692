/* rlhf report: plots of a run's curves. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "rlhf/report.h"
#include "rlhf/store.h"

static const cli_option options[] = {
    {"db", "FILE", "the store", NULL},
    {"run", "ID", "the run (rlhf rm train prints its id)", NULL},
    {"out", "FILE.png", "the picture to write", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "report", "report --db FILE --run ID --out FILE.png [--json]",
    "Draws every metric a run logged to the store (loss, accuracy, learning rate, ...) against\n"
    "its step, one panel each, into a PNG.",
    options,
};

int cmd_report(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db"), *out = cli_require(&args, "out");
    long run;
    if (!path || !out || !cli_require(&args, "run") || cli_long(&args, "run", &run)) return 2;
    store *db;
    rlhf_error error;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    char *kind;
    store_metric_series *series;
    int count;
    int status = store_run_metrics(db, run, &kind, &series, &count, &error);
    store_close(db);
    if (status != 0) return cli_fail("report: %s", error.message);
    char title[128];
    snprintf(title, sizeof title, "run %ld (%s)", run, kind);
    status = report_curves_png(title, series, count, out, &error);
    store_metric_series_free(series, count);
    free(kind);
    if (status != 0) return cli_fail("report: %s", error.message);
    if (cli_flag(&args, "json")) {
        json_t *root = json_pack("{s:I, s:o, s:i}", "run", (json_int_t)run, "out", rlhf_json_text(out), "metrics", count);
        char *text = root ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (!text) return cli_fail("report: out of memory");
        puts(text);
        free(text);
    } else {
        printf("wrote %s (%d metrics)\n", out, count);
    }
    return 0;
}
