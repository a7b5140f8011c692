/* nn: the transformer engine. A GPT-2 decoder with an LM head tied to the token embedding
 * and an optional scalar head (reward / value), forward and backward over padded batches,
 * AdamW, learning-rate schedules, safetensors I/O and Hugging Face model directories.
 *
 * Memory lives in a few arenas, each one allocation sized from the config before any work
 * starts: parameters, gradients, activations (for a reserved batch size and length) and the
 * optimizer's moments. Every op runs through a compute backend (nn/backend.h), so the
 * same model code runs on the CPU and on CUDA. */
#ifndef RLHF_NN_H
#define RLHF_NN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlhf/util.h"

typedef struct nn_backend nn_backend;

/* How a weight matrix is stored: [in, out] (Hugging Face Conv1D, GPT-2's linear layers)
 * or [out, in] (nn.Linear: the tied LM head and the scalar head). */
typedef enum nn_weight_layout { NN_WEIGHT_IN_OUT, NN_WEIGHT_OUT_IN } nn_weight_layout;

/* ---------------------------------------------------------------- backends */

/* Picks a backend by name: "cpu", "cuda" or "auto" (CUDA when a GPU is usable, else CPU).
 * *chosen_name says which one was picked. */
const nn_backend *nn_backend_select(const char *name, const char **chosen_name, rlhf_error *error);
const char *nn_backend_name(const nn_backend *backend);

/* The name OpenBLAS gives the kernels the CPU backend's matrix products run on ("Haswell",
 * "SkylakeX", ...): chosen when the library loads, or by OPENBLAS_CORETYPE. Benchmarks
 * record it, since the same machine can run different kernels. */
const char *nn_cpu_blas_core(void);

/* ---------------------------------------------------------------- config */

typedef struct gpt_config {
    int vocab_size;
    int n_positions;     /* longest sequence the position embedding covers */
    int n_embd;          /* C, the width of the residual stream */
    int n_layer;
    int n_head;
    float layer_norm_epsilon;
    float embd_pdrop, resid_pdrop, attn_pdrop; /* dropout probabilities (used only when training) */
    bool has_score_head; /* score.weight [1, n_embd], as in GPT2ForSequenceClassification */
    int bos_token_id, eos_token_id, pad_token_id; /* -1 when unset */
} gpt_config;

/* Fills config from a named size: "tiny" (~1.9M parameters) or "gpt2" (124M, GPT-2 small).
 * Other names fail. */
int gpt_config_named(gpt_config *config, const char *name, rlhf_error *error);
/* Checks sizes are positive and consistent (n_embd divisible by n_head). */
int gpt_config_validate(const gpt_config *config, rlhf_error *error);
/* Reads / writes a Hugging Face GPT-2 config.json. */
int gpt_config_load(gpt_config *config, const char *path, rlhf_error *error);
int gpt_config_save(const gpt_config *config, const char *path, rlhf_error *error);

/* ---------------------------------------------------------------- parameters */

/* One parameter tensor: its Hugging Face name, shape and place in the parameter arena. */
typedef struct gpt_tensor {
    char name[48];
    int ndim;
    int shape[2];
    size_t offset;   /* in floats from the start of the arena */
    size_t count;
    bool decay;      /* weight decay applies by default (matrices, not biases/LayerNorm/embeddings) */
} gpt_tensor;

/* Pointers to every tensor of one layer; used for parameters and for gradients alike. */
typedef struct gpt_layer_tensors {
    float *ln_1_weight, *ln_1_bias;
    float *attn_c_attn_weight, *attn_c_attn_bias;   /* [C, 3C], [3C] */
    float *attn_c_proj_weight, *attn_c_proj_bias;   /* [C, C], [C] */
    float *ln_2_weight, *ln_2_bias;
    float *mlp_c_fc_weight, *mlp_c_fc_bias;         /* [C, 4C], [4C] */
    float *mlp_c_proj_weight, *mlp_c_proj_bias;     /* [4C, C], [C] */
} gpt_layer_tensors;

