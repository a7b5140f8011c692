/* reward: the reward model. A GPT-2 trunk with a scalar head (score.weight) read at the last
 * token, trained with the Bradley-Terry loss on the store's comparisons, evaluated for
 * accuracy, calibration and agreement with people, and normalised on samples from the
 * reference policy. Scoring and normalisation, which need no store, are in
 * rlhf/reward_model.h (included here). */
#ifndef RLHF_REWARD_H
#define RLHF_REWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "rlhf/nn.h"
#include "rlhf/reward_model.h"
#include "rlhf/store.h"

struct tokenizer;

/* ---------------------------------------------------------------- the loss */

/* One pair's loss and its gradient with respect to the two rewards.
 * Decided pair: -log sigmoid(r_chosen - r_rejected - margin).
 * Tie (tie = true, trained towards equal rewards): the mean of -log sigmoid(d) and
 * -log sigmoid(-d) with d = r_chosen - r_rejected (margin unused).
 * Plus center * (r_chosen + r_rejected)^2 (TRL's center_rewards_coefficient). */
void reward_pair_loss(double r_chosen, double r_rejected, double margin, bool tie, double center, double *loss,
                      double *d_chosen, double *d_rejected);

/* Llama 2's margins by strength: negligibly 0, slightly 1/3, better 2/3, significantly 1. */
double reward_margin_for_strength(int strength);

/* ---------------------------------------------------------------- data */

typedef struct reward_example {
    int64_t comparison_id, pair_id;
    int *chosen, *rejected;           /* token ids (for ties: a and b in pair order) */
    int chosen_length, rejected_length;
    bool tie;
    int strength;                      /* 0..4 */
    int annotator;                     /* index into reward_dataset.annotators */
    int agreement;                     /* -1 single annotator, 0 annotators disagreed, 1 all agreed */
    bool validation;
    char *chosen_text, *rejected_text; /* the responses, for gold scoring */
} reward_example;

typedef struct reward_dataset {
    reward_example *examples;
    long count;
    char **annotators;
    int annotator_count;
    long truncated_prompts, truncated_responses;  /* cut to fit, never dropped */
    long left_out_both_bad, left_out_skips, left_out_ties;
    double annotator_agreement;   /* share of agreeing annotator pairs on shared pairs (NAN if none) */
    long agreement_pairs;
} reward_dataset;

typedef struct reward_data_options {
    int max_length;          /* tokens per sequence, prompt cut from the left */
    bool ties_as_equal;      /* keep ties, trained towards equal rewards (else left out) */
    int validation_percent;  /* prompts whose text hashes below this go to validation, with all their pairs */
    bool drop_padding;       /* the model's config sets pad_token_id (reward_data_options_for_model): */
    int pad_token_id;        /* trailing padding is dropped, so the reward is read where transformers reads it */
} reward_data_options;

/* Sets options' padding fields from the model the sequences are for. */
void reward_data_options_for_model(reward_data_options *options, const struct gpt_model *model);

/* Whether a prompt is in the held-out split at validation_percent (a fixed hash of its
 * text): the prompts rm train validates on, which PPO leaves for evaluation. */
bool reward_prompt_held_out(const char *prompt, int validation_percent);

/* Reads every comparison of the store, tokenizes [<|endoftext|>] prompt response
 * [<|endoftext|>], and assigns each to train or validation by a hash of its prompt (fixed,
 * and every label of a prompt on one side, so evaluation never sees training texts). */
int reward_load_dataset(store *db, const struct tokenizer *tokenizer, const reward_data_options *options,
                        reward_dataset *data, rlhf_error *error);
void reward_dataset_free(reward_dataset *data);

/* ---------------------------------------------------------------- training */

/* What a finished training leaves in out_dir: the weights with the lowest validation loss
 * seen, or the last ones. */
typedef enum reward_keep { REWARD_KEEP_BEST, REWARD_KEEP_LAST } reward_keep;

typedef struct reward_train_options {
    const char *out_dir;
    int epochs, batch_pairs;
    int eval_every;                /* validate every N steps, besides each epoch's end (0: epoch ends only) */
    reward_keep keep;              /* best needs a validation set; without one the last weights are kept */
    int patience;                  /* stop after this many validations in a row without a lower loss (0: never) */
    nn_lr_schedule schedule;       /* total_steps is set from epochs and data */
    nn_adamw_config adamw;
    bool margin_from_strength;
    double center;                 /* reward centering coefficient (0: off) */
    uint64_t seed;
    bool resume;                   /* continue from out_dir's checkpoint (epoch boundary) */
    bool complete_finished;        /* with resume: a checkpoint whose training is over (every
                                      epoch, or stopped early) is completed, not refused: the
                                      run was cut off while saving its last files */
    int64_t run_id;                /* store run to log metrics into (0: none) */
    store *db;
} reward_train_options;

