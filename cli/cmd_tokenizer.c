/* rlhf tokenizer train|encode|decode: GPT-2 byte-level BPE tokenizers (vocab.json +
 * merges.txt directories that Hugging Face loads too). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "rlhf/tokenizer.h"
#include "rlhf/util.h"


static const cli_option train_options[] = {
    {"corpus", "FILE", "training text (documents separated by <|endoftext|>)", NULL},
    {"vocab-size", "N", "tokens in the result: 256 bytes, the merges, <|endoftext|> last", NULL},
    {"min-frequency", "N", "pairs seen fewer times are not merged", "2"},
    {"out", "DIR", "directory to write vocab.json and merges.txt to", NULL},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command train_command = {
    "tokenizer train", "tokenizer train --corpus FILE --vocab-size N --out DIR [--min-frequency N] [--json]",
    "Trains a byte-level BPE vocabulary the way Hugging Face tokenizers' BpeTrainer does (the same\n"
    "merges; <|endoftext|> gets the last id instead of 0) and writes it as GPT-2's vocab.json and\n"
    "merges.txt.",
    train_options,
};

static const cli_option encode_options[] = {
    {"tokenizer", "DIR", "tokenizer directory (vocab.json + merges.txt, or tokenizer.json), e.g. a model directory", NULL},
    {"text", "TEXT", "text to encode", NULL},
    {"file", "FILE", "or a file to encode (any bytes)", NULL},
    {"plain", NULL, "encode \"<|endoftext|>\" as ordinary text, not as the special id", NULL},
    {"json", NULL, "print {\"ids\": [...], \"tokens\": [...]} (tokens spelled as in vocab.json)", NULL},
    {0},
};

static const cli_command encode_command = {
    "tokenizer encode", "tokenizer encode --tokenizer DIR (--text TEXT | --file FILE) [--plain] [--json]",
    "Prints the token ids of a text on one line, separated by spaces (the token-id file format\n"
    "that pretrain and ppl read).",
    encode_options,
};

static const cli_option decode_options[] = {
    {"tokenizer", "DIR", "tokenizer directory (vocab.json + merges.txt, or tokenizer.json), e.g. a model directory", NULL},
    {"ids", "IDS", "token ids separated by spaces or commas, e.g. \"15496 995\"", NULL},
    {"json", NULL, "print {\"text\": ..., \"utf8\": ...} (bytes that are not UTF-8 shown as U+FFFD)", NULL},
    {0},
};

static const cli_command decode_command = {
    "tokenizer decode", "tokenizer decode --tokenizer DIR --ids \"1 2 3\" [--json]",
    "Prints the bytes the ids stand for, exactly (a newline is added only on a terminal).",
    decode_options,
};

/* Prints the JSON value on one line of stdout and frees it. */
static int print_json(json_t *value) {
    char *text = value ? json_dumps(value, JSON_REAL_PRECISION(6)) : NULL;
    json_decref(value);
    if (!text) return cli_fail("out of memory");
    puts(text);
    free(text);
    return 0;
}

/* rlhf tokenizer train: learns a byte-level BPE vocabulary from --corpus and saves it to --out. */
static int tokenizer_train_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&train_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *corpus_path = cli_require(&args, "corpus"), *out_dir = cli_require(&args, "out");
    if (!corpus_path || !out_dir || !cli_require(&args, "vocab-size")) return 2;
    tokenizer_train_options options;
    if (cli_int(&args, "vocab-size", &options.vocab_size) != 0 || cli_int(&args, "min-frequency", &options.min_frequency) != 0)
        return 2;
    if (options.vocab_size < 257)
        return cli_refuse("tokenizer train", "vocab-size", "at least 257 (256 bytes and <|endoftext|>)", options.vocab_size);
    if (options.min_frequency < 1) return cli_refuse("tokenizer train", "min-frequency", "at least 1", options.min_frequency);
    rlhf_error error;
    char *corpus;
    size_t length;
    if (rlhf_read_file(corpus_path, &corpus, &length, &error) != 0) return cli_fail("%s", error.message);
    double start = rlhf_seconds();
    tokenizer *t;
    int status = tokenizer_train(&t, corpus, length, &options, &error);
    free(corpus);
    if (status != 0) return cli_fail("tokenizer train: %s", error.message);
    double seconds = rlhf_seconds() - start;
    status = tokenizer_save(t, out_dir, &error);
    int vocab_size = tokenizer_vocab_size(t), merges = tokenizer_merge_count(t), eos_id = tokenizer_eos_id(t);
    tokenizer_free(t);
    if (status != 0) return cli_fail("tokenizer train: %s", error.message);
    if (cli_flag(&args, "json"))
        return print_json(json_pack("{s:i, s:i, s:i, s:I, s:f, s:s}", "vocab_size", vocab_size, "merges", merges,
                                    "eos_id", eos_id, "corpus_bytes", (json_int_t)length, "seconds", seconds, "out", out_dir));
    printf("trained %d tokens (%d merges, <|endoftext|> = %d) on %.1f MB in %.2f s; wrote %s/vocab.json and %s/merges.txt\n",
           vocab_size, merges, eos_id, (double)length / 1e6, seconds, out_dir, out_dir);
    if (vocab_size < options.vocab_size)
        fprintf(stderr, "rlhf: note: no pair occurs %d times any more, so %d tokens instead of %d\n",
                options.min_frequency, vocab_size, options.vocab_size);
    return 0;
}

