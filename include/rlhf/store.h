/* store: the SQLite preference store. One file in WAL mode holds prompts, the models that
 * wrote completions, the completions, the queue of pairs to label, every comparison and
 * ranking annotators make, the annotators, and training runs with their metrics. All SQL of
 * the project lives in store/; every statement is prepared, every multi-row change is one
 * transaction, and a busy timeout lets several labeling apps share one file.
 *
 * Choices name the pair's completions, not screen sides: "a" means completion_a won,
 * whichever side it was shown on; the side is recorded separately (left_completion_id). */
#ifndef RLHF_STORE_H
#define RLHF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rlhf/util.h"

/* The schema version this build writes (PRAGMA user_version). Older stores are migrated on
 * open; newer ones are refused untouched. */
#define STORE_SCHEMA_VERSION 3

typedef struct store store;   /* opaque: one open connection */

/* Opens the store at path, creating it when there is no file (rlhf init) and migrating an
 * older one. Refused, the file untouched: a file that is not SQLite, a store from a newer
 * version, and an SQLite database that is not an rlhf store (tables of its own without our
 * schema version, or a version without our tables). */
int store_open(store **out, const char *path, rlhf_error *error);
/* Like store_open, for every command but init: never creates a store. A missing path fails
 * with "PATH: no such store (create it with rlhf init --db PATH)", an empty file likewise. */
int store_open_existing(store **out, const char *path, rlhf_error *error);
void store_close(store *db);
const char *store_path(const store *db);
/* Runs PRAGMA integrity_check; *ok is true when it answers "ok". */
int store_integrity_check(store *db, bool *ok, rlhf_error *error);

/* ---------------------------------------------------------------- choices */

typedef enum store_choice {
    STORE_CHOICE_A, STORE_CHOICE_B, STORE_CHOICE_TIE, STORE_CHOICE_BOTH_BAD, STORE_CHOICE_SKIP
} store_choice;

/* "a", "b", "tie", "both-bad", "skip" */
const char *store_choice_name(store_choice choice);
int store_choice_parse(const char *text, store_choice *choice);

/* Strength of an a/b choice: 1 negligibly, 2 slightly, 3 better, 4 significantly better;
 * 0 when not given or not applicable. */
const char *store_strength_name(int strength);

/* ---------------------------------------------------------------- prompts */

typedef struct store_import_result {
    long imported, duplicates;
} store_import_result;

/* Imports a JSONL file of {"prompt": text, "id"?: string, ...metadata} in one transaction.
 * A prompt whose id, or whose text (whatever its id), is already stored, or came earlier in
 * the file, is a duplicate and skipped (counted). Any malformed line, invalid UTF-8 or non-string prompt fails the whole
 * import naming the line; nothing of the file is written then. */
int store_import_prompts(store *db, const char *path, store_import_result *result, rlhf_error *error);

typedef struct store_prompt {
    int64_t id;
    char *text;
    char *external_id;   /* the "id" it was imported with; NULL when none */
} store_prompt;

/* Prompts in id order, at most limit (0: all); without completions from model_id if
 * model_id > 0. *prompts is malloc'd; free with store_prompts_free. */
int store_list_prompts(store *db, int64_t without_model_id, int limit, store_prompt **prompts, int *count,
                       rlhf_error *error);
void store_prompts_free(store_prompt *prompts, int count);

/* ---------------------------------------------------------------- models and completions */

/* Registers a model directory by path and content hash (returns the existing id when the
 * hash is known). */
int store_add_model(store *db, const char *path, const char *content_hash, int64_t *model_id, rlhf_error *error);

typedef struct store_new_completion {
    int64_t prompt_id;
    const char *text;
    int token_count;
    const char *sampling_json;   /* the sampling settings, as JSON */
    double score;                /* STORE_PAIRS_CLOSEST: what the pair is chosen by (a reward) */
} store_new_completion;

/* How pairs of a prompt's completions are queued: every pair, one random pair, or the one
 * pair whose completions' scores are closest (the pair a reward model is least sure of,
 * for active selection; ties go to the first such pair in completion order). */