typedef struct gpt_tensors {
    float *wte, *wpe;                 /* [V, C], [n_positions, C] */
    gpt_layer_tensors *layers;        /* n_layer entries */
    float *ln_f_weight, *ln_f_bias;
    float *score_weight;              /* [1, C] or NULL */
} gpt_tensors;

/* ---------------------------------------------------------------- activations */

typedef struct gpt_layer_activations {
    float *ln_1, *ln_1_mean, *ln_1_rstd;  /* [N,C], [N], [N] */
    float *qkv;                           /* [N,3C] */
    float *attn_probs;                    /* [B,NH,T,T] */
    float *attn_out;                      /* [N,C] before the output projection */
    float *attn_proj;                     /* [N,C] */
    float *residual_2;                    /* [N,C] = residual in + attn_proj */
    float *ln_2, *ln_2_mean, *ln_2_rstd;
    float *fc;                            /* [N,4C] before GELU */
    float *fc_gelu;                       /* [N,4C] */
    float *mlp_proj;                      /* [N,C] */
    float *residual_3;                    /* [N,C] = residual_2 + mlp_proj (the layer output) */
} gpt_layer_activations;

typedef struct gpt_activations {
    float *encoded;                       /* [N,C] embeddings */
    gpt_layer_activations *layers;
    float *ln_f, *ln_f_mean, *ln_f_rstd;  /* [N,C], [N], [N] */
    float *logits;                        /* [N,V]; overwritten by its gradient in backward */
    float *logprobs;                      /* [N] */
    float *entropies;                     /* [N] entropy of each scored position's distribution */
    float *values;                        /* [N] scalar head */
    float *last_hidden;                   /* [B,C] rows gathered for the cached path's LM head */
    int *rows;                            /* [B] which rows to gather */
    /* backward scratch (training only) */
    float *d_residual, *d_branch, *d_ln;  /* [N,C] each */
    float *d_qkv;                         /* [N,3C] */
    float *d_fc, *d_fc_gelu;              /* [N,4C] */
    float *d_attn_scratch;                /* [B,NH,T,T] */
    float *d_logprobs, *d_values;         /* [N] */
    /* integer inputs, on the backend's memory */
    int *tokens, *positions, *targets, *key_mask; /* [N] each */
} gpt_activations;

/* ---------------------------------------------------------------- the model */

typedef struct gpt_model {
    gpt_config config;
    const nn_backend *backend;
    gpt_tensor *tensors;      /* the parameter table, in a fixed order */
    int tensor_count;
    size_t parameter_count;
    float *parameters;        /* arena of parameter_count floats */
    float *gradients;         /* arena of parameter_count floats, NULL until training is reserved */
    gpt_tensors params, grads;
    /* activations, for batches of at most max_batch rows, max_tokens positions (B x T) and
     * max_attention causal-attention cells per head (B x T x T) */
    int max_batch;
    size_t max_tokens, max_attention;
    bool reserved_for_training;
    void *activation_arena;
    void *scored_logits;      /* a scalar-head model's logits, allocated when first needed */
    size_t activation_bytes;
    gpt_activations acts;
    /* state of the last forward, which backward uses */
    int batch_size, seq_len;
    bool have_logits, have_values;
    int target_count;
    float temperature;
    bool training;            /* dropout on (only when config pdrop > 0) */
    uint64_t dropout_seed;
    uint64_t forward_count;
} gpt_model;

/* Creates a model with the given config on backend; parameters are zero. */
int gpt_create(gpt_model *model, const gpt_config *config, const nn_backend *backend,
               rlhf_error *error);
void gpt_destroy(gpt_model *model);

/* Gives a model without a scalar head one (score.weight, normal(0, 1/sqrt(n_embd + 1)) from
 * seed), keeping every other parameter: the trunk of a reward or value model. Must be called
 * before gpt_reserve(..., training). */
int gpt_add_score_head(gpt_model *model, uint64_t seed, rlhf_error *error);

/* GPT-2's initialisation: normal(0, 0.02) for matrices and embeddings, the output
 * projections scaled by 1/sqrt(2 * n_layer), LayerNorm weights 1, biases 0, and the scalar
 * head normal(0, 1/sqrt(n_embd + 1)). Returns 0, or -1 with error set when out of host memory,
 * leaving the parameters as they were. */
