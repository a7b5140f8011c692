/* demo: the task the whole RLHF loop runs on out of the box, with no downloads. A generator
 * of short English reviews (products, restaurants, hotels, films, books, apps, games,
 * places, journeys) whose sentiment runs from very negative to very positive; the gold
 * sentiment score that defines the demo's preference (more positive is better), computed
 * from the same word lists the generator writes with; and review openings that leave the
 * sentiment open, used as prompts. Everything is deterministic given a seed (rlhf_rng).
 * data/README.md describes the word lists, the scale and the scoring rules. */
#ifndef RLHF_DEMO_H
#define RLHF_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "rlhf/util.h"

/* The end-of-document marker (GPT-2's special token). */
#define DEMO_END_OF_TEXT "<|endoftext|>"
/* What follows every review in a corpus: a newline, then the marker, so each review starts
 * right after a marker (as a prompt does after the <|endoftext|> that sampling puts before it)
 * and the file still reads one review to a line or two. Splitting a corpus at DEMO_DOCUMENT_SEPARATOR gives the reviews back
 * exactly (a review contains no "<|endoftext|>"; it never starts or ends with whitespace,
 * and holds a newline only after a header line such as "Review of the Lumen X2 headphones:"). */
#define DEMO_DOCUMENT_SEPARATOR "\n" DEMO_END_OF_TEXT

/* The committed prompt file data/demo_prompts.jsonl is demo_prompts(DEMO_PROMPTS_SEED,
 * DEMO_PROMPTS_COUNT) written by demo_prompts_jsonl (`rlhf demo prompts` with its defaults). */
#define DEMO_PROMPTS_SEED 2024
#define DEMO_PROMPTS_COUNT 256
/* The seed `rlhf demo corpus` uses by default. */
#define DEMO_CORPUS_SEED 1

/* A stream of reviews. The n-th review depends only on the seed and n. */
typedef struct demo_generator demo_generator;

/* A generator for seed; NULL (with error) only when memory runs out. */
demo_generator *demo_generator_create(uint64_t seed, rlhf_error *error);
void demo_generator_destroy(demo_generator *generator);

/* The next review, its intended sentiment drawn uniformly from [-1, 1] (-1 very negative,
 * 0 mixed or lukewarm, +1 very positive) and stored in *sentiment. The text is
 * NUL-terminated, *length bytes of UTF-8 (in fact ASCII), owned by the generator and valid
 * until the next call. NULL (with error) only when memory runs out. */
const char *demo_generator_next(demo_generator *generator, double *sentiment, size_t *length, rlhf_error *error);

/* The next review written for the given intended sentiment (clamped to [-1, 1]). */
const char *demo_generator_next_with_sentiment(demo_generator *generator, double sentiment, size_t *length,
                                               rlhf_error *error);

/* A corpus: the reviews of demo_generator_create(seed), each followed by
 * DEMO_DOCUMENT_SEPARATOR, until at least target_bytes are written (whole reviews only, so a
 * few hundred bytes more). *text is malloc'd and NUL-terminated; *length excludes the NUL.
 * 10 MB take about a quarter of a second on one core. */
int demo_corpus_generate(uint64_t seed, size_t target_bytes, char **text, size_t *length, rlhf_error *error);

/* Gold scores closer than this are a tie (float rounding of equal scores): the scripted
 * annotator at noise 0 calls such a pair a tie (collect/), and the reward model's and the
 * baseline's gold agreement leave it out (reward/). */
#define DEMO_GOLD_TIE 1e-9

/* The gold sentiment of any text (arbitrary bytes, any length, NULL with length 0 is ""),
 * in (-1, 1): tanh(sum / (1.5 * (units + 1))), where sum adds the lexicon score (-3 .. +3)
 * of every sentiment word or phrase after negation ("not", "never", "isn't": times -0.6 or
 * -0.9) and intensifiers ("very": times 1.5, "slightly": times 0.5) among the three words
 * before it, and units counts them. 0 for text with no sentiment words. Higher is better. */
double demo_sentiment_score(const char *text, size_t length);

/* count distinct review openings (1 <= count <= 100000) that name a subject and leave the
 * sentiment open: the openings of the reviews demo_generator_create(seed) writes, in order,
 * skipping reviews without one and repeats. An opening is a header line ("Review of the
 * Lumen X2 headphones:\n"), a sentence cut before its verdict ("I stayed at the Harbor Inn
 * in Lisbon last weekend and") or a neutral first sentence ("We had dinner at Rosa's Kitchen
 * on Friday."). Every one scores exactly 0. *prompts is a malloc'd array of malloc'd
 * strings; free it with demo_prompts_free. */
int demo_prompts(uint64_t seed, int count, char ***prompts, rlhf_error *error);
void demo_prompts_free(char **prompts, int count);

/* prompts as JSON lines, one {"prompt": "..."} object a line (non-ASCII escaped), as in
 * data/demo_prompts.jsonl. *text is malloc'd and NUL-terminated. */
int demo_prompts_jsonl(char *const *prompts, int count, char **text, size_t *length, rlhf_error *error);

#endif