typedef enum store_pairing { STORE_PAIRS_ALL, STORE_PAIRS_RANDOM, STORE_PAIRS_CLOSEST } store_pairing;

typedef struct store_queue_options {
    store_pairing pairing;   /* all K(K-1)/2 pairs, or one random pair per prompt */
    int overlap;             /* distinct annotators each pair needs (>= 1) */
    uint64_t seed;           /* for the random pair and for which side is shown first */
    bool new_prompts_only;   /* leave out a prompt that already has completions from the
                                model (another run sampled it meanwhile), counted */
} store_queue_options;

/* The id of the model with this content hash; *model_id is 0 when it is not registered
 * (nothing is written either way). */
int store_find_model(store *db, const char *content_hash, int64_t *model_id, rlhf_error *error);

/* What adding completions queued: pairs, and pairs left out because both completions are
 * the same text (there is nothing to compare; a label would be a coin flip). */
typedef struct store_queue_counts {
    long queued, identical;
    long prompts_left_out; /* with new_prompts_only: prompts already sampled, nothing added */
} store_queue_counts;

/* Adds completions (grouped by prompt, in the order given) from model_id and queues pairs
 * of each prompt's new completions, all in one transaction; *counts says how many. A pair
 * of identical texts is never queued: with pairing "all" it is left out, with "random" the
 * draw moves on to the next pair of different texts (none: the prompt gets no pair). */
int store_add_completions(store *db, int64_t model_id, const store_new_completion *completions, int count,
                          const store_queue_options *queue, store_queue_counts *counts, rlhf_error *error);
/* The same, registering the model (as store_add_model) in that transaction, so a failure
 * leaves no model row behind; *model_id gets its id. */
int store_add_model_completions(store *db, const char *model_path, const char *content_hash, int64_t *model_id,
                                const store_new_completion *completions, int count, const store_queue_options *queue,
                                store_queue_counts *counts, rlhf_error *error);

/* ---------------------------------------------------------------- annotators and the queue */

typedef enum store_annotator_kind { STORE_ANNOTATOR_HUMAN, STORE_ANNOTATOR_ORACLE, STORE_ANNOTATOR_IMPORT } store_annotator_kind;

/* Returns the annotator's id, creating it if new. Names are 1 to STORE_ANNOTATOR_NAME_MAX
 * printable bytes of valid UTF-8. */
#define STORE_ANNOTATOR_NAME_MAX 64
int store_annotator(store *db, const char *name, store_annotator_kind kind, int64_t *annotator_id,
                    rlhf_error *error);

typedef struct store_annotator_info {
    int64_t id;
    char *name;
    long labels;
} store_annotator_info;
int store_list_annotators(store *db, store_annotator_info **annotators, int *count, rlhf_error *error);
void store_annotators_free(store_annotator_info *annotators, int count);

/* A queued pair as an annotator sees it: the prompt and the two completions in the order
 * to show them (left first). Other annotators' choices are never part of it. */
typedef struct store_pair {
    int64_t pair_id;
    int64_t prompt_id;
    char *prompt;
    int64_t left_completion_id, right_completion_id;
    char *left_text, *right_text;
    bool left_is_a;          /* whether the left completion is the pair's completion_a */
} store_pair;

/* The next pair for annotator: one they have not labeled that still needs annotators
 * (gold pairs included, unannounced), oldest first. *found is false when the queue is
 * empty for them. */
int store_next_pair(store *db, int64_t annotator_id, store_pair *pair, bool *found, rlhf_error *error);
/* The same, among pairs whose id is above after_pair_id: a scripted annotator walking the
 * queue passes the last pair it handled, so each call starts where the last one stopped
 * instead of passing over every pair already labeled (which made a whole pass quadratic). */
int store_next_pair_after(store *db, int64_t annotator_id, int64_t after_pair_id, store_pair *pair, bool *found,
                          rlhf_error *error);
void store_pair_free(store_pair *pair);

typedef struct store_queue_progress {
    long done;          /* pairs this annotator has labeled */
    long remaining;     /* pairs they could still label */
} store_queue_progress;
int store_queue_progress_for(store *db, int64_t annotator_id, store_queue_progress *progress, rlhf_error *error);