int gpt_init_random(gpt_model *model, uint64_t seed, rlhf_error *error);

/* Allocates activations (and, for training, gradients and backward scratch) for batches of
 * up to max_batch sequences of up to max_seq_len tokens. Calling it again with a batch that
 * does not fit reallocates to cover both, counted in rows, positions (B x T) and attention
 * cells (B x T x T) rather than in B and T apart: 64 x 16 after 16 x 64 needs no more
 * positions, so generation's wide batch and training's long one share an arena. */
int gpt_reserve(gpt_model *model, int max_batch, int max_seq_len, bool training,
                rlhf_error *error);

/* Bytes each arena takes (or would take, for the reserved size). */
typedef struct gpt_memory {
    size_t parameters, gradients, activations;
} gpt_memory;
gpt_memory gpt_memory_use(const gpt_model *model);

/* Copies a parameter tensor between the model and host memory (tests, I/O). */
const gpt_tensor *gpt_find_tensor(const gpt_model *model, const char *name);
void gpt_read_tensor(const gpt_model *model, const gpt_tensor *tensor, float *host, bool gradient);
void gpt_write_tensor(gpt_model *model, const gpt_tensor *tensor, const float *host);
/* All parameters (or gradients) to / from one host array of parameter_count floats. */
void gpt_read_parameters(const gpt_model *model, float *host, bool gradient);
void gpt_write_parameters(gpt_model *model, const float *host);

/* ---------------------------------------------------------------- forward / backward */

/* A batch of B token sequences padded to length T. */
typedef struct gpt_batch {
    int batch_size, seq_len;
    const int *tokens;          /* [B*T] */
    const int *attention_mask;  /* [B*T], 1 real / 0 padding; NULL = all real */
    const int *targets;         /* [B*T] token each position predicts, < 0 = not scored; or NULL */
    float temperature;          /* log-probs use logits / temperature; 0 means 1 */
    bool want_logits;           /* run the LM head even without targets */
    bool want_values;           /* run the scalar head (model must have one) */
} gpt_batch;

/* What a forward pass returns to the host. Every pointer may be NULL. */
typedef struct gpt_outputs {
    float loss;                 /* mean of -logprob over scored targets (0 if none) */
    int target_count;           /* how many targets were scored */
    float *target_logprobs;     /* [B*T]: log p(target) at each position, 0 where not scored */
    float *target_entropies;    /* [B*T]: entropy of softmax(logits / temperature) at each scored
                                 * position, 0 where not scored (needs targets) */
    float *values;              /* [B*T]: scalar head at each position */
    float *last_values;         /* [B]: scalar head at each sequence's last real token */
    int *last_index;            /* [B]: position of each sequence's last real token */
} gpt_outputs;

/* Position ids as Hugging Face computes them for a padded batch: the count of real tokens
 * before each position (cumsum(mask) - 1), and 1 at padding positions. */
void gpt_position_ids(const int *attention_mask, int B, int T, int *positions);
/* Index of the last real token of each sequence (-1 for an all-padding row). */
void gpt_last_token_index(const int *attention_mask, int B, int T, int *last_index);

int gpt_forward(gpt_model *model, const gpt_batch *batch, gpt_outputs *outputs, rlhf_error *error);

/* Copies the last forward's logits [B,T,V] to host (requires targets or want_logits). */
void gpt_copy_logits(const gpt_model *model, float *host);

/* Backward of the last forward for the objective
 *     sum_n d_logprobs[n] * target_logprobs[n] + sum_n d_values[n] * values[n],
 * adding parameter gradients into model->grads. Either array may be NULL; both are host
 * arrays of B*T floats. */
int gpt_backward(gpt_model *model, const float *d_logprobs, const float *d_values, rlhf_error *error);
/* Backward of the mean cross-entropy loss the last forward reported. */
int gpt_backward_loss(gpt_model *model, rlhf_error *error);
void gpt_zero_grad(gpt_model *model);

/* ---------------------------------------------------------------- generation with a KV cache */

