/* Internal to the demo review generator, shared by its three files and nothing else:
 * data/demo_pools.c builds the phrase pools, data/demo_templates.c expands templates into
 * text, data/demo_corpus.c writes reviews, the corpus and the prompts. Tests use
 * data/demo_corpus.h instead. */
#ifndef RLHF_DATA_DEMO_CORPUS_INTERNAL_H
#define RLHF_DATA_DEMO_CORPUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "data/demo_corpus.h"
#include "data/demo_topics.h"
#include "rlhf/util.h"

/* A growing NUL-terminated string. */
typedef struct text {
    char *data;
    size_t length, capacity;
    bool failed;  /* an allocation failed; the content is incomplete */
} text;

/* One phrase: a template (it may hold slots such as {cop}) and its gold value. */
typedef struct candidate {
    const char *text;
    double value;
    int units;
    double weight;
} candidate;

/* Phrases sorted by value; cumulative[i] is the weight of items[0..i). */
typedef struct pool {
    candidate *items;
    double *cumulative;
    int count;
    size_t capacity;
} pool;

enum { FORMS = 3 /* present singular, present plural, past */ };

/* An aspect of a type after parsing "name*:KINDS@participle". */
typedef struct aspect {
    char name[40];
    bool plural;
    char kinds[12];
    char participle[20];
} aspect;

/* A type's aspects, parsed once, and its plural ("blenders"). */
typedef struct type_info {
    aspect *aspects;  /* the type's own, then the domain's shared ones */
    int own_count, count;
    char plural[48];
} type_info;

/* What the generator keeps per domain: its types' info and its return-intent phrases. */
typedef struct domain_info {
    type_info *types;
    pool again;
} domain_info;

/* The review being written. */
typedef struct review {
    const demo_domain *domain;
    const domain_info *domain_info;
    const demo_type *type;
    const type_info *type_info;
    bool past, we, plural, introduced;
    char name[128];
    char city[40], city2[40], person[64], platform[24], year[8];
    const aspect *a1, *a2;
    double t1, t2;
    int last_dish;
    double sum;  /* gold values of the phrases written so far */
    int units;
    int depth;   /* template nesting, bounded */
} review;

struct arena_block;  /* demo_pools.c: the pools' strings */

struct demo_generator {
    rlhf_rng rng;
    struct arena_block *arena;
    pool adjective_predicate[26], adjective_attributive[26], noun[26];
    pool verb[2];  /* present, past */
    pool adverb_participle, adverb_works;
    pool aspect_predicate[26][FORMS], subject_predicate[26][FORMS];
    pool recommend, comparison, superlative, fragment;
    domain_info *domains;
    double domain_weight_total;
    review r;
    text output, sentence, scratch;
    const char *separator;  /* what goes before the next sentence: " ", or "\n" after a header */
    size_t opening_length;  /* bytes of the last review that are its opening (0: none) */
    bool out_of_memory;
};

/* ---- demo_pools.c: phrase pools and the brace syntax of templates */

int demo_kind_index(char kind);
const candidate *demo_pool_pick_within(rlhf_rng *rng, const pool *p, double target, double tolerance);
const candidate *demo_pool_pick(rlhf_rng *rng, const pool *p, double target);
size_t demo_matching_brace(const char *s, size_t open, size_t n);
bool demo_has_top_level_bar(const char *s, size_t n);
int demo_option_of(const char *s, size_t n, int k, const char **start, size_t *length);

/* ---- demo_templates.c: text buffers, random choices, template expansion */

bool demo_text_reserve(text *t, size_t extra);
void demo_text_append(text *t, const char *s, size_t n);
void demo_text_add(text *t, const char *s);
void demo_text_clear(text *t);
int demo_uniform_int(rlhf_rng *rng, int n);
bool demo_chance(rlhf_rng *rng, double p);
const char *demo_pick_string(rlhf_rng *rng, const char *const *list);
void demo_expand_string(demo_generator *g, const char *template, text *out);
void demo_polish_sentence(demo_generator *g, text *s);

#endif
