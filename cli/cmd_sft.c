/* rlhf sft: supervised fine-tuning on prompt/response pairs, loss on responses only. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"data", "F.jsonl", "{\"prompt\", \"response\"} or {\"messages\": [...]} per line", NULL},
    {"model", "DIR", "model directory to start from (with its tokenizer)", NULL},
    {"out", "DIR", "model directory to write", NULL},
    {"epochs", "N", "passes over the training examples", "3"},
    {"batch-size", "N", "examples per step", "8"},
    {"max-length", "N", "tokens per example at most (prompts are cut from the left)", "256"},
    {"lr", "RATE", "peak learning rate", "1e-4"},
    {"schedule", "constant|linear|cosine", "learning-rate schedule after the warm-up", "linear"},
    {"warmup", "N", "warm-up steps", "10"},
    {"weight-decay", "W", "AdamW weight decay (matrices only)", "0.0"},
    {"grad-clip", "NORM", "clip the global gradient norm (0: off)", "1.0"},
    {"val-fraction", "F", "share of examples held out (chosen by a hash of each line; with few examples none may be: then \"no validation set\" and JSON null)", "0.1"},
    {"seed", "N", "random seed (example order)", "1"},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"json", NULL, "print one JSON object with the result on stdout", NULL},
    {0},
};

static const cli_command command = {
    "sft", "sft --data F.jsonl --model DIR --out DIR [--epochs N] [--lr RATE] [...]",
    "Fine-tunes a language model on prompt/response pairs (or chat transcripts) with the loss on\n"
    "response tokens only, and saves the result with its tokenizer. A malformed line fails the\n"
    "whole file, naming the line, before anything is written. --model must be a language model\n"
    "(not a reward model). A loss that becomes non-finite stops the run (exit 1) and nothing is\n"
    "saved.",
    options,
};

/* Prints a line every tenth of the run and at each validation (none with --json). */
static void on_step(const policy_sft_report *r, void *user) {
    bool json = *(bool *)user;
    if (json) return;
    int every = r->steps >= 10 ? r->steps / 10 : 1;
    if (r->step % every == 0 || r->val_loss >= 0 || r->step == 1) {
        printf("step %5d/%d  epoch %d  loss %.4f", r->step, r->steps, r->epoch, r->train_loss);
        if (r->val_loss >= 0) printf("  val %.4f", r->val_loss);
        printf("  lr %.2e\n", r->learning_rate);
        fflush(stdout);
    }
}

/* rlhf sft: supervised fine-tuning of --model on prompt/response pairs into --out. */
int cmd_sft(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *data_path = cli_require(&args, "data"), *model_dir = cli_require(&args, "model");
    const char *out_dir = cli_require(&args, "out");
    if (!data_path || !model_dir || !out_dir) return 2;
    policy_sft_options o = {.out_dir = out_dir, .adamw = nn_adamw_defaults()};
    int max_length;
    long seed;
    rlhf_error error;
    if (cli_int(&args, "epochs", &o.epochs) || cli_int(&args, "batch-size", &o.batch_size) ||
        cli_int(&args, "max-length", &max_length) || cli_float(&args, "lr", &o.schedule.peak) ||
        cli_int(&args, "warmup", &o.schedule.warmup_steps) || cli_float(&args, "weight-decay", &o.adamw.weight_decay) ||
        cli_float(&args, "grad-clip", &o.adamw.max_grad_norm) || cli_float(&args, "val-fraction", &o.validation_fraction) ||
        cli_long(&args, "seed", &seed))
        return 2;
    if (nn_lr_kind_parse(cli_string(&args, "schedule"), &o.schedule.kind, &error) != 0) return cli_usage_error("sft: %s", error.message);
    /* every value is checked before anything is loaded or written */
    if (o.epochs < 1) return cli_refuse("sft", "epochs", "at least 1", o.epochs);
    if (o.batch_size < 1) return cli_refuse("sft", "batch-size", "at least 1", o.batch_size);
    if (max_length < 2) return cli_refuse("sft", "max-length", "at least 2", max_length);
    if (cli_check_optimizer("sft", &o.schedule, &o.adamw)) return 2;
    if (!(o.validation_fraction >= 0 && o.validation_fraction < 1))
        return cli_refuse("sft", "val-fraction", "in [0, 1)", o.validation_fraction);
    o.seed = (uint64_t)seed;
    const char *device;
    tokenizer *tok;
    gpt_model model;
    /* --out must take the result: fail before loading and training, not when saving */
    if (rlhf_check_output_directory(out_dir, &error) != 0) return cli_fail("sft: %s", error.message);
    if (cli_load_model(model_dir, cli_string(&args, "device"), &tok, &model, &device) != 0) return 1;
    if (model.config.has_score_head) {
        gpt_destroy(&model);
        tokenizer_free(tok);
        return cli_fail("sft: %s is a reward model (GPT2ForSequenceClassification, with score.weight); fine-tuning "
                        "starts from a language model (a pretrain or sft output)",
                        model_dir);
    }
    if (max_length > model.config.n_positions) max_length = model.config.n_positions;
    policy_sft_data data;
    bool json = cli_flag(&args, "json");
    int status = policy_sft_load(data_path, tok, max_length, &data, &error);
    if (status == 0) {
        if (!json)
            fprintf(stderr, "rlhf: device %s, %d examples from %s (%d prompts cut from the left, %d responses cut)\n",
                    device, data.count, data_path, data.truncated_prompts, data.truncated_responses);
        policy_sft_result result = {0};
        /* from here --out changes: it is no finished model until the tokenizer is beside the weights */
        nn_run_output output;
        status = nn_run_begin(&output, out_dir, "rlhf sft", false, &error);
        if (status == 0) {
            status = policy_sft(&model, &data, &o, on_step, &json, &result, &error);
            if (status == 0) status = tokenizer_save(tok, out_dir, &error);
            if (status == 0) status = nn_run_finish(&output, &error);
            if (status != 0) nn_run_abandon(&output, true);
        }
        /* without held-out examples there is no validation loss: null in JSON, said in words */
        char first_val[32], final_val[32];
        cli_json_number_text(first_val, result.first_val_loss);
        cli_json_number_text(final_val, result.final_val_loss);
        if (status == 0 && json)
            printf("{\"train_examples\": %d, \"val_examples\": %d, \"steps\": %d, \"response_tokens\": %ld, "
                   "\"first_val_loss\": %s, \"val_loss\": %s, \"train_loss\": %.6g, \"truncated_prompts\": %d, "
                   "\"truncated_responses\": %d, \"device\": \"%s\"}\n",
                   result.train_examples, result.val_examples, result.steps, result.response_tokens, first_val,
                   final_val, result.final_train_loss, data.truncated_prompts, data.truncated_responses, device);
        else if (status == 0 && result.val_examples > 0)
            printf("fine-tuned on %d examples for %d steps: validation loss %.4f -> %.4f on %d held-out examples; "
                   "saved %s\n",
                   result.train_examples, result.steps, result.first_val_loss, result.final_val_loss,
                   result.val_examples, out_dir);
        else if (status == 0)
            printf("fine-tuned on %d examples for %d steps: training loss %.4f, no validation set (none of the "
                   "examples fell in --val-fraction); saved %s\n",
                   result.train_examples, result.steps, result.final_train_loss, out_dir);
        policy_sft_data_free(&data);
    }
    gpt_destroy(&model);
    tokenizer_free(tok);
    if (status != 0) return cli_fail("sft: %s", error.message);
    return 0;
}
