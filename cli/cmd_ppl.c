/* rlhf ppl: mean next-token loss and perplexity of a model on token-id sequences. */
#include <math.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rlhf/nn.h"

static const cli_option options[] = {
    {"model", "DIR", "model directory (config.json + model.safetensors)", NULL},
    {"ids", "FILE", "token ids, one sequence a line, separated by spaces", NULL},
    {"batch-size", "N", "sequences per forward pass", "8"},
    {"device", "NAME", "auto, cpu or cuda", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "ppl", "ppl --model DIR --ids FILE [--json]",
    "Mean next-token cross-entropy (nats) over all predicted tokens of every sequence, and its\n"
    "perplexity exp(loss). Sequences longer than the model's n_positions are cut into windows.",
    options,
};

int cmd_ppl(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *model_dir = cli_require(&args, "model");
    const char *ids_path = cli_require(&args, "ids");
    int batch_size;
    if (!model_dir || !ids_path || cli_int(&args, "batch-size", &batch_size) != 0) return 2;
    if (batch_size <= 0) return cli_fail("ppl: --batch-size must be positive");
    rlhf_error error;
    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    gpt_model model;
    if (gpt_load(&model, model_dir, backend, &error) != 0) return cli_fail("%s", error.message);
    rlhf_id_lines lines;
    if (rlhf_id_lines_read(&lines, ids_path, model.config.vocab_size, &error) != 0) {
        gpt_destroy(&model);
        return cli_fail("%s", error.message);
    }
    double loss;
    long tokens;
    int status = gpt_sequence_loss(&model, lines.ids, lines.starts, lines.count, batch_size, &loss, &tokens, &error);
    rlhf_id_lines_free(&lines);
    gpt_destroy(&model);
    if (status != 0) return cli_fail("ppl: %s", error.message);
    if (cli_flag(&args, "json"))
        printf("{\"loss\": %.7g, \"perplexity\": %.7g, \"tokens\": %ld, \"device\": \"%s\"}\n", loss, exp(loss), tokens, device);
    else
        printf("loss %.4f  perplexity %.3f  over %ld tokens (%s)\n", loss, exp(loss), tokens, device);
    return 0;
}
