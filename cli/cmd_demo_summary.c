/* rlhf demo summary: the table scripts/demo.sh prints last, and the summary.json it leaves,
 * gathered from what each stage of the loop wrote into the demo's folder:
 *   DIR/stages.tsv                 "SECONDS<TAB>STAGE" a line, in order
 *   DIR/roundN/rm-eval.json        rlhf rm eval --json of round N's reward model
 *   DIR/roundN/ppo.json            rlhf ppo --json of round N's PPO run (--gold sentiment)
 * Rounds are read from 1 up to the first round folder that is missing. Every figure comes
 * from those files; a figure a file lacks is null in the JSON and "-" in the table. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rlhf/util.h"

static const cli_option summary_options[] = {
    {"dir", "DIR", "the demo's folder (RLHF_DEMO_OUT, demo-out by default)", NULL},
    {"json", NULL, "print summary.json's object on stdout too", NULL},
    {0},
};

static const cli_command demo_summary_command = {
    "demo summary", "demo summary --dir DIR [--json]",
    "Gathers the demo loop's figures from DIR (stages.tsv, and per round roundN/rm-eval.json and\n"
    "roundN/ppo.json), prints one table and writes DIR/summary.json: per round the reward\n"
    "model's held-out accuracy and gold agreement and the labels' own gold agreement, and on the\n"
    "held-out prompts the mean gold score, reward-model score, KL to the reference and response\n"
    "length before and after PPO; the seconds of each stage; the paths of the store, the models\n"
    "and the plots.",
    summary_options,
};

/* Room every path of the summary needs past its --dir: "/roundN/" and the longest file name. */
enum { SUMMARY_NAME_ROOM = 64 };

/* DIR/NAME into path, which cmd_demo_summary made sure has room for it. */
static void join(char *path, size_t size, const char *dir, const char *name) {
    if (rlhf_path_join(path, size, dir, name, NULL) != 0) abort(); /* the room was checked */
}

/* The JSON object in path, NULL when the file is missing; *bad is set (and the error
 * printed) when it exists but is not a JSON object. */
static json_t *read_object(const char *path, bool *bad) {
    struct stat info;
    if (stat(path, &info) != 0) return NULL;
    json_error_t parse;
    json_t *root = json_load_file(path, 0, &parse);
    if (!json_is_object(root)) {
        cli_fail("demo summary: %s: line %d: %s", path, parse.line, root ? "not a JSON object" : parse.text);
        json_decref(root);
        *bad = true;
        return NULL;
    }
    return root;
}

/* object[key] (keys separated by '.', e.g. "eval_after.gold") as a number, NAN when absent
 * or not a number. */
static double number_at(const json_t *object, const char *path) {
    char key[64];
    const json_t *at = object;
    while (at && *path) {
        size_t length = strcspn(path, ".");
        if (length >= sizeof key) return NAN;
        memcpy(key, path, length);
        key[length] = '\0';
        at = json_object_get(at, key);
        path += length + (path[length] == '.');
    }
    return json_is_number(at) ? json_number_value(at) : NAN;
}

/* A number for the JSON (null when NAN). */
static json_t *json_number_or_null(double value) { return isfinite(value) ? json_real(value) : json_null(); }

/* "%.3f" of value, or "-" when it is NAN. */
static const char *cell(char *buffer, size_t size, const char *format, double value) {
    if (isfinite(value)) snprintf(buffer, size, format, value);
    else snprintf(buffer, size, "-");
    return buffer;
}

/* One round's figures, from its rm-eval.json and ppo.json (either may be NULL), with the
 * path of its reward model. */
