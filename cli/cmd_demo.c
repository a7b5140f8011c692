/* rlhf demo corpus|prompts|score: the shipped demo task (include/rlhf/demo.h): a corpus of
 * generated reviews, prompts that open reviews, and the gold sentiment score. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlhf/demo.h"
#include "rlhf/util.h"

#define STRING(x) #x
#define DEFAULT(x) STRING(x)

static const cli_option corpus_options[] = {
    {"out", "FILE", "text file to write (each review followed by a newline and <|endoftext|>)", NULL},
    {"seed", "N", "random seed; the same seed gives the same bytes", DEFAULT(DEMO_CORPUS_SEED)},
    {"size-mb", "M", "size to reach in megabytes (10^6 bytes), whole reviews only", "10"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command corpus_command = {
    "demo corpus", "demo corpus --out FILE [--seed N] [--size-mb M] [--json]",
    "Writes a corpus of short English reviews (products, restaurants, hotels, films, books, apps,\n"
    "games, places, journeys) whose sentiment runs from very negative to very positive, for\n"
    "training the tokenizer and a small language model. 10 MB take about a quarter of a second.",
    corpus_options,
};

static const cli_option prompts_options[] = {
    {"out", "FILE", "JSON-lines file to write, one {\"prompt\": ...} a line", NULL},
    {"seed", "N", "random seed", DEFAULT(DEMO_PROMPTS_SEED)},
    {"count", "N", "number of distinct prompts", DEFAULT(DEMO_PROMPTS_COUNT)},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command prompts_command = {
    "demo prompts", "demo prompts --out FILE.jsonl [--seed N] [--count N] [--json]",
    "Writes review openings that name a subject and leave the sentiment open (\"Review of the\n"
    "Lumen X2 headphones:\\n\", \"I stayed at the Harbor Inn in Lisbon last weekend and\"): the\n"
    "openings of the generator's own reviews. The defaults write data/demo_prompts.jsonl.",
    prompts_options,
};

static const cli_option score_options[] = {
    {"text", "TEXT", "text to score", NULL},
    {"json", NULL, "print {\"score\": ...} on stdout", NULL},
    {0},
};

static const cli_command score_command = {
    "demo score", "demo score --text TEXT [--json]",
    "Prints the demo's gold sentiment score of a text, in (-1, 1): word scores from the demo's\n"
    "lexicon (-3 .. +3) after negation and intensifiers, summed and squashed with tanh. Higher is\n"
    "better; text without sentiment words scores 0. data/README.md has the rules.",
    score_options,
};

/* Prints a JSON object (taking ownership); returns the exit status. */
static int print_json(json_t *object) {
    char *text = object ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
    json_decref(object);
    if (!text) return cli_fail("out of memory");
    puts(text);
    free(text);
    return 0;
}

/* --seed as a non-negative integer. */
static int seed_option(const cli_args *args, uint64_t *seed) {
    long value;
    if (cli_long(args, "seed", &value) != 0) return -1;
    if (value < 0) {
        cli_fail("%s: --seed must not be negative", args->command->name);
        return -1;
    }
    *seed = (uint64_t)value;
    return 0;
}

/* rlhf demo corpus: writes the generated review corpus to --out; returns the exit status. */
static int demo_corpus_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&corpus_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *out = cli_require(&args, "out");
    uint64_t seed;
    float size_mb;
    if (!out || seed_option(&args, &seed) != 0 || cli_float(&args, "size-mb", &size_mb) != 0) return 2;
    if (!(size_mb > 0 && size_mb <= 4096)) return cli_refuse("demo corpus", "size-mb", "in (0, 4096]", size_mb);
    rlhf_error error;
    double start = rlhf_seconds();
    char *text;
    size_t length;
    if (demo_corpus_generate(seed, (size_t)((double)size_mb * 1e6), &text, &length, &error) != 0)
        return cli_fail("%s", error.message);
    double seconds = rlhf_seconds() - start;
    long reviews = 0;
    for (const char *p = text; (p = strstr(p, DEMO_DOCUMENT_SEPARATOR)); p += strlen(DEMO_DOCUMENT_SEPARATOR)) reviews++;
    int status = rlhf_write_file_atomic(out, text, length, &error);
    free(text);
    if (status != 0) return cli_fail("%s", error.message);
    if (cli_flag(&args, "json"))
        return print_json(json_pack("{s:s, s:I, s:I, s:I, s:f}", "out", out, "seed", (json_int_t)seed, "bytes",
                                    (json_int_t)length, "reviews", (json_int_t)reviews, "seconds", seconds));
    printf("wrote %ld reviews, %zu bytes to %s (seed %llu, %.2f s)\n", reviews, length, out, (unsigned long long)seed, seconds);
    return 0;
}

/* rlhf demo prompts: writes the demo prompts as JSON lines to --out; returns the exit status. */
static int demo_prompts_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&prompts_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *out = cli_require(&args, "out");
    uint64_t seed;
    int count;
    if (!out || seed_option(&args, &seed) != 0 || cli_int(&args, "count", &count) != 0) return 2;
    if (count < 1 || count > 100000) return cli_refuse("demo prompts", "count", "in [1, 100000]", count);
    rlhf_error error;
    char **prompts;
    if (demo_prompts(seed, count, &prompts, &error) != 0) return cli_fail("%s", error.message);
    char *text;
    size_t length;
    int status = demo_prompts_jsonl(prompts, count, &text, &length, &error);
    demo_prompts_free(prompts, count);
    if (status == 0) {
        status = rlhf_write_file_atomic(out, text, length, &error);
        free(text);
    }
    if (status != 0) return cli_fail("%s", error.message);
    if (cli_flag(&args, "json"))
        return print_json(json_pack("{s:s, s:I, s:i}", "out", out, "seed", (json_int_t)seed, "prompts", count));
    printf("wrote %d prompts to %s (seed %llu)\n", count, out, (unsigned long long)seed);
    return 0;
}

/* rlhf demo score: prints the gold sentiment score of --text; returns the exit status. */
static int demo_score_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&score_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *text = cli_require(&args, "text");
    if (!text) return 2;
    double score = demo_sentiment_score(text, strlen(text));
    if (cli_flag(&args, "json")) return print_json(json_pack("{s:f}", "score", score));
    printf("%.6f\n", score);
    return 0;
}

static const cli_subcommand demo_members[] = {
    {"corpus", demo_corpus_command, "write a corpus of generated reviews"},
    {"prompts", demo_prompts_command, "write review openings as JSON lines"},
    {"score", demo_score_command, "the gold sentiment score of a text"},
    {"summary", cmd_demo_summary, "the demo loop's table and summary.json, from its folder"},
};

/* rlhf demo corpus|prompts|score|summary. */
int cmd_demo(int argc, char **argv) {
    return cli_dispatch("demo",
                        "The demo task the whole loop runs on out of the box: generated reviews, review openings as\n"
                        "prompts, and the gold sentiment score that defines the demo's preference (more positive is\n"
                        "better).",
                        demo_members, (int)(sizeof demo_members / sizeof demo_members[0]), argc, argv);
}
