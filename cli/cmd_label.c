/* rlhf label: open the labeling app for an annotator, or run the scripted annotator;
 * rlhf oracle score: the scripted annotator's gold score of a text. */
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlhf/collect.h"

static const cli_option options[] = {
    {"db", "FILE", "the store", NULL},
    {"annotator", "NAME", "open the labeling app as this annotator", NULL},
    {"oracle", "sentiment", "label with the scripted annotator instead (sentiment: the demo's gold preference)", NULL},
    {"noise", "T", "oracle: Bradley-Terry temperature (0: always prefer the higher gold score)", "0.1"},
    {"limit", "N", "oracle: pairs to label at most (0: the whole queue)", "0"},
    {"seed", "N", "oracle: random seed", "1"},
    {"json", NULL, "oracle: print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "label", "label --db FILE [--annotator NAME] | --oracle NAME [--noise T] [--limit N]",
    "Opens the labeling app (rlhf-labeler) on the store; or, with --oracle, labels the queue as the\n"
    "scripted annotator oracle:NAME, which scores each completion with the demo's gold scorer and\n"
    "chooses by Bradley-Terry sampling at temperature --noise, writing the same rows a person would.",
    options,
};

/* Runs rlhf-labeler from next to this executable (build tree or install), else from PATH. */
static int open_labeling_app(const char *db_path, const char *annotator) {
    char self[PATH_MAX], candidate[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    const char *program = "rlhf-labeler";
    if (n > 0) {
        self[n] = '\0';
        char *dir = dirname(self);
        const char *places[2] = {"rlhf-labeler", "../labeler/rlhf-labeler"};
        for (int i = 0; i < 2; i++) {
            /* a place whose path would not fit is not a candidate */
            if (rlhf_path_join(candidate, sizeof candidate, dir, places[i], NULL) != 0) continue;
            if (access(candidate, X_OK) == 0) {
                program = candidate;
                break;
            }
        }
    }
    char *arguments[6] = {(char *)program, "--db", (char *)db_path, NULL, NULL, NULL};
    if (annotator) {
        arguments[3] = "--annotator";
        arguments[4] = (char *)annotator;
    }
    execvp(program, arguments);
    return cli_fail("label: cannot start the labeling app (%s): this build has no GTK4 labeler; "
                    "install libgtk-4-dev and rebuild, or use --oracle", program);
}

/* rlhf label: opens the labeling app on --db, or with --oracle labels the queue as a scripted
 * annotator. */
int cmd_label(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db");
    if (!path) return 2;
    const char *oracle = cli_string(&args, "oracle");
    store *db;
    rlhf_error error;
    if (!oracle) {
        static const char *const oracle_only[] = {"noise", "limit", "seed", "json"};
        for (size_t i = 0; i < sizeof oracle_only / sizeof oracle_only[0]; i++)
            if (cli_flag(&args, oracle_only[i]))
                return cli_usage_error("label: --%s is for the scripted annotator (--oracle), not the labeling app",
                                       oracle_only[i]);
        /* a window needs a display: say so in one line rather than GTK's warning */
        const char *x11 = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
        if ((!x11 || !*x11) && (!wayland || !*wayland))
            return cli_fail("label: no display to open the labeling app on (DISPLAY and WAYLAND_DISPLAY are unset); "
                            "run it in a desktop session, or label with --oracle");
        /* only rlhf init creates a store: check it is there before the app opens it */
        if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
        store_close(db);
        return open_labeling_app(path, cli_string(&args, "annotator"));
    }
    if (cli_string(&args, "annotator"))
        return cli_usage_error("label: give either --annotator (a person, in the labeling app) or --oracle (the scripted "
                               "annotator, who labels as oracle:%s), not both", oracle);
    double unused;
    if (collect_oracle_score(oracle, "", &unused, &error) != 0) return cli_usage_error("label: --oracle: %s", error.message);
    collect_oracle_options o = {.name = oracle};
    long seed;
    float noise;
    if (cli_float(&args, "noise", &noise) || cli_long(&args, "limit", &o.limit) || cli_long(&args, "seed", &seed)) return 2;
    if (!(noise >= 0)) return cli_refuse("label", "noise", "at least 0", noise);
    if (o.limit < 0) return cli_usage_error("label: --limit %ld: must be >= 0 (0: the whole queue)", o.limit);
    o.noise = noise;
    o.seed = (uint64_t)seed;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    collect_oracle_result result;
    int status = collect_oracle_label(db, &o, &result, &error);
    store_close(db);
    if (status != 0) return cli_fail("label: %s", error.message);
    if (cli_flag(&args, "json"))
        printf("{\"annotator\": \"oracle:%s\", \"labeled\": %ld, \"a\": %ld, \"b\": %ld, \"tie\": %ld}\n", oracle,
               result.labeled, result.a, result.b, result.ties);
    else
        printf("oracle:%s labeled %ld pairs (a %ld, b %ld, tie %ld)\n", oracle, result.labeled, result.a, result.b,
               result.ties);
    return 0;
}

static const cli_option score_options[] = {
    {"text", "TEXT", "the text to score", NULL},
    {"oracle", "sentiment", "which gold scorer", "sentiment"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command score_command = {
    "oracle", "oracle score --text TEXT [--oracle sentiment] [--json]",
    "The scripted annotator's gold score of a text (sentiment: the demo's score in (-1, 1), more\n"
    "positive is better).",
    score_options,
};

/* rlhf oracle: rlhf label --oracle under its own name. */
int cmd_oracle(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse_arguments(&score_command, 1, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    if (args.positional_count != 1 || strcmp(args.positional[0], "score") != 0)
        return cli_usage_error("oracle: usage: rlhf %s", score_command.usage);
    const char *text = cli_require(&args, "text");
    if (!text) return 2;
    double score;
    rlhf_error error;
    if (collect_oracle_score(cli_string(&args, "oracle"), text, &score, &error) != 0)
        return cli_usage_error("oracle score: --oracle: %s", error.message);
    /* JSON keeps every digit (a program comparing scores needs them); the line is for people */
    if (cli_flag(&args, "json")) printf("{\"oracle\": \"%s\", \"score\": %.17g}\n", cli_string(&args, "oracle"), score);
    else printf("%.6f\n", score);
    return 0;
}
