/* policy: the language model as a policy: batched generation with a KV cache, pretraining
 * on a token stream, supervised fine-tuning. The tokenizer is in rlhf/tokenizer.h. */
#ifndef RLHF_POLICY_H
#define RLHF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlhf/nn.h"

/* ---------------------------------------------------------------- token files */

struct tokenizer;

/* A tokenized corpus on disk, memory-mapped: a 40-byte header ("RLHFTOK2", token count,
 * corpus size, FNV-1a hash of the corpus, fingerprint of the tokenizer) followed by int32
 * token ids. */
typedef struct policy_token_file {
    const int *ids;
    size_t count;
    void *mapping;
    size_t mapping_size;
} policy_token_file;

/* Tokenizes corpus_path (documents separated by <|endoftext|>) into out_path, unless
 * out_path already holds the tokens of this exact corpus (same size and hash) made by this
 * tokenizer, in which case it is kept. *reused says which. The file is written atomically. */
int policy_token_file_build(const char *corpus_path, const struct tokenizer *tokenizer, const char *out_path,
                            bool *reused, rlhf_error *error);
int policy_token_file_open(policy_token_file *file, const char *path, rlhf_error *error);
void policy_token_file_close(policy_token_file *file);

/* ---------------------------------------------------------------- pretraining */

typedef struct policy_pretrain_options {
    const char *out_dir;          /* model directory written at checkpoints and at the end */
    gpt_config config;            /* used when starting fresh */
    int batch_size, seq_len;
    int steps;                    /* total optimizer steps */
    nn_lr_schedule schedule;
    nn_adamw_config adamw;
    int eval_every;               /* steps between validation runs (0: only at the end) */
    int eval_windows;             /* validation windows of seq_len tokens per run */
    int save_every;               /* steps between checkpoints (0: only at the end) */
    float validation_fraction;    /* tail of the stream held out */
    uint64_t seed;
    int stop_after;               /* end this run after this many steps, with a checkpoint (0: run to steps) */
    bool resume;                  /* continue from out_dir's model and training state */
} policy_pretrain_options;

/* What the loop reports after each step (val_loss < 0 when not evaluated this step). */
typedef struct policy_pretrain_report {
    int step, steps;
    float train_loss, val_loss, learning_rate, grad_norm;
    double tokens_per_second;
    bool checkpoint_saved;
} policy_pretrain_report;

typedef void (*policy_pretrain_callback)(const policy_pretrain_report *report, void *user);

typedef struct policy_pretrain_result {
    float first_train_loss, final_train_loss, final_val_loss;
    int steps_run, start_step;
    size_t parameter_count;
    long train_tokens, val_tokens;
    double tokens_per_second;
} policy_pretrain_result;

/* Checks, without writing anything, that options->out_dir holds a checkpoint that
 * options can continue: config.json, model.safetensors and training_state.safetensors
 * exist, the checkpoint's step is below options->steps (the total), and its batch size
 * and sequence length (where recorded) equal options'. Fails with a message naming the
 * directory and the disagreement. */
int policy_pretrain_check_resume(const policy_pretrain_options *options, rlhf_error *error);

/* Trains a GPT-2 on the token stream ids[0 .. count) (next-token prediction on random
 * windows of seq_len + 1 tokens), holding out the tail for validation, saving the model
 * and its training state to out_dir. With resume, checks the checkpoint as
 * policy_pretrain_check_resume does, loads it and continues so that the result equals an
 * uninterrupted run with the same options. A non-finite training or validation loss (or
 * gradient norm) stops the run with an error naming the step; checkpoints already saved
 * are left as they were and nothing further is written. result->final_val_loss is NAN
 * when no validation loss was computed. */
int policy_pretrain(const int *ids, size_t count, const policy_pretrain_options *options,
                    const nn_backend *backend, policy_pretrain_callback callback, void *user,
                    policy_pretrain_result *result, rlhf_error *error);

/* ---------------------------------------------------------------- supervised fine-tuning */

/* Tokenized SFT examples. Row i has lengths[i] ids; scored[i][t] is 1 where token t is
 * part of a response (so position t - 1 is trained to predict it). */