static json_t *round_object(int round, const char *reward_model, const json_t *eval, const json_t *ppo) {
    json_t *row = json_object();
    json_object_set_new(row, "round", json_integer(round));
    json_object_set_new(row, "rm_accuracy", json_number_or_null(number_at(eval, "accuracy")));
    const json_t *interval = json_object_get(eval, "accuracy_95");
    json_object_set(row, "rm_accuracy_95", json_is_array(interval) ? (json_t *)interval : json_null());
    json_object_set_new(row, "rm_gold_agreement", json_number_or_null(number_at(eval, "gold_accuracy")));
    interval = json_object_get(eval, "gold_accuracy_95");
    json_object_set(row, "rm_gold_agreement_95", json_is_array(interval) ? (json_t *)interval : json_null());
    json_object_set_new(row, "label_gold_agreement", json_number_or_null(number_at(eval, "label_gold_accuracy")));
    json_object_set_new(row, "baseline_gold_agreement", json_number_or_null(number_at(eval, "baseline.gold_accuracy")));
    json_object_set_new(row, "rm_pairs", json_number_or_null(number_at(eval, "pairs")));
    json_object_set_new(row, "gold_before", json_number_or_null(number_at(ppo, "eval_before.gold")));
    json_object_set_new(row, "gold_after", json_number_or_null(number_at(ppo, "eval_after.gold")));
    json_object_set_new(row, "score_before", json_number_or_null(number_at(ppo, "eval_before.score")));
    json_object_set_new(row, "score_after", json_number_or_null(number_at(ppo, "eval_after.score")));
    json_object_set_new(row, "kl", json_number_or_null(number_at(ppo, "eval_after.kl")));
    json_object_set_new(row, "length_before", json_number_or_null(number_at(ppo, "eval_before.length")));
    json_object_set_new(row, "length_after", json_number_or_null(number_at(ppo, "eval_after.length")));
    json_object_set_new(row, "ppo_run", json_number_or_null(number_at(ppo, "run")));
    json_object_set_new(row, "reward_model", json_string(reward_model));
    const json_t *out = json_object_get(ppo, "out");
    json_object_set(row, "policy", json_is_string(out) ? (json_t *)out : json_null());
    return row;
}

/* The stages of stages.tsv as [{"stage", "seconds"}], and their sum into *total. */
static json_t *read_stages(const char *path, double *total, bool *bad) {
    json_t *stages = json_array();
    *total = 0;
    FILE *file = fopen(path, "r");
    if (!file) return stages;
    char line[1024];
    for (int number = 1; fgets(line, sizeof line, file); number++) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t'), *end;
        double seconds = tab ? strtod(line, &end) : NAN;
        if (!tab || end != tab || !(seconds >= 0)) {
            cli_fail("demo summary: %s: line %d: expected SECONDS<TAB>STAGE", path, number);
            *bad = true;
            break;
        }
        json_array_append_new(stages, json_pack("{s:s, s:f}", "stage", tab + 1, "seconds", seconds));
        *total += seconds;
    }
    fclose(file);
    return stages;
}

/* value[index] of the array at object[key] (NAN when absent). */
static double element_at(const json_t *object, const char *key, size_t index) {
    const json_t *value = json_array_get(json_object_get(object, key), index);
    return json_is_number(value) ? json_number_value(value) : NAN;
}

/* Prints the table of the rounds: the reward model's figures with their 95% intervals and
 * the unigram baseline's gold agreement, then PPO's on the held-out prompts. */
static void print_table(const json_t *rounds, const json_t *stages, double total) {
    printf("%-6s %-22s %-22s %-9s %-8s | %-16s %-14s %-6s %-14s\n", "round", "rm accuracy (95%)",
           "rm gold agreement", "unigram", "labels", "gold score", "rm score", "KL", "length");
    size_t i;
    const json_t *row;
    json_array_foreach(rounds, i, row) {
        char a[4][24], accuracy[96], gold[96], baseline[24], labels[24], gold_move[64], score_move[64], kl[24],
            length[64];
        snprintf(accuracy, sizeof accuracy, "%s (%s-%s)", cell(a[0], 24, "%.3f", number_at(row, "rm_accuracy")),
                 cell(a[1], 24, "%.3f", element_at(row, "rm_accuracy_95", 0)),
                 cell(a[2], 24, "%.3f", element_at(row, "rm_accuracy_95", 1)));
        snprintf(gold, sizeof gold, "%s (%s-%s)", cell(a[0], 24, "%.3f", number_at(row, "rm_gold_agreement")),
                 cell(a[1], 24, "%.3f", element_at(row, "rm_gold_agreement_95", 0)),
                 cell(a[2], 24, "%.3f", element_at(row, "rm_gold_agreement_95", 1)));
        cell(baseline, sizeof baseline, "%.3f", number_at(row, "baseline_gold_agreement"));
        cell(labels, sizeof labels, "%.3f", number_at(row, "label_gold_agreement"));
        snprintf(gold_move, sizeof gold_move, "%s -> %s", cell(a[0], 24, "%.3f", number_at(row, "gold_before")),
                 cell(a[1], 24, "%.3f", number_at(row, "gold_after")));
        snprintf(score_move, sizeof score_move, "%s -> %s", cell(a[2], 24, "%.2f", number_at(row, "score_before")),
                 cell(a[3], 24, "%.2f", number_at(row, "score_after")));
        cell(kl, sizeof kl, "%.2f", number_at(row, "kl"));
        snprintf(length, sizeof length, "%s -> %s", cell(a[0], 24, "%.1f", number_at(row, "length_before")),
                 cell(a[1], 24, "%.1f", number_at(row, "length_after")));
        printf("%-6d %-22s %-22s %-9s %-8s | %-16s %-14s %-6s %-14s\n", (int)number_at(row, "round"), accuracy, gold,
               baseline, labels, gold_move, score_move, kl, length);
    }
    printf("(reward model on its held-out pairs; unigram: counting words, the baseline; labels: the labels' own gold\n"
           " agreement; then PPO on the held-out prompts, before -> after, KL in nats to the round's reference)\n");
    printf("seconds:");
    const json_t *stage;
    json_array_foreach(stages, i, stage)
        printf("%s %s %.0f", i ? "," : "", json_string_value(json_object_get(stage, "stage")),
               number_at(stage, "seconds"));
    printf("; %.0f in all\n", total);
}

