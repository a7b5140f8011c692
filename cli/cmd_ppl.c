/* rlhf ppl: mean next-token loss and perplexity of a model on token-id sequences. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "rlhf/nn.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"model", "DIR", "model directory (config.json + model.safetensors)", NULL},
    {"text-file", "FILE", "text to score (tokenized with the model's tokenizer; <|endoftext|> separates documents)", NULL},
    {"tokenizer", "DIR", "tokenizer for --text-file, if not the model directory's", NULL},
    {"ids", "FILE", "or token ids, one sequence a line, separated by spaces", NULL},
    {"batch-size", "N", "sequences per forward pass", "8"},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "ppl", "ppl --model DIR (--text-file FILE | --ids FILE) [--json]",
    "Mean next-token cross-entropy (nats) over all predicted tokens of every sequence, and its\n"
    "perplexity exp(loss). A text file is one sequence; sequences longer than the model's\n"
    "n_positions are cut into consecutive windows.",
    options,
};

/* rlhf ppl: the mean next-token loss and perplexity of a text file or of token-id lines. */
int cmd_ppl(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *model_dir = cli_require(&args, "model");
    const char *ids_path = cli_string(&args, "ids"), *text_path = cli_string(&args, "text-file");
    int batch_size;
    if (!model_dir || cli_int(&args, "batch-size", &batch_size) != 0) return 2;
    if (!ids_path == !text_path) return cli_usage_error("ppl: give either --text-file or --ids");
    if (batch_size <= 0) return cli_refuse("ppl", "batch-size", "at least 1", batch_size);
    rlhf_error error;
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    gpt_model model;
    if (gpt_load(&model, model_dir, backend, &error) != 0) return cli_fail("%s", error.message);
    rlhf_id_lines lines = {0};
    int status = 0;
    if (ids_path) {
        status = rlhf_id_lines_read(&lines, ids_path, model.config.vocab_size, &error);
    } else {
        /* the whole text is one sequence */
        tokenizer *tok = NULL;
        char *text = NULL;
        size_t length = 0, count = 0;
        const char *tokenizer_dir = cli_string(&args, "tokenizer") ? cli_string(&args, "tokenizer") : model_dir;
        status = tokenizer_load(&tok, tokenizer_dir, &error);
        if (status == 0) status = rlhf_read_file(text_path, &text, &length, &error);
        if (status == 0) status = tokenizer_encode(tok, text, length, true, &lines.ids, &count, &error);
        if (status == 0 && tokenizer_vocab_size(tok) > model.config.vocab_size) {
            rlhf_error_set(&error, "%s: the tokenizer has %d tokens but the model only %d", tokenizer_dir,
                           tokenizer_vocab_size(tok), model.config.vocab_size);
            status = -1;
        }
        if (status == 0) {
            lines.starts = malloc(2 * sizeof(size_t));
            if (!lines.starts) {
                rlhf_error_set(&error, "out of memory");
                status = -1;
            }
        }
        if (status == 0) {
            lines.starts[0] = 0;
            lines.starts[1] = lines.total = count;
            lines.count = 1;
        }
        free(text);
        if (tok) tokenizer_free(tok);
    }
    if (status != 0) {
        rlhf_id_lines_free(&lines);
        gpt_destroy(&model);
        return cli_fail("%s", error.message);
    }
    double loss;
    long tokens;
    status = gpt_sequence_loss(&model, lines.ids, lines.starts, lines.count, batch_size, &loss, &tokens, &error);
    rlhf_id_lines_free(&lines);
    gpt_destroy(&model);
    if (status != 0) return cli_fail("ppl: %s", error.message);
    if (cli_flag(&args, "json"))
        printf("{\"loss\": %.7g, \"perplexity\": %.7g, \"tokens\": %ld, \"device\": \"%s\"}\n", loss, exp(loss), tokens, device);
    else
        printf("loss %.4f  perplexity %.3f  over %ld tokens (%s)\n", loss, exp(loss), tokens, device);
    return 0;
}
