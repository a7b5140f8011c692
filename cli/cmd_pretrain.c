/* rlhf pretrain: train a GPT-2 from scratch on token ids. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "rlhf/policy.h"
#include "rlhf/tokenizer.h"

static const cli_option options[] = {
    {"corpus", "FILE", "training text (documents separated by <|endoftext|>), tokenized once into DIR/corpus.tokens", NULL},
    {"tokenizer", "DIR", "tokenizer (vocab.json + merges.txt, or tokenizer.json) for --corpus; saved into --out", NULL},
    {"ids", "FILE", "or training data as token ids, one sequence a line (joined into one stream)", NULL},
    {"config", "tiny|gpt2", "model size for a fresh model: tiny or gpt2", "tiny"},
    {"vocab-size", "N", "with --ids: override the config's vocabulary size (with --corpus the tokenizer sets it; refused)", NULL},
    {"out", "DIR", "model directory to write (checkpoints and the final model)", NULL},
    {"steps", "N", "optimizer steps", "200"},
    {"batch-size", "N", "sequences per step", "8"},
    {"seq-len", "N", "tokens per sequence", "64"},
    {"lr", "RATE", "peak learning rate", "3e-3"},
    {"schedule", "constant|linear|cosine", "learning-rate schedule after the warm-up", "cosine"},
    {"warmup", "N", "warm-up steps", "10"},
    {"weight-decay", "W", "AdamW weight decay (matrices only)", "0.1"},
    {"grad-clip", "NORM", "clip the global gradient norm (0: off)", "1.0"},
    {"dropout", "P", "dropout probability (embedding and residual)", "0"},
    {"val-fraction", "F", "tail of the data held out for validation, in [0, 0.9) (0: none; JSON val_loss null)", "0.1"},
    {"eval-every", "N", "steps between validation losses (0: only at the end)", "50"},
    {"save-every", "N", "steps between checkpoints (0: only at the end)", "0"},
    {"seed", "N", "random seed (initialisation and batches)", "1337"},
    {"stop-after", "N", "end this run after N steps with a checkpoint (resume later with --resume)", "0"},
    {"resume", NULL, "continue from the checkpoint in --out up to --steps in all, with its --batch-size, --seq-len, model shape and dropout (a checkpoint already at --steps, or a --config or --dropout that disagrees with it, is an error)", NULL},
    {"device", "auto|cpu|cuda", "where the model runs (auto: a usable GPU, else the CPU)", "auto"},
    {"quiet", NULL, "print only the summary (no progress, tokenizing or device lines)", NULL},
    {"json", NULL, "print one JSON object with the result on stdout", NULL},
    {0},
};

static const cli_command command = {
    "pretrain", "pretrain (--corpus FILE --tokenizer DIR | --ids FILE) --out DIR [--config tiny] [...]",
    "Trains a GPT-2 language model from scratch on next-token prediction over random windows of\n"
    "the token stream (the tail held out for validation), reporting train and validation loss,\n"
    "and saves a Hugging Face model directory plus training_state.safetensors so --resume\n"
    "continues exactly. With --corpus the text is tokenized once into DIR/corpus.tokens.\n"
    "Every option is checked before anything is written. A loss that becomes non-finite stops\n"
    "the run (exit 1): the last checkpoint saved before it is kept, nothing else is written.",
    options,
};

/* On --resume the checkpoint's own config.json decides the model: a --config or --dropout
 * given explicitly that disagrees with it is refused rather than silently ignored. */
static int check_resume_config(const policy_pretrain_options *o, bool config_given, bool dropout_given,
                               rlhf_error *error) {
    if (!config_given && !dropout_given) return 0;
    char path[4096];
    if (rlhf_path_join(path, sizeof path, o->out_dir, "config.json", error) != 0) return -1;
    gpt_config saved;
    if (gpt_config_load(&saved, path, error) != 0) return -1;
    const gpt_config *wanted = &o->config;
    if (config_given && (saved.n_layer != wanted->n_layer || saved.n_head != wanted->n_head ||
                         saved.n_embd != wanted->n_embd || saved.n_positions != wanted->n_positions)) {
        rlhf_error_set(error,
                       "--resume: the checkpoint in %s has %d layers, %d heads, width %d and %d positions, which "
                       "--config does not (leave --config out to continue it)",
                       o->out_dir, saved.n_layer, saved.n_head, saved.n_embd, saved.n_positions);
        return -1;
    }
    if (dropout_given && (saved.embd_pdrop != wanted->embd_pdrop || saved.resid_pdrop != wanted->resid_pdrop)) {
        rlhf_error_set(error,
                       "--resume: the checkpoint in %s was trained with --dropout %g; resume with the same (got %g), "
                       "or leave --dropout out",
                       o->out_dir, saved.embd_pdrop, wanted->embd_pdrop);
        return -1;
    }
    return 0;
}