/* Keys and values of every layer for B sequences of up to max_len positions, in one
 * backend allocation, plus the attention mask and real-token count of each sequence. */
typedef struct gpt_kv_cache {
    const nn_backend *backend;
    int batch_size, max_len, n_layer, n_embd, n_head;
    float *memory;        /* [n_layer][keys, values][B, NH, max_len, hs] */
    int *key_mask;        /* backend [B, max_len]: 1 where a real token was cached */
    int *host_mask;       /* host copy */
    int *real_count;      /* host [B]: real tokens cached so far (the next position id) */
    int length;           /* positions filled (same for every row; padding included) */
} gpt_kv_cache;

int gpt_kv_cache_create(gpt_kv_cache *cache, const gpt_model *model, int batch_size, int max_len,
                        rlhf_error *error);
void gpt_kv_cache_destroy(gpt_kv_cache *cache);
/* Empties the cache for a new batch (memory is kept). */
void gpt_kv_cache_reset(gpt_kv_cache *cache);

/* Runs T new positions of each of the cache's B sequences (tokens [B*T], attention_mask
 * [B*T] or NULL for all real) on top of what the cache holds, appends their keys and
 * values, and leaves the logits of each row's last new position on the backend for
 * gpt_sample_next / gpt_copy_next_logits. Position ids continue each row's real-token
 * count, as Hugging Face's generate computes them. The model must be reserved for at
 * least B x T. On failure the cache is left part-filled: reset it before using it again. */
int gpt_forward_cached(gpt_model *model, gpt_kv_cache *cache, const int *tokens,
                       const int *attention_mask, int T, rlhf_error *error);
/* Copies the last gpt_forward_cached's logits [B, V] to host. */
void gpt_copy_next_logits(const gpt_model *model, int B, float *host);
/* Samples one token per row from the last gpt_forward_cached's logits (see the backend's
 * sample_tokens: temperature 0 is greedy). uniforms [B] host random numbers in [0, 1);
 * tokens and logprobs [B] host outputs. Returns 0, or -1 with the backend's error when it
 * could not draw (the CPU backend out of host memory for its scratch): tokens are then not
 * valid. */
int gpt_sample_next(gpt_model *model, int B, const float *uniforms, float temperature, int top_k,
                    float top_p, int *tokens, float *logprobs, rlhf_error *error);

/* FLOPs of one training step per token, llm.c's convention: 6N + 6 L C T. */
double gpt_training_flops_per_token(const gpt_config *config, size_t parameter_count, int seq_len);

/* Mean next-token loss of token sequences, each predicted from its own start (sequences
 * longer than n_positions are cut into consecutive windows). Batches of batch_size rows,
 * padded on the right. Reserves the model for inference at that size. */
int gpt_sequence_loss(gpt_model *model, const int *ids, const size_t *starts, size_t sequence_count,
                      int batch_size, double *mean_loss, long *token_count, rlhf_error *error);

/* ---------------------------------------------------------------- optimizer */

typedef enum nn_lr_kind { NN_LR_CONSTANT, NN_LR_LINEAR, NN_LR_COSINE } nn_lr_kind;

/* Learning rate: linear warm-up from 0 over warmup_steps, then constant, linear decay or
 * cosine decay to final_fraction * peak at total_steps. */
typedef struct nn_lr_schedule {
    nn_lr_kind kind;
    float peak;
    float final_fraction;
    int warmup_steps;
    int total_steps;
} nn_lr_schedule;

/* Parses "constant", "linear" or "cosine". */
int nn_lr_kind_parse(const char *text, nn_lr_kind *kind, rlhf_error *error);
/* Learning rate for step (0-based). */
float nn_lr_at(const nn_lr_schedule *schedule, int step);

typedef struct nn_adamw_config {
    float beta1, beta2, epsilon, weight_decay;
    bool decay_all;       /* also decay biases, LayerNorm and embeddings */
    float max_grad_norm;  /* clip the global gradient norm to this; 0 = no clipping */
} nn_adamw_config;