typedef struct reward_train_report {
    int step, steps, epoch;
    bool epoch_end;                /* the last step of an epoch: validation ran, a checkpoint was saved */
    bool evaluated;                /* validation ran at this step (every eval_every steps and at epoch ends) */
    bool best;                     /* this validation loss is the lowest so far */
    bool stopping;                 /* patience ran out: this is the last step */
    float loss, running_accuracy;  /* running over the current epoch */
    float val_loss, val_accuracy;  /* NAN when not evaluated this step or no validation pairs
                                      (accuracy also NAN when every validation pair is a tie) */
    float learning_rate;
} reward_train_report;

typedef void (*reward_train_callback)(const reward_train_report *report, void *user);

typedef struct reward_train_result {
    long train_pairs, val_pairs;
    int steps, start_epoch;
    float final_loss, val_loss, val_accuracy;  /* of the weights kept; NAN without validation pairs */
    double pairs_per_second;
    int evaluations;                           /* validations run (this run and the resumed one's) */
    int best_step;                             /* step of the lowest validation loss (0: none) */
    float best_val_loss, best_val_accuracy;    /* there (NAN: none) */
    bool kept_best;                            /* out_dir holds best_step's weights, not the last step's */
    int stopped_at;                            /* step early stopping ended training at (0: it ran every epoch) */
    bool completed_only;                       /* complete_finished: no step ran, the kept weights were settled */
} reward_train_result;

/* Pairs of data in the training split (not held out). */
long reward_training_pair_count(const reward_dataset *data);

/* The epochs a checkpoint in dir (training_state.safetensors, "epoch") has completed,
 * into *epoch, into *stopped_at (when not NULL) the step early stopping ended it at (0: it
 * did not stop early), and into *run_id (when not NULL) the store run it belongs to (0:
 * none recorded); fails naming the file when there is none or it is malformed. */
int reward_checkpoint_epoch(const char *dir, int *epoch, int *stopped_at, int64_t *run_id, rlhf_error *error);
/* Whether a checkpoint in dir that has trained `done` epochs and stopped early at step
 * stopped_at (0: it did not) can be resumed to `epochs` in all: -1, with an error saying
 * why not and what to do instead, when it stopped early or has done them all, unless
 * complete_finished (the training is over but its last files are to be written). */
int reward_check_resumable(const char *dir, int done, int stopped_at, int epochs, bool complete_finished,
                           rlhf_error *error);
/* Removes dir's training_state.safetensors and reward_best.safetensors, if there: a new
 * (not resumed) training does this before it writes anything else. */
int reward_remove_checkpoint(const char *dir, rlhf_error *error);

/* Trains model (which must have a scalar head) on the train split, evaluates on validation
 * every eval_every steps and after each epoch, logs metrics to the run, and saves out_dir
 * with a checkpoint each epoch (and, with keep best, the best weights so far beside it in
 * reward_best.safetensors, so a resume keeps them). Early stopping (patience) ends training
 * after `patience` validations in a row without a lower loss, saving a checkpoint there. At
 * the end out_dir holds the kept weights (best or last) and the model holds them too.
 * With resume, a checkpoint that has already completed options->epochs, or that stopped
 * early, is an error, unless complete_finished: then no step runs, and the end of training
 * (the best weights replacing the last, the side copy removed) is done if it was not. A non-finite loss or gradient stops training with "loss became
 * non-finite at step N ..." before the epoch's checkpoint: earlier checkpoints are left as
 * they were. */
int reward_train(gpt_model *model, const reward_dataset *data, const reward_train_options *options,
                 reward_train_callback callback, void *user, reward_train_result *result, rlhf_error *error);

/* dir/reward_training.json: what evaluation needs to rebuild training's split and
 * sequences (val_percent, max_length, ties_as_equal) and the store run (run_id, 0: none).
 * Loading returns 0 when read, 1 (error set) when the file does not exist, and -1 naming
 * the file and field when one is missing or wrong (val_percent an integer in [0, 90],
 * max_length an integer >= 4, ties_as_equal a boolean, run_id an integer >= 0 if given). */
int reward_save_training_settings(const reward_data_options *options, int64_t run_id, const char *dir,
                                  rlhf_error *error);
int reward_load_training_settings(reward_data_options *options, int64_t *run_id, const char *dir, rlhf_error *error);

/* ---------------------------------------------------------------- evaluation */

#define REWARD_CALIBRATION_BINS 10

typedef struct reward_group_accuracy {
    long pairs, correct;
} reward_group_accuracy;

/* Accuracy by how far apart the two sides are in gold score: bin b holds the pairs whose
 * |gold_chosen - gold_rejected| lies in [reward_gold_gap_edges[b], reward_gold_gap_edges[b+1])
 * (the edges are the scripted annotator's strength thresholds, 0.1, 0.3 and 0.6, so a bin
 * is a strength: negligibly, slightly, better, significantly). */
#define REWARD_GOLD_GAP_BINS 4
extern const double reward_gold_gap_edges[REWARD_GOLD_GAP_BINS + 1];

typedef struct reward_gap_accuracy {
    long pairs;          /* decided pairs with gold scores in the bin (gold ties excluded) */
    long correct;        /* of them, the model scored the side people chose higher */
    long gold_correct;   /* of them, the model ordered the two as the gold scores do */
} reward_gap_accuracy;

