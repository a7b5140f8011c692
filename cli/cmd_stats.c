/* rlhf stats: what the store holds and how well annotators agree. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "rlhf/store.h"

static const cli_option options[] = {
    {"db", "FILE", "the store", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "stats", "stats --db FILE [--json]",
    "Label counts by choice and annotator, queue progress, agreement on pairs seen by several\n"
    "annotators (percent agreement, Cohen's kappa per pair of annotators, Fleiss' kappa), accuracy\n"
    "on gold pairs, position bias (how often the left side wins) and median seconds per label.",
    options,
};

/* {"a": n, "b": n, ...}: the comparisons by choice. */
static json_t *choices_json(const long by_choice[5]) {
    json_t *object = json_object();
    for (int c = 0; c < 5; c++) json_object_set_new(object, store_choice_name((store_choice)c), json_integer(by_choice[c]));
    return object;
}

/* rlhf stats: label counts, per-annotator counts, agreement and position bias of the store. */
int cmd_stats(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db");
    if (!path) return 2;
    store *db;
    rlhf_error error;
    store_stats s;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    int status = store_compute_stats(db, &s, &error);
    store_close(db);
    if (status != 0) return cli_fail("stats: %s", error.message);
    json_t *root = json_object();
    json_object_set_new(root, "prompts", json_integer(s.prompts));
    json_object_set_new(root, "completions", json_integer(s.completions));
    json_object_set_new(root, "pairs", json_integer(s.pairs));
    json_object_set_new(root, "comparisons", json_integer(s.comparisons));
    json_object_set_new(root, "rankings", json_integer(s.rankings));
    json_object_set_new(root, "by_choice", choices_json(s.by_choice));
    json_t *queue = json_object();
    json_object_set_new(queue, "labels_needed", json_integer(s.queue_needed));
    json_object_set_new(queue, "labels_done", json_integer(s.queue_done));
    json_object_set_new(root, "queue", queue);
    json_t *annotators = json_array();
    for (int i = 0; i < s.annotator_count; i++) {
        store_annotator_stats *a = &s.annotators[i];
        json_t *item = json_object();
        json_object_set_new(item, "name", rlhf_json_text(a->name));
        json_object_set_new(item, "labels", json_integer(a->labels));
        json_object_set_new(item, "by_choice", choices_json(a->by_choice));
        json_object_set_new(item, "gold_seen", json_integer(a->gold_seen));
        json_object_set_new(item, "gold_accuracy", cli_json_number(a->gold_seen ? (double)a->gold_correct / a->gold_seen : NAN));
        json_object_set_new(item, "left_win_rate", cli_json_number(a->decided ? (double)a->left_wins / a->decided : NAN));
        json_object_set_new(item, "median_seconds", cli_json_number(a->median_seconds));
        json_array_append_new(annotators, item);
    }
    json_object_set_new(root, "annotators", annotators);
    json_t *agreement = json_object(), *pairs = json_array();
    json_object_set_new(agreement, "overlap_pairs", json_integer(s.overlap_pairs));
    json_object_set_new(agreement, "percent", cli_json_number(s.percent_agreement));
    json_object_set_new(agreement, "fleiss_kappa", cli_json_number(s.fleiss_kappa));
    json_object_set_new(agreement, "fleiss_raters", json_integer(s.fleiss_raters));
    json_object_set_new(agreement, "fleiss_items", json_integer(s.fleiss_items));
    for (int i = 0; i < s.agreement_count; i++) {
        store_pair_agreement *g = &s.agreements[i];
        json_t *item = json_object();
        json_t *names = json_array();
        json_array_append_new(names, rlhf_json_text(g->annotator_1));
        json_array_append_new(names, rlhf_json_text(g->annotator_2));
        json_object_set_new(item, "annotators", names);
        json_object_set_new(item, "shared", json_integer(g->shared));
        json_object_set_new(item, "agreement", cli_json_number(g->agreement));
        json_object_set_new(item, "cohen_kappa", cli_json_number(g->kappa));
        json_array_append_new(pairs, item);
    }
    json_object_set_new(agreement, "by_annotator_pair", pairs);
    json_object_set_new(root, "agreement", agreement);
    json_object_set_new(root, "left_win_rate", cli_json_number(s.left_win_rate));
    json_object_set_new(root, "median_seconds", cli_json_number(s.median_seconds));
    if (cli_flag(&args, "json")) {
        char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text) {
            json_decref(root);
            store_stats_free(&s);
            return cli_fail("stats: out of memory");
        }
        puts(text);
        free(text);
    } else {
        printf("%ld prompts, %ld completions, %ld queued pairs, %ld comparisons, %ld rankings\n", s.prompts,
               s.completions, s.pairs, s.comparisons, s.rankings);
        printf("queue: %ld of %ld labels done\n", s.queue_done, s.queue_needed);
        printf("choices: a %ld, b %ld, tie %ld, both-bad %ld, skip %ld\n", s.by_choice[0], s.by_choice[1],
               s.by_choice[2], s.by_choice[3], s.by_choice[4]);
        for (int i = 0; i < s.annotator_count; i++) {
            store_annotator_stats *a = &s.annotators[i];
            printf("  %-24s %6ld labels", a->name, a->labels);
            if (a->gold_seen) printf("  gold %ld/%ld", a->gold_correct, a->gold_seen);
            if (a->decided) printf("  left wins %.0f%%", 100.0 * a->left_wins / a->decided);
            if (!isnan(a->median_seconds)) printf("  median %.1f s", a->median_seconds);
            printf("\n");
        }
        if (s.overlap_pairs) {
            printf("agreement on %ld pairs with several annotators: %.1f%%", s.overlap_pairs, 100 * s.percent_agreement);
            if (!isnan(s.fleiss_kappa)) printf(", Fleiss' kappa %.3f (%ld pairs x %d raters)", s.fleiss_kappa,
                                               s.fleiss_items, s.fleiss_raters);
            printf("\n");
            for (int i = 0; i < s.agreement_count; i++)
                printf("  %s / %s: %ld shared, %.1f%% agree, Cohen's kappa %.3f\n", s.agreements[i].annotator_1,
                       s.agreements[i].annotator_2, s.agreements[i].shared, 100 * s.agreements[i].agreement,
                       s.agreements[i].kappa);
        }
        if (!isnan(s.left_win_rate)) printf("position bias: the left side won %.1f%% of a/b choices\n", 100 * s.left_win_rate);
    }
    json_decref(root);
    store_stats_free(&s);
    return 0;
}