/* A resumed corpus run must tokenize with the tokenizer it started with, whose copy in
 * --out tokenizer_save wrote at the start: the given tokenizer, rendered the same way, must
 * give the same vocab.json and merges.txt byte for byte (comparing the given files as they
 * are would refuse the same tokenizer saved with other whitespace). Checked before anything
 * is written to --out, so a refused resume leaves the checkpoint as it was. */
static int check_resume_tokenizer(const char *tokenizer_dir, const char *out_dir, rlhf_error *error) {
    tokenizer *given;
    if (tokenizer_load(&given, tokenizer_dir, error) != 0) return -1;
    char *rendered[2];
    size_t rendered_size[2];
    int status = tokenizer_render(given, &rendered[0], &rendered_size[0], &rendered[1], &rendered_size[1], error);
    tokenizer_free(given);
    if (status != 0) return -1;
    static const char *const files[] = {"vocab.json", "merges.txt"};
    for (int i = 0; i < 2 && status == 0; i++) {
        char saved_path[4096];
        char *saved = NULL;
        size_t saved_size;
        if (rlhf_path_join(saved_path, sizeof saved_path, out_dir, files[i], error) != 0) {
            status = -1;
        } else if (rlhf_read_file(saved_path, &saved, &saved_size, error) != 0) {
            rlhf_error_prefix(error, "--resume: the checkpoint has no tokenizer of its own (was it trained with --ids?)");
            status = -1;
        } else if (rendered_size[i] != saved_size || memcmp(rendered[i], saved, saved_size) != 0) {
            rlhf_error_set(error, "--resume: the checkpoint in %s was trained with another tokenizer (%s/%s differs from "
                                  "%s); resume with the tokenizer it started with (--tokenizer %s)",
                           out_dir, tokenizer_dir, files[i], saved_path, out_dir);
            status = -1;
        }
        free(saved);
    }
    free(rendered[0]);
    free(rendered[1]);
    return status;
}

typedef struct printer {
    bool quiet, json;
    cli_progress progress;
} printer;

/* Prints a line every tenth of the run and at every validation; a bar in between. */
static void on_step(const policy_pretrain_report *r, void *user) {
    printer *p = user;
    char detail[96];
    snprintf(detail, sizeof detail, "loss %.3f", r->train_loss);
    cli_progress_update(&p->progress, r->step, detail);
    if (p->quiet || p->json) return;
    int every = r->steps >= 10 ? r->steps / 10 : 1;
    if (r->step % every == 0 || r->val_loss >= 0 || r->step == 1) {
        if (p->progress.enabled) fputc('\n', stderr);
        fprintf(stdout, "step %5d/%d  loss %.4f", r->step, r->steps, r->train_loss);
        if (r->val_loss >= 0) fprintf(stdout, "  val %.4f", r->val_loss);
        fprintf(stdout, "  lr %.2e  norm %.2f  %.0f tok/s%s\n", r->learning_rate, r->grad_norm,
                r->tokens_per_second, r->checkpoint_saved ? "  (saved)" : "");
        fflush(stdout);
    }
}

/* rlhf pretrain: checks every option, then trains a model from scratch on --corpus or --ids into --out
 * (resumable). */