/* rlhf demo summary: gathers each roundN's figures in --dir, writes DIR/summary.json and prints the
 * table (or the JSON). */
int cmd_demo_summary(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&demo_summary_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *dir = cli_require(&args, "dir");
    if (!dir) return 2;
    char path[4200], round_dir[4200];
    if (strlen(dir) + SUMMARY_NAME_ROOM >= sizeof path) return cli_fail("demo summary: %s: path too long", dir);
    bool bad = false; /* a file there is not what it should be (read_object or read_stages said why) */
    json_t *rounds = json_array(), *plots = json_array();
    const char *final_policy = NULL;
    json_t *last_ppo = NULL;
    for (int round = 1; !bad && round < 100000; round++) {
        char round_name[24];
        snprintf(round_name, sizeof round_name, "round%d", round);
        join(round_dir, sizeof round_dir, dir, round_name);
        struct stat info;
        if (stat(round_dir, &info) != 0 || !S_ISDIR(info.st_mode)) break;
        join(path, sizeof path, round_dir, "rm-eval.json");
        json_t *eval = read_object(path, &bad);
        join(path, sizeof path, round_dir, "ppo.json");
        json_t *ppo = bad ? NULL : read_object(path, &bad);
        join(path, sizeof path, round_dir, "reward");
        if (!bad) json_array_append_new(rounds, round_object(round, path, eval, ppo));
        const char *names[] = {"reward-calibration.png", "reward-calibration-curves.png", "ppo.png",
                               "ppo-overoptimisation.png"};
        for (size_t n = 0; !bad && n < sizeof names / sizeof *names; n++) {
            join(path, sizeof path, round_dir, names[n]);
            if (stat(path, &info) == 0) json_array_append_new(plots, json_string(path));
        }
        if (ppo && json_is_string(json_object_get(ppo, "out"))) {
            json_decref(last_ppo);
            last_ppo = json_incref(ppo);
            final_policy = json_string_value(json_object_get(ppo, "out"));
        }
        json_decref(eval);
        json_decref(ppo);
    }
    double total = 0;
    join(path, sizeof path, dir, "stages.tsv");
    json_t *stages = bad ? json_array() : read_stages(path, &total, &bad);
    int status = bad ? 1 : 0;
    if (status == 0 && json_array_size(rounds) == 0) status = cli_fail("demo summary: %s has no round1 folder", dir);
    if (status == 0) {
        char store_path[4200];
        join(store_path, sizeof store_path, dir, "prefs.db");
        json_t *root = json_pack("{s:O, s:{s:f, s:O}, s:s?, s:s, s:O}", "rounds", rounds, "seconds", "total", total,
                                 "stages", stages, "policy", final_policy, "store", store_path, "plots", plots);
        char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        rlhf_error error = {{0}};
        join(path, sizeof path, dir, "summary.json");
        if (!text) status = cli_fail("demo summary: out of memory");
        else if (rlhf_write_file_atomic(path, text, strlen(text), &error) != 0)
            status = cli_fail("demo summary: %s", error.message);
        if (status == 0 && cli_flag(&args, "json")) puts(text);
        else if (status == 0) {
            print_table(rounds, stages, total);
            printf("final policy %s; store %s; summary %s\n", final_policy ? final_policy : "-", store_path, path);
        }
        free(text);
        json_decref(root);
    }
    json_decref(last_ppo);
    json_decref(rounds);
    json_decref(plots);
    json_decref(stages);
    return status;
}
