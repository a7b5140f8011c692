/* Store subcommands: rlhf init, rlhf prompts import, rlhf prefs import/export. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlhf/store.h"

static const cli_option init_options[] = {
    {"db", "FILE", "the store (SQLite) to create or migrate", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};
static const cli_command init_command = {
    "init", "init --db FILE [--json]",
    "Creates the preference store, or migrates an older one to this version's schema. A store\n"
    "from a newer version, and an SQLite database that is not an rlhf store, are refused and\n"
    "left untouched. Only init creates a store: every other command refuses a missing one.",
    init_options,
};

/* rlhf init: creates or migrates the store. */
int cmd_init(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&init_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *path = cli_require(&args, "db");
    if (!path) return 2;
    store *db;
    rlhf_error error;
    if (store_open(&db, path, &error) != 0) return cli_fail("%s", error.message);
    store_close(db);
    if (cli_flag(&args, "json")) {
        /* the path as a JSON string (escaped, and valid UTF-8 even if the file name is not) */
        json_t *root = json_pack("{s:o, s:i}", "db", rlhf_json_text(path), "schema_version", STORE_SCHEMA_VERSION);
        char *text = root ? json_dumps(root, JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (!text) return cli_fail("init: out of memory");
        puts(text);
        free(text);
    } else {
        printf("store %s ready (schema version %d)\n", path, STORE_SCHEMA_VERSION);
    }
    return 0;
}

static const cli_option prompts_options[] = {
    {"db", "FILE", "the store (made by rlhf init)", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};
static const cli_option prefs_options[] = {
    {"db", "FILE", "the store (made by rlhf init)", NULL},
    {"annotator", "NAME", "import: who the preferences are recorded as (default import:FILE)", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};
static const cli_command prompts_command = {
    "prompts", "prompts import F.jsonl --db FILE [--json]",
    "Imports prompts: one {\"prompt\": text} a line, with an optional \"id\" and any other fields\n"
    "kept as metadata. Prompts already stored (same id, or same text whatever the id) are\n"
    "counted and skipped. A malformed line or invalid UTF-8 fails the whole import, naming\n"
    "the line.",
    prompts_options,
};

/* rlhf prompts import: loads prompts from JSON lines into the store. */
int cmd_prompts(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse_arguments(&prompts_command, 2, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    if (args.positional_count != 2 || strcmp(args.positional[0], "import") != 0)
        return cli_usage_error("prompts: usage: rlhf %s", prompts_command.usage);
    const char *path = cli_require(&args, "db");
    if (!path) return 2;
    store *db;
    rlhf_error error;
    store_import_result result;
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    int status = store_import_prompts(db, args.positional[1], &result, &error);
    store_close(db);
    if (status != 0) return cli_fail("prompts import: %s", error.message);
    if (cli_flag(&args, "json")) printf("{\"imported\": %ld, \"duplicates\": %ld}\n", result.imported, result.duplicates);
    else printf("imported %ld prompts (%ld duplicates skipped)\n", result.imported, result.duplicates);
    return 0;
}

static const cli_command prefs_command = {
    "prefs", "prefs import|export F.jsonl --db FILE [--annotator NAME] [--json]",
    "Preference pairs in TRL's format, one {\"prompt\", \"chosen\", \"rejected\"} a line. Export writes\n"
    "every a/b comparison (ties, both-bad, skips and choices between two identical texts are\n"
    "left out and counted); invalid UTF-8 in a completion is written as U+FFFD. Import also\n"
    "takes Anthropic HH lines, whose chosen/rejected hold whole Human/Assistant transcripts;\n"
    "a line whose chosen and rejected are the same text fails the whole import.",
    prefs_options,
};

/* rlhf prefs import|export: preference pairs in the TRL format {prompt, chosen, rejected}. */
int cmd_prefs(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse_arguments(&prefs_command, 2, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    bool export = args.positional_count == 2 && strcmp(args.positional[0], "export") == 0;
    bool import = args.positional_count == 2 && strcmp(args.positional[0], "import") == 0;
    if (!export && !import) return cli_usage_error("prefs: usage: rlhf %s", prefs_command.usage);
    const char *path = cli_require(&args, "db");
    if (!path) return 2;
    const char *file = args.positional[1];
    store *db;
    rlhf_error error;
    if (export && cli_string(&args, "annotator"))
        return cli_usage_error("prefs export: --annotator applies to prefs import only");
    if (store_open_existing(&db, path, &error) != 0) return cli_fail("%s", error.message);
    bool json = cli_flag(&args, "json");
    int status;
    if (export) {
        store_export_result result;
        status = store_export_preferences(db, file, &result, &error);
        if (status == 0 && json)
            printf("{\"written\": %ld, \"left_out\": {\"tie\": %ld, \"both-bad\": %ld, \"skip\": %ld, \"identical\": %ld}}\n",
                   result.written, result.ties, result.both_bad, result.skips, result.identical);
        else if (status == 0)
            printf("wrote %ld preference pairs to %s; left out %ld ties, %ld both-bad and %ld skips (no preferred side) "
                   "and %ld choices between identical texts\n",
                   result.written, file, result.ties, result.both_bad, result.skips, result.identical);
    } else {
        /* default name: import:FILE's base name, made a valid name whatever the file is
         * called: invalid UTF-8 becomes U+FFFD, control characters '?', and the whole is cut
         * to the store's 64-byte limit at a character boundary */
        char annotator[STORE_ANNOTATOR_NAME_MAX + 1];
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        size_t repaired_length;
        char *repaired = rlhf_utf8_repair(base, strlen(base), &repaired_length);
        if (!repaired) {
            store_close(db);
            return cli_fail("prefs import: out of memory");
        }
        for (size_t i = 0; i < repaired_length; i++)
            if ((unsigned char)repaired[i] < 0x20 || repaired[i] == 0x7f) repaired[i] = '?';
        const size_t prefix = strlen("import:");
        size_t cut = prefix + repaired_length;
        if (cut > STORE_ANNOTATOR_NAME_MAX) cut = STORE_ANNOTATOR_NAME_MAX;
        while (cut > prefix && ((unsigned char)repaired[cut - prefix] & 0xC0) == 0x80) cut--; /* a continuation byte */
        snprintf(annotator, sizeof annotator, "import:%.*s", (int)(cut - prefix), repaired);
        free(repaired);
        const char *given = cli_string(&args, "annotator");
        if (given && strlen(given) > STORE_ANNOTATOR_NAME_MAX) {
            store_close(db);
            return cli_usage_error("prefs import: --annotator: a name is at most %d bytes, got %zu", STORE_ANNOTATOR_NAME_MAX,
                                   strlen(given));
        }
        if (given) snprintf(annotator, sizeof annotator, "%s", given);
        store_import_result result;
        status = store_import_preferences(db, file, annotator, &result, &error);
        if (status == 0 && json) printf("{\"imported\": %ld, \"duplicates\": %ld}\n", result.imported, result.duplicates);
        else if (status == 0)
            printf("imported %ld preference pairs as annotator %s (%ld already stored, skipped)\n", result.imported, annotator,
                   result.duplicates);
    }
    store_close(db);
    return status == 0 ? 0 : cli_fail("prefs %s: %s", args.positional[0], error.message);
}
