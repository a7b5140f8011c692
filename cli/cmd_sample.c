/* rlhf sample: generate text from a model directory. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rlhf/collect.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"model", "DIR", "model directory (config.json, model.safetensors, vocab.json + merges.txt or tokenizer.json)", NULL},
    {"prompt", "TEXT", "text to continue", ""},
    {"n", "N", "samples to draw (one batch)", "1"},
    {"max-new-tokens", "N", "new tokens at most per sample", "64"},
    {"temperature", "T", "sampling temperature (0: greedy)", "0.8"},
    {"top-k", "K", "sample from the K most likely tokens (0: all)", "0"},
    {"top-p", "P", "sample from the smallest set with probability P (1: all)", "1.0"},
    {"stop", "TEXT", "also stop once the new text contains TEXT (cut before it)", NULL},
    {"seed", "N", "random seed; the same seed gives the same samples", "0"},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object on stdout", NULL},
    {0},
};

static const cli_command command = {
    "sample", "sample --model DIR --prompt TEXT [--n N] [--temperature T] [--top-k K] [--top-p P] [--json]",
    "Continues a prompt N times in one batch with a KV cache, stopping at <|endoftext|>, at --stop\n"
    "or after --max-new-tokens, and prints each sample.",
    options,
};

/* The name --json and the text output give a stop reason. */
static const char *stop_reason_name(policy_stop_reason reason) {
    return reason == POLICY_STOP_EOS ? "eos" : reason == POLICY_STOP_CALLBACK ? "stop" : "length";
}

/* rlhf sample: draws -n samples after --prompt in one batch and prints them (or one JSON object). */
int cmd_sample(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *model_dir = cli_require(&args, "model");
    if (!model_dir) return 2;
    int n;
    long seed;
    policy_sampling sampling = {0};
    if (cli_int(&args, "n", &n) || cli_int(&args, "max-new-tokens", &sampling.max_new_tokens) ||
        cli_float(&args, "temperature", &sampling.temperature) || cli_int(&args, "top-k", &sampling.top_k) ||
        cli_float(&args, "top-p", &sampling.top_p) || cli_long(&args, "seed", &seed))
        return 2;
    if (n <= 0) return cli_usage_error("sample: --n %d: must be at least 1", n);
    rlhf_error error;
    /* the same checks as rlhf generate; the context length once the model is loaded */
    if (collect_check_sampling(&sampling, 0, &error) != 0) return cli_usage_error("sample: %s", error.message);
    sampling.seed = (uint64_t)seed;
    const char *device;
    tokenizer *tok;
    gpt_model model;
    if (cli_load_model(model_dir, cli_string(&args, "device"), &tok, &model, &device) != 0) return 1;
    if (collect_check_sampling(&sampling, model.config.n_positions, &error) != 0) {
        gpt_destroy(&model);
        tokenizer_free(tok);
        return cli_fail("sample: %s", error.message);
    }
    const char *prompt = cli_string(&args, "prompt");
    const char **prompts = calloc((size_t)n, sizeof *prompts);
    policy_text_sample *samples = calloc((size_t)n, sizeof *samples);
    if (!prompts || !samples) {
        free(prompts);
        free(samples);
        gpt_destroy(&model);
        tokenizer_free(tok);
        return cli_fail("out of memory");
    }
    for (int i = 0; i < n; i++) prompts[i] = prompt;
    int status = policy_sample_texts(&model, tok, prompts, n, &sampling, cli_string(&args, "stop"), samples, &error);
    if (status != 0) {
        cli_fail("sample: %s", error.message);
    } else if (cli_flag(&args, "json")) {
        /* texts may hold invalid UTF-8 (a byte-level model can stop inside a character):
         * rlhf_json_text writes U+FFFD for each ill-formed sequence, so no key is lost */
        json_t *root = json_object(), *list = json_array();
        json_object_set_new(root, "prompt", rlhf_json_text(prompt));
        json_object_set_new(root, "device", rlhf_json_text(device));
        for (int i = 0; i < n; i++) {
            json_t *item = json_object();
            json_object_set_new(item, "text", rlhf_json_text(samples[i].text));
            json_object_set_new(item, "tokens", json_integer(samples[i].token_count));
            json_object_set_new(item, "stop_reason", json_string(stop_reason_name(samples[i].stop_reason)));
            json_object_set_new(item, "logprob", cli_json_number(samples[i].logprob_sum));
            json_array_append_new(list, item);
        }
        json_object_set_new(root, "samples", list);
        char *text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        if (text) puts(text);
        else status = cli_fail("out of memory");
        free(text);
        json_decref(root);
    } else {
        for (int i = 0; i < n; i++)
            printf("--- sample %d (%d tokens, stopped by %s)\n%s%s\n", i + 1, samples[i].token_count,
                   stop_reason_name(samples[i].stop_reason), prompt, samples[i].text);
    }
    for (int i = 0; i < n; i++) policy_text_sample_free(&samples[i]);
    free(samples);
    free(prompts);
    gpt_destroy(&model);
    tokenizer_free(tok);
    return status == 0 ? 0 : 1;
}