/* Defaults: betas (0.9, 0.999), epsilon 1e-8, weight decay 0.0, clipping at 1.0. */
nn_adamw_config nn_adamw_defaults(void);

typedef struct nn_adamw {
    nn_adamw_config config;
    const nn_backend *backend;
    const gpt_model *model;   /* the model it was created for: its moments fit no other */
    size_t count;
    float *m, *v;   /* one arena of 2 * count floats */
    long step;      /* updates taken */
} nn_adamw;

int nn_adamw_create(nn_adamw *optimizer, const gpt_model *model, const nn_adamw_config *config,
                    rlhf_error *error);
void nn_adamw_destroy(nn_adamw *optimizer);
/* The global L2 norm of the model's gradients. */
float gpt_grad_norm(const gpt_model *model);
/* Whether optimizer was created for model (the same model, with as many parameters); if
 * not, sets error saying so and returns -1. A trainer with several models (PPO's policy
 * and value) checks this once before its first step. */
int nn_adamw_check(const nn_adamw *optimizer, const gpt_model *model, rlhf_error *error);
/* Clips (if configured) and applies one update at learning_rate. Returns the gradient norm
 * before clipping; NAN, changing nothing, when the optimizer belongs to another model
 * (nn_adamw_check), so a trainer's finiteness check stops there instead of applying one
 * model's moments to another. */
float nn_adamw_step(nn_adamw *optimizer, gpt_model *model, float learning_rate);
/* Whether a training value (a loss, the gradient norm) is finite. If not, sets error to
 * "WHAT became non-finite at step STEP (learning rate too high?)" (step 0: "before
 * training") and returns false: every trainer stops there, so no diverged model is saved. */
bool nn_training_value_finite(double value, const char *what, int step, rlhf_error *error);

/* ---------------------------------------------------------------- safetensors */

typedef enum safetensors_dtype {
    SAFETENSORS_F64, SAFETENSORS_F32, SAFETENSORS_F16, SAFETENSORS_BF16,
    SAFETENSORS_I64, SAFETENSORS_I32, SAFETENSORS_U8
} safetensors_dtype;

typedef struct safetensors_tensor {
    char *name;
    safetensors_dtype dtype;
    int ndim;
    int64_t shape[8];
    size_t count;
    size_t begin, end;   /* byte range in the data section */
} safetensors_tensor;

/* A safetensors file read and validated whole: header length, JSON, dtypes, shapes that
 * agree with byte ranges, ranges inside the file and not overlapping. */
typedef struct safetensors_file {
    char *path;
    unsigned char *bytes;
    size_t size;
    size_t data_offset;
    safetensors_tensor *tensors;
    int tensor_count;
    char **metadata_keys, **metadata_values;  /* "__metadata__" string map */
    int metadata_count;
} safetensors_file;

int safetensors_open(safetensors_file *file, const char *path, rlhf_error *error);
void safetensors_close(safetensors_file *file);
const safetensors_tensor *safetensors_find(const safetensors_file *file, const char *name);
const char *safetensors_metadata(const safetensors_file *file, const char *key);
/* Reads metadata key as a non-negative decimal integer (at most 2^31 - 1) into *value:
 * returns 0, or 1 when the key is absent (*value unchanged), or -1 with error naming the
 * file, the key and the text when it is malformed. The training states of every trainer
 * keep their counters (step, epoch, ...) this way. */
int safetensors_metadata_count(const safetensors_file *file, const char *key, int *value, rlhf_error *error);
/* Converts a tensor (F64/F32/F16/BF16) to float32. */
int safetensors_read_f32(const safetensors_file *file, const safetensors_tensor *tensor, float *out,
                         rlhf_error *error);
/* Converts an integer tensor (I64/I32/U8) to int. */
int safetensors_read_i32(const safetensors_file *file, const safetensors_tensor *tensor, int *out,
                         rlhf_error *error);

/* Collects tensors (host pointers, not copied) and metadata, then writes them atomically.
 * A failed add or set_metadata (name too long, too many entries, out of memory) is kept and
 * reported by the save, which then writes nothing: a caller may check only the save. */