typedef struct reward_evaluation {
    long pairs;                        /* decided pairs evaluated (ties are not scored for accuracy) */
    double accuracy, accuracy_low, accuracy_high;   /* Wilson 95% interval */
    double loss, loss_half_width;      /* mean Bradley-Terry loss +- 1.96 standard errors */
    double margin, margin_half_width;  /* mean r_chosen - r_rejected */
    double mean_reward;
    double ece;                        /* expected calibration error: the model prefers the side with
                                          the higher reward with confidence sigmoid(|r_a - r_b|) */
    long bin_count[REWARD_CALIBRATION_BINS];
    double bin_confidence[REWARD_CALIBRATION_BINS], bin_accuracy[REWARD_CALIBRATION_BINS];
    reward_group_accuracy *by_annotator;   /* data->annotator_count entries */
    reward_group_accuracy by_strength[5];  /* index = strength (0 = not given) */
    reward_group_accuracy agreed, disagreed, single;
    double annotator_agreement;        /* the ceiling: how often annotators agree with each other */
    long gold_pairs;                   /* pairs with gold scores (oracle available) */
    double gold_accuracy;              /* RM ordering matches the gold scores (NAN without) */
    double gold_accuracy_low, gold_accuracy_high;  /* its Wilson 95% interval */
    double label_gold_accuracy;        /* the labels' own agreement with the gold scores on
                                          those pairs: the ceiling a reward model can reach
                                          against gold by learning the labels (NAN without) */
    reward_gap_accuracy by_gold_gap[REWARD_GOLD_GAP_BINS];
} reward_evaluation;

/* Optional gold scorer for agreement with an oracle: returns the gold score of a response. */
typedef double (*reward_gold_scorer)(const char *response, void *user);

/* Scores both sides of every selected pair (validation only, or all) in batches of
 * batch_size sequences: *rewards (malloc'd, 2 x *pair_count floats; NULL when there are no
 * such pairs) holds pair k's chosen side at 2k and its rejected side at 2k + 1, in example
 * order. */
int reward_score_pairs(gpt_model *model, const reward_dataset *data, bool validation_only, int batch_size,
                       float **rewards, long *pair_count, rlhf_error *error);

/* Scores every selected example (validation only, or all) and computes the evaluation. */
int reward_evaluate(gpt_model *model, const reward_dataset *data, bool validation_only, int batch_size,
                    reward_gold_scorer gold, void *gold_user, reward_evaluation *evaluation, rlhf_error *error);
/* The evaluation from given rewards: rewards[2k] and rewards[2k + 1] are the chosen and the
 * rejected side's rewards of the k-th selected example (validation only, or all, in data's
 * order). reward_evaluate scores the model and calls it; tests give it worked rewards. */
int reward_evaluate_rewards(const reward_dataset *data, bool validation_only, const float *rewards,
                            reward_gold_scorer gold, void *gold_user, reward_evaluation *evaluation, rlhf_error *error);
void reward_evaluation_free(reward_evaluation *evaluation);

/* The baseline beside the model: a unigram logistic regression on token counts (chosen
 * minus rejected), fitted on the decided training pairs with an L2 penalty chosen from
 * {1e-5, 1e-4, 1e-3, 1e-2, 1e-1} by the loss on every fifth of them, scored on the same pairs
 * as reward_evaluate with the same rules (chosen strictly higher; gold ties excluded). */
typedef struct reward_unigram_baseline {
    long train_pairs;                   /* decided training pairs it was fitted on */
    double l2;                          /* the penalty chosen */
    long pairs;                         /* decided pairs evaluated */
    double accuracy, accuracy_low, accuracy_high;   /* Wilson 95% interval */
    double loss;                        /* mean -log sigmoid(s) over them, as the model's loss */
    long gold_pairs;
    double gold_accuracy;               /* NAN without gold scores */
    double gold_accuracy_low, gold_accuracy_high;
} reward_unigram_baseline;

/* Fits the baseline on data's training split (token ids in [0, vocab_size)) and scores it
 * on the validation split (validation_only) or on every pair. Deterministic: the objective
 * is strictly convex and the fit starts at zero. Fails with fewer than two decided
 * training pairs. */
int reward_fit_unigram_baseline(const reward_dataset *data, int vocab_size, bool validation_only,
                                reward_gold_scorer gold, void *gold_user, reward_unigram_baseline *baseline,
                                rlhf_error *error);

/* Wilson score interval for k successes in n trials at z = 1.96. */
void reward_wilson_interval(long k, long n, double *low, double *high);
/* Expected calibration error: confidences in [0.5, 1] (the probability the model gives its
 * preferred side) in `bins` equal-width bins over [0.5, 1], outcomes 1 where that side is
 * the one people chose: sum over bins of (bin size / n) * |accuracy - mean confidence|. */
double reward_expected_calibration_error(const double *probabilities, const int *outcomes, long n, int bins,
                                         long *bin_count, double *bin_confidence, double *bin_accuracy);

#endif