/* rlhf tokenizer encode: prints the ids of --text or --file (or ids and token names as JSON). */
static int tokenizer_encode_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&encode_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *dir = cli_require(&args, "tokenizer");
    if (!dir) return 2;
    const char *text = cli_string(&args, "text"), *path = cli_string(&args, "file");
    if (!text == !path) return cli_usage_error("tokenizer encode: give either --text or --file");
    rlhf_error error;
    tokenizer *t;
    if (tokenizer_load(&t, dir, &error) != 0) return cli_fail("%s", error.message);
    char *file_text = NULL;
    size_t length = text ? strlen(text) : 0;
    if (path && rlhf_read_file(path, &file_text, &length, &error) != 0) {
        tokenizer_free(t);
        return cli_fail("%s", error.message);
    }
    int *ids;
    size_t count;
    int status = tokenizer_encode(t, path ? file_text : text, length, !cli_flag(&args, "plain"), &ids, &count, &error);
    free(file_text);
    if (status != 0) {
        tokenizer_free(t);
        return cli_fail("tokenizer encode: %s", error.message);
    }
    if (cli_flag(&args, "json")) {
        json_t *id_array = json_array(), *tokens = json_array();
        for (size_t i = 0; i < count; i++) {
            json_array_append_new(id_array, json_integer(ids[i]));
            json_array_append_new(tokens, json_string(tokenizer_token_name(t, ids[i])));
        }
        status = print_json(json_pack("{s:o, s:o}", "ids", id_array, "tokens", tokens));
    } else {
        for (size_t i = 0; i < count; i++) printf(i ? " %d" : "%d", ids[i]);
        putchar('\n');
    }
    free(ids);
    tokenizer_free(t);
    return status;
}

/* Parses ids separated by spaces, tabs, newlines or commas into a malloc'd array. Fails
 * printing why and returning the exit status: 2 naming an id that is not one, 1 when out of
 * memory. */
static int parse_ids(const char *text, int **ids, size_t *count) {
    size_t capacity = 0, used = 0;
    int *out = NULL;
    for (const char *p = text;;) {
        p += strspn(p, " \t\r\n,");
        if (!*p) break;
        char *end;
        errno = 0;
        long value = strtol(p, &end, 10);
        size_t word = strcspn(p, " \t\r\n,");
        if (errno || end != p + word || value < 0 || value > 2147483647L) {
            free(out);
            cli_fail("tokenizer decode: --ids: '%.*s' is not a token id", (int)word, p);
            return 2;
        }
        if (rlhf_grow(&out, &capacity, used + 1, sizeof *out) != 0) {
            free(out);
            return cli_fail("out of memory");
        }
        out[used++] = (int)value;
        p = end;
    }
    *ids = out;
    *count = used;
    return 0;
}

/* A copy of length bytes with each byte that is not part of well-formed UTF-8 replaced by
 * U+FFFD (malloc'd); *out_length is its length. */
static char *replace_invalid_utf8(const char *text, size_t length, size_t *out_length) {
    char *out = malloc(3 * length + 1);
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t used = 0;
    for (size_t i = 0; i < length;) {
        unsigned char c = p[i];
        size_t n = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
        bool ok = n > 0 && i + n <= length;
        for (size_t k = 1; ok && k < n; k++) ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && n == 3) ok = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] > 0x9F);
        if (ok && n == 4) ok = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] > 0x8F);
        if (ok) {
            memcpy(out + used, p + i, n);
            used += n;
            i += n;
        } else {
            memcpy(out + used, "\xef\xbf\xbd", 3);
            used += 3;
            i++;
        }
    }
    *out_length = used;
    return out;
}

/* rlhf tokenizer decode: writes the exact bytes of --ids (or them as JSON, repaired to UTF-8). */
static int tokenizer_decode_command(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&decode_command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *dir = cli_require(&args, "tokenizer"), *id_text = cli_require(&args, "ids");
    if (!dir || !id_text) return 2;
    int *ids = NULL;
    size_t count = 0;
    int parsed_ids = parse_ids(id_text, &ids, &count);
    if (parsed_ids != 0) return parsed_ids;
    rlhf_error error;
    tokenizer *t;
    if (tokenizer_load(&t, dir, &error) != 0) {
        free(ids);
        return cli_fail("%s", error.message);
    }
    char *text;
    size_t length;
    int status = tokenizer_decode(t, ids, count, &text, &length, &error);
    free(ids);
    tokenizer_free(t);
    if (status != 0) return cli_fail("tokenizer decode: %s", error.message);
    if (cli_flag(&args, "json")) {
        json_t *value = json_stringn(text, length); /* NUL bytes are fine; invalid UTF-8 is not */
        bool valid = value != NULL;
        if (!valid) {
            size_t replaced_length;
            char *replaced = replace_invalid_utf8(text, length, &replaced_length);
            value = replaced ? json_stringn(replaced, replaced_length) : NULL;
            free(replaced);
        }
        free(text);
        if (!value) return cli_fail("out of memory");
        return print_json(json_pack("{s:o, s:b}", "text", value, "utf8", valid));
    }
    fwrite(text, 1, length, stdout);
    if (isatty(STDOUT_FILENO)) putchar('\n');
    free(text);
    return 0;
}

static const cli_subcommand tokenizer_members[] = {
    {"train", tokenizer_train_command, "learn a vocabulary from a text corpus"},
    {"encode", tokenizer_encode_command, "text -> token ids"},
    {"decode", tokenizer_decode_command, "token ids -> text"},
};

/* rlhf tokenizer train|encode|decode. */
int cmd_tokenizer(int argc, char **argv) {
    return cli_dispatch("tokenizer",
                        "GPT-2 byte-level BPE tokenizers: directories with vocab.json and merges.txt, as GPT-2\n"
                        "and Hugging Face write them, or with tokenizer.json alone, as transformers 5 saves\n"
                        "them (a model directory holds one too).",
                        tokenizer_members, (int)(sizeof tokenizer_members / sizeof tokenizer_members[0]), argc, argv);
}