typedef struct policy_sft_data {
    int count;
    int **ids;
    unsigned char **scored;
    int *lengths;
    uint64_t *hashes;          /* of each line's text: fixes the train/validation split */
    int truncated_prompts;     /* examples whose prompt lost tokens on the left to fit */
    int truncated_responses;   /* examples whose response was cut on the right to fit */
} policy_sft_data;

/* Reads JSONL of {"prompt", "response"} or {"messages": [{"role", "content"}, ...]}
 * (roles system, user, assistant; see README for the template) and tokenizes it, each
 * example starting as generation starts a prompt (policy_prompt_ids: <|endoftext|> first,
 * unscored), fitting every example into max_length (at least 2) tokens by cutting the
 * prompt from the left after that <|endoftext|> (then the response from the right). Any
 * malformed line fails the whole file, naming the line. */
int policy_sft_load(const char *path, const struct tokenizer *tokenizer, int max_length,
                    policy_sft_data *data, rlhf_error *error);
void policy_sft_data_free(policy_sft_data *data);

typedef struct policy_sft_options {
    const char *out_dir;
    int epochs, batch_size;
    nn_lr_schedule schedule;   /* total_steps is filled in from epochs and data */
    nn_adamw_config adamw;
    float validation_fraction; /* share of examples (by hash of their line) held out */
    uint64_t seed;
} policy_sft_options;

typedef struct policy_sft_report {
    int step, steps, epoch;
    float train_loss, val_loss, learning_rate;  /* val_loss < 0 when not evaluated */
} policy_sft_report;

typedef void (*policy_sft_callback)(const policy_sft_report *report, void *user);

typedef struct policy_sft_result {
    int train_examples, val_examples, steps;
    float first_val_loss, final_val_loss, final_train_loss;
    long response_tokens;
} policy_sft_result;

/* Fine-tunes model on data, the loss on response tokens only, and saves it to out_dir.
 * The model must be a language model (no scalar head) and out_dir must pass
 * rlhf_check_output_directory; both are checked before the first step. A non-finite training
 * or validation loss stops the run with an error naming the step, before anything is saved.
 * result's validation losses are NAN when no example is held out. */
int policy_sft(gpt_model *model, const policy_sft_data *data, const policy_sft_options *options,
               policy_sft_callback callback, void *user, policy_sft_result *result, rlhf_error *error);

/* ---------------------------------------------------------------- generation */

typedef struct policy_sampling {
    float temperature;     /* 0 = greedy */
    int top_k;             /* keep the k most likely tokens; 0 = all */
    float top_p;           /* keep the smallest set with this much probability; 1 = all */
    int max_new_tokens;
    uint64_t seed;         /* sequence b draws from its own stream seeded by (seed, b) */
    int eos_id;            /* stop at this token (-1: never) */
    /* Optional: a sequence stops when this returns true for its tokens so far (stop strings). */
    bool (*should_stop)(const int *generated, int count, void *user);
    void *user;
} policy_sampling;

typedef enum policy_stop_reason {
    POLICY_STOP_LENGTH,    /* reached max_new_tokens */
    POLICY_STOP_EOS,       /* sampled eos_id (included in the tokens) */
    POLICY_STOP_CALLBACK,  /* should_stop said so (the completing token is included) */
} policy_stop_reason;

typedef struct policy_generation {
    int batch_size, max_new_tokens;
    int *tokens;           /* [B * max_new_tokens]: row b's first lengths[b] entries are its tokens */
    float *logprobs;       /* [B * max_new_tokens]: log-probability of each sampled token under
                              the distribution it was drawn from (0 for greedy) */
    int *lengths;          /* [B] */
    policy_stop_reason *stop_reasons; /* [B] */
} policy_generation;

/* Continues count prompts (prompts[i] has prompt_lengths[i] ids; an empty prompt starts
 * from eos_id) in one batch: left-padded prefill, then one cached step per new token.
 * Fails if a prompt plus max_new_tokens exceeds the model's n_positions. */
int policy_generate(gpt_model *model, const int *const *prompts, const int *prompt_lengths, int count,
                    const policy_sampling *sampling, policy_generation *out, rlhf_error *error);
void policy_generation_free(policy_generation *generation);
/* Seeds the random stream row `row` of a policy_generate batch with sampling seed `seed`
 * draws from: one uniform per new token, in order (drawn for every row at every step, also
 * after the row stopped). Drawing the same uniforms again replays a sampled row. */