/* Marks a queued pair as gold with its known answer (a, b or tie). */
int store_set_gold(store *db, int64_t pair_id, store_choice answer, rlhf_error *error);

/* ---------------------------------------------------------------- comparisons */

typedef struct store_label {
    int64_t pair_id;
    int64_t annotator_id;
    store_choice choice;
    int strength;                 /* 1..4 for a/b, else 0 */
    const char *const *flags;     /* names from store_flag_kinds */
    int flag_count;
    const char *rationale;        /* optional, NULL or "" for none */
    int64_t left_completion_id;   /* which completion was shown on the left */
    double seconds;               /* time the annotator took */
} store_label;

/* Records one decision, durably (committed before returning). Returns 0, or 1 with nothing
 * written when this annotator has already labeled the pair (another process of theirs got
 * there first), or -1 when refused: an unknown pair, a strength on a non a/b choice or
 * outside 1..4, an unknown flag, a left completion not in the pair, a failed write.
 * *comparison_id may be NULL. */
int store_add_comparison(store *db, const store_label *label, int64_t *comparison_id, rlhf_error *error);

/* One stored comparison row as written, for audits and tests. */
typedef struct store_comparison_row {
    int64_t id, pair_id, ranking_id;     /* 0 when absent */
    int64_t completion_a, completion_b, left_completion_id;
    store_choice choice;
    int strength;                        /* 0 when not given */
    char *flags_json;                    /* e.g. ["unsafe"] */
    char *rationale;                     /* NULL when none */
    double seconds;
    char *created_at;
} store_comparison_row;

/* Every comparison of one annotator, oldest first. */
int store_list_comparisons(store *db, int64_t annotator_id, store_comparison_row **rows, long *count,
                           rlhf_error *error);
void store_comparison_rows_free(store_comparison_row *rows, long count);

/* Takes back one label this annotator made: the comparison label_id (as store_add_comparison
 * returned it), or with ranking true the ranking label_id with its implied comparisons, so
 * its pair returns to their queue. Naming the row, not "the latest", means a window undoes
 * only what it wrote itself, never a label from another window or an earlier session.
 * *undone is false when no such row of this annotator exists (nothing is deleted). */
int store_undo_label(store *db, int64_t annotator_id, int64_t label_id, bool ranking, bool *undone,
                     rlhf_error *error);

/* The flag names annotators can set (a project may change the list). */
int store_flag_kinds(store *db, char ***names, int *count, rlhf_error *error);
int store_set_flag_kinds(store *db, const char *const *names, int count, rlhf_error *error);
void store_strings_free(char **strings, int count);

/* A ranking of K >= 2 completions of one prompt, best first (ties not allowed), stored with
 * its K(K-1)/2 implied pairs as comparisons (choice a/b, strength 0). */
int store_add_ranking(store *db, int64_t annotator_id, int64_t prompt_id, const int64_t *best_first, int count,
                      double seconds, int64_t *ranking_id, rlhf_error *error);

/* Prompts with 3 or more completions from one model, for ranking mode. */
typedef struct store_ranking_task {
    int64_t prompt_id;
    char *prompt;
    int count;
    int64_t *completion_ids;
    char **texts;
} store_ranking_task;
int store_next_ranking_task(store *db, int64_t annotator_id, store_ranking_task *task, bool *found, rlhf_error *error);
void store_ranking_task_free(store_ranking_task *task);

/* ---------------------------------------------------------------- preference pairs */

/* One labeled preference with texts, for training and export. */
typedef struct store_preference {
    int64_t comparison_id;
    int64_t pair_id;                    /* the queued pair (0 for imports and rankings) */
    int64_t annotator_id;
    char *annotator;
    char *prompt, *chosen, *rejected;   /* for ties: a and b in pair order */
    store_choice choice;                /* a/b already resolved: chosen is the winner */
    int strength;
} store_preference;

/* Every comparison whose choice is in `choices` (bit mask of 1 << store_choice). */
int store_list_preferences(store *db, unsigned choices, store_preference **preferences, long *count,
                           rlhf_error *error);
void store_preferences_free(store_preference *preferences, long count);