int cmd_pretrain(int argc, char **argv) {
    cli_args args;
    int parsed = cli_parse(&command, argc, argv, &args);
    if (parsed != 0) return parsed > 0 ? 0 : 2;
    const char *ids_path = cli_string(&args, "ids"), *corpus_path = cli_string(&args, "corpus");
    const char *tokenizer_dir = cli_string(&args, "tokenizer");
    const char *out_dir = cli_require(&args, "out");
    if (!out_dir) return 2;
    if (!ids_path == !corpus_path) return cli_usage_error("pretrain: give either --corpus (with --tokenizer) or --ids");
    if (corpus_path && !tokenizer_dir) return cli_usage_error("pretrain: --corpus needs --tokenizer DIR");
    if (corpus_path && cli_flag(&args, "vocab-size"))
        return cli_usage_error("pretrain: --vocab-size is for --ids; with --corpus the tokenizer's vocabulary sets it");
    rlhf_error error;
    policy_pretrain_options o = {.out_dir = out_dir, .resume = cli_flag(&args, "resume")};
    long seed;
    float dropout;
    if (gpt_config_named(&o.config, cli_string(&args, "config"), &error) != 0) return cli_fail("pretrain: %s", error.message);
    if (cli_string(&args, "vocab-size") && cli_int(&args, "vocab-size", &o.config.vocab_size) != 0) return 2;
    o.adamw = nn_adamw_defaults();
    if (cli_int(&args, "steps", &o.steps) || cli_int(&args, "batch-size", &o.batch_size) ||
        cli_int(&args, "seq-len", &o.seq_len) || cli_float(&args, "lr", &o.schedule.peak) ||
        cli_int(&args, "warmup", &o.schedule.warmup_steps) || cli_float(&args, "weight-decay", &o.adamw.weight_decay) ||
        cli_float(&args, "grad-clip", &o.adamw.max_grad_norm) || cli_float(&args, "dropout", &dropout) ||
        cli_float(&args, "val-fraction", &o.validation_fraction) || cli_int(&args, "eval-every", &o.eval_every) ||
        cli_int(&args, "save-every", &o.save_every) || cli_int(&args, "stop-after", &o.stop_after) ||
        cli_long(&args, "seed", &seed))
        return 2;
    /* every value is checked before anything is read or written */
    if (o.config.vocab_size < 1) return cli_refuse("pretrain", "vocab-size", "at least 1", o.config.vocab_size);
    if (o.steps < 1) return cli_refuse("pretrain", "steps", "at least 1", o.steps);
    if (o.batch_size < 1) return cli_refuse("pretrain", "batch-size", "at least 1", o.batch_size);
    if (o.seq_len < 2) return cli_refuse("pretrain", "seq-len", "at least 2", o.seq_len);
    if (cli_check_optimizer("pretrain", &o.schedule, &o.adamw)) return 2;
    if (!(dropout >= 0.0f && dropout < 1.0f)) return cli_refuse("pretrain", "dropout", "in [0, 1)", dropout);
    if (!(o.validation_fraction >= 0.0f && o.validation_fraction < 0.9f))
        return cli_refuse("pretrain", "val-fraction", "in [0, 0.9)", o.validation_fraction);
    if (o.eval_every < 0) return cli_refuse("pretrain", "eval-every", "at least 0 (0: only at the end)", o.eval_every);
    if (o.save_every < 0) return cli_refuse("pretrain", "save-every", "at least 0 (0: only at the end)", o.save_every);
    if (o.stop_after < 0) return cli_refuse("pretrain", "stop-after", "at least 0 (0: run to --steps)", o.stop_after);
    if (nn_lr_kind_parse(cli_string(&args, "schedule"), &o.schedule.kind, &error) != 0) return cli_usage_error("pretrain: %s", error.message);
    o.config.embd_pdrop = o.config.resid_pdrop = dropout;
    o.schedule.total_steps = o.steps;
    o.schedule.final_fraction = 0.1f;
    o.eval_windows = 64;
    o.seed = (uint64_t)seed;
    if (o.seq_len > o.config.n_positions) return cli_fail("pretrain: --seq-len %d exceeds the config's n_positions %d", o.seq_len, o.config.n_positions);
    /* --out must take the checkpoints: a run should not fail only when it first saves */
    if (rlhf_check_output_directory(out_dir, &error) != 0) return cli_fail("pretrain: %s", error.message);
    /* a resume needs a checkpoint it can continue, checked before the corpus is tokenized
     * into --out or the tokenizer copied there */
    if (o.resume && policy_pretrain_check_resume(&o, &error) != 0) return cli_fail("pretrain: %s", error.message);
    if (o.resume && check_resume_config(&o, cli_flag(&args, "config"), cli_flag(&args, "dropout"), &error) != 0)
        return cli_fail("pretrain: %s", error.message);
    if (o.resume && corpus_path && check_resume_tokenizer(tokenizer_dir, out_dir, &error) != 0)
        return cli_fail("pretrain: %s", error.message);
    /* the corpus is read only after --out is made: check it is there first */
    struct stat corpus_info;
    if (corpus_path && stat(corpus_path, &corpus_info) != 0)
        return cli_fail("pretrain: %s: %s", corpus_path, strerror(errno));
    if (corpus_path && !S_ISREG(corpus_info.st_mode)) return cli_fail("pretrain: %s: not a regular file", corpus_path);
    printer p = {.quiet = cli_flag(&args, "quiet"), .json = cli_flag(&args, "json")};

    const char *device;
    const nn_backend *backend = nn_backend_select(cli_string(&args, "device"), &device, &error);
    if (!backend) return cli_fail("%s", error.message);
    /* from here --out changes: until the run reaches --steps it is no finished model */
    nn_run_output output;
    if (nn_run_begin(&output, out_dir, "rlhf pretrain", true, &error) != 0) return cli_fail("pretrain: %s", error.message);
    /* The training stream: token ids from a file, or the corpus tokenized once into
     * out/corpus.tokens (kept across runs and resumes while the corpus is unchanged). */
    rlhf_id_lines lines = {0};
    policy_token_file token_file = {0};
    const int *stream;
    size_t stream_length;
    if (corpus_path) {
        tokenizer *tok;
        if (tokenizer_load(&tok, tokenizer_dir, &error) != 0) {
            nn_run_abandon(&output, false);
            return cli_fail("%s", error.message);
        }
        o.config.vocab_size = tokenizer_vocab_size(tok);
        o.config.eos_token_id = o.config.bos_token_id = tokenizer_eos_id(tok);
        char token_path[4096];
        if (rlhf_path_join(token_path, sizeof token_path, out_dir, "corpus.tokens", &error) != 0) {
            tokenizer_free(tok);
            nn_run_abandon(&output, false);
            return cli_fail("pretrain: %s", error.message);
        }
        bool reused = false;
        double start = rlhf_seconds();
        int status = rlhf_make_directory(out_dir, &error);
        if (status == 0) status = policy_token_file_build(corpus_path, tok, token_path, &reused, &error);
        if (status == 0) status = tokenizer_save(tok, out_dir, &error);
        tokenizer_free(tok);
        if (status != 0 || policy_token_file_open(&token_file, token_path, &error) != 0) {
            nn_run_abandon(&output, true);
            return cli_fail("pretrain: %s", error.message);
        }
        if (!p.quiet && !p.json)
            fprintf(stderr, "rlhf: %s %zu tokens of %s in %.1f s\n", reused ? "reused" : "tokenized", token_file.count,
                    corpus_path, rlhf_seconds() - start);
        stream = token_file.ids;
        stream_length = token_file.count;
    } else {
        if (rlhf_id_lines_read(&lines, ids_path, o.resume ? 0 : o.config.vocab_size, &error) != 0) {
            nn_run_abandon(&output, false);
            return cli_fail("%s", error.message);
        }
        stream = lines.ids;
        stream_length = lines.total;
    }
    if (!p.quiet && !p.json) fprintf(stderr, "rlhf: device %s, %zu tokens\n", device, stream_length);
    cli_progress_start(&p.progress, o.steps);
    policy_pretrain_result result;
    int status = policy_pretrain(stream, stream_length, &o, backend, on_step, &p, &result, &error);
    cli_progress_finish(&p.progress);
    rlhf_id_lines_free(&lines);
    policy_token_file_close(&token_file);
    if (status == 0 && result.start_step + result.steps_run >= o.steps) status = nn_run_finish(&output, &error);
    if (status != 0) {
        nn_run_abandon(&output, true);
        return cli_fail("pretrain: %s", error.message);
    }
    if (p.json) { /* val_loss is null when there is no validation set or it was not evaluated */
        char val_loss[32];
        json_t *out_value = rlhf_json_text(out_dir); /* quoted and escaped: a folder name may hold a '"' */
        char *out_json = out_value ? json_dumps(out_value, JSON_ENCODE_ANY) : NULL;
        json_decref(out_value);
        if (!out_json) return cli_fail("pretrain: out of memory");
        printf("{\"parameters\": %zu, \"steps\": %d, \"start_step\": %d, \"first_loss\": %.6g, \"final_loss\": %.6g, "
               "\"val_loss\": %s, \"tokens_per_s\": %.1f, \"device\": \"%s\", \"out\": %s}\n",
               result.parameter_count, result.start_step + result.steps_run, result.start_step, result.first_train_loss,
               result.final_train_loss, cli_json_number_text(val_loss, result.final_val_loss), result.tokens_per_second, device, out_json);
        free(out_json);
    } else {
        printf("trained %zu parameters for %d steps: loss %.4f -> %.4f", result.parameter_count, result.steps_run,
               result.first_train_loss, result.final_train_loss);
        if (!isnan(result.final_val_loss)) printf(", validation %.4f", result.final_val_loss);
        else if (result.val_tokens == 0) printf(", no validation set");
        printf(" (%.0f tokens/s); saved %s\n", result.tokens_per_second, out_dir);
    }
    return 0;
}