void policy_sampling_stream(rlhf_rng *stream, uint64_t seed, int row);

/* One completion as text. */
typedef struct policy_text_sample {
    char *text;                 /* the new text, without <|endoftext|> and cut before a stop string */
    int *ids;                   /* every generated token (end-of-text or stop-string tokens included) */
    int token_count;
    double logprob_sum;         /* sum of the tokens' sampling log-probabilities */
    policy_stop_reason stop_reason;
} policy_text_sample;

/* ---------------------------------------------------------------- log-probs of given responses */

/* The rows of one scoring forward: prompt i followed by response i, right-padded. */
typedef struct policy_sequences {
    const int *const *prompts;       /* as policy_generate takes them (each starts with <|endoftext|>) */
    const int *prompt_lengths;       /* each at least 1 */
    const int *const *responses;
    const int *response_lengths;     /* each at least 0; prompt + response at most n_positions */
    int count;
} policy_sequences;

/* Log-probabilities of given responses after their prompts, in one forward of all count
 * rows: logprobs[i * max_response + t] = log p(responses[i][t] | prompt i, responses[i][..t])
 * under softmax(logits / temperature) (temperature 0 means 1), the same distribution
 * policy_generate samples token t from at that temperature (without top-k or top-p). When
 * entropies is not NULL it gets the entropy of each of those distributions (this copies the
 * logits of every position to the host: B x T x V floats). Positions past a response's
 * length get 0 in both. With backward (model reserved for training), the forward is kept
 * for gpt_backward with d_logprobs laid out as the model's B x T rows: use
 * policy_sequence_positions to place them. */
int policy_sequence_logprobs(gpt_model *model, const policy_sequences *rows, int max_response, float temperature,
                             float *logprobs, float *entropies, rlhf_error *error);

/* A value model's estimates for the same rows (the model has a scalar head):
 * values[i * max_response + t] is the head's output at the position before response token
 * t, the state that token is chosen in; 0 past a response's end. */
int policy_sequence_values(gpt_model *model, const policy_sequences *rows, int max_response, float *values,
                           rlhf_error *error);

/* The padded length T of the forward policy_sequence_logprobs runs for rows, and the
 * position in that forward's B x T layout whose target is response token t of row i:
 * row i's response token t sits at i * T + prompt_lengths[i] - 1 + t. */
int policy_sequence_length(const policy_sequences *rows);

/* Spreads per-response-token values (count x max_response, as policy_sequence_logprobs
 * returns them) into that forward's B x T layout (zeros elsewhere): how a loss's gradient
 * with respect to the log-probs or values reaches gpt_backward. */
void policy_sequence_scatter(const policy_sequences *rows, int max_response, const float *per_token,
                             float *model_layout);

/* The text of sampled ids for the store, JSON and gold scorers: tokenizer_decode, with each
 * NUL byte (a token can decode to one) written as U+FFFD, since a C string, a store text
 * and an imported JSON string would all be cut there; ill-formed UTF-8 is left for the
 * writers to repair. *text is malloc'd. */
int policy_decode_text(const struct tokenizer *tokenizer, const int *ids, size_t count, char **text, rlhf_error *error);

/* A prompt's token ids as generation sees it: <|endoftext|> first (when the tokenizer has
 * it: a new document, GPT-2's convention), then the text's ids. *ids is malloc'd. */
int policy_prompt_ids(const struct tokenizer *tok, const char *text, int **ids, int *length, rlhf_error *error);

/* Tokenizes count prompts (each preceded by <|endoftext|>, as a new document), generates in one batch (stopping at <|endoftext|> and, if stop
 * is non-NULL, once the new text contains stop), and decodes (a NUL byte becoming U+FFFD, as
 * no C string, store text or imported JSON can hold one). sampling->eos_id and the
 * callback are set here. out has count entries. */
int policy_sample_texts(gpt_model *model, const struct tokenizer *tokenizer, const char *const *prompts, int count,
                        const policy_sampling *sampling, const char *stop, policy_text_sample *out,
                        rlhf_error *error);
void policy_text_sample_free(policy_text_sample *sample);

#endif