typedef struct store_export_result {
    long written, ties, both_bad, skips;
    long identical;   /* a/b comparisons of two completions with the same text */
} store_export_result;
/* Writes a/b comparisons as TRL JSONL {"prompt", "chosen", "rejected"}, atomically; ties,
 * both-bad, skips and a/b choices between identical texts are left out and counted. Texts
 * that are not valid UTF-8 are written with U+FFFD for each ill-formed sequence (as
 * Hugging Face decodes with errors="replace"), so every line has all three keys. */
int store_export_preferences(store *db, const char *path, store_export_result *result, rlhf_error *error);
/* Imports TRL JSONL ({"prompt", "chosen", "rejected"}, or Anthropic HH's whole transcripts
 * in chosen/rejected without a prompt) as comparisons by annotator_name, in one
 * transaction; malformed lines, and lines whose chosen and rejected are the same text,
 * fail it whole, naming the line. A preference this annotator
 * already holds (same prompt, chosen and rejected) is counted as a duplicate and skipped. */
int store_import_preferences(store *db, const char *path, const char *annotator_name, store_import_result *result,
                             rlhf_error *error);

/* ---------------------------------------------------------------- runs and metrics */

/* A run of a trainer (kind "rm", "ppo", ...) is recorded as 'running' with this process's
 * pid and host, and ends 'finished', 'failed' or 'interrupted'. A run left 'running' by a
 * process of this host that no longer exists is marked 'interrupted' when a run begins or
 * resumes or its status is read. */
int store_begin_run(store *db, const char *kind, const char *config_json, int64_t *run_id, rlhf_error *error);
/* Takes run_id (of this kind, not running) up again for a resumed training, so one training
 * keeps one run id and its metrics one series. Returns 1 (error set) when this store has no
 * such run: the caller then begins a new one. */
int store_resume_run(store *db, int64_t run_id, const char *kind, rlhf_error *error);
int store_log_metric(store *db, int64_t run_id, long step, const char *name, double value, rlhf_error *error);
/* status: "finished", "failed" or "interrupted". */
int store_finish_run(store *db, int64_t run_id, const char *status, rlhf_error *error);
/* The run's status (caller frees), after marking dead runs interrupted. */
int store_run_status(store *db, int64_t run_id, char **status, rlhf_error *error);

/* One metric's series within a run, by step. */
typedef struct store_metric_series {
    char *name;
    long count;
    long *steps;
    double *values;
} store_metric_series;
/* Every metric of a run, grouped by name (sorted), each in step order. *kind gets the run's
 * kind (caller frees). Fails when the run does not exist. */
int store_run_metrics(store *db, int64_t run_id, char **kind, store_metric_series **series, int *count,
                      rlhf_error *error);
void store_metric_series_free(store_metric_series *series, int count);

/* ---------------------------------------------------------------- statistics */

typedef struct store_pair_agreement {
    char *annotator_1, *annotator_2;
    long shared;          /* pairs both labeled (skips left out) */
    double agreement;     /* share with the same choice */
    double kappa;         /* Cohen's kappa over a / b / tie / both-bad */
} store_pair_agreement;

typedef struct store_annotator_stats {
    char *name;
    long labels, by_choice[5];
    double median_seconds;
    long gold_seen, gold_correct;
    long left_wins, decided;   /* a/b labels where the left side won, and all a/b labels */
} store_annotator_stats;

typedef struct store_stats {
    long prompts, completions, pairs, comparisons, rankings;
    long by_choice[5];
    long queue_needed, queue_done;   /* annotations the queue asks for / has */
    int annotator_count;
    store_annotator_stats *annotators;
    int agreement_count;
    store_pair_agreement *agreements;
    long overlap_pairs;              /* pairs labeled (non-skip) by two or more annotators */
    double percent_agreement;        /* over all annotator pairs on shared pairs */
    double fleiss_kappa;             /* over pairs with the most common number of raters */
    int fleiss_raters;
    long fleiss_items;
    double left_win_rate;            /* position bias: left side's share of a/b wins */
    double median_seconds;
} store_stats;

int store_compute_stats(store *db, store_stats *stats, rlhf_error *error);
void store_stats_free(store_stats *stats);

#endif