typedef struct safetensors_writer {
    int count;
    size_t capacity;
    struct safetensors_entry {
        char name[128];
        safetensors_dtype dtype;
        int ndim;
        int64_t shape[8];
        const void *data;
    } *entries;
    int metadata_count;
    char *metadata_keys[32], *metadata_values[32];
    bool failed;            /* an add or set_metadata failed: the save refuses */
    rlhf_error failure;     /* why (the first failure) */
} safetensors_writer;

void safetensors_writer_init(safetensors_writer *writer);
int safetensors_writer_add(safetensors_writer *writer, const char *name, safetensors_dtype dtype,
                           int ndim, const int64_t *shape, const void *data);
int safetensors_writer_set_metadata(safetensors_writer *writer, const char *key, const char *value);
int safetensors_writer_save(safetensors_writer *writer, const char *path, rlhf_error *error);
void safetensors_writer_free(safetensors_writer *writer);

/* ---------------------------------------------------------------- model directories */

/* Loads config.json + model.safetensors from dir (a directory saved by this project or by
 * transformers' GPT2LMHeadModel / GPT2ForSequenceClassification). Every tensor is checked
 * against the config before anything is kept; on failure model is left empty. A directory
 * that a training run marked unfinished (nn_run_mark_unfinished) is refused, naming the
 * command that would continue it. */
int gpt_load(gpt_model *model, const char *dir, const nn_backend *backend, rlhf_error *error);
/* gpt_load for the trainer that continues an unfinished run (--resume): the same checks,
 * without refusing the run's own mark. */
int gpt_load_checkpoint(gpt_model *model, const char *dir, const nn_backend *backend, rlhf_error *error);
/* Saves config.json and model.safetensors into dir (created if missing), atomically. */
int gpt_save(const gpt_model *model, const char *dir, rlhf_error *error);

/* Training state for resuming, in dir/training_state.safetensors: the AdamW moments and
 * step, and caller-provided metadata (string pairs, e.g. RNG state and data position). */
int nn_training_state_save(const nn_adamw *optimizer, const gpt_model *model, const char *dir,
                           const char *const *keys, const char *const *values, int count,
                           rlhf_error *error);
/* Loads the moments into optimizer (created for model) and returns the metadata file
 * (caller closes it) so the caller can read its own keys. */
int nn_training_state_load(nn_adamw *optimizer, const gpt_model *model, const char *dir,
                           safetensors_file *state, rlhf_error *error);

/* ---------------------------------------------------------------- unfinished runs */

/* How every trainer (pretrain, sft, rm train, ppo) keeps an output directory from ever
 * passing for a finished model it is not: before it changes anything in dir, nn_run_begin
 * writes dir/unfinished.json (atomically, naming the command, e.g. "rlhf ppo"); only after
 * its last file is in place does nn_run_finish remove it. A run killed, diverged or out of
 * disk in between leaves the mark, so gpt_load refuses the directory and --resume
 * (gpt_load_checkpoint) continues it where the command is resumable. */
typedef struct nn_run_output {
    char dir[4096];
    bool created;         /* the run made the directory */
    bool was_unfinished;  /* it carried the mark already (a checkpoint being resumed) */
} nn_run_output;

/* Marks dir unfinished (creating it when missing) and fills output for finish/abandon. */
int nn_run_begin(nn_run_output *output, const char *dir, const char *command, bool resumable, rlhf_error *error);
/* Removes the mark (durably: the directory is synced): the directory is a finished model. */
int nn_run_finish(const nn_run_output *output, rlhf_error *error);
/* After a failure: a directory this run created and left holding nothing but the mark is
 * removed; one that existed is given its old state back (the mark removed) only when the
 * caller says the run wrote nothing into it and it was not an unfinished checkpoint
 * already. Otherwise the mark stays. Never fails (the failure being handled matters more). */
void nn_run_abandon(const nn_run_output *output, bool wrote);
/* Whether dir carries the unfinished mark of a run that did not end. */
bool nn_run_is_unfinished(const char *dir);
/* 0 when dir carries no unfinished mark; otherwise -1 with an error naming the command. */
int nn_run_check_finished(const char *dir, rlhf_error *error);

#endif
